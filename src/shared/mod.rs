//! Small pieces every stage uses.

pub(crate) mod atomic;
pub(crate) mod date;
pub(crate) mod fault;
pub(crate) mod file_name;
pub(crate) mod memory;
pub(crate) mod progress;
pub(crate) mod queue;
pub mod text;
pub mod xlsx;
