//! `report.md`: the report's panels (SPEC.md §4) as Markdown — overview with an org index
//! sorted by risk, findings, per-org usage and integrations, chatty integrations with their
//! evidence, capacity (trend and forecast; in `markdown/capacity.rs`), recommendations with
//! their what-if, and data quality. Every string from the logs is escaped.

mod capacity;

use super::text::{clock, clock_cell, pct, peak_change, zone_header};
use std::fmt::Write;

use crate::analysis::{Analysis, IntegrationReport, OrgReport, PeakView, RecommendationView};
use crate::findings::FindingKind;
use crate::render::bound::{self, Sections};
use crate::render::chart::ChartLink;
use crate::render::zone::DisplayZone;
use crate::text::thousands;
use crate::usage::Count;

/// Renders the report without chart links.
pub fn render(a: &Analysis) -> Vec<u8> {
    render_linked(a, &[], DisplayZone::Utc)
}

/// Renders the report; `charts[i]` are the chart files of org `i`, shown in its section;
/// `zone` is the display zone of the summary's times (`--tz`).
pub fn render_linked(a: &Analysis, charts: &[Vec<ChartLink>], zone: DisplayZone) -> Vec<u8> {
    let mut md = String::new();
    let sections = Sections::of(a);
    header(&mut md, a);
    summary(&mut md, a, zone);
    overview(&mut md, a, &sections, zone);
    findings(&mut md, a, &sections);
    for &i in sections.in_risk_order() {
        org_section(
            &mut md,
            &a.orgs[i],
            a,
            charts.get(i).map_or(&[], Vec::as_slice),
            zone,
        );
    }
    recommendations(&mut md, a, &sections, zone);
    data_quality(&mut md, a);
    md.into_bytes()
}

/// Escapes text from the logs for Markdown prose, list items, headings and table cells:
/// Markdown syntax and HTML are neutralised, and control characters (newlines included)
/// become spaces, so log text can never end a row or start a line. A leading `-`, `+`, `>`,
/// `=` or `1.` is escaped too, for the places where the text opens a line.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // `1.` or `1)` then a space (or nothing) opens an ordered list at the start of a line.
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let after = s.chars().nth(digits + 1);
    let list_marker = digits > 0 && after.is_none_or(char::is_whitespace);
    for (n, c) in s.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if n == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_marker && n == digits => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() || is_bidi_control(c) => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Log text as a code span outside tables: the fence is one backtick longer than the longest
/// run inside, padded with a space when the text starts or ends with a backtick or space (the
/// padding is dropped when rendered); control characters become spaces.
pub fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let (mut run, mut longest) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']);
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Log text as a code span inside a table cell. GFM splits cells before parsing code spans,
/// and a backslash inside a code span cannot escape itself, so text with `|` or `\` is written
/// as escaped plain text instead.
pub fn code_cell(s: &str) -> String {
    if s.contains(['|', '\\']) {
        esc(s)
    } else {
        code(s)
    }
}

fn peak_cell(p: Option<&PeakView>) -> String {
    p.map_or_else(|| "–".into(), |p| thousands(p.calls))
}

fn org_title(org: &OrgReport) -> String {
    match &org.name {
        Some(name) => format!("{} ({})", esc(name), esc(&org.org_id)),
        None => esc(&org.org_id),
    }
}

fn header(md: &mut String, a: &Analysis) {
    let _ = writeln!(md, "# apiusage report\n");
    let _ = writeln!(md, "Generated {} by apiusage {}. Rolling 24-hour usage is exact: a call counts from the millisecond it is made until exactly 24 hours later.\n", a.generated_at, a.apiusage_version);
}

/// The executive summary: the story first, one sentence per org at risk.
fn summary(md: &mut String, a: &Analysis, zone: DisplayZone) {
    let _ = writeln!(md, "## Summary\n");
    for s in super::summary::sentences(a, zone) {
        let _ = writeln!(md, "- {}", esc(&s));
    }
    md.push('\n');
}

