//! The capacity plan in sentences, shared by the Markdown and HTML panels so both say the same.
//!
//! Capacity stage output, read by render. The sentences hold only numbers and dates, never log
//! text, but renderers escape them anyway like everything else they print.

use super::fit::Direction;
use super::growth::{Change, Growth};
use super::{signed, OrgCapacity, Trend};
use crate::text::thousands;

/// Growth rows the report panels show; the rest are in `summary.json`.
pub const GROWTH_ROWS: usize = 5;

/// The trend, or why there is none.
pub fn trend(c: &OrgCapacity) -> Option<String> {
    match (&c.trend, &c.trend_reason) {
        (Some(t), _) => Some(format!(
            "Daily peak over {} whole days ({} → {}): trend {} calls/day ({}; Theil–Sen, {:.0} % interval {} to {}), fitted {} → {}.",
            t.days_used,
            t.first_day,
            t.last_day,
            rounded(t.slope_per_day),
            direction(t),
            t.confidence * 100.0,
            bound(t.slope_low),
            bound(t.slope_high),
            calls(t.fitted_first),
            calls(t.fitted_last)
        )),
        (None, Some(why)) => Some(format!("No daily-peak trend: {why}.")),
        (None, None) => None,
    }
}

/// A level's note, without repeating the trend's reason: the panel says it once, above.
pub fn reach_note(c: &OrgCapacity, note: &str) -> String {
    match c.trend_reason.as_deref() {
        Some(why) if note.ends_with(why) && note.len() > why.len() => {
            format!("{}no trend (see above)", &note[..note.len() - why.len()])
        }
        _ => note.to_string(),
    }
}

/// The projection with every recommendation applied, in one sentence.
pub fn what_if(c: &OrgCapacity) -> Option<String> {
    let w = c.what_if.as_ref()?;
    let peak = w.max_daily_peak.map_or_else(
        || "no counted calls would be left".to_string(),
        |p| match c.allocation {
            Some(a) if a > 0 => format!(
                "the highest daily peak would be {} ({:.1} % of the allocation)",
                crate::text::thousands(p),
                p as f64 * 100.0 / a as f64
            ),
            _ => format!("the highest daily peak would be {}", crate::text::thousands(p)),
        },
    );
    let Some(slope) = w.trend_per_day else {
        let why = match w.trend_reason.as_deref() {
            Some(why) if c.trend_reason.as_deref() == Some(why) => "the same reason as above",
            Some(why) => why,
            None => "no trend",
        };
        return Some(format!(
            "With every recommendation applied, {peak}; no projection: {why}."
        ));
    };
    let levels: Vec<String> = w
        .reaches
        .iter()
        .map(|r| format!("{:.0} %: {}", r.share * 100.0, r.note))
        .collect();
    Some(format!(
        "With every recommendation applied, {peak}; trend {} calls/day; {}.",
        rounded(slope),
        levels.join("; ")
    ))
}

/// `+1,500/day (increasing)`, for index tables.
pub fn trend_cell(t: &Trend) -> String {
    let dir = match t.direction {
        Direction::Increasing => "increasing",
        Direction::Flat => "flat",
        Direction::Decreasing => "decreasing",
    };
    format!("{}/day ({dir})", rounded(t.slope_per_day))
}

fn direction(t: &Trend) -> &'static str {
    match t.direction {
        Direction::Increasing => "rising",
        Direction::Flat => "flat within noise",
        Direction::Decreasing => "falling",
    }
}

/// Weekdays against weekends, or why not shown.
pub fn week(c: &OrgCapacity) -> Option<String> {
    match (&c.weekday_weekend, &c.weekday_weekend_reason) {
        (Some(w), _) => Some(format!(
            "Weekdays vs weekend (UTC): median daily peak {} on weekdays, {} at weekends ({} of the weekday level).",
            calls(w.weekday_median_peak),
            calls(w.weekend_median_peak),
            w.weekend_to_weekday.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
        )),
        (None, Some(why)) => Some(format!("Weekdays vs weekend: not shown, {why}.")),
        (None, None) => None,
    }
}

/// The growth periods and the org's change.
pub fn growth(g: &Growth) -> String {
    let basis = if g.basis == "weeks" {
        "first week against last week"
    } else {
        "first third of the days against last third"
    };
    format!(
        "Growth, {basis}: {} → {} ({}) against {} → {} ({}). Org calls per day {}; daily peak {}.",
        g.first.from,
        g.first.to,
        crate::text::count_of(g.first.days as u64, "day"),
        g.last.from,
        g.last.to,
        crate::text::count_of(g.last.days as u64, "day"),
        change(&g.org_calls_per_day),
        change(&g.org_daily_peak)
    )
}

/// `1,000 → 1,400 (+400)`.
pub fn change(c: &Change) -> String {
    format!("{} → {} ({})", calls(c.first), calls(c.last), rounded(c.change))
}

/// A mean or fitted number of calls, rounded, never below zero.
pub fn calls(v: f64) -> String {
    thousands(v.max(0.0).round() as u64)
}

/// A signed rate, rounded to whole calls.
pub fn rounded(v: f64) -> String {
    signed(v.round() as i64)
}

fn bound(v: Option<f64>) -> String {
    v.map_or_else(|| "unbounded".into(), rounded)
}
