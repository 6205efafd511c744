//! The call store: `ingest --store`, `report --store`, `store info|verify|files|forget|compact`.
//! A report from the store equals the report from the raw files; incremental ingests equal one
//! ingest of everything; a killed ingest leaves the last commit; one writer at a time.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{apiusage, atu_csv, write, Call, ORG};
use serde_json::Value;

/// Runs `apiusage ingest PATHS --store DIR [extra]`: (exit code, stdout, stderr).
fn ingest(store: &Path, paths: &[&Path], extra: &[&str]) -> (i32, String, String) {
    let out = apiusage()
        .arg("ingest")
        .args(paths)
        .arg("--store")
        .arg(store)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `apiusage store SUB DIR [extra]`: (exit code, stdout, stderr).
fn store_cmd(sub: &str, store: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = apiusage()
        .args(["store", sub])
        .arg(store)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `report --store STORE [PATHS]` into `out`: (exit code, stderr, summary).
fn store_report(store: &Path, paths: &[&Path], out: &Path, extra: &[&str]) -> (i32, String, Value) {
    let mut args: Vec<&str> = vec!["--store", store.to_str().unwrap(), "--charts", "none"];
    args.extend_from_slice(extra);
    common::report(paths, out, &args)
}

fn raw_report(paths: &[&Path], out: &Path, extra: &[&str]) -> (i32, String, Value) {
    let mut args = vec!["--charts", "none"];
    args.extend_from_slice(extra);
    common::report(paths, out, &args)
}

fn manifest(store: &Path) -> Value {
    serde_json::from_slice(&fs::read(store.join("manifest.json")).unwrap()).unwrap()
}

fn counted(store: &Path) -> u64 {
    manifest(store)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["counted"].as_u64().unwrap())
        .sum()
}

/// The summary without the per-run input listing (skipped paths), for comparing a report from
/// the store alone with one that also read the inputs.
fn without_inputs(mut s: Value) -> Value {
    let files = &mut s["data_quality"]["files"];
    files["skipped"] = Value::Null;
    files["skipped_reasons"] = Value::Null;
    s
}

/// Seven days of calls, a few per day, with a quiet and a busy integration.
fn week(dir: &Path) -> Vec<PathBuf> {
    (1..=7)
        .map(|d| {
            let calls: Vec<Call> = (0..(3 + d))
                .map(|i| {
                    let c = Call::at(
                        &format!("2026-11-{d:02}T{:02}:{:02}:00.000Z", 1 + i, 5 * i),
                        &format!("r{d}-{i}"),
                    );
                    if i % 3 == 0 {
                        c.app("0H45j000000ZzZz", "Nightly ETL")
                    } else {
                        c
                    }
                })
                .collect();
            write(
                dir,
                &format!("logs/ApiTotalUsage_2026-11-{d:02}.csv"),
                atu_csv(&calls),
            )
        })
        .collect()
}

#[test]
fn a_report_from_the_store_equals_the_report_from_the_raw_files_on_the_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = Path::new("sample_logs");
    let profile = ["--profile", "sample_logs/org_profile.toml"];
    let (code, err, raw) = raw_report(&[logs], &tmp.path().join("raw"), &profile);
    assert_eq!(code, 0, "{err}");
    let store = tmp.path().join("store");
    let (code, err, via) = store_report(&store, &[logs], &tmp.path().join("via"), &profile);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        raw, via,
        "report --store STORE sample_logs differs from report sample_logs"
    );
    // The store alone (no inputs this run) gives the same report but for the skipped inputs.
    let (code, err, alone) = store_report(&store, &[], &tmp.path().join("alone"), &profile);
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_inputs(raw), without_inputs(alone));
    let (code, out, err) = store_cmd("verify", &store, &[]);
    assert_eq!(code, 0, "{out}{err}");
}

