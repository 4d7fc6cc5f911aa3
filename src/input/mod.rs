//! Stage 1: files → raw sheets. Workbooks (`.xlsx`, `.xls`, WPS `.et`, `.ods`)
//! are told apart by their first bytes, not their extension; a folder is read
//! as a set of `.csv` files in UTF-8 or GBK/GB18030. Every cell keeps its place.

use std::path::{Path, PathBuf};

use crate::shared::fault::{Fault, Place, held_open, held_open_fault};
pub(crate) use cell::Sheet;
use csv::read_csv;
use workbook::read_workbook_guarded;

mod biff_guard;
pub(crate) mod cell;
mod claims;
mod csv;
mod ods_scan;
mod sniff;
pub mod table;
mod workbook;
mod zip_guard;

/// Everything read from the given inputs: the sheets, and what could not be read.
#[derive(Debug, Default)]
pub struct Workbooks {
    pub sheets: Vec<Sheet>,
    pub faults: Vec<Fault>,
    /// A workbook that `read_input_deferring` split: its worksheets to be
    /// read now, and those to be read later (both with `read_later`).
    pub(crate) now: Later,
    pub(crate) later: Later,
    /// The spreadsheet library gave up part way (see `read_workbook_guarded`):
    /// whatever the file gave in another read is not to be used either.
    pub(crate) broken: bool,
}

/// Worksheets of a workbook to be read, with the bytes of the file they
/// were picked from (read once, checked once).
#[derive(Debug, Default)]
pub struct Later {
    pub(crate) bytes: std::sync::Arc<[u8]>,
    pub(crate) sheets: Vec<String>,
}

impl Later {
    pub(crate) fn is_empty(&self) -> bool {
        self.sheets.is_empty()
    }
}

/// Which worksheets of a workbook are read.
#[derive(Clone, Copy)]
pub(crate) enum Pick<'a> {
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
pub(crate) const OPTIONS_SHEET: &str = "下拉选项";

/// Sheets of zoufang's own workbooks that hold no table: never reported.
pub(crate) const AUXILIARY_SHEETS: &[&str] = &["说明", OPTIONS_SHEET];

/// Largest input file read: a whole city's returns are some tens of MB.
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Largest merged region (in cells) whose value is copied into every cell.
pub(crate) const MAX_MERGE_FILL: u64 = 100_000;

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
pub(crate) fn read_input_deferring(
    path: &Path,
    later: &(dyn Fn(&Sheet) -> bool + Sync),
) -> Workbooks {
    read_picked(path, Pick::Deferring(later))
}

/// Reads the worksheets of a workbook that `read_input_deferring` split.
pub(crate) fn read_later(path: &Path, sheets: Later) -> Workbooks {
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
                out.faults.push(unreadable(path, &e));
                return out;
            }
        };
        entries.sort();
        let csvs: Vec<_> = entries
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        if csvs.is_empty() {
            out.faults.push(Fault::error(
                Place::file(path.display().to_string()),
                "这个文件夹里没有 .csv 文件",
                "请给出名单工作簿（.xlsx/.xls/.ods），或放有 .csv 表格的文件夹",
            ));
        }
        for csv in csvs {
            match read_csv(&csv) {
                Ok(sheet) => out.sheets.push(sheet),
                Err(p) => out.faults.push(p),
            }
        }
        return out;
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        match read_csv(path) {
            Ok(sheet) => out.sheets.push(sheet),
            Err(p) => out.faults.push(p),
        }
        return out;
    }
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_INPUT_BYTES
    {
        out.faults.push(too_big(path, meta.len()));
        return out;
    }
    match std::fs::read(path) {
        Ok(bytes) => read_workbook_guarded(path, &bytes.into(), pick, &mut out),
        Err(e) => out.faults.push(unreadable(path, &e)),
    }
    out
}

/// A file larger than any roster or returns, refused before it is read.
pub(crate) fn too_big(path: &Path, size: u64) -> Fault {
    Fault::error(
        Place::file(path.display().to_string()),
        format!("这个文件有 {} MB，太大了，不像是名单或录入表", size >> 20),
        "请确认选对了文件；录入表太大时可以按单位分成几个文件",
    )
}

pub(crate) fn unreadable(path: &Path, e: &std::io::Error) -> Fault {
    let place = Place::file(path.display().to_string());
    if !path.exists() {
        return Fault::error(place, "找不到这个文件或文件夹", "请检查路径是否写对");
    }
    if held_open(e, false) {
        return held_open_fault(path, "打不开这个文件");
    }
    Fault::error(
        place,
        format!("打不开这个文件（{e}）"),
        "请检查路径是否写对、文件是否被其他程序占用",
    )
}

/// The SHA-256 of a file's bytes (of a CSV folder: of its `.csv` files in
/// name order), as hex: the same bytes sent twice are the same return.
/// `None` when it cannot be read (which the read then reports).
pub fn digest(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    if path.is_dir() {
        let mut csvs: Vec<PathBuf> = std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        csvs.sort();
        for csv in csvs {
            hasher.update(csv.file_name()?.as_encoded_bytes());
            hasher.update(std::fs::read(&csv).ok()?);
        }
    } else {
        if std::fs::metadata(path).ok()?.len() > MAX_INPUT_BYTES {
            return None;
        }
        hasher.update(std::fs::read(path).ok()?);
    }
    Some(format!("{:x}", hasher.finalize()))
}
