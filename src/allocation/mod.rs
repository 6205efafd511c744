//! Allocation: how many API calls each org may make per rolling 24 hours.
//!
//! Place in the pipeline: an input stage beside ingest. Ingest turns log files into calls;
//! this stage turns the user's allocation inputs (flags, `/limits` files, org profiles) into one
//! number per org. The analysis stage asks it per org ([`AllocationInputs::resolve`]) when it
//! compares peaks with allocations, and the report states the [`AllocationSource`] and
//! [`Allocation::detail`] so a reader can check where the number came from.
//!
//! # Precedence (SPEC §3.3)
//! 1. `--allocation ORGID=N`, then `--allocation N` (every org), then an explicit
//!    `allocation = N` in the org's profile entry: the user knows best (e.g. a negotiated
//!    contract or a sandbox created from a template);
//! 2. a limits file: `--limits ORGID=FILE`, then `--limits FILE` (every org). Either the body of
//!    REST `GET /services/data/vXX.X/limits` (`DailyApiRequests.Max`) or the output of
//!    `sf org list limits --json` (entry `DailyApiRequests`, `max`). This is Salesforce's own
//!    figure, so it beats our computation;
//! 3. the org profile's edition + licences + add-ons, computed with Salesforce's published rule
//!    ([`rules`], reference §3.1);
//! 4. otherwise unknown: usage is still reported, shares of the allocation are not.
//!
//! Org ids are compared in 15-character form: an 18-character id is cut to 15 (the last three
//! characters only encode case); ids of other lengths (placeholders in anonymised data) are
//! used as given, trimmed.
//!
//! # Org profile format
//! A TOML file may describe several orgs. Unknown keys, editions or licence types are errors
//! (with toml's line and the accepted names), so a typo cannot silently change the allocation.
//! ```toml
//! [[org]]
//! org_id = "00D5j000000VI3n"      # 15 or 18 characters
//! name = "Acme Production"         # optional display name
//! edition = "enterprise"           # developer | enterprise | professional | unlimited
//!                                  # | performance | full_sandbox
//! api_call_add_ons = 0             # optional, purchased API Call Add-On calls per 24 h
//! allocation = 250000              # optional explicit allocation; wins over everything
//!                                  # but --allocation
//! [org.licenses]                   # optional, licence type → count ([org.licences] also works)
//! salesforce = 15
//! salesforce_platform = 5
//!
//! [[org]]
//! org_id = "00D5j000000XYZa"
//! edition = "developer"            # 15,000 flat; licences would not count
//! ```
//! Licence keys: salesforce, salesforce_platform, lightning_platform_one_app,
//! customer_community, customer_community_login, customer_community_plus,
//! customer_community_plus_login, external_identity_25000, external_identity_250000,
//! external_identity_1000000, partner_community, partner_community_login,
//! lightning_platform_starter, lightning_platform_plus. An entry may give only `org_id` and
//! `name` (a display name, no allocation); licences or add-ons without an edition are an error.
//! `professional` means Professional Edition with API access enabled.

#![deny(missing_docs)]

mod fetched;
mod inputs;
mod limits;
mod profile;
pub mod rules;

use crate::text::thousands;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use inputs::AllocationInputs;
pub use limits::{parse_limits_json, AppQuota, LimitsDoc, LimitsFormat};
pub use profile::{parse_profile_toml, OrgProfile};
pub use rules::{computed_allocation, explain_computation, Edition, License};

/// Where an org's allocation came from (serialised `flag|limits|profile|unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationSource {
    /// `--allocation` on the command line.
    Flag,
    /// `DailyApiRequests` in a `/limits` or `sf org list limits` document.
    Limits,
    /// The org profile: explicit `allocation =` or computed from edition and licences.
    Profile,
    /// No input for this org.
    Unknown,
}

