//! The what-if properties and the bundled sample's planted patterns, end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use apiusage::allocation::AllocationInputs;
use apiusage::attribute::{attribute, IntegrationMap};
use apiusage::dedup;
use apiusage::recommend::whatif::{self, Stream};
use apiusage::recommend::{recommend, Kind, Settings};
use apiusage::{analysis, ingest, render, sample, usage, window};
use proptest::prelude::*;

use super::crafted::*;

// ---- the what-if ----------------------------------------------------------------------------

#[test]
fn every_pattern_of_one_integration_is_one_recommendation_and_all_apply_together() {
    let mut calls: Vec<Call> = (0..500)
        .map(|i| {
            Call::rest(
                T0 + i * 100,
                "PATCH",
                &format!("/v58.0/sobjects/Account/{}", record("001", 1)),
            )
        })
        .collect();
    calls.extend((0..200).map(|i| Call::rest(T0 + H + i * 5 * MIN, "GET", "/v60.0/limits")));
    calls.extend((0..200).map(|i| Call::rest(T0 + H + i * 5 * MIN + 30 * S, "GET", "/v58.0/query")));
    let r = run(calls);
    let mut got: Vec<Kind> = r.items.iter().map(|i| i.kind).collect();
    got.sort();
    assert_eq!(
        got,
        vec![Kind::SingleRecordCrud, Kind::Polling, Kind::RepeatedMetadata]
    );
    let all = &r.what_if[0];
    assert_eq!(all.recommendations, 3);
    let sum: u64 = r.items.iter().map(|i| i.calls_removed).sum();
    assert_eq!(
        all.calls_removed, sum,
        "classes are exclusive: no call removed twice"
    );
    assert!(
        peak_calls(all.peak_after)
            < r.items
                .iter()
                .map(|i| peak_calls(i.org_peak_after))
                .min()
                .unwrap()
    );
}