fn overview(md: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    let o = &a.overview;
    let _ = writeln!(md, "## Overview\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let range = match (&o.first_call, &o.last_call) {
        (Some(f), Some(l)) => format!("{} → {}", clock(f, true, zone), clock(l, true, zone)),
        _ => "no counted calls".into(),
    };
    let _ = writeln!(md, "| Time range (counted calls) | {range} |");
    let _ = writeln!(md, "| Orgs | {} |", o.orgs);
    let _ = writeln!(md, "| Log files read | {} |", o.files);
    let _ = writeln!(md, "| Rows read | {} |", thousands(o.rows_read));
    let _ = writeln!(md, "| Counted calls | {} |", thousands(o.counted_calls));
    let _ = writeln!(md, "| Findings | {} |", a.findings.len());
    let _ = writeln!(
        md,
        "| Thresholds | chatty ≥ {:.0} %, near limit ≥ {:.0} % of the allocation |\n",
        o.chatty_share * 100.0,
        o.warn_share * 100.0
    );
    let _ = writeln!(md, "### Orgs by risk\n");
    left_out_note(md, sections);
    let _ = writeln!(md, "Riskiest first: by the peak's share of the allocation (calls refused with REQUEST_LIMIT_EXCEEDED count as over), then orgs whose allocation is unknown, busiest first.\n");
    let _ = writeln!(md, "| Org | Status | Peak (24 h) | Peak at {} | Allocation | Share | Allocation source | Chatty integrations | Daily peak trend | Reaches 100 % |", zone_header(zone));
    let _ = writeln!(md, "|---|---|--:|---|--:|--:|---|--:|---|---|");
    for org in a.orgs_by_risk() {
        let share = org.peak.as_ref().and_then(|p| p.share_of_allocation);
        let (trend, reach) = capacity::index_cells(a.capacity_of(&org.org_id));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {trend} | {reach} |",
            org_title(org),
            status(a, org),
            peak_cell(org.peak.as_ref()),
            org.peak
                .as_ref()
                .map_or_else(|| "–".into(), |p| clock_cell(&p.at, false, zone)),
            org.allocation.calls.map_or_else(|| "unknown".into(), thousands),
            pct(share),
            source_name(org),
            org.integrations.iter().filter(|i| i.chatty).count()
        );
    }
    md.push('\n');
}

/// With many orgs, only the riskiest have a section: say so where the reader looks.
fn left_out_note(md: &mut String, sections: &Sections) {
    let n = sections.left_out();
    if n > 0 {
        let _ = writeln!(md, "Only the {} riskiest orgs have a section below; the other {} are listed here only (summary.json and the CSVs have all of them).\n", bound::ORG_SECTIONS, thousands(n as u64));
    }
}

/// The org's status, in words.
fn status(a: &Analysis, org: &OrgReport) -> &'static str {
    let kind = a.org_status(&org.org_id);
    match kind {
        Some(FindingKind::OverLimit) => "**over limit**",
        Some(FindingKind::NearLimit) => "**near limit**",
        Some(FindingKind::AllocationUnknown) => "allocation unknown",
        Some(FindingKind::Stale) => "stale",
        _ => "ok",
    }
}

