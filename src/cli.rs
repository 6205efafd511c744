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
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout, or write one page per command into --out.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const REPORT_EXAMPLES: &str = "\
Examples:
  apiusage report logs/ --profile org_profile.toml --out reports
  apiusage report logs/ --allocation 00D8a000000DvA1=15000 --since 7d --fail-on over
  apiusage report --store /var/lib/apiusage/store --last 30d --charts svg
  apiusage report --config /etc/apiusage.toml      (options from a file; flags still win)

Times (--since, --until, --generated-at): RFC 3339 (2026-11-02T10:00:00Z) or a date
(2026-11-02, its 00:00 UTC); --since, --until and --last also take a span back from
--generated-at (default: now) in days, hours or minutes: 7d, 24h, 90m.";

const TOP_EXAMPLES: &str = "\
Examples:
  apiusage top logs/ --allocation 15000
  apiusage top logs/ --profile org_profile.toml --last 24h --limit 5
  apiusage top logs/ --json | jq '.orgs[] | {org_id, status, peak}'

Colour: on a terminal only; NO_COLOR=1 turns it off, CLICOLOR_FORCE=1 on (also in a pipe).
Width: COLUMNS, else the terminal's width, else 100 columns.";

const FETCH_EXAMPLES: &str = "\
Examples:
  apiusage fetch --out /var/lib/apiusage/logs --target-org prod
  apiusage fetch --out logs --client-id KEY --username integration@acme.com --jwt-key-file server.key
  apiusage fetch --out logs --target-org prod --interval hourly --since 2d --max-calls 50";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  apiusage completions bash > ~/.local/share/bash-completion/completions/apiusage
  apiusage completions zsh > ~/.zfunc/_apiusage
  apiusage completions fish > ~/.config/fish/completions/apiusage.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  apiusage man | man -l -
  apiusage man --out /usr/local/share/man/man1      (apiusage.1, apiusage-report.1, …)";

/// Where a config file's path comes from: `--config`, else this environment variable.
pub const CONFIG_ENV: &str = "APIUSAGE_CONFIG";

/// `apiusage completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `apiusage man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write apiusage.1 and one apiusage-<command>.1 per command into this folder instead.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `apiusage report`.
#[derive(Debug, Args)]
#[command(after_help = REPORT_EXAMPLES)]
pub struct ReportArgs {
    /// Log files or folders (searched recursively): .csv, .csv.gz, .parquet. With --store,
    /// they are ingested into the store first (optional).
    #[arg(required_unless_present_any = ["store", "aggregates"], value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Report from this call store (after ingesting PATHS into it, if any).
    #[arg(long, value_name = "DIR", help_heading = "Inputs")]
    pub store: Option<PathBuf>,

