//! The page in a real browser: headless Chromium driven through the
//! DevTools protocol (the headless_chrome crate), used as a clerk uses it —
//! a roster with a fault dropped on the page, then the sample roster, kits
//! generated and a department's zip downloaded, the sample returns
//! imported, a week reported — with what the page shows checked against
//! what the command line says, and screenshots of every step at 1366×768
//! and 1920×1080 in `target/tmp/screenshots/`.
//!
//! Chromium is Debian's `chromium` (or the program named by `CHROMIUM`).
//! Without one these tests say plainly that they skipped; `.ci/run` installs
//! it and sets `ZOUFANG_REQUIRE_BROWSER=1`, which makes a missing browser a
//! failure.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use headless_chrome::protocol::cdp::Browser as Cdp;
use headless_chrome::protocol::cdp::Emulation;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};

/// The window sizes every step is photographed at.
const SIZES: [(u32, u32); 2] = [(1366, 768), (1920, 1080)];

/// The Chromium to drive; `None` (said on the terminal, past the test
/// harness's capture) when this machine has none and none is required.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("ZOUFANG_REQUIRE_BROWSER").is_none(),
            "ZOUFANG_REQUIRE_BROWSER is set but no Chromium was found (apt-get install chromium, or set CHROMIUM)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the browser tests: no Chromium on this machine (install Debian's `chromium` or set CHROMIUM=/path/to/chrome; .ci/run installs it and requires these tests)"
        );
    }
    found
}

/// A headless Chromium, as the tests drive it.
fn launch(chromium: PathBuf) -> Browser {
    let options = LaunchOptions::default_builder()
        .path(Some(chromium))
        .headless(true)
        // CI runs as root, where Chromium's sandbox cannot start.
        .sandbox(false)
        .window_size(Some(SIZES[0]))
        .idle_browser_timeout(Duration::from_secs(600))
        .args(vec![std::ffi::OsStr::new("--lang=zh-CN")])
        .build()
        .expect("launch options");
    Browser::new(options).expect("Chromium starts")
}

/// A headless Chromium with one tab on the server's page.
struct Clerk {
    _browser: Browser,
    tab: Arc<Tab>,
    shots: PathBuf,
    name: &'static str,
}

impl Clerk {
    fn open(chromium: PathBuf, server: &Server, name: &'static str) -> Clerk {
        Clerk::in_browser(launch(chromium), server, name)
    }

    /// Another tab of `browser` (its cookies shared with the other tabs),
    /// on `server`'s page.
    fn in_browser(browser: Browser, server: &Server, name: &'static str) -> Clerk {
        let tab = browser.new_tab().expect("a tab");
        tab.set_default_timeout(Duration::from_secs(60));
        let url = format!("http://127.0.0.1:{}/?token={}", server.port, server.token);
        tab.navigate_to(&url)
            .and_then(|t| t.wait_until_navigated())
            .expect("the page opens");
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Clerk {
            _browser: browser,
            tab,
            shots,
            name,
        }
    }

    /// The value of a JavaScript expression, through JSON.
    fn js(&self, expression: &str) -> serde_json::Value {
        let wrapped = format!("(async () => JSON.stringify(await ({expression})))()");
        let result = self
            .tab
            .evaluate(&wrapped, true)
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
        match result.value {
            Some(serde_json::Value::String(text)) => serde_json::from_str(&text).unwrap(),
            _ => serde_json::Value::Null,
        }
    }

