//! Faults as the page's tables show them (sheet, row, column, value, what
//! is wrong, what to do), one by one or grouped as the terminal groups
//! them; and the answer that refuses with a sentence and its faults.

use serde::Serialize;

use super::Reply;
use crate::shared::fault::Fault;
use crate::shared::text::column_letter;

/// A fault, as a row of the page's table.
#[derive(Serialize)]
pub(super) struct Shown {
    severity: &'static str,
    sheet: String,
    row: Row,
    /// The column's letter, with its header when it has one.
    column: Option<String>,
    value: Option<String>,
    message: String,
    hint: String,
    /// How many faults the line stands for (grouped lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
}

/// The row a line names: one row, or (a group) how many and which.
#[derive(Serialize)]
#[serde(untagged)]
enum Row {
    One(Option<u32>),
    Many(String),
}

impl Shown {
    fn of(fault: &Fault) -> Shown {
        Shown {
            severity: if fault.is_error() { "错误" } else { "提醒" },
            sheet: fault.place.sheet.clone(),
            row: Row::One(fault.place.row),
            column: fault.place.column.as_ref().map(|(c, header)| {
                if header.is_empty() {
                    column_letter(*c)
                } else {
                    format!("{}（{header}）", column_letter(*c))
                }
            }),
            value: fault.value.clone(),
            message: fault.message.clone(),
            hint: fault.hint.clone(),
            count: None,
        }
    }
}

/// Every fault, one line each.
pub(super) fn each(faults: &[Fault]) -> Vec<Shown> {
    faults.iter().map(Shown::of).collect()
}

/// One line per reason and column, with the count and the first rows
/// (`row` then lists them, `value` their cells).
pub(super) fn grouped(faults: &[Fault]) -> Vec<Shown> {
    crate::shared::fault::grouped(faults)
        .iter()
        .map(|g| {
            let mut line = Shown::of(g.first);
            if g.count > 1 {
                let rows: Vec<String> = g.rows.iter().map(|(r, _)| r.to_string()).collect();
                let values: Vec<&str> = g.rows.iter().filter_map(|(_, v)| v.as_deref()).collect();
                let more = if g.count > g.rows.len() { "等" } else { "" };
                line.row = Row::Many(format!("共 {} 行：{}{more}", g.count, rows.join("、")));
                line.value = Some(format!("{}{more}", values.join("、")));
            }
            line.count = Some(g.count);
            line
        })
        .collect()
}

/// An answer that says what did not happen, with the faults why.
#[derive(Serialize)]
struct Refusal {
    message: String,
    problems: Vec<Shown>,
}

impl Reply {
    /// `message` with the faults behind it, each its own line.
    pub(super) fn faults(status: u16, message: impl Into<String>, faults: &[Fault]) -> Reply {
        Reply::typed(
            status,
            &Refusal {
                message: message.into(),
                problems: each(faults),
            },
        )
    }
}
