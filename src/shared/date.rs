//! Dates as clerks write them and as Excel stores them.

use super::text::compact;

/// A date as (year, month, day).
pub type Date = (i32, u32, u32);

pub fn valid_date(y: i32, m: u32, d: u32) -> Option<Date> {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    ((1990..=2100).contains(&y) && (1..=days).contains(&d)).then_some((y, m, d))
}

/// Converts an Excel date serial (1900 system) to a date.
pub fn from_serial(serial: f64) -> Option<Date> {
    if !(1.0..=80_000.0).contains(&serial) {
        return None;
    }
    // Days since 1970-01-01 (Excel's day 25569), then the civil-from-days algorithm.
    let days = serial.floor() as i64 - 25_569;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + if m <= 2 { 1 } else { 0 }) as i32;
    valid_date(y, m, d)
}

/// Reads a date as clerks write it: `2017-03-08`, `2017.3.8`, `2017/3/8`,
/// `2017年3月8日`, `20170308`, and ISO date-times.
pub fn parse_date_text(s: &str) -> Option<Date> {
    let s = compact(s);
    let s = s.split('T').next().unwrap_or("");
    let s = s.split(' ').next().unwrap_or("");
    if s.len() == 8 && s.chars().all(|c| c.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return valid_date(
            (n / 10_000) as i32,
            (n / 100 % 100) as u32,
            (n % 100) as u32,
        );
    }
    let s = s
        .strip_suffix('日')
        .or_else(|| s.strip_suffix('号'))
        .unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '.', '/', '年', '月']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    if parts[0].len() != 4 {
        return None;
    }
    valid_date(
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
    )
}

/// Shows a date the way clerks write it.
pub fn show_date(d: Date) -> String {
    format!("{}-{:02}-{:02}", d.0, d.1, d.2)
}
