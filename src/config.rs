//! The validated configuration of a `report` run, built from the command line in one place.
//!
//! Every problem with the arguments is collected, so the user fixes them all in one go. The
//! stages downstream receive only the parts they need (thresholds, filter, allocation inputs).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::allocation::AllocationInputs;
use crate::attribute::IntegrationMap;
use crate::cli::{AllocationArgs, FailOn, FetchArgs, FilterArgs, IntervalArg, ReportArgs, TopArgs};
use crate::dedup::Filter;
use crate::fetch;
use crate::findings::{self, Thresholds};
use crate::normalize;
use crate::recommend;
pub use crate::relative::parse_time;
use crate::relative::{parse_bound, parse_span};
use crate::render::chart::{ChartFormats, ChartOptions};
use crate::render::RenderOptions;

/// Everything a `report` run needs.
#[derive(Debug)]
pub struct ReportConfig {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Allocation sources, loaded.
    pub allocation: AllocationInputs,
    /// Integration renames and merges.
    pub integrations: IntegrationMap,
    /// Finding thresholds.
    pub thresholds: Thresholds,
    /// Call filter.
    pub filter: Filter,
    /// Finding kinds that make the exit status 1.
    pub fail_on: Vec<FailOn>,
    /// Bad rows make the exit status 2.
    pub strict: bool,
    /// The report's timestamp.
    pub generated_at: DateTime<Utc>,
    /// Chart formats and display offset.
    pub render: RenderOptions,
    /// Recommendation settings.
    pub recommend: recommend::Settings,
    /// `--store`: report from this call store.
    pub store: Option<PathBuf>,
    /// `--aggregates OUT`: a Spark output to render instead of calls.
    pub aggregates: Option<PathBuf>,
    /// `--timings`: print each stage's wall and CPU time on stderr.
    pub timings: bool,
    /// `--quiet`: no progress line.
    pub quiet: bool,
    /// `--wait`: wait for another writer of the store.
    pub wait: bool,
    /// The allocation flags as given (a store's `/limits` history is added to them).
    pub allocation_args: AllocationArgs,
    /// `--report-url`: the link at the end of `digest.md`.
    pub report_url: Option<String>,
}

/// One or more problems with the arguments.
#[derive(Debug, thiserror::Error)]
#[error("invalid arguments:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl ReportConfig {
    /// Validates `args`; `now` is used when `--generated-at` is not given.
    pub fn from_args(args: ReportArgs, now: DateTime<Utc>) -> Result<ReportConfig, ConfigError> {
        let mut errors = Vec::new();
        let thresholds = Thresholds {
            chatty_ppm: share("--chatty-share", &args.chatty_share, &mut errors),
            warn_ppm: share("--warn-share", &args.warn_share, &mut errors),
        };
        let generated_at = match &args.generated_at {
            Some(s) => parse_time(s).unwrap_or_else(|e| {
                errors.push(format!("--generated-at: {e}"));
                now
            }),
            None => now,
        };
        // Relative ranges count back from the report's own time, so a pinned --generated-at
        // pins them too.
        let filter = filter(&args.filter, generated_at, &mut errors);
        let allocation = allocation(&args.allocation, &args.paths, &mut errors);
        let integrations = integrations(args.integrations.as_deref(), &mut errors);
        let render = render_options(&args, &mut errors);
        let allocation_args = args.allocation.clone();
        let recommend = recommend::Settings {
            min_api_version: api_version(args.min_api_version, &mut errors),
        };
        if !errors.is_empty() {
            return Err(ConfigError(errors));
        }
        Ok(ReportConfig {
            paths: args.paths,
            out: args.out,
            allocation,
            integrations,
            thresholds,
            filter,
            fail_on: args.fail_on,
            strict: args.strict,
            generated_at,
            render,
            recommend,
            store: args.store,
            aggregates: args.aggregates,
            timings: args.timings,
            quiet: args.quiet,
            wait: args.wait,
            allocation_args,
            report_url: args.report_url,
        })
    }
}

