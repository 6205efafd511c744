//! The data files' columns: a partition's rows (a [`Calls`] table plus the store's flags) to a
//! Parquet file with polars, and back.
//!
//! The layout is for outside engines too (DuckDB, Spark): `ts` is a Parquet UTC timestamp in
//! milliseconds, flags are booleans, numbers are signed integers (Spark has no unsigned
//! types), and strings are plain UTF-8 columns, which polars dictionary-encodes (every engine
//! reads them as strings). Empty values are nulls. The partition's org and date are in the
//! folder names (Hive style), not in the file.

use std::fs::File;
use std::path::Path;

use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::StoreError;
use crate::ingest::Concat;
use crate::model::{flags, Calls, EventType, Shape, ShapeId, StrId, Strings};

/// Column names, in file order.
pub mod col {
    /// Call time, UTC, ms.
    pub const TS: &str = "ts";
    /// `EVENT_TYPE` as Salesforce writes it.
    pub const EVENT_TYPE: &str = "event_type";
    /// True when the call counts in the org's rolling 24 h: not a duplicate, a call source
    /// in use for its org-day (fallback reconciliation applied) and counting per its flag.
    pub const COUNTED: &str = "counted";
    /// A copy of an earlier row (first by source path and line is kept).
    pub const DUPLICATE: &str = "duplicate";
    /// A fallback row on an org-day with ApiTotalUsage (kept for enrichment, not counted).
    pub const SUPERSEDED: &str = "superseded";
    /// `COUNTS_AGAINST_API_LIMIT` as read (fallback rows: true; context rows: false).
    pub const COUNTS_AGAINST_LIMIT: &str = "counts_against_limit";
    /// From a fallback event type: an estimate.
    pub const ESTIMATED: &str = "estimated";
    /// A message says `REQUEST_LIMIT_EXCEEDED`.
    pub const LIMIT_EXCEEDED: &str = "limit_exceeded";
    /// `API_CLIENT_CATEGORY = SALESFORCE`: internal Salesforce traffic.
    pub const SALESFORCE_CLIENT: &str = "salesforce_client";
    /// The integration key (`attribute`'s identity rules; renames apply at report time).
    pub const INTEGRATION: &str = "integration";
    /// User id (15 characters).
    pub const USER_ID: &str = "user_id";
    /// User name.
    pub const USER_NAME: &str = "user_name";
    /// Connected app id (15 characters).
    pub const APP_ID: &str = "connected_app_id";
    /// Connected app name.
    pub const APP_NAME: &str = "connected_app_name";
    /// `CLIENT_NAME`.
    pub const CLIENT_NAME: &str = "client_name";
    /// Client IP.
    pub const CLIENT_IP: &str = "client_ip";
    /// API family.
    pub const API_FAMILY: &str = "api_family";
    /// API version.
    pub const API_VERSION: &str = "api_version";
    /// HTTP method or SOAP operation.
    pub const METHOD: &str = "method";
    /// Entity name.
    pub const ENTITY: &str = "entity";
    /// HTTP status.
    pub const STATUS: &str = "status";
    /// Resource template (record ids replaced by `{id}`).
    pub const RESOURCE: &str = "resource";
    /// Rows processed.
    pub const ROWS_PROCESSED: &str = "rows_processed";
    /// The duplicate key's row part (signed 64-bit view of the hash).
    pub const DUP_KEY: &str = "dup_key";
    /// The source's id (`manifest.json` `sources[].id`).
    pub const SOURCE_ID: &str = "source_id";
    /// The source's path when it was ingested.
    pub const SOURCE_FILE: &str = "source_file";
    /// The row's line in its source (row number for Parquet).
    pub const SOURCE_LINE: &str = "source_line";
}

