//! `zoufang scan`: a scanner's stack read back into 交回情况.xlsx.

use std::path::Path;
use std::process::ExitCode;

use crate::print::entry::RETURNED_COLUMN;
use crate::print::page_code::campaign_tag;
use crate::scan;
use crate::scan::archive::{ARCHIVE_DIR, UNREADABLE_PDF};
use crate::scan::job::{self, ENTRY_DIR, Failed, Job};
use crate::scan::report::{self, RETURNS_BOOK};
use crate::shared::date::{parse_date_text, show_date, today};
use crate::summary::resolve::received_out_of_bounds;

use super::args::ScanArgs;
use super::check::load;
use super::{report_faults, setup, sync_written};

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
    let tag = campaign_tag(&settings.campaign_title, settings.campaign_year);
    let job = Job {
        files: &files,
        name: &shown,
        out: &args.out,
        tag: &tag,
        roster: roster.as_ref(),
        ledger: args.ledger.as_deref().map(|l| (l, received)),
        json: args.json.as_deref(),
        unreadable_images: false,
        pages_read: None,
    };
    let done = match job::run(&job) {
        Ok(done) => done,
        Err(Failed::Ledger(fault)) => {
            report_faults(&[fault]);
            return ExitCode::from(1);
        }
        Err(failed) => {
            eprintln!("{}", failed.words());
            return ExitCode::from(1);
        }
    };
    if let Err(code) = sync_written() {
        return code;
    }
    let result = &done.scan;

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
    let totals = report::totals(result);
    println!(
        "读了 {} 个文件、{} 页，用时 {:.1} 秒：认出 {} 页，空白页 {} 页，认不出 {} 页。",
        files.len(),
        totals.pages,
        done.seconds,
        totals.identified,
        totals.blank_pages,
        totals.unreadable
    );
    println!(
        "入户调查表交回 {} 张：已填 {} 张，空白 {} 张。",
        totals.household_forms,
        totals.filled,
        totals.household_forms - totals.filled
    );
    if roster.is_some() {
        let missing: usize = result.cadres.iter().map(|c| c.missing.len()).sum();
        println!("按名单还有 {missing} 张没有交回（编号见 {RETURNS_BOOK}）。");
    }
    println!("交回情况：{}", args.out.join(RETURNS_BOOK).display());
    if let (Some(recorded), Some(path)) = (done.recorded, &args.ledger) {
        println!(
            "台账 {}：新记下 {} 张交回的入户调查表（收到日期 {}），{} 张以前记为空白、这次是已填；以前记过的不再重复记。",
            path.display(),
            recorded.new,
            show_date(received),
            recorded.now_filled
        );
    }
    if done.entry_books > 0 {
        println!(
            "{} 个单位的录入表在 {}：交回的表排在前面（按扫描的顺序，「{RETURNED_COLUMN}」一栏为“是”），照着纸表的顺序录入即可。",
            done.entry_books,
            args.out.join(ENTRY_DIR).display()
        );
    }
    let villages = done.archive_pdfs;
    if villages > 0 {
        println!(
            "扫描的表按村（社区）归档：{} 个 PDF（{}）。",
            villages,
            args.out.join(ARCHIVE_DIR).display()
        );
    } else if roster.is_none() {
        println!("没有给名单，扫描的表没有按村（社区）归档。");
    }
    if totals.unreadable > 0 {
        println!(
            "有 {} 页认不出，原因见上面和 {RETURNS_BOOK} 的「认不出的页」，这些页的图在 {UNREADABLE_PDF}；请看一下，需要时重扫。",
            totals.unreadable
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
