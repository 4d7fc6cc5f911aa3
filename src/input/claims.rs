//! The rule the grid guards of `.xls`/`.et` (`biff_guard`) and `.ods`
//! (`ods_scan`) apply before calamine reads a file: the spreadsheet library
//! lays a sheet out as a full grid of cells, as large as the file claims,
//! so a sheet whose grid would be far larger than the cells it really holds
//! is refused, naming the sheet.

use crate::shared::fault::{Fault, Place};

use super::sniff::CORRUPT_HINT;

/// A grid of at most this many cells is always allowed (a full sheet of
/// 65,536 rows × 16 columns: some tens of MB).
const ALWAYS_ALLOWED: u64 = 1 << 20;

/// Past that, a grid may take at most this many cells for each cell the
/// file really has: real sheets are dense; a damaged record is not.
const CELLS_PER_CELL: u64 = 16;

/// A sheet (its name, as the workbook lists it) whose grid would take
/// `claimed` cells.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Oversized {
    pub(super) sheet: String,
    pub(super) claimed: u64,
}

/// `Ok` when a grid of `claimed` cells is in proportion to the `cells` the
/// sheet holds.
pub(super) fn within(
    claimed: u64,
    cells: u64,
    sheet: impl FnOnce() -> String,
) -> Result<(), Oversized> {
    if claimed > ALWAYS_ALLOWED.max(cells.saturating_mul(CELLS_PER_CELL)) {
        return Err(Oversized {
            sheet: sheet(),
            claimed,
        });
    }
    Ok(())
}

impl Oversized {
    /// The refusal, for a file of `size` bytes.
    pub(super) fn fault(&self, file: &str, size: usize) -> Fault {
        Fault::error(
            Place {
                sheet: self.sheet.clone(),
                ..Place::file(file)
            },
            format!(
                "这个工作表自称有 {} 万个单元格，与文件的大小（{} KB）对不上，文件可能已损坏；为防止电脑卡死，没有读取这个文件",
                self.claimed.div_ceil(10_000),
                size.div_ceil(1024)
            ),
            CORRUPT_HINT,
        )
    }
}
