//! apiusage: rolling 24-hour Salesforce API usage per org and integration, from Event
//! Monitoring logs.
//!
//! The pipeline, one way, each stage a module that only uses what is upstream of it:
//!
//! ```text
//! ingest (discover, csv, parquet; normalize's field rules)
//!   → dedup (duplicates, fallback reconciliation, filters; sorted by org and time)
//!   → attribute (integration of each call shape)
//!   → usage (exact rolling-24h peaks via window; per-minute series)
//!   → recommend (bulkification patterns per integration; what-if peaks via window)
//!   → capacity (daily peaks per org and integration; trend and forecast joined in analysis)
//!   → findings (chatty, near/over limit; with allocation)
//!   → analysis (the one model)
//!   → render (JSON, Markdown, CSV), published atomically
//! ```
//!
//! [`store`] keeps ingest's rows (de-duplicated, reconciled, attributed) as a Parquet dataset
//! that nightly runs add to; `report --store` reads it back into the same pipeline.
//! [`aggregates`] stands in for the stages up to usage when the Spark engine (engines/spark/)
//! computed them: `report --aggregates OUT` renders the same report from its output.
//!
//! [`run`] reads like that pipeline. Time is passed in, never read inside the analysis.
//! `top` runs the same stages up to the analysis and prints a table instead of writing files.
//! [`progress`] draws the running stage on a terminal; it is the library's only output.
#![warn(missing_docs)]

pub mod aggregates;
pub mod allocation;
pub mod analysis;
pub mod attribute;
pub mod capacity;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod dedup;
pub mod fetch;
pub mod findings;
pub mod ingest;
pub mod manual;
pub mod marker;
pub mod meter;
pub mod model;
pub mod normalize;
pub mod process;
pub mod progress;
pub mod recommend;
pub mod relative;
pub mod render;
pub mod sample;
pub mod schema;
pub mod store;
pub mod term;
pub mod text;
pub mod textfile;
pub mod timings;
pub mod usage;
pub mod window;

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::analysis::Analysis;
use crate::cli::{BenchFormatArg, Cli, Command, FailOn, FetchArgs, ReportArgs, SampleArgs, TopArgs};
use crate::config::{ReportConfig, TopConfig};
use crate::findings::FindingKind;
use crate::progress::Progress;
use crate::render::terminal;
use crate::timings::Timings;

/// The process exit status (SPEC.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the work was done and no `--fail-on` threshold was breached.
    Success,
    /// 1: the report was written and a `--fail-on` threshold was breached.
    Breached,
    /// 2: an error, or input that could not all be read (the report may still be written).
    Error,
}

