//! Capacity planning: the forecast on synthetic daily series with known answers (exact dates,
//! one outlier day, flat, decreasing, too short, unknown allocation, too far ahead), growth per
//! integration, the weekday/weekend pattern, and the capacity plan in `summary.json`/`report.md`.

mod common;

use apiusage::capacity::{self, date, IntegrationDaily, OrgCapacity, OrgDaily, ReachStatus};
use apiusage::window::{DayPeak, Peak, WINDOW_MS};
use common::*;

/// Monday 2026-11-02 as a UTC day index.
const MON: i64 = 20_759;

fn day(d: i64, peak: u64) -> DayPeak {
    let at = d * WINDOW_MS + WINDOW_MS / 2;
    DayPeak {
        day: d,
        calls: peak,
        peak: (peak > 0).then_some(Peak {
            calls: peak,
            at,
            window_start: at - WINDOW_MS,
        }),
    }
}

fn org(peaks: &[u64]) -> OrgDaily {
    OrgDaily {
        org_id: ORG.into(),
        days: peaks
            .iter()
            .enumerate()
            .map(|(i, p)| day(MON + i as i64, *p))
            .collect(),
        integrations: Vec::new(),
    }
}

/// 20 days rising by exactly 1,500 calls a day from 40,000.
fn rising() -> Vec<u64> {
    (0..20).map(|i| 40_000 + 1_500 * i).collect()
}

fn at(c: &OrgCapacity, share: f64) -> (ReachStatus, Option<String>, String) {
    let r = c.reach(share).unwrap();
    (r.status, r.at.clone(), r.note.clone())
}

#[test]
fn a_known_slope_projects_exact_dates() {
    let c = capacity::plan(&org(&rising()), Some(100_000));
    assert_eq!(c.trend_per_day, Some(1_500.0));
    // 80,000 is reached 26⅔ days after the first day, so on day 27; 100,000 on day 40.
    assert_eq!(date(MON + 27), "2026-11-29");
    assert_eq!(c.reaches_80_at.as_deref(), Some("2026-11-29"));
    assert_eq!(c.reaches_100_at.as_deref(), Some("2026-12-12"));
    let (status, _, note) = at(&c, 1.0);
    assert_eq!(status, ReachStatus::Projected);
    assert!(
        note.contains("+1,500 calls/day") && note.contains("21 days after"),
        "{note}"
    );
}

#[test]
fn one_outlier_day_does_not_move_the_dates() {
    for (i, value) in [(7, 2_000), (12, 79_000), (0, 75_000)] {
        let mut peaks = rising();
        peaks[i] = value;
        let c = capacity::plan(&org(&peaks), Some(100_000));
        assert_eq!(
            c.reaches_80_at.as_deref(),
            Some("2026-11-29"),
            "outlier on day {i}"
        );
        assert_eq!(
            c.reaches_100_at.as_deref(),
            Some("2026-12-12"),
            "outlier on day {i}"
        );
    }
}

#[test]
fn days_without_calls_are_left_out_of_the_fit() {
    let mut peaks = rising();
    peaks[5] = 0;
    let c = capacity::plan(&org(&peaks), Some(100_000));
    assert_eq!(c.days_with_calls, 19);
    assert_eq!(c.daily.len(), 20);
    assert_eq!(c.daily[5].peak, None);
    assert_eq!(c.reaches_80_at.as_deref(), Some("2026-11-29"));
}

#[test]
fn a_flat_series_gets_no_date_and_says_why() {
    // Up to ±1,000 of wobble around 50,000, mirrored so no trend hides in it.
    let half = [
        50_400, 49_100, 50_900, 49_700, 50_200, 49_000, 50_800, 49_500, 50_100, 49_900, 50_600, 49_300,
        50_000, 49_800,
    ];
    let peaks: Vec<u64> = half.iter().chain(half.iter().rev()).copied().collect();
    let c = capacity::plan(&org(&peaks), Some(70_000));
    assert_eq!(
        c.trend.as_ref().map(|t| t.direction),
        Some(capacity::fit::Direction::Flat)
    );
    for share in capacity::LEVELS {
        let (status, when, note) = at(&c, share);
        assert_eq!((status, when), (ReachStatus::NotProjected, None));
        assert!(note.contains("flat within its day-to-day noise"), "{note}");
    }
    assert_eq!((c.reaches_80_at, c.reaches_100_at), (None, None));
}

