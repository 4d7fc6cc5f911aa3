//! CSV files in UTF-8, GBK/GB18030 or UTF-16, as sheets.

use std::path::Path;

use super::cell::{Cell, Sheet};
use super::{too_big, unreadable};
use crate::shared::fault::{Fault, Place};
use crate::shared::text::decode_text;

pub(super) fn read_csv(path: &Path) -> Result<Sheet, Fault> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_CSV_BYTES as u64
    {
        return Err(too_big(path, meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e))?;
    csv_sheet(path, &bytes)
}

/// Text that is really binary (a picture, a program, a damaged file): many
/// control characters or undecodable bytes near the start.
fn looks_binary(text: &str) -> bool {
    let head = text.chars().filter(|&c| c != '\0').take(8192);
    let (mut all, mut odd) = (0usize, 0usize);
    for c in head {
        all += 1;
        if c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\r' | '\n')) {
            odd += 1;
        }
    }
    odd * 20 > all
}

/// The largest CSV file read: a whole city's returns are some tens of MB.
const MAX_CSV_BYTES: usize = 256 << 20;

/// The longest field read, in bytes: Excel and WPS hold at most 32,767
/// characters in a cell (up to 4 bytes each). A longer one is nearly always a
/// quotation mark left open, which makes the rest of the file one field.
const MAX_FIELD_BYTES: usize = 32_767 * 4;

/// The most columns and rows of a CSV: what Excel and WPS can open.
const MAX_COLUMNS: usize = 16_384;
const MAX_ROWS: usize = 1_048_576;

pub(super) fn csv_sheet(path: &Path, bytes: &[u8]) -> Result<Sheet, Fault> {
    let file = path.display().to_string();
    if bytes.len() > MAX_CSV_BYTES {
        return Err(too_big(path, bytes.len() as u64));
    }
    let text = decode_text(bytes);
    if looks_binary(&text) {
        return Err(Fault::error(
            Place::file(&file),
            "这个文件不是文字表格（CSV），里面是图片或程序之类的内容，或者文件已损坏",
            "请确认选对了文件；表格请在 Excel 或 WPS 中另存为 .xlsx 或 .csv 再试",
        ));
    }
    // NUL characters come from damaged files or editors that pad; they carry nothing.
    let text = if text.contains('\0') {
        text.replace('\0', "").into()
    } else {
        text
    };
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rows = read_rows(text.as_bytes(), delimiter).map_err(|(row, column, message)| {
        let place = Place {
            sheet: name.clone(),
            row: Some(row),
            column: column.map(|c| (c, String::new())),
            ..Place::file(&file)
        };
        let hint = if column.is_some() {
            "多半是这一格开头的引号（\"）没有配对，后面的内容都被当成了这一格：请在记事本或 Excel 中找到这一格，删去或补上引号后再试"
        } else {
            "请确认选对了文件；在 Excel 或 WPS 中打开看一看，删去多余的行列后另存为 .xlsx 再试"
        };
        Fault::error(place, message, hint)
    })?;
    Ok(Sheet {
        file,
        name,
        row0: 0,
        col0: 0,
        rows,
    })
}

/// What stopped a CSV: its row (1-based), its column (0-based) when one
/// field is to blame, and what is wrong.
type Stop = (u32, Option<u32>, String);

/// The records of CSV text as rows of cells, without their trailing empty
/// cells, within the bounds above: memory in proportion to the text,
/// whatever a damaged file holds.
fn read_rows(text: &[u8], delimiter: u8) -> Result<Vec<Vec<Cell>>, Stop> {
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut field = vec![0u8; MAX_FIELD_BYTES];
    let (mut input, mut len) = (text, 0usize);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    loop {
        let (result, read, written) = reader.read_field(input, &mut field[len..]);
        input = &input[read..];
        len += written;
        let at = (rows.len() as u32 + 1, row.len() as u32);
        match result {
            csv_core::ReadFieldResult::InputEmpty => {}
            csv_core::ReadFieldResult::OutputFull => {
                return Err((
                    at.0,
                    Some(at.1),
                    format!(
                        "这一格的内容超过了 {} KB，表格的一格放不下这么多（Excel 和 WPS 一格最多 32767 个字）",
                        MAX_FIELD_BYTES >> 10
                    ),
                ));
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                if row.len() == MAX_COLUMNS {
                    return Err((
                        at.0,
                        None,
                        format!("这一行超过了 {MAX_COLUMNS} 列，Excel 和 WPS 的表格没有这么宽"),
                    ));
                }
                row.push(if len == 0 {
                    Cell::Empty
                } else {
                    Cell::Text(String::from_utf8_lossy(&field[..len]).into())
                });
                len = 0;
                if record_end {
                    while row.last() == Some(&Cell::Empty) {
                        row.pop();
                    }
                    if rows.len() == MAX_ROWS {
                        return Err((
                            at.0,
                            None,
                            format!("这个文件超过了 {MAX_ROWS} 行，Excel 和 WPS 的表格没有这么长"),
                        ));
                    }
                    rows.push(std::mem::take(&mut row));
                }
            }
            csv_core::ReadFieldResult::End => return Ok(rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Vec<Cell>]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect()
    }

    #[test]
    fn records_quotes_and_blank_lines() {
        let rows = read_rows(
            "单位,\"联系人\n（兼）\",电话,,\r\n\r\n市民政局,\"刘\"\"启\"\"兵\",85681596".as_bytes(),
            b',',
        )
        .unwrap();
        assert_eq!(
            texts(&rows),
            [
                vec!["单位", "联系人\n（兼）", "电话"],
                vec!["市民政局", "刘\"启\"兵", "85681596"]
            ]
        );
    }

    #[test]
    fn a_quote_left_open_stops_at_the_cell_it_starts_in() {
        let mut text = "单位,联系人\n市民政局,\"刘启兵\n".to_string();
        text.push_str(&"某某,1\n".repeat(40_000));
        assert_eq!(
            read_rows(text.as_bytes(), b',').map_err(|(r, c, _)| (r, c)),
            Err((2, Some(1)))
        );
        let wide = ",".repeat(MAX_COLUMNS) + "x";
        assert_eq!(
            read_rows(wide.as_bytes(), b',').map_err(|(r, c, _)| (r, c)),
            Err((1, None))
        );
    }
}
