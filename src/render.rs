//! Stage 4: plan → PDFs on disk. Documents are typeset in parallel by one
//! shared engine, each PDF written under a temporary name and renamed, and a
//! manifest of every file written is put at the output folder's root.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use typst::foundations::{Datetime, Smart};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::engine::{Engine, RenderError, Template, Typeset, evict_caches};
use crate::plan::{Document, Plan, safe_file_name};
use crate::problem::{Place, Problem};
use crate::progress::Progress;
use crate::roster::Roster;
use crate::settings::Settings;
use typst::foundations::Bytes;

/// The manifest's file name at the output root.
pub const MANIFEST: &str = "清单.csv";

/// Stack size of typesetting threads: Typst recurses deeply.
const STACK_SIZE: usize = 32 * 1024 * 1024;

/// One file written.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub pages: usize,
    pub bytes: usize,
}

/// What a run wrote, or why documents failed.
#[derive(Debug, Default)]
pub struct Report {
    pub written: Vec<Written>,
    pub failures: Vec<Problem>,
}

/// PDF options that give the same bytes for the same inputs: fixed date,
/// fixed identifier, no accessibility tag tree (print kits are for paper; the
/// tags would make every file several times larger).
/// With `pdf_a`, the file conforms to PDF/A-2b, for archives.
pub fn pdf_options(date: Datetime, ident: &str, pdf_a: bool) -> PdfOptions {
    let timestamp = Datetime::from_ymd_hms(
        date.year().unwrap_or(2017),
        date.month().unwrap_or(1),
        date.day().unwrap_or(1),
        0,
        0,
        0,
    )
    .map(Timestamp::new_utc);
    PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some("zoufang".to_string())),
        timestamp,
        page_ranges: None,
        standards: if pdf_a {
            PdfStandards::new(&[PdfStandard::A_2b]).unwrap_or_default()
        } else {
            PdfStandards::default()
        },
        tagged: false,
        pretty: false,
    }
}

/// Typesets a document and turns it into PDF bytes.
fn typeset_pdf(
    engine: &Engine,
    template: Template,
    data: &Bytes,
    files: &[(String, Bytes)],
    ident: &str,
    pdf_a: bool,
) -> Result<(Typeset, Vec<u8>), RenderError> {
    let typeset = engine.typeset(template, data, files)?;
    let bytes = engine.pdf(&typeset, ident, pdf_a)?;
    Ok((typeset, bytes))
}

/// Typesets a document that is not part of a plan (summaries): its page count
/// and PDF bytes, or the error as one line of text.
pub fn pdf_bytes_of(
    engine: &Engine,
    template: Template,
    data: &serde_json::Value,
    ident: &str,
    pdf_a: bool,
) -> Result<(usize, Vec<u8>), String> {
    let data = Bytes::new(serde_json::to_vec(data).unwrap_or_default());
    let result = typeset_pdf(engine, template, &data, &[], ident, pdf_a);
    evict_caches();
    match result {
        Ok((typeset, bytes)) => Ok((typeset.document.pages().len(), bytes)),
        Err(RenderError::Template(lines)) => Err(lines.join("；")),
        Err(RenderError::MissingGlyphs(chars)) => {
            Err(format!("字体中没有这些字：{}", quote_chars(&chars)))
        }
    }
}

/// Writes `bytes` to `path` so that no half-written file ever carries the
/// final name, and a run killed part way leaves nothing behind: on Linux the
/// bytes go to an unnamed file (`O_TMPFILE`) that gets a name only when
/// complete; elsewhere, or where the file system cannot, to a temporary
/// `.name.PID.tmp` that is renamed (and that `sweep_stale_temps` removes
/// after a crash). Unnamed files reach the disk at `sync_written`, once for
/// the whole run: an fsync for each of a summary's 1,200 small files cost
/// 0.4 s of its 6.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()));
    #[cfg(target_os = "linux")]
    if let Some(result) = unnamed::write(dir, &tmp, bytes) {
        return result.and_then(|()| rename_or_clean(&tmp, path));
    }
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    rename_or_clean(&tmp, path)
}

/// How temporary files end: `.name.PID.tmp`.
const TEMP_SUFFIX: &str = ".tmp";

