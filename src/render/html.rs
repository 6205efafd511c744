//! `report.html`: the report's panels (SPEC.md §4) as one self-contained page — inline CSS,
//! the charts as inline SVG, a small inline script that sorts the integrations tables, and
//! nothing fetched from anywhere. Readable on a laptop and on paper.
//!
//! Render stage: reads only the `Analysis` and the charts drawn from it. Every string that
//! comes from the logs (org ids, connected-app and client names, users, resources, file
//! paths, reasons) goes through [`esc`]; anchors use positions, never log text.

mod capacity;

use super::text::{pct, peak_change};
use std::fmt::Write;

use crate::analysis::{Analysis, IntegrationReport, OrgReport, PeakView, RecommendationView};
use crate::findings::{Finding, FindingKind};
use crate::render::bound::{self, Sections};
use crate::render::chart::OrgCharts;
use crate::render::zone::DisplayZone;
use crate::text::thousands;
use crate::usage::Count;

const CSS: &str = include_str!("../../assets/report.css");
const SORT_SCRIPT: &str = include_str!("../../assets/report.js");

/// Renders the page; `charts[i]` are the charts of org `i` (empty with `--charts none`);
/// `zone` is the display zone of the summary's times (`--tz`).
pub fn render(a: &Analysis, charts: &[OrgCharts], zone: DisplayZone) -> Vec<u8> {
    let mut h = String::with_capacity(64 * 1024);
    let sections = Sections::of(a);
    head(&mut h);
    top(&mut h, a, &sections, zone);
    h.push_str("<main class=\"wrap\">\n");
    summary(&mut h, a, zone);
    overview(&mut h, a, &sections, zone);
    findings(&mut h, a, &sections);
    for &i in sections.in_risk_order() {
        org_section(&mut h, a, i, &a.orgs[i], charts.get(i), zone);
    }
    recommendations(&mut h, a, &sections, zone);
    capacity::section(&mut h, a, &sections, zone);
    data_quality(&mut h, a);
    h.push_str("</main>\n");
    let _ = writeln!(
        h,
        "<footer class=\"wrap\">apiusage {} · generated {} · rolling 24-hour usage is exact: a call counts from the millisecond it is made until exactly 24 hours later.</footer>",
        esc(a.apiusage_version),
        esc(&when(&a.generated_at, zone))
    );
    let _ = writeln!(h, "<script>\n{SORT_SCRIPT}</script>\n</body>\n</html>");
    h.into_bytes()
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `2026-11-03T21:57:16.735Z` → `Nov 3, 2026, 21:57:16 UTC` (milliseconds are in the JSON).
fn when(rfc3339: &str, zone: DisplayZone) -> String {
    super::text::clock(rfc3339, true, zone)
}

/// `Nov 3, 21:57:16` for table cells whose header says UTC.
fn short_when(rfc3339: &str, zone: DisplayZone) -> String {
    super::text::clock_cell(rfc3339, false, zone)
}

/// A numeric cell: its text and, for sorting, its value.
fn num(value: Option<f64>, text: &str) -> String {
    match value {
        Some(v) => format!("<td class=\"n\" data-v=\"{v}\">{}</td>", esc(text)),
        None => format!("<td class=\"n\">{}</td>", esc(text)),
    }
}

fn org_title(org: &OrgReport) -> String {
    match &org.name {
        Some(name) => format!("{} <span class=\"mono\">({})</span>", esc(name), esc(&org.org_id)),
        None => format!("<span class=\"mono\">{}</span>", esc(&org.org_id)),
    }
}

fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn head(h: &mut String) {
    let _ = writeln!(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>apiusage report</title>\n<style>\n{CSS}</style>\n</head>\n<body>");
}

fn top(h: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    let _ = writeln!(
        h,
        "<header class=\"top\"><div class=\"wrap\"><h1>apiusage report</h1>"
    );
    let _ = writeln!(
        h,
        "<p class=\"lead\">Rolling 24-hour Salesforce API usage per org and integration, rebuilt from Event Monitoring logs. Generated {}.</p>",
        esc(&when(&a.generated_at, zone))
    );
    h.push_str(
        "<nav><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#overview\">Overview</a></li><li><a href=\"#findings\">Findings</a></li>",
    );
    for &i in sections.in_risk_order() {
        let org = &a.orgs[i];
        let name = org.name.as_deref().unwrap_or(&org.org_id);
        let _ = write!(h, "<li><a href=\"#org-{}\">{}</a></li>", i + 1, esc(name));
    }
    h.push_str("<li><a href=\"#recommendations\">Recommendations</a></li><li><a href=\"#capacity\">Capacity</a></li><li><a href=\"#data-quality\">Data quality</a></li></ul></nav>\n</div></header>\n");
}

/// The executive summary, first on the page: one sentence per org at risk, riskiest first.
fn summary(h: &mut String, a: &Analysis, zone: DisplayZone) {
    h.push_str("<section id=\"summary\" class=\"summary\"><h2>Summary</h2>\n<ul>\n");
    for s in super::summary::sentences(a, zone) {
        let _ = writeln!(h, "<li>{}</li>", esc(&s));
    }
    h.push_str("</ul>\n</section>\n");
}

fn overview(h: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    let o = &a.overview;
    h.push_str("<section id=\"overview\"><h2>Overview</h2>\n<table class=\"kv\">\n");
    let range = match (&o.first_call, &o.last_call) {
        (Some(f), Some(l)) => format!("{} → {}", when(f, zone), when(l, zone)),
        _ => "no counted calls".into(),
    };
    let rows = [
        ("Time range (counted calls)", range),
        ("Orgs", o.orgs.to_string()),
        ("Log files read", o.files.to_string()),
        ("Rows read", thousands(o.rows_read)),
        ("Counted calls", thousands(o.counted_calls)),
        ("Findings", a.findings.len().to_string()),
        (
            "Thresholds",
            format!(
                "chatty ≥ {:.0} %, near limit ≥ {:.0} % of the allocation",
                o.chatty_share * 100.0,
                o.warn_share * 100.0
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    h.push_str("</table>\n");
    org_index(h, a, sections, zone);
    h.push_str("</section>\n");
}

fn org_index(h: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    // Anchors number orgs in report order; the index lists them riskiest first.
    let number: std::collections::HashMap<&str, usize> = a
        .orgs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.org_id.as_str(), i))
        .collect();
    let orgs = a.orgs_by_risk().into_iter().map(|org| {
        let i = number.get(org.org_id.as_str()).copied().unwrap_or(0);
        (i, org)
    });
    h.push_str("<h3>Orgs by risk</h3>\n");
    let left_out = sections.left_out();
    if left_out > 0 {
        let _ = writeln!(h, "<p class=\"note\">Only the {} riskiest orgs have a section below; the other {} are listed here only (summary.json and the CSVs have all of them).</p>", bound::ORG_SECTIONS, thousands(left_out as u64));
    }
    let zh = esc(&crate::render::text::zone_header(zone));
    h.push_str(&format!("<div class=\"scroll\"><table>\n<thead><tr><th>Org</th><th>Status</th><th class=\"n\">Peak (24 h)</th><th>Peak at {zh}</th><th class=\"n\">Allocation</th><th class=\"n\">Share</th><th>Allocation source</th><th class=\"n\">Chatty integrations</th></tr></thead><tbody>\n"));
    for (i, org) in orgs {
        let share = org.peak.as_ref().and_then(|p| p.share_of_allocation);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"t\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            if sections.at(i) {
                format!("<a href=\"#org-{}\">{}</a>", i + 1, org_title(org))
            } else {
                org_title(org)
            },
            status_badge(org, a),
            org.peak.as_ref().map_or("–".into(), |p| thousands(p.calls)),
            org.peak.as_ref().map_or("–".into(), |p| esc(&short_when(&p.at, zone))),
            org.allocation.calls.map_or_else(|| "unknown".into(), thousands),
            pct(share),
            esc(&serde_name(&org.allocation.source)),
            org.integrations.iter().filter(|i| i.chatty).count()
        );
    }
    h.push_str("</tbody></table></div>\n");
}

/// The org's status as a badge (the same status as report.md's).
fn status_badge(org: &OrgReport, a: &Analysis) -> &'static str {
    let worst = a.org_status(&org.org_id);
    match worst {
        Some(FindingKind::OverLimit) => "<span class=\"badge b-over\">over limit</span>",
        Some(FindingKind::NearLimit) => "<span class=\"badge b-near\">near limit</span>",
        Some(FindingKind::AllocationUnknown) => "<span class=\"badge b-unknown\">allocation unknown</span>",
        Some(FindingKind::Stale) => "<span class=\"badge b-unknown\">stale</span>",
        // Chatty integrations have their own column; they are not an org status.
        Some(FindingKind::ChattyIntegration) | None => "<span class=\"badge b-ok\">ok</span>",
    }
}

