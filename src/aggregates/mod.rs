//! The Spark engine's output as the pipeline's usage stage: `report --aggregates OUT` reads
//! `OUT/aggregates.json` and the per-minute Parquet series the job wrote
//! (engines/spark/README.md, "OUT layout") and turns them into what `usage` and `capacity`
//! give for raw files or a store — each org's [`OrgUsage`] with its series, its
//! [`OrgDaily`] days, and the data-quality accounting — so `analysis` and the renderers run
//! unchanged on numbers computed elsewhere.
//!
//! Upstream of `analysis`: it stands in for ingest → dedup → attribute → usage. What needs
//! row-level scans (each integration's top resources, entities, methods and families, and the
//! recommendations) is not in OUT; the report says so instead of showing empty lists as
//! findings.

mod document;
mod minutes;

use std::path::{Path, PathBuf};

use crate::capacity::{IntegrationDaily, OrgDaily};
use crate::ingest::FileReport;
use crate::model::{Millis, RowTally};
use crate::usage::{IntegrationUsage, LimitReached, OrgSeries, OrgUsage, WarmUpSpan};
use crate::window::{DayPeak, Peak, WINDOW_MS};

/// Why the recommendations panel is empty in a report from Spark aggregates.
pub const NO_RECOMMENDATIONS: &str = "this report comes from the Spark job's aggregates, which hold counts and peaks but not the calls every recommendation is found in (apiusage report --store on the same store gives them)";

/// A Spark output that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AggregatesError {
    /// A file of OUT could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// OUT is not a complete Spark output of a layout this build reads.
    #[error("{0}")]
    Corrupt(String),
}

impl AggregatesError {
    fn io(path: &Path, e: &std::io::Error) -> AggregatesError {
        AggregatesError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// What the Spark job computed, in the pipeline's own types.
#[derive(Debug)]
pub struct Aggregates {
    /// The engine that wrote OUT (`spark`).
    pub engine: String,
    /// The store it read, as the job was given it, and the manifest's snapshot.
    pub store: String,
    /// The snapshot number.
    pub snapshot: Option<u64>,
    /// Per org, in org id order, as `usage::compute` returns them (series included).
    pub usage: Vec<OrgUsage>,
    /// Each org's warm-up, in the same order.
    pub warm_ups: Vec<Option<WarmUpSpan>>,
    /// The daily peaks, in the same order, as `capacity::daily_usage` returns them.
    pub daily: Vec<OrgDaily>,
    /// Per source file, its accounting (after the job's filter).
    pub files: Vec<FileReport>,
    /// All sources together.
    pub total: RowTally,
    /// `ORGID=FILE` flags for each org's latest `/limits` response copied into OUT.
    pub limits: Vec<String>,
}

/// The cap on `aggregates.json`'s size: the document is the size of `summary.json`; a file
/// past this is not a Spark output.
const DOCUMENT_CAP: u64 = 1 << 30;

/// Reads a Spark output folder.
pub fn read(out: &Path) -> Result<Aggregates, AggregatesError> {
    let doc = read_document(out)?;
    let mut usage = Vec::with_capacity(doc.orgs.len());
    let mut warm_ups = Vec::with_capacity(doc.orgs.len());
    let mut daily = Vec::with_capacity(doc.orgs.len());
    let capacity_of: std::collections::HashMap<&str, &document::Capacity> =
        doc.capacity.iter().map(|c| (c.org_id.as_str(), c)).collect();
    for org in &doc.orgs {
        let capacity = capacity_of.get(org.org_id.as_str()).copied();
        let days = capacity
            .map(|c| days_of(&c.daily))
            .transpose()?
            .unwrap_or_default();
        let series = minutes::read(out, &doc.minutes.org, &doc.minutes.integrations, &org.org_id)?;
        let warm_up = org.warm_up.as_ref().map(warm_up_span).transpose()?;
        usage.push(org_usage(org, series, days.clone(), warm_up)?);
        warm_ups.push(warm_up);
        daily.push(org_daily(&org.org_id, days, capacity)?);
    }
    let (files, total) = accounting(&doc)?;
    let limits = doc
        .limits
        .iter()
        .map(|l| format!("{}={}", l.org_id, out.join(&l.file).display()))
        .collect();
    Ok(Aggregates {
        engine: doc.engine,
        store: doc.store.path,
        snapshot: doc.store.snapshot,
        usage,
        warm_ups,
        daily,
        files,
        total,
        limits,
    })
}

fn read_document(out: &Path) -> Result<document::Document, AggregatesError> {
    use std::io::Read;
    let path = out.join("aggregates.json");
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AggregatesError::Corrupt(format!(
            "{} has no aggregates.json: it is not the output of a finished Spark job \
             (engines/spark/apiusage_spark.py writes it last; a folder without it is a run \
             that failed or is still running)",
            out.display()
        )),
        _ => AggregatesError::io(&path, &e),
    })?;
    // Checked before opening: a FIFO in its place would block the open.
    if !meta.is_file() {
        return Err(AggregatesError::Corrupt(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(DOCUMENT_CAP).read_to_string(&mut text))
        .map_err(|e| AggregatesError::io(&path, &e))?;
    let doc: document::Document = serde_json::from_str(&text)
        .map_err(|e| AggregatesError::Corrupt(format!("{}: {e}", path.display())))?;
    if doc.kind != document::KIND || doc.schema_version != document::SCHEMA_VERSION {
        return Err(AggregatesError::Corrupt(format!(
            "{}: kind {:?}, schema_version {}; this apiusage reads kind {:?}, schema_version {} \
             (run engines/spark/apiusage_spark.py of the same apiusage version)",
            path.display(),
            doc.kind,
            doc.schema_version,
            document::KIND,
            document::SCHEMA_VERSION
        )));
    }
    Ok(doc)
}

fn time(text: &str) -> Result<Millis, AggregatesError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| AggregatesError::Corrupt(format!("aggregates.json: time {text:?}: {e}")))
}

