//! Returns: filled entry workbooks (annex 3 and annex 4 rows) and other
//! departments' summaries → checked visit and problem records, with every row
//! either counted or rejected with its place and reason.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::input::cell::{Cell, Sheet};
use crate::input::table::{Row, TableSpec, find_tables};
use crate::schema::returns::*;

use super::identity::{Identity, Key, Version};
use crate::schema::roster::{VillageKind, village_key};
use crate::shared::date::{Date, from_digits, from_serial, parse_date_text, show_date};
use crate::shared::fault::{Fault, Place};
use crate::shared::text::{clean, clean_name, column_letter, compact, half_width};

/// Where a village is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub(crate) district: String,
    pub(crate) town: String,
    pub(crate) village: String,
}

impl Location {
    /// The key villages are compared by (committee suffixes reduced).
    pub(crate) fn key(&self) -> (String, String, String) {
        (
            compact(&self.district),
            compact(&self.town),
            village_key(&self.village),
        )
    }
}

/// Where a row of a returns file is, for messages that name two places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub(crate) file: Arc<str>,
    pub(crate) sheet: Arc<str>,
    /// The row as the spreadsheet numbers it.
    pub(crate) row: u32,
    /// Index of the file among those read, in the order given: later files
    /// are taken as sent later.
    pub(crate) source: usize,
    /// Where the table's columns are in the sheet (by the table's column
    /// index), for a message about one cell; none for a record read back
    /// from the ledger.
    pub(crate) columns: Option<SheetColumns>,
}

/// Of each column of a table, its place in the sheet and its header text.
pub(crate) type SheetColumns = Arc<[Option<(u32, String)>]>;

/// The columns of `table` as `Origin::columns` holds them.
fn sheet_columns(table: &crate::input::table::Table) -> SheetColumns {
    (0..table.columns.len())
        .map(|col| table.columns[col].map(|c| (c as u32, table.header_text(col))))
        .collect()
}

impl Origin {
    fn of(row: &Row, file: &Arc<str>, sheet: &Arc<str>, columns: &SheetColumns) -> Origin {
        Origin {
            file: file.clone(),
            sheet: sheet.clone(),
            row: row.row_place().row.unwrap_or(0),
            source: 0,
            columns: Some(columns.clone()),
        }
    }

    /// The cell of the table's column `col` in this row, as a place for a
    /// message (the row alone when the column is not known).
    pub(crate) fn place_at(&self, col: usize) -> Place {
        Place {
            column: self
                .columns
                .as_ref()
                .and_then(|c| c.get(col).cloned().flatten()),
            ..self.place()
        }
    }

    /// The row as a place for a message.
    pub(crate) fn place(&self) -> Place {
        Place {
            file: self.file.to_string(),
            sheet: self.sheet.to_string(),
            row: Some(self.row),
            column: None,
        }
    }

    /// 文件「…」工作表「…」第N行, for a message about another row.
    pub(crate) fn describe(&self) -> String {
        format!(
            "文件「{}」工作表「{}」第{}行",
            self.file, self.sheet, self.row
        )
    }
}

/// One household visit (an annex-3 row).
#[derive(Debug, Clone)]
pub struct Visit {
    /// The printed form's serial (编号); may be empty in workbooks that
    /// zoufang did not write.
    pub(crate) serial: String,
    /// The household head (户主姓名).
    pub(crate) head: String,
    pub(crate) location: Location,
    pub(crate) cadre: String,
    pub(crate) department: String,
    pub(crate) date: Date,
    pub(crate) origin: Origin,
    /// A fingerprint of what the row says, but for the handling note
    /// (`state`), which moves on from week to week.
    pub(crate) content: u64,
    pub(crate) state: u64,
}

impl Visit {
    /// What identifies the household (see `identity`).
    pub(crate) fn key(&self) -> Key {
        if self.serial.is_empty() {
            Identity::Household {
                department: &self.department,
                cadre: &self.cadre,
                head: &self.head,
                village: &self.location.key(),
            }
            .key()
        } else {
            Identity::Serial(&self.serial).key()
        }
    }

    pub(crate) fn version(&self) -> Version {
        Version {
            content: self.content,
            state: self.state,
        }
    }
}

