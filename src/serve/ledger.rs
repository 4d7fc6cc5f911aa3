//! The 台账 view: every import of the folder's ledger, its faults as a
//! workbook, and withdrawing one (撤回), as `zoufang ledger` does.

use serde::Serialize;

use super::folder::LEDGER_FILE;
use super::guard::query_value;
use super::{Reply, State};
use crate::shared::date::today;
use crate::shared::fault::{Fault, fault_sheet};
use crate::summary::ledger::{Import, Ledger};

/// The ledger as the page lists it: newest import first.
#[derive(Serialize)]
struct Listed {
    imports: Vec<Import>,
    /// The day a withdrawal made now is dated.
    today: String,
}

/// Every import, newest first; an empty list where there is no ledger yet.
pub(super) fn list(state: &State) -> Reply {
    match imports(state) {
        Ok(listed) => Reply::typed(200, &listed),
        Err(fault) => refused(&fault),
    }
}

fn imports(state: &State) -> Result<Listed, Fault> {
    let path = state.folder.join(LEDGER_FILE);
    let mut imports = if path.is_file() {
        Ledger::open(&path)?.imports()?
    } else {
        Vec::new()
    };
    imports.reverse();
    for import in &mut imports {
        import.file = shown(state, &import.file);
    }
    Ok(Listed {
        imports,
        today: crate::shared::date::show_date(today()),
    })
}

/// The import the page names (`?import=N`), in an open ledger.
fn numbered(state: &State, url: &str) -> Result<(Ledger, i64), Reply> {
    let Some(number) = query_value(url, "import").and_then(|n| n.parse::<i64>().ok()) else {
        return Err(Reply::message(400, "没有说是哪一次导入"));
    };
    let path = state.folder.join(LEDGER_FILE);
    if !path.is_file() {
        return Err(Reply::message(
            404,
            "工作文件夹里还没有台账：先在「四、回收」导入录入表",
        ));
    }
    let ledger = Ledger::open(&path).map_err(|f| refused(&f))?;
    Ok((ledger, number))
}

/// Withdraws an import as of today; the list as it then stands.
pub(super) fn withdraw(state: &State, url: &str) -> Reply {
    let (mut ledger, number) = match numbered(state, url) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    if let Err(fault) = ledger.withdraw(number, today()) {
        return Reply::message(409, fault.message);
    }
    drop(ledger);
    list(state)
}

/// Every fault said of an import's file, a row each, as a workbook.
pub(super) fn faults(state: &State, url: &str) -> Reply {
    let (ledger, number) = match numbered(state, url) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let mut faults = match ledger.faults_of(number) {
        Ok(f) => f,
        Err(fault) => return refused(&fault),
    };
    for fault in &mut faults {
        fault.place.file = shown(state, &fault.place.file);
    }
    match crate::shared::xlsx::xlsx_bytes(&[fault_sheet(&faults)]) {
        Ok(body) => Reply {
            status: 200,
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body: body.into(),
            headers: vec![(
                "Content-Disposition".into(),
                format!(
                    "attachment; filename*=UTF-8''{}",
                    super::guard::percent_encode(&format!("第{number}次导入_说明清单.xlsx"))
                ),
            )],
        },
        Err(e) => Reply::message(500, format!("说明清单做不出来（{e}）")),
    }
}

/// The ledger could not be used: said in its own words (busy, damaged),
/// without the server's path.
fn refused(fault: &Fault) -> Reply {
    Reply::message(
        500,
        format!("台账用不了：{}。{}", fault.message, fault.hint),
    )
}

/// A file the ledger names by its path, as the page names it: inside the
/// working folder (回收/录入表_市教育局.xlsx), never the server's path.
fn shown(state: &State, file: &str) -> String {
    super::folder::shown(&state.folder, std::path::Path::new(file))
}
