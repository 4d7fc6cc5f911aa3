//! Faults found in the user's files: where (file, sheet, row, column), what
//! the cell held, what is wrong and what to do, in the words of an office clerk.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::shared::text::column_letter;

/// Whether a fault stops the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Printing cannot go on until this is fixed.
    #[serde(rename = "Fault")]
    Error,
    /// Printing goes on; the office should look at it.
    Warning,
}

/// A place in a spreadsheet, as the spreadsheet program shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// File name as the user gave it.
    pub file: String,
    /// Sheet name (for a CSV file, the file's name).
    pub sheet: String,
    /// 1-based row number as shown by the spreadsheet program.
    pub row: Option<u32>,
    /// 0-based column index with the header text of that column.
    pub column: Option<(u32, String)>,
}

impl Place {
    /// A whole file.
    pub(crate) fn file(file: impl Into<String>) -> Self {
        Place {
            file: file.into(),
            sheet: String::new(),
            row: None,
            column: None,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "文件「{}」", self.file)?;
        if !self.sheet.is_empty() {
            write!(f, "工作表「{}」", self.sheet)?;
        }
        if let Some(row) = self.row {
            write!(f, "第{row}行")?;
        }
        match &self.column {
            Some((col, header)) if header.is_empty() => write!(f, "{}列", column_letter(*col))?,
            Some((col, header)) => write!(f, "{}列（{}）", column_letter(*col), header)?,
            None => {}
        }
        Ok(())
    }
}

/// Characters of a cell value quoted in a message.
const VALUE_SHOWN: usize = 40;

/// One thing wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub(crate) severity: Severity,
    pub place: Place,
    /// The cell's text as read, when the fault is about one value.
    pub(crate) value: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Fault {
    pub(crate) fn error(place: Place, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Fault {
            severity: Severity::Error,
            place,
            value: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn warning(
        place: Place,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Fault {
            severity: Severity::Warning,
            ..Fault::error(place, message, hint)
        }
    }

    /// Attaches the offending cell value; a very long one is cut to its
    /// first characters and its length, which is enough to find the cell.
    pub(crate) fn with_value(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        let chars = value.chars().count();
        self.value = Some(if chars > VALUE_SHOWN {
            let head: String = value.chars().take(VALUE_SHOWN).collect();
            format!("{head}……（共{chars}字）")
        } else {
            value
        });
        self
    }

    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "错误",
            Severity::Warning => "提醒",
        };
        write!(f, "【{tag}】{}", self.place)?;
        if let Some(value) = &self.value {
            write!(f, "，填的是「{value}」")?;
        }
        write!(f, "：{}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "。{}", self.hint)?;
        }
        write!(f, "。")
    }
}

/// Whether the system refused a file because another program holds it
/// open: on Windows, Excel and WPS lock the workbooks they show (a sharing
/// or lock violation; replacing a file that is open is refused as access
/// denied). Elsewhere files are not locked so.
pub(crate) fn held_open(e: &std::io::Error, writing: bool) -> bool {
    const ACCESS_DENIED: i32 = 5;
    const SHARING_VIOLATION: i32 = 32;
    const LOCK_VIOLATION: i32 = 33;
    cfg!(windows)
        && match e.raw_os_error() {
            Some(SHARING_VIOLATION | LOCK_VIOLATION) => true,
            Some(ACCESS_DENIED) => writing,
            _ => false,
        }
}

/// How a file another program holds open is said, and what to do.
const HELD_OPEN: &str = "正在别的程序（如 Excel、WPS）里打开着";
const CLOSE_IT: &str = "请在那个程序里关掉这个文件，然后再来一次";

/// A file another program holds open: `what_failed` (写不进去, 打不开…)
/// and the sentence of what to do.
pub(crate) fn held_open_fault(path: &std::path::Path, what_failed: &str) -> Fault {
    Fault::error(
        Place::file(path.display().to_string()),
        format!("{what_failed}：这个文件{HELD_OPEN}"),
        CLOSE_IT,
    )
}

/// Why a file could not be read or written, in a clerk's words where the
/// reason is a program that holds it open, else in the system's.
pub(crate) fn io_words(e: &std::io::Error, writing: bool) -> String {
    if held_open(e, writing) {
        format!("文件{HELD_OPEN}，请先在那个程序里关掉它")
    } else {
        e.to_string()
    }
}

/// A file that could not be written (`what`: 文件, 录入表…); `hint` says
/// what to do unless another program holds it open.
pub(crate) fn write_fault(
    path: &std::path::Path,
    what: &str,
    e: &std::io::Error,
    hint: &str,
) -> Fault {
    if held_open(e, true) {
        return held_open_fault(path, &format!("{what}写不进去"));
    }
    Fault::error(
        Place::file(path.display().to_string()),
        format!("{what}写不进去（{e}）"),
        hint,
    )
}

