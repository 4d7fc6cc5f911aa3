//! One pass over an OpenDocument spreadsheet's `content.xml` before calamine
//! reads it: the merged regions of each sheet (calamine reports none for
//! ODS), and the size of the grid calamine would build for each sheet.
//!
//! ODS writes a run of equal cells or rows once, with a repeat count
//! (`table:number-columns-repeated`, `table:number-rows-repeated`); calamine
//! writes every repeated value out, and then lays the sheet out as a full
//! grid from its first to its last used row and column: a few hundred bytes
//! of XML, a few bytes changed, can ask for gigabytes. A sheet whose grid
//! would be far larger than the cells the XML really holds is refused
//! (`claims`).

use std::collections::HashMap;
use std::io::Cursor;

use calamine::Dimensions;
use quick_xml::events::{BytesStart, Event};

use super::claims::{Oversized, within};

/// The most rows and columns calamine lays an ODS sheet out in.
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;

/// Merged regions by sheet name.
pub(super) type Merges = HashMap<String, Vec<Dimensions>>;

/// The merged regions of each sheet, or the first sheet whose grid would be
/// out of proportion. Anything unreadable gives no merges and no refusal:
/// the reader then says what is wrong with the file.
pub(super) fn scan(bytes: &[u8]) -> Result<Merges, Oversized> {
    let mut merges = Merges::new();
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(merges);
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(merges);
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let (mut sheet, mut row, mut col, mut row_repeat) = (String::new(), 0u32, 0u32, 1u32);
    let mut grid = Grid::default();
    let mut buf = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let (e, is_empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.name().as_ref() {
                    "table:table-row" => {
                        row = row.saturating_add(row_repeat);
                        grid.end_row();
                    }
                    "table:table" => grid.check(&sheet)?,
                    _ => {}
                }
                buf.clear();
                continue;
            }
            _ => {
                buf.clear();
                continue;
            }
        };
        match e.name().as_ref() {
            "table:table" => {
                sheet = attr(e, "table:name").unwrap_or_default();
                row = 0;
                grid = Grid::default();
            }
            "table:table-row" => {
                col = 0;
                row_repeat = number(e, "table:number-rows-repeated")
                    .try_into()
                    .unwrap_or(u32::MAX);
                if is_empty {
                    row = row.saturating_add(row_repeat);
                } else {
                    grid.start_row(u64::from(row_repeat));
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let rows = number(e, "table:number-rows-spanned").min(u64::from(u32::MAX)) as u32;
                let cols =
                    number(e, "table:number-columns-spanned").min(u64::from(u32::MAX)) as u32;
                if rows > 1 || cols > 1 {
                    merges.entry(sheet.clone()).or_default().push(Dimensions {
                        start: (row, col),
                        end: (row.saturating_add(rows - 1), col.saturating_add(cols - 1)),
                    });
                }
                let repeat = number(e, "table:number-columns-repeated");
                // A cell with a value, a formula or content (a paragraph of
                // text) is one calamine writes out.
                let used = !is_empty
                    || e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some()
                    || e.try_get_attribute("table:formula")
                        .ok()
                        .flatten()
                        .is_some();
                grid.cell(repeat, used);
                col = col.saturating_add(repeat.min(u64::from(u32::MAX)) as u32);
            }
            _ => {}
        }
        buf.clear();
    }
    grid.check(&sheet)?;
    Ok(merges)
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().map(|a| {
        quick_xml::escape::unescape(&a.value)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| a.value.into_owned())
    })
}

/// A count attribute; 1 when absent or not a number.
fn number(e: &BytesStart, name: &str) -> u64 {
    attr(e, name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// What calamine would hold of one sheet, counted as it would build it.
#[derive(Default)]
struct Grid {
    /// Cell elements with something in them: what the XML really holds.
    cells: u64,
    /// Values written out row by row before the grid is built.
    written: u64,
    /// Rows so far, repeats counted (as calamine caps them).
    rows: u64,
    /// This row's repeat count, length written out, first used column.
    repeat: u64,
    len: u64,
    first: Option<u64>,
    /// Columns of the row so far, repeats counted.
    at: u64,
    /// The used area: rows before the first used row and through the last,
    /// and the first and last used columns.
    top: Option<u64>,
    bottom: u64,
    left: u64,
    right: u64,
}

impl Grid {
    fn start_row(&mut self, repeat: u64) {
        self.repeat = repeat.min(MAX_ROWS.saturating_sub(self.rows));
        (self.len, self.first, self.at) = (0, None, 0);
    }

    fn cell(&mut self, repeat: u64, used: bool) {
        let start = self.at.min(MAX_COLUMNS);
        self.at = self.at.saturating_add(repeat);
        if used {
            self.cells += 1;
            self.len = self.at.min(MAX_COLUMNS);
            if start < MAX_COLUMNS && self.first.is_none() {
                self.first = Some(start);
            }
        }
    }

    fn end_row(&mut self) {
        self.written = self.written.saturating_add(self.len);
        if let Some(first) = self.first {
            if self.top.is_none() {
                self.top = Some(self.rows);
                self.left = first;
            }
            self.left = self.left.min(first);
            self.right = self.right.max(self.len.saturating_sub(1));
            self.bottom = self.rows + self.repeat;
        }
        self.rows += self.repeat;
        (self.repeat, self.len, self.first) = (0, 0, None);
    }

    /// The values calamine writes out and the grid it builds from them.
    fn claimed(&self) -> u64 {
        let grid = self.top.map_or(0, |top| {
            (self.bottom - top).saturating_mul(self.right + 1 - self.left.min(self.right))
        });
        self.written.saturating_add(grid)
    }

    fn check(&self, sheet: &str) -> Result<(), Oversized> {
        within(self.claimed(), self.cells, || sheet.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An ODS container holding this sheet body as its only table.
    fn ods(rows: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="名单">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        out.start_file("mimetype", options).unwrap();
        out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        out.start_file("content.xml", options).unwrap();
        out.write_all(content.as_bytes()).unwrap();
        out.finish().unwrap().into_inner()
    }

    const VALUE: &str = r#"<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>"#;

    #[test]
    fn dense_sheets_and_runs_of_empty_cells_pass() {
        let row = format!(
            r#"<table:table-row>{VALUE}<table:table-cell table:number-columns-repeated="16377"/>{VALUE}</table:table-row>"#
        );
        // 300 rows, each with a value, a run of empty cells (which
        // LibreOffice writes to the sheet's last column) and a value.
        assert!(scan(&ods(&row.repeat(3))).is_ok());
        let dense = format!("<table:table-row>{}</table:table-row>", VALUE.repeat(7)).repeat(300);
        assert!(scan(&ods(&dense)).is_ok());
        let empty_rows = r#"<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        assert!(scan(&ods(&format!("{dense}{empty_rows}"))).is_ok());
    }

    #[test]
    fn repeated_values_out_of_proportion_are_refused() {
        let wide = r#"<table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#;
        assert_eq!(
            scan(&ods(wide)),
            Err(Oversized {
                sheet: "名单".into(),
                claimed: 16_384 + 6_000 * 16_384
            })
        );
        // A value far down: the grid reaches from the first row to it.
        let far = format!(
            r#"<table:table-row>{VALUE}{VALUE}</table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="2"/></table:table-row><table:table-row>{VALUE}{VALUE}</table:table-row>"#
        );
        assert_eq!(
            scan(&ods(&far)).map_err(|o| o.claimed),
            Err(4 + 1_000_002 * 2)
        );
        assert_eq!(scan(b"not a zip"), Ok(Merges::new()));
    }
}
