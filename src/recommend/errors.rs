//! Detector `error_burst`: bursts of failed calls, including `REQUEST_LIMIT_EXCEEDED` storms.
//!
//! Part of the recommendation stage; fed every API row of one integration in time order by
//! `scan`. A failure is a counted call with HTTP status ≥ 400 or refused with
//! `REQUEST_LIMIT_EXCEEDED`. A *burst* is a maximal sequence of failures less than
//! [`BURST_GAP_MS`] apart; it is reported when it holds at least [`MIN_BURST_FAILURES`]
//! failures and they are at least [`MIN_FAILURE_PERCENT`] % of the integration's counted calls
//! between its first and last failure, so the odd 404 of a healthy sync never qualifies. The
//! what-if removes the failed calls of the bursts: a fixed cause or a proper back-off would not
//! have made them.

use super::classify::{Class, Row};
use super::{duration, evidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{flags, Calls, Millis, StrId};
use crate::text::thousands;

/// Failures closer than this belong to one burst.
pub(crate) const BURST_GAP_MS: Millis = 60_000;
/// A burst has at least this many failures…
pub(crate) const MIN_BURST_FAILURES: usize = 10;
/// …that are at least this share (percent) of the calls over the burst.
pub(crate) const MIN_FAILURE_PERCENT: u64 = 50;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    burst: Burst,
    bursts: u64,
    largest: u64,
    longest_ms: Millis,
    refused: u64,
    removed: Vec<u32>,
    span: Span,
}

/// The burst being built.
#[derive(Debug, Default)]
struct Burst {
    failures: Vec<u32>,
    first: Millis,
    last: Millis,
    calls: u64,
    calls_until_last: u64,
    refused: u64,
}

impl Errors {
    /// One API row of the integration (counted or not).
    pub(crate) fn observe(&mut self, row: &Row) {
        let open = !self.burst.failures.is_empty();
        if !row.counted {
            // A superseded RestApi row can carry the REQUEST_LIMIT_EXCEEDED message.
            if open && row.refused && row.ts - self.burst.last < BURST_GAP_MS {
                self.burst.refused += 1;
            }
            return;
        }
        let failed = row.class == Class::Failed;
        if open && failed && row.ts - self.burst.last >= BURST_GAP_MS {
            self.close();
        }
        if failed {
            self.fail(row);
        } else if open {
            self.burst.calls += 1;
        }
    }

    fn fail(&mut self, row: &Row) {
        let b = &mut self.burst;
        if b.failures.is_empty() {
            (b.first, b.calls, b.refused) = (row.ts, 0, 0);
        }
        b.failures.push(row.index);
        b.last = row.ts;
        b.calls += 1;
        b.calls_until_last = b.calls;
        b.refused += u64::from(row.refused);
    }

    /// Ends the burst; keeps its failures when it qualifies.
    fn close(&mut self) {
        let b = std::mem::take(&mut self.burst);
        let n = b.failures.len() as u64;
        if b.failures.len() >= MIN_BURST_FAILURES && n * 100 >= b.calls_until_last * MIN_FAILURE_PERCENT {
            self.bursts += 1;
            self.largest = self.largest.max(n);
            self.longest_ms = self.longest_ms.max(b.last - b.first);
            self.refused += b.refused;
            self.span.add(b.first);
            self.span.add(b.last);
            self.removed.extend(b.failures);
        }
    }

    /// The detection, if any burst qualified.
    pub(crate) fn finish(mut self, calls: &Calls) -> Option<Detection> {
        self.close();
        if self.bursts == 0 {
            return None;
        }
        let (statuses, resources) = self.tally(calls);
        Some(Detection {
            kind: Kind::ErrorBurst,
            action: action(self.refused > 0),
            evidence: evidence(calls, self.facts(statuses), self.span, &resources.top(3)),
            removed: self.removed,
            confidence: super::Confidence::High,
        })
    }

    /// The failed calls of the bursts by status, and by resource.
    fn tally(&self, calls: &Calls) -> (Vec<(String, u64)>, Counter<StrId>) {
        let mut statuses: Counter<(u16, bool)> = Counter::default();
        let mut resources = Counter::default();
        for i in self.removed.iter().map(|&i| i as usize) {
            let refused = calls.flags[i] & flags::LIMIT_EXCEEDED != 0;
            statuses.add((calls.shape_of(i).status, refused));
            resources.add(calls.resource[i]);
        }
        let named = statuses.top(8).into_iter();
        (
            named.map(|((s, r), n)| (status_name(s, r), n)).collect(),
            resources,
        )
    }

    fn facts(&self, breakdown: Vec<(String, u64)>) -> Facts {
        let failed = self.removed.len() as u64;
        Facts {
            summary: format!(
                "{} burst(s) of failed calls, {} failures in all; the largest had {} failures within {}{}.",
                self.bursts,
                thousands(failed),
                thousands(self.largest),
                duration(self.longest_ms.max(1_000)),
                refused_note(self.refused)
            ),
            calls: failed,
            breakdown,
            facts: vec![
                ("bursts", self.bursts),
                ("largest_burst", self.largest),
                ("request_limit_exceeded", self.refused),
            ],
        }
    }
}

fn status_name(status: u16, refused: bool) -> String {
    match (status, refused) {
        (_, true) => format!("{status} REQUEST_LIMIT_EXCEEDED"),
        (0, false) => "unknown status".into(),
        _ => format!("HTTP {status}"),
    }
}

fn refused_note(refused: u64) -> String {
    if refused == 0 {
        String::new()
    } else {
        format!("; {} refused with REQUEST_LIMIT_EXCEEDED", thousands(refused))
    }
}

fn action(refused: bool) -> String {
    let mut text = String::from(
        "Fix the cause of the failures and retry only what can succeed: retry 5xx and timeouts with exponential back-off and \
         jitter and a cap, stop after a few attempts (a circuit breaker), and never retry 4xx errors such as 400 or 404 \
         unchanged.",
    );
    if refused {
        text.push_str(
            " On REQUEST_LIMIT_EXCEEDED, stop calling: the allocation frees up only as calls age out of the rolling 24 hours.",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: u32, ts: Millis, failed: bool) -> Row {
        Row {
            index,
            ts,
            class: if failed { Class::Failed } else { Class::Other },
            resource: 1,
            name: 1,
            method: 2,
            subject: 3,
            counted: true,
            superseded: false,
            rows: u32::MAX,
            refused: false,
            version: None,
        }
    }

    #[test]
    fn twelve_failures_in_a_minute_are_a_burst_and_sporadic_404s_are_not() {
        let mut e = Errors::default();
        for i in 0..12 {
            e.observe(&row(i, i64::from(i) * 5_000, true));
        }
        e.close();
        assert_eq!((e.bursts, e.removed.len()), (1, 12));

        let mut e = Errors::default();
        for i in 0..400 {
            e.observe(&row(i, i64::from(i) * 300, i % 20 == 0));
        }
        e.close();
        assert_eq!(e.bursts, 0);
    }
}
