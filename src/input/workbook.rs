//! Workbooks (`.xlsx`, `.xls`, WPS `.et`, `.ods`) through calamine: guarded against
//! the library's panics, worksheets streamed into place, merged cells filled.

use std::io::Cursor;
use std::path::Path;

use calamine::{
    DataType, Dimensions, Ods, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsx,
    open_workbook_from_rs,
};

use super::cell::{Cell, Sheet};
use super::csv::csv_sheet;
use super::ods_scan::Merges;
use super::sniff::{
    CORRUPT_HINT, Container, Markup, PASSWORD_HINT, PASSWORD_MESSAGE, is_encrypted_package,
    markup_kind, other_office_document, sniff,
};
use super::zip_guard::zip_members;
use super::{AUXILIARY_SHEETS, Later, MAX_MERGE_FILL, Pick, Workbooks};
use crate::shared::fault::{Fault, Place};

thread_local! {
    /// Set while a third-party reader runs under `read_workbook_guarded`.
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Reads a workbook; a panic inside the spreadsheet library (it has a few
/// on damaged files) becomes a message about the file instead of a crash,
/// and whatever the file gave before it is dropped rather than half used.
pub(super) fn read_workbook_guarded(
    path: &Path,
    bytes: &std::sync::Arc<[u8]>,
    pick: Pick,
    out: &mut Workbooks,
) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(|q| q.get()) {
                default(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut own = Workbooks::default();
        read_workbook(path, bytes, pick, &mut own);
        own
    }));
    QUIET_PANICS.with(|q| q.set(false));
    match read {
        Ok(mut own) => {
            out.sheets.append(&mut own.sheets);
            out.faults.append(&mut own.faults);
            out.now = own.now;
            out.later = own.later;
        }
        Err(_) => {
            out.broken = true;
            out.faults.push(Fault::error(
                Place::file(path.display().to_string()),
                "这个表格文件已损坏，读到一半读不下去了",
                CORRUPT_HINT,
            ));
        }
    }
}

