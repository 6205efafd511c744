//! Bulkification recommendations: each detector on crafted calls with a known answer and on
//! look-alikes that must not trigger (`recommend/crafted.rs` builds the calls), then the what-if
//! properties and the bundled sample's planted patterns (`recommend/whatif_and_sample.rs`), and
//! the cases held-out orgs showed missing plus a look-alike corpus (`recommend/missed.rs`).

use std::collections::BTreeSet;

use apiusage::dedup::Filter;
use apiusage::model::{flags, EventType};
use apiusage::recommend::{Kind, Settings};

#[path = "recommend/crafted.rs"]
mod crafted;
#[path = "recommend/missed.rs"]
mod missed;
#[path = "recommend/whatif_and_sample.rs"]
mod whatif_and_sample;

use crafted::*;

// ---- single_record_crud ---------------------------------------------------------------------

#[test]
fn single_record_runs_collapse_to_one_call_per_200_records() {
    // 20 runs, 15 minutes apart, of 300 single-record updates 200 ms apart.
    let calls: Vec<Call> = (0..20)
        .flat_map(|run| {
            (0..300).map(move |i| {
                let resource = format!("/v58.0/sobjects/Account/{}", record("001", i));
                Call::rest(T0 + run * 15 * MIN + i as i64 * 200, "PATCH", &resource)
            })
        })
        .collect();
    let r = run(calls);
    assert_eq!(kinds(&r), vec![(format!("app:{APP}"), Kind::SingleRecordCrud)]);
    let rec = &r.items[0];
    assert_eq!(rec.calls_removed, 20 * (300 - 2));
    assert_eq!(rec.calls_saved_at_peak, 20 * 298);
    assert_eq!(peak_calls(rec.org_peak_before), 6_000);
    assert_eq!(peak_calls(rec.org_peak_after), 40);
    assert_eq!(peak_calls(rec.integration_peak_after), 40);
    assert_eq!(rec.evidence.facts["runs"], 20);
    assert_eq!(rec.evidence.facts["largest_run"], 300);
    assert_eq!(rec.evidence.examples, vec!["/v58.0/sobjects/Account/{id}"]);
    assert!(
        !rec.action.contains("Bulk API 2.0"),
        "300 records per run is below ~2,000"
    );
}

#[test]
fn single_record_reads_creates_upserts_deletes_and_one_row_soap_writes_are_all_batchable() {
    let mut calls = Vec::new();
    for i in 0..250 {
        let t = T0 + i as i64 * 600;
        let get = format!("/v58.0/sobjects/Account/{}", record("001", i));
        let upsert = format!("/v58.0/sobjects/Contact/ERP_Id__c/C-{i:06}");
        let delete = format!("/v58.0/sobjects/Case/{}", record("500", i));
        calls.push(Call::rest(t, "GET", &get));
        calls.push(Call::rest(t + 100, "PATCH", &upsert));
        calls.push(Call::rest(t + 200, "POST", "/v58.0/sobjects/Lead"));
        calls.push(Call::rest(t + 300, "DELETE", &delete));
        // SOAP API events (fallback rows) name the operation in METHOD_NAME and know the rows.
        let soap = |dt: i64, rows: u32| Call {
            event: EventType::Api,
            family: "",
            version: "58.0",
            method: "create",
            entity: "Account",
            rows,
            flags: flags::ESTIMATED,
            ..Call::rest(t + dt, "", "/services/Soap/u/58.0")
        };
        calls.push(soap(400, 1));
        calls.push(soap(500, 150));
    }
    let r = run(calls);
    let rec = only(&r, Kind::SingleRecordCrud);
    // Five groups of 250 single-record calls: each keeps ⌈250/200⌉ = 2.
    assert_eq!(rec.evidence.calls, 1_250);
    assert_eq!(rec.calls_removed, 5 * 248);
    let groups: BTreeSet<&str> = rec.evidence.breakdown.iter().map(|c| c.name.as_str()).collect();
    for g in [
        "retrieve Account",
        "upsert Contact",
        "create Lead",
        "delete Case",
        "create Account",
    ] {
        assert!(groups.iter().any(|name| name.starts_with(g)), "{g} in {groups:?}");
    }
}

