//! CSV files in UTF-8, GBK/GB18030 or UTF-16, as sheets.

use std::path::Path;

use super::cell::{Cell, Sheet};
use super::unreadable;
use crate::shared::fault::{Place, Problem};
use crate::shared::text::decode_text;

pub(super) fn read_csv(path: &Path) -> Result<Sheet, Problem> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e.to_string()))?;
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

pub(super) fn csv_sheet(path: &Path, bytes: &[u8]) -> Result<Sheet, Problem> {
    let text = decode_text(bytes);
    if looks_binary(&text) {
        return Err(Problem::fault(
            Place::file(path.display().to_string()),
            "这个文件不是文字表格（CSV），里面是图片或程序之类的内容，或者文件已损坏",
            "请确认选对了文件；表格请在 Excel 或 WPS 中另存为 .xlsx 或 .csv 再试",
        ));
    }
    // NUL characters come from damaged files or editors that pad; they carry nothing.
    let text = text.replace('\0', "");
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            Problem::fault(
                Place {
                    row: Some(i as u32 + 1),
                    ..Place::file(path.display().to_string())
                },
                format!("这一行的格式读不懂（{e}）"),
                "请检查引号是否成对",
            )
        })?;
        rows.push(
            record
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f.into())
                    }
                })
                .collect(),
        );
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Sheet {
        file: path.display().to_string(),
        name,
        row0: 0,
        col0: 0,
        rows,
    })
}
