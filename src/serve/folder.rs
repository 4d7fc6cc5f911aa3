//! The working folder the page serves: the one place that knows its files
//! and folders, and how the page names a file inside it.
//!
//! ```text
//! 名单.xlsx (.xls .et .ods)   the roster in use
//! 名单备份/                    rosters replaced on the page, dated
//! 预览/                        the forms as they will print
//! 打印材料/                    the kits (as zoufang kits writes them)
//! 扫描件/                      the scanner's files dropped on the page
//! 扫描件_不用的/               scanner files set aside (kept, not read)
//! 扫描结果/                    what reading them wrote (扫描结果.json: what the page shows)
//! 回收/                        the returns dropped on the page
//! 台账.sqlite                  the ledger
//! 汇总_<from>至<to>/           a week's report
//! ```

use std::path::{Path, PathBuf};

/// The roster's name, before its extension.
pub(super) const ROSTER_STEM: &str = "名单";
/// The workbook kinds a roster may be.
pub(super) const ROSTER_EXTENSIONS: [&str; 4] = ["xlsx", "xls", "et", "ods"];
/// Rosters replaced on the page.
pub(super) const BACKUP_FOLDER: &str = "名单备份";
/// The forms as they will print.
pub(super) const PREVIEWS_FOLDER: &str = "预览";
/// The kits the page prints.
pub(super) const KITS_FOLDER: &str = "打印材料";
/// The scanner's files.
pub(super) const SCANS_FOLDER: &str = "扫描件";
/// Scanner files set aside.
pub(super) const SET_ASIDE_FOLDER: &str = "扫描件_不用的";
/// What reading the scanner's files wrote.
pub(super) const SCAN_RESULTS_FOLDER: &str = "扫描结果";
/// What the last reading found, as the page shows it (in the folder above).
pub(super) const SCAN_RESULT_FILE: &str = "扫描结果.json";
/// The returns dropped on the page.
pub(super) const RETURNS_FOLDER: &str = "回收";
/// The ledger.
pub(super) const LEDGER_FILE: &str = "台账.sqlite";
/// A week's report folder begins so.
pub(super) const REPORT_PREFIX: &str = "汇总_";

/// The roster file of the working folder, if there is one.
pub(super) fn roster_file(folder: &Path) -> Option<PathBuf> {
    ROSTER_EXTENSIONS
        .iter()
        .map(|ext| roster_named(folder, ext))
        .find(|p| p.is_file())
}

/// Where a roster of extension `ext` is kept.
pub(super) fn roster_named(folder: &Path, ext: &str) -> PathBuf {
    folder.join(format!("{ROSTER_STEM}.{ext}"))
}

/// A file as the page names it: its path inside the working folder with
/// `/`; a file elsewhere by its name alone (never a server path).
pub(super) fn shown(folder: &Path, path: &Path) -> String {
    match path.strip_prefix(folder) {
        Ok(inside) => inside.to_string_lossy().replace('\\', "/"),
        Err(_) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// The files under `dir` (its sub-folders too), in name order.
pub(super) fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
