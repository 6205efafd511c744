//! The one marker scheme for folders apiusage writes (report folders, call stores, fetch
//! folders), so that no reader ever mistakes apiusage's own output for logs.
//!
//! A folder apiusage owns holds `.apiusage/marker.json`:
//! `{"tool": "apiusage", "kind": "report" | "store" | "fetch", "schema_version": 1}`.
//! Discovery reads it before walking a folder:
//! - `.apiusage/` itself is never read as logs (bookkeeping of every kind lives there);
//! - a `report` or `store` folder is skipped whole, with a reason;
//! - a `fetch` folder holds logs and is read, except its bookkeeping files
//!   ([`FETCH_BOOKKEEPING`]).
//!
//! This module only names and reads the marker; it sits beside `model`, upstream of everything.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The bookkeeping folder's name inside a folder apiusage owns.
pub const DIR: &str = ".apiusage";

/// The marker file's name inside [`DIR`].
pub const FILE: &str = "marker.json";

/// The marker's `tool` value.
pub const TOOL: &str = "apiusage";

/// File names inside a fetch folder's `<org>/` folders that are fetch's bookkeeping, not logs.
pub const FETCH_BOOKKEEPING: &[&str] = &["limits.json", "org.json"];

/// The largest marker file read (a marker is a few dozen bytes).
const MAX_MARKER_BYTES: u64 = 64 * 1024;

/// What kind of folder apiusage wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A report folder (`apiusage report --out`).
    Report,
    /// A call store (`apiusage ingest --store`).
    Store,
    /// A folder of downloaded logs (`apiusage fetch --out`).
    Fetch,
}

impl Kind {
    /// How a skipped folder of this kind is described to the user.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Report => "an apiusage report folder (its files are outputs, not logs)",
            Kind::Store => "an apiusage call store (read it with `report --store DIR`)",
            Kind::Fetch => "an apiusage fetch folder",
        }
    }
}

/// The marker file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Always [`TOOL`].
    pub tool: String,
    /// The folder's kind.
    pub kind: Kind,
    /// The marker's own schema version (1).
    pub schema_version: u32,
}

/// The marker path of a folder.
pub fn path_of(folder: &Path) -> PathBuf {
    folder.join(DIR).join(FILE)
}

/// Writes (or rewrites) the marker of `folder`, creating `.apiusage/`. The write is atomic (a
/// temporary file renamed over the marker).
pub fn write(folder: &Path, kind: Kind) -> io::Result<()> {
    let dir = folder.join(DIR);
    fs::create_dir_all(&dir)?;
    let marker = Marker {
        tool: TOOL.to_string(),
        kind,
        schema_version: 1,
    };
    let bytes = serde_json::to_vec_pretty(&marker).map_err(io::Error::other)?;
    let tmp = dir.join(format!("{FILE}.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, dir.join(FILE))
}

/// The kind of folder apiusage wrote at `folder`, if it holds a valid marker. A missing,
/// oversized or unparseable marker means "not ours" (`None`): the folder is read as usual.
pub fn read(folder: &Path) -> Option<Kind> {
    let path = path_of(folder);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MARKER_BYTES {
        return None;
    }
    let marker: Marker = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
    (marker.tool == TOOL).then_some(marker.kind)
}

/// Whether a path component is apiusage's bookkeeping folder.
pub fn is_bookkeeping_dir(name: &std::ffi::OsStr) -> bool {
    name == DIR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_marker_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        write(dir.path(), Kind::Store).unwrap();
        assert_eq!(read(dir.path()), Some(Kind::Store));
        write(dir.path(), Kind::Report).unwrap();
        assert_eq!(read(dir.path()), Some(Kind::Report));
    }

    #[test]
    fn a_foreign_or_broken_marker_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(DIR)).unwrap();
        fs::write(
            path_of(dir.path()),
            "{\"tool\":\"other\",\"kind\":\"report\",\"schema_version\":1}",
        )
        .unwrap();
        assert_eq!(read(dir.path()), None);
        fs::write(path_of(dir.path()), "not json").unwrap();
        assert_eq!(read(dir.path()), None);
    }
}
