//! `apiusage report`: exact rolling-24h numbers on crafted inputs, findings, exit codes, and
//! the invariants of the usage stage.

mod common;

use std::path::Path;

use apiusage::{attribute, dedup, ingest, usage};
use common::*;
use proptest::prelude::*;

/// The reference's Developer Edition example: 14,500 calls at 05:00 Wednesday and 499 at 23:00.
fn developer_edition_example(dir: &Path) -> std::path::PathBuf {
    let mut calls = Vec::new();
    for i in 0..14_500 {
        calls.push(Call::at("2026-11-04T05:00:00.000Z", &format!("a{i}")));
    }
    for i in 0..499 {
        calls.push(
            Call::at("2026-11-04T23:00:00.000Z", &format!("b{i}")).app("0H45j000000Other", "Other App"),
        );
    }
    write(dir, "de.csv", atu_csv(&calls))
}

#[test]
fn the_developer_edition_example_peaks_at_14999_with_one_call_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = developer_edition_example(dir.path());
    let out = dir.path().join("out");
    let (code, stderr, s) = report(&[&path], &out, &["--allocation", "15000"]);
    assert_eq!(code, 0, "{stderr}");
    let org = &s["orgs"][0];
    assert_eq!(org["counted_calls"], 14_999);
    assert_eq!(org["peak"]["calls"], 14_999);
    assert_eq!(org["peak"]["at"], "2026-11-04T23:00:00.000Z");
    assert_eq!(org["peak"]["window_start"], "2026-11-03T23:00:00.000Z");
    assert_eq!(org["allocation"]["calls"], 15_000);
    assert_eq!(org["allocation"]["source"], "flag");
    let integrations = org["integrations"].as_array().unwrap();
    assert_eq!(integrations[0]["key"], "app:0H45j000000XyZa");
    assert_eq!(integrations[0]["calls_in_org_peak_window"], 14_500);
    assert_eq!(integrations[0]["chatty"], true);
    assert_eq!(integrations[1]["calls_in_org_peak_window"], 499);
    assert_eq!(integrations[1]["chatty"], false);
    let kinds: Vec<&str> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    // The calls are from 2026-11-04 and the run's time is 2026-11-28: the logs are stale.
    assert_eq!(kinds, ["near_limit", "chatty_integration", "stale"]);
    // One call left: allocation − peak.
    assert_eq!(
        org["allocation"]["calls"].as_u64().unwrap() - org["peak"]["calls"].as_u64().unwrap(),
        1
    );
    // The per-minute CSV: 14,500 in use from 05:00, 14,999 from 23:00.
    let csv = std::fs::read_to_string(out.join("usage_00D5j000000VI3n.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "minute,calls,rolling_24h_end,rolling_24h_max,Acme Sync rolling_24h_end,Other App rolling_24h_end"
    );
    assert_eq!(lines[1], "2026-11-04T05:00:00.000Z,14500,14500,14500,14500,0");
    assert_eq!(
        lines.last().unwrap(),
        &"2026-11-04T23:00:00.000Z,499,14999,14999,14500,499"
    );
    assert_eq!(lines.len(), 1 + 18 * 60 + 1);
}

#[test]
fn each_fail_on_kind_sets_exit_status_1_only_when_breached() {
    let dir = tempfile::tempdir().unwrap();
    let path = developer_edition_example(dir.path());
    let code = |extra: &[&str]| {
        report(
            &[&path],
            &dir.path().join("out"),
            &[&["--allocation", "15000"], extra].concat(),
        )
        .0
    };
    assert_eq!(code(&["--fail-on", "chatty"]), 1);
    assert_eq!(code(&["--fail-on", "warn"]), 1);
    assert_eq!(code(&["--fail-on", "over"]), 0);
    assert_eq!(code(&["--fail-on", "over,chatty"]), 1);
    assert_eq!(code(&["--fail-on", "chatty", "--chatty-share", "0.97"]), 0);
    let over = report(
        &[&path],
        &dir.path().join("out"),
        &["--allocation", "14999", "--fail-on", "over"],
    );
    assert_eq!(over.0, 1, "{}", over.1);
}