#[test]
fn runs_above_2000_records_are_pointed_to_bulk_api_2() {
    let calls: Vec<Call> = (0..2_500)
        .map(|i| Call::rest(T0 + i * 100, "POST", "/v58.0/sobjects/Order"))
        .collect();
    let rec = only(&run(calls), Kind::SingleRecordCrud).clone();
    assert_eq!(rec.calls_removed, 2_500 - 13);
    assert!(rec.action.contains("Bulk API 2.0"), "{}", rec.action);
}

#[test]
fn a_well_batched_composite_user_gets_no_recommendation() {
    let mut calls = Vec::new();
    for (n, t) in irregular(7, T0 + 8 * H, T0 + 20 * H, 2 * S, 30 * S)
        .into_iter()
        .enumerate()
    {
        let resource = [
            "/v60.0/composite/sobjects",
            "/v60.0/composite",
            "/v60.0/composite/graph",
        ][n % 3];
        calls.push(Call::rest(t, "POST", resource));
    }
    for h in (8..20).step_by(2) {
        calls.push(Call::token(T0 + h * H - 500));
    }
    assert_eq!(kinds(&run(calls)), vec![]);
}

#[test]
fn a_bulk_loader_polling_its_job_gets_no_recommendation() {
    let job = "/v60.0/jobs/ingest/7505j000000AbCdAAA";
    let mut calls = vec![
        Call::rest(T0, "POST", "/v60.0/jobs/ingest"),
        Call::rest(T0 + 2 * S, "PUT", &format!("{job}/batches")),
        Call::rest(T0 + 4 * S, "PATCH", job),
    ];
    // Two hours of status checks every 10 s: polling by design of the Bulk API, not by choice.
    calls.extend((0..720).map(|i| Call::rest(T0 + 10 * S + i * 10 * S, "GET", job)));
    calls.push(Call::rest(T0 + 3 * H, "GET", &format!("{job}/successfulResults")));
    calls.push(Call::token(T0 - S));
    assert_eq!(kinds(&run(calls)), vec![]);
}

#[test]
fn a_persons_occasional_record_reads_are_not_batchable() {
    let calls: Vec<Call> = irregular(11, T0 + 8 * H, T0 + 18 * H, 45 * S, 315 * S)
        .into_iter()
        .enumerate()
        .map(|(i, t)| Call {
            app: "",
            ..Call::rest(t, "GET", &format!("/v62.0/sobjects/Case/{}", record("500", i)))
        })
        .collect();
    assert_eq!(kinds(&run(calls)), vec![]);
}

// ---- polling --------------------------------------------------------------------------------

#[test]
fn a_query_every_minute_is_polling_with_its_interval_and_all_polls_saved() {
    let mut rng = Lcg(3);
    let calls: Vec<Call> = (0..360)
        .map(|m| {
            Call::rest(
                T0 + m * MIN + rng.between(-3 * S, 3 * S),
                "GET",
                "/v58.0/query?q=SELECT+Id",
            )
        })
        .collect();
    let r = run(calls);
    let rec = only(&r, Kind::Polling);
    assert_eq!(r.items.len(), 1);
    assert_eq!(rec.calls_removed, 360);
    assert_eq!(rec.calls_saved_at_peak, 360);
    assert_eq!(rec.integration_peak_after, None, "no calls left");
    let interval = rec.evidence.facts["interval_ms"];
    assert!((59_500..=60_500).contains(&interval), "{interval}");
    assert!(rec.evidence.facts["jitter_ms"] < 4_000);
    assert!(
        rec.evidence.summary.contains("every 60 s"),
        "{}",
        rec.evidence.summary
    );
}

#[test]
fn irregular_human_traffic_is_not_polling() {
    // Gaps spread ±75 % around three minutes, all day.
    let calls: Vec<Call> = irregular(5, T0, T0 + 24 * H, 45 * S, 315 * S)
        .into_iter()
        .map(|t| Call::rest(t, "GET", "/v58.0/query"))
        .collect();
    assert_eq!(kinds(&run(calls)), vec![]);
}

// ---- token_churn ----------------------------------------------------------------------------

