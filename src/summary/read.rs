//! Reading a summary's returns in two parts on two threads, and writing its
//! outputs as soon as what they need is read.

use std::path::{Path, PathBuf};

use crate::check::model::Roster;
use crate::settings::Settings;
use crate::shared::date::{Date, today};
use crate::shared::fault::Fault;
use crate::shared::memory::release_free_memory;
use crate::shared::progress::Progress;
use crate::typeset::Engine;

use super::brief::{Brief, write_brief};
use super::count::{Summary, summarise};
use super::ledger::{AsOf, Half, Import, Ledger, already_imported};
use super::report::{write_tables, write_workbook};
use super::resolve::{Context, resolve};
use super::returns::{Problem, Returns, Visit, holds_households, read_returns, read_returns_of};
use crate::shared::atomic::Written;

/// A summary to make: the files, what they are checked against, where the
/// outputs go.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub files: &'a [PathBuf],
    pub roster: Option<&'a Roster>,
    pub period: Option<(Date, Date)>,
    pub context: &'a Context,
    pub engine: &'a Engine,
    pub settings: &'a Settings,
    pub out: &'a Path,
    pub progress: &'a Progress,
    /// Whether to write the weekly brief (for a summary with a period).
    pub brief: bool,
    /// Where to leave the data the templates get, when asked
    /// (`--emit-data`).
    pub emit_data: Option<&'a Path>,
}

/// What a summary read and wrote.
pub(crate) struct Made {
    pub(crate) returns: Returns,
    pub(crate) summary: Summary,
    /// The files written (annex-5 PDFs, problem lists, the summary
    /// workbook), or the first that could not be.
    pub(crate) written: Result<Vec<Written>, Fault>,
    /// What the report was made from, when not `returns` (a ledger's
    /// records as of the report's day).
    pub(crate) report: Option<Returns>,
    /// The weekly brief's files, when one was asked for and the summary
    /// has a period; or what kept it from being written.
    pub(crate) brief: Option<Result<Vec<Written>, Fault>>,
}

impl Made {
    /// The records the report counted.
    pub(crate) fn reported(&self) -> &Returns {
        self.report.as_ref().unwrap_or(&self.returns)
    }
}

/// Reads every file and writes the summary's tables into `out`. A
/// workbook is read in two parts on two threads: its household tables
/// (known by their first rows), and the rest. The annex-5 PDFs and the
/// problem lists need only the rest, and are made while the household
/// tables are still being read. `Err` with what was said of the files when
/// none of them could be read.
pub(crate) fn read_and_write(run: &Run) -> Result<Made, Vec<Fault>> {
    let Run {
        files,
        roster,
        period,
        context,
        engine,
        settings,
        out,
        progress,
        ..
    } = *run;
    let read: Result<_, Vec<Fault>> = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel();
        let households = scope.spawn(move || {
            receive
                .into_iter()
                .map(|(i, sheets)| (i, read_households(run, i, sheets)))
                .collect::<Vec<_>>()
        });
        let first = read_first_parts(run, send)?;
        let file_names: Vec<String> = files.iter().map(|f| source(f)).collect();
        let problems = problems_read_first(&first, &file_names, context);
        let annex5 = summarise(&problems, roster, period);
        let read_rest = || {
            let late = households
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            progress.finish();
            let (mut returns, tables_complete) = join_parts(first, late);
            returns.files = file_names;
            resolve(&mut returns, context);
            let summary = summarise(&returns, roster, period);
            let rest = write_rest(run, &summary, context.received);
            (returns, summary, rest, tables_complete)
        };
        Ok(write_tables(
            engine, settings, &annex5, &problems, out, read_rest,
        ))
    });
    let (tables, (returns, summary, Rest { workbook, brief }, tables_complete)) = read?;
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
        report: None,
        brief,
    })
}

/// A file as messages name it.
fn source(file: &Path) -> String {
    file.display().to_string()
}

/// What was read of one file in one part.
#[derive(Default)]
struct Part {
    returns: Returns,
    /// Whether the library gave up on the file part way.
    broken: bool,
}

