//! The 扫描件 step: the scanner's files dropped on the page are kept in
//! `扫描件/`, then read together, as `zoufang scan` reads them, into
//! `扫描结果/` (交回情况.xlsx, the archive per village, the entry workbooks
//! with the returned forms first, the unreadable pages as images), and the
//! returned forms noted in the folder's ledger. What the last reading found
//! is kept beside its files, so that a reload or a restarted server shows it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::folder::{
    LEDGER_FILE, SCAN_RESULT_FILE, SCAN_RESULTS_FOLDER, SCANS_FOLDER, SET_ASIDE_FOLDER,
    roster_file, shown, walk,
};
use super::guard::{MAX_SCAN_UPLOAD, inside, percent_decode, query_value};
use super::returns::received_of;
use super::upload::{self, Pending};
use super::{Reply, State, unfinished};
use crate::print::page_code::campaign_tag;
use crate::scan::archive::{ARCHIVE_DIR, UNREADABLE_PDF};
use crate::scan::job::{self, ENTRY_DIR, Job};
use crate::scan::report::{self, RETURNS_BOOK, Totals};
use crate::shared::atomic::write_atomic;
use crate::shared::date::show_date;
use crate::shared::fault::io_words;
use crate::summary::ledger::Ledger;

/// A reading of the scanner's files, on a thread of its own.
pub(super) struct ScanRun {
    files: usize,
    pages_read: AtomicU64,
    outcome: Mutex<Option<Result<(), String>>>,
}

/// What the page shows of a reading.
#[derive(Serialize, Deserialize)]
struct Found {
    /// When it was read (local time).
    read_at: String,
    received: String,
    files: usize,
    seconds: f64,
    totals: Totals,
    /// Whether a roster was read with it (printed and missing known).
    roster: bool,
    departments: Vec<DepartmentRow>,
    repeated: Vec<Repeated>,
    unreadable: Vec<UnreadablePage>,
    /// Forms the ledger had not seen, and forms seen blank that came back filled.
    recorded_new: usize,
    recorded_now_filled: usize,
    downloads: Vec<Download>,
}

#[derive(Serialize, Deserialize)]
struct DepartmentRow {
    department: String,
    cadres: Vec<CadreRow>,
    printed: u32,
    filled: u32,
    blank: u32,
    missing: usize,
}

