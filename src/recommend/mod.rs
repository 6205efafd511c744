//! Bulkification recommendations (SPEC.md §3.5): what to change in an integration, and how many
//! calls the change would save at the org's rolling-24h peak.
//!
//! Pipeline position: after attribution and usage, before analysis. Pure functions over the
//! reconciled table, the attribution and usage (whose integration peaks the what-if starts
//! from); nothing here reads files or the clock.
//!
//! 1. `classify` decides once per resource template and once per call shape what a call is,
//!    so the per-row cost is a few table look-ups.
//! 2. `scan` makes one pass over each org's time-sorted rows and hands each integration's calls,
//!    in time order, to that integration's detectors (one module per [`Kind`]): one pass per
//!    integration, no allocation per row.
//! 3. A detector returns at most one detection per integration: evidence, the action, and the
//!    counted rows the action would make unnecessary.
//! 4. [`whatif`] removes those rows from the counted stream and recomputes the org's and the
//!    integration's exact rolling-24h peaks from each stream's usage at its instants, computed
//!    once per stream; all of an org's detections removed together give the combined what-if.
//!
//! Every transform is a removal: merging N single-record calls into ⌈N/200⌉ keeps the first call
//! of each block of 200. So a what-if peak is never above the real one, and the savings are
//! computed from the logged calls, not guessed.

mod classify;
mod composite_batch;
pub mod docs;
mod errors;
mod instants;
mod metadata;
mod old_version;
mod pagination;
mod polling;
mod profile;
mod scan;
mod single_record;
mod token_churn;
pub mod whatif;

use std::collections::BTreeMap;
use std::hash::Hash;
use std::ops::Range;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::attribute::Attribution;
use crate::dedup::Table;
use crate::model::{Calls, Millis, StrId};
use crate::usage::{Count, OrgUsage};
use crate::window::Peak;

/// A recommendation kind, documented like a lint rule. The full entry (what it detects, why it
/// costs calls, an example, what to do instead, how savings are estimated) is in
/// `docs/recommendations.md#<id>`, where `<id>` is [`Kind::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `single_record_crud`: one record per REST `…/sobjects/<Entity>/{id}` GET/PATCH/DELETE,
    /// POST `…/sobjects/<Entity>`, external-id upsert, or SOAP write of at most one row, many in
    /// a run. Instead: sObject Collections (200 records per call) or Composite (25
    /// subrequests); Bulk API 2.0 above ~2,000 records per run. Savings: N calls in a run → ⌈N/200⌉.
    SingleRecordCrud,
    /// `polling`: the same resource and method at a near-regular interval for an hour or more.
    /// Instead: Change Data Capture, Platform Events or the Pub/Sub API. Savings: the polls.
    Polling,
    /// `token_churn`: a new OAuth token or SOAP `login` for a large share of the API calls.
    /// Instead: reuse the session until it expires. Savings: all but one login per 2-hour
    /// session lifetime (only SOAP `login` calls count against the allocation).
    TokenChurn,
    /// `repeated_metadata`: `describe*`, `/sobjects/<X>/describe`, `/limits` or `/sobjects`
    /// more than 24 times a day. Instead: cache. Savings: all but one call per 6 hours.
    RepeatedMetadata,
    /// `composite_batch`: `/composite/batch`, whose subrequests each count, though the logs show
    /// only the parent. Instead: `/composite` or sObject Collections, which count once.
    CompositeBatch,
    /// `error_burst`: bursts of failed calls (HTTP status ≥ 400), including
    /// `REQUEST_LIMIT_EXCEEDED` storms. Instead: fix the cause, back off, stop retrying 4xx.
    /// Savings: the failed calls in the bursts.
    ErrorBurst,
    /// `old_api_version`: calls on an API version below the floor (`--min-api-version`, default
    /// 31.0: versions 30.0 and older are retired). A risk, not a saving.
    OldApiVersion,
    /// `pagination`: result sets read page after page (`/query/{locator}`, `queryMore`).
    /// Instead: 2,000-row pages, or a Bulk API 2.0 query job for large result sets.
    Pagination,
    /// `no_known_pattern`: a chatty or peak-carrying integration no detector explains; the
    /// evidence says what it does (top requests, hours, typical gap) so the admin can ask.
    NoKnownPattern,
}

