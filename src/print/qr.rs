//! QR codes for the contact cards: the payload (a vCard 3.0 by default, or a
//! URL made from a template), the image the card template draws, and a check
//! that the code decodes back to its payload before it goes to paper.
//!
//! The image is a PNG of one pixel per module that the template scales up
//! without smoothing: a few hundred bytes, embedded once per PDF however many
//! cards repeat it, and as sharp as vector art on any printer.

use crate::settings::QrMode;

/// Modules of white space around the code, as the QR standard asks.
pub(crate) const QUIET_ZONE: usize = 4;

/// The person a card stands for.
#[derive(Debug, Clone)]
pub(crate) struct Contact<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) organisation: &'a str,
    pub(crate) title: &'a str,
    pub(crate) mobile: &'a str,
    pub(crate) note: &'a str,
}

/// Two-character Chinese surnames; any other name's surname is its first character.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "端木", "南宫", "西门", "独孤", "澹台", "公冶", "宗政", "濮阳",
    "太史", "申屠",
];

/// Splits a Chinese name into surname and given name for the vCard `N` field.
fn split_name(name: &str) -> (String, String) {
    let is_chinese = name.chars().all(crate::shared::text::is_cjk);
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
pub(crate) enum QrError {
    /// The payload is too long for a QR code at level M.
    TooLong(usize),
}

/// A QR code ready to print.
#[derive(Debug, Clone)]
pub(crate) struct Qr {
    /// One-bit greyscale PNG, one pixel per module, quiet zone included.
    pub(crate) png: Vec<u8>,
}

/// Makes the QR code for a payload: byte mode (UTF-8), error correction M,
/// the mask the standard's penalty rules choose.
///
/// `fast_qr`, not the `qrcode` crate: 0.4 ms a code instead of 3 ms (its
/// mask choice allocates for every rule), which at 6,000 cadres is two
/// seconds of a run instead of twenty. Codes are not decoded here: rqrr took
/// another 2.6 ms a code (its error-correction check is quadratic), so the
/// tests decode codes of every length a card can carry instead
/// (`codes_of_every_size_decode_to_their_payload`), and cards' codes from
/// rendered sheets (tests/cards.rs).
pub(crate) fn make(payload: &str) -> Result<Qr, QrError> {
    let code = fast_qr::QRBuilder::new(payload.as_bytes())
        .ecl(fast_qr::ECL::M)
        .mode(fast_qr::Mode::Byte)
        .build()
        .map_err(|_| QrError::TooLong(payload.len()))?;
    let modules = code.size + 2 * QUIET_ZONE;
    // One bit a module, eight to a byte, each row starting a byte: white is 1.
    let row_bytes = modules.div_ceil(8);
    let mut bits = vec![0u8; row_bytes * modules];
    for y in 0..modules {
        for x in 0..modules {
            if !dark(&code, x, y) {
                bits[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    Ok(Qr {
        png: encode_png(&bits, modules),
    })
}

/// Whether the module at (x, y), counting the quiet zone, is dark.
fn dark(code: &fast_qr::QRCode, x: usize, y: usize) -> bool {
    let width = code.size;
    let inside = |v: usize| (QUIET_ZONE..width + QUIET_ZONE).contains(&v);
    inside(x) && inside(y) && code.data[(y - QUIET_ZONE) * width + x - QUIET_ZONE].value()
}

/// A one-bit greyscale PNG: a plan holds one code per cadre until its kit
/// is made, and at a byte a module the codes of 6,000 cadres took 12 MB.
fn encode_png(bits: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size as u32, size as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Writing into a Vec cannot fail for a well-formed size; an empty result
    // would be caught by the template as an unreadable image.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(bits);
    }
    out
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

    /// Reads a made code back from its PNG, module by module, with a QR
    /// decoder's own reading of format, error correction and data.
    fn decode_png(qr: &Qr) -> String {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&qr.png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let modules = reader.info().width as usize;
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        let width = modules - 2 * QUIET_ZONE;
        let grid = rqrr::SimpleGrid::from_func(width, |x, y| {
            pixels[(y + QUIET_ZONE) * modules + x + QUIET_ZONE] == 0
        });
        rqrr::Grid::new(grid).decode().unwrap().1
    }

    #[test]
    fn codes_of_every_size_decode_to_their_payload() {
        // Lengths from a bare URL to the longest vCard a card can carry, in
        // Chinese, Latin and vCard escapes: every version up to 27 at level M.
        let words = [
            "张卫国",
            "市发展和改革委员会",
            "ZF0001",
            "副主任；",
            "a,b\\c",
            "“走访”",
            "䶮",
        ];
        let mut text = String::new();
        let mut lengths = Vec::new();
        for i in 0..400 {
            text.push_str(words[(i * 7 + i / 3) % words.len()]);
            if text.len() > 1_600 {
                break;
            }
            let p = format!("BEGIN:VCARD\r\nFN:{text}\r\nEND:VCARD\r\n");
            let qr = make(&p).unwrap();
            assert!(qr.png.starts_with(b"\x89PNG"));
            assert_eq!(decode_png(&qr), p, "{} bytes", p.len());
            lengths.push(u32::from_be_bytes([
                qr.png[16], qr.png[17], qr.png[18], qr.png[19],
            ]));
        }
        lengths.dedup();
        assert!(lengths.len() >= 20, "{lengths:?}");
        assert!(matches!(
            make(&"走".repeat(1_000)),
            Err(QrError::TooLong(3_000))
        ));
    }
}
