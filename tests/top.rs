//! `apiusage top`: the terminal table on crafted input (snapshots at 80, 100 and 120 columns,
//! with and without colour), `--json` for scripts, `--limit`, the shared allocation and filter
//! options, the bad-rows warning, and no progress drawing when stderr is not a terminal.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const OTHER_ORG: &str = "00D5j000000Zz9X";

/// `n` counted calls of an app, one a minute from `start` (ISO, whole minutes, UTC).
fn burst(org: &str, app: (&str, &str), n: usize, resource: &str, tag: &str) -> Vec<Call> {
    (0..n)
        .map(|i| {
            let ts = format!("2026-11-04T{:02}:{:02}:00.000Z", 8 + i / 60, i % 60);
            let mut c = Call::at(&ts, &format!("{tag}{i}")).org(org).app(app.0, app.1);
            c.resource = resource.into();
            c
        })
        .collect()
}

/// Two orgs: one with an allocation of 100 (a chatty app, a label too long for its column, a
/// label with a terminal escape, a client without app), one with no allocation.
fn crafted(dir: &Path) -> PathBuf {
    let mut calls = burst(
        ORG,
        ("0H45j000000XyZa", "Acme Sync"),
        60,
        "/v60.0/sobjects/Account/0015j00000AbCdE",
        "a",
    );
    calls.extend(burst(
        ORG,
        (
            "0H45j000000Long",
            "A connected app whose name is much longer than any column",
        ),
        20,
        "/v60.0/query",
        "b",
    ));
    calls.extend(burst(
        ORG,
        ("0H45j000000Esc1", "Evil\x1b[31m App"),
        5,
        "/v60.0/limits",
        "c",
    ));
    let mut client = burst(ORG, ("", ""), 3, "/v60.0/composite/sobjects", "d");
    for c in &mut client {
        c.client = "erp-sync".into();
    }
    calls.extend(client);
    calls.extend(burst(
        OTHER_ORG,
        ("0H45j000000Othr", "Other Org App"),
        30,
        "/v60.0/query",
        "e",
    ));
    write(dir, "atu.csv", atu_csv(&calls))
}

fn top(args: &[&str]) -> (i32, String, String) {
    top_with(args, &[])
}

/// `top` on the crafted input with these environment variables (on top of a clean one).
fn top_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = crafted(dir.path());
    let output = apiusage()
        .current_dir(dir.path())
        .arg("top")
        .arg(&path)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["atu.csv"], "top writes nothing");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_table_ranks_integrations_by_peak_share_and_fits_100_columns() {
    let (code, stdout, stderr) = top(&["--allocation", &format!("{ORG}=100")]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    insta::assert_snapshot!("top_table", stdout);
    for line in stdout.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
        assert!(!line.contains('\x1b'), "escape reached the terminal: {line:?}");
    }
}

