//! The code at the top of every printed form page (annexes 1,
//! 3 and 4): which campaign, which form and which copy of it, so that a
//! scanner's stack says what came back (`zoufang scan`).
//!
//! A QR code, not a Data Matrix: the cards already carry QR codes made by
//! the same encoder, a maintained decoder reads them in pure Rust (rqrr),
//! and its three finder patterns give the reader the page's turn, skew and
//! scale without further marks. It holds text of the form
//!
//! ```text
//! ZF1/<campaign>/3/<serial>             a household form (附件3)
//! ZF1/<campaign>/1/<district>/<town>/<village>   a village form (附件1)
//! ZF1/<campaign>/4/<cadre id>/<sheet>   a problem list's sheet (附件4)
//! ```
//!
//! `<campaign>` is six hex digits of a hash of the campaign's title and year:
//! a form of another campaign is then not taken for one of this campaign's.
//! Fields are percent-escaped where they hold `/` or `%`.

use sha2::{Digest, Sha256};

use super::qr::{self, Qr, QrError};

/// What comes first in every page code: zoufang's, version 1.
const PREFIX: &str = "ZF1";

/// Width of one module of the code on paper, in millimetres: 3.9 pixels at
/// 200 dpi and 3 at 150 dpi, what a scanner's page still decodes from.
pub const MODULE_MM: f64 = 0.5;

/// What a printed page is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PageCode {
    /// 附件1 of a village or community.
    Village {
        district: String,
        town: String,
        name: String,
    },
    /// 附件3 with its serial number.
    Household { serial: String },
    /// Sheet `sheet` (1-based) of a cadre's 附件4.
    Problems { cadre: String, sheet: u32 },
}

impl PageCode {
    /// The annex as the notice names it: 附件1, 附件3, 附件4.
    pub fn form(&self) -> &'static str {
        match self {
            PageCode::Village { .. } => "附件1",
            PageCode::Household { .. } => "附件3",
            PageCode::Problems { .. } => "附件4",
        }
    }
}

/// A campaign's mark in its page codes: six hex digits of its title and year.
pub fn campaign_tag(title: &str, year: i32) -> String {
    let digest = Sha256::digest(format!("{title}\n{year}").as_bytes());
    digest[..3].iter().map(|b| format!("{b:02X}")).collect()
}

fn escape(field: &str) -> String {
    field.replace('%', "%25").replace('/', "%2F")
}

fn unescape(field: &str) -> Option<String> {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The text a page's code holds.
pub fn text(tag: &str, code: &PageCode) -> String {
    match code {
        PageCode::Village {
            district,
            town,
            name,
        } => format!(
            "{PREFIX}/{tag}/1/{}/{}/{}",
            escape(district),
            escape(town),
            escape(name)
        ),
        PageCode::Household { serial } => format!("{PREFIX}/{tag}/3/{}", escape(serial)),
        PageCode::Problems { cadre, sheet } => {
            format!("{PREFIX}/{tag}/4/{}/{sheet}", escape(cadre))
        }
    }
}

/// A decoded code that is not one of zoufang's page codes (a card's, a web
/// address, a damaged one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotOurs {
    Foreign,
}

/// Reads a page code's text: the campaign's tag and what the page is.
pub fn parse(text: &str) -> Result<(String, PageCode), NotOurs> {
    let mut parts = text.split('/');
    if parts.next() != Some(PREFIX) {
        return Err(NotOurs::Foreign);
    }
    let tag = parts.next().ok_or(NotOurs::Foreign)?;
    if tag.len() != 6 || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NotOurs::Foreign);
    }
    let form = parts.next().ok_or(NotOurs::Foreign)?;
    let fields: Vec<String> = parts
        .map(unescape)
        .collect::<Option<_>>()
        .ok_or(NotOurs::Foreign)?;
    let nonempty = |f: &String| !f.is_empty();
    let code = match (form, fields.as_slice()) {
        ("1", [district, town, name]) if nonempty(name) => PageCode::Village {
            district: district.clone(),
            town: town.clone(),
            name: name.clone(),
        },
        ("3", [serial]) if nonempty(serial) => PageCode::Household {
            serial: serial.clone(),
        },
        ("4", [cadre, sheet]) if nonempty(cadre) => PageCode::Problems {
            cadre: cadre.clone(),
            sheet: sheet
                .parse()
                .ok()
                .filter(|&s| s > 0)
                .ok_or(NotOurs::Foreign)?,
        },
        _ => return Err(NotOurs::Foreign),
    };
    Ok((tag.to_string(), code))
}

/// The printed code: a one-bit PNG of one pixel per module (quiet zone
/// included), and its width on paper in millimetres (`MODULE_MM` a module).
pub(crate) fn image(tag: &str, code: &PageCode) -> Result<(Qr, f64), QrError> {
    let qr = qr::make(&text(tag, code))?;
    let modules = u32::from_be_bytes([qr.png[16], qr.png[17], qr.png[18], qr.png[19]]);
    Ok((qr, f64::from(modules) * MODULE_MM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_as_written() {
        let tag = campaign_tag("“三大一实干”活动大走访", 2017);
        assert_eq!(tag.len(), 6);
        assert_ne!(tag, campaign_tag("“三大一实干”活动大走访", 2018));
        let codes = [
            PageCode::Household {
                serial: "ZF0001-07".into(),
            },
            PageCode::Village {
                district: "武进区".into(),
                town: "湖塘镇".into(),
                name: "马杭/100%村".into(),
            },
            PageCode::Problems {
                cadre: "ZF0001".into(),
                sheet: 2,
            },
        ];
        for code in codes {
            let t = text(&tag, &code);
            assert_eq!(parse(&t), Ok((tag.clone(), code)), "{t}");
        }
        assert_eq!(
            text(
                &tag,
                &PageCode::Household {
                    serial: "A/1".into()
                }
            ),
            format!("ZF1/{tag}/3/A%2F1")
        );
    }

    #[test]
    fn other_codes_are_not_taken_for_pages() {
        for t in [
            "BEGIN:VCARD\r\nFN:张三\r\nEND:VCARD",
            "https://example.gov.cn/c/ZF0001",
            "ZF1/ABCDEF/3",
            "ZF1/ABCDEF/3/",
            "ZF1/ABCDEF/4/ZF0001/0",
            "ZF1/ABCDEF/4/ZF0001/x",
            "ZF1/ABCDEF/5/ZF0001",
            "ZF1/ABCDEF/3/ZF0001-01/extra",
            "ZF1/ABCDEF/3/%G1",
            "ZF1/ABCDE/3/ZF0001-01",
            "ZF2/ABCDEF/3/ZF0001-01",
        ] {
            assert_eq!(parse(t), Err(NotOurs::Foreign), "{t}");
        }
    }
}
