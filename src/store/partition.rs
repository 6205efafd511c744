//! One org-day partition, recomputed: which rows are duplicates and which fallback rows are
//! superseded (both by `dedup`, the one place those rules live), each row's integration key
//! (by `attribute`), and what each source contributes, then written as one data file.
//!
//! Duplicates share a timestamp and reconciliation is per UTC day, so an org-day is complete
//! on its own: recomputing only the partitions a commit touches gives the same flags as
//! ingesting everything at once, provided rows are ordered by (source path, line) first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::layout;
use super::manifest::{DataFile, SourceRows};
use super::rows::{self, Annotated};
use super::StoreError;
use crate::attribute::{self, IntegrationMap};
use crate::dedup;
use crate::ingest::{FileReport, Format, Ingested};
use crate::model::{flags, Calls, Role, RowTally};

/// The sources of a snapshot in (path) order: source id → (rank, path).
pub type Ranks = FxHashMap<String, (usize, String)>;

/// Ranks sources by path the way discovery orders files, so the copy of a duplicate kept is
/// the one a report over the raw files keeps.
pub fn ranks<'a>(sources: impl Iterator<Item = (&'a str, &'a str)>) -> Ranks {
    let mut v: Vec<(&str, &str)> = sources.collect();
    v.sort_by(|a, b| PathBuf::from(a.1).cmp(&PathBuf::from(b.1)).then(a.0.cmp(b.0)));
    v.into_iter()
        .enumerate()
        .map(|(rank, (id, path))| (id.to_string(), (rank, path.to_string())))
        .collect()
}

/// Re-indexes `calls.file` by rank (`calls.files` are source ids on entry; on return they are
/// every ranked source's id, in rank order) and orders the rows by (rank, line).
pub fn order_by_source(calls: &mut Calls, ranks: &Ranks) {
    let rank_of: Vec<u32> = calls
        .files
        .iter()
        .map(|id| ranks.get(id).map_or(u32::MAX, |r| r.0 as u32))
        .collect();
    for f in &mut calls.file {
        *f = rank_of[*f as usize];
    }
    let mut ids: Vec<(usize, String)> = ranks.iter().map(|(id, (r, _))| (*r, id.clone())).collect();
    ids.sort();
    calls.files = ids.into_iter().map(|(_, id)| id).collect();
    let mut order: Vec<u32> = (0..calls.len() as u32).collect();
    // Stable, so rows that share a (source, line) (none should) keep their order.
    order.par_sort_by_key(|&i| (u64::from(calls.file[i as usize]) << 32) | u64::from(calls.line[i as usize]));
    calls.gather(&order);
}

/// The result of recomputing one partition.
pub struct Recomputed {
    /// The data file written, or `None` when the partition has no rows left.
    pub file: Option<DataFile>,
}

/// Recomputes the rows of one org-day (`calls`, ordered by [`order_by_source`]) and writes
/// them as the data file `rel` of the store at `dir`.
pub fn write(
    dir: &Path,
    rel: &str,
    org: &str,
    day: i64,
    calls: &Calls,
    ranks: &Ranks,
) -> Result<Recomputed, StoreError> {
    if calls.is_empty() {
        return Ok(Recomputed { file: None });
    }
    let (duplicate, superseded) = reconcile(calls);
    let attribution = attribute::attribute(calls, &IntegrationMap::default());
    let integration: Vec<String> = attribution
        .of_shape
        .iter()
        .map(|&i| attribution.integrations[i as usize].key.clone())
        .collect();
    let mut paths: Vec<String> = vec![String::new(); calls.files.len()];
    for (id, (rank, path)) in ranks {
        if let Some(slot) = paths.get_mut(*rank) {
            debug_assert_eq!(&calls.files[*rank], id);
            slot.clone_from(path);
        }
    }
    let mut order: Vec<usize> = (0..calls.len()).collect();
    order.sort_by_key(|&i| (calls.ts[i], calls.file[i], calls.line[i]));
    let annotated = Annotated {
        calls,
        order: &order,
        duplicate: &duplicate,
        superseded: &superseded,
        integration: &integration,
        source_paths: &paths,
    };
    let path = dir.join(rel);
    let bytes = rows::write(&path, &annotated)?;
    let blake3 = hash_file(&path)?;
    super::crash_point("data-file-written");
    let counted = (0..calls.len()).filter(|&i| annotated.counted(i)).count() as u64;
    Ok(Recomputed {
        file: Some(DataFile {
            path: layout::relative(rel),
            org_id: org.to_string(),
            date: layout::date_of_day(day),
            rows: calls.len() as u64,
            counted,
            bytes,
            blake3,
            sources: per_source(calls, &duplicate, &superseded),
        }),
    })
}

/// Per row: a duplicate, a superseded fallback row, as `dedup` decides them.
fn reconcile(calls: &Calls) -> (Vec<bool>, Vec<bool>) {
    let files = calls
        .files
        .iter()
        .map(|id| FileReport {
            path: id.clone(),
            format: Format::Csv,
            rows: RowTally::default(),
        })
        .collect();
    let table = dedup::reconcile(Ingested {
        calls: calls.clone(),
        files,
        ..Ingested::default()
    });
    let kept: FxHashMap<(u32, u32), u8> = (0..table.calls.len())
        .map(|i| ((table.calls.file[i], table.calls.line[i]), table.calls.flags[i]))
        .collect();
    let mut duplicate = vec![false; calls.len()];
    let mut superseded = vec![false; calls.len()];
    for i in 0..calls.len() {
        match kept.get(&(calls.file[i], calls.line[i])) {
            Some(f) => superseded[i] = f & flags::SUPERSEDED != 0,
            None => duplicate[i] = true,
        }
    }
    (duplicate, superseded)
}

/// What each source contributes to the partition, with the accounting `dedup` gives a report.
fn per_source(calls: &Calls, duplicate: &[bool], superseded: &[bool]) -> BTreeMap<String, SourceRows> {
    let mut out: BTreeMap<String, SourceRows> = BTreeMap::new();
    for i in 0..calls.len() {
        let r = out
            .entry(calls.files[calls.file[i] as usize].clone())
            .or_default();
        r.rows += 1;
        let event = calls.event_of(i);
        if duplicate[i] {
            r.duplicates += 1;
        } else if event.role() == Role::Context {
            *r.ignored.entry(dedup::context_reason(event)).or_default() += 1;
        } else if superseded[i] {
            *r.ignored.entry(dedup::SUPERSEDED.to_string()).or_default() += 1;
        } else {
            r.used += 1;
        }
    }
    out
}

/// BLAKE3 of a file, hex.
pub fn hash_file(path: &Path) -> Result<String, StoreError> {
    let mut h = blake3::Hasher::new();
    h.update_reader(std::fs::File::open(path).map_err(|e| StoreError::io(path, &e))?)
        .map_err(|e| StoreError::io(path, &e))?;
    Ok(h.finalize().to_hex().to_string())
}
