//! `report --aggregates OUT`: the report rendered from the Spark job's output layout
//! (engines/spark/README.md) without Spark.
//!
//! The round trip builds an OUT folder the way the job lays it out — `aggregates.json` with the
//! numbers of a `report` over `sample_logs/`, the per-minute series as hive-partitioned Parquet
//! written with polars — and checks that `report --aggregates` gives that report back: the same
//! `summary.json` apart from what needs the calls (recommendations, row-level lists), and
//! byte-identical CSVs. The real job's output is compared in engines/spark/test_spark.py (CI).
//! The other tests are the refusals: not a finished output, another layout, the job's filter.

mod common;

use std::fs;
use std::path::Path;

use common::apiusage;
use polars::prelude::*;
use serde_json::{json, Value};

const GENERATED_AT: &str = "2026-11-28T00:00:00Z";

/// A report over `sample_logs/` (the shared helper, without charts), as parsed summary.json.
fn sample_report(out: &Path) -> Value {
    let status = common::sample_report(out, &["--quiet"]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

fn report_from(out: &Path, agg: &Path) -> std::process::Output {
    apiusage()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "--profile", "sample_logs/org_profile.toml"])
        .args([
            "--charts",
            "none",
            "--quiet",
            "--generated-at",
            GENERATED_AT,
            "--aggregates",
        ])
        .arg(agg)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// The integrations that get a series column: the first eight with counted calls, in
/// summary.json's order (as the job ranks them).
fn ranks(org: &Value) -> Vec<(String, usize)> {
    org["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["counted_calls"].as_u64().unwrap() > 0)
        .take(8)
        .enumerate()
        .map(|(n, i)| (i["key"].as_str().unwrap().to_string(), n + 1))
        .collect()
}

fn ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

/// `usage_<org>.csv` as the job's two Parquet folders.
fn write_minutes(agg: &Path, report: &Path, org: &Value) {
    let org_id = org["org_id"].as_str().unwrap();
    let text = fs::read_to_string(report.join(format!("usage_{org_id}.csv"))).unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let col = |n: usize| -> Vec<i64> { rows.iter().map(|r| r[n].parse().unwrap()).collect() };
    let minutes: Vec<i64> = rows.iter().map(|r| ms(&r[0])).collect();
    let minute = || {
        Series::new("minute".into(), &minutes)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap()
    };
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            minute().into(),
            Series::new("calls".into(), col(1)).into(),
            Series::new("rolling_24h_end".into(), col(2)).into(),
            Series::new("rolling_24h_max".into(), col(3)).into(),
        ],
    )
    .unwrap();
    write_parquet(
        &agg.join(format!("minutes/org_id={org_id}/part-00000.parquet")),
        &mut df,
    );
    // One file per integration, as Spark may split a partition over several files.
    for (key, rank) in ranks(org) {
        let n = rows.len();
        let mut df = DataFrame::new(
            n,
            vec![
                Series::new("key".into(), vec![key.as_str(); n]).into(),
                Series::new("rank".into(), vec![rank as i32; n]).into(),
                minute().into(),
                Series::new("rolling_24h_end".into(), col(3 + rank)).into(),
            ],
        )
        .unwrap();
        let path = agg.join(format!(
            "minutes_integrations/org_id={org_id}/part-{rank:05}.parquet"
        ));
        write_parquet(&path, &mut df);
    }
}

fn write_parquet(path: &Path, df: &mut DataFrame) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(fs::File::create(path).unwrap())
        .finish(df)
        .unwrap();
}

fn peak(p: &Value) -> Value {
    if p.is_null() {
        return Value::Null;
    }
    json!({"calls": p["calls"], "at": p["at"], "window_start": p["window_start"]})
}

fn day(d: &Value) -> Value {
    json!({"date": d["date"], "calls": d["calls"], "peak": d["peak"], "peak_at": d["peak_at"], "partial": d["partial"]})
}

