//! Step 一、名单: the folder's roster checked as `zoufang check` checks it,
//! a roster dropped on the page (it replaces the one in use only when the
//! clerk says so; the one it replaces is kept in 名单备份/ and can be
//! brought back), a blank one made, and the forms previewed as they will
//! print.

use std::io::Read;

use serde::Serialize;

use std::path::{Path, PathBuf};

use super::folder::{
    BACKUP_FOLDER, PREVIEWS_FOLDER, ROSTER_EXTENSIONS, ROSTER_STEM, roster_file, roster_named,
};
use super::guard::{MAX_UPLOAD, inside, percent_decode, query_value};
use super::{Reply, State, faults, upload};
use crate::check::model::{Checked, RowAccount};
use crate::print::plan::{Plan, Totals};
use crate::schema::recognise::Holds;
use crate::shared::atomic::write_atomic;
use crate::shared::fault::io_words;

/// The roster as the page shows it; `roster` is null where the folder
/// has none.
#[derive(Serialize)]
pub(super) struct Report {
    /// The working folder's own name (not its path): two campaigns open in
    /// two tabs are told apart by it.
    folder: String,
    roster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    readable: Option<bool>,
    #[serde(flatten)]
    plan: Option<Planned>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<Vec<faults::Shown>>,
    /// Earlier rosters kept in 名单备份/, newest first.
    backups: Vec<String>,
}

/// What a readable roster will print, and how its rows went.
#[derive(Serialize)]
struct Planned {
    departments: Vec<Counted>,
    total: Counted,
    rows: RowAccount,
    /// Errors, then reminders.
    faults: usize,
    warnings: usize,
}

/// One line of the plan's table.
#[derive(Serialize)]
struct Counted {
    name: String,
    villages: usize,
    cadres: usize,
    household_forms: u64,
    cards: u64,
    pages: u64,
}

impl Counted {
    fn of(name: &str, t: &Totals) -> Counted {
        Counted {
            name: name.to_string(),
            villages: t.villages,
            cadres: t.cadres,
            household_forms: t.household_forms,
            cards: t.cards,
            pages: t.pages,
        }
    }
}

/// The roster checked: the plan per department and every fault and
/// reminder with its place.
pub(super) fn report(state: &State) -> Report {
    let mut report = Report {
        folder: std::path::absolute(&state.folder)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
        roster: None,
        readable: None,
        plan: None,
        problems: None,
        backups: backups(&state.folder),
    };
    let Some(path) = roster_file(&state.folder) else {
        return report;
    };
    report.roster = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match crate::print::checked_plan(&path, &state.settings, &state.engine) {
        Err(faults) => {
            report.readable = Some(false);
            report.problems = Some(faults::each(&faults));
        }
        Ok((checked, plan)) => {
            let errors = checked.faults.iter().filter(|p| p.is_error()).count();
            report.readable = Some(true);
            report.plan = Some(Planned {
                departments: plan
                    .departments
                    .iter()
                    .map(|(n, t)| Counted::of(n, t))
                    .collect(),
                total: Counted::of("合计", &plan.total()),
                rows: checked.rows,
                faults: errors,
                warnings: checked.faults.len() - errors,
            });
            report.problems = Some(faults::each(&checked.faults));
        }
    }
    report
}

/// The roster's report as the answer.
pub(super) fn answer(state: &State) -> Reply {
    Reply::typed(200, &report(state))
}

/// A blank roster made in an empty folder.
pub(super) fn init(state: &State) -> Reply {
    match crate::schema::blank_roster::init_folder(&state.folder) {
        Ok(_) => answer(state),
        Err(message) => Reply::message(409, message),
    }
}

/// The folder's roster read, checked and planned, when it can be printed;
/// else the answer saying why not: no roster, unreadable (`unreadable`
/// ends "名单读不出来，…"), or faults to mend before `action`.
pub(super) fn printable(
    state: &State,
    unreadable: &str,
    action: &str,
) -> Result<(Checked, Plan), Reply> {
    let Some(roster) = roster_file(&state.folder) else {
        return Err(Reply::message(
            409,
            "工作文件夹里还没有名单，请先在上面放入名单",
        ));
    };
    let (checked, plan) = crate::print::checked_plan(&roster, &state.settings, &state.engine)
        .map_err(|faults| Reply::faults(422, format!("名单读不出来，{unreadable}"), &faults))?;
    if checked.has_faults() {
        return Err(Reply::faults(
            422,
            format!("名单有错误，改正后才能{action}（错误见上面的表）"),
            &checked.faults,
        ));
    }
    Ok((checked, plan))
}