    /// Waits until `condition` holds on the page, at most `limit`.
    fn wait(&self, condition: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.js(&format!("Boolean({condition})")) != serde_json::Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "the page never showed {condition}; its pictures (address, loaded, width): {}; it says: {}",
                self.js("[...document.images].map((i) => [decodeURI(i.src), i.complete, i.naturalWidth])"),
                self.text("main")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What an element shows.
    fn text(&self, selector: &str) -> String {
        let quoted = serde_json::to_string(selector).unwrap();
        self.js(&format!(
            "document.querySelector({quoted})?.innerText ?? ''"
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The cells of a table's body rows, as shown.
    fn rows(&self, selector: &str) -> Vec<Vec<String>> {
        let quoted = serde_json::to_string(selector).unwrap();
        let rows = self.js(&format!(
            "[...document.querySelectorAll({quoted})].map((tr) => [...tr.cells].map((c) => c.innerText.trim()))"
        ));
        serde_json::from_value(rows).unwrap()
    }

    fn click(&self, selector: &str) {
        self.tab
            .wait_for_element(selector)
            .and_then(|e| e.click().map(|_| ()))
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Drops files on a file input, as the file chooser would.
    fn choose(&self, selector: &str, files: &[&Path]) {
        let paths: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
        self.tab
            .wait_for_element(selector)
            .and_then(|e| e.set_input_files(&paths).map(|_| ()))
            .unwrap_or_else(|e| panic!("choose files for {selector}: {e}"));
    }

    fn set_value(&self, id: &str, value: &str) {
        let quoted = serde_json::to_string(value).unwrap();
        self.js(&format!("document.getElementById('{id}').value = {quoted}"));
    }

    /// Photographs the page with `id` scrolled into view, at every size,
    /// once the fonts it needs are in (a character the system's fonts lack,
    /// such as 喆 in a sample name, comes from the embedded fallback face,
    /// loaded when first needed).
    fn shot(&self, step: &str, id: &str) {
        // A tab behind another draws no frames: brought to the front first.
        self.tab
            .bring_to_front()
            .expect("the tab comes to the front");
        for (width, height) in SIZES {
            // The viewport itself at that size (a window of that size
            // would leave less to the page).
            self.tab
                .call_method(Emulation::SetDeviceMetricsOverride {
                    width,
                    height,
                    device_scale_factor: 1.0,
                    mobile: false,
                    scale: None,
                    screen_width: Some(width),
                    screen_height: Some(height),
                    position_x: None,
                    position_y: None,
                    dont_set_visible_size: None,
                    screen_orientation: None,
                    viewport: None,
                    display_feature: None,
                    device_posture: None,
                })
                .expect("viewport size");
            self.js(&format!(
                "new Promise((done) => {{ document.getElementById('{id}').scrollIntoView(); requestAnimationFrame(() => document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(done)))); }})"
            ));
            let png = self
                .tab
                .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
                .expect("a screenshot");
            assert!(png.starts_with(b"\x89PNG"), "not a PNG");
            let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
            assert_eq!((size(16), size(20)), (width, height), "{step}");
            let file = self
                .shots
                .join(format!("{}_{step}_{width}x{height}.png", self.name));
            std::fs::write(file, png).unwrap();
        }
    }

    /// Lets downloads go into `dir`.
    fn download_into(&self, dir: &Path) {
        self.tab
            .call_method(Cdp::SetDownloadBehavior {
                behavior: Cdp::SetDownloadBehaviorBehaviorOption::Allow,
                browser_context_id: None,
                download_path: Some(dir.to_str().unwrap().to_string()),
                events_enabled: None,
            })
            .expect("downloads allowed");
    }
}

/// The one file that finished downloading into `dir`, waited for.
fn downloaded(dir: &Path, limit: Duration) -> PathBuf {
    let deadline = Instant::now() + limit;
    loop {
        let done: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e != "crdownload"))
            .collect();
        if let [one] = done.as_slice() {
            return one.clone();
        }
        assert!(Instant::now() < deadline, "nothing downloaded: {done:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_clerk_runs_the_campaign_in_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("工作");
    std::fs::create_dir(&folder).unwrap();
    let server = start(&folder);
    let clerk = Clerk::open(chromium, &server, "campaign");
    let long = Duration::from_secs(60);

    // 名单: an empty folder says so; the token left the address bar.
    clerk.wait(
        "document.getElementById('status').innerText.includes('还没有名单')",
        long,
    );
    assert_eq!(clerk.js("location.search"), "");
    clerk.shot("1_名单_空文件夹", "status");

    // A roster with ten thousand wrong mobile numbers (one digit short):
    // every fault counted, the first 2,000 drawn, the filter finds one.
    let faulty_dir = dir.path().join("错");
    std::fs::create_dir(&faulty_dir).unwrap();
    let cadres: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("干部{i:05}"), format!("1380{i:06}")))
        .collect();
    let listed: Vec<(&str, &str, f64)> = cadres
        .iter()
        .map(|(name, mobile)| (name.as_str(), mobile.as_str(), 3.0))
        .collect();
    let faulty = small_roster(&faulty_dir, &listed);
    clerk.choose("#file", &[&faulty]);
    clerk.wait(
        "document.querySelectorAll('#problems tbody tr.fault').length > 0",
        long,
    );
    let faults = clerk.rows("#problems tbody tr");
    assert_eq!(faults.len(), 2000);
    let shown = clerk.text("#count");
    let all = clerk.js("problems.length").as_u64().unwrap();
    assert!(all >= 10_000, "{all}");
    assert_eq!(
        shown,
        format!("共 {all} 条，显示 2000 条（其余请用筛选缩小范围）")
    );
    assert!(
        clerk.text("#status").contains("改正后才能打印"),
        "{}",
        clerk.text("#status")
    );
    let typed = Instant::now();
    clerk.set_value("filter", "1380009999");
    clerk.js("document.getElementById('filter').dispatchEvent(new Event('input'))");
    clerk.wait(
        "document.querySelectorAll('#problems tbody tr').length === 1",
        long,
    );
    let _ = writeln!(
        std::io::stderr(),
        "browser: 10,000 faults filtered to one row in {} ms",
        typed.elapsed().as_millis()
    );
    let one = clerk.rows("#problems tbody tr");
    assert_eq!(
        one[0][..5],
        ["错误", "干部", "10001", "D（手机）", "1380009999"],
        "{one:?}"
    );
    assert!(one[0][5].contains("手机号码"), "{one:?}");
    clerk.shot("2_名单_一万条错误筛选", "problems-section");
    clerk.set_value("filter", "");
    clerk.js("document.getElementById('filter').dispatchEvent(new Event('input'))");
    clerk.wait(
        "document.querySelectorAll('#problems tbody tr').length === 2000",
        long,
    );
    clerk.shot("2_名单_一万条错误", "problems-section");

    // The sample roster: its plan, as `zoufang check` prints it.
    // It replaces the faulty one when the clerk says yes to the question.
    clerk.js(
        "(window.asked = [], window.confirm = (m) => { window.asked.push(m); return true; }, 0)",
    );
    let roster = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx");
    clerk.choose("#file", &[&roster]);
    clerk.wait(
        "document.getElementById('status').innerText.includes('可以打印')",
        long,
    );
    let asked = clerk.js("window.asked.join('|')");
    assert!(
        asked.as_str().unwrap().contains("原来的名单会留一份"),
        "{asked}"
    );
    clerk.wait("!document.getElementById('backups-box').hidden", long);

    // Mistakes on 名单: a department's return, a Word file renamed .xlsx.
    // Each is said to be what it is, shown as an error; the roster stays.
    let wrong_return =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市财政局.xlsx");
    clerk.choose("#file", &[&wrong_return]);
    clerk.wait(
        "document.getElementById('status').innerText.includes('请拖到「四、回收」')",
        long,
    );
    assert_eq!(
        clerk.js("document.getElementById('status').className"),
        "bad"
    );
    let word = dir.path().join("周报.xlsx");
    std::fs::write(&word, word_document()).unwrap();
    clerk.choose("#file", &[&word]);
    clerk.wait(
        "document.getElementById('status').innerText.includes('读不出来')",
        long,
    );
    clerk.shot("3_名单_放错了文件", "status");
    assert_eq!(
        std::fs::read(folder.join("名单.xlsx")).unwrap(),
        std::fs::read(&roster).unwrap()
    );
    clerk.choose("#file", &[&roster]);
    clerk.wait(
        "document.getElementById('status').innerText.includes('可以打印')",
        long,
    );
    let check = zoufang(&["check", roster.to_str().unwrap()]);
    let plan = clerk.rows("#plan tbody tr");
    let total = plan.last().expect("a plan");
    assert_eq!(total[0], "合计", "{plan:?}");
    let expected = plan_totals(&check.stdout);
    assert_eq!(
        &total[1..],
        &expected[..total.len() - 1],
        "{}",
        check.stdout
    );
    clerk.shot("3_名单_打印计划", "plan-section");

    // 打印: the forms as they will print, before printing.
    clerk.wait(
        "[...document.querySelectorAll('#previews img')].filter((i) => i.complete && i.naturalWidth > 0).length === 5",
        long,
    );
    let captions =
        clerk.js("[...document.querySelectorAll('#previews figcaption')].map((c) => c.innerText)");
    assert_eq!(
        captions,
        serde_json::json!([
            "附件1 村（社区）调查表",
            "附件2 走访联系卡 正面",
            "附件2 走访联系卡 反面",
            "附件3 群众入户调查表",
            "附件4 问题清单"
        ]),
    );
    clerk.shot("4_打印_表样", "kits-section");

    // 打印: kits with the progress bar, files per department.
    clerk.click("#kits");
    clerk.wait(
        "document.getElementById('kits-status').innerText.includes('已生成')",
        Duration::from_secs(300),
    );
    clerk.shot("5_打印_完成", "kits-files");
    let listed = clerk.js("[...document.querySelectorAll('#kits-files a[target=_blank]')].map((a) => a.getAttribute('href'))");
    let listed = listed.as_array().expect("links");
    let on_disk = walk(&folder.join("打印材料"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf" || e == "xlsx"))
        .count();
    assert_eq!(listed.len(), on_disk, "{listed:?}");
    // Each PDF opens in the browser.
    let first_pdf = listed
        .iter()
        .filter_map(|h| h.as_str())
        .find(|h| h.ends_with(".pdf"))
        .expect("a PDF listed");
    let kind = clerk.js(&format!(
        "fetch({}).then((r) => r.status + ' ' + r.headers.get('content-type'))",
        serde_json::to_string(first_pdf).unwrap()
    ));
    assert_eq!(kind, "200 application/pdf");
    // A department's folder, downloaded as one zip, holds its kits: the
    // text of a cadre's PDF in it is the text of the file on disk.
    let downloads = dir.path().join("下载");
    std::fs::create_dir(&downloads).unwrap();
    clerk.download_into(&downloads);
    clerk.click("#kits-files summary a[href^='/api/zip']");
    let zip_path = downloaded(&downloads, long);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).expect("a zip");
    let department = zip_path.file_stem().unwrap().to_string_lossy().into_owned();
    let pdf_name = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .find(|n| n.ends_with(".pdf") && !n.contains("联系卡") && !n.contains("村（社区）调查表"))
        .expect("a cadre's kit in the zip");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&pdf_name).unwrap(), &mut bytes).unwrap();
    let unpacked = dir.path().join("kit.pdf");
    std::fs::write(&unpacked, &bytes).unwrap();
    let words = pdf_words(&unpacked);
    assert!(words.contains("群众入户调查表"), "{words}");
    assert!(
        words.contains(&department) || words.contains(department.split('_').next().unwrap()),
        "{department}: {words}"
    );
    let on_disk = walk(&folder.join("打印材料"))
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| pdf_name.ends_with(&*n.to_string_lossy()))
        })
        .expect("the same file in 打印材料");
    assert_eq!(pdf_words(&on_disk), words);

    // 扫描件: the copier's PDF of five household forms (handed back
    // blank) and a photo of something else; the counts per department as
    // `zoufang scan` counts them, the photo shown as an unreadable page.
    let scans = dir.path().join("扫描");
    std::fs::create_dir(&scans).unwrap();
    let stack = scans.join("复印机扫描.pdf");
    std::fs::write(
        &stack,
        zoufang::dev::bench_scan::scanned_forms(&roster, 5).unwrap(),
    )
    .unwrap();
    let photo = scans.join("照片.jpg");
    let stripes: Vec<u8> = (0..600 * 800)
        .map(|i| if (i / 600 / 20) % 2 == 0 { 40 } else { 230 })
        .collect();
    image::save_buffer(&photo, &stripes, 600, 800, image::ExtendedColorType::L8).unwrap();
    // A scan dropped on 名单 by mistake: said where it belongs, nothing stored.
    clerk.choose("#file", &[&stack]);
    clerk.wait(
        "document.getElementById('status').innerText.includes('请拖到「三、扫描件」')",
        long,
    );
    // A received date typed wrong (a year to come): the files are kept,
    // the reading refused with a sentence shown as an error, nothing noted.
    clerk.set_value("scan-received", "2099-03-20");
    clerk.choose("#scans-file", &[&stack, &photo]);
    clerk.wait(
        "document.getElementById('scan-status').className === 'bad' && document.getElementById('scan-status').innerText.includes('晚于今天')",
        long,
    );
    assert_eq!(walk(&folder.join("扫描件")).len(), 2);
    assert!(!folder.join("扫描结果/交回情况.xlsx").exists());
    // Mended, and read again without dropping the files again.
    clerk.set_value("scan-received", "2017-03-20");
    clerk.click("#scan-read");
    clerk.wait(
        "!document.getElementById('scan-found').hidden && [...document.querySelectorAll('#scan-unreadable img')].some((i) => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(120),
    );
    let status = clerk.text("#scan-status");
    assert!(
        status.contains("读了 2 个文件、6 页（收到日期 2017-03-20）：认出 5 页，空白页 0 页，认不出 1 页。入户调查表交回 5 张：已填 0 张，空白 5 张"),
        "{status}"
    );
    let counted = clerk.rows("#scan-departments tbody tr");
    let total = counted.last().unwrap();
    assert_eq!(total[0], "合计");
    assert_eq!(total[2..4], ["0", "5"], "{counted:?}");
    assert!(
        clerk
            .text("#scan-unreadable")
            .contains("「照片.jpg」第 1 页"),
        "{}",
        clerk.text("#scan-unreadable")
    );
    assert!(folder.join("扫描结果/交回情况.xlsx").is_file());
    clerk.shot("6_扫描件", "scan-section");
    // A reload keeps what was found; a file set aside (moved, not deleted)
    // leaves the rest read again.
    clerk.js("(location.reload(), 0)");
    std::thread::sleep(Duration::from_millis(500));
    clerk.wait("!document.getElementById('scan-found').hidden", long);
    assert_eq!(clerk.text("#scan-status"), status);
    clerk.js(
        "(window.asked = [], window.confirm = (m) => { window.asked.push(m); return true; }, 0)",
    );
    clerk.click("#scan-files-box summary");
    clerk.click("#scan-files tbody tr:last-child button");
    clerk.wait(
        "document.getElementById('scan-status').innerText.includes('读了 1 个文件、5 页')",
        Duration::from_secs(120),
    );
    assert!(folder.join("扫描件_不用的/照片.jpg").is_file());

    // 回收: first a mistake — one return received on a wrong day (03-10):
    // its later visits are refused, said once per reason; it is withdrawn
    // from the ledger's table, and the file imported again below.
    let education =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市教育局.xlsx");
    clerk.set_value("received", "2017-03-10");
    clerk.choose("#returns-file", &[&education]);
    clerk.wait(
        "document.querySelectorAll('#ledger-table tbody tr').length === 1",
        long,
    );
    let refused = clerk.rows("#imports table tr.fault");
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(refused[0][2], "共 42 行：7、8、9、10、11等", "{refused:?}");
    assert_eq!(refused[0][3], "P（走访日期）", "{refused:?}");
    let ledger = clerk.rows("#ledger-table tbody tr");
    assert_eq!(
        ledger[0][..8],
        ["1", "2017-03-10", "市教育局", "25", "6", "31", "0", "53"],
        "{ledger:?}"
    );
    clerk.shot("6_回收_收到日期填错", "returns-section");
    clerk.click("#ledger-table tbody button");
    clerk.wait(
        "document.querySelector('#ledger-table tbody td.withdrawn') !== null",
        long,
    );
    assert!(
        clerk
            .js("window.asked.join('|')")
            .as_str()
            .unwrap()
            .contains("撤回第 1 次导入"),
    );
    // The roster dropped on 回收 by mistake: an error, nothing stored.
    clerk.choose("#returns-file", &[&roster]);
    clerk.wait(
        "[...document.querySelectorAll('#imports p.bad')].some((p) => p.innerText.includes('请拖到「一、名单」'))",
        long,
    );
    assert!(!folder.join("回收/roster.xlsx").exists());

    // 回收: the sample returns, both at once, received on 2017-03-26 (the Sunday of the last visits).
    clerk.set_value("received", "2017-03-26");
    let returns: Vec<PathBuf> = ["录入表_市财政局.xlsx", "录入表_市教育局.xlsx"]
        .iter()
        .map(|n| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples/returns")
                .join(n)
        })
        .collect();
    let chosen: Vec<&Path> = returns.iter().map(PathBuf::as_path).collect();
    clerk.choose("#returns-file", &chosen);
    clerk.wait(
        "document.querySelectorAll('#imports h3').length === 3",
        long,
    );
    clerk.wait(
        "document.querySelectorAll('#ledger-table tbody tr').length === 3",
        long,
    );
    let cli = summary_json(
        dir.path(),
        &[returns[0].to_str().unwrap(), "--received", "2017-03-26"],
    );
    let imports = clerk.text("#imports");
    let counted = cli["account"]["households"]["counted"].as_u64().unwrap();
    assert!(
        imports.contains("录入表_市财政局.xlsx（收到 2017-03-26）")
            && imports.contains(&format!(
                "入户调查 读入 {} 行：计入 {counted}",
                cli["account"]["households"]["read"]
            )),
        "{imports}"
    );
    clerk.shot("6_回收", "returns-section");

    // 汇总: the week of 2017-03-22 (20 to 26 March) from the ledger, as summary reports it.
    clerk.set_value("week", "2017-03-22");
    clerk.click("#report");
    clerk.wait(
        "!document.getElementById('report-body').hidden",
        Duration::from_secs(120),
    );
    let weekly = clerk.rows("#weekly tbody tr");
    let cli = summary_json(
        dir.path(),
        &[
            "--ledger",
            folder.join("台账.sqlite").to_str().unwrap(),
            "--roster",
            folder.join("名单.xlsx").to_str().unwrap(),
            "--week",
            "2017-03-22",
        ],
    );
    let expected: Vec<Vec<String>> = cli["weekly"]
        .as_array()
        .expect("weekly")
        .iter()
        .map(|w| {
            let mut row = vec![w["department"].as_str().unwrap().to_string()];
            for k in ["cadres", "households", "problems", "solved"] {
                row.push(w[k].to_string());
            }
            for k in ["cadres", "households", "problems", "solved"] {
                row.push(w["cumulative"][k].to_string());
            }
            row
        })
        .collect();
    // The brief's table: the departments that reported, as the CLI counts
    // them; the roster's others as zeros; then 合计.
    for row in &expected {
        assert!(weekly.contains(row), "{row:?} not in {weekly:?}");
    }
    assert_eq!(weekly.len(), 5, "{weekly:?}");
    let total = weekly.last().unwrap();
    assert_eq!(total[0], "合计");
    for column in 1..9 {
        let sum: u64 = weekly[..4]
            .iter()
            .map(|r| r[column].parse::<u64>().unwrap())
            .sum();
        assert_eq!(total[column], sum.to_string(), "{weekly:?}");
    }
    assert!(weekly.iter().any(|r| r[2] != "0"), "{weekly:?}");
    assert!(
        weekly.iter().any(|r| r[1..].iter().all(|n| n == "0")),
        "{weekly:?}"
    );
    // The annex 5 of each village and community, per route, as zips.
    let routes = clerk.js("[...document.querySelectorAll('#downloads a[href^=\"/api/zip?report=\"]')].map((a) => a.innerText)");
    assert_eq!(routes.as_array().map(Vec::len), Some(2), "{routes}");
    // The brief's four charts, drawn.
    clerk.wait(
        "[...document.querySelectorAll('#charts img')].filter((i) => i.complete && i.naturalWidth > 0).length === 4",
        long,
    );
    assert!(clerk.text("#completeness").contains("交表情况"));
    clerk.shot("7_汇总_表", "report-section");
    clerk.shot("8_汇总_图表", "charts");

    // A reload in the middle: the ledger, the week and its report are still there.
    clerk.js("(setTimeout(() => location.reload(), 0), 0)");
    clerk.wait(
        "document.querySelectorAll('#ledger-table tbody tr').length === 3 && !document.getElementById('report-body').hidden && document.querySelectorAll('#weekly tbody tr').length > 0",
        long,
    );
    assert_eq!(clerk.rows("#weekly tbody tr"), weekly);
    assert_eq!(
        clerk.js("document.getElementById('week').value"),
        "2017-03-22"
    );
    let ledger = clerk.rows("#ledger-table tbody tr");
    assert!(ledger[2][9].ends_with("撤回"), "{ledger:?}");
    clerk.shot("9_刷新以后", "returns-section");
}