#[test]
fn a_call_stops_counting_exactly_24_hours_after_it_was_made() {
    let dir = tempfile::tempdir().unwrap();
    let calls = [
        Call::at("2026-11-02T10:00:00.000Z", "a"),
        Call::at("2026-11-03T10:00:00.000Z", "b"),
        Call::at("2026-11-04T09:59:59.999Z", "c"),
    ];
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let (_, _, s) = report(&[&path], &dir.path().join("out"), &[]);
    assert_eq!(s["orgs"][0]["peak"]["calls"], 2);
    assert_eq!(s["orgs"][0]["peak"]["at"], "2026-11-04T09:59:59.999Z");
}

#[test]
fn calls_that_do_not_count_never_raise_the_peak() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls: Vec<Call> = (0..10)
        .map(|i| {
            Call::at("2026-11-02T10:00:00.000Z", &format!("ui{i}"))
                .counts("0")
                .app("", "")
        })
        .collect();
    calls.push(Call::at("2026-11-02T11:00:00.000Z", "x").counts("TRUE"));
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let (_, _, s) = report(&[&path], &dir.path().join("out"), &[]);
    let org = &s["orgs"][0];
    assert_eq!(org["peak"]["calls"], 1);
    assert_eq!(org["counted_calls"], 1);
    assert_eq!(org["not_counted_calls"], 10);
    assert_eq!(org["allocation"]["source"], "unknown");
    assert_eq!(s["findings"][0]["kind"], "allocation_unknown");
}

#[test]
fn overlapping_hourly_and_daily_files_are_not_double_counted_in_the_peak() {
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Call> = (0..24)
        .map(|h| Call::at(&format!("2026-11-02T{h:02}:15:00.000Z"), &format!("r{h}")))
        .collect();
    write(dir.path(), "daily.csv", atu_csv(&calls));
    for h in [3, 7, 19] {
        write(dir.path(), &format!("hourly{h}.csv"), atu_csv(&calls[h..h + 1]));
    }
    let (_, _, s) = report(&[dir.path()], &dir.path().join("out"), &[]);
    assert_eq!(s["orgs"][0]["peak"]["calls"], 24);
    assert_eq!(s["data_quality"]["duplicates"], 3);
}

#[test]
fn a_hostile_org_id_never_writes_outside_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "r").org("../../escape")]),
    );
    let out = dir.path().join("deep/out");
    let (code, stderr, s) = report(&[&path], &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["orgs"][0]["org_id"], "../../escape");
    assert!(out.join("usage_org1.csv").exists());
    assert!(!dir.path().join("escape").exists() && !dir.path().join("usage_escape.csv").exists());
}

#[test]
fn log_text_is_escaped_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Call> = (0..3)
        .map(|i| {
            Call::at("2026-11-02T10:00:00.000Z", &format!("r{i}"))
                .app("0H45j000000XyZa", "<script>alert(1)</script> | R&D")
        })
        .collect();
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    report(&[&path], &out, &["--allocation", "4"]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("<script>"), "{md}");
    assert!(
        md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| R&amp;D"),
        "{md}"
    );
}

