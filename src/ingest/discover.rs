//! Finds the log files under the paths a user gives: files as given, folders recursed, each
//! file recognised by its content (gzip and Parquet magic bytes) and its extension. Anything
//! else is listed as skipped, never silently passed over.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::marker::{self, Kind};

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
    /// JSON lines (`.json`, `.ndjson`, `.jsonl`): one Event Monitoring row per line.
    Ndjson,
    /// Gzip-compressed JSON lines.
    NdjsonGzip,
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
/// (the report's own output folder, whose CSVs are not logs) nor apiusage's own folders (see
/// [`crate::marker`]). Symlinked folders are followed once: a folder reached again (a symlink
/// cycle) is not walked again.
pub fn discover(paths: &[PathBuf], exclude: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut walk = Walk {
        exclude: exclude.iter().filter_map(|p| fs::canonicalize(p).ok()).collect(),
        ..Walk::default()
    };
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| DiscoverError {
            path: path.display().to_string(),
            reason: format!("cannot open: {e}"),
        })?;
        if meta.is_dir() {
            walk.folder(path, false)?;
        } else {
            walk.found.push((path.clone(), None));
        }
    }
    let Walk {
        mut found,
        mut skipped,
        ..
    } = walk;
    found.sort();
    found.dedup();
    let mut out = Discovery::default();
    for (path, bookkeeping) in found {
        let label = label_of(&path);
        match bookkeeping.map_or_else(|| classify(&path), Err) {
            Ok(format) => out.files.push(InputFile { path, label, format }),
            Err(reason) => skipped.push(Skipped { path: label, reason }),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped = skipped;
    Ok(out)
}

fn label_of(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

/// Why a fetch folder's bookkeeping file is not read.
const FETCH_BOOKKEEPING_REASON: &str = "apiusage fetch bookkeeping, not a log file";

/// The state of one discovery walk.
#[derive(Default)]
struct Walk {
    exclude: Vec<PathBuf>,
    /// Canonical paths of the folders walked so far.
    visited: Vec<PathBuf>,
    /// Files found, each with a reason when it is known already not to be a log.
    found: Vec<(PathBuf, Option<String>)>,
    skipped: Vec<Skipped>,
}

impl Walk {
    /// Walks `dir`; `in_fetch` when it lies inside a fetch folder.
    fn folder(&mut self, dir: &Path, in_fetch: bool) -> Result<(), DiscoverError> {
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if self.exclude.contains(&canonical) || self.visited.contains(&canonical) {
            return Ok(());
        }
        self.visited.push(canonical);
        let in_fetch = match marker::read(dir) {
            Some(kind @ (Kind::Report | Kind::Store)) => {
                self.skipped.push(Skipped {
                    path: label_of(dir),
                    reason: kind.describe().to_string(),
                });
                return Ok(());
            }
            Some(Kind::Fetch) => true,
            None => in_fetch,
        };
        let entries = fs::read_dir(dir).map_err(|e| DiscoverError {
            path: dir.display().to_string(),
            reason: format!("cannot list folder: {e}"),
        })?;
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            if marker::is_bookkeeping_dir(&name) {
                continue;
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            // A symlink is judged by what it points to (a dangling one is left to classify).
            let is_dir =
                kind.is_dir() || (kind.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_dir()));
            if is_dir {
                self.folder(&path, in_fetch)?;
            } else if in_fetch && marker::FETCH_BOOKKEEPING.iter().any(|b| name == *b) {
                self.found
                    .push((path, Some(FETCH_BOOKKEEPING_REASON.to_string())));
            } else {
                self.found.push((path, None));
            }
        }
        Ok(())
    }
}

/// The format of one file, or why it is skipped. Only regular files (or symlinks to them) are
/// ever opened: opening a FIFO blocks until something writes to it, and a device may never end.
pub fn classify(path: &Path) -> Result<Format, String> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_regular(&meta.file_type())),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot open: {e}")),
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let magic = leading_bytes(path);
    if magic.starts_with(b"PAR1") || name.ends_with(".parquet") {
        return Ok(Format::Parquet);
    }
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    if [".json", ".ndjson", ".jsonl"].iter().any(|x| stem.ends_with(x)) {
        let gzip = name.ends_with(".gz") || magic.starts_with(&[0x1f, 0x8b]);
        if !super::ndjson::looks_like_rows(path, gzip) {
            return Err(NOT_ROWS_JSON.into());
        }
        return Ok(if gzip { Format::NdjsonGzip } else { Format::Ndjson });
    }
    let csv_name = name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".gz");
    if !csv_name {
        return Err("not a .csv, .csv.gz, .parquet or JSON-lines file".into());
    }
    if magic.starts_with(&[0x1f, 0x8b]) || name.ends_with(".gz") {
        Ok(Format::CsvGzip)
    } else {
        Ok(Format::Csv)
    }
}

/// Why a JSON file that is not rows is skipped (a saved `/limits` response, a JSON array…).
pub const NOT_ROWS_JSON: &str = "JSON, but not Event Monitoring rows (one object per line with EVENT_TYPE, TIMESTAMP_DERIVED, …; at the top level or one level down)";

/// Why a path that is not a regular file is skipped.
fn not_regular(kind: &fs::FileType) -> String {
    let what = if kind.is_dir() {
        "a folder"
    } else {
        special_kind(kind)
    };
    format!("not a regular file ({what}); only regular files are read")
}

#[cfg(unix)]
fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// The first four bytes of a file (fewer if it is shorter or unreadable).
fn leading_bytes(path: &Path) -> Vec<u8> {
    let mut buf = Vec::with_capacity(4);
    if let Ok(file) = fs::File::open(path) {
        let _ = file.take(4).read_to_end(&mut buf);
    }
    buf
}