/// How clean the evidence of a recommendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The pattern is unmistakable in the logs (shape of the calls, or a tight rhythm).
    High,
    /// The pattern is there, but the evidence has gaps or the saving depends on assumptions.
    Medium,
}

impl Confidence {
    /// `high` or `medium`.
    pub fn id(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
        }
    }
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 9] = [
        Kind::SingleRecordCrud,
        Kind::Polling,
        Kind::TokenChurn,
        Kind::RepeatedMetadata,
        Kind::CompositeBatch,
        Kind::ErrorBurst,
        Kind::OldApiVersion,
        Kind::Pagination,
        Kind::NoKnownPattern,
    ];

    /// Stable id: the JSON and CSV value and the anchor in `docs/recommendations.md`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::SingleRecordCrud => "single_record_crud",
            Kind::Polling => "polling",
            Kind::TokenChurn => "token_churn",
            Kind::RepeatedMetadata => "repeated_metadata",
            Kind::CompositeBatch => "composite_batch",
            Kind::ErrorBurst => "error_burst",
            Kind::OldApiVersion => "old_api_version",
            Kind::Pagination => "pagination",
            Kind::NoKnownPattern => "no_known_pattern",
        }
    }

    /// Title for people.
    pub fn title(self) -> &'static str {
        match self {
            Kind::SingleRecordCrud => "Single-record CRUD",
            Kind::Polling => "Polling",
            Kind::TokenChurn => "Token / login churn",
            Kind::RepeatedMetadata => "Repeated metadata calls",
            Kind::CompositeBatch => "Composite batch",
            Kind::ErrorBurst => "Error and retry bursts",
            Kind::OldApiVersion => "Old API version",
            Kind::Pagination => "Pagination loops",
            Kind::NoKnownPattern => "No known pattern",
        }
    }

    /// The Salesforce feature or practice to use instead.
    pub fn feature(self) -> &'static str {
        match self {
            Kind::SingleRecordCrud => "sObject Collections / Composite / Bulk API 2.0",
            Kind::Polling => "Change Data Capture / Platform Events / Pub/Sub API",
            Kind::TokenChurn => "access-token reuse",
            Kind::RepeatedMetadata => "caching (Sforce-Limit-Info header for limits)",
            Kind::CompositeBatch => "Composite / sObject Collections",
            Kind::ErrorBurst => "back-off and error handling",
            Kind::OldApiVersion => "a current API version",
            Kind::Pagination => "2,000-row pages / Bulk API 2.0 query",
            Kind::NoKnownPattern => "a conversation with the integration's owner",
        }
    }
}

/// Settings of the recommendation stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Calls on API versions below this are flagged (`--min-api-version`).
    pub min_api_version: f64,
}

impl Default for Settings {
    fn default() -> Self {
        // Salesforce retired API versions 21.0 through 30.0.
        Settings {
            min_api_version: 31.0,
        }
    }
}

/// The numbers behind a recommendation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// One sentence for people.
    pub summary: String,
    /// Calls showing the pattern.
    pub calls: u64,
    /// The first of them.
    pub first: Option<Millis>,
    /// The last of them.
    pub last: Option<Millis>,
    /// Up to three example resources (templates), most frequent first.
    pub examples: Vec<String>,
    /// Calls by what matters for the kind (operation and entity, version, status…), largest first.
    pub breakdown: Vec<Count>,
    /// Named figures, such as `runs`, `largest_run`, `interval_ms`.
    pub facts: BTreeMap<&'static str, u64>,
}

