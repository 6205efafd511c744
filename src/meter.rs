//! Salesforce's own meter beside the usage rebuilt from the logs: a `/limits` reading that
//! `apiusage fetch` timed (`Max − Remaining` at that instant) compared with the counted calls in
//! the 24 hours before the same instant, when the logs reach it (hourly files).
//!
//! Place: after usage (it reads the org's per-minute series), before analysis (which puts the
//! result beside the allocation). Time comes from the reading, never from the clock.

use serde::Serialize;

use crate::allocation::MeterReading;
use crate::usage::OrgSeries;
use crate::window;

/// The meter reading and the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeterView {
    /// When `/limits` was read (RFC 3339).
    pub at: String,
    /// `Max − Remaining` then: calls Salesforce counted in the 24 hours before `at`.
    pub used: u64,
    /// Counted calls in the 24 hours before `at` (to the minute), rebuilt from the logs; absent
    /// when the logs end before `at`.
    pub rebuilt_from_logs: Option<u64>,
    /// `used − rebuilt_from_logs`.
    pub difference: Option<i64>,
    /// One sentence for the report: the numbers and what explains the difference.
    pub note: String,
}

/// The comparison for one org with a timed `/limits` reading. `last_call` is the org's last
/// call (ms).
pub fn compare(
    reading: Option<MeterReading>,
    series: Option<&OrgSeries>,
    last_call: Option<i64>,
) -> Option<MeterView> {
    let MeterReading { used, at: at_text } = reading?;
    let at = chrono::DateTime::parse_from_rfc3339(&at_text)
        .ok()?
        .timestamp_millis();
    let rebuilt = series.and_then(|s| usage_at(&s.org, at, last_call));
    let note = match (rebuilt, last_call) {
        (Some(r), _) => {
            let d = used as i64 - r as i64;
            format!(
                "Salesforce's meter read {} calls at {at_text} (Max − Remaining); the logs give {} \
                 for the same 24 hours, a difference of {d:+}. Salesforce updates its meter \
                 asynchronously, the last hours' calls may not be in a log file yet, and calls the \
                 logs do not list (e.g. logins) are not rebuilt",
                crate::text::thousands(used),
                crate::text::thousands(r),
            )
        }
        (None, Some(last)) => format!(
            "Salesforce's meter read {} calls at {at_text} (Max − Remaining); the logs end at {}, \
             before that instant, so they cannot be compared yet (daily files arrive the next day, \
             hourly ones 3–6 hours late: fetch --interval hourly later and report again)",
            crate::text::thousands(used),
            crate::text::rfc3339(last),
        ),
        (None, None) => format!(
            "Salesforce's meter read {} calls at {at_text} (Max − Remaining); no counted calls in \
             the logs to compare with",
            crate::text::thousands(used)
        ),
    };
    Some(MeterView {
        at: at_text,
        used,
        rebuilt_from_logs: rebuilt,
        difference: rebuilt.map(|r| used as i64 - r as i64),
        note,
    })
}

/// Rolling usage at the end of the minute holding `at`, if the logs reach that minute (the
/// series runs from the org's first call to its last; a minute it leaves out has no usage).
fn usage_at(series: &window::MinuteSeries, at: i64, last_call: Option<i64>) -> Option<u64> {
    let m = window::minute_of(at);
    let first = *series.minutes.first()?;
    if m < first || m > window::minute_of(last_call?) {
        return None;
    }
    match series.minutes.binary_search(&m) {
        Ok(i) => series.usage_end.get(i).copied(),
        Err(_) => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn reading(at: &str) -> Option<MeterReading> {
        Some(MeterReading {
            used: 10,
            at: at.to_string(),
        })
    }

    fn series(calls: &[i64]) -> OrgSeries {
        let (from, to) = (
            window::minute_of(calls[0]),
            window::minute_of(*calls.last().unwrap()),
        );
        OrgSeries {
            org: window::minute_series(calls, from, to),
            integrations: Vec::new(),
            daily: Vec::new(),
            lower_bound_until: None,
        }
    }

    #[test]
    fn the_reading_is_compared_when_the_logs_reach_it() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-04T06:00:30Z")
            .unwrap()
            .timestamp_millis();
        // 7 calls in the 24 h before the reading, one older, two after.
        let mut calls = vec![at - 25 * 3_600_000];
        calls.extend((0..7).map(|i| at - 3_600_000 + i * 1000));
        calls.extend([at + 60_000, at + 120_000]);
        let m = compare(
            reading("2026-11-04T06:00:30Z"),
            Some(&series(&calls)),
            calls.last().copied(),
        )
        .unwrap();
        assert_eq!(
            (m.used, m.rebuilt_from_logs, m.difference),
            (10, Some(7), Some(3))
        );
        assert!(m.note.contains("a difference of +3"), "{}", m.note);
    }

    #[test]
    fn a_reading_in_a_quiet_stretch_of_the_logs_compares_with_zero() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap()
            .timestamp_millis();
        let calls = [t0, t0 + 48 * 3_600_000];
        let m = compare(
            reading("2026-11-03T06:00:00Z"),
            Some(&series(&calls)),
            Some(calls[1]),
        )
        .unwrap();
        assert_eq!((m.rebuilt_from_logs, m.difference), (Some(0), Some(10)));
    }

    #[test]
    fn logs_that_end_before_the_reading_are_not_compared() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-04T06:00:00Z")
            .unwrap()
            .timestamp_millis();
        let calls = [at - 7 * 3_600_000, at - 6 * 3_600_000];
        let m = compare(
            reading("2026-11-04T06:00:00Z"),
            Some(&series(&calls)),
            Some(calls[1]),
        )
        .unwrap();
        assert_eq!((m.rebuilt_from_logs, m.difference), (None, None));
        assert!(
            m.note.contains("the logs end at 2026-11-04T00:00:00"),
            "{}",
            m.note
        );
        assert!(compare(None, None, None).is_none());
    }
}
