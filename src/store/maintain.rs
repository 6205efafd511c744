//! `apiusage store info|verify|files|forget|compact DIR`: looking after a store.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::commit::{self, partition_of, remove_unlisted};
use super::layout;
use super::lock;
use super::manifest::{Horizon, Manifest};
use super::partition;
use super::rows;
use super::StoreError;
use crate::marker;
use crate::model::Calls;
use crate::text::thousands;

/// Ignored-row reason for rows `store forget` removed.
pub const FORGOTTEN: &str = commit::FORGOTTEN;

/// Fails unless `dir` is a call store.
pub fn require_store(dir: &Path) -> Result<(), StoreError> {
    if marker::read(dir) == Some(marker::Kind::Store) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{}: not an apiusage call store (create one with `apiusage ingest LOGS --store {}`)",
            dir.display(),
            dir.display()
        )))
    }
}

/// `store info`: orgs, days, rows, sources and size.
pub fn info(dir: &Path) -> Result<String, StoreError> {
    require_store(dir)?;
    let m = Manifest::read(dir)?;
    let mut orgs: BTreeMap<&str, (BTreeSet<&str>, u64, u64)> = BTreeMap::new();
    for f in &m.files {
        let o = orgs.entry(f.org_id.as_str()).or_default();
        o.0.insert(f.date.as_str());
        o.1 += f.rows;
        o.2 += f.counted;
    }
    let rows: u64 = m.files.iter().map(|f| f.rows).sum();
    let counted: u64 = m.files.iter().map(|f| f.counted).sum();
    let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "store {} (schema {}, snapshot {})",
        dir.display(),
        m.schema_version,
        m.snapshot
    );
    let _ = writeln!(
        out,
        "{} org(s), {} data file(s), {} rows ({} counted), {} sources, {:.1} MiB",
        orgs.len(),
        m.files.len(),
        thousands(rows),
        thousands(counted),
        m.sources.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    for (org, (days, rows, counted)) in &orgs {
        let first = days.iter().next().copied().unwrap_or("");
        let last = days.iter().next_back().copied().unwrap_or("");
        let _ = writeln!(
            out,
            "  {org}: {} day(s) {first} … {last}, {} rows, {} counted",
            days.len(),
            thousands(*rows),
            thousands(*counted)
        );
    }
    for l in &m.limits {
        let _ = writeln!(
            out,
            "  limits {}: fetched {} ({})",
            l.org_id, l.fetched_at, l.path
        );
    }
    for h in &m.forgotten {
        let _ = writeln!(
            out,
            "  forgotten: days before {} of {}",
            h.before,
            h.org_id.as_deref().unwrap_or("every org")
        );
    }
    Ok(out)
}

/// `store files`: the current data files, one absolute path per line.
pub fn files(dir: &Path) -> Result<String, StoreError> {
    require_store(dir)?;
    let m = Manifest::read(dir)?;
    let base = std::fs::canonicalize(dir).map_err(|e| StoreError::io(dir, &e))?;
    Ok(m.files
        .iter()
        .map(|f| format!("{}\n", base.join(&f.path).display()))
        .collect())
}

/// The outcome of `store verify`.
#[derive(Debug, Default)]
pub struct Verified {
    /// Problems: the manifest and the files disagree.
    pub problems: Vec<String>,
    /// What was checked, for stdout.
    pub report: String,
}

/// `store verify`: every listed file exists with its size, hash, row and counted-row counts,
/// and the callers in its footer; every row's source is listed; every source's accounting
/// balances.
pub fn verify(dir: &Path) -> Result<Verified, StoreError> {
    require_store(dir)?;
    let _reading = lock::read(dir);
    let m = Manifest::read(dir)?;
    let ids: BTreeSet<&str> = m.sources.iter().map(|s| s.id.as_str()).collect();
    let checks: Vec<Vec<String>> = m
        .files
        .par_iter()
        .map(|f| {
            let path = dir.join(&f.path);
            let mut p = Vec::new();
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => return vec![format!("{}: listed but cannot be read: {e}", f.path)],
            };
            if meta.len() != f.bytes {
                p.push(format!(
                    "{}: {} bytes, the manifest says {}",
                    f.path,
                    meta.len(),
                    f.bytes
                ));
            }
            match partition::hash_file(&path) {
                Ok(h) if h != f.blake3 => {
                    p.push(format!("{}: content differs from the manifest's hash", f.path))
                }
                Err(e) => p.push(e.to_string()),
                _ => {}
            }
            match rows::read(&path, &f.org_id) {
                Ok(r) => {
                    let counted = r.counted.iter().filter(|c| **c).count() as u64;
                    if r.calls.len() as u64 != f.rows || counted != f.counted {
                        p.push(format!(
                            "{}: {} rows ({counted} counted), the manifest says {} ({})",
                            f.path,
                            r.calls.len(),
                            f.rows,
                            f.counted
                        ));
                    }
                    for id in &r.calls.files {
                        if !ids.contains(id.as_str()) {
                            p.push(format!(
                                "{}: rows of source {id}, which the manifest does not list",
                                f.path
                            ));
                        }
                    }
                }
                Err(e) => p.push(e.to_string()),
            }
            match rows::footer_identities_agree(&path) {
                Ok(true) => {}
                Ok(false) => p.push(format!(
                    "{}: the callers listed in its footer are not those of its rows",
                    f.path
                )),
                Err(e) => p.push(e.to_string()),
            }
            p
        })
        .collect();
    let mut problems: Vec<String> = checks.into_iter().flatten().collect();
    for s in &m.sources {
        if !s.accounting.balances() {
            problems.push(format!("source {}: its accounting does not balance", s.path));
        }
    }
    let listed: BTreeSet<PathBuf> = m
        .files
        .iter()
        .map(|f| dir.join(&f.path))
        .chain(m.limits.iter().map(|l| dir.join(&l.path)))
        .collect();
    for l in &m.limits {
        if !dir.join(&l.path).is_file() {
            problems.push(format!("{}: listed /limits response is missing", l.path));
        }
    }
    let stray = commit::unlisted(dir, &listed).len();
    let mut report = format!(
        "checked {} data file(s), {} source(s), {} /limits response(s) of snapshot {}\n",
        m.files.len(),
        m.sources.len(),
        m.limits.len(),
        m.snapshot
    );
    if stray > 0 {
        let _ = writeln!(
            report,
            "{stray} file(s) not in the snapshot (an older snapshot or an interrupted ingest); never read, removed by the next ingest, store forget or store compact while no report reads the store"
        );
    }
    if problems.is_empty() {
        report.push_str("ok\n");
    }
    Ok(Verified { problems, report })
}

