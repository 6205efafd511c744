//! Ingest and end-to-end timings on generated ApiTotalUsage data.
//!
//! `cargo bench --bench ingest` (release) generates `APIUSAGE_BENCH_ROWS` rows (default 1 M)
//! with `apiusage sample`'s generator, as CSV and as Parquet, under `target/bench-data/`
//! (reused when present), then times, per format:
//! - ingest + normalise + de-duplicate (`ingest::ingest` + `dedup::reconcile`), and
//! - the whole `report` pipeline up to the rendered bytes.
//!
//! Each step runs `APIUSAGE_BENCH_RUNS` times (default 3); the best and median wall times are
//! printed with rows/s. Peak memory is measured on the binary with `/usr/bin/time -v` (see
//! `benches/compare.sh`), since an in-process figure would include the generator.
//! A plain harness rather than criterion: each sample is seconds long, so criterion's
//! statistics add minutes of runtime and nothing a median of a few runs does not show.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use apiusage::sample::{self, BenchFormat};
use apiusage::{attribute, dedup, ingest, pipeline, render};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Generates the data once per size and format.
fn data(rows: u64, format: BenchFormat, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("{name}-{rows}"));
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let start = Instant::now();
        sample::write_bench_logs(&dir, rows, format, sample::BenchLayout::default())
            .expect("generate bench data");
        std::fs::write(&done, b"").expect("mark bench data");
        println!(
            "generated {rows} {name} rows in {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
    dir
}

fn time<T>(runs: u64, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut secs: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    (secs[0], secs[secs.len() / 2])
}

fn ingest_only(dir: &Path) -> u64 {
    let table = dedup::reconcile(
        ingest::ingest(
            &[dir.to_path_buf()],
            &[],
            &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
        )
        .expect("ingest"),
    );
    table.total.used
}

fn full_report(dir: &Path) -> usize {
    let table = dedup::reconcile(
        ingest::ingest(
            &[dir.to_path_buf()],
            &[],
            &ingest::Settings::at(chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap()),
        )
        .expect("ingest"),
    );
    let attribution = attribute::attribute(&table.calls, &attribute::IntegrationMap::default());
    let inputs = apiusage::allocation::AllocationInputs::default();
    let generated = chrono::DateTime::from_timestamp(0, 0).expect("epoch");
    let settings = pipeline::Settings::default();
    let a = pipeline::analyse_table(
        &table,
        &attribution,
        &settings,
        &inputs,
        generated,
        &mut pipeline::Watch::silent(),
    );
    render::render_all(&a).iter().map(|o| o.bytes.len()).sum()
}

fn main() {
    let rows = env_u64("APIUSAGE_BENCH_ROWS", 1_000_000);
    let runs = env_u64("APIUSAGE_BENCH_RUNS", 3).max(1);
    for (format, name) in [(BenchFormat::Csv, "csv"), (BenchFormat::Parquet, "parquet")] {
        let dir = data(rows, format, name);
        let used = ingest_only(&dir);
        let (best, median) = time(runs, || ingest_only(&dir));
        println!("{name:8} ingest+normalise+dedup  {rows:>11} rows  best {best:6.2} s  median {median:6.2} s  {:>6.2} M rows/s  ({used} used)", rows as f64 / best / 1e6);
        let (best, median) = time(runs, || full_report(&dir));
        println!("{name:8} full report (in memory) {rows:>11} rows  best {best:6.2} s  median {median:6.2} s  {:>6.2} M rows/s", rows as f64 / best / 1e6);
    }
}
