//! `zoufang serve`: the campaign's working folder through a local web page,
//! for clerks who never open a terminal. The page calls the same stages as
//! the command line (`print::checked_plan`, `schema::blank_roster`), never
//! a second implementation. Every request passes `guard` first; each step
//! answers from a module of its own (`roster`, `kits`, `scan`, `returns`,
//! `report`, `ledger`) with typed answers; `http` is the server (hyper).

mod faults;
mod folder;
pub(crate) mod guard;
mod http;
mod kits;
mod ledger;
mod page;
mod report;
mod returns;
mod roster;
mod scan;
mod upload;

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::settings::Settings;
use crate::typeset::Engine;
use guard::{Guard, Pass, Refusal, inside, percent_decode};

/// How the server is started.
pub struct Options {
    /// The working folder: roster, zoufang.toml, ledger, outputs.
    pub folder: PathBuf,
    /// Loopback unless the clerk asked for another address.
    pub listen: IpAddr,
    /// 0: the system picks a free port.
    pub port: u16,
    pub open_browser: bool,
}

/// What the request handlers share.
struct State {
    guard: Guard,
    token: String,
    folder: PathBuf,
    settings: Settings,
    engine: Engine,
    /// The print run started from the page (one at a time).
    kits: Mutex<Option<Arc<kits::KitsRun>>>,
    /// The reading of the scanner's files started from the page (one at a time).
    scan: Mutex<Option<Arc<scan::ScanRun>>>,
}

/// An answer.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: http::Body,
    headers: Vec<(String, String)>,
}

impl Reply {
    /// A typed answer, as JSON.
    fn typed<T: serde::Serialize>(status: u16, value: &T) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: serde_json::to_vec(value).unwrap_or_default().into(),
            headers: Vec::new(),
        }
    }

    /// A sentence for the clerk, as the page shows an answer that went wrong.
    fn message(status: u16, message: impl Into<String>) -> Reply {
        Reply::typed(
            status,
            &Said {
                message: message.into(),
            },
        )
    }

    fn text(status: u16, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: message.as_bytes().to_vec().into(),
            headers: Vec::new(),
        }
    }

    fn refused(r: Refusal) -> Reply {
        Reply::text(r.status, r.message)
    }

    fn into_response(self) -> http::Response {
        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".into(), self.content_type.into()),
            ("X-Content-Type-Options".into(), "nosniff".into()),
            ("Cache-Control".into(), "no-store".into()),
            ("Referrer-Policy".into(), "no-referrer".into()),
            (
                "Content-Security-Policy".into(),
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 frame-ancestors 'none'"
                    .into(),
            ),
        ];
        // A reply's own header replaces the default of that name.
        headers.retain(|(name, _)| !self.headers.iter().any(|(own, _)| own == name));
        headers.extend(self.headers);
        http::Response {
            status: self.status,
            headers,
            body: self.body,
        }
    }
}

/// A sentence, the whole answer.
#[derive(serde::Serialize)]
struct Said {
    message: String,
}

