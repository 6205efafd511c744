//! What-if: an org's and an integration's exact rolling-24h peaks with some calls removed.
//!
//! Part of the recommendation stage (after usage, before analysis). A recommendation is
//! expressed as the counted rows its action makes unnecessary. [`OrgStreams`] gathers an org's
//! counted timestamps once (and each integration's, in the same pass), and [`Instants`] the
//! usage at each of a stream's instants, once per stream. Every what-if is then a walk over its
//! removed entries (where each enters and leaves the window) and a maximum of the unchanged
//! usage between those points ([`peak_without`]), instead of recounting every window of the
//! stream. A stream asked once (an integration, by its own recommendation) is instead swept
//! over its kept calls ([`Counted::peak_without_direct`]), and a stream's logged peak is
//! remembered (an integration's is handed over from usage, which computed it). "No change"
//! reproduces `window::peak` exactly, and removing calls can only lower or keep a peak.
//! [`Stream`] is the straightforward per-change recomputation, kept as the reference the
//! sweep is tested against.

use std::ops::Range;
use std::sync::OnceLock;

use super::instants::gallop;
pub use super::instants::Instants;
use crate::attribute::Attribution;
use crate::model::{Calls, Millis};
use crate::window::{self, Peak};

/// The peak of `sorted` (ascending timestamps) without the entries at `removed` (ascending,
/// distinct positions into `sorted`), over instants at or after `from`.
pub fn peak_without_from(sorted: &[Millis], removed: &[usize], from: Millis) -> Option<Peak> {
    Instants::new(sorted).peak_without(sorted, removed, from)
}

/// [`peak_without_from`] over every instant.
pub fn peak_without(sorted: &[Millis], removed: &[usize]) -> Option<Peak> {
    peak_without_from(sorted, removed, Millis::MIN)
}

/// One counted stream: timestamps ascending, and the table row of each.
#[derive(Debug, Clone, Default)]
pub struct Counted {
    /// Timestamps, ascending.
    pub ts: Vec<Millis>,
    /// Table row of each timestamp, ascending.
    pub rows: Vec<u32>,
    /// Its instants and the usage at each, made on the first what-if (an integration without
    /// a recommendation never needs them).
    instants: OnceLock<Instants>,
    /// The peak as logged, over instants at or after the `from` it was asked with: the org's
    /// is asked once per recommendation, an integration's by each of its recommendations and
    /// by the profiling of heavy integrations, and a sweep of a million calls each time was a
    /// quarter of the what-if cost.
    logged: OnceLock<(Millis, Option<Peak>)>,
}

impl Counted {
    fn reserve(&mut self, calls: usize) {
        self.rows.reserve_exact(calls);
        self.ts.reserve_exact(calls);
    }

    fn push(&mut self, row: usize, ts: Millis) {
        self.rows.push(row as u32);
        self.ts.push(ts);
    }

    /// Positions of `removed` (ascending, distinct table rows) in this stream; rows not in it
    /// are skipped. Many removals (a detection's polls, all of an org's detections) are marked
    /// in a bitmap and the stream's rows between the first and the last are tested against it
    /// without a branch; a few are searched for one by one.
    pub fn positions(&self, removed: &[u32]) -> Vec<usize> {
        if removed.len() * MARKED_ONE_IN >= self.rows.len() {
            self.positions_marked(removed)
        } else {
            self.positions_searched(removed)
        }
    }

    fn positions_marked(&self, removed: &[u32]) -> Vec<usize> {
        // Its bounds are the first and the last: every detector lists its rows ascending.
        debug_assert!(removed.is_sorted());
        let (Some(&low), Some(&high)) = (removed.first(), removed.last()) else {
            return Vec::new();
        };
        let mut marks = Marks::spanning(low, high);
        for &r in removed {
            marks.set(r);
        }
        let start = self.rows.partition_point(|&r| r < low);
        let end = self.rows.partition_point(|&r| r <= high);
        // One slot more than can match, so the write ahead of the count stays in bounds.
        let mut out = vec![0usize; removed.len().min(end - start) + 1];
        let mut n = 0;
        for (p, &r) in self.rows[start..end].iter().enumerate() {
            out[n] = start + p;
            n += usize::from(marks.contains(r));
        }
        out.truncate(n);
        out
    }

