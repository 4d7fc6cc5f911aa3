//! `zoufang bench`: the speed and memory of `kits` and `summary` on synthetic
//! cities, measured on this machine in one run, written as a Markdown report.
//! Each measured command runs as a child process; its peak memory is the
//! kernel's high-water mark (`VmHWM`), polled until it exits.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::measure::{
    Measured, ROUNDS, fastest, fastest_in_turns, measure, measure_command, path, quiet, which,
};

/// Pages and bytes of the PDFs listed in a kits manifest.
fn kit_output(out: &Path) -> (u64, u64) {
    let Ok(text) = std::fs::read_to_string(out.join(crate::print::manifest::MANIFEST)) else {
        return (0, 0);
    };
    let mut reader =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut pages = 0;
    let mut bytes = 0;
    for record in reader.records().flatten() {
        pages += record
            .get(2)
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        bytes += std::fs::metadata(out.join(record.get(0).unwrap_or("")))
            .map(|m| m.len())
            .unwrap_or(0);
    }
    (pages, bytes)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "未知".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1_048_576.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}，{cores} 核，内存 {memory}")
}

/// Runs the benchmark in `dir` for the given city sizes (cadres) and returns
/// the Markdown report.
pub(crate) fn run(
    dir: &Path,
    sizes: &[usize],
    summary_sizes: &[usize],
    (only_page, only_scan): (bool, bool),
) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut report = String::new();
    let _ = writeln!(report, "# 性能测试（zoufang bench）\n");
    let _ = writeln!(report, "机器：{}\n", machine());
    if only_page {
        crate::dev::bench_page::page_section(&exe, dir, &mut report)?;
        return Ok(report);
    }
    if only_scan {
        crate::dev::bench_scan::scan_section(&exe, dir, &mut report)?;
        return Ok(report);
    }
    let _ = writeln!(report, "## kits（生成全部打印材料）\n");
    let _ = writeln!(
        report,
        "| 干部人数 | 页数 | 用时（秒） | 页/秒 | 峰值内存（MB） | 平均每页（KB） |"
    );
    let _ = writeln!(report, "| ---: | ---: | ---: | ---: | ---: | ---: |");
    for &n in sizes {
        let roster = dir.join(format!("city-{n}.xlsx"));
        crate::dev::sample::write_city_roster(&roster, n).map_err(|e| e.to_string())?;
        let out = dir.join(format!("kits-{n}"));
        let _ = std::fs::remove_dir_all(&out);
        let m = measure(&exe, &["kits", path(&roster), "-o", path(&out), "-q"])
            .map_err(|e| e.to_string())?;
        let (pages, bytes) = kit_output(&out);
        eprintln!(
            "kits {n}: {pages} 页，{:.1} 秒，{:.0} MB",
            m.seconds, m.peak_mb
        );
        let _ = writeln!(
            report,
            "| {n} | {} | {:.1} |{}",
            run_cells(pages, &m),
            bytes as f64 / 1024.0 / pages.max(1) as f64,
            failed(&m)
        );
        let _ = std::fs::remove_dir_all(&out);
    }
    let _ = writeln!(report, "\n## summary（汇总交回的录入表）\n");
    let _ = writeln!(
        report,
        "| 入户调查行数 | 问题行数 | 用时（秒） | 行/秒 | 峰值内存（MB） | 只用 calamine 读同样文件（秒） | 倍数 |"
    );
    let _ = writeln!(report, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &cadres in summary_sizes {
        let roster = dir.join(format!("returns-city-{cadres}.xlsx"));
        crate::dev::sample::write_city_roster(&roster, cadres).map_err(|e| e.to_string())?;
        let input = crate::input::read_input(&roster);
        let checked =
            crate::check::roster::build(&input.sheets, &crate::settings::Settings::default(), "");
        let returns_dir = dir.join(format!("returns-{cadres}"));
        let files = crate::dev::sample::write_demo_returns(&checked.roster, &returns_dir, true)
            .map_err(|e| e.to_string())?;
        let file = files.first().cloned().unwrap_or_default();
        let out = dir.join(format!("summary-{cadres}"));
        let (calamine, m) = fastest_in_turns(
            || time_calamine(&exe, &file),
            || {
                measure(&exe, &["summary", path(&file), "-o", path(&out), "-q"])
                    .map_err(|e| e.to_string())
            },
        )?;
        let raw = calamine.seconds;
        let input = crate::input::read_input(&file);
        let mut returns = crate::summary::returns::Returns::default();
        crate::summary::returns::read_returns(&input.sheets, "", &mut returns);
        let (h, p) = (returns.households.read, returns.problem_rows.read);
        eprintln!("summary {h} + {p} 行：{:.1} 秒", m.seconds);
        let _ = writeln!(
            report,
            "| {h} | {p} | {:.1} | {:.0} | {:.0} | {:.1} | {:.2} |",
            m.seconds,
            (h + p) as f64 / m.seconds,
            m.peak_mb,
            raw,
            m.seconds / raw.max(0.001)
        );
    }
    if let Some(&cadres) = summary_sizes.last() {
        ledger_section(&exe, dir, cadres, &mut report)?;
    }
    crate::dev::bench_page::page_section(&exe, dir, &mut report)?;
    crate::dev::bench_scan::scan_section(&exe, dir, &mut report)?;
    let _ = writeln!(report, "\n## 与 Typst 命令行对照\n");
    match which("typst") {
        Some(typst) => compare_with_typst_cli(&exe, &typst, dir, &mut report)?,
        None => {
            let _ = writeln!(
                report,
                "本机 PATH 中没有 `typst` 可执行文件，没有测。装好 Typst 0.15 命令行后再运行 `zoufang bench` 即可。"
            );
        }
    }
    let _ = writeln!(
        report,
        "\n说明：每项都是在同一次运行中、同一台机器上测得；`kits` 的页数含联系卡、附件1、附件3、附件4，\
         文件数含每个单位的录入表。要相比的两项（summary 与只用 calamine 读取、Typst 命令行与 zoufang kits）\
         交替运行 {ROUNDS} 次，各取最快的一次：这台机器的速度时快时慢，相隔几分钟的两次单独运行之比不可靠。\
         “只用 calamine 读”在单独的进程里读出文件的全部工作表，用系统自带的内存分配器（和一个只用 calamine 的程序一样），\
         不用 zoufang 的 mimalloc。"
    );
    Ok(report)
}