/// A partition's rows ready to write.
pub struct Annotated<'a> {
    /// The rows (any order); `calls.files` are source ids.
    pub calls: &'a Calls,
    /// Rows in the order written (by time).
    pub order: &'a [usize],
    /// Per row: a duplicate.
    pub duplicate: &'a [bool],
    /// Per row: a superseded fallback row.
    pub superseded: &'a [bool],
    /// Per shape: the integration key.
    pub integration: &'a [String],
    /// Per file index: the source's path.
    pub source_paths: &'a [String],
}

impl Annotated<'_> {
    /// Whether row `i` has `counted = true`.
    pub fn counted(&self, i: usize) -> bool {
        !self.duplicate[i] && !self.superseded[i] && self.calls.shape_of(i).counts
    }
}

fn text(calls: &Calls, id: StrId) -> Option<&str> {
    (id != 0).then(|| calls.strings.get(id))
}

/// Rows per row group of a data file (polars' default): a partition is built and written one
/// row group at a time, so a day of a large org (millions of rows) never sits in memory as one
/// frame of strings.
const ROW_GROUP: usize = 512 * 512;

/// Writes the rows to `path` (a new file) and syncs it; returns its size.
pub fn write(path: &Path, a: &Annotated) -> Result<u64, StoreError> {
    let failed = |e: PolarsError| StoreError::Corrupt(format!("{}: cannot write: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, &e))?;
    }
    let mut file = File::create(path).map_err(|e| StoreError::io(path, &e))?;
    let schema = frame(a, &[]).map_err(failed)?.schema().as_ref().clone();
    let footer = footer_metadata(a)
        .map_err(|e| StoreError::Corrupt(format!("{}: cannot write: {e}", path.display())))?;
    // Partitions are written in parallel on rayon's threads. polars' own pool on top made a
    // thread waiting for it start another partition meanwhile, and those nested partitions'
    // frames piled up (6 GiB for 10 M rows); serial columns keep one frame per thread.
    let mut writer = ParquetWriter::new(&mut file)
        .set_parallel(false)
        .with_key_value_metadata(footer)
        .batched(&schema)
        .map_err(failed)?;
    for rows in a.order.chunks(ROW_GROUP) {
        let group = frame(a, rows).map_err(failed)?;
        writer.write_batch(&group).map_err(failed)?;
    }
    writer.finish().map_err(failed)?;
    drop(writer);
    file.sync_all().map_err(|e| StoreError::io(path, &e))?;
    let bytes = file.metadata().map_err(|e| StoreError::io(path, &e))?.len();
    Ok(bytes)
}

fn strings<'a>(name: &str, order: &[usize], f: &dyn Fn(usize) -> Option<&'a str>) -> Column {
    Series::new(name.into(), order.iter().map(|&i| f(i)).collect::<Vec<_>>()).into_column()
}

