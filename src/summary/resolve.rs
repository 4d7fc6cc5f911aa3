//! Nothing counts twice, within one run: which records are the same is
//! decided by `identity` (the rule, and the comparison of two versions);
//! here every record is checked and resolved once. The
//! same record seen again with the same content counts once (a note); with
//! its state moved on (a status, a handling note) the later one stands; the
//! same identity with different content is a conflict that names both
//! places: the later file stands, or, inside one file, the second row is
//! not counted. Rows dated outside the campaign, and serials the roster
//! never printed, are rejected with their reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::identity::{Change, Key, Version, compare};
use super::returns::{Account, Origin, Problem, Returns, Visit};
use crate::schema::returns::{
    H_CADRE, H_DATE, H_DEPARTMENT, H_HEAD, H_SERIAL, H_VILLAGE, P_CADRE, P_CATEGORY, P_DATE,
    P_SOLVED_ON, P_TEXT, P_TYPE, P_VILLAGE,
};
use crate::shared::date::{Date, show_date};
use crate::shared::fault::{Fault, Place};

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

/// Why `received` cannot be the day returns were received: before the
/// campaign's first day, or after today (a mistyped year: its rows would
/// show in no report of the campaign). Said without saying how the day is
/// given (a flag, a field on the page): each face adds that.
pub fn received_out_of_bounds(received: Date, start: Date, today: Date) -> Option<String> {
    if received < start {
        Some(format!(
            "收到日期（{}）早于走访开始的日期（{}）",
            show_date(received),
            show_date(start)
        ))
    } else if received > today {
        Some(format!(
            "收到日期（{}）晚于今天（{}）",
            show_date(received),
            show_date(today)
        ))
    } else {
        None
    }
}

/// Repeats seen between two files (or inside one): rows identical to one
/// counted before, and rows whose state moved on.
#[derive(Default)]
pub(crate) struct Repeats {
    households: u64,
    problems: u64,
    updated: u64,
    /// One example, for a repeat inside one file.
    example: Option<(Origin, Origin)>,
}

