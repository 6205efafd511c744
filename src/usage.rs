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
    /// Counted calls in the 24 hours before `--since`, read as context for the windows after it.
    pub warm_up_calls: u64,
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

/// The 24 hours before an org's first reported instant (`--since`, else its first call), in
/// milliseconds: their calls count in the first day's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmUpSpan {
    /// Their end: `--since`, or the first call.
    pub to: Millis,
    /// The inputs reach back to `to − 24 h`.
    pub complete: bool,
    /// Counted calls before `to` read as context.
    pub context_calls: u64,
    /// When not complete: usage before this instant is a lower bound.
    pub lower_bound_until: Option<Millis>,
}

/// Per-minute rolling usage for charts and `usage_<org>.csv`.
#[derive(Debug, Clone)]
pub struct OrgSeries {
    /// The org as a whole.
    pub org: MinuteSeries,
    /// The top integrations by peak (key, series), at most [`SERIES_INTEGRATIONS`].
    pub integrations: Vec<(String, MinuteSeries)>,
    /// Exact calls and rolling-24h peak per UTC day with calls (for the daily peak chart: the
    /// minute series cannot give a day's exact peak at its boundary).
    pub daily: Vec<DayPeak>,
    /// When the 24 hours before the first reported instant are not covered by the inputs, usage
    /// before this instant (UTC ms) is a lower bound: charts shade it, the daily chart marks the
    /// peaks before it partial. Set by the analysis.
    pub lower_bound_until: Option<Millis>,
}

/// Computes every org's usage, orgs in parallel, in org id order.
pub fn compute(calls: &Calls, orgs: &[(StrId, Range<usize>)], attribution: &Attribution) -> Vec<OrgUsage> {
    orgs.par_iter()
        .map(|(org, range)| org_usage(calls, *org, range.clone(), attribution))
        .collect()
}

/// What one pass over an org's rows collects. Integrations get local slots in the order they
/// are first seen, so the cost follows the org's rows, not the number of integrations overall.
#[derive(Default)]
struct Tally {
    /// Counted timestamps, the warm-up context (before `--since`) first.
    org_ts: Vec<Millis>,
    /// How many of `org_ts` are warm-up context.
    warm_up: usize,
    slots: Slots,
    /// Per slot: counted timestamps (warm-up context first) and how many are warm-up.
    by_integration: Vec<Vec<Millis>>,
    warm_up_of: Vec<usize>,
    not_counted: Vec<u64>,
    /// Per slot: counted calls by shape and by resource, in range only.
    shapes: Vec<FxHashMap<u32, u64>>,
    resources: Vec<FxHashMap<StrId, u64>>,
    not_counted_total: u64,
    estimated: u64,
    limit_exceeded: u64,
    first_refusal: Option<Millis>,
}

/// Local slot of each integration seen in one org: dense when the org has at least as many rows
/// as there are integrations (a look-up per row must stay cheap), a map otherwise (so an org
/// does not pay for the integrations of every other org).
#[derive(Debug, Default)]
pub struct Slots {
    dense: Vec<u32>,
    sparse: FxHashMap<usize, u32>,
    use_dense: bool,
    /// Global integration index of each slot.
    pub integration: Vec<usize>,
}

impl Slots {
    /// Slots for `integrations` integrations over an org of `rows` rows.
    pub fn new(integrations: usize, rows: usize) -> Slots {
        let use_dense = integrations <= rows;
        Slots {
            dense: if use_dense {
                vec![u32::MAX; integrations]
            } else {
                Vec::new()
            },
            use_dense,
            ..Slots::default()
        }
    }

    /// The slot of integration `i`, and whether it is new.
    pub fn slot(&mut self, i: usize) -> (usize, bool) {
        let next = self.integration.len() as u32;
        let slot = if self.use_dense {
            let s = &mut self.dense[i];
            if *s == u32::MAX {
                *s = next;
            }
            *s
        } else {
            *self.sparse.entry(i).or_insert(next)
        };
        let new = slot == next;
        if new {
            self.integration.push(i);
        }
        (slot as usize, new)
    }
}

impl Tally {
    fn slot(&mut self, integration: usize) -> usize {
        let (slot, new) = self.slots.slot(integration);
        if new {
            self.by_integration.push(Vec::new());
            self.warm_up_of.push(0);
            self.not_counted.push(0);
            self.shapes.push(FxHashMap::default());
            self.resources.push(FxHashMap::default());
        }
        slot
    }
}

