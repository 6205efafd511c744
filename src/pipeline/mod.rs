//! The pipeline in one function: [`analyse`] runs every stage in order, from the inputs to the
//! one [`Analysis`] model, and `report` and `top` differ only in what they render.
//!
//! ```text
//! load       raw files (ingest) or a store, then dedup and attribute
//! usage      exact rolling-24h peaks and per-minute series per org and integration
//! findings   chatty, near/over limit, allocation unknown, stale
//! recommend  bulkification patterns and their what-if peaks (report only)
//! capacity   daily peaks, with and without the recommendations (report only)
//! assemble   the analysis, built once from the stages' outputs
//! ```
//!
//! `report --aggregates OUT` enters at usage: the Spark job computed the stages before it, and
//! recommendations, which need the calls, are omitted with the reason.
//!
//! Time is passed in (`generated_at`), never read here; [`Watch`] only observes (the progress
//! line and `--timings`), so it cannot change a result.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::aggregates;
use crate::allocation::AllocationInputs;
use crate::analysis::{self, Analysis, CapacityParts, DataQuality, Parts, Recommended};
use crate::attribute::{self, Attribution, IntegrationMap};
use crate::capacity;
use crate::cli::AllocationArgs;
use crate::dedup::{self, Filter, Table};
use crate::findings::{self, Finding, Thresholds};
use crate::ingest;
use crate::progress::{self, Progress};
use crate::recommend;
use crate::store;
use crate::text::thousands;
use crate::timings::Timings;
use crate::usage::{self, OrgUsage, WarmUpSpan};
use crate::window::DayPeak;

mod from_store;

/// What to read.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Files and folders of logs (for a store: the ones to ingest into it first).
    pub paths: Vec<PathBuf>,
    /// Paths never read as inputs (the report's own output folder).
    pub exclude: Vec<PathBuf>,
    /// Where the calls come from.
    pub source: Source,
}

/// Where the calls come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The raw files under `paths`.
    Files,
    /// A call store (`paths`, if any, are ingested into it first).
    Store {
        /// The store's folder.
        dir: PathBuf,
        /// Wait for another writer instead of failing.
        wait: bool,
    },
    /// The Spark job's output folder: usage and daily peaks already computed.
    Aggregates(PathBuf),
}

/// How to read and judge the calls.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Which calls are reported (`--since`, `--until`, `--org`).
    pub filter: Filter,
    /// Integration renames and merges.
    pub integrations: IntegrationMap,
    /// Allocation sources, loaded.
    pub allocation: AllocationInputs,
    /// The allocation flags as given: a store's `/limits` history is added to them.
    pub allocation_args: AllocationArgs,
    /// Finding thresholds.
    pub thresholds: Thresholds,
    /// Look for recommendations with these settings (`None`: not asked for).
    pub recommend: Option<recommend::Settings>,
    /// Compute capacity (daily peaks, trend, forecast).
    pub capacity: bool,
}

/// What observes a run without changing it: the progress line and the stage timings.
#[derive(Debug)]
pub struct Watch {
    /// The progress line on stderr.
    pub progress: Progress,
    /// Wall and CPU time per stage.
    pub timings: Timings,
}

impl Watch {
    /// A watch drawing progress unless `quiet`.
    pub fn stderr(quiet: bool) -> Watch {
        Watch {
            progress: Progress::stderr(quiet),
            timings: Timings::default(),
        }
    }

    /// A watch that shows nothing (for tests and benches).
    pub fn silent() -> Watch {
        Watch::stderr(true)
    }

    fn stage<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        self.timings.stage(name, f)
    }
}

