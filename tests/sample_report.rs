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

#[test]
fn the_sample_report_is_the_same_on_one_two_three_and_five_threads() {
    // The detectors' pass splits an org's integrations into one bucket per thread, and usage
    // and capacity spread integrations over threads: none of it may change a number.
    let dir = tempfile::tempdir().unwrap();
    let summaries: Vec<Vec<u8>> = ["1", "2", "3", "5"]
        .iter()
        .map(|threads| {
            let out = dir.path().join(threads);
            let status = common::sample_report_command(&out, &[])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap()
                .status;
            assert!(status.success(), "{threads} threads");
            std::fs::read(out.join("summary.json")).unwrap()
        })
        .collect();
    let one: serde_json::Value = serde_json::from_slice(&summaries[0]).unwrap();
    assert!(one["recommendations"].as_array().unwrap().len() >= 10);
    for (k, s) in summaries.iter().enumerate().skip(1) {
        assert!(
            s == &summaries[0],
            "summary.json differs on {} threads",
            ["1", "2", "3", "5"][k]
        );
    }
}