/// `aggregates.json` with the numbers of `summary`, in the job's layout.
fn document(summary: &Value) -> Value {
    let orgs: Vec<Value> = summary["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let ranked = ranks(o);
            let integrations: Vec<Value> = o["integrations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let rank = ranked.iter().find(|(k, _)| k == i["key"].as_str().unwrap());
                    json!({
                        "key": i["key"], "label": i["label"], "kind": i["kind"], "internal": i["internal"],
                        "counted_calls": i["counted_calls"], "not_counted_calls": i["not_counted_calls"],
                        "peak": peak(&i["peak"]), "calls_in_org_peak_window": i["calls_in_org_peak_window"],
                        "series_rank": rank.map(|(_, r)| *r),
                    })
                })
                .collect();
            let mut org = o.clone();
            let org = org.as_object_mut().unwrap();
            org.remove("name");
            org.remove("allocation");
            org.insert("peak".into(), peak(&o["peak"]));
            org.insert("integrations".into(), Value::Array(integrations));
            Value::Object(org.clone())
        })
        .collect();
    let capacity: Vec<Value> = summary["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let days = |d: &Value| Value::Array(d.as_array().unwrap().iter().map(day).collect());
            let integrations: Vec<Value> = c["integrations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| json!({"key": i["key"], "label": i["label"], "daily": days(&i["daily"])}))
                .collect();
            json!({"org_id": c["org_id"], "days_with_calls": c["days_with_calls"], "daily": days(&c["daily"]), "integrations": integrations})
        })
        .collect();
    let sources: Vec<Value> = summary["data_quality"]["files"]["per_file"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!({"path": f["path"], "format": f["format"], "rows": f["rows"]}))
        .collect();
    json!({
        "schema_version": 1, "kind": "apiusage-spark-aggregates", "engine": "spark",
        "store": {"path": "store", "snapshot": 1},
        "filter": {"since": null, "until": null, "orgs": []},
        "integrations_file": null, "split_days": null,
        "overview": {},
        "orgs": orgs, "capacity": capacity,
        "minutes": {"org": "minutes", "integrations": "minutes_integrations"},
        "data_quality": {"sources": sources, "filtered": {}},
        "limits": [],
    })
}

/// summary.json without what only a report from the calls has.
fn comparable(summary: &Value) -> Value {
    let mut s = summary.clone();
    for k in ["recommendations", "what_if", "recommendations_omitted"] {
        s.as_object_mut().unwrap().remove(k);
    }
    let row_level = ["top_resources", "top_entities", "methods", "api_families"];
    for o in s["orgs"].as_array_mut().unwrap() {
        for i in o["integrations"].as_array_mut().unwrap() {
            row_level
                .iter()
                .for_each(|k| drop(i.as_object_mut().unwrap().remove(*k)));
        }
    }
    for f in s["findings"].as_array_mut().unwrap() {
        if let Some(e) = f["evidence"].as_object_mut() {
            row_level.iter().for_each(|k| drop(e.remove(*k)));
        }
    }
    for c in s["capacity"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("what_if");
    }
    s
}

/// Every path where `got` differs from `want`.
fn json_diff(at: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keys: std::collections::BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            for k in keys {
                let (a, b) = (w.get(k).unwrap_or(&Value::Null), g.get(k).unwrap_or(&Value::Null));
                json_diff(&format!("{at}.{k}"), a, b, out);
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (n, (a, b)) in w.iter().zip(g).enumerate() {
                json_diff(&format!("{at}[{n}]"), a, b, out);
            }
        }
        _ if want != got => out.push(format!("{at}: from calls {want}, from aggregates {got}")),
        _ => {}
    }
}