#[test]
fn since_until_and_org_filters_move_rows_to_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let calls = [
        Call::at("2026-11-01T23:59:59.999Z", "a"),
        Call::at("2026-11-02T10:00:00.000Z", "b"),
        Call::at("2026-11-03T00:00:00.000Z", "c"),
        Call::at("2026-11-02T10:00:00.000Z", "d").org("00D000000000002"),
    ];
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let (_, _, s) = report(
        &[&path],
        &dir.path().join("out"),
        &["--since", "2026-11-02", "--until", "2026-11-03", "--org", ORG18],
    );
    assert_eq!(s["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(s["orgs"][0]["counted_calls"], 1);
    // The call 1 ms before --since is warm-up context: used (it counts in the windows after
    // --since) but not in range, so not among the counted calls.
    assert_eq!(dq(&s), (4, 2, 0, 2, 0));
    assert_eq!(s["orgs"][0]["warm_up"]["context_calls"], 1);
    assert_eq!(s["orgs"][0]["peak"]["calls"], 2);
    assert_eq!(s["data_quality"]["ignored"]["outside --since/--until"], 1);
    assert_eq!(s["data_quality"]["ignored"]["org not selected by --org"], 1);
}

#[test]
fn a_malformed_limits_file_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "a")]),
    );
    let limits = write(dir.path(), "limits.json", "{\"DailyApiRequests\": {\"Max\": ");
    let (code, stderr, _) = report(
        &[&path],
        &dir.path().join("out"),
        &["--limits", limits.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("apiusage: error: invalid arguments"),
        "{stderr}"
    );
    assert!(stderr.contains("limits.json"), "{stderr}");
    assert!(
        !dir.path().join("out").exists(),
        "no report is written when the arguments are wrong"
    );
}

#[test]
fn a_missing_input_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, _) = report(&[&dir.path().join("nope")], &dir.path().join("out"), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nope") && stderr.contains("cannot open"),
        "{stderr}"
    );
}

fn naive_peak(ts: &[i64]) -> (u64, i64) {
    let mut best = (0, i64::MAX);
    for &t in ts {
        let n = ts.iter().filter(|&&u| u > t - 86_400_000 && u <= t).count() as u64;
        if n > best.0 || (n == best.0 && t < best.1) {
            best = (n, t);
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn org_peaks_are_exact_and_integration_shares_of_the_peak_window_add_up(
        calls in prop::collection::vec((0u8..2, 0u8..4, 0u32..72, 0u32..3, any::<bool>()), 1..120)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<Call> = calls.iter().enumerate().map(|(n, &(org, app, hour, jitter, counted))| {
            let ts = format!("2026-11-{:02}T{:02}:00:0{}.000Z", 2 + hour / 24, hour % 24, jitter);
            Call::at(&ts, &format!("r{n}"))
                .org(["00D000000000001", "00D000000000002"][org as usize])
                .app(["0H4000000000001", "0H4000000000002", "", "0H4000000000004"][app as usize], "")
                .counts(if counted { "1" } else { "0" })
        }).collect();
        let path = write(dir.path(), "a.csv", atu_csv(&rows));
        let table = dedup::reconcile(ingest::ingest(&[path], &[], &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap())).unwrap());
        let attribution = attribute::attribute(&table.calls, &attribute::IntegrationMap::default());
        let orgs = usage::compute(&table.calls, &table.orgs, &attribution);
        for org in &orgs {
            let want: Vec<i64> = rows.iter().filter(|c| c.org == org.org_id && c.counts == "1")
                .map(|c| apiusage::normalize::parse_timestamp(c.ts.as_bytes()).unwrap()).collect();
            if want.is_empty() {
                prop_assert!(org.peak.is_none());
                continue;
            }
            let (calls, at) = naive_peak(&want);
            let peak = org.peak.expect("counted calls give a peak");
            prop_assert_eq!((peak.calls, peak.at), (calls, at));
            let in_window: u64 = org.integrations.iter().map(|i| i.calls_in_org_peak_window).sum();
            prop_assert_eq!(in_window, peak.calls);
            let counted: u64 = org.integrations.iter().map(|i| i.counted_calls).sum();
            prop_assert_eq!(counted, want.len() as u64);
        }
    }
}

#[test]
fn request_limit_exceeded_messages_make_an_over_limit_finding_with_the_usage_then() {
    let dir = tempfile::tempdir().unwrap();
    let outs = tempfile::tempdir().unwrap();
    let calls: Vec<Call> = (0..5)
        .map(|i| Call::at(&format!("2026-11-02T10:0{i}:00.000Z"), &format!("r{i}")))
        .collect();
    write(dir.path(), "ApiTotalUsage.csv", atu_csv(&calls));
    let header = [
        "EVENT_TYPE",
        "TIMESTAMP_DERIVED",
        "REQUEST_ID",
        "ORGANIZATION_ID",
        "URI",
        "STATUS_CODE",
        "EXCEPTION_MESSAGE",
    ];
    let refused = |ts: &str, rid: &str| {
        vec![
            "RestApi".to_string(),
            ts.into(),
            rid.into(),
            ORG.into(),
            "/services/data/v60.0/query".into(),
            "403".into(),
            "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.".into(),
        ]
    };
    write(
        dir.path(),
        "RestApi.csv",
        quoted_csv(
            &header,
            &[
                refused("2026-11-02T10:03:30.000Z", "x1"),
                refused("2026-11-02T10:04:30.000Z", "x2"),
            ],
        ),
    );
    let (_, _, s) = report(&[dir.path()], &outs.path().join("out"), &[]);
    let org = &s["orgs"][0];
    assert_eq!(org["counted_calls"], 5, "superseded RestApi rows never count");
    assert_eq!(org["limit_exceeded_calls"], 2);
    assert_eq!(org["limit_reached"]["at"], "2026-11-02T10:03:30.000Z");
    assert_eq!(org["limit_reached"]["usage"], 4);
    let message = s["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("2 calls refused with REQUEST_LIMIT_EXCEEDED") && message.contains("4 calls"),
        "{message}"
    );
    let (code, stderr, s) = report(
        &[dir.path()],
        &outs.path().join("out2"),
        &["--allocation", "100000", "--fail-on", "over"],
    );
    assert_eq!(s["findings"][0]["kind"], "over_limit");
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn the_report_folder_inside_an_input_folder_is_not_read_as_logs() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "a")]),
    );
    let out = dir.path().join("reports");
    assert_eq!(report(&[dir.path()], &out, &[]).0, 0);
    let (code, stderr, s) = report(&[dir.path()], &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["data_quality"]["files"]["readable"], 1);
}