/// One recommendation: an integration, a kind, the evidence, and the what-if.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Org id.
    pub org_id: String,
    /// Integration key.
    pub integration: String,
    /// Integration label.
    pub label: String,
    /// Kind.
    pub kind: Kind,
    /// What to do, in plain words.
    pub action: String,
    /// How clean the evidence is.
    pub confidence: Confidence,
    /// Evidence.
    pub evidence: Evidence,
    /// Counted calls the change makes unnecessary, over the whole input.
    pub calls_removed: u64,
    /// Of those, the calls inside the org's peak window (the 24 hours ending at its peak).
    pub calls_saved_at_peak: u64,
    /// The org's peak as logged.
    pub org_peak_before: Option<Peak>,
    /// The org's peak with the change (it may fall at another time).
    pub org_peak_after: Option<Peak>,
    /// The integration's own peak as logged.
    pub integration_peak_before: Option<Peak>,
    /// The integration's own peak with the change.
    pub integration_peak_after: Option<Peak>,
}

/// One org with all of its recommendations applied together.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgWhatIf {
    /// Org id.
    pub org_id: String,
    /// How many recommendations were applied.
    pub recommendations: usize,
    /// Counted calls removed, over the whole input.
    pub calls_removed: u64,
    /// Of those, the calls inside the org's peak window.
    pub calls_saved_at_peak: u64,
    /// The org's peak as logged.
    pub peak_before: Option<Peak>,
    /// The org's peak with every recommendation applied.
    pub peak_after: Option<Peak>,
    /// Rows of the table every recommendation together makes unnecessary (sorted), for the
    /// capacity what-if.
    pub removed: Vec<u32>,
}

/// The stage's output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recommendations {
    /// Ranked by calls saved at the peak, then calls removed.
    pub items: Vec<Recommendation>,
    /// Per org, in org id order.
    pub what_if: Vec<OrgWhatIf>,
    /// What each heavy integration without a call-saving recommendation does, as
    /// `no_known_pattern` entries; [`Recommendations::answer_unexplained`] moves the ones that
    /// need an answer into `items`.
    pub unexplained: Vec<Unexplained>,
}

/// A heavy integration no detector explains, and how heavy it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Unexplained {
    /// Its `no_known_pattern` entry (no saving).
    pub recommendation: Recommendation,
    /// Its counted calls inside the org's peak window.
    pub calls_in_org_peak_window: u64,
}

/// An integration is profiled when its calls in the org's peak window, or its own peak, reach
/// this share (percent) of the org's peak: a chatty integration (own peak ≥ 50 % of the
/// allocation) always does unless the org is more than five times over its allocation.
pub const PROFILED_PERCENT: u64 = 10;

impl Recommendations {
    /// Moves into `items` the `no_known_pattern` entries of the integrations `needs_answer`
    /// picks (chatty ones, and those carrying an org at risk), ranked after the savings.
    pub fn answer_unexplained(&mut self, needs_answer: impl Fn(&Unexplained) -> bool) {
        let (answer, keep): (Vec<Unexplained>, Vec<Unexplained>) = std::mem::take(&mut self.unexplained)
            .into_iter()
            .partition(|u| needs_answer(u));
        self.unexplained = keep;
        self.items.extend(answer.into_iter().map(|u| u.recommendation));
        rank(&mut self.items);
    }

    /// Adds the recommendations of orgs that come after this output's in id order (a store
    /// read a group of orgs at a time): the same as one run over all of them.
    pub fn append(&mut self, later: Recommendations) {
        self.items.extend(later.items);
        self.what_if.extend(later.what_if);
        self.unexplained.extend(later.unexplained);
        rank(&mut self.items);
    }
}

/// Ranked by calls saved at the peak, then calls removed, then kind, org and integration.
fn rank(items: &mut [Recommendation]) {
    items.sort_by(|a, b| {
        (b.calls_saved_at_peak, b.calls_removed)
            .cmp(&(a.calls_saved_at_peak, a.calls_removed))
            .then(a.kind.cmp(&b.kind))
            .then_with(|| (&a.org_id, &a.integration).cmp(&(&b.org_id, &b.integration)))
    });
}

