//! `apiusage top`: the heavy hitters at a glance, for an admin at a terminal (SPEC.md §1).
//!
//! Render stage, like the report's renderers, but for stdout: it reads the `Analysis` only.
//! Per org, riskiest first: the rolling-24h peak and its time, then the integrations ranked by
//! their own peak's share of the allocation (the same order as by peak, since the allocation is
//! the org's), as an aligned table as wide as the terminal (see [`crate::term`]), with a status
//! (over/near limit, allocation unknown; chatty) and each integration's calls in the org's peak
//! window, which says who caused the peak. `--json` gives the same rows for scripts. Every
//! string from the logs is stripped of control characters, so a label cannot move the cursor or
//! recolour the terminal; the only escapes are the status colours, when the caller asks.

use serde::Serialize;

use crate::analysis::{Analysis, IntegrationReport, OrgReport};
use crate::attribute::Kind;
use crate::findings::FindingKind;
use crate::render::term_layout::{self as layout, fit, push_line, Cell, Layout, Style, GAP, INDENT};
use crate::render::zone::DisplayZone;
use crate::term::Terminal;
pub use crate::text::clean;
use crate::text::thousands;

/// An org's state, the most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    /// Its peak reached the allocation, or calls were refused.
    OverLimit,
    /// Its peak reached the warn share.
    NearLimit,
    /// No allocation is known, so shares cannot be judged.
    AllocationUnknown,
    /// Below the warn share.
    Ok,
}

/// An integration's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// Own peak ≥ the chatty share of the allocation.
    Chatty,
    /// Below it (or the allocation is unknown).
    Ok,
}

/// Version of the `--json` layout.
pub const TOP_SCHEMA_VERSION: u32 = 1;

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
    /// `over_limit|near_limit|allocation_unknown|ok`.
    pub status: OrgStatus,
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
    /// `chatty|ok`.
    pub status: IntegrationStatus,
    /// Own rolling-24h peak.
    pub peak: u64,
    /// Its calls in the org's peak window (who caused the org's peak).
    pub calls_in_org_peak_window: u64,
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
        orgs: a
            .orgs_by_risk()
            .into_iter()
            .map(|o| top_org(o, org_status(a, o), limit))
            .collect(),
    }
}

fn org_status(a: &Analysis, org: &OrgReport) -> OrgStatus {
    match a.org_status(&org.org_id) {
        Some(FindingKind::OverLimit) => OrgStatus::OverLimit,
        Some(FindingKind::NearLimit) => OrgStatus::NearLimit,
        Some(FindingKind::AllocationUnknown) => OrgStatus::AllocationUnknown,
        _ if org.allocation.calls.is_none() => OrgStatus::AllocationUnknown,
        _ => OrgStatus::Ok,
    }
}

fn top_org(org: &OrgReport, status: OrgStatus, limit: usize) -> TopOrg {
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
        status,
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
        status: if i.chatty {
            IntegrationStatus::Chatty
        } else {
            IntegrationStatus::Ok
        },
        peak: peak_of(i),
        calls_in_org_peak_window: i.calls_in_org_peak_window,
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

/// The aligned table, as wide as `term` and painted when it takes colour.
pub fn table(view: &TopView, term: Terminal, zone: DisplayZone) -> String {
    let mut out = String::new();
    if view.orgs.is_empty() {
        out.push_str("No org has counted calls in the input.\n");
    }
    let t = Table {
        layout: Layout::for_width(term.width),
        color: term.color,
        zone,
    };
    for (n, org) in view.orgs.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        t.org_block(&mut out, org);
    }
    if view.orgs.iter().any(|o| !o.integrations.is_empty()) {
        out.push('\n');
        t.line(
            &mut out,
            vec![Cell::plain(
                "In peak: calls in the org's peak 24 hours (who caused the peak).",
            )],
        );
    }
    out
}

/// One rendering of the table.
struct Table {
    layout: Layout,
    color: bool,
    zone: DisplayZone,
}

impl Table {
    fn line(&self, out: &mut String, cells: Vec<Cell>) {
        push_line(out, &cells, self.layout.width, self.color);
    }

