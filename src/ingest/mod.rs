//! Stage 1 of the pipeline: files on disk → one table of normalised calls (not yet
//! de-duplicated), with every row read accounted for.
//!
//! `discover` walks the paths; each recognised file is read in parallel (rayon) by the reader
//! for its format — `csv` (plain or gzip) or `parquet` — into a part with its own string pool;
//! `merge` concatenates the parts in path order, re-mapping their ids into one pool. A file that
//! cannot be read at all is reported and the others still go through.

pub mod builder;
pub mod chunks;
pub mod columns;
pub mod csv;
pub mod discover;
pub mod lines;
pub mod ndjson;
pub mod parquet;

use std::fmt;
use std::path::PathBuf;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use self::builder::Part;
use self::columns::{ColumnMap, MissingColumns};
pub use self::discover::{discover, Discovery, Format, InputFile, Skipped};
use crate::model::{Calls, Millis, RowTally, Shape, ShapeId, StrId};

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
    for (file, result) in results {
        match result {
            Ok(part) => {
                out.files.push(FileReport {
                    path: file.label.clone(),
                    format: file.format,
                    rows: part.tally.clone(),
                });
                merge(&mut out.calls, part.calls);
            }
            Err(e) => out.unreadable.push(e),
        }
    }
    Ok(out)
}

/// Appends a chunk of the same file to `into` (same file index, tallies added).
pub fn merge_part(into: &mut Part, part: Part) {
    into.tally.merge(part.tally);
    let mut calls = part.calls;
    calls.files.clear();
    merge_at(&mut into.calls, calls, 0);
}

/// Appends `part` to `into`, re-mapping its string and shape ids into `into`'s pools.
pub fn merge(into: &mut Calls, part: Calls) {
    let file_base = into.files.len() as u32;
    merge_at(into, part, file_base);
}

/// The shapes of a table by value, for adding a part's shapes without repeating any.
struct ShapeIndex(FxHashMap<Shape, ShapeId>);

impl ShapeIndex {
    fn of(calls: &Calls) -> ShapeIndex {
        ShapeIndex(
            calls
                .shapes
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, i as ShapeId))
                .collect(),
        )
    }

    /// The id of `shape` in `calls`, added when new.
    fn id(&mut self, calls: &mut Calls, shape: Shape) -> ShapeId {
        let next = calls.shapes.len() as ShapeId;
        *self.0.entry(shape).or_insert_with(|| {
            calls.shapes.push(shape);
            next
        })
    }
}

/// [`merge`], with the part's file indices shifted by `file_base`.
fn merge_at(into: &mut Calls, part: Calls, file_base: u32) {
    let strings: Vec<StrId> = (0..part.strings.len())
        .map(|i| into.strings.intern(part.strings.get(i as StrId)))
        .collect();
    let mut known = ShapeIndex::of(into);
    let shapes: Vec<ShapeId> = part
        .shapes
        .iter()
        .map(|s| known.id(into, remap_shape(s, &strings)))
        .collect();
    into.files.extend(part.files);
    into.ts.extend_from_slice(&part.ts);
    into.shape.extend(part.shape.iter().map(|&s| shapes[s as usize]));
    into.resource
        .extend(part.resource.iter().map(|&r| strings[r as usize]));
    into.rows_processed.extend_from_slice(&part.rows_processed);
    into.flags.extend_from_slice(&part.flags);
    into.key.extend_from_slice(&part.key);
    into.file.extend(part.file.iter().map(|&f| f + file_base));
    into.line.extend_from_slice(&part.line);
}

/// Appends rows `rows` of `part` to `into`: only the strings and shapes those rows use are
/// added to `into`'s pools (a partition takes a few of a big source's rows).
pub fn merge_rows(into: &mut Calls, part: &Calls, rows: &[usize]) {
    let file_base = into.files.len() as u32;
    into.files.extend(part.files.iter().cloned());
    let mut strings = vec![StrId::MAX; part.strings.len()];
    let mut string = |id: StrId, into: &mut Calls| -> StrId {
        let slot = &mut strings[id as usize];
        if *slot == StrId::MAX {
            *slot = into.strings.intern(part.strings.get(id));
        }
        *slot
    };
    let mut known = ShapeIndex::of(into);
    let mut shapes = vec![ShapeId::MAX; part.shapes.len()];
    for &r in rows {
        let old = part.shape[r] as usize;
        if shapes[old] == ShapeId::MAX {
            let mapped = remap_shape_by(&part.shapes[old], |id| string(id, into));
            shapes[old] = known.id(into, mapped);
        }
        let resource = string(part.resource[r], into);
        into.ts.push(part.ts[r]);
        into.shape.push(shapes[old]);
        into.resource.push(resource);
        into.rows_processed.push(part.rows_processed[r]);
        into.flags.push(part.flags[r]);
        into.key.push(part.key[r]);
        into.file.push(part.file[r] + file_base);
        into.line.push(part.line[r]);
    }
}

fn remap_shape(s: &Shape, strings: &[StrId]) -> Shape {
    remap_shape_by(s, |id| strings[id as usize])
}

fn remap_shape_by(s: &Shape, mut m: impl FnMut(StrId) -> StrId) -> Shape {
    Shape {
        org: m(s.org),
        user_id: m(s.user_id),
        user_name: m(s.user_name),
        app_id: m(s.app_id),
        app_name: m(s.app_name),
        client: m(s.client),
        client_ip: m(s.client_ip),
        family: m(s.family),
        version: m(s.version),
        method: m(s.method),
        entity: m(s.entity),
        ..*s
    }
}
