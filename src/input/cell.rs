//! Cells and sheets as read, each cell with its place.

use crate::shared::fault::Place;
use crate::shared::text::number_text;

/// One cell's value, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Boxed, not a `String`: a returns sheet holds millions of cells, and
    /// each is a third smaller so.
    Text(Box<str>),
    Number(f64),
    /// An Excel date serial (days since 1899-12-30).
    Date(f64),
    Bool(bool),
    /// An error value such as `#N/A`.
    Error(Box<str>),
}

impl Cell {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.chars().all(crate::shared::text::is_blank_char),
            _ => false,
        }
    }

    /// The cell as a person reads it on screen.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.to_string(),
            Cell::Number(n) | Cell::Date(n) => number_text(*n),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Error(e) => e.to_string(),
        }
    }
}

/// A sheet's cells with their position in the spreadsheet.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The file name as the user gave it (for messages).
    pub(crate) file: String,
    pub name: String,
    /// 0-based row of `rows[0]` in the spreadsheet.
    pub(crate) row0: u32,
    /// 0-based column of every row's first cell.
    pub(crate) col0: u32,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// The place of a cell given by indices into `rows`.
    pub(crate) fn place(&self, row: usize, col: Option<(usize, &str)>) -> Place {
        Place {
            file: self.file.clone(),
            sheet: self.name.clone(),
            row: Some(self.row0 + row as u32 + 1),
            column: col.map(|(c, h)| (self.col0 + c as u32, h.to_string())),
        }
    }

    pub(crate) fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Cell::Empty)
    }
}
