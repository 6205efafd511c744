//! `report` on the bundled `sample_logs/`: the planted chatty integration is flagged and no
//! other, and snapshots of `summary.json` and `report.md` pin the whole output.

mod common;

use std::path::Path;

fn run_on_sample(out: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let output = common::sample_report(out, extra);
    let summary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (output.status.code().unwrap(), summary)
}

#[test]
fn the_planted_chatty_integration_is_flagged_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (code, s) = run_on_sample(dir.path(), &["--charts", "none", "--fail-on", "chatty"]);
    assert_eq!(code, 1, "the chatty ERP sync breaches --fail-on chatty");
    let chatty: Vec<(&str, &str)> = s["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["integrations"].as_array().unwrap())
        .filter(|i| i["chatty"] == true)
        .map(|i| (i["key"].as_str().unwrap(), i["label"].as_str().unwrap()))
        .collect();
    assert_eq!(chatty, [("app:0H48a000000ErP1", "NetLedger ERP Sync")]);
    let acme = s["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["org_id"] == "00D8a000000DvA1")
        .unwrap();
    assert_eq!(acme["peak"]["calls"], 12_753);
    assert_eq!(acme["peak"]["at"], "2026-11-03T21:57:16.735Z");
    assert_eq!(acme["allocation"]["calls"], 15_000);
    let q = &s["data_quality"];
    let bad: u64 = q["bad_rows"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        q["rows_read"].as_u64().unwrap(),
        q["rows_used"].as_u64().unwrap()
            + q["duplicates"].as_u64().unwrap()
            + q["rows_ignored"].as_u64().unwrap()
            + bad
    );
}

#[test]
fn sample_report_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let (code, summary) = run_on_sample(dir.path(), &["--charts", "none"]);
    assert_eq!(code, 0);
    insta::assert_json_snapshot!("sample_summary", summary);
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    insta::assert_snapshot!("sample_report_md", md);
}
