//! `zoufang serve`, probed from outside as a stranger would: without the
//! token, under a foreign Host, posting from a foreign Origin, with `..` in
//! paths, with an oversized upload; and used as the page uses it. Each test
//! starts the server on loopback on a port the system picks, and stops it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use zoufang::dev::served::{Answer, send};

#[test]
fn strangers_are_refused_and_nothing_outside_the_folder_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("工作");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(dir.path().join("秘密.txt"), "outside").unwrap();
    let server = start(&folder);
    let host = server.host();
    let plain = |path: &str, extra: &str| {
        send(
            server.port,
            &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"),
            b"",
        )
    };
    // No token: 401, with a sentence saying what to do.
    let answer = plain("/", "");
    assert_eq!(answer.status, 401);
    assert!(answer.text().contains("带 token"), "{}", answer.text());
    assert_eq!(
        plain(
            "/api/roster",
            &format!("Cookie: zoufang_token_{}=wrong\r\n", server.port)
        )
        .status,
        401
    );
    // The token in the address: into a cookie, out of the address bar.
    let answer = plain(&format!("/?token={}", server.token), "");
    assert_eq!(answer.status, 303);
    let cookie = answer.header("set-cookie").unwrap_or_default();
    assert!(
        cookie.contains(&format!("zoufang_token_{}={}", server.port, server.token))
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // A foreign Host (DNS rebinding), even with the token.
    let answer = send(
        server.port,
        &format!(
            "GET /?token={} HTTP/1.1\r\nHost: attacker.example:{}\r\nConnection: close\r\n\r\n",
            server.token, server.port
        ),
        b"",
    );
    assert_eq!(answer.status, 403);
    // A post from a foreign page (CSRF), with the cookie the browser adds.
    for origin in ["Origin: http://attacker.example\r\n", ""] {
        let answer = send(
            server.port,
            &format!(
                "POST /api/init HTTP/1.1\r\nHost: {host}\r\n{origin}Cookie: zoufang_token_{}={}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                server.port, server.token
            ),
            b"",
        );
        assert_eq!(answer.status, 403, "{origin:?}");
    }
    assert!(!folder.join("名单.xlsx").exists());
    // `..` in paths, encoded or not, absolute paths: never outside.
    let secret = "%E7%A7%98%E5%AF%86.txt";
    for path in [
        format!("/files/../{secret}"),
        format!("/files/%2E%2E/{secret}"),
        format!("/files/..%2F{secret}"),
        "/files//etc/passwd".to_string(),
        "/files/%2Fetc%2Fpasswd".to_string(),
    ] {
        let path = path.as_str();
        let answer = server.request("GET", path, b"");
        assert_eq!(answer.status, 404, "{path}: {}", answer.text());
        assert!(!answer.text().contains("outside"), "{path}");
    }
    // An upload over the limit is refused from its declared length.
    let answer = send(
        server.port,
        &format!(
            "POST /api/roster?name=a.xlsx HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nCookie: zoufang_token_{}={}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            server.port,
            server.token,
            100u64 << 20
        ),
        b"",
    );
    assert_eq!(answer.status, 413);
}