/// The pictures of the forms, for the page.
#[derive(Serialize)]
struct Previews {
    files: Vec<Preview>,
}

#[derive(Serialize)]
struct Preview {
    name: String,
    /// Inside the working folder.
    path: String,
}

/// The forms as they will print (the first village survey, the first
/// cadre's card, household form and problem list), typeset from the
/// folder's roster as `zoufang preview` draws them, into `预览/`.
pub(super) fn previews(state: &State) -> Reply {
    let (checked, plan) = match printable(state, "没有预览", "预览") {
        Ok(loaded) => loaded,
        Err(reply) => return reply,
    };
    let pictures = match crate::print::preview::form_pictures(
        &state.engine,
        &plan,
        &checked.roster,
        &state.settings,
    ) {
        Ok(pictures) => pictures,
        Err(e) => return Reply::message(500, format!("表样排不出来：{e}")),
    };
    let dir = state.folder.join(PREVIEWS_FOLDER);
    let mut files = Vec::new();
    for (name, png) in pictures {
        let file = format!("{name}.png");
        if let Err(e) = write_atomic(&dir.join(&file), &png) {
            return Reply::message(
                500,
                format!("预览图存不进工作文件夹（{}）", io_words(&e, true)),
            );
        }
        files.push(Preview {
            name: name.replace('_', " "),
            path: format!("{PREVIEWS_FOLDER}/{file}"),
        });
    }
    Reply::typed(200, &Previews { files })
}

/// An upload's bytes, read no further than the limit (a body may be longer
/// than its Content-Length said).
pub(super) fn upload_bytes(body: &mut dyn Read) -> Result<Vec<u8>, Reply> {
    let mut bytes = Vec::new();
    if body.take(MAX_UPLOAD + 1).read_to_end(&mut bytes).is_err() {
        return Err(Reply::message(400, "文件没有传完整，请再试一次"));
    }
    if bytes.len() as u64 > MAX_UPLOAD {
        return Err(Reply::message(
            413,
            "文件太大了（超过 64 MB），不像是名单或录入表",
        ));
    }
    Ok(bytes)
}

/// Saves an uploaded roster as the folder's `名单.<ext>` (replacing the
/// one there, asked first) and checks it.
pub(super) fn dropped(state: &State, url: &str, body: &mut dyn Read) -> Reply {
    let name = query_value(url, "name")
        .and_then(percent_decode)
        .unwrap_or_default();
    let ext = Path::new(&name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if crate::scan::source::EXTENSIONS.contains(&ext.as_str()) {
        return upload::scan_on_wrong_step(&name, "名单");
    }
    if !ROSTER_EXTENSIONS.contains(&ext.as_str()) {
        return Reply::message(
            415,
            format!("「{name}」不是名单工作簿：请选 .xlsx、.xls、.et 或 .ods 文件"),
        );
    }
    let bytes = match upload_bytes(body) {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    keep(state, url, &bytes, &name, &ext)
}

/// The page asks the clerk before a roster replaces the one in use.
#[derive(Serialize)]
struct Ask {
    ask: String,
}

/// Saves an uploaded roster as the folder's `名单.<ext>` once it is known
/// to be a roster; the one it replaces (asked first) is kept in
/// `名单备份/`.
fn keep(state: &State, url: &str, bytes: &[u8], name: &str, ext: &str) -> Reply {
    let pending = match upload::spreadsheet(&state.folder, bytes, ext, name, "名单") {
        Ok((pending, Holds::Roster)) => pending,
        Ok((_, holds)) => return upload::wrong_step(name, holds, "名单"),
        Err(reply) => return reply,
    };
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
    answer(state)
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
    answer(state)
}