/// `report --store STORE` with the debug build's org groups of at most `rows` stored rows.
fn grouped_report(store: &Path, out: &Path, extra: &[&str], rows: &str) -> (i32, String, Value) {
    let mut cmd = apiusage();
    cmd.arg("report")
        .arg("--store")
        .arg(store)
        .arg("--out")
        .arg(out)
        .args(["--generated-at", "2026-11-28T00:00:00Z", "--charts", "none"])
        .args(extra)
        .env("APIUSAGE_STORE_GROUP_ROWS", rows);
    let output = cmd.output().unwrap();
    let summary = fs::read(out.join("summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        summary,
    )
}

#[test]
fn a_report_read_an_org_at_a_time_equals_the_raw_report() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = Path::new("sample_logs");
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[logs], &[]).0, 0);
    let filters: [&[&str]; 5] = [
        &[],
        &["--org", "00D4x000001GlBx"],
        &["--org", "00D8a000000DvA1", "--org", "00D7Q000000InTc"],
        &[
            "--since",
            "2026-11-03T06:00:00Z",
            "--until",
            "2026-11-04T12:00:00Z",
        ],
        &["--org", "00D7Q000000InTc", "--since", "2026-11-04T00:00:00Z"],
    ];
    for (k, filter) in filters.iter().enumerate() {
        let mut extra = vec!["--profile", "sample_logs/org_profile.toml"];
        extra.extend_from_slice(filter);
        let (code, err, raw) = raw_report(&[logs], &tmp.path().join(format!("raw{k}")), &extra);
        assert_eq!(code, 0, "{filter:?}: {err}");
        // One row per group: every org is read, de-duplicated and analysed on its own.
        for rows in ["1", "100000000"] {
            let out = tmp.path().join(format!("g{k}-{rows}"));
            let (code, err, grouped) = grouped_report(&store, &out, &extra, rows);
            assert_eq!(code, 0, "{filter:?} {rows}: {err}");
            assert_eq!(
                without_inputs(raw.clone()),
                without_inputs(grouped),
                "{filter:?}, groups of {rows} rows"
            );
        }
    }
    // Refusals are the raw report's too.
    let refusals: [&[&str]; 2] = [
        &["--org", "00d4x000001glbx"],
        &["--org", "00D4x000001GlBx", "--since", "2026-11-20T00:00:00Z"],
    ];
    for (k, filter) in refusals.iter().enumerate() {
        let (code, raw_err, _) = raw_report(&[logs], &tmp.path().join(format!("rr{k}")), filter);
        assert_eq!(code, 2, "{raw_err}");
        let (code, err, _) = grouped_report(&store, &tmp.path().join(format!("gr{k}")), filter, "1");
        assert_eq!(code, 2, "{err}");
        let message = |e: &str| {
            e.lines()
                .find(|l| l.contains("error"))
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(message(&raw_err), message(&err), "{filter:?}");
        assert!(!message(&err).is_empty(), "{err}");
    }
}

#[test]
fn integrations_shared_by_orgs_are_named_alike_when_the_store_is_read_an_org_at_a_time() {
    // The same connected app in two orgs, named only in the first org's rows; a client that
    // is Salesforce-internal by the first org's rows only. A report over the raw files names
    // both orgs' integrations from every org's rows; so must one that reads an org at a time.
    let tmp = tempfile::tempdir().unwrap();
    let other = "00D5j000000Zz9Q";
    let mut header: Vec<&str> = common::ATU_HEADER.to_vec();
    header.push("API_CLIENT_CATEGORY");
    let rows: Vec<Vec<String>> = (0..8)
        .map(|i| {
            let org = if i % 2 == 0 { ORG } else { other };
            let ts = format!("2026-11-03T10:{i:02}:00.000Z");
            let mut call = Call::at(&ts, &format!("r{i}")).org(org);
            if org == other {
                call = call.app("0H45j000000XyZa", "");
            }
            if i >= 4 {
                call = call.app("", "");
                call.client = "SfdxCli".into();
            }
            let mut fields = call.fields();
            fields.push(if org == ORG && i >= 4 { "SALESFORCE" } else { "" }.to_string());
            fields
        })
        .collect();
    let logs = write(
        tmp.path(),
        "logs/ApiTotalUsage_2026-11-03.csv",
        common::quoted_csv(&header, &rows),
    );
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&logs], &[]).0, 0);
    let (code, err, raw) = raw_report(&[&logs], &tmp.path().join("raw"), &[]);
    assert_eq!(code, 0, "{err}");
    let (code, err, grouped) = grouped_report(&store, &tmp.path().join("grouped"), &[], "1");
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_inputs(raw), without_inputs(grouped.clone()));
    let of_other = grouped["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["org_id"] == other)
        .unwrap();
    let labels: Vec<(&str, &str, bool)> = of_other["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap(),
                i["label"].as_str().unwrap(),
                i["internal"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        labels.contains(&("app:0H45j000000XyZa", "Acme Sync", false)),
        "{labels:?}"
    );
    assert!(
        labels.contains(&("client:SfdxCli", "client SfdxCli (Salesforce internal)", true)),
        "{labels:?}"
    );
}

/// Whether a data file's footer lists its callers (`apiusage.identities`).
fn footer_lists_callers(path: &Path) -> bool {
    use polars::prelude::*;
    let footer = ParquetReader::new(fs::File::open(path).unwrap())
        .get_metadata()
        .unwrap()
        .clone();
    footer
        .key_value_metadata()
        .iter()
        .flatten()
        .any(|kv| kv.key == "apiusage.identities")
}

#[test]
fn an_org_day_of_more_callers_than_a_footer_lists_is_read_from_its_columns() {
    // 10,001 distinct users in one org-day: too many for the footer, whose list is left out;
    // the app is named only in the other org's rows. Read an org at a time, the census takes
    // one org's callers from its columns and the other's from its footer, and names the app
    // in both orgs as the raw report does.
    let tmp = tempfile::tempdir().unwrap();
    let other = "00D5j000000Zz9Q";
    let mut calls: Vec<Call> = (0..10_001)
        .map(|i| {
            let mut c = Call::at(
                &format!(
                    "2026-11-03T{:02}:{:02}:{:02}.000Z",
                    i / 3600 % 24,
                    i / 60 % 60,
                    i % 60
                ),
                &format!("r{i}"),
            )
            .app("0H45j000000XyZa", "");
            c.user = format!("005{i:012}");
            c
        })
        .collect();
    calls.extend(
        (0..3).map(|i| Call::at(&format!("2026-11-03T12:00:0{i}.000Z"), &format!("o{i}")).org(other)),
    );
    let logs = write(tmp.path(), "logs/ApiTotalUsage_2026-11-03.csv", atu_csv(&calls));
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&logs], &[]).0, 0);
    let lists: Vec<(String, bool)> = manifest(&store)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = store.join(f["path"].as_str().unwrap());
            (
                f["org_id"].as_str().unwrap().to_string(),
                footer_lists_callers(&path),
            )
        })
        .collect();
    assert_eq!(lists, vec![(ORG.to_string(), false), (other.to_string(), true)]);
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
    let (code, err, raw) = raw_report(&[&logs], &tmp.path().join("raw"), &[]);
    assert_eq!(code, 0, "{err}");
    let (code, err, grouped) = grouped_report(&store, &tmp.path().join("grouped"), &[], "1");
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_inputs(raw), without_inputs(grouped.clone()));
    let of_org = grouped["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["org_id"] == ORG)
        .unwrap();
    assert_eq!(of_org["integrations"][0]["label"], "Acme Sync", "{of_org}");
}

