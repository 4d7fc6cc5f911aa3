//! `zoufang bench`, the web page's part: `zoufang serve` measured from
//! outside, through HTTP on loopback, as the page uses it — the roster page
//! for the synthetic city, a roster with ten thousand faults, and kits
//! generated from the page against `zoufang kits` on the same roster.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use super::measure::{Measured, ROUNDS, fastest_in_turns, measure, path, peak_of};
use super::served::{Answer, Served};

/// Cadres of the roster page's city (the synthetic city).
const ROSTER_CADRES: usize = 6000;
/// Faults of the roster with a wrong mobile number on every cadre.
const FAULTS: usize = 10_000;
/// Cadres of the roster kits are generated for, from the page and the CLI.
const KITS_CADRES: usize = 1000;

/// A request timed by the wall clock, as the page waits for it.
fn timed(served: &Served, method: &str, url: &str, body: &[u8]) -> (Answer, f64) {
    let start = Instant::now();
    let answer = served.request(method, url, body);
    (answer, start.elapsed().as_secs_f64())
}

/// The server's peak resident memory so far, in MB.
fn peak_mb(served: &Served) -> f64 {
    peak_of(served.child.id()).unwrap_or(0.0)
}

/// An answer the page would show as an error, as the bench's error.
fn expect(answer: &Answer, status: u16, what: &str) -> Result<(), String> {
    if answer.status == status {
        Ok(())
    } else {
        Err(format!("{what}：{} {}", answer.status, answer.text()))
    }
}

/// Uploads the roster `file` to the page's folder: the page's answer with
/// the time it took, against `zoufang check` on the same file.
fn roster_page(exe: &Path, dir: &Path, file: &Path, name: &str) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let folder = dir.join(format!("page-{name}"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
    let served = Served::start(exe, &folder)?;
    let mut answer_json = 0;
    let mut faults = 0;
    let (check, upload) = fastest_in_turns(
        || measure(exe, &["check", path(file)]).map_err(|e| e.to_string()),
        || {
            let (answer, seconds) = timed(&served, "POST", "/api/roster?name=city.xlsx", &bytes);
            expect(&answer, 200, "名单页没有答复")?;
            answer_json = answer.body.len();
            faults = answer.json()["faults"].as_u64().unwrap_or(0);
            Ok(wall(seconds))
        },
    )?;
    // Opening the page again: the roster read back from the folder.
    let mut reopen = f64::MAX;
    for _ in 0..ROUNDS {
        let (answer, seconds) = timed(&served, "GET", "/api/roster", b"");
        expect(&answer, 200, "名单页没有答复")?;
        reopen = reopen.min(seconds);
    }
    eprintln!("page {name}: {:.2} 秒", upload.seconds);
    Ok(format!(
        "| {name} | {faults} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} |",
        upload.seconds,
        reopen,
        check.seconds,
        answer_json as f64 / 1024.0,
        peak_mb(&served)
    ))
}

/// A wall-clock time as a measured run (the server's memory is read apart).
fn wall(seconds: f64) -> Measured {
    Measured {
        seconds,
        peak_mb: 0.0,
        ok: true,
        code: Some(0),
    }
}

/// Kits generated from the page (posted, then progress polled every 50 ms
/// as the page polls it, until done) against `zoufang kits` on the same
/// roster, in turns.
fn kits_from_page(exe: &Path, dir: &Path, roster: &Path) -> Result<(Measured, Measured), String> {
    let folder = dir.join("page-kits");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(roster).map_err(|e| e.to_string())?;
    let served = Served::start(exe, &folder)?;
    expect(
        &served.request("POST", "/api/roster?name=city.xlsx", &bytes),
        200,
        "名单页没有答复",
    )?;
    let out = dir.join("cli-kits");
    fastest_in_turns(
        || {
            let _ = std::fs::remove_dir_all(&out);
            measure(exe, &["kits", path(roster), "-o", path(&out), "-q"]).map_err(|e| e.to_string())
        },
        || {
            let start = Instant::now();
            expect(
                &served.request("POST", "/api/kits", b""),
                202,
                "网页上没有开始生成",
            )?;
            loop {
                let report = served.request("GET", "/api/kits", b"").json();
                match report["state"].as_str() {
                    Some("done") => break,
                    Some("running") => std::thread::sleep(Duration::from_millis(50)),
                    _ => return Err(format!("网页上生成没有成功：{report}")),
                }
                if start.elapsed() > Duration::from_secs(1800) {
                    return Err("网页上生成半小时还没有完成".into());
                }
            }
            let mut m = wall(start.elapsed().as_secs_f64());
            m.peak_mb = peak_mb(&served);
            Ok(m)
        },
    )
}

/// The web page's section of the report.
pub(crate) fn page_section(exe: &Path, dir: &Path, report: &mut String) -> Result<(), String> {
    let _ = writeln!(report, "\n## 网页（zoufang serve）\n");
    let _ = writeln!(
        report,
        "| 名单 | 错误数 | 拖入名单到网页答复（秒） | 打开网页时读名单（秒） | zoufang check（秒） | 答复大小（KB） | 服务程序峰值内存（MB） |"
    );
    let _ = writeln!(report, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let city = dir.join(format!("page-city-{ROSTER_CADRES}.xlsx"));
    super::sample::write_city_roster(&city, ROSTER_CADRES).map_err(|e| e.to_string())?;
    let line = roster_page(exe, dir, &city, &format!("{ROSTER_CADRES} 名干部"))?;
    let _ = writeln!(report, "{line}");
    let faulty = dir.join(format!("page-faults-{FAULTS}.xlsx"));
    super::sample::write_faulty_city_roster(&faulty, FAULTS).map_err(|e| e.to_string())?;
    let line = roster_page(exe, dir, &faulty, &format!("{FAULTS} 名干部，手机号码都错"))?;
    let _ = writeln!(report, "{line}");
    let roster = dir.join(format!("page-kits-{KITS_CADRES}.xlsx"));
    super::sample::write_city_roster(&roster, KITS_CADRES).map_err(|e| e.to_string())?;
    let (cli, page) = kits_from_page(exe, dir, &roster)?;
    eprintln!("page kits: {:.1} / {:.1} 秒", page.seconds, cli.seconds);
    let _ = writeln!(
        report,
        "\n在网页上生成 {KITS_CADRES} 名干部的打印材料（点“生成打印材料”到显示完成，每 50 毫秒问一次进度）{:.1} 秒，\
         zoufang kits 同一份名单 {:.1} 秒（含启动和读名单），之比 {:.2}（目标 ≤ 1）；服务程序峰值内存 {:.0} MB，kits {:.0} MB。\
         网页上的错误表一次最多画 2,000 行（其余用筛选缩小范围；筛选在全部错误里找），\
         一万条错误时页面照常可用（浏览器测试 tests/browser.rs 在真的浏览器里拖入一万条错误的名单、筛选出一条）。",
        page.seconds,
        cli.seconds,
        page.seconds / cli.seconds.max(0.001),
        page.peak_mb,
        cli.peak_mb
    );
    Ok(())
}
