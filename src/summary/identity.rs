//! Nothing counts twice. A household is its serial (编号); a problem its
//! department and 序号, or what it says (`ProblemRecord::identity`). The
//! same record seen again with the same content counts once (a note); with
//! its state moved on (a status, a handling note) the later one stands; the
//! same identity with different content is a conflict that names both
//! places: the later file stands, or, inside one file, the second row is
//! not counted. Rows dated outside the campaign, and serials the roster
//! never printed, are rejected with their reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::returns::{Account, Origin, ProblemRecord, Returns, Visit};
use crate::shared::date::{Date, show_date};
use crate::shared::fault::Problem;

/// What a summary's records are checked against.
pub struct Context {
    /// The first day of the visits (`Settings::campaign_start`).
    pub start: Date,
    /// The day the returns were received: nothing is dated after it, and a
    /// problem shown solved without a 办结日期 counts as solved that day.
    pub received: Date,
    /// Every serial the roster printed, when a roster is given.
    pub printed: Option<HashSet<String>>,
}

/// Repeats seen between two files (or inside one): rows identical to one
/// counted before, and rows whose state moved on.
#[derive(Default)]
struct Repeats {
    households: u64,
    problems: u64,
    updated: u64,
    /// One example, for a repeat inside one file.
    example: Option<(Origin, Origin)>,
}

/// Checks and resolves the records of `returns`, read from the files in
/// the order given; moves what is not counted from `counted` to
/// `duplicates` or `rejected`, and says why in `notes` (repeats) and
/// `conflicts`.
pub fn resolve(returns: &mut Returns, context: &Context) {
    let mut repeats: BTreeMap<(usize, usize), Repeats> = BTreeMap::new();
    // Resolved in place (a city's 200,000 visits are not copied): a record
    // that does not count is marked, the later of two that stands is
    // swapped into the earlier one's place, and the marked ones go at the end.
    let visits = &mut returns.visits;
    let mut keep = vec![true; visits.len()];
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(visits.len());
    for j in 0..visits.len() {
        if let Err(p) = visit_in_bounds(&visits[j], context) {
            keep[j] = false;
            reject(&mut returns.households, &mut returns.rejected, p);
            continue;
        }
        let identity = visits[j].identity();
        let Some(&i) = seen.get(&identity) else {
            seen.insert(identity, j);
            continue;
        };
        keep[j] = false;
        let (first, v) = (&visits[i], &visits[j]);
        let pair = (first.origin.source, v.origin.source);
        let same_state = first.state == v.state;
        if first.content == v.content && (same_state || pair.0 != pair.1) {
            let r = repeats.entry(pair).or_default();
            r.households += 1;
            r.updated += u64::from(!same_state);
            r.example
                .get_or_insert((first.origin.clone(), v.origin.clone()));
            move_to_duplicates(&mut returns.households);
            if !same_state {
                visits.swap(i, j);
            }
        } else if pair.0 == pair.1 {
            let p = same_file_conflict(&visit_name(v), &first.origin, &v.origin);
            reject(&mut returns.households, &mut returns.rejected, p);
        } else {
            returns
                .conflicts
                .push(conflict(&visit_name(v), &first.origin, &v.origin));
            move_to_duplicates(&mut returns.households);
            visits.swap(i, j);
        }
    }
    let mut flags = keep.into_iter();
    visits.retain(|_| flags.next().unwrap_or(false));

    let problems = &mut returns.problems;
    let mut keep = vec![true; problems.len()];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for j in 0..problems.len() {
        // Counts from other departments' summaries carry no identity.
        let Some(origin) = problems[j].origin.clone() else {
            continue;
        };
        if let Err(fault) = problem_in_bounds(&problems[j], &origin, context) {
            keep[j] = false;
            reject(&mut returns.problem_rows, &mut returns.rejected, fault);
            continue;
        }
        let p = &mut problems[j];
        p.solved_since = p.solved.then(|| p.solved_on.unwrap_or(context.received));
        let Some(&i) = seen.get(&p.identity) else {
            seen.insert(p.identity.clone(), j);
            continue;
        };
        keep[j] = false;
        let first_origin = problems[i].origin.clone().unwrap_or_else(|| origin.clone());
        let pair = (first_origin.source, origin.source);
        let (first, p) = (&problems[i], &problems[j]);
        let same_state = first.state == p.state;
        if first.content == p.content && (same_state || pair.0 != pair.1) {
            let r = repeats.entry(pair).or_default();
            r.problems += 1;
            r.updated += u64::from(!same_state);
            r.example.get_or_insert((first_origin, origin));
            move_to_duplicates(&mut returns.problem_rows);
            if !same_state {
                // Solved before and still solved: it was solved then.
                if first.solved && p.solved && p.solved_on.is_none() {
                    problems[j].solved_since = problems[i].solved_since;
                }
                problems.swap(i, j);
            }
        } else if pair.0 == pair.1 {
            let fault = same_file_conflict(&problem_name(p), &first_origin, &origin);
            reject(&mut returns.problem_rows, &mut returns.rejected, fault);
        } else {
            returns
                .conflicts
                .push(conflict(&problem_name(p), &first_origin, &origin));
            move_to_duplicates(&mut returns.problem_rows);
            problems.swap(i, j);
        }
    }
    let mut flags = keep.into_iter();
    problems.retain(|_| flags.next().unwrap_or(false));

    for ((a, b), r) in repeats {
        returns.notes.push(repeat_note(a, b, &r, &returns.files));
    }
}

