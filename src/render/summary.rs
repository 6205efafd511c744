//! The executive summary (render stage): the report's story in a few plain sentences, riskiest
//! org first — how close it came to its allocation and when, which integration used it, and
//! the one change that lowers the peak most. It opens `report.md`, `report.html`, the digest
//! and `report`'s stdout. Plain text: each caller escapes for its markup.

use crate::analysis::{Analysis, IntegrationReport, OrgReport, RecommendationView};
use crate::findings::FindingKind;
use crate::recommend::Kind;
use crate::render::text::{human_time, pct};
use crate::render::zone::DisplayZone;
use crate::text::thousands;

/// At most this many orgs at risk get a sentence of their own; the rest are counted.
pub const ORGS_NAMED: usize = 10;

/// The summary's sentences, riskiest first; `zone` is the display zone (`--tz`).
pub fn sentences(a: &Analysis, zone: DisplayZone) -> Vec<String> {
    let mut out = Vec::new();
    let orgs = a.orgs_by_risk();
    let status = a.org_statuses();
    let at_risk: Vec<&OrgReport> = orgs.iter().copied().filter(|o| is_at_risk(&status, o)).collect();
    for org in at_risk.iter().take(ORGS_NAMED) {
        out.push(org_sentence(a, org, zone));
    }
    if at_risk.len() > ORGS_NAMED {
        out.push(format!(
            "{} more orgs are near or over their allocation or have a chatty integration: see the org index.",
            thousands((at_risk.len() - ORGS_NAMED) as u64)
        ));
    }
    out.extend(calm_orgs(&status, &orgs));
    out.extend(unknown_allocations(&status, &orgs));
    out.extend(stale_orgs(a));
    if let Some(why) = a.recommendations_omitted {
        out.push(format!("Recommendations were not computed: {why}."));
    } else if a.recommendations.is_empty() {
        out.push("No recommendations: no known wasteful pattern was found in the logs.".into());
    }
    out.extend(bad_rows(a));
    if out.is_empty() {
        out.push("No counted calls in the logs.".into());
    }
    out
}

/// Near or over its limit, or with a chatty integration.
fn is_at_risk(status: &Statuses, org: &OrgReport) -> bool {
    matches!(
        status.get(org.org_id.as_str()),
        Some(FindingKind::OverLimit | FindingKind::NearLimit)
    ) || org.integrations.iter().any(|i| i.chatty)
}

/// Each org's status ([`Analysis::org_statuses`]), computed once per summary.
type Statuses<'a> = std::collections::HashMap<&'a str, FindingKind>;

/// How the summary names an org: its name, or its id when the name is unknown.
pub fn org_name(org: &OrgReport) -> &str {
    org.name.as_deref().unwrap_or(&org.org_id)
}

fn org_sentence(a: &Analysis, org: &OrgReport, zone: DisplayZone) -> String {
    let mut parts = vec![peak_clause(org, zone)];
    for i in org.integrations.iter().filter(|i| i.chatty) {
        parts.push(chatty_clause(i));
    }
    if let Some(r) = best_recommendation(a, &org.org_id) {
        parts.push(recommendation_clause(r));
    }
    format!("{}.", parts.join("; "))
}

fn peak_clause(org: &OrgReport, zone: DisplayZone) -> String {
    let name = org_name(org);
    let Some(peak) = &org.peak else {
        return format!("{name} has no counted calls");
    };
    let when = human_time(&peak.at, zone);
    let alloc = org.allocation.calls.map_or_else(String::new, thousands);
    let refused = match org.limit_exceeded_calls {
        0 => String::new(),
        n => format!(
            ", and {} calls were refused with REQUEST_LIMIT_EXCEEDED",
            thousands(n)
        ),
    };
    match peak.share_of_allocation {
        Some(s) if s >= 1.0 || org.limit_exceeded_calls > 0 => format!(
            "{name} went over its {alloc}-call allocation: {} calls ({}) in the 24 hours to {when}{refused}",
            thousands(peak.calls),
            pct(Some(s))
        ),
        Some(s) => format!(
            "{name} reached {} of its {alloc}-call allocation on {when}",
            pct(Some(s))
        ),
        None => format!(
            "{name} peaked at {} calls on {when}{refused}",
            thousands(peak.calls)
        ),
    }
}

