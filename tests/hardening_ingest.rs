//! Ingest on hostile and sloppy input: chunk boundaries that do not depend on the thread
//! count, `file:line` as an editor shows it, implausible timestamps as bad rows, non-regular
//! files and oversized settings files, apiusage's own folders in the input tree, and control
//! characters from headers kept off the terminal.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use apiusage::ingest::{self, builder::Part, Format, InputFile, Settings};
use apiusage::marker;
use common::*;
use polars::prelude::*;

/// 2026-12-01T00:00:00Z.
fn settings() -> Settings {
    Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap())
}

fn read(path: &Path) -> Part {
    ingest::read_file(
        &InputFile {
            path: path.to_path_buf(),
            label: path.file_name().unwrap().to_string_lossy().into_owned(),
            format: Format::Csv,
        },
        &settings(),
    )
    .unwrap()
}

fn assert_accounted(p: &Part) {
    assert_eq!(
        p.tally.read,
        p.calls.len() as u64 + p.tally.ignored_total() + p.tally.bad_total(),
        "every row read is used, ignored or bad"
    );
}

fn examples(p: &Part, reason: &str) -> Vec<String> {
    p.tally
        .bad
        .get(reason)
        .map(|e| e.examples.clone())
        .unwrap_or_default()
}

fn call(i: usize) -> Call {
    Call::at(
        &format!(
            "2026-11-02T{:02}:{:02}:{:02}.000Z",
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60
        ),
        &format!("r{i}"),
    )
}

// ---- item 2: chunk boundaries ----------------------------------------------------------------

/// A CSV whose row 10 has a stray quote in an unquoted field (data to the parser, but it flips
/// the parity of a quote count) followed by rows whose quoted client names hold newlines.
fn stray_quote_csv(rows: usize) -> String {
    let calls: Vec<Call> = (0..rows)
        .map(|i| {
            let mut c = call(i);
            c.client = match i {
                10 => "STRAY".into(),
                i if i % 3 == 0 => format!("multi\nline {i}\n\"ApiTotalUsage\",\"x\""),
                _ => format!("client {}", i % 5),
            };
            c
        })
        .collect();
    atu_csv(&calls).replace("\"STRAY\"", "ab\"c")
}

fn run_report(input: &Path, out: &Path, threads: &str, split_bytes: u64) -> (i32, Vec<u8>) {
    let output = apiusage()
        .arg("report")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args([
            "--generated-at",
            "2026-11-28T00:00:00Z",
            "--strict",
            "--charts",
            "none",
        ])
        .env("RAYON_NUM_THREADS", threads)
        .env(ingest::chunks::SPLIT_ENV, split_bytes.to_string())
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let summary = fs::read(out.join("summary.json")).unwrap();
    (output.status.code().unwrap_or(-1), summary)
}

#[test]
fn a_stray_quote_gives_the_same_report_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().unwrap();
    let text = stray_quote_csv(2000);
    let input = write(dir.path(), "logs/big.csv", &text);
    let split = text.len() as u64 / 4;
    let (code1, one) = run_report(&input, &dir.path().join("one"), "1", split);
    let (code2, two) = run_report(&input, &dir.path().join("two"), "2", split);
    assert_eq!(code1, 0, "clean rows: --strict passes");
    assert_eq!(code2, code1);
    assert!(one == two, "summary.json differs between 1 and 2 threads");
    let summary: serde_json::Value = serde_json::from_slice(&two).unwrap();
    let (read, used, dup, ignored, bad) = dq(&summary);
    assert_eq!((read, used, dup, ignored, bad), (2000, 2000, 0, 0, 0));
}

#[test]
fn chunks_read_exactly_what_one_piece_reads_with_a_stray_quote() {
    let dir = tempfile::tempdir().unwrap();
    let text = stray_quote_csv(600);
    let path = write(dir.path(), "big.csv", &text);
    let whole = read(&path);
    assert_eq!((whole.tally.read, whole.tally.bad_total()), (600, 0));
    for chunk in [512u64, 4096, 20_000] {
        let split = ingest::chunks::read_split(&path, "big.csv", 1, chunk, &settings())
            .unwrap()
            .expect("split");
        assert_eq!(split.tally, whole.tally, "chunk {chunk}");
        assert_eq!(split.calls.ts, whole.calls.ts);
        assert_eq!(split.calls.line, whole.calls.line);
        assert_eq!(split.calls.key, whole.calls.key);
    }
}