#[derive(Serialize, Deserialize)]
struct CadreRow {
    cadre: String,
    id: String,
    printed: Option<u32>,
    filled: u32,
    blank: u32,
    missing: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Repeated {
    serial: String,
    places: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct UnreadablePage {
    place: String,
    why: String,
    /// The page's image, inside the working folder.
    image: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Download {
    label: String,
    path: String,
}

/// A file of the scanner's, as the page lists it.
#[derive(Serialize)]
struct Kept {
    name: String,
    bytes: u64,
}

/// Where the step stands: the files kept, the reading running (pages read
/// so far), what went wrong, or what the last reading found.
#[derive(Serialize)]
struct Status {
    files: Vec<Kept>,
    state: &'static str,
    reading_files: usize,
    pages_read: u64,
    message: Option<String>,
    found: Option<Found>,
}

/// The scanner's files kept in `扫描件/`, in name order (the order read).
fn kept_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder.join(SCANS_FOLDER))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

pub(super) fn status(state: &State) -> Reply {
    let files = kept_files(&state.folder)
        .iter()
        .map(|p| Kept {
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: std::fs::metadata(p).map_or(0, |m| m.len()),
        })
        .collect();
    let found = std::fs::read(
        state
            .folder
            .join(SCAN_RESULTS_FOLDER)
            .join(SCAN_RESULT_FILE),
    )
    .ok()
    .and_then(|bytes| serde_json::from_slice::<Found>(&bytes).ok());
    let running = state.scan.lock().unwrap_or_else(|e| e.into_inner());
    let (state_word, reading_files, pages_read, message) = match running.as_ref() {
        None => ("idle", 0, 0, None),
        Some(run) => {
            let read = run.pages_read.load(Ordering::Relaxed);
            match run
                .outcome
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                None => ("running", run.files, read, None),
                Some(Ok(())) => ("done", run.files, read, None),
                Some(Err(why)) => ("failed", run.files, read, Some(why.clone())),
            }
        }
    };
    Reply::typed(
        200,
        &Status {
            files,
            state: state_word,
            reading_files,
            pages_read,
            message,
            found,
        },
    )
}

/// A scanner's file dropped on the page (`?name=`): recognised by its
/// first bytes and kept in `扫描件/` under its own name (a different file
/// of that name gets a number; the same file again is kept once). A
/// spreadsheet is said to be what it is and where it belongs.
pub(super) fn add_file(state: &State, url: &str, body: &mut dyn Read) -> Reply {
    let dropped = upload::Dropped::from_url(url);
    let given = &dropped.given;
    let pending = match Pending::stream(&state.folder, body, MAX_SCAN_UPLOAD, &dropped.ext) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    if !pending.is_scan() {
        return match pending.holds() {
            Ok(holds) => upload::wrong_step(given, holds, "扫描件"),
            Err(_) => Reply::message(
                415,
                format!(
                    "「{given}」不是扫描件：请选扫描仪存的 PDF、TIFF，或者 JPEG、PNG 图片。这个文件没有存下。"
                ),
            ),
        };
    }
    let folder = state.folder.join(SCANS_FOLDER);
    let (target, same) = dropped.place_in(&folder, &|there| same_bytes(there, pending.path()));
    if same {
        return Reply::message(
            200,
            format!("「{given}」已经放进来过了（内容完全相同），只算一份。"),
        );
    }
    if let Err(e) = std::fs::create_dir_all(&folder).and_then(|()| pending.keep_as(&target)) {
        return Reply::message(
            500,
            format!("扫描件存不进工作文件夹（{}）", io_words(&e, true)),
        );
    }
    Reply::message(
        200,
        format!("「{given}」已放进「{}」。", shown(&state.folder, &target)),
    )
}

/// Whether two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> bool {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    if size(a).is_none() || size(a) != size(b) {
        return false;
    }
    let (Ok(mut a), Ok(mut b)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let (Ok(n), Ok(m)) = (read_full(&mut a, &mut x), read_full(&mut b, &mut y)) else {
            return false;
        };
        if n != m || x[..n] != y[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Takes a file off the list (`?name=`): moved to `扫描件_不用的/`, kept.
/// The next reading leaves it out.
pub(super) fn set_aside(state: &State, url: &str) -> Reply {
    let Some(name) = query_value(url, "name").and_then(percent_decode) else {
        return Reply::message(400, "没有说是哪一个文件");
    };
    let Some(path) = inside(&state.folder, &format!("{SCANS_FOLDER}/{name}"))
        .filter(|p| kept_files(&state.folder).contains(p))
    else {
        return Reply::message(404, format!("「{SCANS_FOLDER}」里没有「{name}」"));
    };
    let aside = state.folder.join(SET_ASIDE_FOLDER);
    let mut target = aside.join(&name);
    let mut n = 2;
    while target.exists() {
        target = aside.join(format!("{n}_{name}"));
        n += 1;
    }
    if let Err(e) = std::fs::create_dir_all(&aside).and_then(|()| std::fs::rename(&path, &target)) {
        return Reply::message(500, format!("没有移开（{}）", io_words(&e, true)));
    }
    let moved = format!(
        "「{name}」已移到「{}」，下次读扫描件时不再读它。",
        shown(&state.folder, &target)
    );
    // What the ledger noted from it goes too: a file read with a wrong
    // received day is set aside, then dropped again with the right one.
    let ledger = state.folder.join(LEDGER_FILE);
    if !ledger.is_file() {
        return Reply::message(200, moved);
    }
    match Ledger::open(&ledger).and_then(|mut l| l.forget_paper_of(&name)) {
        Ok(0) => Reply::message(200, moved),
        Ok(n) => Reply::message(
            200,
            format!(
                "{moved}台账里按它记下的 {n} 张入户调查表已去掉（别的扫描件里也有的，重新读时再记上）。"
            ),
        ),
        Err(fault) => Reply::faults(
            500,
            format!("{moved}但台账里按它记下的表没有去掉"),
            &[fault],
        ),
    }
}

/// Starts reading every file of `扫描件/` (received on `?received=`, else
/// today) on a thread of its own; refused while a reading runs.
pub(super) fn start(state: &Arc<State>, url: &str) -> Reply {
    let received = match received_of(state, url, "这些扫描件还没有读") {
        Ok(day) => day,
        Err(reply) => return reply,
    };
    let mut running = state.scan.lock().unwrap_or_else(|e| e.into_inner());
    if running.as_ref().is_some_and(|run| unfinished(&run.outcome)) {
        return Reply::message(409, "扫描件正在读，请等这一次读完");
    }
    let files = kept_files(&state.folder);
    if files.is_empty() {
        return Reply::message(409, "还没有放进扫描件：先把扫描仪存的文件拖进来");
    }
    // The forms are counted against the roster in use; one with errors
    // would count them wrongly.
    let roster = match roster_file(&state.folder) {
        None => None,
        Some(path) => match crate::print::checked_plan(&path, &state.settings, &state.engine) {
            Ok((checked, _)) if !checked.has_faults() => Some(checked.roster),
            _ => {
                return Reply::message(
                    422,
                    "名单有错误或读不出来：请先在「一、名单」改正名单，再读扫描件（按名单才知道每名干部印了哪些表）",
                );
            }
        },
    };
    let run = Arc::new(ScanRun {
        files: files.len(),
        pages_read: AtomicU64::new(0),
        outcome: Mutex::new(None),
    });
    *running = Some(Arc::clone(&run));
    drop(running);
    let shared = Arc::clone(state);
    std::thread::spawn(move || {
        let state = shared;
        let outcome = read(&state, &files, roster.as_ref(), received, &run.pages_read);
        *run.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    });
    status(state)
}

/// One reading: the job, then what the page shows of it, kept.
fn read(
    state: &State,
    files: &[PathBuf],
    roster: Option<&crate::check::model::Roster>,
    received: jiff::civil::Date,
    pages_read: &AtomicU64,
) -> Result<(), String> {
    let folder = &state.folder;
    let out = folder.join(SCAN_RESULTS_FOLDER);
    // What an earlier reading filed is made again from all the files.
    for stale in [ARCHIVE_DIR, ENTRY_DIR] {
        let dir = out.join(stale);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| {
                format!(
                    "上一次的结果删不掉：{}（{}）",
                    shown(folder, &dir),
                    io_words(&e, true)
                )
            })?;
        }
    }
    let _ = std::fs::remove_file(out.join(UNREADABLE_PDF));
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let tag = campaign_tag(&state.settings.campaign_title, state.settings.campaign_year);
    let ledger = folder.join(LEDGER_FILE);
    let job = Job {
        files,
        name: &name,
        out: &out,
        tag: &tag,
        roster,
        ledger: Some((&ledger, received)),
        json: None,
        unreadable_images: true,
        pages_read: Some(pages_read),
    };
    // The page names files inside the working folder, never by server paths.
    let prefix = format!("{}{}", folder.display(), std::path::MAIN_SEPARATOR);
    let done = job::run(&job).map_err(|f| f.words().replace(&prefix, ""))?;
    let scan = &done.scan;
    let mut departments: Vec<DepartmentRow> = Vec::new();
    for c in &scan.cadres {
        if departments
            .last()
            .is_none_or(|d| d.department != c.department)
        {
            departments.push(DepartmentRow {
                department: c.department.clone(),
                cadres: Vec::new(),
                printed: 0,
                filled: 0,
                blank: 0,
                missing: 0,
            });
        }
        if let Some(d) = departments.last_mut() {
            d.printed += c.printed.unwrap_or(0);
            d.filled += c.filled;
            d.blank += c.blank;
            d.missing += c.missing.len();
            d.cadres.push(CadreRow {
                cadre: c.name.clone(),
                id: c.id.clone(),
                printed: c.printed,
                filled: c.filled,
                blank: c.blank,
                missing: c.missing.clone(),
            });
        }
    }
    let unreadable = scan
        .unreadable()
        .zip(done.unreadable_images.iter())
        .map(|((page, why), image)| UnreadablePage {
            place: report::place(&page.file, page.page),
            why: why.to_string(),
            image: image.as_deref().map(|p| shown(folder, p)),
        })
        .collect();
    let repeated = scan
        .repeated()
        .map(|(serial, r)| Repeated {
            serial: serial.clone(),
            places: r
                .scans
                .iter()
                .map(|(f, p)| report::place(f, Some(*p)))
                .collect(),
        })
        .collect();
    let mut downloads = vec![Download {
        label: RETURNS_BOOK.to_string(),
        path: shown(folder, &out.join(RETURNS_BOOK)),
    }];
    if out.join(UNREADABLE_PDF).is_file() {
        downloads.push(Download {
            label: UNREADABLE_PDF.to_string(),
            path: shown(folder, &out.join(UNREADABLE_PDF)),
        });
    }
    for dir in [ENTRY_DIR, ARCHIVE_DIR] {
        let dir = out.join(dir);
        if !dir.is_dir() {
            continue;
        }
        let files = walk(&dir).map_err(|e| {
            format!(
                "读好的文件列不出来：{}（{}）",
                shown(folder, &dir),
                io_words(&e, true)
            )
        })?;
        for file in files {
            downloads.push(Download {
                label: shown(&out, &file),
                path: shown(folder, &file),
            });
        }
    }
    let recorded = done.recorded.unwrap_or_default();
    let found = Found {
        read_at: jiff::ZonedDateTime::now()
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        received: show_date(received),
        files: files.len(),
        seconds: done.seconds,
        totals: report::totals(scan),
        roster: roster.is_some(),
        departments,
        repeated,
        unreadable,
        recorded_new: recorded.new,
        recorded_now_filled: recorded.now_filled,
        downloads,
    };
    let bytes = serde_json::to_vec(&found).unwrap_or_default();
    write_atomic(&out.join(SCAN_RESULT_FILE), &bytes)
        .and_then(|()| crate::shared::atomic::sync_written())
        .map_err(|e| format!("读的结果存不下来（{}）", io_words(&e, true)))
}
