//! Stage 2: sheets → the checked roster and every fault and reminder in it.

pub mod glyphs;
pub mod model;
pub mod roster;
