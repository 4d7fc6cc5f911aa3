//! What a workbook holds, by the tables found in it: a roster, a returned
//! entry workbook, a summary from another department, or none of these. The
//! page asks before it stores a file, so that a file dropped on the wrong
//! step is said to be what it is, and stored nowhere.

use crate::input::cell::Sheet;
use crate::input::table::find_tables;

use super::returns::{HOUSEHOLDS, PROBLEMS, SUMMARY_ROWS, WEEKLY_ROWS};
use super::roster::{CADRES, DEPARTMENTS, VILLAGES};

/// What a workbook holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The roster: departments, villages and communities, cadres.
    Roster,
    /// A department's entry workbook, filled in: households, problems.
    Return,
    /// Another department's summary (annex 5, weekly figures).
    Summary,
    /// None of the campaign's tables.
    Nothing,
}

impl Holds {
    /// What the file is, in a clerk's words.
    pub fn words(self) -> &'static str {
        match self {
            Holds::Roster => "走访名单",
            Holds::Return => "各单位交回的录入表",
            Holds::Summary => "汇总表（附件5 或每周走访情况）",
            Holds::Nothing => "不是走访用的表格（没有找到名单、录入表或汇总表的表头）",
        }
    }
}

/// What the sheets hold: the tables each sheet is best taken for, the
/// returns' tables first (an entry workbook names villages and cadres too).
pub fn recognise(sheets: &[Sheet]) -> Holds {
    let specs = [
        &HOUSEHOLDS,
        &PROBLEMS,
        &SUMMARY_ROWS,
        &WEEKLY_ROWS,
        &DEPARTMENTS,
        &VILLAGES,
        &CADRES,
    ];
    let found = find_tables(&specs, sheets, &mut Vec::new());
    let any = |range: std::ops::Range<usize>| found[range].iter().any(|t| !t.is_empty());
    if any(0..2) {
        Holds::Return
    } else if any(2..4) {
        Holds::Summary
    } else if any(4..7) {
        Holds::Roster
    } else {
        Holds::Nothing
    }
}