#[test]
fn the_report_from_aggregates_equals_the_report_from_calls() {
    let dir = tempfile::tempdir().unwrap();
    let from_calls = dir.path().join("from-calls");
    let summary = sample_report(&from_calls);
    let agg = dir.path().join("agg");
    fs::create_dir_all(&agg).unwrap();
    for org in summary["orgs"].as_array().unwrap() {
        write_minutes(&agg, &from_calls, org);
    }
    fs::write(agg.join("aggregates.json"), document(&summary).to_string()).unwrap();

    let from_agg = dir.path().join("from-aggregates");
    let out = report_from(&from_agg, &agg);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&fs::read(from_agg.join("summary.json")).unwrap()).unwrap();
    // Paths passed over (README.md, the profile) are inputs of a run over raw files; a Spark
    // output, like a store, has none.
    let mut want = comparable(&summary);
    let files = want["data_quality"]["files"].as_object_mut().unwrap();
    files.insert("skipped".into(), json!([]));
    files.insert("skipped_reasons".into(), json!([]));
    let mut differences = Vec::new();
    json_diff("summary", &want, &comparable(&got), &mut differences);
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(got["recommendations"].as_array().unwrap().is_empty());
    assert!(got["recommendations_omitted"]
        .as_str()
        .unwrap()
        .contains("Spark job's aggregates"));
    for org in summary["orgs"].as_array().unwrap() {
        let name = format!("usage_{}.csv", org["org_id"].as_str().unwrap());
        assert_eq!(
            fs::read_to_string(from_agg.join(&name)).unwrap(),
            fs::read_to_string(from_calls.join(&name)).unwrap(),
            "{name}"
        );
    }
    let md = fs::read_to_string(from_agg.join("report.md")).unwrap();
    assert!(
        md.contains("## Recommendations\n\nNot computed: this report comes from the Spark job's aggregates")
    );
    assert!(md.contains("- What it called: not in the Spark job's aggregates"));
    let digest = fs::read_to_string(from_agg.join("digest.md")).unwrap();
    assert!(digest.contains("Recommendations were not computed"), "{digest}");
}

#[test]
fn a_folder_without_aggregates_json_is_refused_as_an_unfinished_run() {
    let dir = tempfile::tempdir().unwrap();
    let agg = dir.path().join("agg");
    fs::create_dir_all(agg.join("minutes")).unwrap();
    let out = report_from(&dir.path().join("r"), &agg);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no aggregates.json: it is not the output of a finished Spark job"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("r").exists(),
        "nothing is written on a refused input"
    );
}

#[test]
fn another_layout_is_refused_with_the_versions() {
    let dir = tempfile::tempdir().unwrap();
    let agg = dir.path().join("agg");
    common::write(
        &agg,
        "aggregates.json",
        r#"{"schema_version": 2, "kind": "apiusage-spark-aggregates", "engine": "spark", "store": {"path": "s", "snapshot": 1}, "orgs": [], "capacity": [], "minutes": {"org": "m", "integrations": "mi"}}"#,
    );
    let out = report_from(&dir.path().join("r"), &agg);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "schema_version 2; this apiusage reads kind \"apiusage-spark-aggregates\", schema_version 1"
        ),
        "{stderr}"
    );
}

#[test]
fn an_org_with_calls_but_no_series_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let from_calls = dir.path().join("from-calls");
    let summary = sample_report(&from_calls);
    let agg = dir.path().join("agg");
    fs::create_dir_all(&agg).unwrap();
    fs::write(agg.join("aggregates.json"), document(&summary).to_string()).unwrap();
    let out = report_from(&dir.path().join("r"), &agg);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has counted calls but no per-minute series in OUT"),
        "{stderr}"
    );
}

#[test]
fn the_jobs_filter_options_are_refused() {
    for flag in [
        ["--since", "2026-11-03"],
        ["--org", "00D8a000000DvA1"],
        ["--integrations", "map.toml"],
    ] {
        let out = apiusage()
            .args(["report", "--aggregates", "agg"])
            .args(flag)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot be used with"), "{flag:?}: {stderr}");
    }
}
