//! `apiusage ingest --store DIR PATHS…`: one commit.
//!
//! 1. Take the writer's lock; remove what an interrupted or superseded write left behind.
//! 2. Sort the inputs: unchanged (same path, size and modification time, or same content),
//!    moved (same content, the old path gone), changed (same path, other content: its rows
//!    are replaced), new. A file whose content is already a source is never read twice.
//! 3. Read the new and changed files (in parallel); an unreadable one is reported and left
//!    out (a changed one keeps its old rows), the rest still go in.
//! 4. Rewrite every partition (org-day) the commit touches as one new data file, with the
//!    duplicate, superseded and counted flags recomputed over the whole org-day.
//! 5. Commit the new manifest (an atomic rename).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use super::layout;
use super::lock;
use super::manifest::{LimitsEntry, Manifest, Source};
use super::partition::{self, hash_file, Ranks};
use super::rewrite::{self, group_by_partition, Writes};
use super::StoreError;
use crate::ingest::{self, FileError, InputFile, Skipped};
use crate::marker;
use crate::model::{Calls, RowTally};

/// Ignored-row reason for rows before a retention horizon of the store.
pub const FORGOTTEN: &str = "before the store's retention horizon (store forget)";

/// What an ingest did.
#[derive(Debug, Default)]
pub struct IngestSummary {
    /// Sources read and added (new or changed).
    pub added: Vec<String>,
    /// Changed sources whose old rows were replaced.
    pub replaced: Vec<String>,
    /// Sources already in the store (skipped).
    pub unchanged: usize,
    /// Sources found at a new path (the manifest follows them).
    pub moved: Vec<String>,
    /// Inputs with the same content as a source at another path (not read again).
    pub copies: Vec<(String, String)>,
    /// Rows read from the added sources.
    pub rows_read: u64,
    /// Data files written.
    pub files_written: usize,
    /// `/limits` responses added.
    pub limits_added: usize,
    /// Files that could not be read (the rest were committed).
    pub unreadable: Vec<FileError>,
    /// Paths that are not log files.
    pub skipped: Vec<Skipped>,
    /// Whether a new snapshot was committed.
    pub committed: bool,
    /// The snapshot after the run.
    pub snapshot: u64,
}

/// Creates the store folder (and its marker) if needed; refuses a folder that is something
/// else, so apiusage never writes into (or later cleans) a folder it does not own.
pub fn prepare(dir: &Path) -> Result<(), StoreError> {
    match marker::read(dir) {
        Some(marker::Kind::Store) => return Ok(()),
        Some(other) => {
            return Err(StoreError::Corrupt(format!(
                "{}: this is {}, not a call store; give another folder to --store",
                dir.display(),
                other.describe()
            )))
        }
        None => {}
    }
    let empty = match fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(StoreError::io(dir, &e)),
    };
    if !empty {
        return Err(StoreError::Corrupt(format!(
            "{}: not an apiusage call store and not empty; give a new or empty folder to --store",
            dir.display()
        )));
    }
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, &e))?;
    marker::write(dir, marker::Kind::Store).map_err(|e| StoreError::io(dir, &e))
}

/// Ingests `paths` into the store at `dir` (created when new). `wait`: wait for another
/// writer instead of failing.
pub fn ingest(
    dir: &Path,
    paths: &[PathBuf],
    settings: &ingest::Settings,
    wait: bool,
) -> Result<IngestSummary, StoreError> {
    ingest_excluding(dir, paths, &[], settings, wait)
}

