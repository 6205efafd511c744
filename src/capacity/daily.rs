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
use crate::usage::Slots;
use crate::window::{self, DayPeak};

/// One org's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDaily {
    /// Org id, 15-character form.
    pub org_id: String,
    /// The UTC days with counted calls in range (sparse: a day without calls costs nothing).
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
    let mut warm_up = 0;
    for i in range.filter(|&i| calls.counts(i)) {
        while skip.next_if(|&&r| (r as usize) < i).is_some() {}
        if skip.peek().is_some_and(|&&r| r as usize == i) {
            continue;
        }
        ts.push(calls.ts[i]);
        warm_up += usize::from(!calls.in_range(i));
    }
    window::daily_peaks(&ts, warm_up)
}

fn org_daily(calls: &Calls, org: StrId, range: Range<usize>, attribution: &Attribution) -> OrgDaily {
    let counted = counted_timestamps(calls, range, attribution);
    let org_id = calls.strings.get(org).to_string();
    // The org's days and each integration's are independent: any core takes any of them.
    let (days, mut integrations) = rayon::join(
        || window::daily_peaks(&counted.org, counted.warm_up),
        || {
            counted
                .by_integration
                .par_iter()
                .filter(|(_, ts, warm_up)| ts.len() > *warm_up)
                .map(|(i, ts, warm_up)| IntegrationDaily {
                    key: attribution.integrations[*i].key.clone(),
                    label: attribution.integrations[*i].label.clone(),
                    days: window::daily_peaks(ts, *warm_up),
                })
                .collect::<Vec<_>>()
        },
    );
    integrations.sort_by(|a, b| a.key.cmp(&b.key));
    OrgDaily {
        org_id,
        days,
        integrations,
    }
}

/// An org's counted timestamps (warm-up context before `--since` first), and the same per
/// integration (global index, timestamps, how many are warm-up).
struct Counted {
    org: Vec<Millis>,
    warm_up: usize,
    by_integration: Vec<(usize, Vec<Millis>, usize)>,
}

/// One pass; integrations get local slots, so the cost follows the org's rows, not the number
/// of integrations overall.
fn counted_timestamps(calls: &Calls, range: Range<usize>, attribution: &Attribution) -> Counted {
    let mut slots = Slots::new(attribution.integrations.len(), range.len());
    let mut c = Counted {
        org: Vec::new(),
        warm_up: 0,
        by_integration: Vec::new(),
    };
    for i in range.filter(|&i| calls.counts(i)) {
        let integration = attribution.of_row(calls, i);
        let (slot, new) = slots.slot(integration);
        if new {
            c.by_integration.push((integration, Vec::new(), 0));
        }
        let warm = usize::from(!calls.in_range(i));
        c.org.push(calls.ts[i]);
        c.warm_up += warm;
        let entry = &mut c.by_integration[slot];
        entry.1.push(calls.ts[i]);
        entry.2 += warm;
    }
    c
}
