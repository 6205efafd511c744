//! The analysis side of the nightly-run hardening: `--since` with its 24-hour warm-up, exact
//! threshold comparisons, internal traffic only by `API_CLIENT_CATEGORY`, series that follow
//! the calls rather than the span, and honest exits (nothing found, unknown org, stale logs).

mod common;

use std::path::Path;

use common::*;

const ACME_DEV: &str = "00D8a000000DvA1";

fn org<'a>(s: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    s["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["org_id"] == id)
        .unwrap()
}

fn assert_identity(s: &serde_json::Value) {
    let (read, used, duplicates, ignored, bad) = dq(s);
    assert_eq!(read, used + duplicates + ignored + bad, "{}", s["data_quality"]);
}

/// The highest `rolling_24h_max` of `usage_<org>.csv` over the minutes at or after `since`.
fn csv_max_from(csv: &Path, since: &str) -> u64 {
    let text = std::fs::read_to_string(csv).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| l.split(',').next().unwrap() >= since)
        .map(|l| l.split(',').nth(3).unwrap().parse::<u64>().unwrap())
        .max()
        .unwrap()
}

#[test]
fn since_keeps_the_24_hours_before_it_as_context() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let profile = sample.join("org_profile.toml");
    let whole = dir.path().join("whole");
    let (code, stderr, _) = report(&[&sample], &whole, &["--charts", "none"]);
    assert!(code <= 1, "{stderr}");
    // Naive reference: the full run's per-minute maximum over the minutes of Nov 4.
    let naive = csv_max_from(&whole.join(format!("usage_{ACME_DEV}.csv")), "2026-11-04");
    assert_eq!(naive, 12_742);

    let out = dir.path().join("since");
    let profile = profile.to_str().unwrap();
    let (code, stderr, s) = report(
        &[&sample],
        &out,
        &["--since", "2026-11-04", "--profile", profile, "--charts", "none"],
    );
    assert!(code <= 1, "{stderr}");
    let acme = org(&s, ACME_DEV);
    assert_eq!(acme["peak"]["calls"], 12_742);
    let share = acme["peak"]["share_of_allocation"].as_f64().unwrap();
    assert_eq!(format!("{:.1}", share * 100.0), "84.9");
    assert!(acme["peak"]["at"].as_str().unwrap() >= "2026-11-04");
    assert_eq!(acme["warm_up"]["from"], "2026-11-03T00:00:00.000Z");
    assert_eq!(acme["warm_up"]["to"], "2026-11-04T00:00:00.000Z");
    assert_eq!(acme["warm_up"]["complete"], true);
    assert!(acme["first_call"].as_str().unwrap() >= "2026-11-04");
    let near: Vec<&serde_json::Value> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["org_id"] == ACME_DEV && f["kind"] == "near_limit")
        .collect();
    assert_eq!(near.len(), 1, "{}", s["findings"]);
    // Daily peaks only over instants at or after --since.
    let cap = s["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["org_id"] == ACME_DEV)
        .unwrap();
    let days: Vec<&str> = cap["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-11-04"]);
    assert_eq!(cap["daily"][0]["peak"], 12_742);
    assert_eq!(cap["daily"][0]["partial"], false);
    // The per-minute CSV starts at --since.
    let csv = std::fs::read_to_string(out.join(format!("usage_{ACME_DEV}.csv"))).unwrap();
    assert!(csv.lines().nth(1).unwrap() >= "2026-11-04");
    assert_identity(&s);
}

#[test]
fn until_counts_nothing_after_it_and_filtered_rows_are_ignored_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let calls = [
        Call::at("2026-11-02T10:00:00.000Z", "a"),
        Call::at("2026-11-02T11:00:00.000Z", "b"),
        Call::at("2026-11-02T12:00:00.000Z", "c"),
        Call::at("2026-11-02T12:00:00.001Z", "d"),
    ];
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let (code, stderr, s) = report(
        &[&path],
        &dir.path().join("out"),
        &["--until", "2026-11-02T12:00:00Z"],
    );
    assert!(code <= 1, "{stderr}");
    assert_eq!(s["orgs"][0]["peak"]["calls"], 2);
    assert_eq!(s["orgs"][0]["counted_calls"], 2);
    assert_eq!(s["data_quality"]["ignored"]["outside --since/--until"], 2);
    assert_identity(&s);
}