#[test]
fn an_oauth_token_before_every_call_is_churn_that_saves_no_counted_calls() {
    let mut calls = Vec::new();
    for i in 0..100 {
        let t = T0 + i * 2 * MIN;
        calls.push(Call::token(t - 500));
        calls.push(Call::rest(t, "GET", "/v60.0/query"));
    }
    let r = run(calls);
    let rec = only(&r, Kind::TokenChurn);
    assert_eq!(
        rec.integration,
        format!("app:{APP}"),
        "Login rows join their user's app"
    );
    // 200 minutes of logins: kept at 0 and 120 minutes.
    assert_eq!(rec.evidence.facts["avoidable_logins"], 98);
    assert_eq!(rec.calls_removed, 0, "Login events do not count");
    assert_eq!(rec.org_peak_after, rec.org_peak_before);
}

#[test]
fn a_soap_login_before_every_batch_is_churn_that_saves_the_logins() {
    let mut calls = Vec::new();
    for i in 0..150 {
        let t = T0 + i * 4 * MIN;
        calls.push(Call::soap(t, "login", "60.0").client("CPQBridge/2.3"));
        calls.push(Call::soap(t + 500, "query", "60.0").client("CPQBridge/2.3"));
        calls.push(Call::soap(t + 1_200, "query", "60.0").client("CPQBridge/2.3"));
    }
    let r = run(calls);
    let rec = only(&r, Kind::TokenChurn);
    assert_eq!(rec.integration, "client:CPQBridge/2.3");
    // Ten hours: one login kept per two hours.
    assert_eq!(rec.calls_removed, 145);
    assert_eq!(peak_calls(rec.org_peak_before), 450);
    assert_eq!(peak_calls(rec.org_peak_after), 305);
}

#[test]
fn a_token_reused_for_two_hours_is_not_churn() {
    let mut calls: Vec<Call> = irregular(13, T0, T0 + 10 * H, 20 * S, 100 * S)
        .into_iter()
        .map(|t| Call::rest(t, "GET", "/v60.0/query"))
        .collect();
    calls.extend((0..5).map(|h| Call::token(T0 + h * 2 * H - 300)));
    assert_eq!(kinds(&run(calls)), vec![]);
}

// ---- repeated_metadata ----------------------------------------------------------------------

#[test]
fn a_describe_every_five_minutes_is_cached_down_to_four_a_day() {
    let calls: Vec<Call> = (0..288)
        .map(|i| Call::rest(T0 + i * 5 * MIN, "GET", "/v60.0/sobjects/Account/describe"))
        .collect();
    let r = run(calls);
    assert_eq!(kinds(&r), vec![(format!("app:{APP}"), Kind::RepeatedMetadata)]);
    assert_eq!(r.items[0].calls_removed, 284);
    assert_eq!(peak_calls(r.items[0].org_peak_after), 4);
}

#[test]
fn a_few_describes_and_limits_a_day_are_fine() {
    let mut calls: Vec<Call> = (0..10)
        .map(|i| Call::rest(T0 + i * 144 * MIN, "GET", "/v60.0/sobjects/Account/describe"))
        .collect();
    calls.extend((0..24).map(|i| Call::rest(T0 + i * H + MIN, "GET", "/v60.0/limits")));
    calls.extend((0..20).map(|i| Call::soap(T0 + i * H + 2 * MIN, "describeSObjects", "60.0")));
    assert_eq!(kinds(&run(calls)), vec![]);
}

// ---- composite_batch ------------------------------------------------------------------------

#[test]
fn composite_batch_is_flagged_with_its_visible_subrequests_and_no_logged_saving() {
    let mut calls: Vec<Call> = (0..10)
        .map(|i| Call::rest(T0 + i * 20 * MIN, "POST", "/v60.0/composite/batch"))
        .collect();
    // A RestApi row (fallback day) knows how many rows the batch processed.
    calls.push(Call {
        event: EventType::RestApi,
        rows: 20,
        flags: flags::ESTIMATED,
        ..Call::rest(T0 + 5 * H, "POST", "/services/data/v60.0/composite/batch")
    });
    let r = run(calls);
    let rec = only(&r, Kind::CompositeBatch);
    assert_eq!(r.items.len(), 1);
    assert_eq!((rec.calls_removed, rec.calls_saved_at_peak), (0, 0));
    assert_eq!(rec.evidence.facts["hidden_calls"], 19);
    assert_eq!(rec.org_peak_after, rec.org_peak_before);

    let few: Vec<Call> = (0..3)
        .map(|i| Call::rest(T0 + i * H, "POST", "/v60.0/composite/batch"))
        .collect();
    assert_eq!(kinds(&run(few)), vec![]);
}

