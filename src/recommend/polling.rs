//! Detector `polling`: the same request at a steady period, beats missing or not.
//!
//! Part of the recommendation stage; fed by `scan` with one integration's calls of class `Other`
//! or `Failed` in time order, counted or not (superseded fallback rows excepted): a failed or
//! uncounted poll is still a beat of the rhythm, it just is not a call the change would save.
//! Single-record, metadata, login, pagination and Bulk API job calls have their own detectors or
//! are not polls.
//!
//! Per (resource template, method) — the template keeps the SOQL with its literals replaced, so
//! two polls of one endpoint stay apart — the detector:
//! 1. finds candidate periods from the gaps between calls: the densest windows of a log-scale
//!    histogram (a few percent wide), from [`MIN_PERIOD_MS`] to [`MAX_PERIOD_MS`];
//! 2. walks the calls against each candidate: a call is a *beat* when its distance from the last
//!    beat is within ±[`TOLERANCE`] of the period times a whole number up to [`MAX_MULTIPLE`]
//!    (missing beats leave gaps of two, three… periods); a call between beats is an extra call
//!    and does not break the rhythm; a longer silence ends the run;
//! 3. keeps a run when it has at least [`MIN_BEATS`] beats over at least [`MIN_RUN_SPAN_MS`],
//!    at least [`MIN_PRESENT`] of its expected beats present, at least [`MIN_ON_BEAT`] of its
//!    calls on the beat, and a jitter (standard deviation of the beats from the grid) of at most
//!    [`MAX_JITTER`] of the period. Irregular traffic accepted within ±15 % of a grid has a
//!    jitter near 8.7 % of the period (uniform residuals), so it never passes.
//!
//! The what-if removes the counted, successful beats: change notifications use no API calls.

use rustc_hash::FxHashMap;

use super::classify::{Class, Row};
use super::{duration, evidence, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;

/// Shortest period looked for (a tight loop below this is working through data).
pub(crate) const MIN_PERIOD_MS: Millis = 100;
/// Longest period looked for (longer is a schedule, such as a nightly job).
pub(crate) const MAX_PERIOD_MS: Millis = 3_600_000;
/// A beat may be this far (share of the period) from the grid.
pub(crate) const TOLERANCE: f64 = 0.15;
/// Up to `MAX_MULTIPLE - 1` missing beats in a row keep a run going.
pub(crate) const MAX_MULTIPLE: i64 = 5;
/// A polling run has at least this many beats…
pub(crate) const MIN_BEATS: usize = 20;
/// …over at least this long…
pub(crate) const MIN_RUN_SPAN_MS: Millis = 3_600_000;
/// …with at least this share of its expected beats present…
pub(crate) const MIN_PRESENT: f64 = 0.7;
/// …at least this share of its calls on the beat…
pub(crate) const MIN_ON_BEAT: f64 = 0.7;
/// …and a jitter of at most this share of the period.
pub(crate) const MAX_JITTER: f64 = 0.05;
/// Histogram bins grow by this factor.
const BIN_RATIO: f64 = 1.04;
/// A candidate period is the median gap of this many adjacent bins (about ±8 %).
const BIN_WINDOW: usize = 4;
/// Candidate periods tried per group.
const CANDIDATES: usize = 3;

/// One call of a group.
#[derive(Debug, Clone, Copy)]
struct Beat {
    ts: Millis,
    index: u32,
    /// Counted and successful: the what-if may remove it.
    removable: bool,
}

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct Polling {
    groups: FxHashMap<(StrId, StrId), Vec<Beat>>,
}

impl Polling {
    /// One call of class `Other` or `Failed` (counted or not).
    pub(crate) fn observe(&mut self, row: &Row) {
        let beat = Beat {
            ts: row.ts,
            index: row.index,
            removable: row.counted && row.class == Class::Other,
        };
        self.groups
            .entry((row.resource, row.method))
            .or_default()
            .push(beat);
    }

    /// The detection, if any (resource, method) was polled.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        let mut polled: Polled = self
            .groups
            .into_iter()
            .filter(|(_, beats)| beats.len() >= MIN_BEATS && beats.iter().any(|b| b.removable))
            .filter_map(|(key, beats)| Some((key, analyse(&beats)?)))
            .collect();
        if polled.is_empty() {
            return None;
        }
        polled.sort_by(|a, b| b.1.removed.len().cmp(&a.1.removed.len()).then(a.0.cmp(&b.0)));
        Some(detection(calls, polled))
    }
}

