//! Where things live inside a call store. One place for every path, so the README's layout
//! and the code cannot drift apart.
//!
//! ```text
//! DIR/.apiusage/marker.json        the store marker (kind "store"): discovery skips DIR
//! DIR/.apiusage/lock               held by the one writer (OS advisory lock)
//! DIR/.apiusage/readers            held (shared) by readers of a snapshot
//! DIR/manifest.json                the current snapshot: sources, data files, limits, horizons
//! DIR/calls/org_id=<org>/date=<YYYY-MM-DD>/part-<snapshot>-<n>.parquet
//! DIR/limits/<org>/<fetched ms>-<hash>.json   /limits responses found among the inputs
//! ```

use std::path::{Path, PathBuf};

use crate::marker;
use crate::model::Millis;
use crate::window::WINDOW_MS;

/// The manifest's file name, directly in the store folder (readers outside apiusage find it
/// without knowing about `.apiusage/`).
pub const MANIFEST: &str = "manifest.json";

/// The data folder.
pub const CALLS: &str = "calls";

/// The folder of stored `/limits` responses.
pub const LIMITS: &str = "limits";

/// Prefix of every data file apiusage writes (only such files are ever removed).
pub const PART_PREFIX: &str = "part-";

/// The manifest path.
pub fn manifest(dir: &Path) -> PathBuf {
    dir.join(MANIFEST)
}

/// The readers' lock file path.
pub fn readers(dir: &Path) -> PathBuf {
    dir.join(marker::DIR).join("readers")
}

/// The lock file path.
pub fn lock(dir: &Path) -> PathBuf {
    dir.join(marker::DIR).join("lock")
}

/// The UTC day number of a timestamp (days since 1970-01-01), as reconciliation uses it.
pub fn day_of(ts: Millis) -> i64 {
    ts.div_euclid(WINDOW_MS)
}

/// `YYYY-MM-DD` of a UTC day number.
pub fn date_of_day(day: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(day.saturating_mul(86_400), 0)
        .map_or_else(|| format!("day{day}"), |t| t.format("%Y-%m-%d").to_string())
}

/// The UTC day number of `YYYY-MM-DD`.
pub fn day_of_date(date: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp().div_euclid(86_400))
}

/// A partition folder value, escaped the way Hive does (`%XX` for anything but letters,
/// digits, `-` and `_`), so a hostile org id cannot leave the store.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The partition folder of an org-day, relative to the store.
pub fn partition(org: &str, day: i64) -> String {
    format!("{CALLS}/org_id={}/date={}", escape(org), date_of_day(day))
}

/// A new data file's path, relative to the store: unique per snapshot and index.
pub fn data_file(org: &str, day: i64, snapshot: u64, n: usize) -> String {
    format!("{}/{PART_PREFIX}{snapshot:08}-{n}.parquet", partition(org, day))
}

/// A stored `/limits` response's path, relative to the store.
pub fn limits_file(org: &str, fetched_at: Millis, hash: &str) -> String {
    format!(
        "{LIMITS}/{}/{fetched_at}-{}.json",
        escape(org),
        &hash[..16.min(hash.len())]
    )
}

/// Relative store path → `/`-separated text, as the manifest spells it.
pub fn relative(rel: &str) -> String {
    rel.replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_hive_style_and_escaped() {
        let day = day_of_date("2026-11-02").unwrap();
        assert_eq!(date_of_day(day), "2026-11-02");
        assert_eq!(
            partition("00D5j000000abcd", day),
            "calls/org_id=00D5j000000abcd/date=2026-11-02"
        );
        assert_eq!(escape("../x y"), "%2E%2E%2Fx%20y");
        assert_eq!(day_of(-1), -1);
    }
}
