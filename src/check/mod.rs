//! Stage 2: sheets → the checked roster and every fault and reminder in it.

pub(crate) mod glyphs;
pub(crate) mod model;
pub mod roster;
