//! Where a log file goes: `DIR/<org 15>/<EventType>/<LogDate>_<Interval>[_<hour>_seq<N>].csv`.
//! Names come from the server, so each part is checked to be a plain path component.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::query::LogRecord;

/// The suffix of a download in progress; such files are fetch's own and removed when stale.
pub const PARTIAL_SUFFIX: &str = ".apiusage-partial";

/// The file's path relative to the fetch folder, with `/` separators (the state's key).
pub fn relative_path(org15: &str, rec: &LogRecord) -> Result<String, String> {
    if !is_plain(&rec.event_type) {
        return Err(format!("event type {:?} is not a plain name", rec.event_type));
    }
    let at =
        parse_sf_time(&rec.log_date).ok_or_else(|| format!("LogDate {:?} is not a time", rec.log_date))?;
    let date = at.format("%Y-%m-%d");
    let name = match rec.interval.as_deref() {
        Some("Hourly") => format!(
            "{date}_Hourly_{}_seq{}.csv",
            at.format("%H"),
            rec.sequence.unwrap_or(1)
        ),
        Some("Daily") | None => format!("{date}_Daily.csv"),
        Some(other) => return Err(format!("interval {other:?} is neither Daily nor Hourly")),
    };
    Ok(format!("{org15}/{}/{name}", rec.event_type))
}

/// The temporary name a file is downloaded under before it is renamed into place.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(PARTIAL_SUFFIX);
    path.with_file_name(name)
}

/// Salesforce's `2026-11-02T00:00:00.000+0000` (or RFC 3339) as UTC.
pub fn parse_sf_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Letters, digits and `_`, at most 80 characters: safe as a folder or file name everywhere.
pub fn is_plain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 80 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(event_type: &str, interval: Option<&str>, log_date: &str, seq: Option<i64>) -> LogRecord {
        LogRecord {
            id: "0AT000000000001".into(),
            event_type: event_type.into(),
            interval: interval.map(str::to_string),
            log_date: log_date.into(),
            sequence: seq,
            created_date: "2026-11-03T03:00:00.000+0000".into(),
            log_file_length: Some(10.0),
        }
    }

    #[test]
    fn daily_and_hourly_names() {
        let d = rec(
            "ApiTotalUsage",
            Some("Daily"),
            "2026-11-02T00:00:00.000+0000",
            Some(0),
        );
        assert_eq!(
            relative_path("00D5j000000VI3n", &d).unwrap(),
            "00D5j000000VI3n/ApiTotalUsage/2026-11-02_Daily.csv"
        );
        let h = rec("RestApi", Some("Hourly"), "2026-11-02T13:00:00.000+0000", Some(2));
        assert_eq!(
            relative_path("00D5j000000VI3n", &h).unwrap(),
            "00D5j000000VI3n/RestApi/2026-11-02_Hourly_13_seq2.csv"
        );
        let shifted = rec("Login", Some("Daily"), "2026-11-02T00:00:00.000-0800", None);
        assert!(relative_path("X", &shifted)
            .unwrap()
            .ends_with("2026-11-02_Daily.csv"));
    }

    #[test]
    fn hostile_names_are_refused() {
        for bad in ["../etc", "a/b", "", "Api Total"] {
            let r = rec(bad, Some("Daily"), "2026-11-02T00:00:00.000+0000", None);
            assert!(relative_path("X", &r).is_err(), "{bad}");
        }
        let r = rec("Login", Some("Weekly"), "2026-11-02T00:00:00.000+0000", None);
        assert!(relative_path("X", &r).is_err());
        assert_eq!(
            partial_path(Path::new("a/b.csv")),
            PathBuf::from("a/b.csv.apiusage-partial")
        );
    }
}