/// One problem (an annex-4 row), or a count of problems from a summary.
#[derive(Debug, Clone)]
pub struct Problem {
    pub(crate) location: Location,
    pub(crate) department: String,
    pub(crate) problem_type: ProblemType,
    pub(crate) category: Category,
    pub(crate) solved: bool,
    /// How many problems this record stands for (1 for a raw row).
    pub(crate) count: u64,
    /// The date, for raw rows (summaries carry counts without dates).
    pub(crate) date: Option<Date>,
    /// The problem text and the handling note, for the routed problem lists.
    pub(crate) text: String,
    pub(crate) handling: String,
    /// The cadre who collected it (走访人); empty for counts from summaries.
    pub(crate) cadre: String,
    /// 村 or 社区 when the record says so (summaries do).
    pub village_kind: Option<VillageKind>,
    /// The row, for a problem read from a problem list (not a count).
    pub(crate) origin: Option<Origin>,
    /// What identifies the problem (see `identity`): its 序号 where it has
    /// one, else what it says.
    pub(crate) identity: Key,
    /// The identity by what it says, kept while `identity` is by its 序号
    /// (a sheet that repeats a 序号 falls back to it).
    pub(crate) described: Option<Key>,
    /// Fingerprints of what the problem is, and of its state (status,
    /// handling note, 办结日期), which moves on from week to week.
    pub(crate) content: u64,
    pub(crate) state: u64,
    /// The day it was solved, from the 办结日期 column.
    pub(crate) solved_on: Option<Date>,
    /// The day it counts as solved: `solved_on`, else the day the first
    /// return that showed it solved was received (set when records are
    /// resolved, see `identity`).
    pub(crate) solved_since: Option<Date>,
}

impl Problem {
    /// The 序号 a problem is known by, if it is known by one.
    pub(crate) fn number(&self) -> Option<&str> {
        self.described.as_ref().and(self.identity.number())
    }

    pub(crate) fn version(&self) -> Version {
        Version {
            content: self.content,
            state: self.state,
        }
    }

    /// A problem list's row known by its 序号 (the entry workbook `kits`
    /// writes numbers its rows), if it has one.
    fn numbered(row: &Row, department: &str) -> Option<Key> {
        let number = match row.cell(P_NUMBER) {
            Cell::Number(n) if n.fract() == 0.0 && *n >= 1.0 => format!("{n}"),
            Cell::Text(s) if !compact(s).is_empty() => compact(s),
            _ => return None,
        };
        Some(
            Identity::Numbered {
                department,
                cadre: &clean_name(&row.text(P_CADRE)),
                number: &number,
            }
            .key(),
        )
    }

    /// A problem list's row known by what it says.
    fn described(
        row: &Row,
        department: &str,
        location: &Location,
        problem_type: ProblemType,
        category: Category,
    ) -> Key {
        Identity::Described {
            department,
            village: &location.key(),
            cadre: &clean_name(&row.text(P_CADRE)),
            visited: &compact(&row.text(P_VISITED)),
            date: &compact(&row.cell(P_DATE).display()),
            problem_type,
            category,
            text: &compact(&row.text(P_TEXT)),
        }
        .key()
    }
}

/// A fingerprint of the given columns of a row, as a person reads them.
fn fingerprint(row: &Row, columns: impl Iterator<Item = usize>) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    for c in columns {
        match row.cell(c) {
            Cell::Empty => {}
            Cell::Text(s) => h.write(s.trim().as_bytes()),
            other => h.write(other.display().as_bytes()),
        }
        h.write_u8(0x1f);
    }
    h.finish()
}

/// Weekly figures of one department, as read from another summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub(crate) cadres: u64,
    pub(crate) households: u64,
    pub(crate) problems: u64,
    pub(crate) solved: u64,
}

/// A row that was not counted, with why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub(crate) file: String,
    pub(crate) sheet: String,
    pub(crate) row: u32,
    pub(crate) column: String,
    pub(crate) value: String,
    pub(crate) reason: String,
}

impl Rejected {
    pub(crate) fn from_problem(p: &Fault) -> Rejected {
        Rejected {
            file: p.place.file.clone(),
            sheet: p.place.sheet.clone(),
            row: p.place.row.unwrap_or(0),
            column: p
                .place
                .column
                .as_ref()
                .map(|(c, h)| format!("{}（{h}）", column_letter(*c)))
                .unwrap_or_default(),
            value: p.value.clone().unwrap_or_default(),
            reason: format!("{}。{}", p.message, p.hint),
        }
    }
}

