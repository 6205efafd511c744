//! Publishing a report into `--out DIR` (render stage, the last step of `report`): one atomic
//! switch, and nothing deleted that apiusage did not write.
//!
//! Layout (unix; every path stays inside `DIR`):
//!
//! ```text
//! DIR/.apiusage/marker.json      the folder is an apiusage report (crate::marker)
//! DIR/.apiusage/manifest.json    the top-level names apiusage published
//! DIR/.apiusage/gen-N/…          one complete report per run
//! DIR/.apiusage/current          symlink → gen-N: the one switch
//! DIR/summary.json, DIR/charts…  symlinks → .apiusage/current/<name>
//! ```
//!
//! A run writes every file into a staging folder, renames it to `gen-N`, then switches
//! `current` with one `rename(2)` of a fresh symlink over it: a reader that opens any top-level
//! name sees either the old report or the new one, each complete. Top-level links are created
//! once; a top-level name apiusage did not create (a user's file, folder or foreign symlink) is
//! never touched: the run fails before switching, naming it. Links of names no longer produced
//! (an org filtered out) are removed only when the manifest lists them and they are still our
//! links. Generations older than the previous one, and staging folders of dead runs, are
//! removed; nothing outside `DIR/.apiusage/` is ever deleted except our own links.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Output;
use crate::marker;

/// The steps of a publish, for fault injection in tests (a hook may fail any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// After each file is written into the staging folder.
    StagedFile,
    /// After the staging folder became `gen-N`, before any link changed.
    Generation,
    /// After the top-level links of new names were created, before the switch.
    Links,
    /// After `current` points at the new generation.
    Switched,
    /// After links of names no longer produced were removed and the manifest written.
    Pruned,
}

const MANIFEST: &str = "manifest.json";
const CURRENT: &str = "current";
const GEN_PREFIX: &str = "gen-";
const STAGING_PREFIX: &str = "staging-";

/// The top-level names apiusage published into a folder.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    names: Vec<String>,
}

/// Publishes `outputs` into `out` (see the module docs).
pub fn publish(out: &Path, outputs: &[Output]) -> io::Result<()> {
    publish_with(out, outputs, &mut |_| Ok(()))
}

