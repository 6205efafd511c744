//! Stage 1 of the pipeline: files on disk → one table of normalised calls (not yet
//! de-duplicated), with every row read accounted for.
//!
//! `discover` walks the paths; each recognised file is read in parallel (rayon) by the reader
//! for its format — `csv` (plain or gzip) or `parquet` — into a part with its own string pool;
//! [`Concat`] puts the parts together in path order, re-mapping their ids into one pool. A
//! file that cannot be read at all is reported and the others still go through.

pub mod builder;
pub mod chunks;
pub mod columns;
pub mod csv;
pub mod discover;
pub mod lines;
mod merge;
pub mod ndjson;
pub mod parquet;

use std::fmt;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use self::builder::Part;
use self::columns::{ColumnMap, MissingColumns};
pub use self::discover::{discover, Discovery, Format, InputFile, Skipped};
pub use self::merge::{merge_parts, merge_rows, Concat};
use crate::model::{Calls, Millis, RowTally};

/// What ingest needs to know about the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The run's time (`--generated-at`, else the caller's clock), UTC milliseconds: calls
    /// more than a day after it are not plausible.
    pub run_time: Millis,
}

/// 2013-01-01T00:00:00Z: no EventLogFile is older.
pub const EARLIEST_PLAUSIBLE: Millis = 1_356_998_400_000;

/// How far after the run's time a call may be dated (clock skew, time zones).
pub const FUTURE_SLACK: Millis = 86_400_000;

impl Settings {
    /// Settings for a run at `run_time`.
    pub fn at(run_time: chrono::DateTime<chrono::Utc>) -> Settings {
        Settings {
            run_time: run_time.timestamp_millis(),
        }
    }

    /// The plausible call times, inclusive: [`EARLIEST_PLAUSIBLE`] to a day after the run.
    pub fn plausible(&self) -> (Millis, Millis) {
        (EARLIEST_PLAUSIBLE, self.run_time.saturating_add(FUTURE_SLACK))
    }

    /// A plausible-range bound as text (`2013-01-01T00:00:00Z`).
    pub fn describe(ms: Millis) -> String {
        chrono::DateTime::from_timestamp_millis(ms).map_or_else(
            || format!("{ms} ms"),
            |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    }
}

/// Why a whole file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FileError {
    /// The file, as given or discovered.
    pub path: String,
    /// What went wrong and how to fix it.
    pub reason: String,
}

impl FileError {
    /// An I/O failure (missing file, permission, truncated gzip stream).
    pub fn io(path: &str, e: &std::io::Error) -> FileError {
        let reason = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                "truncated file: the data ends mid-stream (re-download it)".to_string()
            }
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
                format!("corrupt compressed data: {e} (re-download it)")
            }
            _ => format!("cannot read: {e}"),
        };
        FileError {
            path: path.to_string(),
            reason,
        }
    }

    /// A csv-level failure, which for streaming input is an I/O failure underneath.
    pub fn from_csv(path: &str, gzip: bool, e: &::csv::Error) -> FileError {
        match e.kind() {
            ::csv::ErrorKind::Io(io) => {
                let mut err = FileError::io(path, io);
                if gzip {
                    err.reason = format!("gzip stream: {}", err.reason);
                }
                err
            }
            _ => FileError {
                path: path.to_string(),
                reason: format!("CSV error: {e}"),
            },
        }
    }

    /// A file polars could not decode as Parquet.
    pub fn corrupt(path: &str, detail: &str) -> FileError {
        FileError {
            path: path.to_string(),
            reason: format!("not a readable Parquet file: {detail}"),
        }
    }

    /// Required columns are missing: names what is missing and what was found.
    pub fn missing(path: &str, map: &ColumnMap, missing: &MissingColumns) -> FileError {
        FileError {
            path: path.to_string(),
            reason: format!(
                "missing required column(s): {}; found columns: {}. Is this an Event Monitoring \
                 log? Run `apiusage schema {path}` to see how its columns map",
                missing.missing.join("; "),
                if map.header.is_empty() {
                    "(none)".to_string()
                } else {
                    // Header names come from the file: no control bytes reach a terminal.
                    crate::text::clean(&map.header.join(", "))
                }
            ),
        }
    }
}

/// What ingest learnt about one readable file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file, as given or discovered.
    pub path: String,
    /// Detected format.
    pub format: Format,
    /// Its rows' accounting (duplicates and used are filled in by `dedup`).
    pub rows: RowTally,
}

/// Everything ingest produced.
#[derive(Debug, Default)]
pub struct Ingested {
    /// All rows of every readable file, in path then line order.
    pub calls: Calls,
    /// One report per readable file, indexed like `calls.files`.
    pub files: Vec<FileReport>,
    /// Files that could not be read at all.
    pub unreadable: Vec<FileError>,
    /// Paths that are not log files.
    pub skipped: Vec<Skipped>,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "CSV",
            Format::CsvGzip => "CSV (gzip)",
            Format::Parquet => "Parquet",
            Format::Ndjson => "JSON lines",
            Format::NdjsonGzip => "JSON lines (gzip)",
        })
    }
}

/// Reads one file with the reader for its format.
pub fn read_file(file: &InputFile, settings: &Settings) -> Result<Part, FileError> {
    read_file_with(file, true, settings)
}

/// [`read_file`]; `split` allows cutting a large plain CSV into parallel chunks, which only
/// pays when there are fewer files than cores (the pre-scan reads the file once more).
pub fn read_file_with(file: &InputFile, split: bool, settings: &Settings) -> Result<Part, FileError> {
    match file.format {
        Format::Csv | Format::CsvGzip => {
            let gzip = file.format == Format::CsvGzip;
            let map = csv::read_header(&file.path, &file.label, gzip)?;
            map.check_required()
                .map_err(|m| FileError::missing(&file.label, &map, &m))?;
            csv::read(&file.path, &file.label, gzip, split, settings)
        }
        Format::Parquet => parquet::read(&file.path, &file.label, settings),
        Format::Ndjson | Format::NdjsonGzip => ndjson::read(
            &file.path,
            &file.label,
            file.format == Format::NdjsonGzip,
            settings,
        ),
    }
}

/// Discovers and reads every file under `paths` (but not under `exclude`), in parallel, into
/// one table.
pub fn ingest(
    paths: &[PathBuf],
    exclude: &[PathBuf],
    settings: &Settings,
) -> Result<Ingested, discover::DiscoverError> {
    let Discovery { files, skipped } = discover(paths, exclude)?;
    let split = files.len() < rayon::current_num_threads();
    let results: Vec<(InputFile, Result<Part, FileError>)> = files
        .into_par_iter()
        .map(|f| {
            let part = read_file_with(&f, split, settings);
            (f, part)
        })
        .collect();
    let mut out = Ingested {
        skipped,
        ..Ingested::default()
    };
    let mut parts = Vec::new();
    for (file, result) in results {
        match result {
            Ok(part) => {
                out.files.push(FileReport {
                    path: file.label.clone(),
                    format: file.format,
                    rows: part.tally.clone(),
                });
                parts.push(part.calls);
            }
            Err(e) => out.unreadable.push(e),
        }
    }
    let mut table = Concat::new(Calls::default());
    table.append(parts);
    out.calls = table.finish();
    Ok(out)
}
