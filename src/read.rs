//! Stage 1: files → raw sheets. Workbooks (`.xlsx`, `.xls`, WPS `.et`, `.ods`)
//! are told apart by their first bytes, not their extension; a folder is read
//! as a set of `.csv` files in UTF-8 or GBK/GB18030. Every cell keeps its place.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use calamine::{
    DataType, Dimensions, Ods, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsx,
    open_workbook_from_rs,
};
use quick_xml::events::{BytesStart, Event};

use crate::problem::{Place, Problem};
use crate::text::number_text;

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
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.chars().all(crate::text::is_blank_char),
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
    pub file: String,
    pub name: String,
    /// 0-based row of `rows[0]` in the spreadsheet.
    pub row0: u32,
    /// 0-based column of every row's first cell.
    pub col0: u32,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// The place of a cell given by indices into `rows`.
    pub fn place(&self, row: usize, col: Option<(usize, &str)>) -> Place {
        Place {
            file: self.file.clone(),
            sheet: self.name.clone(),
            row: Some(self.row0 + row as u32 + 1),
            column: col.map(|(c, h)| (self.col0 + c as u32, h.to_string())),
        }
    }

    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Cell::Empty)
    }
}

/// Everything read from the given inputs: the sheets, and what could not be read.
#[derive(Debug, Default)]
pub struct Workbooks {
    pub sheets: Vec<Sheet>,
    pub problems: Vec<Problem>,
    /// A workbook that `read_input_deferring` split: its worksheets to be
    /// read now, and those to be read later (both with `read_later`).
    pub now: Later,
    pub later: Later,
    /// The spreadsheet library gave up part way (see `read_workbook_guarded`):
    /// whatever the file gave in another read is not to be used either.
    pub broken: bool,
}

/// Worksheets of a workbook to be read, with the bytes of the file they
/// were picked from (read once, checked once).
#[derive(Debug, Default)]
pub struct Later {
    bytes: std::sync::Arc<[u8]>,
    sheets: Vec<String>,
}

impl Later {
    pub fn is_empty(&self) -> bool {
        self.sheets.is_empty()
    }
}

/// Which worksheets of a workbook are read.
#[derive(Clone, Copy)]
enum Pick<'a> {
    All,
    /// None, when this picks some of the worksheets by their first rows
    /// (see `peek_sheet`): they go to `Workbooks::later`, the others to
    /// `Workbooks::now`. All, when it picks none.
    Deferring(&'a (dyn Fn(&Sheet) -> bool + Sync)),
    /// Only these, of a workbook whose other worksheets were read before
    /// (`Later`).
    Only(&'a [String]),
}

/// The hidden sheet of dropdown lists in the workbooks zoufang writes.
pub const OPTIONS_SHEET: &str = "下拉选项";

/// Sheets of zoufang's own workbooks that hold no table: never reported.
pub const AUXILIARY_SHEETS: &[&str] = &["说明", OPTIONS_SHEET];

/// Largest input file read: a whole city's returns are some tens of MB.
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Largest merged region (in cells) whose value is copied into every cell.
const MAX_MERGE_FILL: u64 = 100_000;

/// Reads a workbook file or a folder of CSV files.
pub fn read_input(path: &Path) -> Workbooks {
    read_picked(path, Pick::All)
}

/// Reads a workbook, or splits it when `later` picks some of its worksheets
/// by their first rows: those are then left in `Workbooks::later`, the
/// others in `Workbooks::now`, each to be read with `read_later`, on two
/// threads. A summary so reads the (much longer) household tables while it
/// reads the problem lists and makes their PDFs. Only an xlsx without merged
/// cells is split: there the first rows of a sheet, read alone, are exactly
/// what the whole read shows of them.
pub fn read_input_deferring(path: &Path, later: &(dyn Fn(&Sheet) -> bool + Sync)) -> Workbooks {
    read_picked(path, Pick::Deferring(later))
}

/// Reads the worksheets of a workbook that `read_input_deferring` split.
pub fn read_later(path: &Path, sheets: Later) -> Workbooks {
    let mut out = Workbooks::default();
    if !sheets.is_empty() {
        read_workbook_guarded(path, &sheets.bytes, Pick::Only(&sheets.sheets), &mut out);
    }
    out
}

fn read_picked(path: &Path, pick: Pick) -> Workbooks {
    let mut out = Workbooks::default();
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                out.problems.push(unreadable(path, &e.to_string()));
                return out;
            }
        };
        entries.sort();
        let csvs: Vec<_> = entries
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        if csvs.is_empty() {
            out.problems.push(Problem::fault(
                Place::file(path.display().to_string()),
                "这个文件夹里没有 .csv 文件",
                "请给出名单工作簿（.xlsx/.xls/.ods），或放有 .csv 表格的文件夹",
            ));
        }
        for csv in csvs {
            match read_csv(&csv) {
                Ok(sheet) => out.sheets.push(sheet),
                Err(p) => out.problems.push(p),
            }
        }
        return out;
    }
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_INPUT_BYTES
    {
        out.problems.push(Problem::fault(
            Place::file(path.display().to_string()),
            format!(
                "这个文件有 {} MB，太大了，不像是名单或录入表",
                meta.len() >> 20
            ),
            "请确认选对了文件；录入表太大时可以按单位分成几个文件",
        ));
        return out;
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                match csv_sheet(path, &bytes) {
                    Ok(sheet) => out.sheets.push(sheet),
                    Err(p) => out.problems.push(p),
                }
            } else {
                read_workbook_guarded(path, &bytes.into(), pick, &mut out);
            }
        }
        Err(e) => out.problems.push(unreadable(path, &e.to_string())),
    }
    out
}

