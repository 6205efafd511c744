//! Detector `single_record_crud`: records read or written one per call, many at a time.
//!
//! Part of the recommendation stage; fed one integration's counted calls in time order by
//! `scan`. A *run* is a maximal sequence of the integration's counted calls (of any kind) whose
//! consecutive gaps are under [`RUN_GAP_MS`]: what a sync job does in one go. Inside a run the
//! single-record calls of one operation on one entity could have been one sObject Collections
//! request per [`COLLECTION_SIZE`] records, so the what-if keeps the first call of each block of
//! 200 and removes the rest: N calls become ⌈N/200⌉, at the run's own times. Runs whose
//! single-record calls come slower than [`MACHINE_PACE_MS`] apart on average are a person at
//! work, not a job, and save nothing.

use rustc_hash::FxHashMap;

use super::classify::{entity_name, Class, Op, Row};
use super::{evidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;

/// Calls closer than this belong to the same run (a job sending records back to back).
pub(crate) const RUN_GAP_MS: Millis = 60_000;
/// Records per sObject Collections request.
pub(crate) const COLLECTION_SIZE: u64 = 200;
/// Above this many records in a run, Salesforce recommends Bulk API 2.0 (reference §4.4).
pub(crate) const BULK_RECORDS_PER_RUN: u64 = 2_000;
/// A run's single-record calls are batchable only when they come at a machine's pace, on
/// average at most this far apart: a person opening record after record in a burst is not a
/// job that could send them together.
pub(crate) const MACHINE_PACE_MS: Millis = 1_000;
/// The recommendation needs at least this many calls saved…
const MIN_SAVED: u64 = 20;
/// …and at least this share (percent) of the single-record calls: isolated single calls (a
/// person's script, a trigger-like callout) are not batchable and are left alone.
const MIN_SAVED_PERCENT: u64 = 10;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct SingleRecord {
    last: Option<Millis>,
    in_run: FxHashMap<(Op, StrId), u64>,
    run_records: u64,
    run_first: Millis,
    run_last: Millis,
    run_removed_from: usize,
    runs: u64,
    largest_run: u64,
    calls: u64,
    removed: Vec<u32>,
    groups: Counter<(Op, StrId)>,
    resources: Counter<StrId>,
    span: Span,
}

impl SingleRecord {
    /// One counted call of the integration.
    pub(crate) fn observe(&mut self, row: &Row) {
        if self.last.is_some_and(|t| row.ts - t >= RUN_GAP_MS) {
            self.end_run();
        }
        self.last = Some(row.ts);
        if let Class::Single(op) = row.class {
            self.add(row, op);
        }
    }

    fn add(&mut self, row: &Row, op: Op) {
        if self.run_records == 0 {
            (self.run_first, self.run_removed_from) = (row.ts, self.removed.len());
        }
        self.run_last = row.ts;
        let key = (op, row.subject);
        let seen = self.in_run.entry(key).or_insert(0);
        if !(*seen).is_multiple_of(COLLECTION_SIZE) {
            self.removed.push(row.index);
        }
        *seen += 1;
        self.run_records += 1;
        self.calls += 1;
        self.groups.add(key);
        self.resources.add(row.resource);
        self.span.add(row.ts);
    }

    fn end_run(&mut self) {
        let n = self.run_records as i64;
        if n > 1 && (self.run_last - self.run_first) / (n - 1) > MACHINE_PACE_MS {
            self.removed.truncate(self.run_removed_from);
        }
        if self.run_records > 0 {
            self.runs += 1;
            self.largest_run = self.largest_run.max(self.run_records);
        }
        self.run_records = 0;
        self.in_run.clear();
    }

    /// The detection, if batching would save enough.
    pub(crate) fn finish(mut self, calls: &Calls) -> Option<Detection> {
        self.end_run();
        let saved = self.removed.len() as u64;
        if saved < MIN_SAVED || saved * 100 < self.calls * MIN_SAVED_PERCENT {
            return None;
        }
        Some(Detection {
            kind: Kind::SingleRecordCrud,
            action: action(self.largest_run),
            evidence: evidence(calls, self.facts(calls), self.span, &self.resources.top(3)),
            removed: self.removed,
            confidence: super::Confidence::High,
        })
    }

    fn facts(&self, calls: &Calls) -> Facts {
        let name =
            |(op, subject): (Op, StrId)| format!("{} {}", op.name(), entity_name(calls.strings.get(subject)));
        Facts {
            summary: format!(
                "{} single-record calls in {} runs (calls less than {} apart); the largest run had {} records.",
                thousands(self.calls),
                thousands(self.runs),
                super::duration(RUN_GAP_MS),
                thousands(self.largest_run)
            ),
            calls: self.calls,
            breakdown: self.groups.top(8).into_iter().map(|(g, n)| (name(g), n)).collect(),
            facts: vec![("runs", self.runs), ("largest_run", self.largest_run)],
        }
    }
}

/// What to do instead, for every run size.
const ACTION: &str = "Send records in batches instead of one per call: sObject Collections (/composite/sobjects, up to \
    200 records per call) for create, update, upsert and delete, and one SOQL query with WHERE Id IN (…) or \
    GET /composite/sobjects/<Entity>?ids=… for reads; use Composite (/composite, up to 25 subrequests, one call) when \
    the steps depend on each other.";

fn action(largest_run: u64) -> String {
    let mut text = String::from(ACTION);
    if largest_run > BULK_RECORDS_PER_RUN {
        text.push_str(&format!(
            " Runs reach {} records: above about {} records per run, use a Bulk API 2.0 ingest or query job.",
            thousands(largest_run),
            thousands(BULK_RECORDS_PER_RUN)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::classify::Class;

    fn row(index: u32, ts: Millis, class: Class) -> Row {
        Row {
            index,
            ts,
            class,
            resource: 1,
            name: 1,
            method: 2,
            subject: 3,
            counted: true,
            superseded: false,
            rows: u32::MAX,
            refused: false,
            version: Some(580),
        }
    }

    #[test]
    fn a_run_of_450_updates_keeps_three_calls() {
        let mut d = SingleRecord::default();
        for i in 0..450 {
            d.observe(&row(i, i64::from(i) * 100, Class::Single(Op::Update)));
        }
        assert_eq!(d.removed.len(), 447);
        assert!(!d.removed.contains(&0) && !d.removed.contains(&200) && !d.removed.contains(&400));
    }

    #[test]
    fn calls_a_minute_apart_are_separate_runs_and_save_nothing() {
        let mut d = SingleRecord::default();
        for i in 0..100 {
            d.observe(&row(i, i64::from(i) * RUN_GAP_MS, Class::Single(Op::Update)));
        }
        assert!(d.removed.is_empty());
        assert_eq!(d.runs + u64::from(d.run_records > 0), 100);
    }

    #[test]
    fn bulk_api_is_suggested_above_2000_records_per_run() {
        assert!(action(2_001).contains("Bulk API 2.0"));
        assert!(!action(2_000).contains("Bulk API 2.0"));
    }
}