/// [`ingest`], not entering the folders in `exclude` (a report's output folder).
pub fn ingest_excluding(
    dir: &Path,
    paths: &[PathBuf],
    exclude: &[PathBuf],
    settings: &ingest::Settings,
    wait: bool,
) -> Result<IngestSummary, StoreError> {
    prepare(dir)?;
    let _lock = lock::acquire(dir, wait)?;
    super::crash_point("locked");
    let mut manifest = Manifest::read(dir)?;
    remove_unlisted(dir, &manifest);
    let mut excluded = exclude.to_vec();
    excluded.push(dir.to_path_buf());
    let discovery = ingest::discover(paths, &excluded).map_err(|e| StoreError::Input(e.to_string()))?;
    let mut summary = IngestSummary {
        skipped: discovery
            .skipped
            .into_iter()
            .filter(|s| !is_limits_file(Path::new(&s.path)))
            .collect(),
        ..IngestSummary::default()
    };
    let plan = plan(&mut manifest, discovery.files, &mut summary)?;
    summary.limits_added = add_limits(dir, &mut manifest, paths)?;
    let snapshot = manifest.snapshot + 1;
    let ranks = planned_ranks(&manifest, &plan);
    let mut writes = Writes::new(dir, snapshot, &ranks);
    let mut removed: BTreeSet<String> = BTreeSet::new();
    let mut touched: BTreeSet<String> = plan.moved.iter().flat_map(|s| s.partitions.clone()).collect();
    for old in &plan.dropped {
        summary.replaced.push(old.path.clone());
        touched.extend(old.partitions.iter().cloned());
        removed.insert(old.id.clone());
    }
    let mut new_sources = Vec::new();
    let mut groups = plan.to_read.chunks(rayon::current_num_threads());
    loop {
        let read = match next_batch(&mut groups, settings, &mut summary) {
            Some(read) => read,
            None if touched.is_empty() => break,
            None => Vec::new(),
        };
        let mut new_parts = Vec::new();
        for (input, old, part) in read {
            if let Some(old) = old {
                summary.replaced.push(old.path.clone());
                touched.extend(old.partitions.iter().cloned());
                removed.insert(old.id.clone());
            }
            let (source, calls) = new_source(&manifest, &input, part, snapshot);
            summary.added.push(source.path.clone());
            summary.rows_read += source.at_read.read;
            new_sources.push(source);
            new_parts.push(calls);
        }
        let new_rows = group_by_partition(&new_parts);
        writes.rewrite(&manifest, &touched, &removed, &new_parts, &new_rows)?;
        touched.clear();
    }
    let changed = !new_sources.is_empty()
        || !plan.moved.is_empty()
        || !plan.dropped.is_empty()
        || summary.limits_added > 0;
    if !changed {
        summary.snapshot = manifest.snapshot;
        return Ok(summary);
    }
    manifest.sources.retain(|s| !removed.contains(&s.id));
    manifest.sources.extend(new_sources);
    manifest
        .sources
        .sort_by(|a, b| PathBuf::from(&a.path).cmp(&PathBuf::from(&b.path)));
    let (rewritten, written) = writes.finish();
    summary.files_written = written.len();
    manifest
        .files
        .retain(|f| !rewritten.contains(&partition_of(&f.path)));
    manifest.files.extend(written);
    manifest.files.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.snapshot = snapshot;
    manifest.refresh_accounting();
    super::crash_point("before-commit");
    manifest.commit(dir)?;
    super::crash_point("committed");
    summary.committed = true;
    summary.snapshot = snapshot;
    Ok(summary)
}

/// `org_id=…/date=…` of an org-day (the key partitions go by in the manifest).
pub fn partition_key(org: &str, day: i64) -> String {
    layout::partition(org, day)
        .strip_prefix(&format!("{}/", layout::CALLS))
        .unwrap_or_default()
        .to_string()
}

/// The partition key of a data file's relative path.
pub fn partition_of(rel: &str) -> String {
    let p = rel.strip_prefix(&format!("{}/", layout::CALLS)).unwrap_or(rel);
    p.rsplit_once('/').map_or(p, |(d, _)| d).to_string()
}

/// What to do with the inputs.
struct Plan {
    /// Files to read, each with the source it replaces (a changed file), if any.
    to_read: Vec<ToRead>,
    /// Sources found at a new path (already updated in the manifest).
    moved: Vec<Source>,
    /// Sources whose file now holds another source's content: their rows go.
    dropped: Vec<Source>,
}

/// A file's identity and stat.
#[derive(Clone)]
struct Identity {
    size: u64,
    modified_ns: u64,
    blake3: String,
}

fn stat(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = fs::metadata(path)?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    Ok((meta.len(), modified_ns))
}