    fn positions_searched(&self, removed: &[u32]) -> Vec<usize> {
        let mut out = Vec::with_capacity(removed.len());
        let mut from = 0;
        for &r in removed {
            let at = gallop(from, self.rows.len(), |k| self.rows[k] < r);
            if self.rows.get(at) == Some(&r) {
                out.push(at);
            }
            from = at;
        }
        out
    }

    /// The peak without `removed` (ascending table rows), over instants ≥ `from`.
    pub fn peak_without(&self, removed: &[u32], from: Millis) -> Option<Peak> {
        self.peak_without_positions(&self.positions(removed), from)
    }

    /// [`Self::peak_without`] for a stream asked once or twice (an integration, by its own
    /// recommendations): the kept timestamps swept directly instead of building the stream's
    /// instants for one walk, unless they are made already.
    pub fn peak_without_direct(&self, removed: &[u32], from: Millis) -> Option<Peak> {
        let positions = self.positions(removed);
        if positions.is_empty() || self.instants.get().is_some() {
            return self.peak_without_positions(&positions, from);
        }
        let kept = without(&self.ts, &positions);
        window::peak_from(&kept, kept.partition_point(|&t| t < from))
    }

    /// The peak without the entries at `positions` (from [`Self::positions`]), over instants
    /// ≥ `from`.
    pub fn peak_without_positions(&self, positions: &[usize], from: Millis) -> Option<Peak> {
        if positions.is_empty() {
            return self.logged_peak(from);
        }
        self.instants().peak_without(&self.ts, positions, from)
    }

    /// The peak as logged over instants ≥ `from`: remembered, and taken from the instants'
    /// usage when they are already made (a maximum over an array instead of a sweep); else one
    /// sweep, without building the instants (most integrations are only ever asked this).
    fn logged_peak(&self, from: Millis) -> Option<Peak> {
        if let Some(&(_, peak)) = self.logged.get().filter(|(asked, _)| *asked == from) {
            return peak;
        }
        let peak = match self.instants.get() {
            Some(instants) => instants.peak_without(&self.ts, &[], from),
            None => window::peak_from(&self.ts, self.ts.partition_point(|&t| t < from)),
        };
        // A second `from` (never asked today) is answered, just not remembered.
        let _ = self.logged.set((from, peak));
        peak
    }

    /// Remembers the logged peak over instants ≥ `from` when it is known already (usage
    /// computed every integration's), so the what-if does not sweep the stream again for it.
    pub fn remember_logged_peak(&self, from: Millis, peak: Option<Peak>) {
        let _ = self.logged.set((from, peak));
    }

    /// Its instants and the usage at each, made once.
    pub fn instants(&self) -> &Instants {
        self.instants.get_or_init(|| Instants::new(&self.ts))
    }

    /// How many of `removed` are in this stream.
    pub fn count(&self, removed: &[u32]) -> u64 {
        self.positions(removed).len() as u64
    }

    /// How many of `removed` are in this stream inside `peak`'s window `(at − 24 h, at]`.
    pub fn count_in_window(&self, removed: &[u32], peak: Option<Peak>) -> u64 {
        self.positions_in_window(&self.positions(removed), peak)
    }

    /// How many of the entries at `positions` (ascending, as [`Self::positions`] gives them)
    /// are inside `peak`'s window `(at − 24 h, at]`: their times ascend too, so the ones
    /// inside are one run, found by two searches.
    pub fn positions_in_window(&self, positions: &[usize], peak: Option<Peak>) -> u64 {
        let Some(p) = peak else { return 0 };
        debug_assert!(positions.is_sorted());
        let first = positions.partition_point(|&pos| self.ts[pos] <= p.window_start);
        let end = positions.partition_point(|&pos| self.ts[pos] <= p.at);
        end.saturating_sub(first) as u64
    }

