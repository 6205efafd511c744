//! The Parquet reader, on polars: projection pushdown reads only the mapped columns, which are
//! then walked row by row into the same [`PartBuilder`] the CSV reader uses. A file's slices
//! (whole row groups) are decoded and walked in parallel, each into a part of its own, merged
//! in file order.
//!
//! Event Log Object exports (`ApiTotalUsageEventLog`) carry CamelCase names, 18-character ids,
//! real nulls, booleans and a datetime `Timestamp`. Datetime columns are read natively as UTC
//! milliseconds; booleans and numbers stay typed and are written as text one row at a time,
//! exactly as polars' cast would write them, so the one set of `normalize` rules applies. A
//! row's "line" in reports is its 1-based row number.

use std::cell::Cell;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;
use rayon::prelude::*;

use super::builder::{Part, PartBuilder, RowSource};
use super::columns::{ColumnMap, Field, FIELD_COUNT};
use super::{FileError, Settings};
use crate::ingest;
use crate::model::Millis;

/// Rows decoded at a time, at most: memory stays bounded by one slice's columns (their cast to
/// text is the big part), not by the file. Slices follow the row groups: a slice that ends
/// inside a group makes polars decode that group again for the next one (on typed exports
/// with 250,000-row groups, slices of 131,072 rows cost a third more ingest time). A group
/// larger than this is read in equal parts.
const MAX_SLICE_ROWS: usize = 1 << 18;

/// Reads one Parquet file into a part, a slice of rows at a time.
pub fn read(path: &Path, label: &str, settings: &Settings) -> Result<Part, FileError> {
    guarded(label, || read_unguarded(path, label, settings))
}

thread_local! {
    /// Set while this thread runs polars under [`guarded`]: its panics are caught and reported.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Guards running now, on any thread: polars decodes on its own pool (threads named
/// `polars-N`), whose panics travel back to the guarded caller.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs polars on a file it may choke on. The Parquet decoder panics on some corrupt input
/// (e.g. "thrift bool field" for a damaged footer, "values.len() >= 4" for a damaged data
/// page) instead of returning an error; such a file is reported as unreadable like any other
/// corrupt file, and the run goes on. The panic hook stays quiet for the panics caught here
/// (the file's error says it all) and reports every other panic as before.
fn guarded<T>(label: &str, read: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_guarded_thread() {
                previous(info);
            }
        }));
    });
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(outer));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    result.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".into());
        Err(FileError::corrupt(label, &detail))
    })
}

/// Whether a panic on this thread is one [`guarded`] catches.
fn is_guarded_thread() -> bool {
    GUARDED.with(Cell::get)
        || (ACTIVE.load(Ordering::SeqCst) > 0
            && std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("polars")))
}

fn read_unguarded(path: &Path, label: &str, settings: &Settings) -> Result<Part, FileError> {
    let (map, names) = read_map(path, label)?;
    map.check_required()
        .map_err(|m| FileError::missing(label, &map, &m))?;
    let wanted: Vec<(Field, String)> = mapped_fields(&map, &names);
    let footer = read_footer(path, label)?;
    let rows = footer.num_rows;
    let groups = check_page_value_counts(path, label)?;
    // Slices are decoded and walked in parallel, each into its own part, merged in file
    // order: the same rows, ids and accounting as one builder over the file.
    // Collected whole before the first error is taken, so that a file with several damaged
    // slices is named by the same one on every run, whichever thread failed first.
    // While this thread waits for its slices it runs other queued work (other files' reads),
    // whose panics must not be silenced: the mark is off for the fan-out, and each slice is
    // guarded on the thread that runs it (a decoder panic becomes that slice's error).
    let outer = GUARDED.with(|g| g.replace(false));
    let results: Vec<Result<Part, FileError>> = slices(rows, &groups)
        .into_par_iter()
        .map(|(offset, len)| {
            guarded(label, || {
                let source = Source {
                    path,
                    footer: &footer,
                };
                read_part(&source, label, &map, &wanted, (offset, len), settings)
            })
        })
        .collect();
    GUARDED.with(|g| g.set(outer));
    let parts: Vec<Part> = results.into_iter().collect::<Result<_, _>>()?;
    let whole = ingest::merge_parts(parts, || PartBuilder::new(label, &map, settings).finish());
    return_freed_memory();
    Ok(whole)
}

