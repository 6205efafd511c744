//! Outputs that never lie (issue 9): publishing into `--out` deletes nothing apiusage did not
//! write and switches the whole report at once; Markdown and CSV carry log text inert; stderr
//! carries no terminal escapes; every error has one format; reports stay bounded.

mod common;

use std::fs;
use std::io;
use std::path::Path;

use apiusage::render::publish::{publish, publish_with, Step};
use apiusage::render::Output;
use common::*;

const OTHER: &str = "00D5j000000Zz9Q";

fn two_org_input(dir: &Path) -> std::path::PathBuf {
    let mut calls = Vec::new();
    for i in 0..40 {
        let ts = format!("2026-11-02T10:{:02}:00.000Z", i);
        calls.push(Call::at(&ts, &format!("a{i}")));
        calls.push(Call::at(&ts, &format!("b{i}")).org(OTHER));
    }
    write(dir, "in/atu.csv", atu_csv(&calls))
}

#[cfg(unix)]
#[test]
fn user_files_in_out_survive_and_stale_links_of_ours_go() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_org_input(dir.path());
    let out = dir.path().join("out");
    write(&out, "usage_mine.csv", "mine");
    write(&out, "example/report.md", "committed");
    let (code, stderr, _) = report(&[&input], &out, &["--allocation", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join(format!("usage_{OTHER}.csv")).exists());
    assert!(out.join(format!("charts/usage_{OTHER}.svg")).exists());
    // A second run limited to one org: the other org's files go, the user's stay.
    let (code, stderr, s) = report(&[&input], &out, &["--allocation", "1000", "--org", ORG]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["orgs"].as_array().unwrap().len(), 1);
    assert!(fs::symlink_metadata(out.join(format!("usage_{OTHER}.csv"))).is_err());
    assert!(!out.join(format!("charts/usage_{OTHER}.svg")).exists());
    assert!(out.join(format!("charts/usage_{ORG}.svg")).exists());
    assert_eq!(fs::read_to_string(out.join("usage_mine.csv")).unwrap(), "mine");
    assert_eq!(
        fs::read_to_string(out.join("example/report.md")).unwrap(),
        "committed"
    );
    assert_eq!(apiusage::marker::read(&out), Some(apiusage::marker::Kind::Report));
    // The report's relative chart links resolve from the top-level names.
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    let links: Vec<&str> = md
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|l| l.starts_with("charts/"))
        .collect();
    assert!(!links.is_empty());
    for link in links {
        assert!(out.join(link).is_file(), "{link}");
    }
    assert!(fs::symlink_metadata(out.join("report.md"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[cfg(unix)]
#[test]
fn a_charts_folder_or_symlink_of_the_user_is_never_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_org_input(dir.path());
    // A real `charts/` folder with the user's own picture.
    let out = dir.path().join("out");
    write(&out, "charts/mine.png", "png");
    let (code, stderr, _) = report(&[&input], &out, &["--allocation", "1000"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("apiusage: error: "), "{stderr}");
    assert!(
        stderr.contains("charts") && stderr.contains("move it away"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(out.join("charts/mine.png")).unwrap(), "png");
    assert!(!out.join("summary.json").exists(), "nothing half-published");
    // A `charts` symlink to a folder outside --out.
    let out2 = dir.path().join("out2");
    let outside = dir.path().join("outside");
    write(&outside, "keep.png", "keep");
    write(&outside, "usage_x.svg", "keep");
    fs::create_dir_all(&out2).unwrap();
    std::os::unix::fs::symlink(&outside, out2.join("charts")).unwrap();
    let (code, stderr, _) = report(&[&input], &out2, &["--allocation", "1000"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(fs::read_to_string(outside.join("keep.png")).unwrap(), "keep");
    assert_eq!(fs::read_to_string(outside.join("usage_x.svg")).unwrap(), "keep");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 2);
    // A user's file with a report name is not replaced either.
    let out3 = dir.path().join("out3");
    write(&out3, "summary.json", "{\"mine\": true}");
    let (code, stderr, _) = report(&[&input], &out3, &["--allocation", "1000"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        fs::read_to_string(out3.join("summary.json")).unwrap(),
        "{\"mine\": true}"
    );
}

fn files(tag: &str, extra: bool) -> Vec<Output> {
    let mut v = vec![
        Output {
            name: "summary.json".into(),
            bytes: format!("{{\"run\":\"{tag}\"}}").into_bytes(),
        },
        Output {
            name: "report.html".into(),
            bytes: format!("<p>{tag}</p>").into_bytes(),
        },
        Output {
            name: "charts/usage_a.svg".into(),
            bytes: format!("<svg>{tag}</svg>").into_bytes(),
        },
    ];
    if extra {
        v.push(Output {
            name: "usage_extra.csv".into(),
            bytes: tag.as_bytes().to_vec(),
        });
    }
    v
}

/// What a reader sees: every file of `expected` must hold the contents of one run, the same
/// run for all of them.
fn seen_run(out: &Path) -> String {
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    let run = summary
        .trim_start_matches("{\"run\":\"")
        .trim_end_matches("\"}")
        .to_string();
    assert_eq!(
        fs::read_to_string(out.join("report.html")).unwrap(),
        format!("<p>{run}</p>")
    );
    assert_eq!(
        fs::read_to_string(out.join("charts/usage_a.svg")).unwrap(),
        format!("<svg>{run}</svg>")
    );
    run
}

#[cfg(unix)]
#[test]
fn a_failure_between_any_two_steps_leaves_the_old_or_the_new_report_complete() {
    let steps = [
        Step::StagedFile,
        Step::Generation,
        Step::Links,
        Step::Switched,
        Step::Pruned,
    ];
    for (k, fail_at) in steps.iter().enumerate() {
        for nth in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            publish(&out, &files("old", false)).unwrap();
            write(&out, "usage_mine.csv", "mine");
            let mut seen = 0;
            let result = publish_with(&out, &files("new", true), &mut |step| {
                if step == *fail_at {
                    seen += 1;
                    if seen > nth {
                        return Err(io::Error::other("injected"));
                    }
                }
                Ok(())
            });
            if *fail_at != Step::StagedFile && nth > 0 {
                assert!(result.is_ok(), "{fail_at:?} happens once");
            } else {
                assert!(result.is_err());
            }
            let run = seen_run(&out);
            let switched = k >= 3 || result.is_ok();
            assert_eq!(run, if switched { "new" } else { "old" }, "{fail_at:?} #{nth}");
            assert_eq!(fs::read_to_string(out.join("usage_mine.csv")).unwrap(), "mine");
            let leftovers: Vec<String> = fs::read_dir(out.join(".apiusage"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("staging-") || n.contains(".tmp-"))
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
            // The next run completes and finds nothing in its way.
            publish(&out, &files("next", false)).unwrap();
            assert_eq!(seen_run(&out), "next");
            assert!(fs::symlink_metadata(out.join("usage_extra.csv")).is_err());
        }
    }
}

#[cfg(unix)]
#[test]
fn stale_generations_and_dead_runs_staging_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A run killed mid-way left its staging folder (pid 999999999 is above any Linux pid_max).
    write(&out, ".apiusage/staging-999999999/summary.json", "half");
    for run in ["1", "2", "3", "4"] {
        publish(&out, &files(run, false)).unwrap();
    }
    assert_eq!(seen_run(&out), "4");
    let mut names: Vec<String> = fs::read_dir(out.join(".apiusage"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["current", "gen-3", "gen-4", "manifest.json", "marker.json"]
    );
    assert_eq!(
        fs::read_link(out.join("summary.json")).unwrap(),
        Path::new(".apiusage/current/summary.json")
    );
}

#[cfg(unix)]
#[test]
fn the_quick_start_leaves_the_committed_example_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let mut committed = Vec::new();
    copy_tree(&root.join("reports"), &reports, &mut committed);
    assert!(committed.len() > 5, "reports/example is committed");
    let output = apiusage()
        .current_dir(root)
        .args([
            "report",
            "sample_logs",
            "--profile",
            "sample_logs/org_profile.toml",
            "--out",
        ])
        .arg(&reports)
        .args(["--generated-at", "2026-11-28T00:00:00Z", "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (rel, bytes) in &committed {
        assert_eq!(&fs::read(reports.join(rel)).unwrap(), bytes, "{}", rel.display());
    }
    assert!(reports.join("report.html").exists() && reports.join("charts").is_dir());
}

fn copy_tree(from: &Path, to: &Path, files: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    fn walk(base: &Path, from: &Path, to: &Path, files: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        for e in fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_path_buf();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, to, files);
            } else {
                let bytes = fs::read(&p).unwrap();
                write(to, rel.to_str().unwrap(), &bytes);
                files.push((rel, bytes));
            }
        }
    }
    walk(from, from, to, files);
}

// ---- Markdown injection ----------------------------------------------------------------

const EVIL: &str = "a|b`<img src=x onerror=alert(1)>\n## Owned";

/// Cell separators of a GFM table row: `|` not escaped by a backslash.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '|' => n += 1,
            _ => {}
        }
    }
    n
}