    /// Render the report from the Spark job's output folder (engines/spark/README.md) instead
    /// of reading calls. The job's own --since/--until/--org/--integrations apply; the
    /// recommendations need the calls and are left out.
    #[arg(
        long,
        value_name = "OUT",
        help_heading = "Inputs",
        conflicts_with_all = ["store", "paths", "integrations", "since", "until", "last", "org", "min_api_version"]
    )]
    pub aggregates: Option<PathBuf>,

    /// With --store and PATHS: wait for another writer of the store instead of failing.
    #[arg(long, requires = "store", help_heading = "Inputs")]
    pub wait: bool,

    /// TOML file of default options ([report] section and top level); flags given here win.
    #[arg(long, env = CONFIG_ENV, value_name = "FILE", help_heading = "Inputs")]
    pub config: Option<PathBuf>,

    /// Allocation sources.
    #[command(flatten)]
    pub allocation: AllocationArgs,

    /// Call filters.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Mapping file (TOML) that renames integration keys and merges several into one.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub integrations: Option<PathBuf>,

    /// An integration is chatty when its own rolling-24h peak reaches this share of the
    /// allocation.
    /// Exact decimal above 0 and at most 1 (`0.55`, or `55%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.5",
        value_name = "SHARE",
        allow_negative_numbers = true,
        help_heading = "Thresholds"
    )]
    pub chatty_share: String,

    /// An org is near its limit when its rolling-24h peak reaches this share of the allocation.
    /// Exact decimal above 0 and at most 1 (`0.8`, or `80%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.8",
        value_name = "SHARE",
        allow_negative_numbers = true,
        help_heading = "Thresholds"
    )]
    pub warn_share: String,

    /// Recommend an upgrade for calls on API versions below this (Salesforce retired 21.0–30.0).
    // A string default, so --help shows `31.0` (an f64 default prints as `31`).
    #[arg(
        long,
        default_value = "31.0",
        value_name = "VERSION",
        allow_negative_numbers = true,
        help_heading = "Thresholds"
    )]
    pub min_api_version: f64,

    /// Exit with status 1 (after writing the report) when any finding of these kinds exists.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "KIND",
        help_heading = "Thresholds"
    )]
    pub fail_on: Vec<FailOn>,

    /// Exit with status 2 when any row is bad (unparseable, missing org id, …).
    #[arg(long, help_heading = "Thresholds")]
    pub strict: bool,

    /// Folder the report is written into (replaced atomically).
    #[arg(long, default_value = "reports", value_name = "DIR", help_heading = "Output")]
    pub out: PathBuf,

    /// The report's "generated at" time (RFC 3339), for reproducible output; relative
    /// ranges count back from it. Default: now.
    #[arg(long, value_name = "TIME", help_heading = "Output")]
    pub generated_at: Option<String>,

    /// No progress line on stderr (it is only drawn on a terminal, after a second).
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,

    /// Print the wall and CPU time of each stage (ingest, dedup, attribute, usage, …) on
    /// stderr after the run.
    #[arg(long, help_heading = "Output")]
    pub timings: bool,

    /// Chart files written into <out>/charts: png,svg, png, svg or none (none also leaves the
    /// charts out of report.html).
    #[arg(
        long,
        default_value = "png,svg",
        value_name = "FORMATS",
        help_heading = "Output"
    )]
    pub charts: String,

    /// PNG charts drawn 2, 3 or 4 times larger (same layout, sharper on slides and high-DPI
    /// screens); SVG charts scale by themselves.
    #[arg(long, default_value_t = 1, value_name = "N", help_heading = "Output")]
    pub chart_scale: u32,

    /// Time zone for what people read: report.md, report.html, the digest, the chart axes and
    /// the heatmap. An IANA name (Europe/Paris, with its summer time), a fixed offset (+02:00)
    /// or UTC. JSON, CSV, daily peaks (UTC days) and the store stay in UTC.
    #[arg(
        long,
        default_value = "UTC",
        value_name = "ZONE",
        allow_hyphen_values = true,
        help_heading = "Output"
    )]
    pub tz: String,

    /// Link to the report that `digest.md` ends with (e.g. where the nightly job publishes
    /// report.html); by default the path of <out>/report.html.
    #[arg(long, value_name = "URL", help_heading = "Output")]
    pub report_url: Option<String>,
}

/// `apiusage top`.
#[derive(Debug, Args)]
#[command(after_help = TOP_EXAMPLES)]
pub struct TopArgs {
    /// Log files or folders (searched recursively): .csv, .csv.gz, .parquet.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// TOML file of default options ([top] section and top level); flags given here win.
    #[arg(long, env = CONFIG_ENV, value_name = "FILE", help_heading = "Inputs")]
    pub config: Option<PathBuf>,

    /// Allocation sources.
    #[command(flatten)]
    pub allocation: AllocationArgs,

    /// Call filters.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Mapping file (TOML) that renames integration keys and merges several into one.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub integrations: Option<PathBuf>,

    /// An integration is chatty when its own rolling-24h peak reaches this share of the
    /// allocation.
    /// Exact decimal above 0 and at most 1 (`0.55`, or `55%`), up to six decimals.
    #[arg(
        long,
        default_value = "0.5",
        value_name = "SHARE",
        allow_negative_numbers = true,
        help_heading = "Thresholds"
    )]
    pub chatty_share: String,

    /// Integrations shown per org (0: all).
    #[arg(long, default_value_t = 10, value_name = "N", help_heading = "Output")]
    pub limit: usize,

    /// Print JSON for scripts instead of the table.
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Time zone of the table's times: an IANA name (Europe/Paris), a fixed offset (+02:00)
    /// or UTC. --json stays in UTC.
    #[arg(
        long,
        default_value = "UTC",
        value_name = "ZONE",
        allow_hyphen_values = true,
        help_heading = "Output"
    )]
    pub tz: String,

    /// No progress line on stderr (it is only drawn on a terminal, after a second).
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,

    /// Print the wall and CPU time of each stage (ingest, dedup, attribute, usage, …) on
    /// stderr after the run.
    #[arg(long, help_heading = "Output")]
    pub timings: bool,
}