/// One slice of the file, decoded and walked into a part of its own.
/// A file to read slices of, with its footer, read once: each slice is given the part of it
/// that covers its own row groups. Told only the slice, polars visits every row group before
/// it (decoding each one's dictionary pages into an empty frame), so a file's cost grew with
/// the square of its slices.
struct Source<'a> {
    path: &'a Path,
    footer: &'a FileMetadataRef,
}

/// The footer trimmed to the row groups that rows `offset..offset + len` lie in, and the
/// offset relative to the first of them.
pub(crate) fn trimmed(footer: &FileMetadataRef, offset: usize, len: usize) -> (FileMetadataRef, usize) {
    let mut start = 0;
    let mut first = None;
    let mut groups = Vec::new();
    for group in &footer.row_groups {
        let rows = group.num_rows();
        if start + rows > offset && start < offset + len {
            first.get_or_insert(start);
            groups.push(group.clone());
        }
        start += rows;
    }
    // Field by field: a clone of the whole footer would copy every group's metadata per slice.
    let part = polars_parquet::parquet::metadata::FileMetadata {
        version: footer.version,
        num_rows: groups.iter().map(|g| g.num_rows()).sum(),
        max_row_group_height: footer.max_row_group_height,
        created_by: footer.created_by.clone(),
        row_groups: groups,
        key_value_metadata: footer.key_value_metadata.clone(),
        schema_descr: footer.schema_descr.clone(),
        column_orders: footer.column_orders.clone(),
        footer_buf: footer.footer_buf.clone(),
    };
    (std::sync::Arc::new(part), offset - first.unwrap_or(offset))
}

fn read_part(
    source: &Source,
    label: &str,
    map: &ColumnMap,
    wanted: &[(Field, String)],
    (offset, len): (usize, usize),
    settings: &Settings,
) -> Result<Part, FileError> {
    let df = read_slice(source, wanted, offset, len)
        .map_err(|e| FileError::corrupt(label, &first_bad_column(source, wanted, offset, len, &e)))?;
    let columns = wanted
        .iter()
        .map(|(field, name)| prepare(&df, *field, name))
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(|e| FileError::corrupt(label, &e.to_string()))?;
    let mut builder = PartBuilder::new(label, map, settings);
    builder.reserve(df.height());
    walk(&df, &columns, offset, &mut builder);
    Ok(builder.finish())
}

/// Refuses a file whose data page headers claim an impossible number of values, before polars
/// decodes it. polars-parquet 0.55.2 casts a page's `num_values` (an `i32` in the page header)
/// to `usize` (`DataPageHeader::num_values`, `parquet/page/mod.rs`), so a negative count — one
/// damaged byte of a 7 KB file — makes the decoder reserve ~2^61 bytes for the page's validity
/// bitmap (`decode_hybrid_rle_into_bitmap`). That is an allocation failure, not a panic:
/// [`guarded`] cannot catch it, and the whole run ended "out of memory". A page may hold at
/// most `i32::MAX` values, and a page of a flat (non-repeated) column at most its row group's
/// rows. Only page headers are read; any other problem is left to polars to report.
/// Returns the row groups' row counts, which the slices follow (empty when the footer cannot be
/// read here).
fn check_page_value_counts(path: &Path, label: &str) -> Result<Vec<usize>, FileError> {
    use polars_parquet::parquet::page::CompressedPage;
    use polars_parquet::parquet::read::{get_page_iterator, read_metadata};
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(Vec::new());
    };
    // SAFETY: the map is only read, while this function runs; a file truncated meanwhile by
    // another process could fault, as it would for polars' own reader of the same file.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else {
        return Ok(Vec::new());
    };
    let max_page = map.len();
    let mut cursor = std::io::Cursor::new(polars_buffer::Buffer::from_owner(map));
    let Ok(meta) = read_metadata(&mut cursor) else {
        return Ok(Vec::new());
    };
    for (g, group) in meta.row_groups.iter().enumerate() {
        let rows = group.num_rows();
        for column in group.parquet_columns() {
            let flat = column.descriptor().descriptor.max_rep_level == 0;
            let Ok(pages) = get_page_iterator(column, cursor.clone(), Vec::new(), max_page) else {
                break;
            };
            for page in pages {
                let Ok(CompressedPage::Data(page)) = page else {
                    if page.is_err() {
                        break;
                    }
                    continue;
                };
                let values = page.num_values();
                if values > i32::MAX as usize || (flat && values > rows) {
                    // The header's own (signed) number: polars sign-extended it to usize.
                    let claimed = if values > i32::MAX as usize {
                        i64::from(values as i32)
                    } else {
                        values as i64
                    };
                    return Err(FileError::corrupt(
                        label,
                        &format!(
                            "row group {g}, column {}: a data page claims {claimed} values (the group has {rows} rows)",
                            column.descriptor().path_in_schema.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(".")
                        ),
                    ));
                }
            }
        }
    }
    Ok(meta.row_groups.iter().map(|g| g.num_rows()).collect())
}

