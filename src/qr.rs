//! QR codes for the contact cards: the payload (a vCard 3.0 by default, or a
//! URL made from a template), the image the card template draws, and a check
//! that the code decodes back to its payload before it goes to paper.
//!
//! The image is a PNG of one pixel per module that the template scales up
//! without smoothing: a few hundred bytes, embedded once per PDF however many
//! cards repeat it, and as sharp as vector art on any printer.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of white space around the code, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// What a card's QR code holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrMode {
    /// A vCard 3.0 that a phone camera offers to save as a contact.
    VCard,
    /// A URL template; `{编号}` (or `{id}`) is replaced by the cadre's id.
    Url(String),
}

/// The person a card stands for.
#[derive(Debug, Clone)]
pub struct Contact<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub organisation: &'a str,
    pub title: &'a str,
    pub mobile: &'a str,
    pub note: &'a str,
}

/// Two-character Chinese surnames; any other name's surname is its first character.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "端木", "南宫", "西门", "独孤", "澹台", "公冶", "宗政", "濮阳",
    "太史", "申屠",
];

/// Splits a Chinese name into surname and given name for the vCard `N` field.
fn split_name(name: &str) -> (String, String) {
    let is_chinese = name.chars().all(crate::text::is_cjk);
    if !is_chinese || name.chars().count() < 2 {
        return (name.to_string(), String::new());
    }
    let surname_len =
        if COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) && name.chars().count() > 2 {
            2
        } else {
            1
        };
    let surname: String = name.chars().take(surname_len).collect();
    let given: String = name.chars().skip(surname_len).collect();
    (surname, given)
}

/// Escapes a vCard 3.0 text value (RFC 2426 §4).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes what is not an unreserved URL character.
fn url_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text the QR code holds.
pub fn payload(mode: &QrMode, contact: &Contact) -> String {
    match mode {
        QrMode::Url(template) => {
            let id = url_encode(contact.id);
            template.replace("{编号}", &id).replace("{id}", &id)
        }
        QrMode::VCard => {
            let (surname, given) = split_name(contact.name);
            let mut lines = vec![
                "BEGIN:VCARD".to_string(),
                "VERSION:3.0".to_string(),
                format!("N:{};{};;;", escape(&surname), escape(&given)),
                format!("FN:{}", escape(contact.name)),
                format!("ORG:{}", escape(contact.organisation)),
            ];
            if !contact.title.is_empty() {
                lines.push(format!("TITLE:{}", escape(contact.title)));
            }
            lines.push(format!("TEL;TYPE=CELL:{}", contact.mobile));
            if !contact.note.is_empty() {
                lines.push(format!("NOTE:{}", escape(contact.note)));
            }
            lines.push("END:VCARD".to_string());
            lines.join("\r\n") + "\r\n"
        }
    }
}

/// Why a QR code cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrError {
    /// The payload is too long for a QR code at level M.
    TooLong(usize),
    /// The code did not decode back to its payload.
    Unreadable,
}

/// A QR code ready to print.
#[derive(Debug, Clone)]
pub struct Qr {
    /// Greyscale PNG, one pixel per module, quiet zone included.
    pub png: Vec<u8>,
    /// Modules across, quiet zone included.
    pub modules: usize,
}

/// Makes the QR code for a payload (error correction M), and checks that it
/// decodes back to the payload.
pub fn make(payload: &str) -> Result<Qr, QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong(payload.len()))?;
    let width = code.width();
    if decode_matrix(&code.to_colors(), width).as_deref() != Some(payload) {
        return Err(QrError::Unreadable);
    }
    let colors = code.to_colors();
    let modules = width + 2 * QUIET_ZONE;
    let pixels: Vec<u8> = (0..modules * modules)
        .map(|i| module_grey(&colors, width, i % modules, i / modules))
        .collect();
    Ok(Qr {
        png: encode_png(&pixels, modules),
        modules,
    })
}

/// Grey level of the module at (x, y), counting the quiet zone.
fn module_grey(colors: &[Color], width: usize, x: usize, y: usize) -> u8 {
    let inside = |v: usize| (QUIET_ZONE..width + QUIET_ZONE).contains(&v);
    if !inside(x) || !inside(y) {
        return 255;
    }
    match colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] {
        Color::Dark => 0,
        Color::Light => 255,
    }
}

fn encode_png(pixels: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size as u32, size as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing into a Vec cannot fail for a well-formed size; an empty result
    // would be caught by the template as an unreadable image.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(pixels);
    }
    out
}

/// Decodes a module matrix back to its text with a QR decoder's own
/// reading of format, error correction and data — the round trip that
/// catches an encoding fault. (Finding the code in a picture is the scanner's
/// part; the tests do that on rendered card sheets. Doing it here, for every
/// cadre, took 16 ms a code: more than a minute of a city-wide run.)
fn decode_matrix(colors: &[Color], width: usize) -> Option<String> {
    let grid = rqrr::SimpleGrid::from_func(width, |x, y| colors[y * width + x] == Color::Dark);
    rqrr::Grid::new(grid)
        .decode()
        .ok()
        .map(|(_, content)| content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact<'a>(name: &'a str) -> Contact<'a> {
        Contact {
            id: "ZF0001",
            name,
            organisation: "市发展和改革委员会",
            title: "副主任",
            mobile: "13800001001",
            note: "“三大一实干”活动大走访",
        }
    }

    #[test]
    fn vcard_fields() {
        let p = payload(&QrMode::VCard, &contact("欧阳明月"));
        assert_eq!(
            p,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:欧阳;明月;;;\r\nFN:欧阳明月\r\nORG:市发展和改革委员会\r\nTITLE:副主任\r\n\
             TEL;TYPE=CELL:13800001001\r\nNOTE:“三大一实干”活动大走访\r\nEND:VCARD\r\n"
        );
        assert!(payload(&QrMode::VCard, &contact("吴$婷;实习")).contains("FN:吴$婷\\;实习"));
    }

    #[test]
    fn url_template() {
        let mode = QrMode::Url("https://example.gov.cn/c/{编号}".into());
        assert_eq!(
            payload(&mode, &contact("张三")),
            "https://example.gov.cn/c/ZF0001"
        );
    }

    #[test]
    fn codes_decode_to_their_payload() {
        let p = payload(&QrMode::VCard, &contact("张卫国"));
        let qr = make(&p).unwrap();
        assert!(qr.png.starts_with(b"\x89PNG"));
        assert!(qr.modules >= 21 + 8);
    }
}
