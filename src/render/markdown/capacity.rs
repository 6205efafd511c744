//! The capacity panel of `report.md` (SPEC.md §3.6): each org's daily-peak trend, when it
//! reaches 80 % and 100 % of the allocation (or why no date is given), the weekday/weekend
//! difference, which integrations drive the change, and the daily peaks themselves.
//!
//! Render stage: reads the `Analysis`' capacity plans only; sentences come from
//! `capacity::text`, shared with the HTML panel; labels from the logs are escaped.

use std::fmt::Write;

use crate::render::zone::DisplayZone;

use super::{code_cell, esc, pct};
use crate::capacity::text::{self, calls, rounded, GROWTH_ROWS};
use crate::capacity::{OrgCapacity, ReachStatus};
use crate::text::thousands;

/// Daily rows shown: the last month; the full series is in `summary.json`.
const DAILY_ROWS: usize = 31;

/// `### Capacity` for one org.
pub(super) fn panel(md: &mut String, c: &OrgCapacity, zone: DisplayZone) {
    let _ = writeln!(md, "### Capacity\n");
    if let Some(t) = text::trend(c) {
        let _ = writeln!(md, "{}\n", esc(&t));
    }
    for r in &c.reaches {
        let _ = writeln!(
            md,
            "- {:.0} %: {}",
            r.share * 100.0,
            esc(&text::reach_note(c, &r.note))
        );
    }
    if let Some(w) = text::week(c) {
        let _ = writeln!(md, "- {}", esc(&w));
    }
    if let Some(w) = text::what_if(c) {
        let _ = writeln!(md, "- What-if: {}", esc(&w));
    }
    md.push('\n');
    growth(md, c);
    daily(md, c, zone);
}

/// The two cells of the org index: the trend and the 100 % date.
pub(super) fn index_cells(c: Option<&OrgCapacity>) -> (String, String) {
    let Some(c) = c else {
        return ("–".into(), "–".into());
    };
    let trend = c.trend.as_ref().map_or_else(|| "–".into(), text::trend_cell);
    (trend, reach_cell(c))
}

/// `2026-12-12`, `reached 2026-11-18` or `–`.
fn reach_cell(c: &OrgCapacity) -> String {
    match c.reach(1.0) {
        Some(r) if r.status == ReachStatus::Reached => {
            format!("reached {}", r.at.as_deref().unwrap_or(""))
        }
        Some(r) if r.status == ReachStatus::Projected => r.at.clone().unwrap_or_default(),
        _ => "–".into(),
    }
}

fn growth(md: &mut String, c: &OrgCapacity) {
    let Some(g) = &c.growth else {
        if let Some(why) = &c.growth_reason {
            let _ = writeln!(md, "Growth per integration: not shown, {}.\n", esc(why));
        }
        return;
    };
    let _ = writeln!(md, "{}\n", esc(&text::growth(g)));
    let _ = writeln!(md, "| Integration | Calls/day, first | Calls/day, last | Change | Share of org change | Daily peak, first → last |");
    let _ = writeln!(md, "|---|--:|--:|--:|--:|---|");
    for i in g.integrations.iter().take(GROWTH_ROWS) {
        let (c, p) = (&i.calls_per_day, &i.daily_peak);
        let _ = writeln!(
            md,
            "| {}<br>{} | {} | {} | {} | {} | {} → {} |",
            esc(&i.label),
            code_cell(&i.key),
            calls(c.first),
            calls(c.last),
            rounded(c.change),
            pct(i.share_of_org_change),
            calls(p.first),
            calls(p.last)
        );
    }
    if g.integrations.len() > GROWTH_ROWS {
        let more = g.integrations.len() - GROWTH_ROWS;
        let _ = writeln!(md, "\n{more} more integration(s) in `summary.json`.");
    }
    md.push('\n');
}

fn daily(md: &mut String, c: &OrgCapacity, zone: DisplayZone) {
    if c.daily.is_empty() {
        return;
    }
    let skip = c.daily.len().saturating_sub(DAILY_ROWS);
    if skip > 0 {
        let all = c.daily.len();
        let _ = writeln!(
            md,
            "Daily peaks, the last {DAILY_ROWS} days (all {all} in `summary.json`):\n"
        );
    }
    let _ = writeln!(
        md,
        "| Day (UTC) | Calls | Peak (24 h) | Peak at {} | Share |\n|---|--:|--:|---|--:|",
        crate::render::text::zone_header(zone)
    );
    for d in &c.daily[skip..] {
        let peak = d.peak.map_or_else(|| "–".into(), thousands);
        let at = d
            .peak_at
            .as_deref()
            .map_or_else(|| "–".into(), |t| crate::render::text::clock_cell(t, false, zone));
        let share = pct(d.share_of_allocation);
        let _ = writeln!(
            md,
            "| {} | {} | {peak} | {at} | {share} |",
            d.date,
            thousands(d.calls)
        );
    }
    md.push('\n');
}