fn rename_or_clean(tmp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(tmp);
    })
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::collections::BTreeSet;
    use std::ffi::CString;
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// Writes `bytes` to an unnamed file in `dir` and links it as `tmp`.
    /// `None` when the file system has no unnamed files (the caller then
    /// uses a named temporary file).
    pub fn write(dir: &Path, tmp: &Path, bytes: &[u8]) -> Option<std::io::Result<()>> {
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .mode(0o644)
            .custom_flags(libc::O_TMPFILE)
            .open(dir)
        {
            Ok(file) => file,
            Err(_) => return None,
        };
        if let Err(e) = file.write_all(bytes) {
            return Some(Err(e));
        }
        let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
        let target = CString::new(tmp.as_os_str().as_bytes()).ok()?;
        let _ = std::fs::remove_file(tmp);
        // SAFETY: both are valid NUL-terminated paths that outlive the call.
        let linked = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                source.as_ptr(),
                libc::AT_FDCWD,
                target.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if linked != 0 {
            // Without /proc (some containers) the unnamed file cannot be named.
            return None;
        }
        if let Ok(mut folders) = UNSYNCED.lock() {
            folders.insert(dir.to_path_buf());
        }
        Some(Ok(()))
    }

    /// Folders that got files since the last `sync`.
    static UNSYNCED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

    /// Flushes each file system that got unnamed files to the disk.
    pub fn sync() -> std::io::Result<()> {
        let folders = match UNSYNCED.lock() {
            Ok(mut folders) => std::mem::take(&mut *folders),
            Err(_) => return Ok(()),
        };
        let mut synced = BTreeSet::new();
        for dir in folders {
            let Ok(meta) = std::fs::metadata(&dir) else {
                continue;
            };
            if !synced.insert(std::os::unix::fs::MetadataExt::dev(&meta)) {
                continue;
            }
            let folder = std::fs::File::open(&dir)?;
            // SAFETY: `folder` is an open descriptor for the duration of the call.
            if unsafe { libc::syncfs(folder.as_raw_fd()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// Makes sure every file `write_atomic` wrote is on the disk, not only in
/// the system's cache: a command calls it before it says what it wrote.
pub fn sync_written() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    unnamed::sync()?;
    Ok(())
}

/// Removes the `.name.PID.tmp` files a crashed or killed run of zoufang left
/// in `dir` and its subfolders down to `depth` (those of a run still going
/// are kept).
pub fn sweep_stale_temps(dir: &Path, depth: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if depth > 0 {
                sweep_stale_temps(&path, depth - 1);
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let alive = pid == std::process::id()
            || (cfg!(target_os = "linux") && Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Where and what `render_all` writes besides the PDFs.
pub struct Output<'a> {
    /// The output folder.
    pub dir: &'a Path,
    /// Each department also gets the workbook its returns are entered in.
    pub entry_workbooks: bool,
    /// The JSON each template receives is written here too.
    pub emit_data: Option<&'a Path>,
    pub progress: &'a Progress,
}

/// Renders every document of the plan into `output.dir`, then writes the manifest.
pub fn render_all(
    engine: &Engine,
    settings: &Settings,
    roster: &Roster,
    plan: &Plan,
    output: &Output,
) -> Report {
    let Output {
        dir: out,
        entry_workbooks,
        emit_data,
        progress,
    } = *output;
    sweep_stale_temps(out, 2);
    let before = listed_in_manifest(out);
    // Rendered in the plan's order, except the one-page annex-1 documents,
    // which come last: they fill the other core while the last department's
    // card file (a third of a second at 200 cadres) is still being made.
    let mut order: Vec<usize> = (0..plan.documents.len()).collect();
    order.sort_by_key(|&i| plan.documents[i].template == Template::Village);
    let jobs: Vec<&Document> = order.iter().map(|&i| &plan.documents[i]).collect();
    let render_one = |&doc: &&Document| -> Result<Written, Problem> {
        // Made here, and freed when the document is done (see `Plan::payload`).
        let (data, files) = plan.payload(doc, roster, settings);
        if let Some(dir) = emit_data {
            let path = dir.join(&doc.path).with_extension("json");
            let value: serde_json::Value =
                serde_json::from_slice(data.as_slice()).unwrap_or_default();
            let json = serde_json::to_vec_pretty(&value).unwrap_or_default();
            write_atomic(&path, &json).map_err(|e| {
                Problem::fault(
                    Place::file(path.display().to_string()),
                    format!("数据文件写不进去（{e}）"),
                    "请检查 --emit-data 给出的文件夹",
                )
            })?;
        }
        let result = typeset_pdf(
            engine,
            doc.template,
            &data,
            &files,
            &doc.path.to_string_lossy(),
            settings.pdf_a,
        );
        drop((data, files));
        evict_caches();
        let (typeset, bytes) = result.map_err(|e| failure(roster, doc, e))?;
        let path = out.join(&doc.path);
        write_atomic(&path, &bytes).map_err(|e| {
            Problem::fault(
                Place::file(path.display().to_string()),
                format!("文件写不进去（{e}）"),
                "请检查输出文件夹是否可写、磁盘是否已满",
            )
        })?;
        let pages = typeset.document.pages().len();
        progress.inc(pages as u64);
        Ok(Written {
            path: doc.path.clone(),
            pages,
            bytes: bytes.len(),
        })
    };
    // Each department's entry workbook: (department, file), written by one
    // worker before it starts on the PDFs (the workbooks took a city's run
    // several seconds at its end, on one core).
    let books: Vec<(usize, PathBuf)> = if entry_workbooks {
        roster
            .departments
            .iter()
            .enumerate()
            .filter_map(|(d, dept)| {
                let doc = plan
                    .documents
                    .iter()
                    .find(|doc| doc.department == d && doc.template == Template::Kit)?;
                let folder = doc.path.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = safe_file_name(&format!("录入表_{}", dept.name));
                Some((d, folder.join(format!("{name}.xlsx"))))
            })
            .collect()
    } else {
        Vec::new()
    };
    let write_books = || -> Vec<Result<usize, String>> {
        books
            .iter()
            .map(|(d, rel)| {
                let bytes = crate::entry::entry_workbook(roster, *d).map_err(|e| e.to_string())?;
                write_atomic(&out.join(rel), &bytes).map_err(|e| e.to_string())?;
                Ok(bytes.len())
            })
            .collect()
    };
    let (rendered, books_written) = in_parallel_while(&jobs, render_one, write_books);
    // Back in the plan's order.
    let mut results: Vec<Option<Result<Written, Problem>>> = order.iter().map(|_| None).collect();
    for (&i, r) in order.iter().zip(rendered) {
        results[i] = Some(r);
    }
    let results = results.into_iter().flatten();
    let mut report = Report::default();
    for r in results {
        match r {
            Ok(w) => report.written.push(w),
            Err(p) if report.failures.contains(&p) => {}
            Err(p) => report.failures.push(p),
        }
    }
    if !report.failures.is_empty() {
        return report;
    }
    let mut rows: Vec<Vec<String>> = plan
        .documents
        .iter()
        .zip(&report.written)
        .map(|(d, w)| manifest_row(roster, d, w))
        .collect();
    for ((d, rel), result) in books.into_iter().zip(books_written) {
        match result {
            Ok(bytes) => {
                let (first, last) = plan
                    .documents
                    .iter()
                    .filter(|doc| doc.department == d)
                    .filter_map(|doc| doc.serials.clone())
                    .fold((String::new(), String::new()), |(f, _), (a, b)| {
                        (if f.is_empty() { a } else { f }, b)
                    });
                rows.push(vec![
                    rel.to_string_lossy().replace('\\', "/"),
                    "录入表（走访后填写，交单位汇总）".into(),
                    String::new(),
                    roster.departments[d].name.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    first,
                    last,
                    String::new(),
                ]);
                report.written.push(Written {
                    path: rel,
                    pages: 0,
                    bytes,
                });
            }
            Err(e) => report.failures.push(Problem::fault(
                Place::file(out.join(&rel).display().to_string()),
                format!("录入表写不进去（{e}）"),
                "请检查输出文件夹是否可写",
            )),
        }
    }
    if let Err(e) = write_manifest(&rows, out) {
        report.failures.push(Problem::fault(
            Place::file(out.join(MANIFEST).display().to_string()),
            format!("清单文件写不进去（{e}）"),
            "请检查输出文件夹是否可写",
        ));
    } else {
        remove_unlisted(out, &before, &report.written);
    }
    report
}

/// The files a previous run listed in the folder's manifest.
fn listed_in_manifest(out: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .flatten()
        .filter_map(|r| r.get(0).map(PathBuf::from))
        .collect()
}

/// Removes what a previous run wrote and this one did not (a cadre taken off
/// the roster must not leave a kit to be printed); nothing else is touched:
/// only PDFs inside the folder that the old manifest listed, then their
/// folders if that left them empty.
fn remove_unlisted(out: &Path, before: &[PathBuf], written: &[Written]) {
    let now: std::collections::HashSet<&Path> = written.iter().map(|w| w.path.as_path()).collect();
    for rel in before {
        let inside = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let pdf = rel.extension().is_some_and(|e| e == "pdf");
        if !inside || !pdf || now.contains(rel.as_path()) {
            continue;
        }
        if std::fs::remove_file(out.join(rel)).is_ok()
            && let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty())
        {
            // Fails, as it should, when the folder still holds anything.
            let _ = std::fs::remove_dir(out.join(parent));
        }
    }
}

/// Maps `f` over `items` on one worker thread per core, each taking the next
/// item when done with its last, results in the items' order.
///
/// Not one shared rayon pool: Typst parallelises inside a document with
/// rayon, and a rayon worker waiting for that work steals other jobs — it
/// would start further documents while one is half done, and memory grew
/// with the roster (1,000 cadres: 3.9 GB). So each worker is a thread of
/// its own one-thread rayon pool: one document per thread in flight, and
/// Typst's parallel steps run on the thread that asked for them. Handing
/// them to rayon's global pool instead made two workers barely faster than
/// one (200 cadres: 10.0 s of CPU for 5.7 s; now 8.4 s for 4.6 s), the
/// small PDF exports most of all.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    in_parallel_while(items, f, || ()).0
}

/// `in_parallel`, with one of the workers doing `meanwhile` first: work
/// that must come before something else (reading a summary's household
/// tables) goes on while the other cores start on the items.
pub fn in_parallel_while<T: Sync, R: Send, M: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    meanwhile: impl FnOnce() -> M + Send,
) -> (Vec<R>, M) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(items.len().max(1));
    let queue = Queue::new(items.len());
    let work_loop = || queue.work(items, &f);
    let work = || match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .stack_size(STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(work_loop),
        Err(_) => work_loop(),
    };
    // `meanwhile` is taken by whichever thread starts first.
    let pending = std::sync::Mutex::new(Some(meanwhile));
    let done = std::sync::Mutex::new(None);
    let first = || {
        let job = pending.lock().ok().and_then(|mut p| p.take());
        if let Some(job) = job {
            let m = job();
            if let Ok(mut slot) = done.lock() {
                *slot = Some(m);
            }
        }
        work();
    };
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for i in 0..threads {
            let job: &(dyn Fn() + Sync) = if i == 0 { &first } else { &work };
            // Typst recurses deeply: the default 2 MiB stack is not enough.
            if std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, job)
                .is_ok()
            {
                spawned += 1;
            }
        }
        if spawned == 0 {
            first();
        }
    });
    // A worker that could not be started left `meanwhile` to this thread.
    let meanwhile = match done.into_inner().ok().flatten() {
        Some(m) => m,
        None => pending
            .into_inner()
            .ok()
            .flatten()
            .map_or_else(|| unreachable!("meanwhile ran or is pending"), |job| job()),
    };
    // What comes next runs on the calling thread, which cannot reuse the
    // workers' free memory (see `release_free_memory`).
    crate::engine::release_free_memory();
    (queue.results(), meanwhile)
}