impl ExitStatus {
    /// [`ExitStatus::Success`] when `ok`, else [`ExitStatus::Error`]: the status of a command
    /// that has no threshold to breach.
    pub fn error_unless(ok: bool) -> ExitStatus {
        if ok {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Breached => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// What a run produced for the terminal: `main` prints it; the library never prints.
#[derive(Debug)]
pub struct Outcome {
    /// Exit status.
    pub status: ExitStatus,
    /// Text for standard output.
    pub stdout: String,
    /// Errors and warnings for standard error, one per line, without the `apiusage:` prefix.
    pub stderr: Vec<String>,
}

/// Runs one command as if standard output were a pipe (no colour, 100 columns). `now` is the
/// time used when `--generated-at` is not given.
pub fn run(cli: Cli, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    run_on(cli, now, term::Terminal::default())
}

/// Runs one command; `stdout` says how wide standard output is and whether it takes colour
/// (decided by the caller, like `now`, so nothing below reads the environment for it).
pub fn run_on(cli: Cli, now: DateTime<Utc>, stdout: term::Terminal) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Report(args) => report(*args, now),
        Command::Schema(args) => {
            let (text, errors) = schema::explain(&args.files, &ingest::Settings::at(now));
            let status = ExitStatus::error_unless(errors.is_empty());
            Ok(Outcome {
                status,
                stdout: text,
                stderr: errors.into_iter().map(|e| format!("error: {e}")).collect(),
            })
        }
        Command::Sample(args) => sample_logs(&args),
        Command::Top(args) => top(*args, now, stdout),
        Command::Fetch(args) => fetch_logs(*args, now),
        Command::Ingest(args) => ingest_into_store(&args, now),
        Command::Store(args) => store_command(args.command),
        Command::Completions(args) => Ok(printed(manual::completions(args.shell))),
        Command::Man(args) => man(args.out.as_deref()),
    }
}

/// Success with `stdout` and nothing on stderr.
fn printed(stdout: String) -> Outcome {
    Outcome {
        status: ExitStatus::Success,
        stdout,
        stderr: Vec::new(),
    }
}

/// `apiusage man [--out DIR]`.
fn man(out: Option<&std::path::Path>) -> anyhow::Result<Outcome> {
    let Some(dir) = out else {
        return Ok(printed(manual::man_page()?));
    };
    let written = manual::write_man_pages(dir)?;
    Ok(printed(format!(
        "wrote {} man pages into {}\n",
        written.len(),
        dir.display()
    )))
}

/// `apiusage fetch`: the environment's tokens are read here, once; the run's outcome always
/// says how many API calls it spent, also when it failed.
fn fetch_logs(args: FetchArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let secret = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| fetch::Secret::new(v.trim().to_string()))
    };
    let env = fetch::auth::AuthInputs {
        env_token: secret("SF_ACCESS_TOKEN"),
        env_instance_url: std::env::var("SF_INSTANCE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty()),
        env_client_secret: secret("SF_CLIENT_SECRET"),
        sf_program: "sf".into(),
        ..fetch::auth::AuthInputs::default()
    };
    let settings = config::fetch_settings(args, env, now)?;
    let summary = fetch::run(&settings)?;
    let mut stdout: String = summary.orgs.iter().map(|l| format!("{l}\n")).collect();
    stdout.push_str(&format!("fetch used {} API calls", summary.calls));
    if summary.token_requests > 0 {
        stdout.push_str(&format!(
            " (and {} OAuth token request(s), which are logins)",
            summary.token_requests
        ));
    }
    stdout.push('\n');
    let mut stderr = summary.notes;
    stderr.extend(summary.errors.iter().map(|e| format!("error: {e}")));
    let status = ExitStatus::error_unless(summary.errors.is_empty());
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
}

/// `apiusage report`: the pipeline.
fn report(args: ReportArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let progress = Progress::stderr(args.quiet);
    let mut config = ReportConfig::from_args(args, now)?;
    let mut timings = Timings::default();
    let analysis = match config.aggregates.clone() {
        Some(out) => analyse_aggregates(&out, &mut config, &progress, &mut timings)?,
        None => analyse_calls(&mut config, &progress, &mut timings)?,
    };
    progress.stage("drawing charts and writing the report");
    let files = timings.stage("render", || -> anyhow::Result<usize> {
        let previous = previous_summary(&config.out);
        let mut outputs = render::render_with(&analysis, &config.render);
        outputs.push(digest(&config, &analysis, previous.as_ref()));
        render::publish::publish(&config.out, &outputs)
            .with_context(|| format!("cannot write the report into {}", config.out.display()))?;
        Ok(outputs.len())
    })?;
    progress.finish();
    let mut outcome = report_outcome(&config, &analysis, files);
    if config.timings {
        outcome.stderr.extend(timing_lines(&timings));
    }
    Ok(outcome)
}

/// `--timings`' table, one stderr line per stage.
fn timing_lines(timings: &Timings) -> Vec<String> {
    timings
        .lines()
        .into_iter()
        .map(|l| format!("timings: {l}"))
        .collect()
}

