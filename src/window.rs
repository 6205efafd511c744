//! Rolling 24-hour usage math (SPEC §3.1).
//!
//! Pipeline position: ingest → dedup → attribution → **window** → findings / analysis / render.
//! By the time timestamps reach this module they are already deduplicated, attributed to one org
//! or integration, and sorted. This module knows nothing about files, orgs or integrations: it is
//! pure arithmetic over ascending `i64` UTC millisecond timestamps, so the same code serves an
//! org, an integration, and a what-if scenario alike.
//!
//! Definitions, exact and never bucketed:
//! - usage at instant `t` = number of timestamps in `(t − 24 h, t]`, so a call stops counting
//!   exactly 24 h after it was made, and all calls sharing a millisecond count together;
//! - peak = maximum usage over all event timestamps; peak time = the earliest `t` reaching it.
//!
//! Everything is a forward sweep or a binary search: O(n + output length), no per-output rescans,
//! and the only allocations are the output vectors.

use std::ops::Range;

/// Length of the rolling window: 24 hours in milliseconds.
pub const WINDOW_MS: i64 = 86_400_000;

/// One minute in milliseconds; the resolution of [`minute_series`].
pub const MINUTE_MS: i64 = 60_000;

/// A maximum of rolling usage and where it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Peak {
    /// Usage at `at`: calls in `(window_start, at]`.
    pub calls: u64,
    /// Earliest instant (UTC ms) at which the maximum is reached; always an event timestamp.
    pub at: i64,
    /// Exclusive lower bound of the window, `at - WINDOW_MS`.
    pub window_start: i64,
}

impl Peak {
    fn new(calls: u64, at: i64) -> Self {
        Peak {
            calls,
            at,
            window_start: at.saturating_sub(WINDOW_MS),
        }
    }
}

/// Per-minute rolling usage, sparse: only the minutes (minute `m` covers
/// `[m * MINUTE_MS, (m + 1) * MINUTE_MS)`) in which a call was made or usage is above zero, so
/// its length follows the calls (at most 1,441 minutes per call), never the time span.
/// Element `i` of each vector describes minute `minutes[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MinuteSeries {
    /// Minute indices, `floor(ms / MINUTE_MS)`, ascending.
    pub minutes: Vec<i64>,
    /// Calls made inside each minute (saturating at `u32::MAX`).
    pub calls: Vec<u32>,
    /// Usage at the last millisecond of each minute.
    pub usage_end: Vec<u64>,
    /// Maximum usage at any instant inside each minute, so the exact peak shows in the series.
    pub usage_max: Vec<u64>,
}

/// Calls and peak of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayPeak {
    /// Day index, `floor(ms / WINDOW_MS)` (days since 1970-01-01 UTC).
    pub day: i64,
    /// Calls made that day.
    pub calls: u64,
    /// Maximum usage at any event timestamp inside the day (earliest such), `None` without calls.
    pub peak: Option<Peak>,
}

/// Minute index of a timestamp: `floor(ms / MINUTE_MS)`, also for instants before 1970.
pub fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// UTC day index of a timestamp: `floor(ms / WINDOW_MS)`, also for instants before 1970.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(WINDOW_MS)
}

/// Maximum rolling usage over all event timestamps and the earliest instant reaching it.
///
/// `sorted` must be ascending. `None` when empty. Two-pointer sweep, O(n).
pub fn peak(sorted: &[i64]) -> Option<Peak> {
    peak_from(sorted, 0)
}

/// Like [`peak`], but only instants at or after `sorted[from]` are candidates: the calls before
/// index `from` are context (the 24 hours before `--since`) that count in the windows of later
/// instants but whose own instants are not reported. `None` when nothing is at or after `from`.
pub fn peak_from(sorted: &[i64], from: usize) -> Option<Peak> {
    debug_assert!(sorted.is_sorted(), "timestamps must be ascending");
    let mut sweep = Sweep::starting_at(sorted, from);
    let mut best: Option<Peak> = None;
    while let Some(t) = sweep.next_event() {
        best = better(best, sweep.usage_at(t), t);
    }
    best
}

/// Usage at instant `t`: number of timestamps in `(t - WINDOW_MS, t]`.
///
/// `sorted` must be ascending. Binary search, O(log n).
pub fn usage_at(sorted: &[i64], t: i64) -> u64 {
    window_range(sorted, t).len() as u64
}

/// Index range of `sorted` whose timestamps lie in `(t - WINDOW_MS, t]`.
///
/// `sorted` must be ascending. Binary search, O(log n).
pub fn window_range(sorted: &[i64], t: i64) -> Range<usize> {
    let end = sorted.partition_point(|&x| x <= t);
    // When `t - WINDOW_MS` underflows i64 no timestamp can be at or below it.
    let start = match t.checked_sub(WINDOW_MS) {
        Some(bound) => sorted[..end].partition_point(|&x| x <= bound),
        None => 0,
    };
    start..end
}