/// Items handed out one at a time to whichever thread asks next, with a
/// slot for each result, so that the results come back in the items' order.
pub struct Queue<R> {
    next: std::sync::atomic::AtomicUsize,
    slots: Vec<Mutex<Option<R>>>,
}

impl<R> Queue<R> {
    pub fn new(len: usize) -> Queue<R> {
        Queue {
            next: std::sync::atomic::AtomicUsize::new(0),
            slots: (0..len).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Takes items until none is left, putting what `f` makes of each in its slot.
    pub fn work<T>(&self, items: &[T], mut f: impl FnMut(&T) -> R) {
        loop {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (Some(item), Some(slot)) = (items.get(i), self.slots.get(i)) else {
                break;
            };
            let r = f(item);
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(r);
            }
        }
    }

    /// The results in the items' order: fewer than the items when a thread
    /// working on them panicked.
    pub fn results(self) -> Vec<R> {
        self.slots
            .into_iter()
            .filter_map(|m| m.into_inner().ok().flatten())
            .collect()
    }
}

/// Turns a typesetting failure into a message about the person or village.
fn failure(roster: &Roster, doc: &Document, error: RenderError) -> Problem {
    let (place, who) = match doc.cadre {
        Some(c) => (
            roster.cadres[c].place.clone(),
            format!("干部「{}」", roster.cadres[c].name),
        ),
        None => {
            let v = &roster.villages[doc.village];
            (v.place.clone(), format!("村（社区）「{}」", v.name))
        }
    };
    match error {
        RenderError::MissingGlyphs(chars) => Problem::fault(
            place,
            format!("{who}的资料里有字体中没有的字：{}", quote_chars(&chars)),
            "请核对这些字是否写对；如确实是这些字，请用 --font-path 指定含有这些字的字体",
        ),
        // The same template error hits every document of its kind: it names
        // the template, not the person, so that it is reported once.
        RenderError::Template(lines) => Problem::fault(
            Place::file(format!("模板 {}", doc.template.main_file())),
            format!("模板出错，材料排不出来：{}", lines.join("；")),
            "请改正模板文件中指出的位置",
        ),
    }
}

/// `「堃」「䶮」`, for messages.
pub fn quote_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("「{c}」(U+{:04X})", *c as u32))
        .collect::<Vec<_>>()
        .join("")
}

