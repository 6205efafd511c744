//! Plain-text formatters shared by the Markdown and HTML renderers (render stage), so both
//! write shares and peak changes the same way. Callers escape for their markup.

use crate::analysis::PeakView;
use crate::render::zone::DisplayZone;
use crate::text::thousands;

/// A share as `85.0 %`, or `–` when unknown.
pub fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
}

/// `12,753 → 5,382 (85.0 % → 35.9 %)`; shares only when the allocation is known.
pub fn peak_change(before: &Option<PeakView>, after: &Option<PeakView>) -> String {
    let calls = |p: &Option<PeakView>| thousands(p.as_ref().map_or(0, |p| p.calls));
    let share = |p: &Option<PeakView>| p.as_ref().and_then(|p| p.share_of_allocation);
    let change = format!("{} → {}", calls(before), calls(after));
    match share(before) {
        Some(_) => format!(
            "{change} ({} → {})",
            pct(share(before)),
            pct(Some(share(after).unwrap_or(0.0)))
        ),
        None => change,
    }
}

/// The one terminal sanitiser ([`crate::text::clean`]), for the renderers.
pub use crate::text::clean;

/// An RFC 3339 instant for people, in the display zone (`--tz`): `Nov 3 at 21:57 UTC`,
/// `Nov 3 at 23:57 UTC+02:00` or `Nov 3 at 22:57 CET`. JSON and CSV keep RFC 3339; text that
/// is not a time is returned as it is.
pub fn human_time(rfc3339: &str, zone: DisplayZone) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    let ms = t.timestamp_millis();
    let local = t.with_timezone(&zone.fixed_at(ms));
    format!(
        "{} at {} {}",
        local.format("%b %-d"),
        local.format("%H:%M"),
        zone.label_at(ms)
    )
}

/// An RFC 3339 instant for report text in the display zone: `Nov 3, 21:57:16 UTC` or
/// `Nov 3, 22:57:16 CET` (`with_year`: `Nov 3, 2026, 21:57:16 UTC`). Milliseconds stay in
/// JSON and CSV.
pub fn clock(rfc3339: &str, with_year: bool, zone: DisplayZone) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => format!(
            "{} {}",
            clock_cell(rfc3339, with_year, zone),
            zone.label_at(t.timestamp_millis())
        ),
        Err(_) => rfc3339.to_string(),
    }
}

/// [`clock`] without the zone, for table cells whose header names it ([`zone_header`]).
pub fn clock_cell(rfc3339: &str, with_year: bool, zone: DisplayZone) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    let local = t.with_timezone(&zone.fixed_at(t.timestamp_millis()));
    let format = if with_year {
        "%b %-d, %Y, %H:%M:%S"
    } else {
        "%b %-d, %H:%M:%S"
    };
    local.format(format).to_string()
}

/// A table header's zone: `(UTC)`, `(Europe/Paris)`.
pub fn zone_header(zone: DisplayZone) -> String {
    format!("({})", zone.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_people_follow_the_display_offset() {
        let utc = DisplayZone::Utc;
        assert_eq!(human_time("2026-11-03T21:57:16.735Z", utc), "Nov 3 at 21:57 UTC");
        assert_eq!(
            human_time("2026-11-03T23:30:00.000Z", DisplayZone::Fixed(120)),
            "Nov 4 at 01:30 UTC+02:00"
        );
        let paris = DisplayZone::parse("Europe/Paris").unwrap();
        assert_eq!(human_time("2026-10-24T21:57:00Z", paris), "Oct 24 at 23:57 CEST");
        assert_eq!(human_time("2026-10-25T21:57:00Z", paris), "Oct 25 at 22:57 CET");
        assert_eq!(human_time("not a time", utc), "not a time");
        assert_eq!(
            clock("2026-11-03T21:57:16.735Z", false, utc),
            "Nov 3, 21:57:16 UTC"
        );
        assert_eq!(
            clock("2026-11-03T21:57:16.735Z", true, utc),
            "Nov 3, 2026, 21:57:16 UTC"
        );
        assert_eq!(
            clock("2026-11-03T21:57:16.735Z", false, paris),
            "Nov 3, 22:57:16 CET"
        );
        assert_eq!(clock_cell("–", false, paris), "–");
    }
}