/// The slices a file of `rows` rows is read in. Slices end on row-group boundaries: whole
/// groups, as many as fit in [`MAX_SLICE_ROWS`] (so a file of many tiny groups is still read
/// in few slices), and a group larger than that in equal parts. Fixed slices when the groups
/// are not known or do not add up to the file's rows.
fn slices(rows: usize, groups: &[usize]) -> Vec<(usize, usize)> {
    if groups.iter().sum::<usize>() != rows {
        return (0..rows)
            .step_by(MAX_SLICE_ROWS)
            .map(|offset| (offset, MAX_SLICE_ROWS.min(rows - offset)))
            .collect();
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for &group in groups.iter().filter(|&&g| g > 0) {
        match out.last_mut() {
            // The previous slice ends where this group starts and has room for all of it.
            Some((start, len)) if *start + *len == offset && *len + group <= MAX_SLICE_ROWS => *len += group,
            _ => {
                let parts = group.div_ceil(MAX_SLICE_ROWS);
                let size = group.div_ceil(parts);
                for start in (0..group).step_by(size) {
                    out.push((offset + start, size.min(group - start)));
                }
            }
        }
        offset += group;
    }
    out
}

/// Why a slice could not be decoded, the same on every run. polars decodes the columns in
/// parallel, and when several are damaged whichever fails first names the error (a "thrift
/// protocol error" one run, "data corruption detected" the next), which made summary.json
/// differ between runs on one file. So the columns are tried one at a time, in file order,
/// and the first that fails is named; `fallback` when none fails alone.
fn first_bad_column(
    source: &Source,
    wanted: &[(Field, String)],
    offset: usize,
    len: usize,
    fallback: &PolarsError,
) -> String {
    wanted
        .iter()
        .find_map(|column| {
            read_slice(source, std::slice::from_ref(column), offset, len)
                .err()
                .map(|e| format!("column {}: {e}", column.1))
        })
        .unwrap_or_else(|| fallback.to_string())
}

/// Hands the memory freed while reading a file back to the system. polars decodes on its own
/// threads, and glibc keeps what they free in per-thread arenas rather than returning it: on
/// 10 M rows in eight typed files the process held 1.2-1.4 GiB at its peak, 0.84-0.90 GiB with
/// a trim after each file, in the same time (a trim after each slice saved a little more memory
/// but cost a second of system time).
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The projected columns of `len` rows from `offset`.
fn read_slice(
    source: &Source,
    wanted: &[(Field, String)],
    offset: usize,
    len: usize,
) -> PolarsResult<DataFrame> {
    let mut reader = ParquetReader::new(File::open(source.path)?);
    let (part, offset) = trimmed(source.footer, offset, len);
    reader.set_metadata(part);
    // The slices of every file already keep rayon's threads busy: polars' own pool on top only
    // made the two compete.
    reader
        .with_columns(Some(wanted.iter().map(|(_, n)| n.clone()).collect()))
        .with_slice(Some((offset, len)))
        .read_parallel(ParallelStrategy::None)
        .finish()
}

/// The header of a Parquet file as a column map, plus its column names.
pub fn read_map(path: &Path, label: &str) -> Result<(ColumnMap, Vec<String>), FileError> {
    let file = File::open(path).map_err(|e| FileError::io(label, &e))?;
    let schema = guarded(label, || {
        ParquetReader::new(file)
            .schema()
            .map_err(|e| FileError::corrupt(label, &e.to_string()))
    })?;
    let names: Vec<String> = schema.iter_names().map(ToString::to_string).collect();
    Ok((ColumnMap::from_header(&names), names))
}

/// The footer of a Parquet file (its rows, row groups and schema).
fn read_footer(path: &Path, label: &str) -> Result<FileMetadataRef, FileError> {
    let file = File::open(path).map_err(|e| FileError::io(label, &e))?;
    guarded(label, || {
        ParquetReader::new(file)
            .get_metadata()
            .cloned()
            .map_err(|e| FileError::corrupt(label, &e.to_string()))
    })
}

fn mapped_fields(map: &ColumnMap, names: &[String]) -> Vec<(Field, String)> {
    map.mapping()
        .into_iter()
        .zip(names)
        .filter_map(|((_, field), name)| field.map(|f| (f, name.clone())))
        .collect()
}

/// One projected column, ready to be walked: in one chunk, so a value is an index into its
/// array. Typed columns stay typed: their values are written as text one row at a time, the
/// way polars' cast to text writes them, instead of casting whole columns (a copy of every
/// value, a third of the memory of a slice).
enum Prepared {
    /// Text, as stored, or cast from a type read no other way.
    Text(Field, StringChunked),
    /// A datetime column, as UTC milliseconds.
    Time(Int64Chunked),
    /// A boolean (the counted flag): `true` or `false`.
    Bool(Field, BooleanChunked),
    /// An integer (a status code): in decimal.
    Int(Field, Int64Chunked),
    /// A floating-point number (an API version): shortest round-trip form, as polars casts
    /// it (`60.0`). A 32-bit float is written as one.
    Float(Field, Float64Chunked, bool),
}

fn prepare(df: &DataFrame, field: Field, name: &str) -> PolarsResult<Prepared> {
    let column = df.column(name)?;
    let prepared = match column.dtype() {
        DataType::Datetime(unit, _) => {
            let per_ms: i64 = match unit {
                TimeUnit::Milliseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Nanoseconds => 1_000_000,
            };
            let physical = column.datetime()?.physical().clone();
            // Floor division keeps pre-1970 instants correct, though none are expected.
            let ms = physical.apply_values(|v| v.div_euclid(per_ms));
            Prepared::Time(ms.rechunk().into_owned())
        }
        DataType::String => Prepared::Text(field, column.str()?.rechunk().into_owned()),
        DataType::Boolean => Prepared::Bool(field, column.bool()?.rechunk().into_owned()),
        DataType::Float32 | DataType::Float64 => {
            let single = column.dtype() == &DataType::Float32;
            let values = column.cast(&DataType::Float64)?;
            Prepared::Float(field, values.f64()?.rechunk().into_owned(), single)
        }
        dtype if dtype.is_integer() && dtype != &DataType::UInt64 => {
            let values = column.cast(&DataType::Int64)?;
            Prepared::Int(field, values.i64()?.rechunk().into_owned())
        }
        _ => {
            let text = column.cast(&DataType::String)?;
            Prepared::Text(field, text.str()?.rechunk().into_owned())
        }
    };
    Ok(prepared)
}

/// A typed column's array, walked by index.
enum Typed<'a> {
    Bool(&'a <BooleanType as PolarsDataType>::Array),
    Int(&'a <Int64Type as PolarsDataType>::Array),
    Float(&'a <Float64Type as PolarsDataType>::Array, bool),
}

/// A typed column's value at a row, as text, in a buffer of the column's own.
struct Written<'a> {
    field: Field,
    column: Typed<'a>,
    text: Vec<u8>,
    /// The value `text` holds (bits of the number; `None` for a null or before the first):
    /// consecutive rows mostly repeat a status or a version, which is then not written again.
    holds: Option<Option<u64>>,
}

impl Written<'_> {
    /// Writes the value at `index` (nothing for a null).
    fn write(&mut self, index: usize) {
        let value = match &self.column {
            Typed::Bool(a) => a.get(index).map(u64::from),
            Typed::Int(a) => a.get(index).map(|v| v as u64),
            Typed::Float(a, _) => a.get(index).map(f64::to_bits),
        };
        if self.holds == Some(value) {
            return;
        }
        self.holds = Some(value);
        self.text.clear();
        let Some(bits) = value else { return };
        match &self.column {
            Typed::Bool(_) => self
                .text
                .extend_from_slice(if bits == 1 { b"true" } else { b"false" }),
            Typed::Int(_) => self
                .text
                .extend_from_slice(itoa::Buffer::new().format(bits as i64).as_bytes()),
            Typed::Float(_, single) => {
                let (v, mut buffer) = (f64::from_bits(bits), zmij::Buffer::new());
                let text = if *single {
                    buffer.format(v as f32)
                } else {
                    buffer.format(v)
                };
                self.text.extend_from_slice(text.as_bytes());
            }
        }
    }
}

/// Walks the prepared columns in lockstep, one row at a time, reading each value by index (no
/// iterator per column and row).
fn walk(df: &DataFrame, columns: &[Prepared], offset: usize, builder: &mut PartBuilder) {
    let texts: Vec<(Field, &_)> = columns
        .iter()
        .filter_map(|c| match c {
            Prepared::Text(field, ca) => ca.downcast_iter().next().map(|a| (*field, a)),
            _ => None,
        })
        .collect();
    let mut typed: Vec<Written> = columns.iter().filter_map(written).collect();
    let times = columns.iter().find_map(|c| match c {
        Prepared::Time(ca) => ca.downcast_iter().next(),
        _ => None,
    });
    for index in 0..df.height() {
        for column in &mut typed {
            column.write(index);
        }
        let mut row = ParquetRow {
            values: [&[]; FIELD_COUNT],
            time: None,
        };
        for (field, values) in &texts {
            if let Some(value) = values.get(index) {
                row.values[*field as usize] = value.as_bytes();
            }
        }
        for column in &typed {
            row.values[column.field as usize] = &column.text;
        }
        row.time = times.and_then(|t| t.get(index));
        builder.push((offset + index) as u64 + 1, &row);
    }
}

/// A typed column's writer (`None` for text and datetime columns).
fn written(c: &Prepared) -> Option<Written<'_>> {
    let (field, column) = match c {
        Prepared::Bool(f, ca) => (*f, Typed::Bool(ca.downcast_iter().next()?)),
        Prepared::Int(f, ca) => (*f, Typed::Int(ca.downcast_iter().next()?)),
        Prepared::Float(f, ca, single) => (*f, Typed::Float(ca.downcast_iter().next()?, *single)),
        Prepared::Text(..) | Prepared::Time(_) => return None,
    };
    Some(Written {
        field,
        column,
        text: Vec::with_capacity(24),
        holds: None,
    })
}

