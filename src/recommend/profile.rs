//! What an integration does: the answer for a heavy integration that fits no known pattern.
//!
//! Part of the recommendation stage; fed every counted call of one integration by `scan`. When
//! an integration is chatty or carries a large share of an org's peak and no detector explains
//! its calls, the report still answers with what it does — its top requests, how its calls
//! spread over the day, the typical gap between them, the share that failed — so the admin
//! knows what to ask its owner (kind `no_known_pattern`). Which integrations need the answer is
//! decided downstream, where the allocation and the findings are known
//! ([`super::Recommendations::answer_unexplained`]).

use super::classify::{Class, Row};
use super::{duration, evidence, Confidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;

/// Gap histogram bins: bin `b` holds gaps in `[2^b, 2^(b+1))` ms.
const GAP_BINS: usize = 40;
/// Requests listed in the evidence.
const TOP: usize = 5;

/// State for one integration.
#[derive(Debug)]
pub(crate) struct Profile {
    calls: u64,
    failed: u64,
    requests: Counter<(StrId, StrId)>,
    hours: [u64; 24],
    gaps: [u64; GAP_BINS],
    last: Option<Millis>,
    span: Span,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            calls: 0,
            failed: 0,
            requests: Counter::default(),
            hours: [0; 24],
            gaps: [0; GAP_BINS],
            last: None,
            span: Span::default(),
        }
    }
}

impl Profile {
    /// One call of the integration; only counted ones are profiled.
    pub(crate) fn observe(&mut self, row: &Row) {
        if !row.counted {
            return;
        }
        self.calls += 1;
        self.failed += u64::from(row.class == Class::Failed);
        self.requests.add((row.name, row.method));
        self.hours[row.ts.rem_euclid(86_400_000) as usize / 3_600_000] += 1;
        if let Some(last) = self.last {
            let gap = (row.ts - last).max(1) as u64;
            self.gaps[(63 - gap.leading_zeros() as usize).min(GAP_BINS - 1)] += 1;
        }
        self.last = Some(row.ts);
        self.span.add(row.ts);
    }

    /// The profile as a `no_known_pattern` detection (nothing removed), if it saw any call.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        (self.calls > 0).then(|| Detection {
            kind: Kind::NoKnownPattern,
            action: ACTION.into(),
            evidence: evidence(
                calls,
                self.facts(calls),
                self.span,
                &self
                    .requests
                    .top(3)
                    .iter()
                    .map(|((r, _), n)| (*r, *n))
                    .collect::<Vec<_>>(),
            ),
            removed: Vec::new(),
            confidence: Confidence::Medium,
        })
    }

    /// The bin holding the median gap, as `[low, high)` ms.
    fn typical_gap(&self) -> Option<(u64, u64)> {
        let total: u64 = self.gaps.iter().sum();
        let mut seen = 0;
        let bin = self.gaps.iter().position(|&n| {
            seen += n;
            total > 0 && seen * 2 >= total
        })?;
        Some((1 << bin, 1 << (bin + 1)))
    }

    fn facts(&self, calls: &Calls) -> Facts {
        let text = |id: StrId| calls.strings.get(id);
        let top = self.requests.top(TOP);
        let share = |n: u64| n * 100 / self.calls.max(1);
        let listed: Vec<String> = top
            .iter()
            .take(3)
            .map(|((r, m), n)| {
                format!("{} {} ({} %)", text(*m), text(*r), share(*n))
                    .trim()
                    .to_string()
            })
            .collect();
        let active = self.hours.iter().filter(|&&n| n * 100 >= self.calls).count() as u64;
        let busiest = (0..24)
            .max_by(|&a, &b| self.hours[a].cmp(&self.hours[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let gap = self.typical_gap();
        let mut summary = format!(
            "No known pattern explains these calls. {} counted calls; top requests: {}. Calls in {active} of the 24 hours \
             of the day (busiest {busiest:02}:00–{:02}:00 UTC)",
            thousands(self.calls),
            listed.join(", "),
            (busiest + 1) % 24
        );
        if let Some((lo, hi)) = gap {
            summary.push_str(&format!(
                "; typical gap between calls {}–{}",
                duration(lo as i64),
                duration(hi as i64)
            ));
        }
        summary.push_str(&format!("; {} % failed.", share(self.failed)));
        Facts {
            summary,
            calls: self.calls,
            breakdown: top
                .iter()
                .map(|((r, m), n)| (format!("{} {}", text(*m), text(*r)).trim().to_string(), *n))
                .collect(),
            facts: vec![
                ("active_hours", active),
                ("busiest_hour_utc", busiest as u64),
                ("typical_gap_ms", gap.map_or(0, |(lo, _)| lo)),
                ("failed", self.failed),
            ],
        }
    }
}

/// What to do: ask, with the evidence in hand.
const ACTION: &str = "No bulkification pattern fits these calls, so there is no computed saving. Ask the integration's \
    owner what it does with the requests listed, how fresh its data must be, and whether it can send records in batches \
    (sObject Collections, Composite, Bulk API 2.0), cache what it reads, or subscribe to changes (Change Data Capture) \
    instead of asking again. If this key is several tools sharing one user or app, split it with --integrations.";
