//! Command-line arguments (clap derive) and nothing else: no logic, no I/O. `config` turns
//! them into a validated configuration; nothing past `config` sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Rolling 24-hour Salesforce API usage per org and integration, from Event Monitoring logs.
#[derive(Debug, Parser)]
#[command(name = "apiusage", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse logs and write the report (summary.json, report.md, CSVs) into --out.
    Report(Box<ReportArgs>),
    /// Explain how apiusage reads each file: format, event types, column mapping, row counts.
    Schema(SchemaArgs),
    /// Write deterministic synthetic sample logs (and the org profile they need).
    Sample(SampleArgs),
    /// Print the heaviest integrations of each org as a table (nothing is written to disk).
    Top(Box<TopArgs>),
    /// Download Event Monitoring log files and /limits from orgs into --out (incremental).
    Fetch(Box<FetchArgs>),
    /// Add logs to a call store (created when new): only new or changed files are read.
    Ingest(IngestArgs),
    /// Look after a call store: info, verify, files, forget, compact.
    Store(StoreArgs),
}

/// `apiusage report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Log files or folders (searched recursively): .csv, .csv.gz, .parquet. With --store,
    /// they are ingested into the store first (optional).
    #[arg(required_unless_present = "store", value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Report from this call store (after ingesting PATHS into it, if any).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// With --store and PATHS: wait for another writer of the store instead of failing.
    #[arg(long, requires = "store")]
    pub wait: bool,

    /// Folder the report is written into (replaced atomically).
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,

    /// Allocation sources.
    #[command(flatten)]
    pub allocation: AllocationArgs,

    /// Call filters.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Mapping file (TOML) that renames integration keys and merges several into one.
    #[arg(long, value_name = "FILE")]
    pub integrations: Option<PathBuf>,

    /// An integration is chatty when its own rolling-24h peak reaches this share of the
    /// allocation.
    /// Exact decimal above 0 and at most 1 (`0.55`, or `55%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.5",
        value_name = "SHARE",
        allow_negative_numbers = true
    )]
    pub chatty_share: String,

    /// An org is near its limit when its rolling-24h peak reaches this share of the allocation.
    /// Exact decimal above 0 and at most 1 (`0.8`, or `80%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.8",
        value_name = "SHARE",
        allow_negative_numbers = true
    )]
    pub warn_share: String,

    /// Recommend an upgrade for calls on API versions below this (Salesforce retired 21.0–30.0).
    #[arg(
        long,
        default_value_t = 31.0,
        value_name = "VERSION",
        allow_negative_numbers = true
    )]
    pub min_api_version: f64,

    /// Exit with status 1 (after writing the report) when any finding of these kinds exists.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KIND")]
    pub fail_on: Vec<FailOn>,

    /// Exit with status 2 when any row is bad (unparseable, missing org id, …).
    #[arg(long)]
    pub strict: bool,

    /// The report's "generated at" time (RFC 3339), for reproducible output. Default: now.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<String>,

    /// No progress line on stderr (it is only drawn on a terminal, after a second).
    #[arg(long, short)]
    pub quiet: bool,

    /// Chart files written into <out>/charts: png,svg, png, svg or none (none also leaves the
    /// charts out of report.html).
    #[arg(long, default_value = "png,svg", value_name = "FORMATS")]
    pub charts: String,

    /// Time zone for what people read: the summary, the digest and the heatmap's hours and
    /// dates. An IANA name (Europe/Paris, with its summer time), a fixed offset (+02:00) or
    /// UTC. Tables, JSON, CSV, daily peaks and the store stay in UTC.
    #[arg(
        long,
        default_value = "UTC",
        value_name = "OFFSET",
        allow_hyphen_values = true
    )]
    pub tz: String,

    /// Link to the report that `digest.md` ends with (e.g. where the nightly job publishes
    /// report.html); by default the path of <out>/report.html.
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,
}

/// `apiusage top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// Log files or folders (searched recursively): .csv, .csv.gz, .parquet.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Allocation sources.
    #[command(flatten)]
    pub allocation: AllocationArgs,

    /// Call filters.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Mapping file (TOML) that renames integration keys and merges several into one.
    #[arg(long, value_name = "FILE")]
    pub integrations: Option<PathBuf>,

    /// An integration is chatty when its own rolling-24h peak reaches this share of the
    /// allocation.
    /// Exact decimal above 0 and at most 1 (`0.55`, or `55%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.5",
        value_name = "SHARE",
        allow_negative_numbers = true
    )]
    pub chatty_share: String,

    /// Integrations shown per org (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,

    /// Print JSON for scripts instead of the table.
    #[arg(long)]
    pub json: bool,

    /// No progress line on stderr (it is only drawn on a terminal, after a second).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where each org's allocation comes from (first match wins, in this order).
#[derive(Debug, Args, Default, Clone)]
pub struct AllocationArgs {
    /// Allocation in calls per 24 h: `N` for every org, or `ORGID=N` for one (repeatable).
    #[arg(long, value_name = "[ORG=]N", allow_negative_numbers = true)]
    pub allocation: Vec<String>,

    /// REST `/limits` JSON or `sf org list limits --json` output: `FILE` or `ORGID=FILE`.
    #[arg(long, value_name = "[ORG=]FILE")]
    pub limits: Vec<String>,

