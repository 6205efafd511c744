//! The call store (`apiusage ingest --store DIR`): every normalised row, de-duplicated and
//! reconciled, kept as a Hive-partitioned Parquet dataset that nightly runs add to, and that
//! `report --store` (and DuckDB or Spark) read back.
//!
//! It sits beside the pipeline, not in it: it uses `ingest` (reading files), `dedup` (which
//! copy of a row is kept; fallback reconciliation per org-day) and `attribute` (the
//! integration key), and hands `report` an [`crate::ingest::Ingested`] equal to what reading
//! the raw files gives, so the analysis downstream is the same code.
//!
//! - [`layout`]: where files live; [`manifest`]: the snapshot and its commit;
//!   [`lock`]: one writer; [`rows`]: the data files' columns.
//! - [`commit`]: `ingest`: new sources in, changed ones replaced, touched partitions rewritten
//!   ([`rewrite`], a bounded batch of rows at a time).
//! - [`load`]: the current snapshot back as ingest's output, for `report --store`.
//! - [`maintain`]: `store info|verify|files|forget|compact`.
//!
//! Crash safety: data files are written under new names, then the manifest is renamed over
//! the old one (the commit). Files the manifest does not list are never read; the next writer
//! removes them.

pub mod commit;
pub mod layout;
pub mod load;
pub mod lock;
pub mod maintain;
pub mod manifest;
pub mod partition;
pub mod rewrite;
pub mod rows;

use std::path::Path;

pub use self::commit::{ingest, IngestSummary};
pub use self::load::load;
pub use self::manifest::Manifest;

/// What can go wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// Another process holds the writer's lock.
    #[error("{0}")]
    Busy(String),
    /// The folder is not a store, or the store's files do not match its manifest.
    #[error("{0}")]
    Corrupt(String),
    /// Reading the inputs failed as a whole (a path that does not exist).
    #[error("{0}")]
    Input(String),
}

impl StoreError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, e: &std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// The environment variable that makes a debug build abort at a named step of a write (for
/// the crash tests): `APIUSAGE_STORE_CRASH=step[:n]` aborts at the n-th (default first) time
/// the step is reached; `APIUSAGE_STORE_CRASH=pause@step` sleeps there until killed (for the
/// two-writers tests). Release builds ignore it. Steps: `locked`, `data-file-written`,
/// `before-commit`, `manifest-written` (before the rename), `committed`; and a report's
/// `snapshot-read` (its manifest read, under the readers' lock).
pub const CRASH_ENV: &str = "APIUSAGE_STORE_CRASH";

/// A step of a write at which the crash tests may abort the process.
pub fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEEN: AtomicU64 = AtomicU64::new(0);
        let Ok(want) = std::env::var(CRASH_ENV) else {
            return;
        };
        if want.strip_prefix("pause@") == Some(step) {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let (name, nth) = want
            .split_once(':')
            .map_or((want.as_str(), 1), |(n, k)| (n, k.parse().unwrap_or(1)));
        if name == step && SEEN.fetch_add(1, Ordering::SeqCst) + 1 == nth {
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// `ORGID=FILE` flags for each org's latest `/limits` response in the store, except for the
/// orgs `given` (the user's `--limits` flags) already covers.
pub fn latest_limits(dir: &Path, manifest: &Manifest, given: &[String]) -> Vec<String> {
    let mut latest: std::collections::BTreeMap<&str, &manifest::LimitsEntry> =
        std::collections::BTreeMap::new();
    for l in &manifest.limits {
        let e = latest.entry(l.org_id.as_str()).or_insert(l);
        if (l.fetched_ms, &l.path) > (e.fetched_ms, &e.path) {
            *e = l;
        }
    }
    let flags = latest
        .into_iter()
        .map(|(org, l)| format!("{org}={}", dir.join(&l.path).display()))
        .collect();
    uncovered_limits(flags, given)
}

/// The `ORGID=FILE` `flags` for orgs `given` (the user's `--limits` flags) does not cover: a
/// global `--limits FILE` covers every org, `--limits ORGID=FILE` one.
pub fn uncovered_limits(flags: Vec<String>, given: &[String]) -> Vec<String> {
    if given.iter().any(|g| !is_org_flag(g)) {
        return Vec::new();
    }
    let id = |org: &str| String::from_utf8_lossy(crate::normalize::id15(org.trim().as_bytes())).into_owned();
    let explicit: Vec<String> = given
        .iter()
        .filter_map(|g| g.split_once('='))
        .map(|(org, _)| id(org))
        .collect();
    flags
        .into_iter()
        .filter(|f| {
            f.split_once('=')
                .is_none_or(|(org, _)| !explicit.contains(&id(org)))
        })
        .collect()
}

/// Whether a `--limits` value is `ORGID=FILE` (an id of 15 or 18 letters and digits).
fn is_org_flag(flag: &str) -> bool {
    flag.split_once('=').is_some_and(|(org, _)| {
        let org = org.trim();
        (org.len() == 15 || org.len() == 18) && org.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}