/// The line without its colour escapes (the visible characters).
fn visible(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters, then one letter.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_table_follows_columns_and_colours_only_when_forced() {
    let allocation = format!("{ORG}=100");
    for width in ["80", "120"] {
        for colour in [false, true] {
            let mut env = vec![("COLUMNS", width)];
            if colour {
                env.push(("CLICOLOR_FORCE", "1"));
            }
            let (code, stdout, stderr) = top_with(&["--allocation", &allocation], &env);
            assert_eq!((code, stderr.as_str()), (0, ""));
            let name = format!("top_{width}{}", if colour { "_colour" } else { "" });
            insta::assert_snapshot!(name, stdout);
            let columns: usize = width.parse().unwrap();
            for line in stdout.lines() {
                assert!(
                    visible(line).chars().count() <= columns,
                    "wider than {width}: {line:?}"
                );
            }
            // The only escapes are the status colours (bold red is `1;31`): the label's own ESC
            // is always neutralised.
            assert_eq!(stdout.contains('\x1b'), colour, "{stdout}");
            assert!(
                !stdout.contains("\x1b[31m"),
                "a label's escape survived: {stdout}"
            );
        }
    }
    let wide = top_with(&["--allocation", &allocation], &[("COLUMNS", "120")]).1;
    let narrow = top_with(&["--allocation", &allocation], &[("COLUMNS", "80")]).1;
    assert!(
        wide.contains("/v60.0/sobjects/Account/{id}") && !narrow.contains("Account/{id}"),
        "{narrow}"
    );
}

#[test]
fn no_color_wins_over_clicolor_force_and_a_pipe_gets_no_colour() {
    let allocation = format!("{ORG}=100");
    let forced_off = [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
    let (_, stdout, _) = top_with(&["--allocation", &allocation], &forced_off);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    let (_, stdout, _) = top_with(&["--allocation", &allocation], &[]);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    let (_, stdout, _) = top_with(&["--allocation", &allocation], &[("CLICOLOR_FORCE", "1")]);
    assert!(stdout.contains("\x1b[33mnear limit\x1b[0m"), "{stdout:?}");
    assert!(stdout.contains("\x1b[33mchatty\x1b[0m"), "{stdout:?}");
}

#[test]
fn the_status_and_who_caused_the_peak_are_shown() {
    let (_, stdout, _) = top(&["--allocation", &format!("{ORG}=100")]);
    assert!(stdout.contains("  near limit · Peak 88 calls"), "{stdout}");
    assert!(
        stdout.contains("  allocation unknown · Peak 30 calls"),
        "{stdout}"
    );
    let acme = stdout.lines().find(|l| l.contains("Acme Sync")).unwrap();
    // Own peak 60, all of them in the org's peak window, and chatty.
    assert!(acme.contains(" 60   60.0 %         60  chatty"), "{acme}");
    let (_, stdout, _) = top(&["--allocation", &format!("{ORG}=80")]);
    assert!(stdout.contains("  over limit · Peak 88 calls"), "{stdout}");
}

#[test]
fn the_bad_rows_warning_points_at_report_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = crafted(dir.path());
    let mut text = std::fs::read_to_string(&path).unwrap();
    // A spreadsheet round-trip's timestamp in both time columns.
    let bad = text
        .lines()
        .nth(1)
        .unwrap()
        .replace("2026-11-04T08:00:00.000Z", "2.01308E+13");
    let bad = bad.replace("20261104080000.000", "2.01308E+13");
    text.push_str(&bad.replace("\"a0\"", "\"bad0\""));
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let output = apiusage().arg("top").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 bad rows skipped"), "{stderr}");
    assert!(
        stderr.contains("`apiusage report`") && stderr.contains("`apiusage schema FILE`"),
        "{stderr}"
    );
}

#[test]
fn limit_shows_the_first_n_and_counts_the_rest() {
    let (_, stdout, _) = top(&["--allocation", &format!("{ORG}=100"), "--limit", "1"]);
    assert!(stdout.contains("… 3 more (--limit 0 shows all)"), "{stdout}");
    assert_eq!(stdout.matches("Acme Sync").count(), 1);
    assert!(!stdout.contains("erp-sync"));
}

#[test]
fn json_has_a_stable_shape_for_scripts() {
    let (code, stdout, _) = top(&["--allocation", &format!("{ORG}=100"), "--json", "--limit", "2"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let orgs = v["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 2);
    let first = &orgs[0];
    assert_eq!(first["org_id"], ORG);
    assert_eq!(first["peak"], 88);
    assert_eq!(first["peak_at"], "2026-11-04T08:59:00.000Z");
    assert_eq!(first["allocation"], 100);
    assert_eq!(first["allocation_source"], "flag");
    assert_eq!(first["status"], "near_limit");
    assert_eq!(first["more_integrations"], 2);
    let rows = first["integrations"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let mut keys: Vec<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "calls_in_org_peak_window",
            "chatty",
            "key",
            "kind",
            "label",
            "peak",
            "peak_at",
            "rank",
            "share_of_allocation",
            "share_of_org_peak_window",
            "status",
            "top_resource",
            "top_resource_calls"
        ]
    );
    assert_eq!(
        (rows[0]["rank"].as_u64(), rows[0]["peak"].as_u64()),
        (Some(1), Some(60))
    );
    assert_eq!(rows[0]["chatty"], true);
    assert_eq!(rows[0]["status"], "chatty");
    assert_eq!(rows[0]["calls_in_org_peak_window"], 60);
    assert_eq!(rows[1]["status"], "ok");
    assert_eq!(rows[0]["share_of_allocation"], 0.6);
    assert_eq!(rows[1]["chatty"], false);
    // The org without an allocation comes after the one with it, shares null.
    assert_eq!(orgs[1]["org_id"], OTHER_ORG);
    assert!(orgs[1]["allocation"].is_null() && orgs[1]["share_of_allocation"].is_null());
    assert_eq!(orgs[1]["status"], "allocation_unknown");
    assert!(orgs[1]["integrations"][0]["share_of_allocation"].is_null());
}

#[test]
fn filters_and_allocation_options_are_the_reports() {
    let (_, stdout, _) = top(&["--org", OTHER_ORG, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(v["orgs"][0]["org_id"], OTHER_ORG);
    let (_, stdout, _) = top(&[
        "--until",
        "2026-11-04T08:10:00Z",
        "--allocation",
        "1000",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // Before 08:10: 10 calls each of the first two apps, 5 of the third and 3 of erp-sync.
    assert_eq!(v["orgs"][0]["peak"], 28);
    assert_eq!(v["orgs"][0]["allocation"], 1000);
    let (code, _, stderr) = top(&["--chatty-share", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--chatty-share"), "{stderr}");
}

/// Benchmark data big enough that a debug build runs past the one-second delay.
fn bench_data(dir: &Path) -> PathBuf {
    let out = dir.join("logs");
    apiusage()
        .args(["sample", "--bench-rows", "150000", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn progress_is_not_drawn_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let logs = bench_data(dir.path());
    let out = dir.path().join("out");
    let runs: [Vec<&std::ffi::OsStr>; 2] = [
        vec!["top".as_ref(), logs.as_os_str()],
        vec![
            "report".as_ref(),
            logs.as_os_str(),
            "--charts".as_ref(),
            "none".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    ];
    for args in runs {
        let output = apiusage()
            .args(&args)
            .args(["--allocation", "100000"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert_eq!(stderr, "", "stderr is a pipe here, so no progress line");
    }
}

/// Runs `apiusage ARGS` under `script`, which gives it a pseudo-terminal; returns what the
/// terminal received and how long the run took. `None` without `script` (util-linux).
fn on_a_terminal(args: &str) -> Option<(String, std::time::Duration)> {
    let bin = assert_cmd::cargo::cargo_bin("apiusage");
    let command = format!("'{}' {args}", bin.display());
    let start = std::time::Instant::now();
    let output = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .ok()?;
    Some((
        String::from_utf8_lossy(&output.stdout).into_owned(),
        start.elapsed(),
    ))
}

#[test]
fn progress_is_drawn_on_a_terminal_only_after_a_second_and_never_with_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let logs = bench_data(dir.path());
    let args = format!("top '{}' --limit 1", logs.display());
    let Some((screen, took)) = on_a_terminal(&args) else {
        return; // no `script` here: the pipe test above still runs
    };
    // A release build may finish before the one-second delay; then nothing is drawn either.
    if took > std::time::Duration::from_millis(1_500) {
        assert!(screen.contains("reading 3 files"), "{screen:?}");
        assert!(screen.contains("\r\x1b[2K"), "the line is cleared: {screen:?}");
    }
    let (quiet, _) = on_a_terminal(&format!("{args} --quiet")).unwrap();
    assert!(!quiet.contains("reading"), "{quiet:?}");
    assert!(quiet.contains("NetLedger ERP Sync"), "{quiet:?}");
}