// ---- error_burst ----------------------------------------------------------------------------

#[test]
fn an_error_burst_is_removed_and_a_healthy_syncs_odd_404s_are_not_a_burst() {
    let billing = "0H45j000000BiLs";
    let mut calls: Vec<Call> = irregular(17, T0 + 7 * H, T0 + 19 * H, 40 * S, 250 * S)
        .into_iter()
        .map(|t| Call::rest(t, "POST", "/v60.0/sobjects/Invoice__c").app(billing))
        .collect();
    for i in 0..30 {
        let t = T0 + 14 * H + 7 * S + i * 4 * S;
        calls.push(
            Call::rest(t, "POST", "/v60.0/sobjects/Invoice__c")
                .app(billing)
                .status(503),
        );
    }
    // Another integration: runs of record reads, every 20th a 404.
    for run_start in 0..10 {
        for i in 0..100 {
            let resource = format!("/v58.0/sobjects/Contact/{}", record("003", i));
            let status = if i % 20 == 0 { 404 } else { 200 };
            calls.push(
                Call::rest(T0 + run_start * 30 * MIN + i as i64 * 300, "GET", &resource).status(status),
            );
        }
    }
    let r = run(calls);
    let rec = only(&r, Kind::ErrorBurst);
    assert_eq!(rec.integration, format!("app:{billing}"));
    assert_eq!(rec.calls_removed, 30);
    assert_eq!(rec.evidence.breakdown[0].name, "HTTP 503");
    assert!(kinds(&r).contains(&(format!("app:{APP}"), Kind::SingleRecordCrud)));
}

#[test]
fn a_request_limit_exceeded_storm_is_an_error_burst() {
    let calls: Vec<Call> = (0..40)
        .map(|i| Call {
            flags: flags::LIMIT_EXCEEDED,
            ..Call::rest(T0 + i * S, "GET", "/v60.0/query").status(403)
        })
        .collect();
    let rec = only(&run(calls), Kind::ErrorBurst).clone();
    assert_eq!(rec.evidence.facts["request_limit_exceeded"], 40);
    assert_eq!(rec.evidence.breakdown[0].name, "403 REQUEST_LIMIT_EXCEEDED");
    assert!(rec.action.contains("REQUEST_LIMIT_EXCEEDED"));
}

// ---- old_api_version ------------------------------------------------------------------------

#[test]
fn old_api_versions_below_the_floor_are_a_risk_not_a_saving() {
    let archiver = |t: i64, op: &str, v: &'static str| Call {
        app: "",
        user: "0055j00000ArChV",
        ..Call::soap(t, op, v)
    };
    let mut calls: Vec<Call> = (0..50)
        .map(|i| archiver(T0 + 2 * H + i * 2 * S, "query", "29.0"))
        .collect();
    calls.extend((0..20).map(|i| archiver(T0 + 3 * H + i * 2 * S, "retrieve", "30.0")));
    let current = irregular(19, T0, T0 + 5 * H, 2 * MIN, 20 * MIN);
    calls.extend(current.into_iter().map(|t| Call::rest(t, "GET", "/v31.0/query")));
    let r = run(calls.clone());
    assert_eq!(
        kinds(&r),
        vec![("user:0055j00000ArChV".into(), Kind::OldApiVersion)]
    );
    let rec = &r.items[0];
    assert_eq!(rec.calls_removed, 0);
    let versions: Vec<(&str, u64)> = rec
        .evidence
        .breakdown
        .iter()
        .map(|c| (c.name.as_str(), c.calls))
        .collect();
    assert_eq!(versions, vec![("v29.0", 50), ("v30.0", 20)]);
    let lower = Settings {
        min_api_version: 29.0,
    };
    assert_eq!(kinds(&run_with(calls, &lower)), vec![]);
}

