//! Stage 3: the checked roster → what is printed (plan, template data, QR
//! codes) → PDFs, entry workbooks and the manifest on disk.

pub(crate) mod entry;
pub mod manifest;
pub(crate) mod payload;
pub mod plan;
pub(crate) mod qr;
pub(crate) mod render;
