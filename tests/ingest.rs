//! Ingest: CSV dialect quirks, Parquet, duplicates across files and formats, fallback
//! reconciliation, unreadable files and the row accounting.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use apiusage::dedup::{self, Table};
use apiusage::ingest;
use apiusage::model::{flags, EventType};
use common::*;
use polars::prelude::*;
use proptest::prelude::*;

fn table_of(paths: &[&Path]) -> Table {
    let owned: Vec<_> = paths.iter().map(|p| p.to_path_buf()).collect();
    dedup::reconcile(
        ingest::ingest(
            &owned,
            &[],
            &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
        )
        .unwrap(),
    )
}

/// The normalised rows as comparable tuples.
fn rows(t: &Table) -> Vec<(i64, String, String, String, String, bool, String)> {
    let c = &t.calls;
    (0..c.len())
        .map(|i| {
            let s = c.shape_of(i);
            (
                c.ts[i],
                c.strings.get(s.org).to_string(),
                c.strings.get(s.user_id).to_string(),
                c.strings.get(s.app_id).to_string(),
                c.strings.get(c.resource[i]).to_string(),
                s.counts,
                c.strings.get(s.client).to_string(),
            )
        })
        .collect()
}

fn three_calls() -> Vec<Call> {
    vec![
        Call::at("2026-11-02T10:00:00.000Z", "r1"),
        Call::at("2026-11-02T10:00:01.500Z", "r2").counts("0"),
        Call::at("2026-11-02T11:00:00.000Z", "r3"),
    ]
}

#[test]
fn quoted_fields_with_doubled_quotes_commas_and_newlines_are_one_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut call = Call::at("2026-11-02T10:00:00.000Z", "r1");
    call.client = "ERP \"nightly\", batch\nline two".into();
    let path = write(dir.path(), "a.csv", atu_csv(&[call]));
    let t = table_of(&[&path]);
    assert_eq!(t.total.used, 1);
    assert_eq!(rows(&t)[0].6, "ERP \"nightly\", batch\nline two");
}

#[test]
fn lf_crlf_and_cr_line_endings_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let lf = atu_csv(&three_calls());
    let crlf = lf.replace('\n', "\r\n");
    let cr = lf.replace('\n', "\r");
    let a = write(dir.path(), "lf.csv", &lf);
    let b = write(dir.path(), "crlf.csv", &crlf);
    let c = write(dir.path(), "cr.csv", &cr);
    let (ta, tb, tc) = (table_of(&[&a]), table_of(&[&b]), table_of(&[&c]));
    assert_eq!(ta.total.used, 3);
    assert_eq!(rows(&ta), rows(&tb));
    assert_eq!(rows(&ta), rows(&tc));
}

#[test]
fn a_bom_unquoted_fields_and_comma_space_separators_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let quoted = atu_csv(&three_calls());
    let bom = write(dir.path(), "bom.csv", format!("\u{feff}{quoted}"));
    let unquoted = write(dir.path(), "unquoted.csv", quoted.replace('"', ""));
    let spaced = write(dir.path(), "spaced.csv", quoted.replace("\",\"", "\", \""));
    let want = rows(&table_of(&[&write(dir.path(), "plain.csv", &quoted)]));
    assert_eq!(want.len(), 3);
    for p in [&bom, &unquoted, &spaced] {
        assert_eq!(rows(&table_of(&[p])), want, "{}", p.display());
    }
}

#[test]
fn missing_optional_and_extra_unknown_columns_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "\"EVENT_TYPE\",\"TIMESTAMP_DERIVED\",\"ORGANIZATION_ID\",\"COUNTS_AGAINST_API_LIMIT\",\"BOT_IDENTIFIER\"\n\
               \"ApiTotalUsage\",\"2026-11-02T10:00:00.000Z\",\"00D5j000000VI3n\",\"true\",\"x\"\n";
    let path = write(dir.path(), "min.csv", csv);
    let t = table_of(&[&path]);
    assert_eq!(t.total.used, 1);
    assert_eq!(rows(&t)[0].1, ORG);
}

