//! Text clean-up shared by every reader: what office spreadsheets put in cells
//! (full-width digits and spaces, stray line breaks, numbers for phones) turned
//! into the plain values the rest of the program works with.

/// Maps full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space to
/// their half-width counterparts; every other character is kept.
pub(crate) fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Whitespace as office files contain it: ASCII and full-width spaces,
/// no-break spaces, zero-width characters and line breaks.
pub(crate) fn is_blank_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}')
}

/// A value as it should be printed: control characters removed, runs of
/// whitespace (line breaks included) folded to one space, ends trimmed.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if is_blank_char(c) {
            pending_space = !out.is_empty();
        } else if c.is_control() {
            continue;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// A name as people mean it: cleaned, and with the spaces that clerks type
/// between the characters of a two-character name (`王  芳`) removed when the
/// name is all CJK.
pub(crate) fn clean_name(s: &str) -> String {
    let cleaned = clean(s);
    if cleaned.contains(' ') && cleaned.chars().all(|c| c == ' ' || is_cjk(c) || c == '·') {
        cleaned.replace(' ', "")
    } else {
        cleaned
    }
}

/// CJK ideographs and the other characters typical of Chinese names.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// The key a header cell is compared by: half-width, without whitespace,
/// required-field stars, or a trailing note in brackets such as `（必填）`.
pub(crate) fn header_key(s: &str) -> String {
    let mut key: String = half_width(s)
        .chars()
        .filter(|c| !is_blank_char(*c) && *c != '*' && *c != '※')
        .collect();
    for note in ["(必填)", "(选填)", "(可选)", "(可不填)", "(必须填写)"] {
        if let Some(stripped) = key.strip_suffix(note) {
            key = stripped.to_string();
        }
    }
    key.replace(['【', '〔', '['], "(")
        .replace(['】', '〕', ']'], ")")
}

/// Renders a number typed into a cell as the digits a person typed.
/// `13812345678.0` → `13812345678`; `30.0` → `30`; `2.5` → `2.5`.
pub(crate) fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// What a phone column held, once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phone {
    /// An 11-digit mainland mobile number.
    Mobile(String),
    /// Anything else worth keeping as written: landlines, extensions, lists.
    Other(String),
    /// Excel's scientific notation (`1.38E+10`): the digits are lost.
    Scientific(String),
}

impl Phone {
    /// The text to print.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Phone::Mobile(s) | Phone::Other(s) | Phone::Scientific(s) => s,
        }
    }
}

/// Reads a phone cell's text. Mobiles are normalised (`+86`, spaces, dashes
/// and full-width digits removed); landlines and lists are kept as written.
pub(crate) fn parse_phone(raw: &str) -> Phone {
    let text = clean(&half_width(raw));
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let upper = compact.to_ascii_uppercase();
    if upper.contains("E+")
        && upper
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'E' | '+'))
    {
        return Phone::Scientific(text);
    }
    let digits = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .or_else(|| compact.strip_prefix("86").filter(|rest| rest.len() == 11))
        .unwrap_or(&compact);
    if digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()) {
        Phone::Mobile(digits.to_string())
    } else {
        Phone::Other(text)
    }
}

/// Excel column letters for a 0-based column index: 0 → `A`, 27 → `AB`.
pub fn column_letter(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Text without spaces and with half-width characters: how words such as
/// 已解决 and dates are compared.
pub(crate) fn compact(s: &str) -> String {
    half_width(s)
        .chars()
        .filter(|c| !is_blank_char(*c))
        .collect()
}

/// Decodes text files (CSV, the settings file): UTF-16 (with a byte-order mark, or the telltale zero
/// bytes of ASCII text), else line by line UTF-8 (with or without BOM) when
/// valid and GB18030 (which includes GBK) when not, so that a file pasted
/// together from a UTF-8 export and a GBK one reads right throughout.
pub(crate) fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
            .into();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
            .into();
    }
    let head = &bytes[..bytes.len().min(1024) & !1];
    let zeros_at = |odd: usize| {
        head.iter()
            .skip(odd)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    if head.len() >= 8 && zeros_at(1) * 10 > head.len() * 4 && zeros_at(0) == 0 {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
            .into();
    }
    if head.len() >= 8 && zeros_at(0) * 10 > head.len() * 4 && zeros_at(1) == 0 {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
            .into();
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.into();
    }
    let mut text = String::with_capacity(bytes.len() * 3 / 2);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(_) => text.push_str(&encoding_rs::GB18030.decode_without_bom_handling(line).0),
        }
    }
    text.into()
}

/// `「堃」「䶮」`, for messages.
pub(crate) fn quote_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("「{c}」(U+{:04X})", *c as u32))
        .collect::<Vec<_>>()
        .join("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_spaces() {
        assert_eq!(half_width("１３８　ＡＢ（）"), "138 AB()");
        assert_eq!(clean("  张\u{3000}三 \n"), "张 三");
        assert_eq!(clean_name("王\u{3000}\u{3000}芳"), "王芳");
        assert_eq!(clean_name(" Tom  Lee "), "Tom Lee");
        assert_eq!(clean("a\u{0}b"), "ab");
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key(" 村（社区）* "), "村(社区)");
        assert_eq!(header_key("姓 名(必填)"), "姓名");
        assert_eq!(header_key("市【区】"), "市(区)");
    }

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("138 0013 8000"),
            Phone::Mobile("13800138000".into())
        );
        assert_eq!(
            parse_phone("+86-138-0013-8000"),
            Phone::Mobile("13800138000".into())
        );
        assert_eq!(
            parse_phone("８６１３８００１３８０００"),
            Phone::Mobile("13800138000".into())
        );
        assert_eq!(
            parse_phone("0519-85680720"),
            Phone::Other("0519-85680720".into())
        );
        assert_eq!(
            parse_phone("85680720、13776880150"),
            Phone::Other("85680720、13776880150".into())
        );
        assert_eq!(
            parse_phone("1.38E+10"),
            Phone::Scientific("1.38E+10".into())
        );
        assert_eq!(number_text(13800138000.0), "13800138000");
    }

    #[test]
    fn columns() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,单位\n张三,市发改委\n");
        assert_eq!(decode_text(&gbk), "姓名,单位\n张三,市发改委\n");
        assert_eq!(decode_text("\u{FEFF}姓名".as_bytes()), "姓名");
    }
}
