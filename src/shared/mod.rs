//! Small pieces every stage uses.

pub mod atomic;
pub mod date;
pub mod fault;
pub mod file_name;
pub mod memory;
pub mod progress;
pub mod queue;
pub mod text;
pub mod xlsx;
