//! `zoufang serve`: the campaign's working folder through a local web page,
//! for clerks who never open a terminal. The page calls the same stages as
//! the command line (`print::checked_plan`, `schema::blank_roster`), never
//! a second implementation. Every request passes `guard` first.

mod folder;
pub(crate) mod guard;
mod http;
mod ledger;
mod page;
mod scan;
mod upload;

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::schema::recognise::Holds;
use crate::settings::Settings;
use crate::shared::atomic::{Written, write_atomic};
use crate::shared::fault::{Fault, io_words};
use crate::shared::progress::Progress;
use crate::shared::text::column_letter;
use crate::typeset::Engine;
use folder::{
    KITS_FOLDER, LEDGER_FILE, PREVIEWS_FOLDER, REPORT_PREFIX, RETURNS_FOLDER, ROSTER_EXTENSIONS,
    roster_file, shown,
};
use guard::{Guard, MAX_UPLOAD, Pass, Refusal, inside, percent_decode, query_value};

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
    kits: Mutex<Option<Arc<KitsRun>>>,
    /// The reading of the scanner's files started from the page (one at a time).
    scan: Mutex<Option<Arc<scan::ScanRun>>>,
}

/// A print run: its progress while it runs, what it wrote when done.
struct KitsRun {
    progress: Progress,
    outcome: Mutex<Option<Result<Vec<Written>, Vec<Fault>>>>,
}

/// An answer.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

impl Reply {
    fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: serde_json::to_vec(value).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    /// A typed answer, as JSON.
    fn typed<T: serde::Serialize>(status: u16, value: &T) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: serde_json::to_vec(value).unwrap_or_default(),
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
            body: message.as_bytes().to_vec(),
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
            body: page::PAGE.as_bytes().to_vec(),
            headers: Vec::new(),
        },
        ("GET", "/api/roster") => Reply::json(200, &roster_report(state)),
        ("POST", "/api/roster") => upload_roster(state, url, body),
        ("POST", "/api/roster/restore") => upload::restore(state, url),
        ("POST", "/api/init") => match crate::schema::blank_roster::init_folder(&state.folder) {
            Ok(_) => Reply::json(200, &roster_report(state)),
            Err(message) => Reply::json(409, &json!({ "message": message })),
        },
        ("POST", "/api/previews") => previews(state),
        ("POST", "/api/kits") => start_kits(state),
        ("GET", "/api/kits") => Reply::json(200, &kits_report(state)),
        ("GET", "/api/zip") => zip_folder(state, url),
        ("POST", "/api/returns") => import_returns(state, url, body),
        ("POST", "/api/report") => report_week(state, url),
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

/// The roster checked as `zoufang check` checks it: the plan per
/// department and every fault and reminder with its place.
fn roster_report(state: &State) -> Value {
    let mut report = roster_checked(state);
    report["backups"] = json!(upload::backups(&state.folder));
    report
}