#[test]
fn a_report_from_the_store_equals_the_raw_report_on_generated_data() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("bench");
    for format in ["csv", "parquet"] {
        let dir = logs.join(format);
        let status = apiusage()
            .args([
                "sample",
                "--bench-rows",
                "3000",
                "--bench-format",
                format,
                "--out",
            ])
            .arg(&dir)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
    }
    // The same calls as CSV and as Parquet: each is a duplicate of the other.
    let (code, err, raw) = raw_report(&[&logs], &tmp.path().join("raw"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        common::dq(&raw).2,
        3000,
        "the Parquet copy should be all duplicates"
    );
    let store = tmp.path().join("store");
    let (code, err, via) = store_report(&store, &[&logs], &tmp.path().join("via"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(raw, via);
    // An org at a time: the recommendations of every org ranked together all the same.
    let (code, err, grouped) = grouped_report(&store, &tmp.path().join("grouped"), &[], "1");
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_inputs(raw), without_inputs(grouped));
}

#[test]
fn seven_days_in_two_ingests_equal_seven_days_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let all = tmp.path().join("all");
    let steps = tmp.path().join("steps");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    assert_eq!(ingest(&all, &refs, &[]).0, 0);
    assert_eq!(ingest(&steps, &refs[..6], &[]).0, 0);
    assert_eq!(ingest(&steps, &refs[6..], &[]).0, 0);
    let (_, _, a) = store_report(&all, &[], &tmp.path().join("ra"), &[]);
    let (_, _, b) = store_report(&steps, &[], &tmp.path().join("rb"), &[]);
    assert_eq!(a["orgs"][0]["counted_calls"], 49);
    assert_eq!(a, b);
    let (_, _, raw) = raw_report(&refs, &tmp.path().join("raw"), &[]);
    assert_eq!(without_inputs(raw), without_inputs(a));
    assert_eq!(counted(&all), 49);
    assert_eq!(counted(&steps), 49);
}

