//! Step 二、打印: the roster's kits printed into `打印材料/` on a thread of
//! their own, as `zoufang kits` prints them, with their progress; the
//! files per department, and zips for the print shop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::folder::{KITS_FOLDER, REPORT_PREFIX, walk};
use super::guard::{inside, percent_decode, percent_encode, query_value};
use super::{Reply, State, faults, roster, unfinished};
use crate::shared::atomic::Written;
use crate::shared::fault::{Fault, io_words};
use crate::shared::progress::Progress;

/// A print run: its progress while it runs, what it wrote when done.
pub(super) struct KitsRun {
    progress: Progress,
    outcome: Mutex<Option<Result<Vec<Written>, Vec<Fault>>>>,
}

/// Where the print run stands, as the page shows it.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum Status {
    /// No run since the server started, and none left on disk.
    Idle,
    Running {
        done: u64,
        total: u64,
        pages: u64,
    },
    Failed {
        done: u64,
        total: u64,
        problems: Vec<faults::Shown>,
    },
    Done {
        /// Found on disk, left by an earlier run.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        earlier: bool,
        done: u64,
        total: u64,
        pages: u64,
        files: Vec<File>,
    },
}

/// A file of the print run.
#[derive(Serialize)]
struct File {
    /// The department's folder; none for the files of all.
    folder: Option<String>,
    /// Inside the working folder.
    path: String,
    name: Option<String>,
    pages: usize,
    bytes: usize,
}

/// Starts printing the roster's kits on a thread of its own; refused while
/// one runs, or while the roster has faults.
pub(super) fn start(state: &Arc<State>) -> Reply {
    let mut running = state.kits.lock().unwrap_or_else(|e| e.into_inner());
    if running.as_ref().is_some_and(|run| unfinished(&run.outcome)) {
        return Reply::message(409, "材料正在生成，请等这一次完成");
    }
    let (checked, plan) = match roster::printable(state, "没有生成材料", "打印") {
        Ok(loaded) => loaded,
        Err(reply) => return reply,
    };
    let run = Arc::new(KitsRun {
        progress: Progress::new(plan.documents.len() as u64, "文件", true),
        outcome: Mutex::new(None),
    });
    *running = Some(Arc::clone(&run));
    drop(running);
    let shared = Arc::clone(state);
    std::thread::spawn(move || {
        let state = shared;
        let out = state.folder.join(KITS_FOLDER);
        let output = crate::print::render::Output {
            dir: &out,
            entry_workbooks: true,
            emit_data: None,
            progress: &run.progress,
        };
        let report = crate::print::render::render_all(
            &state.engine,
            &state.settings,
            &checked.roster,
            &plan,
            &output,
        );
        let outcome = if report.failures.is_empty() {
            crate::shared::atomic::sync_written()
                .map(|()| report.written)
                .map_err(|e| {
                    vec![Fault::error(
                        crate::shared::fault::Place::file(out.display().to_string()),
                        format!("文件没能全部存到磁盘上（{e}）"),
                        "请检查磁盘是否已满，然后重新生成",
                    )]
                })
        } else {
            Err(report.failures)
        };
        *run.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    });
    Reply::typed(202, &status(state))
}

/// Where the print run stands, as the answer.
pub(super) fn answer(state: &State) -> Reply {
    Reply::typed(200, &status(state))
}

/// Files done of all, pages; when done, the files per department (or what
/// went wrong). Before any run since the server started, the kits an
/// earlier run left in `打印材料/` (by its manifest), so that a restarted
/// server still lists them.
fn status(state: &State) -> Status {
    let running = state.kits.lock().unwrap_or_else(|e| e.into_inner());
    let Some(run) = running.as_ref() else {
        let earlier = on_disk(&state.folder.join(KITS_FOLDER));
        if earlier.is_empty() {
            return Status::Idle;
        }
        return Status::Done {
            earlier: true,
            done: earlier.len() as u64,
            total: earlier.len() as u64,
            pages: earlier.iter().map(|w| w.pages as u64).sum(),
            files: files(&earlier),
        };
    };
    let (done, total, pages) = run.progress.position();
    let outcome = run.outcome.lock().unwrap_or_else(|e| e.into_inner());
    match outcome.as_ref() {
        None => Status::Running { done, total, pages },
        Some(Err(faults)) => Status::Failed {
            done,
            total,
            problems: faults::each(faults),
        },
        Some(Ok(written)) => Status::Done {
            earlier: false,
            done,
            total,
            pages,
            files: files(written),
        },
    }
}

