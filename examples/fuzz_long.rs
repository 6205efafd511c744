//! The long fuzz campaign: the target of `tests/fuzz.rs` (see `tests/fuzzing/mod.rs`) for as
//! many cases as asked, in a release build.
//!
//! ```text
//! cargo build --release --example fuzz_long
//! nice -n 19 target/release/examples/fuzz_long --cases 100000 --seed 1 --jobs 2 \
//!     --findings fuzz-findings > fuzz.log 2>&1
//! ```
//!
//! A supervisor runs `--jobs` worker processes (this binary with `--worker`); worker `j` runs
//! the cases `i` with `i % jobs == j`. Case `i` is drawn from a random stream seeded by
//! `(seed, i)` alone, so `--only i` replays it. A case that fails a check is shrunk and its
//! smallest failing form saved under `--findings/case-<i>/` (input files, arguments, failure).
//! A case that kills its worker (an abort on a refused allocation past the hard cap, a stack
//! overflow, any signal) or runs longer than `--case-timeout` seconds is saved as found and
//! the worker restarted after it. Each worker's heap is counted by the global allocator: a case
//! above 512 MiB fails its check, and the live heap can never pass 1 GiB.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/fuzzing/mod.rs"]
mod fuzzing;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fuzzing::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Live heap past which the worker's allocations fail (and it aborts).
const HARD_CAP: usize = 1 << 30;

#[derive(Debug, Clone)]
struct Args {
    cases: u64,
    start: u64,
    seed: u64,
    jobs: u64,
    job: u64,
    findings: PathBuf,
    case_timeout: u64,
    worker: bool,
    only: Option<u64>,
}

fn parse_args() -> Args {
    let mut a = Args {
        cases: 100_000,
        start: 0,
        seed: 1,
        jobs: 1,
        job: 0,
        findings: PathBuf::from("fuzz-findings"),
        case_timeout: 120,
        worker: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| die(&format!("{flag} needs a value")));
        let number = |v: String| {
            v.parse::<u64>()
                .unwrap_or_else(|_| die(&format!("not a number: {v}")))
        };
        match flag.as_str() {
            "--cases" => a.cases = number(value()),
            "--start" => a.start = number(value()),
            "--seed" => a.seed = number(value()),
            "--jobs" => a.jobs = number(value()).max(1),
            "--job" => a.job = number(value()),
            "--findings" => a.findings = PathBuf::from(value()),
            "--case-timeout" => a.case_timeout = number(value()),
            "--only" => a.only = Some(number(value())),
            "--worker" => a.worker = true,
            // `cargo bench`/`cargo run` style extra flags are not ours.
            "--bench" => {}
            other => die(&format!("unknown argument {other}")),
        }
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("fuzz_long: {msg}");
    std::process::exit(2)
}

fn main() {
    let args = parse_args();
    fs::create_dir_all(&args.findings).unwrap_or_else(|e| die(&format!("findings folder: {e}")));
    if let Some(i) = args.only {
        set_hard_cap(HARD_CAP);
        let case = case_at(args.seed, i);
        println!("case {i} (seed {}):\n{}", args.seed, case.describe());
        let dir = tempfile::tempdir().expect("temp dir");
        match run_case(&case, dir.path()) {
            Ok(r) => println!("ok: {r:?}"),
            Err(e) => println!("FAILS: {e}"),
        }
    } else if args.worker {
        worker(&args);
    } else {
        supervise(&args);
    }
}

/// Case `i` of the campaign seeded by `seed`: its own random stream, so any case replays alone.
fn case_at(seed: u64, i: u64) -> Case {
    tree_at(seed, i).current()
}

fn tree_at(seed: u64, i: u64) -> impl ValueTree<Value = Case> {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&i.to_le_bytes());
    bytes[16..].copy_from_slice(b"apiusage fuzz_lo");
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    case().new_tree(&mut runner).expect("a case")
}

fn state_file(findings: &Path, job: u64) -> PathBuf {
    findings.join(format!(".worker-{job}.state"))
}