/// The ledger on the largest summary's returns (written by `run` before):
/// importing them into a new ledger, importing the same bytes again, and a
/// report from the ledger alone, each against calamine's bare read; the
/// ledger's size against the files'.
fn ledger_section(
    exe: &Path,
    dir: &Path,
    cadres: usize,
    report: &mut String,
) -> Result<(), String> {
    let returns_dir = dir.join(format!("returns-{cadres}"));
    let file = std::fs::read_dir(&returns_dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .ok_or("没有录入表")?;
    let ledger = dir.join(format!("ledger-{cadres}.sqlite"));
    let out = dir.join(format!("ledger-out-{cadres}"));
    let clear = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", ledger.display()));
        }
    };
    let summary = |extra: &[&str]| -> Result<Measured, String> {
        let mut args = vec!["summary", "--ledger", path(&ledger), "-o", path(&out), "-q"];
        args.extend_from_slice(extra);
        measure(exe, &args).map_err(|e| e.to_string())
    };
    let (calamine, first) = fastest_in_turns(
        || time_calamine(exe, &file),
        || {
            clear();
            summary(&[path(&file), "--received", "2017-04-01"])
        },
    )?;
    let again = summary(&[path(&file), "--received", "2017-04-02"])?;
    let only = fastest(|| summary(&["--week", "2017-03-08", "--as-of", "2017-04-02"]))?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64;
    let (ledger_mb, file_mb) = (size(&ledger) / 1_048_576.0, size(&file) / 1_048_576.0);
    let raw = calamine.seconds.max(0.001);
    let _ = writeln!(report, "\n## 台账（summary --ledger）\n");
    let _ = writeln!(
        report,
        "| 做什么 | 用时（秒） | 峰值内存（MB） | 与只用 calamine 读（{:.1} 秒）之比 |",
        calamine.seconds
    );
    let _ = writeln!(report, "| --- | ---: | ---: | ---: |");
    for (what, m) in [
        ("导入新台账并汇总", &first),
        ("同一文件再导入（内容相同）并汇总", &again),
        ("只从台账汇总（不导入）", &only),
    ] {
        let _ = writeln!(
            report,
            "| {what} | {:.1} | {:.0} | {:.2} |{}",
            m.seconds,
            m.peak_mb,
            m.seconds / raw,
            failed(m)
        );
    }
    let _ = writeln!(
        report,
        "\n导入本身约 {:.1} 秒（{:.2} 倍）；再导入本身约 {:.1} 秒（{:.2} 倍）（各减去只汇总的用时）。台账文件 {ledger_mb:.1} MB，录入表 {file_mb:.1} MB（{:.2} 倍）。\
         只从台账汇总（一周的周报，目标 ≤ 2 秒）运行 {ROUNDS} 次，取最快的一次：{:.2} 秒。",
        (first.seconds - only.seconds).max(0.0),
        (first.seconds - only.seconds).max(0.0) / raw,
        (again.seconds - only.seconds).max(0.0),
        (again.seconds - only.seconds).max(0.0) / raw,
        ledger_mb / file_mb.max(0.001),
        only.seconds
    );
    eprintln!(
        "ledger {cadres}: {:.1} / {:.1} / {:.1} 秒",
        first.seconds, again.seconds, only.seconds
    );
    // The weekly brief: made by a report with a period, not by one without.
    let roster = dir.join(format!("returns-city-{cadres}.xlsx"));
    let report_from = |week: bool| {
        let mut args = vec!["--as-of", "2017-04-02", "--roster", path(&roster)];
        if week {
            args.extend(["--week", "2017-03-08"]);
        }
        summary(&args)
    };
    let (with, without) = fastest_in_turns(|| report_from(true), || report_from(false))?;
    let _ = writeln!(report, "\n## 走访情况周报\n");
    let _ = writeln!(
        report,
        "从台账汇总（带名单）：有统计期（出周报和 4 张 SVG 图表）{:.1} 秒、{:.0} MB，没有统计期（不出周报）{:.1} 秒、{:.0} MB：\
         周报多用 {:.2} 秒（目标 ≤ 2 秒）。{}",
        with.seconds,
        with.peak_mb,
        without.seconds,
        without.peak_mb,
        (with.seconds - without.seconds).max(0.0),
        failed(&with)
    );
    eprintln!(
        "brief {cadres}: {:.1} / {:.1} 秒",
        with.seconds, without.seconds
    );
    // The 台账 view, withdrawing the city's import, and the report after it
    // (the ledger is not used after this).
    let ledger_cli = |action: &[&str]| -> Result<Measured, String> {
        let mut args = vec!["ledger"];
        args.extend_from_slice(action);
        args.extend(["--ledger", path(&ledger)]);
        measure(exe, &args).map_err(|e| e.to_string())
    };
    let listed = fastest(|| ledger_cli(&["list"]))?;
    let withdrawn = ledger_cli(&["withdraw", "1"])?;
    let after = summary(&["--week", "2017-03-08"])?;
    let _ = writeln!(report, "\n## 台账的查看和撤回（zoufang ledger）\n");
    let _ = writeln!(report, "| 做什么 | 用时（秒） | 峰值内存（MB） | 目标 |");
    let _ = writeln!(report, "| --- | ---: | ---: | --- |");
    for (what, m, target) in [
        ("列出台账里的导入（list）", &listed, "≤ 1 秒"),
        ("撤回全市的那次导入（withdraw）", &withdrawn, "≤ 2 秒"),
        (
            "撤回以后从台账汇总（一周）",
            &after,
            "不超过撤回前只从台账汇总的用时",
        ),
    ] {
        let _ = writeln!(
            report,
            "| {what} | {:.2} | {:.0} | {target} |{}",
            m.seconds,
            m.peak_mb,
            failed(m)
        );
    }
    eprintln!(
        "ledger view {cadres}: list {:.2} / withdraw {:.2} / report after {:.2} 秒",
        listed.seconds, withdrawn.seconds, after.seconds
    );
    Ok(())
}