fn org_usage(calls: &Calls, org: StrId, range: Range<usize>, attribution: &Attribution) -> OrgUsage {
    let tally = collect(calls, range, attribution);
    let peak = window::peak_from(&tally.org_ts, tally.warm_up);
    // An org of one big integration or of thousands: each integration's figures on any core.
    let mut integrations: Vec<(usize, IntegrationUsage)> = (0..tally.slots.integration.len())
        .into_par_iter()
        .filter(|&s| tally.by_integration[s].len() > tally.warm_up_of[s] || tally.not_counted[s] > 0)
        .map(|s| (s, integration_usage(calls, attribution, s, &tally, peak)))
        .collect();
    integrations.sort_by(|(_, a), (_, b)| {
        let calls_of = |p: &Option<Peak>| p.map_or(0, |p| p.calls);
        calls_of(&b.peak)
            .cmp(&calls_of(&a.peak))
            .then(b.not_counted_calls.cmp(&a.not_counted_calls))
            .then(a.key.cmp(&b.key))
    });
    let series = series(&tally, &integrations);
    let in_range = &tally.org_ts[tally.warm_up..];
    OrgUsage {
        org_id: calls.strings.get(org).to_string(),
        counted_calls: in_range.len() as u64,
        warm_up_calls: tally.warm_up as u64,
        not_counted_calls: tally.not_counted_total,
        estimated_calls: tally.estimated,
        limit_exceeded_calls: tally.limit_exceeded,
        limit_reached: tally.first_refusal.map(|at| LimitReached {
            at,
            usage: window::usage_at(&tally.org_ts, at),
        }),
        span: in_range.first().zip(in_range.last()).map(|(a, b)| (*a, *b)),
        peak,
        integrations: integrations.into_iter().map(|(_, u)| u).collect(),
        series,
    }
}

/// One pass over the org's rows. Warm-up rows (before `--since`) only add their timestamps, as
/// context for the windows after `--since`; everything else counts rows in range.
fn collect(calls: &Calls, range: Range<usize>, attribution: &Attribution) -> Tally {
    let mut t = Tally {
        slots: Slots::new(attribution.integrations.len(), range.len()),
        ..Tally::default()
    };
    for i in range {
        let slot = t.slot(attribution.of_row(calls, i));
        if !calls.in_range(i) {
            if calls.counts(i) {
                t.org_ts.push(calls.ts[i]);
                t.warm_up += 1;
                t.by_integration[slot].push(calls.ts[i]);
                t.warm_up_of[slot] += 1;
            }
            continue;
        }
        if calls.flags[i] & flags::LIMIT_EXCEEDED != 0 {
            t.limit_exceeded += 1;
            t.first_refusal.get_or_insert(calls.ts[i]);
        }
        if !calls.counts(i) {
            if calls.is_call(i) {
                t.not_counted_total += 1;
                t.not_counted[slot] += 1;
            }
            continue;
        }
        let ts = calls.ts[i];
        t.org_ts.push(ts);
        t.by_integration[slot].push(ts);
        *t.shapes[slot].entry(calls.shape[i]).or_default() += 1;
        *t.resources[slot].entry(calls.resource[i]).or_default() += 1;
        if calls.flags[i] & flags::ESTIMATED != 0 {
            t.estimated += 1;
        }
    }
    t
}

/// One integration's usage from its own slot of the tally: O(its calls and shapes), so the
/// whole org is linear in its rows however many integrations it has.
fn integration_usage(
    calls: &Calls,
    attribution: &Attribution,
    slot: usize,
    t: &Tally,
    org_peak: Option<Peak>,
) -> IntegrationUsage {
    let integration = &attribution.integrations[t.slots.integration[slot]];
    let ts: &[Millis] = &t.by_integration[slot];
    let warm_up = t.warm_up_of[slot];
    let in_org_window = org_peak.map_or(0, |p| window::window_range(ts, p.at).len() as u64);
    let mut entities = FxHashMap::default();
    let mut methods = FxHashMap::default();
    let mut families = FxHashMap::default();
    for (&shape, &n) in &t.shapes[slot] {
        let s = &calls.shapes[shape as usize];
        *entities.entry(s.entity).or_insert(0) += n;
        *methods.entry(s.method).or_insert(0) += n;
        *families.entry(s.family).or_insert(0) += n;
    }
    IntegrationUsage {
        key: integration.key.clone(),
        label: integration.label.clone(),
        kind: integration.kind,
        internal: integration.internal,
        counted_calls: (ts.len() - warm_up) as u64,
        not_counted_calls: t.not_counted[slot],
        peak: window::peak_from(ts, warm_up),
        calls_in_org_peak_window: in_org_window,
        top_resources: top(calls, t.resources[slot].clone(), TOP),
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

/// The per-minute series over the minutes with usage from the first call in range on (sparse:
/// minutes without calls and without usage are left out), and the days with calls in range.
fn series(t: &Tally, integrations: &[(usize, IntegrationUsage)]) -> Option<OrgSeries> {
    let in_range = &t.org_ts[t.warm_up..];
    let (first, last) = (*in_range.first()?, *in_range.last()?);
    let minutes = window::active_minutes(&t.org_ts, window::minute_of(first), window::minute_of(last));
    let top: Vec<&(usize, IntegrationUsage)> = integrations
        .iter()
        .filter(|(_, u)| u.counted_calls > 0)
        .take(SERIES_INTEGRATIONS)
        .collect();
    // The org's series, its daily peaks and each top integration's series are independent.
    let ((org, daily), top) = rayon::join(
        || {
            rayon::join(
                || window::series_at(&t.org_ts, &minutes),
                || window::daily_peaks(&t.org_ts, t.warm_up),
            )
        },
        || {
            top.par_iter()
                .map(|(slot, u)| {
                    (
                        u.key.clone(),
                        window::series_at(&t.by_integration[*slot], &minutes),
                    )
                })
                .collect()
        },
    );
    Some(OrgSeries {
        org,
        integrations: top,
        daily,
        lower_bound_until: None,
    })
}