/// Per-minute calls and rolling usage for the minutes of `first_minute..=last_minute` in which
/// a call was made or usage is above zero (see [`active_minutes`]).
///
/// Timestamps outside the range still count toward usage inside it; only the output is limited.
/// `usage_max` is the true maximum over every instant of the minute. Usage only rises at event
/// times and otherwise only falls (as calls expire), so that maximum is reached at the minute's
/// first millisecond or at an event inside the minute; `usage_end` is included for clarity.
/// `sorted` must be ascending. O(n + output). Empty series when `last_minute < first_minute`.
pub fn minute_series(sorted: &[i64], first_minute: i64, last_minute: i64) -> MinuteSeries {
    series_at(sorted, &active_minutes(sorted, first_minute, last_minute))
}

/// The minutes of `first_minute..=last_minute` in which usage is above zero at some instant
/// (which includes every minute with a call): minute `m` qualifies when a call `t` has
/// `minute_of(t) ≤ m ≤ minute_of(t + WINDOW_MS − 1)`. The union of those runs, ascending;
/// O(n + output), and at most 1,441 minutes per call whatever the span between calls.
pub fn active_minutes(sorted: &[i64], first_minute: i64, last_minute: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next = first_minute;
    for &t in sorted {
        let from = minute_of(t).max(next);
        let to = minute_of(t.saturating_add(WINDOW_MS - 1)).min(last_minute);
        if from > to {
            continue;
        }
        out.extend(from..=to);
        next = to.saturating_add(1);
    }
    out
}

/// Per-minute calls and rolling usage at the given ascending `minutes`; minutes left out are
/// skipped in O(log n) (their calls, if any, still count toward usage). `sorted` must be
/// ascending. O(n + minutes).
pub fn series_at(sorted: &[i64], minutes: &[i64]) -> MinuteSeries {
    debug_assert!(sorted.is_sorted(), "timestamps must be ascending");
    debug_assert!(minutes.is_sorted(), "minutes must be ascending");
    let len = minutes.len();
    let mut series = MinuteSeries {
        minutes: minutes.to_vec(),
        calls: Vec::with_capacity(len),
        usage_end: Vec::with_capacity(len),
        usage_max: Vec::with_capacity(len),
    };
    let mut sweep = Sweep::new(sorted);
    for &m in minutes {
        let (start, end) = (start_of(m, MINUTE_MS), end_of(m, MINUTE_MS));
        sweep.skip_before(start);
        let first = sweep.next_index();
        let mut max = sweep.usage_at(start);
        while let Some(t) = sweep.next_event_until(end) {
            max = max.max(sweep.usage_at(t));
        }
        let at_end = sweep.usage_at(end);
        let calls = sweep.next_index() - first;
        series.calls.push(u32::try_from(calls).unwrap_or(u32::MAX));
        series.usage_end.push(at_end);
        series.usage_max.push(max.max(at_end));
    }
    series
}

/// Calls and peak per UTC day, sparse: only the days with a call at or after index `from`
/// (day `d` covers `[d * WINDOW_MS, (d + 1) * WINDOW_MS)`).
///
/// A day's peak is the maximum usage at an event timestamp inside that day (earliest such); calls
/// from the previous day, and the context calls before `from`, count toward it. `sorted` must be
/// ascending. O(n), whatever the span.
pub fn daily_peaks(sorted: &[i64], from: usize) -> Vec<DayPeak> {
    debug_assert!(sorted.is_sorted(), "timestamps must be ascending");
    let mut days = Vec::new();
    let mut sweep = Sweep::starting_at(sorted, from);
    while let Some(first_t) = sweep.next_event() {
        let day = day_of(first_t);
        let end = end_of(day, WINDOW_MS);
        let first = sweep.next_index();
        let mut peak = None;
        while let Some(t) = sweep.next_event_until(end) {
            peak = better(peak, sweep.usage_at(t), t);
        }
        let calls = (sweep.next_index() - first) as u64;
        days.push(DayPeak { day, calls, peak });
    }
    days
}

/// Keeps the earlier peak on ties: only a strictly larger usage replaces it, and the sweep visits
/// instants in ascending order.
fn better(best: Option<Peak>, calls: u64, at: i64) -> Option<Peak> {
    match best {
        Some(b) if b.calls >= calls => Some(b),
        _ => Some(Peak::new(calls, at)),
    }
}

/// First millisecond of unit `index` of length `unit` (saturating at the i64 edges).
fn start_of(index: i64, unit: i64) -> i64 {
    index.saturating_mul(unit)
}

