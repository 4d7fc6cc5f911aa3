//! Writing simple workbooks: a title row, a header row, data rows, text-format
//! columns (so phones stay text), merged cells and frozen headers. Used for the
//! sample roster and for test fixtures.

use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula,
    Workbook, XlsxError,
};

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Blank,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        if s.is_empty() {
            Value::Blank
        } else {
            Value::Text(s.to_string())
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

/// A text cell (blank when empty).
pub fn t(s: &str) -> Value {
    Value::from(s)
}

/// A number cell.
pub fn n(x: f64) -> Value {
    Value::Number(x)
}

/// A row of cells to write.
pub(crate) fn row(values: &[Value]) -> Vec<Value> {
    values.to_vec()
}

/// One sheet to write.
#[derive(Debug, Clone, Default)]
pub struct SheetSpec {
    pub name: String,
    /// A title written above the header, merged across the table.
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Columns formatted as text (`@`), so that typed phones stay digits.
    pub text_columns: Vec<usize>,
    /// Vertical merges in data rows: (first data row, column, last data row), 0-based.
    pub merges: Vec<(usize, usize, usize)>,
    pub column_widths: Vec<f64>,
    /// Dropdowns on data rows: (column, list). The list is either values
    /// separated by commas, or a formula such as `='单位'!$A$3:$A$300`.
    pub dropdowns: Vec<(usize, String)>,
    /// Written row by row with constant memory (no merges, no dropdowns).
    pub large: bool,
}

/// How hard a workbook's parts are compressed: 3, as Excel itself does
/// (rust_xlsxwriter's default, 6, made files ~13% smaller and took ~40%
/// longer: a city's problem list was 0.4 s of a 2 s report).
const ZIP_LEVEL: u8 = 3;

/// A workbook with a fixed creation date, so that the same content gives
/// the same bytes.
pub(crate) fn new_workbook() -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(ZIP_LEVEL);
    let created = ExcelDateTime::from_ymd(2017, 3, 4)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    Ok(workbook)
}

/// A workbook's bytes, the same on every system: a zip archive names the
/// system that wrote it in each entry ("version made by"), which the zip
/// library takes from the system it runs on; zoufang's say Unix wherever it
/// runs, so that the Windows build writes the Linux build's bytes.
pub(crate) fn workbook_bytes(workbook: &mut Workbook) -> Result<Vec<u8>, XlsxError> {
    let mut bytes = workbook.save_to_buffer()?;
    made_on_unix(&mut bytes);
    Ok(bytes)
}

/// Sets "version made by" of every central directory entry of a zip
/// archive to Unix; leaves an archive it does not understand as it is.
fn made_on_unix(zip: &mut [u8]) {
    const END: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const ENTRY: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    const UNIX: u8 = 3;
    let u16_at = |z: &[u8], at: usize| {
        z.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |z: &[u8], at: usize| {
        z.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // The end record: 22 bytes and a comment of at most 65,535.
    let search_from = zip.len().saturating_sub(22 + 65_535);
    let Some(end) = (search_from..zip.len().saturating_sub(21))
        .rev()
        .find(|&at| zip[at..at + 4] == END)
    else {
        return;
    };
    let (Some(entries), Some(mut at)) = (u16_at(zip, end + 10), u32_at(zip, end + 16)) else {
        return;
    };
    for _ in 0..entries {
        if zip.get(at..at + 4) != Some(&ENTRY[..]) {
            return;
        }
        let (Some(name), Some(extra), Some(comment)) = (
            u16_at(zip, at + 28),
            u16_at(zip, at + 30),
            u16_at(zip, at + 32),
        ) else {
            return;
        };
        zip[at + 5] = UNIX;
        at += 46 + name + extra + comment;
    }
}

/// The formats of the workbooks zoufang writes for clerks to fill in or
/// pass on: a bordered, bold, wrapped header cell; a text cell (so that
/// phones and serials never turn into 1.38E+10).
pub(crate) fn header_and_text_formats() -> (Format, Format) {
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let text = Format::new().set_num_format("@");
    (header, text)
}

/// Data rows that carry the dropdowns, so that rows added later get them too.
const DROPDOWN_ROWS: u32 = 1000;

/// Writes the sheets into an `.xlsx` file with a fixed creation date, so that
/// the same content gives the same bytes.
pub fn write_xlsx(path: &Path, sheets: &[SheetSpec]) -> Result<(), XlsxError> {
    let bytes = xlsx_bytes(sheets)?;
    crate::shared::atomic::write_atomic(path, &bytes).map_err(XlsxError::IoError)
}

/// The bytes of the `.xlsx` file `write_xlsx` writes.
pub fn xlsx_bytes(sheets: &[SheetSpec]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(ZIP_LEVEL);
    let created = ExcelDateTime::from_ymd(2017, 3, 4)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("zoufang"),
    );
    let header_format = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let text_format = Format::new().set_num_format("@");
    for spec in sheets {
        let sheet = if spec.large {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        sheet.set_name(&spec.name)?;
        let mut row: u32 = 0;
        if let Some(title) = &spec.title {
            let last = spec.headers.len().saturating_sub(1) as u16;
            if last > 0 {
                sheet.merge_range(0, 0, 0, last, title, &title_format)?;
            } else {
                sheet.write_string_with_format(0, 0, title, &title_format)?;
            }
            row = 1;
        }
        for (i, w) in spec.column_widths.iter().enumerate() {
            sheet.set_column_width(i as u16, *w)?;
        }
        for &c in &spec.text_columns {
            sheet.set_column_format(c as u16, &text_format)?;
        }
        for (c, h) in spec.headers.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16, h, &header_format)?;
        }
        sheet.set_freeze_panes(row + 1, 0)?;
        let first_data = row + 1;
        let merged: Vec<(usize, usize)> = spec
            .merges
            .iter()
            .flat_map(|&(r0, c, r1)| (r0 + 1..=r1).map(move |r| (r, c)))
            .collect();
        for (r, values) in spec.rows.iter().enumerate() {
            for (c, v) in values.iter().enumerate() {
                if merged.contains(&(r, c)) {
                    continue;
                }
                let (rr, cc) = (first_data + r as u32, c as u16);
                match v {
                    Value::Text(s) if spec.text_columns.contains(&c) => {
                        sheet.write_string_with_format(rr, cc, s, &text_format)?;
                    }
                    Value::Text(s) => {
                        sheet.write_string(rr, cc, s)?;
                    }
                    Value::Number(n) => {
                        sheet.write_number(rr, cc, *n)?;
                    }
                    Value::Blank => {}
                }
            }
        }
        for (c, list) in &spec.dropdowns {
            let validation = if list.starts_with('=') {
                DataValidation::new().allow_list_formula(Formula::new(list))
            } else {
                let values: Vec<&str> = list.split(',').collect();
                DataValidation::new().allow_list_strings(&values)?
            };
            sheet.add_data_validation(
                first_data,
                *c as u16,
                first_data + DROPDOWN_ROWS,
                *c as u16,
                &validation,
            )?;
        }
        for &(r0, c, r1) in &spec.merges {
            let text = match spec.rows.get(r0).and_then(|r| r.get(c)) {
                Some(Value::Text(s)) => s.clone(),
                Some(Value::Number(n)) => crate::shared::text::number_text(*n),
                _ => String::new(),
            };
            let (a, b) = (first_data + r0 as u32, first_data + r1 as u32);
            sheet.merge_range(
                a,
                c as u16,
                b,
                c as u16,
                &text,
                &Format::new().set_align(FormatAlign::VerticalCenter),
            )?;
        }
    }
    workbook_bytes(&mut workbook)
}
