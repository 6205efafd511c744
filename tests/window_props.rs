//! Property tests: the O(n) / O(log n) window math against a naive O(n²) reference.
//!
//! Timestamps are drawn from a few hour offsets plus tiny jitter, so ties and differences of
//! exactly 24 h (and 24 h ± 1 ms) are common: those are where off-by-one bugs live.

use apiusage::window::*;
use proptest::prelude::*;

const HOUR: i64 = WINDOW_MS / 24;
/// Monday 2024-01-01 00:00:00 UTC.
const BASE: i64 = 1_704_067_200_000;

/// Naive usage: count every timestamp in `(t - WINDOW_MS, t]`.
fn naive_usage(v: &[i64], t: i64) -> u64 {
    v.iter().filter(|&&x| x > t - WINDOW_MS && x <= t).count() as u64
}

/// Naive peak over the given candidate instants; ascending scan keeps the earliest maximum.
fn naive_peak(v: &[i64], instants: impl Iterator<Item = i64>) -> Option<(u64, i64)> {
    let mut ts: Vec<i64> = instants.collect();
    ts.sort_unstable();
    let mut best: Option<(u64, i64)> = None;
    for t in ts {
        let u = naive_usage(v, t);
        if best.is_none_or(|(b, _)| u > b) {
            best = Some((u, t));
        }
    }
    best
}

/// One timestamp: hour offset within three days, jitter in {-1, 0, +1} ms mostly, sometimes more.
fn timestamp() -> impl Strategy<Value = i64> {
    let jitter = prop_oneof![
        4 => Just(0i64),
        2 => -1i64..=1,
        1 => -90_000i64..=90_000,
    ];
    (0i64..72, jitter).prop_map(|(h, j)| BASE + h * HOUR + j)
}

/// Unsorted input, sorted by the caller.
fn timestamps() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(timestamp(), 0..60)
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn peak_equals_the_naive_earliest_maximum(v in timestamps()) {
        let v = sorted(v);
        let expected = naive_peak(&v, v.iter().copied());
        let got = peak(&v);
        prop_assert_eq!(got.map(|p| (p.calls, p.at)), expected);
        if let Some(p) = got {
            prop_assert_eq!(p.window_start, p.at - WINDOW_MS);
        }
    }

    #[test]
    fn usage_at_and_window_range_equal_the_naive_count(v in timestamps(), t in timestamp()) {
        let v = sorted(v);
        let r = window_range(&v, t);
        prop_assert!(v[r.clone()].iter().all(|&x| x > t - WINDOW_MS && x <= t));
        prop_assert_eq!(usage_at(&v, t), naive_usage(&v, t));
        prop_assert_eq!(r.len() as u64, naive_usage(&v, t));
    }

    #[test]
    fn minute_series_equals_naive_evaluation_per_minute(
        v in timestamps(),
        first_hour in 0i64..72,
        minutes in 0i64..200,
    ) {
        let v = sorted(v);
        let first = (BASE + first_hour * HOUR).div_euclid(MINUTE_MS) - 100;
        let last = first + minutes - 1;
        let s = minute_series(&v, first, last);
        let mut i = 0;
        for m in first..=last {
            let (start, end) = (m * MINUTE_MS, m * MINUTE_MS + MINUTE_MS - 1);
            let inside: Vec<i64> = v.iter().copied().filter(|&x| x >= start && x <= end).collect();
            // Usage rises only at events and otherwise falls, so the maximum over every instant
            // of the minute is reached at its first millisecond, an event, (or its end).
            let candidates = [start, end].into_iter().chain(inside.iter().copied());
            let max = candidates.map(|t| naive_usage(&v, t)).max().unwrap();
            // Sparse: a minute is listed exactly when usage is above zero at some instant of it.
            if max == 0 {
                prop_assert!(!s.minutes.contains(&m), "minute {} without usage is listed", m);
                continue;
            }
            prop_assert_eq!(s.minutes.get(i), Some(&m), "minute {} with usage is missing", m);
            prop_assert_eq!(s.calls[i] as usize, inside.len(), "calls, minute {}", m);
            prop_assert_eq!(s.usage_end[i], naive_usage(&v, end), "usage_end, minute {}", m);
            prop_assert_eq!(s.usage_max[i], max, "usage_max, minute {}", m);
            i += 1;
        }
        prop_assert_eq!(i, s.minutes.len());
    }

    #[test]
    fn daily_peaks_equal_the_naive_per_day_maximum(v in timestamps(), since in timestamp()) {
        let v = sorted(v);
        // Calls before `since` are context: they count in the windows, but only days with a
        // call at or after `since` are listed, and only instants at or after it are peaks.
        let from = v.partition_point(|&x| x < since);
        let got = daily_peaks(&v, from);
        let mut days: Vec<i64> = v[from..].iter().map(|x| x.div_euclid(WINDOW_MS)).collect();
        days.dedup();
        prop_assert_eq!(got.iter().map(|d| d.day).collect::<Vec<_>>(), days.clone());
        for (dp, d) in got.iter().zip(days) {
            let inside = v[from..].iter().copied().filter(|&x| x.div_euclid(WINDOW_MS) == d);
            prop_assert_eq!(dp.calls, inside.clone().count() as u64);
            prop_assert_eq!(dp.peak.map(|p| (p.calls, p.at)), naive_peak(&v, inside));
        }
    }

    #[test]
    fn since_and_until_keep_the_warm_up_in_the_window_and_nothing_after_until(
        all in timestamps(),
        since in timestamp(),
        length in 1i64..(72 * HOUR),
    ) {
        // What `report --since S --until U` computes: rows in [S − 24 h, U) are kept, those
        // before S as context; the peak is over instants in [S, U) only.
        let until = since + length;
        let kept = sorted(all.iter().copied().filter(|&x| x >= since - WINDOW_MS && x < until).collect());
        let from = kept.partition_point(|&x| x < since);
        let got = peak_from(&kept, from);
        // Naive: usage over every input call before `until`, candidates are the calls in range.
        let before_until: Vec<i64> = all.iter().copied().filter(|&x| x < until).collect();
        let candidates = all.iter().copied().filter(|&x| x >= since && x < until);
        prop_assert_eq!(got.map(|p| (p.calls, p.at)), naive_peak(&before_until, candidates));
    }

    #[test]
    fn the_minute_series_maximum_is_the_peak(v in timestamps()) {
        let v = sorted(v);
        if let Some(p) = peak(&v) {
            let first = v[0].div_euclid(MINUTE_MS);
            let last = v[v.len() - 1].div_euclid(MINUTE_MS);
            let s = minute_series(&v, first, last);
            prop_assert_eq!(s.usage_max.iter().max().copied(), Some(p.calls));
            let at = s.minutes.iter().position(|&m| m == p.at.div_euclid(MINUTE_MS)).unwrap();
            prop_assert_eq!(s.usage_max[at], p.calls);
        }
    }
}