/// The files of a print run for the page: folder (the department's), path
/// inside the working folder, name, pages, size.
fn files(written: &[Written]) -> Vec<File> {
    written
        .iter()
        .map(|w| File {
            folder: w
                .path
                .components()
                .next()
                .filter(|_| w.path.components().count() > 1)
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
            path: Path::new(KITS_FOLDER)
                .join(&w.path)
                .to_string_lossy()
                .into_owned(),
            name: w.path.file_name().map(|n| n.to_string_lossy().into_owned()),
            pages: w.pages,
            bytes: w.bytes,
        })
        .collect()
}

/// The kits an earlier run left in `out`: the files its manifest lists
/// (PDFs and entry workbooks, in its order) that are still there.
fn on_disk(out: &Path) -> Vec<Written> {
    crate::print::manifest::read_manifest(out)
        .into_iter()
        .filter_map(|(path, pages)| {
            let file = inside(out, &path.to_string_lossy())?;
            let bytes = std::fs::metadata(file).ok()?.len();
            Some(Written {
                path,
                pages: pages as usize,
                bytes: bytes as usize,
            })
        })
        .collect()
}

/// A folder of a week's report (`?report=汇总_…/报市委农工办`), or of the
/// print run (`?folder=单位`; none: every department's) for the print shop:
/// only what is printed (the departments' entry workbooks stay out).
pub(super) fn zip_folder(state: &State, url: &str) -> Reply {
    let report = query_value(url, "report").and_then(percent_decode);
    let (dir, printed_only, name): (Option<PathBuf>, bool, String) = match &report {
        Some(rel) if rel.starts_with(REPORT_PREFIX) => {
            (inside(&state.folder, rel), false, rel.replace('/', "_"))
        }
        Some(_) => (None, false, String::new()),
        None => {
            let name = query_value(url, "folder")
                .and_then(percent_decode)
                .unwrap_or_default();
            let zip_name = if name.is_empty() {
                KITS_FOLDER.to_string()
            } else {
                name.clone()
            };
            (
                inside(&state.folder, &format!("{KITS_FOLDER}/{name}")),
                true,
                zip_name,
            )
        }
    };
    let Some(dir) = dir.filter(|d| d.is_dir()) else {
        return Reply::text(404, "没有这些材料");
    };
    match zip_of(&state.folder, &dir, printed_only) {
        Ok((file, length, path)) => Reply {
            status: 200,
            content_type: "application/zip",
            body: super::http::Body::File {
                file,
                length,
                then_remove: Some(path),
            },
            headers: vec![(
                "Content-Disposition".into(),
                format!(
                    "attachment; filename=\"kits.zip\"; filename*=UTF-8''{}.zip",
                    percent_encode(&name)
                ),
            )],
        },
        Err(e) => Reply::text(500, &format!("打包没有成功（{}）", io_words(&e, true))),
    }
}

/// Every file under `dir` (with `printed_only`, its PDFs), zipped as they
/// are on disk, dated when they were made (PDFs are compressed already:
/// stored), into a hidden file of the working folder `folder`, read back
/// from its start: the zip, its length and its name (removed once sent).
/// Never held in memory: a city's zip is a gigabyte.
fn zip_of(
    folder: &Path,
    dir: &Path,
    printed_only: bool,
) -> std::io::Result<(std::fs::File, u64, PathBuf)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = folder.join(format!(".打包中-{}-{n}.zip", std::process::id()));
    let zipped = write_zip(&path, dir, printed_only).and_then(|()| {
        let file = std::fs::File::open(&path)?;
        let length = file.metadata()?.len();
        Ok((file, length))
    });
    match zipped {
        Ok((file, length)) => Ok((file, length, path)),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

fn write_zip(path: &Path, dir: &Path, printed_only: bool) -> std::io::Result<()> {
    let files = walk(dir)?;
    let files = files.into_iter().filter(|path| {
        !printed_only
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    });
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(std::fs::File::create(path)?));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for file in files {
        let rel = file.strip_prefix(dir).map_err(std::io::Error::other)?;
        let name = rel.to_string_lossy().replace('\\', "/");
        let made = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(zip_date);
        let options = match made {
            Some(day) => stored.last_modified_time(day),
            None => stored,
        };
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(&file)?, &mut zip)?;
    }
    let mut out = zip.finish().map_err(std::io::Error::other)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// A file's time as a zip entry dates it: the local day and time.
fn zip_date(time: std::time::SystemTime) -> Option<zip::DateTime> {
    let local = jiff::Timestamp::try_from(time)
        .ok()?
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .datetime();
    zip::DateTime::from_date_and_time(
        u16::try_from(local.year()).ok()?,
        u8::try_from(local.month()).ok()?,
        u8::try_from(local.day()).ok()?,
        u8::try_from(local.hour()).ok()?,
        u8::try_from(local.minute()).ok()?,
        u8::try_from(local.second()).ok()?,
    )
    .ok()
}