#[test]
fn the_roster_page_checks_what_is_dropped_on_it_as_check_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    // The page itself: embedded, in Chinese, nothing fetched from outside.
    let page = server.request("GET", "/", b"");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("把名单工作簿"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    // Its script and style are files of its own: the policy allows no inline ones.
    let policy = page
        .header("content-security-policy")
        .unwrap_or_default()
        .to_string();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(
        !html.contains("<style") && !html.contains("<script>"),
        "{html}"
    );
    for (asset, kind) in [("page.js", "text/javascript"), ("page.css", "text/css")] {
        let answer = server.request("GET", &format!("/assets/{asset}"), b"");
        assert_eq!(answer.status, 200, "{asset}");
        assert!(
            answer
                .header("content-type")
                .unwrap_or_default()
                .starts_with(kind)
        );
        assert!(!answer.text().contains("http://") && !answer.text().contains("https://"));
    }
    // The Chinese face for PCs without one, from the program itself.
    let font = server.request("GET", "/assets/FandolHei-Regular.otf", b"");
    assert_eq!(font.status, 200);
    assert!(font.body.starts_with(b"OTTO"));
    assert_eq!(
        server.request("GET", "/assets/../Cargo.toml", b"").status,
        404
    );
    // No roster yet; a blank one from the page, then the sample dropped on it.
    assert_eq!(
        server.request("GET", "/api/roster", b"").json()["roster"],
        serde_json::Value::Null
    );
    let made = server.request("POST", "/api/init", b"");
    assert_eq!(made.status, 200, "{}", made.text());
    assert!(dir.path().join("名单.xlsx").is_file());
    assert!(dir.path().join("zoufang.toml").is_file());
    says(
        &server.request("POST", "/api/init", b""),
        409,
        "已经存在，没有覆盖",
    );

    let sample = sample("roster.xlsx");
    // It replaces the blank one when the clerk says so.
    let answer = server.request("POST", "/api/roster?name=%E5%90%8D%E5%8D%95.xlsx", &sample);
    says(&answer, 409, "换成「名单.xlsx」吗？");
    let answer = server.request(
        "POST",
        "/api/roster?name=%E5%90%8D%E5%8D%95.xlsx&replace=1",
        &sample,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let report = answer.json();
    // The same plan `zoufang check` prints.
    let check = zoufang(&["check", dir.path().join("名单.xlsx").to_str().unwrap()]);
    let totals = plan_totals(&check.stdout);
    let total = &report["total"];
    let from_page: Vec<String> = ["villages", "cadres", "household_forms", "cards", "pages"]
        .iter()
        .map(|k| total[k].to_string())
        .collect();
    assert_eq!(from_page, totals, "{}", check.stdout);
    assert_eq!(report["faults"], 0);
    assert_eq!(report["departments"].as_array().map(Vec::len), Some(4));
    // The roster downloads back, byte for byte.
    let back = server.request("GET", "/files/%E5%90%8D%E5%8D%95.xlsx", b"");
    assert_eq!(back.status, 200);
    assert_eq!(back.body, sample);

    // Another roster: asked first; nothing changes until the clerk says so.
    let messy = std::fs::read(fixture("messy-roster.xlsx")).unwrap();
    let asked = server.request("POST", "/api/roster?name=messy.xlsx", &messy);
    says(
        &asked,
        409,
        "工作文件夹里已经有名单「名单.xlsx」。换成「messy.xlsx」吗？",
    );
    assert_eq!(std::fs::read(dir.path().join("名单.xlsx")).unwrap(), sample);
    // Replaced: the one it replaces is kept, and can be brought back.
    let report = server
        .request("POST", "/api/roster?name=messy.xlsx&replace=1", &messy)
        .json();
    let backups = report["backups"].as_array().expect("backups").clone();
    // The blank roster, then the sample.
    assert_eq!(backups.len(), 2, "{report}");
    let kept = backups[0].as_str().unwrap();
    assert!(
        kept.starts_with("名单_") && kept.ends_with(".xlsx"),
        "{kept}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("名单备份").join(kept)).unwrap(),
        sample
    );
    let problems = report["problems"].as_array().expect("problems");
    assert!(!problems.is_empty(), "{report}");
    assert!(
        problems.iter().any(|p| p["row"].is_u64()
            && p["sheet"] == "挂钩村"
            && p["message"].is_string()
            && p["hint"].is_string()),
        "{report}"
    );
    let restored = server.request(
        "POST",
        &format!("/api/roster/restore?name={}", encode(kept)),
        b"",
    );
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(std::fs::read(dir.path().join("名单.xlsx")).unwrap(), sample);
    assert_eq!(restored.json()["faults"], 0);
    assert_eq!(restored.json()["backups"].as_array().map(Vec::len), Some(3));
    // Not a workbook: refused with what to do; a picture belongs to 扫描件.
    let answer = server.request("POST", "/api/roster?name=setup.exe", b"MZ");
    assert_eq!(answer.status, 415);
    assert!(answer.text().contains(".xlsx"), "{}", answer.text());
    let answer = server.request("POST", "/api/roster?name=photo.png", b"\x89PNG");
    says(&answer, 409, "请拖到「三、扫描件」");
}

#[test]
fn a_file_dropped_on_the_wrong_step_is_said_to_be_what_it_is_and_stored_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let roster = sample("roster.xlsx");
    let put = server.request("POST", "/api/roster?name=%E5%90%8D%E5%8D%95.xlsx", &roster);
    assert_eq!(put.status, 200, "{}", put.text());
    let listing = || {
        let mut all: Vec<String> = walk_names(dir.path());
        all.sort();
        all
    };
    let before = listing();
    // A department's return dropped on 名单.
    let ret = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市财政局.xlsx"),
    )
    .unwrap();
    says(
        &server.request("POST", "/api/roster?name=%E5%BD%95%E5%85%A5.xlsx", &ret),
        409,
        "「录入.xlsx」是各单位交回的录入表，不是名单：请拖到「四、回收」。这个文件没有存下",
    );
    // A Word document renamed .xlsx.
    let word = word_document();
    let answer = server.request("POST", "/api/roster?name=report.xlsx", &word);
    says(&answer, 415, "「report.xlsx」读不出来：");
    assert!(answer.text().contains("Word"), "{}", answer.text());
    // The roster dropped on 回收.
    says(
        &server.request("POST", "/api/returns?name=%E5%90%8D%E5%8D%95.xlsx", &roster),
        409,
        "「名单.xlsx」是走访名单，不是录入表：请拖到「一、名单」",
    );
    says(
        &server.request("POST", "/api/returns?name=report.xlsx", &word),
        415,
        "读不出来",
    );
    // Nothing stored, nothing replaced, nothing left behind.
    assert_eq!(listing(), before);
    assert_eq!(std::fs::read(dir.path().join("名单.xlsx")).unwrap(), roster);
    assert!(!dir.path().join("台账.sqlite").exists());
}