/// `ingest` with the debug build's batch size set to `rows`, on one thread (`None`: the
/// default size and threads).
fn ingest_in_batches(store: &Path, paths: &[&Path], rows: Option<&str>) -> (i32, String, String) {
    let mut cmd = apiusage();
    cmd.arg("ingest").args(paths).arg("--store").arg(store);
    if let Some(rows) = rows {
        // On one thread a batch reads one file at a time.
        cmd.env("APIUSAGE_STORE_BATCH_ROWS", rows)
            .env("RAYON_NUM_THREADS", "1");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A day's calls in a daily file, and again in 24 hourly files (copies of the daily rows),
/// in folders that sort the daily file first.
fn day_and_hours(dir: &Path, day: &str, tag: &str) -> Vec<PathBuf> {
    let calls: Vec<Call> = (0..48)
        .map(|i| {
            let c = Call::at(
                &format!("{day}T{:02}:{:02}:00.000Z", i / 2, 7 * (i % 2) + 3),
                &format!("{tag}{i}"),
            );
            if i % 4 == 0 {
                c.app("0H45j000000ZzZz", "Nightly ETL")
            } else {
                c
            }
        })
        .collect();
    let mut files = vec![write(dir, &format!("a/ApiTotalUsage_{day}.csv"), atu_csv(&calls))];
    for h in 0..24 {
        files.push(write(
            dir,
            &format!("b/hourly/ApiTotalUsage_{day}T{h:02}.csv"),
            atu_csv(&calls[2 * h..2 * h + 2]),
        ));
    }
    files
}

/// The snapshot's data: per partition, its rows, counted rows, per-source accounting and
/// content hash (not file names, which number the writes).
fn snapshot_data(store: &Path) -> Vec<Value> {
    manifest(store)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!([
                f["org_id"],
                f["date"],
                f["rows"],
                f["counted"],
                f["sources"],
                f["blake3"]
            ])
        })
        .collect()
}

#[test]
fn an_ingest_in_many_small_batches_equals_one_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = day_and_hours(tmp.path(), "2026-11-03", "x");
    files.extend(day_and_hours(tmp.path(), "2026-11-04", "y"));
    files.extend(week(tmp.path()));
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (one, many) = (tmp.path().join("one"), tmp.path().join("many"));
    let (code, _, err) = ingest_in_batches(&one, &refs, None);
    assert_eq!(code, 0, "{err}");
    // A batch of one row: every group of files is a batch, and the org-days of the hourly
    // files are rewritten by one batch after another.
    let (code, out, err) = ingest_in_batches(&many, &refs, Some("1"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("7 data file(s) written"), "{out}");
    assert_eq!(snapshot_data(&one), snapshot_data(&many));
    assert_eq!(manifest(&one)["sources"], manifest(&many)["sources"]);
    assert_eq!(counted(&many), 49 + 96);
    // The files an earlier batch wrote and a later one replaced are gone.
    let (code, o, e) = store_cmd("verify", &many, &[]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(!o.contains("not in the snapshot"), "{o}");
    let parquet = walk(&many.join("calls"));
    assert_eq!(parquet.len(), 7, "{parquet:?}");
    let (_, _, a) = store_report(&one, &[], &tmp.path().join("ra"), &[]);
    let (_, _, b) = store_report(&many, &[], &tmp.path().join("rb"), &[]);
    assert_eq!(a, b);
    let (_, _, raw) = raw_report(&refs, &tmp.path().join("raw"), &[]);
    assert_eq!(without_inputs(raw), without_inputs(b));
}

#[test]
fn a_changed_file_in_a_later_batch_replaces_rows_an_earlier_batch_rewrote() {
    let tmp = tempfile::tempdir().unwrap();
    let files = day_and_hours(tmp.path(), "2026-11-03", "x");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (steps, once) = (tmp.path().join("steps"), tmp.path().join("once"));
    assert_eq!(ingest_in_batches(&steps, &refs[..1], Some("1")).0, 0);
    // A new file sorts before the daily one: the first batch rewrites the org-day with the
    // daily file's old rows still in it, and the next batch must take them out of that file.
    let early: Vec<Call> = (0..3)
        .map(|i| Call::at(&format!("2026-11-03T23:{i:02}:30.000Z"), &format!("e{i}")))
        .collect();
    let early = write(tmp.path(), "0/ApiTotalUsage_2026-11-03.csv", atu_csv(&early));
    let mut refs = refs;
    refs.insert(0, &early);
    // The daily file loses its first ten calls; the hourly files come in the same ingest and
    // sort after it, so the org-day is rewritten again by later batches.
    let calls: Vec<Call> = (10..48)
        .map(|i| {
            Call::at(
                &format!("2026-11-03T{:02}:{:02}:00.000Z", i / 2, 7 * (i % 2) + 3),
                &format!("x{i}"),
            )
        })
        .collect();
    let changed = tmp.path().join("a/ApiTotalUsage_2026-11-03.csv");
    fs::write(&changed, atu_csv(&calls)).unwrap();
    let (code, out, err) = ingest_in_batches(&steps, &refs, Some("1"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 data file(s) written"), "{out}");
    assert_eq!(ingest_in_batches(&once, &refs, None).0, 0);
    assert_eq!(snapshot_data(&steps), snapshot_data(&once));
    let (_, _, a) = store_report(&steps, &[], &tmp.path().join("ra"), &[]);
    let (_, _, b) = store_report(&once, &[], &tmp.path().join("rb"), &[]);
    assert_eq!(a, b);
    // The first snapshot's file stays until the next writer (a reader may still be on it);
    // of this snapshot's writes, only the last one is left.
    let mine: Vec<PathBuf> = walk(&steps.join("calls"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("part-00000002-"))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn an_hourly_file_after_its_daily_file_adds_no_call() {
    let tmp = tempfile::tempdir().unwrap();
    let daily: Vec<Call> = (0..5)
        .map(|i| Call::at(&format!("2026-11-03T10:{i:02}:00.000Z"), &format!("r{i}")))
        .collect();
    let d = write(tmp.path(), "ApiTotalUsage_2026-11-03.csv", atu_csv(&daily));
    let h = write(
        tmp.path(),
        "hourly/ApiTotalUsage_2026-11-03T10.csv",
        atu_csv(&daily[1..3]),
    );
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&d], &[]).0, 0);
    assert_eq!(counted(&store), 5);
    let (code, _, err) = ingest(&store, &[&h], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counted(&store), 5);
    let m = manifest(&store);
    let hourly = m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().contains("hourly"))
        .unwrap();
    assert_eq!(hourly["accounting"]["duplicates"], 2);
    assert_eq!(hourly["accounting"]["used"], 0);
    let (_, _, s) = store_report(&store, &[], &tmp.path().join("r"), &[]);
    assert_eq!(s["orgs"][0]["counted_calls"], 5);
    assert_eq!(common::dq(&s), (7, 5, 2, 0, 0));
}

#[test]
fn ingesting_the_daily_file_after_its_hourly_file_keeps_the_first_by_path_like_a_raw_report() {
    let tmp = tempfile::tempdir().unwrap();
    let daily: Vec<Call> = (0..4)
        .map(|i| Call::at(&format!("2026-11-03T10:{i:02}:00.000Z"), &format!("r{i}")))
        .collect();
    let d = write(tmp.path(), "a/ApiTotalUsage_2026-11-03.csv", atu_csv(&daily));
    let h = write(
        tmp.path(),
        "b/ApiTotalUsage_2026-11-03T10.csv",
        atu_csv(&daily[..2]),
    );
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&h], &[]).0, 0);
    assert_eq!(ingest(&store, &[&d], &[]).0, 0);
    let (_, _, s) = store_report(&store, &[], &tmp.path().join("r"), &[]);
    let (_, _, raw) = raw_report(&[&d, &h], &tmp.path().join("raw"), &[]);
    assert_eq!(without_inputs(raw), without_inputs(s.clone()));
    assert_eq!(common::dq(&s), (6, 4, 2, 0, 0));
}

