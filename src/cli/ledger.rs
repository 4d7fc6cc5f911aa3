//! `zoufang ledger`: the imports a ledger holds, one import's faults, and
//! withdrawing an import (撤回).

use std::path::Path;
use std::process::ExitCode;

use crate::shared::date::{show_date, today};
use crate::summary::ledger::{Import, Ledger};

use super::args::LedgerAction;
use super::report_faults;
use super::terminal::{lpad, pad, width};

/// `ledger`: list, show or withdraw.
pub(super) fn ledger(path: &Path, action: &LedgerAction) -> ExitCode {
    if !path.is_file() {
        eprintln!(
            "找不到台账「{}」：请写明台账文件（第一次用 zoufang summary --ledger 导入时建的那个）。",
            path.display()
        );
        return ExitCode::from(2);
    }
    let mut ledger = match Ledger::open(path) {
        Ok(l) => l,
        Err(f) => {
            report_faults(&[f]);
            return ExitCode::from(2);
        }
    };
    let done = match action {
        LedgerAction::List => ledger.imports().map(|imports| list(&imports)),
        LedgerAction::Show { number } => show(&ledger, *number),
        LedgerAction::Withdraw { number } => ledger.withdraw(*number, today()).map(|i| {
            println!(
                "已撤回第{}次导入：「{}」（收到日期 {}）。从今天（{}）起的汇总不再计入它；以前某天的汇总（--as-of 那一天）照旧。",
                i.id,
                i.file,
                i.received,
                show_date(today())
            );
            println!("同一个文件现在可以重新导入（比如改正收到日期后再导入）。");
            ExitCode::SUCCESS
        }),
    };
    done.unwrap_or_else(|f| {
        report_faults(&[f]);
        ExitCode::from(2)
    })
}

/// One line per import, in the order they were made.
fn list(imports: &[Import]) -> ExitCode {
    if imports.is_empty() {
        println!("台账里还没有导入过表格。");
        return ExitCode::SUCCESS;
    }
    let head = [
        "次",
        "收到日期",
        "单位",
        "入户",
        "问题",
        "计入行",
        "重复行",
        "拒收行",
        "情况",
        "文件",
    ];
    let rows: Vec<[String; 10]> = imports
        .iter()
        .map(|i| {
            [
                i.id.to_string(),
                i.received.clone(),
                i.departments.join("、"),
                i.households.to_string(),
                i.problems.to_string(),
                // Not kept by a ledger from before zoufang kept them.
                rows_or_dash(i, i.counted),
                rows_or_dash(i, i.duplicated),
                rows_or_dash(i, i.refused),
                match &i.withdrawn {
                    Some(day) => format!("{day}撤回"),
                    None => "计入".to_string(),
                },
                i.file.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| width(&r[c]))
                .chain([width(head[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Numbers right-aligned, words left-aligned; the file last, unpadded.
    let numeric = [
        true, false, false, true, true, true, true, true, false, false,
    ];
    let line = |cells: Vec<&str>| {
        let shown: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, s)| match (c + 1 == cells.len(), numeric[c]) {
                (true, _) => s.to_string(),
                (false, true) => lpad(s, widths[c]),
                (false, false) => pad(s, widths[c]),
            })
            .collect();
        println!("{}", shown.join("  "));
    };
    line(head.to_vec());
    for r in &rows {
        line(r.iter().map(String::as_str).collect());
    }
    let withdrawn = imports.iter().filter(|i| i.withdrawn.is_some()).count();
    println!(
        "共 {} 次导入{}。看某一次的详情：zoufang ledger show 次数 --ledger 台账；撤回：zoufang ledger withdraw 次数 --ledger 台账。",
        imports.len(),
        if withdrawn > 0 {
            format!("（其中 {withdrawn} 次已撤回）")
        } else {
            String::new()
        }
    );
    ExitCode::SUCCESS
}

/// One import: what it held and what was said of its file.
fn show(ledger: &Ledger, number: i64) -> Result<ExitCode, crate::shared::fault::Fault> {
    let Some(i) = ledger.import_numbered(number)? else {
        eprintln!("台账里没有第{number}次导入：请先用 zoufang ledger list 看清是第几次。");
        return Ok(ExitCode::from(2));
    };
    println!("第{}次导入：「{}」", i.id, i.file);
    println!("  收到日期：{}", i.received);
    if let Some(day) = &i.imported {
        println!("  导入日期：{day}");
    }
    println!("  单位：{}", i.departments.join("、"));
    println!(
        "  {} 户入户调查、{} 个问题；计入 {} 行，重复 {} 行，拒收 {} 行；台账里新增或有变化的 {} 条",
        i.households, i.problems, i.counted, i.duplicated, i.refused, i.changed
    );
    match &i.withdrawn {
        Some(day) => println!("  {day}已撤回：从那天起的汇总不再计入"),
        None => println!("  计入汇总"),
    }
    let faults = ledger.faults_of(number)?;
    if !faults.is_empty() {
        println!("导入时的说明（共 {} 条）：", faults.len());
        report_faults(&faults);
    }
    Ok(ExitCode::SUCCESS)
}

/// A count of the file's rows, or "-" for an import made before the ledger
/// kept them.
fn rows_or_dash(import: &Import, rows: u64) -> String {
    if import.imported.is_some() {
        rows.to_string()
    } else {
        "-".to_string()
    }
}