/// A Word document (a zip with `word/document.xml`), as `.docx` files are.
fn word_document() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        zip.start_file(
            "[Content_Types].xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut zip, b"<Types/>").unwrap();
        zip.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut zip, b"<w:document/>").unwrap();
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// Every file under `dir`, by its path inside it.
fn walk_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// Checks an answer's status and that it says `words`.
fn says(answer: &Answer, status: u16, words: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(answer.text().contains(words), "{}", answer.text());
}

#[test]
fn kits_made_from_the_page_are_the_kits_the_command_line_makes() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("工作");
    std::fs::create_dir(&folder).unwrap();
    let roster = small_roster(
        dir.path(),
        &[("张卫国", "13800001001", 4.0), ("李娜", "13800001002", 3.0)],
    );
    let server = start(&folder);
    let answer = server.request("POST", "/api/kits", b"");
    assert_eq!(answer.status, 409, "{}", answer.text());
    assert!(answer.text().contains("还没有名单"), "{}", answer.text());
    let bytes = std::fs::read(&roster).unwrap();
    assert_eq!(
        server
            .request("POST", "/api/roster?name=a.xlsx", &bytes)
            .status,
        200
    );
    // The forms as they will print, as `zoufang preview` draws them.
    let previews = server.request("POST", "/api/previews", b"");
    assert_eq!(previews.status, 200, "{}", previews.text());
    let previews = previews.json();
    let names: Vec<&str> = previews["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "附件1 村（社区）调查表",
            "附件2 走访联系卡 正面",
            "附件2 走访联系卡 反面",
            "附件3 群众入户调查表",
            "附件4 问题清单"
        ]
    );
    let cli_previews = dir.path().join("预览-cli");
    let run = zoufang(&[
        "preview",
        roster.to_str().unwrap(),
        "-o",
        cli_previews.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for f in previews["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let png = server.request("GET", &format!("/files/{}", encode(path)), b"");
        assert_eq!(png.header("content-type"), Some("image/png"));
        let file = path.strip_prefix("预览/").unwrap();
        assert_eq!(
            png.body,
            std::fs::read(cli_previews.join(file)).unwrap(),
            "{path}"
        );
    }
    let started = server.request("POST", "/api/kits", b"");
    assert_eq!(started.status, 202, "{}", started.text());
    // Progress until done, bounded in time.
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let report = loop {
        let report = server.request("GET", "/api/kits", b"").json();
        match report["state"].as_str() {
            Some("done") => break report,
            Some("running") => {
                assert!(
                    report["done"].as_u64() <= report["total"].as_u64(),
                    "{report}"
                );
            }
            other => panic!("{other:?}: {report}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "kits not done: {report}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let files = report["files"].as_array().expect("files");
    assert_eq!(report["done"], report["total"], "{report}");
    // The same kits as `zoufang kits`, byte for byte.
    let cli = dir.path().join("cli");
    let run = zoufang(&[
        "kits",
        roster.to_str().unwrap(),
        "-o",
        cli.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pdfs: Vec<&serde_json::Value> = files
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.ends_with(".pdf")))
        .collect();
    assert!(!pdfs.is_empty(), "{report}");
    for f in &pdfs {
        let path = f["path"].as_str().unwrap();
        let encoded = encode(path);
        let served = server.request("GET", &format!("/files/{encoded}"), b"");
        assert_eq!(served.status, 200, "{path}");
        let rel = path.strip_prefix("打印材料/").unwrap();
        assert_eq!(served.body, std::fs::read(cli.join(rel)).unwrap(), "{path}");
    }
    // A department's folder as one zip for the print shop.
    let department = pdfs
        .iter()
        .find_map(|f| f["folder"].as_str())
        .expect("a department folder");
    let zip = server.request(
        "GET",
        &format!("/api/zip?folder={}", encode(department)),
        b"",
    );
    assert_eq!(zip.status, 200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).expect("a zip");
    // For the print shop: every PDF, not the department's entry workbook,
    // each dated when it was made.
    let pdfs = walk_names(&cli.join(department))
        .into_iter()
        .filter(|n| n.ends_with(".pdf"))
        .count();
    assert_eq!(archive.len(), pdfs);
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        assert!(name.ends_with(".pdf"), "{name}");
        let made = entry.last_modified().expect("a date");
        assert!(made.year() >= 2026, "{made:?}");
    }
    let everything = server.request("GET", "/api/zip?folder=", b"");
    assert_eq!(everything.status, 200);
    let all = zip::ZipArchive::new(std::io::Cursor::new(everything.body)).expect("a zip");
    // One department here: all its PDFs, and nothing else.
    assert_eq!(all.len(), archive.len());
    assert_eq!(
        server.request("GET", "/api/zip?folder=..%2F..", b"").status,
        404
    );
    // Started again on the same folder, the server lists the same files
    // with the same pages, from what is on disk.
    drop(server);
    let again = start(&folder).request("GET", "/api/kits", b"").json();
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(again["earlier"], true);
    let shown = |report: &serde_json::Value| -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["pages"].as_u64().unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(shown(&again), shown(&report));
    assert_eq!(again["pages"], report["pages"]);
}

#[test]
fn returns_dropped_on_the_page_go_into_the_ledger_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市财政局.xlsx");
    let bytes = std::fs::read(&sample).unwrap();
    let path = format!(
        "/api/returns?name={}&received=2017-03-27",
        encode("录入表_市财政局.xlsx")
    );
    let answer = server.request("POST", &path, &bytes);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let first = answer.json();
    // What `zoufang summary` counts of the same file.
    let cli = summary_json(
        dir.path(),
        &[sample.to_str().unwrap(), "--received", "2017-03-27"],
    );
    for (page, cli_key) in [("households", "households"), ("problems", "problems")] {
        assert_eq!(
            first[page]["counted"], cli["account"][cli_key]["counted"],
            "{page}: {first}"
        );
        assert_eq!(first[page]["rejected"], cli["account"][cli_key]["rejected"]);
    }
    assert!(first["households"]["counted"].as_u64() > Some(0), "{first}");
    assert!(dir.path().join("台账.sqlite").is_file());
    assert!(dir.path().join("回收/录入表_市财政局.xlsx").is_file());
    // The same bytes again: imported once, said so.
    let again = server.request("POST", &path, &bytes).json();
    assert_eq!(again["import"]["sha256"], first["import"]["sha256"]);
    let notes = again["notes"].to_string();
    assert!(notes.contains("已经导入"), "{notes}");
    // Not a workbook.
    assert_eq!(
        server
            .request("POST", "/api/returns?name=x.exe", b"MZ")
            .status,
        415
    );
    // The roster dropped here by mistake: not stored, so said again.
    let roster =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx")).unwrap();
    for _ in 0..2 {
        let answer = server.request("POST", "/api/returns?name=roster.xlsx", &roster);
        says(&answer, 409, "是走访名单，不是录入表");
    }
    assert!(!dir.path().join("回收/roster.xlsx").exists());
}

#[test]
fn an_import_received_on_a_wrong_day_is_withdrawn_and_imported_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市教育局.xlsx"),
    )
    .unwrap();
    let name = encode("录入表_市教育局.xlsx");
    let import = |received: &str| {
        let answer = server.request(
            "POST",
            &format!("/api/returns?name={name}&received={received}"),
            &bytes,
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.json()
    };
    // Received typed as 03-10: the visits after it are refused, grouped
    // by reason and column, one line each.
    let wrong = import("2017-03-10");
    let rejected = wrong["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{wrong}");
    assert_eq!(rejected[0]["count"], 42, "{wrong}");
    assert_eq!(rejected[0]["column"], "P（走访日期）", "{wrong}");
    assert_eq!(rejected[0]["row"], "共 42 行：7、8、9、10、11等", "{wrong}");
    assert_eq!(
        rejected[0]["message"],
        "走访日期晚于收到这份表的日期（2017-03-10）"
    );
    // The ledger lists it, with its faults as a workbook.
    let listed = server.request("GET", "/api/ledger", b"").json();
    let first = &listed["imports"][0];
    assert_eq!(first["id"], 1, "{listed}");
    assert_eq!(first["received"], "2017-03-10");
    assert_eq!(first["refused"], 53);
    assert_eq!(first["faults"], 53);
    assert_eq!(first["withdrawn"], serde_json::Value::Null);
    let workbook = server.request("GET", "/api/ledger/faults?import=1", b"");
    assert_eq!(workbook.status, 200);
    assert!(workbook.body.starts_with(b"PK"));
    // The same bytes with the right day: imported before, nothing changes.
    let again = import("2017-03-27");
    assert!(
        again["notes"].to_string().contains("先撤回那次导入"),
        "{again}"
    );
    // Withdrawn, then imported again with the right day.
    let after = server.request("POST", "/api/ledger/withdraw?import=1", b"");
    assert_eq!(after.status, 200, "{}", after.text());
    let today = after.json()["today"].clone();
    assert_eq!(after.json()["imports"][0]["withdrawn"], today);
    says(
        &server.request("POST", "/api/ledger/withdraw?import=1", b""),
        409,
        "已经在",
    );
    let right = import("2017-03-27");
    assert_eq!(right["import"]["id"], 2, "{right}");
    assert_eq!(
        right["rejected"].as_array().map(Vec::len),
        Some(0),
        "{right}"
    );
    // The week's report counts the corrected import, as the CLI does from
    // the file received on the right day.
    let report = server
        .request("POST", "/api/report?week=2017-03-20", b"")
        .json();
    let cli = summary_json(
        dir.path(),
        &[
            dir.path()
                .join("回收/录入表_市教育局.xlsx")
                .to_str()
                .unwrap(),
            "--received",
            "2017-03-27",
            "--week",
            "2017-03-20",
        ],
    );
    assert_eq!(report["weekly"], cli["weekly"], "{report}\n{cli}");
    assert!(
        report["weekly"][0]["households"].as_u64() > Some(0),
        "{report}"
    );
}

#[test]
fn the_week_is_reported_from_the_ledger_as_summary_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    says(
        &server.request("POST", "/api/report?week=2017-03-22", b""),
        409,
        "还没有台账",
    );
    let roster = sample("roster.xlsx");
    assert_eq!(
        server
            .request("POST", "/api/roster?name=a.xlsx", &roster)
            .status,
        200
    );
    for name in ["录入表_市财政局.xlsx", "录入表_市教育局.xlsx"] {
        let bytes = sample(&format!("returns/{name}"));
        let path = format!("/api/returns?name={}&received=2017-03-26", encode(name));
        assert_eq!(server.request("POST", &path, &bytes).status, 200);
    }
    let answer = server.request("POST", "/api/report?week=2017-03-22", b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let page = answer.json();
    // The command line on the same ledger and week.
    let ledger = dir.path().join("台账.sqlite");
    let roster = dir.path().join("名单.xlsx");
    let cli = summary_json(
        dir.path(),
        &[
            "--ledger",
            ledger.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--week",
            "2017-03-22",
        ],
    );
    assert_eq!(page["weekly"], cli["weekly"]);
    // The brief's table: every roster department, zeros included, and 合计.
    let table = &page["table"];
    assert_eq!(table["total"]["name"], "合计", "{table}");
    assert_eq!(
        table["departments"].as_array().map(Vec::len),
        Some(4),
        "{table}"
    );
    // Each route's annex 5 files, as one zip.
    let folder = page["files"][0]["path"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let route = server.request(
        "GET",
        &format!(
            "/api/zip?report={}",
            encode(&format!("{folder}/报市委农工办"))
        ),
        b"",
    );
    assert_eq!(route.status, 200, "{}", route.text());
    let mut villages = zip::ZipArchive::new(std::io::Cursor::new(route.body)).expect("a zip");
    let names: Vec<String> = (0..villages.len())
        .map(|i| villages.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("附件5_")), "{names:?}");
    assert_eq!(
        server.request("GET", "/api/zip?report=..%2F..", b"").status,
        404
    );
    // Not two empty tables: both departments visited households that week.
    let weekly = page["weekly"].as_array().expect("weekly");
    assert_eq!(weekly.len(), 2, "{weekly:?}");
    assert!(
        weekly.iter().all(|w| w["households"].as_u64() > Some(0)),
        "{weekly:?}"
    );
    assert_eq!(page["completeness"], cli["completeness"]);
    // The brief, its charts (shown on the page) and the files to download.
    let files: Vec<&str> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    // One summary job behind both: the page's 汇总.json is the command
    // line's --json, whole (imports, as-of day, every figure).
    let json_file = files
        .iter()
        .find(|f| f.ends_with("汇总.json"))
        .expect("汇总.json");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(json_file)).unwrap()).unwrap();
    assert_eq!(written, cli);
    let svgs: Vec<&&str> = files.iter().filter(|f| f.ends_with(".svg")).collect();
    assert_eq!(svgs.len(), 4, "{files:?}");
    let brief = files
        .iter()
        .find(|f| f.contains("走访情况周报"))
        .expect("the brief");
    let served = server.request("GET", &format!("/files/{}", encode(brief)), b"");
    assert_eq!(served.status, 200);
    assert!(served.body.starts_with(b"%PDF"));
    let svg = server.request("GET", &format!("/files/{}", encode(svgs[0])), b"");
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
}