/// One org's allocation and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// Calls per rolling 24 h; `None` when unknown.
    pub calls: Option<u64>,
    /// Which input gave `calls`.
    pub source: AllocationSource,
    /// One human sentence, e.g. "Enterprise edition: 100,000 + 15 Salesforce × 1,000 = 115,000
    /// (org_profile.toml)" or "DailyApiRequests.Max = 25,000 in limits.json" or "unknown: pass
    /// --allocation N, --limits FILE or --profile FILE".
    pub detail: String,
    /// Per-connected-app quotas from `/limits` (only when `source` is `Limits`).
    pub app_quotas: Vec<AppQuota>,
    /// `Remaining` from the limits document (only when `source` is `Limits`).
    pub remaining: Option<u64>,
}

/// Salesforce's own meter at a known instant: `Max − Remaining` of a `/limits` reading that
/// `apiusage fetch` timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterReading {
    /// Calls Salesforce counted in the 24 hours before `at`.
    pub used: u64,
    /// When the reading was taken (RFC 3339).
    pub at: String,
}

impl Allocation {
    fn new(calls: u64, source: AllocationSource, detail: String) -> Self {
        Allocation {
            calls: Some(calls),
            source,
            detail,
            app_quotas: Vec::new(),
            remaining: None,
        }
    }

    /// The allocation when no input applies to an org.
    pub fn unknown() -> Self {
        Allocation {
            calls: None,
            source: AllocationSource::Unknown,
            detail: "unknown: pass --allocation N, --limits FILE or --profile FILE".to_string(),
            app_quotas: Vec::new(),
            remaining: None,
        }
    }

    /// Calls used in the 24 h before the limits document was fetched (`Max − Remaining`).
    pub fn used_at_fetch(&self) -> Option<u64> {
        Some(self.calls?.saturating_sub(self.remaining?))
    }
}

/// An allocation input that cannot be used. Messages name the file or flag and say how to fix.
#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    /// A file could not be read.
    #[error("cannot read {what} {}: {source}; check the path", .path.display())]
    Read {
        /// "limits file" or "org profile".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A limits file is not JSON.
    #[error(
        "{}: not valid JSON ({source}); expected the body of GET /services/data/vXX.X/limits \
         or the output of `sf org list limits --json`",
        .path.display()
    )]
    InvalidJson {
        /// The file.
        path: PathBuf,
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// JSON of the wrong shape (e.g. a bare number).
    #[error(
        "{}: {found} at the top level is not a limits document; expected the object from \
         GET /services/data/vXX.X/limits or the output of `sf org list limits --json`",
        .path.display()
    )]
    NotLimits {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// The file holds a failed sf CLI run.
    #[error(
        "{}: holds a failed `sf org list limits --json` run (status {status}): {message}; \
         rerun it against the org and save its output",
        .path.display()
    )]
    SfCliFailed {
        /// The file.
        path: PathBuf,
        /// The CLI's exit status.
        status: i64,
        /// The CLI's message.
        message: String,
    },
    /// A limits document without `DailyApiRequests`.
    #[error(
        "{}: no DailyApiRequests limit, so it gives no API allocation (it has: {}); save the \
         full GET /services/data/vXX.X/limits response or `sf org list limits --json` output, \
         or pass --allocation N",
        .path.display(),
        summarize_names(.found)
    )]
    MissingDailyApiRequests {
        /// The file.
        path: PathBuf,
        /// The limit names it does have, sorted.
        found: Vec<String>,
    },
    /// A limit value that is not a usable whole number.
    #[error(
        "{}: {field} is {value}, expected {expected}; fix the file or pass --allocation N",
        .path.display()
    )]
    BadLimitValue {
        /// The file.
        path: PathBuf,
        /// e.g. `DailyApiRequests.Max`.
        field: String,
        /// The JSON value found, or "missing".
        value: String,
        /// What was expected.
        expected: String,
    },
    /// An org profile that does not parse or validate (message includes the line).
    #[error("{}: invalid org profile: {message}", .path.display())]
    InvalidProfile {
        /// The file.
        path: PathBuf,
        /// toml's error (with line, column and snippet) or a validation message with its line.
        message: String,
    },
    /// A malformed `--allocation` or `--limits` value.
    #[error("{flag} {value:?}: {reason}")]
    BadFlag {
        /// `--allocation` or `--limits`.
        flag: &'static str,
        /// The raw value.
        value: String,
        /// What is wrong and the expected form.
        reason: String,
    },
    /// Two inputs of the same precedence disagree (a flag given twice, an org in two profiles).
    #[error("{0}")]
    Conflict(String),
    /// Several of the above.
    #[error("{} problems with the allocation inputs:\n{}", .0.len(), bullet_list(.0))]
    Many(Vec<AllocationError>),
}

