//! The current snapshot read back as ingest's output, so `report --store` runs the very same
//! `dedup` → … → render stages as a report over the raw files and gets the same numbers.
//!
//! Every stored row comes back (duplicates too), with its source's path and line, ordered by
//! (source path, line) as discovery orders raw files; each source comes back with its
//! read-time accounting, and `dedup` completes it exactly as it does for raw files.

use std::path::Path;

use rayon::prelude::*;

use super::manifest::Manifest;
use super::partition;
use super::rows;
use super::StoreError;
use crate::ingest::{self, FileReport, Ingested};
use crate::model::Calls;

/// Reads the snapshot of the store at `dir` (no lock: a snapshot is immutable once
/// committed).
pub fn load(dir: &Path) -> Result<(Ingested, Manifest), StoreError> {
    let manifest = Manifest::read(dir)?;
    let parts: Vec<Result<Calls, StoreError>> = manifest
        .files
        .par_iter()
        .map(|f| rows::read(&dir.join(&f.path), &f.org_id).map(|r| r.calls))
        .collect();
    let mut calls = Calls::default();
    for part in parts {
        ingest::merge(&mut calls, part?);
    }
    let ranks = partition::ranks(manifest.sources.iter().map(|s| (s.id.as_str(), s.path.as_str())));
    partition::order_by_source(&mut calls, &ranks);
    // `files` are source ids in rank order; reports name sources by path.
    let by_id: rustc_hash::FxHashMap<&str, &super::manifest::Source> =
        manifest.sources.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut files = Vec::with_capacity(calls.files.len());
    for id in &mut calls.files {
        let source = by_id[id.as_str()];
        files.push(FileReport {
            path: source.path.clone(),
            format: source.format,
            rows: source.at_read.clone(),
        });
        id.clone_from(&source.path);
    }
    let ingested = Ingested {
        calls,
        files,
        ..Ingested::default()
    };
    Ok((ingested, manifest))
}