/// The stages from the calls (raw files or a store) to the analysis.
fn analyse_calls(
    config: &mut ReportConfig,
    progress: &Progress,
    timings: &mut Timings,
) -> anyhow::Result<Analysis> {
    let exclude = vec![config.out.clone()];
    let settings = ingest::Settings::at(config.generated_at);
    let ingested = timings.stage("ingest", || match config.store.clone() {
        Some(dir) => from_store(&dir, config, &exclude, &settings, progress),
        None => read_inputs(&config.paths, &exclude, &settings, progress),
    })?;
    let (table, attribution) = prepare(ingested, &config.filter, &config.integrations, progress, timings)?;
    progress.stage(format!(
        "computing rolling 24-hour usage of {} rows",
        findings::thousands(table.calls.len() as u64)
    ));
    let usage = timings.stage("usage", || {
        usage::compute(&table.calls, &table.orgs, &attribution)
    });
    progress.stage("looking for bulkification patterns");
    let recommendations = timings.stage("recommend", || {
        recommend::recommend(&table, &attribution, &config.recommend)
    });
    progress.stage("daily peaks, trends and forecasts");
    let daily = timings.stage("capacity", || {
        capacity::daily_usage(&table.calls, &table.orgs, &attribution)
    });
    let mut analysis = timings.stage("findings", || {
        analysis::build(
            &table,
            usage,
            &config.allocation,
            &config.thresholds,
            config.generated_at,
        )
    });
    let without = timings.stage("recommend", || what_if_days(&table, &recommendations));
    timings.stage("findings", || analysis.add_recommendations(recommendations));
    timings.stage("capacity", || {
        analysis.add_capacity(&daily);
        analysis.add_capacity_what_if(&without);
    });
    Ok(analysis)
}

/// `report --aggregates OUT`: the Spark job's usage, daily peaks and accounting stand in for
/// the stages up to usage; findings, capacity and the renderers run as for calls. The
/// recommendations are found in the calls, which OUT does not hold: the report says so.
fn analyse_aggregates(
    out: &std::path::Path,
    config: &mut ReportConfig,
    progress: &Progress,
    timings: &mut Timings,
) -> anyhow::Result<Analysis> {
    progress.stage(format!("reading the Spark aggregates in {}", out.display()));
    let agg = timings.stage("ingest", || aggregates::read(out))?;
    let limits = store::uncovered_limits(agg.limits.clone(), &config.allocation_args.limits);
    config.add_stored_limits(&limits)?;
    let quality = analysis::data_quality(&agg.files, &agg.total, &[], &[]);
    let mut analysis = timings.stage("findings", || {
        analysis::assemble(
            agg.usage,
            agg.warm_ups,
            quality,
            &config.allocation,
            &config.thresholds,
            config.generated_at,
        )
    });
    analysis.recommendations_omitted = Some(aggregates::NO_RECOMMENDATIONS);
    timings.stage("capacity", || analysis.add_capacity(&agg.daily));
    Ok(analysis)
}

/// The previous report's `summary.json` in `--out`, for the digest's "since the previous
/// report" line: read only when it is a regular file, size-capped; anything else is no report.
fn previous_summary(out: &std::path::Path) -> Option<render::digest::Previous> {
    use std::io::Read;
    let path = out.join("summary.json");
    // Checked before opening: a FIFO in its place would block the open.
    if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let file = std::fs::File::open(&path).ok()?;
    // Past the cap the JSON is cut short, fails to parse, and nothing is compared.
    render::digest::Previous::read(file.take(PREVIOUS_SUMMARY_CAP))
}

/// A previous `summary.json` larger than this is not compared (it would cost more memory than
/// the digest is worth).
const PREVIOUS_SUMMARY_CAP: u64 = 256 << 20;

fn digest(
    config: &ReportConfig,
    a: &Analysis,
    previous: Option<&render::digest::Previous>,
) -> render::Output {
    let link = config
        .report_url
        .clone()
        .unwrap_or_else(|| config.out.join("report.html").display().to_string());
    render::Output {
        name: "digest.md".into(),
        bytes: render::digest::render(a, previous, &link, config.render.charts.zone),
    }
}

