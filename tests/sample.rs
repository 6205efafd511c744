//! The bundled sample and the benchmark generator: deterministic, complete, and planted with
//! the volumes the README promises (checked independently of the generator's own arithmetic).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use apiusage::sample::{self, BenchFormat, BenchLayout, CHATTY_APP_ID, ORG_A, ORG_B, ORG_C, SAMPLE_DATES};
use flate2::read::GzDecoder;
use polars::prelude::*;

/// One generated sample shared by the read-only tests (generation takes a moment in debug):
/// its folder and the list `write_sample_logs` returned.
fn shared_sample_with_list() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static SAMPLE: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let written = sample::write_sample_logs(dir.path()).expect("sample written");
        (dir, written)
    })
}

fn shared_sample() -> &'static Path {
    shared_sample_with_list().0.path()
}

fn relative(root: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

fn all_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = relative(root, std::slice::from_ref(&path)).remove(0);
                out.insert(rel, fs::read(&path).expect("readable file"));
            }
        }
    }
    out
}

#[test]
fn regeneration_is_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let written_a = sample::write_sample_logs(a.path()).unwrap();
    let written_b = sample::write_sample_logs(b.path()).unwrap();
    assert_eq!(relative(a.path(), &written_a), relative(b.path(), &written_b));
    let files_a = all_files(a.path());
    let files_b = all_files(b.path());
    assert_eq!(
        files_a.keys().collect::<Vec<_>>(),
        files_b.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &files_a {
        assert!(bytes == &files_b[name], "{name} differs between runs");
    }
}

#[test]
fn the_committed_sample_logs_are_exactly_what_the_generator_writes() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let fresh = all_files(shared_sample());
    let on_disk = all_files(&committed);
    assert_eq!(
        fresh.keys().collect::<Vec<_>>(),
        on_disk.keys().collect::<Vec<_>>(),
        "regenerate with `cargo run -- sample --out sample_logs`"
    );
    for (name, bytes) in &fresh {
        assert!(
            bytes == &on_disk[name],
            "sample_logs/{name} is stale: regenerate it with `cargo run -- sample --out sample_logs`"
        );
    }
}

#[test]
fn sample_file_list_is_as_expected() {
    let (root, written) = shared_sample_with_list();
    let (a, b, c) = (ORG_A.id, ORG_B.id, ORG_C.id);
    let mut expected = vec![
        "README.md".to_string(),
        "org_profile.toml".to_string(),
        format!("acme-dev/ApiTotalUsage_2026-11-02_{a}.csv.gz"),
        format!("acme-dev/ApiTotalUsage_2026-11-03_{a}.csv.gz"),
        format!("acme-dev/ApiTotalUsage_2026-11-04_{a}.csv.gz"),
        format!("acme-dev/hourly/ApiTotalUsage_2026-11-03T08_seq1_{a}.csv"),
        format!("acme-dev/hourly/ApiTotalUsage_2026-11-03T09_seq1_{a}.csv"),
        format!("acme-dev/hourly/ApiTotalUsage_2026-11-03T09_seq2_{a}.csv"),
        format!("acme-dev/hourly/ApiTotalUsage_2026-11-03T10_seq1_{a}.csv"),
        format!("acme-dev/hourly/ApiTotalUsage_2026-11-03T11_seq1_{a}.csv"),
        format!("globex-prod/ApiTotalUsage_2026-11-02_{b}.csv.gz"),
        format!("globex-prod/ApiTotalUsage_2026-11-03_{b}.csv.gz"),
        format!("globex-prod/Login_2026-11-02_{b}.csv"),
        format!("globex-prod/Login_2026-11-03_{b}.csv"),
        format!("globex-prod/Login_2026-11-04_{b}.csv"),
        format!("globex-prod/RestApi_2026-11-03_{b}.csv.gz"),
        format!("globex-prod/RestApi_2026-11-04_{b}.csv"),
        format!("initech-eu/ApiTotalUsageEventLog_2026-11-03_{c}.parquet"),
        format!("initech-eu/ApiTotalUsage_2026-11-02_{c}.csv"),
        format!("initech-eu/ApiTotalUsage_2026-11-04_{c}.csv"),
    ];
    expected.sort();
    let mut got = relative(root.path(), written);
    let sorted = {
        let mut s = got.clone();
        s.sort();
        s
    };
    assert_eq!(got, sorted, "returned list is sorted");
    got.sort();
    assert_eq!(got, expected);
    let total: u64 = written.iter().map(|f| f.metadata().unwrap().len()).sum();
    assert!(total < 5_500_000, "sample is {total} bytes");
}

