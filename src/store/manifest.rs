//! `DIR/manifest.json`: the store's one source of truth. A data file not listed here is not
//! part of the store (an interrupted ingest, or a snapshot since replaced), is never read and
//! is removed by the next writer. The manifest is replaced atomically (a temporary file
//! renamed over it), which is the commit.
//!
//! Layout (documented for outside readers in the README, versioned by [`SCHEMA_VERSION`]):
//! `sources` (every log file ingested: identity, accounting and the partitions holding its
//! rows), `files` (the current snapshot's data files with their org, date and row counts),
//! `limits` (`/limits` responses per org, with their time) and `forgotten` (retention
//! horizons set by `store forget`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::layout;
use super::StoreError;
use crate::ingest::Format;
use crate::model::RowTally;

/// Version of the manifest and data file layout; bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest manifest read (a manifest of a year of hourly files is a few MB).
const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// The store's current snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Always `"apiusage-store"`.
    pub kind: String,
    /// Number of commits so far; data files carry the snapshot that wrote them in their name.
    pub snapshot: u64,
    /// Every source file ingested, sorted by path.
    pub sources: Vec<Source>,
    /// The current data files, sorted by path.
    pub files: Vec<DataFile>,
    /// `/limits` responses, sorted by org then time.
    pub limits: Vec<LimitsEntry>,
    /// Retention horizons: days before these are gone and stay gone.
    pub forgotten: Vec<Horizon>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            schema_version: SCHEMA_VERSION,
            kind: "apiusage-store".into(),
            snapshot: 0,
            sources: Vec::new(),
            files: Vec::new(),
            limits: Vec::new(),
            forgotten: Vec::new(),
        }
    }
}

/// One ingested log file. Its identity is `blake3` + `size`: a moved file is the same source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// Short id (the first 16 hex digits of the hash) that data rows carry as `source_id`.
    pub id: String,
    /// Where it was last seen, as given on the command line or found in a folder.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time when ingested, nanoseconds since the Unix epoch (with path and size,
    /// lets a re-run skip the file without hashing it).
    pub modified_ns: u64,
    /// BLAKE3 of the content, hex.
    pub blake3: String,
    /// How it was read.
    pub format: Format,
    /// The snapshot that ingested it.
    pub ingested_in: u64,
    /// Accounting at read time: rows read, bad, ignored while reading (unsupported types,
    /// rows before a retention horizon). Duplicates and used are in the data files' counts.
    pub at_read: RowTally,
    /// The complete accounting, `read = used + duplicates + ignored + bad`, as a report from
    /// the store shows it (recomputed at each commit).
    pub accounting: RowTally,
    /// Partitions (`org_id=…/date=…`, relative to `calls/`) holding its rows.
    pub partitions: Vec<String>,
}

/// One data file of the current snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataFile {
    /// Path relative to the store, `/`-separated.
    pub path: String,
    /// Its partition's org id (15 characters).
    pub org_id: String,
    /// Its partition's UTC date.
    pub date: String,
    /// Rows in the file (duplicates included, flagged).
    pub rows: u64,
    /// Rows with `counted = true`.
    pub counted: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 of the file, hex (`store verify` checks it).
    pub blake3: String,
    /// Its rows per source id.
    pub sources: BTreeMap<String, SourceRows>,
}

/// What one source contributes to one data file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceRows {
    /// Rows.
    pub rows: u64,
    /// Rows used (counted or not: call sources in use).
    pub used: u64,
    /// Rows that are copies of an earlier row (by source path and line).
    pub duplicates: u64,
    /// Kept rows that are not calls in use, by reason (context types, superseded fallback).
    pub ignored: BTreeMap<String, u64>,
}

/// A `/limits` response kept in the store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LimitsEntry {
    /// Org id, 15 characters.
    pub org_id: String,
    /// When it was fetched (the file's modification time), RFC 3339.
    pub fetched_at: String,
    /// The same, ms since the epoch (for ordering).
    pub fetched_ms: i64,
    /// Its copy in the store, relative path.
    pub path: String,
    /// Where it was found.
    pub source_path: String,
    /// BLAKE3 of the content, hex.
    pub blake3: String,
}

/// A retention horizon.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Horizon {
    /// The org, or every org when absent.
    pub org_id: Option<String>,
    /// Days before this date (UTC) are forgotten.
    pub before: String,
}

impl Manifest {
    /// Reads the manifest of the store at `dir`; a store without one is empty.
    pub fn read(dir: &Path) -> Result<Manifest, StoreError> {
        let path = layout::manifest(dir);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(StoreError::io(&path, &e)),
        };
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(StoreError::Corrupt(format!(
                "{}: larger than 1 GiB",
                path.display()
            )));
        }
        let bytes = fs::read(&path).map_err(|e| StoreError::io(&path, &e))?;
        let m: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?;
        if m.schema_version != SCHEMA_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{}: schema_version {} (this apiusage reads {SCHEMA_VERSION}); use a matching apiusage version",
                path.display(),
                m.schema_version
            )));
        }
        Ok(m)
    }

    /// The commit: writes the manifest to a temporary file, syncs it, renames it over the old
    /// one and syncs the folder. Before the rename the old snapshot is intact; after it, the
    /// new one is.
    pub fn commit(&self, dir: &Path) -> Result<(), StoreError> {
        let path = layout::manifest(dir);
        let tmp = dir.join(format!("{}.tmp-{}", layout::MANIFEST, std::process::id()));
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            super::crash_point("manifest-written");
            fs::rename(&tmp, &path)?;
            sync_dir(dir);
            Ok(())
        };
        write().map_err(|e| StoreError::io(&path, &e))
    }

    /// The horizon (first kept UTC day number) for `org`, if any.
    pub fn horizon(&self, org: &str) -> Option<i64> {
        self.forgotten
            .iter()
            .filter(|h| h.org_id.as_deref().is_none_or(|o| o == org))
            .filter_map(|h| layout::day_of_date(&h.before))
            .max()
    }

    /// Recomputes every source's complete accounting and partition list from the data files.
    pub fn refresh_accounting(&mut self) {
        let mut per_source: BTreeMap<&str, (RowTally, Vec<String>)> = BTreeMap::new();
        for f in &self.files {
            let part = f
                .path
                .strip_prefix(&format!("{}/", layout::CALLS))
                .unwrap_or(&f.path);
            let part = part.rsplit_once('/').map_or(part, |(p, _)| p).to_string();
            for (id, r) in &f.sources {
                let (t, parts) = per_source.entry(id.as_str()).or_default();
                t.used += r.used;
                t.duplicates += r.duplicates;
                for (k, v) in &r.ignored {
                    *t.ignored.entry(k.clone()).or_default() += v;
                }
                if parts.last() != Some(&part) {
                    parts.push(part.clone());
                }
            }
        }
        let computed: BTreeMap<String, (RowTally, Vec<String>)> =
            per_source.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        for s in &mut self.sources {
            let mut total = s.at_read.clone();
            let (t, mut parts) = computed.get(&s.id).cloned().unwrap_or_default();
            total.merge(t);
            parts.sort();
            parts.dedup();
            s.accounting = total;
            s.partitions = parts;
        }
    }
}

/// Makes a rename durable (best effort: not every platform can sync a folder).
pub fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}
