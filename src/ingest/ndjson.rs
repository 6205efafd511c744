//! Ingest of JSON lines: Event Monitoring rows as collectors (Elastic, Sekoia, Splunk) store
//! them, one object per line with the EventLogFile field names (`EVENT_TYPE`,
//! `TIMESTAMP_DERIVED`, `API_RESOURCE`, …), either at the top level or nested one level under a
//! key such as `salesforce` or `event`.
//!
//! The same header-driven mapping as CSV: the file's "header" is the union of the recognised
//! field names its objects use (a first pass collects it, so a field that appears only on later
//! lines is not lost), resolved by [`ColumnMap`]; each line then goes through the same
//! [`PartBuilder`] with its line number, so accounting and bad-row examples (`file:line`) are
//! those of a CSV row. A line that is not a JSON object with event fields is a bad row, never a
//! silent drop. Only names that map to a field are kept, so a file with millions of distinct
//! keys costs no more than one with a few.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::path::Path;

use serde_json::{Map, Value};

use super::builder::{PartBuilder, RowSource};
use super::columns::{field_of, ColumnMap, Field};
use super::csv::open;
use super::{FileError, Part, Settings};

/// A line longer than this is a bad row, not a reason to hold gigabytes.
const MAX_LINE: usize = 1 << 20;
/// How many distinct key names the header pass remembers having judged.
const JUDGED_CAP: usize = 4096;

/// Bad-row reasons of JSON lines.
pub mod reason {
    /// A line that does not parse as JSON.
    pub const NOT_JSON: &str = "not valid JSON";
    /// A JSON value that is not an object, or an object without Event Monitoring fields.
    pub const NOT_AN_EVENT: &str =
        "JSON line without Event Monitoring fields (EVENT_TYPE, TIMESTAMP_DERIVED, …)";
    /// A line over [`super::MAX_LINE`] bytes.
    pub const TOO_LONG: &str = "JSON line longer than 1 MiB";
}

/// Reads one JSON-lines file (gzip-compressed when `gzip`) into a part.
pub fn read(path: &Path, label: &str, gzip: bool, settings: &Settings) -> Result<Part, FileError> {
    let map = read_header(path, label, gzip)?;
    map.check_required()
        .map_err(|m| FileError::missing(label, &map, &m))?;
    let mut builder = PartBuilder::new(label, &map, settings);
    let mut row = JsonRow::new(&map);
    for_each_line(path, label, gzip, |line, bytes| match parse(bytes) {
        Parsed::Event(obj) => {
            row.fill(obj);
            builder.push(line, &row);
        }
        Parsed::Blank => {}
        Parsed::Bad(why) => builder.bad(line, why),
    })?;
    Ok(builder.finish())
}

/// The file's columns: every recognised field name its objects use (in name order).
pub fn read_header(path: &Path, label: &str, gzip: bool) -> Result<ColumnMap, FileError> {
    let mut names: Vec<String> = Vec::new();
    // Names already judged; bounded, so millions of distinct keys cost time, not memory.
    let mut judged: rustc_hash::FxHashSet<String> = Default::default();
    for_each_line(path, label, gzip, |_, bytes| {
        if let Parsed::Event(obj) = parse(bytes) {
            for key in obj.keys() {
                if judged.contains(key) {
                    continue;
                }
                if field_of(key).is_some() && !names.contains(key) {
                    names.push(key.clone());
                }
                if judged.len() < JUDGED_CAP {
                    judged.insert(key.clone());
                }
            }
        }
    })?;
    Ok(ColumnMap::from_header(&names))
}

/// Whether the first non-empty line of the file is a JSON object with Event Monitoring fields
/// (at the top level or one level down): how discovery tells rows from other JSON, such as a
/// saved `/limits` response.
pub fn looks_like_rows(path: &Path, gzip: bool) -> bool {
    let Ok(mut input) = open(path, gzip) else {
        return false;
    };
    let mut line = Vec::new();
    for _ in 0..16 {
        line.clear();
        match (&mut input).take(MAX_LINE as u64).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        match parse(&line) {
            Parsed::Blank => continue,
            Parsed::Event(_) => return true,
            Parsed::Bad(_) => return false,
        }
    }
    false
}