fn read_workbook(path: &Path, shared: &std::sync::Arc<[u8]>, pick: Pick, out: &mut Workbooks) {
    let bytes: &[u8] = shared;
    let file = path.display().to_string();
    let container = sniff(bytes);
    let refuse = |out: &mut Workbooks, message: String, hint: &str| {
        out.faults
            .push(Fault::error(Place::file(&file), message, hint));
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        refuse(
            out,
            "这个文件是空的，里面什么也没有".to_string(),
            "文件可能没有保存或拷贝完整：请重新拷贝一份，或打开确认后再保存",
        );
        return;
    }
    // Whether calamine must look for merged cells (see `zip_members`).
    let mut merged_cells = true;
    // An OpenDocument spreadsheet, by its bytes: it names itself in its
    // first, uncompressed member; or, where a tool compressed that, by its
    // members: its cells are in `content.xml`, an xlsx's under `xl/`.
    let mut ods = container == Container::Zip
        && memchr::memmem::find(&bytes[..bytes.len().min(256)], b"opendocument.spreadsheet")
            .is_some();
    match container {
        Container::Other => {
            // A CSV saved with a spreadsheet's extension is still readable.
            if let Ok(sheet) = csv_sheet(path, bytes)
                && sheet.rows.iter().any(|r| r.len() > 1)
            {
                out.sheets.push(sheet);
                return;
            }
            let (message, hint) = match markup_kind(bytes) {
                Some(Markup::Html) => (
                    "这个文件其实是网页（HTML）格式，只是扩展名像表格（业务系统导出的表格常常这样）",
                    "请用 Excel 或 WPS 打开它，再「另存为」Excel 工作簿（.xlsx）后使用",
                ),
                Some(Markup::SpreadsheetXml) => (
                    "这个文件是 Excel 2003 XML 表格，程序读不了这种老格式",
                    "请用 Excel 或 WPS 打开它，再「另存为」Excel 工作簿（.xlsx）后使用",
                ),
                None => (
                    "这个文件不是电子表格（不是 Excel、WPS 或 ODS 格式）",
                    "请确认选对了文件；如果是表格，请在 Excel 或 WPS 中打开后另存为 .xlsx 再试",
                ),
            };
            refuse(out, message.to_string(), hint);
            return;
        }
        // Worksheets picked earlier from these bytes, which were checked then.
        Container::Zip if matches!(pick, Pick::Only(_)) => merged_cells = false,
        Container::Zip => {
            let members = match zip_members(bytes) {
                Ok(scan) => {
                    merged_cells = scan.merged_cells;
                    ods |= scan.names.iter().any(|n| n == "content.xml")
                        && !scan.names.iter().any(|n| n.starts_with("xl/"));
                    scan.names
                }
                Err(message) => {
                    refuse(
                        out,
                        message,
                        "请在 Excel 或 WPS 中打开，删去多余的行列后另存为 .xlsx 再试；如果文件来路不明，请不要使用",
                    );
                    return;
                }
            };
            if let Some(kind) = other_office_document(&members) {
                refuse(
                    out,
                    format!("这个文件是{kind}，不是电子表格"),
                    "请确认选对了文件；名单和录入表要用 Excel 或 WPS 表格保存",
                );
                return;
            }
        }
        Container::Ole if is_encrypted_package(bytes) => {
            refuse(out, PASSWORD_MESSAGE.to_string(), PASSWORD_HINT);
            return;
        }
        Container::Ole => {
            if let Err(oversized) = super::biff_guard::check(bytes) {
                out.faults.push(oversized.fault(&file, bytes.len()));
                return;
            }
        }
    }
    let ods_merges = if ods {
        match super::ods_scan::scan(bytes) {
            Ok(merges) => merges,
            Err(oversized) => {
                out.faults.push(oversized.fault(&file, bytes.len()));
                return;
            }
        }
    } else {
        Merges::default()
    };
    let format = match container {
        Container::Ole => "Excel 97-2003 工作簿（.xls）或 WPS 表格（.et）",
        _ if ods => "OpenDocument 表格（.ods）",
        _ => "Excel 工作簿（.xlsx）",
    };
    let opened = match container {
        Container::Ole => open_workbook_from_rs::<Xls<_>, _>(Cursor::new(bytes))
            .map(Sheets::Xls)
            .map_err(|e| e.to_string()),
        _ if ods => open_workbook_from_rs::<Ods<_>, _>(Cursor::new(bytes))
            .map(Sheets::Ods)
            .map_err(|e| e.to_string()),
        _ => open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes))
            .map(Sheets::Xlsx)
            .map_err(|e| e.to_string()),
    };
    let mut workbook = match opened {
        Ok(wb) => wb,
        Err(text) if text.to_lowercase().contains("password") => {
            refuse(out, PASSWORD_MESSAGE.to_string(), PASSWORD_HINT);
            return;
        }
        Err(text) => {
            refuse(
                out,
                format!("这个文件是{format}，但内容已损坏，读不出来（读表程序的说明：{text}）"),
                CORRUPT_HINT,
            );
            return;
        }
    };
    let mut sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect();
    // A damaged workbook may list a sheet twice; it is one sheet (a name
    // names one sheet in Excel and WPS), read once.
    let mut seen = std::collections::HashSet::new();
    sheets.retain(|(name, _)| seen.insert(name.clone()));
    match pick {
        Pick::All => {}
        Pick::Only(names) => sheets.retain(|(name, _)| names.contains(name)),
        Pick::Deferring(later) if !merged_cells => {
            let (deferred, now): (Vec<_>, Vec<_>) = sheets.iter().partition(|(name, hidden)| {
                !hidden && peek_sheet(&mut workbook, &file, name).is_some_and(|s| later(&s))
            });
            if !deferred.is_empty() {
                let names =
                    |list: Vec<&(String, bool)>| list.into_iter().map(|s| s.0.clone()).collect();
                out.later = Later {
                    bytes: shared.clone(),
                    sheets: names(deferred),
                };
                out.now = Later {
                    bytes: shared.clone(),
                    sheets: names(now),
                };
                return;
            }
        }
        Pick::Deferring(_) => {}
    }
    let read = |workbook: &mut Sheets<Cursor<&[u8]>>, (name, hidden): (String, bool)| {
        read_sheet(workbook, &file, name, hidden, merged_cells, &ods_merges)
    };
    let results = match workbook {
        Sheets::Xlsx(_) if sheets.len() > 1 => in_parallel_sheets(bytes, sheets, read),
        _ => sheets.into_iter().map(|s| read(&mut workbook, s)).collect(),
    };
    for result in results {
        match result {
            Ok(Some(sheet)) => out.sheets.push(sheet),
            Ok(None) => {}
            Err(fault) => out.faults.push(fault),
        }
    }
}

