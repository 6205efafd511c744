//! Stage 5 of the pipeline: usage + allocation → findings (SPEC.md §3.4). Pure functions with
//! named thresholds; every finding carries its evidence.
//!
//! - **Chatty integration**: its own rolling-24h peak ≥ `chatty_share` × allocation.
//! - **Near limit**: the org's peak ≥ `warn_share` × allocation (and below it).
//! - **Over limit**: the org's peak ≥ the allocation, or calls refused with
//!   `REQUEST_LIMIT_EXCEEDED`.
//! - **Allocation unknown**: shares cannot be judged; says how to give the allocation.

use serde::Serialize;

use crate::allocation::Allocation;
use crate::usage::{Count, IntegrationUsage, OrgUsage};
use crate::window::Peak;

/// Thresholds for findings, as shares of the allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Chatty integration: own peak ≥ this share (default 0.5, the field's usual line).
    pub chatty_share: f64,
    /// Near limit: org peak ≥ this share (default 0.8, where Salesforce admins set alerts).
    pub warn_share: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            chatty_share: 0.5,
            warn_share: 0.8,
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The org's peak reached the allocation, or calls were refused.
    OverLimit,
    /// The org's peak reached the warn share.
    NearLimit,
    /// An integration's own peak reached the chatty share.
    ChattyIntegration,
    /// No allocation is known for the org.
    AllocationUnknown,
}

/// One finding and its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Kind.
    pub kind: FindingKind,
    /// Org id.
    pub org_id: String,
    /// Integration key, for integration findings.
    pub integration: Option<String>,
    /// Integration label, for integration findings.
    pub label: Option<String>,
    /// One sentence for people.
    pub message: String,
    /// The numbers behind it.
    pub evidence: Evidence,
}

/// The numbers behind a finding.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Evidence {
    /// The peak judged (org's or integration's).
    pub peak: Option<Peak>,
    /// Allocation, when known.
    pub allocation: Option<u64>,
    /// Peak ÷ allocation.
    pub share_of_allocation: Option<f64>,
    /// For integrations: its calls inside the org's peak window ÷ the org's peak.
    pub share_of_org_peak_window: Option<f64>,
    /// Calls refused with `REQUEST_LIMIT_EXCEEDED`.
    pub limit_exceeded_calls: u64,
    /// Most-called resources.
    pub top_resources: Vec<Count>,
    /// Most-called entities.
    pub top_entities: Vec<Count>,
    /// Methods.
    pub methods: Vec<Count>,
    /// API families.
    pub api_families: Vec<Count>,
}

/// `part ÷ whole`, or `None` when `whole` is unknown or zero.
pub fn share(part: u64, whole: Option<u64>) -> Option<f64> {
    whole.filter(|w| *w > 0).map(|w| part as f64 / w as f64)
}

/// Whether `peak` reaches `threshold` × `allocation`, in exact integer arithmetic where it
/// matters: 7,500 of 15,000 is exactly 50 % and is chatty.
fn reaches(peak: u64, allocation: u64, threshold: f64) -> bool {
    peak as f64 >= threshold * allocation as f64
}

/// Whether an integration is chatty.
pub fn is_chatty(integration: &IntegrationUsage, allocation: Option<u64>, t: &Thresholds) -> bool {
    match (integration.peak, allocation) {
        (Some(p), Some(a)) if a > 0 => reaches(p.calls, a, t.chatty_share),
        _ => false,
    }
}

/// All findings for one org, most severe first.
pub fn detect(org: &OrgUsage, allocation: &Allocation, t: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let alloc = allocation.calls.filter(|a| *a > 0);
    let org_peak = org.peak.map_or(0, |p| p.calls);
    let org_evidence = || Evidence {
        peak: org.peak,
        allocation: alloc,
        share_of_allocation: share(org_peak, alloc),
        limit_exceeded_calls: org.limit_exceeded_calls,
        ..Evidence::default()
    };
    let pct = |s: Option<f64>| {
        s.map_or_else(String::new, |s| {
            format!(" ({:.1} % of {})", s * 100.0, thousands(alloc.unwrap_or(0)))
        })
    };
    match alloc {
        Some(a) if org_peak >= a || org.limit_exceeded_calls > 0 => out.push(org_finding(
            org,
            FindingKind::OverLimit,
            format!(
                "Org {} reached its allocation: rolling-24h peak {} calls{}{}",
                org.org_id,
                thousands(org_peak),
                pct(share(org_peak, alloc)),
                refused(org)
            ),
            org_evidence(),
        )),
        Some(a) if reaches(org_peak, a, t.warn_share) => out.push(org_finding(
            org,
            FindingKind::NearLimit,
            format!("Org {} came near its limit: rolling-24h peak {} calls{}", org.org_id, thousands(org_peak), pct(share(org_peak, alloc))),
            org_evidence(),
        )),
        Some(_) => {}
        None => out.push(org_finding(
            org,
            FindingKind::AllocationUnknown,
            format!(
                "Org {}: allocation unknown, so shares cannot be judged (peak {} calls{}); pass --allocation {}=N, --limits FILE or --profile FILE",
                org.org_id,
                thousands(org_peak),
                refused(org),
                org.org_id
            ),
            org_evidence(),
        )),
    }
    for integration in org.integrations.iter().filter(|i| is_chatty(i, alloc, t)) {
        out.push(chatty(org, integration, alloc));
    }
    out
}