/// The frame of rows `o` (positions in the calls, in the order written).
fn frame<'a>(a: &Annotated<'a>, o: &[usize]) -> PolarsResult<DataFrame> {
    let c = a.calls;
    let shape = |i: usize| c.shape_of(i);
    let strs = |name: &str, f: &dyn Fn(usize) -> Option<&'a str>| -> Column { strings(name, o, f) };
    let bools = |name: &str, f: &dyn Fn(usize) -> bool| -> Column {
        Series::new(name.into(), o.iter().map(|&i| f(i)).collect::<Vec<bool>>()).into_column()
    };
    let ts = Int64Chunked::from_vec(col::TS.into(), o.iter().map(|&i| c.ts[i]).collect())
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        .into_series()
        .into_column();
    let s = |f: fn(&Shape) -> StrId| move |i: usize| text(c, f(shape(i)));
    let columns = vec![
        ts,
        strs(col::EVENT_TYPE, &|i| Some(c.event_of(i).name())),
        bools(col::COUNTED, &|i| a.counted(i)),
        bools(col::DUPLICATE, &|i| a.duplicate[i]),
        bools(col::SUPERSEDED, &|i| a.superseded[i]),
        bools(col::COUNTS_AGAINST_LIMIT, &|i| shape(i).counts),
        bools(col::ESTIMATED, &|i| c.flags[i] & flags::ESTIMATED != 0),
        bools(col::LIMIT_EXCEEDED, &|i| c.flags[i] & flags::LIMIT_EXCEEDED != 0),
        bools(col::SALESFORCE_CLIENT, &|i| {
            c.flags[i] & flags::SALESFORCE_CLIENT != 0
        }),
        strs(col::INTEGRATION, &|i| {
            Some(a.integration[c.shape[i] as usize].as_str())
        }),
        strs(col::USER_ID, &s(|s| s.user_id)),
        strs(col::USER_NAME, &s(|s| s.user_name)),
        strs(col::APP_ID, &s(|s| s.app_id)),
        strs(col::APP_NAME, &s(|s| s.app_name)),
        strs(col::CLIENT_NAME, &s(|s| s.client)),
        strs(col::CLIENT_IP, &s(|s| s.client_ip)),
        strs(col::API_FAMILY, &s(|s| s.family)),
        strs(col::API_VERSION, &s(|s| s.version)),
        strs(col::METHOD, &s(|s| s.method)),
        strs(col::ENTITY, &s(|s| s.entity)),
        Series::new(
            col::STATUS.into(),
            o.iter()
                .map(|&i| (shape(i).status != 0).then_some(i32::from(shape(i).status)))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        strs(col::RESOURCE, &|i| text(c, c.resource[i])),
        Series::new(
            col::ROWS_PROCESSED.into(),
            o.iter()
                .map(|&i| (c.rows_processed[i] != u32::MAX).then_some(i64::from(c.rows_processed[i])))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new(
            col::DUP_KEY.into(),
            o.iter().map(|&i| c.key[i] as i64).collect::<Vec<i64>>(),
        )
        .into_column(),
        strs(col::SOURCE_ID, &|i| Some(c.files[c.file[i] as usize].as_str())),
        strs(col::SOURCE_FILE, &|i| {
            Some(a.source_paths[c.file[i] as usize].as_str())
        }),
        Series::new(
            col::SOURCE_LINE.into(),
            o.iter().map(|&i| i64::from(c.line[i])).collect::<Vec<i64>>(),
        )
        .into_column(),
    ];
    DataFrame::new(o.len(), columns)
}

/// The rows of one data file, read back.
pub struct Read {
    /// The rows, in file order; `calls.files` are the source ids found, `file` indexes them.
    pub calls: Calls,
    /// Per row: `duplicate` as stored.
    pub duplicate: Vec<bool>,
    /// Per row: `counted` as stored.
    pub counted: Vec<bool>,
}

/// The text columns [`read`] interns, in the order `decode` uses them: the shape's fields,
/// the resource, then the source id.
const TEXT_COLUMNS: [&str; 12] = [
    col::USER_ID,
    col::USER_NAME,
    col::APP_ID,
    col::APP_NAME,
    col::CLIENT_NAME,
    col::CLIENT_IP,
    col::API_FAMILY,
    col::API_VERSION,
    col::METHOD,
    col::ENTITY,
    col::RESOURCE,
    col::SOURCE_ID,
];

/// The other columns [`read`] decodes (the flags and keys it restores).
const OTHER_COLUMNS: [&str; 12] = [
    col::TS,
    col::EVENT_TYPE,
    col::COUNTED,
    col::DUPLICATE,
    col::COUNTS_AGAINST_LIMIT,
    col::ESTIMATED,
    col::LIMIT_EXCEEDED,
    col::SALESFORCE_CLIENT,
    col::STATUS,
    col::ROWS_PROCESSED,
    col::DUP_KEY,
    col::SOURCE_LINE,
];

/// The columns `names` of a data file (of only the row groups `footer` keeps, if given), read
/// on the calling thread.
fn read_columns(
    path: &Path,
    names: &[&str],
    footer: Option<FileMetadataRef>,
) -> Result<DataFrame, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io(path, &e))?;
    let mut reader = ParquetReader::new(file);
    if let Some(footer) = footer {
        reader.set_metadata(footer);
    }
    // Data files are read in parallel on rayon's threads; polars' pool on top would let a
    // waiting thread start reading another file, piling up whole frames (see `write`).
    reader
        .with_columns(Some(names.iter().map(|c| (*c).to_string()).collect()))
        .read_parallel(ParallelStrategy::None)
        .finish()
        .map_err(|e| corrupt(path, &e))
}

