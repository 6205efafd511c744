//! Stage 4 of the pipeline: the reconciled, attributed table → per-org and per-integration
//! usage (SPEC.md §3.1): counted calls, the exact rolling-24h peak and its window, each
//! integration's calls inside the org's peak window, what it called, and per-minute series.
//!
//! The table arrives sorted by org then time, so each org is one pass over a contiguous range
//! collecting counted timestamps (already sorted) per integration; `window` does the math.
//! Orgs run in parallel.

use std::ops::Range;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::attribute::{Attribution, Kind};
use crate::model::{flags, Calls, Millis, StrId};
use crate::window::{self, DayPeak, MinuteSeries, Peak};

/// How many entries the "top" lists keep.
pub const TOP: usize = 5;

/// How many integrations get their own per-minute series (the rest are "other").
pub const SERIES_INTEGRATIONS: usize = 8;

/// A name and its number of calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Resource template, entity, method or API family.
    pub name: String,
    /// Counted calls.
    pub calls: u64,
}

/// One integration's usage in one org.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationUsage {
    /// Integration key.
    pub key: String,
    /// Display label.
    pub label: String,
    /// What the key is built from.
    pub kind: Kind,
    /// A Salesforce-internal connected app.
    pub internal: bool,
    /// Calls that count against the allocation.
    pub counted_calls: u64,
    /// ApiTotalUsage calls that do not count (UI, internal apps).
    pub not_counted_calls: u64,
    /// Its own rolling-24h peak.
    pub peak: Option<Peak>,
    /// Its calls inside the org's peak window.
    pub calls_in_org_peak_window: u64,
    /// Most-called resources (templates), counted calls.
    pub top_resources: Vec<Count>,
    /// Most-called entities.
    pub top_entities: Vec<Count>,
    /// HTTP methods / SOAP operations.
    pub methods: Vec<Count>,
    /// API families.
    pub api_families: Vec<Count>,
}

/// One org's usage.
#[derive(Debug, Clone, Serialize)]
pub struct OrgUsage {
    /// Org id, 15-character form.
    pub org_id: String,
    /// Calls that count against the allocation.
    pub counted_calls: u64,
    /// Rows that do not count.
    pub not_counted_calls: u64,
    /// Counted calls taken from fallback types (no ApiTotalUsage for their org-day).
    pub estimated_calls: u64,
    /// Calls refused with `REQUEST_LIMIT_EXCEEDED`.
    pub limit_exceeded_calls: u64,
    /// When calls were first refused with `REQUEST_LIMIT_EXCEEDED`, and the rolling usage then.
    pub limit_reached: Option<LimitReached>,
    /// First and last counted call.
    pub span: Option<(Millis, Millis)>,
    /// The org's rolling-24h peak.
    pub peak: Option<Peak>,
    /// Integrations, busiest peak first.
    pub integrations: Vec<IntegrationUsage>,
    /// Per-minute series of the org and of its top integrations.
    #[serde(skip)]
    pub series: Option<OrgSeries>,
}

/// The first refusal with `REQUEST_LIMIT_EXCEEDED`: the allocation was reached by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitReached {
    /// Time of the first refused call.
    pub at: Millis,
    /// Counted calls in the 24 hours up to it: the allocation is at most about this (paid orgs
    /// may run a little past it before refusals start).
    pub usage: u64,
}

/// Per-minute rolling usage for charts and `usage_<org>.csv`.
#[derive(Debug, Clone)]
pub struct OrgSeries {
    /// The org as a whole.
    pub org: MinuteSeries,
    /// The top integrations by peak (key, series), at most [`SERIES_INTEGRATIONS`].
    pub integrations: Vec<(String, MinuteSeries)>,
    /// Exact calls and rolling-24h peak per UTC day, first to last day with calls (for the
    /// daily peak chart: the minute series cannot give a day's exact peak at its boundary).
    pub daily: Vec<DayPeak>,
}

/// Computes every org's usage, orgs in parallel, in org id order.
pub fn compute(calls: &Calls, orgs: &[(StrId, Range<usize>)], attribution: &Attribution) -> Vec<OrgUsage> {
    orgs.par_iter()
        .map(|(org, range)| org_usage(calls, *org, range.clone(), attribution))
        .collect()
}

/// What one pass over an org's rows collects.
#[derive(Default)]
struct Tally {
    org_ts: Vec<Millis>,
    /// Indexed by integration: dense, because a map lookup per row would dominate the pass.
    by_integration: Vec<Vec<Millis>>,
    not_counted: Vec<u64>,
    counted_shapes: FxHashMap<u32, u64>,
    resources: FxHashMap<(usize, StrId), u64>,
    not_counted_total: u64,
    estimated: u64,
    limit_exceeded: u64,
    first_refusal: Option<Millis>,
}

