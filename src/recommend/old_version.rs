//! Detector `old_api_version`: calls on API versions below the floor.
//!
//! Part of the recommendation stage; fed one integration's counted calls by `scan`. The version
//! is the row's `API_VERSION`, else the one in a REST path (`/v29.0/…`) or SOAP endpoint.
//! Salesforce retired versions 21.0 through 30.0, so the default floor is 31.0
//! (`--min-api-version`). Calls on a retired version fail; this is a risk, not a saving, and the
//! what-if removes nothing.

use super::classify::Row;
use super::{evidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, StrId};
use crate::text::thousands;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct OldVersions {
    floor: u32,
    calls: u64,
    versions: Counter<u32>,
    resources: Counter<StrId>,
    span: Span,
}

impl OldVersions {
    /// A detector flagging versions below `floor` (e.g. 31.0).
    pub(crate) fn new(floor: f64) -> Self {
        OldVersions {
            floor: (floor * 10.0).round().clamp(0.0, f64::from(u32::MAX)) as u32,
            ..OldVersions::default()
        }
    }

    /// One counted call.
    pub(crate) fn observe(&mut self, row: &Row) {
        let Some(v) = row.version.filter(|v| *v < self.floor) else {
            return;
        };
        self.calls += 1;
        self.versions.add(v);
        self.resources.add(row.name);
        self.span.add(row.ts);
    }

    /// The detection, if any call used an old version.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        if self.calls == 0 {
            return None;
        }
        let floor = version(self.floor);
        Some(Detection {
            kind: Kind::OldApiVersion,
            action: format!(
                "Move this client to a current API version (at least {floor}; ideally the latest): Salesforce has \
                 retired versions 21.0 to 30.0 and calls on them fail. This is a risk to fix; it saves no calls."
            ),
            evidence: evidence(calls, self.facts(&floor), self.span, &self.resources.top(3)),
            removed: Vec::new(),
            confidence: super::Confidence::High,
        })
    }

    fn facts(&self, floor: &str) -> Facts {
        let versions = self.versions.top(usize::MAX);
        let named: Vec<(String, u64)> = versions
            .iter()
            .map(|(v, n)| (format!("v{}", version(*v)), *n))
            .collect();
        let list: Vec<String> = named
            .iter()
            .map(|(v, n)| format!("{v}: {}", thousands(*n)))
            .collect();
        let oldest = versions.iter().map(|(v, _)| *v).min().unwrap_or(self.floor);
        Facts {
            summary: format!(
                "{} calls on API versions below {floor} ({}).",
                thousands(self.calls),
                list.join(", ")
            ),
            calls: self.calls,
            breakdown: named,
            facts: vec![("oldest_version_tenths", u64::from(oldest))],
        }
    }
}

/// Tenths back to text: 290 → `29.0`.
fn version(tenths: u32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}
