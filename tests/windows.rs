//! zoufang.exe — the Windows build, cross-built on Linux — run under Wine as
//! a clerk's PC runs it: from a folder with a Chinese name and a space, on
//! the shipped samples, given Windows paths. Every output is compared byte
//! for byte with the Linux build's on the same inputs (messages and JSON
//! apart from the paths in them); double-clicked (no arguments) it serves
//! its folder with a token over loopback; a file Excel holds open is named
//! with what to do.
//!
//! Needs the exe (`cargo build --release --target x86_64-pc-windows-gnu`,
//! or the one named by `ZOUFANG_WINDOWS_EXE`), Debian's Wine and mingw-w64
//! (which builds the Wine-only stand-ins in `.ci/wine`). Without them these
//! tests say plainly that they skipped; `.ci/run` installs them, builds the
//! exe and sets `ZOUFANG_REQUIRE_WINDOWS=1`, which makes a missing piece a
//! failure.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::Server;

/// What running the exe needs on this machine, found once.
struct Windows {
    exe: PathBuf,
    wine: PathBuf,
    /// The Wine prefix (a Windows installation of its own).
    prefix: PathBuf,
    /// The stand-in for `bcryptprimitives.dll` (see `.ci/wine`), put
    /// beside the exe where it runs.
    dll: PathBuf,
    /// A program that holds a file open as Excel does.
    hold: PathBuf,
}

/// The source dates of every run, so that both builds date their PDFs alike.
const SOURCE_DATE_EPOCH: &str = "1490000000";

fn windows() -> Option<&'static Windows> {
    static FOUND: OnceLock<Result<Windows, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(w) => Some(w),
        Err(why) => {
            assert!(
                std::env::var_os("ZOUFANG_REQUIRE_WINDOWS").is_none(),
                "ZOUFANG_REQUIRE_WINDOWS is set but {why}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the tests of zoufang.exe under Wine: {why} (.ci/run installs Wine and mingw-w64, builds the exe and requires these tests)"
            );
            None
        }
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn find() -> Result<Windows, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::var_os("ZOUFANG_WINDOWS_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target/x86_64-pc-windows-gnu/release/zoufang.exe"));
    if !exe.is_file() {
        return Err(format!(
            "there is no {} (cargo build --release --target x86_64-pc-windows-gnu)",
            exe.display()
        ));
    }
    let wine = on_path("wine")
        .or_else(|| Some(PathBuf::from("/usr/lib/wine/wine64")).filter(|p| p.is_file()))
        .ok_or("there is no Wine (apt-get install wine64)")?;
    let gcc = on_path("x86_64-w64-mingw32-gcc")
        .ok_or("there is no mingw-w64 (apt-get install gcc-mingw-w64-x86-64)")?;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows");
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let stubs = manifest.join(".ci/wine");
    let dll = root.join("bcryptprimitives.dll");
    let hold = root.join("hold.exe");
    for (out, source, flags) in [
        (&dll, "bcryptprimitives.c", &["-shared", "-lbcrypt"][..]),
        (&hold, "hold.c", &["-municode"][..]),
    ] {
        let built = Command::new(&gcc)
            .arg("-O2")
            .arg("-o")
            .arg(out)
            .arg(stubs.join(source))
            .args(flags)
            .status()
            .map_err(|e| format!("mingw-w64 did not run: {e}"))?;
        if !built.success() {
            return Err(format!("mingw-w64 could not build {source}"));
        }
    }
    let found = Windows {
        exe,
        wine,
        prefix: root.join("prefix"),
        dll,
        hold,
    };
    // The prefix is made on first use (half a minute); once, before the
    // tests use it at the same time.
    let mut first = found.wine_command(&root);
    first.args(["cmd", "/c", "echo", "ready"]);
    let ready = bounded(first, Duration::from_secs(300))?;
    if !ready.stdout.contains("ready") {
        return Err(format!("Wine did not start: {}", ready.stderr));
    }
    Ok(found)
}

