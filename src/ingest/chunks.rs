//! Splits a large plain CSV file into byte ranges that start on record boundaries, so one big
//! file is read on all cores.
//!
//! A newline ends a record only outside quotes, and whether a byte is inside quotes depends on
//! every quote before it. So the split is planned in two steps: count the quotes (and the
//! newlines, for line numbers) of equal segments in parallel; the parity of the quotes before a
//! segment then tells, for its first bytes, where the first newline outside quotes is. Doubled
//! quotes inside fields count twice and keep the parity, so this is exact for RFC 4180.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use super::builder::{Part, PartBuilder};
use super::{csv, merge_part, FileError};

/// Files smaller than this are read in one piece: splitting costs an extra scan.
pub const SPLIT_ABOVE: u64 = 128 << 20;
/// Target bytes per chunk.
const CHUNK: u64 = 64 << 20;

/// A record-aligned byte range and the file line its first record is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Newlines before `start` (the first record's line is this + 1).
    pub lines_before: u64,
}

/// Reads a large plain CSV in parallel chunks; `None` when the file is small or its dialect
/// cannot be split safely (then the caller reads it in one piece).
pub fn read_in_chunks(path: &Path, label: &str) -> Result<Option<Part>, FileError> {
    read_split(path, label, SPLIT_ABOVE, CHUNK)
}

/// [`read_in_chunks`] with explicit thresholds (tests split small files).
pub fn read_split(path: &Path, label: &str, split_above: u64, chunk: u64) -> Result<Option<Part>, FileError> {
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
    let pieces = size.div_ceil(chunk);
    let chunks = plan(path, header_end, size, pieces).map_err(|e| FileError::io(label, &e))?;
    let parts: Vec<Result<Part, FileError>> = chunks
        .par_iter()
        .map(|chunk| read_chunk(path, label, &map, *chunk))
        .collect();
    let mut whole = PartBuilder::new(label, &map).finish();
    for part in parts {
        merge_part(&mut whole, part?);
    }
    Ok(Some(whole))
}

fn read_chunk(
    path: &Path,
    label: &str,
    map: &super::columns::ColumnMap,
    chunk: Chunk,
) -> Result<Part, FileError> {
    let mut file = File::open(path).map_err(|e| FileError::io(label, &e))?;
    file.seek(SeekFrom::Start(chunk.start))
        .map_err(|e| FileError::io(label, &e))?;
    let input = BufReader::with_capacity(1 << 18, file.take(chunk.end - chunk.start));
    let mut reader = csv::chunk_reader(input);
    let mut builder = PartBuilder::new(label, map);
    csv::read_records(&mut reader, &mut builder, map, chunk.lines_before)
        .map_err(|e| FileError::from_csv(label, false, &e))?;
    Ok(builder.finish())
}

/// Plans about `pieces` record-aligned chunks of `[data_start, size)`.
pub fn plan(path: &Path, data_start: u64, size: u64, pieces: u64) -> io::Result<Vec<Chunk>> {
    let pieces = pieces.max(1);
    let step = (size - data_start).div_ceil(pieces).max(1);
    let starts: Vec<u64> = (0..pieces)
        .map(|k| data_start + k * step)
        .filter(|s| *s < size)
        .collect();
    let counts: Vec<(u64, u64)> = starts
        .par_iter()
        .map(|&s| count_quotes_and_newlines(path, s, (s + step).min(size)))
        .collect::<io::Result<_>>()?;
    let header_lines = count_quotes_and_newlines(path, 0, data_start)?.1;
    let mut bounds = vec![(data_start, header_lines)];
    let (mut quotes, mut lines) = (0u64, header_lines);
    for (k, &start) in starts.iter().enumerate().skip(1) {
        quotes += counts[k - 1].0;
        lines += counts[k - 1].1;
        if let Some((boundary, extra_lines)) = next_boundary(path, start, size, quotes % 2 == 1)? {
            if boundary > bounds.last().map_or(0, |b| b.0) {
                bounds.push((boundary, lines + extra_lines));
            }
        }
    }
    Ok(bounds
        .iter()
        .enumerate()
        .map(|(i, &(start, lines_before))| Chunk {
            start,
            end: bounds.get(i + 1).map_or(size, |b| b.0),
            lines_before,
        })
        .collect())
}

/// Quotes and newlines in `[start, end)`.
fn count_quotes_and_newlines(path: &Path, start: u64, end: u64) -> io::Result<(u64, u64)> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut input = file.take(end - start);
    let mut buf = vec![0u8; 1 << 20];
    let (mut quotes, mut newlines) = (0u64, 0u64);
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok((quotes, newlines));
        }
        let (q, l) = count_block(&buf[..n]);
        quotes += q;
        newlines += l;
    }
}

/// Quotes and newlines in `bytes`. Narrow per-block counters let the compiler vectorise the
/// comparisons, which matters: this loop touches every byte of a big file once more.
fn count_block(bytes: &[u8]) -> (u64, u64) {
    let (mut quotes, mut newlines) = (0u64, 0u64);
    for block in bytes.chunks(1 << 12) {
        let (mut q, mut l) = (0u32, 0u32);
        for &b in block {
            q += u32::from(b == b'"');
            l += u32::from(b == b'\n');
        }
        quotes += u64::from(q);
        newlines += u64::from(l);
    }
    (quotes, newlines)
}

/// The first record boundary at or after `start` (the byte after a newline outside quotes),
/// given whether `start` is inside quotes; with the newlines passed on the way.
fn next_boundary(path: &Path, start: u64, size: u64, mut in_quotes: bool) -> io::Result<Option<(u64, u64)>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut input = BufReader::new(file.take(size - start));
    let mut buf = vec![0u8; 1 << 16];
    let (mut pos, mut newlines) = (start, 0u64);
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        for &b in &buf[..n] {
            pos += 1;
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == b'\n' {
                newlines += 1;
                if !in_quotes {
                    return Ok(Some((pos, newlines)));
                }
            }
        }
    }
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
                assert_eq!(c.lines_before, 1 + 2 * row, "each record spans two lines");
            }
            for w in chunks.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }
}