/// Everything a `top` run needs: the report's inputs, allocation, mapping and filters, without
/// the output options.
#[derive(Debug)]
pub struct TopConfig {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// Allocation sources, loaded.
    pub allocation: AllocationInputs,
    /// Integration renames and merges.
    pub integrations: IntegrationMap,
    /// Finding thresholds (only the chatty share is shown).
    pub thresholds: Thresholds,
    /// Call filter.
    pub filter: Filter,
    /// Integrations shown per org (0: all).
    pub limit: usize,
    /// JSON instead of the table.
    pub json: bool,
    /// `--tz`: the table's display zone.
    pub zone: crate::render::zone::DisplayZone,
    /// `--timings`: print each stage's wall and CPU time on stderr.
    pub timings: bool,
    /// `--quiet`: no progress line.
    pub quiet: bool,
}

impl TopConfig {
    /// Validates `args`; relative ranges count back from `now`.
    pub fn from_args(args: TopArgs, now: DateTime<Utc>) -> Result<TopConfig, ConfigError> {
        let mut errors = Vec::new();
        let thresholds = Thresholds {
            chatty_ppm: share("--chatty-share", &args.chatty_share, &mut errors),
            ..Thresholds::default()
        };
        let filter = filter(&args.filter, now, &mut errors);
        let allocation = allocation(&args.allocation, &args.paths, &mut errors);
        let integrations = integrations(args.integrations.as_deref(), &mut errors);
        let zone = crate::render::zone::DisplayZone::parse(&args.tz).unwrap_or_else(|e| {
            errors.push(e);
            crate::render::zone::DisplayZone::Utc
        });
        if !errors.is_empty() {
            return Err(ConfigError(errors));
        }
        Ok(TopConfig {
            zone,
            paths: args.paths,
            allocation,
            integrations,
            thresholds,
            filter,
            limit: args.limit,
            json: args.json,
            timings: args.timings,
            quiet: args.quiet,
        })
    }
}

/// Validates `fetch` arguments; `auth` carries the environment's tokens (read by the caller),
/// and a relative `--since` (`7d`) counts back from `now`.
pub fn fetch_settings(
    args: FetchArgs,
    auth: fetch::auth::AuthInputs,
    now: DateTime<Utc>,
) -> Result<fetch::Settings, ConfigError> {
    let mut errors = Vec::new();
    for t in &args.event_types {
        if !fetch::layout::is_plain(t) {
            errors.push(format!(
                "--event-types: {t:?} is not an event type name (e.g. ApiTotalUsage, Login)"
            ));
        }
    }
    if args.event_types.is_empty() {
        errors.push("--event-types: give at least one event type".into());
    }
    let since = args.since.as_deref().and_then(|s| {
        parse_bound(s, now)
            .map_err(|e| errors.push(format!("--since: {e}")))
            .ok()
    });
    if args.jobs == 0 || args.jobs > 32 {
        errors.push(format!("--jobs {}: give 1 to 32 parallel downloads", args.jobs));
    }
    if args.attempts == 0 || args.attempts > 20 {
        errors.push(format!("--attempts {}: give 1 to 20", args.attempts));
    }
    if args.max_calls == Some(0) {
        errors.push("--max-calls 0: fetch needs at least one call".into());
    }
    let version_ok = args.api_version.split_once('.').is_some_and(|(a, b)| {
        a.parse::<u32>().is_ok_and(|v| v >= 37) && b.chars().all(|c| c.is_ascii_digit()) && !b.is_empty()
    });
    if !version_ok {
        errors.push(format!(
            "--api-version {}: give a REST API version such as 62.0 (37.0 or later, for Interval)",
            args.api_version
        ));
    }
    if !errors.is_empty() {
        return Err(ConfigError(errors));
    }
    let intervals = match args.interval {
        IntervalArg::Daily => vec!["Daily"],
        IntervalArg::Hourly => vec!["Hourly"],
        IntervalArg::Both => vec!["Daily", "Hourly"],
    };
    let mut event_types = args.event_types;
    event_types.dedup();
    Ok(fetch::Settings {
        out: args.out,
        event_types,
        intervals,
        since,
        auth: fetch::auth::AuthInputs {
            target_orgs: args.target_org,
            client_id: args.client_id,
            username: args.username,
            jwt_key_file: args.jwt_key_file,
            login_url: args.login_url,
            ..auth
        },
        api_version: args.api_version,
        max_calls: args.max_calls,
        jobs: args.jobs,
        quiet: args.quiet,
        retry: fetch::http::Retry {
            attempts: args.attempts,
            base: std::time::Duration::from_millis(args.retry_delay_ms),
        },
    })
}

