//! `zoufang init`.

use std::path::Path;
use std::process::ExitCode;

use crate::settings::SETTINGS_FILE;
use crate::shared::atomic::write_atomic;

/// `init`: a blank roster and a commented settings file, never over existing files.
pub(super) fn init(dir: &Path) -> ExitCode {
    let roster = dir.join("名单.xlsx");
    let config = dir.join(SETTINGS_FILE);
    for path in [&roster, &config] {
        if path.exists() {
            eprintln!(
                "{} 已经存在，没有覆盖。请换一个文件夹，或先把它移走。",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    let result = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            crate::schema::blank_roster::write_blank_roster(&roster).map_err(|e| e.to_string())
        })
        .and_then(|_| {
            write_atomic(&config, crate::settings::DEFAULT_SETTINGS_FILE.as_bytes())
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(()) => {
            println!(
                "已写出空白名单 {} 和设置文件 {}。",
                roster.display(),
                config.display()
            );
            println!("填好名单后运行：zoufang check {}", roster.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("写不进去：{}（{e}）", dir.display());
            ExitCode::from(2)
        }
    }
}
