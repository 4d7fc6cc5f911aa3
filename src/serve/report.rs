//! Step 五、汇总: the week around a day reported from the folder's ledger,
//! as `zoufang summary --ledger 台账.sqlite --week DATE` reports it, into
//! `汇总_<from>至<to>/`; the page shows the figures the files hold.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::folder::{LEDGER_FILE, REPORT_PREFIX};
use super::guard::{percent_decode, query_value};
use super::returns::roster_of;
use super::{Reply, State};
use crate::shared::date::show_date;
use crate::shared::progress::Progress;
use crate::summary::job::Job;

/// The report's data, as `zoufang summary --json` writes it.
const JSON_FILE: &str = "汇总.json";

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
    let rel = PathBuf::from(format!(
        "{REPORT_PREFIX}{}至{}",
        show_date(period.0),
        show_date(period.1)
    ));
    let out = state.folder.join(&rel);
    let json_file = out.join(JSON_FILE);
    let progress = Progress::new(0, "表格文件", true);
    let job = Job {
        files: &[],
        roster: roster.as_ref(),
        period: Some(period),
        received: crate::shared::date::today(),
        ledger: Some(&ledger),
        as_of: None,
        closing: false,
        out: &out,
        json: Some(&json_file),
        engine: &state.engine,
        settings: &state.settings,
        progress: &progress,
        emit_data: None,
    };
    let mut done = match crate::summary::job::run(&job) {
        Ok(done) => done,
        Err(faults) => return Reply::faults(500, "汇总没有成功", &faults),
    };
    let written = match &done.written {
        Ok(written) => written,
        Err(p) => return Reply::faults(500, "汇总没有成功", std::slice::from_ref(p)),
    };
    let _ = crate::shared::atomic::sync_written();
    let link = |p: &Path| rel.join(p).to_string_lossy().replace('\\', "/");
    let files = written
        .iter()
        .map(|w| Made {
            path: link(&w.path),
            pages: w.pages,
        })
        .chain(std::iter::once(Made {
            path: link(Path::new(JSON_FILE)),
            pages: 0,
        }))
        .collect();
    let as_of = done.ledger.as_ref().map_or(period.1, |(_, day)| *day);
    let mut part = |key: &str| done.data.get_mut(key).map(Value::take).unwrap_or_default();
    let (weekly, completeness, paper) = (part("weekly"), part("completeness"), part("paper"));
    let brief = crate::summary::brief::Brief::new(&done.summary, &state.settings, period, as_of);
    Reply::typed(
        200,
        &Week {
            from: show_date(period.0),
            to: show_date(period.1),
            as_of: show_date(as_of),
            weekly,
            completeness,
            paper,
            table: brief.table(),
            files,
        },
    )
}