/// What a detector found in one integration.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    pub kind: Kind,
    pub action: String,
    pub evidence: Evidence,
    /// Counted rows the action makes unnecessary, ascending.
    pub removed: Vec<u32>,
    /// How clean the evidence is.
    pub confidence: Confidence,
}

/// Detects patterns in every integration of every org and computes each what-if. `usage` is
/// [`crate::usage::compute`] over the same table (its integration peaks are reused).
pub fn recommend(
    table: &Table,
    attribution: &Attribution,
    usage: &[OrgUsage],
    settings: &Settings,
) -> Recommendations {
    // Usage is computed over the same table, one entry per org in its order.
    assert_eq!(
        usage.len(),
        table.orgs.len(),
        "usage of every org, in the table's order"
    );
    let tables = classify::Tables::new(&table.calls, attribution);
    let per_org: Vec<OrgResult> = table
        .orgs
        .par_iter()
        .zip(usage)
        .map(|((org, range), used)| {
            org_recommendations(table, (attribution, used), &tables, settings, *org, range)
        })
        .collect();
    let mut out = Recommendations::default();
    for r in per_org {
        out.items.extend(r.items);
        out.what_if.push(r.what_if);
        out.unexplained.extend(r.unexplained);
    }
    rank(&mut out.items);
    instants::release_scratch();
    out
}

/// One org's share of the output.
struct OrgResult {
    items: Vec<Recommendation>,
    what_if: OrgWhatIf,
    unexplained: Vec<Unexplained>,
}

fn org_recommendations(
    table: &Table,
    (attribution, used): (&Attribution, &OrgUsage),
    tables: &classify::Tables,
    settings: &Settings,
    org: StrId,
    range: &Range<usize>,
) -> OrgResult {
    let calls = &table.calls;
    assert_eq!(calls.strings.get(org), used.org_id, "usage of this org");
    // What-if peaks, like the reported ones, are taken over the instants in range: from the
    // first row not flagged as `--since` warm-up context (`Table::restrict` sets the flag).
    let from = range
        .clone()
        .find(|&i| calls.in_range(i))
        .map_or(Millis::MIN, |i| calls.ts[i]);
    let scanned = scan::scan_org(calls, range.clone(), tables, settings);
    let heavy = heavy_integrations(attribution, used);
    let wanted: Vec<usize> = scanned
        .detections
        .iter()
        .map(|(i, _)| *i)
        .chain(heavy.iter().map(|h| h.0))
        .collect();
    let streams = whatif::OrgStreams::of_integrations(calls, range.clone(), attribution, &wanted);
    remember_logged_peaks(&streams, attribution, used, from);
    let before = used.peak;
    let org_id = calls.strings.get(org);
    let items: Vec<Recommendation> = scanned
        .detections
        .par_iter()
        .map(|(integration, d)| {
            recommendation(&streams, attribution, org_id, *integration, d, (before, from))
        })
        .collect();
    let unexplained = unexplained(
        (calls, tables),
        &streams,
        (attribution, &heavy),
        org_id,
        &items,
        (before, from),
    );
    let all = whatif::union(scanned.detections.iter().map(|(_, d)| d.removed.as_slice()));
    OrgResult {
        what_if: org_what_if(&streams, org_id, scanned.detections.len(), &all, (before, from)),
        items,
        unexplained,
    }
}

/// Hands the org's stream and each integration's their peaks as usage reported them (the same
/// calls, over the same instants): every recommendation and the profiling ask for them, and a
/// sweep per integration was a twentieth of this stage.
fn remember_logged_peaks(
    streams: &whatif::OrgStreams,
    attribution: &Attribution,
    used: &OrgUsage,
    from: Millis,
) {
    streams.org.remember_logged_peak(from, used.peak);
    for u in &used.integrations {
        // Only a gathered stream: the shared empty one must never remember a peak.
        if let Some(own) = attribution.index_of(&u.key).and_then(|i| streams.gathered(i)) {
            own.remember_logged_peak(from, u.peak);
        }
    }
}