    /// How many entries fall inside `peak`'s window.
    pub fn in_window(&self, peak: Option<Peak>) -> u64 {
        peak.map_or(0, |p| window::window_range(&self.ts, p.at).len() as u64)
    }
}

/// Removals at least this share of a stream (1 in 16) are found by a bitmap, not searches.
const MARKED_ONE_IN: usize = 16;

/// A set of table rows between two bounds, as one bit per row.
struct Marks {
    low: u32,
    words: Vec<u64>,
}

impl Marks {
    /// An empty set for rows `low..=high`.
    fn spanning(low: u32, high: u32) -> Marks {
        Marks {
            low,
            words: vec![0; (high - low) as usize / 64 + 1],
        }
    }

    /// Adds `row` (within the bounds).
    fn set(&mut self, row: u32) {
        let k = (row - self.low) as usize;
        self.words[k / 64] |= 1 << (k % 64);
    }

    /// Whether `row` (within the bounds) is in the set.
    fn contains(&self, row: u32) -> bool {
        let k = (row - self.low) as usize;
        self.words[k / 64] >> (k % 64) & 1 == 1
    }

    /// The rows in the set, ascending.
    fn ascending(&self, capacity: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(capacity);
        for (w, &word) in self.words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                out.push(self.low + (w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        out
    }
}

/// An org's counted calls, and the asked-for integrations' (those with a detection or a
/// profile), gathered in one pass.
#[derive(Debug, Clone, Default)]
pub struct OrgStreams {
    /// The org's counted calls.
    pub org: Counted,
    /// The asked-for integrations' counted calls, by slot.
    integrations: Vec<Counted>,
    /// Each integration's slot, [`NO_STREAM`] when not asked for.
    slot: Vec<u32>,
}

/// The slot of an integration whose calls are not gathered.
const NO_STREAM: u32 = u32::MAX;

impl OrgStreams {
    /// The counted rows of the org's `range` of `calls`, every integration's gathered.
    pub fn new(calls: &Calls, range: Range<usize>, attribution: &Attribution) -> OrgStreams {
        let all: Vec<usize> = (0..attribution.integrations.len()).collect();
        OrgStreams::of_integrations(calls, range, attribution, &all)
    }

    /// The counted rows of the org's `range` of `calls`, and those of the integrations in
    /// `wanted` (indices). Most integrations of an org have no detection and no profile, and
    /// gathering their calls was a tenth of the recommendation stage.
    pub fn of_integrations(
        calls: &Calls,
        range: Range<usize>,
        attribution: &Attribution,
        wanted: &[usize],
    ) -> OrgStreams {
        let mut s = OrgStreams {
            org: Counted::default(),
            integrations: Vec::with_capacity(wanted.len()),
            slot: vec![NO_STREAM; attribution.integrations.len()],
        };
        for &i in wanted {
            if s.slot[i] == NO_STREAM {
                s.slot[i] = s.integrations.len() as u32;
                s.integrations.push(Counted::default());
            }
        }
        s.reserve(calls, range.clone(), attribution);
        for i in range.filter(|&i| calls.counts(i)) {
            let ts = calls.ts[i];
            s.org.push(i, ts);
            let slot = s.slot[attribution.of_row(calls, i)];
            if slot != NO_STREAM {
                s.integrations[slot as usize].push(i, ts);
            }
        }
        s
    }

    /// Room for exactly the calls each stream gathers: grown call by call, the streams of a
    /// large org held half as much again in spare capacity (a quarter of the report's peak).
    fn reserve(&mut self, calls: &Calls, range: Range<usize>, attribution: &Attribution) {
        let mut org = 0;
        let mut by_slot = vec![0usize; self.integrations.len()];
        for i in range.filter(|&i| calls.counts(i)) {
            org += 1;
            let slot = self.slot[attribution.of_row(calls, i)];
            if slot != NO_STREAM {
                by_slot[slot as usize] += 1;
            }
        }
        self.org.reserve(org);
        for (stream, n) in self.integrations.iter_mut().zip(by_slot) {
            stream.reserve(n);
        }
    }

    /// The integration's counted calls (empty when it has none or was not asked for).
    pub fn of(&self, integration: usize) -> &Counted {
        static EMPTY: Counted = Counted {
            ts: Vec::new(),
            rows: Vec::new(),
            instants: OnceLock::new(),
            logged: OnceLock::new(),
        };
        self.gathered(integration).unwrap_or(&EMPTY)
    }

    /// The integration's counted calls, if they were gathered.
    pub fn gathered(&self, integration: usize) -> Option<&Counted> {
        let slot = self.slot.get(integration).copied().unwrap_or(NO_STREAM);
        self.integrations.get(slot as usize)
    }
}

/// `sorted` without the entries at `positions` (ascending).
fn without(sorted: &[Millis], positions: &[usize]) -> Vec<Millis> {
    let mut kept = Vec::with_capacity(sorted.len() - positions.len());
    let mut from = 0;
    for &p in positions {
        kept.extend_from_slice(&sorted[from..p]);
        from = p + 1;
    }
    kept.extend_from_slice(&sorted[from..]);
    kept
}

/// One org's counted calls, as the what-if sees them.
#[derive(Debug, Clone)]
pub struct Stream<'a> {
    /// The table.
    pub calls: &'a Calls,
    /// The org's rows in it (sorted by time).
    pub range: Range<usize>,
    /// Who made each call.
    pub attribution: &'a Attribution,
}

/// Peaks after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    /// The org's peak without the removed rows.
    pub org: Option<Peak>,
    /// The integration's peak as logged (`None` when no integration was asked for).
    pub integration_before: Option<Peak>,
    /// The integration's peak without the removed rows.
    pub integration: Option<Peak>,
}

