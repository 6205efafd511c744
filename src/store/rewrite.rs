//! The partitions one commit rewrites, batch by batch.
//!
//! `ingest` reads its new sources a batch at a time (see [`BATCH_ROWS`]), so its memory is
//! bounded by a batch, not by everything it is given. Each batch rewrites the org-days its rows
//! fall in; an org-day that a later batch of the same commit touches again is rewritten once
//! more from the file the earlier batch wrote, which is then removed. None of these files is
//! listed until the manifest is committed, so a crash in between leaves the last snapshot as it
//! was (the next writer removes what is left).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::commit::{partition_key, partition_of};
use super::layout;
use super::manifest::{sync_dir, DataFile, Manifest};
use super::partition::{self, Ranks};
use super::rows;
use super::StoreError;
use crate::ingest;
use crate::model::Calls;

/// Rows read before the batch's partitions are written (about 40 bytes each in memory, plus
/// their strings): the bound on a large ingest's memory, whatever its size.
pub const BATCH_ROWS: u64 = 4_000_000;

/// [`BATCH_ROWS`], or in a debug build the `APIUSAGE_STORE_BATCH_ROWS` variable (for tests
/// that need several batches from a few rows).
pub fn batch_rows() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("APIUSAGE_STORE_BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    BATCH_ROWS
}

/// For each new org-day: (part index, its rows in that part).
pub type NewRows = BTreeMap<(String, i64), Vec<(usize, Vec<usize>)>>;

/// Groups the rows of `parts` by org-day.
pub fn group_by_partition(parts: &[Calls]) -> NewRows {
    let mut out: NewRows = BTreeMap::new();
    for (p, calls) in parts.iter().enumerate() {
        let mut by: BTreeMap<(u32, i64), Vec<usize>> = BTreeMap::new();
        for i in 0..calls.len() {
            by.entry((calls.shape_of(i).org, layout::day_of(calls.ts[i])))
                .or_default()
                .push(i);
        }
        for ((org, day), rows) in by {
            out.entry((calls.strings.get(org).to_string(), day))
                .or_default()
                .push((p, rows));
        }
    }
    out
}

/// The data files this commit has written so far.
pub struct Writes<'a> {
    dir: &'a Path,
    snapshot: u64,
    ranks: &'a Ranks,
    /// Per partition key: its new file (`None`: the partition has no rows left).
    files: BTreeMap<String, Option<DataFile>>,
    /// Data files written so far (they are numbered in the snapshot).
    written: usize,
}

/// One partition to rewrite: its key, org, UTC day and current data files.
struct Job {
    key: String,
    org: String,
    day: i64,
    current: Vec<DataFile>,
}

impl<'a> Writes<'a> {
    /// Nothing written yet, for snapshot `snapshot`; `ranks` orders every source the snapshot
    /// may hold.
    pub fn new(dir: &'a Path, snapshot: u64, ranks: &'a Ranks) -> Self {
        Writes {
            dir,
            snapshot,
            ranks,
            files: BTreeMap::new(),
            written: 0,
        }
    }

    /// Rewrites the partitions `touched` (keys) and those `new_rows` falls in, each from its
    /// current file(s) (this commit's, else the snapshot's) less the rows of the `removed`
    /// sources, plus its new rows from `parts`.
    pub fn rewrite(
        &mut self,
        manifest: &Manifest,
        touched: &BTreeSet<String>,
        removed: &BTreeSet<String>,
        parts: &[Calls],
        new_rows: &NewRows,
    ) -> Result<(), StoreError> {
        let jobs = self.jobs(manifest, touched, new_rows);
        let first = self.written;
        self.written += jobs.len();
        let results: Vec<Result<Option<DataFile>, StoreError>> = jobs
            .par_iter()
            .enumerate()
            .map(|(n, job)| self.write_one(job, first + n, removed, parts, new_rows))
            .collect();
        let mut superseded: Vec<PathBuf> = Vec::new();
        for (job, result) in jobs.iter().zip(results) {
            let file = result?;
            if let Some(Some(old)) = self.files.insert(job.key.clone(), file) {
                superseded.push(self.dir.join(&old.path));
            }
        }
        for path in superseded {
            // Written by this commit and never listed: ours to remove.
            let _ = fs::remove_file(path);
        }
        Ok(())
    }

    /// One job per partition in `touched` or in `new_rows`, with its current files: this
    /// commit's file when an earlier batch wrote one, else the snapshot's (found in one pass
    /// over the manifest, however many partitions there are).
    fn jobs(&self, manifest: &Manifest, touched: &BTreeSet<String>, new_rows: &NewRows) -> Vec<Job> {
        let mut wanted: BTreeMap<String, (String, i64)> = BTreeMap::new();
        for (org, day) in new_rows.keys() {
            wanted.insert(partition_key(org, *day), (org.clone(), *day));
        }
        let mut stored: BTreeMap<String, Vec<DataFile>> = BTreeMap::new();
        for f in &manifest.files {
            let key = partition_of(&f.path);
            if touched.contains(&key) || wanted.contains_key(&key) {
                let day = layout::day_of_date(&f.date).unwrap_or_default();
                wanted.entry(key.clone()).or_insert((f.org_id.clone(), day));
                stored.entry(key).or_default().push(f.clone());
            }
        }
        wanted
            .into_iter()
            .map(|(key, (org, day))| {
                let current = match self.files.get(&key) {
                    Some(mine) => mine.iter().cloned().collect(),
                    None => stored.remove(&key).unwrap_or_default(),
                };
                Job {
                    key,
                    org,
                    day,
                    current,
                }
            })
            .collect()
    }

    fn write_one(
        &self,
        job: &Job,
        n: usize,
        removed: &BTreeSet<String>,
        parts: &[Calls],
        new_rows: &NewRows,
    ) -> Result<Option<DataFile>, StoreError> {
        let mut current = ingest::Concat::new(Calls::default());
        for f in &job.current {
            let read = rows::read(&self.dir.join(&f.path), &job.org)?;
            // A file's few sources are looked up once each, not once per row.
            let gone: Vec<bool> = read.calls.files.iter().map(|id| removed.contains(id)).collect();
            let keep: Vec<bool> = read.calls.file.iter().map(|&f| !gone[f as usize]).collect();
            let mut c = read.calls;
            c.retain_rows(&keep);
            current.append(vec![c]);
        }
        let mut calls = current.finish();
        if let Some(pieces) = new_rows.get(&(job.org.clone(), job.day)) {
            for (p, rows) in pieces {
                ingest::merge_rows(&mut calls, &parts[*p], rows);
            }
        }
        partition::order_by_source(&mut calls, self.ranks);
        let rel = layout::data_file(&job.org, job.day, self.snapshot, n);
        Ok(partition::write(self.dir, &rel, &job.org, job.day, &calls, self.ranks)?.file)
    }

    /// Whether anything was written.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The partitions rewritten and their files (synced to disk): the manifest's files for
    /// these partitions are replaced by them.
    pub fn finish(self) -> (BTreeSet<String>, Vec<DataFile>) {
        let touched: BTreeSet<String> = self.files.keys().cloned().collect();
        let files: Vec<DataFile> = self.files.into_values().flatten().collect();
        for f in &files {
            if let Some(parent) = self.dir.join(&f.path).parent() {
                sync_dir(parent);
            }
        }
        (touched, files)
    }
}