/// The integrations that carry at least [`PROFILED_PERCENT`] of the org's peak, by their own
/// peak or by their calls in the org's peak window (index order), with those calls: usage
/// counted both.
fn heavy_integrations(attribution: &Attribution, used: &OrgUsage) -> Vec<(usize, u64)> {
    let org_peak = used.peak.map_or(0, |p| p.calls);
    let mut heavy: Vec<(usize, u64)> = used
        .integrations
        .iter()
        .filter(|u| {
            let own_peak = u.peak.map_or(0, |p| p.calls);
            org_peak > 0 && u.calls_in_org_peak_window.max(own_peak) * 100 >= org_peak * PROFILED_PERCENT
        })
        .filter_map(|u| Some((attribution.index_of(&u.key)?, u.calls_in_org_peak_window)))
        .collect();
    heavy.sort_unstable();
    heavy
}

/// The profiles of the heavy integrations (see [`heavy_integrations`]) that have no
/// recommendation that saves calls (a composite-batch one explains hidden calls). Only those
/// are profiled, from their counted calls, after the scan: most integrations never need one.
fn unexplained(
    (calls, tables): (&Calls, &classify::Tables),
    streams: &whatif::OrgStreams,
    (attribution, heavy): (&Attribution, &[(usize, u64)]),
    org_id: &str,
    items: &[Recommendation],
    (before, from): (Option<Peak>, Millis),
) -> Vec<Unexplained> {
    let explained = |key: &str| {
        items
            .iter()
            .any(|r| r.integration == key && (r.calls_saved_at_peak > 0 || r.kind == Kind::CompositeBatch))
    };
    heavy
        .iter()
        .filter(|(integration, _)| !explained(&attribution.integrations[*integration].key))
        .filter_map(|&(integration, in_window)| {
            let d = profile_of(calls, tables, &streams.of(integration).rows)?;
            Some(Unexplained {
                recommendation: recommendation(streams, attribution, org_id, integration, &d, (before, from)),
                calls_in_org_peak_window: in_window,
            })
        })
        .collect()
}

/// What an integration does, from its counted rows (ascending): the calls the scan gives its
/// detectors, so in range (not `--since` warm-up) and from a call source.
fn profile_of(calls: &Calls, tables: &classify::Tables, rows: &[u32]) -> Option<Detection> {
    let mut profile = profile::Profile::default();
    for &r in rows {
        let i = r as usize;
        if calls.in_range(i) && tables.shapes[calls.shape[i] as usize].api {
            profile.observe(&tables.row(calls, i));
        }
    }
    profile.finish(calls)
}

/// The org with every detection applied: `all` is the union of their removed rows.
fn org_what_if(
    streams: &whatif::OrgStreams,
    org_id: &str,
    n: usize,
    all: &[u32],
    (before, from): (Option<Peak>, Millis),
) -> OrgWhatIf {
    let gone = streams.org.positions(all);
    OrgWhatIf {
        org_id: org_id.to_string(),
        recommendations: n,
        calls_removed: gone.len() as u64,
        calls_saved_at_peak: streams.org.positions_in_window(&gone, before),
        peak_before: before,
        peak_after: streams.org.peak_without_positions(&gone, from),
        removed: all.to_vec(),
    }
}

