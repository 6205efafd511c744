//! Fuzzing the whole `report` pipeline over byte mutations of valid CSV and Parquet seeds
//! (see `fuzzing/mod.rs` for the target and what it checks). This is the short fixed-seed set
//! CI runs; `examples/fuzz_long.rs` runs the same target for as many cases as asked.
//!
//! Every test here takes [`SERIAL`] for its whole run, so the counting allocator measures one
//! case at a time. When a case aborts the process (an allocation refused at the hard cap), the
//! case that was running is in `$CARGO_TARGET_TMPDIR/fuzz-last-case.txt`.

#![allow(clippy::print_stderr)]

mod fuzzing;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use fuzzing::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Live heap past which allocations fail: far above any sane case, well below the machine.
const HARD_CAP: usize = 3 << 30;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn has_prlimit() -> bool {
    Command::new("prlimit").arg("--version").output().is_ok()
}

/// The fixed seed of the CI set.
const SEED: [u8; 32] = *b"apiusage fuzz: fixed CI seed  01";

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

fn last_case_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-last-case.txt")
}

#[test]
fn fuzzed_inputs_never_panic_and_always_balance_the_row_accounting() {
    let _guard = serial();
    set_hard_cap(HARD_CAP);
    let seeds = seeds();
    assert!(seeds.len() >= 12, "the seed set is built");
    let stats = std::cell::Cell::new((0u32, 0u32, 0u64));
    let result = runner(200).run(&case(), |case| {
        let _ = std::fs::write(last_case_file(), case.describe());
        let dir = tempfile::tempdir().unwrap();
        let report = run_case(&case, dir.path()).map_err(TestCaseError::fail)?;
        let (c, r, n) = stats.get();
        stats.set((c + 1, r + u32::from(report.wrote_report), n + report.rows_read));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (cases, reports, rows) = stats.get();
    assert!(
        reports * 2 > cases,
        "most mutated inputs still give a report ({reports} of {cases})"
    );
    assert!(rows > 0, "rows were read");
}

/// The seeds themselves (no mutation) all give a report that balances, with rows read: the
/// target starts from valid input, so what the mutations find is the mutation's doing. Login
/// rows are context, not calls (a folder of only Login rows is an error), so the Login seed
/// goes with the first ApiTotalUsage one.
#[test]
fn every_seed_unmutated_gives_a_balanced_report_with_rows() {
    let _guard = serial();
    set_hard_cap(HARD_CAP);
    for (k, s) in seeds().iter().enumerate() {
        let mut files = vec![FileCase {
            seed: k,
            mutations: vec![],
        }];
        if s.name.starts_with("Login") {
            files.push(FileCase {
                seed: 0,
                mutations: vec![],
            });
        }
        let case = Case {
            files,
            options: Options {
                allocation: Some("15000"),
                filter: vec![],
                strict: true,
                fail_on: None,
                charts: "none",
                tz: None,
            },
            twice: true,
        };
        let dir = tempfile::tempdir().unwrap();
        let report = run_case(&case, dir.path()).unwrap_or_else(|e| panic!("seed {k} ({}): {e}", s.name));
        assert!(report.wrote_report, "seed {k} ({})", s.name);
        assert!(report.rows_read > 0, "seed {k} ({}) has rows", s.name);
        assert_eq!(report.exit, 0, "seed {k} ({}) is clean under --strict", s.name);
    }
}

/// A subset run through the real binary under an address-space cap (`prlimit --as`): the
/// process must end with a status of 0, 1 or 2 — never a signal (an abort on a refused
/// allocation, a stack overflow) — and everything it prints on stderr is an `apiusage:` line.
#[test]
fn the_binary_under_a_memory_cap_exits_with_a_status_on_fuzzed_inputs() {
    let _guard = serial();
    if !has_prlimit() {
        eprintln!("prlimit is not installed; skipping the capped-process subset");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("apiusage");
    let result = runner(16).run(&case(), |case| {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir_all(&input).unwrap();
        for (name, bytes) in case.materialize() {
            std::fs::write(input.join(name), bytes).unwrap();
        }
        let args = case.args(&input, &dir.path().join("out"));
        let output = Command::new("prlimit")
            .arg(format!("--as={}", 4u64 << 30))
            .arg("--")
            .arg(&bin)
            .args(&args[1..])
            .env_clear()
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        proptest::prop_assert!(
            matches!(code, Some(0..=2)),
            "status {:?}\nstderr:\n{}\ncase:\n{}",
            output.status,
            stderr,
            case.describe()
        );
        for line in stderr.lines().filter(|l| !l.starts_with("  caused by: ")) {
            proptest::prop_assert!(
                line.starts_with("apiusage: "),
                "stray stderr line {:?}\ncase:\n{}",
                line,
                case.describe()
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reproducers of fuzz findings (each failed before its fix).
// ---------------------------------------------------------------------------------------------

/// Runs the binary on `files` under a 2 GiB address-space cap; returns the status code (None
/// for a signal), stderr and summary.json.
fn capped_report(files: &[(&str, &[u8])], extra: &[&str]) -> (Option<i32>, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for (name, bytes) in files {
        std::fs::write(input.join(name), bytes).unwrap();
    }
    let out = dir.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("apiusage");
    let mut cmd = if has_prlimit() {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={}", 2u64 << 30)).arg("--").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let output = cmd
        .arg("report")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .args(["--generated-at", GENERATED_AT, "--charts", "none"])
        .args(extra)
        .env_clear()
        .output()
        .unwrap();
    let summary = std::fs::read(out.join("summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        summary,
    )
}

const ATU_ROWS: &str = "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"COUNTS_AGAINST_API_LIMIT\",\"TIMESTAMP_DERIVED\"\n\
\"ApiTotalUsage\",\"20261103001041.359\",\"r1\",\"00D8a000000DvA1\",\"0058a00000AbCdE\",\"1\",\"2026-11-03T00:10:41.359Z\"\n";

/// Fuzz case 44 of seed 7 (one bit flip: `2026` → `2066` in TIMESTAMP_DERIVED). Before the
/// timestamp range check the row was used and the per-minute series spanned 40 years: with a
/// 1 GiB heap the run aborted in `render::csv::usage` ("memory allocation of 268435456 bytes
/// failed", SIGABRT, no `apiusage: error:`); under a 2 GiB cap a debug build took ~100 s.
#[test]
fn a_timestamp_decades_after_the_run_is_a_bad_row_not_an_abort() {
    let _guard = serial();
    let far = format!(
        "{ATU_ROWS}\"ApiTotalUsage\",\"20261103001042.000\",\"r2\",\"00D8a000000DvA1\",\"0058a00000AbCdE\",\"1\",\"2066-11-03T00:10:42.000Z\"\n"
    );
    let (code, stderr, summary) = capped_report(&[("ApiTotalUsage.csv", far.as_bytes())], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let q = &summary["data_quality"];
    assert_eq!(
        (q["rows_read"].as_u64(), q["rows_used"].as_u64()),
        (Some(2), Some(1)),
        "{q}"
    );
    assert!(check_accounting(&summary).is_ok());
}

/// Fuzz finding (CI seed, before the fix): one token written into the Event Log Object
/// Parquet seed (uncompressed) at 69.6 % of its length corrupts the footer's thrift metadata,
/// and polars-parquet 0.55.2 panics ("thrift bool field",
/// `file_metadata_thrift.rs:351`) inside `ParquetReader::schema()` instead of returning an
/// error: the whole run died. The file is now reported as unreadable and the others count.
#[test]
fn a_parquet_file_whose_metadata_makes_polars_panic_is_unreadable_and_the_run_goes_on() {
    let _guard = serial();
    let mut bytes = seed_bytes("ApiTotalUsageEventLog_u.parquet");
    let at = index(12_840_608_737_311_062_412, bytes.len());
    let token = b"99999999999999999999";
    let end = (at + token.len()).min(bytes.len());
    bytes.splice(at..end, token.iter().copied());
    let (code, stderr, summary) =
        capped_report(&[("bad.parquet", &bytes), ("good.csv", ATU_ROWS.as_bytes())], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        !stderr.contains("panicked"),
        "the caught panic is not printed:\n{stderr}"
    );
    let unreadable = summary["data_quality"]["files"]["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{summary}");
    assert!(unreadable[0]["path"].as_str().unwrap().ends_with("bad.parquet"));
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a readable Parquet file: "),
        "{}",
        unreadable[0]
    );
    assert!(
        stderr.contains("bad.parquet: not a readable Parquet file"),
        "{stderr}"
    );
    assert_eq!(summary["data_quality"]["rows_used"], 1);
    let schema = Command::new(assert_cmd::cargo::cargo_bin("apiusage"))
        .arg("schema")
        .arg({
            let dir = tempfile::tempdir().unwrap().keep();
            let p = dir.join("bad.parquet");
            std::fs::write(&p, &bytes).unwrap();
            p
        })
        .output()
        .unwrap();
    assert_eq!(
        schema.status.code(),
        Some(2),
        "schema reports the file, it does not crash"
    );
}

/// A seed's bytes, by file name.
fn seed_bytes(file: &str) -> Vec<u8> {
    seeds().iter().find(|s| s.file == file).unwrap().bytes.clone()
}

/// Where a proptest `Index` with this raw value points in `len` bytes (its fixed-point rule),
/// so a fuzz case's edit can be written out by hand.
fn index(raw: u64, len: usize) -> usize {
    ((len as u128 * u128::from(raw)) >> 64) as usize
}

/// Fuzz finding (seed 7, case 1141, before the fix): one bit flipped in a data page of the
/// uncompressed Event Log Object Parquet seed makes polars-parquet 0.55.2 panic while decoding
/// the row slice ("assertion failed: values.len() >= 4", `parquet/encoding/mod.rs:17`).
#[test]
fn a_parquet_data_page_that_makes_polars_panic_is_unreadable() {
    let _guard = serial();
    let mut bytes = seed_bytes("ApiTotalUsageEventLog_u.parquet");
    let at = index(8_058_981_087_547_482_407, bytes.len());
    bytes[at] ^= 1 << 4;
    let (code, stderr, summary) =
        capped_report(&[("bad.parquet", &bytes), ("good.csv", ATU_ROWS.as_bytes())], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let unreadable = summary["data_quality"]["files"]["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{summary}");
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a readable Parquet file: "),
        "{}",
        unreadable[0]
    );
    assert!(check_accounting(&summary).is_ok());
}

/// The Parquet side of the far-off timestamp finding: an Event Log Object row whose datetime
/// `Timestamp` is 2^62 ms (a flipped high bit in an uncompressed page does this). Before the
/// range check the row was used and the per-minute series asked for 307 TB (an abort).
#[test]
fn a_parquet_timestamp_of_2_pow_62_ms_is_a_bad_row_not_an_abort() {
    use polars::prelude::*;
    let _guard = serial();
    let ts: Vec<i64> = vec![1_793_664_000_000, 1 << 62];
    let mut df = DataFrame::new(
        2,
        vec![
            Column::new("Timestamp".into(), ts)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
            Column::new("RequestIdentifier".into(), ["r1", "r2"]),
            Column::new(
                "InternalOrganizationId".into(),
                ["00D8a000000DvA1EAK", "00D8a000000DvA1EAK"],
            ),
            Column::new("IsApiLimitCounted".into(), [true, true]),
        ],
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    let (code, stderr, summary) = capped_report(&[("far.parquet", &bytes)], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let q = &summary["data_quality"];
    assert_eq!(
        (q["rows_read"].as_u64(), q["rows_used"].as_u64()),
        (Some(2), Some(1)),
        "{q}"
    );
    assert!(check_accounting(&summary).is_ok());
}

/// Fuzz finding (seed 7, case 3103, before the fix): the token `99999999999999999999` in a
/// STATUS_CODE field overflowed `normalize::num` (src/normalize.rs: "attempt to multiply with
/// overflow", a panic in debug builds; a wrapped value in release ones). A count too large for
/// the type is not a number.
#[test]
fn a_twenty_digit_status_code_or_rows_processed_is_not_a_number_and_not_a_panic() {
    let _guard = serial();
    assert_eq!(apiusage::normalize::parse_count(b"99999999999999999999"), None);
    assert_eq!(apiusage::normalize::parse_count(b"9223372036854775808"), None);
    assert_eq!(
        apiusage::normalize::parse_count(b"9223372036854775807"),
        Some(9_223_372_036_854_775_807)
    );
    let csv = "\"EVENT_TYPE\",\"TIMESTAMP_DERIVED\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"URI\",\"STATUS_CODE\",\"ROWS_PROCESSED\"\n\
               \"RestApi\",\"2026-11-03T00:10:41.359Z\",\"r1\",\"00D8a000000DvA1\",\"/services/data/v60.0/query\",\"99999999999999999999\",\"99999999999999999999\"\n";
    let (code, stderr, summary) = capped_report(&[("RestApi.csv", csv.as_bytes())], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(summary["data_quality"]["rows_used"], 1, "{summary}");
    assert!(check_accounting(&summary).is_ok());
}

/// Fuzz finding (the one-thread rerun check): a damaged Parquet file's error changed from run
/// to run ("Invalid thrift: protocol error" one time, "Data corruption detected" the next),
/// because polars decodes columns in parallel and the first to fail named the error; so
/// summary.json differed between runs on the same input. Here 300 bytes of the sample's
/// Parquet are repeated at 7/62 of its length, and the file is read eight times.
#[test]
fn a_damaged_parquet_file_gives_the_same_error_on_every_run() {
    let _guard = serial();
    let mut bytes = seed_bytes("ApiTotalUsageEventLog_s.parquet");
    let at = bytes.len() * 7 / 62;
    let chunk = bytes[at..(at + 300).min(bytes.len())].to_vec();
    bytes.splice(at..at, chunk);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.parquet");
    std::fs::write(&path, &bytes).unwrap();
    let settings = apiusage::ingest::Settings::at(fixed_now());
    let reasons: std::collections::BTreeSet<String> = (0..8)
        .map(
            |_| match apiusage::ingest::parquet::read(&path, "bad.parquet", &settings) {
                Ok(p) => format!("read {} rows", p.tally.read),
                Err(e) => e.reason,
            },
        )
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert!(
        reasons
            .iter()
            .next()
            .unwrap()
            .starts_with("not a readable Parquet file: "),
        "{reasons:?}"
    );
}

/// Fuzz finding (release campaign `fuzz_long --seed 1`, case 34256, before the fix): one byte
/// of the uncompressed Event Log Object Parquet seed set to 29 turns a data page header's
/// `num_values` (thrift zigzag) from 30 into -15. polars-parquet 0.55.2 casts it to `usize`
/// and reserves ~2^61 bytes for the page's validity bitmap: the allocation fails, which no
/// `catch_unwind` sees, and the whole run ended with "out of memory: an allocation of
/// 2305843009213693952 bytes failed (the input is too large …)" for a 7 KB file. The file is
/// now unreadable with a reason, and the other files count.
#[test]
fn a_parquet_data_page_with_a_negative_value_count_is_unreadable_not_out_of_memory() {
    let _guard = serial();
    let mut bytes = seed_bytes("ApiTotalUsageEventLog_u.parquet");
    let at = index(4_174_585_998_523_139_199, bytes.len());
    bytes[at] = 29;
    let (code, stderr, summary) =
        capped_report(&[("bad.parquet", &bytes), ("good.csv", ATU_ROWS.as_bytes())], &[]);
    assert!(!stderr.contains("out of memory"), "{stderr}");
    assert_eq!(code, Some(2), "{stderr}");
    let unreadable = summary["data_quality"]["files"]["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{summary}");
    assert!(unreadable[0]["path"].as_str().unwrap().ends_with("bad.parquet"));
    let reason = unreadable[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("not a readable Parquet file: ") && reason.contains("-15 values"),
        "{reason}"
    );
    assert_eq!(summary["data_quality"]["rows_used"], 1);
    assert!(check_accounting(&summary).is_ok());
}
