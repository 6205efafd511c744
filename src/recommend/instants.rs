//! A counted stream's distinct instants and the rolling usage at each, computed once per
//! stream so that every what-if on it is cheap.
//!
//! Part of the recommendation stage's what-if ([`super::whatif`]). Removing entries `R` lowers
//! the usage at instant `t` by the removed entries in `(t − 24 h, t]`: a step function that
//! changes only where a removed entry enters the window (its own instant) and where it leaves
//! (the first instant 24 h or more after it). So a what-if never recounts windows: it marks
//! those change points and takes the maximum of the unchanged usage minus the removed entries
//! inside. An instant all of whose entries are removed is no longer an instant of the stream
//! and is passed over; ties keep the earliest instant, as `window::peak` does.
//!
//! Two walks give the same answer: for a few removals, from change point to change point with
//! a vectorised maximum over the unchanged usage between them; for many, one pass over every
//! instant with the changes in a difference array (one per thread, reused).

use crate::model::Millis;
use crate::window::{Peak, WINDOW_MS};

/// Removals above this share of the instants (1 in 8) take the one-pass walk.
const DENSE_ONE_IN: usize = 8;

thread_local! {
    /// The one-pass walk's difference array, kept per thread: what-ifs run one after another
    /// on each of rayon's threads, and a stream's length of fresh memory per walk cost more in
    /// page faults than the walk itself.
    static SCRATCH: std::cell::RefCell<Vec<i32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Frees the one-pass walk's scratch on every thread of rayon's pool and on this one: it is
/// as long as the longest stream walked, and nothing after the recommendation stage needs it.
pub(super) fn release_scratch() {
    let release = || SCRATCH.with_borrow_mut(|delta| *delta = Vec::new());
    rayon::broadcast(|_| release());
    release();
}

/// The instants of one sorted stream and the usage at each.
#[derive(Debug, Clone, Default)]
pub struct Instants {
    /// First entry of each instant, then the number of entries.
    start: Vec<u32>,
    /// Entries in `(t − 24 h, t]` at each instant `t`.
    usage: Vec<u32>,
    /// For each instant `t`, the first instant at or after `t + 24 h`: where an entry at `t`
    /// has left the window.
    expiry: Vec<u32>,
    /// The instant of each entry: every what-if looks its removals up here (a search per
    /// removal was most of a dense walk's cost).
    instant_of: Vec<u32>,
}

/// Which walk a what-if takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    ChangePoints,
    EveryInstant,
}

impl Instants {
    /// The instants of `sorted` (ascending timestamps) and the usage at each, in one pass: the
    /// instants still inside the window of the newest one are those from `inside` on, and an
    /// instant leaves it (its expiry is set) when a newer one is 24 h or more later.
    pub fn new(sorted: &[Millis]) -> Instants {
        let mut start: Vec<u32> = Vec::with_capacity(sorted.len() + 1);
        let mut usage = Vec::with_capacity(sorted.len());
        let mut expiry = Vec::with_capacity(sorted.len());
        let mut instant_of = Vec::with_capacity(sorted.len());
        let mut j = 0;
        while j < sorted.len() {
            let t = sorted[j];
            let mut end = j + 1;
            while end < sorted.len() && sorted[end] == t {
                end += 1;
            }
            let now = start.len() as u32;
            // Instants at or before t − 24 h have left the window at this one.
            if let Some(bound) = t.checked_sub(WINDOW_MS) {
                while expiry.len() < start.len() && sorted[start[expiry.len()] as usize] <= bound {
                    expiry.push(now);
                }
            }
            start.push(j as u32);
            instant_of.resize(end, now);
            let first_inside = start[expiry.len()] as usize;
            usage.push((end - first_inside) as u32);
            j = end;
        }
        expiry.resize(start.len(), start.len() as u32);
        start.push(sorted.len() as u32);
        Instants {
            start,
            usage,
            expiry,
            instant_of,
        }
    }