#[test]
fn a_changed_file_replaces_its_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let first: Vec<Call> = (0..3)
        .map(|i| Call::at(&format!("2026-11-03T10:{i:02}:00.000Z"), &format!("r{i}")))
        .collect();
    let f = write(tmp.path(), "ApiTotalUsage.csv", atu_csv(&first));
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&f], &[]).0, 0);
    assert_eq!(counted(&store), 3);
    let second: Vec<Call> = (0..2)
        .map(|i| Call::at(&format!("2026-11-04T11:{i:02}:00.000Z"), &format!("s{i}")))
        .collect();
    write(tmp.path(), "ApiTotalUsage.csv", atu_csv(&second));
    let (code, out, err) = ingest(&store, &[&f], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 changed file(s) replaced their rows"), "{out}");
    assert_eq!(counted(&store), 2);
    let m = manifest(&store);
    assert_eq!(m["sources"].as_array().unwrap().len(), 1);
    let dates: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-04"]);
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
}

/// Every file under `dir` with its size and modification time.
fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else if e.file_name() != "lock" {
                out.push((e.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_unchanged_re_run_writes_nothing_and_a_moved_file_is_the_same_source() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let logs = tmp.path().join("logs");
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&logs], &[]).0, 0);
    let before = listing(&store);
    let (code, out, _) = ingest(&store, &[&logs], &[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("nothing new") && out.contains("7 unchanged"),
        "{out}"
    );
    assert_eq!(listing(&store), before);
    // A moved file is not read again; the manifest follows it.
    let moved = tmp.path().join("archive.csv");
    fs::rename(&files[0], &moved).unwrap();
    let (code, _, err) = ingest(&store, &[&logs, &moved], &[]);
    assert_eq!(code, 0);
    assert!(err.contains("moved"), "{err}");
    assert_eq!(counted(&store), 49);
    let m = manifest(&store);
    assert_eq!(m["sources"].as_array().unwrap().len(), 7);
    assert!(m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["path"] == moved.display().to_string()));
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_is_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "in/ApiTotalUsage.csv",
        atu_csv(&[Call::at("2026-11-03T10:00:00.000Z", "r1")]),
    );
    write(tmp.path(), "in/broken.csv.gz", b"\x1f\x8b\x08\x00not gzip at all");
    let store = tmp.path().join("store");
    let (code, _, err) = ingest(&store, &[&tmp.path().join("in")], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.csv.gz") && err.contains("the rest was committed"),
        "{err}"
    );
    assert_eq!(counted(&store), 1);
    assert!(good.exists());
    // A report from the store with the same inputs names the unreadable file and exits 2.
    let (code, _, s) = store_report(&store, &[&tmp.path().join("in")], &tmp.path().join("r"), &[]);
    assert_eq!(code, 2);
    assert_eq!(
        s["data_quality"]["files"]["unreadable"].as_array().unwrap().len(),
        1
    );
    assert_eq!(s["orgs"][0]["counted_calls"], 1);
}