// ---- item 4: file:line -----------------------------------------------------------------------

/// Header (line 1), a good row (2), a row whose quoted field spans lines 3–5, a bad row (6),
/// a blank line (7) and another bad row (8), all ended by `eol`.
fn lines_csv(eol: &str) -> String {
    let q = |fields: &[String]| {
        fields
            .iter()
            .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let header: Vec<String> = ATU_HEADER.iter().map(|h| h.to_string()).collect();
    let mut multi = call(2);
    multi.client = format!("one{eol}two{eol}three");
    let mut bad = call(3).fields();
    bad[1] = "2.01311E+13".into();
    bad[17] = String::new();
    let mut bad2 = bad.clone();
    bad2[2] = "r4".into();
    [
        q(&header),
        q(&call(1).fields()),
        q(&multi.fields()),
        q(&bad),
        String::new(),
        q(&bad2),
    ]
    .iter()
    .map(|l| format!("{l}{eol}"))
    .collect()
}

#[test]
fn bad_rows_report_the_line_an_editor_shows_for_every_line_ending() {
    let dir = tempfile::tempdir().unwrap();
    for (name, eol) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let path = write(dir.path(), name, lines_csv(eol));
        let whole = read(&path);
        assert_accounted(&whole);
        assert_eq!(whole.tally.read, 4, "{name}");
        let want = vec![format!("{name}:6"), format!("{name}:8")];
        assert_eq!(examples(&whole, "unparseable timestamp"), want, "{name}");
        for chunk in [1u64, 40, 300] {
            let split = ingest::chunks::read_split(&path, name, 1, chunk, &settings())
                .unwrap()
                .expect("split");
            assert_eq!(
                examples(&split, "unparseable timestamp"),
                want,
                "{name} in chunks of {chunk}"
            );
            assert_eq!(split.calls.line, whole.calls.line, "{name} in chunks of {chunk}");
        }
        assert_eq!(
            whole.calls.line,
            [2, 3],
            "{name}: a record spanning lines starts at its first"
        );
    }
}

#[test]
fn line_numbers_survive_gzip_and_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend_from_slice(lines_csv("\r\n").as_bytes());
    let path = write(dir.path(), "bom.csv", &text);
    assert_eq!(
        examples(&read(&path), "unparseable timestamp"),
        ["bom.csv:6", "bom.csv:8"]
    );
}

// ---- item 6: implausible timestamps ----------------------------------------------------------

const IMPLAUSIBLE: &str = "timestamp outside the plausible range 2013-01-01T00:00:00Z … 2026-12-02T00:00:00Z";

#[test]
fn far_off_timestamps_are_bad_rows_with_their_own_reason() {
    let dir = tempfile::tempdir().unwrap();
    let times = [
        ("2026-11-02T10:00:00.000Z", true),
        ("0000-01-01T00:00:00.000Z", false),
        ("0001-01-01T00:00:00.000Z", false),
        ("9999-12-31T23:59:59.999Z", false),
        ("1970-01-01T00:00:00.000Z", false),
        ("3026-11-02T10:00:00.000Z", false),
        ("2012-12-31T23:59:59.999Z", false),
        ("2013-01-01T00:00:00.000Z", true),
        ("2026-12-02T00:00:00.000Z", true),
        ("2026-12-02T00:00:00.001Z", false),
    ];
    let calls: Vec<Call> = times
        .iter()
        .enumerate()
        .map(|(i, (t, _))| Call::at(t, &format!("r{i}")))
        .collect();
    let path = write(dir.path(), "far.csv", atu_csv(&calls));
    let part = read(&path);
    assert_accounted(&part);
    assert_eq!(part.calls.len(), 3);
    let bad = &part.tally.bad[IMPLAUSIBLE];
    assert_eq!(bad.count, 7);
    assert_eq!(
        bad.examples,
        ["far.csv:3", "far.csv:4", "far.csv:5", "far.csv:6", "far.csv:7"]
    );
}