impl Stream<'_> {
    /// Peaks of the org, and of `integration` if given, without the rows in `removed` (ascending
    /// row indices; rows outside the org or not counted are ignored). One pass over the org.
    pub fn after(&self, integration: Option<usize>, removed: &[u32]) -> After {
        let mut skip = removed.iter().map(|&r| r as usize).peekable();
        let mut org = Vec::with_capacity(self.range.len());
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for i in self.range.clone() {
            while skip.next_if(|&r| r < i).is_some() {}
            let gone = skip.next_if_eq(&i).is_some();
            if !self.calls.counts(i) {
                continue;
            }
            let mine = integration == Some(self.attribution.of_row(self.calls, i));
            let ts = self.calls.ts[i];
            if mine {
                before.push(ts);
            }
            if !gone {
                org.push(ts);
                if mine {
                    after.push(ts);
                }
            }
        }
        After {
            org: window::peak(&org),
            integration_before: window::peak(&before),
            integration: window::peak(&after),
        }
    }

    /// How many of `rows` are counted calls of this org.
    pub fn counted(&self, rows: &[u32]) -> u64 {
        self.of_org(rows).filter(|&i| self.calls.counts(i)).count() as u64
    }

    /// How many of `rows` are counted calls inside `peak`'s window `(at − 24 h, at]`: the calls
    /// the change saves in the 24 hours ending at the peak.
    pub fn saved_in_window(&self, rows: &[u32], peak: Option<Peak>) -> u64 {
        let Some(p) = peak else { return 0 };
        self.of_org(rows)
            .filter(|&i| self.calls.counts(i))
            .filter(|&i| self.calls.ts[i] > p.window_start && self.calls.ts[i] <= p.at)
            .count() as u64
    }

    fn of_org<'r>(&'r self, rows: &'r [u32]) -> impl Iterator<Item = usize> + 'r {
        rows.iter()
            .map(|&r| r as usize)
            .filter(|i| self.range.contains(i))
    }
}