fn source_name(org: &OrgReport) -> String {
    serde_json::to_value(org.allocation.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn findings(md: &mut String, a: &Analysis, sections: &Sections) {
    let _ = writeln!(md, "## Findings\n");
    if a.findings.is_empty() {
        let _ = writeln!(md, "None: no org reached a threshold.\n");
        return;
    }
    let hidden = a.findings.iter().filter(|f| !sections.has(&f.org_id)).count();
    for f in a.findings.iter().filter(|f| sections.has(&f.org_id)) {
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(md, "- **{}** — {}", kind.replace('_', " "), esc(&f.message));
    }
    if hidden > 0 {
        let _ = writeln!(md, "- {} more finding(s) of orgs without a section: see their status in the org index, or summary.json", thousands(hidden as u64));
    }
    md.push('\n');
}

fn org_section(md: &mut String, org: &OrgReport, a: &Analysis, charts: &[ChartLink], zone: DisplayZone) {
    let _ = writeln!(md, "## Org {}\n", org_title(org));
    let alloc = match org.allocation.calls {
        Some(n) => format!(
            "{} calls per rolling 24 h — {}",
            thousands(n),
            esc(&org.allocation.detail)
        ),
        None => format!("unknown — {}", esc(&org.allocation.detail)),
    };
    let _ = writeln!(md, "- Allocation: {alloc}");
    if let Some(m) = &org.allocation.meter {
        let _ = writeln!(md, "- Salesforce's meter: {}", esc(&m.note));
    }
    match &org.peak {
        Some(p) => {
            let _ = writeln!(
                md,
                "- Peak: **{}** calls in the 24 hours ending {} (the window runs from just after {} to {}), {} of the allocation",
                thousands(p.calls),
                clock(&p.at, false, zone),
                clock_cell(&p.window_start, false, zone),
                clock_cell(&p.at, false, zone),
                pct(p.share_of_allocation)
            );
        }
        None => {
            let _ = writeln!(md, "- Peak: no counted calls");
        }
    }
    if let Some(w) = org.warm_up.as_ref().filter(|w| !w.complete) {
        let _ = writeln!(
            md,
            "- **Lower bound until {}**: the logs do not cover the 24 hours before {} (from {}), so usage in the first 24 hours counts only the calls in the logs.",
            clock(w.lower_bound_until.as_deref().unwrap_or(""), false, zone),
            clock_cell(&w.to, false, zone),
            clock_cell(&w.from, false, zone)
        );
    }
    let _ = writeln!(
        md,
        "- Counted calls: {}; not counted (UI, internal apps): {}",
        thousands(org.counted_calls),
        thousands(org.not_counted_calls)
    );
    if org.estimated {
        let _ = writeln!(md, "- **Estimated**: {} counted calls come from RestApi/API/ApexRestApi/BulkApiRequest logs on days without ApiTotalUsage; those logs have no counted flag, so every row is counted.", thousands(org.estimated_calls));
    }
    if org.limit_exceeded_calls > 0 {
        let _ = writeln!(
            md,
            "- Refused with REQUEST_LIMIT_EXCEEDED: {}",
            thousands(org.limit_exceeded_calls)
        );
    }
    md.push('\n');
    for c in charts {
        // Chart paths are built from checked org ids (`org_file_stem`), never raw log text.
        let _ = writeln!(md, "![{}]({})\n", c.caption, c.path);
    }
    integrations_table(md, org, zone);
    chatty_panel(md, org, a, zone);
    if let Some(c) = a.capacity_of(&org.org_id) {
        capacity::panel(md, c, zone);
    }
}

fn integrations_table(md: &mut String, org: &OrgReport, zone: DisplayZone) {
    let _ = writeln!(md, "### Integrations\n");
    let _ = writeln!(md, "| Integration | Kind | Counted calls | Own peak (24 h) | Peak at {} | Share of allocation | Calls in org's peak window | Not counted | Chatty |", zone_header(zone));
    let _ = writeln!(md, "|---|---|--:|--:|---|--:|--:|--:|:-:|");
    let (shown, others) = bound::integrations(org);
    for i in shown {
        let _ = writeln!(
            md,
            "| {}<br>{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            esc(&i.label),
            code_cell(&i.key),
            kind_name(i),
            thousands(i.counted_calls),
            peak_cell(i.peak.as_ref()),
            i.peak
                .as_ref()
                .map_or_else(|| "–".into(), |p| clock_cell(&p.at, false, zone)),
            pct(i.peak_share_of_allocation),
            thousands(i.calls_in_org_peak_window),
            thousands(i.not_counted_calls),
            if i.chatty { "**yes**" } else { "" }
        );
    }
    if let Some(o) = others {
        let _ = writeln!(
            md,
            "| {} (in integrations.csv) | | {} | – | – | – | {} | {} | |",
            o.label(),
            thousands(o.counted_calls),
            thousands(o.calls_in_org_peak_window),
            thousands(o.not_counted_calls)
        );
    }
    md.push('\n');
}

fn kind_name(i: &IntegrationReport) -> String {
    let kind = serde_json::to_value(i.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if i.internal {
        format!("{} (internal)", kind.replace('_', " "))
    } else {
        kind.replace('_', " ")
    }
}

fn chatty_panel(md: &mut String, org: &OrgReport, a: &Analysis, zone: DisplayZone) {
    let chatty: Vec<&IntegrationReport> = org.integrations.iter().filter(|i| i.chatty).collect();
    if chatty.is_empty() {
        return;
    }
    let _ = writeln!(md, "### Chatty integrations\n");
    for i in chatty {
        let p = i.peak.as_ref();
        let _ = writeln!(md, "**{}** ({}): own peak {} calls at {} — {} of the allocation (threshold {:.0} %). In the org's peak window it made {} calls, {} of the org's peak.\n",
            esc(&i.label), code(&i.key), peak_cell(p), p.map_or_else(|| "–".into(), |p| clock(&p.at, false, zone)), pct(i.peak_share_of_allocation), a.overview.chatty_share * 100.0, thousands(i.calls_in_org_peak_window), pct(i.share_of_org_peak_window));
        if a.recommendations_omitted.is_some() {
            let _ = writeln!(md, "- What it called: {}\n", ROW_LISTS_OMITTED);
            continue;
        }
        let _ = writeln!(md, "- Top resources: {}", counts(&i.top_resources));
        let _ = writeln!(md, "- Top entities: {}", counts(&i.top_entities));
        let _ = writeln!(md, "- Methods: {}", counts(&i.methods));
        let _ = writeln!(md, "- API families: {}\n", counts(&i.api_families));
    }
}

/// What a chatty integration's panel says instead of its resources, entities, methods and
/// families in a report from Spark's aggregates (they are counted from the calls).
pub const ROW_LISTS_OMITTED: &str = "not in the Spark job's aggregates (resources, entities, methods and API families are counted from the calls; apiusage report --store on the same store lists them)";

fn counts(c: &[Count]) -> String {
    if c.is_empty() {
        return "–".into();
    }
    c.iter()
        .map(|c| format!("{} ({})", code(&c.name), thousands(c.calls)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The recommendations panel: a table ranked by calls saved at the peak, one entry per
/// recommendation with its evidence and action, the combined what-if, and the composite caveat.
fn recommendations(md: &mut String, a: &Analysis, sections: &Sections, zone: DisplayZone) {
    let _ = writeln!(md, "## Recommendations\n");
    if let Some(why) = a.recommendations_omitted {
        let _ = writeln!(md, "Not computed: {why}.\n");
    } else if a.recommendations.is_empty() {
        let _ = writeln!(md, "None: no integration shows a pattern worth changing.\n");
    } else {
        let _ = writeln!(md, "Ranked by calls saved in the 24 hours ending at the org's peak. Savings are computed, not guessed: the calls a change makes unnecessary are taken out of the logged calls (N single-record calls in a run become ⌈N/200⌉) and the exact rolling 24-hour peaks are recomputed; the new peak may fall at another time. Each kind is explained in [docs/recommendations.md](docs/recommendations.md).\n");
        let shown = |r: &&RecommendationView| sections.has(&r.org_id);
        recommendation_table(md, a, sections);
        for (n, r) in a.recommendations.iter().enumerate().filter(|(_, r)| shown(r)) {
            recommendation_entry(md, n + 1, r, a, zone);
        }
        let hidden = a.recommendations.iter().filter(|r| !shown(r)).count();
        if hidden > 0 {
            let _ = writeln!(
                md,
                "{} more recommendation(s) for orgs without a section are in recommendations.csv.\n",
                thousands(hidden as u64)
            );
        }
        what_if_table(md, a, sections);
    }
    let _ = writeln!(md, "Known limit: EventLogFile logs only the parent of a composite request, so the subrequests of `/composite/batch` (each of which Salesforce counts) are not in the logged usage, and the saving of replacing it cannot be computed from the logs.\n");
}

fn recommendation_table(md: &mut String, a: &Analysis, sections: &Sections) {
    let recs = &a.recommendations;
    let _ = writeln!(md, "| # | Org | Integration | Recommendation | Calls saved at peak | Org peak now → after | Integration peak now → after |");
    let _ = writeln!(md, "|--:|---|---|---|--:|---|---|");
    for (n, r) in recs.iter().enumerate().filter(|(_, r)| sections.has(&r.org_id)) {
        let who = format!("{}<br>{}", esc(&r.label), code_cell(&r.integration));
        let kind = format!("[{}]({})", r.title, r.docs);
        let org = peak_change(&r.org_peak_before, &r.org_peak_after);
        let own = peak_change(&r.integration_peak_before, &r.integration_peak_after);
        let saved = thousands(r.calls_saved_at_peak);
        let _ = writeln!(
            md,
            "| {} | {} | {who} | {kind} | {saved} | {org} | {own} |",
            n + 1,
            esc(&a.org_display(&r.org_id))
        );
    }
    md.push('\n');
}

fn recommendation_entry(md: &mut String, n: usize, r: &RecommendationView, a: &Analysis, zone: DisplayZone) {
    let e = &r.evidence;
    let _ = writeln!(
        md,
        "### {n}. {} — {}, in {}\n",
        r.title,
        esc(&r.label),
        esc(&a.org_display(&r.org_id))
    );
    let (first, last) = (
        e.first
            .as_deref()
            .map_or_else(|| "–".into(), |t| clock(t, false, zone)),
        e.last
            .as_deref()
            .map_or_else(|| "–".into(), |t| clock(t, false, zone)),
    );
    let _ = writeln!(
        md,
        "- Evidence: {} First and last: {first} → {last}.",
        esc(&e.summary)
    );
    if !e.examples.is_empty() {
        let examples: Vec<String> = e.examples.iter().map(|x| code(x)).collect();
        let _ = writeln!(md, "- Examples: {}", examples.join(", "));
    }
    if !e.breakdown.is_empty() {
        let _ = writeln!(md, "- Breakdown: {}", counts(&e.breakdown));
    }
    let _ = writeln!(md, "- Do instead ({}): {}", r.feature, esc(&r.action));
    let (removed, saved) = (thousands(r.calls_removed), thousands(r.calls_saved_at_peak));
    let _ = writeln!(md, "- Calls removed over the whole input: {removed}; in the org's peak 24 hours: {saved}. Confidence: {}. [About this kind]({})\n", r.confidence.id(), r.docs);
}

fn what_if_table(md: &mut String, a: &Analysis, sections: &Sections) {
    let what_if = &a.what_if;
    let _ = writeln!(md, "### What if all were applied\n");
    let _ = writeln!(
        md,
        "| Org | Recommendations | Calls saved at peak | Org peak now → after |"
    );
    let _ = writeln!(md, "|---|--:|--:|---|");
    for w in what_if
        .iter()
        .filter(|w| w.recommendations > 0 && sections.has(&w.org_id))
    {
        let saved = thousands(w.calls_saved_at_peak);
        let change = peak_change(&w.peak_before, &w.peak_after);
        let _ = writeln!(
            md,
            "| {} | {} | {saved} | {change} |",
            esc(&a.org_display(&w.org_id)),
            w.recommendations
        );
    }
    md.push('\n');
}

fn data_quality(md: &mut String, a: &Analysis) {
    let q = &a.data_quality;
    let _ = writeln!(md, "## Data quality\n");
    let bad: u64 = q.bad_rows.values().map(|e| e.count).sum();
    let _ = writeln!(
        md,
        "Rows read {} = used {} + duplicates {} + ignored {} + bad {}.\n",
        thousands(q.rows_read),
        thousands(q.rows_used),
        thousands(q.duplicates),
        thousands(q.rows_ignored),
        thousands(bad)
    );
    if !q.ignored.is_empty() {
        let _ = writeln!(md, "| Ignored rows | Count |\n|---|--:|");
        for (why, n) in &q.ignored {
            let _ = writeln!(md, "| {} | {} |", esc(why), thousands(*n));
        }
        md.push('\n');
    }
    if !q.bad_rows.is_empty() {
        let _ = writeln!(md, "| Bad rows | Count | Examples |\n|---|--:|---|");
        for (why, e) in &q.bad_rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                esc(why),
                thousands(e.count),
                esc(&e.examples.join(", "))
            );
        }
        md.push('\n');
    }
    for f in &q.files.unreadable {
        let _ = writeln!(md, "- **Unreadable**: {} — {}", code(&f.path), esc(&f.reason));
    }
    for s in &q.files.skipped_reasons {
        let _ = writeln!(md, "- Skipped: {} — {}", code(&s.path), esc(&s.reason));
    }
    if !q.files.unreadable.is_empty() || !q.files.skipped.is_empty() {
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "| File | Format | Read | Used | Duplicates | Ignored | Bad |\n|---|---|--:|--:|--:|--:|--:|"
    );
    for f in &q.files.per_file {
        let r = &f.rows;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code_cell(&f.path),
            f.format,
            thousands(r.read),
            thousands(r.used),
            thousands(r.duplicates),
            thousands(r.ignored_total()),
            thousands(r.bad_total())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn log_text_cannot_inject_markdown_or_html() {
        assert_eq!(
            esc("<script>alert('x')</script>"),
            "&lt;script&gt;alert('x')&lt;/script&gt;"
        );
        assert_eq!(esc("a|b *c* [d](e)\nf"), "a\\|b \\*c\\* \\[d\\](e) f");
        assert_eq!(esc("R&D_sync"), "R&amp;D\\_sync");
    }
}