    /// The instant of each of `removed` (positions).
    fn instants_of<'a>(&'a self, removed: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
        removed.iter().map(|&p| self.instant_of[p] as usize)
    }

    fn len(&self) -> usize {
        self.usage.len()
    }

    fn entries_at(&self, instant: usize) -> u32 {
        self.start[instant + 1] - self.start[instant]
    }

    fn time(&self, sorted: &[Millis], instant: usize) -> Millis {
        sorted[self.start[instant] as usize]
    }

    /// The peak of `sorted` (the stream these instants were made from) without the entries at
    /// `removed` (ascending, distinct positions), over instants at or after `from`: the largest
    /// usage, at its earliest instant.
    pub fn peak_without(&self, sorted: &[Millis], removed: &[usize], from: Millis) -> Option<Peak> {
        let walk = if removed.len() * DENSE_ONE_IN > self.len() {
            Walk::EveryInstant
        } else {
            Walk::ChangePoints
        };
        self.peak_with(walk, sorted, removed, from)
    }

    fn peak_with(&self, walk: Walk, sorted: &[Millis], removed: &[usize], from: Millis) -> Option<Peak> {
        let first = self.start[..self.len()].partition_point(|&s| sorted[s as usize] < from);
        let best = match walk {
            Walk::ChangePoints => self.by_change_points(removed, first),
            Walk::EveryInstant => self.by_every_instant(removed, first),
        };
        best.0.map(|(calls, instant)| {
            let at = self.time(sorted, instant);
            Peak {
                calls: u64::from(calls),
                at,
                window_start: at.saturating_sub(WINDOW_MS),
            }
        })
    }

    /// From change point to change point: between two, the usage is the unchanged usage minus
    /// a constant.
    fn by_change_points(&self, removed: &[usize], first: usize) -> Best {
        let (mut enter, leave) = self.changes(removed);
        enter.dedup_by(|later, earlier| {
            // Runs of removals at one instant become one change with their count.
            let same = later.0 == earlier.0;
            if same {
                earlier.1 += later.1;
            }
            same
        });
        let mut best = Best::default();
        let (mut plus, mut minus) = (enter.iter().peekable(), leave.iter().peekable());
        let (mut at, mut inside) = (0, 0u32);
        while at < self.len() {
            let next = match (plus.peek(), minus.peek()) {
                (Some(p), Some(&&m)) => p.0.min(m),
                (Some(p), None) => p.0,
                (None, Some(&&m)) => m,
                (None, None) => self.len(),
            };
            best.run(&self.usage, at.max(first), next, inside);
            if next == self.len() {
                break;
            }
            while minus.next_if(|&&m| m == next).is_some() {
                inside -= 1;
            }
            let mut gone = false;
            if let Some(&(_, n)) = plus.next_if(|p| p.0 == next) {
                inside += n;
                gone = n == self.entries_at(next);
            }
            if !gone && next >= first {
                best.run(&self.usage, next, next + 1, inside);
            }
            at = next + 1;
        }
        best
    }

    /// One pass over every instant, with the removals as a difference array (+1 where an entry
    /// enters the window, −1 at its expiry) in this thread's scratch buffer: a fresh array as
    /// long as the stream cost more in page faults than the walk, and reading the removals
    /// from cursors mispredicted a branch at every one. Instants all of whose entries are
    /// removed are listed apart (ascending) and passed over.
    fn by_every_instant(&self, removed: &[usize], first: usize) -> Best {
        SCRATCH.with_borrow_mut(|delta| {
            delta.clear();
            delta.resize(self.len() + 1, 0);
            let gone = self.mark(removed, delta);
            let mut gone = gone.iter().peekable();
            let mut inside = 0i32;
            let mut best: Option<(u32, usize)> = None;
            for (j, &change) in delta[..self.len()].iter().enumerate() {
                inside += change;
                // Advanced before `first` too, or it would stop at an instant before it.
                let all_removed = gone.next_if(|&&g| g == j).is_some();
                if j < first || all_removed {
                    continue;
                }
                let usage = self.usage[j] - inside as u32;
                if best.is_none_or(|(b, _)| usage > b) {
                    best = Some((usage, j));
                }
            }
            Best(best)
        })
    }

    /// Marks the removals in `delta`, an instant at a time: +n where they enter the window,
    /// −n at its expiry. Returns the instants all of whose entries are removed, ascending.
    fn mark(&self, removed: &[usize], delta: &mut [i32]) -> Vec<usize> {
        let mut gone = Vec::new();
        for same in removed.chunk_by(|&a, &b| self.instant_of[a] == self.instant_of[b]) {
            let j = self.instant_of[same[0]] as usize;
            let n = same.len() as u32;
            delta[j] += n as i32;
            delta[self.expiry[j] as usize] -= n as i32;
            if n == self.entries_at(j) {
                gone.push(j);
            }
        }
        gone
    }

    /// Each removal's instant (with 1) and the instant where it leaves the window, both
    /// ascending.
    fn changes(&self, removed: &[usize]) -> (Vec<(usize, u32)>, Vec<usize>) {
        let enter: Vec<(usize, u32)> = self.instants_of(removed).map(|j| (j, 1)).collect();
        let leave = enter.iter().map(|&(j, _)| self.expiry[j] as usize).collect();
        (enter, leave)
    }
}

