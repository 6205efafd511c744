//! Parquet as other writers lay it out reads to the same report as the CSV of the same rows.
//!
//! `tests/fixtures/parquet_shapes/` holds 200 ApiTotalUsage rows as CSV and as seven Parquet
//! files written by pyarrow (`make.py` there): every column a string, typed columns, INT96
//! timestamps, dictionary-typed strings, large strings, 17-row groups, and Parquet 1.0 with v1
//! pages, zstd and no dictionary. The project's own tests write Parquet with polars only.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const SHAPES: [&str; 7] = [
    "strings",
    "typed",
    "int96",
    "dictionary",
    "large_strings",
    "tiny_groups",
    "v1_zstd_plain",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet_shapes")
        .join(name)
}

/// The summary without the per-file listing (paths and formats differ by design).
fn without_files(mut s: Value) -> Value {
    s["data_quality"]["files"] = Value::Null;
    s
}

fn report_of(input: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--charts", "none"];
    args.extend_from_slice(extra);
    let (code, err, summary) = common::report(&[input], out, &args);
    assert_eq!(code, 0, "{}: {err}", input.display());
    summary
}

#[test]
fn every_parquet_shape_reads_to_the_csv_report() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = report_of(&fixture("calls.csv"), &tmp.path().join("csv"), &[]);
    assert_eq!(common::dq(&csv), (200, 200, 0, 0, 0));
    assert!(csv["orgs"][0]["peak"]["calls"].as_u64().unwrap() > 0);
    for shape in SHAPES {
        let file = fixture(&format!("{shape}.parquet"));
        let parquet = report_of(&file, &tmp.path().join(shape), &[]);
        assert_eq!(without_files(parquet), without_files(csv.clone()), "{shape}");
    }
}

#[test]
fn a_typed_parquet_file_reads_the_same_through_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let csv = report_of(&fixture("calls.csv"), &tmp.path().join("csv"), &[]);
    let (code, err, stored) = common::report(
        &[&fixture("typed.parquet")],
        &tmp.path().join("stored"),
        &["--charts", "none", "--store", store.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_files(stored), without_files(csv));
}