/// A record of the returns, as the de-duplication sees it.
pub(crate) trait Record {
    /// Where it was read; none for counts from other departments'
    /// summaries, which are not de-duplicated.
    fn origin(&self) -> Option<&Origin>;
    fn key(&self) -> Key;
    fn version(&self) -> Version;
    /// How a message names it.
    fn name(&self) -> String;
    /// Checks it against the campaign's bounds, and readies it to count.
    fn check(&mut self, context: &Context) -> Result<(), Fault>;
    /// Takes over what an earlier version of the same record knew, where
    /// this one stands for it.
    fn continue_from(&mut self, _earlier: &Self) {}
    /// Counts a repeat of one of these.
    fn count_repeat(repeats: &mut Repeats);
    /// How `later`, another version of the same record, differs from this
    /// one in the columns a record keeps.
    /// The columns a record keeps that a conflict compares: the table's
    /// column, its label, the value.
    fn fields(&self) -> [(usize, &'static str, String); FIELDS];
    /// How `later`, another version of the same record, differs from this one.
    fn differences(&self, later: &Self) -> Vec<Difference>
    where
        Self: Sized,
    {
        differences_from(self.fields().map(|(_, _, value)| value), later)
    }
}

/// How many columns a conflict compares.
pub(crate) const FIELDS: usize = 6;

/// How `later` differs from a version whose compared columns held
/// `before` (in `Record::fields`' order). A column empty before is not
/// said to differ: a ledger from before it kept that column.
pub(crate) fn differences_from<T: Record>(before: [String; FIELDS], later: &T) -> Vec<Difference> {
    before
        .into_iter()
        .zip(later.fields())
        .filter(|(before, (_, _, after))| !before.is_empty() && before != after)
        .map(|(before, (column, label, after))| Difference {
            column,
            label,
            before,
            after,
        })
        .collect()
}

/// A column two versions of a record fill differently.
pub(crate) struct Difference {
    /// The table's column.
    column: usize,
    label: &'static str,
    before: String,
    after: String,
}

/// How a conflict says what differs: `户主姓名「李秀英」→「李秀芳」`.
pub(crate) fn said_differences(differences: &[Difference]) -> String {
    if differences.is_empty() {
        return "（不同之处在别的栏目，请对照这两行）".to_string();
    }
    let each: Vec<String> = differences
        .iter()
        .map(|d| format!("{}「{}」→「{}」", d.label, d.before, d.after))
        .collect();
    format!("：{}", each.join("，"))
}

impl Record for Visit {
    fn origin(&self) -> Option<&Origin> {
        Some(&self.origin)
    }
    fn key(&self) -> Key {
        Visit::key(self)
    }
    fn version(&self) -> Version {
        Visit::version(self)
    }
    fn name(&self) -> String {
        visit_name(self)
    }
    fn check(&mut self, context: &Context) -> Result<(), Fault> {
        visit_in_bounds(self, context)
    }
    fn count_repeat(repeats: &mut Repeats) {
        repeats.households += 1;
    }
    fn fields(&self) -> [(usize, &'static str, String); FIELDS] {
        let l = &self.location;
        [
            (H_HEAD, "户主姓名", self.head.clone()),
            (
                H_VILLAGE,
                "所在村（社区）",
                format!("{}{}{}", l.district, l.town, l.village),
            ),
            (H_CADRE, "采集人", self.cadre.clone()),
            (H_DEPARTMENT, "单位", self.department.clone()),
            (H_DATE, "走访日期", show_date(self.date)),
            (H_SERIAL, "编号", self.serial.clone()),
        ]
    }
}

impl Record for Problem {
    fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }
    fn key(&self) -> Key {
        self.identity.clone()
    }
    fn version(&self) -> Version {
        Problem::version(self)
    }
    fn name(&self) -> String {
        problem_name(self)
    }
    fn check(&mut self, context: &Context) -> Result<(), Fault> {
        problem_in_bounds(self, context)?;
        self.solved_since = self
            .solved
            .then(|| self.solved_on.unwrap_or(context.received));
        Ok(())
    }
    fn continue_from(&mut self, earlier: &Problem) {
        // Solved before and still solved: it was solved then.
        if earlier.solved && self.solved && self.solved_on.is_none() {
            self.solved_since = earlier.solved_since;
        }
    }
    fn count_repeat(repeats: &mut Repeats) {
        repeats.problems += 1;
    }
    fn fields(&self) -> [(usize, &'static str, String); FIELDS] {
        let l = &self.location;
        [
            (P_TEXT, "反映问题或意见建议", self.text.clone()),
            (
                P_VILLAGE,
                "所在村（社区）",
                format!("{}{}{}", l.district, l.town, l.village),
            ),
            (P_TYPE, "类型", self.problem_type.label().to_string()),
            (P_CATEGORY, "类别", self.category.label().to_string()),
            (
                P_DATE,
                "走访日期",
                self.date.map(show_date).unwrap_or_default(),
            ),
            (P_CADRE, "走访人", self.cadre.clone()),
        ]
    }
}

/// Checks and resolves the records of `returns`, read from the files in
/// the order given; moves what is not counted from `counted` to
/// `duplicates` or `rejected`, and says why in `notes` (repeats) and
/// `conflicts`.
pub fn resolve(returns: &mut Returns, context: &Context) {
    let mut repeats: BTreeMap<(usize, usize), Repeats> = BTreeMap::new();
    let mut said = Said {
        rejected: &mut returns.rejected,
        conflicts: &mut returns.conflicts,
        repeats: &mut repeats,
    };
    deduplicate(
        &mut returns.visits,
        &mut returns.households,
        &mut said,
        context,
    );
    deduplicate(
        &mut returns.problems,
        &mut returns.problem_rows,
        &mut said,
        context,
    );
    for ((a, b), r) in repeats {
        returns.notes.push(repeat_note(a, b, &r, &returns.files));
    }
}

/// Where the de-duplication says what it did.
struct Said<'a> {
    rejected: &'a mut Vec<Fault>,
    conflicts: &'a mut Vec<Fault>,
    repeats: &'a mut BTreeMap<(usize, usize), Repeats>,
}

/// The one de-duplication, over any record: of each identity the first
/// seen stands, in the place of the first, unless a later one from
/// another file moved its state on (an update) or says something else (a
/// conflict: the later file stands). Inside one file, a second row of the
/// same identity that differs is not counted. Done in place (a city's
/// 200,000 visits are not copied): a record that does not count is marked,
/// the later of two that stands is swapped into the earlier one's place,
/// and the marked ones are dropped at the end.
fn deduplicate<T: Record>(
    records: &mut Vec<T>,
    account: &mut Account,
    said: &mut Said,
    context: &Context,
) {
    let mut keep = vec![true; records.len()];
    let mut seen: HashMap<Key, usize> = HashMap::with_capacity(records.len());
    for j in 0..records.len() {
        let Some(origin) = records[j].origin().cloned() else {
            continue;
        };
        if let Err(fault) = records[j].check(context) {
            keep[j] = false;
            reject(account, said.rejected, fault);
            continue;
        }
        let key = records[j].key();
        let Some(&i) = seen.get(&key) else {
            seen.insert(key, j);
            continue;
        };
        keep[j] = false;
        let first_origin = records[i]
            .origin()
            .cloned()
            .unwrap_or_else(|| origin.clone());
        let pair = (first_origin.source, origin.source);
        let change = compare(records[i].version(), records[j].version());
        match change {
            Change::Same | Change::Updated if change == Change::Same || pair.0 != pair.1 => {
                let r = said.repeats.entry(pair).or_default();
                T::count_repeat(r);
                r.updated += u64::from(change == Change::Updated);
                r.example.get_or_insert((first_origin, origin));
                move_to_duplicates(account);
                if change == Change::Updated {
                    let (first, later) = records.split_at_mut(j);
                    later[0].continue_from(&first[i]);
                    records.swap(i, j);
                }
            }
            _ if pair.0 == pair.1 => {
                let differences = records[i].differences(&records[j]);
                let fault =
                    same_file_conflict(&records[j].name(), &first_origin, &origin, &differences);
                reject(account, said.rejected, fault);
            }
            _ => {
                let differences = records[i].differences(&records[j]);
                said.conflicts.push(conflict(
                    &records[j].name(),
                    &first_origin,
                    &origin,
                    &differences,
                ));
                move_to_duplicates(account);
                records.swap(i, j);
            }
        }
    }
    let mut flags = keep.into_iter();
    records.retain(|_| flags.next().unwrap_or(false));
}

fn move_to_duplicates(account: &mut Account) {
    account.counted -= 1;
    account.duplicates += 1;
}

fn reject(account: &mut Account, rejected: &mut Vec<Fault>, p: Fault) {
    account.counted -= 1;
    account.rejected += 1;
    rejected.push(p);
}

fn visit_in_bounds(v: &Visit, context: &Context) -> Result<(), Fault> {
    dated_in_campaign(v.date, "走访日期", v.origin.place_at(H_DATE), context)?;
    if let Some(printed) = &context.printed
        && !v.serial.is_empty()
        && !printed.contains(&v.serial)
    {
        return Err(Fault::error(
            v.origin.place_at(H_SERIAL),
            "这个编号不是名单印出的入户调查表编号",
            "请对照纸质表核对编号（如 ZF0001-07）；这一行没有计入汇总",
        )
        .with_value(v.serial.clone()));
    }
    Ok(())
}

fn problem_in_bounds(p: &Problem, context: &Context) -> Result<(), Fault> {
    let Some(origin) = &p.origin else {
        return Ok(());
    };
    if let Some(day) = p.date {
        dated_in_campaign(day, "走访日期", origin.place_at(P_DATE), context)?;
    }
    if let Some(day) = p.solved_on {
        dated_in_campaign(day, "办结日期", origin.place_at(P_SOLVED_ON), context)?;
    }
    Ok(())
}

/// A date no earlier than the campaign's start and no later than the day
/// the return was received. The message is the same for every row with the
/// same fault (the date is the cell's value), so that they are said as one.
fn dated_in_campaign(day: Date, what: &str, place: Place, context: &Context) -> Result<(), Fault> {
    let (message, hint) = if day < context.start {
        (
            format!("{what}早于走访开始的日期（{}）", show_date(context.start)),
            "请核对年份和月份".to_string(),
        )
    } else if day > context.received {
        (
            format!(
                "{what}晚于收到这份表的日期（{}）",
                show_date(context.received)
            ),
            "请核对年份和月份；如果是收到日期写错了，请改正收到日期后重新导入".to_string(),
        )
    } else {
        return Ok(());
    };
    Err(
        Fault::error(place, message, format!("{hint}。这一行没有计入汇总"))
            .with_value(show_date(day)),
    )
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
pub(crate) fn problem_name(p: &Problem) -> String {
    match p.number() {
        Some(number) => format!("{}问题清单序号{number}的问题", p.department),
        None => {
            let text: String = p.text.chars().take(20).collect();
            format!("问题「{text}」")
        }
    }
}

/// The same record with different content in two files: the later stands.
fn conflict(what: &str, first: &Origin, later: &Origin, differences: &[Difference]) -> Fault {
    Fault::error(
        differing_place(later, differences),
        format!(
            "{what}在{}也有一份，两份内容不同{}",
            first.describe(),
            said_differences(differences)
        ),
        "按后交的这一份计算；如果前一份才对，请改正这一行后重新汇总",
    )
}

/// The later row, at the first column that differs.
pub(crate) fn differing_place(later: &Origin, differences: &[Difference]) -> Place {
    match differences.first() {
        Some(d) => later.place_at(d.column),
        None => later.place(),
    }
}

/// The same record twice in one file, differently: the second is not counted.
fn same_file_conflict(
    what: &str,
    first: &Origin,
    later: &Origin,
    differences: &[Difference],
) -> Fault {
    Fault::error(
        differing_place(later, differences),
        format!(
            "{what}在本表第{}行已经有了，两行内容不同{}",
            first.row,
            said_differences(differences)
        ),
        "一张表只能填一行：请对照纸质表核对编号或序号后改正；这一行没有计入汇总",
    )
}

/// What was seen twice between two files (or inside one), counted once.
fn repeat_note(a: usize, b: usize, r: &Repeats, files: &[String]) -> Fault {
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
    Fault::warning(
        crate::shared::fault::Place::file(name(b)),
        message,
        "重复的只计一次，不用改",
    )
}
