//! The tables of the data contract: the columns each has, the header texts
//! accepted for them, and the words their cells may hold. Every reader and
//! every writer of these tables goes through these definitions.

pub(crate) mod blank_roster;
pub mod recognise;
pub mod returns;
pub mod roster;