/// Rows of one table: read, counted, rejected, blank (pre-filled forms not filled in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    pub read: u64,
    pub counted: u64,
    /// Rows of a household or problem already counted from another row
    /// (the same workbook sent again, a row repeated).
    pub duplicates: u64,
    pub rejected: u64,
    pub blank: u64,
}

/// Everything read from the returns.
#[derive(Debug, Default)]
pub struct Returns {
    pub visits: Vec<Visit>,
    pub problems: Vec<Problem>,
    /// Weekly figures per department read from other summaries: (department, period, cumulative).
    pub(crate) figures: Vec<(String, Figures, Figures)>,
    pub rejected: Vec<Fault>,
    /// The same household or problem with different content in two files
    /// (the later one is counted; see `identity`).
    pub conflicts: Vec<Fault>,
    /// The files read, in the order given (`Origin::source` indexes them).
    pub(crate) files: Vec<String>,
    /// The departments that sent a return in the period, when the ledger
    /// knows (its imports); else the records tell (see `count::completeness`).
    pub(crate) reported: Option<BTreeSet<String>>,
    /// The household forms the ledger notes as scanned back on paper
    /// (`zoufang scan`), by serial, and whether each was filled in; none
    /// when the ledger notes none.
    pub(crate) paper: Option<Vec<(String, bool)>>,
    /// Messages about files and sheets (unreadable, unrecognised).
    pub(crate) notes: Vec<Fault>,
    pub households: Account,
    pub problem_rows: Account,
    pub summary_rows: Account,
}

impl Returns {
    /// Adds what `other` read after what this one did.
    pub(crate) fn append(&mut self, mut other: Returns) {
        self.visits.append(&mut other.visits);
        self.problems.append(&mut other.problems);
        self.figures.append(&mut other.figures);
        self.rejected.append(&mut other.rejected);
        self.conflicts.append(&mut other.conflicts);
        self.notes.append(&mut other.notes);
        for (mine, theirs) in [
            (&mut self.households, other.households),
            (&mut self.problem_rows, other.problem_rows),
            (&mut self.summary_rows, other.summary_rows),
        ] {
            mine.read += theirs.read;
            mine.counted += theirs.counted;
            mine.duplicates += theirs.duplicates;
            mine.rejected += theirs.rejected;
            mine.blank += theirs.blank;
        }
    }

    /// Marks every record as read from file `source` (its index among the
    /// files given).
    pub(crate) fn read_from(mut self, source: usize) -> Returns {
        for v in &mut self.visits {
            v.origin.source = source;
        }
        for o in self.problems.iter_mut().filter_map(|p| p.origin.as_mut()) {
            o.source = source;
        }
        self
    }

    pub(crate) fn rejected_rows(&self) -> Vec<Rejected> {
        self.rejected.iter().map(Rejected::from_problem).collect()
    }
}

/// Reads a date cell: Excel dates, `2017-03-08`, `2017.3.8`, `2017/3/8`,
/// `2017年3月8日`, `20170308`, and ISO date-times.
pub(crate) fn parse_date(cell: &Cell) -> Option<Date> {
    match cell {
        Cell::Date(serial) => from_serial(*serial),
        Cell::Number(n) if *n >= 19_900_101.0 && n.fract() == 0.0 => from_digits(*n as i64),
        Cell::Number(n) if (20_000.0..80_000.0).contains(n) => from_serial(*n),
        Cell::Text(s) => parse_date_text(s),
        _ => None,
    }
}

/// Reads every returns table of the sheets into `out`.
pub fn read_returns(sheets: &[Sheet], source: &str, out: &mut Returns) {
    read_returns_of(sheets, source, false, out);
}

/// The tables a returns file may hold, in the order they are read.
const TABLES: [&TableSpec; 4] = [&HOUSEHOLDS, &PROBLEMS, &SUMMARY_ROWS, &WEEKLY_ROWS];

/// Whether a sheet holds the household table (what `read::read_input_deferring`
/// leaves for later): its first rows decide, as in `read_returns`.
pub(crate) fn holds_households(sheet: &Sheet) -> bool {
    let tables = find_tables(&TABLES, std::slice::from_ref(sheet), &mut Vec::new());
    !tables[0].is_empty()
}