#[test]
fn a_report_over_far_off_timestamps_finishes_with_them_as_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls: Vec<Call> = (0..50).map(call).collect();
    for (i, t) in [
        "0001-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.000Z",
        "1970-01-01T00:00:00.000Z",
    ]
    .iter()
    .enumerate()
    {
        calls.push(Call::at(t, &format!("far{i}")));
    }
    let input = write(dir.path(), "logs/a.csv", atu_csv(&calls));
    let (code, stderr, summary) = report(&[&input], &dir.path().join("out"), &["--charts", "none"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dq(&summary), (53, 50, 0, 0, 3));
    let bad = &summary["data_quality"]["bad_rows"];
    let reason = "timestamp outside the plausible range 2013-01-01T00:00:00Z … 2026-11-29T00:00:00Z";
    assert_eq!(bad[reason]["count"], 3, "{bad}");
}

fn write_parquet_times(path: &Path, unit: TimeUnit, values: &[i64]) {
    let n = values.len();
    let text = |s: &str| vec![s.to_string(); n];
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("Timestamp".into(), values.to_vec())
                .cast(&DataType::Datetime(unit, None))
                .unwrap(),
            Column::new(
                "RequestIdentifier".into(),
                (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>(),
            ),
            Column::new("InternalOrganizationId".into(), text(ORG18)),
            Column::new("UserIdentifier".into(), text("0055j000000utlPAAQ")),
            Column::new("ApiResource".into(), text("/v60.0/sobjects/Account")),
            Column::new("IsApiLimitCounted".into(), vec![true; n]),
        ],
    )
    .unwrap();
    ParquetWriter::new(fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn extreme_parquet_timestamps_neither_overflow_nor_panic() {
    let dir = tempfile::tempdir().unwrap();
    let ok_ms = 1_793_620_800_000; // 2026-11-02T10:00:00Z
    let cases = [
        (
            "ms.parquet",
            TimeUnit::Milliseconds,
            vec![ok_ms, 1 << 62, -(1 << 62)],
        ),
        (
            "us.parquet",
            TimeUnit::Microseconds,
            vec![ok_ms * 1000, i64::MAX, i64::MIN + 1],
        ),
        (
            "ns.parquet",
            TimeUnit::Nanoseconds,
            vec![ok_ms * 1_000_000, i64::MAX, i64::MIN + 1],
        ),
    ];
    for (name, unit, values) in cases {
        let path = dir.path().join(name);
        write_parquet_times(&path, unit, &values);
        let part = ingest::read_file(
            &InputFile {
                path: path.clone(),
                label: name.into(),
                format: Format::Parquet,
            },
            &settings(),
        )
        .unwrap();
        assert_accounted(&part);
        assert_eq!(part.calls.ts, [ok_ms], "{name}");
        assert_eq!(part.tally.bad[IMPLAUSIBLE].count, 2, "{name}");
    }
}

// ---- item 9: non-regular files and capped settings files -------------------------------------

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_named_csv_is_skipped_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let good = write(&logs, "a.csv", atu_csv(&[call(1)]));
    let fifo = logs.join("pipe.csv");
    mkfifo(&fifo);
    let found = ingest::discover(std::slice::from_ref(&logs), &[]).unwrap();
    assert_eq!(found.files.len(), 1);
    assert_eq!(found.files[0].path, good);
    assert_eq!(found.skipped.len(), 1);
    assert!(
        found.skipped[0].reason.contains("not a regular file (a FIFO)"),
        "{:?}",
        found.skipped
    );

    // Given directly, and through the binary (which would block forever opening it).
    for inputs in [vec![logs.clone()], vec![good.clone(), fifo.clone()]] {
        let out = dir.path().join("out");
        let output = apiusage()
            .arg("report")
            .args(&inputs)
            .arg("--out")
            .arg(&out)
            .args(["--generated-at", "2026-11-28T00:00:00Z", "--charts", "none"])
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(dq(&summary).0, 1);
    }
}

#[test]
fn settings_files_are_read_through_a_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "logs/a.csv", atu_csv(&[call(1)]));
    for flag in ["--limits", "--integrations"] {
        let output = apiusage()
            .arg("report")
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("out"))
            .args([flag, "/dev/zero"])
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains("/dev/zero") && stderr.contains("16 MiB"),
            "{flag}: {stderr}"
        );
    }
}

// ---- item 12: apiusage's own folders ---------------------------------------------------------

