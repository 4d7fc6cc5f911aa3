//! What a file is, by its first bytes and members, whatever its extension says.

use crate::shared::text::decode_text;

/// What the first bytes say a file is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Container {
    /// OLE2 compound file: `.xls`, WPS `.et`.
    Ole,
    /// Zip: `.xlsx`, `.ods`.
    Zip,
    Other,
}

pub(super) fn sniff(bytes: &[u8]) -> Container {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Container::Ole
    } else if bytes.starts_with(b"PK") {
        Container::Zip
    } else {
        Container::Other
    }
}

pub(super) const CORRUPT_HINT: &str =
    "文件可能没有下载或拷贝完整：请重新拷贝一份；或在 Excel 或 WPS 中打开后另存为 .xlsx 再试";
pub(super) const PASSWORD_MESSAGE: &str = "这个工作簿设置了打开密码，程序读不了";
pub(super) const PASSWORD_HINT: &str = "请在 Excel 或 WPS 中打开，去掉打开密码后另存为 .xlsx 再试";

/// An encrypted Office file: an OLE container holding an `EncryptedPackage`
/// stream (how Excel and WPS store a password-protected `.xlsx`).
pub(super) fn is_encrypted_package(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

/// A Word or PowerPoint file (also zip containers), by its member names.
pub(super) fn other_office_document(names: &[String]) -> Option<&'static str> {
    if names.iter().any(|n| n.starts_with("xl/")) {
        None
    } else if names.iter().any(|n| n.starts_with("word/")) {
        Some("Word 文档")
    } else if names.iter().any(|n| n.starts_with("ppt/")) {
        Some("PowerPoint 演示文稿")
    } else {
        None
    }
}

/// Markup that reaches us under a spreadsheet's extension.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Markup {
    Html,
    SpreadsheetXml,
}

pub(super) fn markup_kind(bytes: &[u8]) -> Option<Markup> {
    let head = decode_text(&bytes[..bytes.len().min(4096)]).to_lowercase();
    if head.contains("urn:schemas-microsoft-com:office:spreadsheet") {
        Some(Markup::SpreadsheetXml)
    } else if head.contains("<html") || head.contains("<table") {
        Some(Markup::Html)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0]), Container::Ole);
        assert_eq!(sniff(b"PK\x03\x04"), Container::Zip);
        assert_eq!(sniff(b"hello"), Container::Other);
    }
}
