//! The recommendation stage's share of a `report`: runs the report pipeline on a folder of logs
//! (as `apiusage report` does, rendering to memory) and prints each stage's wall time.
//!
//! `cargo run --release --example recommend_share -- DIR` (after `apiusage sample --out DIR
//! --bench-rows 2000000`). A measuring aid, not a test: nothing here asserts a time.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use apiusage::allocation::AllocationInputs;
use apiusage::attribute::{attribute, IntegrationMap};
use apiusage::recommend::{recommend, Settings};
use apiusage::{analysis, capacity, dedup, findings, ingest, render, usage};

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("a folder of logs"));
    let mut stages: Vec<(&str, f64)> = Vec::new();
    let mut clock = Instant::now();
    let lap = |name: &'static str, stages: &mut Vec<(&str, f64)>, clock: &mut Instant| {
        stages.push((name, clock.elapsed().as_secs_f64()));
        *clock = Instant::now();
    };
    let generated = "2026-12-01T00:00:00Z".parse().expect("a time");
    let ingested = ingest::ingest(std::slice::from_ref(&dir), &[], &ingest::Settings::at(generated))
        .expect("readable logs");
    let table = dedup::reconcile(ingested);
    lap("ingest + dedup", &mut stages, &mut clock);
    let a = attribute(&table.calls, &IntegrationMap::default());
    lap("attribute", &mut stages, &mut clock);
    let reported = usage::compute(&table.calls, &table.orgs, &a);
    lap("usage", &mut stages, &mut clock);
    let recs = recommend(&table, &a, &Settings::default());
    lap("recommend", &mut stages, &mut clock);
    what_if_kernels(&table, &a, &recs);
    clock = Instant::now();
    let daily = capacity::daily_usage(&table.calls, &table.orgs, &a);
    let inputs = AllocationInputs::load(&["100000".into()], &[], &[]).expect("an allocation");
    let mut an = analysis::build(
        &table,
        reported,
        &inputs,
        &findings::Thresholds::default(),
        generated,
    );
    let n = recs.items.len();
    an.add_recommendations(recs);
    an.add_capacity(&daily);
    lap("capacity + analysis", &mut stages, &mut clock);
    let outputs = render::render_with(&an, &render::RenderOptions::default());
    lap("render", &mut stages, &mut clock);
    let total: f64 = stages.iter().map(|(_, s)| s).sum();
    println!(
        "{} rows, {} recommendations, {} outputs",
        table.calls.len(),
        n,
        outputs.len()
    );
    for (name, s) in &stages {
        println!("{name:>20}: {s:8.2} s  {:5.1} %", s * 100.0 / total);
    }
    println!("{:>20}: {total:8.2} s", "total");
}

/// The what-if kernel alone, per org and recommendation: the per-change pass over the org's
/// rows (`Stream::after`, as before) against the prebuilt counted streams and their sweep.
fn what_if_kernels(
    table: &dedup::Table,
    a: &apiusage::attribute::Attribution,
    recs: &apiusage::recommend::Recommendations,
) {
    use apiusage::recommend::whatif::{OrgStreams, Stream};
    let (mut per_change, mut sweep) = (0.0, 0.0);
    for ((_, range), w) in table.orgs.iter().zip(&recs.what_if) {
        let n = recs.items.iter().filter(|i| i.org_id == w.org_id).count().max(1);
        let clock = Instant::now();
        let stream = Stream {
            calls: &table.calls,
            range: range.clone(),
            attribution: a,
        };
        for _ in 0..n {
            std::hint::black_box(stream.after(Some(0), &w.removed));
        }
        per_change += clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let streams = OrgStreams::new(&table.calls, range.clone(), a);
        for _ in 0..n {
            std::hint::black_box(streams.org.peak_without(&w.removed, i64::MIN));
            std::hint::black_box(streams.of(0).peak_without(&w.removed, i64::MIN));
        }
        sweep += clock.elapsed().as_secs_f64();
    }
    println!("what-if kernel: per-change pass {per_change:.2} s, prebuilt streams + sweep {sweep:.2} s");
}