fn finding_class(f: &Finding) -> (&'static str, &'static str) {
    match f.kind {
        FindingKind::OverLimit => ("over", "<span class=\"badge b-over\">over limit</span>"),
        FindingKind::NearLimit => ("near", "<span class=\"badge b-near\">near limit</span>"),
        FindingKind::ChattyIntegration => ("chatty", "<span class=\"badge b-chatty\">chatty</span>"),
        FindingKind::AllocationUnknown => (
            "unknown",
            "<span class=\"badge b-unknown\">allocation unknown</span>",
        ),
        FindingKind::Stale => ("unknown", "<span class=\"badge b-unknown\">stale</span>"),
    }
}

fn findings(h: &mut String, a: &Analysis, sections: &Sections) {
    h.push_str("<section id=\"findings\"><h2>Findings</h2>\n");
    if a.findings.is_empty() {
        h.push_str("<p>None: no org reached a threshold.</p></section>\n");
        return;
    }
    h.push_str("<ul class=\"findings\">\n");
    for f in a.findings.iter().filter(|f| sections.has(&f.org_id)) {
        let (class, badge) = finding_class(f);
        let _ = writeln!(h, "<li class=\"{class}\">{badge} {}</li>", esc(&f.message));
    }
    let hidden = a.findings.iter().filter(|f| !sections.has(&f.org_id)).count();
    if hidden > 0 {
        let _ = writeln!(h, "<li>{} more finding(s) of orgs without a section: see their status in the org index, or summary.json.</li>", thousands(hidden as u64));
    }
    h.push_str("</ul></section>\n");
}