/// Per org with recommendations, its daily peaks with all of them applied (for the capacity
/// what-if). `what_if` is in the table's org order.
fn what_if_days(table: &dedup::Table, r: &recommend::Recommendations) -> Vec<(String, Vec<window::DayPeak>)> {
    table
        .orgs
        .iter()
        .zip(&r.what_if)
        .filter(|(_, w)| w.recommendations > 0 && !w.removed.is_empty())
        .map(|((_, range), w)| {
            let days = capacity::org_days_without(&table.calls, range.clone(), &w.removed);
            (w.org_id.clone(), days)
        })
        .collect()
}

/// `apiusage top`: the pipeline up to the analysis, then a table (or JSON) on stdout. Nothing
/// is written to disk, and no recommendations, capacity or charts are computed.
fn top(args: TopArgs, now: DateTime<Utc>, term: term::Terminal) -> anyhow::Result<Outcome> {
    let progress = Progress::stderr(args.quiet);
    let config = TopConfig::from_args(args, now)?;
    let mut timings = Timings::default();
    let ingested = timings.stage("ingest", || {
        read_inputs(&config.paths, &[], &ingest::Settings::at(now), &progress)
    })?;
    let (table, attribution) = prepare(
        ingested,
        &config.filter,
        &config.integrations,
        &progress,
        &mut timings,
    )?;
    progress.stage(format!(
        "computing rolling 24-hour usage of {} rows",
        findings::thousands(table.calls.len() as u64)
    ));
    let usage = timings.stage("usage", || {
        usage::compute(&table.calls, &table.orgs, &attribution)
    });
    let a = timings.stage("findings", || {
        analysis::build(&table, usage, &config.allocation, &config.thresholds, now)
    });
    progress.finish();
    let stdout = timings.stage("render", || {
        let view = terminal::view(&a, config.limit);
        if config.json {
            terminal::json(&view)
        } else {
            terminal::table(&view, term, config.zone)
        }
    });
    let status = ExitStatus::error_unless(a.data_quality.files.unreadable.is_empty());
    let mut stderr = input_problems(&a, TOP_BAD_ROWS);
    if config.timings {
        stderr.extend(timing_lines(&timings));
    }
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
}

/// Ingest: the raw files under `paths`.
fn read_inputs(
    paths: &[PathBuf],
    exclude: &[PathBuf],
    settings: &ingest::Settings,
    progress: &Progress,
) -> anyhow::Result<ingest::Ingested> {
    if progress.is_visible() {
        progress.stage(progress::describe_inputs(paths, exclude));
    }
    Ok(ingest::ingest(paths, exclude, settings)?)
}

/// `report --store DIR [PATHS…]`: ingests the paths into the store (if any), takes the store's
/// latest `/limits` per org as an allocation source, and reads the snapshot back as ingest's
/// output (with this run's unreadable and skipped inputs, for the data-quality panel).
fn from_store(
    dir: &std::path::Path,
    config: &mut ReportConfig,
    exclude: &[PathBuf],
    settings: &ingest::Settings,
    progress: &Progress,
) -> anyhow::Result<ingest::Ingested> {
    let mut outcome = store::IngestSummary::default();
    if !config.paths.is_empty() {
        progress.stage(format!("ingesting into the store {}", dir.display()));
        outcome = store::commit::ingest_excluding(dir, &config.paths, exclude, settings, config.wait)?;
    } else {
        store::maintain::require_store(dir)?;
    }
    progress.stage(format!("reading the store {}", dir.display()));
    let (mut ingested, manifest) = store::load(dir)?;
    let limits = store::latest_limits(dir, &manifest, &config.allocation_args.limits);
    config.add_stored_limits(&limits)?;
    ingested.unreadable = outcome.unreadable;
    ingested.skipped = outcome.skipped;
    Ok(ingested)
}

