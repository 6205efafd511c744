//! The current snapshot read back as ingest's output, so `report --store` runs the very same
//! `dedup` → … → render stages as a report over the raw files and gets the same numbers.
//!
//! Every stored row comes back (duplicates too), with its source's path and line, ordered by
//! (source path, line) as discovery orders raw files; each source comes back with its
//! read-time accounting, and `dedup` completes it exactly as it does for raw files.
//!
//! A report reads the store a group of orgs at a time ([`org_groups`], [`load_orgs`]), so its
//! memory is bounded by a group, not by the store; the sources' read-time accounting is then
//! added once ([`sources`]), and orgs left out by `--org` are accounted from the manifest
//! ([`unselected_accounting`]).

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use super::manifest::{DataFile, Manifest};
use super::partition;
use super::rows;
use super::StoreError;
use crate::attribute::{self, Census, IntegrationMap};
use crate::dedup::{Filter, OTHER_ORG};
use crate::ingest::{Concat, FileReport, Ingested};
use crate::model::{Calls, RowTally};

/// Reads the snapshot of the store at `dir` (no lock: a snapshot is immutable once
/// committed).
pub fn load(dir: &Path) -> Result<(Ingested, Manifest), StoreError> {
    let manifest = Manifest::read(dir)?;
    let mut ingested = read_files(dir, &manifest, |_| true)?;
    for (file, source) in ingested.files.iter_mut().zip(sources(&manifest)) {
        file.rows = source.rows;
    }
    Ok((ingested, manifest))
}

/// The rows of the orgs `orgs` only, with every source of the snapshot listed in `files` (in
/// the order of [`sources`]) and zero read-time accounting, for `dedup` to add to.
pub fn load_orgs(dir: &Path, manifest: &Manifest, orgs: &[String]) -> Result<Ingested, StoreError> {
    read_files(dir, manifest, |f| orgs.contains(&f.org_id))
}

/// Every source of the snapshot with its read-time accounting, in the order the tables of
/// [`load`] and [`load_orgs`] list them (by path).
pub fn sources(manifest: &Manifest) -> Vec<FileReport> {
    let ranks = ranks(manifest);
    let mut by_rank: Vec<&super::manifest::Source> = manifest.sources.iter().collect();
    by_rank.sort_by_key(|s| ranks[s.id.as_str()].0);
    by_rank
        .into_iter()
        .map(|s| FileReport {
            path: s.path.clone(),
            format: s.format,
            rows: s.at_read.clone(),
        })
        .collect()
}

/// Each source's rank: its index in [`sources`] (ranks number the sources 0, 1, … by path).
fn ranks(manifest: &Manifest) -> partition::Ranks {
    partition::ranks(manifest.sources.iter().map(|s| (s.id.as_str(), s.path.as_str())))
}

/// The data files `wanted` picks, read (in parallel) into one table in source order.
fn read_files(
    dir: &Path,
    manifest: &Manifest,
    wanted: impl Fn(&DataFile) -> bool,
) -> Result<Ingested, StoreError> {
    let files: Vec<&DataFile> = manifest.files.iter().filter(|f| wanted(f)).collect();
    let mut calls = Calls::default();
    // Sized once from the manifest: grown file by file, the table was copied as it doubled.
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    calls.reserve(rows::trusted_rows(rows));
    let mut calls = read_in_order(calls, &files, |f| {
        rows::read(&dir.join(&f.path), &f.org_id).map(|r| r.calls)
    })?;
    partition::order_by_source(&mut calls, &ranks(manifest));
    // `files` are source ids in rank order; reports name sources by path.
    let by_id: rustc_hash::FxHashMap<&str, &super::manifest::Source> =
        manifest.sources.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut files = Vec::with_capacity(calls.files.len());
    for id in &mut calls.files {
        let source = by_id[id.as_str()];
        files.push(FileReport {
            path: source.path.clone(),
            format: source.format,
            rows: RowTally::default(),
        });
        id.clone_from(&source.path);
    }
    Ok(Ingested {
        calls,
        files,
        ..Ingested::default()
    })
}

/// The integrations of the whole snapshot (every org's identities), for attributing each group
/// of orgs as one table of all of them would be.
pub fn census(dir: &Path, manifest: &Manifest, map: &IntegrationMap) -> Result<Census, StoreError> {
    let files: Vec<&DataFile> = manifest.files.iter().collect();
    let identities = read_in_order(Calls::default(), &files, |f| {
        rows::read_identities(&dir.join(&f.path))
    })?;
    Ok(attribute::census(&identities, map))
}

/// `table` with each of `files` read and appended in file order, a few at a time (a file per
/// thread): the parts read but not yet appended stay a few files' worth, not a second copy of
/// the table. The first file (in order) that fails names the error, whichever thread read it.
fn read_in_order(
    table: Calls,
    files: &[&DataFile],
    read: impl Fn(&DataFile) -> Result<Calls, StoreError> + Sync,
) -> Result<Calls, StoreError> {
    let mut table = Concat::new(table);
    for chunk in files.chunks(rayon::current_num_threads()) {
        let parts: Vec<Result<Calls, StoreError>> = chunk.par_iter().map(|f| read(f)).collect();
        table.append(parts.into_iter().collect::<Result<_, _>>()?);
    }
    Ok(table.finish())
}

/// The orgs a report reads (all, or those of `--org` the store has), in id order, in groups
/// of at most `max_rows` stored rows (an org with more is a group of its own).
pub fn org_groups(manifest: &Manifest, filter: &Filter, max_rows: u64) -> Vec<Vec<String>> {
    let mut rows: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &manifest.files {
        *rows.entry(f.org_id.as_str()).or_default() += f.rows;
    }
    let mut groups: Vec<(Vec<String>, u64)> = Vec::new();
    for (org, n) in rows {
        if !filter.orgs.is_empty() && !filter.orgs.iter().any(|o| o == org) {
            continue;
        }
        match groups.last_mut() {
            Some((g, total)) if *total + n <= max_rows => {
                g.push(org.to_string());
                *total += n;
            }
            _ => groups.push((vec![org.to_string()], n)),
        }
    }
    groups.into_iter().map(|(g, _)| g).collect()
}

/// The org ids with rows in the snapshot, in id order.
pub fn org_ids(manifest: &Manifest) -> Vec<String> {
    let mut ids: Vec<String> = manifest.files.iter().map(|f| f.org_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Per source (in the order of [`sources`]), the accounting `dedup` and `--org` give the rows
/// of the orgs `--org` leaves out: as stored, with the used rows ignored as another org's.
pub fn unselected_accounting(manifest: &Manifest, filter: &Filter) -> Vec<RowTally> {
    let ranks = ranks(manifest);
    let mut out = vec![RowTally::default(); manifest.sources.len()];
    if filter.orgs.is_empty() {
        return out;
    }
    for f in manifest.files.iter().filter(|f| !filter.orgs.contains(&f.org_id)) {
        for (id, r) in &f.sources {
            let Some(&(i, _)) = ranks.get(id) else {
                continue;
            };
            let t = &mut out[i];
            t.duplicates += r.duplicates;
            for (why, n) in &r.ignored {
                *t.ignored.entry(why.clone()).or_default() += n;
            }
            if r.used > 0 {
                *t.ignored.entry(OTHER_ORG.to_string()).or_default() += r.used;
            }
        }
    }
    out
}
