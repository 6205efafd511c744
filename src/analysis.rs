//! Stage 6 of the pipeline: the one `Analysis` model every renderer reads.
//!
//! It joins the usage of each org with its allocation, the findings and the data-quality
//! ledger, and converts times to RFC 3339 strings, so `summary.json` is this struct serialised
//! and the Markdown/CSV renderers never compute anything of their own.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::allocation::{Allocation, AllocationInputs, AllocationSource, AppQuota};
use crate::attribute::Kind;
use crate::capacity::{self, OrgCapacity, OrgDaily};
use crate::dedup::Table;
use crate::findings::{self, Finding, Thresholds};
use crate::ingest::{FileError, FileReport, Skipped};
use crate::model::{Examples, RowTally};
use crate::recommend;
use crate::text::{rfc3339, share};
use crate::usage::{Count, OrgSeries, OrgUsage, WarmUpSpan};
use crate::window::{DayPeak, Peak, WINDOW_MS};

/// Version of the `summary.json` layout; bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a report shows.
#[derive(Debug, Serialize)]
pub struct Analysis {
    /// Layout version of `summary.json`.
    pub schema_version: u32,
    /// When the report was made (passed in; never read from the clock here).
    pub generated_at: String,
    /// apiusage's version.
    pub apiusage_version: &'static str,
    /// The run at a glance.
    pub overview: Overview,
    /// Per org, in org id order.
    pub orgs: Vec<OrgReport>,
    /// All findings, most severe first.
    pub findings: Vec<Finding>,
    /// Bulkification recommendations, ranked by calls saved at the org's peak.
    pub recommendations: Vec<RecommendationView>,
    /// Why there are no recommendations at all, when they were not looked for (a report
    /// rendered from Spark's aggregates); absent when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendations_omitted: Option<&'static str>,
    /// Per org: every recommendation applied together.
    pub what_if: Vec<WhatIfView>,
    /// Capacity planning per org (same order as `orgs`): daily peaks, trend, forecast, growth.
    pub capacity: Vec<OrgCapacity>,
    /// Rows and files: read, used, skipped and why.
    pub data_quality: DataQuality,
    /// Per-minute series, per org (same order as `orgs`), for CSV and charts.
    #[serde(skip)]
    pub series: Vec<Option<OrgSeries>>,
}

/// The overview panel.
#[derive(Debug, Serialize)]
pub struct Overview {
    /// First counted call.
    pub first_call: Option<String>,
    /// Last counted call.
    pub last_call: Option<String>,
    /// Number of orgs.
    pub orgs: usize,
    /// Readable log files.
    pub files: usize,
    /// Rows read.
    pub rows_read: u64,
    /// Counted calls over all orgs.
    pub counted_calls: u64,
    /// Thresholds used.
    pub chatty_share: f64,
    /// Thresholds used.
    pub warn_share: f64,
}

/// A peak, with times as text.
#[derive(Debug, Clone, Serialize)]
pub struct PeakView {
    /// Calls in the window.
    pub calls: u64,
    /// Earliest instant the peak is reached (RFC 3339, UTC, ms).
    pub at: String,
    /// The window's exclusive start, `at − 24 h`.
    pub window_start: String,
    /// Calls ÷ allocation.
    pub share_of_allocation: Option<f64>,
}

/// An org's allocation.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    /// Calls per rolling 24 h, when known.
    pub calls: Option<u64>,
    /// `flag|limits|profile|unknown`.
    pub source: AllocationSource,
    /// How it was obtained.
    pub detail: String,
    /// Per-connected-app quotas from `/limits`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub app_quotas: Vec<AppQuota>,
    /// Salesforce's meter at the time fetch read `/limits`, beside the usage rebuilt from the
    /// logs at that instant (only when a timed `/limits` reading exists, whichever input gives
    /// the allocation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter: Option<crate::meter::MeterView>,
}