/// A data file's footer (its row groups, and the callers it lists).
fn footer(path: &Path) -> Result<FileMetadataRef, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io(path, &e))?;
    ParquetReader::new(file)
        .get_metadata()
        .cloned()
        .map_err(|e| corrupt(path, &e))
}

fn corrupt(path: &Path, e: &PolarsError) -> StoreError {
    StoreError::Corrupt(format!("{}: {e}", path.display()))
}

/// Reads a data file of org `org`. Flags are restored except superseded, which `dedup`
/// recomputes.
///
/// A row group at a time: polars' decoded columns (a 16-byte view per string and row, a
/// dozen string columns) are several times the size of the rows they become, and a whole
/// file of an org's busy day (3 M rows) held 1 GB of them per reading thread.
pub fn read(path: &Path, org: &str) -> Result<Read, StoreError> {
    let names: Vec<&str> = TEXT_COLUMNS.iter().chain(&OTHER_COLUMNS).copied().collect();
    let footer = footer(path)?;
    let mut calls = Calls::default();
    calls.reserve(trusted_rows(footer.num_rows as u64));
    let mut table = Concat::new(calls);
    let (mut duplicate, mut counted) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for group in &footer.row_groups {
        let rows = group.num_rows();
        let (only, _) = crate::ingest::parquet::trimmed(&footer, offset, rows);
        offset += rows;
        let df = read_columns(path, &names, Some(only))?;
        let part = decode(&df, org).map_err(|e| corrupt(path, &e))?;
        duplicate.extend(part.duplicate);
        counted.extend(part.counted);
        table.append(vec![part.calls]);
    }
    let mut calls = table.finish();
    calls.files = distinct_files(&mut calls);
    Ok(Read {
        calls,
        duplicate,
        counted,
    })
}

/// Rows to reserve room for when a manifest or a footer says `claimed`: at most 64 Mi, so a
/// damaged count costs a clear error later, not an allocation the system refuses now; a
/// larger table grows from there.
pub(super) fn trusted_rows(claimed: u64) -> usize {
    claimed.min(1 << 26) as usize
}

/// The table's source ids, each once, with `file` indices pointing into that list: the row
/// groups of a file each list the sources they found, and a source spans several groups.
fn distinct_files(calls: &mut Calls) -> Vec<String> {
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let mut distinct: Vec<String> = Vec::new();
    let mut to_distinct: Vec<u32> = Vec::with_capacity(calls.files.len());
    for id in &calls.files {
        let next = distinct.len() as u32;
        let i = *index.entry(id.as_str()).or_insert_with(|| {
            distinct.push(id.clone());
            next
        });
        to_distinct.push(i);
    }
    for f in &mut calls.file {
        *f = to_distinct[*f as usize];
    }
    distinct
}

/// The columns [`read_identities`] decodes.
const IDENTITY_COLUMNS: [&str; 6] = [
    col::APP_ID,
    col::APP_NAME,
    col::CLIENT_NAME,
    col::USER_ID,
    col::USER_NAME,
    col::SALESFORCE_CLIENT,
];

/// The distinct caller identities of a data file (connected app id and name, client, user id
/// and name), as a table of one row per identity, flagged Salesforce-client when any call of
/// that identity is: the input of [`crate::attribute::census`].
///
/// Data files carry that table in their footer ([`IDENTITIES_KEY`], written with the file), so
/// only the footer is read; a file written before that is read from its columns.
pub fn read_identities(path: &Path) -> Result<Calls, StoreError> {
    if let Some(list) = footer_identities(path)? {
        return Ok(identity_table(&list));
    }
    Ok(identity_table(&column_identities(path)?))
}

