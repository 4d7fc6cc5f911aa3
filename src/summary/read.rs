//! Reading a summary's returns in two parts on two threads, and writing its
//! outputs as soon as what they need is read.

use std::path::{Path, PathBuf};

use crate::check::model::Roster;
use crate::settings::Settings;
use crate::shared::date::Date;
use crate::shared::fault::Problem;
use crate::shared::memory::release_free_memory;
use crate::shared::progress::Progress;
use crate::typeset::Engine;

use super::count::{Summary, summarise};
use super::report::{write_tables, write_workbook};
use super::returns::{Returns, holds_households, read_returns, read_returns_of};
use crate::shared::atomic::Written;

/// What a summary read and wrote.
pub(crate) struct Made {
    pub(crate) returns: Returns,
    pub(crate) summary: Summary,
    /// The files written (annex-5 PDFs, problem lists, the summary
    /// workbook), or the first that could not be.
    pub(crate) written: Result<Vec<Written>, Problem>,
}

/// Reads every file and writes the summary's tables into `out`. A
/// workbook is read in two parts on two threads: its household tables
/// (known by their first rows), and the rest. The annex-5 PDFs and the
/// problem lists need only the rest, and are made while the household
/// tables are still being read. `Err` with what was said of the files when
/// none of them could be read.
pub(crate) fn read_and_write(
    files: &[PathBuf],
    roster: Option<&Roster>,
    period: Option<(Date, Date)>,
    engine: &Engine,
    settings: &Settings,
    out: &Path,
    progress: &Progress,
) -> Result<Made, Vec<Problem>> {
    let source = |file: &PathBuf| file.display().to_string();
    let read_households = |file: &PathBuf, sheets: crate::input::Later| {
        let input = crate::input::read_later(file, sheets);
        let mut part = Returns::default();
        part.notes.extend(input.problems);
        read_returns(&input.sheets, &source(file), &mut part);
        drop(input.sheets);
        release_free_memory();
        progress.inc(0);
        (part, input.broken)
    };
    let read = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel();
        let households = scope.spawn(move || {
            receive
                .into_iter()
                .map(|(i, sheets)| (i, read_households(&files[i], sheets)))
                .collect::<Vec<_>>()
        });
        let mut first = Vec::new();
        let mut readable = false;
        for (i, file) in files.iter().enumerate() {
            let mut input = crate::input::read_input_deferring(file, &holds_households);
            let split = !input.later.is_empty();
            if split {
                let _ = send.send((i, std::mem::take(&mut input.later)));
                let now = crate::input::read_later(file, std::mem::take(&mut input.now));
                input.sheets = now.sheets;
                input.problems.extend(now.problems);
                input.broken |= now.broken;
            }
            let mut part = Returns::default();
            part.notes.append(&mut input.problems);
            if !input.sheets.is_empty() || split {
                readable = true;
                read_returns_of(&input.sheets, &source(file), split, &mut part);
            }
            // The sheets' cells are free now; the returns kept from them are
            // a fraction of their size (see `engine::release_free_memory`).
            drop(input.sheets);
            release_free_memory();
            if !split {
                progress.inc(0);
            }
            first.push((part, input.broken));
        }
        drop(send);
        if !readable {
            progress.finish();
            return Err(first
                .into_iter()
                .flat_map(|(part, _)| part.notes)
                .collect::<Vec<_>>());
        }
        let problems = Returns {
            problems: first
                .iter()
                .flat_map(|(p, _)| p.problems.iter().cloned())
                .collect(),
            ..Returns::default()
        };
        let annex5 = summarise(&problems, roster, period);
        let read_rest = || {
            let mut late: Vec<Option<(Returns, bool)>> = first.iter().map(|_| None).collect();
            for (i, part) in households
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
            {
                late[i] = Some(part);
            }
            progress.finish();
            // In the order one read of each file gave: household tables first.
            let mut returns = Returns::default();
            let mut tables_complete = true;
            for ((part, broken), late) in first.into_iter().zip(late) {
                let (households, late_broken) = late.unwrap_or_default();
                if broken || late_broken {
                    // A file the library gave up on part way counts for nothing.
                    tables_complete &= part.problems.is_empty();
                    returns.notes.extend(households.notes);
                    returns.notes.extend(part.notes);
                    continue;
                }
                tables_complete &= households.problems.is_empty();
                returns.append(households);
                returns.append(part);
            }
            let summary = summarise(&returns, roster, period);
            let workbook = write_workbook(&summary, out);
            (returns, summary, workbook, tables_complete)
        };
        Ok(write_tables(
            engine, settings, &annex5, &problems, out, read_rest,
        ))
    });
    let (tables, (returns, summary, workbook, tables_complete)) = read?;
    // A sheet taken for a household table by its first rows held problems
    // after all (rows out of order): the tables are made again with them.
    let tables = if tables_complete {
        tables
    } else {
        write_tables(engine, settings, &summary, &returns, out, || ()).0
    };
    let written = tables.and_then(|mut w| {
        w.push(workbook?);
        Ok(w)
    });
    Ok(Made {
        returns,
        summary,
        written,
    })
}
