//! Dates as clerks write them and as Excel stores them. Calendar arithmetic
//! is jiff's; what is ours is the reading of what people type.

use jiff::ToSpan;
pub(crate) use jiff::civil::Date;

use super::text::compact;

/// Years a campaign's dates can fall in: a year outside is a typing error.
const YEARS: std::ops::RangeInclusive<i64> = 1990..=2100;

/// The date of a year, month and day as written, when there is such a day
/// in `YEARS`.
pub(crate) fn valid_date(y: i64, m: i64, d: i64) -> Option<Date> {
    if !YEARS.contains(&y) {
        return None;
    }
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Converts an Excel date serial (1900 system: day 1 is 1900-01-01, and
/// Excel counts a 1900-02-29 that never was, so from March 1900 on a serial
/// is the days since 1899-12-30).
pub(crate) fn from_serial(serial: f64) -> Option<Date> {
    if !(1.0..=80_000.0).contains(&serial) {
        return None;
    }
    let day = jiff::civil::date(1899, 12, 30)
        .checked_add((serial.floor() as i64).days())
        .ok()?;
    YEARS.contains(&i64::from(day.year())).then_some(day)
}

/// The day (UTC) of a Unix time in seconds, as `SOURCE_DATE_EPOCH` gives it.
pub(crate) fn from_unix_seconds(seconds: i64) -> Option<Date> {
    let day = jiff::civil::date(1970, 1, 1)
        .checked_add(seconds.div_euclid(86_400).days())
        .ok()?;
    YEARS.contains(&i64::from(day.year())).then_some(day)
}

/// Reads a date as clerks write it: `2017-03-08`, `2017.3.8`, `2017/3/8`,
/// `2017年3月8日`, `20170308`, and ISO date-times.
pub(crate) fn parse_date_text(s: &str) -> Option<Date> {
    let s = compact(s);
    let s = s.split('T').next().unwrap_or("");
    let s = s.split(' ').next().unwrap_or("");
    if s.len() == 8 && s.chars().all(|c| c.is_ascii_digit()) {
        return from_digits(s.parse().ok()?);
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

/// A date written as the number 20170308.
pub(crate) fn from_digits(n: i64) -> Option<Date> {
    valid_date(n / 10_000, n / 100 % 100, n % 100)
}

/// Today, on this computer's clock and in its time zone.
pub fn today() -> Date {
    jiff::ZonedDateTime::now().date()
}

/// The week around `day`: Monday to Sunday.
pub fn week_of(day: Date) -> (Date, Date) {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    let monday = day.checked_sub(back.days()).unwrap_or(day);
    (monday, monday.checked_add(6.days()).unwrap_or(monday))
}

/// Shows a date the way clerks write it: `2017-03-08`.
pub(crate) fn show_date(d: Date) -> String {
    d.to_string()
}

/// A date as a report's text writes it: `2017年3月8日`.
pub(crate) fn written_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The next week's Monday (or the same day, past the last date there is).
pub(crate) fn week_after(monday: Date) -> Option<Date> {
    monday.checked_add(7.days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_as_written() {
        for written in [
            "2017-03-08",
            "2017.3.8",
            "2017/3/8",
            "2017年3月8日",
            "20170308",
            "2017-03-08T00:00:00",
            " 2017 - 03 - 08 ",
        ] {
            assert_eq!(
                parse_date_text(written),
                Some(date(2017, 3, 8)),
                "{written}"
            );
        }
        for wrong in [
            "2017-02-30",
            "3月8日",
            "8/3/2017",
            "2071-13-01",
            "1899-12-31",
            "",
        ] {
            assert_eq!(parse_date_text(wrong), None, "{wrong}");
        }
        assert_eq!(show_date(date(2017, 3, 8)), "2017-03-08");
    }

    #[test]
    fn excel_serials() {
        assert_eq!(from_serial(42802.0), Some(date(2017, 3, 8)));
        assert_eq!(from_serial(42794.0), Some(date(2017, 2, 28)));
        assert_eq!(from_serial(42794.75), Some(date(2017, 2, 28)));
        assert_eq!(from_serial(25569.0), None, "1970 is before any campaign");
        assert_eq!(from_serial(f64::NAN), None);
    }
}