/// One org in the report.
#[derive(Debug, Serialize)]
pub struct OrgReport {
    /// 15-character org id.
    pub org_id: String,
    /// Name from the org profile, if any.
    pub name: Option<String>,
    /// Calls that count against the allocation.
    pub counted_calls: u64,
    /// Calls that do not count (UI, internal apps).
    pub not_counted_calls: u64,
    /// Some counted calls are estimates from fallback event types.
    pub estimated: bool,
    /// How many.
    pub estimated_calls: u64,
    /// Calls refused with `REQUEST_LIMIT_EXCEEDED`.
    pub limit_exceeded_calls: u64,
    /// When calls were first refused, and the rolling usage then.
    pub limit_reached: Option<LimitReachedView>,
    /// First counted call.
    pub first_call: Option<String>,
    /// Last counted call.
    pub last_call: Option<String>,
    /// Allocation and its source.
    pub allocation: AllocationView,
    /// Rolling-24h peak.
    pub peak: Option<PeakView>,
    /// The 24 hours before the first reported instant, whose calls count in its windows.
    pub warm_up: Option<WarmUp>,
    /// Integrations, busiest peak first.
    pub integrations: Vec<IntegrationReport>,
    /// Its most severe org-level finding (over limit, near limit, allocation unknown), from
    /// the findings stage; `None`: nothing to report.
    #[serde(skip)]
    pub status: Option<findings::FindingKind>,
}

/// The 24 hours before the first reported instant (`--since`, else the first call): calls in
/// them count in the rolling windows of the first day. When the inputs do not reach that far
/// back, usage until `lower_bound_until` is a lower bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarmUp {
    /// Start of the 24 hours (RFC 3339), exclusive as in every window.
    pub from: String,
    /// Their end: `--since`, or the first call (RFC 3339).
    pub to: String,
    /// The inputs reach back to `from` (some row of the org is at or before it).
    pub complete: bool,
    /// Counted calls before `to` read as context (only with `--since`; they are in `rows_used`).
    pub context_calls: u64,
    /// When not complete: usage before this instant (`to` + 24 h) is a lower bound.
    pub lower_bound_until: Option<String>,
}

/// The first `REQUEST_LIMIT_EXCEEDED` refusal.
#[derive(Debug, Clone, Serialize)]
pub struct LimitReachedView {
    /// When (RFC 3339).
    pub at: String,
    /// Counted calls in the 24 hours up to then.
    pub usage: u64,
}

/// One integration in one org.
#[derive(Debug, Serialize)]
pub struct IntegrationReport {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// `connected_app|client|user|unattributed`.
    pub kind: Kind,
    /// Salesforce-internal connected app.
    pub internal: bool,
    /// Counted calls.
    pub counted_calls: u64,
    /// Calls that do not count.
    pub not_counted_calls: u64,
    /// Own rolling-24h peak.
    pub peak: Option<PeakView>,
    /// Its calls inside the org's peak window.
    pub calls_in_org_peak_window: u64,
    /// Those calls ÷ the org's peak.
    pub share_of_org_peak_window: Option<f64>,
    /// Own peak ÷ allocation.
    pub peak_share_of_allocation: Option<f64>,
    /// Own peak ≥ chatty share × allocation.
    pub chatty: bool,
    /// Most-called resources.
    pub top_resources: Vec<Count>,
    /// Most-called entities.
    pub top_entities: Vec<Count>,
    /// Methods.
    pub methods: Vec<Count>,
    /// API families.
    pub api_families: Vec<Count>,
}

/// The data-quality panel.
#[derive(Debug, Serialize)]
pub struct DataQuality {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_used: u64,
    /// Duplicate rows dropped.
    pub duplicates: u64,
    /// Rows ignored (context types, superseded fallback rows, unsupported types, filters).
    pub rows_ignored: u64,
    /// Ignored rows by reason.
    pub ignored: BTreeMap<String, u64>,
    /// Bad rows by reason, with up to five `file:line` examples.
    pub bad_rows: BTreeMap<String, Examples>,
    /// Files.
    pub files: FilesView,
}