/// What a program printed, and how it ended.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end, `limit` at most (then it is killed).
fn bounded(mut command: Command, limit: Duration) -> Result<Ran, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("did not start: {e}"))?;
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not end in {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Ran {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

impl Windows {
    /// Wine, quiet, in this prefix, in `folder`.
    fn wine_command(&self, folder: &Path) -> Command {
        let mut command = Command::new(&self.wine);
        command
            .current_dir(folder)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No offer to install Mono or Gecko: zoufang needs neither.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env_remove("DISPLAY");
        command
    }

    /// A campaign folder as a clerk unpacks the package: `…/NAME/走访 工作/`
    /// with zoufang.exe and the samples; and a folder beside it for the
    /// Linux build, with the same samples.
    fn folders(&self, name: &str) -> (PathBuf, PathBuf) {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("windows")
            .join(name);
        let _ = std::fs::remove_dir_all(&root);
        let windows = root.join("走访 工作");
        let linux = root.join("linux");
        for folder in [&windows, &linux] {
            copy_samples(folder);
        }
        // A hard link where it can be: the exe is a hundred megabytes.
        let exe = windows.join("zoufang.exe");
        if std::fs::hard_link(&self.exe, &exe).is_err() {
            std::fs::copy(&self.exe, &exe).expect("copy zoufang.exe");
        }
        std::fs::copy(&self.dll, windows.join("bcryptprimitives.dll")).expect("copy the stand-in");
        (windows, linux)
    }

    /// `zoufang.exe ARGS` under Wine in `folder`.
    fn run(&self, folder: &Path, args: &[&str]) -> Ran {
        let mut command = self.wine_command(folder);
        command.arg(folder.join("zoufang.exe")).args(args);
        bounded(command, Duration::from_secs(600))
            .unwrap_or_else(|e| panic!("zoufang.exe {args:?}: {e}"))
    }
}

/// The Linux build, `ARGS` in `folder`.
fn run_linux(folder: &Path, args: &[&str]) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zoufang"));
    command
        .current_dir(folder)
        .args(args)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH);
    bounded(command, Duration::from_secs(600)).unwrap_or_else(|e| panic!("zoufang {args:?}: {e}"))
}

fn copy_samples(folder: &Path) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    std::fs::create_dir_all(folder.join("samples/returns")).expect("folder");
    std::fs::copy(
        samples.join("roster.xlsx"),
        folder.join("samples/roster.xlsx"),
    )
    .expect("copy roster");
    for name in ["录入表_市教育局.xlsx", "录入表_市财政局.xlsx"] {
        std::fs::copy(
            samples.join("returns").join(name),
            folder.join("samples/returns").join(name),
        )
        .expect("copy returns");
    }
}

/// Text as the other build would write it: Windows paths with `/`, and
/// JSON's escaped `\\` likewise.
fn unwindowed(text: &str) -> String {
    text.replace("\\\\", "/")
        .replace('\\', "/")
        .replace("\r\n", "\n")
}

