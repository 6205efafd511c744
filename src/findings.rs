//! Stage 5 of the pipeline: usage + allocation → findings (SPEC.md §3.4). Pure functions with
//! named thresholds; every finding carries its evidence.
//!
//! - **Chatty integration**: its own rolling-24h peak ≥ `chatty_share` × allocation.
//! - **Near limit**: the org's peak ≥ `warn_share` × allocation (and below it).
//! - **Over limit**: the org's peak ≥ the allocation, or calls refused with
//!   `REQUEST_LIMIT_EXCEEDED`.
//! - **Allocation unknown**: shares cannot be judged; says how to give the allocation.

use serde::Serialize;

use crate::allocation::{Allocation, AllocationInputs};
use crate::usage::{Count, IntegrationUsage, OrgUsage};
use crate::window::Peak;

/// Parts per million: shares are held as integers so that comparisons are exact.
pub const PPM: u64 = 1_000_000;

/// Thresholds for findings, as shares of the allocation in parts per million (500,000 = 50 %),
/// so `peak × 1,000,000 ≥ allocation × share` is compared exactly, never in floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Chatty integration: own peak ≥ this share (default 50 %, the field's usual line).
    pub chatty_ppm: u32,
    /// Near limit: org peak ≥ this share (default 80 %, where Salesforce admins set alerts).
    pub warn_ppm: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            chatty_ppm: 500_000,
            warn_ppm: 800_000,
        }
    }
}

impl Thresholds {
    /// The chatty share as a fraction, for display only.
    pub fn chatty_share(&self) -> f64 {
        f64::from(self.chatty_ppm) / PPM as f64
    }

    /// The warn share as a fraction, for display only.
    pub fn warn_share(&self) -> f64 {
        f64::from(self.warn_ppm) / PPM as f64
    }
}

/// Parses a share written as a decimal (`0.55`, `.5`, `1`, `55%`) into parts per million,
/// exactly: the digits are read as integers, never through `f64`. Accepted: more than 0 and at
/// most 1 (100 %), at most six decimals (four with `%`).
pub fn parse_share_ppm(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 2),
        None => (t, 0),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(format!("`{text}` is not a decimal share such as 0.5 or 50%"));
    }
    if frac.len() + scale > 6 {
        return Err(format!(
            "`{text}` has more decimals than a share in parts per million can hold (at most 6, or 4 with %)"
        ));
    }
    let int = int.trim_start_matches('0');
    if int.len() > 7 {
        return Err(format!("`{text}` is more than 1 (100 %)"));
    }
    let whole: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("`{text}` is not a number"))?
    };
    let frac_value: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| format!("`{text}` is not a number"))?
    };
    let unit = 10u64.pow((6 - scale) as u32);
    let ppm = whole * unit + frac_value * 10u64.pow((6 - scale - frac.len()) as u32);
    match ppm {
        0 => Err(format!("`{text}` is 0: give a share above 0, such as 0.5")),
        p if p > PPM => Err(format!(
            "`{text}` is more than 1 (100 %); give a share such as 0.5"
        )),
        p => Ok(p as u32),
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
    /// The org's last call is more than [`STALE_AFTER_MS`] before the run's time: its logs
    /// stopped arriving (a failed download looks like a quiet org).
    Stale,
}

/// An org whose last call is older than this (36 hours) before the run's time is stale: daily
/// EventLogFiles arrive within a day, so a healthy nightly feed is never this far behind.
pub const STALE_AFTER_MS: i64 = 36 * 3_600_000;

/// A peak as `summary.json` writes it: `{ calls, at, window_start }` with RFC 3339 times.
fn peak_in_rfc3339<S: serde::Serializer>(peak: &Option<Peak>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Written {
        calls: u64,
        at: String,
        window_start: String,
    }
    peak.map(|p| Written {
        calls: p.calls,
        at: crate::text::rfc3339(p.at),
        window_start: crate::text::rfc3339(p.window_start),
    })
    .serialize(s)
}

