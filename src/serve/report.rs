//! Step 五、汇总: the week around a day reported from the folder's ledger,
//! as `zoufang summary --ledger 台账.sqlite --week DATE` reports it, into
//! `汇总_<from>至<to>/`; the page shows the figures the files hold.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::folder::{LEDGER_FILE, REPORT_PREFIX};
use super::guard::{percent_decode, query_value};
use super::returns::{roster_of, serials};
use super::{Reply, State};
use crate::shared::atomic::write_atomic;
use crate::shared::date::show_date;
use crate::shared::fault::io_words;
use crate::shared::progress::Progress;

/// A week's report as the page shows it: the parts of `汇总.json` it
/// shows (the same values, so the page and the file cannot differ), the
/// brief's table and the files written.
#[derive(Serialize)]
struct Week<'a> {
    from: String,
    to: String,
    /// The day the report counts returns received up to.
    as_of: String,
    weekly: Value,
    table: crate::summary::brief::Table<'a>,
    completeness: Value,
    paper: Value,
    files: Vec<Made>,
}

/// A file of the report.
#[derive(Serialize)]
struct Made {
    /// Inside the working folder.
    path: String,
    pages: usize,
}

/// The week around the date the page gives (`?week=`), reported from the
/// folder's ledger: the weekly figures with cumulative ones, who has
/// reported, the brief with its charts, and the files to download.
pub(super) fn week(state: &State, url: &str) -> Reply {
    let Some(day) = query_value(url, "week")
        .and_then(percent_decode)
        .and_then(|t| crate::shared::date::parse_date_text(&t))
    else {
        return Reply::message(400, "请选一个日期：汇总这一天所在的星期一到星期日");
    };
    let ledger = state.folder.join(LEDGER_FILE);
    if !ledger.is_file() {
        return Reply::message(
            409,
            "工作文件夹里还没有台账：请先在“回收”里放入交回的录入表",
        );
    }
    let period = crate::shared::date::week_of(day);
    let roster = roster_of(state);
    let context = crate::summary::resolve::Context {
        start: state.settings.campaign_start(),
        received: period.1,
        printed: roster.as_ref().map(serials),
    };
    let rel = PathBuf::from(format!(
        "{REPORT_PREFIX}{}至{}",
        show_date(period.0),
        show_date(period.1)
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
        Err(faults) => return Reply::faults(500, "汇总没有成功", &faults),
    };
    let mut made = reported.made;
    let written = std::mem::replace(&mut made.written, Ok(Vec::new()));
    let mut written = match written {
        Ok(w) => w,
        Err(p) => return Reply::faults(500, "汇总没有成功", &[p]),
    };
    match made.brief.take() {
        Some(Ok(files)) => written.extend(files),
        Some(Err(p)) => return Reply::faults(500, "周报没有排出来", &[p]),
        None => {}
    }
    let mut data = crate::summary::report::json(&made.summary, made.reported());
    if let Err(e) = write_atomic(
        &out.join("汇总.json"),
        serde_json::to_string_pretty(&data)
            .unwrap_or_default()
            .as_bytes(),
    ) {
        return Reply::message(500, format!("汇总.json 写不进去（{}）", io_words(&e, true)));
    }
    let _ = crate::shared::atomic::sync_written();
    let link = |p: &Path| rel.join(p).to_string_lossy().replace('\\', "/");
    let files = written
        .iter()
        .map(|w| Made {
            path: link(&w.path),
            pages: w.pages,
        })
        .chain(std::iter::once(Made {
            path: link(Path::new("汇总.json")),
            pages: 0,
        }))
        .collect();
    let mut part = |key: &str| data.get_mut(key).map(Value::take).unwrap_or_default();
    let brief =
        crate::summary::brief::Brief::new(&made.summary, &state.settings, period, reported.day);
    Reply::typed(
        200,
        &Week {
            from: show_date(period.0),
            to: show_date(period.1),
            as_of: show_date(reported.day),
            weekly: part("weekly"),
            completeness: part("completeness"),
            paper: part("paper"),
            table: brief.table(),
            files,
        },
    )
}