/// Pages, seconds, pages per second and peak memory of a run, as table cells.
fn run_cells(pages: u64, m: &Measured) -> String {
    format!(
        "{pages} | {:.1} | {:.0} | {:.0}",
        m.seconds,
        pages as f64 / m.seconds,
        m.peak_mb
    )
}

/// What a table row says of a run that failed.
fn failed(m: &Measured) -> &'static str {
    if m.ok { "" } else { " 运行失败" }
}

/// Cadres of the roster the Typst CLI is compared on: the issue's peer
/// workload is 200 kits in one document.
const CLI_CADRES: usize = 200;

/// Every kit of a roster as one document, laid out natively (no stamps),
/// from `/kits.json`: the way the Typst CLI alone would make them.
const CLI_MAIN: &str = r#"// zoufang bench: every kit of a roster in one document (see bench.rs).
#import "style.typ": setup
#import "card.typ": card-sheets, expand
#import "annex3.typ": annex3
#import "annex4.typ": annex4

#let kits = json("/kits.json")
#show: setup.with(title: "走访材料")
#for (k, d) in kits.enumerate() {
  if k > 0 { pagebreak() }
  card-sheets(expand(d.cards), d.campaign, d.hotline)
  for (i, serial) in d.forms.enumerate() {
    if i > 0 { pagebreak() }
    annex3(d, serial)
  }
  for p in range(d.problem_pages) {
    pagebreak()
    annex4(d, p)
  }
}
"#;