fn refused(org: &OrgUsage) -> String {
    match org.limit_reached {
        None => String::new(),
        Some(hit) => format!(
            "; {} calls refused with REQUEST_LIMIT_EXCEEDED, the first at {} when {} calls were in the 24-hour window (so the allocation is at most about that)",
            thousands(org.limit_exceeded_calls),
            crate::model::rfc3339(hit.at),
            thousands(hit.usage)
        ),
    }
}

fn org_finding(org: &OrgUsage, kind: FindingKind, message: String, evidence: Evidence) -> Finding {
    Finding {
        kind,
        org_id: org.org_id.clone(),
        integration: None,
        label: None,
        message,
        evidence,
    }
}

fn chatty(org: &OrgUsage, i: &IntegrationUsage, alloc: Option<u64>) -> Finding {
    let peak = i.peak.map_or(0, |p| p.calls);
    let share_alloc = share(peak, alloc);
    let org_peak = org.peak.map(|p| p.calls);
    Finding {
        kind: FindingKind::ChattyIntegration,
        org_id: org.org_id.clone(),
        integration: Some(i.key.clone()),
        label: Some(i.label.clone()),
        message: format!(
            "{} is chatty: its own rolling-24h peak is {} calls, {:.1} % of the org's allocation of {}",
            i.label,
            thousands(peak),
            share_alloc.unwrap_or(0.0) * 100.0,
            thousands(alloc.unwrap_or(0))
        ),
        evidence: Evidence {
            peak: i.peak,
            allocation: alloc,
            share_of_allocation: share_alloc,
            share_of_org_peak_window: share(i.calls_in_org_peak_window, org_peak),
            limit_exceeded_calls: 0,
            top_resources: i.top_resources.clone(),
            top_entities: i.top_entities.clone(),
            methods: i.methods.clone(),
            api_families: i.api_families.clone(),
        },
    }
}

pub use crate::model::thousands;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::Kind;

    fn integration(key: &str, peak: u64) -> IntegrationUsage {
        IntegrationUsage {
            key: key.into(),
            label: key.into(),
            kind: Kind::Client,
            internal: false,
            counted_calls: peak,
            not_counted_calls: 0,
            peak: Some(Peak {
                calls: peak,
                at: 0,
                window_start: -86_400_000,
            }),
            calls_in_org_peak_window: peak,
            top_resources: vec![],
            top_entities: vec![],
            methods: vec![],
            api_families: vec![],
        }
    }

    fn org(peak: u64, integrations: Vec<IntegrationUsage>, refused: u64) -> OrgUsage {
        OrgUsage {
            org_id: "00D000000000001".into(),
            counted_calls: peak,
            not_counted_calls: 0,
            estimated_calls: 0,
            limit_exceeded_calls: refused,
            limit_reached: (refused > 0).then_some(crate::usage::LimitReached { at: 0, usage: peak }),
            span: None,
            peak: Some(Peak {
                calls: peak,
                at: 0,
                window_start: -86_400_000,
            }),
            integrations,
            series: None,
        }
    }

    fn alloc(n: Option<u64>) -> Allocation {
        let mut a = Allocation::unknown();
        a.calls = n;
        a
    }

    fn kinds(f: &[Finding]) -> Vec<FindingKind> {
        f.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn exactly_half_the_allocation_is_chatty_and_one_call_less_is_not() {
        let o = org(9_000, vec![integration("a", 7_500), integration("b", 7_499)], 0);
        let f = detect(&o, &alloc(Some(15_000)), &Thresholds::default());
        assert_eq!(kinds(&f), [FindingKind::ChattyIntegration]);
        assert_eq!(f[0].integration.as_deref(), Some("a"));
    }

    #[test]
    fn org_thresholds_give_near_and_over() {
        let t = Thresholds::default();
        assert_eq!(
            kinds(&detect(&org(11_999, vec![], 0), &alloc(Some(15_000)), &t)),
            []
        );
        assert_eq!(
            kinds(&detect(&org(12_000, vec![], 0), &alloc(Some(15_000)), &t)),
            [FindingKind::NearLimit]
        );
        assert_eq!(
            kinds(&detect(&org(15_000, vec![], 0), &alloc(Some(15_000)), &t)),
            [FindingKind::OverLimit]
        );
        assert_eq!(
            kinds(&detect(&org(10, vec![], 3), &alloc(Some(15_000)), &t)),
            [FindingKind::OverLimit]
        );
    }

    #[test]
    fn unknown_allocation_is_a_finding_and_nothing_is_chatty() {
        let o = org(9_000, vec![integration("a", 9_000)], 0);
        let f = detect(&o, &alloc(None), &Thresholds::default());
        assert_eq!(kinds(&f), [FindingKind::AllocationUnknown]);
        assert!(f[0].message.contains("--allocation 00D000000000001=N"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(115_000), "115,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