fn recommendation(
    streams: &whatif::OrgStreams,
    attribution: &Attribution,
    org_id: &str,
    integration: usize,
    d: &Detection,
    (org_before, from): (Option<Peak>, Millis),
) -> Recommendation {
    let who = &attribution.integrations[integration];
    let own = streams.of(integration);
    // Each stream's positions of the removed rows are found once and serve every figure.
    let gone = streams.org.positions(&d.removed);
    let own_before = own.peak_without_positions(&[], from);
    let (org_after, own_after) = if gone.is_empty() {
        (org_before, own_before)
    } else {
        (
            streams.org.peak_without_positions(&gone, from),
            own.peak_without_direct(&d.removed, from),
        )
    };
    Recommendation {
        org_id: org_id.to_string(),
        integration: who.key.clone(),
        label: who.label.clone(),
        kind: d.kind,
        action: d.action.clone(),
        confidence: d.confidence,
        evidence: d.evidence.clone(),
        calls_removed: gone.len() as u64,
        calls_saved_at_peak: streams.org.positions_in_window(&gone, org_before),
        org_peak_before: org_before,
        org_peak_after: org_after,
        integration_peak_before: own_before,
        integration_peak_after: own_after,
    }
}

/// Counts per key, for evidence.
#[derive(Debug, Clone)]
pub(crate) struct Counter<K>(FxHashMap<K, u64>);

impl<K> Default for Counter<K> {
    fn default() -> Self {
        Counter(FxHashMap::default())
    }
}

impl<K: Copy + Eq + Hash + Ord> Counter<K> {
    /// One more of `key`.
    pub(crate) fn add(&mut self, key: K) {
        *self.0.entry(key).or_insert(0) += 1;
    }

    /// The `n` largest counts, largest first, ties by key.
    pub(crate) fn top(&self, n: usize) -> Vec<(K, u64)> {
        let mut all: Vec<(K, u64)> = self.0.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// First and last time of a set of calls.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    first: Option<Millis>,
    last: Option<Millis>,
}

impl Span {
    /// Includes `ts`; calls arrive in time order.
    pub(crate) fn add(&mut self, ts: Millis) {
        self.first.get_or_insert(ts);
        self.last = Some(ts);
    }

    /// Widens this span by another.
    pub(crate) fn merge(&mut self, other: Span) {
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(other.last);
    }
}

/// What a detector hands to [`evidence`]: everything but the time span and examples.
pub(crate) struct Facts {
    pub summary: String,
    pub calls: u64,
    pub breakdown: Vec<(String, u64)>,
    pub facts: Vec<(&'static str, u64)>,
}

/// Builds evidence; `examples` are resource ids, most frequent first.
pub(crate) fn evidence(calls: &Calls, f: Facts, span: Span, examples: &[(StrId, u64)]) -> Evidence {
    Evidence {
        summary: f.summary,
        calls: f.calls,
        first: span.first,
        last: span.last,
        examples: examples
            .iter()
            .take(3)
            .map(|(id, _)| calls.strings.get(*id).to_string())
            .collect(),
        breakdown: f
            .breakdown
            .into_iter()
            .map(|(name, calls)| Count { name, calls })
            .collect(),
        facts: f.facts.into_iter().collect(),
    }
}

/// A duration for people: `250 ms`, `7.2 s`, `45 s`, `5 min`, `2 h`, `1.5 h`.
pub(crate) fn duration(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    let h = s / 3_600.0;
    if ms < 1_000 {
        format!("{ms} ms")
    } else if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 3_600.0 {
        format!("{:.0} min", s / 60.0)
    } else if (h - h.round()).abs() < 0.05 {
        format!("{h:.0} h")
    } else {
        format!("{h:.1} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_ids_matching_their_json_names() {
        for k in Kind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json.as_str(), Some(k.id()));
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(60_000), "60 s");
        assert_eq!(duration(300_000), "5 min");
        assert_eq!(duration(7_200_000), "2 h");
        assert_eq!(duration(5_400_000), "1.5 h");
        assert_eq!(duration(3_600_000), "1 h");
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(7_240), "7.2 s");
    }

    #[test]
    fn counters_rank_by_count_then_key() {
        let mut c = Counter::default();
        for k in [3, 1, 3, 2, 2] {
            c.add(k);
        }
        assert_eq!(c.top(2), vec![(2, 2), (3, 2)]);
    }
}