#[test]
fn org_profile_lists_a_and_b_but_not_c() {
    let text = fs::read_to_string(shared_sample().join("org_profile.toml")).unwrap();
    let profile: toml::Value = toml::from_str(&text).unwrap();
    let orgs = profile["org"].as_array().unwrap();
    let ids: Vec<&str> = orgs.iter().map(|o| o["org_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ORG_A.id, ORG_B.id]);
    assert_eq!(orgs[0]["edition"].as_str(), Some("developer"));
    assert_eq!(orgs[1]["edition"].as_str(), Some("enterprise"));
    assert_eq!(orgs[1]["licenses"]["salesforce"].as_integer(), Some(15));
    assert_eq!(orgs[1]["api_call_add_ons"].as_integer(), Some(0));
    assert!(!text.contains(&format!("org_id = \"{}\"", ORG_C.id)));
}

/// Counted-call timestamps (ms) of org A's daily files, all and for the ERP app only.
fn org_a_counted_calls() -> (Vec<i64>, Vec<i64>) {
    let mut all = Vec::new();
    let mut erp = Vec::new();
    for date in SAMPLE_DATES {
        let path = shared_sample().join(format!("acme-dev/ApiTotalUsage_{date}_{}.csv.gz", ORG_A.id));
        let mut text = String::new();
        GzDecoder::new(File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (ts, counts, app, org) = (
            col("TIMESTAMP_DERIVED"),
            col("COUNTS_AGAINST_API_LIMIT"),
            col("CONNECTED_APP_ID"),
            col("ORGANIZATION_ID"),
        );
        for record in reader.records() {
            let record = record.unwrap();
            assert_eq!(&record[org], ORG_A.id);
            if &record[counts] != "1" {
                continue;
            }
            let at = chrono::DateTime::parse_from_rfc3339(&record[ts])
                .unwrap()
                .timestamp_millis();
            all.push(at);
            if &record[app] == CHATTY_APP_ID {
                erp.push(at);
            }
        }
    }
    (all, erp)
}

/// Naive O(n²)-free check of the largest count in any `(t − 24 h, t]` window.
fn busiest_24h(mut ts: Vec<i64>) -> usize {
    ts.sort_unstable();
    let day = 86_400_000;
    let mut lo = 0;
    let mut best = 0;
    for hi in 0..ts.len() {
        while ts[lo] <= ts[hi] - day {
            lo += 1;
        }
        best = best.max(hi + 1 - lo);
    }
    best
}

#[test]
fn erp_sync_is_chatty_and_org_a_stays_near_but_below_its_limit() {
    let (all, erp) = org_a_counted_calls();
    let erp_peak = busiest_24h(erp);
    let org_peak = busiest_24h(all);
    assert!(
        erp_peak * 2 > 15_000,
        "ERP peak {erp_peak} is not above 50 % of 15,000"
    );
    assert!(
        erp_peak * 100 >= 15_000 * 55,
        "ERP peak {erp_peak} is not clearly above 50 %"
    );
    assert!(org_peak < 15_000, "org A peak {org_peak} is over its allocation");
    assert!(
        org_peak * 100 >= 15_000 * 80,
        "org A peak {org_peak} is not near its limit"
    );
}

#[test]
fn bench_csv_has_the_requested_rows_fully_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        sample::write_bench_logs(dir.path(), 10_000, BenchFormat::Csv, BenchLayout::default()).unwrap();
    assert_eq!(files.len(), 3, "spread over three orgs");
    let mut rows = 0;
    let mut bytes = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("ApiTotalUsage_2026-11-02_00D") && name.ends_with(".csv"),
            "{name}"
        );
        let text = fs::read_to_string(file).unwrap();
        bytes += text.len();
        assert!(text.starts_with("\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\""));
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.starts_with("\"ApiTotalUsage\",\"20261102") && line.ends_with('"'),
            "{line}"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for record in reader.records() {
            assert_eq!(record.unwrap().len(), 19);
            rows += 1;
        }
    }
    assert_eq!(rows, 10_000);
    let per_row = bytes / rows;
    assert!((240..=360).contains(&per_row), "{per_row} bytes per row");
}

#[test]
fn bench_parquet_has_the_requested_rows() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        sample::write_bench_logs(dir.path(), 10_000, BenchFormat::Parquet, BenchLayout::default()).unwrap();
    assert_eq!(files.len(), 3);
    let mut rows = 0;
    for file in &files {
        assert!(file.to_string_lossy().ends_with(".parquet"));
        let frame = ParquetReader::new(File::open(file).unwrap()).finish().unwrap();
        rows += frame.height();
        let schema = frame.schema();
        assert!(matches!(
            schema.get("Timestamp"),
            Some(DataType::Datetime(TimeUnit::Milliseconds, Some(_)))
        ));
        assert_eq!(schema.get("IsApiLimitCounted"), Some(&DataType::Boolean));
        assert!(schema.get("EventType").is_none() && schema.get("EVENT_TYPE").is_none());
    }
    assert_eq!(rows, 10_000);
}

#[test]
fn sample_parquet_looks_like_an_event_log_object_export() {
    let path = shared_sample().join(format!(
        "initech-eu/ApiTotalUsageEventLog_2026-11-03_{}.parquet",
        ORG_C.id
    ));
    let frame = ParquetReader::new(File::open(path).unwrap()).finish().unwrap();
    assert!(frame.height() > 1_000);
    let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    for required in [
        "Timestamp",
        "RequestIdentifier",
        "InternalOrganizationId",
        "UserIdentifier",
        "IsApiLimitCounted",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "{required} missing from {names:?}"
        );
    }
    assert!(!names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("EventType") || n == "EVENT_TYPE"));
    let org = frame
        .column("InternalOrganizationId")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert_eq!(org.len(), 18);
    assert!(org.starts_with(ORG_C.id));
    // Users without a connected app (the archiver, the admin, Lightning pages) are real nulls.
    assert!(frame.column("ConnectedAppIdentifier").unwrap().null_count() > 0);
}
