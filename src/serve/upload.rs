//! Files the clerk drops on the page: each is recognised by what it holds
//! before it is stored, so that a file on the wrong step is said to be what
//! it is and stored nowhere; a roster replaces the one in use only when the
//! clerk says so, and the one it replaces is kept (名单备份/) and can be
//! brought back.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::folder::{BACKUP_FOLDER, ROSTER_EXTENSIONS, ROSTER_STEM, roster_file, roster_named};
use super::guard::{inside, percent_decode, query_value};
use super::{Reply, State, roster_report};
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

/// The page asks the clerk before a roster replaces the one in use.
#[derive(Serialize)]
struct Ask {
    ask: String,
}

/// Saves an uploaded roster as the folder's `名单.<ext>` once it is known
/// to be a roster; the one it replaces (asked first) is kept in
/// `名单备份/`.
pub(super) fn roster(state: &State, url: &str, bytes: &[u8], name: &str, ext: &str) -> Reply {
    let pending = match Pending::write(&state.folder, bytes, ext) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    if pending.is_scan() {
        return scan_on_wrong_step(name, "名单");
    }
    match pending.holds() {
        Err(why) => return not_a_spreadsheet(name, &why),
        Ok(Holds::Roster) => {}
        Ok(other) => return wrong_step(name, other, "名单"),
    }
    let current = roster_file(&state.folder);
    let same = current
        .as_ref()
        .is_some_and(|c| std::fs::read(c).ok().as_deref() == Some(bytes));
    if let Some(current) = current.as_ref().filter(|_| !same) {
        if query_value(url, "replace") != Some("1") {
            let shown = current
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Reply::typed(
                409,
                &Ask {
                    ask: format!(
                        "工作文件夹里已经有名单「{shown}」。换成「{name}」吗？原来的名单会留一份在「{BACKUP_FOLDER}」里，随时可以换回来。"
                    ),
                },
            );
        }
        if let Err(reply) = back_up(&state.folder, current) {
            return reply;
        }
    }
    let target = roster_named(&state.folder, ext);
    if let Err(e) = pending.keep_as(&target) {
        return Reply::message(
            500,
            format!("名单存不进工作文件夹（{}）", io_words(&e, true)),
        );
    }
    remove_other_rosters(&state.folder, ext);
    Reply::json(200, &roster_report(state))
}

/// One roster in the folder: the one of extension `ext`.
fn remove_other_rosters(folder: &Path, ext: &str) {
    for other in ROSTER_EXTENSIONS.iter().filter(|e| **e != ext) {
        let _ = std::fs::remove_file(roster_named(folder, other));
    }
}

/// Copies the roster in use into `名单备份/`, named with the time it was
/// replaced (名单_2017-03-08_091500.xlsx).
fn back_up(folder: &Path, current: &Path) -> Result<PathBuf, Reply> {
    let dir = folder.join(BACKUP_FOLDER);
    let now = jiff::ZonedDateTime::now();
    let ext = current
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = format!("{ROSTER_STEM}_{}", now.strftime("%Y-%m-%d_%H%M%S"));
    let mut target = dir.join(format!("{stem}.{ext}"));
    let mut n = 2;
    while target.exists() {
        target = dir.join(format!("{stem}_{n}.{ext}"));
        n += 1;
    }
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::copy(current, &target))
        .map_err(|e| {
            Reply::message(
                500,
                format!("原来的名单备份不下来（{}），没有换名单", io_words(&e, true)),
            )
        })?;
    Ok(target)
}

/// The rosters kept in `名单备份/`, newest first.
pub(super) fn backups(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder.join(BACKUP_FOLDER))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            ROSTER_EXTENSIONS
                .iter()
                .any(|ext| n.to_lowercase().ends_with(&format!(".{ext}")))
        })
        .collect();
    names.sort_by(|a, b| b.cmp(a));
    names
}

/// Brings back a kept roster (`?name=`): the one in use is kept in turn.
pub(super) fn restore(state: &State, url: &str) -> Reply {
    let Some(name) = query_value(url, "name").and_then(percent_decode) else {
        return Reply::message(400, "没有说换回哪一份名单");
    };
    let Some(kept) = inside(&state.folder, &format!("{BACKUP_FOLDER}/{name}"))
        .filter(|p| p.is_file() && backups(&state.folder).contains(&name))
    else {
        return Reply::message(404, format!("「{BACKUP_FOLDER}」里没有「{name}」"));
    };
    let ext = kept
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(current) = roster_file(&state.folder)
        && let Err(reply) = back_up(&state.folder, &current)
    {
        return reply;
    }
    let target = roster_named(&state.folder, &ext);
    if let Err(e) =
        std::fs::read(&kept).and_then(|b| crate::shared::atomic::write_atomic(&target, &b))
    {
        return Reply::message(500, format!("名单换不回来（{}）", io_words(&e, true)));
    }
    remove_other_rosters(&state.folder, &ext);
    Reply::json(200, &roster_report(state))
}