/// `read_returns` for the sheets read first of a file whose household
/// sheets are read later (`deferred`): finding no table in these is then no fault.
pub(crate) fn read_returns_of(sheets: &[Sheet], source: &str, deferred: bool, out: &mut Returns) {
    let mut notes = Vec::new();
    let tables = find_tables(&TABLES, sheets, &mut notes);
    if !deferred && tables.iter().all(Vec::is_empty) {
        notes.push(Fault::error(
            Place::file(source),
            "没有找到入户调查表、问题清单或附件5汇总表",
            "请给出走访材料生成的录入表（填好后），或汇总程序生成的汇总表；表头文字请与说明一致",
        ));
    }
    out.notes.append(&mut notes);
    let names = |table: &crate::input::table::Table| -> (Arc<str>, Arc<str>, SheetColumns) {
        (
            table.sheet.file.as_str().into(),
            table.sheet.name.as_str().into(),
            sheet_columns(table),
        )
    };
    for table in &tables[0] {
        let (file, sheet, columns) = names(table);
        for row in table.data_rows() {
            out.households.read += 1;
            if is_blank_form(
                &row,
                &[
                    H_SERIAL,
                    H_DISTRICT,
                    H_TOWN,
                    H_VILLAGE,
                    H_CADRE,
                    H_DEPARTMENT,
                ],
            ) {
                out.households.blank += 1;
                continue;
            }
            match read_visit(&row, Origin::of(&row, &file, &sheet, &columns)) {
                Ok(v) => {
                    out.households.counted += 1;
                    out.visits.push(v);
                }
                Err(p) => {
                    out.households.rejected += 1;
                    out.rejected.push(p);
                }
            }
        }
    }
    for table in &tables[1] {
        let (file, sheet, columns) = names(table);
        let first = out.problems.len();
        for row in table.data_rows() {
            out.problem_rows.read += 1;
            if is_blank_form(
                &row,
                &[
                    P_NUMBER,
                    P_DISTRICT,
                    P_TOWN,
                    P_VILLAGE,
                    P_CADRE,
                    P_DEPARTMENT,
                ],
            ) {
                out.problem_rows.blank += 1;
                continue;
            }
            match read_problem(&row, Origin::of(&row, &file, &sheet, &columns)) {
                Ok(p) => {
                    out.problem_rows.counted += 1;
                    out.problems.push(p);
                }
                Err(p) => {
                    out.problem_rows.rejected += 1;
                    out.rejected.push(p);
                }
            }
        }
        // A 序号 this sheet repeats (lists of several cadres pasted
        // together) identifies nothing: those rows go by what they say.
        let mut numbers: HashMap<Key, usize> = HashMap::new();
        for p in &out.problems[first..] {
            if p.described.is_some() {
                *numbers.entry(p.identity.clone()).or_default() += 1;
            }
        }
        for p in &mut out.problems[first..] {
            if numbers.get(&p.identity).is_some_and(|n| *n > 1)
                && let Some(described) = p.described.take()
            {
                p.identity = described;
            }
        }
    }
    for table in &tables[2] {
        for row in table.data_rows() {
            out.summary_rows.read += 1;
            match read_summary_row(&row) {
                Ok(records) => {
                    out.summary_rows.counted += 1;
                    out.problems.extend(records);
                }
                Err(p) => {
                    out.summary_rows.rejected += 1;
                    out.rejected.push(p);
                }
            }
        }
    }
    for table in &tables[3] {
        for row in table.data_rows() {
            out.summary_rows.read += 1;
            match read_weekly_row(&row) {
                Ok(f) => {
                    out.summary_rows.counted += 1;
                    out.figures.push(f);
                }
                Err(p) => {
                    out.summary_rows.rejected += 1;
                    out.rejected.push(p);
                }
            }
        }
    }
}

/// A row holding only what `kits` pre-filled (serial, place, cadre,
/// department): a printed form that was not used.
fn is_blank_form(row: &Row, prefilled: &[usize]) -> bool {
    (0..row.table.columns.len())
        .filter(|c| !prefilled.contains(c))
        .all(|c| row.cell(c).is_empty())
}

/// A row with a formula error in any of its columns is not counted: the
/// error stands for a value nobody can see.
fn no_error_cells(row: &Row) -> Result<(), Fault> {
    match (0..row.table.columns.len()).find_map(|c| row.error_cell(c)) {
        Some(mut p) => {
            p.hint += "，这一行没有计入汇总";
            Err(p)
        }
        None => Ok(()),
    }
}

fn required(row: &Row, col: usize) -> Result<String, Fault> {
    let value = row.text(col);
    if value.is_empty() {
        let name = row.table.spec.columns[col].name;
        return Err(Fault::error(
            row.place(col),
            format!("「{name}」没有填"),
            format!("请补上{name}，这一行没有计入汇总"),
        ));
    }
    Ok(value)
}

