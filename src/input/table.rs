//! Finding tables by their header cells, wherever they sit in a workbook:
//! below title rows, under merged group headers, with full-width brackets,
//! spaces or common alternative wordings.

use crate::input::cell::{Cell, Sheet};
use crate::shared::fault::{Fault, Place};
use crate::shared::text::{clean, header_key};

/// A column a table is expected to have.
#[derive(Debug)]
pub struct ColumnSpec {
    /// The name used in messages (the data contract's wording).
    pub name: &'static str,
    /// Header texts accepted for it (the name itself included).
    pub(crate) aliases: &'static [&'static str],
    pub(crate) required: bool,
}

/// A table of the data contract.
#[derive(Debug)]
pub struct TableSpec {
    /// What the clerk calls this table (for messages).
    pub name: &'static str,
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The header row a workbook of this table is written with.
    pub fn headers(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.to_string()).collect()
    }

    /// The position of the column named `name`, for the code that reads or
    /// writes this table's cells. Worked out when the program is built: a
    /// name the table does not have stops the build, and reordering the
    /// columns moves every reader and writer with them.
    pub const fn column(&self, name: &str) -> usize {
        let mut i = 0;
        while i < self.columns.len() {
            if same_text(self.columns[i].name, name) {
                return i;
            }
            i += 1;
        }
        panic!("the table has no column of that name")
    }
}

/// `a == b`, where that cannot be called (const functions).
const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// How far down a sheet a header row is looked for.
pub(crate) const HEADER_SEARCH_ROWS: usize = 30;

/// A table found in a sheet.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    pub(crate) spec: &'static TableSpec,
    pub(crate) sheet: &'a Sheet,
    /// Index into `sheet.rows` of the header row.
    pub(crate) header_row: usize,
    /// For each spec column, the sheet column holding it.
    pub(crate) columns: Vec<Option<usize>>,
}

impl<'a> Table<'a> {
    /// Indices into `sheet.rows` of the rows below the header that hold anything.
    pub(crate) fn data_rows(&self) -> impl Iterator<Item = Row<'_, 'a>> + '_ {
        (self.header_row + 1..self.sheet.rows.len())
            .filter(|&r| self.sheet.rows[r].iter().any(|c| !c.is_empty()))
            .map(move |r| Row {
                table: self,
                row: r,
            })
    }

    /// Number of spec columns found.
    fn matched(&self) -> usize {
        self.columns.iter().filter(|c| c.is_some()).count()
    }

    /// The header text as written in the sheet for a spec column.
    pub(crate) fn header_text(&self, col: usize) -> String {
        match self.columns[col] {
            Some(c) => clean(&self.sheet.cell(self.header_row, c).display()),
            None => self.spec.columns[col].name.to_string(),
        }
    }
}

/// One data row of a table.
#[derive(Clone, Copy)]
pub(crate) struct Row<'t, 'a> {
    pub(crate) table: &'t Table<'a>,
    /// Index into `sheet.rows`.
    pub(crate) row: usize,
}

impl Row<'_, '_> {
    /// The cell of a spec column (empty when the column is absent).
    pub(crate) fn cell(&self, col: usize) -> &Cell {
        match self.table.columns[col] {
            Some(c) => self.table.sheet.cell(self.row, c),
            None => &Cell::Empty,
        }
    }

    /// The cleaned text of a spec column; a formula error reads as empty
    /// (`error_cells` reports it).
    pub(crate) fn text(&self, col: usize) -> String {
        match self.cell(col) {
            Cell::Error(_) => String::new(),
            Cell::Text(text) => clean(text),
            cell => clean(&cell.display()),
        }
    }

    /// The place of a spec column in this row.
    pub(crate) fn place(&self, col: usize) -> Place {
        let header = self.table.header_text(col);
        match self.table.columns[col] {
            Some(c) => self.table.sheet.place(self.row, Some((c, &header))),
            None => self.table.sheet.place(self.row, None),
        }
    }

    /// The place of the row as a whole.
    pub(crate) fn row_place(&self) -> Place {
        self.table.sheet.place(self.row, None)
    }

    /// A fault for a spec column's cell holding a formula error such as `#N/A`.
    pub(crate) fn error_cell(&self, col: usize) -> Option<Fault> {
        match self.cell(col) {
            Cell::Error(e) => Some(
                Fault::error(
                    self.place(col),
                    "这个单元格是公式算出的错误值，不是数据",
                    "请改正公式，或直接填写内容",
                )
                .with_value(e.clone()),
            ),
            _ => None,
        }
    }

    /// Faults for cells of optional spec columns holding a formula error
    /// (required columns report it as a missing value).
    pub(crate) fn error_cells(&self) -> Vec<Fault> {
        (0..self.table.columns.len())
            .filter(|&col| !self.table.spec.columns[col].required)
            .filter_map(|col| self.error_cell(col))
            .collect()
    }

