//! One summary job behind both faces: `zoufang summary` and the page's
//! 汇总 step build a `Job` and call `run`. It builds the context (the
//! campaign's start, the received day, the roster's serials), reads the
//! files or imports them into the ledger and reports from it, writes the
//! tables, the brief, the closing pack when asked, and the JSON; what each
//! face says about it is its own.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::closing::write_closing;
use super::count::Summary;
use super::ledger::Import;
use super::read::{Made, Run, import_and_report, read_and_write};
use super::resolve::Context;
use super::returns::Returns;
use crate::check::model::Roster;
use crate::settings::Settings;
use crate::shared::atomic::{Written, write_atomic};
use crate::shared::date::{Date, show_date};
use crate::shared::fault::{Fault, Place, io_words};
use crate::shared::progress::Progress;
use crate::typeset::Engine;

/// A summary to make.
pub(crate) struct Job<'a> {
    pub files: &'a [PathBuf],
    /// What the returns are checked against (serials printed, departments
    /// that owe returns).
    pub roster: Option<&'a Roster>,
    pub period: Option<(Date, Date)>,
    /// The day the files were received.
    pub received: Date,
    /// The files are imported into this ledger, and the report is made
    /// from what it holds as of `as_of` (none: see `import_and_report`).
    pub ledger: Option<&'a Path>,
    pub as_of: Option<Date>,
    /// Whether to write the closing pack.
    pub closing: bool,
    pub out: &'a Path,
    /// Where the JSON goes, when it is asked for.
    pub json: Option<&'a Path>,
    pub engine: &'a Engine,
    pub settings: &'a Settings,
    pub progress: &'a Progress,
    pub emit_data: Option<&'a Path>,
}

/// What a summary read, counted and wrote.
pub(crate) struct Done {
    /// What this run read (with a ledger: what it imported).
    pub returns: Returns,
    pub summary: Summary,
    /// The records a ledger's report counted (as of its day), held only
    /// so that the caller decides when they are freed: a command ending
    /// leaves a city's records to the system at once.
    pub _report: Option<Returns>,
    /// The tables, the closing pack and the brief (not the JSON), or the
    /// first file that could not be written.
    pub written: Result<Vec<Written>, Fault>,
    /// With a ledger: this run's imports and the day the report is as of.
    pub ledger: Option<(Vec<Import>, Date)>,
    /// The JSON, as written when it was asked for.
    pub data: Value,
}

/// What returns received on `received` are checked against.
pub(crate) fn context(settings: &Settings, received: Date, roster: Option<&Roster>) -> Context {
    Context {
        start: settings.campaign_start(),
        received,
        printed: roster.map(|r| r.cadres.iter().flat_map(|c| c.serials()).collect()),
    }
}

/// A roster as a summary reads it: the parts that can be read, and how
/// many errors it had besides (an unreadable file: none read at all).
pub(crate) struct RosterRead {
    pub roster: Roster,
    pub errors: usize,
    pub nothing_read: bool,
}

pub(crate) fn read_roster(path: &Path, settings: &Settings) -> RosterRead {
    let input = crate::input::read_input(path);
    let checked = crate::check::roster::build(&input.sheets, settings, &path.display().to_string());
    RosterRead {
        errors: input
            .faults
            .iter()
            .chain(&checked.faults)
            .filter(|p| p.is_error())
            .count(),
        nothing_read: input.sheets.is_empty(),
        roster: checked.roster,
    }
}

/// Makes the summary `job` asks for. `Err` when nothing could be counted
/// (a file or the ledger unreadable); a file that could not be written is
/// in `Done::written`, with everything counted before it.
pub(crate) fn run(job: &Job) -> Result<Done, Vec<Fault>> {
    let context = context(job.settings, job.received, job.roster);
    let run = Run {
        files: job.files,
        roster: job.roster,
        period: job.period,
        context: &context,
        engine: job.engine,
        settings: job.settings,
        out: job.out,
        progress: job.progress,
        brief: true,
        emit_data: job.emit_data,
    };
    let (made, ledger) = match job.ledger {
        None => (read_and_write(&run)?, None),
        Some(path) => {
            let reported = import_and_report(&run, path, job.as_of)?;
            (reported.made, Some((reported.imports, reported.day)))
        }
    };
    // The closing pack, from the records the report counted, made on the
    // report's day.
    let made_on = ledger.as_ref().map_or(job.received, |(_, day)| *day);
    let closing = job.closing.then(|| {
        write_closing(
            job.engine,
            job.settings,
            made.reported(),
            job.roster,
            made_on,
            job.out,
            job.emit_data,
        )
    });
    let Made {
        returns,
        summary,
        written,
        brief,
        report,
    } = made;
    let mut data = super::report::json(&summary, &returns);
    if let Some((imports, day)) = &ledger {
        data["ledger"] = serde_json::json!({"as_of": show_date(*day), "imports": imports});
    }
    let written = written.and_then(|mut written| {
        for files in [closing, brief].into_iter().flatten() {
            written.extend(files?);
        }
        if let Some(path) = job.json {
            let text = serde_json::to_string_pretty(&data).unwrap_or_default();
            write_atomic(path, text.as_bytes()).map_err(|e| {
                Fault::error(
                    Place::file(path.display().to_string()),
                    format!("JSON 文件写不进去（{}）", io_words(&e, true)),
                    "请检查这个位置能不能写入（或换一个位置），再汇总一次",
                )
            })?;
        }
        Ok(written)
    });
    Ok(Done {
        returns,
        summary,
        _report: report,
        written,
        ledger,
        data,
    })
}
