//! The capacity section of `report.html` (SPEC.md §3.6): per org, riskiest first, the daily-peak
//! trend, when it reaches 80 % and 100 % of the allocation (or why no date is given), the
//! weekday/weekend difference, who drives the growth, and the daily peaks (folded).
//!
//! Render stage: reads the `Analysis`' capacity plans; the sentences are `capacity::text`'s,
//! the same as in `report.md`; everything printed goes through [`esc`].

use std::fmt::Write;

use crate::render::zone::DisplayZone;

use super::{esc, num, org_title, pct};
use crate::analysis::Analysis;
use crate::capacity::text::{self, calls, rounded, GROWTH_ROWS};
use crate::capacity::OrgCapacity;
use crate::render::bound::Sections;
use crate::text::thousands;

/// `<section id="capacity">`, one block per org.
pub(super) fn section(h: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    h.push_str("<section id=\"capacity\"><h2>Capacity</h2>\n");
    h.push_str("<p>Each org's daily peak (the highest rolling 24-hour usage reached during each UTC day) with a robust trend (Theil–Sen: one bad day hardly moves it), and when the trend reaches 80 % and 100 % of the allocation — or why no honest date can be given.</p>\n");
    for org in a.orgs_by_risk().into_iter().filter(|o| sections.has(&o.org_id)) {
        if let Some(c) = a.capacity_of(&org.org_id) {
            let _ = writeln!(h, "<h3>Org {}</h3>", org_title(org));
            org_block(h, c, zone);
        }
    }
    h.push_str("</section>\n");
}

fn org_block(h: &mut String, c: &OrgCapacity, zone: DisplayZone) {
    if let Some(t) = text::trend(c) {
        let _ = writeln!(h, "<p>{}</p>", esc(&t));
    }
    h.push_str("<ul>\n");
    for r in &c.reaches {
        let _ = writeln!(
            h,
            "<li><strong>{:.0} %</strong>: {}</li>",
            r.share * 100.0,
            esc(&text::reach_note(c, &r.note))
        );
    }
    if let Some(w) = text::week(c) {
        let _ = writeln!(h, "<li>{}</li>", esc(&w));
    }
    if let Some(w) = text::what_if(c) {
        let _ = writeln!(h, "<li><strong>What-if</strong>: {}</li>", esc(&w));
    }
    h.push_str("</ul>\n");
    growth(h, c);
    daily(h, c, zone);
}

fn growth(h: &mut String, c: &OrgCapacity) {
    let Some(g) = &c.growth else {
        if let Some(why) = &c.growth_reason {
            let _ = writeln!(h, "<p>Growth per integration: not shown, {}.</p>", esc(why));
        }
        return;
    };
    let _ = writeln!(h, "<p>{}</p>", esc(&text::growth(g)));
    h.push_str("<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr><th class=\"sort\">Integration</th><th class=\"sort n\">Calls/day, first</th><th class=\"sort n\">Calls/day, last</th><th class=\"sort n\">Change</th><th class=\"sort n\">Share of org change</th><th>Daily peak, first → last</th></tr></thead><tbody>\n");
    for i in g.integrations.iter().take(GROWTH_ROWS) {
        let (c, p) = (&i.calls_per_day, &i.daily_peak);
        let _ = writeln!(
            h,
            "<tr><td>{} <span class=\"mono\">{}</span></td>{}{}{}{}<td class=\"t\">{} → {}</td></tr>",
            esc(&i.label),
            esc(&i.key),
            num(Some(c.first), &calls(c.first)),
            num(Some(c.last), &calls(c.last)),
            num(Some(c.change), &rounded(c.change)),
            num(i.share_of_org_change, &pct(i.share_of_org_change)),
            calls(p.first),
            calls(p.last)
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn daily(h: &mut String, c: &OrgCapacity, zone: DisplayZone) {
    if c.daily.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<details><summary>Daily peaks ({} days)</summary>",
        c.daily.len()
    );
    let zh = esc(&crate::render::text::zone_header(zone));
    h.push_str(&format!("<div class=\"scroll\"><table>\n<thead><tr><th>Day (UTC)</th><th class=\"n\">Calls</th><th class=\"n\">Peak (24 h)</th><th>Peak at {zh}</th><th class=\"n\">Share</th></tr></thead><tbody>\n"));
    for d in &c.daily {
        let _ = writeln!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"t\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&d.date),
            thousands(d.calls),
            d.peak.map_or_else(|| "–".into(), thousands),
            esc(&d.peak_at.as_deref().map_or_else(|| "–".into(), |t| crate::render::text::clock_cell(t, false, zone))),
            pct(d.share_of_allocation)
        );
    }
    h.push_str("</tbody></table></div></details>\n");
}
