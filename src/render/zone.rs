//! The display time zone (`--tz`, render stage): UTC, a fixed offset (`+02:00`) or an IANA zone
//! (`Europe/Paris`, with its daylight-saving rules from the tz database in chrono-tz). Only what
//! is shown to people follows it — the times in report.md, report.html and the digest, the
//! chart axes and the heatmap's hours and days; the analysis, JSON, CSV, daily peaks and the
//! store stay in UTC (the allocation window knows no days).

use chrono::{FixedOffset, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Where displayed times are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DisplayZone {
    /// UTC (the default).
    #[default]
    Utc,
    /// A fixed offset from UTC, in minutes.
    Fixed(i32),
    /// An IANA zone.
    Named(Tz),
}

impl DisplayZone {
    /// Parses `--tz`: `UTC`, `Z`, an offset (`+02:00`, `-0530`, `+2`) or an IANA name.
    pub fn parse(s: &str) -> Result<DisplayZone, String> {
        if let Ok(minutes) = super::chart::parse_offset(s) {
            return Ok(match minutes {
                0 => DisplayZone::Utc,
                m => DisplayZone::Fixed(m),
            });
        }
        s.trim().parse::<Tz>().map(DisplayZone::Named).map_err(|_| {
            format!("--tz {s}: give an IANA time zone such as Europe/Paris or America/New_York, an offset from UTC such as +02:00, or UTC")
        })
    }

    /// The offset from UTC at the instant `ms` (UTC milliseconds), in minutes.
    pub fn offset_minutes_at(self, ms: i64) -> i32 {
        match self {
            DisplayZone::Utc => 0,
            DisplayZone::Fixed(m) => m,
            DisplayZone::Named(tz) => match Utc.timestamp_millis_opt(ms).single() {
                Some(t) => {
                    tz.offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc()
                        / 60
                }
                None => 0,
            },
        }
    }

    /// The fixed offset at `ms`, for formatting.
    pub fn fixed_at(self, ms: i64) -> FixedOffset {
        FixedOffset::east_opt(self.offset_minutes_at(ms) * 60).unwrap_or(Utc.fix())
    }

    /// The zone's name as the report writes it: `UTC`, `UTC+02:00`, or `Europe/Paris`.
    pub fn name(self) -> String {
        match self {
            DisplayZone::Utc => "UTC".into(),
            DisplayZone::Fixed(m) => super::chart::zone_name(m),
            DisplayZone::Named(tz) => tz.name().into(),
        }
    }

    /// The abbreviation shown after a time at `ms`: `UTC`, `UTC+02:00`, or the zone's own
    /// (`CET`, `CEST`), which says whether summer time applies.
    pub fn label_at(self, ms: i64) -> String {
        match self {
            DisplayZone::Named(tz) => match Utc.timestamp_millis_opt(ms).single() {
                Some(t) => t.with_timezone(&tz).format("%Z").to_string(),
                None => tz.name().into(),
            },
            other => other.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn offsets_names_and_errors() {
        assert_eq!(DisplayZone::parse("UTC"), Ok(DisplayZone::Utc));
        assert_eq!(DisplayZone::parse("+02:00"), Ok(DisplayZone::Fixed(120)));
        assert_eq!(DisplayZone::parse("Europe/Paris").unwrap().name(), "Europe/Paris");
        let e = DisplayZone::parse("Mars/Olympus").unwrap_err();
        assert!(
            e.contains("--tz Mars/Olympus") && e.contains("Europe/Paris"),
            "{e}"
        );
    }

    #[test]
    fn paris_follows_summer_time_across_the_october_change() {
        let paris = DisplayZone::parse("Europe/Paris").unwrap();
        // 2026-10-25: clocks go back at 01:00 UTC (03:00 CEST → 02:00 CET).
        assert_eq!(paris.offset_minutes_at(ms("2026-10-25T00:59:59Z")), 120);
        assert_eq!(paris.offset_minutes_at(ms("2026-10-25T01:00:00Z")), 60);
        assert_eq!(paris.label_at(ms("2026-10-24T12:00:00Z")), "CEST");
        assert_eq!(paris.label_at(ms("2026-10-26T12:00:00Z")), "CET");
        // 2026-03-29: clocks go forward at 01:00 UTC.
        assert_eq!(paris.offset_minutes_at(ms("2026-03-29T00:59:59Z")), 60);
        assert_eq!(paris.offset_minutes_at(ms("2026-03-29T01:00:00Z")), 120);
    }
}