/// A line without its code spans (CommonMark: a run of n backticks up to the next run of
/// exactly n).
fn outside_code_spans(line: &str) -> String {
    let b = line.as_bytes();
    let run = |i: usize| b[i..].iter().take_while(|c| **c == b'`').count();
    let (mut out, mut i) = (String::new(), 0);
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            out.push_str(&line[i..i + 2]);
            i += 2;
            continue;
        }
        if b[i] != b'`' {
            out.push(b[i] as char);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let close = loop {
            if j >= b.len() {
                break None;
            }
            if b[j] == b'`' {
                let m = run(j);
                if m == n {
                    break Some(j + m);
                }
                j += m;
            } else {
                j += 1;
            }
        };
        match close {
            Some(end) => i = end,
            None => {
                out.push_str(&line[i..i + n]);
                i += n;
            }
        }
    }
    out
}

#[test]
fn log_text_cannot_add_cells_lines_or_html_to_the_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    for i in 0..60 {
        let ts = format!("2026-11-02T10:{:02}:00.000Z", i);
        let mut c = Call::at(&ts, &format!("e{i}")).app("", EVIL);
        c.resource = format!("/x|y`z\n# {EVIL}");
        calls.push(c);
    }
    let input = write(dir.path(), "in/a|b`c\n## Owned.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[input.parent().unwrap()], &out, &["--allocation", "100"]);
    assert!(code <= 1, "{stderr}");
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    for line in md.lines() {
        // Inside a code span text is literal; anywhere else a tag would be HTML.
        assert!(
            !outside_code_spans(line).contains("<img"),
            "raw HTML from the logs: {line}"
        );
    }
    for line in md.lines() {
        assert!(
            !line.trim_start().starts_with("## Owned"),
            "a log value started a line: {line:?}"
        );
        assert!(
            !line.trim_start().starts_with("# ") || line == "# apiusage report",
            "a log value started a line: {line:?}"
        );
    }
    // Every row of a table has as many cells as its header.
    let mut header_cells = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            match header_cells {
                None => header_cells = Some(n),
                Some(h) => assert_eq!(n, h, "row with extra cells: {line}"),
            }
        } else {
            header_cells = None;
        }
    }
    assert!(md.contains("a\\|b"), "the name is still shown, escaped");
    // Code spans outside tables use a fence longer than any backtick run inside.
    assert!(md.contains("``"), "{md}");
}

