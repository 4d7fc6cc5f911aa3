//! zoufang (走访): reads a household-visiting campaign's roster and prints its
//! paper kits through an embedded Typst engine.
//!
//! The pipeline, one module per stage:
//! `read` (files → sheets) → `roster` (sheets → checked roster and problems)
//! → `plan` (roster → documents) → `render` (documents → PDFs on disk),
//! with `engine` holding the shared Typst world.

// A `Problem` carries its place and message; it travels the error path only, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod bench;
pub mod cli;
pub mod engine;
pub mod entry;
pub mod plan;
pub mod problem;
pub mod progress;
pub mod qr;
pub mod read;
pub mod render;
pub mod report;
pub mod returns;
pub mod roster;
pub mod sample;
pub mod settings;
pub mod summary;
pub mod table;
pub mod text;
pub mod workbook;
