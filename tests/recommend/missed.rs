//! The cases the detectors used to miss, built like the held-out orgs that showed them (not
//! tuned to one detector's thresholds), and the look-alikes that must stay clean.

use apiusage::allocation::AllocationInputs;
use apiusage::attribute::{attribute, IntegrationMap};
use apiusage::recommend::{Confidence, Kind, Recommendations};
use apiusage::{analysis, usage};

use super::crafted::*;

const POLLER: &str = "0H45j000000PoLLa";
const DAYS: i64 = 3;

/// A poller the way a connected app runs one: a timer every `period_ms` around the clock for
/// three days, each beat ±250 ms off its slot; of the slots, `skip` in 100 never reach the logs
/// (the app was restarting), `uncounted` in 100 are logged with COUNTS_AGAINST_API_LIMIT false
/// and `failed` in 100 fail with 503. Every beat asks for what changed since its own time, so
/// the query string differs on every call. Returns the calls and how many are counted
/// successes (what the change would save).
fn poller(seed: u64, period_ms: i64, skip: i64, uncounted: i64, failed: i64) -> (Vec<Call>, u64) {
    let mut rng = Lcg(seed);
    let slots = DAYS * 24 * H / period_ms;
    let mut calls = Vec::new();
    let mut saved = 0;
    for k in 0..slots {
        let draw = rng.between(0, 99);
        let t = T0 + k * period_ms + rng.between(-250, 250);
        if draw < skip {
            continue;
        }
        let since = chrono::DateTime::from_timestamp_millis(t - period_ms).unwrap();
        let q = format!(
            "/v58.0/query?q=SELECT+Id,Status+FROM+Order+WHERE+LastModifiedDate+%3E+{}",
            since.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
        let mut call = Call::rest(t, "GET", &q).app(POLLER);
        if draw < skip + uncounted {
            call.counts = false;
        } else if draw < skip + uncounted + failed {
            call.status = 503;
        } else {
            saved += 1;
        }
        calls.push(call);
    }
    (calls, saved)
}

/// People of the org: a few users working in bursts in office hours, through the UI's API.
fn people(seed: u64) -> Vec<Call> {
    let mut rng = Lcg(seed);
    let users = [
        "0055j00000PeOp1",
        "0055j00000PeOp2",
        "0055j00000PeOp3",
        "0055j00000PeOp4",
    ];
    let mut calls = Vec::new();
    for day in 0..DAYS {
        for user in users {
            let mut t = T0 + day * 24 * H + 8 * H + rng.between(0, H);
            while t < T0 + day * 24 * H + 18 * H {
                for _ in 0..rng.between(3, 30) {
                    let record = record("001", rng.between(0, 9_999) as usize);
                    let resource = match rng.between(0, 2) {
                        0 => format!("/v62.0/sobjects/Account/{record}"),
                        1 => {
                            "/v62.0/query?q=SELECT+Id,Name+FROM+Account+WHERE+Name+LIKE+'Acme%25'".to_string()
                        }
                        _ => format!("/v62.0/ui-api/records/{record}"),
                    };
                    calls.push(Call {
                        app: "",
                        user,
                        ..Call::rest(t, "GET", &resource)
                    });
                    t += rng.between(400, 6_000);
                }
                t += rng.between(5 * MIN, 70 * MIN);
            }
        }
    }
    calls
}

fn analyse(calls: Vec<Call>, allocation: u64) -> analysis::Analysis {
    let inputs = AllocationInputs::load(&[allocation.to_string()], &[], &[]).unwrap();
    analyse_with_recommendations(&table(calls), &inputs, "2026-11-06T00:00:00Z".parse().unwrap())
}

fn of<'a>(r: &'a Recommendations, integration: &str, kind: Kind) -> &'a apiusage::recommend::Recommendation {
    let found: Vec<_> = r
        .items
        .iter()
        .filter(|i| i.integration == integration && i.kind == kind)
        .collect();
    assert_eq!(found.len(), 1, "{integration} {kind:?} in {:?}", kinds(r));
    found[0]
}

