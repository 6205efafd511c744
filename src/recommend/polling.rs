//! Detector `polling`: the same resource and method called at a near-regular interval.
//!
//! Part of the recommendation stage; fed one integration's counted calls of class `Other` in
//! time order by `scan` (single-record, metadata, login, bulk and failed calls have their own
//! detectors or are not polls). Per (resource, method), a *polling run* grows while each gap
//! stays within ±[`TOLERANCE_PERCENT`] of the run's mean gap so far; a run is polling when it
//! has at least [`MIN_RUN_CALLS`] calls spanning at least [`MIN_RUN_SPAN_MS`]. People and
//! event-driven jobs do not keep a steady rhythm that long: with gaps spread ±75 % around their
//! mean, the chance of 19 gaps in a row within ±25 % is about 3⁻¹⁹. The what-if removes the
//! polls, since change notifications do not use API calls.

use rustc_hash::FxHashMap;

use super::classify::Row;
use super::{duration, evidence, Detection, Facts, Kind, Span};
use crate::findings::thousands;
use crate::model::{Calls, Millis, StrId};

/// A gap belongs to the run when it is within this many percent of the run's mean gap.
pub(crate) const TOLERANCE_PERCENT: i64 = 25;
/// Shorter gaps are a loop working through data, not a poll.
pub(crate) const MIN_INTERVAL_MS: Millis = 1_000;
/// Longer gaps are a schedule (a nightly job), not a poll.
pub(crate) const MAX_INTERVAL_MS: Millis = 3_600_000;
/// A polling run has at least this many calls…
pub(crate) const MIN_RUN_CALLS: usize = 20;
/// …over at least this long.
pub(crate) const MIN_RUN_SPAN_MS: Millis = 3_600_000;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct Polling {
    groups: FxHashMap<(StrId, StrId), Group>,
}

/// One (resource, method): the run being built and the totals of polling runs.
#[derive(Debug, Default)]
struct Group {
    run: Vec<u32>,
    run_start: Millis,
    last: Millis,
    run_gap_sum: i64,
    run_gap_squares: f64,
    polled: Vec<u32>,
    runs: u64,
    gaps: u64,
    gap_sum: f64,
    gap_squares: f64,
    span: Span,
}

impl Polling {
    /// One counted call of class `Other`.
    pub(crate) fn observe(&mut self, row: &Row) {
        let group = self.groups.entry((row.resource, row.method)).or_default();
        group.observe(row.index, row.ts);
    }

    /// The detection, if any (resource, method) was polled.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        let mut polled: Polled = self
            .groups
            .into_iter()
            .filter_map(|(key, mut g)| {
                g.close();
                (g.runs > 0).then_some((key, g))
            })
            .collect();
        if polled.is_empty() {
            return None;
        }
        polled.sort_by(|a, b| b.1.polled.len().cmp(&a.1.polled.len()).then(a.0.cmp(&b.0)));
        Some(detection(calls, polled))
    }
}

impl Group {
    fn observe(&mut self, index: u32, ts: Millis) {
        let Some(&previous) = self.run.last() else {
            return self.start(index, ts);
        };
        let gap = ts - self.last;
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&gap) {
            self.close();
            return self.start(index, ts);
        }
        if !self.fits(gap) {
            let previous_ts = self.last;
            if self.close() {
                return self.start(index, ts);
            }
            // The previous call may open the next rhythm: nothing claimed it.
            self.start(previous, previous_ts);
        }
        self.extend(index, ts, gap);
    }

    fn start(&mut self, index: u32, ts: Millis) {
        self.run.push(index);
        self.run_start = ts;
        self.last = ts;
        self.run_gap_sum = 0;
        self.run_gap_squares = 0.0;
    }

    /// Whether `gap` is within the tolerance of the run's mean gap (any gap fits a lone call).
    fn fits(&self, gap: Millis) -> bool {
        let n = self.run.len() as i64 - 1;
        n == 0 || (gap * n - self.run_gap_sum).abs() * 100 <= TOLERANCE_PERCENT * self.run_gap_sum
    }

    fn extend(&mut self, index: u32, ts: Millis, gap: Millis) {
        self.run.push(index);
        self.last = ts;
        self.run_gap_sum += gap;
        self.run_gap_squares += (gap as f64).powi(2);
    }

    /// Ends the run; keeps it when it is long enough. Returns whether it was kept.
    fn close(&mut self) -> bool {
        let keep = self.run.len() >= MIN_RUN_CALLS && self.last - self.run_start >= MIN_RUN_SPAN_MS;
        if keep {
            self.polled.extend_from_slice(&self.run);
            self.runs += 1;
            self.gaps += self.run.len() as u64 - 1;
            self.gap_sum += self.run_gap_sum as f64;
            self.gap_squares += self.run_gap_squares;
            self.span.add(self.run_start);
            self.span.add(self.last);
        }
        self.run.clear();
        keep
    }

    /// Mean gap and its standard deviation over the polling runs, in ms.
    fn interval(&self) -> (u64, u64) {
        let n = self.gaps.max(1) as f64;
        let mean = self.gap_sum / n;
        let variance = (self.gap_squares / n - mean * mean).max(0.0);
        (mean.round() as u64, variance.sqrt().round() as u64)
    }
}