#[test]
fn forget_drops_old_days_and_re_ingesting_does_not_bring_them_back() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&tmp.path().join("logs")], &[]).0, 0);
    let (code, out, err) = store_cmd("forget", &store, &["--before", "2026-11-04"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("forgot 3 partition(s)"), "{out}");
    // Days 1–3 had 4 + 5 + 6 calls.
    assert_eq!(counted(&store), 49 - 15);
    // A copy of day 1 with one more call, under a new name: its rows before the horizon stay out.
    let mut calls: Vec<Call> = (0..4)
        .map(|i| {
            Call::at(
                &format!("2026-11-01T{:02}:{:02}:00.000Z", 1 + i, 5 * i),
                &format!("r1-{i}"),
            )
        })
        .collect();
    calls.push(Call::at("2026-11-05T23:00:00.000Z", "late"));
    let again = write(tmp.path(), "again/ApiTotalUsage_2026-11-01.csv", atu_csv(&calls));
    assert_eq!(ingest(&store, &[&again], &[]).0, 0);
    assert_eq!(counted(&store), 49 - 15 + 1);
    let m = manifest(&store);
    let src = m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == again.display().to_string())
        .unwrap();
    assert_eq!(
        src["accounting"]["ignored"]["before the store's retention horizon (store forget)"],
        4
    );
    let (_, _, s) = store_report(&store, &[], &tmp.path().join("r"), &[]);
    assert_eq!(s["orgs"][0]["first_call"], "2026-11-04T01:00:00.000Z");
    let (r, u, d, i, b) = common::dq(&s);
    assert_eq!(r, u + d + i + b);
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
    drop(files);
}

#[test]
fn store_files_lists_the_snapshot_and_verify_catches_a_damaged_file() {
    let tmp = tempfile::tempdir().unwrap();
    week(tmp.path());
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&tmp.path().join("logs")], &[]).0, 0);
    let (code, out, _) = store_cmd("files", &store, &[]);
    assert_eq!(code, 0);
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed.len(), 7);
    assert!(
        listed[0].ends_with(".parquet")
            && listed[0].contains(&format!("calls/org_id={ORG}/date=2026-11-01/"))
    );
    let (code, out, _) = store_cmd("info", &store, &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("1 org(s), 7 data file(s), 49 rows (49 counted), 7 sources"),
        "{out}"
    );
    fs::write(listed[3], b"PAR1 damaged").unwrap();
    let (code, _, err) = store_cmd("verify", &store, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("date=2026-11-04"), "{err}");
}

