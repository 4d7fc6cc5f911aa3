//! `zoufang scan`: a scanner's stack read back into 交回情况.xlsx.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::print::entry::{RETURNED_COLUMN, entry_workbook};
use crate::print::page_code::campaign_tag;
use crate::scan::archive::{self, ARCHIVE_DIR, Spool, UNREADABLE_PDF};
use crate::scan::report::{self, RETURNS_BOOK};
use crate::scan::{self, Outcome};
use crate::shared::atomic::write_atomic;
use crate::shared::date::{parse_date_text, show_date, today};
use crate::shared::fault::io_words;
use crate::shared::file_name::safe_file_name;
use crate::shared::xlsx::write_xlsx;
use crate::summary::ledger::{Ledger, PaperForm};
use crate::summary::resolve::received_out_of_bounds;

use super::args::ScanArgs;
use super::check::load;
use super::{report_faults, setup, sync_written};

/// The folder of the entry workbooks a scan writes.
const ENTRY_DIR: &str = "录入表";

/// The name a scanner file is reported under: as the clerk gave it.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

pub(super) fn scan(args: &ScanArgs) -> ExitCode {
    let received = match &args.received {
        None => today(),
        Some(t) => match parse_date_text(t) {
            Some(day) => day,
            None => {
                eprintln!("--received 的日期「{t}」看不懂，请写成 2017-03-08 这样的格式。");
                return ExitCode::from(2);
            }
        },
    };
    let near = args.roster.as_deref();
    let (settings, engine) = match setup(&args.settings, &args.engine, near) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.ledger.is_some()
        && let Some(wrong) = received_out_of_bounds(received, settings.campaign_start(), today())
    {
        eprintln!(
            "{wrong}：请用 --received 写明收到这些纸质表的日期（如 --received 2017-03-13）。没有读扫描件。"
        );
        return ExitCode::from(2);
    }
    let roster = match &args.roster {
        Some(path) => match load(path, &settings, &engine) {
            Some((checked, _)) if !checked.has_faults() => Some(checked.roster),
            Some(_) => {
                eprintln!("名单有错误，没有读扫描件。请按上面的提示改正名单后再运行。");
                return ExitCode::from(1);
            }
            None => return ExitCode::from(2),
        },
        None => None,
    };
    let files = match scan::source::files(&args.files) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("给的文件夹里没有扫描件（PDF、TIFF、JPEG、PNG），没有读任何一页。");
            return ExitCode::from(2);
        }
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let spool = match Spool::create(&args.out) {
        Ok(spool) => spool,
        Err(e) => {
            eprintln!(
                "输出文件夹建不了：{}（{}）",
                args.out.display(),
                io_words(&e, true)
            );
            return ExitCode::from(1);
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pages = scan::read_pages(&files, &shown, workers, Some(&spool));
    let tag = campaign_tag(&settings.campaign_title, settings.campaign_year);
    let result = scan::tally(pages, &tag, roster.as_ref());
    let filed = archive::write(&args.out, &result, roster.as_ref(), &spool);
    spool.remove();
    let filed = match filed {
        Ok(filed) => filed,
        Err(e) => {
            eprintln!(
                "归档的 PDF 写不进去：{}（{}）",
                args.out.display(),
                io_words(&e, true)
            );
            return ExitCode::from(1);
        }
    };
    // The ledger notes the paper forms that came back, each once.
    let recorded = match &args.ledger {
        Some(path) => {
            let forms: Vec<PaperForm> = result
                .households
                .iter()
                .map(|(serial, r)| {
                    let (file, page) = r.scans.first().cloned().unwrap_or_default();
                    PaperForm {
                        serial: serial.clone(),
                        filled: r.filled,
                        file,
                        page,
                    }
                })
                .collect();
            match Ledger::open(path).and_then(|mut l| l.record_paper(&forms, received)) {
                Ok(done) => Some(done),
                Err(fault) => {
                    report_faults(&[fault]);
                    return ExitCode::from(1);
                }
            }
        }
        None => None,
    };
    // Each department's entry workbook with the returned forms first.
    let mut entry_books = 0;
    if let Some(r) = &roster {
        let order = result.stack_order();
        for (d, dept) in r.departments.iter().enumerate() {
            let own: Vec<String> = order
                .iter()
                .filter(|s| {
                    r.cadres.iter().any(|c| {
                        c.department == d && s.rsplit_once('-').is_some_and(|(id, _)| id == c.id)
                    })
                })
                .cloned()
                .collect();
            if own.is_empty() {
                continue;
            }
            let path = args.out.join(ENTRY_DIR).join(format!(
                "{}.xlsx",
                safe_file_name(&format!("录入表_{}", dept.name))
            ));
            let written = entry_workbook(r, d, &own)
                .map_err(|e| e.to_string())
                .and_then(|bytes| write_atomic(&path, &bytes).map_err(|e| io_words(&e, true)));
            if let Err(e) = written {
                eprintln!("录入表写不进去：{}（{e}）", path.display());
                return ExitCode::from(1);
            }
            entry_books += 1;
        }
    }
    let book = args.out.join(RETURNS_BOOK);
    if let Err(e) = write_xlsx(&book, &report::sheets(&result)) {
        eprintln!("{} 写不进去：{e}", book.display());
        return ExitCode::from(1);
    }
    if let Some(path) = &args.json
        && let Err(e) = write_atomic(path, &report::json(&result))
    {
        eprintln!(
            "JSON 文件写不进去：{}（{}）",
            path.display(),
            io_words(&e, true)
        );
        return ExitCode::from(1);
    }
    if let Err(code) = sync_written() {
        return code;
    }

    for (page, why) in result.unreadable() {
        eprintln!("【认不出】{}：{why}", report::place(&page.file, page.page));
    }
    for (serial, r) in result.repeated() {
        let places: Vec<String> = r
            .scans
            .iter()
            .map(|(f, p)| report::place(f, Some(*p)))
            .collect();
        eprintln!(
            "【重复】编号 {serial} 扫了 {} 次（只算一次）：{}",
            r.scans.len(),
            places.join("、")
        );
    }
    let count =
        |f: &dyn Fn(&Outcome) -> bool| result.pages.iter().filter(|p| f(&p.outcome)).count();
    let identified = count(&|o| matches!(o, Outcome::Identified { .. }));
    let blank = count(&|o| matches!(o, Outcome::Blank));
    let unreadable = count(&|o| matches!(o, Outcome::Unreadable(_)));
    let filled = result.households.values().filter(|r| r.filled).count();
    println!(
        "读了 {} 个文件、{} 页，用时 {:.1} 秒：认出 {identified} 页，空白页 {blank} 页，认不出 {unreadable} 页。",
        files.len(),
        result.pages.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "入户调查表交回 {} 张：已填 {filled} 张，空白 {} 张。",
        result.households.len(),
        result.households.len() - filled
    );
    if roster.is_some() {
        let missing: usize = result.cadres.iter().map(|c| c.missing.len()).sum();
        println!("按名单还有 {missing} 张没有交回（编号见 {RETURNS_BOOK}）。");
    }
    println!("交回情况：{}", book.display());
    if let (Some(done), Some(path)) = (recorded, &args.ledger) {
        println!(
            "台账 {}：新记下 {} 张交回的入户调查表（收到日期 {}），{} 张以前记为空白、这次是已填；以前记过的不再重复记。",
            path.display(),
            done.new,
            show_date(received),
            done.now_filled
        );
    }
    if entry_books > 0 {
        println!(
            "{entry_books} 个单位的录入表在 {}：交回的表排在前面（按扫描的顺序，「{RETURNED_COLUMN}」一栏为“是”），照着纸表的顺序录入即可。",
            args.out.join(ENTRY_DIR).display()
        );
    }
    let villages = filed
        .iter()
        .filter(|p| p.starts_with(args.out.join(ARCHIVE_DIR)))
        .count();
    if villages > 0 {
        println!(
            "扫描的表按村（社区）归档：{} 个 PDF（{}）。",
            villages,
            args.out.join(ARCHIVE_DIR).display()
        );
    } else if roster.is_none() {
        println!("没有给名单，扫描的表没有按村（社区）归档。");
    }
    if unreadable > 0 {
        println!(
            "有 {unreadable} 页认不出，原因见上面和 {RETURNS_BOOK} 的「认不出的页」，这些页的图在 {UNREADABLE_PDF}；请看一下，需要时重扫。"
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