/// Files read, unreadable and skipped.
#[derive(Debug, Serialize)]
pub struct FilesView {
    /// How many files were read.
    pub readable: usize,
    /// Files that could not be read at all.
    pub unreadable: Vec<FileError>,
    /// Paths that are not log files.
    pub skipped: Vec<String>,
    /// The same paths, each with why it was passed over.
    pub skipped_reasons: Vec<Skipped>,
    /// Per readable file, its accounting.
    pub per_file: Vec<FileReport>,
}

/// What the analysis is assembled from: each stage's output, computed before (from rows, from
/// a store, or from Spark's aggregates). The analysis is built once from them.
#[derive(Debug)]
pub struct Parts {
    /// Each org's usage, in org id order.
    pub usage: Vec<OrgUsage>,
    /// Each org's warm-up (same order).
    pub warm_ups: Vec<Option<WarmUpSpan>>,
    /// The data-quality panel.
    pub data_quality: DataQuality,
    /// Every finding ([`findings::judge`]).
    pub findings: Vec<Finding>,
    /// The recommendation stage's output.
    pub recommendations: Recommended,
    /// The capacity stage's output, when it ran.
    pub capacity: Option<CapacityParts>,
}

/// Whether recommendations were looked for.
#[derive(Debug)]
pub enum Recommended {
    /// Not asked for (`top` shows none).
    NotAsked,
    /// Not computable from these inputs, and why (the report says so).
    Omitted(&'static str),
    /// The recommendation stage's output.
    Found(recommend::Recommendations),
}

/// The capacity stage's output: daily peaks per org, and per org with recommendations its daily
/// peaks with all of them applied.
#[derive(Debug, Default)]
pub struct CapacityParts {
    /// Daily peaks per org and integration.
    pub daily: Vec<OrgDaily>,
    /// Per org id, its daily peaks without the calls its recommendations remove.
    pub without: Vec<(String, Vec<DayPeak>)>,
}

/// The 24 hours before `--since` (or each org's first call) of every org in `usage`, and
/// whether the table's rows cover them.
pub fn warm_ups(table: &Table, usage: &[OrgUsage]) -> Vec<Option<WarmUpSpan>> {
    usage.iter().map(|o| warm_up(table, o)).collect()
}

/// The table's data-quality panel.
pub fn table_quality(table: &Table) -> DataQuality {
    data_quality(&table.files, &table.total, &table.unreadable, &table.skipped)
}

/// Builds the analysis, once, from the stages' outputs. `generated_at` is passed in so output
/// is reproducible.
pub fn assemble(
    parts: Parts,
    allocations: &AllocationInputs,
    thresholds: &Thresholds,
    generated_at: DateTime<Utc>,
) -> Analysis {
    let findings = parts.findings;
    let statuses = statuses_of(&findings);
    let mut orgs = Vec::new();
    let mut series = Vec::new();
    for (mut org, warm_up) in parts.usage.into_iter().zip(parts.warm_ups) {
        let allocation = allocations.resolve(&org.org_id);
        let last_call = org.span.map(|s| s.1);
        let reading = allocations.meter_reading(&org.org_id);
        let meter = crate::meter::compare(reading, org.series.as_ref(), last_call);
        let mut org_series = org.series.take();
        if let (Some(s), Some(w)) = (org_series.as_mut(), warm_up) {
            s.lower_bound_until = w.lower_bound_until;
        }
        series.push(org_series);
        let mut report = org_report(org, &allocation, allocations, thresholds);
        report.warm_up = warm_up.map(warm_up_view);
        report.allocation.meter = meter;
        report.status = statuses.get(report.org_id.as_str()).copied();
        orgs.push(report);
    }
    let (recommendations, recommendations_omitted, what_if) = match parts.recommendations {
        Recommended::Found(r) => {
            let (items, what_if) = recommendation_views(r, &orgs, &findings);
            (items, None, what_if)
        }
        Recommended::Omitted(why) => (Vec::new(), Some(why), Vec::new()),
        Recommended::NotAsked => (Vec::new(), None, Vec::new()),
    };
    let capacity = parts
        .capacity
        .map_or_else(Vec::new, |c| capacity_plans(&orgs, &c));
    Analysis {
        schema_version: SCHEMA_VERSION,
        generated_at: rfc3339(generated_at.timestamp_millis()),
        apiusage_version: env!("CARGO_PKG_VERSION"),
        overview: overview(&parts.data_quality, &orgs, thresholds),
        orgs,
        findings,
        recommendations,
        recommendations_omitted,
        what_if,
        capacity,
        data_quality: parts.data_quality,
        series,
    }
}

/// Each org's most severe org-level finding (over limit, near limit, allocation unknown), in
/// one pass over the findings: chatty integrations are counted apart, and staleness is about
/// the logs, not the usage.
fn statuses_of(findings: &[Finding]) -> HashMap<&str, findings::FindingKind> {
    let mut out: HashMap<&str, findings::FindingKind> = HashMap::new();
    for f in findings.iter().filter(|f| f.integration.is_none()) {
        if f.kind != findings::FindingKind::Stale {
            let k = out.entry(f.org_id.as_str()).or_insert(f.kind);
            *k = (*k).min(f.kind);
        }
    }
    out
}

/// The org `org_id` of `orgs` (in id order, so a binary search finds it; the scan is for
/// safety only).
fn org_in<'a>(orgs: &'a [OrgReport], org_id: &str) -> Option<&'a OrgReport> {
    match orgs.binary_search_by(|o| o.org_id.as_str().cmp(org_id)) {
        Ok(i) => orgs.get(i),
        Err(_) => orgs.iter().find(|o| o.org_id == org_id),
    }
}