#[test]
fn a_folder_that_is_not_a_store_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "logs/ApiTotalUsage.csv",
        atu_csv(&[Call::at("2026-11-03T10:00:00.000Z", "r1")]),
    );
    let (code, _, err) = ingest(&tmp.path().join("logs"), &[&f], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not an apiusage call store and not empty"), "{err}");
    let (code, _, err) = store_cmd("info", &tmp.path().join("logs"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not an apiusage call store"), "{err}");
}

#[test]
fn the_latest_limits_of_a_fetch_folder_is_the_allocation_source() {
    let tmp = tempfile::tempdir().unwrap();
    let fetch = tmp.path().join("fetch");
    write(
        &fetch.join(ORG),
        "ApiTotalUsage.csv",
        atu_csv(&[Call::at("2026-11-03T10:00:00.000Z", "r1")]),
    );
    fs::copy(
        "tests/fixtures/allocation/limits_rest.json",
        fetch.join(ORG).join("limits.json"),
    )
    .unwrap();
    let store = tmp.path().join("store");
    let (code, out, err) = ingest(&store, &[&fetch], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 /limits response(s) kept"), "{out}");
    let (code, err, s) = store_report(&store, &[], &tmp.path().join("r"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        s["orgs"][0]["allocation"]["source"], "limits",
        "{}",
        s["orgs"][0]["allocation"]
    );
    // An explicit allocation still wins.
    let (_, _, s) = store_report(&store, &[], &tmp.path().join("r2"), &["--allocation", "777"]);
    assert_eq!(s["orgs"][0]["allocation"]["calls"], 777);
}

/// The report of a store, or Null when it has no snapshot yet.
fn snapshot_report(store: &Path, out: &Path) -> Value {
    if !store.join("manifest.json").exists() {
        return Value::Null;
    }
    let (code, err, s) = store_report(store, &[], out, &[]);
    assert_eq!(code, 0, "{err}");
    s
}

#[test]
fn a_killed_ingest_leaves_the_last_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let steps = [
        "locked",
        "data-file-written:1",
        "data-file-written:3",
        "before-commit",
        "manifest-written",
        "committed",
    ];
    // In batches of one row on one thread, the week is read one file at a time, and the
    // later kills land after earlier batches wrote their files.
    let batched = [("APIUSAGE_STORE_BATCH_ROWS", "1"), ("RAYON_NUM_THREADS", "1")];
    let runs = steps
        .iter()
        .map(|s| (*s, &[][..]))
        .chain(["data-file-written:2", "data-file-written:3"].map(|s| (s, &batched[..])));
    for (k, (step, env)) in runs.enumerate() {
        for first in [false, true] {
            let store = tmp.path().join(format!("store-{k}-{first}"));
            if !first {
                assert_eq!(ingest(&store, &refs[..4], &[]).0, 0);
            }
            let out = tmp.path().join("out");
            let before = snapshot_report(&store, &out);
            let status = apiusage()
                .arg("ingest")
                .args(&refs)
                .arg("--store")
                .arg(&store)
                .env("APIUSAGE_STORE_CRASH", step)
                .envs(env.iter().copied())
                .output()
                .unwrap()
                .status;
            assert!(!status.success(), "{step}: the ingest should have been killed");
            if store.join("manifest.json").exists() {
                let (code, o, e) = store_cmd("verify", &store, &[]);
                assert_eq!(code, 0, "{step}: {o}{e}");
            }
            let after = snapshot_report(&store, &out);
            assert_eq!(ingest(&store, &refs, &[]).0, 0, "{step}: the clean redo");
            let redone = snapshot_report(&store, &out);
            assert!(
                after == before || after == redone,
                "{step}: neither the old nor the new snapshot"
            );
            if step != "committed" {
                assert_eq!(
                    after, before,
                    "{step}: a kill before the rename keeps the old snapshot"
                );
            }
            assert_eq!(redone["orgs"][0]["counted_calls"], 49, "{step}");
            let (code, o, e) = store_cmd("verify", &store, &[]);
            assert_eq!(code, 0, "{step}: {o}{e}");
            assert!(
                !o.contains("not in the snapshot"),
                "{step}: the redo cleans up: {o}"
            );
        }
    }
}

/// Waits until a paused writer holds the lock (its pid is in the lock file).
fn wait_for_lock(store: &Path, pid: u32) {
    let lock = store.join(".apiusage/lock");
    while fs::read_to_string(&lock).map_or(true, |s| s.trim() != format!("pid {pid}")) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_second_writer_fails_clearly_or_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let store = tmp.path().join("store");
    let mut paused = std::process::Command::new(assert_cmd::cargo::cargo_bin("apiusage"))
        .arg("ingest")
        .args(&files[..3])
        .arg("--store")
        .arg(&store)
        .env("APIUSAGE_STORE_CRASH", "pause@locked")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_lock(&store, paused.id());
    let (code, _, err) = ingest(&store, &[&files[3]], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("another apiusage process (pid {})", paused.id())) && err.contains("--wait"),
        "{err}"
    );
    // A waiting writer goes ahead once the first one is gone.
    let waiting = std::process::Command::new(assert_cmd::cargo::cargo_bin("apiusage"))
        .arg("ingest")
        .args(&files[3..])
        .arg("--store")
        .arg(&store)
        .arg("--wait")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    paused.kill().unwrap();
    paused.wait().unwrap();
    let done = waiting.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
    assert_eq!(counted(&store), 7 + 8 + 9 + 10);
}

/// Waits until a paused report holds the readers' lock (taking it exclusively would block).
fn wait_for_reader(store: &Path) {
    let path = store.join(".apiusage/readers");
    loop {
        if let Ok(file) = fs::File::open(&path) {
            match file.try_lock() {
                Err(fs::TryLockError::WouldBlock) => return,
                Ok(()) => file.unlock().unwrap(),
                Err(fs::TryLockError::Error(_)) => {}
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The data files of the current snapshot.
fn data_files(store: &Path) -> Vec<PathBuf> {
    manifest(store)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| store.join(f["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn writers_leave_the_files_of_a_snapshot_a_report_is_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let files = week(tmp.path());
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&files[0]], &[]).0, 0);
    let read_by_report = data_files(&store);
    let mut report = std::process::Command::new(assert_cmd::cargo::cargo_bin("apiusage"))
        .args(["report", "--charts", "none", "--store"])
        .arg(&store)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .env("APIUSAGE_STORE_CRASH", "pause@snapshot-read")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_reader(&store);
    // Day 1 changes: its partition is rewritten and the report's file leaves the snapshot.
    // The writer after that one removes older snapshots' files, but not while a report reads.
    let changed: Vec<Call> = (0..5)
        .map(|i| Call::at(&format!("2026-11-01T12:{i:02}:00.000Z"), &format!("c{i}")))
        .collect();
    fs::write(&files[0], atu_csv(&changed)).unwrap();
    assert_eq!(ingest(&store, &[&files[0]], &[]).0, 0);
    assert_eq!(ingest(&store, &[&files[1]], &[]).0, 0);
    for f in &read_by_report {
        assert!(f.is_file(), "{} was removed under a reading report", f.display());
    }
    let (code, out, _) = store_cmd("verify", &store, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not in the snapshot"), "{out}");
    report.kill().unwrap();
    report.wait().unwrap();
    // With no report reading, the next writer removes them.
    assert_eq!(ingest(&store, &[&files[2]], &[]).0, 0);
    for f in &read_by_report {
        assert!(!f.exists(), "{} outlived its snapshot", f.display());
    }
    let (code, out, _) = store_cmd("verify", &store, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("not in the snapshot"), "{out}");
    assert_eq!(counted(&store), 5 + 5 + 6);
}

#[test]
fn compact_merges_a_partition_written_in_several_files() {
    let tmp = tempfile::tempdir().unwrap();
    let a: Vec<Call> = (0..3)
        .map(|i| Call::at(&format!("2026-11-03T10:{i:02}:00.000Z"), &format!("a{i}")))
        .collect();
    let b: Vec<Call> = (0..2)
        .map(|i| Call::at(&format!("2026-11-03T11:{i:02}:00.000Z"), &format!("b{i}")))
        .collect();
    let fa = write(tmp.path(), "a.csv", atu_csv(&a));
    let fb = write(tmp.path(), "b.csv", atu_csv(&b));
    let store = tmp.path().join("store");
    let other = tmp.path().join("other");
    assert_eq!(ingest(&store, &[&fa], &[]).0, 0);
    assert_eq!(ingest(&other, &[&fb], &[]).0, 0);
    let (code, out, _) = store_cmd("compact", &store, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to compact"), "{out}");
    // Graft the other store's file into the same partition, as a writer that appends would
    // leave it: two files in one org-day.
    let mut m = manifest(&store);
    let o = manifest(&other);
    let mut file = o["files"][0].clone();
    let rel = file["path"].as_str().unwrap().replace("part-", "part-grafted-");
    fs::copy(other.join(file["path"].as_str().unwrap()), store.join(&rel)).unwrap();
    file["path"] = Value::String(rel);
    m["files"].as_array_mut().unwrap().push(file);
    m["sources"].as_array_mut().unwrap().push(o["sources"][0].clone());
    fs::write(
        store.join("manifest.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
    let (code, out, err) = store_cmd("compact", &store, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("compacted 1 partition(s)"), "{out}");
    let m = manifest(&store);
    assert_eq!(m["files"].as_array().unwrap().len(), 1);
    assert_eq!(counted(&store), 5);
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
    let (_, _, s) = store_report(&store, &[], &tmp.path().join("r"), &[]);
    let (_, _, raw) = raw_report(&[&fa, &fb], &tmp.path().join("raw"), &[]);
    assert_eq!(without_inputs(s), without_inputs(raw));
}

#[test]
fn a_file_rewritten_with_another_sources_content_loses_its_old_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let x: Vec<Call> = (0..3)
        .map(|i| Call::at(&format!("2026-11-03T10:{i:02}:00.000Z"), &format!("x{i}")))
        .collect();
    let y: Vec<Call> = (0..2)
        .map(|i| Call::at(&format!("2026-11-04T10:{i:02}:00.000Z"), &format!("y{i}")))
        .collect();
    let a = write(tmp.path(), "a.csv", atu_csv(&x));
    let b = write(tmp.path(), "b.csv", atu_csv(&y));
    let store = tmp.path().join("store");
    assert_eq!(ingest(&store, &[&a, &b], &[]).0, 0);
    assert_eq!(counted(&store), 5);
    write(tmp.path(), "a.csv", atu_csv(&y));
    let (code, _, err) = ingest(&store, &[&a, &b], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("same content"), "{err}");
    assert_eq!(counted(&store), 2);
    assert_eq!(manifest(&store)["sources"].as_array().unwrap().len(), 1);
    assert_eq!(store_cmd("verify", &store, &[]).0, 0);
}
