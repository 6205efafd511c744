//! What-if: an org's and an integration's exact rolling-24h peaks with some calls removed.
//!
//! Part of the recommendation stage (after usage, before analysis). A recommendation is
//! expressed as the counted rows its action makes unnecessary; this module takes them out of
//! the org's counted stream and recomputes the peaks with [`window::peak`], the same code the
//! usage stage uses, so "no change" reproduces the reported peaks exactly and removing calls
//! can only lower or keep a peak.

use std::ops::Range;

use crate::attribute::Attribution;
use crate::model::{Calls, Millis};
use crate::window::{self, Peak};

/// The peak of `sorted` (ascending timestamps) without the entries at `removed` (ascending
/// positions into `sorted`). The building block of every what-if.
pub fn peak_without(sorted: &[Millis], removed: &[usize]) -> Option<Peak> {
    let mut skip = removed.iter().peekable();
    let kept: Vec<Millis> = sorted
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let hit = skip.peek() == Some(&i);
            if hit {
                skip.next();
            }
            !hit
        })
        .map(|(_, ts)| *ts)
        .collect();
    window::peak(&kept)
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

/// The ascending union of ascending row lists.
pub fn union<'a>(lists: impl Iterator<Item = &'a [u32]>) -> Vec<u32> {
    let mut all: Vec<u32> = lists.flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all
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
    fn union_sorts_and_deduplicates() {
        let a = [1u32, 5, 9];
        let b = [2u32, 5];
        assert_eq!(union([&a[..], &b[..]].into_iter()), vec![1, 2, 5, 9]);
    }
}