/// Reads the worksheets of an xlsx on as many threads as there are cores,
/// each with its own reader over the same bytes, and returns what each gave
/// in the workbook's order. A returns workbook's two tables then take as long
/// as the larger one.
fn in_parallel_sheets<R>(
    bytes: &[u8],
    sheets: Vec<(String, bool)>,
    read: impl Fn(&mut Sheets<Cursor<&[u8]>>, (String, bool)) -> R + Sync,
) -> Vec<R>
where
    R: Send,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sheets.len());
    let queue = crate::shared::queue::Queue::new(sheets.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                QUIET_PANICS.with(|q| q.set(true));
                let Ok(own) = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes)) else {
                    return;
                };
                let mut own = Sheets::Xlsx(own);
                queue.work(&sheets, |sheet| read(&mut own, sheet.clone()));
            });
        }
    });
    // A thread that panicked (the library has a few panics on damaged
    // files) leaves its slot empty: the whole file is then refused, as when
    // reading on one thread.
    let results = queue.results();
    if results.len() < sheets.len() {
        std::panic::resume_unwind(Box::new("a worksheet reader panicked"));
    }
    results
}

/// One worksheet as a sheet; `None` for a hidden sheet, which is not read
/// (a warning when it holds something that may be meant to be read).
fn read_sheet(
    workbook: &mut Sheets<Cursor<&[u8]>>,
    file: &str,
    name: String,
    hidden: bool,
    merged_cells: bool,
    ods_merges: &Merges,
) -> Result<Option<Sheet>, Fault> {
    let place = |name: &str| Place {
        sheet: name.to_string(),
        ..Place::file(file)
    };
    let cells = sheet_cells(workbook, &name).map_err(|e| {
        Fault::error(
            place(&name),
            format!("这个工作表读不出来（{e}）"),
            "请在 Excel 或 WPS 中打开后另存为 .xlsx 再试",
        )
    })?;
    if hidden {
        if !cells.is_empty() && !AUXILIARY_SHEETS.contains(&name.as_str()) {
            return Err(Fault::warning(
                place(&name),
                "这个工作表是隐藏的，没有读取",
                "如果其中是要用的名单，请在 Excel 或 WPS 中取消隐藏后再运行",
            ));
        }
        return Ok(None);
    }
    let merges = match workbook {
        Sheets::Xlsx(x) if merged_cells => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        Sheets::Xlsx(_) => Vec::new(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        _ => ods_merges.get(&name).cloned().unwrap_or_default(),
    };
    let mut sheet = cells.into_sheet(file, name);
    fill_merges(&mut sheet.rows, sheet.row0, sheet.col0, &merges);
    Ok(Some(sheet))
}

/// The non-empty cells of a sheet laid out as rows. An xlsx sheet is
/// streamed cell by cell into place, without a full grid or a list of cells
/// in between: a returns sheet of 200,000 rows is held once, not three times.
fn sheet_cells<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Sheets<RS>,
    name: &str,
) -> Result<Grid, String> {
    let mut grid = Grid::default();
    if let Sheets::Xlsx(x) = workbook {
        let mut reader = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
        while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
            let (r, c) = cell.get_position();
            grid.put(r, c, cell_of(cell.get_value()));
        }
        return Ok(grid);
    }
    let range = workbook.worksheet_range(name).map_err(|e| e.to_string())?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, data) in range.used_cells() {
        grid.put(r0 + r as u32, c0 + c as u32, cell_of(data));
    }
    Ok(grid)
}

/// The first rows of an xlsx worksheet, as many as a table's header is
/// looked for in (see `table::HEADER_SEARCH_ROWS`), without reading on.
fn peek_sheet(workbook: &mut Sheets<Cursor<&[u8]>>, file: &str, name: &str) -> Option<Sheet> {
    let Sheets::Xlsx(x) = workbook else {
        return None;
    };
    let mut reader = x.worksheet_cells_reader(name).ok()?;
    let mut grid = Grid::default();
    let mut first = None;
    while let Ok(Some(cell)) = reader.next_cell() {
        let value = cell_of(cell.get_value());
        if value == Cell::Empty {
            continue;
        }
        let (r, c) = cell.get_position();
        if r >= *first.get_or_insert(r) + crate::input::table::HEADER_SEARCH_ROWS as u32 {
            break;
        }
        grid.put(r, c, value);
    }
    Some(grid.into_sheet(file, name.to_string()))
}

