//! `zoufang init`.

use std::path::Path;
use std::process::ExitCode;

use crate::schema::blank_roster::init_folder;
use crate::settings::SETTINGS_FILE;

/// `init`: a blank roster and a commented settings file, never over existing files.
pub(super) fn init(dir: &Path) -> ExitCode {
    match init_folder(dir) {
        Ok(roster) => {
            println!(
                "已写出空白名单 {} 和设置文件 {}。",
                roster.display(),
                dir.join(SETTINGS_FILE).display()
            );
            println!("填好名单后运行：zoufang check {}", roster.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
