//! The developer's commands: `sample`, `bench`, and the hidden `read-with-calamine`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::settings::Settings;
use crate::shared::atomic::write_atomic;

/// `sample`: the demonstration roster, and optionally filled returns for it.
pub(super) fn sample(out: &Path, returns: Option<&Path>, cadres: Option<usize>) -> ExitCode {
    let written = match cadres {
        Some(n) => crate::dev::sample::write_city_roster(out, n),
        None => crate::dev::sample::write_demo_roster(out),
    };
    if let Err(e) = written {
        eprintln!("示例名单写不进去：{}（{e}）", out.display());
        return ExitCode::from(2);
    }
    println!("示例名单已写到 {}", out.display());
    if let Some(dir) = returns {
        let input = crate::input::read_input(out);
        let checked = crate::check::roster::build(
            &input.sheets,
            &Settings::default(),
            &out.display().to_string(),
        );
        match crate::dev::sample::write_demo_returns(&checked.roster, dir, cadres.is_some()) {
            Ok(files) => {
                for f in files {
                    println!("示例录入表已写到 {}", f.display());
                }
            }
            Err(e) => {
                eprintln!("示例录入表写不进去：{}（{e}）", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

/// `bench`: the benchmark, its report written to `report`.
pub(super) fn bench(
    dir: &Path,
    cadres: &[usize],
    summary_cadres: &[usize],
    only: (bool, bool),
    report: &Path,
) -> ExitCode {
    match crate::dev::bench::run(dir, cadres, summary_cadres, only) {
        Ok(text) => match write_atomic(report, text.as_bytes()) {
            Ok(()) => {
                println!("{text}\n结果已写入 {}", report.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("结果写不进去：{}（{e}）", report.display());
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("性能测试没有完成：{e}");
            ExitCode::from(2)
        }
    }
}

/// The hidden `read-with-calamine`: the benchmark's reference reader.
pub(super) fn read_with_calamine(files: &[PathBuf]) -> ExitCode {
    if crate::dev::bench::read_with_calamine(files) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