/// One Parquet row's values by field.
struct ParquetRow<'a> {
    values: [&'a [u8]; FIELD_COUNT],
    time: Option<Millis>,
}

impl RowSource for ParquetRow<'_> {
    fn get(&self, field: Field) -> &[u8] {
        self.values[field as usize]
    }

    fn native_timestamp(&self) -> Option<Millis> {
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_follow_the_row_groups_and_split_large_ones_evenly() {
        // Small groups share a slice; a slice never ends inside a group.
        assert_eq!(slices(7, &[3, 0, 4]), vec![(0, 7)]);
        let half = MAX_SLICE_ROWS / 2 + 1;
        assert_eq!(slices(2 * half, &[half, half]), vec![(0, half), (half, half)]);
        // A million one-row groups: a few full slices, not a million.
        assert_eq!(
            slices(1 << 20, &vec![1; 1 << 20]).len(),
            (1 << 20) / MAX_SLICE_ROWS
        );
        // A group over the cap: three equal parts, none over it.
        // The next group does not fit in the last part, so it starts a slice of its own.
        let third = MAX_SLICE_ROWS - 1;
        let big = 3 * third;
        assert_eq!(
            slices(big + 5, &[big, 5]),
            vec![(0, third), (third, third), (2 * third, third), (big, 5)]
        );
        // Groups that do not add up (or none known): fixed slices over the rows.
        assert_eq!(slices(5, &[]), vec![(0, 5)]);
        assert_eq!(
            slices(MAX_SLICE_ROWS + 1, &[1]),
            vec![(0, MAX_SLICE_ROWS), (MAX_SLICE_ROWS, 1)]
        );
        assert!(slices(0, &[]).is_empty());
    }
}