    /// Faults for cells of spec columns holding more than `limit` characters.
    pub(crate) fn long_cells(&self, limit: usize) -> Vec<Fault> {
        (0..self.table.columns.len())
            .filter_map(|col| {
                let text = self.cell(col).display();
                let n = text.chars().count();
                (n > limit).then(|| {
                    Fault::error(
                        self.place(col),
                        format!(
                            "这个单元格有{n}个字，太长了，不像是{}",
                            self.table.spec.columns[col].name
                        ),
                        format!("请检查是否粘贴错了位置；这一列最多{limit}个字"),
                    )
                    .with_value(text)
                })
            })
            .collect()
    }

    /// Non-empty cells of the row, in sheet order.
    pub(crate) fn filled_cells(&self) -> Vec<String> {
        self.table.sheet.rows[self.row]
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| clean(&c.display()))
            .collect()
    }
}

/// Finds, in one sheet, the best header row for a spec: the row matching the
/// most columns, provided that every required column is there.
fn find_in_sheet<'a>(spec: &'static TableSpec, sheet: &'a Sheet) -> Option<Table<'a>> {
    let keys: Vec<Vec<String>> = spec
        .columns
        .iter()
        .map(|c| c.aliases.iter().map(|a| header_key(a)).collect())
        .collect();
    let mut best: Option<Table<'a>> = None;
    for (r, row) in sheet.rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let mut columns = vec![None; spec.columns.len()];
        for (c, cell) in row.iter().enumerate() {
            let Cell::Text(text) = cell else { continue };
            let key = header_key(text);
            if let Some(i) = keys.iter().position(|aliases| aliases.contains(&key))
                && columns[i].is_none()
            {
                columns[i] = Some(c);
            }
        }
        let complete = spec
            .columns
            .iter()
            .zip(&columns)
            .all(|(s, c)| !s.required || c.is_some());
        if complete {
            let table = Table {
                spec,
                sheet,
                header_row: r,
                columns,
            };
            if best.as_ref().is_none_or(|b| table.matched() > b.matched()) {
                best = Some(table);
            }
        }
    }
    best
}

/// Assigns each sheet to the spec it matches best and returns, per spec, the
/// tables found (a table may be spread over several sheets). Sheets holding
/// something but matching no spec are reported as warnings.
pub(crate) fn find_tables<'a>(
    specs: &[&'static TableSpec],
    sheets: &'a [Sheet],
    faults: &mut Vec<Fault>,
) -> Vec<Vec<Table<'a>>> {
    let mut found: Vec<Vec<Table<'a>>> = specs.iter().map(|_| Vec::new()).collect();
    for sheet in sheets {
        let best = specs
            .iter()
            .enumerate()
            .filter_map(|(i, spec)| find_in_sheet(spec, sheet).map(|t| (i, t)))
            .max_by_key(|(i, t)| (t.matched(), std::cmp::Reverse(*i)));
        match best {
            Some((i, table)) => found[i].push(table),
            None if sheet.rows.iter().any(|r| r.iter().any(|c| !c.is_empty()))
                && !crate::input::AUXILIARY_SHEETS.contains(&sheet.name.as_str()) =>
            {
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                faults.push(Fault::warning(
                    Place {
                        sheet: sheet.name.clone(),
                        ..Place::file(&sheet.file)
                    },
                    format!("这个工作表没有找到{}的表头，没有读取", names.join("、")),
                    "如果这张表需要读取，请检查表头文字是否与说明一致",
                ));
            }
            None => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: TableSpec = TableSpec {
        name: "测试表",
        columns: &[
            ColumnSpec {
                name: "姓名",
                aliases: &["姓名"],
                required: true,
            },
            ColumnSpec {
                name: "手机",
                aliases: &["手机", "手机号码"],
                required: false,
            },
        ],
    };

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn header_below_title_row() {
        let sheet = Sheet {
            file: "a.xlsx".into(),
            name: "表1".into(),
            row0: 0,
            col0: 0,
            rows: vec![
                vec![text("某某单位干部名单"), Cell::Empty],
                vec![text(" 姓 名* "), text("手机号码")],
                vec![text("张三"), Cell::Number(13800138000.0)],
                vec![Cell::Empty, Cell::Empty],
                vec![text("李四"), Cell::Empty],
            ],
        };
        let mut faults = Vec::new();
        let sheets = [sheet];
        let found = find_tables(&[&SPEC], &sheets, &mut faults);
        let table = &found[0][0];
        assert_eq!(table.header_row, 1);
        let rows: Vec<_> = table
            .data_rows()
            .map(|r| (r.place(0).row.unwrap_or(0), r.text(0), r.text(1)))
            .collect();
        assert_eq!(
            rows,
            vec![
                (3, "张三".into(), "13800138000".into()),
                (5, "李四".into(), String::new())
            ]
        );
        assert!(faults.is_empty());
    }
}