fn chatty_clause(i: &IntegrationReport) -> String {
    format!("{} used {} by itself", i.label, pct(i.peak_share_of_allocation))
}

/// The org's recommendation that lowers its peak most (the first of equals, in the analysis'
/// order), when it saves anything.
pub fn best_recommendation<'a>(a: &'a Analysis, org_id: &str) -> Option<&'a RecommendationView> {
    a.recommendations
        .iter()
        .filter(|r| r.org_id == org_id && r.calls_saved_at_peak > 0)
        .fold(None, |best: Option<&RecommendationView>, r| match best {
            Some(b) if b.calls_saved_at_peak >= r.calls_saved_at_peak => Some(b),
            _ => Some(r),
        })
}

fn recommendation_clause(r: &RecommendationView) -> String {
    let after = r.org_peak_after.as_ref();
    let to = match after.and_then(|p| p.share_of_allocation) {
        Some(s) => pct(Some(s)),
        None => format!("{} calls", thousands(after.map_or(0, |p| p.calls))),
    };
    format!("{} would bring the peak to {to}", change(r))
}

/// What a recommendation changes, as the subject of a sentence.
pub fn change(r: &RecommendationView) -> String {
    let who = &r.label;
    match r.kind {
        Kind::SingleRecordCrud => format!("batching the single-record calls of {who}"),
        Kind::Polling => format!("replacing the polling of {who} with change events"),
        Kind::TokenChurn => format!("reusing the sessions of {who}"),
        Kind::RepeatedMetadata => format!("caching the metadata calls of {who}"),
        Kind::CompositeBatch => format!("moving {who} from /composite/batch to /composite"),
        Kind::ErrorBurst => format!("fixing the failing calls of {who}"),
        Kind::Pagination => format!("reading bigger pages (or a Bulk API query) in {who}"),
        Kind::OldApiVersion | Kind::NoKnownPattern => format!("changing {who}"),
    }
}

/// One sentence for the orgs with a known allocation that are not at risk.
fn calm_orgs(status: &Statuses, orgs: &[&OrgReport]) -> Option<String> {
    let calm: Vec<&OrgReport> = orgs
        .iter()
        .copied()
        .filter(|o| {
            !is_at_risk(status, o) && o.peak.as_ref().is_some_and(|p| p.share_of_allocation.is_some())
        })
        .collect();
    let highest = calm.first()?;
    let share = pct(highest.peak.as_ref().and_then(|p| p.share_of_allocation));
    Some(match calm.len() {
        1 => format!(
            "{} stayed well within its allocation (peak {share}).",
            org_name(highest)
        ),
        n => format!(
            "{n} other orgs stayed well within their allocations (highest: {} at {share}).",
            org_name(highest)
        ),
    })
}

fn unknown_allocations(status: &Statuses, orgs: &[&OrgReport]) -> Option<String> {
    let unknown: Vec<&OrgReport> = orgs
        .iter()
        .copied()
        .filter(|o| {
            !is_at_risk(status, o) && status.get(o.org_id.as_str()) == Some(&FindingKind::AllocationUnknown)
        })
        .collect();
    let first = unknown.first()?;
    let peak = thousands(first.peak.as_ref().map_or(0, |p| p.calls));
    Some(match unknown.len() {
        1 => format!(
            "{}'s allocation is unknown (peak {peak} calls), so its share cannot be judged: give it with --allocation, --limits or --profile.",
            org_name(first)
        ),
        n => format!(
            "{n} orgs have no known allocation (the busiest, {}, peaked at {peak} calls): give theirs with --allocation, --limits or --profile.",
            org_name(first)
        ),
    })
}

fn stale_orgs(a: &Analysis) -> Option<String> {
    let n = a.findings.iter().filter(|f| f.kind == FindingKind::Stale).count();
    match n {
        0 => None,
        1 => Some(
            "One org's logs end more than 36 hours before this report: check that they still arrive.".into(),
        ),
        n => Some(format!(
            "The logs of {n} orgs end more than 36 hours before this report: check that they still arrive."
        )),
    }
}

fn bad_rows(a: &Analysis) -> Option<String> {
    let bad: u64 = a.data_quality.bad_rows.values().map(|e| e.count).sum();
    (bad > 0).then(|| {
        format!(
            "{} rows could not be read and were skipped (see Data quality).",
            thousands(bad)
        )
    })
}
