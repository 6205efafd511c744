//! The story first: the executive summary opens stdout, `report.md` and `report.html`; org
//! sections follow in risk order; `digest.md` fits a chat message and says what changed since
//! the previous report in the same `--out`; `--fail-on` says on stderr what breached.

mod common;

use std::path::Path;

use common::*;

const ACME: &str = "Acme Dev reached 85.0 % of its 15,000-call allocation on Nov 3 at 21:57 UTC; NetLedger ERP Sync used 60.0 % by itself; batching the single-record calls of NetLedger ERP Sync would bring the peak to 35.9 %.";

fn text(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap()
}

#[test]
fn stdout_opens_with_the_riskiest_org_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let o = sample_report(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(stdout.lines().next(), Some(ACME), "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("wrote "), "{stdout}");
}

#[test]
fn the_markdown_report_opens_with_the_summary_and_orders_org_sections_by_risk() {
    let dir = tempfile::tempdir().unwrap();
    sample_report(dir.path(), &[]);
    let md = text(dir.path(), "report.md");
    let summary = md.find("## Summary").expect("a summary section");
    assert!(summary < md.find("## Overview").unwrap());
    assert!(md.contains(&format!("- {ACME}")), "{md}");
    let acme = md.find("## Org Acme Dev").unwrap();
    let globex = md.find("## Org Globex Production").unwrap();
    let unknown = md.find("## Org 00D7Q000000InTc").unwrap();
    assert!(
        acme < globex && globex < unknown,
        "risk order: 85 %, 2.2 %, unknown"
    );
}

#[test]
fn findings_name_the_org_and_the_integration_s_org() {
    let dir = tempfile::tempdir().unwrap();
    sample_report(dir.path(), &[]);
    let md = text(dir.path(), "report.md");
    assert!(
        md.contains("Acme Dev (00D8a000000DvA1) came near its limit"),
        "{md}"
    );
    assert!(md.contains("NetLedger ERP Sync in Acme Dev (00D8a000000DvA1) is chatty"));
    assert!(
        md.contains(
            "Org 00D7Q000000InTc: the last call in the logs is at 2026-11-04T23:55:01.630Z, 23 days before"
        ),
        "{md}"
    );
}

#[test]
fn the_html_report_has_the_summary_before_the_overview() {
    let dir = tempfile::tempdir().unwrap();
    sample_report(dir.path(), &[]);
    let html = text(dir.path(), "report.html");
    let summary = html.find("<section id=\"summary\"").expect("a summary section");
    assert!(summary < html.find("<section id=\"overview\"").unwrap());
    assert!(html.contains("<li>Acme Dev reached 85.0 % of its 15,000-call allocation"));
}

#[test]
fn fail_on_says_on_stderr_which_findings_breached() {
    let dir = tempfile::tempdir().unwrap();
    let o = sample_report(dir.path(), &["--fail-on", "warn,chatty"]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8(o.stderr).unwrap();
    let breached: Vec<&str> = stderr.lines().filter(|l| l.contains("--fail-on:")).collect();
    assert_eq!(
        breached,
        [
            "apiusage: --fail-on: Acme Dev (00D8a000000DvA1) came near its limit: rolling-24h peak 12,753 calls (85.0 % of 15,000)",
            "apiusage: --fail-on: NetLedger ERP Sync in Acme Dev (00D8a000000DvA1) is chatty: its own rolling-24h peak is 9,000 calls, 60.0 % of the org's allocation of 15,000",
        ],
        "{stderr}"
    );
    let o = sample_report(dir.path(), &["--fail-on", "over"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!String::from_utf8(o.stderr).unwrap().contains("--fail-on:"));
}

#[test]
fn the_digest_is_short_links_the_report_and_says_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    sample_report(dir.path(), &[]);
    let first = text(dir.path(), "digest.md");
    assert!(first.lines().count() <= 15, "{first}");
    assert!(first.contains("No previous report in this folder"));
    let link = dir.path().join("report.html").display().to_string();
    assert!(
        first.trim_end().ends_with(&format!("Full report: {link}")),
        "{first}"
    );
    insta::assert_snapshot!("sample_digest", first.replace(&link, "OUT/report.html"));

    sample_report(dir.path(), &[]);
    let same = text(dir.path(), "digest.md");
    assert!(same.contains("Since the previous report: no new chatty integration, and no peak moved"));

    // A smaller allocation for Acme: its peak share rises.
    let o = sample_report(
        dir.path(),
        &[
            "--allocation",
            "00D8a000000DvA1=13000",
            "--report-url",
            "https://reports.example/r.html",
        ],
    );
    assert!(o.status.success());
    let changed = text(dir.path(), "digest.md");
    assert!(
        changed.contains("Acme Dev's peak up from 85.0 % to 98.1 %"),
        "{changed}"
    );
    assert!(changed
        .trim_end()
        .ends_with("Full report: https://reports.example/r.html"));
}

#[test]
fn a_new_chatty_integration_is_named_in_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    let calls: Vec<Call> = (0..100)
        .map(|i| {
            let ts = format!("2026-11-02T10:{:02}:{:02}.000Z", i / 60, i % 60);
            Call::at(&ts, &format!("r{i}")).app("0H45j000000ChAt", "Chatty Sync")
        })
        .collect();
    let file = write(&input, "atu.csv", atu_csv(&calls));
    let (code, stderr, _) = report(&[&file], &out, &["--allocation", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr, _) = report(&[&file], &out, &["--allocation", "150"]);
    assert_eq!(code, 0, "{stderr}");
    let digest = text(&out, "digest.md");
    assert!(
        digest.contains(&format!("Chatty Sync in {ORG} is newly chatty")),
        "{digest}"
    );
}

#[test]
fn tz_takes_an_iana_zone_for_the_summary_and_the_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let o = sample_report(dir.path(), &["--charts", "svg", "--tz", "Europe/Paris"]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8(o.stdout).unwrap();
    // 21:57 UTC on Nov 3 is 22:57 in Paris (CET, winter time).
    assert!(
        stdout.starts_with("Acme Dev reached 85.0 % of its 15,000-call allocation on Nov 3 at 22:57 CET;"),
        "{stdout}"
    );
    let md = text(dir.path(), "report.md");
    assert!(
        md.contains("| Org | Status | Peak (24 h) | Peak at (Europe/Paris) |"),
        "{md}"
    );
    assert!(md.contains("| Acme Dev (00D8a000000DvA1) | **near limit** | 12,753 | Nov 3, 22:57:16 |"));
    assert!(md.contains("calls in the 24 hours ending Nov 3, 22:57:16 CET"));
    let heat = text(dir.path(), "charts/heatmap_00D8a000000DvA1.svg");
    assert!(heat.contains("Europe/Paris"), "the heatmap names its zone");
    // Small shares: the integrations chart's scale follows the data instead of the chatty line.
    let globex = text(dir.path(), "charts/integrations_00D4x000001GlBx.svg");
    assert!(globex.contains("the scale follows the data") && !globex.contains("chatty ≥ 50 %"));
    let acme = text(dir.path(), "charts/integrations_00D8a000000DvA1.svg");
    assert!(acme.contains("chatty ≥ 50 %") && !acme.contains("the scale follows the data"));
    let summary = text(dir.path(), "summary.json");
    assert!(
        summary.contains("\"at\": \"2026-11-03T21:57:16.735Z\""),
        "JSON stays UTC"
    );

    let bad = sample_report(dir.path(), &["--tz", "Europe/Pariss"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(
        stderr.contains("--tz Europe/Pariss: give an IANA time zone such as Europe/Paris"),
        "{stderr}"
    );
}

#[test]
fn chart_scale_draws_the_same_png_charts_larger() {
    let size = |path: &Path| {
        let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
        let info = decoder.read_info().unwrap();
        (info.info().width, info.info().height)
    };
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    for (dir, scale) in [(&one, "1"), (&two, "2")] {
        let o = sample_report(dir.path(), &["--charts", "png", "--chart-scale", scale]);
        assert!(o.status.success());
    }
    let chart = "charts/usage_00D8a000000DvA1.png";
    let (w, h) = size(&one.path().join(chart));
    assert_eq!(size(&two.path().join(chart)), (2 * w, 2 * h));
    let bad = sample_report(one.path(), &["--chart-scale", "5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("--chart-scale 5: give 1 (the default), 2 for slides"));
}

#[test]
fn top_shows_its_times_in_the_tz_zone_and_json_stays_utc() {
    let top = |extra: &[&str]| {
        let o = apiusage()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["top", "sample_logs", "--profile", "sample_logs/org_profile.toml"])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let table = top(&["--tz", "Europe/Paris"]);
    assert!(
        table.contains("Peak 12,753 calls in 24 h at Nov 3, 22:57:16 CET"),
        "{table}"
    );
    let json = top(&["--tz", "Europe/Paris", "--json"]);
    assert!(json.contains("2026-11-03T21:57:16.735Z"), "{json}");
}

/// A FIFO where the previous `summary.json` would be: the digest's comparison must not open
/// it (that blocks for ever); the run ends with publishing's "name taken" error instead.
#[test]
fn a_fifo_in_place_of_the_previous_summary_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("summary.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_apiusage"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "sample_logs", "--charts", "none", "--quiet", "--out"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A guard against hanging the test suite, not a timing assertion.
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("report blocked on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("summary.json already exists and was not written by apiusage"),
        "{stderr}"
    );
}
