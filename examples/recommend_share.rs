//! The recommendation stage's share of a `report`: runs the report pipeline on a folder of logs
//! (as `apiusage report` does, rendering to memory) and prints each stage's wall and CPU time,
//! then the what-if kernel alone against the per-change reference pass.
//!
//! `cargo run --release --example recommend_share -- DIR` (after `apiusage sample --out DIR
//! --bench-rows 2000000`). A measuring aid, not a test: nothing here asserts a time.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use apiusage::allocation::AllocationInputs;
use apiusage::attribute::{attribute, IntegrationMap};
use apiusage::recommend::{recommend, Settings};
use apiusage::{dedup, ingest, pipeline, render, usage};

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("a folder of logs"));
    let generated = "2026-12-01T00:00:00Z".parse().expect("a time");
    let mut watch = pipeline::Watch::silent();
    let ingested = watch.timings.stage("ingest", || {
        ingest::ingest(std::slice::from_ref(&dir), &[], &ingest::Settings::at(generated))
            .expect("readable logs")
    });
    let table = watch.timings.stage("dedup", || dedup::reconcile(ingested));
    let a = watch.timings.stage("attribute", || {
        attribute(&table.calls, &IntegrationMap::default())
    });
    let allocation = AllocationInputs::load(&["100000".into()], &[], &[]).expect("an allocation");
    let settings = pipeline::Settings {
        recommend: Some(Settings::default()),
        capacity: true,
        ..pipeline::Settings::default()
    };
    let an = pipeline::analyse_table(&table, &a, &settings, &allocation, generated, &mut watch);
    let outputs = watch.timings.stage("render", || {
        render::render_with(&an, &render::RenderOptions::default())
    });
    println!(
        "{} rows, {} recommendations, {} outputs",
        table.calls.len(),
        an.recommendations.len(),
        outputs.len()
    );
    for line in watch.timings.lines() {
        println!("{line}");
    }
    let used = usage::compute(&table.calls, &table.orgs, &a);
    recommend_alone(&table, &a, &used);
    what_if_kernels(&table, &a, &recommend(&table, &a, &used, &Settings::default()));
}

/// The recommendation stage alone, five times over the same table: its median wall time is
/// steadier than the stage's share of one whole run.
fn recommend_alone(table: &dedup::Table, a: &apiusage::attribute::Attribution, used: &[usage::OrgUsage]) {
    let mut walls: Vec<f64> = (0..5)
        .map(|_| {
            let clock = Instant::now();
            std::hint::black_box(recommend(table, a, used, &Settings::default()));
            clock.elapsed().as_secs_f64()
        })
        .collect();
    walls.sort_by(f64::total_cmp);
    println!(
        "recommend alone: median {:.3} s (min {:.3}, max {:.3}) over 5 runs",
        walls[2], walls[0], walls[4]
    );
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