fn warm_up_view(span: WarmUpSpan) -> WarmUp {
    WarmUp {
        from: rfc3339(span.to.saturating_sub(WINDOW_MS)),
        to: rfc3339(span.to),
        complete: span.complete,
        context_calls: span.context_calls,
        lower_bound_until: span.lower_bound_until.map(rfc3339),
    }
}

/// The 24 hours before `--since` (or before the org's first call) and whether the inputs cover
/// them: they do when some row of the org (any event type) is at or before their start.
fn warm_up(table: &Table, org: &OrgUsage) -> Option<WarmUpSpan> {
    let (first, _) = org.span?;
    let to = table.filter.since.unwrap_or(first);
    let from = to.saturating_sub(WINDOW_MS);
    let complete = table.earliest.get(&org.org_id).is_some_and(|&e| e <= from);
    Some(WarmUpSpan {
        to,
        complete,
        context_calls: org.warm_up_calls,
        lower_bound_until: (!complete).then(|| to.saturating_add(WINDOW_MS)),
    })
}

fn peak_view(peak: Option<Peak>, allocation: Option<u64>) -> Option<PeakView> {
    peak.map(|p| PeakView {
        calls: p.calls,
        at: rfc3339(p.at),
        window_start: rfc3339(p.window_start),
        share_of_allocation: share(p.calls, allocation),
    })
}

fn org_report(
    org: OrgUsage,
    allocation: &Allocation,
    inputs: &AllocationInputs,
    t: &Thresholds,
) -> OrgReport {
    let alloc = allocation.calls.filter(|a| *a > 0);
    let org_peak = org.peak.map(|p| p.calls);
    let integrations = org
        .integrations
        .into_iter()
        .map(|i| IntegrationReport {
            chatty: findings::is_chatty(&i, alloc, t),
            peak: peak_view(i.peak, alloc),
            peak_share_of_allocation: i.peak.and_then(|p| share(p.calls, alloc)),
            share_of_org_peak_window: share(i.calls_in_org_peak_window, org_peak),
            key: i.key,
            label: i.label,
            kind: i.kind,
            internal: i.internal,
            counted_calls: i.counted_calls,
            not_counted_calls: i.not_counted_calls,
            calls_in_org_peak_window: i.calls_in_org_peak_window,
            top_resources: i.top_resources,
            top_entities: i.top_entities,
            methods: i.methods,
            api_families: i.api_families,
        })
        .collect();
    OrgReport {
        name: inputs.org_name(&org.org_id).map(str::to_string),
        estimated: org.estimated_calls > 0,
        estimated_calls: org.estimated_calls,
        limit_exceeded_calls: org.limit_exceeded_calls,
        limit_reached: org.limit_reached.map(|l| LimitReachedView {
            at: rfc3339(l.at),
            usage: l.usage,
        }),
        counted_calls: org.counted_calls,
        not_counted_calls: org.not_counted_calls,
        first_call: org.span.map(|s| rfc3339(s.0)),
        last_call: org.span.map(|s| rfc3339(s.1)),
        allocation: AllocationView {
            calls: allocation.calls,
            source: allocation.source,
            detail: allocation.detail.clone(),
            app_quotas: allocation.app_quotas.clone(),
            meter: None,
        },
        peak: peak_view(org.peak, alloc),
        warm_up: None,
        status: None,
        integrations,
        org_id: org.org_id,
    }
}

