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
//!   → findings (chatty, near/over limit; with allocation)
//!   → analysis (the one model)
//!   → render (JSON, Markdown, CSV), written atomically
//! ```
//!
//! [`run`] reads like that pipeline. Time is passed in, never read inside the analysis.
#![warn(missing_docs)]

pub mod allocation;
pub mod analysis;
pub mod attribute;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod findings;
pub mod ingest;
pub mod model;
pub mod normalize;
pub mod render;
pub mod sample;
pub mod schema;
pub mod usage;
pub mod window;

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::analysis::Analysis;
use crate::cli::{BenchFormatArg, Cli, Command, FailOn, ReportArgs, SampleArgs};
use crate::config::ReportConfig;
use crate::findings::FindingKind;

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

/// Runs one command. `now` is the time used when `--generated-at` is not given.
pub fn run(cli: Cli, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Report(args) => report(*args, now),
        Command::Schema(args) => {
            let (text, ok) = schema::explain(&args.files);
            let status = if ok {
                ExitStatus::Success
            } else {
                ExitStatus::Error
            };
            Ok(Outcome {
                status,
                stdout: text,
                stderr: Vec::new(),
            })
        }
        Command::Sample(args) => sample_logs(&args),
    }
}

/// `apiusage report`: the pipeline.
fn report(args: ReportArgs, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let config = ReportConfig::from_args(args, now)?;
    let ingested = ingest::ingest(&config.paths, std::slice::from_ref(&config.out))?;
    let mut table = dedup::reconcile(ingested);
    table.restrict(&config.filter);
    let attribution = attribute::attribute(&table.calls, &config.integrations);
    let usage = usage::compute(&table.calls, &table.orgs, &attribution);
    let analysis = analysis::build(
        &table,
        usage,
        &config.allocation,
        &config.thresholds,
        config.generated_at,
    );
    let outputs = render::render_with(&analysis, &config.render);
    render::write_atomically(&config.out, &outputs)
        .with_context(|| format!("cannot write the report into {}", config.out.display()))?;
    Ok(report_outcome(&config, &analysis, outputs.len()))
}

fn report_outcome(config: &ReportConfig, a: &Analysis, files: usize) -> Outcome {
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
        stderr.push(format!(
            "warning: {bad} bad rows skipped; see the data-quality section (or `apiusage schema FILE`)"
        ));
    }
    let status = if !a.data_quality.files.unreadable.is_empty() || (config.strict && bad > 0) {
        ExitStatus::Error
    } else if breached(&config.fail_on, a) {
        ExitStatus::Breached
    } else {
        ExitStatus::Success
    };
    let stdout = format!(
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

/// Whether any finding matches a `--fail-on` kind.
fn breached(fail_on: &[FailOn], a: &Analysis) -> bool {
    a.findings.iter().any(|f| {
        fail_on.iter().any(|k| match k {
            FailOn::Chatty => f.kind == FindingKind::ChattyIntegration,
            FailOn::Warn => matches!(f.kind, FindingKind::NearLimit | FindingKind::OverLimit),
            FailOn::Over => f.kind == FindingKind::OverLimit,
        })
    })
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