#[test]
fn the_heaviest_poller_of_an_over_limit_org_gets_the_polling_recommendation() {
    let (mut calls, saved) = poller(41, 6_800, 3, 2, 1);
    calls.extend(people(7));
    let r = run(calls.clone());
    let rec = of(&r, &format!("app:{POLLER}"), Kind::Polling);
    assert_eq!(rec.calls_removed, saved, "every counted, successful beat");
    let f = &rec.evidence.facts;
    assert!((6_750..=6_850).contains(&f["interval_ms"]), "{f:?}");
    assert!(f["jitter_ms"] <= 300, "{f:?}");
    assert!((94..=99).contains(&f["beats_present_percent"]), "{f:?}");
    assert_eq!(f["runs"], 1, "missing beats do not break the run");
    assert!(
        rec.evidence.summary.contains("every 6.8 s"),
        "{}",
        rec.evidence.summary
    );
    assert_eq!(
        rec.evidence.examples,
        vec!["/v58.0/query?q=SELECT Id,Status FROM Order WHERE LastModifiedDate > ?"]
    );
    assert_eq!(rec.confidence, Confidence::High);
    assert!(rec.action.contains("own allocation") && rec.action.contains("5 entities"));
    assert!(
        kinds(&r).iter().all(|(who, _)| who == &format!("app:{POLLER}")),
        "{:?}",
        kinds(&r)
    );

    // The same org seen by the report, with an irregular ETL on top: the poller alone is 67 %
    // of an allocation the org exceeds.
    let etl = irregular(9, T0, T0 + DAYS * 24 * H, 2 * S, 18 * S);
    calls.extend(
        etl.into_iter()
            .map(|t| Call::rest(t, "PATCH", "/v60.0/composite/sobjects").app("0H45j000000EtLl")),
    );
    let t = table(calls.clone());
    let reported = usage::compute(
        &t.calls,
        &t.orgs,
        &attribute(&t.calls, &IntegrationMap::default()),
    );
    let own = reported[0]
        .integrations
        .iter()
        .find(|u| u.key == format!("app:{POLLER}"))
        .unwrap();
    let allocation = own.peak.unwrap().calls * 100 / 67;
    assert!(reported[0].peak.unwrap().calls > allocation, "over limit");
    let a = analyse(calls, allocation);
    let answers: Vec<_> = a
        .recommendations
        .iter()
        .filter(|v| v.integration == format!("app:{POLLER}"))
        .collect();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].kind, Kind::Polling);
    assert!(answers[0].calls_saved_at_peak * 100 >= own.peak.unwrap().calls * 95);
}

#[test]
fn sub_second_and_hourly_polls_are_found_and_two_polls_of_one_endpoint_stay_apart() {
    let mut rng = Lcg(5);
    let mut calls = Vec::new();
    // 400 ms for two hours, ±20 ms.
    for k in 0..18_000 {
        calls.push(Call::rest(
            T0 + k * 400 + rng.between(-10, 10),
            "GET",
            "/v60.0/sobjects/Order/updated?start=x&end=y",
        ));
    }
    // Hourly for two days, ±30 s, on one endpoint with two different queries.
    for k in 0..48 {
        let t = T0 + k * H + rng.between(-30 * S, 30 * S);
        calls.push(Call::rest(
            t,
            "GET",
            "/v60.0/query?q=SELECT+Id+FROM+Case+WHERE+Status+=+'New'",
        ));
        calls.push(Call::rest(
            t + 7 * MIN,
            "GET",
            "/v60.0/query?q=SELECT+Id+FROM+Lead+WHERE+CreatedDate+=+TODAY",
        ));
    }
    let r = run(calls);
    let rec = only(&r, Kind::Polling);
    assert_eq!(rec.calls_removed, 18_000 + 96);
    assert_eq!(rec.evidence.facts["resources"], 3, "{:?}", rec.evidence.breakdown);
    assert!(rec.evidence.facts["interval_ms"].abs_diff(400) <= 2);
    let names: Vec<&str> = rec.evidence.breakdown.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("FROM Case") && (n.contains("every 60 min") || n.contains("every 1 h"))),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.contains("FROM Lead") && (n.contains("every 60 min") || n.contains("every 1 h"))),
        "{names:?}"
    );
}