fn overview(quality: &DataQuality, orgs: &[OrgReport], t: &Thresholds) -> Overview {
    Overview {
        first_call: orgs.iter().filter_map(|o| o.first_call.clone()).min(),
        last_call: orgs.iter().filter_map(|o| o.last_call.clone()).max(),
        orgs: orgs.len(),
        files: quality.files.readable,
        rows_read: quality.rows_read,
        counted_calls: orgs.iter().map(|o| o.counted_calls).sum(),
        chatty_share: t.chatty_share(),
        warn_share: t.warn_share(),
    }
}

/// The data-quality panel from each readable file's accounting, their total, and the inputs
/// that could not be read or were passed over.
pub fn data_quality(
    files: &[FileReport],
    total: &RowTally,
    unreadable: &[FileError],
    skipped: &[Skipped],
) -> DataQuality {
    DataQuality {
        rows_read: total.read,
        rows_used: total.used,
        duplicates: total.duplicates,
        rows_ignored: total.ignored_total(),
        ignored: total.ignored.clone(),
        bad_rows: total.bad.clone(),
        files: FilesView {
            readable: files.len(),
            unreadable: unreadable.to_vec(),
            skipped: skipped.iter().map(|s| s.path.clone()).collect(),
            skipped_reasons: skipped.to_vec(),
            per_file: files.to_vec(),
        },
    }
}

/// A bulkification recommendation (SPEC.md §3.5) with its what-if.
#[derive(Debug, Serialize)]
pub struct RecommendationView {
    /// Org id.
    pub org_id: String,
    /// Integration key.
    pub integration: String,
    /// Integration label.
    pub label: String,
    /// Kind id, e.g. `single_record_crud`.
    pub kind: recommend::Kind,
    /// Kind title.
    pub title: &'static str,
    /// The Salesforce feature to use instead.
    pub feature: &'static str,
    /// What to do.
    pub action: String,
    /// How clean the evidence is: `high` or `medium`.
    pub confidence: recommend::Confidence,
    /// Where the kind is documented.
    pub docs: String,
    /// Counted calls the change makes unnecessary, over the whole input.
    pub calls_removed: u64,
    /// Of those, the calls in the 24 hours ending at the org's peak.
    pub calls_saved_at_peak: u64,
    /// The org's peak as logged.
    pub org_peak_before: Option<PeakView>,
    /// The org's peak with the change, recomputed (it may fall at another time).
    pub org_peak_after: Option<PeakView>,
    /// The integration's own peak as logged.
    pub integration_peak_before: Option<PeakView>,
    /// The integration's own peak with the change.
    pub integration_peak_after: Option<PeakView>,
    /// The numbers behind it.
    pub evidence: EvidenceView,
}

/// A recommendation's evidence, times as text.
#[derive(Debug, Serialize)]
pub struct EvidenceView {
    /// One sentence.
    pub summary: String,
    /// Calls showing the pattern.
    pub calls: u64,
    /// First of them.
    pub first: Option<String>,
    /// Last of them.
    pub last: Option<String>,
    /// Example resources.
    pub examples: Vec<String>,
    /// Calls by operation, version, status…
    pub breakdown: Vec<Count>,
    /// Named figures.
    pub facts: BTreeMap<&'static str, u64>,
}