/// Dedup (with the filter) and attribution.
fn prepare(
    ingested: ingest::Ingested,
    filter: &dedup::Filter,
    map: &attribute::IntegrationMap,
    progress: &Progress,
    timings: &mut Timings,
) -> anyhow::Result<(dedup::Table, attribute::Attribution)> {
    let rows: u64 = ingested.files.iter().map(|f| f.rows.read).sum();
    let files = ingested.files.len();
    progress.stage(format!(
        "read {files} files, {} rows; removing duplicates",
        findings::thousands(rows)
    ));
    let table = timings.stage("dedup", || -> anyhow::Result<dedup::Table> {
        let mut table = dedup::reconcile(ingested);
        table.check_found(filter).map_err(anyhow::Error::msg)?;
        let span = table.call_span(filter);
        table.restrict(filter);
        table.check_in_range(span).map_err(anyhow::Error::msg)?;
        Ok(table)
    })?;
    progress.stage("attributing calls to integrations");
    let attribution = timings.stage("attribute", || attribute::attribute(&table.calls, map));
    Ok((table, attribution))
}

/// `apiusage ingest PATHS… --store DIR`.
fn ingest_into_store(args: &cli::IngestArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let s = store::ingest(&args.store, &args.paths, &ingest::Settings::at(now), args.wait)?;
    let mut stdout = String::new();
    if s.committed {
        stdout.push_str(&format!(
            "ingested {} file(s), {} rows, into {} (snapshot {}, {} data file(s) written)",
            s.added.len(),
            findings::thousands(s.rows_read),
            args.store.display(),
            s.snapshot,
            s.files_written
        ));
    } else {
        stdout.push_str(&format!("nothing new for {}", args.store.display()));
    }
    stdout.push_str(&format!("; {} unchanged file(s) skipped", s.unchanged));
    if !s.replaced.is_empty() {
        stdout.push_str(&format!(
            "; {} changed file(s) replaced their rows",
            s.replaced.len()
        ));
    }
    if s.limits_added > 0 {
        stdout.push_str(&format!("; {} /limits response(s) kept", s.limits_added));
    }
    stdout.push('\n');
    let mut stderr: Vec<String> = s
        .unreadable
        .iter()
        .map(|e| {
            format!(
                "error: {}: {} (not ingested; the rest was committed)",
                e.path, e.reason
            )
        })
        .collect();
    stderr.extend(s.moved.iter().map(|m| format!("note: moved: {m}")));
    stderr.extend(
        s.copies
            .iter()
            .map(|(copy, of)| format!("note: {copy} has the same content as {of}; not read again")),
    );
    let status = ExitStatus::error_unless(s.unreadable.is_empty());
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
}

/// `apiusage store …`.
fn store_command(command: cli::StoreCommand) -> anyhow::Result<Outcome> {
    use cli::StoreCommand as C;
    let ok = |stdout: String| Outcome {
        status: ExitStatus::Success,
        stdout,
        stderr: Vec::new(),
    };
    Ok(match command {
        C::Info { dir } => ok(store::maintain::info(&dir)?),
        C::Files { dir } => ok(store::maintain::files(&dir)?),
        C::Verify { dir } => {
            let v = store::maintain::verify(&dir)?;
            let status = ExitStatus::error_unless(v.problems.is_empty());
            let stderr = v.problems.iter().map(|p| format!("error: {p}")).collect();
            Outcome {
                status,
                stdout: v.report,
                stderr,
            }
        }
        C::Forget {
            dir,
            before,
            org,
            wait,
        } => {
            let orgs: Vec<String> = org
                .iter()
                .map(|o| String::from_utf8_lossy(normalize::id15(o.trim().as_bytes())).into_owned())
                .collect();
            ok(store::maintain::forget(&dir, &before, &orgs, wait)?)
        }
        C::Compact { dir, wait } => ok(store::maintain::compact(&dir, wait)?),
    })
}