fn org_section(
    h: &mut String,
    a: &Analysis,
    i: usize,
    org: &OrgReport,
    charts: Option<&OrgCharts>,
    zone: DisplayZone,
) {
    let _ = writeln!(
        h,
        "<section class=\"org\" id=\"org-{}\"><h2>Org {}</h2>",
        i + 1,
        org_title(org)
    );
    facts(h, org, zone);
    if let Some(c) = charts {
        figures(h, c);
    }
    integrations_table(h, org, zone);
    chatty_panel(h, org, a, zone);
    h.push_str("</section>\n");
}

fn facts(h: &mut String, org: &OrgReport, zone: DisplayZone) {
    h.push_str("<dl class=\"facts\">\n");
    let alloc = match org.allocation.calls {
        Some(n) => format!(
            "{} calls per rolling 24 h — {}",
            thousands(n),
            esc(&org.allocation.detail)
        ),
        None => format!("unknown — {}", esc(&org.allocation.detail)),
    };
    let _ = writeln!(h, "<dt>Allocation</dt><dd>{alloc}</dd>");
    let _ = writeln!(h, "<dt>Peak</dt><dd>{}</dd>", peak_text(org.peak.as_ref(), zone));
    if let Some(w) = org.warm_up.as_ref().filter(|w| !w.complete) {
        let _ = writeln!(
            h,
            "<dt>Lower bound</dt><dd>until {}: the logs do not cover the 24 hours before {} (from {}), so usage in the first 24 hours counts only the calls in the logs.</dd>",
            esc(&when(w.lower_bound_until.as_deref().unwrap_or(""), zone)),
            esc(&w.to),
            esc(&w.from)
        );
    }
    let _ = writeln!(
        h,
        "<dt>Counted calls</dt><dd>{}; not counted (UI, internal apps): {}</dd>",
        thousands(org.counted_calls),
        thousands(org.not_counted_calls)
    );
    if org.estimated {
        let _ = writeln!(h, "<dt>Estimated</dt><dd>{} counted calls come from RestApi/API/ApexRestApi/BulkApiRequest logs on days without ApiTotalUsage; those logs have no counted flag, so every row is counted.</dd>", thousands(org.estimated_calls));
    }
    if org.limit_exceeded_calls > 0 {
        let _ = writeln!(
            h,
            "<dt>Refused</dt><dd>{} calls with REQUEST_LIMIT_EXCEEDED</dd>",
            thousands(org.limit_exceeded_calls)
        );
    }
    h.push_str("</dl>\n");
}

