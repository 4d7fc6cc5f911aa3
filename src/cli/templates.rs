//! `zoufang templates export`.

use std::path::Path;
use std::process::ExitCode;

use crate::shared::atomic::write_atomic;
use crate::typeset::templates::BUILTIN_TEMPLATES;

/// `templates export`: the built-in templates, as files an office can edit.
pub(super) fn export(dir: &Path) -> ExitCode {
    for (name, text) in BUILTIN_TEMPLATES {
        if let Err(e) = write_atomic(&dir.join(name), text.as_bytes()) {
            eprintln!("模板写不进去：{}（{e}）", dir.join(name).display());
            return ExitCode::from(2);
        }
    }
    println!(
        "已把 {} 个模板写到 {}。修改后用 --templates {} 生成材料；公共样式（字体、页边距）在 style.typ。",
        BUILTIN_TEMPLATES.len(),
        dir.display(),
        dir.display()
    );
    ExitCode::SUCCESS
}
