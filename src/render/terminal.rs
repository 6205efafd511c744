//! `apiusage top`: the heavy hitters at a glance, for an admin at a terminal (SPEC.md §1).
//!
//! Render stage, like the report's renderers, but for stdout: it reads the `Analysis` only.
//! Per org, riskiest first: the rolling-24h peak and its time, then the integrations ranked by
//! their own peak's share of the allocation (the same order as by peak, since the allocation is
//! the org's), as an aligned table no wider than [`WIDTH`] columns. `--json` gives the same
//! rows for scripts. Every string from the logs is stripped of control characters, so a label
//! cannot move the cursor or recolour the terminal.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::{Analysis, IntegrationReport, OrgReport};
use crate::attribute::Kind;
use crate::findings::thousands;
pub use crate::text::clean;

/// The widest line drawn.
pub const WIDTH: usize = 100;

/// Version of the `--json` layout.
pub const TOP_SCHEMA_VERSION: u32 = 1;

// Column widths of the integration table; the top resource gets the rest of the line.
const RANK: usize = 3;
const LABEL: usize = 28;
const PEAK: usize = 11;
const SHARE: usize = 7;
const CHATTY: usize = 6;
const INDENT: &str = "  ";
const GAP: &str = "  ";
const RESOURCE: usize = WIDTH - INDENT.len() - RANK - LABEL - PEAK - SHARE - CHATTY - 5 * GAP.len();
// A resource template needs room to be recognisable.
const _: () = assert!(RESOURCE >= 30);

/// What `top` shows, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct TopView {
    /// Layout version.
    pub schema_version: u32,
    /// Orgs, riskiest first (share of allocation; refusals count as over; unknown last).
    pub orgs: Vec<TopOrg>,
}

/// One org.
#[derive(Debug, Serialize)]
pub struct TopOrg {
    /// 15-character org id.
    pub org_id: String,
    /// Name from the org profile.
    pub name: Option<String>,
    /// Rolling-24h peak.
    pub peak: Option<u64>,
    /// When it was first reached (RFC 3339).
    pub peak_at: Option<String>,
    /// Peak ÷ allocation.
    pub share_of_allocation: Option<f64>,
    /// Allocation, when known.
    pub allocation: Option<u64>,
    /// Where the allocation came from: `flag|limits|profile|unknown`.
    pub allocation_source: serde_json::Value,
    /// Calls refused with `REQUEST_LIMIT_EXCEEDED`.
    pub limit_exceeded_calls: u64,
    /// Chatty integrations, shown or not.
    pub chatty_integrations: usize,
    /// Integrations shown, highest own peak first.
    pub integrations: Vec<TopIntegration>,
    /// Integrations with counted calls left out by `--limit`.
    pub more_integrations: usize,
}

/// One integration's row.
#[derive(Debug, Serialize)]
pub struct TopIntegration {
    /// 1 for the highest own peak.
    pub rank: usize,
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// `connected_app|client|user|unattributed`.
    pub kind: Kind,
    /// Own rolling-24h peak.
    pub peak: u64,
    /// When it was first reached.
    pub peak_at: Option<String>,
    /// Own peak ÷ allocation.
    pub share_of_allocation: Option<f64>,
    /// Its calls in the org's peak window ÷ the org's peak.
    pub share_of_org_peak_window: Option<f64>,
    /// Own peak ≥ chatty share × allocation.
    pub chatty: bool,
    /// Its most-called resource.
    pub top_resource: Option<String>,
    /// Counted calls of that resource.
    pub top_resource_calls: Option<u64>,
}

/// The rows of `top`, at most `limit` integrations per org (0: all).
pub fn view(a: &Analysis, limit: usize) -> TopView {
    TopView {
        schema_version: TOP_SCHEMA_VERSION,
        orgs: a.orgs_by_risk().into_iter().map(|o| top_org(o, limit)).collect(),
    }
}

fn top_org(org: &OrgReport, limit: usize) -> TopOrg {
    let mut ranked: Vec<&IntegrationReport> = org.integrations.iter().filter(|i| i.peak.is_some()).collect();
    ranked.sort_by(|a, b| peak_of(b).cmp(&peak_of(a)).then_with(|| a.key.cmp(&b.key)));
    let shown = if limit == 0 {
        ranked.len()
    } else {
        limit.min(ranked.len())
    };
    TopOrg {
        org_id: org.org_id.clone(),
        name: org.name.clone(),
        peak: org.peak.as_ref().map(|p| p.calls),
        peak_at: org.peak.as_ref().map(|p| p.at.clone()),
        share_of_allocation: org.peak.as_ref().and_then(|p| p.share_of_allocation),
        allocation: org.allocation.calls,
        allocation_source: serde_json::to_value(org.allocation.source).unwrap_or_default(),
        limit_exceeded_calls: org.limit_exceeded_calls,
        chatty_integrations: org.integrations.iter().filter(|i| i.chatty).count(),
        more_integrations: ranked.len() - shown,
        integrations: ranked[..shown]
            .iter()
            .enumerate()
            .map(|(n, i)| row(n + 1, i))
            .collect(),
    }
}