/// What a run printed, but for how long it took ("用时 0.4 秒").
fn untimed(text: &str) -> String {
    text.lines()
        .map(|line| match (line.find("用时 "), line.find(" 秒")) {
            (Some(a), Some(b)) if a < b => {
                format!("{}用时 … 秒{}", &line[..a], &line[b + " 秒".len()..])
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every file below `dir`, by its path from there.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).expect("below").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The same files with the same bytes (JSON apart from paths).
fn assert_same_files(windows: &Path, linux: &Path) {
    let (w, l) = (files_below(windows), files_below(linux));
    assert!(
        !l.is_empty(),
        "the Linux build wrote nothing in {}",
        linux.display()
    );
    assert_eq!(
        w,
        l,
        "different files in {} and {}",
        windows.display(),
        linux.display()
    );
    let differ: Vec<&PathBuf> = w
        .iter()
        .filter(|rel| {
            let (a, b) = (
                std::fs::read(windows.join(rel)).expect("read"),
                std::fs::read(linux.join(rel)).expect("read"),
            );
            if rel.extension().is_some_and(|e| e == "json") {
                unwindowed(&String::from_utf8_lossy(&a)) != String::from_utf8_lossy(&b)
            } else {
                a != b
            }
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} files differ between the Windows and the Linux build: {differ:?}",
        differ.len(),
        w.len()
    );
}

/// Runs both builds with the same arguments (the Windows one with `\`
/// in its paths); both end alike and say the same, paths apart.
fn both(w: &Windows, windows: &Path, linux: &Path, args: &[&str]) -> (Ran, Ran) {
    let windows_args: Vec<String> = args.iter().map(|a| a.replace('/', "\\")).collect();
    let windows_args: Vec<&str> = windows_args.iter().map(String::as_str).collect();
    let (on_windows, on_linux) = (w.run(windows, &windows_args), run_linux(linux, args));
    assert_eq!(
        on_windows.code, on_linux.code,
        "zoufang.exe {args:?} ended otherwise than on Linux:\n{}\n{}",
        on_windows.stderr, on_linux.stderr
    );
    assert_eq!(
        untimed(&unwindowed(&on_windows.stdout)),
        untimed(&on_linux.stdout),
        "zoufang.exe {args:?} printed otherwise"
    );
    (on_windows, on_linux)
}

#[test]
fn check_kits_cards_preview_and_templates_give_what_the_linux_build_gives() {
    let Some(w) = windows() else { return };
    let (windows, linux) = w.folders("print");
    let (ran, _) = both(w, &windows, &linux, &["check", "samples/roster.xlsx"]);
    assert!(ran.stdout.contains("名单可以打印"), "{}", ran.stdout);
    // Quiet (-q): the progress bar aside, what is printed is compared.
    both(
        w,
        &windows,
        &linux,
        &["kits", "samples/roster.xlsx", "-o", "打印材料", "-q"],
    );
    assert_same_files(&windows.join("打印材料"), &linux.join("打印材料"));
    both(
        w,
        &windows,
        &linux,
        &["cards", "samples/roster.xlsx", "-o", "联系卡", "-q"],
    );
    assert_same_files(&windows.join("联系卡"), &linux.join("联系卡"));
    both(
        w,
        &windows,
        &linux,
        &[
            "preview",
            "samples/roster.xlsx",
            "-o",
            "预览",
            "--returns",
            "samples/returns/录入表_市教育局.xlsx",
        ],
    );
    assert_same_files(&windows.join("预览"), &linux.join("预览"));
    both(w, &windows, &linux, &["templates", "export", "模板"]);
    assert_same_files(&windows.join("模板"), &linux.join("模板"));
}

#[test]
fn summary_with_a_ledger_gives_what_the_linux_build_gives() {
    let Some(w) = windows() else { return };
    let (windows, linux) = w.folders("summary");
    let (ran, _) = both(
        w,
        &windows,
        &linux,
        &[
            "summary",
            "samples/returns/录入表_市教育局.xlsx",
            "samples/returns/录入表_市财政局.xlsx",
            "--ledger",
            "台账.sqlite",
            "--received",
            "2017-03-27",
            "--roster",
            "samples/roster.xlsx",
            "--week",
            "2017-03-20",
            "--closing",
            "-o",
            "汇总",
            "--json",
            "汇总.json",
            "-q",
        ],
    );
    assert!(ran.stdout.contains("走访情况"), "{}", ran.stdout);
    assert_same_files(&windows.join("汇总"), &linux.join("汇总"));
    let json = |folder: &Path| std::fs::read_to_string(folder.join("汇总.json")).expect("JSON");
    assert_eq!(unwindowed(&json(&windows)), json(&linux));
    // A report from the ledger alone, as of a day: the same again.
    let as_of = [
        "summary",
        "--ledger",
        "台账.sqlite",
        "--as-of",
        "2017-03-27",
        "--roster",
        "samples/roster.xlsx",
        "-o",
        "重出",
        "-q",
    ];
    both(w, &windows, &linux, &as_of);
    assert_same_files(&windows.join("重出"), &linux.join("重出"));
}

#[test]
fn double_clicked_it_serves_its_folder_with_a_token() {
    let Some(w) = windows() else { return };
    let (windows, _) = w.folders("serve");
    // No arguments, as Explorer starts it (the browser it then opens is
    // none here).
    let mut command = w.wine_command(&windows);
    command.arg(windows.join("zoufang.exe"));
    let server = Server::start_command(command, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("zoufang.exe did not serve: {e}"));
    let host = server.host();
    let head =
        |path: &str| format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let stranger = zoufang::dev::served::send(server.port, &head("/"), b"");
    assert_eq!(
        stranger.status,
        401,
        "without the token: {}",
        stranger.text()
    );
    let token = format!("/?token={}", server.token);
    let welcomed = zoufang::dev::served::send(server.port, &head(&token), b"");
    assert_eq!(welcomed.status, 303, "{}", welcomed.text());
    assert!(
        welcomed
            .header("set-cookie")
            .is_some_and(|c| c.contains(&server.token)),
        "the token is kept in a cookie"
    );
    let page = server.request("GET", "/", b"");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("名单"), "the page: {}", page.text());
    // The folder it serves is the one it was started in: the sample roster
    // put there is what the page checks.
    std::fs::copy(
        windows.join("samples/roster.xlsx"),
        windows.join("名单.xlsx"),
    )
    .expect("roster in the folder");
    let roster = server.request("GET", "/api/roster", b"");
    assert_eq!(roster.status, 200, "{}", roster.text());
    assert!(roster.text().contains("市教育局"), "{}", roster.text());
}

/// A file held open by another Windows program until dropped.
struct Held(Child);

impl Held {
    fn open(w: &Windows, folder: &Path, file: &Path) -> Held {
        let mut command = w.wine_command(folder);
        let mut child = command
            .arg(&w.hold)
            .arg(file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("hold.exe starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let said = receive
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_default();
        assert_eq!(
            said.trim(),
            "holding",
            "hold.exe could not open {}",
            file.display()
        );
        Held(child)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_file_open_in_excel_is_named_with_what_to_do() {
    let Some(w) = windows() else { return };
    let (windows, _) = w.folders("held");
    let out = windows.join("打印材料");
    let ran = w.run(
        &windows,
        &["kits", "samples\\roster.xlsx", "-o", "打印材料", "-q"],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    // The department's entry workbook open in Excel while kits are made again.
    let entry = std::fs::read_dir(&out)
        .expect("kits")
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("录入表"))
        })
        .expect("an entry workbook");
    {
        let _excel = Held::open(w, &windows, &entry);
        let ran = w.run(
            &windows,
            &["kits", "samples\\roster.xlsx", "-o", "打印材料", "-q"],
        );
        assert_ne!(ran.code, Some(0));
        let said = format!("{}{}", ran.stdout, ran.stderr);
        let name = entry
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        assert!(
            said.contains("正在别的程序（如 Excel、WPS）里打开着") && said.contains(&name),
            "a clerk's sentence naming {name}: {said}"
        );
        assert!(!said.contains("os error"), "no system error code: {said}");
    }
    // The roster itself open in a program that lets no one read it.
    let roster = windows.join("samples/roster.xlsx");
    let _excel = Held::open(w, &windows, &roster);
    let ran = w.run(&windows, &["check", "samples\\roster.xlsx"]);
    assert_ne!(ran.code, Some(0));
    let said = format!("{}{}", ran.stdout, ran.stderr);
    assert!(
        said.contains("roster.xlsx") && said.contains("正在别的程序（如 Excel、WPS）里打开着"),
        "{said}"
    );
    assert!(!said.contains("os error"), "no system error code: {said}");
}