/// Where `report` sends a reader about bad rows: its own data-quality section.
const REPORT_BAD_ROWS: &str = "see the data-quality section (or `apiusage schema FILE`)";
/// `top` prints no data-quality section, so it points at the commands that do.
const TOP_BAD_ROWS: &str =
    "`apiusage report` lists them in its data-quality section, `apiusage schema FILE` per file";

/// Unreadable files and bad rows, for stderr; `where_to_look` says where the bad rows are listed.
fn input_problems(a: &Analysis, where_to_look: &str) -> Vec<String> {
    let mut stderr: Vec<String> = a
        .data_quality
        .files
        .unreadable
        .iter()
        .map(|e| {
            format!(
                "error: {}: {} (the report leaves this file out)",
                e.path, e.reason
            )
        })
        .collect();
    let bad: u64 = a.data_quality.bad_rows.values().map(|e| e.count).sum();
    if bad > 0 {
        stderr.push(format!("warning: {bad} bad rows skipped; {where_to_look}"));
    }
    stderr
}

fn report_outcome(config: &ReportConfig, a: &Analysis, files: usize) -> Outcome {
    let mut stderr = input_problems(a, REPORT_BAD_ROWS);
    stderr.extend(render::bound::warning(a));
    let bad: u64 = a.data_quality.bad_rows.values().map(|e| e.count).sum();
    let breaches = breaches(&config.fail_on, a);
    let status = if !a.data_quality.files.unreadable.is_empty() || (config.strict && bad > 0) {
        ExitStatus::Error
    } else if !breaches.is_empty() {
        ExitStatus::Breached
    } else {
        ExitStatus::Success
    };
    stderr.extend(breach_lines(&breaches));
    let offset = config.render.charts.zone;
    let mut stdout: String = render::summary::sentences(a, offset)
        .iter()
        .map(|s| format!("{}\n", text::clean(s)))
        .collect();
    stdout += &format!(
        "wrote {} files into {}: {} org(s), {} counted calls, {} finding(s)\n",
        files,
        config.out.display(),
        a.orgs.len(),
        findings::thousands(a.overview.counted_calls),
        a.findings.len()
    );
    Outcome {
        status,
        stdout,
        stderr,
    }
}

/// The findings that match a `--fail-on` kind.
fn breaches<'a>(fail_on: &[FailOn], a: &'a Analysis) -> Vec<&'a findings::Finding> {
    a.findings
        .iter()
        .filter(|f| {
            fail_on.iter().any(|k| match k {
                FailOn::Chatty => f.kind == FindingKind::ChattyIntegration,
                FailOn::Warn => matches!(f.kind, FindingKind::NearLimit | FindingKind::OverLimit),
                FailOn::Over => f.kind == FindingKind::OverLimit,
                FailOn::Stale => f.kind == FindingKind::Stale,
            })
        })
        .collect()
}

/// What `--fail-on` breached, for stderr: a cron mail then says why the job failed.
fn breach_lines(breaches: &[&findings::Finding]) -> Vec<String> {
    breaches
        .iter()
        .map(|f| text::clean(&format!("--fail-on: {}", f.message)))
        .collect()
}

/// `apiusage sample`.
fn sample_logs(args: &SampleArgs) -> anyhow::Result<Outcome> {
    let written: Vec<PathBuf> = match args.bench_rows {
        Some(rows) => {
            let format = match args.bench_format {
                BenchFormatArg::Csv => sample::BenchFormat::Csv,
                BenchFormatArg::Parquet => sample::BenchFormat::Parquet,
            };
            sample::write_bench_logs(&args.out, rows, format)?
        }
        None => sample::write_sample_logs(&args.out)?,
    };
    Ok(Outcome {
        status: ExitStatus::Success,
        stdout: format!("wrote {} files into {}\n", written.len(), args.out.display()),
        stderr: Vec::new(),
    })
}
