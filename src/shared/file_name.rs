//! Safe, unique file names made from people's and departments' names.

use std::collections::HashSet;

/// Characters that file systems refuse or that could leave the output
/// folder, replaced; length kept reasonable.
pub(crate) fn safe_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    out = out
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if out.chars().count() > 60 {
        out = out.chars().take(60).collect();
    }
    let upper = out.to_ascii_uppercase();
    let stem = upper.split('.').next().unwrap_or("");
    if out.is_empty()
        || matches!(stem, "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT")) && stem.len() == 4)
    {
        out.insert(0, '_');
    }
    out
}

/// `name`, or `name_2`, `name_3`… when taken (compared case-insensitively,
/// as Windows and macOS file systems do).
pub(crate) fn unique(used: &mut HashSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while !used.insert(candidate.to_lowercase()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_inside() {
        assert_eq!(safe_file_name("../市/发改委:*?"), "_市_发改委___");
        assert_eq!(safe_file_name("CON"), "_CON");
        assert_eq!(safe_file_name("a\u{7}b"), "a_b");
        assert_eq!(safe_file_name(".."), "_");
    }

    #[test]
    fn unique_names() {
        let mut used = HashSet::new();
        assert_eq!(unique(&mut used, "张伟".into()), "张伟");
        assert_eq!(unique(&mut used, "张伟".into()), "张伟_2");
    }
}
