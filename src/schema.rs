//! `apiusage schema FILE…`: explains how ingest reads each file — format, event types (and
//! whether the type was inferred), which canonical field each column feeds, missing required
//! columns, row counts and bad-row reasons. It runs the same readers as `report`, so what it
//! says is what `report` does. This is how a user finds out why a file is not being used.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use crate::ingest::columns::ColumnMap;
use crate::ingest::discover::{classify, Format, InputFile};
use crate::ingest::{csv, ndjson, parquet, read_file, FileError, Settings};
use crate::model::EventType;
use crate::text::clean;
use crate::text::thousands;

/// The explanation text (for stdout) and the errors, one per file that is not usable (for
/// stderr); no errors means every file was readable.
///
/// Every name and value echoed from a file passes through [`clean`]: a crafted header cannot
/// send terminal escapes or forge lines.
pub fn explain(paths: &[PathBuf], settings: &Settings) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut errors = Vec::new();
    for path in paths {
        let label = path.display().to_string();
        let _ = writeln!(out, "{}", clean(&label));
        match classify(path) {
            Ok(format) => {
                let file = InputFile {
                    path: path.clone(),
                    label: label.clone(),
                    format,
                };
                if let Err(why) = explain_file(&mut out, &file, settings) {
                    errors.push(format!("{label}: {why}"));
                }
            }
            Err(why) => errors.push(format!("{label}: skipped: {why}")),
        }
        out.push('\n');
    }
    (out, errors)
}

fn explain_file(out: &mut String, file: &InputFile, settings: &Settings) -> Result<(), String> {
    let _ = writeln!(out, "  format:      {}", file.format);
    let map = match header(file) {
        Ok(map) => map,
        Err(e) => return Err(format!("unreadable: {}", e.reason)),
    };
    columns(out, &map);
    if let Err(missing) = map.check_required() {
        let _ = writeln!(out, "  required:    MISSING {}", missing.missing.join("; "));
        let _ = writeln!(out, "  => the file is not used until these columns are present");
        return Err(format!(
            "missing required column(s): {}",
            missing.missing.join("; ")
        ));
    }
    let _ = writeln!(out, "  required:    all present");
    match read_file(file, settings) {
        Ok(part) => {
            rows(out, &part, &map);
            Ok(())
        }
        Err(e) => Err(format!("unreadable: {}", e.reason)),
    }
}

fn header(file: &InputFile) -> Result<ColumnMap, FileError> {
    match file.format {
        Format::Csv => csv::read_header(&file.path, &file.label, false),
        Format::CsvGzip => csv::read_header(&file.path, &file.label, true),
        Format::Parquet => parquet::read_map(&file.path, &file.label).map(|(m, _)| m),
        Format::Ndjson => ndjson::read_header(&file.path, &file.label, false),
        Format::NdjsonGzip => ndjson::read_header(&file.path, &file.label, true),
    }
}

fn columns(out: &mut String, map: &ColumnMap) {
    let _ = writeln!(out, "  columns:");
    let width = map
        .header
        .iter()
        .map(|h| clean(h).chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for (name, field) in map.mapping() {
        let target = field.map_or_else(|| "(not used)".to_string(), |f| format!("{f:?}"));
        let name = clean(&name);
        let _ = writeln!(out, "    {name:<width$}  -> {target}");
    }
}

fn rows(out: &mut String, part: &crate::ingest::builder::Part, map: &ColumnMap) {
    let mut types: BTreeMap<EventType, u64> = BTreeMap::new();
    for &shape in &part.calls.shape {
        *types
            .entry(EventType::from_index(part.calls.shapes[shape as usize].event))
            .or_default() += 1;
    }
    let inferred = if map.inferred_event_type().is_some() {
        " (inferred from IsApiLimitCounted: the file has no EVENT_TYPE column)"
    } else {
        ""
    };
    let listed: Vec<String> = types
        .iter()
        .map(|(t, n)| format!("{} ({} rows)", t.name(), thousands(*n)))
        .collect();
    let _ = writeln!(
        out,
        "  event types: {}{inferred}",
        if listed.is_empty() {
            "none".to_string()
        } else {
            listed.join(", ")
        }
    );
    let t = &part.tally;
    let _ = writeln!(
        out,
        "  rows:        read {}, normalised {}, ignored {}, bad {}",
        thousands(t.read),
        thousands(part.calls.len() as u64),
        thousands(t.ignored_total()),
        thousands(t.bad_total())
    );
    for (why, n) in &t.ignored {
        let _ = writeln!(out, "  ignored:     {}: {}", clean(why), thousands(*n));
    }
    for (why, e) in &t.bad {
        let _ = writeln!(
            out,
            "  bad rows:    {}: {} (e.g. {})",
            clean(why),
            thousands(e.count),
            clean(&e.examples.join(", "))
        );
    }
}
