//! The validated configuration of a `report` run, built from the command line in one place.
//!
//! Every problem with the arguments is collected, so the user fixes them all in one go. The
//! stages downstream receive only the parts they need (thresholds, filter, allocation inputs).

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};

use crate::allocation::AllocationInputs;
use crate::attribute::IntegrationMap;
use crate::cli::{FailOn, FilterArgs, ReportArgs};
use crate::dedup::Filter;
use crate::findings::Thresholds;
use crate::normalize;

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
            chatty_share: share("--chatty-share", args.chatty_share, &mut errors),
            warn_share: share("--warn-share", args.warn_share, &mut errors),
        };
        let filter = filter(&args.filter, &mut errors);
        let generated_at = match &args.generated_at {
            Some(s) => parse_time(s).unwrap_or_else(|e| {
                errors.push(format!("--generated-at: {e}"));
                now
            }),
            None => now,
        };
        let allocation = AllocationInputs::load(
            &args.allocation.allocation,
            &args.allocation.limits,
            &args.allocation.profile,
        )
        .unwrap_or_else(|e| {
            errors.push(e.to_string());
            AllocationInputs::default()
        });
        let integrations = match &args.integrations {
            Some(path) => IntegrationMap::load(path).unwrap_or_else(|e| {
                errors.push(e);
                IntegrationMap::default()
            }),
            None => IntegrationMap::default(),
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
        })
    }
}

fn share(flag: &str, value: f64, errors: &mut Vec<String>) -> f64 {
    if !(value > 0.0 && value <= 10.0) {
        errors.push(format!(
            "{flag} {value}: give a share of the allocation such as 0.5 (50 %)"
        ));
    }
    value
}

fn filter(args: &FilterArgs, errors: &mut Vec<String>) -> Filter {
    let mut bound = |flag: &str, value: &Option<String>| {
        value.as_ref().and_then(|s| match parse_time(s) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(e) => {
                errors.push(format!("{flag}: {e}"));
                None
            }
        })
    };
    let since = bound("--since", &args.since);
    let until = bound("--until", &args.until);
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

/// Parses RFC 3339 (`2026-11-02T10:00:00Z`) or a date (`2026-11-02`, its 00:00 UTC).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("`{s}` is not an RFC 3339 time (2026-11-02T10:00:00Z) or a date (2026-11-02)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_dates() {
        assert_eq!(
            parse_time("2026-11-02").unwrap().to_rfc3339(),
            "2026-11-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-02T12:00:00+02:00").unwrap().to_rfc3339(),
            "2026-11-02T10:00:00+00:00"
        );
        assert!(parse_time("02/11/2026").unwrap_err().contains("RFC 3339"));
    }
}