/// A random token of 128 bits, as hex.
fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("取不到随机数（{e}）"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Starts the server and answers until the process is stopped. Prints the
/// address with its token first (a line of its own, for people and tests).
pub fn run(options: Options, settings: Settings, engine: Engine) -> Result<(), String> {
    let listener =
        TcpListener::bind(SocketAddr::new(options.listen, options.port)).map_err(|e| {
            format!("网页服务启动不了（{e}）：端口可能被占用，请换一个端口（--port）再试")
        })?;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("网页服务启动不了：没有取到端口（{e}）"))?;
    let token = new_token()?;
    let url = format!("http://127.0.0.1:{port}/?token={token}");
    println!("{url}");
    println!(
        "zoufang 已在本机启动，工作文件夹：{}。用浏览器打开上面的地址；关闭这个窗口（或按 Ctrl+C）即停止。",
        std::path::absolute(&options.folder)
            .unwrap_or_else(|_| options.folder.clone())
            .display()
    );
    if !options.listen.is_loopback() {
        println!(
            "注意：按 --listen {} 的要求，别的电脑也能连上：在别的电脑上把上面地址里的 127.0.0.1 换成本机的 IP 地址打开（仍要带上面的 token）。",
            options.listen
        );
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    if options.open_browser {
        open_browser(&url);
    }
    let state = Arc::new(State {
        // Beyond loopback, other computers name this one by an IP address
        // of its own, whichever `--listen` gave (see `Guard`).
        guard: Guard::new(token.clone(), port, !options.listen.is_loopback()),
        token,
        folder: options.folder,
        settings,
        engine,
        kits: Mutex::new(None),
        scan: Mutex::new(None),
    });
    http::serve(listener, move |request| answer(&state, request))
}

/// Opens the default browser at `url`; nothing happens where none can be
/// started (the address is printed anyway).
fn open_browser(url: &str) {
    let mut command = if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", "", url]);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = std::process::Command::new("open");
        c.arg(url);
        c
    } else {
        let mut c = std::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    let _ = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

fn answer(state: &Arc<State>, request: http::Request) -> http::Response {
    let reply = match state
        .guard
        .check(&request.method, &request.target, &request.headers)
    {
        Err(refusal) => Reply::refused(refusal),
        Ok(pass) => route(state, &request.method, &request.target, pass, request.body),
    };
    reply.into_response()
}

fn route(state: &Arc<State>, method: &str, url: &str, pass: Pass, body: &mut dyn Read) -> Reply {
    let path = url.split('?').next().unwrap_or("/");
    match (method, path) {
        ("GET", "/") if pass == Pass::Token => {
            // The token goes into a cookie, and out of the address bar.
            let mut reply = Reply::text(303, "");
            reply.headers.push(("Location".into(), "/".into()));
            reply.headers.push((
                "Set-Cookie".into(),
                format!(
                    "{}={}; HttpOnly; SameSite=Strict; Path=/",
                    state.guard.cookie, state.token
                ),
            ));
            reply
        }
        ("GET", "/") => Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: page::PAGE.as_bytes().to_vec().into(),
            headers: Vec::new(),
        },
        ("GET", "/api/roster") => roster::answer(state),
        ("POST", "/api/roster") => roster::dropped(state, url, body),
        ("POST", "/api/roster/restore") => roster::restore(state, url),
        ("POST", "/api/init") => roster::init(state),
        ("POST", "/api/previews") => roster::previews(state),
        ("POST", "/api/kits") => kits::start(state),
        ("GET", "/api/kits") => kits::answer(state),
        ("GET", "/api/zip") => kits::zip_folder(state, url),
        ("POST", "/api/returns") => returns::import(state, url, body),
        ("POST", "/api/report") => report::week(state, url),
        ("GET", "/api/scan") => scan::status(state),
        ("POST", "/api/scan") => scan::start(state, url),
        ("POST", guard::SCAN_UPLOAD_PATH) => scan::add_file(state, url, body),
        ("POST", "/api/scan/set-aside") => scan::set_aside(state, url),
        ("GET", "/api/ledger") => ledger::list(state),
        ("POST", "/api/ledger/withdraw") => ledger::withdraw(state, url),
        ("GET", "/api/ledger/faults") => ledger::faults(state, url),
        ("GET", p) if p.starts_with("/files/") => serve_file(&state.folder, &p["/files/".len()..]),
        ("GET", p) if p.starts_with("/assets/") => asset(&p["/assets/".len()..]),
        _ => Reply::text(404, "没有这个页面"),
    }
}

/// Whether a run on a thread of its own has no outcome yet.
fn unfinished<T>(outcome: &Mutex<Option<T>>) -> bool {
    outcome.lock().unwrap_or_else(|e| e.into_inner()).is_none()
}

/// A face embedded in the program, for the page (Chinese text on PCs that
/// have no Chinese face of their own, rare characters of names on those that
/// have one).
fn asset(name: &str) -> Reply {
    if let Some((_, content_type, text)) = page::FILES.iter().find(|(file, ..)| *file == name) {
        return Reply {
            status: 200,
            content_type,
            body: text.as_bytes().to_vec().into(),
            headers: Vec::new(),
        };
    }
    match crate::typeset::EMBEDDED_FONTS
        .iter()
        .find(|(file, _)| *file == name)
    {
        Some((_, bytes)) => Reply {
            status: 200,
            content_type: "font/otf",
            body: bytes.to_vec().into(),
            headers: vec![("Cache-Control".into(), "private, max-age=86400".into())],
        },
        None => Reply::text(404, "没有这个文件"),
    }
}

/// A file of the working folder, never one outside it; sent as it is
/// read (a scanner's file may be two gigabytes).
fn serve_file(folder: &Path, encoded: &str) -> Reply {
    let opened = percent_decode(encoded)
        .and_then(|rel| inside(folder, &rel))
        .and_then(|path| {
            let file = std::fs::File::open(&path).ok()?;
            let length = file.metadata().ok().filter(|m| m.is_file())?.len();
            Some((path, file, length))
        });
    let Some((path, file, length)) = opened else {
        return Reply::text(404, "工作文件夹里没有这个文件");
    };
    let content_type = match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    };
    Reply {
        status: 200,
        content_type,
        body: http::Body::File {
            file,
            length,
            then_remove: None,
        },
        // Kits and reports are made again under the same names.
        headers: vec![("Cache-Control".into(), "no-cache".into())],
    }
}