/// The manifest's columns.
const MANIFEST_HEADERS: [&str; 12] = [
    "文件",
    "种类",
    "页数",
    "单位",
    "干部",
    "干部编号",
    "市（区）",
    "镇（街道）",
    "村（社区）",
    "起始编号",
    "结束编号",
    "联系卡张数",
];

fn manifest_row(roster: &Roster, doc: &Document, file: &Written) -> Vec<String> {
    let dept = &roster.departments[doc.department];
    let village = &roster.villages[doc.village];
    let (kind, cadre, id) = match (doc.template, doc.cadre) {
        (Template::Kit, Some(c)) => (
            "干部走访材料（联系卡、附件3、附件4）",
            roster.cadres[c].name.as_str(),
            roster.cadres[c].id.as_str(),
        ),
        (Template::Cards, _) => ("单位联系卡（附件2，供印刷厂）", "", ""),
        _ => ("村（社区）调查表（附件1）", "", ""),
    };
    let (district, town, village) = match doc.template {
        Template::Cards => ("", "", ""),
        _ => (
            village.district.as_str(),
            village.town.as_str(),
            village.name.as_str(),
        ),
    };
    let (first, last) = doc.serials.clone().unwrap_or_default();
    vec![
        file.path.to_string_lossy().replace('\\', "/"),
        kind.to_string(),
        file.pages.to_string(),
        dept.name.clone(),
        cadre.to_string(),
        id.to_string(),
        district.to_string(),
        town.to_string(),
        village.to_string(),
        first,
        last,
        doc.cards.to_string(),
    ]
}