#[test]
fn a_decreasing_series_gets_no_date_and_says_why() {
    let peaks: Vec<u64> = (0..10).map(|i| 70_000 - 2_000 * i).collect();
    let c = capacity::plan(&org(&peaks), Some(100_000));
    assert_eq!(c.trend_per_day, Some(-2_000.0));
    let (status, when, note) = at(&c, 0.8);
    assert_eq!((status, when), (ReachStatus::NotProjected, None));
    assert!(note.contains("falling (-2,000 calls/day)"), "{note}");
}

#[test]
fn fewer_than_four_whole_days_give_no_trend_and_say_so() {
    // The first day's window misses the day before the logs, so n days are n − 1 whole days.
    for n in 1..=4 {
        let peaks: Vec<u64> = (0..n).map(|i| 10_000 * (i + 1)).collect();
        let c = capacity::plan(&org(&peaks), Some(100_000));
        assert_eq!(c.trend_per_day, None);
        assert_eq!((c.days_with_calls, c.whole_days), (n as usize, n as usize - 1));
        let reason = c.trend_reason.as_deref().unwrap();
        assert!(
            reason.contains(&match n - 1 {
                1 => "only 1 whole day:".to_string(),
                d => format!("only {d} whole days:"),
            }),
            "{reason}"
        );
        assert!(reason.contains("at least 4"), "{reason}");
        let (status, when, note) = at(&c, 0.8);
        assert_eq!((status, when), (ReachStatus::NotProjected, None));
        assert!(note.contains("at least 4"), "{note}");
    }
    let five = capacity::plan(&org(&[1_000, 2_000, 3_000, 4_000, 5_000]), Some(100_000));
    assert_eq!(five.trend_per_day, Some(1_000.0));
}

#[test]
fn the_first_day_is_left_out_of_the_trend_because_its_window_is_partial() {
    // A nightly burst: the first day's peak lacks the day before, later days see two bursts.
    let mut peaks = vec![20_000; 10];
    peaks[0] = 10_000;
    let c = capacity::plan(&org(&peaks), Some(100_000));
    assert_eq!(c.trend_per_day, Some(0.0));
    assert_eq!(c.trend.unwrap().first_day, "2026-11-03");
}

#[test]
fn an_unknown_allocation_gives_a_trend_but_no_date() {
    let c = capacity::plan(&org(&rising()), None);
    assert_eq!(c.trend_per_day, Some(1_500.0));
    let (status, when, note) = at(&c, 1.0);
    assert_eq!((status, when), (ReachStatus::NotProjected, None));
    assert!(
        note.contains("allocation unknown") && note.contains("--allocation"),
        "{note}"
    );
}

#[test]
fn a_level_already_reached_is_dated_on_the_first_day_it_was() {
    let c = capacity::plan(&org(&rising()), Some(80_000));
    // 80 % of 80,000 = 64,000, first reached on day 16 (40,000 + 24,000).
    let (status, when, note) = at(&c, 0.8);
    assert_eq!(
        (status, when.as_deref()),
        (ReachStatus::Reached, Some("2026-11-18"))
    );
    assert!(note.contains("64,000"), "{note}");
    assert_eq!(c.reaches_100_at.as_deref(), Some(date(MON + 27)).as_deref());
}