/// Reads the household sheets of file `i` left for later.
fn read_households(run: &Run, i: usize, sheets: crate::input::Later) -> Part {
    let file = &run.files[i];
    let input = crate::input::read_later(file, sheets);
    let mut returns = Returns::default();
    returns.notes.extend(input.faults);
    read_returns(&input.sheets, &source(file), &mut returns);
    drop(input.sheets);
    release_free_memory();
    run.progress.inc(0);
    Part {
        returns: returns.read_from(i),
        broken: input.broken,
    }
}

/// Reads every file but for its household sheets, which are sent to
/// `later` (file number, sheets); a file given twice is read once. `Err`
/// with what was said of the files when none could be read.
fn read_first_parts(
    run: &Run,
    later: std::sync::mpsc::Sender<(usize, crate::input::Later)>,
) -> Result<Vec<Part>, Vec<Fault>> {
    let mut first = Vec::new();
    let mut readable = false;
    let mut digests: Vec<(String, usize)> = Vec::new();
    for (i, file) in run.files.iter().enumerate() {
        // The same bytes given twice are read once.
        if let Some(digest) = crate::input::digest(file) {
            if let Some((_, earlier)) = digests.iter().find(|(d, _)| *d == digest) {
                let mut returns = Returns::default();
                returns.notes.push(Fault::warning(
                    crate::shared::fault::Place::file(source(file)),
                    format!(
                        "与文件「{}」内容完全相同（同一个文件交了两次）",
                        source(&run.files[*earlier])
                    ),
                    "只读一次，不用改",
                ));
                run.progress.inc(0);
                first.push(Part {
                    returns,
                    broken: false,
                });
                continue;
            }
            digests.push((digest, i));
        }
        let mut input = crate::input::read_input_deferring(file, &holds_households);
        let split = !input.later.is_empty();
        if split {
            let _ = later.send((i, std::mem::take(&mut input.later)));
            let now = crate::input::read_later(file, std::mem::take(&mut input.now));
            input.sheets = now.sheets;
            input.faults.extend(now.faults);
            input.broken |= now.broken;
        }
        let mut returns = Returns::default();
        returns.notes.append(&mut input.faults);
        if !input.sheets.is_empty() || split {
            readable = true;
            read_returns_of(&input.sheets, &source(file), split, &mut returns);
        }
        // The sheets' cells are free now; the returns kept from them are
        // a fraction of their size (see `engine::release_free_memory`).
        drop(input.sheets);
        release_free_memory();
        if !split {
            run.progress.inc(0);
        }
        first.push(Part {
            returns: returns.read_from(i),
            broken: input.broken,
        });
    }
    drop(later);
    if !readable {
        run.progress.finish();
        return Err(first
            .into_iter()
            .flat_map(|part| part.returns.notes)
            .collect());
    }
    Ok(first)
}

/// The problems of the parts read first, resolved: what annex 5 and the
/// problem lists are made from while the household sheets are read.
fn problems_read_first(first: &[Part], files: &[String], context: &Context) -> Returns {
    let mut problems = Returns {
        problems: first
            .iter()
            .flat_map(|part| part.returns.problems.iter().cloned())
            .collect(),
        files: files.to_vec(),
        ..Returns::default()
    };
    for part in first {
        problems.problem_rows.counted += part.returns.problem_rows.counted;
    }
    resolve(&mut problems, context);
    problems
}

/// Each file's two parts together, in the order one read of each file
/// gave (household tables first), not yet resolved; and whether the parts
/// read later held no problems (else the tables made from the first parts
/// miss some).
fn join_parts(first: Vec<Part>, later: Vec<(usize, Part)>) -> (Returns, bool) {
    let mut late: Vec<Option<Part>> = first.iter().map(|_| None).collect();
    for (i, part) in later {
        late[i] = Some(part);
    }
    let mut returns = Returns::default();
    let mut tables_complete = true;
    for (part, late) in first.into_iter().zip(late) {
        let households = late.unwrap_or_default();
        if part.broken || households.broken {
            // A file the library gave up on part way counts for nothing.
            tables_complete &= part.returns.problems.is_empty();
            returns.notes.extend(households.returns.notes);
            returns.notes.extend(part.returns.notes);
            continue;
        }
        tables_complete &= households.returns.problems.is_empty();
        returns.append(households.returns);
        returns.append(part.returns);
    }
    (returns, tables_complete)
}