/// Two campaigns (two working folders, two copies of zoufang) open in two
/// tabs of one browser: each tab keeps working on its own folder after the
/// other has signed in (browsers keep cookies per host, not per port), a
/// reload included; what one tab does is not seen in the other.
#[test]
fn two_campaigns_in_two_tabs_of_one_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("甲区"), dir.path().join("乙区"));
    for folder in [&one, &two] {
        std::fs::create_dir(folder).unwrap();
    }
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx"),
        one.join("名单.xlsx"),
    )
    .unwrap();
    let (a, b) = (start(&one), start(&two));
    let browser = launch(chromium);
    let first = Clerk::in_browser(browser.clone(), &a, "tab_one");
    let second = Clerk::in_browser(browser, &b, "tab_two");
    let long = Duration::from_secs(60);
    second.wait(
        "document.getElementById('status').innerText.includes('还没有名单')",
        long,
    );
    // The first tab, after the second signed in: reloaded, still its own.
    first.js("(location.reload(), 0)");
    std::thread::sleep(Duration::from_millis(500));
    first.wait(
        "document.getElementById('status').innerText.includes('可以打印')",
        long,
    );
    let roster = first.js("fetch('/api/roster').then((r) => r.status)");
    assert_eq!(roster, 200);
    // The second makes a blank roster in its folder; the first's is untouched.
    second.click("#init");
    second.wait("document.getElementById('init').hidden", long);
    assert!(two.join("名单.xlsx").is_file());
    let names = |clerk: &Clerk| {
        clerk.js("fetch('/api/roster').then((r) => r.json()).then((j) => j.departments.map((d) => d.name))")
    };
    let (mine, theirs) = (names(&first), names(&second));
    // Each tab says whose folder it shows.
    assert_eq!(first.js("document.title"), "走访 · 甲区");
    assert_eq!(second.js("document.title"), "走访 · 乙区");
    assert_eq!(first.text("#where"), "工作文件夹「甲区」");
    assert!(mine.to_string().contains("市财政局"), "{mine}");
    assert_eq!(mine.as_array().map(Vec::len), Some(4), "{mine}");
    assert!(!theirs.to_string().contains("市财政局"), "{theirs}");
    first.shot("7_两个文件夹_甲", "roster-section");
    second.shot("7_两个文件夹_乙", "roster-section");
}

