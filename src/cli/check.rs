//! `zoufang check`, and the roster loading every printing command shares.

use std::path::Path;
use std::process::ExitCode;

use crate::check::model::Checked;
use crate::print::checked_plan;
use crate::print::plan::{Plan, Totals};
use crate::settings::Settings;
use crate::typeset::Engine;

use super::args::RosterArgs;
use super::terminal::{lpad, pad, width};
use super::{report_faults, setup};

/// `check`: every fault and reminder, the plan, and the row account.
pub(super) fn check(args: &RosterArgs) -> ExitCode {
    let (settings, engine) = match setup(&args.settings, &args.engine, Some(&args.roster)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
        return ExitCode::from(2);
    };
    print_plan(&args.roster, &plan);
    verdict(&checked)
}

/// The roster checked and planned, when it has no fault; else the faults
/// are reported with `refused` (what was not done) and the exit status returned.
pub(super) fn printable(
    args: &RosterArgs,
    refused: &str,
) -> Result<(Settings, Engine, Checked, Plan), ExitCode> {
    let (settings, engine) = setup(&args.settings, &args.engine, Some(&args.roster))?;
    let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
        return Err(ExitCode::from(2));
    };
    if checked.has_faults() {
        eprintln!("名单有错误，{refused}。请按上面的提示改正后再运行。");
        return Err(ExitCode::from(1));
    }
    Ok((settings, engine, checked, plan))
}

/// Reads and checks a roster and makes its plan, printing every fault
/// found. `None` when no sheet could be read at all.
pub(crate) fn load(path: &Path, settings: &Settings, engine: &Engine) -> Option<(Checked, Plan)> {
    let loaded = checked_plan(path, settings, engine);
    let faults = match &loaded {
        Ok((checked, _)) => &checked.faults,
        Err(faults) => faults,
    };
    report_faults(faults);
    // The roster's cells and the planning's scratch are free now: what a run
    // holds before it renders should be the plan, not its leftovers.
    crate::shared::memory::release_free_memory();
    loaded.ok()
}

fn verdict(checked: &Checked) -> ExitCode {
    let faults = checked.faults.iter().filter(|p| p.is_error()).count();
    let warnings = checked.faults.len() - faults;
    let rows = checked.rows;
    if rows.reported == 0 {
        println!("名单共 {} 行数据，全部读入。", rows.read);
    } else {
        println!(
            "名单共 {} 行数据：读入 {} 行，另有 {} 行没有读入，原因见上面的错误或提醒。",
            rows.read, rows.used, rows.reported
        );
    }
    if faults > 0 {
        println!("名单有 {faults} 处错误、{warnings} 处提醒：改正错误后才能打印。");
        ExitCode::from(1)
    } else {
        println!("名单可以打印（{warnings} 处提醒，可不改）。");
        ExitCode::SUCCESS
    }
}

fn print_plan(path: &Path, plan: &Plan) {
    println!("打印计划（名单：{}）", path.display());
    let name_w = plan
        .departments
        .iter()
        .map(|(n, _)| width(n))
        .max()
        .unwrap_or(4)
        .max(8)
        + 2;
    let columns = ["村（社区）", "干部", "入户调查表", "联系卡", "页数"];
    let header: String = columns.iter().map(|c| lpad(c, 12)).collect();
    println!("{}{header}", pad("单位", name_w));
    let line = |name: &str, t: &Totals| {
        let cells = [
            t.villages as u64,
            t.cadres as u64,
            t.household_forms,
            t.cards,
            t.pages,
        ];
        let cells: String = cells.iter().map(|n| lpad(&n.to_string(), 12)).collect();
        println!("{}{cells}", pad(name, name_w));
    };
    for (name, totals) in &plan.departments {
        line(name, totals);
    }
    line("合计", &plan.total());
}