// ---- CSV formula injection -------------------------------------------------------------

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    for i in 0..60 {
        let ts = format!("2026-11-02T10:{:02}:00.000Z", i);
        let mut c = Call::at(&ts, &format!("f{i}")).app("", "=HYPERLINK(\"http://evil\",\"x\")");
        c.resource = "@SUM(1+1)".into();
        calls.push(c);
        let mut d = Call::at(&ts, &format!("g{i}")).app("", "+SUM(1)");
        d.resource = "-2+3".into();
        calls.push(d);
    }
    let input = write(dir.path(), "in/atu.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[&input], &out, &["--allocation", "100", "--charts", "none"]);
    assert!(code <= 1, "{stderr}");
    let mut checked = 0;
    for name in [
        "integrations.csv",
        "recommendations.csv",
        &format!("usage_{ORG}.csv"),
    ] {
        let text = fs::read_to_string(out.join(name)).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        for record in r.records() {
            for cell in record.unwrap().iter() {
                let dangerous = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(!dangerous || cell.parse::<f64>().is_ok(), "{name}: {cell:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
    let integrations = fs::read_to_string(out.join("integrations.csv")).unwrap();
    assert!(integrations.contains("'=HYPERLINK"), "{integrations}");
    assert!(integrations.contains("'@SUM(1+1)"), "{integrations}");
    let usage = fs::read_to_string(out.join(format!("usage_{ORG}.csv"))).unwrap();
    assert!(
        usage.lines().next().unwrap().contains("'+SUM(1) rolling_24h_end"),
        "{usage}"
    );
    // Numbers stay numbers.
    assert!(usage
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .is_ok());
}

// ---- Terminal escapes on stderr ----------------------------------------------------------

#[test]
fn stderr_carries_no_terminal_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "in/bad\x1b[2Jname.csv",
        "\"EVENT_TYPE\",\"ORG\x1b]0;pwned\x07ID\",\"X\u{202E}Y\r\"\n\"ApiTotalUsage\",\"1\",\"2\"\n",
    );
    let out = dir.path().join("out");
    let (code, stderr, _) = report(&[path.parent().unwrap()], &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    let schema = apiusage().arg("schema").arg(&path).output().unwrap();
    assert_eq!(schema.status.code(), Some(2));
    let schema_err = String::from_utf8_lossy(&schema.stderr).into_owned();
    for text in [&stderr, &schema_err] {
        assert!(text.contains("name.csv"), "{text}");
        for c in text.chars() {
            assert!(
                c == '\n' || !(c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
                "{c:?} in {text:?}"
            );
        }
        for line in text.lines() {
            assert!(
                line.starts_with("apiusage: ") || line.starts_with("  "),
                "{line:?}"
            );
        }
    }
}

// ---- Error discipline ----------------------------------------------------------------------

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = apiusage();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn clap_errors_have_the_one_format_and_help_still_prints() {
    let (code, stdout, stderr) = run(&["report", "x", "--bogus"], &[]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("apiusage: error: unexpected argument '--bogus'"),
        "{stderr}"
    );
    for line in stderr.lines() {
        assert!(
            line.starts_with("apiusage: ") || line.starts_with("  "),
            "{line:?}"
        );
    }
    let (code, stdout, stderr) = run(&[], &[]);
    assert_eq!(code, 2);
    assert!(
        stdout.is_empty() && stderr.starts_with("apiusage: error: "),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&["--help"], &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.contains("Usage: apiusage"), "{stdout}");
    let (code, stdout, _) = run(&["report", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("--allocation"));
    let (code, stdout, _) = run(&["--version"], &[]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("apiusage "), "{stdout}");
}

#[test]
fn a_negative_allocation_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_org_input(dir.path());
    let out = dir.path().join("out");
    for value in ["-5", &format!("{ORG}=-5")] {
        let (code, stderr, _) = report(&[&input], &out, &["--allocation", value]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.starts_with("apiusage: error: "), "{stderr}");
        assert!(stderr.contains("cannot be negative"), "{stderr}");
        assert!(!stderr.contains("-- -5"), "{stderr}");
    }
}

#[test]
fn schema_errors_go_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let (code, stdout, stderr) = run(&["schema", missing.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("apiusage: error: "), "{stderr}");
    assert!(stderr.contains("nope.csv"), "{stderr}");
    assert!(
        !stdout.contains("error") && !stdout.contains("skipped") && !stdout.contains("unreadable"),
        "{stdout}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_behind_stdout_is_an_error_and_a_closed_pipe_is_not() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let input = two_org_input(dir.path());
    let bin = assert_cmd::cargo::cargo_bin("apiusage");
    for args in [vec!["top"], vec!["schema"]] {
        let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = Command::new(&bin)
            .args(&args)
            .arg(&input)
            .args(["--quiet"].iter().filter(|_| args[0] == "top"))
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("apiusage: error: cannot write to standard output"),
            "{stderr}"
        );
        // A reader that went away (`| head`) is not an error.
        let mut child = Command::new(&bin)
            .args(&args)
            .arg(&input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_panic_is_an_internal_error_with_exit_2() {
    let (code, _, stderr) = run(&["schema", "x.csv"], &[("APIUSAGE_FAULT", "panic")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("apiusage: error: internal error: injected fault"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
    for line in stderr.lines() {
        assert!(
            line.starts_with("apiusage: ") || line.starts_with("  "),
            "{line:?}"
        );
    }
    let (code, _, stderr) = run(
        &["schema", "x.csv"],
        &[("APIUSAGE_FAULT", "panic"), ("RUST_BACKTRACE", "1")],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("main"), "a backtrace when asked for: {stderr}");
}

#[test]
fn an_allocation_failure_is_an_error_with_exit_2() {
    let (code, _, stderr) = run(&["schema", "x.csv"], &[("APIUSAGE_FAULT", "oom")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("apiusage: error: out of memory: an allocation of"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

// ---- Bounded reports -------------------------------------------------------------------------

#[test]
fn many_integrations_are_summed_into_others_in_html_and_markdown_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    for i in 0..100 {
        let ts = format!("2026-11-02T{:02}:{:02}:00.000Z", 10 + i / 60, i % 60);
        calls.push(Call::at(&ts, &format!("i{i}")).app(&format!("0H45j0000{i:06}"), &format!("App {i}")));
    }
    let input = write(dir.path(), "in/atu.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, s) = report(&[&input], &out, &["--allocation", "100000", "--charts", "none"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s["orgs"][0]["integrations"].as_array().unwrap().len(), 100);
    let csv = fs::read_to_string(out.join("integrations.csv")).unwrap();
    assert_eq!(csv.lines().count(), 101);
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for text in [&md, &html] {
        assert!(text.contains("80 other integrations"), "{text}");
        assert_eq!(text.matches("app:0H45j0000").count(), 20);
    }
}

#[test]
fn five_thousand_orgs_give_a_bounded_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    for o in 0..5000 {
        let org = format!("00D5j{o:010}");
        for k in 0..2 {
            let ts = format!("2026-11-02T10:{:02}:00.000Z", (o + k) % 60);
            calls.push(Call::at(&ts, &format!("r{o}_{k}")).org(&org));
        }
    }
    let input = write(dir.path(), "in/atu.csv", atu_csv(&calls));
    let out = dir.path().join("out");
    let (code, stderr, s) = report(&[&input], &out, &["--allocation", "1000", "--charts", "svg"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: 5,000 orgs"), "{stderr}");
    assert_eq!(s["orgs"].as_array().unwrap().len(), 5000);
    let html = fs::metadata(out.join("report.html")).unwrap().len();
    let md = fs::metadata(out.join("report.md")).unwrap().len();
    assert!(html < 8 << 20, "report.html is {html} bytes");
    assert!(md < 2 << 20, "report.md is {md} bytes");
    let orgs_with_charts: std::collections::BTreeSet<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.rsplit('_').next().unwrap().to_string()
        })
        .collect();
    assert_eq!(orgs_with_charts.len(), 50);
    let index_rows = fs::read_to_string(out.join("report.md"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| 00D5j"))
        .count();
    assert_eq!(index_rows, 5000, "every org is a row of the index");
    assert_eq!(
        fs::read_dir(&out)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("usage_"))
            .count(),
        5000
    );
}