enum Parsed {
    Event(Map<String, Value>),
    Blank,
    Bad(&'static str),
}

fn parse(bytes: &[u8]) -> Parsed {
    let bytes = bytes.trim_ascii();
    if bytes.is_empty() {
        return Parsed::Blank;
    }
    if bytes.len() > MAX_LINE {
        return Parsed::Bad(reason::TOO_LONG);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(obj)) => event_object(obj).map_or(Parsed::Bad(reason::NOT_AN_EVENT), Parsed::Event),
        Ok(_) => Parsed::Bad(reason::NOT_AN_EVENT),
        Err(_) => Parsed::Bad(reason::NOT_JSON),
    }
}

/// The object holding the event's fields: the line itself when it names the event type or a
/// timestamp, else the first nested object (one level down) that does.
fn event_object(obj: Map<String, Value>) -> Option<Map<String, Value>> {
    if is_event(&obj) {
        return Some(obj);
    }
    obj.into_iter().find_map(|(_, v)| match v {
        Value::Object(inner) if is_event(&inner) => Some(inner),
        _ => None,
    })
}

/// Whether the object names the event type or a timestamp. Runs on every line (twice: the
/// header pass and the read), so the names are compared without building normalised copies.
fn is_event(obj: &Map<String, Value>) -> bool {
    obj.keys().any(|k| {
        ["eventtype", "timestampderived", "timestamp"]
            .iter()
            .any(|t| normalized_is(k, t))
    })
}

/// `normalize_header(name) == target`, for an ASCII lower-case `target`, without allocating.
fn normalized_is(name: &str, target: &str) -> bool {
    let mut chars = name
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, '_' | ' ' | '"' | '\t'))
        .flat_map(char::to_lowercase);
    target.chars().all(|t| chars.next() == Some(t)) && chars.next().is_none()
}

/// Calls `f` with each line (1-based number, bytes without the newline), reading at most
/// [`MAX_LINE`] bytes of a line into memory (the rest is skipped and the line is a bad row).
fn for_each_line(
    path: &Path,
    label: &str,
    gzip: bool,
    mut f: impl FnMut(u64, &[u8]),
) -> Result<(), FileError> {
    let mut input = open(path, gzip).map_err(|e| FileError::io(label, &e))?;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| FileError::io(label, &e))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            skip_rest_of_line(&mut input).map_err(|e| FileError::io(label, &e))?;
        }
        f(number, &line);
    }
}

fn skip_rest_of_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            input.consume(i + 1);
            return Ok(());
        }
        let n = buf.len();
        input.consume(n);
    }
}

/// One object's values in the file's column order, as text: strings as they are, numbers and
/// booleans as JSON writes them, null and nested values as empty.
struct JsonRow<'m> {
    map: &'m ColumnMap,
    values: Vec<Cow<'static, [u8]>>,
}

impl<'m> JsonRow<'m> {
    fn new(map: &'m ColumnMap) -> JsonRow<'m> {
        JsonRow {
            map,
            values: vec![Cow::Borrowed(&[]); map.header.len()],
        }
    }

    fn fill(&mut self, mut obj: Map<String, Value>) {
        for (i, name) in self.map.header.iter().enumerate() {
            self.values[i] = match obj.remove(name) {
                Some(Value::String(s)) => Cow::Owned(s.into_bytes()),
                Some(Value::Number(n)) => Cow::Owned(n.to_string().into_bytes()),
                Some(Value::Bool(b)) => Cow::Borrowed(if b { b"true" } else { b"false" }),
                _ => Cow::Borrowed(&[]),
            };
        }
    }
}

impl RowSource for JsonRow<'_> {
    fn get(&self, field: Field) -> &[u8] {
        self.map
            .get(field)
            .and_then(|i| self.values.get(i))
            .map_or(&[][..], |v| v.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::normalize_header;

    #[test]
    fn the_allocation_free_comparison_agrees_with_normalize_header() {
        for name in [
            "EVENT_TYPE",
            "eventType",
            "Event Type",
            "\u{feff}TIMESTAMP",
            "TIMESTAMP_DERIVED",
            "TIMESTAMPS",
            "TIME",
            "",
            "ÉVENT_TYPE",
        ] {
            for target in ["eventtype", "timestampderived", "timestamp"] {
                assert_eq!(
                    normalized_is(name, target),
                    normalize_header(name) == target,
                    "{name} {target}"
                );
            }
        }
    }
}
