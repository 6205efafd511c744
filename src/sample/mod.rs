//! Synthetic Event Monitoring logs: the bundled sample and benchmark inputs.
//!
//! This module sits outside the analysis pipeline: it only *produces* inputs for it.
//! [`write_sample_logs`] writes a small, realistic data set (three orgs, three days, planted
//! integrations and data-quality traps, plus an org profile and a README saying what the tool
//! should find). [`write_bench_logs`] streams any number of ApiTotalUsage rows for performance
//! runs. Both are deterministic — a home-made SplitMix64 PRNG, fixed dates, no clock, no hash-map
//! iteration, integer-only number formatting — so every run on every machine writes the same
//! bytes.

mod bench;
mod cast;
mod csvw;
mod expect;
mod ids;
mod layout;
mod model;
mod parquet;
pub mod planted;
mod readme;
mod rng;
mod scenario;
mod time;

use std::path::{Path, PathBuf};

pub use bench::{
    BenchFormat, BenchLayout, DEFAULT_BENCH_ORGS, MAX_BENCH_DAYS, MAX_BENCH_ORGS, MAX_ROWS_PER_FILE,
};
pub use planted::{
    PlantedIntegration, SampleOrg, CHATTY_APP_ID, CHATTY_APP_NAME, CHATTY_ORG_ID, ORGS, ORG_A, ORG_B, ORG_C,
    PLANTED, SAMPLE_DATES,
};

/// Writes the bundled sample logs and the org profile into `out` (created if missing).
/// Deterministic, byte-identical across runs. Returns the files written, sorted.
///
/// Existing files with other names are left alone; files with the sample's names are
/// overwritten.
pub fn write_sample_logs(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    layout::write_sample(out)
}

/// Benchmark data: `rows` ApiTotalUsage rows (realistic widths, ~290 bytes per row as CSV, fully
/// quoted like Salesforce), spread evenly over one file per org per day, named like Salesforce
/// exports (`ApiTotalUsage_<date>_<org id>.csv`). [`BenchLayout::default`] is three orgs and
/// daily files of at most [`MAX_ROWS_PER_FILE`] rows each; a layout can ask for up to
/// [`MAX_BENCH_ORGS`] orgs and an exact number of days. [`BenchFormat::Parquet`] writes the same
/// rows as `ApiTotalUsageEventLog_<date>_<org id>.parquet` with Event Log Object column names.
/// Streams: memory is bounded by one output buffer or Parquet batch, never by `rows`.
/// Returns the files written, sorted.
pub fn write_bench_logs(
    out: &Path,
    rows: u64,
    format: BenchFormat,
    layout: BenchLayout,
) -> anyhow::Result<Vec<PathBuf>> {
    bench::write_bench_logs(out, rows, format, layout)
}