/// The stale finding of an org, when its last call is more than 36 h before `now` (UTC ms).
pub fn stale(org: &OrgUsage, name: Option<&str>, now: i64) -> Option<Finding> {
    let (_, last) = org.span?;
    let behind = now.saturating_sub(last);
    (behind > STALE_AFTER_MS).then(|| {
        org_finding(
            org,
            FindingKind::Stale,
            format!(
                "{}: the last call in the logs is at {}, {} before this report's time; logs may have stopped arriving",
                org_label(&org.org_id, name),
                crate::text::rfc3339(last),
                hours_or_days(behind)
            ),
            Evidence {
                peak: org.peak,
                ..Evidence::default()
            },
        )
    })
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
    /// The peak judged (org's or integration's); written with RFC 3339 times, like every time
    /// in `summary.json`.
    #[serde(serialize_with = "peak_in_rfc3339")]
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

/// Whether `peak` reaches `ppm` parts per million of `allocation`, in exact integer arithmetic
/// (`peak × 1,000,000 ≥ allocation × ppm`, in u128 so nothing overflows): 55,000 of 100,000 is
/// exactly 55 %.
pub fn reaches(peak: u64, allocation: u64, ppm: u32) -> bool {
    u128::from(peak) * u128::from(PPM) >= u128::from(allocation) * u128::from(ppm)
}

/// Whether an integration is chatty.
pub fn is_chatty(integration: &IntegrationUsage, allocation: Option<u64>, t: &Thresholds) -> bool {
    match (integration.peak, allocation) {
        (Some(p), Some(a)) if a > 0 => reaches(p.calls, a, t.chatty_ppm),
        _ => false,
    }
}

/// The findings stage: every finding of every org, sorted by kind (most severe first), org and
/// integration. `now` (the run's time, UTC ms, passed in) dates stale logs.
pub fn judge(usage: &[OrgUsage], allocations: &AllocationInputs, t: &Thresholds, now: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    for org in usage {
        let name = allocations.org_name(&org.org_id);
        out.extend(detect(org, name, &allocations.resolve(&org.org_id), t));
        out.extend(stale(org, name, now));
    }
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| a.org_id.cmp(&b.org_id))
            .then_with(|| a.integration.cmp(&b.integration))
    });
    out
}

/// All findings for one org, most severe first.
pub fn detect(org: &OrgUsage, name: Option<&str>, allocation: &Allocation, t: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let label = org_label(&org.org_id, name);
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
                "{} reached its allocation: rolling-24h peak {} calls{}{}",
                label,
                thousands(org_peak),
                pct(share(org_peak, alloc)),
                refused(org)
            ),
            org_evidence(),
        )),
        Some(a) if reaches(org_peak, a, t.warn_ppm) => out.push(org_finding(
            org,
            FindingKind::NearLimit,
            format!("{} came near its limit: rolling-24h peak {} calls{}", label, thousands(org_peak), pct(share(org_peak, alloc))),
            org_evidence(),
        )),
        Some(_) => {}
        None => out.push(org_finding(
            org,
            FindingKind::AllocationUnknown,
            format!(
                "{}: allocation unknown, so shares cannot be judged (peak {} calls{}); pass --allocation {}=N, --limits FILE or --profile FILE",
                label,
                thousands(org_peak),
                refused(org),
                org.org_id
            ),
            org_evidence(),
        )),
    }
    for integration in org.integrations.iter().filter(|i| is_chatty(i, alloc, t)) {
        out.push(chatty(org, &label, integration, alloc));
    }
    out
}

/// How a finding names an org: "Acme Dev (00D8a000000DvA1)", or "Org 00D8a000000DvA1" when
/// its name is unknown, so a reader sees the name and can still search for the id.
pub fn org_label(org_id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} ({org_id})"),
        None => format!("Org {org_id}"),
    }
}

/// A time span in whole hours below two days, in whole days from there ("23 days").
fn hours_or_days(ms: i64) -> String {
    let hours = u64::try_from(ms / 3_600_000).unwrap_or(0);
    match hours {
        1 => "1 hour".into(),
        h if h < 48 => format!("{h} hours"),
        h => format!("{} days", thousands(h / 24)),
    }
}

