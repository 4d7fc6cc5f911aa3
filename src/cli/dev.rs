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
        Ok(measured) => {
            // One section measured alone replaces that section only.
            let text = match std::fs::read_to_string(report) {
                Ok(existing) if only.0 || only.1 => spliced(&existing, &measured),
                _ => measured.clone(),
            };
            match write_atomic(report, text.as_bytes()) {
                Ok(()) => {
                    println!("{measured}\n结果已写入 {}", report.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("结果写不进去：{}（{e}）", report.display());
                    ExitCode::from(2)
                }
            }
        }
        Err(e) => {
            eprintln!("性能测试没有完成：{e}");
            ExitCode::from(2)
        }
    }
}

/// `existing` with the section `measured` holds (from its first `## `
/// heading on) put in place of the section of that heading, or added at
/// the end.
fn spliced(existing: &str, measured: &str) -> String {
    let Some(start) = measured.find("\n## ") else {
        return existing.to_string();
    };
    let section = &measured[start + 1..];
    let heading = section.lines().next().unwrap_or_default();
    let Some(at) = existing.find(&format!("\n{heading}\n")) else {
        return format!("{}\n\n{section}", existing.trim_end());
    };
    let after = at + 1 + heading.len();
    let end = existing[after..]
        .find("\n## ")
        .map_or(existing.len(), |k| after + k + 1);
    let rest = &existing[end..];
    let gap = if rest.is_empty() { "\n" } else { "\n\n" };
    format!("{}{}{gap}{rest}", &existing[..at + 1], section.trim_end())
}

/// The hidden `read-with-calamine`: the benchmark's reference reader.
pub(super) fn read_with_calamine(files: &[PathBuf]) -> ExitCode {
    if crate::dev::bench::read_with_calamine(files) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_section_measured_alone_replaces_its_own_section_only() {
        let existing = "# 性能测试\n\n## kits\n\nold kits\n\n## scan（读扫描件）\n\nold scan\n\n## 结论\n\nkept\n";
        let measured = "# 性能测试\n\n机器：x\n\n## scan（读扫描件）\n\nnew scan\n";
        assert_eq!(
            super::spliced(existing, measured),
            "# 性能测试\n\n## kits\n\nold kits\n\n## scan（读扫描件）\n\nnew scan\n\n## 结论\n\nkept\n"
        );
        assert_eq!(
            super::spliced("# x\n", "# y\n\n## page\n\nnew\n"),
            "# x\n\n## page\n\nnew\n"
        );
    }
}