/// One org with all of its recommendations applied.
#[derive(Debug, Serialize)]
pub struct WhatIfView {
    /// Org id.
    pub org_id: String,
    /// Recommendations applied.
    pub recommendations: usize,
    /// Counted calls removed over the whole input.
    pub calls_removed: u64,
    /// Of those, the calls in the 24 hours ending at the org's peak.
    pub calls_saved_at_peak: u64,
    /// The org's peak as logged.
    pub peak_before: Option<PeakView>,
    /// The org's peak with every recommendation applied.
    pub peak_after: Option<PeakView>,
}

/// The recommendation stage's output as the report shows it, with shares of each org's
/// allocation; heavy integrations that need an answer get their `no_known_pattern` entry.
fn recommendation_views(
    mut r: recommend::Recommendations,
    orgs: &[OrgReport],
    findings: &[Finding],
) -> (Vec<RecommendationView>, Vec<WhatIfView>) {
    let chatty: HashSet<(&str, &str)> = findings
        .iter()
        .filter(|f| f.kind == findings::FindingKind::ChattyIntegration)
        .filter_map(|f| Some((f.org_id.as_str(), f.integration.as_deref()?)))
        .collect();
    r.answer_unexplained(|u| needs_answer(u, orgs, &chatty));
    let allocation = |org: &str| {
        org_in(orgs, org)
            .and_then(|o| o.allocation.calls)
            .filter(|a| *a > 0)
    };
    let items = r.items.into_iter().map(|i| {
        let a = allocation(&i.org_id);
        RecommendationView {
            title: i.kind.title(),
            feature: i.kind.feature(),
            docs: format!("docs/recommendations.md#{}", i.kind.id()),
            org_peak_before: peak_view(i.org_peak_before, a),
            org_peak_after: peak_view(i.org_peak_after, a),
            integration_peak_before: peak_view(i.integration_peak_before, a),
            integration_peak_after: peak_view(i.integration_peak_after, a),
            evidence: evidence_view(i.evidence),
            org_id: i.org_id,
            integration: i.integration,
            label: i.label,
            kind: i.kind,
            action: i.action,
            confidence: i.confidence,
            calls_removed: i.calls_removed,
            calls_saved_at_peak: i.calls_saved_at_peak,
        }
    });
    let what_if = r.what_if.into_iter().map(|w| {
        let a = allocation(&w.org_id);
        WhatIfView {
            recommendations: w.recommendations,
            calls_removed: w.calls_removed,
            calls_saved_at_peak: w.calls_saved_at_peak,
            peak_before: peak_view(w.peak_before, a),
            peak_after: peak_view(w.peak_after, a),
            org_id: w.org_id,
        }
    });
    (items.collect(), what_if.collect())
}

/// Whether a heavy integration without a call-saving recommendation must still get an answer
/// (SPEC.md §3.5): it is chatty, or it carries at least a quarter of the peak window of an org
/// near or over its limit.
fn needs_answer(u: &recommend::Unexplained, orgs: &[OrgReport], chatty: &HashSet<(&str, &str)>) -> bool {
    let r = &u.recommendation;
    let chatty = chatty.contains(&(r.org_id.as_str(), r.integration.as_str()));
    let status = org_in(orgs, &r.org_id).and_then(|o| o.status);
    let at_risk = matches!(
        status,
        Some(findings::FindingKind::OverLimit | findings::FindingKind::NearLimit)
    );
    let org_peak = r.org_peak_before.map_or(0, |p| p.calls);
    chatty || (at_risk && u.calls_in_org_peak_window * 4 >= org_peak && org_peak > 0)
}

fn evidence_view(e: recommend::Evidence) -> EvidenceView {
    EvidenceView {
        summary: e.summary,
        calls: e.calls,
        first: e.first.map(rfc3339),
        last: e.last.map(rfc3339),
        examples: e.examples,
        breakdown: e.breakdown,
        facts: e.facts,
    }
}

