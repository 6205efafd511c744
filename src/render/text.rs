//! Plain-text formatters shared by the Markdown and HTML renderers (render stage), so both
//! write shares and peak changes the same way. Callers escape for their markup.

use crate::analysis::PeakView;
use crate::model::thousands;

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

/// An RFC 3339 instant for people, in the display offset (`--tz`): `Nov 3 at 21:57 UTC`, or
/// `Nov 3 at 23:57 UTC+02:00`. JSON and CSV keep RFC 3339; text that is not a time is returned
/// as it is.
pub fn human_time(rfc3339: &str, offset_minutes: i32) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    let Some(zone) = chrono::FixedOffset::east_opt(offset_minutes * 60) else {
        return rfc3339.to_string();
    };
    let local = t.with_timezone(&zone);
    format!(
        "{} at {} {}",
        local.format("%b %-d"),
        local.format("%H:%M"),
        crate::render::chart::zone_name(offset_minutes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_people_follow_the_display_offset() {
        assert_eq!(human_time("2026-11-03T21:57:16.735Z", 0), "Nov 3 at 21:57 UTC");
        assert_eq!(
            human_time("2026-11-03T23:30:00.000Z", 120),
            "Nov 4 at 01:30 UTC+02:00"
        );
        assert_eq!(human_time("not a time", 0), "not a time");
    }
}
