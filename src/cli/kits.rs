//! `zoufang kits` and `zoufang cards`.

use std::process::ExitCode;
use std::time::Instant;

use crate::print::manifest::MANIFEST;
use crate::print::render::{Output, render_all};
use crate::shared::progress::Progress;

use super::args::PrintArgs;
use super::check::printable;
use super::{report_faults, sync_written};

/// `kits` and `cards`: refuse on any fault, else render the plan.
pub(super) fn print(print_args: &PrintArgs, cards_only: bool) -> ExitCode {
    let PrintArgs {
        roster: args,
        out,
        quiet,
        emit_data,
    } = print_args;
    let (settings, engine, checked, plan) = match printable(args, "没有生成任何材料") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = if cards_only { plan.cards_only() } else { plan };
    let total = plan.total();
    if !quiet {
        eprintln!(
            "开始排版：{} 个 PDF 文件，共 {} 页……",
            plan.documents.len(),
            total.pages
        );
    }
    let progress = Progress::new(plan.documents.len() as u64, "文件", *quiet);
    let started = Instant::now();
    let output = Output {
        dir: out,
        entry_workbooks: !cards_only,
        emit_data: emit_data.as_deref(),
        progress: &progress,
    };
    let report = render_all(&engine, &settings, &checked.roster, &plan, &output);
    progress.finish();
    if !report.failures.is_empty() {
        report_faults(&report.failures);
        eprintln!(
            "有 {} 处问题，材料没有全部生成，请按上面的提示处理后重新运行。",
            report.failures.len()
        );
        return ExitCode::from(1);
    }
    if let Err(code) = sync_written() {
        return code;
    }
    let pages: usize = report.written.iter().map(|w| w.pages).sum();
    let bytes: usize = report.written.iter().map(|w| w.bytes).sum();
    println!(
        "已生成 {} 个文件，共 {} 页，{:.1} MB，用时 {:.1} 秒。输出文件夹：{}（文件清单见 {}）",
        report.written.len(),
        pages,
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64(),
        out.display(),
        MANIFEST
    );
    ExitCode::SUCCESS
}