/// [`publish`] with a hook called after each [`Step`]; an error from the hook aborts the
/// publish right there, as an I/O error or a kill would.
pub fn publish_with(
    out: &Path,
    outputs: &[Output],
    hook: &mut dyn FnMut(Step) -> io::Result<()>,
) -> io::Result<()> {
    fs::create_dir_all(out).map_err(|e| with_path(e, out))?;
    let book = bookkeeping_dir(out)?;
    if let Some(kind) = marker::read(out).filter(|k| *k != marker::Kind::Report) {
        return Err(io::Error::other(format!(
            "{} is {}, not a report folder; choose another --out",
            out.display(),
            kind.describe()
        )));
    }
    let names = top_level_names(outputs)?;
    let old = read_manifest(&book);
    check_conflicts(out, &names)?;
    marker::write(out, marker::Kind::Report).map_err(|e| with_path(e, &book))?;
    remove_dead_staging(&book)?;
    let staging = book.join(format!("{STAGING_PREFIX}{}", std::process::id()));
    if fs::symlink_metadata(&staging).is_ok() {
        fs::remove_dir_all(&staging).map_err(|e| with_path(e, &staging))?;
    }
    let result = stage_and_switch(out, &book, &staging, outputs, &names, &old, hook);
    if fs::symlink_metadata(&staging).is_ok() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn stage_and_switch(
    out: &Path,
    book: &Path,
    staging: &Path,
    outputs: &[Output],
    names: &[String],
    old: &Manifest,
    hook: &mut dyn FnMut(Step) -> io::Result<()>,
) -> io::Result<()> {
    fs::create_dir(staging).map_err(|e| with_path(e, staging))?;
    for o in outputs {
        let path = staging.join(&o.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        fs::write(&path, &o.bytes).map_err(|e| with_path(e, &path))?;
        hook(Step::StagedFile)?;
    }
    let generation = rename_to_generation(book, staging)?;
    hook(Step::Generation)?;
    // Remember the new names before their links exist, so a crash never forgets a link.
    let mut union: Vec<String> = old.names.iter().chain(names).cloned().collect();
    union.sort();
    union.dedup();
    write_manifest(book, &union)?;
    for name in names {
        ensure_link(out, name)?;
    }
    hook(Step::Links)?;
    let previous = fs::read_link(book.join(CURRENT)).ok();
    switch_current(book, &generation)?;
    hook(Step::Switched)?;
    for name in old.names.iter().filter(|n| !names.contains(n)) {
        remove_our_link(out, name)?;
    }
    write_manifest(book, names)?;
    hook(Step::Pruned)?;
    let previous = previous.and_then(|p| p.to_str().map(str::to_string));
    remove_old_generations(book, &generation, previous.as_deref())
}

/// `DIR/.apiusage`, refusing a symlink (it could lead out of `DIR`).
fn bookkeeping_dir(out: &Path) -> io::Result<PathBuf> {
    let book = out.join(marker::DIR);
    match fs::symlink_metadata(&book) {
        Ok(m) if !m.file_type().is_dir() => Err(io::Error::other(format!(
            "{} is not a folder apiusage made (a file or symlink); move it away",
            book.display()
        ))),
        _ => Ok(book),
    }
}

/// The first path component of every output, each once, checked to be a plain name.
fn top_level_names(outputs: &[Output]) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for o in outputs {
        let first = o.name.split('/').next().unwrap_or_default();
        let plain = !first.is_empty() && first != "." && first != ".." && first != marker::DIR;
        if !plain || o.name.split('/').any(|c| c.is_empty() || c == "..") {
            return Err(io::Error::other(format!("bad output name {:?}", o.name)));
        }
        if !names.iter().any(|n| n == first) {
            names.push(first.to_string());
        }
    }
    Ok(names)
}

/// What a top-level link of `name` points at.
fn link_target(name: &str) -> PathBuf {
    Path::new(marker::DIR).join(CURRENT).join(name)
}

/// Whether `path` is a symlink apiusage made for `name`.
fn is_our_link(path: &Path, name: &str) -> bool {
    fs::read_link(path).is_ok_and(|t| t == link_target(name))
}

/// Fails, before anything is switched, when a top-level name is taken by something apiusage
/// did not make.
fn check_conflicts(out: &Path, names: &[String]) -> io::Result<()> {
    let taken: Vec<String> = names
        .iter()
        .filter(|name| {
            let path = out.join(name);
            fs::symlink_metadata(&path).is_ok() && !is_our_link(&path, name)
        })
        .map(|name| out.join(name).display().to_string())
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{} already exist{} and {} not written by apiusage's publishing (report files are \
         symlinks into {}/); nothing was changed: move {} away, or choose another --out",
        taken.join(", "),
        if taken.len() == 1 { "s" } else { "" },
        if taken.len() == 1 { "was" } else { "were" },
        marker::DIR,
        if taken.len() == 1 { "it" } else { "them" },
    )))
}