fn peak(p: &document::Peak) -> Result<Peak, AggregatesError> {
    let at = time(&p.at)?;
    Ok(Peak {
        calls: p.calls,
        at,
        window_start: at - WINDOW_MS,
    })
}

fn warm_up_span(w: &document::WarmUp) -> Result<WarmUpSpan, AggregatesError> {
    Ok(WarmUpSpan {
        to: time(&w.to)?,
        complete: w.complete,
        context_calls: w.context_calls,
        lower_bound_until: w.lower_bound_until.as_deref().map(time).transpose()?,
    })
}

fn days_of(days: &[document::Day]) -> Result<Vec<DayPeak>, AggregatesError> {
    days.iter()
        .map(|d| {
            let date = chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                .map_err(|e| AggregatesError::Corrupt(format!("aggregates.json: date {:?}: {e}", d.date)))?;
            let at = time(&d.peak_at)?;
            Ok(DayPeak {
                day: date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis() / WINDOW_MS,
                calls: d.calls,
                peak: Some(Peak {
                    calls: d.peak,
                    at,
                    window_start: at - WINDOW_MS,
                }),
            })
        })
        .collect()
}

fn org_usage(
    org: &document::Org,
    series: minutes::OrgMinutes,
    daily: Vec<DayPeak>,
    warm_up: Option<WarmUpSpan>,
) -> Result<OrgUsage, AggregatesError> {
    let span = match (&org.first_call, &org.last_call) {
        (Some(a), Some(b)) => Some((time(a)?, time(b)?)),
        _ => None,
    };
    let integrations = org
        .integrations
        .iter()
        .map(integration_usage)
        .collect::<Result<Vec<_>, _>>()?;
    check_ranks(org, &series)?;
    if span.is_some() && series.org.minutes.is_empty() {
        return Err(AggregatesError::Corrupt(format!(
            "org {} has counted calls but no per-minute series in OUT (the job's minutes folder \
             is missing or incomplete: run the job again)",
            org.org_id
        )));
    }
    let series = span.map(|_| OrgSeries {
        org: series.org,
        integrations: series
            .integrations
            .into_iter()
            .map(|(_, key, s)| (key, s))
            .collect(),
        daily,
        lower_bound_until: None,
    });
    Ok(OrgUsage {
        org_id: org.org_id.clone(),
        counted_calls: org.counted_calls,
        warm_up_calls: warm_up.map_or(0, |w| w.context_calls),
        not_counted_calls: org.not_counted_calls,
        estimated_calls: org.estimated_calls,
        limit_exceeded_calls: org.limit_exceeded_calls,
        limit_reached: org
            .limit_reached
            .as_ref()
            .map(|l| time(&l.at).map(|at| LimitReached { at, usage: l.usage }))
            .transpose()?,
        span,
        peak: org.peak.as_ref().map(peak).transpose()?,
        integrations,
        series,
    })
}