#[test]
fn a_crossing_too_far_ahead_is_not_dated() {
    let peaks: Vec<u64> = (0..30).map(|i| 10_000 + 10 * i).collect();
    let c = capacity::plan(&org(&peaks), Some(100_000));
    let (status, when, note) = at(&c, 0.8);
    assert_eq!((status, when), (ReachStatus::NotProjected, None));
    assert!(
        note.contains("further than the 87 days ahead that 29 days of data can support"),
        "{note}"
    );
}

fn integration(key: &str, peaks: &[u64]) -> IntegrationDaily {
    IntegrationDaily {
        key: key.into(),
        label: key.into(),
        days: peaks
            .iter()
            .enumerate()
            .map(|(i, p)| day(MON + i as i64, *p))
            .collect(),
    }
}

#[test]
fn growth_names_the_integration_that_drives_the_change() {
    let grower: Vec<u64> = (0..21).map(|i| 1_000 + 100 * i).collect();
    let steady = vec![5_000; 21];
    let shrinker: Vec<u64> = (0..21).map(|i| 3_000 - 10 * i).collect();
    let total: Vec<u64> = (0..21).map(|i| grower[i] + steady[i] + shrinker[i]).collect();
    let mut daily = org(&total);
    daily.integrations = vec![
        integration("client:shrinker", &shrinker),
        integration("client:steady", &steady),
        integration("client:grower", &grower),
    ];
    let c = capacity::plan(&daily, Some(100_000));
    let g = c.growth.unwrap();
    assert_eq!(g.basis, "weeks");
    assert_eq!(
        (g.first.from.as_str(), g.last.to.as_str()),
        ("2026-11-03", "2026-11-22"),
        "21 days are 20 whole days: the first week starts on the second day"
    );
    let keys: Vec<&str> = g.integrations.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["client:grower", "client:shrinker", "client:steady"]);
    // The two weeks are 13 days apart: +1,300 and −130 calls/day; the org's change is +1,170.
    assert_eq!(g.org_calls_per_day.change, 1_170.0);
    assert_eq!(g.integrations[0].calls_per_day.change, 1_300.0);
    let share = g.integrations[0].share_of_org_change.unwrap();
    assert!((share - 1_300.0 / 1_170.0).abs() < 1e-12);
}

#[test]
fn short_series_compare_thirds() {
    let days = [100, 200, 300, 400, 500, 600, 700];
    let mut daily = org(&days);
    daily.integrations = vec![integration("client:a", &days)];
    let g = capacity::plan(&daily, None).growth.unwrap();
    assert_eq!((g.basis, g.first.days, g.last.days), ("thirds", 2, 2));
    assert_eq!(g.org_calls_per_day.change, 400.0);
}

#[test]
fn weekday_and_weekend_peaks_are_compared_from_two_weeks_on() {
    // Monday first: days 5, 6, 12, 13 are weekend days; 15 days are 14 whole days.
    let peaks: Vec<u64> = (0..15).map(|i| if i % 7 >= 5 { 2_000 } else { 10_000 }).collect();
    let c = capacity::plan(&org(&peaks), None);
    let w = c.weekday_weekend.unwrap();
    assert_eq!(
        (w.weekday_median_peak, w.weekend_median_peak),
        (10_000.0, 2_000.0)
    );
    assert_eq!(
        (w.weekdays, w.weekend_days, w.weekend_to_weekday),
        (10, 4, Some(0.2))
    );
    let short = capacity::plan(&org(&peaks[..14]), None);
    assert!(short.weekday_weekend.is_none());
    assert!(short.weekday_weekend_reason.unwrap().contains("14 whole days"));
}

/// `per_day[i]` calls of `org` spread evenly over day `i` from 2026-11-02, request ids unique.
fn calls_over_days(org_id: &str, app: &str, per_day: &[u64]) -> Vec<Call> {
    let mut out = Vec::new();
    for (d, n) in per_day.iter().enumerate() {
        for k in 0..*n {
            let ms = (MON + d as i64) * WINDOW_MS + (k as i64 * WINDOW_MS) / *n as i64;
            let ts = apiusage::text::rfc3339(ms);
            out.push(
                Call::at(&ts, &format!("{org_id}-{app}-{d}-{k}"))
                    .org(org_id)
                    .app(app, app),
            );
        }
    }
    out
}

