//! Timestamps in the two string forms EventLogFile CSVs use, without chrono on the hot path.
//!
//! `TIMESTAMP` is `yyyyMMddHHmmss.SSS` (GMT) and `TIMESTAMP_DERIVED` is ISO 8601 with a `Z`.
//! The benchmark generator formats millions of these per second, so the digits are written by
//! hand into a caller-owned buffer instead of going through a formatting machinery.

/// Milliseconds in one day.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// Milliseconds in one hour.
pub(crate) const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in one minute.
pub(crate) const MINUTE_MS: i64 = 60_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
pub(crate) const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 {
        yoe + era * 400 + 1
    } else {
        yoe + era * 400
    };
    (year, month, day)
}

/// Epoch milliseconds of midnight UTC of the given date.
pub(crate) const fn midnight_ms(year: i64, month: i64, day: i64) -> i64 {
    days_from_civil(year, month, day) * DAY_MS
}

/// Broken-down UTC time of an epoch-millisecond instant.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

fn parts(epoch_ms: i64) -> Parts {
    let days = epoch_ms.div_euclid(DAY_MS);
    let in_day = epoch_ms.rem_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: in_day / HOUR_MS,
        minute: in_day % HOUR_MS / MINUTE_MS,
        second: in_day % MINUTE_MS / 1000,
        milli: in_day % 1000,
    }
}

pub(crate) fn push_digits(out: &mut Vec<u8>, value: i64, width: usize) {
    let mut buf = [b'0'; 8];
    let mut v = value;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// Appends `yyyyMMddHHmmss.SSS` (the `TIMESTAMP` column).
pub(crate) fn push_compact(out: &mut Vec<u8>, epoch_ms: i64) {
    let p = parts(epoch_ms);
    push_digits(out, p.year, 4);
    push_digits(out, p.month, 2);
    push_digits(out, p.day, 2);
    push_digits(out, p.hour, 2);
    push_digits(out, p.minute, 2);
    push_digits(out, p.second, 2);
    out.push(b'.');
    push_digits(out, p.milli, 3);
}

/// Appends `YYYY-MM-DDTHH:MM:SS.sssZ` (the `TIMESTAMP_DERIVED` column).
pub(crate) fn push_iso(out: &mut Vec<u8>, epoch_ms: i64) {
    let p = parts(epoch_ms);
    push_digits(out, p.year, 4);
    out.push(b'-');
    push_digits(out, p.month, 2);
    out.push(b'-');
    push_digits(out, p.day, 2);
    out.push(b'T');
    push_digits(out, p.hour, 2);
    out.push(b':');
    push_digits(out, p.minute, 2);
    out.push(b':');
    push_digits(out, p.second, 2);
    out.push(b'.');
    push_digits(out, p.milli, 3);
    out.push(b'Z');
}

/// `TIMESTAMP` as an owned string.
pub(crate) fn compact(epoch_ms: i64) -> String {
    let mut out = Vec::with_capacity(18);
    push_compact(&mut out, epoch_ms);
    String::from_utf8(out).expect("digits are ASCII")
}

/// `TIMESTAMP_DERIVED` as an owned string.
pub(crate) fn iso(epoch_ms: i64) -> String {
    let mut out = Vec::with_capacity(24);
    push_iso(&mut out, epoch_ms);
    String::from_utf8(out).expect("digits are ASCII")
}

/// `YYYY-MM-DD` of the day containing the instant (used in file names).
pub(crate) fn date(epoch_ms: i64) -> String {
    let mut s = iso(epoch_ms);
    s.truncate(10);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_salesforce_examples() {
        // 2013-07-15 23:33:22.670 UTC, the TIMESTAMP example of the Salesforce docs.
        let t = midnight_ms(2013, 7, 15) + 23 * HOUR_MS + 33 * MINUTE_MS + 22_670;
        assert_eq!(compact(t), "20130715233322.670");
        assert_eq!(iso(t), "2013-07-15T23:33:22.670Z");
        assert_eq!(date(t), "2013-07-15");
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1, 0, 59, 60, 365, 11_016, 20_759, 40_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(midnight_ms(1970, 1, 1), 0);
    }
}