fn org_usage(calls: &Calls, org: StrId, range: Range<usize>, attribution: &Attribution) -> OrgUsage {
    let tally = collect(calls, range, attribution);
    let peak = window::peak(&tally.org_ts);
    let mut integrations: Vec<IntegrationUsage> = integration_keys(&tally)
        .into_iter()
        .map(|i| integration_usage(calls, attribution, i, &tally, peak))
        .collect();
    integrations.sort_by(|a, b| {
        let calls_of = |p: &Option<Peak>| p.map_or(0, |p| p.calls);
        calls_of(&b.peak)
            .cmp(&calls_of(&a.peak))
            .then(b.not_counted_calls.cmp(&a.not_counted_calls))
            .then(a.key.cmp(&b.key))
    });
    let series = series(&tally, attribution, &integrations);
    OrgUsage {
        org_id: calls.strings.get(org).to_string(),
        counted_calls: tally.org_ts.len() as u64,
        not_counted_calls: tally.not_counted_total,
        estimated_calls: tally.estimated,
        limit_exceeded_calls: tally.limit_exceeded,
        limit_reached: tally.first_refusal.map(|at| LimitReached {
            at,
            usage: window::usage_at(&tally.org_ts, at),
        }),
        span: tally
            .org_ts
            .first()
            .zip(tally.org_ts.last())
            .map(|(a, b)| (*a, *b)),
        peak,
        integrations,
        series,
    }
}

/// One pass over the org's rows.
fn collect(calls: &Calls, range: Range<usize>, attribution: &Attribution) -> Tally {
    let n = attribution.integrations.len();
    let mut t = Tally {
        by_integration: vec![Vec::new(); n],
        not_counted: vec![0; n],
        ..Tally::default()
    };
    for i in range {
        if calls.flags[i] & flags::LIMIT_EXCEEDED != 0 {
            t.limit_exceeded += 1;
            t.first_refusal.get_or_insert(calls.ts[i]);
        }
        let integration = attribution.of_row(calls, i);
        if !calls.counts(i) {
            if calls.is_call(i) {
                t.not_counted_total += 1;
                t.not_counted[integration] += 1;
            }
            continue;
        }
        let ts = calls.ts[i];
        t.org_ts.push(ts);
        t.by_integration[integration].push(ts);
        *t.counted_shapes.entry(calls.shape[i]).or_default() += 1;
        *t.resources.entry((integration, calls.resource[i])).or_default() += 1;
        if calls.flags[i] & flags::ESTIMATED != 0 {
            t.estimated += 1;
        }
    }
    t
}

fn integration_keys(t: &Tally) -> Vec<usize> {
    (0..t.by_integration.len())
        .filter(|&i| !t.by_integration[i].is_empty() || t.not_counted[i] > 0)
        .collect()
}

fn integration_usage(
    calls: &Calls,
    attribution: &Attribution,
    i: usize,
    t: &Tally,
    org_peak: Option<Peak>,
) -> IntegrationUsage {
    let integration = &attribution.integrations[i];
    let ts: &[Millis] = &t.by_integration[i];
    let in_org_window = org_peak.map_or(0, |p| window::window_range(ts, p.at).len() as u64);
    let mut entities = FxHashMap::default();
    let mut methods = FxHashMap::default();
    let mut families = FxHashMap::default();
    for (&shape, &n) in &t.counted_shapes {
        if attribution.of_shape[shape as usize] as usize != i {
            continue;
        }
        let s = &calls.shapes[shape as usize];
        *entities.entry(s.entity).or_insert(0) += n;
        *methods.entry(s.method).or_insert(0) += n;
        *families.entry(s.family).or_insert(0) += n;
    }
    let resources: FxHashMap<StrId, u64> = t
        .resources
        .iter()
        .filter(|((int, _), _)| *int == i)
        .map(|((_, r), n)| (*r, *n))
        .collect();
    IntegrationUsage {
        key: integration.key.clone(),
        label: integration.label.clone(),
        kind: integration.kind,
        internal: integration.internal,
        counted_calls: ts.len() as u64,
        not_counted_calls: t.not_counted[i],
        peak: window::peak(ts),
        calls_in_org_peak_window: in_org_window,
        top_resources: top(calls, resources, TOP),
        top_entities: top(calls, entities, TOP),
        methods: top(calls, methods, usize::MAX),
        api_families: top(calls, families, usize::MAX),
    }
}

/// The `n` largest counts, named, largest first (ties by name); empty names are left out.
fn top(calls: &Calls, counts: FxHashMap<StrId, u64>, n: usize) -> Vec<Count> {
    let mut named: Vec<Count> = counts
        .into_iter()
        .filter(|(id, _)| *id != 0)
        .map(|(id, calls_n)| Count {
            name: calls.strings.get(id).to_string(),
            calls: calls_n,
        })
        .collect();
    named.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
    named.truncate(n);
    named
}

fn series(t: &Tally, attribution: &Attribution, integrations: &[IntegrationUsage]) -> Option<OrgSeries> {
    let (first, last) = (*t.org_ts.first()?, *t.org_ts.last()?);
    let (from, to) = (window::minute_of(first), window::minute_of(last));
    let org = window::minute_series(&t.org_ts, from, to);
    let top = integrations
        .iter()
        .filter(|u| u.counted_calls > 0)
        .take(SERIES_INTEGRATIONS)
        .filter_map(|u| {
            let index = attribution.integrations.iter().position(|i| i.key == u.key)?;
            let ts = &t.by_integration[index];
            Some((u.key.clone(), window::minute_series(ts, from, to)))
        })
        .collect();
    let daily = window::daily_peaks(&t.org_ts, window::day_of(first), window::day_of(last));
    Some(OrgSeries {
        org,
        integrations: top,
        daily,
    })
}