fn plan(
    manifest: &mut Manifest,
    files: Vec<InputFile>,
    summary: &mut IngestSummary,
) -> Result<Plan, StoreError> {
    let mut to_read: Vec<(InputFile, Option<Source>, Identity)> = Vec::new();
    let mut moved = Vec::new();
    let mut dropped = Vec::new();
    let mut seen: BTreeMap<(String, u64), String> = BTreeMap::new();
    for file in files {
        let (size, modified_ns) = match stat(&file.path) {
            Ok(s) => s,
            Err(e) => {
                summary.unreadable.push(FileError::io(&file.label, &e));
                continue;
            }
        };
        let at_path = manifest.sources.iter().position(|s| s.path == file.label);
        if let Some(i) = at_path {
            let s = &manifest.sources[i];
            if s.size == size && s.modified_ns == modified_ns {
                summary.unchanged += 1;
                continue;
            }
        }
        let blake3 = match hash_file(&file.path) {
            Ok(h) => h,
            Err(e) => {
                summary.unreadable.push(FileError {
                    path: file.label.clone(),
                    reason: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if let Some(first) = seen.get(&(blake3.clone(), size)) {
            summary.copies.push((file.label.clone(), first.clone()));
            continue;
        }
        seen.insert((blake3.clone(), size), file.label.clone());
        let old = at_path.map(|i| manifest.sources[i].clone());
        if let Some(known) = manifest
            .sources
            .iter_mut()
            .find(|s| s.blake3 == blake3 && s.size == size)
        {
            if known.path != file.label {
                // The file at this path now holds another source's content: its old rows go.
                dropped.extend(old);
            }
            if known.path == file.label {
                known.modified_ns = modified_ns;
                summary.unchanged += 1;
            } else if !Path::new(&known.path).exists() {
                summary.moved.push(format!("{} → {}", known.path, file.label));
                known.path.clone_from(&file.label);
                known.modified_ns = modified_ns;
                moved.push(known.clone());
            } else {
                summary.copies.push((file.label.clone(), known.path.clone()));
            }
            continue;
        }
        to_read.push((
            file,
            old,
            Identity {
                size,
                modified_ns,
                blake3,
            },
        ));
    }
    Ok(Plan {
        to_read,
        moved,
        dropped,
    })
}

type ReadSource = (Identified, Option<Source>, ingest::builder::Part);
type ToRead = (InputFile, Option<Source>, Identity);

/// Ranks of every source the snapshot may hold: the store's and every file planned to be read.
/// Ranks only order sources, so one left unused (a failed read, a replaced source) changes
/// nothing, and the ranks can be fixed before the first batch is written.
fn planned_ranks(manifest: &Manifest, plan: &Plan) -> Ranks {
    let planned: Vec<(String, &str)> = plan
        .to_read
        .iter()
        .map(|(file, _, id)| (source_id(&id.blake3), file.label.as_str()))
        .collect();
    let stored = manifest.sources.iter().map(|s| (s.id.as_str(), s.path.as_str()));
    partition::ranks(stored.chain(planned.iter().map(|(id, path)| (id.as_str(), *path))))
}

/// A source's id: the start of its content hash.
fn source_id(blake3: &str) -> String {
    blake3[..16].to_string()
}

/// Reads groups of files until the batch holds [`rewrite::batch_rows`] rows or the files run
/// out; `None` when no file was left.
fn next_batch(
    groups: &mut std::slice::Chunks<'_, ToRead>,
    settings: &ingest::Settings,
    summary: &mut IngestSummary,
) -> Option<Vec<ReadSource>> {
    let limit = rewrite::batch_rows();
    let mut batch: Vec<ReadSource> = Vec::new();
    let mut rows = 0u64;
    let mut any = false;
    while rows < limit {
        let Some(group) = groups.next() else { break };
        any = true;
        let read = read_sources(group, settings, summary);
        rows += read
            .iter()
            .map(|(_, _, part)| part.calls.len() as u64)
            .sum::<u64>();
        batch.extend(read);
    }
    any.then_some(batch)
}

/// A file that was read, with its identity.
struct Identified {
    file: InputFile,
    id: Identity,
}

fn read_sources(
    to_read: &[ToRead],
    settings: &ingest::Settings,
    summary: &mut IngestSummary,
) -> Vec<ReadSource> {
    let split = to_read.len() < rayon::current_num_threads();
    let results: Vec<_> = to_read
        .par_iter()
        .map(|(file, _, _)| ingest::read_file_with(file, split, settings))
        .collect();
    let mut out = Vec::new();
    for ((file, old, id), result) in to_read.iter().zip(results) {
        match result {
            Ok(part) => out.push((
                Identified {
                    file: file.clone(),
                    id: id.clone(),
                },
                old.clone(),
                part,
            )),
            Err(e) => summary.unreadable.push(e),
        }
    }
    out
}

/// The manifest entry of a newly read file, and its rows (before the retention horizon
/// dropped and accounted), with `files` = its source id.
fn new_source(
    manifest: &Manifest,
    input: &Identified,
    part: ingest::builder::Part,
    snapshot: u64,
) -> (Source, Calls) {
    let id = source_id(&input.id.blake3);
    let mut calls = part.calls;
    let mut at_read = part.tally;
    let keep: Vec<bool> = (0..calls.len())
        .map(|i| {
            let org = calls.strings.get(calls.shape_of(i).org);
            manifest
                .horizon(org)
                .is_none_or(|h| layout::day_of(calls.ts[i]) >= h)
        })
        .collect();
    let forgotten = keep.iter().filter(|k| !**k).count() as u64;
    if forgotten > 0 {
        *at_read.ignored.entry(FORGOTTEN.to_string()).or_default() += forgotten;
        calls.retain_rows(&keep);
    }
    calls.files = vec![id.clone()];
    let source = Source {
        id,
        path: input.file.label.clone(),
        size: input.id.size,
        modified_ns: input.id.modified_ns,
        blake3: input.id.blake3.clone(),
        format: input.file.format,
        ingested_in: snapshot,
        at_read,
        accounting: RowTally::default(),
        partitions: Vec::new(),
    };
    (source, calls)
}

/// Removes the data files and stored limits the manifest does not list, and temporary
/// manifests: what an interrupted ingest or an older snapshot left. Only files apiusage names
/// (`part-*.parquet`, `*.json` under `limits/`, `manifest.json.tmp-*`) are touched. While a
/// report reads (an older snapshot, perhaps) its files stay, for a later writer to remove.
pub fn remove_unlisted(dir: &Path, manifest: &Manifest) {
    remove_temporary_manifests(dir);
    let Some(_no_readers) = lock::no_readers(dir) else {
        return;
    };
    let listed: BTreeSet<PathBuf> = manifest
        .files
        .iter()
        .map(|f| dir.join(&f.path))
        .chain(manifest.limits.iter().map(|l| dir.join(&l.path)))
        .collect();
    for path in unlisted(dir, &listed) {
        let _ = fs::remove_file(&path);
        if let Some(parent) = path.parent() {
            let _ = fs::remove_dir(parent);
            if let Some(grand) = parent.parent() {
                let _ = fs::remove_dir(grand);
            }
        }
    }
}

/// Removes the manifests an interrupted commit left before its rename (never read by anyone).
fn remove_temporary_manifests(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{}.tmp-", layout::MANIFEST)) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Files apiusage wrote under `calls/` and `limits/` that are not in `listed`.
pub fn unlisted(dir: &Path, listed: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let ours = |p: &Path, root: &str| -> bool {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match root {
            layout::CALLS => name.starts_with(layout::PART_PREFIX) && name.ends_with(".parquet"),
            _ => name.ends_with(".json"),
        }
    };
    for root in [layout::CALLS, layout::LIMITS] {
        let mut stack = vec![dir.join(root)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(p),
                    Ok(t) if t.is_file() && ours(&p, root) && !listed.contains(&p) => out.push(p),
                    _ => {}
                }
            }
        }
    }
    out.sort();
    out
}

fn is_limits_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "limits.json")
}

/// Copies the `/limits` responses of the fetch layout (`<org>/limits.json`) found under
/// `paths` into the store, each with its time (the file's modification time); returns how
/// many were new.
fn add_limits(dir: &Path, manifest: &mut Manifest, paths: &[PathBuf]) -> Result<usize, StoreError> {
    let mut added = 0;
    for path in find_limits(paths, dir) {
        let Some(org) = org_of_limits(&path) else { continue };
        let Ok(bytes) = fs::read(&path) else { continue };
        if crate::allocation::parse_limits_json(&String::from_utf8_lossy(&bytes), &path).is_err() {
            continue;
        }
        let hash = blake3::hash(&bytes).to_hex().to_string();
        let fetched_ms = stat(&path).map_or(0, |(_, ns)| (ns / 1_000_000) as i64);
        if manifest
            .limits
            .iter()
            .any(|l| l.org_id == org && l.blake3 == hash && l.fetched_ms == fetched_ms)
        {
            continue;
        }
        let rel = layout::limits_file(&org, fetched_ms, &hash);
        let target = dir.join(&rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, &e))?;
        }
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&target)?;
            std::io::Write::write_all(&mut f, &bytes)?;
            f.sync_all()
        };
        write().map_err(|e| StoreError::io(&target, &e))?;
        manifest.limits.push(LimitsEntry {
            org_id: org,
            fetched_at: crate::text::rfc3339(fetched_ms),
            fetched_ms,
            path: rel,
            source_path: path.display().to_string().replace('\\', "/"),
            blake3: hash,
        });
        added += 1;
    }
    manifest
        .limits
        .sort_by(|a, b| (&a.org_id, a.fetched_ms, &a.path).cmp(&(&b.org_id, b.fetched_ms, &b.path)));
    Ok(added)
}

/// `limits.json` files under the inputs (not inside the store).
fn find_limits(paths: &[PathBuf], store: &Path) -> Vec<PathBuf> {
    let store = fs::canonicalize(store).ok();
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if fs::canonicalize(&p).ok() == store {
            continue;
        }
        if p.is_dir() {
            if p.file_name().is_some_and(marker::is_bookkeeping_dir) {
                continue;
            }
            if let Ok(entries) = fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if is_limits_file(&p) {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The org of `<org>/limits.json`: the folder name, when it is a 15- or 18-character id.
fn org_of_limits(path: &Path) -> Option<String> {
    let name = path.parent()?.file_name()?.to_str()?;
    let ok = (name.len() == 15 || name.len() == 18) && name.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| String::from_utf8_lossy(crate::normalize::id15(name.as_bytes())).into_owned())
}