fn roster_checked(state: &State) -> Value {
    let Some(path) = roster_file(&state.folder) else {
        return json!({ "roster": null });
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match crate::print::checked_plan(&path, &state.settings, &state.engine) {
        Err(faults) => json!({
            "roster": name,
            "readable": false,
            "problems": faults_json(&faults),
        }),
        Ok((checked, plan)) => {
            let totals = |name: &str, t: &crate::print::plan::Totals| {
                json!({
                    "name": name,
                    "villages": t.villages,
                    "cadres": t.cadres,
                    "household_forms": t.household_forms,
                    "cards": t.cards,
                    "pages": t.pages,
                })
            };
            let faults = checked.faults.iter().filter(|p| p.is_error()).count();
            json!({
                "roster": name,
                "readable": true,
                "departments": plan.departments.iter().map(|(n, t)| totals(n, t)).collect::<Vec<_>>(),
                "total": totals("合计", &plan.total()),
                "rows": {
                    "read": checked.rows.read,
                    "used": checked.rows.used,
                    "reported": checked.rows.reported,
                },
                "faults": faults,
                "warnings": checked.faults.len() - faults,
                "problems": faults_json(&checked.faults),
            })
        }
    }
}

/// Faults as the page's table shows them: sheet, row, column, value,
/// what is wrong, what to do.
fn faults_json(faults: &[Fault]) -> Vec<Value> {
    faults.iter().map(fault_json).collect()
}

fn fault_json(p: &Fault) -> Value {
    json!({
        "severity": if p.is_error() { "错误" } else { "提醒" },
        "sheet": p.place.sheet,
        "row": p.place.row,
        "column": p.place.column.as_ref().map(|(c, header)| {
            if header.is_empty() {
                column_letter(*c)
            } else {
                format!("{}（{header}）", column_letter(*c))
            }
        }),
        "value": p.value,
        "message": p.message,
        "hint": p.hint,
    })
}

/// Faults grouped as the terminal says them: one line per reason and
/// column, with the count and the first rows (`row` then lists them).
fn grouped_json(faults: &[Fault]) -> Vec<Value> {
    crate::shared::fault::grouped(faults)
        .iter()
        .map(|g| {
            let mut line = fault_json(g.first);
            if g.count > 1 {
                let rows: Vec<String> = g.rows.iter().map(|(r, _)| r.to_string()).collect();
                let values: Vec<&str> = g.rows.iter().filter_map(|(_, v)| v.as_deref()).collect();
                let more = if g.count > g.rows.len() { "等" } else { "" };
                line["row"] = json!(format!("共 {} 行：{}{more}", g.count, rows.join("、")));
                line["value"] = json!(format!("{}{more}", values.join("、")));
            }
            line["count"] = json!(g.count);
            line
        })
        .collect()
}

/// The folder's roster read, checked and planned, when it can be printed;
/// else the answer saying why not: no roster, unreadable (`unreadable`
/// ends "名单读不出来，…"), or faults to mend before `action`.
fn printable_roster(
    state: &State,
    unreadable: &str,
    action: &str,
) -> Result<(crate::check::model::Checked, crate::print::plan::Plan), Reply> {
    let Some(roster) = roster_file(&state.folder) else {
        return Err(Reply::json(
            409,
            &json!({ "message": "工作文件夹里还没有名单，请先在上面放入名单" }),
        ));
    };
    let (checked, plan) = crate::print::checked_plan(&roster, &state.settings, &state.engine)
        .map_err(|faults| {
            Reply::json(
                422,
                &json!({ "message": format!("名单读不出来，{unreadable}"), "problems": faults_json(&faults) }),
            )
        })?;
    if checked.has_faults() {
        return Err(Reply::json(
            422,
            &json!({ "message": format!("名单有错误，改正后才能{action}（错误见上面的表）"), "problems": faults_json(&checked.faults) }),
        ));
    }
    Ok((checked, plan))
}

/// The forms as they will print (the first village survey, the first
/// cadre's card, household form and problem list), typeset from the
/// folder's roster as `zoufang preview` draws them, into `预览/`.
fn previews(state: &State) -> Reply {
    let (checked, plan) = match printable_roster(state, "没有预览", "预览") {
        Ok(loaded) => loaded,
        Err(reply) => return reply,
    };
    let pictures = match crate::print::preview::form_pictures(
        &state.engine,
        &plan,
        &checked.roster,
        &state.settings,
    ) {
        Ok(pictures) => pictures,
        Err(e) => return Reply::json(500, &json!({ "message": format!("表样排不出来：{e}") })),
    };
    let dir = state.folder.join(PREVIEWS_FOLDER);
    let mut files = Vec::new();
    for (name, png) in pictures {
        let file = format!("{name}.png");
        if let Err(e) = write_atomic(&dir.join(&file), &png) {
            return Reply::json(
                500,
                &json!({ "message": format!("预览图存不进工作文件夹（{}）", io_words(&e, true)) }),
            );
        }
        files.push(json!({
            "name": name.replace('_', " "),
            "path": format!("{PREVIEWS_FOLDER}/{file}"),
        }));
    }
    Reply::json(200, &json!({ "files": files }))
}

/// Whether a run on a thread of its own has no outcome yet.
fn unfinished<T>(outcome: &Mutex<Option<T>>) -> bool {
    outcome.lock().unwrap_or_else(|e| e.into_inner()).is_none()
}

/// Starts printing the roster's kits into `打印材料/` on a thread of its
/// own, as `zoufang kits` prints them; refused while one runs, or while the
/// roster has faults.
fn start_kits(state: &Arc<State>) -> Reply {
    let mut running = state.kits.lock().unwrap_or_else(|e| e.into_inner());
    if running.as_ref().is_some_and(|run| unfinished(&run.outcome)) {
        return Reply::json(409, &json!({ "message": "材料正在生成，请等这一次完成" }));
    }
    let (checked, plan) = match printable_roster(state, "没有生成材料", "打印") {
        Ok(loaded) => loaded,
        Err(reply) => return reply,
    };
    let run = Arc::new(KitsRun {
        progress: Progress::new(plan.documents.len() as u64, "文件", true),
        outcome: Mutex::new(None),
    });
    *running = Some(Arc::clone(&run));
    drop(running);
    let shared = Arc::clone(state);
    std::thread::spawn(move || {
        let state = shared;
        let out = state.folder.join(KITS_FOLDER);
        let output = crate::print::render::Output {
            dir: &out,
            entry_workbooks: true,
            emit_data: None,
            progress: &run.progress,
        };
        let report = crate::print::render::render_all(
            &state.engine,
            &state.settings,
            &checked.roster,
            &plan,
            &output,
        );
        let outcome = if report.failures.is_empty() {
            crate::shared::atomic::sync_written()
                .map(|()| report.written)
                .map_err(|e| {
                    vec![Fault::error(
                        crate::shared::fault::Place::file(out.display().to_string()),
                        format!("文件没能全部存到磁盘上（{e}）"),
                        "请检查磁盘是否已满，然后重新生成",
                    )]
                })
        } else {
            Err(report.failures)
        };
        *run.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    });
    Reply::json(202, &kits_report(state))
}

/// Where the print run stands: files done of all, pages; when done, the
/// files per department (or what went wrong). Before any run since the
/// server started, the kits an earlier run left in `打印材料/` (by its
/// manifest), so that a restarted server still lists them.
fn kits_report(state: &State) -> Value {
    let running = state.kits.lock().unwrap_or_else(|e| e.into_inner());
    let Some(run) = running.as_ref() else {
        let earlier = kits_on_disk(&state.folder.join(KITS_FOLDER));
        if earlier.is_empty() {
            return json!({ "state": "idle" });
        }
        let pages: usize = earlier.iter().map(|w| w.pages).sum();
        return json!({
            "state": "done",
            "earlier": true,
            "done": earlier.len(),
            "total": earlier.len(),
            "pages": pages,
            "files": files_json(&earlier),
        });
    };
    let (done, total, pages) = run.progress.position();
    let outcome = run.outcome.lock().unwrap_or_else(|e| e.into_inner());
    match outcome.as_ref() {
        None => json!({ "state": "running", "done": done, "total": total, "pages": pages }),
        Some(Err(faults)) => json!({
            "state": "failed",
            "done": done,
            "total": total,
            "problems": faults_json(faults),
        }),
        Some(Ok(written)) => json!({
            "state": "done",
            "done": done,
            "total": total,
            "pages": pages,
            "files": files_json(written),
        }),
    }
}

/// The files of a print run for the page: folder (the department's), path
/// inside the working folder, name, pages, size.
fn files_json(written: &[Written]) -> Vec<Value> {
    written
        .iter()
        .map(|w| {
            let folder = w
                .path
                .components()
                .next()
                .filter(|_| w.path.components().count() > 1)
                .map(|c| c.as_os_str().to_string_lossy().into_owned());
            json!({
                "folder": folder,
                "path": Path::new(KITS_FOLDER).join(&w.path).to_string_lossy(),
                "name": w.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "pages": w.pages,
                "bytes": w.bytes,
            })
        })
        .collect()
}

/// The kits an earlier run left in `out`: the files its manifest lists
/// (PDFs and entry workbooks, in its order) that are still there.
fn kits_on_disk(out: &Path) -> Vec<Written> {
    crate::print::manifest::read_manifest(out)
        .into_iter()
        .filter_map(|(path, pages)| {
            let file = inside(out, &path.to_string_lossy())?;
            let bytes = std::fs::metadata(file).ok()?.len();
            Some(Written {
                path,
                pages: pages as usize,
                bytes: bytes as usize,
            })
        })
        .collect()
}

/// A returns workbook dropped on the page: kept in `回收/`, imported into
/// the folder's ledger as `zoufang summary --ledger` imports it (received
/// on the date the page gives, else today), checked against the roster's
/// serials when there is a roster; what it counted and rejected.
fn import_returns(state: &State, url: &str, body: &mut dyn Read) -> Reply {
    let dropped = upload::Dropped::from_url(url);
    let (given, ext) = (&dropped.given, &dropped.ext);
    if crate::scan::source::EXTENSIONS.contains(&ext.as_str()) {
        return upload::scan_on_wrong_step(given, "录入表");
    }
    if !["xlsx", "xls", "et", "ods", "csv"].contains(&ext.as_str()) {
        return Reply::json(
            415,
            &json!({ "message": format!("「{given}」不是录入表：请选 .xlsx、.xls、.et、.ods 或 .csv 文件") }),
        );
    }
    let received = match received_of(state, url, "这个文件没有存下，也没有记入台账")
    {
        Ok(day) => day,
        Err(reply) => return reply,
    };
    let bytes = match upload(body) {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let pending = match upload::Pending::write(&state.folder, &bytes, ext) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    if pending.is_scan() {
        return upload::scan_on_wrong_step(given, "录入表");
    }
    match pending.holds() {
        Err(why) => return upload::not_a_spreadsheet(given, &why),
        Ok(holds @ (Holds::Roster | Holds::Nothing)) => {
            return upload::wrong_step(given, holds, "录入表");
        }
        Ok(Holds::Return | Holds::Summary) => {}
    }
    // Kept under its own name; another file of that name gets a number.
    let folder = state.folder.join(RETURNS_FOLDER);
    let (target, _) = dropped.place_in(&folder, &|there| {
        std::fs::read(there).ok().as_deref() == Some(&bytes[..])
    });
    if let Err(e) = std::fs::create_dir_all(&folder).and_then(|()| pending.keep_as(&target)) {
        return Reply::json(
            500,
            &json!({ "message": format!("录入表存不进工作文件夹（{}）", io_words(&e, true)) }),
        );
    }
    let printed = roster_of(state).map(|r| r.cadres.iter().flat_map(|c| c.serials()).collect());
    let context = crate::summary::resolve::Context {
        start: state.settings.campaign_start(),
        received,
        printed,
    };
    let ledger_path = state.folder.join(LEDGER_FILE);
    let result = crate::summary::ledger::Ledger::open(&ledger_path)
        .map_err(|p| vec![p])
        .and_then(|mut ledger| {
            // Named as the page names it, inside the working folder.
            let named = shown(&state.folder, &target);
            crate::summary::read::import_file(&mut ledger, &target, &named, &context)
        });
    let (import, part) = match result {
        Ok(done) => done,
        Err(faults) => {
            return Reply::json(
                500,
                &json!({ "message": "导入台账没有成功", "problems": faults_json(&faults) }),
            );
        }
    };
    let account = |a: &crate::summary::returns::Account| json!({ "read": a.read, "counted": a.counted, "duplicates": a.duplicates, "rejected": a.rejected, "blank": a.blank });
    Reply::json(
        200,
        &json!({
            "file": shown(&state.folder, &target),
            "received": crate::shared::date::show_date(received),
            "import": import,
            "households": account(&part.households),
            "problems": account(&part.problem_rows),
            "notes": grouped_json(&part.notes),
            "rejected": grouped_json(&part.rejected),
            "conflicts": grouped_json(&part.conflicts),
        }),
    )
}

/// The received date the page gives (`?received=`; none: today), checked
/// against the campaign's start and today; else the answer saying why not,
/// ending with `not_done`.
fn received_of(state: &State, url: &str, not_done: &str) -> Result<jiff::civil::Date, Reply> {
    let received = match query_value(url, "received").filter(|d| !d.is_empty()) {
        None => crate::shared::date::today(),
        Some(text) => {
            match percent_decode(text).and_then(|t| crate::shared::date::parse_date_text(&t)) {
                Some(day) => day,
                None => {
                    return Err(Reply::message(
                        400,
                        format!("收到日期看不懂，请写成 2017-03-13 这样的格式（{not_done}）"),
                    ));
                }
            }
        }
    };
    if let Some(wrong) = crate::summary::resolve::received_out_of_bounds(
        received,
        state.settings.campaign_start(),
        crate::shared::date::today(),
    ) {
        return Err(Reply::message(
            400,
            format!("{wrong}：请改正收到日期后再试（{not_done}）"),
        ));
    }
    Ok(received)
}

/// The roster of the working folder as `summary --roster` reads it (the
/// parts that can be read), when there is one.
fn roster_of(state: &State) -> Option<crate::check::model::Roster> {
    roster_file(&state.folder).map(|path| {
        let input = crate::input::read_input(&path);
        crate::check::roster::build(&input.sheets, &state.settings, &path.display().to_string())
            .roster
    })
}

/// The week around the date the page gives, reported from the folder's
/// ledger as `zoufang summary --ledger 台账.sqlite --week DATE` reports it,
/// into `汇总_<from>至<to>/`: the weekly figures with cumulative ones, who
/// has reported, the brief with its charts (SVG, shown on the page), and
/// the files to download.
fn report_week(state: &State, url: &str) -> Reply {
    let Some(day) = query_value(url, "week")
        .and_then(percent_decode)
        .and_then(|t| crate::shared::date::parse_date_text(&t))
    else {
        return Reply::json(
            400,
            &json!({ "message": "请选一个日期：汇总这一天所在的星期一到星期日" }),
        );
    };
    let ledger = state.folder.join(LEDGER_FILE);
    if !ledger.is_file() {
        return Reply::json(
            409,
            &json!({ "message": "工作文件夹里还没有台账：请先在“回收”里放入交回的录入表" }),
        );
    }
    let period = crate::shared::date::week_of(day);
    let roster = roster_of(state);
    let context = crate::summary::resolve::Context {
        start: state.settings.campaign_start(),
        received: period.1,
        printed: roster
            .as_ref()
            .map(|r| r.cadres.iter().flat_map(|c| c.serials()).collect()),
    };
    let rel = PathBuf::from(format!(
        "{REPORT_PREFIX}{}至{}",
        crate::shared::date::show_date(period.0),
        crate::shared::date::show_date(period.1)
    ));
    let out = state.folder.join(&rel);
    let progress = Progress::new(0, "表格文件", true);
    let run = crate::summary::read::Run {
        files: &[],
        roster: roster.as_ref(),
        period: Some(period),
        context: &context,
        engine: &state.engine,
        settings: &state.settings,
        out: &out,
        progress: &progress,
        brief: true,
        emit_data: None,
    };
    let reported = match crate::summary::read::import_and_report(&run, &ledger, None) {
        Ok(reported) => reported,
        Err(faults) => {
            return Reply::json(
                500,
                &json!({ "message": "汇总没有成功", "problems": faults_json(&faults) }),
            );
        }
    };
    let mut made = reported.made;
    let written = std::mem::replace(&mut made.written, Ok(Vec::new()));
    let mut written = match written {
        Ok(w) => w,
        Err(p) => {
            return Reply::json(
                500,
                &json!({ "message": "汇总没有成功", "problems": faults_json(&[p]) }),
            );
        }
    };
    match made.brief.take() {
        Some(Ok(files)) => written.extend(files),
        Some(Err(p)) => {
            return Reply::json(
                500,
                &json!({ "message": "周报没有排出来", "problems": faults_json(&[p]) }),
            );
        }
        None => {}
    }
    let json_file = out.join("汇总.json");
    let data = crate::summary::report::json(&made.summary, made.reported());
    if let Err(e) = write_atomic(
        &json_file,
        serde_json::to_string_pretty(&data)
            .unwrap_or_default()
            .as_bytes(),
    ) {
        return Reply::json(
            500,
            &json!({ "message": format!("汇总.json 写不进去（{}）", io_words(&e, true)) }),
        );
    }
    let _ = crate::shared::atomic::sync_written();
    let link = |p: &Path| rel.join(p).to_string_lossy().replace('\\', "/");
    let files: Vec<Value> = written
        .iter()
        .map(|w| json!({ "path": link(&w.path), "pages": w.pages }))
        .chain(std::iter::once(
            json!({ "path": link(Path::new("汇总.json")), "pages": 0 }),
        ))
        .collect();
    Reply::json(
        200,
        &json!({
            "from": crate::shared::date::show_date(period.0),
            "to": crate::shared::date::show_date(period.1),
            "as_of": crate::shared::date::show_date(reported.day),
            "weekly": data["weekly"],
            "table": crate::summary::brief::Brief::new(&made.summary, &state.settings, period, reported.day).table(),
            "completeness": data["completeness"],
            "paper": data["paper"],
            "files": files,
        }),
    )
}

/// A folder of the print run (a department's) as one zip, for the print shop.
/// A folder of a week's report (`?report=汇总_…/报市委农工办`), or of the
/// print run (`?folder=单位`; none: every department's) for the print shop:
/// only what is printed (the departments' entry workbooks stay out).
fn zip_folder(state: &State, url: &str) -> Reply {
    let report = query_value(url, "report").and_then(percent_decode);
    let (dir, printed_only, name) = match &report {
        Some(rel) if rel.starts_with(REPORT_PREFIX) => {
            (inside(&state.folder, rel), false, rel.replace('/', "_"))
        }
        Some(_) => (None, false, String::new()),
        None => {
            let name = query_value(url, "folder")
                .and_then(percent_decode)
                .unwrap_or_default();
            let zip_name = if name.is_empty() {
                KITS_FOLDER.to_string()
            } else {
                name.clone()
            };
            (
                inside(&state.folder, &format!("{KITS_FOLDER}/{name}")),
                true,
                zip_name,
            )
        }
    };
    let Some(dir) = dir.filter(|d| d.is_dir()) else {
        return Reply::text(404, "没有这些材料");
    };
    match zip_of(&dir, printed_only) {
        Ok(bytes) => Reply {
            status: 200,
            content_type: "application/zip",
            body: bytes,
            headers: vec![(
                "Content-Disposition".into(),
                format!(
                    "attachment; filename=\"kits.zip\"; filename*=UTF-8''{}.zip",
                    percent_encode(&name)
                ),
            )],
        },
        Err(e) => Reply::text(500, &format!("打包没有成功（{e}）")),
    }
}

/// Every file under `dir` (with `printed_only`, its PDFs), zipped as they
/// are on disk, dated when they were made (PDFs are compressed already:
/// stored).
fn zip_of(dir: &Path, printed_only: bool) -> Result<Vec<u8>, String> {
    let files = walk(dir).map_err(|e| e.to_string())?;
    let files = files.into_iter().filter(|path| {
        !printed_only
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    });
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for path in files {
        let rel = path.strip_prefix(dir).map_err(|e| e.to_string())?;
        let name = rel.to_string_lossy().replace('\\', "/");
        let made = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(zip_date);
        let options = match made {
            Some(day) => stored.last_modified_time(day),
            None => stored,
        };
        zip.start_file(name, options).map_err(|e| e.to_string())?;
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        std::io::Write::write_all(&mut zip, &bytes).map_err(|e| e.to_string())?;
    }
    zip.finish()
        .map(|c| c.into_inner())
        .map_err(|e| e.to_string())
}

/// The files under `dir` (its sub-folders too), in name order.
fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A file's time as a zip entry dates it: the local day and time.
fn zip_date(time: std::time::SystemTime) -> Option<zip::DateTime> {
    let local = jiff::Timestamp::try_from(time)
        .ok()?
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .datetime();
    zip::DateTime::from_date_and_time(
        u16::try_from(local.year()).ok()?,
        u8::try_from(local.month()).ok()?,
        u8::try_from(local.day()).ok()?,
        u8::try_from(local.hour()).ok()?,
        u8::try_from(local.minute()).ok()?,
        u8::try_from(local.second()).ok()?,
    )
    .ok()
}

/// `%XX` for every byte but unreserved ASCII (file names in headers).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An upload's bytes, read no further than the limit (a body may be longer
/// than its Content-Length said).
fn upload(body: &mut dyn Read) -> Result<Vec<u8>, Reply> {
    let mut bytes = Vec::new();
    if body.take(MAX_UPLOAD + 1).read_to_end(&mut bytes).is_err() {
        return Err(Reply::json(
            400,
            &json!({ "message": "文件没有传完整，请再试一次" }),
        ));
    }
    if bytes.len() as u64 > MAX_UPLOAD {
        return Err(Reply::json(
            413,
            &json!({ "message": "文件太大了（超过 64 MB），不像是名单或录入表" }),
        ));
    }
    Ok(bytes)
}

/// Saves an uploaded roster as the folder's `名单.<ext>` (replacing the
/// one there) and checks it.
fn upload_roster(state: &State, url: &str, body: &mut dyn Read) -> Reply {
    let name = query_value(url, "name")
        .and_then(percent_decode)
        .unwrap_or_default();
    let ext = Path::new(&name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if crate::scan::source::EXTENSIONS.contains(&ext.as_str()) {
        return upload::scan_on_wrong_step(&name, "名单");
    }
    if !ROSTER_EXTENSIONS.contains(&ext.as_str()) {
        return Reply::json(
            415,
            &json!({ "message": format!("「{name}」不是名单工作簿：请选 .xlsx、.xls、.et 或 .ods 文件") }),
        );
    }
    let bytes = match upload(body) {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    upload::roster(state, url, &bytes, &name, &ext)
}

/// A face embedded in the program, for the page (Chinese text on PCs that
/// have no Chinese face of their own, rare characters of names on those that
/// have one).
fn asset(name: &str) -> Reply {
    if let Some((_, content_type, text)) = page::FILES.iter().find(|(file, ..)| *file == name) {
        return Reply {
            status: 200,
            content_type,
            body: text.as_bytes().to_vec(),
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
            body: bytes.to_vec(),
            headers: vec![("Cache-Control".into(), "private, max-age=86400".into())],
        },
        None => Reply::text(404, "没有这个文件"),
    }
}

/// A file of the working folder, never one outside it.
fn serve_file(folder: &Path, encoded: &str) -> Reply {
    let Some(path) = percent_decode(encoded).and_then(|rel| inside(folder, &rel)) else {
        return Reply::text(404, "工作文件夹里没有这个文件");
    };
    let Ok(body) = std::fs::read(&path) else {
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
        body,
        // Kits and reports are made again under the same names.
        headers: vec![("Cache-Control".into(), "no-cache".into())],
    }
}