/// The first index in `from..len` where `before` is false (`before` holds on a prefix of the
/// range): exponential steps, then a binary search in the last one.
pub(super) fn gallop(from: usize, len: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut step) = (from, 1);
    let mut hi = from;
    while hi < len && before(hi) {
        lo = hi + 1;
        hi = hi.saturating_add(step).min(len);
        step *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The best usage seen so far and its instant; a later instant replaces it only when higher,
/// so ties keep the earliest.
#[derive(Debug, Default)]
struct Best(Option<(u32, usize)>);

impl Best {
    /// The instants `from..to`, whose usage is the unchanged usage minus `inside`.
    fn run(&mut self, usage: &[u32], from: usize, to: usize, inside: u32) {
        let Some(slice) = usage.get(from..to).filter(|s| !s.is_empty()) else {
            return;
        };
        // A plain maximum over u32 vectorises; the position is looked for only when the run
        // improves on the best.
        let top = slice.iter().copied().fold(0, u32::max);
        let value = top - inside;
        if self.0.is_none_or(|(best, _)| value > best) {
            let offset = slice.iter().position(|&u| u == top).unwrap_or(0);
            self.0 = Some((value, from + offset));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;

    /// The definition: at every remaining instant at or after `from`, recount the window.
    fn naive(sorted: &[Millis], removed: &[usize], from: Millis) -> Option<Peak> {
        let kept: Vec<Millis> = (0..sorted.len())
            .filter(|i| !removed.contains(i))
            .map(|i| sorted[i])
            .collect();
        let mut best: Option<Peak> = None;
        for &t in kept.iter().filter(|&&t| t >= from) {
            let calls = kept.iter().filter(|&&x| x > t - WINDOW_MS && x <= t).count() as u64;
            if best.is_none_or(|b| calls > b.calls) {
                best = Some(Peak {
                    calls,
                    at: t,
                    window_start: t - WINDOW_MS,
                });
            }
        }
        best
    }

    #[test]
    fn an_instant_whose_calls_are_all_removed_is_no_instant() {
        let ts = [0, 5, 5, 5, H, 25 * H, 25 * H];
        let i = Instants::new(&ts);
        for walk in [Walk::ChangePoints, Walk::EveryInstant] {
            let p = i.peak_with(walk, &ts, &[1, 2], Millis::MIN).unwrap();
            assert_eq!((p.calls, p.at), (3, H));
            assert_eq!(i.peak_with(walk, &ts, &[1, 2, 3], Millis::MIN).unwrap().calls, 2);
            let p = i.peak_with(walk, &ts, &[], 2 * H).unwrap();
            assert_eq!((p.calls, p.at), (2, 25 * H));
        }
        // A removed instant before `from` does not hide one after it.
        let ts = [0, 30 * H, 30 * H];
        let i = Instants::new(&ts);
        for walk in [Walk::ChangePoints, Walk::EveryInstant] {
            assert_eq!(i.peak_with(walk, &ts, &[0, 1, 2], 2 * H), None, "{walk:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn both_walks_equal_the_definition(
            mut ts in prop::collection::vec(prop_oneof![
                0i64..3 * 86_400_000,
                (0i64..72).prop_map(|h| h * H),
                (0i64..6).prop_map(|d| d * 86_400_000 + 7),
            ], 0..160),
            mask in prop::collection::vec(prop_oneof![6 => Just(false), 1 => Just(true)], 160),
            from in prop_oneof![Just(Millis::MIN), 0i64..3 * 86_400_000],
        ) {
            ts.sort_unstable();
            let removed: Vec<usize> = (0..ts.len()).filter(|&i| mask[i]).collect();
            let instants = Instants::new(&ts);
            let want = naive(&ts, &removed, from);
            prop_assert_eq!(instants.peak_with(Walk::ChangePoints, &ts, &removed, from), want);
            prop_assert_eq!(instants.peak_with(Walk::EveryInstant, &ts, &removed, from), want);
            prop_assert_eq!(instants.peak_without(&ts, &removed, from), want);
        }
    }
}