impl AllocationError {
    /// `None` for no errors, the error itself for one, [`AllocationError::Many`] otherwise
    /// (flattened, so nesting never shows).
    pub fn collect(errors: Vec<AllocationError>) -> Option<AllocationError> {
        let mut flat: Vec<AllocationError> = errors.into_iter().flat_map(|e| e.into_list()).collect();
        match flat.len() {
            0 => None,
            1 => flat.pop(),
            _ => Some(AllocationError::Many(flat)),
        }
    }

    /// The individual errors (one, unless this is [`AllocationError::Many`]).
    pub fn into_list(self) -> Vec<AllocationError> {
        match self {
            AllocationError::Many(list) => list,
            single => vec![single],
        }
    }
}

fn bullet_list(errors: &[AllocationError]) -> String {
    let items: Vec<String> = errors
        .iter()
        .map(|e| format!("  - {}", e.to_string().replace('\n', "\n    ")))
        .collect();
    items.join("\n")
}

/// A long limits document would drown the message; the first few names show what it is.
fn summarize_names(names: &[String]) -> String {
    const SHOWN: usize = 6;
    match names.len() {
        0 => "no limits".to_string(),
        n if n <= SHOWN => names.join(", "),
        n => format!("{}, … {} more", names[..SHOWN].join(", "), n - SHOWN),
    }
}

/// An org id in the 15-character form used for comparisons: trimmed, and an 18-character id
/// (15 + a 3-character case checksum) cut to 15. Other lengths are kept as given, because
/// anonymised samples use placeholders like `MY_ORG_ID`.
pub fn normalize_org_id(org_id: &str) -> String {
    let id = org_id.trim();
    if id.len() == 18 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        id[..15].to_string()
    } else {
        id.to_string()
    }
}

impl fmt::Display for AllocationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AllocationSource::Flag => "flag",
            AllocationSource::Limits => "limits",
            AllocationSource::Profile => "profile",
            AllocationSource::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_id_18_is_truncated_to_15() {
        assert_eq!(normalize_org_id("00D5j000000VI3nEAG"), "00D5j000000VI3n");
        assert_eq!(normalize_org_id(" 00D5j000000VI3n "), "00D5j000000VI3n");
        assert_eq!(normalize_org_id("MY_ORG_ID"), "MY_ORG_ID");
        assert_eq!(normalize_org_id("00D5j000000VI3nEA"), "00D5j000000VI3nEA");
    }

    #[test]
    fn thousands_separators() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (115_000, "115,000")];
        for (n, s) in cases {
            assert_eq!(thousands(n), s);
        }
        assert_eq!(thousands(5_000_000), "5,000,000");
    }

    #[test]
    fn source_serialises_snake_case() {
        let json = serde_json::to_string(&AllocationSource::Limits).unwrap();
        assert_eq!(json, "\"limits\"");
        assert_eq!(AllocationSource::Unknown.to_string(), "unknown");
    }

    #[test]
    fn used_at_fetch_is_max_minus_remaining() {
        let mut a = Allocation::new(25_000, AllocationSource::Limits, String::new());
        assert_eq!(a.used_at_fetch(), None);
        a.remaining = Some(24_926);
        assert_eq!(a.used_at_fetch(), Some(74));
    }

    #[test]
    fn many_errors_flatten_and_indent() {
        let one = || AllocationError::Conflict("a\nb".into());
        assert!(AllocationError::collect(vec![]).is_none());
        let single = AllocationError::collect(vec![one()]).unwrap();
        assert!(matches!(single, AllocationError::Conflict(_)));
        let nested = AllocationError::Many(vec![one(), one()]);
        let all = AllocationError::collect(vec![nested, one()]).unwrap();
        assert_eq!(
            all.to_string(),
            "3 problems with the allocation inputs:\n  - a\n    b\n  - a\n    b\n  - a\n    b"
        );
    }
}