/// `store forget --before DATE [--org X]`: drops the days before DATE (of one org or all) and
/// remembers the horizon, so re-ingesting an old file does not bring them back.
pub fn forget(dir: &Path, before: &str, orgs: &[String], wait: bool) -> Result<String, StoreError> {
    require_store(dir)?;
    let Some(horizon) = layout::day_of_date(before) else {
        return Err(StoreError::Input(format!(
            "--before {before}: give a date such as 2026-09-01"
        )));
    };
    let _lock = lock::acquire(dir, wait)?;
    let mut m = Manifest::read(dir)?;
    remove_unlisted(dir, &m);
    let selected = |org: &str| orgs.is_empty() || orgs.iter().any(|o| o == org);
    let (gone, kept): (Vec<_>, Vec<_>) = m
        .files
        .drain(..)
        .partition(|f| selected(&f.org_id) && layout::day_of_date(&f.date).is_some_and(|d| d < horizon));
    m.files = kept;
    let mut rows = 0;
    for f in &gone {
        for (id, r) in &f.sources {
            if let Some(s) = m.sources.iter_mut().find(|s| &s.id == id) {
                *s.at_read.ignored.entry(FORGOTTEN.to_string()).or_default() += r.rows;
                rows += r.rows;
            }
        }
    }
    if orgs.is_empty() {
        m.forgotten.push(Horizon {
            org_id: None,
            before: before.to_string(),
        });
    } else {
        for o in orgs {
            m.forgotten.push(Horizon {
                org_id: Some(o.clone()),
                before: before.to_string(),
            });
        }
    }
    m.snapshot += 1;
    m.refresh_accounting();
    m.commit(dir)?;
    Ok(format!(
        "forgot {} partition(s), {} rows, before {before}; the next ingest removes their files\n",
        gone.len(),
        thousands(rows)
    ))
}

/// `store compact`: every partition with more than one data file is rewritten as one.
pub fn compact(dir: &Path, wait: bool) -> Result<String, StoreError> {
    require_store(dir)?;
    let _lock = lock::acquire(dir, wait)?;
    let mut m = Manifest::read(dir)?;
    remove_unlisted(dir, &m);
    let mut by_partition: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in m.files.iter().enumerate() {
        by_partition.entry(partition_of(&f.path)).or_default().push(i);
    }
    let small: Vec<(String, Vec<usize>)> = by_partition.into_iter().filter(|(_, v)| v.len() > 1).collect();
    if small.is_empty() {
        return Ok("nothing to compact: every partition is one file\n".into());
    }
    let snapshot = m.snapshot + 1;
    let ranks = partition::ranks(m.sources.iter().map(|s| (s.id.as_str(), s.path.as_str())));
    let written: Vec<Result<Option<super::manifest::DataFile>, StoreError>> = small
        .par_iter()
        .enumerate()
        .map(|(n, (_, idx))| {
            let first = &m.files[idx[0]];
            let day = layout::day_of_date(&first.date).unwrap_or_default();
            let mut files = crate::ingest::Concat::new(Calls::default());
            for &i in idx {
                let r = rows::read(&dir.join(&m.files[i].path), &first.org_id)?;
                files.append(vec![r.calls]);
            }
            let mut calls = files.finish();
            partition::order_by_source(&mut calls, &ranks);
            let rel = layout::data_file(&first.org_id, day, snapshot, n);
            Ok(partition::write(dir, &rel, &first.org_id, day, &calls, &ranks)?.file)
        })
        .collect();
    let merged: BTreeSet<String> = small.iter().map(|(p, _)| p.clone()).collect();
    m.files.retain(|f| !merged.contains(&partition_of(&f.path)));
    for w in written {
        if let Some(f) = w? {
            m.files.push(f);
        }
    }
    m.files.sort_by(|a, b| a.path.cmp(&b.path));
    m.snapshot = snapshot;
    m.refresh_accounting();
    m.commit(dir)?;
    Ok(format!(
        "compacted {} partition(s) into one file each\n",
        small.len()
    ))
}