#[test]
fn invalid_utf8_in_descriptive_fields_is_decoded_lossily_and_the_row_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut call = Call::at("2026-11-02T10:00:00.000Z", "r1");
    call.client = "CAFE_MARKER".into();
    let bytes = atu_csv(&[call]).into_bytes();
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("CAFE_MARKER", "Caf\u{1}");
    let raw = text
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xE9 } else { b })
        .collect::<Vec<u8>>();
    let path = write(dir.path(), "latin1.csv", raw);
    let t = table_of(&[&path]);
    assert_eq!(t.total.used, 1);
    assert_eq!(rows(&t)[0].6, "Caf\u{fffd}");
}

#[test]
fn gzip_files_read_like_plain_ones() {
    let dir = tempfile::tempdir().unwrap();
    let csv = atu_csv(&three_calls());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let path = write(dir.path(), "a.csv.gz", gz.finish().unwrap());
    let plain = write(dir.path(), "b.csv", csv);
    assert_eq!(rows(&table_of(&[&path])), rows(&table_of(&[&plain])));
}

#[test]
fn overlapping_hourly_and_daily_files_give_exactly_the_daily_calls() {
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Call> = (0..48)
        .map(|i| {
            Call::at(
                &format!("2026-11-02T{:02}:{:02}:00.000Z", i / 2, (i % 2) * 30),
                &format!("req{i}"),
            )
        })
        .collect();
    let daily = write(dir.path(), "daily/ApiTotalUsage_2026-11-02.csv", atu_csv(&calls));
    for h in 0..24 {
        write(
            dir.path(),
            &format!("hourly/ApiTotalUsage_2026-11-02T{h:02}.csv"),
            atu_csv(&calls[h * 2..h * 2 + 2]),
        );
    }
    let both = table_of(&[dir.path()]);
    let only_daily = table_of(&[&daily]);
    assert_eq!(both.total.read, 96);
    assert_eq!(both.total.used, 48);
    assert_eq!(both.total.duplicates, 48);
    assert_eq!(rows(&both), rows(&only_daily));
}

#[test]
fn the_same_request_id_with_different_resources_is_not_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let a = Call::at("2026-11-02T10:00:00.000Z", "same");
    let mut b = a.clone();
    b.resource = "/v60.0/query".into();
    let path = write(dir.path(), "a.csv", atu_csv(&[a.clone(), b, a]));
    let t = table_of(&[&path]);
    assert_eq!((t.total.used, t.total.duplicates), (2, 1));
}

#[test]
fn fallback_rows_count_only_on_org_days_without_api_total_usage() {
    let dir = tempfile::tempdir().unwrap();
    let header = [
        "EVENT_TYPE",
        "TIMESTAMP",
        "REQUEST_ID",
        "ORGANIZATION_ID",
        "USER_ID",
        "URI",
        "METHOD",
        "STATUS_CODE",
        "ROWS_PROCESSED",
        "TIMESTAMP_DERIVED",
    ];
    let rest = |ts: &str, rid: &str| {
        vec![
            "RestApi".into(),
            compact_ts(ts),
            rid.into(),
            ORG.into(),
            "0055j000000utlP".into(),
            "/services/data/v60.0/query".into(),
            "GET".into(),
            "200".into(),
            "5".into(),
            ts.into(),
        ]
    };
    let rest_rows = vec![
        rest("2026-11-02T09:00:00.000Z", "x1"),
        rest("2026-11-03T09:00:00.000Z", "x2"),
        rest("2026-11-03T09:05:00.000Z", "x3"),
    ];
    write(dir.path(), "RestApi.csv", quoted_csv(&header, &rest_rows));
    write(
        dir.path(),
        "ApiTotalUsage.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "r1")]),
    );
    let t = table_of(&[dir.path()]);
    assert_eq!(t.total.used, 3, "1 ApiTotalUsage + 2 RestApi on 11-03");
    assert_eq!(t.total.ignored.get(dedup::SUPERSEDED), Some(&1));
    // In time order: the superseded RestApi row stays for enrichment but never counts.
    let flags_of = |i: usize| t.calls.flags[i] & (flags::ESTIMATED | flags::SUPERSEDED);
    let all: Vec<(u8, bool)> = (0..t.calls.len())
        .map(|i| (flags_of(i), t.calls.counts(i)))
        .collect();
    let est = flags::ESTIMATED;
    assert_eq!(
        all,
        [
            (est | flags::SUPERSEDED, false),
            (0, true),
            (est, true),
            (est, true)
        ]
    );
    assert_eq!(t.calls.event_of(2), EventType::RestApi);
    assert_eq!(t.calls.strings.get(t.calls.resource[2]), "/v60.0/query");
}