/// A polled group: its rhythm and the beats the change saves.
#[derive(Debug, Default, Clone)]
struct Poll {
    /// Counted successful beats (ascending row indices).
    removed: Vec<u32>,
    beats: u64,
    expected: u64,
    runs: u64,
    gaps: f64,
    sum_g: f64,
    sum_m: f64,
    sum_gg: f64,
    sum_gm: f64,
    sum_mm: f64,
    span: Span,
}

impl Poll {
    /// Period (ms, least squares over the beats' gaps and multiples) and jitter (ms, standard
    /// deviation of the gaps from the period's multiples).
    fn rhythm(&self) -> (f64, f64) {
        rhythm(
            self.sum_g,
            self.sum_m,
            self.sum_gg,
            self.sum_gm,
            self.sum_mm,
            self.gaps,
        )
    }

    /// Percent of the expected beats that are in the logs.
    fn present_percent(&self) -> u64 {
        (self.beats * 100 / self.expected.max(1)).min(100)
    }

    fn absorb(&mut self, run: &Run, beats: &[Beat]) {
        self.removed.extend(
            run.on_beat
                .iter()
                .map(|&p| beats[p])
                .filter(|b| b.removable)
                .map(|b| b.index),
        );
        self.beats += run.on_beat.len() as u64;
        self.expected += run.sum_m as u64 + 1;
        self.runs += 1;
        self.gaps += (run.on_beat.len() - 1) as f64;
        self.sum_g += run.sum_g;
        self.sum_m += run.sum_m;
        self.sum_gg += run.sum_gg;
        self.sum_gm += run.sum_gm;
        self.sum_mm += run.sum_mm;
        self.span.add(run.start);
        self.span.add(run.anchor);
    }
}

fn rhythm(g: f64, m: f64, gg: f64, gm: f64, mm: f64, n: f64) -> (f64, f64) {
    let period = g / m.max(1.0);
    let squares = (gg - 2.0 * period * gm + period * period * mm).max(0.0);
    (period, (squares / n.max(1.0)).sqrt())
}

/// The best polling reading of a group's calls, if any candidate period gives one.
fn analyse(beats: &[Beat]) -> Option<Poll> {
    walk_all(beats, &candidates(beats))
        .into_iter()
        .flatten()
        .max_by(|a, b| a.removed.len().cmp(&b.removed.len()).then(b.beats.cmp(&a.beats)))
}

fn bin_of(gap: Millis) -> usize {
    ((gap as f64 / MIN_PERIOD_MS as f64).ln() / BIN_RATIO.ln()) as usize
}