fn date_of(row: &Row, col: usize) -> Result<Date, Fault> {
    let cell = row.cell(col);
    if cell.is_empty() {
        return Err(Fault::error(
            row.place(col),
            "走访日期没有填",
            "请补上走访日期，这一行没有计入汇总",
        ));
    }
    parse_date(cell).ok_or_else(|| {
        Fault::error(
            row.place(col),
            "走访日期看不懂",
            "请写成 2017-03-08、2017.3.8、2017/3/8 或 2017年3月8日，这一行没有计入汇总",
        )
        .with_value(clean(&cell.display()))
    })
}

fn location(row: &Row, district: usize, town: usize, village: usize) -> Result<Location, Fault> {
    Ok(Location {
        district: required(row, district)?,
        town: required(row, town)?,
        village: required(row, village)?,
    })
}

/// Most people a household form may list: more is a typing error.
const MAX_MEMBERS: u64 = 50;

fn read_visit(row: &Row, origin: Origin) -> Result<Visit, Fault> {
    no_error_cells(row)?;
    let head = clean_name(&required(row, H_HEAD)?);
    if !row.cell(H_MEMBERS).is_empty() {
        match count_of(row, H_MEMBERS) {
            Ok(n) if (1..=MAX_MEMBERS).contains(&n) => {}
            _ => {
                return Err(Fault::error(
                    row.place(H_MEMBERS),
                    format!("家庭成员数应为1到{MAX_MEMBERS}之间的整数"),
                    "请只填人数，如 3；这一行没有计入汇总",
                )
                .with_value(row.text(H_MEMBERS)));
            }
        }
    }
    let columns = 0..row.table.columns.len();
    let serial = half_width(&row.text(H_SERIAL)).replace(' ', "");
    Ok(Visit {
        // The head identifies a household only where no serial does; it is
        // kept for every row so that two rows of one household that differ
        // can say how.
        head,
        serial,
        location: location(row, H_DISTRICT, H_TOWN, H_VILLAGE)?,
        cadre: clean_name(&required(row, H_CADRE)?),
        department: required(row, H_DEPARTMENT)?,
        date: date_of(row, H_DATE)?,
        origin,
        content: fingerprint(row, columns.filter(|&c| c != H_HANDLING)),
        state: fingerprint(row, [H_HANDLING].into_iter()),
    })
}

fn read_problem(row: &Row, origin: Origin) -> Result<Problem, Fault> {
    no_error_cells(row)?;
    let location = location(row, P_DISTRICT, P_TOWN, P_VILLAGE)?;
    let problem_type = ProblemType::parse(&required(row, P_TYPE)?).ok_or_else(|| {
        Fault::error(
            row.place(P_TYPE),
            "类型只能是「困难需求」或「意见建议」",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(P_TYPE))
    })?;
    let category = Category::parse(&required(row, P_CATEGORY)?).ok_or_else(|| {
        Fault::error(
            row.place(P_CATEGORY),
            "类别不是附件5的七类之一",
            format!(
                "请改成{}之一，这一行没有计入汇总",
                Category::labels().join("、")
            ),
        )
        .with_value(row.text(P_CATEGORY))
    })?;
    let solved = parse_status(&required(row, P_STATUS)?).ok_or_else(|| {
        Fault::error(
            row.place(P_STATUS),
            "状态只能是「已解决」或「待解决」",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(P_STATUS))
    })?;
    let department = required(row, P_DEPARTMENT)?;
    let date = if row.cell(P_DATE).is_empty() {
        None
    } else {
        Some(date_of(row, P_DATE)?)
    };
    let solved_on = solved_on(row, solved, date)?;
    let state_columns = [P_STATUS, P_HANDLING, P_SOLVED_ON];
    let described = Problem::described(row, &department, &location, problem_type, category);
    let (identity, described) = match Problem::numbered(row, &department) {
        Some(numbered) => (numbered, Some(described)),
        None => (described, None),
    };
    let columns = 0..row.table.columns.len();
    Ok(Problem {
        content: fingerprint(
            row,
            columns.filter(|c| *c != P_NUMBER && !state_columns.contains(c)),
        ),
        state: fingerprint(row, state_columns.into_iter()),
        location,
        department,
        problem_type,
        category,
        solved,
        count: 1,
        date,
        text: row.text(P_TEXT),
        handling: row.text(P_HANDLING),
        cadre: row.text(P_CADRE),
        village_kind: None,
        origin: Some(origin),
        identity,
        described,
        solved_on,
        solved_since: None,
    })
}