/// What a summary writes besides its tables, from all its records.
struct Rest {
    /// The summary workbook.
    workbook: Result<Written, Fault>,
    /// The weekly brief, when asked for (see `Made::brief`).
    brief: Option<Result<Vec<Written>, Fault>>,
}

/// Writes the summary workbook and, when asked for and the summary has a
/// period, the weekly brief: its figures as of `day` (the day the ledger
/// reported, else the day the returns were received), for the period with
/// an open end closed by the campaign's start and by `day`. Both are
/// written while the tables are (as `write_tables`' `meanwhile`).
fn write_rest(run: &Run, summary: &Summary, day: Date) -> Rest {
    let workbook = write_workbook(summary, run.out);
    let brief = summary.period.filter(|_| run.brief).map(|(from, to)| {
        let period = (
            if from == Date::MIN {
                run.settings.campaign_start()
            } else {
                from
            },
            if to == Date::MAX { day } else { to },
        );
        let brief = Brief::new(summary, run.settings, period, day);
        write_brief(
            run.engine,
            run.settings,
            &brief,
            period,
            run.out,
            run.emit_data,
        )
    });
    Rest { workbook, brief }
}

/// Imports one file into `ledger` (received `context.received`): the
/// import it made, or the earlier import of the same bytes (known by their
/// digest, not read again), and the file's rows as read with what was said
/// of them (notes, rejected rows, conflicts, the row account). `Err` when
/// the ledger itself fails. `name` is how the ledger and its messages name
/// the file (the page names it inside the working folder).
pub(crate) fn import_file(
    ledger: &mut Ledger,
    file: &Path,
    name: &str,
    context: &Context,
) -> Result<(Option<Import>, Returns), Vec<Fault>> {
    let name = name.to_string();
    let digest = crate::input::digest(file);
    if let Some(earlier) = digest
        .as_deref()
        .map(|d| ledger.imported(d))
        .transpose()
        .map_err(|p| vec![p])?
        .flatten()
    {
        let mut part = Returns::default();
        part.notes.push(already_imported(&name, &earlier));
        return Ok((Some(earlier), part));
    }
    let input = crate::input::read_input(file);
    let mut part = Returns::default();
    part.notes.extend(input.faults);
    let outcome = match digest {
        Some(digest) if !input.sheets.is_empty() && !input.broken => {
            read_returns(&input.sheets, &name, &mut part);
            drop(input.sheets);
            if not_a_return(&part) {
                // Not recorded: the next run says again what is wrong with
                // it, instead of "imported before, nothing changed".
                (None, part)
            } else {
                let imported = ledger
                    .import(&name, &digest, part, context)
                    .map_err(|p| vec![p])?;
                (imported.import.or(imported.earlier), imported.returns)
            }
        }
        _ => (None, part),
    };
    release_free_memory();
    Ok(outcome)
}

/// Whether a file read as a return held none: not one row read, and a fault
/// said why (another workbook, such as a roster, given by mistake).
fn not_a_return(part: &Returns) -> bool {
    [&part.households, &part.problem_rows, &part.summary_rows]
        .iter()
        .all(|account| account.read == 0)
        && part.notes.iter().any(Fault::is_error)
}

/// What a run with a ledger did: the imports it made (or found made
/// before), and the report as of `day`.
pub struct Reported {
    pub made: Made,
    /// This run's files, as imported (or as imported before).
    pub imports: Vec<Import>,
    /// The day the report is as of.
    pub day: Date,
}

