//! The command line's conventions: `--help` of every command (snapshots), shell completions,
//! the man page, relative time ranges, and the config file (`--config`, `APIUSAGE_CONFIG`)
//! under the flags.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Stdout, stderr and the exit code of `apiusage ARGS` in a clean environment.
fn run(args: &[&str], env: &[(&str, &str)], dir: &Path) -> (i32, String, String) {
    let output = apiusage()
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn here() -> PathBuf {
    std::env::temp_dir()
}

#[test]
fn every_commands_help_reads_as_the_snapshot() {
    let commands: &[&[&str]] = &[
        &[],
        &["report"],
        &["top"],
        &["fetch"],
        &["schema"],
        &["sample"],
        &["ingest"],
        &["store"],
        &["completions"],
        &["man"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        // A fixed width, so clap wraps the same way on every machine.
        let (code, stdout, stderr) = run(&args, &[("COLUMNS", "100")], &here());
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
        let name = format!(
            "help_{}",
            if command.is_empty() {
                "apiusage"
            } else {
                command[0]
            }
        );
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn report_help_groups_its_options_and_shows_examples() {
    let (_, stdout, _) = run(&["report", "--help"], &[], &here());
    let headings = [
        "Inputs:",
        "Allocation (first match wins):",
        "Filters:",
        "Thresholds:",
        "Output:",
        "Examples:",
    ];
    let at: Vec<usize> = headings
        .iter()
        .map(|h| {
            stdout
                .lines()
                .position(|l| l == *h)
                .unwrap_or_else(|| panic!("no {h}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "headings out of order: {at:?}"
    );
    assert!(stdout.contains("[default: 31.0]"), "{stdout}");
    assert!(stdout.contains("[env: APIUSAGE_CONFIG"), "{stdout}");
}

#[test]
fn a_missing_command_lists_every_command() {
    let (code, _, stderr) = run(&[], &[], &here());
    assert_eq!(code, 2);
    let first = stderr.lines().next().unwrap_or_default();
    for command in [
        "report",
        "top",
        "fetch",
        "schema",
        "ingest",
        "store",
        "completions",
        "man",
    ] {
        assert!(first.contains(command), "{first}");
    }
}

#[test]
fn completions_are_printed_for_each_shell_and_bash_parses_them() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, stdout, _) = run(&["completions", shell], &[], &here());
        assert_eq!(code, 0);
        assert!(
            stdout.contains("apiusage") && stdout.contains("--since"),
            "{shell}"
        );
    }
    let (_, bash, _) = run(&["completions", "bash"], &[], &here());
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "apiusage.bash", &bash);
    let Ok(check) = std::process::Command::new("bash").arg("-n").arg(&script).output() else {
        return; // no bash here
    };
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let (code, _, stderr) = run(&["completions", "tcsh"], &[], &here());
    assert_eq!(code, 2);
    assert!(stderr.contains("tcsh"), "{stderr}");
}

#[test]
fn man_prints_a_roff_page_or_writes_one_per_command() {
    let (code, stdout, _) = run(&["man"], &[], &here());
    assert_eq!(code, 0);
    let th = stdout
        .lines()
        .find(|l| l.starts_with(".TH"))
        .expect("a .TH header");
    assert!(th.starts_with(".TH apiusage 1"), "{th}");
    assert!(
        stdout.lines().take(5).any(|l| l.starts_with(".TH")),
        "the header comes first"
    );
    assert!(
        stdout.contains(".SH SUBCOMMANDS") || stdout.contains(".SH COMMANDS"),
        "{stdout}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, stdout, _) = run(&["man", "--out", out.to_str().unwrap()], &[], &here());
    assert_eq!(code, 0, "{stdout}");
    let report = std::fs::read_to_string(out.join("apiusage-report.1")).unwrap();
    assert!(report.contains(".TH apiusage-report 1"), "{report}");
    assert!(
        report.contains("min\\-api\\-version"),
        "the report page lists its flags"
    );
    assert!(out.join("apiusage-store-info.1").exists() && out.join("apiusage.1").exists());
}

/// A day of calls, one an hour on 2026-11-04, in one file.
fn day_of_calls(dir: &Path) -> PathBuf {
    let calls: Vec<Call> = (0..24)
        .map(|h| Call::at(&format!("2026-11-04T{h:02}:00:00.000Z"), &format!("r{h}")))
        .collect();
    write(dir, "logs/atu.csv", atu_csv(&calls))
}

/// `report` into `dir/out` at a fixed time; the parsed summary.json (Null when none).
fn report_at(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String, serde_json::Value) {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec!["report", "--charts", "none", "--out", "out"];
    args.extend_from_slice(&["--generated-at", "2026-11-05T06:00:00Z"]);
    args.extend_from_slice(extra);
    let (code, _, stderr) = run(&args, env, dir);
    let summary = std::fs::read(out.join("summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (code, stderr, summary)
}

#[test]
fn relative_ranges_count_back_from_generated_at() {
    let dir = tempfile::tempdir().unwrap();
    day_of_calls(dir.path());
    for range in [
        &["--since", "24h"][..],
        &["--last", "24h"],
        &["--since", "1440m"],
        &["--last", "1d"],
    ] {
        let mut args = vec!["logs"];
        args.extend_from_slice(range);
        let (code, stderr, s) = report_at(dir.path(), &args, &[]);
        assert_eq!(code, 0, "{range:?}: {stderr}");
        // 2026-11-05T06:00 − 24 h: the calls from 06:00 on the 4th are in range.
        assert_eq!(
            s["orgs"][0]["warm_up"]["to"], "2026-11-04T06:00:00.000Z",
            "{range:?}"
        );
        assert_eq!(s["overview"]["counted_calls"], 18, "{range:?}");
    }
    let (code, stderr, _) = report_at(
        dir.path(),
        &["logs", "--until", "12h", "--since", "2026-11-04"],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn relative_ranges_reject_bad_spans_and_since_with_last() {
    let dir = tempfile::tempdir().unwrap();
    day_of_calls(dir.path());
    let (code, stderr, _) = report_at(dir.path(), &["logs", "--since", "1d", "--last", "1d"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--last") && stderr.contains("--since"),
        "{stderr}"
    );
    let (code, stderr, _) = report_at(dir.path(), &["logs", "--since", "7w"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--since: `7w`: a span's unit is d, h or m"),
        "{stderr}"
    );
    let (_, stderr, _) = report_at(dir.path(), &["logs", "--last", "2026-11-01"], &[]);
    assert!(stderr.contains("--last: `2026-11-01` is not a span"), "{stderr}");
    let (_, stderr, _) = report_at(dir.path(), &["logs", "--until", "soon"], &[]);
    assert!(stderr.contains("give an RFC 3339 time"), "{stderr}");
}

#[test]
fn the_config_file_gives_defaults_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    day_of_calls(dir.path());
    // Paths in the file are relative to its folder, not to where the job runs.
    write(
        dir.path(),
        "etc/apiusage.toml",
        "allocation = [\"100\"]\nchatty-share = \"0.9\"\n\n[report]\npaths = [\"../logs\"]\nwarn_share = \"0.1\"\n",
    );
    let (code, stderr, s) = report_at(dir.path(), &["--config", "etc/apiusage.toml"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["orgs"][0]["allocation"]["calls"], 100);
    assert_eq!(s["overview"]["chatty_share"], 0.9);
    assert_eq!(s["overview"]["warn_share"], 0.1);
    // A flag beats the file; the env var names the file when --config is not given.
    let env = [("APIUSAGE_CONFIG", "etc/apiusage.toml")];
    let (code, stderr, s) = report_at(dir.path(), &["--chatty-share", "0.2", "--allocation", "50"], &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["overview"]["chatty_share"], 0.2);
    assert_eq!(s["orgs"][0]["allocation"]["calls"], 50);
    assert_eq!(
        s["overview"]["warn_share"], 0.1,
        "the rest still comes from the file"
    );
}

#[test]
fn an_unknown_key_in_the_config_file_names_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    day_of_calls(dir.path());
    write(dir.path(), "bad.toml", "[report]\nchaty-share = \"0.4\"\n");
    let (code, stderr, _) = report_at(dir.path(), &["logs", "--config", "bad.toml"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("config file bad.toml: unknown key `chaty-share` in [report]"),
        "{stderr}"
    );
    write(dir.path(), "bad.toml", "jobs = 2\nlimt = 3\n");
    let (code, stderr, _) = report_at(dir.path(), &["logs"], &[("APIUSAGE_CONFIG", "bad.toml")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.toml: unknown key `limt`"), "{stderr}");
    write(dir.path(), "bad.toml", "[schema]\nfiles = []\n");
    let (_, stderr, _) = report_at(dir.path(), &["logs", "--config", "bad.toml"], &[]);
    assert!(stderr.contains("unknown table [schema]"), "{stderr}");
}