/// The 办结日期 of a problem row: only for a solved problem, not before
/// it was raised.
fn solved_on(row: &Row, solved: bool, raised: Option<Date>) -> Result<Option<Date>, Fault> {
    let cell = row.cell(P_SOLVED_ON);
    if cell.is_empty() {
        return Ok(None);
    }
    let value = || clean(&cell.display());
    let day = parse_date(cell).ok_or_else(|| {
        Fault::error(
            row.place(P_SOLVED_ON),
            "办结日期看不懂",
            "请写成 2017-03-08、2017.3.8、2017/3/8 或 2017年3月8日，这一行没有计入汇总",
        )
        .with_value(value())
    })?;
    if !solved {
        return Err(Fault::error(
            row.place(P_SOLVED_ON),
            "状态是待解决，却填了办结日期",
            "问题解决了请把状态改为已解决；还没解决请删去办结日期。这一行没有计入汇总",
        )
        .with_value(value()));
    }
    if let Some(raised) = raised
        && day < raised
    {
        return Err(Fault::error(
            row.place(P_SOLVED_ON),
            format!("办结日期早于走访日期（{}）", show_date(raised)),
            "请核对两个日期，这一行没有计入汇总",
        )
        .with_value(value()));
    }
    Ok(Some(day))
}

fn count_of(row: &Row, col: usize) -> Result<u64, Fault> {
    let bad = || {
        Fault::error(
            row.place(col),
            "应为不小于0的整数",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(col))
    };
    match row.cell(col) {
        c if c.is_empty() => Ok(0),
        Cell::Number(n) if *n >= 0.0 && n.fract() == 0.0 => Ok(*n as u64),
        Cell::Text(s) => half_width(&clean(s)).parse::<u64>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn read_summary_row(row: &Row) -> Result<Vec<Problem>, Fault> {
    no_error_cells(row)?;
    let location = location(row, S_DISTRICT, S_TOWN, S_VILLAGE)?;
    let village_kind = VillageKind::parse(&required(row, S_KIND)?).ok_or_else(|| {
        Fault::error(
            row.place(S_KIND),
            "只能是「村」或「社区」",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(S_KIND))
    })?;
    let department = required(row, S_DEPARTMENT)?;
    let problem_type = ProblemType::parse(&required(row, S_TYPE)?).ok_or_else(|| {
        Fault::error(
            row.place(S_TYPE),
            "项目只能是「困难需求」或「意见建议」",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(S_TYPE))
    })?;
    let category = Category::parse(&required(row, S_CATEGORY)?).ok_or_else(|| {
        Fault::error(
            row.place(S_CATEGORY),
            "具体内容不是附件5的七类之一",
            "请改正，这一行没有计入汇总",
        )
        .with_value(row.text(S_CATEGORY))
    })?;
    let solved = count_of(row, S_SOLVED)?;
    let pending = count_of(row, S_PENDING)?;
    let village = location.key();
    let record = |solved_flag: bool, count: u64| Problem {
        location: location.clone(),
        department: department.clone(),
        problem_type,
        category,
        solved: solved_flag,
        count,
        date: None,
        text: String::new(),
        handling: String::new(),
        cadre: String::new(),
        village_kind: Some(village_kind),
        origin: None,
        identity: Identity::SummaryCell {
            department: &department,
            village: &village,
            problem_type,
            category,
            solved: solved_flag,
        }
        .key(),
        described: None,
        // A count is superseded as a whole: what it says is its cell
        // (the identity), its state the count.
        content: 0,
        state: count,
        solved_on: None,
        solved_since: None,
    };
    // One summary row carries both counts: one record per status with a count.
    Ok([(true, solved), (false, pending)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| record(s, n))
        .collect())
}

fn read_weekly_row(row: &Row) -> Result<(String, Figures, Figures), Fault> {
    no_error_cells(row)?;
    let department = required(row, W_DEPARTMENT)?;
    let figures = |columns: [usize; 4]| -> Result<Figures, Fault> {
        let [cadres, households, problems, solved] = columns.map(|c| count_of(row, c));
        Ok(Figures {
            cadres: cadres?,
            households: households?,
            problems: problems?,
            solved: solved?,
        })
    };
    Ok((department, figures(W_PERIOD)?, figures(W_CUMULATIVE)?))
}