/// Whether a data file's footer lists exactly the identities of its rows (`store verify`);
/// true for a file without the list (an older store, read from its columns).
pub fn footer_identities_agree(path: &Path) -> Result<bool, StoreError> {
    match footer_identities(path)? {
        Some(list) => Ok(list == column_identities(path)?),
        None => Ok(true),
    }
}

/// The distinct identities of a data file's rows, read from its columns.
fn column_identities(path: &Path) -> Result<Vec<Identity>, StoreError> {
    let df = read_columns(path, &IDENTITY_COLUMNS, None)?;
    identities(&df).map_err(|e| corrupt(path, &e))
}

/// Footer key of a data file's caller identities: a JSON list of `[[app id, app name, client,
/// user id, user name], salesforce]`, in order of first appearance in the file, empty values
/// as empty strings.
pub const IDENTITIES_KEY: &str = "apiusage.identities";

/// A caller identity as the census takes it: connected app id and name, client, user id and
/// name; and whether any of its calls is Salesforce-internal.
type Identity = ([String; 5], bool);

/// Distinct identities in order of first appearance, each flagged internal when any of its
/// calls is; keyed by string ids of one pool until written out as text.
#[derive(Default)]
struct Distinct {
    index: FxHashMap<[StrId; 5], usize>,
    list: Vec<Identity>,
}

impl Distinct {
    fn add(&mut self, key: [StrId; 5], internal: bool, text: impl Fn(StrId) -> String) {
        match self.index.get(&key) {
            Some(&k) => self.list[k].1 |= internal,
            None => {
                self.index.insert(key, self.list.len());
                self.list.push((key.map(text), internal));
            }
        }
    }
}

/// Most callers a data file's footer lists: beyond that (a hostile file of a million user
/// names) the list is left out, so footers stay small enough for every engine's reader, and
/// the census reads that file's columns instead.
const MAX_FOOTER_IDENTITIES: usize = 10_000;

/// The footer's key-value metadata: the callers of the rows written, unless there are more
/// than [`MAX_FOOTER_IDENTITIES`].
fn footer_metadata(a: &Annotated) -> serde_json::Result<Option<KeyValueMetadata>> {
    let list = identity_list(a);
    if list.len() > MAX_FOOTER_IDENTITIES {
        return Ok(None);
    }
    let json = serde_json::to_string(&list)?;
    Ok(Some(KeyValueMetadata::from_static(vec![(
        IDENTITIES_KEY.to_string(),
        json,
    )])))
}

/// The distinct identities of the rows written, in order of first appearance.
fn identity_list(a: &Annotated) -> Vec<Identity> {
    let c = a.calls;
    let mut distinct = Distinct::default();
    for &i in a.order {
        let s = c.shape_of(i);
        let key = [s.app_id, s.app_name, s.client, s.user_id, s.user_name];
        let internal = c.flags[i] & flags::SALESFORCE_CLIENT != 0;
        distinct.add(key, internal, |id| text(c, id).unwrap_or("").to_string());
    }
    distinct.list
}

/// The identities in a data file's footer; `None` when it has none (an older store).
fn footer_identities(path: &Path) -> Result<Option<Vec<Identity>>, StoreError> {
    let footer = footer(path)?;
    let Some(value) = footer
        .key_value_metadata()
        .iter()
        .flatten()
        .find(|kv| kv.key == IDENTITIES_KEY)
        .and_then(|kv| kv.value.as_deref())
    else {
        return Ok(None);
    };
    serde_json::from_str(value)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("{}: footer {IDENTITIES_KEY}: {e}", path.display())))
}

