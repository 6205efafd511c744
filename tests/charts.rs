//! Charts written by `report`: valid PNG and SVG files of the expected sizes, the elements a
//! reader needs on a small fixed input, the chart options, and orgs with almost no data.

mod common;

use std::fs;
use std::path::Path;

use common::*;

const OTHER_ORG: &str = "00D5j000000Zz9Q";
const THIRD_ORG: &str = "00D5j000000Yy8P";

/// Two days of one org: "Acme Sync" makes 600 calls (chatty at an allocation of 1,000),
/// "Billing Bot" 150.
fn two_day_input(dir: &Path) -> std::path::PathBuf {
    let mut calls = Vec::new();
    for i in 0..600 {
        let ts = format!("2026-11-02T{:02}:{:02}:00.000Z", 8 + i / 60, i % 60);
        calls.push(Call::at(&ts, &format!("a{i}")));
    }
    for i in 0..150 {
        let ts = format!("2026-11-03T{:02}:{:02}:30.000Z", 1 + i / 60, i % 60);
        calls.push(Call::at(&ts, &format!("b{i}")).app("0H45j000000BiLl", "Billing Bot"));
    }
    write(dir, "atu.csv", atu_csv(&calls))
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "too short for a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Width and height attributes of an SVG's root element.
fn svg_size(svg: &str) -> (u32, u32) {
    assert!(svg.starts_with("<svg "), "an SVG document");
    let attr = |name: &str| -> u32 {
        let start = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = start + svg[start..].find('"').unwrap();
        svg[start..end].parse().unwrap()
    };
    assert!(svg.trim_end().ends_with("</svg>"), "a complete SVG");
    (attr("width"), attr("height"))
}

fn chart(out: &Path, stem: &str, ext: &str) -> Vec<u8> {
    let path = out.join("charts").join(format!("{stem}_{ORG}.{ext}"));
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_chart_is_a_valid_png_and_svg_of_the_expected_size() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_day_input(dir.path());
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[&input], &out, &["--allocation", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    // Two integrations: the bar chart is its heading, axis room and two rows tall.
    let expected = [
        ("usage", (1200, 540)),
        ("integrations", (1200, 86 + 70 + 2 * 30)),
        ("heatmap", (1200, 600)),
        ("daily_peak", (1200, 440)),
    ];
    for (stem, size) in expected {
        assert_eq!(png_size(&chart(&out, stem, "png")), size, "{stem}.png");
        let svg = String::from_utf8(chart(&out, stem, "svg")).unwrap();
        assert_eq!(svg_size(&svg), size, "{stem}.svg");
    }
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains(&format!("](charts/usage_{ORG}.png)")),
        "report.md links the PNGs"
    );
}

#[test]
fn the_usage_chart_shows_limits_layers_peak_and_legend() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_day_input(dir.path());
    let out = dir.path().join("out");
    report(&[&input], &out, &["--allocation", "1000"]);
    let svg = String::from_utf8(chart(&out, "usage", "svg")).unwrap();
    for text in [
        "Rolling 24-hour API usage",
        "allocation 1,000",
        "80 % warn 800",
        "50 % chatty 500",
        "Acme Sync",
        "Billing Bot",
        "org total",
        "time (UTC)",
        "calls in the previous 24 h",
        // Both integrations' calls are inside one 24 h window: 750 at 03:30:30 on the 3rd.
        "peak 750 calls, Nov 03 03:29:30 UTC (75.0 % of allocation)",
    ] {
        assert!(svg.contains(text), "usage chart lacks {text:?}");
    }
    // One filled area per integration (no "other": every call is named).
    assert_eq!(svg.matches("<polygon").count(), 2);
    assert!(
        svg.contains("Nov 02 12:00") || svg.contains("Nov 03 00:00"),
        "UTC tick labels"
    );

    let bars = String::from_utf8(chart(&out, "integrations", "svg")).unwrap();
    assert!(bars.contains("chatty ≥ 50 %"));
    assert!(bars.contains("60.0 % · 600 calls") && bars.contains("15.0 % · 150 calls"));
    // Exactly one chatty (vermillion) bar.
    assert_eq!(bars.matches("fill=\"#D55E00\"").count(), 1);

    let heat = String::from_utf8(chart(&out, "heatmap", "svg")).unwrap();
    assert!(heat.contains("hour of day") && heat.contains("date (UTC)"));
    assert!(heat.matches("<rect").count() >= 2 * 24, "a cell per hour and day");
    let daily = String::from_utf8(chart(&out, "daily_peak", "svg")).unwrap();
    assert!(daily.contains("Nov 02") && daily.contains("Nov 03"));
}