/// What to do instead.
const ACTION: &str = "Stop polling: subscribe to Change Data Capture events for the records you poll (or publish a \
    Platform Event when the change happens) and receive them with the Pub/Sub API; event delivery has its own \
    allocation and uses no API calls per change. If polling must stay, poll less often and ask only for changes \
    since the last poll.";

/// Polled (resource, method) groups, most polls first.
type Polled = Vec<((StrId, StrId), Group)>;

fn detection(calls: &Calls, polled: Polled) -> Detection {
    let mut span = Span::default();
    polled.iter().for_each(|(_, g)| span.merge(g.span));
    let examples: Vec<(StrId, u64)> = polled.iter().map(|(k, g)| (k.0, g.polled.len() as u64)).collect();
    Detection {
        kind: Kind::Polling,
        action: ACTION.into(),
        evidence: evidence(calls, facts(calls, &polled), span, &examples),
        removed: super::whatif::union(polled.iter().map(|(_, g)| g.polled.as_slice())),
    }
}

fn facts(calls: &Calls, polled: &Polled) -> Facts {
    let (mean, jitter) = polled[0].1.interval();
    let total: u64 = polled.iter().map(|(_, g)| g.polled.len() as u64).sum();
    let breakdown = polled
        .iter()
        .map(|(k, g)| (describe(calls, *k, g), g.polled.len() as u64));
    Facts {
        summary: summary(calls, polled, total),
        calls: total,
        breakdown: breakdown.collect(),
        facts: vec![
            ("interval_ms", mean),
            ("jitter_ms", jitter),
            ("runs", polled.iter().map(|(_, g)| g.runs).sum()),
            ("resources", polled.len() as u64),
        ],
    }
}

/// `GET /v58.0/query every 60 s ± 2 s`.
fn describe(calls: &Calls, (resource, method): (StrId, StrId), g: &Group) -> String {
    let (mean, jitter) = g.interval();
    let (resource, method) = (calls.strings.get(resource), calls.strings.get(method));
    format!(
        "{method} {resource} every {} ± {}",
        duration(mean as i64),
        duration(jitter as i64)
    )
}

fn summary(calls: &Calls, polled: &Polled, total: u64) -> String {
    let (key, top) = (&polled[0].0, &polled[0].1);
    let (mean, jitter) = top.interval();
    format!(
        "{} ({} % jitter), in {} stretch(es) of steady polling of at least {}; {} polling calls in all.",
        describe(calls, *key, top),
        jitter * 100 / mean.max(1),
        top.runs,
        duration(MIN_RUN_SPAN_MS),
        thousands(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    fn feed(times: &[Millis]) -> Group {
        let mut g = Group::default();
        for (i, &t) in times.iter().enumerate() {
            g.observe(i as u32, t);
        }
        g.close();
        g
    }

    #[test]
    fn a_call_every_minute_with_jitter_for_two_hours_is_polling() {
        let times: Vec<Millis> = (0..120).map(|m| m * MIN + (m * 7919 % 5_000)).collect();
        let g = feed(&times);
        assert_eq!((g.runs, g.polled.len()), (1, 120));
        let (mean, jitter) = g.interval();
        assert!(
            (59_000..=61_000).contains(&mean) && jitter < 3_000,
            "{mean} ± {jitter}"
        );
    }

    #[test]
    fn half_an_hour_of_polling_is_too_short() {
        let times: Vec<Millis> = (0..30).map(|m| m * MIN).collect();
        assert_eq!(feed(&times).runs, 0);
    }

    #[test]
    fn gaps_spread_75_percent_around_their_mean_are_not_polling() {
        // Gaps cycle through 0.25, 1.0 and 1.75 of three minutes.
        let mut t = 0;
        let times: Vec<Millis> = (0..300)
            .map(|i| {
                t += [45_000, 180_000, 315_000][i % 3];
                t
            })
            .collect();
        assert_eq!(feed(&times).runs, 0);
    }

    #[test]
    fn a_break_ends_one_run_and_the_rhythm_starts_again() {
        let mut times: Vec<Millis> = (0..80).map(|m| m * MIN).collect();
        times.extend((0..80).map(|m| 200 * MIN + m * MIN));
        let g = feed(&times);
        assert_eq!((g.runs, g.polled.len()), (2, 160));
    }
}