/// Calls from a compact description: (integration, pattern, gap in ms).
fn random_calls(spec: &[(u8, u8, u32)]) -> Vec<Call> {
    let apps = ["0H45j000000AaAa", "0H45j000000BbBb", "0H45j000000CcCc"];
    let mut t = T0;
    spec.iter()
        .enumerate()
        .map(|(i, &(who, pattern, gap))| {
            t += i64::from(gap);
            let call = match pattern {
                0 => Call::rest(
                    t,
                    "PATCH",
                    &format!("/v58.0/sobjects/Account/{}", record("001", i)),
                ),
                1 => Call::rest(t, "GET", "/v58.0/query"),
                2 => Call::rest(t, "GET", "/v60.0/limits"),
                3 => Call::soap(t, "login", "60.0"),
                _ => Call::rest(t, "POST", "/v58.0/sobjects/Order").status(503),
            };
            call.app(apps[usize::from(who) % 3])
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn removing_calls_never_raises_a_peak_and_removing_none_changes_nothing(
        mut ts in prop::collection::vec(prop_oneof![0i64..3 * 86_400_000, (0i64..72).prop_map(|h| h * 3_600_000)], 0..300),
        mask in prop::collection::vec(any::<bool>(), 300),
    ) {
        ts.sort_unstable();
        let removed: Vec<usize> = (0..ts.len()).filter(|&i| mask[i]).collect();
        let full = window::peak(&ts);
        prop_assert_eq!(whatif::peak_without(&ts, &[]), full);
        prop_assert!(peak_calls(whatif::peak_without(&ts, &removed)) <= peak_calls(full));
        // The sweep gives exactly the peak of the calls that remain.
        let kept: Vec<i64> = (0..ts.len()).filter(|&i| !mask[i]).map(|i| ts[i]).collect();
        prop_assert_eq!(whatif::peak_without(&ts, &removed), window::peak(&kept));
    }

    #[test]
    fn recommendations_start_from_the_reported_peaks_and_never_raise_them(
        spec in prop::collection::vec((0u8..3, 0u8..5, prop_oneof![0u32..3_000, 50_000u32..4_000_000]), 1..400),
    ) {
        let t = table(random_calls(&spec));
        let a = attribute(&t.calls, &IntegrationMap::default());
        let reported = usage::compute(&t.calls, &t.orgs, &a);
        let org = &reported[0];
        let stream = Stream { calls: &t.calls, range: t.orgs[0].1.clone(), attribution: &a };
        for u in &org.integrations {
            let i = a.integrations.iter().position(|x| x.key == u.key).unwrap();
            let unchanged = stream.after(Some(i), &[]);
            prop_assert_eq!(unchanged.org, org.peak);
            prop_assert_eq!(unchanged.integration, u.peak);
            prop_assert_eq!(unchanged.integration_before, u.peak);
        }
        let r = recommend(&t, &a, &usage::compute(&t.calls, &t.orgs, &a), &Settings::default());
        for rec in &r.items {
            let own = org.integrations.iter().find(|u| u.key == rec.integration).unwrap();
            prop_assert_eq!(rec.org_peak_before, org.peak);
            prop_assert_eq!(rec.integration_peak_before, own.peak);
            prop_assert!(peak_calls(rec.org_peak_after) <= peak_calls(org.peak));
            prop_assert!(peak_calls(rec.integration_peak_after) <= peak_calls(own.peak));
            prop_assert!(rec.calls_saved_at_peak <= rec.calls_removed);
        }
        prop_assert_eq!(r.what_if[0].peak_before, org.peak);
        prop_assert!(peak_calls(r.what_if[0].peak_after) <= peak_calls(org.peak));
    }
}

// ---- the bundled sample ---------------------------------------------------------------------

/// The sample, generated into a temporary folder and analysed like `apiusage report` does
/// (once: generating and reading it takes a few seconds in a debug build).
fn sample_analysis() -> &'static analysis::Analysis {
    static SAMPLE: OnceLock<analysis::Analysis> = OnceLock::new();
    SAMPLE.get_or_init(analyse_sample)
}

fn analyse_sample() -> analysis::Analysis {
    let dir = tempfile::tempdir().unwrap();
    sample::write_sample_logs(dir.path()).unwrap();
    let ingested = ingest::ingest(
        &[dir.path().to_path_buf()],
        &[],
        &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
    )
    .unwrap();
    let table = dedup::reconcile(ingested);
    let profile: PathBuf = dir.path().join("org_profile.toml");
    let allocation = AllocationInputs::load(&[], &[], &[profile]).unwrap();
    analyse_with_recommendations(&table, &allocation, "2026-11-05T00:00:00Z".parse().unwrap())
}

#[test]
fn every_planted_pattern_gets_its_recommendation_and_well_behaved_integrations_none() {
    let a = sample_analysis();
    let got: BTreeMap<String, Vec<&str>> = a.recommendations.iter().fold(BTreeMap::new(), |mut m, r| {
        m.entry(r.label.clone())
            .or_insert_with(Vec::new)
            .push(r.kind.id());
        m
    });
    let mut want: BTreeMap<String, Vec<&str>> = [
        ("NetLedger ERP Sync", "single_record_crud"),
        ("ShipStream Order Poller", "polling"),
        ("FieldPro Mobile Gateway", "token_churn"),
        ("client CPQBridge/2.3", "token_churn"),
        ("LeadFlow Sync", "composite_batch"),
        ("Initech Reporting Hub", "repeated_metadata"),
        ("user archiver@initech.example", "old_api_version"),
        ("Initech Billing Sync", "error_burst"),
        // Carries more than a quarter of a near-limit org's peak and fits no pattern: the
        // report says what it does instead of staying silent.
        ("CampaignPulse for Salesforce", "no_known_pattern"),
        // Data Loader exports read by `queryMore`, page after page: a Bulk API 2.0 query.
        ("Dataloader Partner", "pagination"),
    ]
    .into_iter()
    .map(|(label, kind)| (label.to_string(), vec![kind]))
    .collect();
    // The archiver's nightly v29.0 `queryMore` runs are also pagination loops.
    want.get_mut("user archiver@initech.example")
        .unwrap()
        .insert(0, "pagination");
    assert_eq!(
        got, want,
        "the bulk loader, the composite user and the rest must get no pattern"
    );
    let erp = &a.recommendations[0];
    assert_eq!(erp.label, "NetLedger ERP Sync", "the biggest saving ranks first");
    let after = erp.integration_peak_after.as_ref().unwrap();
    assert!(
        after.share_of_allocation.unwrap() < 0.5,
        "no longer chatty after batching"
    );
}

#[test]
fn the_sample_recommendations_panel_and_csv() {
    let a = sample_analysis();
    let md = String::from_utf8(render::markdown::render(a)).unwrap();
    let start = md.find("## Recommendations").unwrap();
    let end = md.find("## Data quality").unwrap();
    insta::assert_snapshot!("sample_recommendations_panel", &md[start..end]);
    let csv = String::from_utf8(render::csv::recommendations(a)).unwrap();
    assert_eq!(csv.lines().count(), a.recommendations.len() + 1);
    assert!(csv.starts_with("rank,org_id,integration,label,kind,calls_saved_at_peak,"));
    let json: serde_json::Value = serde_json::from_slice(&render::json::render(a)).unwrap();
    let first = &json["recommendations"][0];
    for field in [
        "integration",
        "kind",
        "calls_saved_at_peak",
        "org_peak_after",
        "integration_peak_after",
        "evidence",
    ] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
}
