//! The capacity stage's one pass over the table: each org's and each integration's calls and
//! exact rolling-24h peak per UTC day.
//!
//! Runs beside `usage` (after attribution, before analysis) and reads the same sorted table: an
//! org's rows are contiguous and in time order, so pushing each counted timestamp onto its
//! integration's list keeps every list sorted, and `window::daily_peaks` does the math. Orgs run
//! in parallel; memory is one timestamp per counted call of the orgs in flight, as in `usage`.

use std::ops::Range;

use rayon::prelude::*;

use crate::attribute::Attribution;
use crate::model::{Calls, Millis, StrId};
use crate::window::{self, DayPeak};

/// One org's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDaily {
    /// Org id, 15-character form.
    pub org_id: String,
    /// Every UTC day from the first to the last counted call, including days without calls.
    pub days: Vec<DayPeak>,
    /// Integrations with counted calls, in key order.
    pub integrations: Vec<IntegrationDaily>,
}

impl OrgDaily {
    /// An org without counted calls.
    pub fn empty(org_id: &str) -> OrgDaily {
        OrgDaily {
            org_id: org_id.to_string(),
            days: Vec::new(),
            integrations: Vec::new(),
        }
    }
}

/// One integration's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationDaily {
    /// Integration key.
    pub key: String,
    /// Display label.
    pub label: String,
    /// Only the days on which it made counted calls, in day order.
    pub days: Vec<DayPeak>,
}

/// Daily calls and peaks of every org and integration, orgs in table (org id) order.
pub fn daily_usage(
    calls: &Calls,
    orgs: &[(StrId, Range<usize>)],
    attribution: &Attribution,
) -> Vec<OrgDaily> {
    orgs.par_iter()
        .map(|(org, range)| org_daily(calls, *org, range.clone(), attribution))
        .collect()
}

/// Daily peaks of one org's calls without the rows in `removed` (sorted): the org as it would
/// be with the recommendations applied. Integrations are left out (the what-if is org-wide).
pub fn org_days_without(calls: &Calls, range: Range<usize>, removed: &[u32]) -> Vec<DayPeak> {
    let mut skip = removed.iter().peekable();
    let mut ts = Vec::new();
    for i in range.filter(|&i| calls.counts(i)) {
        while skip.next_if(|&&r| (r as usize) < i).is_some() {}
        if skip.peek().is_some_and(|&&r| r as usize == i) {
            continue;
        }
        ts.push(calls.ts[i]);
    }
    match (ts.first(), ts.last()) {
        (Some(&first), Some(&last)) => window::daily_peaks(&ts, window::day_of(first), window::day_of(last)),
        _ => Vec::new(),
    }
}

fn org_daily(calls: &Calls, org: StrId, range: Range<usize>, attribution: &Attribution) -> OrgDaily {
    let (org_ts, by_integration) = counted_timestamps(calls, range, attribution);
    let org_id = calls.strings.get(org).to_string();
    let (Some(&first), Some(&last)) = (org_ts.first(), org_ts.last()) else {
        return OrgDaily::empty(&org_id);
    };
    let (first_day, last_day) = (window::day_of(first), window::day_of(last));
    let mut integrations: Vec<IntegrationDaily> = by_integration
        .iter()
        .enumerate()
        .filter(|(_, ts)| !ts.is_empty())
        .map(|(i, ts)| IntegrationDaily {
            key: attribution.integrations[i].key.clone(),
            label: attribution.integrations[i].label.clone(),
            days: active_days(window::daily_peaks(ts, first_day, last_day)),
        })
        .collect();
    integrations.sort_by(|a, b| a.key.cmp(&b.key));
    OrgDaily {
        org_id,
        days: window::daily_peaks(&org_ts, first_day, last_day),
        integrations,
    }
}

/// The org's counted timestamps, and the same split by integration (dense by index: a map
/// look-up per row would dominate the pass).
fn counted_timestamps(
    calls: &Calls,
    range: Range<usize>,
    attribution: &Attribution,
) -> (Vec<Millis>, Vec<Vec<Millis>>) {
    let mut org = Vec::new();
    let mut by_integration = vec![Vec::new(); attribution.integrations.len()];
    for i in range.filter(|&i| calls.counts(i)) {
        org.push(calls.ts[i]);
        by_integration[attribution.of_row(calls, i)].push(calls.ts[i]);
    }
    (org, by_integration)
}

fn active_days(days: Vec<DayPeak>) -> Vec<DayPeak> {
    days.into_iter().filter(|d| d.calls > 0).collect()
}
