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
//!   → findings (chatty, near/over limit, stale; with allocation)
//!   → recommend (bulkification patterns per integration; what-if peaks via window)
//!   → capacity (daily peaks per org and integration; trend and forecast joined in analysis)
//!   → analysis (the one model, assembled once from the stages' outputs)
//!   → render (JSON, Markdown, CSV), published atomically
//! ```
//!
//! [`store`] keeps ingest's rows (de-duplicated, reconciled, attributed) as a Parquet dataset
//! that nightly runs add to; `report --store` reads it back into the same pipeline.
//! [`aggregates`] stands in for the stages up to usage when the Spark engine (engines/spark/)
//! computed them: `report --aggregates OUT` renders the same report from its output.
//!
//! [`pipeline::analyse`] runs those stages in order, in one function; `report` and `top` differ
//! only in what they render (`top` asks for no recommendations or capacity, which it does not
//! show). Time is passed in, never read inside the analysis.
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
pub mod pipeline;
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

/// `apiusage report`: [`pipeline::analyse`], then every output written into `--out`.
fn report(args: ReportArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let config = ReportConfig::from_args(args, now)?;
    let mut watch = pipeline::Watch::stderr(config.quiet);
    let (inputs, settings) = report_pipeline(&config);
    let analysis = pipeline::analyse(&inputs, &settings, config.generated_at, &mut watch)?;
    watch.progress.stage("drawing charts and writing the report");
    let files = watch.timings.stage("render", || -> anyhow::Result<usize> {
        let previous = previous_summary(&config.out);
        let mut outputs = render::render_with(&analysis, &config.render);
        outputs.push(digest(&config, &analysis, previous.as_ref()));
        render::publish::publish(&config.out, &outputs)
            .with_context(|| format!("cannot write the report into {}", config.out.display()))?;
        Ok(outputs.len())
    })?;
    let pipeline::Watch { progress, timings } = watch;
    progress.finish();
    let mut outcome = report_outcome(&config, &analysis, files);
    if config.timings {
        outcome.stderr.extend(timing_lines(&timings));
    }
    Ok(outcome)
}

/// The report's inputs and settings for the pipeline: every stage, recommendations and
/// capacity included; its own output folder is never read as input.
fn report_pipeline(config: &ReportConfig) -> (pipeline::Inputs, pipeline::Settings) {
    let source = match (&config.aggregates, &config.store) {
        (Some(out), _) => pipeline::Source::Aggregates(out.clone()),
        (None, Some(dir)) => pipeline::Source::Store {
            dir: dir.clone(),
            wait: config.wait,
        },
        (None, None) => pipeline::Source::Files,
    };
    let inputs = pipeline::Inputs {
        paths: config.paths.clone(),
        exclude: vec![config.out.clone()],
        source,
    };
    let settings = pipeline::Settings {
        filter: config.filter.clone(),
        integrations: config.integrations.clone(),
        allocation: config.allocation.clone(),
        allocation_args: config.allocation_args.clone(),
        thresholds: config.thresholds,
        recommend: Some(config.recommend),
        capacity: true,
    };
    (inputs, settings)
}

/// `--timings`' table, one stderr line per stage.
fn timing_lines(timings: &Timings) -> Vec<String> {
    timings
        .lines()
        .into_iter()
        .map(|l| format!("timings: {l}"))
        .collect()
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

/// `apiusage top`: [`pipeline::analyse`] without recommendations and capacity, which it does
/// not show, then a table (or JSON) on stdout. Nothing is written to disk.
fn top(args: TopArgs, now: DateTime<Utc>, term: term::Terminal) -> anyhow::Result<Outcome> {
    let config = TopConfig::from_args(args, now)?;
    let mut watch = pipeline::Watch::stderr(config.quiet);
    let inputs = pipeline::Inputs {
        paths: config.paths.clone(),
        exclude: Vec::new(),
        source: pipeline::Source::Files,
    };
    let settings = pipeline::Settings {
        filter: config.filter.clone(),
        integrations: config.integrations.clone(),
        allocation: config.allocation.clone(),
        thresholds: config.thresholds,
        ..pipeline::Settings::default()
    };
    let a = pipeline::analyse(&inputs, &settings, now, &mut watch)?;
    let pipeline::Watch {
        progress,
        mut timings,
    } = watch;
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

/// `apiusage ingest PATHS… --store DIR`.
fn ingest_into_store(args: &cli::IngestArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let s = store::ingest(&args.store, &args.paths, &ingest::Settings::at(now), args.wait)?;
    let mut stdout = String::new();
    if s.committed {
        stdout.push_str(&format!(
            "ingested {} file(s), {} rows, into {} (snapshot {}, {} data file(s) written)",
            s.added.len(),
            text::thousands(s.rows_read),
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
        text::thousands(a.overview.counted_calls),
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
            let layout = sample::BenchLayout {
                orgs: usize::from(args.bench_orgs),
                days: args.bench_days.map(usize::from),
            };
            sample::write_bench_logs(&args.out, rows, format, layout)?
        }
        None => sample::write_sample_logs(&args.out)?,
    };
    Ok(Outcome {
        status: ExitStatus::Success,
        stdout: format!("wrote {} files into {}\n", written.len(), args.out.display()),
        stderr: Vec::new(),
    })
}