/// Renders the kits of a 200-cadre city through the Typst CLI as one
/// document and through `zoufang kits`, in the same run, and reports both.
fn compare_with_typst_cli(
    exe: &Path,
    typst: &Path,
    dir: &Path,
    report: &mut String,
) -> Result<(), String> {
    let roster = dir.join(format!("city-{CLI_CADRES}.xlsx"));
    crate::dev::sample::write_city_roster(&roster, CLI_CADRES).map_err(|e| e.to_string())?;
    let input = crate::input::read_input(&roster);
    let settings = crate::settings::Settings::default();
    let checked = crate::check::roster::build(&input.sheets, &settings, "");
    let (plan, _) = crate::print::plan::plan(&checked.roster, &settings);
    // A Typst project: the built-in templates, the fonts, the QR codes and the kits' data.
    let project = dir.join("typst-cli");
    let _ = std::fs::remove_dir_all(&project);
    let write = |rel: &str, bytes: &[u8]| -> Result<(), String> {
        let path = project.join(rel.trim_start_matches('/'));
        crate::shared::atomic::write_atomic(&path, bytes)
            .map_err(|e| format!("{}：{e}", path.display()))
    };
    for (name, text) in crate::typeset::templates::BUILTIN_TEMPLATES {
        write(name, text.as_bytes())?;
    }
    for (name, bytes) in crate::typeset::EMBEDDED_FONTS {
        write(&format!("fonts/{name}"), bytes)?;
    }
    let mut kits = Vec::new();
    let mut pages = 0u64;
    for doc in plan
        .documents
        .iter()
        .filter(|d| d.template() == crate::typeset::Template::Kit)
    {
        let job = plan.payload(doc, &checked.roster, &settings);
        let data: serde_json::Value =
            serde_json::from_slice(job.data.as_slice()).map_err(|e| e.to_string())?;
        kits.push(data);
        pages += doc.pages as u64;
        for (path, bytes) in &job.files {
            write(path, bytes.as_slice())?;
        }
    }
    write(
        "kits.json",
        &serde_json::to_vec(&kits).map_err(|e| e.to_string())?,
    )?;
    write("bench.typ", CLI_MAIN.as_bytes())?;
    let fonts = project.join("fonts");
    let main = project.join("bench.typ");
    let pdf = project.join("kits.pdf");
    let out = dir.join(format!("kits-{CLI_CADRES}-cli"));
    let (cli, ours) = fastest_in_turns(
        || {
            measure(
                typst,
                &[
                    "compile",
                    "--root",
                    path(&project),
                    "--font-path",
                    path(&fonts),
                    "--ignore-system-fonts",
                    path(&main),
                    path(&pdf),
                ],
            )
            .map_err(|e| e.to_string())
        },
        || {
            let _ = std::fs::remove_dir_all(&out);
            measure(exe, &["kits", path(&roster), "-o", path(&out), "-q"])
                .map_err(|e| e.to_string())
        },
    )?;
    let (our_pages, _) = kit_output(&out);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&project);
    let version = Command::new(typst)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cli_rate = pages as f64 / cli.seconds;
    let our_rate = our_pages as f64 / ours.seconds;
    eprintln!(
        "typst 命令行：{pages} 页，{:.1} 秒；zoufang：{our_pages} 页，{:.1} 秒",
        cli.seconds, ours.seconds
    );
    let _ = writeln!(
        report,
        "| 方式 | 页数 | 用时（秒） | 页/秒 | 峰值内存（MB） |"
    );
    let _ = writeln!(report, "| --- | ---: | ---: | ---: | ---: |");
    let mut row = |route: &str, pages: u64, m: &Measured| {
        let _ = writeln!(report, "| {route} | {} |{}", run_cells(pages, m), failed(m));
    };
    row(
        &format!("{version}：{CLI_CADRES} 名干部的走访材料排成一个文件"),
        pages,
        &cli,
    );
    row(
        "zoufang kits：同一份名单（另含附件1、单位联系卡）",
        our_pages,
        &ours,
    );
    let _ = writeln!(
        report,
        "\nzoufang 每秒排的页数是 Typst 命令行的 {:.1} 倍，峰值内存是它的 {:.2} 倍。",
        our_rate / cli_rate.max(0.001),
        ours.peak_mb / cli.peak_mb.max(0.001)
    );
    Ok(())
}