#[test]
fn login_rows_are_context_and_unknown_types_are_ignored_with_their_count() {
    let dir = tempfile::tempdir().unwrap();
    let header = [
        "EVENT_TYPE",
        "TIMESTAMP_DERIVED",
        "ORGANIZATION_ID",
        "USER_ID",
        "URI",
    ];
    let row = |t: &str, s: u32| {
        vec![
            t.to_string(),
            format!("2026-11-02T10:00:{s:02}.000Z"),
            ORG.into(),
            "0055j000000utlP".into(),
            "/services/oauth2/token".into(),
        ]
    };
    let rows = [
        row("Login", 1),
        row("Login", 2),
        row("Login", 2),
        row("LightningPageView", 3),
    ];
    write(dir.path(), "mixed.csv", quoted_csv(&header, &rows));
    let t = table_of(&[dir.path()]);
    assert_eq!(t.total.read, 4);
    assert_eq!(t.total.used, 0);
    assert_eq!(
        t.total.duplicates, 1,
        "identical Login rows without REQUEST_ID are one event"
    );
    assert_eq!(
        t.total.ignored.get("context only, not an API call: Login"),
        Some(&2)
    );
    assert_eq!(
        t.total.ignored.get("unsupported event type LightningPageView"),
        Some(&1)
    );
    assert!(t.total.balances());
}

