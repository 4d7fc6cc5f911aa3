//! `zoufang summary`.

use std::mem::ManuallyDrop;
use std::process::ExitCode;

use crate::shared::date::{Date, parse_date_text, show_date, today, week_of};
use crate::shared::fault::{FAULT_LIST, Fault, fault_sheet, grouped};
use crate::shared::progress::Progress;
use crate::summary::count::Summary;
use crate::summary::job::{Job, read_roster};
use crate::summary::ledger::Import;
use crate::summary::returns::Returns;

use super::args::SummaryArgs;
use super::terminal::{lpad, pad, width};
use super::{report_faults, setup, sync_written};

/// `summary`: read every file, count or reject every row, write the outputs.
pub(super) fn summary(args: &SummaryArgs) -> ExitCode {
    let parse = |text: &Option<String>, flag: &str| -> Result<Option<Date>, ExitCode> {
        match text {
            None => Ok(None),
            Some(t) => parse_date_text(t).map(Some).ok_or_else(|| {
                eprintln!("{flag} 的日期「{t}」看不懂，请写成 2017-03-08 这样的格式。");
                ExitCode::from(2)
            }),
        }
    };
    let dates = [
        &args.from,
        &args.to,
        &args.week,
        &args.received,
        &args.as_of,
    ];
    let flags = ["--from", "--to", "--week", "--received", "--as-of"];
    let mut parsed = Vec::new();
    for (text, flag) in dates.into_iter().zip(flags) {
        match parse(text, flag) {
            Ok(day) => parsed.push(day),
            Err(code) => return code,
        }
    }
    let [from, to, week, received, as_of] = parsed[..] else {
        unreachable!("five dates parsed")
    };
    let period = match (from, to, week) {
        (_, _, Some(day)) => Some(week_of(day)),
        (None, None, None) => None,
        (f, t, None) => Some((f.unwrap_or(Date::MIN), t.unwrap_or(Date::MAX))),
    };
    if let Some((f, t)) = period
        && f > t
    {
        eprintln!("统计期的起始日期晚于截止日期，请检查 --from 和 --to。");
        return ExitCode::from(2);
    }
    let received = received.unwrap_or_else(today);
    let (settings, engine) = match setup(&args.settings, &args.engine, args.roster.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let roster = args.roster.as_ref().map(|path| {
        let read = read_roster(path, &settings);
        if read.errors > 0 || read.nothing_read {
            eprintln!(
                "提醒：名单「{}」有 {} 处错误（可用 zoufang check 查看），核对时只用了能读出的部分。",
                path.display(),
                read.errors
            );
        }
        read.roster
    });
    if !args.files.is_empty()
        && let Some(wrong) = crate::summary::resolve::received_out_of_bounds(
            received,
            settings.campaign_start(),
            today(),
        )
    {
        eprintln!(
            "{wrong}：请用 --received 写明收到这些表格的日期（如 --received 2017-03-13）。没有导入，也没有汇总。"
        );
        return ExitCode::from(2);
    }
    let progress = Progress::new(args.files.len() as u64, "表格文件", args.quiet);
    let job = Job {
        files: &args.files,
        roster: roster.as_ref(),
        period,
        received,
        ledger: args.ledger.as_deref(),
        as_of,
        closing: args.closing,
        out: &args.out,
        json: args.json.as_deref(),
        engine: &engine,
        settings: &settings,
        progress: &progress,
        emit_data: args.emit_data.as_deref(),
    };
    let done = match crate::summary::job::run(&job) {
        Ok(done) => done,
        Err(notes) => {
            report_faults(&notes);
            return ExitCode::from(2);
        }
    };
    // The run ends with this command: a city's records (a few hundred MB,
    // freed by other threads than those that made them) are left for the
    // system to take back at once, instead of freed one by one (~0.1 s).
    let done = ManuallyDrop::new(done);
    let (returns, summary) = (&done.returns, &done.summary);
    report_faults(&returns.notes);
    report_faults(&returns.rejected);
    report_faults(&returns.conflicts);
    let written = match &done.written {
        Ok(w) => w,
        Err(p) => {
            report_faults(std::slice::from_ref(p));
            return ExitCode::from(1);
        }
    };
    if let Err(code) = sync_written() {
        return code;
    }
    if let Some((imports, day)) = &done.ledger {
        print_imports(imports, *day);
    }
    print_account(returns);
    print_weekly(summary);
    let undated = returns
        .problems
        .iter()
        .filter(|p| p.solved && p.origin.is_some() && p.solved_on.is_none())
        .count();
    if undated > 0 && summary.period.is_some() {
        println!(
            "其中有 {undated} 个已解决的问题没有填办结日期，按收到表格的日期（{}）算作那天解决；要按实际解决的日子统计，请在问题清单填上办结日期，或用 --received 写明收到日期。",
            show_date(received)
        );
    }
    print_completeness(summary);
    print_follow_up(summary);
    println!("已写出 {} 个文件到 {}。", written.len(), args.out.display());
    if let Err(code) = write_fault_list(returns, &args.out) {
        return code;
    }
    let faults = returns.notes.iter().filter(|p| p.is_error()).count();
    if !returns.conflicts.is_empty() {
        println!(
            "有 {} 户（个）前后两份表填得不一样（见上面的说明），已按后交的计算；请核对。",
            returns.conflicts.len()
        );
    }
    if returns.rejected.is_empty() && faults == 0 && returns.conflicts.is_empty() {
        ExitCode::SUCCESS
    } else {
        if !returns.rejected.is_empty() {
            println!(
                "有 {} 行没有计入汇总（见上面的说明），改正后重新汇总即可。",
                returns.rejected.len()
            );
        }
        if faults > 0 {
            println!(
                "有 {faults} 处错误（见上面的【错误】）：出错的文件或工作表没有读进来，改正后重新汇总即可。"
            );
        }
        ExitCode::from(1)
    }
}

fn print_account(returns: &Returns) {
    for (name, a) in [
        ("入户调查", &returns.households),
        ("问题清单", &returns.problem_rows),
        ("汇总表", &returns.summary_rows),
    ] {
        if a.read == 0 {
            continue;
        }
        let repeated = if a.duplicates > 0 {
            format!(" + 重复（只计一次）{} 行", a.duplicates)
        } else {
            String::new()
        };
        println!(
            "{name}：读入 {} 行 = 计入 {} 行{repeated} + 退回 {} 行 + 未填写的空白行 {} 行",
            a.read, a.counted, a.rejected, a.blank
        );
    }
}

fn print_weekly(summary: &Summary) {
    if summary.weekly.is_empty() {
        return;
    }
    match summary.period {
        Some((f, t)) => println!(
            "每周走访情况（{}至{}；括号内为累计）：",
            show_date(f),
            show_date(t)
        ),
        None => println!("走访情况（全部）："),
    }
    let name_w = summary
        .weekly
        .iter()
        .map(|w| width(&w.department))
        .max()
        .unwrap_or(4)
        .max(8)
        + 2;
    let columns = ["干部走访人数", "走访户数", "汇总问题数", "解决问题数"];
    let header: String = columns.iter().map(|c| lpad(c, 18)).collect();
    println!("{}{header}", pad("单位", name_w));
    for w in &summary.weekly {
        let pairs = [
            (w.period.cadres, w.cumulative.cadres),
            (w.period.households, w.cumulative.households),
            (w.period.problems, w.cumulative.problems),
            (w.period.solved, w.cumulative.solved),
        ];
        let cells: String = pairs
            .iter()
            .map(|(p, c)| lpad(&format!("{p}（{c}）"), 18))
            .collect();
        println!("{}{cells}", pad(&w.department, name_w));
    }
}

fn print_follow_up(summary: &Summary) {
    let below: Vec<_> = summary
        .follow_up
        .iter()
        .filter(|f| f.returned < f.printed)
        .collect();
    if !below.is_empty() {
        println!(
            "交回的入户调查表少于印发份数的干部（共 {} 人）：",
            below.len()
        );
        for f in below {
            println!(
                "  {} {}（{}）：印发 {} 份，交回 {} 份",
                f.department, f.cadre, f.id, f.printed, f.returned
            );
        }
    }
    if !summary.unvisited.is_empty() {
        println!(
            "还没有走访记录的村（社区）（共 {} 个）：",
            summary.unvisited.len()
        );
        for l in &summary.unvisited {
            println!("  {}{}{}", l.district, l.town, l.village);
        }
    }
}

fn print_imports(imports: &[Import], day: Date) {
    for i in imports {
        println!(
            "台账：「{}」收到日期 {}，{} 户入户调查、{} 个问题，其中新增或有变化的 {} 条。",
            i.file, i.received, i.households, i.problems, i.changed
        );
    }
    println!("以下是台账截至 {} 收到的全部数据的汇总。", show_date(day));
}

fn print_completeness(summary: &Summary) {
    let Some(c) = &summary.completeness else {
        return;
    };
    println!(
        "交表情况：名单上 {} 个单位，本期已交 {} 个（{:.0}%）。",
        c.expected,
        c.reported.len(),
        c.share * 100.0
    );
    if !c.missing.is_empty() {
        println!("  未交：{}", c.missing.join("、"));
    }
    if let Some(paper) = &summary.paper {
        let lines: Vec<String> = paper
            .iter()
            .map(|p| {
                format!(
                    "{} {}/{} 张（已填 {}）",
                    p.department, p.returned, p.printed, p.filled
                )
            })
            .collect();
        println!(
            "纸质入户调查表扫描交回（交回/印发）：{}。",
            lines.join("、")
        );
    }
}

/// Where the screen said faults grouped, every one of them, a row each, in
/// a workbook beside the outputs.
fn write_fault_list(returns: &Returns, out: &std::path::Path) -> Result<(), ExitCode> {
    let all: Vec<Fault> = [&returns.notes, &returns.rejected, &returns.conflicts]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if grouped(&all).len() == all.len() {
        return Ok(());
    }
    let path = out.join(FAULT_LIST);
    crate::shared::xlsx::write_xlsx(&path, &[fault_sheet(&all)]).map_err(|e| {
        eprintln!("说明清单写不进去：{}（{e}）", path.display());
        ExitCode::from(1)
    })?;
    println!(
        "上面相同的说明合成了一条；全部 {} 条（每行一条）见 {}。",
        all.len(),
        path.display()
    );
    Ok(())
}