/// Last millisecond of unit `index` of length `unit` (saturating at the i64 edges).
fn end_of(index: i64, unit: i64) -> i64 {
    start_of(index, unit).saturating_add(unit - 1)
}

/// Forward-only cursor over sorted timestamps. `hi` is one past the last timestamp at or before
/// the current instant, `lo` one past the last timestamp that has expired, so the window is
/// `lo..hi`. Queries must come in non-decreasing time order; each pointer only moves forward,
/// which is what makes every sweep O(n) overall.
struct Sweep<'a> {
    sorted: &'a [i64],
    lo: usize,
    hi: usize,
}

impl<'a> Sweep<'a> {
    fn new(sorted: &'a [i64]) -> Self {
        Sweep { sorted, lo: 0, hi: 0 }
    }

    /// A cursor whose next event is `sorted[from]`: the calls before it are inside the window
    /// as context until they expire (`lo` catches up lazily).
    fn starting_at(sorted: &'a [i64], from: usize) -> Self {
        Sweep {
            sorted,
            lo: 0,
            hi: from.min(sorted.len()),
        }
    }

    /// Usage at `t`; moves the cursor to `t`, including every call made at exactly `t`.
    fn usage_at(&mut self, t: i64) -> u64 {
        while self.sorted.get(self.hi).is_some_and(|&x| x <= t) {
            self.hi += 1;
        }
        if let Some(bound) = t.checked_sub(WINDOW_MS) {
            // `lo` never passes `hi`: anything at or below `bound` is also at or below `t`.
            while self.sorted.get(self.lo).is_some_and(|&x| x <= bound) {
                self.lo += 1;
            }
        }
        (self.hi - self.lo) as u64
    }

    /// Moves past calls before `t` without evaluating usage there (`lo` catches up lazily).
    fn skip_before(&mut self, t: i64) {
        self.hi += self.sorted[self.hi..].partition_point(|&x| x < t);
    }

    /// Index of the next call not yet inside the window.
    fn next_index(&self) -> usize {
        self.hi
    }

    /// Timestamp of the next call not yet inside the window.
    fn next_event(&self) -> Option<i64> {
        self.sorted.get(self.hi).copied()
    }