/// A city's roster (6,000 cadres, 100 departments, 1,200 villages and
/// communities) printed from the page: the progress counts the files the
/// result lists and the folder holds; each department is one folded line,
/// so that the city's seven thousand files do not bury the next steps,
/// which stay one click away; a department's print-shop zip holds its
/// PDFs and nothing else. One household form per cadre keeps the pages,
/// not the files, small enough for the tests.
#[test]
fn a_city_roster_is_printed_from_the_page() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("全市");
    std::fs::create_dir(&folder).unwrap();
    zoufang::dev::sample::write_city_roster_with_quota(&folder.join("名单.xlsx"), 6000, 1).unwrap();
    let server = start(&folder);
    let clerk = Clerk::open(chromium, &server, "city");
    clerk.wait(
        "document.getElementById('status').innerText.includes('可以打印')",
        Duration::from_secs(180),
    );
    let plan = clerk.rows("#plan tbody tr");
    assert_eq!(plan.len(), 101, "100 departments and 合计");
    assert_eq!(plan[100][2], "6000", "{:?}", plan[100]);
    clerk.click("#kits");
    clerk.wait(
        "document.getElementById('kits-status').innerText.includes('正在生成')",
        Duration::from_secs(60),
    );
    let during = clerk.text("#kits-status");
    clerk.wait(
        "document.getElementById('kits-status').innerText.includes('已生成')",
        Duration::from_secs(1200),
    );
    let done = clerk.text("#kits-status");
    let number_after = |text: &str, mark: &str| -> usize {
        let rest = &text[text
            .find(mark)
            .unwrap_or_else(|| panic!("{mark} in {text}"))
            + mark.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("a number after {mark} in {text}"))
    };
    let files = walk(&folder.join("打印材料"));
    let count = |ext: &str| {
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .count()
    };
    let (pdfs, books) = (count("pdf"), count("xlsx"));
    // Progress, result and folder count the same files.
    assert_eq!(number_after(&during, "/"), pdfs, "{during}");
    assert_eq!(number_after(&done, "已生成"), pdfs, "{done}");
    assert_eq!(number_after(&done, "另有"), books, "{done}");
    assert_eq!(books, 100);
    assert!(pdfs > 7000, "{pdfs}");
    // One folded line per department.
    let folded =
        clerk.js("[...document.querySelectorAll('#kits-files details')].map((d) => d.open)");
    let folded = folded.as_array().unwrap();
    assert_eq!(folded.len(), 100, "{}", folded.len());
    assert!(folded.iter().all(|open| open == false));
    // The next steps, one click away.
    clerk.click("nav#steps a[href='#returns-section']");
    clerk.wait(
        "((r) => r.top >= 0 && r.top < innerHeight / 2)(document.getElementById('returns-section').getBoundingClientRect())",
        Duration::from_secs(10),
    );
    clerk.shot("8_全市_打印完成", "kits-status");
    // A department's zip for the print shop: its PDFs, nothing else.
    let first = clerk.js("document.querySelector('#kits-files a.zip').getAttribute('href')");
    let first = first.as_str().expect("a department's zip");
    let department = clerk.js(&format!(
        "decodeURIComponent({}.split('=')[1])",
        serde_json::to_string(first).unwrap()
    ));
    let department = department.as_str().unwrap().to_string();
    let zip = server.request("GET", first, b"");
    assert_eq!(zip.status, 200);
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).expect("a zip");
    let theirs = walk(&folder.join("打印材料").join(&department))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .count();
    assert_eq!(archive.len(), theirs, "{department}");
    assert!(
        archive
            .file_names()
            .all(|n| n.is_ok_and(|n| n.ends_with(".pdf")))
    );
    // Nothing left behind by the zip.
    assert!(std::fs::read_dir(&folder).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".打包中")
    }),);
}

/// A Word document (a zip with `word/document.xml`), as `.docx` files are.
fn word_document() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, body) in [
            ("[Content_Types].xml", &b"<Types/>"[..]),
            ("word/document.xml", b"<w:document/>"),
        ] {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, body).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