#[test]
fn a_received_day_after_today_is_refused_on_the_page_without_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市财政局.xlsx");
    let path = format!(
        "/api/returns?name={}&received=2099-01-01",
        encode("录入表_市财政局.xlsx")
    );
    let answer = server.request("POST", &path, &std::fs::read(&sample).unwrap());
    assert_eq!(answer.status, 400, "{}", answer.text());
    let message = answer.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("收到日期（2099-01-01）晚于今天"),
        "{message}"
    );
    assert!(
        !message.contains("--"),
        "no command-line flag on the page: {message}"
    );
    assert!(!dir.path().join("回收/录入表_市财政局.xlsx").exists());
    assert!(!dir.path().join("台账.sqlite").exists());
}

#[test]
fn two_campaigns_served_at_once_keep_their_own_cookies() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (start(one.path()), start(two.path()));
    let cookie_of = |server: &Server| {
        let host = server.host();
        let answer = send(
            server.port,
            &format!(
                "GET /?token={} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
                server.token
            ),
            b"",
        );
        let set = answer.header("set-cookie").unwrap_or_default().to_string();
        set.split(';').next().unwrap_or_default().to_string()
    };
    let (ca, cb) = (cookie_of(&a), cookie_of(&b));
    assert_ne!(ca.split('=').next(), cb.split('=').next(), "{ca} / {cb}");
    // A browser sends both cookies to both (cookies are per host, not per
    // port): each server finds its own.
    for server in [&a, &b] {
        let host = server.host();
        let answer = send(
            server.port,
            &format!(
                "GET /api/roster HTTP/1.1\r\nHost: {host}\r\nCookie: {ca}; {cb}\r\nConnection: close\r\n\r\n"
            ),
            b"",
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
}

/// A thousand connections that send a request line and nothing more (a
/// stalled client, or anyone on the LAN with `--listen`) do not keep a
/// clerk's request waiting; each is dropped once its head is overdue.
#[test]
fn a_thousand_idle_connections_do_not_hold_up_the_page() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let idle: Vec<std::net::TcpStream> = (0..1000)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    let answer = server.request("GET", "/api/roster", b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    // The idle ones are closed by the server: no answer, the end of the stream.
    for stream in [&idle[0], &idle[999]] {
        let mut stream = stream;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut rest = Vec::new();
        let read = stream.read_to_end(&mut rest);
        assert!(read.is_ok(), "{read:?}");
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    }
}