    /// Like [`Self::next_event`], but only if it is at or before `end`.
    fn next_event_until(&self, end: i64) -> Option<i64> {
        self.next_event().filter(|&t| t <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    /// Wednesday 2024-01-03 00:00:00 UTC.
    const WED: i64 = 1_704_240_000_000;
    const THU: i64 = WED + WINDOW_MS;

    fn repeat(t: i64, n: usize) -> Vec<i64> {
        vec![t; n]
    }

    fn developer_edition_example() -> Vec<i64> {
        let mut v = repeat(WED + 5 * HOUR, 14_500);
        v.extend(repeat(WED + 23 * HOUR, 499));
        v
    }

    #[test]
    fn developer_edition_calls_expire_exactly_24_hours_after_they_were_made() {
        let v = developer_edition_example();
        assert_eq!(usage_at(&v, WED + 23 * HOUR), 14_999);
        assert_eq!(usage_at(&v, THU + 5 * HOUR - 1), 14_999);
        assert_eq!(usage_at(&v, THU + 5 * HOUR), 499);
        assert_eq!(
            peak(&v),
            Some(Peak {
                calls: 14_999,
                at: WED + 23 * HOUR,
                window_start: WED + 23 * HOUR - WINDOW_MS,
            })
        );
    }

    #[test]
    fn window_range_selects_the_half_open_window() {
        let v = developer_edition_example();
        assert_eq!(window_range(&v, WED + 23 * HOUR), 0..14_999);
        assert_eq!(window_range(&v, THU + 5 * HOUR), 14_500..14_999);
        assert_eq!(window_range(&v, WED + 5 * HOUR - 1), 0..0);
    }

    #[test]
    fn calls_exactly_24_hours_apart_never_overlap() {
        let p = peak(&[WED, WED + WINDOW_MS]).unwrap();
        assert_eq!((p.calls, p.at), (1, WED));
    }

    #[test]
    fn calls_24_hours_minus_one_millisecond_apart_overlap() {
        let p = peak(&[WED, WED + WINDOW_MS - 1]).unwrap();
        assert_eq!((p.calls, p.at), (2, WED + WINDOW_MS - 1));
    }

    #[test]
    fn calls_at_the_same_millisecond_all_count_at_that_instant() {
        let p = peak(&[WED, WED, WED]).unwrap();
        assert_eq!((p.calls, p.at), (3, WED));
    }

    #[test]
    fn the_earliest_time_is_chosen_when_the_peak_recurs() {
        // Two calls, then both expire and two more come two days later: peak 2 twice.
        let v = [WED, WED + HOUR, WED + 3 * WINDOW_MS, WED + 3 * WINDOW_MS];
        assert_eq!(peak(&v).unwrap().at, WED + HOUR);
    }

    #[test]
    fn empty_input_has_no_peak() {
        assert_eq!(peak(&[]), None);
        assert_eq!(usage_at(&[], WED), 0);
    }

    #[test]
    fn one_call_peaks_at_one() {
        assert_eq!(peak(&[WED]), Some(Peak::new(1, WED)));
    }

    #[test]
    fn minute_series_counts_calls_before_the_range_and_shows_the_exact_peak() {
        let m0 = minute_of(WED);
        let v = [
            WED - 10 * HOUR,  // before the range, still inside the window
            WED + 1_000,      // minute 0
            WED + 1_000,      // minute 0, tie
            WED + 61_000,     // minute 1
            WED + 4 * 60_000, // after the range
        ];
        let s = minute_series(&v, m0, m0 + 2);
        assert_eq!(s.minutes, vec![m0, m0 + 1, m0 + 2]);
        assert_eq!(s.calls, vec![2, 1, 0]);
        assert_eq!(s.usage_end, vec![3, 4, 4]);
        assert_eq!(s.usage_max, vec![3, 4, 4]);
        // The peak of the calls up to the range's end appears in usage_max.
        assert_eq!(s.usage_max.iter().max(), Some(&peak(&v[..4]).unwrap().calls));
    }

    #[test]
    fn minute_series_usage_max_includes_calls_expiring_inside_the_minute() {
        // Two old calls expire 30 s into the minute; one new call comes later in that minute.
        let old = WED + 30_000 - WINDOW_MS;
        let v = [old, old, WED + 40_000];
        let s = minute_series(&v, minute_of(WED), minute_of(WED));
        assert_eq!(s.calls, vec![1]);
        assert_eq!(s.usage_end, vec![1]);
        assert_eq!(s.usage_max, vec![2]);
    }

    #[test]
    fn minute_series_over_an_empty_range_is_empty() {
        let s = minute_series(&[WED], 5, 4);
        assert!(s.calls.is_empty() && s.usage_end.is_empty() && s.usage_max.is_empty());
    }

    #[test]
    fn daily_peaks_carry_yesterdays_calls_into_today() {
        let v = [
            WED + 20 * HOUR,
            WED + 20 * HOUR,
            THU + HOUR,
            THU + 21 * HOUR, // the two 20:00 calls have expired
        ];
        let d = daily_peaks(&v, 0);
        assert_eq!(
            d,
            vec![
                DayPeak {
                    day: day_of(WED),
                    calls: 2,
                    peak: Some(Peak::new(2, WED + 20 * HOUR)),
                },
                DayPeak {
                    day: day_of(THU),
                    calls: 2,
                    peak: Some(Peak::new(3, THU + HOUR)),
                },
            ]
        );
        // From index 2 the Wednesday calls are context: Thursday's peak still counts them.
        assert_eq!(daily_peaks(&v, 2), d[1..].to_vec());
    }

    #[test]
    fn peak_from_counts_earlier_calls_but_never_reports_their_instants() {
        let v = [WED, WED + HOUR, WED + 2 * HOUR];
        assert_eq!(peak_from(&v, 0), Some(Peak::new(3, WED + 2 * HOUR)));
        assert_eq!(peak_from(&v, 2), Some(Peak::new(3, WED + 2 * HOUR)));
        let busy_morning = [WED, WED, WED, THU + HOUR];
        assert_eq!(peak(&busy_morning), Some(Peak::new(3, WED)));
        assert_eq!(peak_from(&busy_morning, 3), Some(Peak::new(1, THU + HOUR)));
        assert_eq!(peak_from(&busy_morning, 4), None);
    }

    #[test]
    fn series_of_calls_ten_years_apart_follow_the_calls_not_the_span() {
        let far = WED + 3_650 * WINDOW_MS;
        let v = [WED, far];
        let s = minute_series(&v, minute_of(WED), minute_of(far));
        // The first call keeps usage above zero for its 1,440 minutes; the range ends at the
        // last call's own minute; nothing in between.
        assert_eq!(s.minutes.len(), 1_440 + 1);
        assert_eq!(s.calls.iter().map(|&c| u64::from(c)).sum::<u64>(), 2);
        assert!(s.usage_max.iter().all(|&u| u == 1));
        assert_eq!(daily_peaks(&v, 0).len(), 2);
    }

    #[test]
    fn minute_and_day_indices_floor_before_1970() {
        assert_eq!(minute_of(-1), -1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(WED), 19_725);
    }
}
