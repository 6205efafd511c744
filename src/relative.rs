//! Times on the command line: RFC 3339, a date, or a span back from the run's time (`7d`,
//! `24h`, `90m`). Part of the configuration step; the anchor (`--generated-at`, else the
//! clock read once in `main`) is passed in, so a relative range is as reproducible as the run.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// What every bad time's message ends with.
const EXPECTED: &str =
    "give an RFC 3339 time (2026-11-02T10:00:00Z), a date (2026-11-02, its 00:00 UTC) or a span back from the run's time (90m, 24h, 7d)";

/// Parses RFC 3339 (`2026-11-02T10:00:00Z`) or a date (`2026-11-02`, its 00:00 UTC).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("`{s}` is not an RFC 3339 time (2026-11-02T10:00:00Z) or a date (2026-11-02)"))
}

/// A time, or a span (`7d`) meaning that long before `anchor`.
pub fn parse_bound(s: &str, anchor: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(span) = parse_span(s)? {
        return Ok(anchor - span);
    }
    parse_time(s).map_err(|_| format!("`{s}` is not a time; {EXPECTED}"))
}

/// `N` followed by `d`, `h` or `m` (days, hours, minutes), N ≥ 1. `Ok(None)`: not a span at
/// all (a date, say); `Err`: a span with a bad number or unit.
pub fn parse_span(s: &str) -> Result<Option<Duration>, String> {
    let t = s.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || t.contains(['-', ':', 'T']) {
        return Ok(None);
    }
    let (number, unit) = t.split_at(digits);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{s}`: the span is too long"))?;
    let minutes_per = match unit {
        "d" => 24 * 60,
        "h" => 60,
        "m" => 1,
        _ => {
            return Err(format!(
                "`{s}`: a span's unit is d, h or m (days, hours, minutes), e.g. 7d"
            ))
        }
    };
    // Ten years is beyond any log Salesforce keeps; it also keeps the arithmetic in range.
    let minutes = n
        .checked_mul(minutes_per)
        .filter(|m| (1..=10 * 366 * 24 * 60).contains(m));
    match minutes {
        Some(m) => Ok(Some(Duration::minutes(m))),
        None if n == 0 => Err(format!("`{s}`: a span must be at least 1 {unit}")),
        None => Err(format!("`{s}`: the span is too long (at most ten years)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> DateTime<Utc> {
        parse_time("2026-11-05T06:30:00Z").unwrap()
    }

    #[test]
    fn times_parse_as_rfc3339_or_dates() {
        assert_eq!(
            parse_time("2026-11-02").unwrap().to_rfc3339(),
            "2026-11-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-02T12:00:00+02:00").unwrap().to_rfc3339(),
            "2026-11-02T10:00:00+00:00"
        );
        assert!(parse_time("02/11/2026").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn spans_count_back_from_the_anchor() {
        let at = |s: &str| parse_bound(s, anchor()).unwrap().to_rfc3339();
        assert_eq!(at("7d"), "2026-10-29T06:30:00+00:00");
        assert_eq!(at("24h"), "2026-11-04T06:30:00+00:00");
        assert_eq!(at("90m"), "2026-11-05T05:00:00+00:00");
        assert_eq!(at(" 2026-11-02 "), "2026-11-02T00:00:00+00:00");
    }

    #[test]
    fn bad_spans_say_what_is_expected() {
        let err = |s: &str| parse_bound(s, anchor()).unwrap_err();
        assert!(err("7w").contains("unit is d, h or m"), "{}", err("7w"));
        assert!(err("0d").contains("at least 1 d"), "{}", err("0d"));
        assert!(err("99999999999d").contains("too long"));
        assert!(err("yesterday").contains("90m, 24h, 7d"), "{}", err("yesterday"));
    }
}