fn refused(org: &OrgUsage) -> String {
    match org.limit_reached {
        None => String::new(),
        Some(hit) => format!(
            "; {} calls refused with REQUEST_LIMIT_EXCEEDED, the first at {} when {} calls were in the 24-hour window (so the allocation is at most about that)",
            thousands(org.limit_exceeded_calls),
            crate::text::rfc3339(hit.at),
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

fn chatty(org: &OrgUsage, org_label: &str, i: &IntegrationUsage, alloc: Option<u64>) -> Finding {
    let peak = i.peak.map_or(0, |p| p.calls);
    let share_alloc = share(peak, alloc);
    let org_peak = org.peak.map(|p| p.calls);
    Finding {
        kind: FindingKind::ChattyIntegration,
        org_id: org.org_id.clone(),
        integration: Some(i.key.clone()),
        label: Some(i.label.clone()),
        message: format!(
            "{} in {} is chatty: its own rolling-24h peak is {} calls, {:.1} % of the org's allocation of {}",
            i.label,
            org_label,
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

use crate::text::{share, thousands};

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
            warm_up_calls: 0,
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
        let f = detect(&o, None, &alloc(Some(15_000)), &Thresholds::default());
        assert_eq!(kinds(&f), [FindingKind::ChattyIntegration]);
        assert_eq!(f[0].integration.as_deref(), Some("a"));
    }

    #[test]
    fn org_thresholds_give_near_and_over() {
        let t = Thresholds::default();
        assert_eq!(
            kinds(&detect(&org(11_999, vec![], 0), None, &alloc(Some(15_000)), &t)),
            []
        );
        assert_eq!(
            kinds(&detect(&org(12_000, vec![], 0), None, &alloc(Some(15_000)), &t)),
            [FindingKind::NearLimit]
        );
        assert_eq!(
            kinds(&detect(&org(15_000, vec![], 0), None, &alloc(Some(15_000)), &t)),
            [FindingKind::OverLimit]
        );
        assert_eq!(
            kinds(&detect(&org(10, vec![], 3), None, &alloc(Some(15_000)), &t)),
            [FindingKind::OverLimit]
        );
    }

    #[test]
    fn unknown_allocation_is_a_finding_and_nothing_is_chatty() {
        let o = org(9_000, vec![integration("a", 9_000)], 0);
        let f = detect(&o, None, &alloc(None), &Thresholds::default());
        assert_eq!(kinds(&f), [FindingKind::AllocationUnknown]);
        assert!(f[0].message.contains("--allocation 00D000000000001=N"));
    }

    #[test]
    fn a_peak_of_exactly_the_share_is_flagged_and_one_call_less_is_not() {
        let t = Thresholds {
            chatty_ppm: parse_share_ppm("0.55").unwrap(),
            warn_ppm: parse_share_ppm("0.55").unwrap(),
        };
        let o = org(
            55_000,
            vec![integration("a", 55_000), integration("b", 54_999)],
            0,
        );
        let f = detect(&o, None, &alloc(Some(100_000)), &t);
        assert_eq!(
            kinds(&f),
            [FindingKind::NearLimit, FindingKind::ChattyIntegration]
        );
        assert_eq!(f[1].integration.as_deref(), Some("a"));
        let below = detect(&org(54_999, vec![], 0), None, &alloc(Some(100_000)), &t);
        assert_eq!(kinds(&below), []);
    }

    #[test]
    fn shares_parse_exactly_into_parts_per_million() {
        assert_eq!(parse_share_ppm("0.55"), Ok(550_000));
        assert_eq!(parse_share_ppm(".5"), Ok(500_000));
        assert_eq!(parse_share_ppm("1"), Ok(1_000_000));
        assert_eq!(parse_share_ppm("1.000000"), Ok(1_000_000));
        assert_eq!(parse_share_ppm("0.000001"), Ok(1));
        assert_eq!(parse_share_ppm("55%"), Ok(550_000));
        assert_eq!(parse_share_ppm("0.0001%"), Ok(1));
        for bad in [
            "0",
            "0.0",
            "1.000001",
            "2",
            "0.0000001",
            "-0.5",
            "abc",
            "",
            ".",
            "1e-1",
            "0.5.5",
            "99999999999999999999",
        ] {
            assert!(parse_share_ppm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_org_whose_last_call_is_more_than_36_hours_old_is_stale() {
        let mut o = org(10, vec![], 0);
        o.span = Some((0, 1_000));
        assert!(stale(&o, None, 1_000 + STALE_AFTER_MS).is_none());
        let f = stale(&o, None, 1_001 + STALE_AFTER_MS).unwrap();
        assert_eq!(f.kind, FindingKind::Stale);
        assert!(f.message.contains("36 hours before"), "{}", f.message);
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
