//! Files the clerk drops on the page: each is recognised by what it holds
//! before it is stored, so that a file on the wrong step is said to be what
//! it is and stored nowhere.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Reply;
use super::guard::{percent_decode, query_value};
use crate::schema::recognise::{Holds, recognise};
use crate::shared::fault::io_words;

/// An uploaded file under a hidden name in the working folder, until it is
/// known what it holds; removed unless it is kept (`keep_as`).
pub(super) struct Pending {
    path: PathBuf,
    kept: bool,
}

impl Pending {
    /// Writes `bytes` under a hidden name with the extension `ext`.
    pub(super) fn write(folder: &Path, bytes: &[u8], ext: &str) -> Result<Pending, Reply> {
        Pending::stream(folder, &mut &bytes[..], u64::MAX, ext)
    }

    /// Writes what `body` holds under a hidden name with the extension
    /// `ext`, no more than `limit` bytes of it (a body longer than that is
    /// refused, and nothing is kept).
    pub(super) fn stream(
        folder: &Path,
        body: &mut dyn Read,
        limit: u64,
        ext: &str,
    ) -> Result<Pending, Reply> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = folder.join(format!(".上传中-{}-{n}.{ext}", std::process::id()));
        let unwritten = |e: std::io::Error| {
            Reply::message(
                500,
                format!("文件存不进工作文件夹（{}）", io_words(&e, true)),
            )
        };
        let mut file = std::fs::File::create(&path).map_err(unwritten)?;
        // Removed again on any way out below.
        let pending = Pending { path, kept: false };
        let copied = std::io::copy(&mut body.take(limit.saturating_add(1)), &mut file);
        match copied {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(Reply::message(400, "文件没有传完整，请再试一次"))
            }
            Err(e) => Err(unwritten(e)),
            Ok(n) if n > limit => Err(Reply::message(
                413,
                format!("文件太大了（超过 {} MB）", limit >> 20),
            )),
            Ok(_) => Ok(pending),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it is a scanner's file (a PDF or an image), by its first bytes.
    pub(super) fn is_scan(&self) -> bool {
        let mut head = [0u8; 8];
        let n = std::fs::File::open(&self.path)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        crate::scan::source::is_scanner_file(&head[..n])
    }

    /// What the file holds; or why it is not a spreadsheet at all.
    pub(super) fn holds(&self) -> Result<Holds, String> {
        let input = crate::input::read_input(&self.path);
        if input.sheets.is_empty() || input.broken {
            let why = input
                .faults
                .iter()
                .find(|f| f.is_error())
                .map(|f| format!("{}（{}）", f.message, f.hint))
                .unwrap_or_else(|| "里面没有工作表".to_string());
            return Err(why);
        }
        Ok(recognise(&input.sheets))
    }

    /// Moves the file to `target` (replacing a file there).
    pub(super) fn keep_as(mut self, target: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, target)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The name a file was dropped under (`?name=`): as given, made safe for
/// the working folder, and its extension in lower case.
pub(super) struct Dropped {
    pub(super) given: String,
    pub(super) name: String,
    pub(super) ext: String,
}

impl Dropped {
    pub(super) fn from_url(url: &str) -> Dropped {
        let given = query_value(url, "name")
            .and_then(percent_decode)
            .unwrap_or_default();
        let name = crate::shared::file_name::safe_file_name(
            Path::new(&given)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
                .as_str(),
        );
        let ext = Path::new(&name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        Dropped { given, name, ext }
    }

    /// Where in `folder` it is kept: under its own name, or a numbered one
    /// when another file has that name; `true` with the path of a file
    /// there that `same` finds to be this one.
    pub(super) fn place_in(&self, folder: &Path, same: &dyn Fn(&Path) -> bool) -> (PathBuf, bool) {
        let stem = Path::new(&self.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut target = folder.join(&self.name);
        let mut n = 2;
        while target.exists() {
            if same(&target) {
                return (target, true);
            }
            target = folder.join(format!("{stem}_{n}.{}", self.ext));
            n += 1;
        }
        (target, false)
    }
}

/// Why a file dropped on a step is not for it: what it is, where it
/// belongs, and that nothing was stored.
pub(super) fn wrong_step(name: &str, holds: Holds, step: &str) -> Reply {
    let where_to = match holds {
        Holds::Roster => "请拖到「一、名单」",
        Holds::Return | Holds::Summary => "请拖到「四、回收」",
        Holds::Nothing => "请确认选的是哪个文件",
    };
    Reply::message(
        409,
        format!(
            "「{name}」是{}，不是{step}：{where_to}。这个文件没有存下，工作文件夹里什么也没有改动。",
            holds.words()
        ),
    )
}

/// A scanner's file dropped on a step for spreadsheets.
pub(super) fn scan_on_wrong_step(name: &str, step: &str) -> Reply {
    Reply::message(
        409,
        format!(
            "「{name}」是扫描件（PDF 或图片），不是{step}：请拖到「三、扫描件」。这个文件没有存下，工作文件夹里什么也没有改动。"
        ),
    )
}

/// A file that is not a spreadsheet (a Word file renamed, a damaged copy).
pub(super) fn not_a_spreadsheet(name: &str, why: &str) -> Reply {
    Reply::message(
        415,
        format!("「{name}」读不出来：{why}。这个文件没有存下，工作文件夹里什么也没有改动。"),
    )
}

/// A dropped file stored under a hidden name and read for what it holds;
/// else the answer for a scan or a file that is not a spreadsheet, naming
/// it `name`, dropped on `step`.
pub(super) fn spreadsheet(
    folder: &Path,
    bytes: &[u8],
    ext: &str,
    name: &str,
    step: &str,
) -> Result<(Pending, Holds), Reply> {
    let pending = Pending::write(folder, bytes, ext)?;
    if pending.is_scan() {
        return Err(scan_on_wrong_step(name, step));
    }
    match pending.holds() {
        Err(why) => Err(not_a_spreadsheet(name, &why)),
        Ok(holds) => Ok((pending, holds)),
    }
}
