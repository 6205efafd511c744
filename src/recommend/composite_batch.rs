//! Detector `composite_batch`: `/composite/batch`, where every subrequest counts.
//!
//! Part of the recommendation stage; fed one integration's `/composite/batch` rows by `scan`.
//! Salesforce counts each subrequest of a composite batch against the allocation, while
//! `/composite` and sObject Collections count once; but EventLogFile logs only the parent
//! request. The logged stream therefore already holds one call per batch, and switching to
//! `/composite` removes no *logged* call: the what-if saving is 0. The evidence gives what is
//! visible of the hidden calls: where a RestApi row has `ROWS_PROCESSED`, it is taken as the
//! number of subrequests, capped at [`MAX_SUBREQUESTS`].

use super::classify::Row;
use super::{evidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, StrId};
use crate::text::thousands;

/// Subrequests in one composite batch, at most.
pub(crate) const MAX_SUBREQUESTS: u32 = 25;
/// Fewer calls than this are left alone (a one-off test, a migration script).
const MIN_CALLS: u64 = 5;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct CompositeBatch {
    calls: u64,
    visible_calls: u64,
    subrequests: u64,
    resources: Counter<StrId>,
    span: Span,
}

impl CompositeBatch {
    /// One `/composite/batch` row: counted rows are calls; rows with a known row count (RestApi
    /// rows, counted or superseded) show the subrequests.
    pub(crate) fn observe(&mut self, row: &Row) {
        if row.counted {
            self.calls += 1;
            self.resources.add(row.resource);
            self.span.add(row.ts);
        }
        if row.rows != u32::MAX {
            self.visible_calls += 1;
            self.subrequests += u64::from(row.rows.clamp(1, MAX_SUBREQUESTS));
        }
    }

    /// The detection, if the integration uses composite batches.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        if self.calls < MIN_CALLS {
            return None;
        }
        let facts = Facts {
            summary: self.summary(),
            calls: self.calls,
            breakdown: Vec::new(),
            facts: vec![
                ("visible_batches", self.visible_calls),
                ("visible_subrequests", self.subrequests),
                ("hidden_calls", self.subrequests - self.visible_calls),
            ],
        };
        Some(Detection {
            kind: Kind::CompositeBatch,
            action: ACTION.into(),
            evidence: evidence(calls, facts, self.span, &self.resources.top(3)),
            removed: Vec::new(),
            confidence: super::Confidence::Medium,
        })
    }

    fn summary(&self) -> String {
        let mut text = format!(
            "{} /composite/batch calls; Salesforce counts each subrequest, but the logs show one row per batch.",
            thousands(self.calls)
        );
        if self.visible_calls > 0 {
            text.push_str(&format!(
                " Where RestApi logs show the row count ({} batches), they held {} subrequests: {} calls counted by \
                 Salesforce that the logged usage does not show.",
                thousands(self.visible_calls),
                thousands(self.subrequests),
                thousands(self.subrequests - self.visible_calls)
            ));
        }
        text
    }
}

/// What to do instead.
const ACTION: &str = "Replace /composite/batch with /composite (up to 25 subrequests that count as one call) or, for \
    plain record writes, sObject Collections (200 records, one call). The saving is the subrequests minus one per batch; \
    the logs show only the parent request, so it cannot be computed from them and is not in the peaks below.";
