//! Step 四、回收: a returns workbook dropped on the page, kept in `回收/`
//! and imported into the folder's ledger as `zoufang summary --ledger`
//! imports it; what it counted, and what it refused, grouped.

use std::io::Read;

use serde::Serialize;

use super::folder::{LEDGER_FILE, RETURNS_FOLDER, roster_file, shown};
use super::guard::{percent_decode, query_value};
use super::{Reply, State, faults, roster, upload};
use crate::schema::recognise::Holds;
use crate::shared::fault::io_words;
use crate::summary::ledger::Import;
use crate::summary::returns::Account;

/// What an import counted and refused.
#[derive(Serialize)]
struct Imported {
    /// Inside the working folder.
    file: String,
    received: String,
    /// The ledger's record of the import; none when the same file was
    /// imported before.
    import: Option<Import>,
    households: Account,
    problems: Account,
    notes: Vec<faults::Shown>,
    rejected: Vec<faults::Shown>,
    conflicts: Vec<faults::Shown>,
}

/// A returns workbook dropped on the page: kept in `回收/`, imported into
/// the folder's ledger (received on the date the page gives, else today),
/// checked against the roster's serials when there is a roster.
pub(super) fn import(state: &State, url: &str, body: &mut dyn Read) -> Reply {
    let dropped = upload::Dropped::from_url(url);
    let (given, ext) = (&dropped.given, &dropped.ext);
    if crate::scan::source::EXTENSIONS.contains(&ext.as_str()) {
        return upload::scan_on_wrong_step(given, "录入表");
    }
    if !["xlsx", "xls", "et", "ods", "csv"].contains(&ext.as_str()) {
        return Reply::message(
            415,
            format!("「{given}」不是录入表：请选 .xlsx、.xls、.et、.ods 或 .csv 文件"),
        );
    }
    let received = match received_of(state, url, "这个文件没有存下，也没有记入台账")
    {
        Ok(day) => day,
        Err(reply) => return reply,
    };
    let bytes = match roster::upload_bytes(body) {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let pending = match upload::spreadsheet(&state.folder, &bytes, ext, given, "录入表") {
        Ok((pending, Holds::Return | Holds::Summary)) => pending,
        Ok((_, holds)) => return upload::wrong_step(given, holds, "录入表"),
        Err(reply) => return reply,
    };
    // Kept under its own name; another file of that name gets a number.
    let folder = state.folder.join(RETURNS_FOLDER);
    let (target, _) = dropped.place_in(&folder, &|there| {
        std::fs::read(there).ok().as_deref() == Some(&bytes[..])
    });
    if let Err(e) = std::fs::create_dir_all(&folder).and_then(|()| pending.keep_as(&target)) {
        return Reply::message(
            500,
            format!("录入表存不进工作文件夹（{}）", io_words(&e, true)),
        );
    }
    let roster = roster_of(state);
    let context = crate::summary::job::context(&state.settings, received, roster.as_ref());
    let ledger_path = state.folder.join(LEDGER_FILE);
    let result = crate::summary::ledger::Ledger::open(&ledger_path)
        .map_err(|p| vec![p])
        .and_then(|mut ledger| {
            // Named as the page names it, inside the working folder.
            let named = shown(&state.folder, &target);
            crate::summary::read::import_file(&mut ledger, &target, &named, &context)
        });
    let (import, part) = match result {
        Ok(done) => done,
        Err(faults) => return Reply::faults(500, "导入台账没有成功", &faults),
    };
    Reply::typed(
        200,
        &Imported {
            file: shown(&state.folder, &target),
            received: crate::shared::date::show_date(received),
            import,
            households: part.households,
            problems: part.problem_rows,
            notes: faults::grouped(&part.notes),
            rejected: faults::grouped(&part.rejected),
            conflicts: faults::grouped(&part.conflicts),
        },
    )
}

/// The received date the page gives (`?received=`; none: today), checked
/// against the campaign's start and today; else the answer saying why not,
/// ending with `not_done`.
pub(super) fn received_of(
    state: &State,
    url: &str,
    not_done: &str,
) -> Result<jiff::civil::Date, Reply> {
    let received = match query_value(url, "received").filter(|d| !d.is_empty()) {
        None => crate::shared::date::today(),
        Some(text) => {
            match percent_decode(text).and_then(|t| crate::shared::date::parse_date_text(&t)) {
                Some(day) => day,
                None => {
                    return Err(Reply::message(
                        400,
                        format!("收到日期看不懂，请写成 2017-03-13 这样的格式（{not_done}）"),
                    ));
                }
            }
        }
    };
    if let Some(wrong) = crate::summary::resolve::received_out_of_bounds(
        received,
        state.settings.campaign_start(),
        crate::shared::date::today(),
    ) {
        return Err(Reply::message(
            400,
            format!("{wrong}：请改正收到日期后再试（{not_done}）"),
        ));
    }
    Ok(received)
}

/// The roster of the working folder as `summary --roster` reads it (the
/// parts that can be read), when there is one.
pub(super) fn roster_of(state: &State) -> Option<crate::check::model::Roster> {
    roster_file(&state.folder)
        .map(|path| crate::summary::job::read_roster(&path, &state.settings).roster)
}
