//! `zoufang scan`: a scanner's stack read back into 交回情况.xlsx.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::print::page_code::campaign_tag;
use crate::scan::report::{self, RETURNS_BOOK};
use crate::scan::{self, Outcome};
use crate::shared::atomic::write_atomic;
use crate::shared::fault::io_words;
use crate::shared::xlsx::write_xlsx;

use super::args::ScanArgs;
use super::check::load;
use super::{setup, sync_written};

/// The name a scanner file is reported under: as the clerk gave it.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

pub(super) fn scan(args: &ScanArgs) -> ExitCode {
    let near = args.roster.as_deref();
    let (settings, engine) = match setup(&args.settings, &args.engine, near) {
        Ok(s) => s,
        Err(code) => return code,
    };
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
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pages = scan::read_pages(&files, &shown, workers);
    let tag = campaign_tag(&settings.campaign_title, settings.campaign_year);
    let result = scan::tally(pages, &tag, roster.as_ref());

    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!(
            "输出文件夹建不了：{}（{}）",
            args.out.display(),
            io_words(&e, false)
        );
        return ExitCode::from(1);
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
    if unreadable > 0 {
        println!(
            "有 {unreadable} 页认不出，原因见上面和 {RETURNS_BOOK} 的「认不出的页」，请看一下这些页，需要时重扫。"
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