fn paths(found: &ingest::Discovery) -> Vec<String> {
    found.files.iter().map(|f| f.label.clone()).collect()
}

#[test]
fn apiusage_folders_in_the_input_tree_are_recognised_by_their_marker() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    let log = atu_csv(&[call(1)]);
    write(&root, "logs/a.csv", &log);
    write(&root, "old-report/usage_x.csv", "Minute,Calls\n");
    write(&root, "old-report/integrations.csv", "Key\n");
    marker::write(&root.join("old-report"), marker::Kind::Report).unwrap();
    write(&root, "store/calls.csv", &log);
    marker::write(&root.join("store"), marker::Kind::Store).unwrap();
    write(&root, "fetched/00D5j000000VI3n/2026-11-02.csv", &log);
    write(&root, "fetched/00D5j000000VI3n/limits.json", "{}");
    write(&root, "fetched/00D5j000000VI3n/org.json", "{}");
    write(&root, "fetched/.apiusage/state.csv", &log);
    marker::write(&root.join("fetched"), marker::Kind::Fetch).unwrap();
    write(&root, "logs/.apiusage/gen-1/x.csv", &log);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&root, root.join("logs/loop")).unwrap();

    let found = ingest::discover(std::slice::from_ref(&root), &[]).unwrap();
    let r = root.display().to_string();
    assert_eq!(
        paths(&found),
        [
            format!("{r}/fetched/00D5j000000VI3n/2026-11-02.csv"),
            format!("{r}/logs/a.csv")
        ]
    );
    let skipped: Vec<(String, String)> = found
        .skipped
        .iter()
        .map(|s| (s.path.strip_prefix(&r).unwrap().to_string(), s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "/fetched/00D5j000000VI3n/limits.json".to_string(),
                "apiusage fetch bookkeeping, not a log file".to_string()
            ),
            (
                "/fetched/00D5j000000VI3n/org.json".into(),
                "apiusage fetch bookkeeping, not a log file".into()
            ),
            ("/old-report".into(), marker::Kind::Report.describe().into()),
            ("/store".into(), marker::Kind::Store.describe().into()),
        ]
    );
}

#[test]
fn the_out_folder_is_still_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    write(&root, "a.csv", atu_csv(&[call(1)]));
    write(&root, "reports/usage_x.csv", "Minute,Calls\n");
    let found = ingest::discover(std::slice::from_ref(&root), &[root.join("reports")]).unwrap();
    assert_eq!(paths(&found), [format!("{}/a.csv", root.display())]);
    assert!(found.skipped.is_empty());
}

// ---- item 15: control characters from headers ------------------------------------------------

fn hostile_header_csv() -> String {
    let mut text = atu_csv(&[call(1)]);
    text = text.replacen("\"CLIENT_NAME\"", "\"CLIENT\x1b]0;pwned\x07\u{202E}NAME\r\"", 1);
    text
}

#[test]
fn schema_output_carries_no_control_bytes_from_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.csv", hostile_header_csv());
    let missing = write(
        dir.path(),
        "b.csv",
        "\"EVENT_TYPE\",\"X\x1b[2J\x07\"\n\"ApiTotalUsage\",\"1\"\n",
    );
    let output = apiusage()
        .arg("schema")
        .arg(&path)
        .arg(&missing)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("CLIENT ]0;pwned  NAME"), "{stdout}");
    assert!(stdout.contains("X [2J "), "{stdout}");
    for bad in ['\x1b', '\x07', '\r', '\u{202E}'] {
        assert!(!stdout.contains(bad), "{bad:?} in {stdout:?}");
    }
}

#[test]
fn file_errors_quoting_headers_carry_no_control_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "logs/b.csv",
        "\"EVENT_TYPE\",\"X\x1b[2J\x07\"\n\"ApiTotalUsage\",\"1\"\n",
    );
    let out = dir.path().join("out");
    let (code, stderr, summary) = report(&[&path], &out, &["--charts", "none"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("X [2J "), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stderr.contains('\x07'), "{stderr:?}");
    let json = fs::read_to_string(out.join("summary.json")).unwrap_or_default();
    assert!(
        !json.contains("\\u001b") && !json.contains("\\u0007"),
        "{summary}"
    );
}