    /// Org profile TOML (edition, licences, add-ons; several orgs per file).
    #[arg(long, value_name = "FILE")]
    pub profile: Vec<PathBuf>,
}

/// Which calls are analysed.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Only calls at or after this time (RFC 3339, or a date YYYY-MM-DD meaning its 00:00 UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only calls before this time (RFC 3339, or a date YYYY-MM-DD meaning its 00:00 UTC).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only these orgs (15- or 18-character ids; repeatable).
    #[arg(long, value_name = "ORGID")]
    pub org: Vec<String>,
}

/// Findings that can fail a nightly job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// An integration's own peak reached --chatty-share of the allocation.
    Chatty,
    /// An org's peak reached --warn-share of the allocation (or more).
    Warn,
    /// An org's peak reached its allocation, or calls were refused with REQUEST_LIMIT_EXCEEDED.
    Over,
    /// An org's last call is more than 36 hours before the run's time (logs stopped arriving).
    Stale,
}

/// `apiusage fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Folder the logs go into (`report DIR` reads it as it is); re-runs fetch only what is new.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Event types to download (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ApiTotalUsage,RestApi,API,ApexRestApi,BulkApiRequest,Login",
        value_name = "TYPES"
    )]
    pub event_types: Vec<String>,

    /// Daily files, hourly files (same-day audits) or both (the report de-duplicates them).
    #[arg(long, value_enum, default_value_t = IntervalArg::Daily)]
    pub interval: IntervalArg,

    /// Only log files of this day or later (YYYY-MM-DD or RFC 3339). Default: all still kept.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// A Salesforce CLI alias or username (`sf org display`); repeat for several orgs.
    #[arg(long, value_name = "ALIAS")]
    pub target_org: Vec<String>,

    /// Connected app consumer key, for the JWT bearer flow (with --username and
    /// --jwt-key-file) or the client-credentials flow (secret in SF_CLIENT_SECRET).
    #[arg(long, value_name = "KEY")]
    pub client_id: Option<String>,

    /// The user the JWT bearer flow runs as.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,

    /// PEM private key (PKCS#8 or PKCS#1) of the connected app's certificate.
    #[arg(long, value_name = "FILE")]
    pub jwt_key_file: Option<PathBuf>,

    /// OAuth login URL: https://test.salesforce.com for sandboxes, or the org's My Domain
    /// (required for client credentials).
    #[arg(long, default_value = "https://login.salesforce.com", value_name = "URL")]
    pub login_url: String,

    /// REST API version.
    #[arg(long, default_value = "62.0", value_name = "VERSION")]
    pub api_version: String,

    /// Stop before making more than N API calls (each query page, download and /limits
    /// request is one call against the org's allocation).
    #[arg(long, value_name = "N")]
    pub max_calls: Option<u64>,

    /// Parallel downloads.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,

    /// Attempts per request for 5xx, 429 and dropped connections (1 = no retry).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub attempts: u32,

    /// First retry delay in milliseconds (doubled each time, with jitter).
    #[arg(long, default_value_t = 1000, value_name = "MS", hide = true)]
    pub retry_delay_ms: u64,

    /// No progress line on stderr (it is only drawn on a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IntervalArg {
    /// 24-hour files (complete; available the day after).
    Daily,
    /// Hourly files (a few hours after the events; may be incomplete).
    Hourly,
    /// Both.
    Both,
}

/// `apiusage ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Log files or folders (searched recursively): .csv, .csv.gz, .parquet; `<org>/limits.json`
    /// files of a fetch folder are kept as the org's allocation history.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// The call store (a folder; created when new).
    #[arg(long, required = true, value_name = "DIR")]
    pub store: PathBuf,

    /// Wait for another writer of the store instead of failing.
    #[arg(long)]
    pub wait: bool,
}

/// `apiusage store`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// The `store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Orgs, days, rows, sources and size.
    Info {
        /// The call store.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Check the manifest against the data files (exit 2 on a mismatch).
    Verify {
        /// The call store.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// The current snapshot's data files, one path per line (for DuckDB, Spark, …).
    Files {
        /// The call store.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Drop the days before a date (retention); re-ingesting old files does not bring them back.
    Forget {
        /// The call store.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// First day kept (YYYY-MM-DD, UTC).
        #[arg(long, required = true, value_name = "DATE")]
        before: String,
        /// Only these orgs (15- or 18-character ids; repeatable). Default: every org.
        #[arg(long, value_name = "ORGID")]
        org: Vec<String>,
        /// Wait for another writer instead of failing.
        #[arg(long)]
        wait: bool,
    },
    /// Merge each partition's data files into one.
    Compact {
        /// The call store.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Wait for another writer instead of failing.
        #[arg(long)]
        wait: bool,
    },
}

/// `apiusage schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Files to explain.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
}

/// `apiusage sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Instead of the bundled sample, write this many ApiTotalUsage rows of benchmark data.
    #[arg(long, value_name = "ROWS")]
    pub bench_rows: Option<u64>,

    /// Format of the benchmark data.
    #[arg(long, value_enum, default_value_t = BenchFormatArg::Csv, requires = "bench_rows")]
    pub bench_format: BenchFormatArg,
}

/// Benchmark data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormatArg {
    /// EventLogFile CSV.
    Csv,
    /// Parquet with Event Log Object names.
    Parquet,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