/// Times calamine alone reading every sheet of `file`: `zoufang
/// read-with-calamine` in a child process with the system's allocator, as a
/// plain program using calamine would run (see main.rs).
fn time_calamine(exe: &Path, file: &Path) -> Result<Measured, String> {
    let mut command = quiet(exe, &["read-with-calamine", path(file)]);
    command.env("ZOUFANG_SYSTEM_ALLOCATOR", "1");
    let m = measure_command(&mut command, None).map_err(|e| e.to_string())?;
    if !m.ok {
        return Err(format!("calamine 读不了 {}", file.display()));
    }
    Ok(m)
}

/// Reads every sheet of each file with calamine and nothing else; false if
/// a file or sheet could not be read.
pub(crate) fn read_with_calamine(files: &[PathBuf]) -> bool {
    use calamine::Reader;
    let mut ok = true;
    for file in files {
        match calamine::open_workbook_auto(file) {
            Ok(mut workbook) => {
                for name in workbook.sheet_names() {
                    ok &= workbook.worksheet_range(&name).is_ok();
                }
            }
            Err(_) => ok = false,
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calamine_alone_reads_the_sample_and_fails_on_a_file_that_is_not_there() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx");
        assert!(read_with_calamine(std::slice::from_ref(&sample)));
        let missing = sample.with_file_name("没有这个文件.xlsx");
        assert!(!read_with_calamine(&[sample, missing]));
    }
}
