//! Allocation stage: every source, their precedence, and the errors users will hit, against
//! small fixture files in tests/fixtures/allocation/ (shapes modelled on real `/limits` and
//! `sf org list limits --json` output).

use std::path::{Path, PathBuf};

use apiusage::allocation::{
    parse_limits_json, Allocation, AllocationError, AllocationInputs, AllocationSource, AppQuota,
    LimitsFormat,
};

/// Org ids used by the fixtures (15-character form).
const ACME: &str = "00D5j000000AAAA"; // enterprise, 15 Salesforce → 115,000
const ACME_EU: &str = "00D5j000000BBBB"; // unlimited, 10 Salesforce + 2 Partner Community
const CONTRACT: &str = "00D5j000000CCCC"; // explicit allocation = 250,000
const UNLISTED: &str = "00D5j000000ZZZZ";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/allocation")
        .join(name)
}

fn fixture_str(name: &str) -> String {
    fixture(name).display().to_string()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn load(allocation: &[&str], limits: &[&str], profiles: &[&str]) -> AllocationInputs {
    try_load(allocation, limits, profiles).unwrap_or_else(|e| panic!("load failed: {e}"))
}

fn try_load(
    allocation: &[&str],
    limits: &[&str],
    profiles: &[&str],
) -> Result<AllocationInputs, AllocationError> {
    let profiles: Vec<PathBuf> = profiles.iter().map(|p| fixture(p)).collect();
    AllocationInputs::load(&strings(allocation), &strings(limits), &profiles)
}

fn load_err(allocation: &[&str], limits: &[&str], profiles: &[&str]) -> String {
    match try_load(allocation, limits, profiles) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn calls_and_source(a: &Allocation) -> (Option<u64>, AllocationSource) {
    (a.calls, a.source)
}

// ---- each source -------------------------------------------------------------------------

#[test]
fn global_flag_applies_to_every_org() {
    let inputs = load(&["200_000"], &[], &[]);
    let a = inputs.resolve(UNLISTED);
    assert_eq!(calls_and_source(&a), (Some(200_000), AllocationSource::Flag));
    assert_eq!(a.detail, "--allocation 200,000 (all orgs)");
    assert_eq!((a.remaining, a.app_quotas.len()), (None, 0));
}

#[test]
fn per_org_flag_with_18_char_id_matches_15_char_lookup() {
    let inputs = load(&["00D5j000000AAAAEAA=30000"], &[], &[]);
    let a = inputs.resolve(ACME);
    assert_eq!(calls_and_source(&a), (Some(30_000), AllocationSource::Flag));
    assert_eq!(a.detail, "--allocation 00D5j000000AAAA=30,000");
    assert_eq!(inputs.resolve("00D5j000000AAAAEAA").calls, Some(30_000));
    assert_eq!(inputs.resolve(UNLISTED).source, AllocationSource::Unknown);
}

#[test]
fn rest_limits_gives_max_remaining_and_app_quotas() {
    let path = fixture_str("limits_rest.json");
    let a = load(&[], &[&path], &[]).resolve(UNLISTED);
    assert_eq!(calls_and_source(&a), (Some(25_000), AllocationSource::Limits));
    assert_eq!(a.remaining, Some(24_926));
    assert_eq!(a.used_at_fetch(), Some(74));
    assert_eq!(
        a.detail,
        format!("DailyApiRequests.Max = 25,000 in {path} (24,926 remaining)")
    );
}

#[test]
fn nested_per_app_quotas_are_not_the_limit() {
    let a = load(&[], &[&fixture_str("limits_rest.json")], &[]).resolve(ACME);
    // "Nightly ETL" has Max 900,000: bigger than the org's, and still only an app quota.
    assert_eq!(a.calls, Some(25_000));
    assert_eq!(
        a.app_quotas,
        vec![
            AppQuota {
                name: "Nightly ETL".into(),
                max: Some(900_000),
                remaining: Some(899_000)
            },
            AppQuota {
                name: "Workbench".into(),
                max: Some(0),
                remaining: Some(0)
            },
        ]
    );
}

#[test]
fn numeric_strings_are_accepted() {
    let path = fixture("limits_rest_strings.json");
    let doc = parse_limits_json(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    assert_eq!((doc.max, doc.remaining), (5_000, Some(4_980)));
    assert_eq!(doc.format, LimitsFormat::Rest);
    assert!(doc.app_quotas.is_empty());
}

#[test]
fn sf_cli_output_with_envelope() {
    let path = fixture_str("limits_sf_cli.json");
    let a = load(&[], &[&path], &[]).resolve(UNLISTED);
    assert_eq!(calls_and_source(&a), (Some(15_000), AllocationSource::Limits));
    assert_eq!(a.remaining, Some(14_990));
    assert_eq!(
        a.detail,
        format!("DailyApiRequests max = 15,000 in {path} from `sf org list limits` (14,990 remaining)")
    );
}

#[test]
fn sf_cli_bare_array() {
    let path = fixture("limits_sf_cli_bare.json");
    let doc = parse_limits_json(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    assert_eq!((doc.max, doc.remaining), (1_015_000, Some(1_000_000)));
    assert_eq!(doc.format, LimitsFormat::SfCli);
}

#[test]
fn per_org_limits_file_only_applies_to_that_org() {
    let per_org = format!("{ACME_EU}={}", fixture_str("limits_sf_cli.json"));
    let inputs = load(&[], &[&per_org], &[]);
    assert_eq!(inputs.resolve(ACME_EU).calls, Some(15_000));
    assert_eq!(inputs.resolve(ACME).source, AllocationSource::Unknown);
}

#[test]
fn profile_with_two_orgs_computes_each() {
    let path = fixture_str("profile_two_orgs.toml");
    let inputs = load(&[], &[], &["profile_two_orgs.toml"]);

    let acme = inputs.resolve(ACME);
    assert_eq!(
        calls_and_source(&acme),
        (Some(115_000), AllocationSource::Profile)
    );
    assert_eq!(
        acme.detail,
        format!("Enterprise edition: 100,000 + 15 Salesforce × 1,000 = 115,000 ({path})")
    );
    let eu = inputs.resolve(ACME_EU);
    assert_eq!(calls_and_source(&eu), (Some(150_400), AllocationSource::Profile));
    assert_eq!(
        eu.detail,
        format!(
            "Unlimited edition: 100,000 + 10 Salesforce × 5,000 + 2 Partner Community × 200 \
             = 150,400 ({path})"
        )
    );
    assert_eq!(inputs.org_name(ACME), Some("Acme Production"));
    assert_eq!(inputs.org_name("00D5j000000BBBBxyz"), Some("Acme EU"));
    assert_eq!(inputs.org_name(UNLISTED), None);
    assert_eq!(inputs.named_orgs().len(), 2);
}

#[test]
fn profile_flat_editions_and_professional() {
    let inputs = load(&[], &[], &["profile_flat_editions.toml"]);
    assert_eq!(inputs.resolve("00D5j000000DDDD").calls, Some(15_000));
    assert_eq!(inputs.resolve("00D5j000000EEEE").calls, Some(5_000_000));
    // 100,000 + 20 × 1,000 + 100 × 10 + 10,000 add-ons
    assert_eq!(inputs.resolve("00D5j000000FFFF").calls, Some(131_000));
}

#[test]
fn profile_explicit_allocation() {
    let a = load(&[], &[], &["profile_explicit.toml"]).resolve(CONTRACT);
    assert_eq!(calls_and_source(&a), (Some(250_000), AllocationSource::Profile));
    let path = fixture_str("profile_explicit.toml");
    assert_eq!(
        a.detail,
        format!(
            "allocation = 250,000 for Acme Contract in {path}; overrides Enterprise edition: \
             100,000 + 5 Salesforce × 1,000 = 105,000 ({path})"
        )
    );
}

#[test]
fn nothing_given_is_unknown() {
    let a = load(&[], &[], &[]).resolve(UNLISTED);
    assert_eq!(calls_and_source(&a), (None, AllocationSource::Unknown));
    assert_eq!(
        a.detail,
        "unknown: pass --allocation N, --limits FILE or --profile FILE"
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["source"], "unknown");
    assert_eq!(json["calls"], serde_json::Value::Null);
}

// ---- precedence: flag > profile explicit > limits > profile computed > unknown ------------

#[test]
fn precedence_chain() {
    let limits = fixture_str("limits_rest.json");
    let profiles = ["profile_two_orgs.toml", "profile_explicit.toml"];

    // Profile computed only.
    let inputs = load(&[], &[], &profiles);
    assert_eq!(inputs.resolve(ACME).calls, Some(115_000));

    // Limits beat the computed profile value, and say what they override.
    let inputs = load(&[], &[&limits], &profiles);
    let a = inputs.resolve(ACME);
    assert_eq!(calls_and_source(&a), (Some(25_000), AllocationSource::Limits));
    let computed = format!(
        "; overrides Enterprise edition: 100,000 + 15 Salesforce × 1,000 = 115,000 ({})",
        fixture_str("profile_two_orgs.toml")
    );
    assert_eq!(
        a.detail,
        format!("DailyApiRequests.Max = 25,000 in {limits} (24,926 remaining){computed}")
    );

    // An explicit profile allocation beats limits.
    let a = inputs.resolve(CONTRACT);
    assert_eq!(calls_and_source(&a), (Some(250_000), AllocationSource::Profile));
    assert!(
        a.detail.contains("overrides DailyApiRequests.Max = 25,000"),
        "{}",
        a.detail
    );
    assert_eq!(a.remaining, None, "remaining belongs to the limits source only");

    // A global flag beats everything in files.
    let inputs = load(&["300000"], &[&limits], &profiles);
    for org in [ACME, CONTRACT, UNLISTED] {
        assert_eq!(
            calls_and_source(&inputs.resolve(org)),
            (Some(300_000), AllocationSource::Flag)
        );
    }

    // A per-org flag beats the global flag.
    let per_org = format!("{CONTRACT}=400000");
    let inputs = load(&["300000", &per_org], &[&limits], &profiles);
    assert_eq!(inputs.resolve(CONTRACT).calls, Some(400_000));
    assert_eq!(inputs.resolve(ACME).calls, Some(300_000));
}

#[test]
fn per_org_limits_beat_global_limits() {
    let global = fixture_str("limits_rest.json");
    let per_org = format!("{ACME}={}", fixture_str("limits_sf_cli.json"));
    let inputs = load(&[], &[&global, &per_org], &[]);
    assert_eq!(inputs.resolve(ACME).calls, Some(15_000));
    assert_eq!(inputs.resolve(ACME_EU).calls, Some(25_000));
}

#[test]
fn agreeing_sources_do_not_mention_overrides() {
    let inputs = load(&["115000"], &[], &["profile_two_orgs.toml"]);
    assert_eq!(inputs.resolve(ACME).detail, "--allocation 115,000 (all orgs)");
}

// ---- errors ------------------------------------------------------------------------------

#[test]
fn rest_limits_without_daily_api_requests_names_the_file() {
    let path = fixture_str("limits_without_daily.json");
    let e = load_err(&[], &[&path], &[]);
    assert_eq!(
        e,
        format!(
            "{path}: no DailyApiRequests limit, so it gives no API allocation (it has: \
             ActiveScratchOrgs, ConcurrentAsyncGetReportInstances, DailyBulkApiBatches); save \
             the full GET /services/data/vXX.X/limits response or `sf org list limits --json` \
             output, or pass --allocation N"
        )
    );
}

#[test]
fn sf_cli_without_daily_api_requests_names_the_file() {
    let path = fixture_str("limits_sf_cli_without_daily.json");
    let e = load_err(&[], &[&path], &[]);
    assert!(
        e.starts_with(&format!("{path}: no DailyApiRequests limit")),
        "{e}"
    );
    assert!(e.contains("(it has: BOZosCalloutHourlyLimit)"), "{e}");
}

#[test]
fn malformed_json_names_the_file_and_position() {
    let path = fixture_str("limits_malformed.json");
    let text = std::fs::read_to_string(fixture("limits_malformed.json")).unwrap();
    match parse_limits_json(&text, Path::new(&path)) {
        Err(AllocationError::InvalidJson { line, column, .. }) => {
            assert_eq!((line, column), (5, 3))
        }
        other => panic!("expected InvalidJson, got {other:?}"),
    }
    let e = load_err(&[], &[&path], &[]);
    assert_eq!(
        e,
        format!(
            "{path}: not valid JSON (trailing comma at line 5 column 3); expected the body of \
             GET /services/data/vXX.X/limits or the output of `sf org list limits --json`"
        )
    );
}

#[test]
fn missing_limits_file_names_the_file() {
    let path = fixture_str("no_such_limits.json");
    let e = load_err(&[], &[&path], &[]);
    assert!(e.starts_with(&format!("cannot read limits file {path}: ")), "{e}");
}

#[test]
fn unknown_licence_lists_accepted_names_with_line() {
    let e = load_err(&[], &[], &["profile_unknown_licence.toml"]);
    assert!(
        e.contains("profile_unknown_licence.toml: invalid org profile"),
        "{e}"
    );
    assert!(e.contains("line 6"), "{e}");
    assert!(
        e.contains(
            "unknown licence type `salesforce_plattform`; accepted: salesforce, \
             salesforce_platform, lightning_platform_one_app, customer_community, \
             customer_community_login, customer_community_plus, customer_community_plus_login, \
             external_identity_25000, external_identity_250000, external_identity_1000000, \
             partner_community, partner_community_login, lightning_platform_starter, \
             lightning_platform_plus"
        ),
        "{e}"
    );
}

#[test]
fn unknown_edition_lists_accepted_names_with_line() {
    let e = load_err(&[], &[], &["profile_unknown_edition.toml"]);
    assert!(e.contains("line 3"), "{e}");
    assert!(
        e.contains(
            "unknown edition `enterprize`; accepted: developer, enterprise, professional, \
             unlimited, performance, full_sandbox"
        ),
        "{e}"
    );
}

#[test]
fn unknown_profile_field_fails_with_its_line() {
    let e = load_err(&[], &[], &["profile_unknown_field.toml"]);
    assert!(e.contains("line 4"), "{e}");
    assert!(e.contains("unknown field `allocaton`"), "{e}");
}

#[test]
fn same_org_in_two_profiles_is_a_conflict() {
    let copy = tempfile::tempdir().unwrap();
    let second = copy.path().join("again.toml");
    std::fs::copy(fixture("profile_explicit.toml"), &second).unwrap();
    let profiles = vec![fixture("profile_explicit.toml"), second.clone()];
    let e = AllocationInputs::load(&[], &[], &profiles)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "org {CONTRACT} is in the profiles twice ({} line 3 and {} line 3); keep one entry",
            fixture_str("profile_explicit.toml"),
            second.display()
        )
    );
    // The same path twice is not a conflict.
    let same = vec![fixture("profile_explicit.toml"), fixture("profile_explicit.toml")];
    assert!(AllocationInputs::load(&[], &[], &same).is_ok());
}

#[test]
fn all_errors_are_collected() {
    let e = try_load(
        &["lots"],
        &[
            &fixture_str("limits_malformed.json"),
            &format!("{ACME}={}", fixture_str("limits_without_daily.json")),
        ],
        &["profile_unknown_edition.toml"],
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("4 problems with the allocation inputs:\n  - "),
        "{text}"
    );
    assert_eq!(e.into_list().len(), 4);
    assert!(
        text.contains("--allocation \"lots\": expected N or ORGID=N"),
        "{text}"
    );
    assert!(text.contains("limits_malformed.json: not valid JSON"), "{text}");
    assert!(
        text.contains("limits_without_daily.json: no DailyApiRequests"),
        "{text}"
    );
    assert!(text.contains("unknown edition `enterprize`"), "{text}");
}