/// The ascending union of row lists. Lists of rows close together (an org's detections,
/// whose rows all lie in the org's range) are marked in a bitmap over their span and read back
/// in order: one pass over the rows and one over the span's words. Lists spread far apart
/// are merged two by two, round after round, so the cost is the rows times the rounds (log₂
/// of the lists), not a sort of them all.
pub fn union<'a>(lists: impl Iterator<Item = &'a [u32]>) -> Vec<u32> {
    let lists: Vec<&[u32]> = lists.collect();
    let rows: usize = lists.iter().map(|l| l.len()).sum();
    let Some((low, high)) = bounds(&lists) else {
        return Vec::new();
    };
    let words = (high - low) as usize / 64 + 1;
    if words <= rows {
        union_by_bitmap(&lists, (low, high), rows)
    } else {
        union_by_merging(lists.into_iter())
    }
}

/// The smallest and largest row of the lists (`None` when they are all empty).
fn bounds(lists: &[&[u32]]) -> Option<(u32, u32)> {
    let all = || lists.iter().flat_map(|l| l.iter().copied());
    Some((all().min()?, all().max()?))
}

/// [`union`] by marking every row in a bitmap over `low..=high` and reading the marks back
/// in order.
fn union_by_bitmap(lists: &[&[u32]], (low, high): (u32, u32), rows: usize) -> Vec<u32> {
    let mut marks = Marks::spanning(low, high);
    for &row in lists.iter().flat_map(|l| l.iter()) {
        marks.set(row);
    }
    marks.ascending(rows)
}

/// [`union`] by merging the lists two by two.
fn union_by_merging<'a>(lists: impl Iterator<Item = &'a [u32]>) -> Vec<u32> {
    let mut round: Vec<Vec<u32>> = lists.map(ascending).collect();
    while round.len() > 1 {
        let mut next = Vec::with_capacity(round.len().div_ceil(2));
        let mut pairs = round.into_iter();
        while let Some(a) = pairs.next() {
            next.push(match pairs.next() {
                Some(b) => merge(&a, &b),
                None => a,
            });
        }
        round = next;
    }
    let mut all = round.pop().unwrap_or_default();
    // A single list is returned as given; keep the promise of distinct rows for it too.
    all.dedup();
    all
}

/// A copy of `rows`, sorted if it was not (every detector's list is, but a merge of an
/// unsorted one would be silently wrong, and the check costs one read).
fn ascending(rows: &[u32]) -> Vec<u32> {
    let mut v = rows.to_vec();
    if !v.is_sorted() {
        v.sort_unstable();
    }
    v
}

