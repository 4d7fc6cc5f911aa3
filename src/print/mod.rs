//! Stage 3: the checked roster → what is printed (plan, template data, QR
//! codes) → PDFs, entry workbooks and the manifest on disk.

pub(crate) mod entry;
pub mod manifest;
pub mod page_code;
pub(crate) mod payload;
pub mod plan;
pub(crate) mod preview;
pub(crate) mod qr;
pub(crate) mod render;

use std::path::Path;

use crate::check::glyphs::glyph_faults;
use crate::check::model::Checked;
use crate::settings::Settings;
use crate::typeset::Engine;
use plan::{Plan, plan};

/// Reads and checks a roster and makes its plan; every fault found (the
/// reading's, the roster's, glyphs the fonts lack, the plan's) in
/// `Checked::faults`, sorted. `Err` with what was said of the file when
/// no sheet could be read at all.
pub(crate) fn checked_plan(
    path: &Path,
    settings: &Settings,
    engine: &Engine,
) -> Result<(Checked, Plan), Vec<crate::shared::fault::Fault>> {
    let input = crate::input::read_input(path);
    if input.sheets.is_empty() {
        return Err(input.faults);
    }
    let mut checked =
        crate::check::roster::build(&input.sheets, settings, &path.display().to_string());
    let (plan, plan_faults) = plan(&checked.roster, settings);
    let mut faults = input.faults;
    faults.append(&mut checked.faults);
    faults.extend(glyph_faults(engine, &checked.roster));
    faults.extend(plan_faults);
    crate::shared::fault::sort(&mut faults);
    checked.faults = faults;
    Ok((checked, plan))
}