    fn org_block(&self, out: &mut String, org: &TopOrg) {
        let title = match &org.name {
            Some(name) => format!("Org {} ({})", clean(name), clean(&org.org_id)),
            None => format!("Org {}", clean(&org.org_id)),
        };
        self.line(out, vec![Cell::styled(title, Some(layout::BOLD))]);
        let (word, style) = org_status_text(org.status);
        let (peak, allocation) = peak_summary(org, self.zone);
        let status = vec![Cell::plain(INDENT), Cell::styled(word, style), Cell::plain(peak)];
        self.line(out, status);
        self.line(out, vec![Cell::plain(format!("{INDENT}{allocation}"))]);
        if org.limit_exceeded_calls > 0 {
            let refused = thousands(org.limit_exceeded_calls);
            let text = format!("{INDENT}Refused with REQUEST_LIMIT_EXCEEDED: {refused} calls");
            self.line(out, vec![Cell::plain(text)]);
        }
        if org.integrations.is_empty() {
            return;
        }
        self.line(out, vec![Cell::plain(self.header())]);
        for i in &org.integrations {
            self.line(out, self.integration_cells(i));
        }
        if org.more_integrations > 0 {
            let more = org.more_integrations;
            let text = format!(
                "{INDENT}{:w$}{GAP}… {more} more (--limit 0 shows all)",
                "",
                w = layout::RANK
            );
            self.line(out, vec![Cell::plain(text)]);
        }
    }

    fn header(&self) -> String {
        let (label, resource) = (self.layout.label, self.layout.resource);
        let mut s = format!(
            "{INDENT}{:>r$}{GAP}{:<label$}{GAP}{:>p$}{GAP}{:>sh$}{GAP}{:>ip$}{GAP}{:<st$}",
            "#",
            "Integration",
            "Own peak",
            "Share",
            "In peak",
            "Status",
            r = layout::RANK,
            p = layout::PEAK,
            sh = layout::SHARE,
            ip = layout::IN_PEAK,
            st = layout::STATUS,
        );
        if resource > 0 {
            s.push_str(&format!("{GAP}{}", fit("Top resource", resource)));
        }
        s
    }

    fn integration_cells(&self, i: &TopIntegration) -> Vec<Cell> {
        let numbers = format!(
            "{INDENT}{:>r$}{GAP}{}{GAP}{:>p$}{GAP}{:>sh$}{GAP}{:>ip$}{GAP}",
            i.rank,
            fit(&clean(&i.label), self.layout.label),
            thousands(i.peak),
            pct(i.share_of_allocation),
            thousands(i.calls_in_org_peak_window),
            r = layout::RANK,
            p = layout::PEAK,
            sh = layout::SHARE,
            ip = layout::IN_PEAK,
        );
        let status = match i.status {
            IntegrationStatus::Chatty => Cell::styled(fit("chatty", layout::STATUS), Some(layout::YELLOW)),
            IntegrationStatus::Ok => Cell::plain(fit("", layout::STATUS)),
        };
        let mut cells = vec![Cell::plain(numbers), status];
        if self.layout.resource > 0 {
            let resource = clean(i.top_resource.as_deref().unwrap_or("–"));
            cells.push(Cell::plain(format!(
                "{GAP}{}",
                fit(&resource, self.layout.resource)
            )));
        }
        cells
    }
}

fn org_status_text(status: OrgStatus) -> (&'static str, Option<Style>) {
    match status {
        OrgStatus::OverLimit => ("over limit", Some(layout::RED)),
        OrgStatus::NearLimit => ("near limit", Some(layout::YELLOW)),
        OrgStatus::AllocationUnknown => ("allocation unknown", Some(layout::DIM)),
        OrgStatus::Ok => ("ok", Some(layout::GREEN)),
    }
}

/// The status line's rest (` · Peak … at …`) and the allocation line, two lines so that both
/// fit 80 columns.
fn peak_summary(org: &TopOrg, zone: DisplayZone) -> (String, String) {
    let peak = match (org.peak, &org.peak_at) {
        (Some(peak), Some(at)) => format!(
            " · Peak {} calls in 24 h at {}",
            thousands(peak),
            crate::render::text::clock(at, false, zone)
        ),
        _ => " · No counted calls".into(),
    };
    let source = org.allocation_source.as_str().unwrap_or("unknown");
    let share = match (org.allocation, org.share_of_allocation) {
        (Some(a), Some(s)) => format!("{} of {} ({source})", pct(Some(s)), thousands(a)),
        (Some(a), None) => format!("Allocation {} ({source})", thousands(a)),
        // Kept short: the line must fit, and `--help` says more.
        _ => "Shares need an allocation: give --allocation, --limits or --profile".into(),
    };
    let chatty = match org.chatty_integrations {
        0 => String::new(),
        n => format!(" · {n} chatty"),
    };
    (peak, format!("{share}{chatty}"))
}

fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_in_labels_are_neutralised() {
        assert_eq!(clean("a\x1b[31mb\nc\u{202E}d"), "a [31mb c d");
    }

    #[test]
    fn the_header_is_as_wide_as_the_layout() {
        for width in [80, 120] {
            let t = Table {
                layout: Layout::for_width(width),
                color: false,
                zone: DisplayZone::Utc,
            };
            assert_eq!(t.header().chars().count(), width);
        }
    }
}