/// Puts faults in the order a clerk works through them: file, sheet, row,
/// column, then faults before warnings.
pub(crate) fn sort(faults: &mut [Fault]) {
    faults.sort_by(|a, b| {
        (
            &a.place.file,
            &a.place.sheet,
            a.place.row,
            a.place.column.as_ref().map(|c| c.0),
            a.severity,
        )
            .cmp(&(
                &b.place.file,
                &b.place.sheet,
                b.place.row,
                b.place.column.as_ref().map(|c| c.0),
                b.severity,
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_everything() {
        let place = Place {
            file: "名单.xlsx".into(),
            sheet: "干部".into(),
            row: Some(7),
            column: Some((3, "手机".into())),
        };
        let p =
            Fault::error(place, "手机号码应为11位数字", "请核对后改正").with_value("1380013800");
        assert_eq!(
            p.to_string(),
            "【错误】文件「名单.xlsx」工作表「干部」第7行D列（手机），填的是「1380013800」：手机号码应为11位数字。请核对后改正。"
        );
    }
}

/// The workbook that lists every fault of a run, a row each.
pub const FAULT_LIST: &str = "说明清单.xlsx";

/// Rows listed with a group of faults; the rest are counted.
const ROWS_SHOWN: usize = 5;

/// Faults that say the same thing of one column of one sheet, in many
/// rows, said once: the first fault, how many rows, and their numbers.
#[derive(Debug, Serialize)]
pub struct Group<'a> {
    #[serde(flatten)]
    pub first: &'a Fault,
    /// How many faults the group holds.
    pub count: usize,
    /// The first rows (at most `ROWS_SHOWN`), as the spreadsheet numbers
    /// them, each with what its cell held.
    pub rows: Vec<(u32, Option<String>)>,
}

/// `faults` grouped by what they say and where (severity, file, sheet,
/// column, message, hint), in the order each group first appears.
pub fn grouped(faults: &[Fault]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for f in faults {
        let key = (
            f.severity,
            &f.place.file,
            &f.place.sheet,
            &f.place.column,
            &f.message,
            &f.hint,
        );
        let n = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                first: f,
                count: 0,
                rows: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[n];
        group.count += 1;
        if let Some(row) = f.place.row
            && group.rows.len() < ROWS_SHOWN
        {
            group.rows.push((row, f.value.clone()));
        }
    }
    groups
}

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.count == 1 {
            return self.first.fmt(f);
        }
        let Fault {
            severity,
            place,
            message,
            hint,
            ..
        } = self.first;
        let tag = match severity {
            Severity::Error => "错误",
            Severity::Warning => "提醒",
        };
        let whole = Place {
            row: None,
            ..place.clone()
        };
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|(row, value)| match value {
                Some(v) => format!("第{row}行「{v}」"),
                None => format!("第{row}行"),
            })
            .collect();
        let more = if self.count > self.rows.len() {
            "等"
        } else {
            ""
        };
        write!(
            f,
            "【{tag}】{whole}共 {} 行（{}{more}）：{message}",
            self.count,
            rows.join("、")
        )?;
        if !hint.is_empty() {
            write!(f, "。{hint}")?;
        }
        write!(f, "。")
    }
}

/// Every fault, one a row, as a sheet of the workbook that lists them in
/// full where the screen says them grouped.
pub(crate) fn fault_sheet(faults: &[Fault]) -> crate::shared::xlsx::SheetSpec {
    use crate::shared::xlsx::{Value, n, t};
    let headers = [
        "类别",
        "文件",
        "工作表",
        "行",
        "列",
        "列名",
        "填的是",
        "哪里不对",
        "怎么办",
    ];
    let rows = faults
        .iter()
        .map(|f| {
            let (letter, header) = match &f.place.column {
                Some((c, h)) => (column_letter(*c), h.as_str()),
                None => (String::new(), ""),
            };
            vec![
                t(match f.severity {
                    Severity::Error => "错误",
                    Severity::Warning => "提醒",
                }),
                t(&f.place.file),
                t(&f.place.sheet),
                f.place.row.map_or(Value::Blank, |r| n(f64::from(r))),
                t(&letter),
                t(header),
                t(f.value.as_deref().unwrap_or("")),
                t(&f.message),
                t(&f.hint),
            ]
        })
        .collect();
    crate::shared::xlsx::SheetSpec {
        name: "说明".into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        column_widths: vec![6.0, 30.0, 12.0, 6.0, 5.0, 12.0, 16.0, 40.0, 40.0],
        large: true,
        ..Default::default()
    }
}
