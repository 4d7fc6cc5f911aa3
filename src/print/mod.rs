//! Stage 3: the checked roster → what is printed (plan, template data, QR
//! codes) → PDFs, entry workbooks and the manifest on disk.

pub(crate) mod entry;
pub mod manifest;
pub(crate) mod payload;
pub mod plan;
pub(crate) mod preview;
pub(crate) mod qr;
pub(crate) mod render;

use std::path::Path;

use crate::check::glyphs::glyph_problems;
use crate::check::model::Checked;
use crate::settings::Settings;
use crate::typeset::Engine;
use plan::{Plan, plan};

/// Reads and checks a roster and makes its plan; every problem found (the
/// reading's, the roster's, glyphs the fonts lack, the plan's) in
/// `Checked::problems`, sorted. `Err` with what was said of the file when
/// no sheet could be read at all.
pub(crate) fn checked_plan(
    path: &Path,
    settings: &Settings,
    engine: &Engine,
) -> Result<(Checked, Plan), Vec<crate::shared::fault::Problem>> {
    let input = crate::input::read_input(path);
    if input.sheets.is_empty() {
        return Err(input.problems);
    }
    let mut checked =
        crate::check::roster::build(&input.sheets, settings, &path.display().to_string());
    let (plan, plan_problems) = plan(&checked.roster, settings);
    let mut problems = input.problems;
    problems.append(&mut checked.problems);
    problems.extend(glyph_problems(engine, &checked.roster));
    problems.extend(plan_problems);
    crate::shared::fault::sort(&mut problems);
    checked.problems = problems;
    Ok((checked, plan))
}