fn identities(df: &DataFrame) -> PolarsResult<Vec<Identity>> {
    let mut strings = Strings::default();
    let mut ids: Vec<Vec<StrId>> = Vec::with_capacity(5);
    for name in &IDENTITY_COLUMNS[..5] {
        ids.push(intern_column(df.column(name)?.str()?, &mut strings));
    }
    let salesforce = df.column(col::SALESFORCE_CLIENT)?.bool()?;
    let mut distinct = Distinct::default();
    for (i, internal) in salesforce.iter().enumerate() {
        let key = [ids[0][i], ids[1][i], ids[2][i], ids[3][i], ids[4][i]];
        distinct.add(key, internal.unwrap_or(false), |id| strings.get(id).to_string());
    }
    Ok(distinct.list)
}

/// The census's input: one row per identity, its shape holding the identity's fields and its
/// flags the Salesforce-client bit.
fn identity_table(list: &[Identity]) -> Calls {
    let mut calls = Calls::default();
    for (fields, internal) in list {
        let [app_id, app_name, client, user_id, user_name] =
            fields.each_ref().map(|f| calls.strings.intern(f));
        calls.shape.push(calls.shapes.len() as ShapeId);
        calls.shapes.push(Shape {
            app_id,
            app_name,
            client,
            user_id,
            user_name,
            ..Shape::default()
        });
        calls
            .flags
            .push(if *internal { flags::SALESFORCE_CLIENT } else { 0 });
        calls.ts.push(0);
        calls.resource.push(0);
        calls.rows_processed.push(u32::MAX);
        calls.key.push(0);
        calls.file.push(0);
        calls.line.push(0);
    }
    calls
}

/// Number of rows in a data file, from its footer.
pub fn row_count(path: &Path) -> Result<u64, StoreError> {
    Ok(footer(path)?.num_rows as u64)
}

fn decode(df: &DataFrame, org: &str) -> PolarsResult<Read> {
    let mut calls = Calls::default();
    let org = calls.strings.intern(org);
    let str_col = |name: &str| -> PolarsResult<StringChunked> { Ok(df.column(name)?.str()?.clone()) };
    let bool_col = |name: &str| -> PolarsResult<Vec<bool>> {
        Ok(df
            .column(name)?
            .bool()?
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect())
    };
    let ts: Vec<i64> = df
        .column(col::TS)?
        .datetime()?
        .physical()
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let event = str_col(col::EVENT_TYPE)?;
    let text_fields: Vec<StringChunked> = TEXT_COLUMNS
        .iter()
        .map(|n| str_col(n))
        .collect::<PolarsResult<_>>()?;
    let counts = bool_col(col::COUNTS_AGAINST_LIMIT)?;
    let estimated = bool_col(col::ESTIMATED)?;
    let exceeded = bool_col(col::LIMIT_EXCEEDED)?;
    let salesforce = bool_col(col::SALESFORCE_CLIENT)?;
    let duplicate = bool_col(col::DUPLICATE)?;
    let counted = bool_col(col::COUNTED)?;
    let status: Vec<u16> = df
        .column(col::STATUS)?
        .i32()?
        .iter()
        .map(|v| v.and_then(|s| u16::try_from(s).ok()).unwrap_or(0))
        .collect();
    let rows_processed: Vec<u32> = df
        .column(col::ROWS_PROCESSED)?
        .i64()?
        .iter()
        .map(|v| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(u32::MAX))
        .collect();
    let key: Vec<u64> = df
        .column(col::DUP_KEY)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0) as u64)
        .collect();
    let line: Vec<u32> = df
        .column(col::SOURCE_LINE)?
        .i64()?
        .iter()
        .map(|v| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(u32::MAX))
        .collect();
    let mut ids: Vec<Vec<StrId>> = Vec::with_capacity(text_fields.len());
    for column in &text_fields[..11] {
        ids.push(intern_column(column, &mut calls.strings));
    }
    let mut sources = Strings::default();
    let source_of = intern_column(&text_fields[11], &mut sources);
    let mut events = event.iter();
    let mut shapes: FxHashMap<Shape, ShapeId> = FxHashMap::default();
    // Source ids by their id in `sources`, numbered in order of appearance.
    let mut file_of: Vec<u32> = vec![u32::MAX; sources.len()];
    for i in 0..df.height() {
        let v = |k: usize| ids[k][i];
        let event_type = events
            .next()
            .flatten()
            .and_then(|e| EventType::from_name(e.as_bytes()))
            .unwrap_or(EventType::ApiTotalUsage);
        let shape = Shape {
            org,
            event: event_type.index(),
            counts: counts[i],
            user_id: v(0),
            user_name: v(1),
            app_id: v(2),
            app_name: v(3),
            client: v(4),
            client_ip: v(5),
            family: v(6),
            version: v(7),
            method: v(8),
            entity: v(9),
            status: status[i],
        };
        let next = calls.shapes.len() as ShapeId;
        let id = *shapes.entry(shape).or_insert_with(|| {
            calls.shapes.push(shape);
            next
        });
        let source = source_of[i] as usize;
        if file_of[source] == u32::MAX {
            file_of[source] = calls.files.len() as u32;
            calls.files.push(sources.get(source as StrId).to_string());
        }
        let file = file_of[source];
        let mut f = 0;
        if estimated[i] {
            f |= flags::ESTIMATED;
        }
        if exceeded[i] {
            f |= flags::LIMIT_EXCEEDED;
        }
        if salesforce[i] {
            f |= flags::SALESFORCE_CLIENT;
        }
        calls.ts.push(ts[i]);
        calls.shape.push(id);
        calls.resource.push(v(10));
        calls.rows_processed.push(rows_processed[i]);
        calls.flags.push(f);
        calls.key.push(key[i]);
        calls.file.push(file);
        calls.line.push(line[i]);
    }
    Ok(Read {
        calls,
        duplicate,
        counted,
    })
}