/// Imports every file into the ledger at `ledger` (received
/// `context.received`), then reports from what the ledger held on `as_of`:
/// the figures a report made on that day gave. Without `as_of`, a run that
/// imports reports as of the day received, and one that only reports, as of
/// today.
pub fn import_and_report(
    run: &Run,
    ledger: &Path,
    as_of: Option<Date>,
) -> Result<Reported, Vec<Fault>> {
    let (files, period, context, progress) = (run.files, run.period, run.context, run.progress);
    let mut ledger = Ledger::open(ledger).map_err(|p| vec![p])?;
    let mut all = Returns::default();
    let mut imports = Vec::new();
    for file in files {
        let (import, part) = import_file(&mut ledger, file, &file.display().to_string(), context)?;
        imports.extend(import);
        all.append(part);
        progress.inc(0);
    }
    progress.finish();
    // Reported as of the day the files were received, else today (the
    // returns of a week come after it ends), unless a day is asked for.
    let day = as_of.unwrap_or(if files.is_empty() {
        today()
    } else {
        context.received
    });
    // A department reported for the period when a return of its was
    // received in the period's reporting window, by the report's day.
    let window = period.map(|p| run.settings.reporting_window(p));
    let in_period = |received: &str| match (received.parse::<Date>(), window) {
        (Ok(r), Some((from, to))) => from <= r && r <= to && r <= day,
        (Ok(r), None) => r <= day,
        (Err(_), _) => false,
    };
    let reported: std::collections::BTreeSet<String> = ledger
        .imports()
        .map_err(|p| vec![p])?
        .into_iter()
        .filter(|i| i.counts_on(day) && in_period(&i.received))
        .flat_map(|i| i.departments)
        .collect();
    let read = ledger.read_as_of(day).map_err(|p| vec![p])?;
    // Paper forms scanned back by the end of the period's reporting window
    // (those of a week come in after it ends, as its returns do), and by
    // the report's day.
    let paper_day = window.map_or(day, |(_, end)| end.min(day));
    let paper = Some(ledger.paper_as_of(paper_day).map_err(|p| vec![p])?).filter(|p| !p.is_empty());
    // All the records, and what is made of them besides the tables.
    let finish = |households: Half<Visit>, problems: Half<Problem>| {
        let mut returns = AsOf::join(households, problems);
        returns.reported = Some(reported.clone());
        returns.paper = paper.clone();
        let summary = summarise(&returns, run.roster, period);
        let rest = write_rest(run, &summary, day);
        (returns, summary, rest)
    };
    // The households are read on a second connection, on a thread of their
    // own, while this one reads the problems; annex 5 and the problem lists
    // need only those, and are made while the households are still read.
    let second = ledger.second_connection();
    let (tables, finished, problems) = std::thread::scope(|scope| {
        let read = &read;
        let households = second.map(|db| scope.spawn(move || read.households(&db.reader())));
        let Half {
            records: problems,
            sources,
        } = read.problems(&ledger.reader()).map_err(|p| vec![p])?;
        let problems = Returns {
            problems,
            ..Returns::default()
        };
        let annex5 = summarise(&problems, run.roster, period);
        let (tables, finished) = write_tables(
            run.engine,
            run.settings,
            &annex5,
            &problems,
            run.out,
            || {
                let households = households?
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    .ok()?;
                let problems = Half {
                    records: problems.problems.clone(),
                    sources: sources.clone(),
                };
                Some(finish(households, problems))
            },
        );
        Ok::<_, Vec<Fault>>((
            tables,
            finished,
            Half {
                records: problems.problems,
                sources,
            },
        ))
    })?;
    // Where the second connection could not read (a file system that will
    // not share the ledger's index), this one reads the households now.
    let (returns, summary, Rest { workbook, brief }) = match finished {
        Some(finished) => finished,
        None => {
            let households = read.households(&ledger.reader()).map_err(|p| vec![p])?;
            finish(households, problems)
        }
    };
    let written = tables.and_then(|mut w| {
        w.push(workbook?);
        Ok(w)
    });
    Ok(Reported {
        made: Made {
            returns: all,
            summary,
            written,
            report: Some(returns),
            brief,
        },
        imports,
        day,
    })
}
