//! The CSV reader (plain and gzip): the hot path of ingest.
//!
//! Streams `csv::ByteRecord`s, touching only the fields the header maps, straight into the
//! [`PartBuilder`]'s compact columns; nothing per row is allocated unless a new distinct string
//! appears. Memory is bounded by the kept columns, never by the file size.
//!
//! Dialect: RFC 4180 with Salesforce's all-quoted fields and doubled quotes, fields holding
//! commas and newlines, LF / CRLF / CR line endings, a UTF-8 BOM, unquoted files, and the
//! `", "` separators that spreadsheet round-trips leave behind.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::builder::{reason, Part, PartBuilder, RowSource};
use super::columns::{ColumnMap, Field};
use super::lines::LineTracking;
use super::{FileError, Settings};

const BUFFER: usize = 1 << 18;

/// Reads one CSV file (gzip-compressed when `gzip`) into a part. With `split`, a large plain
/// file is cut into chunks read in parallel (see `chunks`).
pub fn read(
    path: &Path,
    label: &str,
    gzip: bool,
    split: bool,
    settings: &Settings,
) -> Result<Part, FileError> {
    if split && !gzip {
        if let Some(part) = super::chunks::read_in_chunks(path, label, settings)? {
            return Ok(part);
        }
    }
    let mut reader = csv_reader(open(path, gzip).map_err(|e| FileError::io(label, &e))?)
        .map_err(|e| FileError::io(label, &e))?;
    let map = header(&mut reader, label)?;
    let mut builder = PartBuilder::new(label, &map, settings);
    read_records(&mut reader, &mut builder, &map).map_err(|e| FileError::from_csv(label, gzip, &e))?;
    Ok(builder.finish())
}

/// Feeds every record of `reader` to `builder`, each with the file line it starts on.
pub(super) fn read_records<R: Read>(
    reader: &mut csv::Reader<LineTracking<R>>,
    builder: &mut PartBuilder,
    map: &ColumnMap,
) -> Result<(), csv::Error> {
    let mut record = csv::ByteRecord::new();
    let width = map.header.len();
    while reader.read_byte_record(&mut record)? {
        let start = record.position().map_or(0, csv::Position::byte);
        let line = reader.get_mut().line_of(start);
        if record.len() != width {
            // A lone empty line is not a row (files often end with one extra newline).
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            builder.bad(line, reason::FIELD_COUNT);
            continue;
        }
        builder.push(line, &CsvRow { record: &record, map });
    }
    Ok(())
}

/// A csv reader for a chunk of a plain file: no header, the standard dialect.
pub(super) fn chunk_reader<R: Read>(input: LineTracking<R>) -> csv::Reader<LineTracking<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(BUFFER)
        .from_reader(input)
}

/// The header of a plain file, its byte length, and whether the file can be split safely
/// (standard separators: the `", "` filter keeps state across records, a chunk cannot).
pub(super) fn header_for_chunks(path: &Path, label: &str) -> Result<(ColumnMap, u64, bool), FileError> {
    let mut input = open(path, false).map_err(|e| FileError::io(label, &e))?;
    let start = input.fill_buf().map_err(|e| FileError::io(label, &e))?;
    let splittable = !comma_space_dialect(start);
    let bom = if start.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let mut reader = csv_reader(input).map_err(|e| FileError::io(label, &e))?;
    let map = header(&mut reader, label)?;
    let end = reader.position().byte() + bom;
    Ok((map, end, splittable))
}

/// Reads only the header of a CSV file (for `schema` and format detection).
pub fn read_header(path: &Path, label: &str, gzip: bool) -> Result<ColumnMap, FileError> {
    let mut reader = csv_reader(open(path, gzip).map_err(|e| FileError::io(label, &e))?)
        .map_err(|e| FileError::io(label, &e))?;
    header(&mut reader, label)
}

fn header<R: Read>(reader: &mut csv::Reader<LineTracking<R>>, label: &str) -> Result<ColumnMap, FileError> {
    let names: Vec<String> = reader
        .byte_headers()
        .map_err(|e| FileError::from_csv(label, false, &e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    Ok(ColumnMap::from_header(&names))
}

/// The file's bytes, decompressed when needed (also the JSON-lines reader's input).
pub(super) fn open(path: &Path, gzip: bool) -> io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    Ok(if gzip {
        Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::with_capacity(BUFFER, file))
    })
}

/// The reader every whole-file parse uses: the csv parser over line tracking.
type WholeFile = csv::Reader<LineTracking<Box<dyn Read + Send>>>;

/// A csv reader for the dialect the first line shows, with any BOM skipped.
fn csv_reader(mut input: Box<dyn BufRead + Send>) -> io::Result<WholeFile> {
    skip_bom(&mut input)?;
    let spaced = comma_space_dialect(input.fill_buf()?);
    let input: Box<dyn Read + Send> = if spaced {
        Box::new(SpaceAfterComma::new(input))
    } else {
        Box::new(input)
    };
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(BUFFER)
        .from_reader(LineTracking::new(input)))
}

fn skip_bom(input: &mut Box<dyn BufRead + Send>) -> io::Result<()> {
    if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    Ok(())
}

/// True when the header separates its fields with `", "` (or `, `) rather than `,`: what a
/// spreadsheet round-trip leaves. Header names never contain a comma, so one look suffices.
fn comma_space_dialect(start: &[u8]) -> bool {
    let end = start
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(start.len());
    let line = &start[..end];
    let commas = line.iter().filter(|&&b| b == b',').count();
    commas > 0 && line.windows(2).filter(|w| w == b", ").count() == commas
}

/// Drops the spaces that follow a separator outside quotes, turning `"a", "b"` into `"a","b"`
/// so the csv parser sees properly quoted fields (and commas inside them stay data).
struct SpaceAfterComma<R> {
    inner: R,
    in_quotes: bool,
    after_comma: bool,
}

impl<R> SpaceAfterComma<R> {
    fn new(inner: R) -> Self {
        SpaceAfterComma {
            inner,
            in_quotes: false,
            after_comma: false,
        }
    }
}

impl<R: Read> Read for SpaceAfterComma<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for i in 0..n {
                let b = buf[i];
                if self.after_comma && b == b' ' && !self.in_quotes {
                    continue;
                }
                self.after_comma = b == b',' && !self.in_quotes;
                if b == b'"' {
                    self.in_quotes = !self.in_quotes;
                }
                buf[kept] = b;
                kept += 1;
            }
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

/// One CSV record seen through the file's column map.
struct CsvRow<'a> {
    record: &'a csv::ByteRecord,
    map: &'a ColumnMap,
}

impl RowSource for CsvRow<'_> {
    fn get(&self, field: Field) -> &[u8] {
        self.map
            .get(field)
            .and_then(|i| self.record.get(i))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(input: &str) -> String {
        let mut out = String::new();
        SpaceAfterComma::new(input.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn spaces_after_separators_are_dropped_outside_quotes_only() {
        assert_eq!(filtered(r#""a", "b, c", "d""#), r#""a","b, c","d""#);
        assert_eq!(filtered("a, b, c"), "a,b,c");
    }

    #[test]
    fn the_comma_space_dialect_is_recognised_from_the_header() {
        assert!(comma_space_dialect(b"\"EVENT_TYPE\", \"TIMESTAMP\"\n\"x\",\"y\""));
        assert!(!comma_space_dialect(b"\"EVENT_TYPE\",\"TIMESTAMP\"\n"));
        assert!(!comma_space_dialect(b"EVENT_TYPE,TIMESTAMP, ORG\n"));
    }
}