fn peak_text(p: Option<&PeakView>, zone: DisplayZone) -> String {
    match p {
        Some(p) => format!(
            "<strong>{}</strong> calls in the 24 hours ending {} (window from {}), {} of the allocation",
            thousands(p.calls),
            esc(&when(&p.at, zone)),
            esc(&when(&p.window_start, zone)),
            pct(p.share_of_allocation)
        ),
        None => "no counted calls".into(),
    }
}

/// The charts as inline SVG: plotters escapes the text it writes, and the SVG has no scripts,
/// links or external references.
fn figures(h: &mut String, c: &OrgCharts) {
    for chart in &c.charts {
        let _ = writeln!(
            h,
            "<figure><div class=\"chart\" role=\"img\" aria-label=\"{}\">\n{}</div></figure>",
            chart.kind.caption(),
            chart.svg
        );
    }
    for f in &c.failures {
        let _ = writeln!(h, "<p class=\"note\">A chart could not be drawn: {}</p>", esc(f));
    }
}

fn integrations_table(h: &mut String, org: &OrgReport, zone: DisplayZone) {
    let zh = esc(&crate::render::text::zone_header(zone));
    h.push_str(&format!("<h3>Integrations</h3>\n<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr><th class=\"sort\">Integration</th><th class=\"sort\">Kind</th><th class=\"sort n\">Counted calls</th><th class=\"sort n\">Own peak (24 h)</th><th class=\"sort\">Peak at {zh}</th><th class=\"sort n\">Share of allocation</th><th class=\"sort n\">In org's peak window</th><th class=\"sort n\">Not counted</th><th class=\"sort\">Chatty</th></tr></thead><tbody>\n"));
    let (shown, others) = bound::integrations(org);
    for i in shown {
        let peak = i.peak.as_ref();
        let _ = writeln!(
            h,
            "<tr><td>{}<br><code>{}</code></td><td>{}</td>{}{}<td class=\"t\">{}</td>{}{}{}<td>{}</td></tr>",
            esc(&i.label),
            esc(&i.key),
            esc(&kind_name(i)),
            num(Some(i.counted_calls as f64), &thousands(i.counted_calls)),
            num(
                peak.map(|p| p.calls as f64),
                &peak.map_or("–".into(), |p| thousands(p.calls))
            ),
            peak.map_or("–".into(), |p| esc(&short_when(&p.at, zone))),
            num(i.peak_share_of_allocation, &pct(i.peak_share_of_allocation)),
            num(
                Some(i.calls_in_org_peak_window as f64),
                &thousands(i.calls_in_org_peak_window)
            ),
            num(Some(i.not_counted_calls as f64), &thousands(i.not_counted_calls)),
            if i.chatty {
                "<span class=\"badge b-chatty\">chatty</span>"
            } else {
                ""
            }
        );
    }
    if let Some(o) = others {
        let _ = writeln!(
            h,
            "<tr><td>{} (in integrations.csv)</td><td></td>{}<td class=\"n\">–</td><td class=\"t\">–</td><td class=\"n\">–</td>{}{}<td></td></tr>",
            esc(&o.label()),
            num(Some(o.counted_calls as f64), &thousands(o.counted_calls)),
            num(Some(o.calls_in_org_peak_window as f64), &thousands(o.calls_in_org_peak_window)),
            num(Some(o.not_counted_calls as f64), &thousands(o.not_counted_calls)),
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn kind_name(i: &IntegrationReport) -> String {
    let kind = serde_name(&i.kind);
    if i.internal {
        format!("{kind} (internal)")
    } else {
        kind
    }
}

fn chatty_panel(h: &mut String, org: &OrgReport, a: &Analysis, zone: DisplayZone) {
    let chatty: Vec<&IntegrationReport> = org.integrations.iter().filter(|i| i.chatty).collect();
    if chatty.is_empty() {
        return;
    }
    h.push_str("<h3>Chatty integrations</h3>\n");
    for i in chatty {
        let p = i.peak.as_ref();
        let _ = writeln!(
            h,
            "<div class=\"evidence\"><h4>{} <code>{}</code></h4>",
            esc(&i.label),
            esc(&i.key)
        );
        let _ = writeln!(
            h,
            "<p>Own peak <strong>{}</strong> calls at {} — {} of the allocation (threshold {:.0} %). In the org's peak window it made {} calls, {} of the org's peak.</p>",
            p.map_or("–".into(), |p| thousands(p.calls)),
            p.map_or("–".into(), |p| esc(&when(&p.at, zone))),
            pct(i.peak_share_of_allocation),
            a.overview.chatty_share * 100.0,
            thousands(i.calls_in_org_peak_window),
            pct(i.share_of_org_peak_window)
        );
        if a.recommendations_omitted.is_some() {
            let what = esc(crate::render::markdown::ROW_LISTS_OMITTED);
            let _ = writeln!(h, "<ul><li>What it called: {what}</li></ul></div>");
            continue;
        }
        let _ = writeln!(h, "<ul><li>Top resources: {}</li><li>Top entities: {}</li><li>Methods: {}</li><li>API families: {}</li></ul></div>",
            counts(&i.top_resources), counts(&i.top_entities), counts(&i.methods), counts(&i.api_families));
    }
}

fn counts(c: &[Count]) -> String {
    if c.is_empty() {
        return "–".into();
    }
    c.iter()
        .map(|c| format!("<code>{}</code> ({})", esc(&c.name), thousands(c.calls)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The recommendations panel (SPEC.md §3.5), as in `report.md`: ranked by calls saved at the
/// peak, each with its evidence and action, then every recommendation of an org applied together.
fn recommendations(h: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    h.push_str("<section id=\"recommendations\"><h2>Recommendations</h2>\n");
    if let Some(why) = a.recommendations_omitted {
        let _ = writeln!(h, "<p>Not computed: {}.</p>", esc(why));
    } else if a.recommendations.is_empty() {
        h.push_str("<p>None: no integration shows a pattern worth changing.</p>\n");
    } else {
        h.push_str("<p>Ranked by calls saved in the 24 hours ending at the org's peak. Savings are computed: the calls a change makes unnecessary are taken out of the logged calls and the exact rolling 24-hour peaks are recomputed; the new peak may fall at another time. Each kind is explained in <a href=\"docs/recommendations.md\">docs/recommendations.md</a>.</p>\n");
        let shown = |r: &&RecommendationView| sections.has(&r.org_id);
        recommendation_table(h, a, sections);
        for (n, r) in a.recommendations.iter().enumerate().filter(|(_, r)| shown(r)) {
            recommendation_entry(h, n + 1, r, zone);
        }
        let hidden = a.recommendations.iter().filter(|r| !shown(r)).count();
        if hidden > 0 {
            let _ = writeln!(
                h,
                "<p>{} more recommendation(s) for orgs without a section are in recommendations.csv.</p>",
                thousands(hidden as u64)
            );
        }
        what_if_table(h, a, sections);
    }
    h.push_str("<p>Known limit: EventLogFile logs only the parent of a composite request, so the subrequests of <code>/composite/batch</code> (each of which Salesforce counts) are not in the logged usage, and the saving of replacing it cannot be computed from the logs.</p></section>\n");
}

fn recommendation_table(h: &mut String, a: &Analysis, sections: &Sections) {
    let recs = &a.recommendations;
    h.push_str("<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th class=\"sort n\">#</th><th class=\"sort\">Org</th><th class=\"sort\">Integration</th><th class=\"sort\">Recommendation</th><th class=\"sort n\">Calls saved at peak</th><th>Org peak now → after</th><th>Integration peak now → after</th></tr></thead><tbody>\n");
    for (n, r) in recs.iter().enumerate().filter(|(_, r)| sections.has(&r.org_id)) {
        let who = format!("{}<br><code>{}</code>", esc(&r.label), esc(&r.integration));
        let kind = format!("<a href=\"{}\">{}</a>", esc(&r.docs), r.title);
        let org = peak_change(&r.org_peak_before, &r.org_peak_after);
        let own = peak_change(&r.integration_peak_before, &r.integration_peak_after);
        let saved = thousands(r.calls_saved_at_peak);
        let _ = writeln!(h, "<tr><td class=\"n\">{}</td><td>{}</td><td>{who}</td><td>{kind}</td><td class=\"n\">{saved}</td><td>{org}</td><td>{own}</td></tr>", n + 1, esc(&a.org_display(&r.org_id)));
    }
    h.push_str("</tbody></table></div>\n");
}

fn recommendation_entry(h: &mut String, n: usize, r: &RecommendationView, zone: DisplayZone) {
    let e = &r.evidence;
    let title = format!(
        "{n}. {} — {} <code>{}</code>",
        r.title,
        esc(&r.label),
        esc(&r.integration)
    );
    let span = |t: &Option<String>| esc(&when(t.as_deref().unwrap_or("–"), zone));
    let examples: Vec<String> = e
        .examples
        .iter()
        .map(|x| format!("<code>{}</code>", esc(x)))
        .collect();
    let _ = writeln!(h, "<div class=\"evidence\"><h4>{title}</h4>");
    let _ = writeln!(
        h,
        "<ul><li>Evidence: {} First and last: {} → {}.</li>",
        esc(&e.summary),
        span(&e.first),
        span(&e.last)
    );
    let _ = writeln!(
        h,
        "<li>Examples: {}</li><li>Breakdown: {}</li>",
        examples.join(", "),
        counts(&e.breakdown)
    );
    let _ = writeln!(h, "<li>Do instead ({}): {}</li>", esc(r.feature), esc(&r.action));
    let (removed, saved) = (thousands(r.calls_removed), thousands(r.calls_saved_at_peak));
    let _ = writeln!(h, "<li>Calls removed over the whole input: {removed}; in the org's peak 24 hours: {saved}. Confidence: {}.</li></ul>", r.confidence.id());
    kind_explanation(h, r.kind);
    h.push_str("</div>\n");
}

/// The kind's entry from the kinds' page, collapsed, so the report explains itself offline.
fn kind_explanation(h: &mut String, kind: crate::recommend::Kind) {
    let _ = write!(h, "<details><summary>About {}</summary>", kind.title());
    for p in crate::recommend::docs::paragraphs(kind) {
        let _ = write!(h, "<p>{}</p>", inline_markdown(&p));
    }
    h.push_str("</details>\n");
}

/// Escaped text with the page's inline Markdown: `**bold**`, `` `code` `` and `[text](#anchor)`
/// links (kept as their text: the anchors are in the page, not in the report).
fn inline_markdown(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let close = rest[open..].find("](").map(|c| open + c);
        let end = close.and_then(|c| rest[c..].find(')').map(|e| c + e));
        match (close, end) {
            (Some(c), Some(e)) => {
                plain.push_str(&rest[..open]);
                plain.push_str(&rest[open + 1..c]);
                rest = &rest[e + 1..];
            }
            _ => break,
        }
    }
    plain.push_str(rest);
    let escaped = esc(&plain);
    let mut out = String::with_capacity(escaped.len());
    let (mut bold, mut code) = (false, false);
    let mut chars = escaped.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
        } else if c == '*' && !code && chars.next_if_eq(&'*').is_some() {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
        } else {
            out.push(c);
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

fn what_if_table(h: &mut String, a: &Analysis, sections: &Sections) {
    let what_if = &a.what_if;
    h.push_str("<h3>What if all were applied</h3>\n<table class=\"kv\"><thead><tr><th>Org</th><th class=\"n\">Recommendations</th><th class=\"n\">Calls saved at peak</th><th>Org peak now → after</th></tr></thead><tbody>\n");
    for w in what_if
        .iter()
        .filter(|w| w.recommendations > 0 && sections.has(&w.org_id))
    {
        let saved = thousands(w.calls_saved_at_peak);
        let change = peak_change(&w.peak_before, &w.peak_after);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{saved}</td><td>{change}</td></tr>",
            esc(&a.org_display(&w.org_id)),
            w.recommendations
        );
    }
    h.push_str("</tbody></table>\n");
}

fn data_quality(h: &mut String, a: &Analysis) {
    let q = &a.data_quality;
    let bad: u64 = q.bad_rows.values().map(|e| e.count).sum();
    h.push_str("<section id=\"data-quality\"><h2>Data quality</h2>\n");
    let _ = writeln!(
        h,
        "<p>Rows read {} = used {} + duplicates {} + ignored {} + bad {}.</p>",
        thousands(q.rows_read),
        thousands(q.rows_used),
        thousands(q.duplicates),
        thousands(q.rows_ignored),
        thousands(bad)
    );
    if !q.ignored.is_empty() {
        h.push_str("<table class=\"kv\"><thead><tr><th>Ignored rows</th><th class=\"n\">Count</th></tr></thead><tbody>\n");
        for (why, n) in &q.ignored {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(why),
                thousands(*n)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    if !q.bad_rows.is_empty() {
        h.push_str("<table><thead><tr><th>Bad rows</th><th class=\"n\">Count</th><th>Examples (file:line)</th></tr></thead><tbody>\n");
        for (why, e) in &q.bad_rows {
            let examples: Vec<String> = e
                .examples
                .iter()
                .map(|x| format!("<code>{}</code>", esc(x)))
                .collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(why),
                thousands(e.count),
                examples.join("<br>")
            );
        }
        h.push_str("</tbody></table>\n");
    }
    file_problems(h, a);
    per_file(h, a);
    h.push_str("</section>\n");
}

fn file_problems(h: &mut String, a: &Analysis) {
    let f = &a.data_quality.files;
    if f.unreadable.is_empty() && f.skipped.is_empty() {
        return;
    }
    h.push_str("<ul>\n");
    for e in &f.unreadable {
        let _ = writeln!(
            h,
            "<li><strong>Unreadable</strong>: <code>{}</code> — {}</li>",
            esc(&e.path),
            esc(&e.reason)
        );
    }
    for s in &f.skipped_reasons {
        let _ = writeln!(
            h,
            "<li>Skipped: <code>{}</code> — {}</li>",
            esc(&s.path),
            esc(&s.reason)
        );
    }
    h.push_str("</ul>\n");
}

fn per_file(h: &mut String, a: &Analysis) {
    h.push_str("<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th class=\"sort\">File</th><th class=\"sort\">Format</th><th class=\"sort n\">Read</th><th class=\"sort n\">Used</th><th class=\"sort n\">Duplicates</th><th class=\"sort n\">Ignored</th><th class=\"sort n\">Bad</th></tr></thead><tbody>\n");
    for f in &a.data_quality.files.per_file {
        let r = &f.rows;
        let cell = |n: u64| num(Some(n as f64), &thousands(n));
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td>{}{}{}{}{}</tr>",
            esc(&f.path),
            esc(&f.format.to_string()),
            cell(r.read),
            cell(r.used),
            cell(r.duplicates),
            cell(r.ignored_total()),
            cell(r.bad_total())
        );
    }
    h.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_inject_html() {
        assert_eq!(
            esc("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn times_read_as_utc() {
        let utc = DisplayZone::Utc;
        assert_eq!(when("2026-11-03T21:57:16.120Z", utc), "Nov 3, 2026, 21:57:16 UTC");
        assert_eq!(short_when("2026-11-03T21:57:16.120Z", utc), "Nov 3, 21:57:16");
    }
}
