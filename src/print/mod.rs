//! Stage 3: the checked roster → what is printed (plan, template data, QR
//! codes) → PDFs, entry workbooks and the manifest on disk.

pub mod entry;
pub mod manifest;
pub mod payload;
pub mod plan;
pub mod qr;
pub mod render;