/// Every stage, in order, from the inputs to the analysis.
pub fn analyse(
    inputs: &Inputs,
    settings: &Settings,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> anyhow::Result<Analysis> {
    match &inputs.source {
        Source::Aggregates(out) => return from_aggregates(out, settings, generated_at, watch),
        Source::Store { dir, wait } => {
            return from_store::analyse(dir, *wait, inputs, settings, generated_at, watch)
        }
        Source::Files => {}
    }
    let loaded = load(inputs, settings, generated_at, watch)?;
    Ok(loaded.analyse(settings, generated_at, watch))
}

/// The stages after load, over a de-duplicated, attributed table.
pub fn analyse_table(
    table: &Table,
    attribution: &Attribution,
    settings: &Settings,
    allocation: &AllocationInputs,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> Analysis {
    let usage = usage_stage(table, attribution, watch);
    let findings = findings_stage(&usage, settings, allocation, generated_at, watch);
    let later = later_stages(table, attribution, &usage, settings, watch);
    assemble_stage(
        (usage, findings, later),
        analysis::table_quality(table),
        settings,
        allocation,
        generated_at,
        watch,
    )
}

/// What the stages after findings give for the orgs of one table.
#[derive(Debug)]
struct Later {
    warm_ups: Vec<Option<WarmUpSpan>>,
    recommendations: Recommended,
    capacity: Option<CapacityParts>,
}

impl Later {
    /// Adds the output for orgs after these (in id order): the same as one table of all of
    /// them gives.
    fn append(&mut self, later: Later) {
        self.warm_ups.extend(later.warm_ups);
        if let (Recommended::Found(r), Recommended::Found(l)) =
            (&mut self.recommendations, later.recommendations)
        {
            r.append(l);
        }
        if let (Some(c), Some(l)) = (&mut self.capacity, later.capacity) {
            c.daily.extend(l.daily);
            c.without.extend(l.without);
        }
    }
}

/// Exact rolling-24h usage of every org of the table.
fn usage_stage(table: &Table, attribution: &Attribution, watch: &mut Watch) -> Vec<OrgUsage> {
    watch.progress.stage(format!(
        "computing rolling 24-hour usage of {} rows",
        thousands(table.calls.len() as u64)
    ));
    watch.stage("usage", || usage::compute(&table.calls, &table.orgs, attribution))
}

/// Findings over every org's usage.
fn findings_stage(
    usage: &[OrgUsage],
    settings: &Settings,
    allocation: &AllocationInputs,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> Vec<Finding> {
    let now = generated_at.timestamp_millis();
    watch.stage("findings", || {
        findings::judge(usage, allocation, &settings.thresholds, now)
    })
}

/// Recommend and capacity over one table (with its usage), and its orgs' warm-ups.
fn later_stages(
    table: &Table,
    attribution: &Attribution,
    usage: &[OrgUsage],
    settings: &Settings,
    watch: &mut Watch,
) -> Later {
    let mut recommendations = match settings.recommend {
        Some(s) => {
            watch.progress.stage("looking for bulkification patterns");
            Recommended::Found(watch.stage("recommend", || {
                recommend::recommend(table, attribution, usage, &s)
            }))
        }
        None => Recommended::NotAsked,
    };
    let capacity = settings.capacity.then(|| {
        watch.progress.stage("daily peaks, trends and forecasts");
        watch.stage("capacity", || {
            capacity_parts(table, attribution, &recommendations)
        })
    });
    if let Recommended::Found(r) = &mut recommendations {
        // The removed rows index this table; the capacity what-if was their last use.
        for w in &mut r.what_if {
            w.removed = Vec::new();
        }
    }
    Later {
        warm_ups: analysis::warm_ups(table, usage),
        recommendations,
        capacity,
    }
}

/// The analysis, built once from the stages' outputs.
fn assemble_stage(
    (usage, findings, later): (Vec<OrgUsage>, Vec<Finding>, Later),
    data_quality: DataQuality,
    settings: &Settings,
    allocation: &AllocationInputs,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> Analysis {
    let parts = Parts {
        warm_ups: later.warm_ups,
        data_quality,
        usage,
        findings,
        recommendations: later.recommendations,
        capacity: later.capacity,
    };
    watch.stage("findings", || {
        analysis::assemble(parts, allocation, &settings.thresholds, generated_at)
    })
}

/// The load stage's output.
struct Loaded {
    table: Table,
    attribution: Attribution,
    /// The settings' allocation, with a store's `/limits` history added.
    allocation: AllocationInputs,
}

impl Loaded {
    /// The stages after load.
    fn analyse(&self, settings: &Settings, generated_at: DateTime<Utc>, watch: &mut Watch) -> Analysis {
        analyse_table(
            &self.table,
            &self.attribution,
            settings,
            &self.allocation,
            generated_at,
            watch,
        )
    }
}

/// Ingest of the raw files, dedup with the filter, attribution.
fn load(
    inputs: &Inputs,
    settings: &Settings,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> anyhow::Result<Loaded> {
    let ingest_settings = ingest::Settings::at(generated_at);
    let progress = &watch.progress;
    let ingested = watch
        .timings
        .stage("ingest", || read_files(inputs, &ingest_settings, progress))?;
    let table = dedup_stage(ingested, &settings.filter, watch)?;
    Ok(attributed(table, settings.allocation.clone(), settings, watch))
}

/// The table with its attribution.
fn attributed(table: Table, allocation: AllocationInputs, settings: &Settings, watch: &mut Watch) -> Loaded {
    watch.progress.stage("attributing calls to integrations");
    let attribution = watch.stage("attribute", || {
        attribute::attribute(&table.calls, &settings.integrations)
    });
    Loaded {
        table,
        attribution,
        allocation,
    }
}

/// The raw files under the inputs' paths.
fn read_files(
    inputs: &Inputs,
    settings: &ingest::Settings,
    progress: &Progress,
) -> anyhow::Result<ingest::Ingested> {
    if progress.is_visible() {
        progress.stage(progress::describe_inputs(&inputs.paths, &inputs.exclude));
    }
    Ok(ingest::ingest(&inputs.paths, &inputs.exclude, settings)?)
}

/// The settings' allocation sources with `limits` (`ORGID=FILE`, from a store or Spark's
/// output) added for the orgs the command line gives no `--limits` for.
fn with_stored_limits(settings: &Settings, limits: &[String]) -> anyhow::Result<AllocationInputs> {
    if limits.is_empty() {
        return Ok(settings.allocation.clone());
    }
    let a = &settings.allocation_args;
    let mut flags = a.limits.clone();
    flags.extend(limits.iter().cloned());
    Ok(AllocationInputs::load(&a.allocation, &flags, &a.profile)?)
}

/// Dedup: duplicates, fallback reconciliation, then the filter, with its checks.
fn dedup_stage(ingested: ingest::Ingested, filter: &Filter, watch: &mut Watch) -> anyhow::Result<Table> {
    let rows: u64 = ingested.files.iter().map(|f| f.rows.read).sum();
    watch.progress.stage(format!(
        "read {} files, {} rows; removing duplicates",
        ingested.files.len(),
        thousands(rows)
    ));
    watch.stage("dedup", || -> anyhow::Result<Table> {
        let mut table = dedup::reconcile(ingested);
        table.check_found(filter).map_err(anyhow::Error::msg)?;
        let span = table.call_span(filter);
        table.restrict(filter);
        table.check_in_range(span).map_err(anyhow::Error::msg)?;
        Ok(table)
    })
}

/// Daily peaks per org and integration, and per org with recommendations its daily peaks with
/// all of them applied (for the capacity what-if).
fn capacity_parts(table: &Table, attribution: &Attribution, recommendations: &Recommended) -> CapacityParts {
    let (daily, without) = rayon::join(
        || capacity::daily_usage(&table.calls, &table.orgs, attribution),
        || match recommendations {
            Recommended::Found(r) => what_if_days(table, r),
            _ => Vec::new(),
        },
    );
    CapacityParts { daily, without }
}

/// Per org with recommendations, its daily peaks with all of them applied. `what_if` is in the
/// table's org order.
fn what_if_days(table: &Table, r: &recommend::Recommendations) -> Vec<(String, Vec<DayPeak>)> {
    table
        .orgs
        .par_iter()
        .zip(r.what_if.par_iter())
        .filter(|(_, w)| w.recommendations > 0 && !w.removed.is_empty())
        .map(|((_, range), w)| {
            let days = capacity::org_days_without(&table.calls, range.clone(), &w.removed);
            (w.org_id.clone(), days)
        })
        .collect()
}

/// `report --aggregates OUT`: the Spark job's usage, daily peaks and accounting stand in for
/// the stages up to usage; findings, capacity and assembly run as for calls.
fn from_aggregates(
    out: &Path,
    settings: &Settings,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> anyhow::Result<Analysis> {
    watch
        .progress
        .stage(format!("reading the Spark aggregates in {}", out.display()));
    let agg = watch.stage("ingest", || aggregates::read(out))?;
    let limits = store::uncovered_limits(agg.limits.clone(), &settings.allocation_args.limits);
    let allocation = with_stored_limits(settings, &limits)?;
    let now = generated_at.timestamp_millis();
    let findings = watch.stage("findings", || {
        findings::judge(&agg.usage, &allocation, &settings.thresholds, now)
    });
    let parts = Parts {
        data_quality: analysis::data_quality(&agg.files, &agg.total, &[], &[]),
        usage: agg.usage,
        warm_ups: agg.warm_ups,
        findings,
        recommendations: Recommended::Omitted(aggregates::NO_RECOMMENDATIONS),
        capacity: settings.capacity.then(|| CapacityParts {
            daily: agg.daily,
            without: Vec::new(),
        }),
    };
    Ok(watch.stage("findings", || {
        analysis::assemble(parts, &allocation, &settings.thresholds, generated_at)
    }))
}