#[test]
fn token_rows_in_api_total_usage_one_per_call_and_not_counted_are_churn_without_a_counted_saving() {
    let mut rng = Lcg(11);
    let mut calls = Vec::new();
    let mut t = T0 + 6 * H;
    let mut tokens = Vec::new();
    while t < T0 + 16 * H {
        let token = Call {
            counts: false,
            ..Call::rest(t - rng.between(150, 900), "POST", "/services/oauth2/token").app(POLLER)
        };
        tokens.push(token.ts);
        calls.push(token);
        calls.push(Call::rest(t, "GET", "/v60.0/query?q=SELECT+Id+FROM+WorkOrder").app(POLLER));
        t += rng.between(20 * S, 100 * S);
    }
    let n = tokens.len() as u64;
    // The documented model: one token kept per two-hour session.
    let mut kept = 0;
    let mut last: Option<i64> = None;
    for &ts in &tokens {
        if last.is_none_or(|l| ts - l >= 2 * H) {
            kept += 1;
            last = Some(ts);
        }
    }
    let r = run(calls.clone());
    let rec = of(&r, &format!("app:{POLLER}"), Kind::TokenChurn);
    assert_eq!(rec.evidence.facts["login_requests"], n);
    // The same requests also logged as Login events are one request each, not two.
    calls.extend(tokens.iter().map(|&ts| Call::token(ts)));
    let both = run(calls);
    let again = of(&both, &format!("app:{POLLER}"), Kind::TokenChurn);
    assert_eq!(again.evidence.facts["login_requests"], n);
    assert_eq!(rec.evidence.facts["avoidable_logins"], n - kept);
    assert_eq!(rec.evidence.facts["counted_logins"], 0);
    assert_eq!((rec.calls_removed, rec.calls_saved_at_peak), (0, 0));
    assert_eq!(rec.org_peak_after, rec.org_peak_before);
    assert!(
        rec.action.contains("saves no counted calls") && rec.action.contains("login rate"),
        "{}",
        rec.action
    );
    assert!(
        rec.evidence.summary.contains("None of them counted"),
        "{}",
        rec.evidence.summary
    );
}

#[test]
fn counted_token_rows_are_saved_like_soap_logins() {
    let mut calls = Vec::new();
    for i in 0..200 {
        let t = T0 + i * 90 * S;
        calls.push(Call::rest(t - 400, "POST", "/services/oauth2/token"));
        calls.push(Call::rest(t, "GET", "/v60.0/limits/recordCount"));
    }
    let r = run(calls);
    let rec = only(&r, Kind::TokenChurn);
    // 300 minutes: kept at 0, 120 and 240 minutes.
    assert_eq!(rec.calls_removed, 197);
    assert!(!rec.action.contains("saves no counted calls"));
}

#[test]
fn a_heavy_integration_without_a_known_pattern_gets_an_answer_that_says_what_it_does() {
    let mut rng = Lcg(23);
    let flows = "0H45j000000FlOws";
    let mut calls = people(3);
    let mut t = T0;
    while t < T0 + DAYS * 24 * H {
        let resource = match rng.between(0, 9) {
            0..=5 => "/v60.0/actions/custom/flow/Score_Lead",
            6..=8 => "/v60.0/connect/communities",
            _ => "/v60.0/search?q=FIND+%7BAcme%7D",
        };
        calls.push(Call::rest(t, "POST", resource).app(flows));
        t += rng.between(200, 30 * S);
    }
    let a = analyse(calls, 10_000);
    let answers: Vec<_> = a
        .recommendations
        .iter()
        .filter(|v| v.integration == format!("app:{flows}"))
        .collect();
    assert_eq!(
        answers.len(),
        1,
        "{:?}",
        a.recommendations
            .iter()
            .map(|v| (&v.integration, v.kind))
            .collect::<Vec<_>>()
    );
    let v = answers[0];
    assert_eq!(v.kind, Kind::NoKnownPattern);
    assert_eq!(v.calls_saved_at_peak, 0);
    assert!(
        v.evidence
            .summary
            .contains("POST /v60.0/actions/custom/flow/Score_Lead ("),
        "{}",
        v.evidence.summary
    );
    assert!(
        v.evidence.summary.contains("of the 24 hours"),
        "{}",
        v.evidence.summary
    );
    assert_eq!(v.evidence.facts["active_hours"], 24);
    // The people are not chatty and carry little of the peak: no answer needed for them.
    assert!(a
        .recommendations
        .iter()
        .all(|v| v.integration == format!("app:{flows}")));
}

// ---- look-alikes ----------------------------------------------------------------------------