/// Creates `DIR/name` → `.apiusage/current/name` unless it is already there.
fn ensure_link(out: &Path, name: &str) -> io::Result<()> {
    let path = out.join(name);
    if is_our_link(&path, name) {
        return Ok(());
    }
    let tmp = out
        .join(marker::DIR)
        .join(format!("link.{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    symlink(&link_target(name), &tmp).map_err(|e| with_path(e, &tmp))?;
    // `rename` would replace a file created since the check; a link fails instead.
    if fs::symlink_metadata(&path).is_ok() {
        let _ = fs::remove_file(&tmp);
        return check_conflicts(out, &[name.to_string()]);
    }
    fs::rename(&tmp, &path).map_err(|e| with_path(e, &path))
}

/// Removes `DIR/name` only when it is still our link.
fn remove_our_link(out: &Path, name: &str) -> io::Result<()> {
    let path = out.join(name);
    if is_our_link(&path, name) {
        fs::remove_file(&path).map_err(|e| with_path(e, &path))?;
    }
    Ok(())
}

/// Renames the complete staging folder to the next free `gen-N`.
fn rename_to_generation(book: &Path, staging: &Path) -> io::Result<String> {
    let mut n = generations(book)?.into_iter().map(|(n, _)| n).max().unwrap_or(0) + 1;
    loop {
        let name = format!("{GEN_PREFIX}{n}");
        let target = book.join(&name);
        if fs::symlink_metadata(&target).is_err() {
            match fs::rename(staging, &target) {
                Ok(()) => return Ok(name),
                // Another run took this number in the meantime: try the next one.
                Err(_) if fs::symlink_metadata(&target).is_ok() => {}
                Err(e) => return Err(with_path(e, &target)),
            }
        }
        n += 1;
    }
}

/// The one switch: a fresh symlink renamed over `current`.
fn switch_current(book: &Path, generation: &str) -> io::Result<()> {
    let tmp = book.join(format!("{CURRENT}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    symlink(Path::new(generation), &tmp).map_err(|e| with_path(e, &tmp))?;
    let current = book.join(CURRENT);
    fs::rename(&tmp, &current).map_err(|e| with_path(e, &current))
}

/// `gen-N` folders (real folders only) with their numbers.
fn generations(book: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(book).map_err(|e| with_path(e, book))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(n) = name.strip_prefix(GEN_PREFIX).and_then(|n| n.parse().ok()) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push((n, entry.path()));
        }
    }
    Ok(out)
}

/// Keeps the current generation, the one `current` pointed at before (a reader may still be
/// in it) and any newer one (a concurrent run about to switch); removes the rest, including
/// generations of runs that failed before their switch.
fn remove_old_generations(book: &Path, current: &str, previous: Option<&str>) -> io::Result<()> {
    let number = |g: &str| g.strip_prefix(GEN_PREFIX).and_then(|n| n.parse::<u64>().ok());
    let Some(cur) = number(current) else {
        return Ok(());
    };
    let previous = previous.and_then(number);
    for (n, path) in generations(book)? {
        if n < cur && Some(n) != previous {
            fs::remove_dir_all(&path).map_err(|e| with_path(e, &path))?;
        }
    }
    Ok(())
}

/// Staging folders (and temporary links) of runs whose process is gone.
fn remove_dead_staging(book: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(book) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(STAGING_PREFIX)
            .or_else(|| name.rsplit_once(".tmp-").map(|(_, pid)| pid))
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let removed = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| with_path(e, &path))?;
    }
    Ok(())
}

/// Whether a process with this id exists. Without `/proc` (not Linux) every process counts as
/// alive, so a folder is kept rather than deleted under a running run.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn read_manifest(book: &Path) -> Manifest {
    let path = book.join(MANIFEST);
    let small = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() < 16 << 20);
    small
        .then(|| fs::read(&path).ok())
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_manifest(book: &Path, names: &[String]) -> io::Result<()> {
    let manifest = Manifest {
        names: names.to_vec(),
    };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    let tmp = book.join(format!("{MANIFEST}.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| with_path(e, &tmp))?;
    let path = book.join(MANIFEST);
    fs::rename(&tmp, &path).map_err(|e| with_path(e, &path))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, link: &Path) -> io::Result<()> {
    Err(io::Error::other(format!(
        "{}: publishing a report needs symlinks (unix)",
        link.display()
    )))
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_store_or_fetch_folder_is_never_made_a_report() {
        let dir = tempfile::tempdir().unwrap();
        marker::write(dir.path(), marker::Kind::Fetch).unwrap();
        let outputs = [Output {
            name: "summary.json".into(),
            bytes: b"{}".to_vec(),
        }];
        let err = publish(dir.path(), &outputs).unwrap_err().to_string();
        assert!(err.contains("fetch folder"), "{err}");
        assert_eq!(marker::read(dir.path()), Some(marker::Kind::Fetch));
        assert!(fs::symlink_metadata(dir.path().join("summary.json")).is_err());
    }
}