/// The allocation flags and files, then what the fetch folders among `paths` hold.
fn allocation(args: &AllocationArgs, paths: &[PathBuf], errors: &mut Vec<String>) -> AllocationInputs {
    AllocationInputs::load(&args.allocation, &args.limits, &args.profile)
        .and_then(|inputs| inputs.add_fetch_folders(paths))
        .unwrap_or_else(|e| {
            errors.push(e.to_string());
            AllocationInputs::default()
        })
}

fn integrations(path: Option<&std::path::Path>, errors: &mut Vec<String>) -> IntegrationMap {
    let Some(path) = path else {
        return IntegrationMap::default();
    };
    IntegrationMap::load(path).unwrap_or_else(|e| {
        errors.push(e);
        IntegrationMap::default()
    })
}

fn render_options(args: &ReportArgs, errors: &mut Vec<String>) -> RenderOptions {
    let formats = ChartFormats::parse(&args.charts).unwrap_or_else(|e| {
        errors.push(e);
        ChartFormats::default()
    });
    let zone = crate::render::zone::DisplayZone::parse(&args.tz).unwrap_or_else(|e| {
        errors.push(e);
        crate::render::zone::DisplayZone::Utc
    });
    RenderOptions {
        charts: ChartOptions {
            formats,
            zone,
            png_scale: chart_scale(args.chart_scale, errors),
        },
    }
}

fn chart_scale(value: u32, errors: &mut Vec<String>) -> u32 {
    if !(1..=4).contains(&value) {
        errors.push(format!(
            "--chart-scale {value}: give 1 (the default), 2 for slides, 3 or 4"
        ));
    }
    value
}

fn api_version(value: f64, errors: &mut Vec<String>) -> f64 {
    if !(1.0..=1000.0).contains(&value) {
        errors.push(format!(
            "--min-api-version {value}: give an API version such as 31.0"
        ));
    }
    value
}

/// A share flag in parts per million, parsed exactly (see [`findings::parse_share_ppm`]).
fn share(flag: &str, value: &str, errors: &mut Vec<String>) -> u32 {
    findings::parse_share_ppm(value).unwrap_or_else(|e| {
        errors.push(format!(
            "{flag} {value}: {e}; give a share of the allocation above 0 and at most 1, such as 0.5 (50 %)"
        ));
        0
    })
}

/// The call filter; relative bounds (`7d`, `--last 30d`) count back from `anchor`.
fn filter(args: &FilterArgs, anchor: DateTime<Utc>, errors: &mut Vec<String>) -> Filter {
    let mut bound = |flag: &str, value: &Option<String>| {
        value.as_ref().and_then(|s| match parse_bound(s, anchor) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(e) => {
                errors.push(format!("{flag}: {e}"));
                None
            }
        })
    };
    let since = bound("--since", &args.since);
    let until = bound("--until", &args.until);
    // clap rejects --last together with --since, so at most one of them is set.
    let since = since.or_else(|| last(args.last.as_deref()?, anchor, errors));
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            errors.push("--since must be before --until".into());
        }
    }
    let orgs = args
        .org
        .iter()
        .map(|o| String::from_utf8_lossy(normalize::id15(o.as_bytes())).into_owned())
        .collect();
    Filter { since, until, orgs }
}

/// `--last SPAN`: the start of the span that ends at `anchor` (only spans, not dates).
fn last(span: &str, anchor: DateTime<Utc>, errors: &mut Vec<String>) -> Option<i64> {
    match parse_span(span) {
        Ok(Some(d)) => Some((anchor - d).timestamp_millis()),
        Ok(None) => {
            errors.push(format!(
                "--last: `{span}` is not a span; give days, hours or minutes (30d, 24h, 90m), or use --since for a date"
            ));
            None
        }
        Err(e) => {
            errors.push(format!("--last: {e}"));
            None
        }
    }
}