/// Where each org's allocation comes from (first match wins, in this order).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Allocation (first match wins)")]
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
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only calls at or after this time: RFC 3339, a date (its 00:00 UTC), or a span back from
    /// the run's time in days, hours or minutes (7d, 24h, 90m).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only calls before this time: RFC 3339, a date (its 00:00 UTC), or a span back (24h).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only calls in this span up to the run's time: 30d, 24h, 90m (--since run's time − SPAN).
    #[arg(long, value_name = "SPAN", conflicts_with = "since")]
    pub last: Option<String>,

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
#[command(after_help = FETCH_EXAMPLES)]
pub struct FetchArgs {
    /// Folder the logs go into (`report DIR` reads it as it is); re-runs fetch only what is new.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub out: PathBuf,

    /// TOML file of default options ([fetch] section and top level); flags given here win.
    #[arg(long, env = CONFIG_ENV, value_name = "FILE", help_heading = "Output")]
    pub config: Option<PathBuf>,

    /// No progress line on stderr (it is only drawn on a terminal).
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,

    /// Event types to download (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ApiTotalUsage,RestApi,API,ApexRestApi,BulkApiRequest,Login",
        value_name = "TYPES",
        help_heading = "What to fetch"
    )]
    pub event_types: Vec<String>,

    /// Daily files, hourly files (same-day audits) or both (the report de-duplicates them).
    #[arg(long, value_enum, default_value_t = IntervalArg::Daily, help_heading = "What to fetch")]
    pub interval: IntervalArg,

    /// Only log files of this day or later: a date, RFC 3339, or a span back from now (7d).
    /// Default: all the org still keeps.
    #[arg(long, value_name = "DATE", help_heading = "What to fetch")]
    pub since: Option<String>,

    /// A Salesforce CLI alias or username (`sf org display`); repeat for several orgs.
    #[arg(long, value_name = "ALIAS", help_heading = "Authentication")]
    pub target_org: Vec<String>,

    /// Connected app consumer key, for the JWT bearer flow (with --username and
    /// --jwt-key-file) or the client-credentials flow (secret in SF_CLIENT_SECRET).
    #[arg(long, value_name = "KEY", help_heading = "Authentication")]
    pub client_id: Option<String>,

    /// The user the JWT bearer flow runs as.
    #[arg(long, value_name = "USER", help_heading = "Authentication")]
    pub username: Option<String>,

    /// PEM private key (PKCS#8 or PKCS#1) of the connected app's certificate.
    #[arg(long, value_name = "FILE", help_heading = "Authentication")]
    pub jwt_key_file: Option<PathBuf>,

    /// OAuth login URL: https://test.salesforce.com for sandboxes, or the org's My Domain
    /// (required for client credentials).
    #[arg(
        long,
        default_value = "https://login.salesforce.com",
        value_name = "URL",
        help_heading = "Authentication"
    )]
    pub login_url: String,

    /// REST API version.
    #[arg(
        long,
        default_value = "62.0",
        value_name = "VERSION",
        help_heading = "Requests"
    )]
    pub api_version: String,

    /// Stop before making more than N API calls (each query page, download and /limits
    /// request is one call against the org's allocation).
    #[arg(long, value_name = "N", help_heading = "Requests")]
    pub max_calls: Option<u64>,

    /// Parallel downloads.
    #[arg(long, default_value_t = 4, value_name = "N", help_heading = "Requests")]
    pub jobs: usize,

    /// Attempts per request for 5xx, 429 and dropped connections (1 = no retry).
    #[arg(long, default_value_t = 5, value_name = "N", help_heading = "Requests")]
    pub attempts: u32,

    /// First retry delay in milliseconds (doubled each time, with jitter).
    #[arg(long, default_value_t = 1000, value_name = "MS", hide = true)]
    pub retry_delay_ms: u64,
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

    /// Orgs the benchmark rows are spread over, one file per org per day (1 to 1000).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        value_parser = clap::value_parser!(u16).range(1..=crate::sample::MAX_BENCH_ORGS as i64),
        requires = "bench_rows"
    )]
    pub bench_orgs: u16,

    /// Spread the benchmark rows evenly over exactly this many consecutive days per org, whatever
    /// the rows per file (1 to 3660). Without it: as many days as keep each file at most
    /// 1,000,000 rows.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..=crate::sample::MAX_BENCH_DAYS as i64),
        requires = "bench_rows"
    )]
    pub bench_days: Option<u16>,
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