// ---------------------------------------------------------------------------------------------
// Worker.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    cases: u64,
    exits: [u64; 3],
    reports: u64,
    rows: u64,
    findings: u64,
    max_heap: usize,
    max_heap_case: u64,
    slowest: Duration,
    slowest_case: u64,
}

fn worker(args: &Args) {
    set_hard_cap(HARD_CAP);
    let _ = seeds();
    let started = Instant::now();
    let mut stats = Stats::default();
    let state = state_file(&args.findings, args.job);
    let mut i = args.start;
    while i < args.cases {
        if i % args.jobs != args.job {
            i += 1;
            continue;
        }
        let _ = fs::write(&state, format!("{i}\n"));
        let tree = tree_at(args.seed, i);
        let case = tree.current();
        let t = Instant::now();
        let dir = tempfile::tempdir().expect("temp dir");
        let result = run_case(&case, dir.path());
        drop(dir);
        let took = t.elapsed();
        stats.cases += 1;
        if took > stats.slowest {
            stats.slowest = took;
            stats.slowest_case = i;
        }
        match result {
            Ok(r) => {
                stats.exits[usize::from(r.exit.min(2))] += 1;
                stats.reports += u64::from(r.wrote_report);
                stats.rows += r.rows_read;
                if r.peak_heap > stats.max_heap {
                    stats.max_heap = r.peak_heap;
                    stats.max_heap_case = i;
                }
            }
            Err(e) => {
                stats.findings += 1;
                let (small, why) = shrink(tree, e);
                let dir = args.findings.join(format!("case-{i}"));
                let _ = save_case(&small, &dir, &why);
                println!(
                    "FINDING case {i} (job {}): {}\n  saved to {}",
                    args.job,
                    why.lines().next().unwrap_or(""),
                    dir.display()
                );
            }
        }
        if stats.cases % 1000 == 0 {
            progress(args, &stats, started, i);
        }
        i += 1;
    }
    let _ = fs::write(&state, "done\n");
    progress(args, &stats, started, i);
    println!(
        "worker {} done: {} cases in {:.1} s, VmHWM {}",
        args.job,
        stats.cases,
        started.elapsed().as_secs_f64(),
        vm_hwm()
    );
}

fn progress(args: &Args, s: &Stats, started: Instant, at: u64) {
    println!(
        "progress job {}: {} cases (at {at}), {:.0} s, exit 0/1/2 = {}/{}/{}, reports {}, rows {}, \
         findings {}, max case heap {:.1} MiB (case {}), slowest {:.0} ms (case {}), live heap {:.1} MiB",
        args.job,
        s.cases,
        started.elapsed().as_secs_f64(),
        s.exits[0],
        s.exits[1],
        s.exits[2],
        s.reports,
        s.rows,
        s.findings,
        s.max_heap as f64 / (1 << 20) as f64,
        s.max_heap_case,
        s.slowest.as_secs_f64() * 1000.0,
        s.slowest_case,
        live_heap() as f64 / (1 << 20) as f64,
    );
    let _ = std::io::stdout().flush();
}

/// The standard proptest shrink loop: simplify while the case still fails, complicate back
/// when a simplification made it pass. Bounded in steps.
fn shrink(mut tree: impl ValueTree<Value = Case>, mut why: String) -> (Case, String) {
    let mut failing = tree.current();
    for _ in 0..300 {
        if !tree.simplify() {
            break;
        }
        loop {
            let dir = tempfile::tempdir().expect("temp dir");
            match run_case(&tree.current(), dir.path()) {
                Err(e) => {
                    failing = tree.current();
                    why = e;
                    break;
                }
                Ok(_) => {
                    if !tree.complicate() {
                        return (failing, why);
                    }
                }
            }
        }
    }
    (failing, why)
}

