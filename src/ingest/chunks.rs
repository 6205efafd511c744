//! Splits a large plain CSV file into byte ranges that start on record boundaries, so one big
//! file is read on all cores.
//!
//! Where a record ends depends on every quote before it, and on how the parser reads quotes
//! that are not where RFC 4180 puts them (a stray `"` inside an unquoted field is data, and
//! does not open a quoted field). Counting quotes gets that wrong; so the boundaries come from
//! one sequential pass of `csv_core`'s own state machine, the one the real parser runs, with
//! the same (default) dialect. After a record ends that machine is back in its start state
//! whatever came before, so a fresh parser started at a boundary reads exactly the records the
//! whole-file parser reads from there: the chunks together give the same rows, bad rows and
//! line numbers as reading the file in one piece, whatever the thread count. The pass only
//! finds field ends (no output is kept), which costs a small part of the real parse.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use csv_core::ReadFieldResult;
use rayon::prelude::*;

use super::builder::{Part, PartBuilder};
use super::lines::{LineState, LineTracking};
use super::{csv, merge_parts, FileError, Settings};

/// Files smaller than this are read in one piece: splitting costs an extra scan.
pub const SPLIT_ABOVE: u64 = 128 << 20;
/// Target bytes per chunk.
const CHUNK: u64 = 64 << 20;

/// Test-only knob: files of at least this many bytes are split, into chunks of half of it, so
/// tests that run the binary can split small files. Not a user setting.
pub const SPLIT_ENV: &str = "APIUSAGE_TEST_SPLIT_BYTES";

/// A record-aligned byte range and where its first byte stands in line terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The line state at `start`.
    pub lines: LineState,
}

/// Reads a large plain CSV in parallel chunks; `None` when the file is small or its dialect
/// cannot be split safely (then the caller reads it in one piece).
pub fn read_in_chunks(path: &Path, label: &str, settings: &Settings) -> Result<Option<Part>, FileError> {
    let knob = std::env::var(SPLIT_ENV).ok().and_then(|v| v.parse::<u64>().ok());
    match knob {
        Some(bytes) => read_split(path, label, bytes.max(2), (bytes / 2).max(1), settings),
        None => read_split(path, label, SPLIT_ABOVE, CHUNK, settings),
    }
}

/// [`read_in_chunks`] with explicit thresholds (tests split small files).
pub fn read_split(
    path: &Path,
    label: &str,
    split_above: u64,
    chunk: u64,
    settings: &Settings,
) -> Result<Option<Part>, FileError> {
    let size = std::fs::metadata(path)
        .map_err(|e| FileError::io(label, &e))?
        .len();
    if size < split_above {
        return Ok(None);
    }
    let (map, header_end, splittable) = csv::header_for_chunks(path, label)?;
    map.check_required()
        .map_err(|m| FileError::missing(label, &map, &m))?;
    if !splittable {
        return Ok(None);
    }
    let pieces = size.div_ceil(chunk.max(1));
    let chunks = plan(path, header_end, size, pieces).map_err(|e| FileError::io(label, &e))?;
    let parts: Vec<Result<Part, FileError>> = chunks
        .par_iter()
        .map(|chunk| read_chunk(path, label, &map, *chunk, settings))
        .collect();
    let parts: Vec<Part> = parts.into_iter().collect::<Result<_, _>>()?;
    Ok(Some(merge_parts(parts, || {
        PartBuilder::new(label, &map, settings).finish()
    })))
}

fn read_chunk(
    path: &Path,
    label: &str,
    map: &super::columns::ColumnMap,
    chunk: Chunk,
    settings: &Settings,
) -> Result<Part, FileError> {
    let mut file = File::open(path).map_err(|e| FileError::io(label, &e))?;
    file.seek(SeekFrom::Start(chunk.start))
        .map_err(|e| FileError::io(label, &e))?;
    let input = BufReader::with_capacity(1 << 18, file.take(chunk.end - chunk.start));
    let mut reader = csv::chunk_reader(LineTracking::resume(input, chunk.lines));
    let mut builder = PartBuilder::new(label, map, settings);
    csv::read_records(&mut reader, &mut builder, map).map_err(|e| FileError::from_csv(label, false, &e))?;
    Ok(builder.finish())
}

/// Plans about `pieces` record-aligned chunks of `[data_start, size)`, where `data_start` is
/// where the whole-file parser stands after the header.
pub fn plan(path: &Path, data_start: u64, size: u64, pieces: u64) -> io::Result<Vec<Chunk>> {
    let step = (size.saturating_sub(data_start)).div_ceil(pieces.max(1)).max(1);
    let mut file = File::open(path)?;
    let mut peek = File::open(path)?;
    let mut lines = LineState::default();
    let mut header = Vec::new();
    (&mut file).take(data_start).read_to_end(&mut header)?;
    for &b in &header {
        lines.feed(b);
    }
    let mut bounds = vec![(data_start, lines)];
    let mut core = csv_core::Reader::new();
    let mut scratch = vec![0u8; 1 << 16];
    let mut buf = vec![0u8; 1 << 20];
    let (mut pos, mut target) = (data_start, data_start + step);
    let mut input = file.take(size - data_start);
    loop {
        let n = read_some(&mut input, &mut buf)?;
        let mut data = &buf[..n];
        loop {
            let (result, nin, _) = core.read_field(data, &mut scratch);
            for &b in &data[..nin] {
                lines.feed(b);
            }
            pos += nin as u64;
            data = &data[nin..];
            match result {
                ReadFieldResult::InputEmpty | ReadFieldResult::End => break,
                ReadFieldResult::OutputFull | ReadFieldResult::Field { record_end: false } => {}
                ReadFieldResult::Field { record_end: true } => {
                    if pos >= target && pos < size && !starts_with_bom(&mut peek, pos)? {
                        bounds.push((pos, lines));
                        target = pos + step;
                    }
                }
            }
        }
        if n == 0 {
            break;
        }
    }
    Ok(bounds
        .iter()
        .enumerate()
        .map(|(i, &(start, lines))| Chunk {
            start,
            end: bounds.get(i + 1).map_or(size, |b| b.0),
            lines,
        })
        .collect())
}

fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Whether the bytes at `pos` are a UTF-8 byte-order mark: a fresh parser would drop them where
/// the whole-file parser keeps them as data, so no chunk starts there.
fn starts_with_bom(file: &mut File, pos: u64) -> io::Result<bool> {
    let mut three = Vec::with_capacity(3);
    file.seek(SeekFrom::Start(pos))?;
    (&mut *file).take(3).read_to_end(&mut three)?;
    Ok(three == b"\xEF\xBB\xBF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_on_record_boundaries_even_inside_multiline_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut text = String::from("\"A\",\"B\"\n");
        for i in 0..200 {
            text.push_str(&format!("\"{i}\",\"line one\nline \"\"two\"\"\"\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let header_end = 8;
        for pieces in [1, 2, 3, 7, 50] {
            let chunks = plan(&path, header_end, text.len() as u64, pieces).unwrap();
            assert_eq!(chunks[0].start, header_end);
            assert_eq!(chunks.last().unwrap().end, text.len() as u64);
            for c in &chunks {
                let bytes = &text.as_bytes()[c.start as usize..c.end as usize];
                assert!(
                    bytes.starts_with(b"\""),
                    "{pieces}: {:?}",
                    String::from_utf8_lossy(&bytes[..10])
                );
                let row: u64 = String::from_utf8_lossy(&bytes[1..4])
                    .trim_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .unwrap();
                assert_eq!(c.lines.line(), 2 + 2 * row, "each record spans two lines");
            }
            for w in chunks.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }
}