fn write_manifest(rows: &[Vec<String>], out: &Path) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MANIFEST_HEADERS)?;
    for row in rows {
        w.write_record(row)?;
    }
    // A byte-order mark, so that Excel opens the Chinese text correctly.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(
        w.into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?,
    );
    write_atomic(&out.join(MANIFEST), &bytes)
}

/// Faults for characters in printed roster values that no font can draw,
/// found before anything is typeset; each names the person or village.
pub fn glyph_problems(engine: &Engine, roster: &Roster) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check = |place: &Place, who: String, texts: &[&str]| {
        let mut chars = Vec::new();
        for t in texts {
            for c in engine.undrawable(t) {
                if !chars.contains(&c) {
                    chars.push(c);
                }
            }
        }
        if !chars.is_empty() {
            problems.push(Problem::fault(
                place.clone(),
                format!(
                    "{who}的资料里有字体中没有的字：{}，印出来会是方框",
                    quote_chars(&chars)
                ),
                "请核对这些字是否写对；如确实是这些字，请用 --font-path 指定含有这些字的字体",
            ));
        }
    };
    for d in &roster.departments {
        check(
            &d.place,
            format!("单位「{}」", d.name),
            &[&d.name, &d.contact, &d.phone],
        );
    }
    for v in &roster.villages {
        check(
            &v.place,
            format!("村（社区）「{}」", v.name),
            &[
                &v.district,
                &v.town,
                &v.name,
                &v.secretary,
                &v.secretary_phone,
            ],
        );
    }
    for c in &roster.cadres {
        check(
            &c.place,
            format!("干部「{}」", c.name),
            &[&c.name, &c.position, &c.id],
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_back_in_order_and_meanwhile_runs_once() {
        let items: Vec<u32> = (0..50).collect();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let (squares, said) = in_parallel_while(
            &items,
            |n| n * n,
            || {
                runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                "done"
            },
        );
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(said, "done");
        let (none, said) = in_parallel_while(&[] as &[u32], |n| *n, || "still done");
        assert!(none.is_empty());
        assert_eq!(said, "still done");
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