fn vm_hwm() -> String {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// Supervisor.
// ---------------------------------------------------------------------------------------------

struct Job {
    job: u64,
    child: Child,
    stderr: PathBuf,
    case: Option<(u64, Instant)>,
}

fn spawn(args: &Args, job: u64, start: u64) -> Job {
    let stderr = args.findings.join(format!(".worker-{job}.stderr"));
    let _ = fs::remove_file(state_file(&args.findings, job));
    let child = Command::new(std::env::current_exe().expect("own path"))
        .args([
            "--worker",
            "--job",
            &job.to_string(),
            "--jobs",
            &args.jobs.to_string(),
        ])
        .args(["--start", &start.to_string(), "--cases", &args.cases.to_string()])
        .args(["--seed", &args.seed.to_string(), "--findings"])
        .arg(&args.findings)
        .stdout(Stdio::inherit())
        .stderr(fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("spawn worker");
    Job {
        job,
        child,
        stderr,
        case: None,
    }
}

fn supervise(args: &Args) {
    let started = Instant::now();
    println!(
        "fuzz_long: {} cases from {} with seed {}, {} job(s), findings in {}",
        args.cases.saturating_sub(args.start),
        args.start,
        args.seed,
        args.jobs,
        args.findings.display()
    );
    let mut jobs: Vec<Job> = (0..args.jobs).map(|j| spawn(args, j, args.start)).collect();
    let mut deaths = 0u64;
    while !jobs.is_empty() {
        std::thread::sleep(Duration::from_millis(200));
        let mut k = 0;
        while k < jobs.len() {
            let running = current_case(&args.findings, jobs[k].job);
            if running != jobs[k].case.map(|c| c.0) {
                jobs[k].case = running.map(|c| (c, Instant::now()));
            }
            let timed_out = jobs[k]
                .case
                .is_some_and(|(_, since)| since.elapsed() > Duration::from_secs(args.case_timeout));
            if timed_out {
                let _ = jobs[k].child.kill();
            }
            match jobs[k].child.try_wait() {
                Ok(None) => k += 1,
                Ok(Some(status)) => {
                    let job = jobs.remove(k);
                    let done = fs::read_to_string(state_file(&args.findings, job.job))
                        .is_ok_and(|s| s.trim() == "done");
                    if status.success() && done {
                        continue;
                    }
                    deaths += 1;
                    let Some(i) = current_case(&args.findings, job.job) else {
                        die(&format!(
                            "worker {} ended ({status}) before its first case",
                            job.job
                        ));
                    };
                    let tail = tail(&job.stderr, 20);
                    let why = if timed_out {
                        format!("hang: still running after {} s\n{tail}", args.case_timeout)
                    } else {
                        format!("the worker died: {status}\n{tail}")
                    };
                    let dir = args.findings.join(format!("case-{i}"));
                    let _ = save_case(&case_at(args.seed, i), &dir, &why);
                    println!(
                        "FINDING case {i} (job {}): {}\n  saved to {}",
                        job.job,
                        why.lines().find(|l| !l.trim().is_empty()).unwrap_or(""),
                        dir.display()
                    );
                    let _ = std::io::stdout().flush();
                    if i + 1 < args.cases {
                        jobs.insert(k, spawn(args, job.job, i + 1));
                        k += 1;
                    }
                }
                Err(e) => die(&format!("waiting for a worker: {e}")),
            }
        }
    }
    println!(
        "fuzz_long done: cases {} (from {} to {}), seed {}, wall {:.1} s, {} worker death(s); findings in {}",
        args.cases.saturating_sub(args.start),
        args.start,
        args.cases,
        args.seed,
        started.elapsed().as_secs_f64(),
        deaths,
        args.findings.display()
    );
}

fn current_case(findings: &Path, job: u64) -> Option<u64> {
    fs::read_to_string(state_file(findings, job))
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// What a dead worker said: its lines that tell why (abort, panic, overflow), then its last
/// lines (the backtrace's end, which names our frames).
fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let why = all
        .iter()
        .filter(|l| {
            ["memory allocation of", "panicked at", "overflow", "fatal"]
                .iter()
                .any(|k| l.contains(k))
        })
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let ours = all
        .iter()
        .filter(|l| l.contains("apiusage::"))
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{why}\n{ours}\n{}",
        all[all.len().saturating_sub(lines)..].join("\n")
    )
}