#[test]
fn with_since_the_what_if_peaks_are_taken_over_instants_from_since_on() {
    // A busy sync on the first day, a lighter one on the third; --since the start of the third.
    let mut calls = Vec::new();
    for (day, n) in [(0, 900), (2, 300)] {
        for i in 0..n {
            let resource = format!("/v58.0/sobjects/Account/{}", record("001", i));
            calls.push(Call::rest(T0 + day * 24 * H + i as i64 * 200, "PATCH", &resource));
        }
    }
    let since = T0 + 48 * H;
    let all = only(&run(calls.clone()), Kind::SingleRecordCrud).clone();
    assert_eq!(peak_calls(all.org_peak_before), 900);
    let filter = Filter {
        since: Some(since),
        ..Filter::default()
    };
    let r = run_filtered(calls, &filter);
    let rec = only(&r, Kind::SingleRecordCrud);
    assert_eq!(peak_calls(rec.org_peak_before), 300);
    assert!(rec.org_peak_before.unwrap().at >= since);
    assert_eq!(peak_calls(rec.org_peak_after), 2, "300 records keep 2 calls");
    assert_eq!(rec.calls_saved_at_peak, 298);
}

#[test]
fn with_since_no_pattern_is_detected_in_the_warm_up_context() {
    // 900 single-record updates in the 24 hours before --since, only a few calls after it:
    // the updates count in the windows after --since, but they are context, not in range.
    let mut calls = Vec::new();
    for i in 0..900 {
        let resource = format!("/v58.0/sobjects/Account/{}", record("001", i));
        calls.push(Call::rest(T0 + 30 * H + i as i64 * 200, "PATCH", &resource));
    }
    for i in 0..3 {
        calls.push(Call::rest(T0 + 48 * H + i * 60_000, "GET", "/v58.0/limits"));
    }
    let filter = Filter {
        since: Some(T0 + 48 * H),
        ..Filter::default()
    };
    let r = run_filtered(calls, &filter);
    let found: Vec<Kind> = r.items.iter().map(|i| i.kind).collect();
    assert!(!found.contains(&Kind::SingleRecordCrud), "{found:?}");
}

// ---- the command line -----------------------------------------------------------------------

fn report_config(extra: &[&str]) -> Result<apiusage::config::ReportConfig, String> {
    use clap::Parser;
    let args = ["apiusage", "report", "logs"].iter().chain(extra);
    let cli = apiusage::cli::Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    let apiusage::cli::Command::Report(report) = cli.command else {
        panic!("a report command");
    };
    apiusage::config::ReportConfig::from_args(*report, chrono::Utc::now()).map_err(|e| e.to_string())
}

#[test]
fn the_api_version_floor_defaults_to_31_and_is_validated() {
    let default = report_config(&[]).unwrap();
    assert_eq!(default.recommend, Settings::default());
    assert_eq!(default.recommend.min_api_version, 31.0);
    let raised = report_config(&["--min-api-version", "45.0"]).unwrap();
    assert_eq!(raised.recommend.min_api_version, 45.0);
    let err = report_config(&["--min-api-version", "0"]).unwrap_err();
    assert!(err.contains("--min-api-version"), "{err}");
}

#[test]
fn the_report_carries_the_kinds_page_and_each_kinds_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, out) = (dir.path().join("logs"), dir.path().join("out"));
    let bin = assert_cmd::cargo::cargo_bin("apiusage");
    let sample = std::process::Command::new(&bin)
        .args(["sample", "--out"])
        .arg(&logs)
        .output()
        .unwrap();
    assert!(sample.status.success());
    let report = std::process::Command::new(&bin)
        .arg("report")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .args(["--generated-at", "2026-11-05T00:00:00Z", "--quiet"])
        .output()
        .unwrap();
    assert!(report.status.code().is_some_and(|c| c <= 1), "{report:?}");
    // The Markdown links `docs/recommendations.md#<kind>` resolve inside the report folder.
    let page = std::fs::read_to_string(out.join("docs/recommendations.md")).unwrap();
    assert_eq!(page, include_str!("../docs/recommendations.md"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("(docs/recommendations.md#polling)"));
    for kind in Kind::ALL {
        assert!(page.contains(&format!("\n## {}\n", kind.id())), "{}", kind.id());
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<details><summary>About Polling</summary><p><strong>What it detects.</strong>"));
    assert!(html.contains("Confidence: high."));
}