fn unreadable(path: &Path, why: &str) -> Problem {
    let message = if !path.exists() {
        "找不到这个文件或文件夹".to_string()
    } else {
        format!("打不开这个文件（{why}）")
    };
    Problem::fault(
        Place::file(path.display().to_string()),
        message,
        "请检查路径是否写对、文件是否被其他程序占用",
    )
}

/// What the first bytes say a file is.
#[derive(Debug, PartialEq, Eq)]
enum Container {
    /// OLE2 compound file: `.xls`, WPS `.et`.
    Ole,
    /// Zip: `.xlsx`, `.ods`.
    Zip,
    Other,
}

fn sniff(bytes: &[u8]) -> Container {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Container::Ole
    } else if bytes.starts_with(b"PK") {
        Container::Zip
    } else {
        Container::Other
    }
}

thread_local! {
    /// Set while a third-party reader runs under `read_workbook_guarded`.
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Reads a workbook; a panic inside the spreadsheet library (it has a few
/// on damaged files) becomes a message about the file instead of a crash,
/// and whatever the file gave before it is dropped rather than half used.
fn read_workbook_guarded(
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
            out.problems.append(&mut own.problems);
            out.now = own.now;
            out.later = own.later;
        }
        Err(_) => {
            out.broken = true;
            out.problems.push(Problem::fault(
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
        out.problems
            .push(Problem::fault(Place::file(&file), message, hint));
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
        Container::Ole => {}
    }
    let ods_merges = if container == Container::Zip {
        ods_merges(bytes)
    } else {
        Default::default()
    };
    let opened = match container {
        Container::Ole => open_workbook_from_rs::<Xls<_>, _>(Cursor::new(bytes))
            .map(Sheets::Xls)
            .map_err(|e| e.to_string()),
        _ => open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes))
            .map(Sheets::Xlsx)
            .map_err(|e| e.to_string())
            .or_else(|xlsx_error| {
                open_workbook_from_rs::<Ods<_>, _>(Cursor::new(bytes))
                    .map(Sheets::Ods)
                    .map_err(|_| xlsx_error)
            }),
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
                format!("这个表格文件已损坏或格式无法识别（{text}）"),
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
            Err(problem) => out.problems.push(problem),
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
    let queue = crate::render::Queue::new(sheets.len());
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
    ods_merges: &HashMap<String, Vec<Dimensions>>,
) -> Result<Option<Sheet>, Problem> {
    let place = |name: &str| Place {
        sheet: name.to_string(),
        ..Place::file(file)
    };
    let cells = sheet_cells(workbook, &name).map_err(|e| {
        Problem::fault(
            place(&name),
            format!("这个工作表读不出来（{e}）"),
            "请在 Excel 或 WPS 中打开后另存为 .xlsx 再试",
        )
    })?;
    if hidden {
        if !cells.is_empty() && !AUXILIARY_SHEETS.contains(&name.as_str()) {
            return Err(Problem::warning(
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

const CORRUPT_HINT: &str =
    "文件可能没有下载或拷贝完整：请重新拷贝一份；或在 Excel 或 WPS 中打开后另存为 .xlsx 再试";
const PASSWORD_MESSAGE: &str = "这个工作簿设置了打开密码，程序读不了";
const PASSWORD_HINT: &str = "请在 Excel 或 WPS 中打开，去掉打开密码后另存为 .xlsx 再试";

/// An encrypted Office file: an OLE container holding an `EncryptedPackage`
/// stream (how Excel and WPS store a password-protected `.xlsx`).
fn is_encrypted_package(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

/// A Word or PowerPoint file (also zip containers), by its member names.
fn other_office_document(names: &[String]) -> Option<&'static str> {
    if names.iter().any(|n| n.starts_with("xl/")) {
        None
    } else if names.iter().any(|n| n.starts_with("word/")) {
        Some("Word 文档")
    } else if names.iter().any(|n| n.starts_with("ppt/")) {
        Some("PowerPoint 演示文稿")
    } else {
        None
    }
}

/// Markup that reaches us under a spreadsheet's extension.
#[derive(Debug, PartialEq, Eq)]
enum Markup {
    Html,
    SpreadsheetXml,
}

fn markup_kind(bytes: &[u8]) -> Option<Markup> {
    let head = decode_text(&bytes[..bytes.len().min(4096)]).to_lowercase();
    if head.contains("urn:schemas-microsoft-com:office:spreadsheet") {
        Some(Markup::SpreadsheetXml)
    } else if head.contains("<html") || head.contains("<table") {
        Some(Markup::Html)
    } else {
        None
    }
}

/// An archive member may expand to at most this much…
const ZIP_ENTRY_LIMIT: u64 = 1 << 30;
/// …and all of them together to this much.
const ZIP_TOTAL_LIMIT: u64 = 2 << 30;
/// Past this size a member must not be more than `ZIP_MAX_RATIO` times its
/// compressed size: spreadsheets compress about 5 to 20 times; bombs, thousands.
const ZIP_RATIO_FROM: u64 = 128 << 20;
const ZIP_MAX_RATIO: u64 = 100;

/// What the zip scan found: the member names, and whether any worksheet
/// of an xlsx has merged cells.
struct ZipScan {
    names: Vec<String>,
    merged_cells: bool,
}

/// The member names of a zip container, after expanding every member into
/// nothing, counting bytes: one that would expand past the limits (a "zip
/// bomb") is refused before any reader holds it in memory. Damage is left to
/// the reader to report. On the way it notes whether a worksheet has merged
/// cells: calamine finds them by parsing the whole sheet a second time, which
/// made reading a large returns workbook (no merges) half as slow again.
fn zip_members(bytes: &[u8]) -> Result<ZipScan, String> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(ZipScan {
            names: Vec::new(),
            merged_cells: true,
        });
    };
    let names: Vec<String> = archive
        .file_names()
        .flatten()
        .map(|n| n.into_owned())
        .collect();
    let mut scan = ZipScan {
        names,
        merged_cells: false,
    };
    const MERGE_TAG: &[u8] = b"mergeCell";
    let finder = memchr::memmem::Finder::new(MERGE_TAG);
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..archive.len() {
        let Ok(mut member) = archive.by_index(i) else {
            scan.merged_cells = true;
            return Ok(scan);
        };
        // Any member but the shared strings may be a worksheet: writers
        // name and place them as they like.
        let worksheet = member
            .name()
            .map_or(true, |n| !n.to_ascii_lowercase().contains("sharedstrings"));
        let packed = member.compressed_size().max(1);
        let mut size = 0u64;
        // The tail of the previous chunk, so that a tag split across two
        // chunks is still found.
        let mut carry = 0;
        loop {
            let n = match std::io::Read::read(&mut member, &mut buf[carry..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if worksheet && !scan.merged_cells {
                let seen = carry + n;
                scan.merged_cells = finder.find(&buf[..seen]).is_some();
                carry = (MERGE_TAG.len() - 1).min(seen);
                buf.copy_within(seen - carry..seen, 0);
            } else {
                carry = 0;
            }
            size += n as u64;
            total += n as u64;
            let bomb = size > ZIP_RATIO_FROM && size / packed > ZIP_MAX_RATIO;
            if bomb || size > ZIP_ENTRY_LIMIT || total > ZIP_TOTAL_LIMIT {
                return Err(format!(
                    "这个文件解压后超过 {} MB（文件本身只有 {} KB），不像正常的表格，为防止电脑卡死没有读取",
                    size.max(total) >> 20,
                    bytes.len() >> 10
                ));
            }
        }
    }
    Ok(scan)
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
        if r >= *first.get_or_insert(r) + crate::table::HEADER_SEARCH_ROWS as u32 {
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

/// Merged regions of an OpenDocument spreadsheet, by sheet name, read from
/// `content.xml` (calamine reports none for ODS). Anything unreadable gives
/// no merges: the cells are still read, only not filled.
fn ods_merges(bytes: &[u8]) -> HashMap<String, Vec<Dimensions>> {
    let mut merges: HashMap<String, Vec<Dimensions>> = HashMap::new();
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return merges;
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return merges;
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let attr = |e: &BytesStart, name: &str| -> Option<String> {
        e.try_get_attribute(name).ok().flatten().map(|a| {
            quick_xml::escape::unescape(&a.value)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.into_owned())
        })
    };
    let number = |e: &BytesStart, name: &str| {
        attr(e, name)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let (mut sheet, mut row, mut col, mut row_repeat) = (String::new(), 0u32, 0u32, 1u32);
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
                if e.name().as_ref() == "table:table-row" {
                    row = row.saturating_add(row_repeat);
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
            }
            "table:table-row" => {
                col = 0;
                row_repeat = number(e, "table:number-rows-repeated");
                if is_empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let rows = number(e, "table:number-rows-spanned");
                let cols = number(e, "table:number-columns-spanned");
                if rows > 1 || cols > 1 {
                    merges.entry(sheet.clone()).or_default().push(Dimensions {
                        start: (row, col),
                        end: (row.saturating_add(rows - 1), col.saturating_add(cols - 1)),
                    });
                }
                col = col.saturating_add(number(e, "table:number-columns-repeated"));
            }
            _ => {}
        }
        buf.clear();
    }
    merges
}

fn read_csv(path: &Path) -> Result<Sheet, Problem> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e.to_string()))?;
    csv_sheet(path, &bytes)
}

/// Decodes CSV bytes: UTF-16 (with a byte-order mark, or the telltale zero
/// bytes of ASCII text), else line by line UTF-8 (with or without BOM) when
/// valid and GB18030 (which includes GBK) when not, so that a file pasted
/// together from a UTF-8 export and a GBK one reads right throughout.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned();
    }
    let head = &bytes[..bytes.len().min(1024) & !1];
    let zeros_at = |odd: usize| {
        head.iter()
            .skip(odd)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    if head.len() >= 8 && zeros_at(1) * 10 > head.len() * 4 && zeros_at(0) == 0 {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
    }
    if head.len() >= 8 && zeros_at(0) * 10 > head.len() * 4 && zeros_at(1) == 0 {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut text = String::with_capacity(bytes.len() * 3 / 2);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(_) => text.push_str(&encoding_rs::GB18030.decode_without_bom_handling(line).0),
        }
    }
    text
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

fn csv_sheet(path: &Path, bytes: &[u8]) -> Result<Sheet, Problem> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,单位\n张三,市发改委\n");
        assert_eq!(decode_text(&gbk), "姓名,单位\n张三,市发改委\n");
        assert_eq!(decode_text("\u{FEFF}姓名".as_bytes()), "姓名");
    }

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

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0]), Container::Ole);
        assert_eq!(sniff(b"PK\x03\x04"), Container::Zip);
        assert_eq!(sniff(b"hello"), Container::Other);
    }
}