/// Writes `calls` as an Event Log Object Parquet export: CamelCase names, 18-character ids,
/// real nulls, a datetime Timestamp, a boolean IsApiLimitCounted, no EventType column.
fn write_elo_parquet(path: &Path, calls: &[Call]) {
    let ts: Vec<i64> = calls
        .iter()
        .map(|c| apiusage::normalize::parse_timestamp(c.ts.as_bytes()).unwrap())
        .collect();
    let id18 = |id: &str| {
        if id.len() == 15 {
            format!(
                "{id}{}",
                String::from_utf8(apiusage::normalize::case_suffix(id.as_bytes()).to_vec()).unwrap()
            )
        } else {
            id.to_string()
        }
    };
    let opt = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
    let mut df = DataFrame::new(
        calls.len(),
        vec![
            Column::new("Timestamp".into(), ts)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
            Column::new(
                "RequestIdentifier".into(),
                calls.iter().map(|c| c.request_id.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "InternalOrganizationId".into(),
                calls.iter().map(|c| id18(&c.org)).collect::<Vec<_>>(),
            ),
            Column::new(
                "UserIdentifier".into(),
                calls.iter().map(|c| id18(&c.user)).collect::<Vec<_>>(),
            ),
            Column::new(
                "ApiResource".into(),
                calls.iter().map(|c| c.resource.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "IsApiLimitCounted".into(),
                calls.iter().map(|c| c.counts == "1").collect::<Vec<_>>(),
            ),
            Column::new(
                "ConnectedAppIdentifier".into(),
                calls
                    .iter()
                    .map(|c| opt(&c.app_id).map(|a| id18(&a)))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "ClientName".into(),
                calls
                    .iter()
                    .map(|c| opt(&c.client))
                    .collect::<Vec<Option<String>>>(),
            ),
        ],
    )
    .unwrap();
    let file = fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

#[test]
fn the_same_events_as_csv_and_parquet_normalise_to_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "a.csv", atu_csv(&three_calls()));
    let parquet = dir.path().join("a.parquet");
    write_elo_parquet(&parquet, &three_calls());
    let from_csv = table_of(&[&csv]);
    let from_parquet = table_of(&[&parquet]);
    assert_eq!(from_parquet.total.used, 3);
    let strip = |r: Vec<(i64, String, String, String, String, bool, String)>| {
        r.into_iter()
            .map(|(t, o, u, a, res, c, _)| (t, o, u, a, res, c))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(rows(&from_csv)), strip(rows(&from_parquet)));
    let both = table_of(&[&csv, &parquet]);
    assert_eq!(
        (both.total.used, both.total.duplicates),
        (3, 3),
        "a call exported twice is one call"
    );
}

/// Status, version and counted flag of every row, as the table holds them.
fn typed_fields(t: &Table) -> Vec<(u16, String, bool)> {
    let c = &t.calls;
    (0..c.len())
        .map(|i| {
            let s = c.shape_of(i);
            (s.status, c.strings.get(s.version).to_string(), s.counts)
        })
        .collect()
}

#[test]
fn typed_parquet_numbers_and_flags_read_as_their_text() {
    // Typed columns are written as text a row at a time; the same values stored as text (the
    // way polars casts them) must give the same table, nulls and repeats included.
    let n = 6;
    let ts: Vec<i64> = (0..n).map(|i| 1_790_000_000_000 + i * 1_000).collect();
    let typed = vec![
        Column::new("Timestamp".into(), ts.clone())
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap(),
        Column::new(
            "RequestIdentifier".into(),
            (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>(),
        ),
        Column::new(
            "InternalOrganizationId".into(),
            vec!["00D5j000000AbCdEAF"; n as usize],
        ),
        Column::new("ApiResource".into(), vec!["/v58.0/query"; n as usize]),
        Column::new(
            "IsApiLimitCounted".into(),
            [
                Some(true),
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                Some(true),
            ],
        ),
        Column::new(
            "StatusCode".into(),
            [Some(200i32), Some(200), None, Some(404), Some(404), Some(-1)],
        ),
        Column::new(
            "ApiVersion".into(),
            [Some(60.0f64), Some(60.0), Some(58.5), None, Some(1e21), Some(0.1)],
        ),
        Column::new(
            "Status32".into(),
            [Some(59.0f32), Some(0.1), None, Some(60.0), Some(60.0), Some(7.25)],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, columns: Vec<Column>| {
        let mut df = DataFrame::new(n as usize, columns).unwrap();
        let path = dir.path().join(name);
        ParquetWriter::new(fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        path
    };
    let as_text: Vec<Column> = typed
        .iter()
        .map(|c| match c.dtype() {
            DataType::Datetime(..) | DataType::String => c.clone(),
            _ => c.cast(&DataType::String).unwrap(),
        })
        .collect();
    // The 32-bit float column stands in for the version in a second pair of files.
    let version32 = |columns: &[Column]| {
        let mut v: Vec<Column> = columns
            .iter()
            .filter(|c| c.name() != "ApiVersion")
            .cloned()
            .collect();
        let at = v.iter().position(|c| c.name() == "Status32").unwrap();
        v[at].rename("ApiVersion".into());
        v
    };
    let no32 = |columns: &[Column]| -> Vec<Column> {
        columns
            .iter()
            .filter(|c| c.name() != "Status32")
            .cloned()
            .collect()
    };
    for (a, b) in [
        (
            write("typed.parquet", no32(&typed)),
            write("text.parquet", no32(&as_text)),
        ),
        (
            write("typed32.parquet", version32(&typed)),
            write("text32.parquet", version32(&as_text)),
        ),
    ] {
        let (typed, text) = (table_of(&[&a]), table_of(&[&b]));
        assert_eq!(typed_fields(&typed), typed_fields(&text));
        assert_eq!(typed.total.used, text.total.used);
        assert_eq!(typed.total.used, n as u64);
    }
}

#[test]
fn a_parquet_file_of_several_slices_reads_as_one_with_row_numbers_across_them() {
    // Two row groups too large to share a slice: read in parallel, merged in order. Rows
    // alternate between two users (so the string pools of the parts differ in order), and a
    // few far-off timestamps in both groups are bad rows named by their file row number.
    let n: usize = 300_000;
    let bad = [7usize, 150_003, 299_999];
    let ts: Vec<i64> = (0..n)
        .map(|i| {
            if bad.contains(&(i + 1)) {
                -2_208_988_800_000
            } else {
                1_790_000_000_000 + i as i64 * 10
            }
        })
        .collect();
    let users = ["005000000000001", "005000000000002"];
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("Timestamp".into(), ts)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
            Column::new(
                "RequestIdentifier".into(),
                (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>(),
            ),
            Column::new("InternalOrganizationId".into(), vec!["00D5j000000AbCdEAF"; n]),
            Column::new(
                "UserIdentifier".into(),
                (0..n).map(|i| users[(i / 3) % 2]).collect::<Vec<_>>(),
            ),
            Column::new("ApiResource".into(), vec!["/v58.0/query"; n]),
            Column::new(
                "IsApiLimitCounted".into(),
                (0..n).map(|i| i % 5 != 0).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Two groups of a slice each, then 300 small groups packed into two slices (each slice is
    // read with the footer trimmed to its own groups).
    for group_rows in [150_000, 1_000] {
        let path = dir.path().join("x.parquet");
        ParquetWriter::new(fs::File::create(&path).unwrap())
            .with_row_group_size(Some(group_rows))
            .finish(&mut df)
            .unwrap();
        check_slices_read_as_one(&path, n, &bad, &users);
    }
}

fn check_slices_read_as_one(path: &Path, n: usize, bad: &[usize], users: &[&str; 2]) {
    let settings = ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap());
    let part = ingest::parquet::read(path, "x.parquet", &settings).unwrap();
    assert_eq!(part.tally.read, n as u64);
    assert_eq!(part.calls.len(), n - bad.len());
    assert_eq!(part.calls.files, vec!["x.parquet".to_string()]);
    let examples: Vec<String> = part.tally.bad.values().flat_map(|e| e.examples.clone()).collect();
    assert_eq!(
        examples,
        vec!["x.parquet:7", "x.parquet:150003", "x.parquet:299999"]
    );
    // Every row in file order, with its row number and its own user and flag.
    let c = &part.calls;
    let good: Vec<usize> = (0..n).filter(|i| !bad.contains(&(i + 1))).collect();
    for (k, &i) in good.iter().enumerate() {
        assert_eq!(c.line[k] as usize, i + 1);
        let shape = c.shape_of(k);
        assert_eq!(c.strings.get(shape.user_id), users[(i / 3) % 2], "row {}", i + 1);
        assert_eq!(shape.counts, i % 5 != 0, "row {}", i + 1);
    }
}

#[test]
fn a_truncated_gzip_and_a_corrupt_parquet_are_named_while_good_files_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.csv", atu_csv(&three_calls()));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(atu_csv(&three_calls()).repeat(50).as_bytes())
        .unwrap();
    let bytes = gz.finish().unwrap();
    write(dir.path(), "truncated.csv.gz", &bytes[..bytes.len() / 2]);
    write(dir.path(), "corrupt.parquet", b"PAR1 this is not parquet");
    let out = dir.path().join("out");
    let (code, stderr, summary) = report(&[dir.path()], &out, &["--allocation", "15000"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("truncated.csv.gz") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(
        stderr.contains("corrupt.parquet") && stderr.contains("Parquet"),
        "{stderr}"
    );
    assert_eq!(dq(&summary), (3, 3, 0, 0, 0));
    assert_eq!(
        summary["data_quality"]["files"]["unreadable"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_file_without_timestamp_names_the_missing_column_and_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "nots.csv",
        "\"EVENT_TYPE\",\"ORGANIZATION_ID\",\"USER_ID\"\n\"ApiTotalUsage\",\"00D5j000000VI3n\",\"x\"\n",
    );
    let (code, stderr, _) = report(&[&path], &dir.path().join("out"), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nots.csv"), "{stderr}");
    assert!(
        stderr.contains("missing required column(s): TIMESTAMP or TIMESTAMP_DERIVED"),
        "{stderr}"
    );
    assert!(
        stderr.contains("found columns: EVENT_TYPE, ORGANIZATION_ID, USER_ID"),
        "{stderr}"
    );
    let schema = apiusage().arg("schema").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&schema.stdout);
    assert_eq!(schema.status.code(), Some(2));
    assert!(text.contains("MISSING TIMESTAMP"), "{text}");
}

#[test]
fn exact_counts_on_a_crafted_mix_of_good_bad_and_duplicate_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = three_calls();
    calls.push(calls[0].clone()); // duplicate
    let mut no_org = Call::at("2026-11-02T12:00:00.000Z", "r9");
    no_org.org = String::new();
    calls.push(no_org);
    let mut text = atu_csv(&calls);
    text.push_str("\"ApiTotalUsage\",\"20261102130000.000\",\"short\"\n");
    text.push_str(
        atu_csv(&[Call::at("2026-11-02T14:00:00.000Z", "r10").counts("maybe")])
            .lines()
            .nth(1)
            .unwrap(),
    );
    text.push('\n');
    let mut spreadsheet = Call::at("2026-11-02T15:00:00.000Z", "r11").fields();
    spreadsheet[1] = "2.01308E+13".into();
    spreadsheet[17] = String::new();
    text.push_str(quoted_csv(&["x"], &[spreadsheet]).lines().nth(1).unwrap());
    text.push('\n');
    let path = write(dir.path(), "mix.csv", text);
    let (code, stderr, summary) = report(&[&path], &dir.path().join("out"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dq(&summary), (8, 3, 1, 0, 4));
    let bad = &summary["data_quality"]["bad_rows"];
    assert_eq!(
        bad["missing ORGANIZATION_ID"]["examples"][0],
        format!("{}:6", path.display())
    );
    assert_eq!(
        bad["wrong field count"]["examples"][0],
        format!("{}:7", path.display())
    );
    assert_eq!(bad["invalid COUNTS_AGAINST_API_LIMIT"]["count"], 1);
    assert_eq!(bad["unparseable timestamp"]["count"], 1);
    assert!(stderr.contains("4 bad rows"), "{stderr}");
    let (strict, _, _) = report(&[&path], &dir.path().join("out2"), &["--strict"]);
    assert_eq!(strict, 2);
}

#[test]
fn unknown_files_are_listed_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.csv", atu_csv(&three_calls()));
    write(dir.path(), "notes.txt", "hello");
    let (_, _, summary) = report(&[dir.path()], &dir.path().join("out"), &[]);
    let skipped = summary["data_quality"]["files"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].as_str().unwrap().ends_with("notes.txt"));
    let why = &summary["data_quality"]["files"]["skipped_reasons"][0];
    assert!(why["path"].as_str().unwrap().ends_with("notes.txt"));
    assert_eq!(why["reason"], "not a .csv, .csv.gz, .parquet or JSON-lines file");
}

/// A row for the accounting property: valid, duplicate, bad or ignored.
#[derive(Debug, Clone)]
enum Kind {
    Good(u32),
    Bad(u8),
    Login,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (0u32..40).prop_map(Kind::Good),
        (0u8..4).prop_map(Kind::Bad),
        Just(Kind::Login),
    ]
}

fn row_text(k: &Kind) -> String {
    let line = |c: Call| atu_csv(&[c]).lines().nth(1).unwrap().to_string();
    match k {
        // Few distinct ids so that duplicates are common.
        Kind::Good(i) => line(Call::at(
            &format!("2026-11-02T10:{:02}:00.000Z", i % 20),
            &format!("r{}", i % 25),
        )),
        Kind::Bad(0) => line(Call::at("2026-11-02T10:00:00.000Z", "b").org("")),
        Kind::Bad(1) => line(Call::at("2026-11-02T10:00:00.000Z", "b").counts("")),
        Kind::Bad(2) => "\"ApiTotalUsage\",\"x\"".into(),
        Kind::Bad(_) => {
            let mut f = Call::at("2026-11-02T10:00:00.000Z", "b").fields();
            f[1] = "soon".into();
            f[17] = String::new();
            quoted_csv(&["x"], &[f]).lines().nth(1).unwrap().to_string()
        }
        Kind::Login => {
            let mut f = Call::at("2026-11-02T10:00:00.000Z", "l").fields();
            f[0] = "Login".into();
            quoted_csv(&["x"], &[f]).lines().nth(1).unwrap().to_string()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn every_row_read_is_used_duplicate_ignored_or_bad(files in prop::collection::vec(prop::collection::vec(kind(), 0..30), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut expected_read = 0u64;
        for (n, rows) in files.iter().enumerate() {
            let mut text = quoted_csv(ATU_HEADER, &[]);
            for r in rows {
                text.push_str(&row_text(r));
                text.push('\n');
            }
            expected_read += rows.len() as u64;
            write(dir.path(), &format!("f{n}.csv"), text);
        }
        let t = table_of(&[dir.path()]);
        prop_assert_eq!(t.total.read, expected_read);
        prop_assert!(t.total.balances(), "{:?}", t.total);
        for f in &t.files {
            prop_assert!(f.rows.balances(), "{:?}", f.rows);
        }
        let calls = (0..t.calls.len()).filter(|&i| t.calls.event_of(i) != EventType::Login).count();
        prop_assert_eq!(t.total.used as usize, calls);
    }
}

#[test]
fn a_file_read_in_parallel_chunks_equals_the_file_read_in_one_piece() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls: Vec<Call> = (0..3000)
        .map(|i| {
            Call::at(
                &format!(
                    "2026-11-02T{:02}:{:02}:{:02}.000Z",
                    i / 3600,
                    (i / 60) % 60,
                    i % 60
                ),
                &format!("r{i}"),
            )
        })
        .collect();
    for (i, c) in calls.iter_mut().enumerate().filter(|(i, _)| i % 7 == 0) {
        c.client = format!("multi\nline \"{i}\", client");
    }
    let mut text = atu_csv(&calls);
    text.push_str("\"ApiTotalUsage\",\"short row\"\n");
    let path = write(dir.path(), "big.csv", &text);
    let whole = ingest::read_file(
        &ingest::InputFile {
            path: path.clone(),
            label: "big.csv".into(),
            format: ingest::Format::Csv,
        },
        &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
    )
    .unwrap();
    let split = ingest::chunks::read_split(
        &path,
        "big.csv",
        1,
        16 * 1024,
        &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
    )
    .unwrap()
    .expect("split");
    assert_eq!(split.tally, whole.tally);
    assert_eq!(split.tally.read, 3001);
    assert_eq!(split.calls.ts, whole.calls.ts);
    assert_eq!(split.calls.line, whole.calls.line);
    assert_eq!(split.calls.key, whole.calls.key);
    assert!(split.calls.file.iter().all(|&f| f == 0));
    let clients = |p: &ingest::builder::Part| -> Vec<String> {
        p.calls
            .shape
            .iter()
            .map(|&s| p.calls.strings.get(p.calls.shapes[s as usize].client).to_string())
            .collect()
    };
    assert_eq!(clients(&split), clients(&whole));
}

// ---------------------------------------------------------------- JSON lines (NDJSON)

fn ndjson_line(call: &Call, nest: Option<&str>) -> String {
    let mut obj = serde_json::Map::new();
    for (name, value) in ATU_HEADER.iter().zip(call.fields()) {
        let v = match *name {
            // Collectors keep booleans and numbers typed.
            "COUNTS_AGAINST_API_LIMIT" => serde_json::Value::Bool(value == "1" || value == "true"),
            "STATUS_CODE" if !value.is_empty() => serde_json::json!(value.parse::<u64>().unwrap()),
            _ => serde_json::Value::String(value),
        };
        obj.insert(name.to_string(), v);
    }
    let obj = serde_json::Value::Object(obj);
    match nest {
        Some(key) => {
            serde_json::json!({"@timestamp": "x", key: obj, "host": {"name": "collector"}}).to_string()
        }
        None => obj.to_string(),
    }
}

fn crafted_calls() -> Vec<Call> {
    (0..40)
        .map(|i| {
            let c = Call::at(
                &format!("2026-11-02T10:{:02}:{:02}.000Z", i / 6, (i % 6) * 10),
                &format!("r{i}"),
            );
            if i % 4 == 0 {
                c.counts("0")
            } else {
                c
            }
        })
        .collect()
}

#[test]
fn json_lines_flat_nested_and_gzipped_count_as_the_same_rows_in_csv() {
    let calls = crafted_calls();
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "csv/ApiTotalUsage.csv", atu_csv(&calls));
    let flat: String = calls.iter().map(|c| ndjson_line(c, None) + "\n").collect();
    let json = write(dir.path(), "json/events.ndjson", &flat);
    let nested: String = calls[..20]
        .iter()
        .map(|c| ndjson_line(c, Some("salesforce")) + "\n")
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        calls[20..]
            .iter()
            .map(|c| ndjson_line(c, Some("event")) + "\n")
            .collect::<String>()
            .as_bytes(),
    )
    .unwrap();
    let split = dir.path().join("split");
    write(&split, "a.jsonl", nested);
    write(&split, "b.json.gz", gz.finish().unwrap());
    let (_, _, from_csv) = report(&[&csv], &dir.path().join("r-csv"), &[]);
    for input in [json, split] {
        let (code, stderr, s) = report(&[&input], &dir.path().join("r-json"), &[]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(s["orgs"][0]["counted_calls"], 30, "{input:?}");
        assert_eq!(s["orgs"][0]["not_counted_calls"], 10);
        assert_eq!(s["orgs"][0]["peak"], from_csv["orgs"][0]["peak"]);
        assert_eq!(s["orgs"][0]["integrations"], from_csv["orgs"][0]["integrations"]);
        assert_eq!(dq(&s), (40, 40, 0, 0, 0));
    }
}

#[test]
fn json_lines_that_are_not_events_are_bad_rows_with_their_line() {
    let calls = crafted_calls();
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    text += &ndjson_line(&calls[1], None);
    text += "\nnot json at all\n\n[1, 2, 3]\n{\"message\": \"hello\"}\n";
    text += &format!("{{\"EVENT_TYPE\": \"{}\"}}\n", "x".repeat(2 << 20));
    text += &ndjson_line(&calls[2], None);
    text += "\n";
    let file = write(dir.path(), "events.ndjson", text);
    let (code, stderr, s) = report(&[&file], &dir.path().join("r"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["orgs"][0]["counted_calls"], 2);
    assert_eq!(dq(&s), (6, 2, 0, 0, 4));
    let bad = &s["data_quality"]["bad_rows"];
    let path = file.display().to_string();
    assert_eq!(
        bad["not valid JSON"]["examples"],
        serde_json::json!([format!("{path}:2")])
    );
    assert_eq!(
        bad["JSON line without Event Monitoring fields (EVENT_TYPE, TIMESTAMP_DERIVED, …)"]["examples"],
        serde_json::json!([format!("{path}:4"), format!("{path}:5")])
    );
    assert_eq!(
        bad["JSON line longer than 1 MiB"]["examples"],
        serde_json::json!([format!("{path}:6")])
    );
}

#[test]
fn json_that_is_not_rows_is_skipped_with_a_reason() {
    let calls = crafted_calls();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logs/ApiTotalUsage.csv", atu_csv(&calls));
    write(
        dir.path(),
        "logs/limits.json",
        "{\n  \"DailyApiRequests\": {\"Max\": 15000, \"Remaining\": 10}\n}\n",
    );
    write(
        dir.path(),
        "logs/array.json",
        "[{\"EVENT_TYPE\": \"ApiTotalUsage\"}]\n",
    );
    let (code, stderr, s) = report(&[&dir.path().join("logs")], &dir.path().join("r"), &[]);
    assert_eq!(code, 0, "{stderr}");
    let reasons = s["data_quality"]["files"]["skipped_reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    for r in reasons {
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .starts_with("JSON, but not Event Monitoring rows"),
            "{r}"
        );
    }
    assert_eq!(s["orgs"][0]["counted_calls"], 30);
}