fn move_to_duplicates(account: &mut Account) {
    account.counted -= 1;
    account.duplicates += 1;
}

fn reject(account: &mut Account, rejected: &mut Vec<Problem>, p: Problem) {
    account.counted -= 1;
    account.rejected += 1;
    rejected.push(p);
}

fn visit_in_bounds(v: &Visit, context: &Context) -> Result<(), Problem> {
    dated_in_campaign(v.date, "走访日期", &v.origin, context)?;
    if let Some(printed) = &context.printed
        && !v.serial.is_empty()
        && !printed.contains(&v.serial)
    {
        return Err(Problem::fault(
            v.origin.place(),
            format!("编号「{}」不是名单印出的入户调查表编号", v.serial),
            "请对照纸质表核对编号（如 ZF0001-07）；这一行没有计入汇总",
        ));
    }
    Ok(())
}

fn problem_in_bounds(p: &ProblemRecord, origin: &Origin, context: &Context) -> Result<(), Problem> {
    if let Some(day) = p.date {
        dated_in_campaign(day, "走访日期", origin, context)?;
    }
    if let Some(day) = p.solved_on {
        dated_in_campaign(day, "办结日期", origin, context)?;
    }
    Ok(())
}

/// A date no earlier than the campaign's start and no later than the day
/// the return was received.
fn dated_in_campaign(
    day: Date,
    what: &str,
    origin: &Origin,
    context: &Context,
) -> Result<(), Problem> {
    let (message, hint) = if day < context.start {
        (
            format!(
                "{what}（{}）早于走访开始的日期（{}）",
                show_date(day),
                show_date(context.start)
            ),
            "请核对年份和月份；走访开始的日期可在设置文件中用 campaign_start 修改",
        )
    } else if day > context.received {
        (
            format!(
                "{what}（{}）晚于收到这份表的日期（{}）",
                show_date(day),
                show_date(context.received)
            ),
            "请核对年份和月份；收到日期不是今天时，请用 --received 写明",
        )
    } else {
        return Ok(());
    };
    Err(Problem::fault(
        origin.place(),
        message,
        format!("{hint}。这一行没有计入汇总"),
    ))
}

/// How a message names a household.
pub(crate) fn visit_name(v: &Visit) -> String {
    if v.serial.is_empty() {
        format!("户主「{}」（采集人{}）的入户调查", v.head, v.cadre)
    } else {
        format!("编号「{}」的入户调查", v.serial)
    }
}

/// How a message names a problem.
pub(crate) fn problem_name(p: &ProblemRecord) -> String {
    match p.identity.rsplit_once('#') {
        Some((_, number)) if p.described.is_some() => {
            format!("{}问题清单序号{number}的问题", p.department)
        }
        _ => {
            let text: String = p.text.chars().take(20).collect();
            format!("问题「{text}」")
        }
    }
}

/// The same record with different content in two files: the later stands.
fn conflict(what: &str, first: &Origin, later: &Origin) -> Problem {
    Problem::fault(
        later.place(),
        format!("{what}在{}也有一份，两份内容不同", first.describe()),
        "按后交的这一份计算；如果前一份才对，请改正这一行后重新汇总",
    )
}

/// The same record twice in one file, differently: the second is not counted.
fn same_file_conflict(what: &str, first: &Origin, later: &Origin) -> Problem {
    Problem::fault(
        later.place(),
        format!("{what}在本表第{}行已经有了，两行内容不同", first.row),
        "一张表只能填一行：请对照纸质表核对编号或序号后改正；这一行没有计入汇总",
    )
}

/// What was seen twice between two files (or inside one), counted once.
fn repeat_note(a: usize, b: usize, r: &Repeats, files: &[String]) -> Problem {
    let name = |i: usize| files.get(i).cloned().unwrap_or_default();
    let mut what = Vec::new();
    if r.households > 0 {
        what.push(format!("{} 户入户调查", r.households));
    }
    if r.problems > 0 {
        what.push(format!("{} 个问题", r.problems));
    }
    let what = what.join("和 ");
    let updated = if r.updated > 0 {
        format!(
            "，其中 {} 条的状态或办理情况有更新，按后交的为准",
            r.updated
        )
    } else {
        String::new()
    };
    let message = match &r.example {
        Some((first, later)) if a == b => format!(
            "本文件有 {what}重复填了（如工作表「{}」第{}行与第{}行相同）",
            later.sheet, later.row, first.row
        ),
        _ => format!("有 {what}在文件「{}」中已经交过{updated}", name(a)),
    };
    Problem::warning(
        crate::shared::fault::Place::file(name(b)),
        message,
        "重复的只计一次，不用改",
    )
}