#[test]
fn orgs_with_one_call_no_counted_calls_or_no_allocation_render() {
    let dir = tempfile::tempdir().unwrap();
    let calls = vec![
        Call::at("2026-11-02T10:00:00.000Z", "one"),
        Call::at("2026-11-02T10:00:00.000Z", "ui1")
            .org(OTHER_ORG)
            .counts("0"),
        Call::at("2026-11-02T11:00:00.000Z", "ui2")
            .org(OTHER_ORG)
            .counts("false"),
        Call::at("2026-11-02T12:00:00.000Z", "u1").org(THIRD_ORG),
        Call::at("2026-11-02T12:30:00.000Z", "u2").org(THIRD_ORG),
    ];
    let input = write(dir.path(), "edge.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let alloc = format!("{ORG}=15000");
    let (code, stderr, summary) = report(&[&input], &out, &["--allocation", &alloc]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panick"), "{stderr}");
    assert_eq!(summary["orgs"].as_array().unwrap().len(), 3);
    // One call: all its charts, one day so no daily chart.
    for stem in ["usage", "integrations", "heatmap"] {
        assert_eq!(png_size(&chart(&out, stem, "png")).0, 1200);
    }
    assert!(!out.join(format!("charts/daily_peak_{ORG}.png")).exists());
    // No counted calls: a usage chart that says so, and nothing else.
    let empty = fs::read_to_string(out.join(format!("charts/usage_{OTHER_ORG}.svg"))).unwrap();
    assert!(empty.contains("No counted calls"));
    assert!(!out.join(format!("charts/heatmap_{OTHER_ORG}.svg")).exists());
    // Unknown allocation: no limit lines, bars in calls.
    let unknown = fs::read_to_string(out.join(format!("charts/usage_{THIRD_ORG}.svg"))).unwrap();
    assert!(unknown.contains("allocation unknown") && !unknown.contains("80 % warn"));
    let bars = fs::read_to_string(out.join(format!("charts/integrations_{THIRD_ORG}.svg"))).unwrap();
    assert!(bars.contains("own rolling-24h peak, calls"));
}

#[test]
fn charts_option_selects_formats_and_tz_shifts_the_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_day_input(dir.path());
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[&input], &out, &["--charts", "svg", "--tz", "+02:00"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join(format!("charts/usage_{ORG}.svg")).exists());
    assert!(!out.join(format!("charts/usage_{ORG}.png")).exists());
    let heat = String::from_utf8(chart(&out, "heatmap", "svg")).unwrap();
    assert!(heat.contains("UTC+02:00"));
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains(&format!("](charts/usage_{ORG}.svg)")));

    // `none`: no chart files (earlier ones are removed), no charts in the HTML or Markdown.
    let (code, stderr, _) = report(&[&input], &out, &["--charts", "none"]);
    assert_eq!(code, 0, "{stderr}");
    let left = fs::read_dir(out.join("charts")).map_or(0, |d| d.count());
    assert_eq!(left, 0, "stale charts removed");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<svg"));
    assert!(!fs::read_to_string(out.join("report.md"))
        .unwrap()
        .contains("charts/"));
}

#[test]
fn bad_chart_options_are_argument_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_day_input(dir.path());
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[&input], &out, &["--charts", "gif", "--tz", "Mars/Base"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--charts gif") && stderr.contains("--tz Mars/Base"),
        "{stderr}"
    );
}
