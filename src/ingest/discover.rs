//! Finds the log files under the paths a user gives: files as given, folders recursed, each
//! file recognised by its content (gzip and Parquet magic bytes) and its extension. Anything
//! else is listed as skipped, never silently passed over.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A recognised input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Plain CSV.
    Csv,
    /// Gzip-compressed CSV.
    CsvGzip,
    /// Apache Parquet.
    Parquet,
}

/// A file to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How reports name it: the path as given or found, with `/` separators.
    pub label: String,
    /// How to read it.
    pub format: Format,
}

/// A path that is not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The path.
    pub path: String,
    /// Why it was not read.
    pub reason: String,
}

/// The outcome of discovery.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to read, sorted by path so every run reads and reports them in the same order.
    pub files: Vec<InputFile>,
    /// Paths passed over.
    pub skipped: Vec<Skipped>,
}

/// A path given on the command line that does not exist or cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DiscoverError {
    /// The path.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// Walks `paths` (files or folders, recursively), not entering the folders in `exclude`
/// (the report's own output folder, whose CSVs are not logs).
pub fn discover(paths: &[PathBuf], exclude: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let exclude: Vec<PathBuf> = exclude.iter().filter_map(|p| fs::canonicalize(p).ok()).collect();
    let mut found = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| DiscoverError {
            path: path.display().to_string(),
            reason: format!("cannot open: {e}"),
        })?;
        if meta.is_dir() {
            walk(path, &exclude, &mut found)?;
        } else {
            found.push(path.clone());
        }
    }
    found.sort();
    found.dedup();
    let mut out = Discovery::default();
    for path in found {
        let label = path.display().to_string().replace('\\', "/");
        match classify(&path) {
            Ok(format) => out.files.push(InputFile { path, label, format }),
            Err(reason) => out.skipped.push(Skipped { path: label, reason }),
        }
    }
    Ok(out)
}

fn walk(dir: &Path, exclude: &[PathBuf], found: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    if fs::canonicalize(dir).is_ok_and(|d| exclude.contains(&d)) {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|e| DiscoverError {
        path: dir.display().to_string(),
        reason: format!("cannot list folder: {e}"),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, exclude, found)?,
            Ok(_) => found.push(path),
            Err(_) => {}
        }
    }
    Ok(())
}

/// The format of one file, or why it is skipped.
pub fn classify(path: &Path) -> Result<Format, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let magic = leading_bytes(path);
    if magic.starts_with(b"PAR1") || name.ends_with(".parquet") {
        return Ok(Format::Parquet);
    }
    let csv_name = name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".gz");
    if !csv_name {
        return Err("not a .csv, .csv.gz or .parquet file".into());
    }
    if magic.starts_with(&[0x1f, 0x8b]) || name.ends_with(".gz") {
        Ok(Format::CsvGzip)
    } else {
        Ok(Format::Csv)
    }
}

/// The first four bytes of a file (fewer if it is shorter or unreadable).
fn leading_bytes(path: &Path) -> Vec<u8> {
    let mut buf = Vec::with_capacity(4);
    if let Ok(file) = fs::File::open(path) {
        let _ = file.take(4).read_to_end(&mut buf);
    }
    buf
}