fn peak_of(i: &IntegrationReport) -> u64 {
    i.peak.as_ref().map_or(0, |p| p.calls)
}

fn row(rank: usize, i: &IntegrationReport) -> TopIntegration {
    let top = i.top_resources.first();
    TopIntegration {
        rank,
        key: i.key.clone(),
        label: i.label.clone(),
        kind: i.kind,
        peak: peak_of(i),
        peak_at: i.peak.as_ref().map(|p| p.at.clone()),
        share_of_allocation: i.peak_share_of_allocation,
        share_of_org_peak_window: i.share_of_org_peak_window,
        chatty: i.chatty,
        top_resource: top.map(|c| c.name.clone()),
        top_resource_calls: top.map(|c| c.calls),
    }
}

/// `--json`: pretty-printed, with a trailing newline.
pub fn json(view: &TopView) -> String {
    let mut s = serde_json::to_string_pretty(view).expect("the view always serialises");
    s.push('\n');
    s
}

/// The aligned table.
pub fn table(view: &TopView) -> String {
    let mut out = String::new();
    if view.orgs.is_empty() {
        out.push_str("No org has counted calls in the input.\n");
    }
    for (n, org) in view.orgs.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        org_block(&mut out, org);
    }
    out
}

fn org_block(out: &mut String, org: &TopOrg) {
    let title = match &org.name {
        Some(name) => format!("Org {} ({})", clean(name), clean(&org.org_id)),
        None => format!("Org {}", clean(&org.org_id)),
    };
    line(out, &title);
    line(out, &format!("{INDENT}{}", peak_summary(org)));
    if org.limit_exceeded_calls > 0 {
        let refused = thousands(org.limit_exceeded_calls);
        line(
            out,
            &format!("{INDENT}Refused with REQUEST_LIMIT_EXCEEDED: {refused} calls"),
        );
    }
    if org.integrations.is_empty() {
        return;
    }
    line(out, &header());
    for i in &org.integrations {
        line(out, &integration_line(i));
    }
    if org.more_integrations > 0 {
        let more = org.more_integrations;
        line(
            out,
            &format!("{INDENT}{:RANK$}{GAP}… {more} more (--limit 0 shows all)", ""),
        );
    }
}

fn peak_summary(org: &TopOrg) -> String {
    let (Some(peak), Some(at)) = (org.peak, &org.peak_at) else {
        return "No counted calls".into();
    };
    let source = org.allocation_source.as_str().unwrap_or("unknown");
    let share = match (org.allocation, org.share_of_allocation) {
        (Some(a), Some(s)) => format!("{} of {} ({source})", pct(Some(s)), thousands(a)),
        // Kept short: the line must fit, and `--help` says how to give an allocation.
        _ => "allocation unknown (see --allocation)".into(),
    };
    let chatty = match org.chatty_integrations {
        0 => String::new(),
        n => format!(" · {n} chatty"),
    };
    format!("Peak {} calls in 24 h at {at} · {share}{chatty}", thousands(peak))
}

fn header() -> String {
    format!(
        "{INDENT}{:>RANK$}{GAP}{:<LABEL$}{GAP}{:>PEAK$}{GAP}{:>SHARE$}{GAP}{:<CHATTY$}{GAP}{}",
        "#", "Integration", "Own peak", "Share", "Chatty", "Top resource"
    )
}

fn integration_line(i: &TopIntegration) -> String {
    let label = fit(&clean(&i.label), LABEL);
    let resource = fit(&clean(i.top_resource.as_deref().unwrap_or("–")), RESOURCE);
    let chatty = if i.chatty { "yes" } else { "" };
    let s = format!(
        "{INDENT}{:>RANK$}{GAP}{label}{GAP}{:>PEAK$}{GAP}{:>SHARE$}{GAP}{:<CHATTY$}{GAP}{resource}",
        i.rank,
        thousands(i.peak),
        pct(i.share_of_allocation),
        chatty
    );
    s.trim_end().to_string()
}

fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
}

/// Appends `s` clipped to [`WIDTH`] and a newline.
fn line(out: &mut String, s: &str) {
    let _ = writeln!(out, "{}", clip(s, WIDTH));
}

/// Exactly `width` characters: clipped with `…`, or padded with spaces.
fn fit(s: &str, width: usize) -> String {
    format!("{:<width$}", clip(s, width))
}

/// At most `width` characters, the last one `…` when cut. Characters are counted, not
/// display cells: wide (CJK) labels may overrun a little.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_add_up_to_the_width() {
        assert_eq!(header().chars().count(), WIDTH - RESOURCE + "Top resource".len());
    }

    #[test]
    fn terminal_escapes_in_labels_are_neutralised() {
        assert_eq!(clean("a\x1b[31mb\nc\u{202E}d"), "a [31mb c d");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_short_text_padded() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