#[test]
fn markdown_and_html_give_an_org_the_same_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls: Vec<Call> = (0..6)
        .map(|i| Call::at("2026-11-02T10:00:00.000Z", &format!("a{i}")))
        .collect();
    calls.push(Call::at("2026-11-02T11:00:00.000Z", "b").app("0H45j000000Other", "Other App"));
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    // Org at 70 % (below the 80 % warn line) with one chatty integration at 60 %.
    let (code, stderr, s) = report(&[&path], &out, &["--allocation", "10", "--charts", "none"]);
    assert_eq!(code, 0, "{stderr}");
    // Chatty, and stale (the run's time is weeks after the calls); neither is an org status.
    assert_eq!(s["findings"].as_array().unwrap().len(), 2);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        md.lines().any(|l| l.starts_with("| 00D5j000000VI3n | ok |")),
        "{md}"
    );
    let index = &html[html.find("Orgs by risk").unwrap()..];
    let row = &index[..index.find("</tbody>").unwrap()];
    assert!(row.contains("b-ok\">ok<"), "{row}");
}

/// `--timings` prints one stderr line per stage, in pipeline order, and changes nothing else.
#[test]
fn timings_list_every_stage_on_stderr_and_leave_the_report_alone() {
    let dir = tempfile::tempdir().unwrap();
    let logs = common::write(
        dir.path(),
        "logs/ApiTotalUsage.csv",
        common::atu_csv(&[
            common::Call::at("2026-11-02T10:00:00.000Z", "r1"),
            common::Call::at("2026-11-02T11:00:00.000Z", "r2"),
        ]),
    );
    let (code, plain_err, plain) = common::report(&[&logs], &dir.path().join("a"), &[]);
    assert_eq!(code, 0, "{plain_err}");
    assert!(!plain_err.contains("timings:"), "{plain_err}");
    let (code, stderr, timed) = common::report(&[&logs], &dir.path().join("b"), &["--timings"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(plain, timed);
    let stages: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("apiusage: timings: "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let want = [
        "stage",
        "ingest",
        "dedup",
        "attribute",
        "usage",
        "findings",
        "recommend",
        "capacity",
        "render",
        "total",
    ];
    assert_eq!(stages, want, "{stderr}");
}