#[test]
fn people_nightly_jobs_and_bulk_job_polling_get_nothing_and_a_heartbeat_is_metadata_polling() {
    let mut rng = Lcg(31);
    let mut calls = people(19);
    // A nightly export at 01:00 (± 10 min): a query and 2,000-row pages back to back.
    let nightly = "0H45j000000NiGht";
    for day in 0..DAYS {
        let mut t = T0 + day * 24 * H + H + rng.between(-10 * MIN, 10 * MIN);
        calls.push(Call::rest(t, "GET", "/v60.0/query?q=SELECT+Id+FROM+Contact").app(nightly));
        for page in 1..150 {
            t += rng.between(300, 2_500);
            let locator = format!("/v60.0/query/01gD0000002HU6KIAW-{}", page * 2_000);
            calls.push(Call::rest(t, "GET", &locator).app(nightly));
        }
        for _ in 0..60 {
            t += rng.between(S, 4 * S);
            calls.push(Call::rest(t, "PATCH", "/v60.0/composite/sobjects").app(nightly));
        }
    }
    // A Bulk API 2.0 loader checking its job every 10 s for an hour and a half, twice a day.
    let loader = "0H45j000000BuLkk";
    for run in 0..(2 * DAYS) {
        let start = T0 + run * 12 * H + 3 * H;
        let job = format!("/v60.0/jobs/ingest/7505j000000Ab{run:02}AAA");
        calls.push(Call::rest(start, "POST", "/v60.0/jobs/ingest").app(loader));
        calls.extend(
            (1..540)
                .map(|i| Call::rest(start + i * 10 * S + rng.between(-300, 300), "GET", &job).app(loader)),
        );
    }
    // A monitoring heartbeat reading /limits every minute: metadata polling, to be cached.
    let monitor = "0H45j000000MoNit";
    calls.extend(
        (0..DAYS * 24 * 60)
            .map(|m| Call::rest(T0 + m * MIN + rng.between(0, 900), "GET", "/v60.0/limits").app(monitor)),
    );
    // The Versions resource, which does not count, polled every 30 s.
    calls.extend((0..DAYS * 24 * 120).map(|k| Call {
        counts: false,
        ..Call::rest(T0 + k * 30 * S, "GET", "/v60.0/").app(monitor)
    }));
    let r = run(calls);
    // The nightly export is no poll and no single-record job; reading 300,000 rows by pages,
    // it is a Bulk API 2.0 query candidate.
    let mut got = kinds(&r);
    got.sort();
    let mut want = vec![
        (format!("app:{monitor}"), Kind::RepeatedMetadata),
        (format!("app:{nightly}"), Kind::Pagination),
    ];
    want.sort();
    assert_eq!(got, want);
    let pages = r.items.iter().find(|i| i.kind == Kind::Pagination).unwrap();
    assert_eq!(pages.evidence.facts["runs"], DAYS as u64);
    assert_eq!(pages.evidence.facts["bulk_runs"], DAYS as u64);
    // 149 pages a night: kept 2 + one per 25 pages (positions 0, 1, 25, 50, 75, 100, 125).
    assert_eq!(pages.calls_removed, DAYS as u64 * (149 - 7));
    assert!(pages.action.contains("Bulk API 2.0 query job"));
}

#[test]
fn soap_single_record_writes_on_days_with_api_total_usage_take_rows_processed_from_the_soap_log() {
    use apiusage::model::{flags, EventType};
    let mut calls = Vec::new();
    for run in 0..4 {
        for i in 0..300 {
            let t = T0 + run * 20 * MIN + i * 150;
            calls.push(Call::soap(t, "update", "58.0"));
            // The same request in the SOAP API log, superseded by ApiTotalUsage but knowing
            // how many records it carried.
            calls.push(Call {
                event: EventType::Api,
                family: "",
                app: "",
                method: "update",
                entity: "Account",
                rows: 1,
                counts: false,
                flags: flags::SUPERSEDED,
                ..Call::rest(t + 40, "", "/services/Soap/u/58.0/00D5j000000VI3n")
            });
        }
    }
    let r = run(calls.clone());
    let rec = only(&r, Kind::SingleRecordCrud);
    assert_eq!(rec.integration, format!("app:{APP}"));
    assert_eq!(rec.calls_removed, 4 * (300 - 2));
    // Without the SOAP API log the row count is unknown, and a SOAP write may carry 200 records.
    let api_total_usage_only: Vec<Call> = calls
        .into_iter()
        .filter(|c| c.event == EventType::ApiTotalUsage)
        .collect();
    assert!(run(api_total_usage_only)
        .items
        .iter()
        .all(|i| i.kind != Kind::SingleRecordCrud));
}