/// Up to [`CANDIDATES`] periods: medians of the densest, non-overlapping bin windows.
fn candidates(beats: &[Beat]) -> Vec<f64> {
    // Gaps a little longer than the longest period still show it.
    let longest = MAX_PERIOD_MS + (MAX_PERIOD_MS as f64 * TOLERANCE) as Millis;
    let bins = bin_of(longest) + 1;
    let mut gaps: Vec<Vec<Millis>> = vec![Vec::new(); bins];
    for w in beats.windows(2) {
        let gap = w[1].ts - w[0].ts;
        if (MIN_PERIOD_MS..=longest).contains(&gap) {
            gaps[bin_of(gap)].push(gap);
        }
    }
    let mut taken = vec![false; bins];
    let mut out = Vec::new();
    for _ in 0..CANDIDATES {
        let window = |s: usize| (s..s + BIN_WINDOW).filter(|&b| b < bins);
        let free = |s: usize| window(s).all(|b| !taken[b]);
        let count = |s: usize| window(s).map(|b| gaps[b].len()).sum::<usize>();
        let best = (0..bins)
            .filter(|&s| free(s))
            .max_by(|&a, &b| count(a).cmp(&count(b)).then(b.cmp(&a)));
        let Some(start) = best.filter(|&s| count(s) >= MIN_BEATS / 2) else {
            break;
        };
        let mut inside: Vec<Millis> = window(start).flat_map(|b| gaps[b].iter().copied()).collect();
        // The median (the upper one of an even count), selected rather than sorted for.
        let middle = inside.len() / 2;
        out.push(*inside.select_nth_unstable(middle).1 as f64);
        window(start).for_each(|b| taken[b] = true);
    }
    out
}

/// The run being walked.
#[derive(Debug, Default)]
struct Run {
    start: Millis,
    anchor: Millis,
    /// Positions (into the group's calls) of the beats.
    on_beat: Vec<usize>,
    calls: usize,
    sum_g: f64,
    sum_m: f64,
    sum_gg: f64,
    sum_gm: f64,
    sum_mm: f64,
}

impl Run {
    /// A run starting at `position`, reusing `self`'s beat buffer: a group of irregular calls
    /// restarts the run at nearly every call, and a fresh `Vec` each time was most of the
    /// walk's cost.
    fn restart(&mut self, position: usize, ts: Millis) {
        let mut on_beat = std::mem::take(&mut self.on_beat);
        on_beat.clear();
        on_beat.push(position);
        *self = Run {
            start: ts,
            anchor: ts,
            on_beat,
            calls: 1,
            ..Run::default()
        };
    }

    fn beat(&mut self, position: usize, ts: Millis, m: f64) {
        let g = (ts - self.anchor) as f64;
        self.on_beat.push(position);
        self.calls += 1;
        self.anchor = ts;
        self.sum_g += g;
        self.sum_m += m;
        self.sum_gg += g * g;
        self.sum_gm += g * m;
        self.sum_mm += m * m;
    }

    fn polling(&self) -> bool {
        let beats = self.on_beat.len();
        if beats < MIN_BEATS || self.anchor - self.start < MIN_RUN_SPAN_MS {
            return false;
        }
        let n = (beats - 1) as f64;
        let (period, jitter) = rhythm(self.sum_g, self.sum_m, self.sum_gg, self.sum_gm, self.sum_mm, n);
        let present = beats as f64 / (self.sum_m + 1.0);
        present >= MIN_PRESENT
            && beats as f64 >= MIN_ON_BEAT * self.calls as f64
            && jitter <= MAX_JITTER * period
    }
}

/// The group's calls read against each candidate period in one pass: per period, the polling
/// runs found, merged. The walks are independent, and interleaved they overlap in the
/// processor instead of each waiting on its own chain of sums.
fn walk_all(beats: &[Beat], periods: &[f64]) -> Vec<Option<Poll>> {
    let mut walkers: Vec<Walker> = periods.iter().map(|&p| Walker::new(p, beats[0].ts)).collect();
    for (position, b) in beats.iter().enumerate().skip(1) {
        for w in &mut walkers {
            w.step(position, b.ts, beats);
        }
    }
    walkers.into_iter().map(|w| w.finish(beats)).collect()
}

/// One candidate period's walk.
struct Walker {
    p: f64,
    per_period: f64,
    tolerance: f64,
    silence: f64,
    poll: Poll,
    run: Run,
}