/// A sheet's cells at their 0-based places, filled one by one. A row with
/// nothing in it is an empty vector, so a stray value a million rows down
/// costs a million empty rows (24 MB), not a million-row grid of cells.
#[derive(Default)]
struct Grid {
    rows: Vec<Vec<Cell>>,
}

impl Grid {
    fn put(&mut self, r: u32, c: u32, value: Cell) {
        if value == Cell::Empty {
            return;
        }
        let (r, c) = (r as usize, c as usize);
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut self.rows[r];
        if row.len() <= c {
            row.resize(c + 1, Cell::Empty);
        }
        row[c] = value;
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows from the first used row and column.
    fn into_sheet(mut self, file: &str, name: String) -> Sheet {
        let row0 = self.rows.iter().position(|r| !r.is_empty()).unwrap_or(0);
        let col0 = self
            .rows
            .iter()
            .filter_map(|r| r.iter().position(|c| *c != Cell::Empty))
            .min()
            .unwrap_or(0);
        self.rows.drain(..row0);
        if col0 > 0 {
            for row in &mut self.rows {
                // A used row holds a value at `col0` or right of it.
                row.drain(..col0.min(row.len()));
            }
        }
        Sheet {
            file: file.to_string(),
            name,
            row0: row0 as u32,
            col0: col0 as u32,
            rows: self.rows,
        }
    }
}

fn cell_of<T: DataType>(data: &T) -> Cell {
    let text = data
        .get_string()
        .or_else(|| data.get_datetime_iso())
        .or_else(|| data.get_duration_iso());
    if let Some(s) = text {
        Cell::Text(s.into())
    } else if let Some(f) = data.get_float() {
        Cell::Number(f)
    } else if let Some(i) = data.get_int() {
        Cell::Number(i as f64)
    } else if let Some(b) = data.get_bool() {
        Cell::Bool(b)
    } else if let Some(d) = data.get_datetime() {
        Cell::Date(d.as_f64())
    } else if let Some(e) = data.get_error() {
        Cell::Error(format!("{e}").into())
    } else {
        Cell::Empty
    }
}

/// Copies each merged region's top-left value into the region's other cells,
/// so that a district merged over five village rows belongs to each of them.
fn fill_merges(rows: &mut [Vec<Cell>], row0: u32, col0: u32, merges: &[Dimensions]) {
    for m in merges {
        let area =
            (m.end.0 as u64 + 1 - m.start.0 as u64) * (m.end.1 as u64 + 1 - m.start.1 as u64);
        if area > MAX_MERGE_FILL || m.start.0 < row0 || m.start.1 < col0 {
            continue;
        }
        let (r, c) = ((m.start.0 - row0) as usize, (m.start.1 - col0) as usize);
        let value = match rows.get(r).and_then(|row| row.get(c)) {
            Some(v) if !v.is_empty() => v.clone(),
            _ => continue,
        };
        let last_col = (m.end.1 - col0) as usize;
        for rr in r..=(m.end.0 - row0) as usize {
            let Some(row) = rows.get_mut(rr) else { break };
            if row.len() <= last_col {
                row.resize(last_col + 1, Cell::Empty);
            }
            for cell in &mut row[c..=last_col] {
                if cell.is_empty() {
                    *cell = value.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_land_at_their_place_from_the_first_used_row_and_column() {
        let mut grid = Grid::default();
        let text = |s: &str| Cell::Text(s.into());
        grid.put(7, 3, text("c"));
        grid.put(5, 4, text("b"));
        grid.put(5, 2, text("a"));
        grid.put(6, 9, Cell::Empty);
        let sheet = grid.into_sheet("f.xlsx", "表".to_string());
        assert_eq!((sheet.row0, sheet.col0), (5, 2));
        assert_eq!(
            sheet.rows,
            vec![
                vec![text("a"), Cell::Empty, text("b")],
                vec![],
                vec![Cell::Empty, text("c")],
            ]
        );
        assert_eq!(sheet.place(2, Some((1, "列"))).row, Some(8));
    }

    #[test]
    fn merged_regions_are_filled() {
        let mut rows = vec![
            vec![Cell::Text("武进区".into()), Cell::Text("a".into())],
            vec![Cell::Empty, Cell::Text("b".into())],
        ];
        let merge = calamine::Dimensions {
            start: (0, 0),
            end: (1, 0),
        };
        fill_merges(&mut rows, 0, 0, &[merge]);
        assert_eq!(rows[1][0], Cell::Text("武进区".into()));
    }
}