/// The integration series' ranks must name the integrations `series_rank` gives them, or the
/// columns of `usage_<org>.csv` would carry the wrong labels.
fn check_ranks(org: &document::Org, series: &minutes::OrgMinutes) -> Result<(), AggregatesError> {
    for (rank, key, _) in &series.integrations {
        let named = org.integrations.iter().find(|i| i.series_rank == Some(*rank));
        if named.is_none_or(|i| &i.key != key) {
            return Err(AggregatesError::Corrupt(format!(
                "the series of {key} in org {} has rank {rank}, which aggregates.json gives {}",
                org.org_id,
                named.map_or("no integration", |i| i.key.as_str())
            )));
        }
    }
    Ok(())
}

/// An integration without its row-level lists (top resources, entities, methods, families):
/// the job does not compute them.
fn integration_usage(i: &document::Integration) -> Result<IntegrationUsage, AggregatesError> {
    Ok(IntegrationUsage {
        key: i.key.clone(),
        label: i.label.clone(),
        kind: i.kind,
        internal: i.internal,
        counted_calls: i.counted_calls,
        not_counted_calls: i.not_counted_calls,
        peak: i.peak.as_ref().map(peak).transpose()?,
        calls_in_org_peak_window: i.calls_in_org_peak_window,
        top_resources: Vec::new(),
        top_entities: Vec::new(),
        methods: Vec::new(),
        api_families: Vec::new(),
    })
}

fn org_daily(
    org_id: &str,
    days: Vec<DayPeak>,
    capacity: Option<&document::Capacity>,
) -> Result<OrgDaily, AggregatesError> {
    let integrations = capacity
        .map(|c| {
            c.integrations
                .iter()
                .map(|i| {
                    Ok(IntegrationDaily {
                        key: i.key.clone(),
                        label: i.label.clone(),
                        days: days_of(&i.daily)?,
                    })
                })
                .collect::<Result<Vec<_>, AggregatesError>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(OrgDaily {
        org_id: org_id.to_string(),
        days,
        integrations,
    })
}

/// Each source's accounting, in the order a report from the store lists them (by path), with
/// the rows outside the job's filter moved from used to ignored.
fn accounting(doc: &document::Document) -> Result<(Vec<FileReport>, RowTally), AggregatesError> {
    let Some(quality) = &doc.data_quality else {
        return Err(AggregatesError::Corrupt(
            "aggregates.json has no data_quality: it was written by an older Spark job; run \
             engines/spark/apiusage_spark.py of this apiusage version"
                .into(),
        ));
    };
    let mut files: Vec<FileReport> = quality
        .sources
        .iter()
        .map(|s| FileReport {
            path: s.path.clone(),
            format: s.format,
            rows: s.rows.clone(),
        })
        .collect();
    files.sort_by(|a, b| PathBuf::from(&a.path).cmp(&PathBuf::from(&b.path)));
    for f in &mut files {
        for (reason, n) in quality.filtered.get(&f.path).into_iter().flatten() {
            if *n > f.rows.used {
                return Err(AggregatesError::Corrupt(format!(
                    "aggregates.json: {} rows of {} filtered out, but only {} used",
                    n, f.path, f.rows.used
                )));
            }
            f.rows.used -= n;
            *f.rows.ignored.entry(reason.clone()).or_default() += n;
        }
    }
    let mut total = RowTally::default();
    for f in &files {
        total.merge(f.rows.clone());
    }
    Ok((files, total))
}