impl Walker {
    fn new(p: f64, first: Millis) -> Walker {
        let mut run = Run::default();
        run.restart(0, first);
        Walker {
            p,
            per_period: 1.0 / p,
            tolerance: TOLERANCE * p,
            silence: (MAX_MULTIPLE as f64 + 0.5) * p,
            poll: Poll::default(),
            run,
        }
    }

    fn step(&mut self, position: usize, ts: Millis, beats: &[Beat]) {
        let g = (ts - self.run.anchor) as f64;
        // The nearest whole multiple of the period. `g` ≥ 0 (calls in time order), so adding ½
        // and truncating rounds, without a call to `round`; a product may differ from the
        // quotient only next to a half period, where neither multiple is within tolerance.
        let m = (g * self.per_period + 0.5) as i64;
        if (1..=MAX_MULTIPLE).contains(&m) && (g - m as f64 * self.p).abs() <= self.tolerance {
            self.run.beat(position, ts, m as f64);
        } else if g < self.silence && self.run.on_beat.len() > 1 {
            self.run.calls += 1;
        } else {
            // A silence, or a lone start that was itself off the beat: start again here.
            if self.run.polling() {
                self.poll.absorb(&self.run, beats);
            }
            self.run.restart(position, ts);
        }
    }

    fn finish(mut self, beats: &[Beat]) -> Option<Poll> {
        if self.run.polling() {
            self.poll.absorb(&self.run, beats);
        }
        let poll = self.poll;
        (poll.runs > 0 && !poll.removed.is_empty()).then_some(poll)
    }
}

/// What to do instead.
const ACTION: &str = "Stop polling: subscribe to Change Data Capture events for the records you poll (or publish a \
    Platform Event when the change happens) and receive them with the Pub/Sub API. Event delivery uses no API calls, \
    but it has its own allocation (25,000–50,000 delivered events per 24 hours by edition, shared by CDC and \
    high-volume platform events and counted per subscriber) and at most 5 entities can be selected for CDC without \
    the add-on: check both before switching. If polling must stay, poll less often and ask only for changes since \
    the last poll.";

/// Polled (resource, method) groups, most saved beats first.
type Polled = Vec<((StrId, StrId), Poll)>;

fn detection(calls: &Calls, polled: Polled) -> Detection {
    let mut span = Span::default();
    polled.iter().for_each(|(_, g)| span.merge(g.span));
    let examples: Vec<(StrId, u64)> = polled
        .iter()
        .map(|(k, g)| (k.0, g.removed.len() as u64))
        .collect();
    Detection {
        kind: Kind::Polling,
        action: ACTION.into(),
        evidence: evidence(calls, facts(calls, &polled), span, &examples),
        removed: super::whatif::union(polled.iter().map(|(_, g)| g.removed.as_slice())),
        confidence: confidence(&polled[0].1),
    }
}

/// High when the rhythm is unmistakable: nearly every beat present and a tight grid.
fn confidence(top: &Poll) -> super::Confidence {
    let (period, jitter) = top.rhythm();
    if top.present_percent() >= 90 && jitter <= 0.03 * period {
        super::Confidence::High
    } else {
        super::Confidence::Medium
    }
}

fn facts(calls: &Calls, polled: &Polled) -> Facts {
    let (period, jitter) = polled[0].1.rhythm();
    let total: u64 = polled.iter().map(|(_, g)| g.removed.len() as u64).sum();
    let breakdown = polled
        .iter()
        .map(|(k, g)| (describe(calls, *k, g), g.removed.len() as u64));
    Facts {
        summary: summary(calls, polled, total),
        calls: total,
        breakdown: breakdown.collect(),
        facts: vec![
            ("interval_ms", period.round() as u64),
            ("jitter_ms", jitter.round() as u64),
            ("beats_present_percent", polled[0].1.present_percent()),
            ("runs", polled.iter().map(|(_, g)| g.runs).sum()),
            ("resources", polled.len() as u64),
        ],
    }
}