#[test]
fn the_report_carries_a_capacity_plan_for_every_org() {
    let dir = tempfile::tempdir().unwrap();
    let other = "00D5j000000Zz9X";
    let mut calls = calls_over_days(ORG, "0H45j000000Grow", &[1_000, 1_200, 1_400, 1_600, 1_800]);
    calls.extend(calls_over_days(other, "0H45j000000Once", &[500]));
    let path = write(dir.path(), "atu.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, s) = report(&[&path], &out, &["--allocation", "3000", "--charts", "none"]);
    assert_eq!(code, 0, "{stderr}");
    let plans = s["capacity"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    let grows = plans.iter().find(|c| c["org_id"] == ORG).unwrap();
    assert_eq!(grows["daily"].as_array().unwrap().len(), 5);
    assert_eq!(grows["daily"][0]["date"], "2026-11-02");
    assert_eq!(grows["daily"][4]["calls"], 1_800);
    assert!(grows["trend_per_day"].as_f64().unwrap() > 150.0);
    assert_eq!(grows["trend"]["direction"], "increasing");
    assert!(grows["reaches_80_at"].as_str().unwrap().starts_with("2026-11-"));
    assert!(grows["reaches_100_at"].is_string());
    assert_eq!(grows["reaches"][1]["status"], "projected");
    assert_eq!(grows["integrations"][0]["daily"].as_array().unwrap().len(), 5);
    let once = plans.iter().find(|c| c["org_id"] == other).unwrap();
    assert!(once["trend_per_day"].is_null() && once["reaches_80_at"].is_null());
    assert!(once["trend_reason"]
        .as_str()
        .unwrap()
        .contains("only 0 whole days:"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_eq!(md.matches("### Capacity").count(), 2);
    // The index lists the busier share first and carries the forecast.
    let index = &md[md.find("### Orgs by risk").unwrap()..md.find("## Findings").unwrap()];
    assert!(index.find(ORG).unwrap() < index.find(other).unwrap(), "{index}");
    assert!(
        index.contains(grows["reaches_100_at"].as_str().unwrap()),
        "{index}"
    );
}

#[test]
fn the_what_if_projection_starts_from_the_calls_every_recommendation_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_apiusage"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "report",
            "sample_logs",
            "--profile",
            "sample_logs/org_profile.toml",
            "--charts",
            "none",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let what_if = s["what_if"].as_array().unwrap();
    assert_eq!(what_if.len(), 3);
    for w in what_if {
        let plan = s["capacity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["org_id"] == w["org_id"])
            .unwrap();
        assert_eq!(
            plan["what_if"]["max_daily_peak"], w["peak_after"]["calls"],
            "{}",
            w["org_id"]
        );
        assert!(w["peak_after"]["calls"].as_u64() < w["peak_before"]["calls"].as_u64());
    }
}

#[test]
fn the_what_if_plan_follows_the_same_rules_as_the_plan() {
    use apiusage::capacity::what_if_plan;
    let day_with = |d: i64, calls: u64| DayPeak {
        day: d,
        calls,
        peak: Some(Peak {
            calls,
            at: d * 86_400_000,
            window_start: (d - 1) * 86_400_000,
        }),
    };
    let days: Vec<DayPeak> = (0..10)
        .map(|d| day_with(20_000 + d, 1_000 + 100 * d as u64))
        .collect();
    let plan = what_if_plan(&days, Some(5_000));
    assert_eq!(plan.trend_per_day, Some(100.0));
    assert_eq!(plan.max_daily_peak, Some(1_900));
    assert_eq!(plan.reaches.len(), 2);
    let short = what_if_plan(&days[..3], Some(5_000));
    assert_eq!(short.trend_per_day, None);
    assert!(short.trend_reason.unwrap().contains("whole day"));
}
