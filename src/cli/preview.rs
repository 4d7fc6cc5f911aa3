//! `zoufang preview`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::shared::atomic::write_atomic;
use crate::shared::date::week_of;
use crate::shared::fault::io_words;
use crate::summary::brief::Brief;
use crate::summary::closing::Packs;
use crate::summary::count::{Level, summarise};
use crate::summary::report::{annex5_job, table_data};
use crate::summary::returns::{Returns, read_returns};
use crate::typeset::{ALL_PAGES, png_pages};

use super::args::RosterArgs;
use super::check::printable;

/// `preview`: one PNG of each kind of page, at screen resolution.
pub(super) fn preview(args: &RosterArgs, out: &Path, returns_files: &[PathBuf]) -> ExitCode {
    let (settings, engine, checked, plan) = match printable(args, "没有生成预览") {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Each document typeset once, with the pages shown.
    let mut documents = crate::print::preview::form_documents(&plan, &checked.roster, &settings);
    if !returns_files.is_empty() {
        let mut returns = Returns::default();
        for file in returns_files {
            let input = crate::input::read_input(file);
            read_returns(&input.sheets, &file.display().to_string(), &mut returns);
        }
        let summary = summarise(&returns, Some(&checked.roster), None);
        if let Some(t) = summary.annex5.iter().find(|t| t.level == Level::Village) {
            let job = annex5_job(&t.title(), &[table_data(t, "")], None);
            documents.push((job, vec![("附件5_汇总表", 0)]));
        }
        // The brief of the week of the last visit, every page.
        if let Some(last) = returns.visits.iter().map(|v| v.date).max() {
            let week = week_of(last);
            let summary = summarise(&returns, Some(&checked.roster), Some(week));
            let brief = Brief::new(&summary, &settings, week, week.1);
            documents.push((brief.job(), vec![("走访情况周报", ALL_PAGES)]));
            // The closing pack of the first department that sent returns.
            if let Some(v) = returns.visits.first() {
                let packs = Packs {
                    returns: &returns,
                    roster: Some(&checked.roster),
                    settings: &settings,
                    made: last,
                };
                let closing = packs.pack(Some(&v.department));
                documents.push((closing.job(), vec![("结束总结_数据汇总", ALL_PAGES)]));
            }
        }
    }
    for (job, pictures) in documents {
        let shown = match png_pages(&engine, &job, &pictures) {
            Ok(shown) => shown,
            Err(e) => {
                eprintln!("{} 排不出来：{e}", pictures[0].0);
                return ExitCode::from(1);
            }
        };
        for (name, png) in shown {
            let path = out.join(format!("{name}.png"));
            if let Err(e) = write_atomic(&path, &png) {
                eprintln!(
                    "预览图写不进去：{}（{}）",
                    path.display(),
                    io_words(&e, true)
                );
                return ExitCode::from(2);
            }
            println!("{}", path.display());
        }
    }
    ExitCode::SUCCESS
}