/// `GET /v58.0/query every 60 s ± 2.0 s, 97 % of beats present`.
fn describe(calls: &Calls, (resource, method): (StrId, StrId), g: &Poll) -> String {
    let (period, jitter) = g.rhythm();
    let (resource, method) = (calls.strings.get(resource), calls.strings.get(method));
    format!(
        "{method} {resource} every {} ± {}, {} % of beats present",
        duration(period.round() as i64),
        duration(jitter.round() as i64),
        g.present_percent()
    )
}

fn summary(calls: &Calls, polled: &Polled, total: u64) -> String {
    let (key, top) = (&polled[0].0, &polled[0].1);
    let (period, jitter) = top.rhythm();
    format!(
        "{} ({} % jitter), in {} stretch(es) of steady polling of at least {}; {} counted polling calls in all.",
        describe(calls, *key, top),
        (jitter * 100.0 / period.max(1.0)).round(),
        top.runs,
        duration(MIN_RUN_SPAN_MS),
        thousands(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = 1_000;
    const MIN: Millis = 60 * S;

    fn beats(times: &[Millis]) -> Vec<Beat> {
        times
            .iter()
            .enumerate()
            .map(|(i, &ts)| Beat {
                ts,
                index: i as u32,
                removable: true,
            })
            .collect()
    }

    #[test]
    fn a_call_every_minute_with_jitter_for_two_hours_is_polling() {
        let times: Vec<Millis> = (0..120).map(|m| m * MIN + (m * 7919 % 5_000)).collect();
        let g = analyse(&beats(&times)).unwrap();
        assert_eq!((g.runs, g.removed.len()), (1, 120));
        let (period, jitter) = g.rhythm();
        assert!(
            (59_000.0..=61_000.0).contains(&period) && jitter < 3_000.0,
            "{period} ± {jitter}"
        );
    }

    #[test]
    fn half_an_hour_of_polling_is_too_short() {
        let times: Vec<Millis> = (0..30).map(|m| m * MIN).collect();
        assert!(analyse(&beats(&times)).is_none());
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
        assert!(analyse(&beats(&times)).is_none());
    }

    #[test]
    fn random_gaps_are_not_polling_whatever_their_spread() {
        let mut x: u64 = 17;
        for (lo, hi) in [(45_000, 315_000), (5_000, 9_000), (200, 2_000)] {
            let mut t = 0;
            let times: Vec<Millis> = (0..2_000)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    t += lo + ((x >> 33) as i64).rem_euclid(hi - lo + 1);
                    t
                })
                .collect();
            assert!(analyse(&beats(&times)).is_none(), "gaps {lo}–{hi} ms");
        }
    }

    #[test]
    fn a_break_ends_one_run_and_the_rhythm_starts_again() {
        let mut times: Vec<Millis> = (0..80).map(|m| m * MIN).collect();
        times.extend((0..80).map(|m| 200 * MIN + m * MIN));
        let g = analyse(&beats(&times)).unwrap();
        assert_eq!((g.runs, g.removed.len()), (2, 160));
    }

    #[test]
    fn missing_beats_leave_whole_multiples_and_do_not_break_the_run() {
        // Every 7 s for two hours, every 13th and 29th beat missing.
        let times: Vec<Millis> = (0..1_000)
            .filter(|i| i % 13 != 5 && i % 29 != 3)
            .map(|i| i * 7 * S)
            .collect();
        let g = analyse(&beats(&times)).unwrap();
        assert_eq!((g.runs, g.removed.len()), (1, times.len()));
        assert!(g.present_percent() >= 88, "{}", g.present_percent());
    }

    #[test]
    fn sub_second_polling_is_found() {
        let times: Vec<Millis> = (0..9_000).map(|i| i * 500 + (i * 37 % 11)).collect();
        let g = analyse(&beats(&times)).unwrap();
        assert_eq!(g.removed.len(), 9_000);
        assert!((g.rhythm().0 - 500.0).abs() < 5.0);
    }
}