/// Two ascending lists merged, each row once.
fn merge(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn removing_nothing_keeps_the_peak_and_removing_the_busy_hour_lowers_it() {
        let ts = [0, H, H, 2 * H, 30 * H];
        assert_eq!(peak_without(&ts, &[]), window::peak(&ts));
        let p = peak_without(&ts, &[1, 2]).unwrap();
        assert_eq!((p.calls, p.at), (2, 2 * H));
    }

    #[test]
    fn the_sweep_honours_ties_and_a_lower_bound_on_instants() {
        let ts = [0, 5, 5, 5, H, 25 * H, 25 * H];
        // Removing two of the three calls at 5 ms keeps that instant with one call.
        let p = peak_without(&ts, &[1, 2]).unwrap();
        assert_eq!((p.calls, p.at), (3, H));
        // Removing all three drops the instant.
        assert_eq!(peak_without(&ts, &[1, 2, 3]).unwrap().calls, 2);
        // Instants from 2 h on only: the busy start no longer counts as an instant.
        let p = peak_without_from(&ts, &[], 2 * H).unwrap();
        assert_eq!((p.calls, p.at), (2, 25 * H));
    }

    /// A stream with an entry per gap (each after the last by the gap), at rows `0, step, …`.
    fn stream_of(gaps: &[i64], step: usize) -> Counted {
        let mut stream = Counted::default();
        let mut t = 0;
        for (k, gap) in gaps.iter().enumerate() {
            t += gap;
            stream.push(k * step, t);
        }
        stream
    }

    /// The stream's rows where `mask` is set.
    fn masked(stream: &Counted, mask: &[bool]) -> Vec<u32> {
        stream
            .rows
            .iter()
            .zip(mask)
            .filter(|(_, m)| **m)
            .map(|(r, _)| *r)
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn the_direct_sweep_equals_the_walk_over_instants(
            gaps in proptest::collection::vec(0i64..8 * H, 1..120),
            mask in proptest::collection::vec(proptest::bool::weighted(0.3), 120),
            from in proptest::prop_oneof![proptest::strategy::Just(Millis::MIN), 0i64..200 * H],
        ) {
            let stream = stream_of(&gaps, 3);
            let removed = masked(&stream, &mask);
            let direct = stream.peak_without_direct(&removed, from);
            let positions = stream.positions(&removed);
            let walked = stream.instants().peak_without(&stream.ts, &positions, from);
            proptest::prop_assert_eq!(direct, walked);
        }

        #[test]
        fn removed_calls_in_a_window_are_counted_like_one_by_one(
            gaps in proptest::collection::vec(0i64..6 * H, 1..120),
            mask in proptest::collection::vec(proptest::bool::weighted(0.4), 120),
            at in 0usize..120,
        ) {
            let stream = stream_of(&gaps, 1);
            let positions = stream.positions(&masked(&stream, &mask));
            let at = stream.ts[at % stream.ts.len()];
            let peak = Peak { calls: 0, at, window_start: at - window::WINDOW_MS };
            let one_by_one = positions
                .iter()
                .filter(|&&p| stream.ts[p] > peak.window_start && stream.ts[p] <= peak.at)
                .count() as u64;
            proptest::prop_assert_eq!(stream.positions_in_window(&positions, Some(peak)), one_by_one);
        }

        #[test]
        fn the_bitmap_union_equals_the_merged_one(
            lists in proptest::collection::vec(proptest::collection::vec(0u32..5_000, 0..60), 0..6),
            far in proptest::option::of(u32::MAX - 3..=u32::MAX),
        ) {
            // Sorted lists, one maybe reaching far away (the span then takes the merge).
            let mut lists: Vec<Vec<u32>> = lists;
            for l in &mut lists {
                l.sort_unstable();
                l.dedup();
            }
            if let (Some(f), Some(l)) = (far, lists.last_mut()) {
                l.push(f);
            }
            let refs = || lists.iter().map(|l| l.as_slice());
            let mut expected: Vec<u32> = lists.iter().flatten().copied().collect();
            expected.sort_unstable();
            expected.dedup();
            proptest::prop_assert_eq!(union(refs()), expected.clone());
            proptest::prop_assert_eq!(union_by_merging(refs()), expected);
        }

        #[test]
        fn removed_rows_are_found_alike_by_bitmap_and_by_search(
            steps in proptest::collection::vec(1usize..4, 1..200),
            mask in proptest::collection::vec(proptest::bool::weighted(0.5), 200),
            others in proptest::collection::btree_set(0u32..800, 0..40),
        ) {
            // A stream of every few rows; removals in it (its first and last often among
            // them), between its rows and beyond it.
            let mut stream = Counted::default();
            let mut row = 0;
            for (k, step) in steps.iter().enumerate() {
                row += step;
                stream.push(row, k as Millis);
            }
            let mut removed: std::collections::BTreeSet<u32> = others;
            removed.extend(masked(&stream, &mask));
            let removed: Vec<u32> = removed.into_iter().collect();
            let searched = stream.positions_searched(&removed);
            proptest::prop_assert_eq!(stream.positions_marked(&removed), searched.clone());
            proptest::prop_assert_eq!(stream.positions(&removed), searched);
        }
    }

    #[test]
    fn union_merges_and_deduplicates() {
        let a = [1u32, 5, 9];
        let b = [2u32, 5];
        let c = [0u32, 9, 12];
        assert_eq!(union([&a[..], &b[..]].into_iter()), vec![1, 2, 5, 9]);
        assert_eq!(
            union([&a[..], &b[..], &c[..]].into_iter()),
            vec![0, 1, 2, 5, 9, 12]
        );
        assert_eq!(union([&a[..]].into_iter()), vec![1, 5, 9]);
        assert_eq!(union(std::iter::empty()), Vec::<u32>::new());
    }
}