#[test]
fn without_the_24_hours_before_the_first_call_usage_is_a_lower_bound() {
    let dir = tempfile::tempdir().unwrap();
    let calls = [
        Call::at("2026-11-02T10:00:00.000Z", "a"),
        Call::at("2026-11-03T09:00:00.000Z", "b"),
        Call::at("2026-11-03T11:00:00.000Z", "c"),
    ];
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (_, stderr, s) = report(&[&path], &out, &["--allocation", "100"]);
    let w = &s["orgs"][0]["warm_up"];
    assert_eq!(w["complete"], false, "{stderr}");
    assert_eq!(w["to"], "2026-11-02T10:00:00.000Z");
    assert_eq!(w["lower_bound_until"], "2026-11-03T10:00:00.000Z");
    let daily = s["capacity"][0]["daily"].as_array().unwrap();
    // Nov 2 peaks at 10:00 and Nov 3 at 09:00, both before the inputs cover 24 h: partial.
    let partial: Vec<bool> = daily.iter().map(|d| d["partial"].as_bool().unwrap()).collect();
    assert_eq!(partial, [true, true]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Lower bound until Nov 3, 10:00:00 UTC"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<dt>Lower bound</dt>"));
    // With --since after a full day of logs, the warm-up is covered.
    let (_, _, s) = report(
        &[&path],
        &dir.path().join("o2"),
        &["--since", "2026-11-03T10:00:00Z"],
    );
    assert_eq!(s["orgs"][0]["warm_up"]["complete"], true);
    assert_eq!(s["orgs"][0]["warm_up"]["context_calls"], 1);
    assert_eq!(s["orgs"][0]["peak"]["calls"], 2);
    assert_eq!(s["orgs"][0]["counted_calls"], 1);
}

#[test]
fn a_peak_of_exactly_the_chatty_share_is_chatty_and_one_call_less_is_not() {
    let dir = tempfile::tempdir().unwrap();
    // 0.55 × 100 = 55.000000000000007 in floating point; exactly 55 in parts per million.
    let mut calls: Vec<Call> = (0..55)
        .map(|i| Call::at("2026-11-02T10:00:00.000Z", &format!("a{i}")))
        .collect();
    calls.extend((0..54).map(|i| {
        Call::at("2026-11-02T10:00:00.000Z", &format!("b{i}")).app("0H45j000000Other", "Other App")
    }));
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let (code, stderr, s) = report(
        &[&path],
        &dir.path().join("out"),
        &[
            "--allocation",
            "100",
            "--chatty-share",
            "0.55",
            "--warn-share",
            "0.99",
            "--fail-on",
            "chatty",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let chatty: Vec<&str> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "chatty_integration")
        .map(|f| f["integration"].as_str().unwrap())
        .collect();
    assert_eq!(chatty, ["app:0H45j000000XyZa"]);
    assert_eq!(s["overview"]["chatty_share"], 0.55);
}

#[test]
fn shares_outside_0_to_1_or_with_more_than_six_decimals_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "a")]),
    );
    for bad in ["0", "1.5", "0.0000001", "abc"] {
        let (code, stderr, _) = report(&[&path], &dir.path().join("out"), &["--chatty-share", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(
            stderr.contains("apiusage: error:") && stderr.contains("--chatty-share"),
            "{stderr}"
        );
    }
}

#[test]
fn only_the_salesforce_client_category_is_internal_never_an_888_app_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut header: Vec<&str> = ATU_HEADER.to_vec();
    header.push("API_CLIENT_CATEGORY");
    let row = |c: Call, category: &str| {
        let mut f = c.fields();
        f.push(category.into());
        f
    };
    let rows = vec![
        row(
            Call::at("2026-11-02T10:00:00.000Z", "a").app("88800000000AbCd", "Amazon AppFlow"),
            "EXTERNAL_APPLICATION",
        ),
        row(
            Call::at("2026-11-02T10:00:01.000Z", "b").app("0H45j000000Mobi", "Salesforce Mobile"),
            "SALESFORCE",
        ),
    ];
    let path = write(dir.path(), "a.csv", quoted_csv(&header, &rows));
    let (_, stderr, s) = report(&[&path], &dir.path().join("out"), &["--allocation", "1"]);
    let integrations = s["orgs"][0]["integrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{stderr}"));
    let by_key = |k: &str| integrations.iter().find(|i| i["key"] == k).unwrap();
    assert_eq!(by_key("app:88800000000AbCd")["internal"], false);
    assert_eq!(by_key("app:88800000000AbCd")["label"], "Amazon AppFlow");
    assert_eq!(by_key("app:0H45j000000Mobi")["internal"], true);
    // Usage above the allocation is shown as it is, never capped at 100 %.
    assert_eq!(s["orgs"][0]["peak"]["share_of_allocation"], 2.0);
}

