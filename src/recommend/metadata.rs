//! Detector `repeated_metadata`: describes and limits fetched over and over.
//!
//! Part of the recommendation stage; fed one integration's counted metadata calls (`describe*`,
//! `/sobjects/<X>/describe…`, `/limits`, `/sobjects`) in time order by `scan`. Metadata changes
//! only when someone deploys, so a resource fetched more than [`MAX_CALLS_PER_DAY`] times in a
//! UTC day (more than hourly) is worth caching. The what-if models a cache that lives
//! [`CACHE_TTL_MS`]: a call is kept only when the last kept call of the same resource is at
//! least that old, so a few calls a day remain.

use rustc_hash::FxHashMap;

use super::classify::Row;
use super::{duration, evidence, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;
use crate::window;

/// How long the modelled cache keeps a describe or limits response.
pub(crate) const CACHE_TTL_MS: Millis = 6 * 3_600_000;
/// A resource called more often than this in one UTC day is repeated.
pub(crate) const MAX_CALLS_PER_DAY: u64 = 24;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    resources: FxHashMap<StrId, Resource>,
}

/// One metadata resource (or SOAP describe operation).
#[derive(Debug, Default)]
struct Resource {
    calls: u64,
    last_kept: Option<Millis>,
    removed: Vec<u32>,
    day: i64,
    today: u64,
    busiest_day: u64,
    span: Span,
}

impl Resource {
    fn add(&mut self, index: u32, ts: Millis) {
        self.calls += 1;
        self.span.add(ts);
        let day = window::day_of(ts);
        if day != self.day {
            (self.day, self.today) = (day, 0);
        }
        self.today += 1;
        self.busiest_day = self.busiest_day.max(self.today);
        match self.last_kept {
            Some(kept) if ts - kept < CACHE_TTL_MS => self.removed.push(index),
            _ => self.last_kept = Some(ts),
        }
    }
}

impl Metadata {
    /// One counted metadata call.
    pub(crate) fn observe(&mut self, row: &Row) {
        self.resources.entry(row.name).or_default().add(row.index, row.ts);
    }

    /// The detection, if some resource is fetched more than hourly.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        let mut repeated: Repeated = self
            .resources
            .into_iter()
            .filter(|(_, r)| r.busiest_day > MAX_CALLS_PER_DAY)
            .collect();
        if repeated.is_empty() {
            return None;
        }
        repeated.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(&b.0)));
        Some(detection(calls, repeated))
    }
}

/// Repeated resources, most calls first.
type Repeated = Vec<(StrId, Resource)>;

fn detection(calls: &Calls, repeated: Repeated) -> Detection {
    let mut span = Span::default();
    repeated.iter().for_each(|(_, r)| span.merge(r.span));
    let examples: Vec<(StrId, u64)> = repeated.iter().map(|(id, r)| (*id, r.calls)).collect();
    Detection {
        kind: Kind::RepeatedMetadata,
        action: action(),
        evidence: evidence(calls, facts(calls, &repeated), span, &examples),
        removed: super::whatif::union(repeated.iter().map(|(_, r)| r.removed.as_slice())),
        confidence: super::Confidence::High,
    }
}

fn facts(calls: &Calls, repeated: &Repeated) -> Facts {
    let text = |id: StrId| calls.strings.get(id);
    let total: u64 = repeated.iter().map(|(_, r)| r.calls).sum();
    let (top, busiest) = (text(repeated[0].0), thousands(repeated[0].1.busiest_day));
    let per_day =
        |(id, r): &(StrId, Resource)| format!("{} (up to {} a day)", text(*id), thousands(r.busiest_day));
    Facts {
        summary: format!(
            "{} metadata calls on {} resource(s) fetched more than {MAX_CALLS_PER_DAY} times a day; {top} up to {busiest} \
             times in one day.",
            thousands(total),
            repeated.len(),
        ),
        calls: total,
        breakdown: repeated.iter().map(|r| (per_day(r), r.1.calls)).collect(),
        facts: vec![
            ("resources", repeated.len() as u64),
            ("busiest_day", repeated[0].1.busiest_day),
            ("cache_ttl_ms", CACHE_TTL_MS as u64),
        ],
    }
}

fn action() -> String {
    format!(
        "Cache metadata: describe results change only when someone deploys, so keep them (for example for {}) and refresh \
         on a deployment or on an INVALID_FIELD / INVALID_TYPE error. Instead of calling /limits, read the Sforce-Limit-Info \
         header that every REST response already carries.",
        duration(CACHE_TTL_MS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_describe_every_five_minutes_keeps_one_call_per_six_hours() {
        let mut r = Resource::default();
        for i in 0..288 {
            r.add(i, i64::from(i) * 300_000);
        }
        assert_eq!(r.busiest_day, 288);
        assert_eq!(r.removed.len(), 288 - 4);
    }
}