/// Each row's string id in `strings` (0 for a null). A value is looked up once per distinct
/// view in each array: values decoded from one dictionary entry share their view (the bytes
/// themselves when short, where they lie in the array's buffers when long), so most rows cost
/// a 16-byte compare instead of hashing and comparing the string.
fn intern_column(column: &StringChunked, strings: &mut Strings) -> Vec<StrId> {
    let mut out = Vec::with_capacity(column.len());
    for array in column.downcast_iter() {
        let mut seen: FxHashMap<u128, StrId> = FxHashMap::default();
        let views = array.views();
        for (i, view) in views.iter().enumerate() {
            let id = match array.get(i) {
                None => 0,
                Some(value) => *seen
                    .entry(view.as_u128())
                    .or_insert_with(|| strings.intern(value)),
            };
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_file_without_callers_in_its_footer_is_read_from_its_columns() {
        // As an older store wrote it: the identity columns, no footer list.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-old.parquet");
        let mut df = df!(
            col::APP_ID => [Some("0H45j000000XyZa"), None, Some("0H45j000000XyZa")],
            col::APP_NAME => [Some("Acme Sync"), None, Some("Acme Sync")],
            col::CLIENT_NAME => [None, Some("SfdxCli"), None],
            col::USER_ID => ["0055j000001AbCd", "0055j000001AbCd", "0055j000001AbCd"],
            col::USER_NAME => ["sync@acme.example", "sync@acme.example", "sync@acme.example"],
            col::SALESFORCE_CLIENT => [false, true, false]
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        assert_eq!(footer_identities(&path).unwrap(), None);
        assert!(footer_identities_agree(&path).unwrap());
        let table = read_identities(&path).unwrap();
        let rows: Vec<(&str, &str, &str, u8)> = (0..table.len())
            .map(|i| {
                let s = table.shape_of(i);
                let text = |id| table.strings.get(id);
                (text(s.app_id), text(s.app_name), text(s.client), table.flags[i])
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("0H45j000000XyZa", "Acme Sync", "", 0),
                ("", "", "SfdxCli", flags::SALESFORCE_CLIENT),
            ]
        );
    }
}