#[test]
fn two_calls_ten_years_apart_cost_their_minutes_not_the_decade() {
    let dir = tempfile::tempdir().unwrap();
    let calls = [
        Call::at("2016-11-02T10:00:00.000Z", "a"),
        Call::at("2026-11-02T10:00:00.000Z", "b"),
    ];
    let path = write(dir.path(), "a.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, s) = report(&[&path], &out, &["--allocation", "100"]);
    assert!(code <= 1, "{stderr}");
    let csv = std::fs::read_to_string(out.join(format!("usage_{ORG}.csv"))).unwrap();
    // The first call keeps usage above zero for 1,440 minutes; the last call's own minute ends
    // the series: 1,441 rows and a header, not 5 million minutes.
    assert_eq!(csv.lines().count(), 1 + 1_441);
    assert_eq!(s["capacity"][0]["daily"].as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_input_folder_exits_2_saying_nothing_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("logs");
    std::fs::create_dir_all(&input).unwrap();
    write(&input, "notes.txt", "hello");
    let (code, stderr, _) = report(&[&input], &dir.path().join("out"), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("apiusage: error: no log files"), "{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
}

#[test]
fn input_without_api_call_rows_exits_2_listing_the_event_types_found() {
    let dir = tempfile::tempdir().unwrap();
    let login = "\"EVENT_TYPE\",\"TIMESTAMP\",\"ORGANIZATION_ID\",\"USER_ID\"\n\"Login\",\"20261102100000.000\",\"00D5j000000VI3n\",\"0055j000000utlP\"\n";
    let path = write(dir.path(), "Login_2026-11-02.csv", login);
    let (code, stderr, _) = report(&[&path], &dir.path().join("out"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("apiusage: error: no Event Monitoring API call rows"),
        "{stderr}"
    );
    assert!(stderr.contains("event types found: Login"), "{stderr}");
}

#[test]
fn a_mistyped_org_exits_2_naming_the_orgs_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "a")]),
    );
    let lower = ORG.to_lowercase();
    for typo in [lower.as_str(), "00D5j000000VI3nXXX"] {
        let (code, stderr, _) = report(&[&path], &dir.path().join("out"), &["--org", typo]);
        assert_eq!(code, 2, "{typo}: {stderr}");
        assert!(stderr.contains("apiusage: error: unknown org"), "{stderr}");
        assert!(stderr.contains(&format!("orgs found: {ORG}")), "{stderr}");
    }
}

#[test]
fn a_since_after_the_last_call_exits_2_saying_when_the_calls_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-02T10:00:00.000Z", "a")]),
    );
    let (code, stderr, _) = report(&[&path], &dir.path().join("out"), &["--since", "2026-11-05"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("apiusage: error: no calls in range --since 2026-11-05T00:00:00.000Z"),
        "{stderr}"
    );
    assert!(stderr.contains("calls from 2026-11-02T10:00:00.000Z"), "{stderr}");
}

#[test]
fn logs_that_stopped_arriving_are_a_stale_finding_and_can_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        atu_csv(&[Call::at("2026-11-26T11:59:59.000Z", "a")]),
    );
    // The run's time is 2026-11-28T00:00:00Z: 36 h and 1 s after the last call.
    let (code, stderr, s) = report(
        &[&path],
        &dir.path().join("out"),
        &["--allocation", "100", "--fail-on", "stale"],
    );
    assert_eq!(code, 1, "{stderr}");
    let kinds: Vec<&str> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["stale"]);
    let fresh = write(
        dir.path(),
        "b/a.csv",
        atu_csv(&[Call::at("2026-11-26T12:00:00.000Z", "a")]),
    );
    let (code, _, s) = report(
        &[&fresh],
        &dir.path().join("out2"),
        &["--allocation", "100", "--fail-on", "stale"],
    );
    assert_eq!(code, 0);
    assert_eq!(s["findings"].as_array().unwrap().len(), 0);
}