/// Each org's capacity plan against its allocation, in `orgs` order, with the projection of
/// every recommendation applied where the org has some.
fn capacity_plans(orgs: &[OrgReport], parts: &CapacityParts) -> Vec<OrgCapacity> {
    let daily: HashMap<&str, &OrgDaily> = parts.daily.iter().map(|d| (d.org_id.as_str(), d)).collect();
    let without: HashMap<&str, &[DayPeak]> = parts
        .without
        .iter()
        .map(|(id, days)| (id.as_str(), days.as_slice()))
        .collect();
    orgs.iter()
        .map(|o| {
            let mut plan = match daily.get(o.org_id.as_str()) {
                Some(days) => capacity::plan(days, o.allocation.calls),
                None => capacity::plan(&OrgDaily::empty(&o.org_id), o.allocation.calls),
            };
            let until = o.warm_up.as_ref().and_then(|w| w.lower_bound_until.as_deref());
            capacity::mark_partial(&mut plan, until);
            if let Some(days) = without.get(o.org_id.as_str()) {
                plan.what_if = Some(capacity::what_if_plan(days, o.allocation.calls));
            }
            plan
        })
        .collect()
}

impl Analysis {
    /// The capacity plan of `org_id`, when the capacity stage ran.
    pub fn capacity_of(&self, org_id: &str) -> Option<&OrgCapacity> {
        // In `orgs` order, so by id: a binary search, with a scan for safety only.
        match self.capacity.binary_search_by(|c| c.org_id.as_str().cmp(org_id)) {
            Ok(i) => self.capacity.get(i),
            Err(_) => self.capacity.iter().find(|c| c.org_id == org_id),
        }
    }

    /// [`Self::org_status`] of every org with one.
    pub fn org_statuses(&self) -> std::collections::HashMap<&str, findings::FindingKind> {
        self.orgs
            .iter()
            .filter_map(|o| o.status.map(|s| (o.org_id.as_str(), s)))
            .collect()
    }

    /// The org's most severe org-level finding (over limit, near limit, allocation unknown);
    /// chatty integrations are counted apart. `None`: nothing to report.
    pub fn org_status(&self, org_id: &str) -> Option<findings::FindingKind> {
        self.org(org_id).and_then(|o| o.status)
    }

    /// The org `org_id`, if the analysis has it.
    pub fn org(&self, org_id: &str) -> Option<&OrgReport> {
        org_in(&self.orgs, org_id)
    }

    /// Orgs riskiest first: by peak share of the allocation (calls refused with
    /// `REQUEST_LIMIT_EXCEEDED` count as at least 100 %), orgs with an unknown allocation after
    /// those with one (busiest peak first), then by org id.
    pub fn orgs_by_risk(&self) -> Vec<&OrgReport> {
        self.risk_order().into_iter().map(|i| &self.orgs[i]).collect()
    }

    /// How reports name an org: `Acme Dev (00D8a000000DvA1)`, or its id when the name is
    /// unknown.
    pub fn org_display(&self, org_id: &str) -> String {
        match self.org(org_id).and_then(|o| o.name.as_deref()) {
            Some(name) => format!("{name} ({org_id})"),
            None => org_id.to_string(),
        }
    }

    /// The positions in `orgs` of the orgs, riskiest first (the order of [`Self::orgs_by_risk`]).
    pub fn risk_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.orgs.len()).collect();
        order.sort_by(|&x, &y| {
            let (x, y) = (&self.orgs[x], &self.orgs[y]);
            risk(y)
                .total_cmp(&risk(x))
                .then_with(|| peak_calls(y).cmp(&peak_calls(x)))
                .then_with(|| x.org_id.cmp(&y.org_id))
        });
        order
    }
}

/// An org's risk: its peak's share of the allocation, at least 1 when calls were refused;
/// −1 when the allocation is unknown and nothing was refused.
pub fn risk(org: &OrgReport) -> f64 {
    let share = org.peak.as_ref().and_then(|p| p.share_of_allocation);
    match (share, org.limit_exceeded_calls > 0) {
        (Some(s), true) => s.max(1.0),
        (None, true) => 1.0,
        (Some(s), false) => s,
        (None, false) => -1.0,
    }
}

fn peak_calls(org: &OrgReport) -> u64 {
    org.peak.as_ref().map_or(0, |p| p.calls)
}
