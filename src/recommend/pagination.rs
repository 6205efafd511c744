//! Detector `pagination`: query results fetched page after page.
//!
//! Part of the recommendation stage; fed by `scan` with one integration's next-page calls
//! (`/query/{locator}`, a `nextRecordsUrl`, and SOAP `queryMore`), counted or not, in time order.
//! Every page is a call. A *run* is a sequence of pages of one resource less than [`RUN_GAP_MS`]
//! apart: one result set read to the end. Two changes save pages:
//! - a page size below the maximum (known where the logs give `ROWS_PROCESSED` for the pages):
//!   asking for 2,000 rows per page turns N pages of s rows into ⌈N·s/2,000⌉;
//! - result sets of [`BULK_PAGES`] pages or more (≥ 50,000 rows at 2,000 per page): a Bulk API 2.0
//!   query job, whose calls are the job's creation, a few status checks and result downloads;
//!   modelled as 2 calls plus one per [`BULK_PAGES`] pages, kept at the run's own times.

use super::classify::Row;
use super::{evidence, Confidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;

/// Pages closer than this belong to one result set.
pub(crate) const RUN_GAP_MS: Millis = 60_000;
/// Rows per page at most (REST `batchSize`, SOAP `QueryOptions`).
pub(crate) const MAX_PAGE_ROWS: u64 = 2_000;
/// Runs of this many pages or more are Bulk API 2.0 query jobs.
pub(crate) const BULK_PAGES: u64 = 25;
/// The recommendation needs at least this many pages saved.
const MIN_SAVED: u64 = 50;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct Pagination {
    run: Vec<u32>,
    last: Option<Millis>,
    resource: StrId,
    runs: u64,
    pages: u64,
    largest: u64,
    bulk_runs: u64,
    sizes: Vec<u32>,
    /// Counted pages of every run, with the run's length, for the what-if at `finish`.
    finished: Vec<Vec<u32>>,
    resources: Counter<StrId>,
    span: Span,
}

impl Pagination {
    /// One next-page call: counted ones are pages; any with a known row count shows the size.
    pub(crate) fn observe(&mut self, row: &Row) {
        if row.rows != u32::MAX && row.rows > 0 {
            self.sizes.push(row.rows);
        }
        if !row.counted {
            return;
        }
        let new_run = self.last.is_none_or(|t| row.ts - t >= RUN_GAP_MS) || row.resource != self.resource;
        if new_run {
            self.end_run();
        }
        (self.last, self.resource) = (Some(row.ts), row.resource);
        self.run.push(row.index);
        self.pages += 1;
        self.resources.add(row.resource);
        self.span.add(row.ts);
    }

    fn end_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let n = self.run.len() as u64;
        self.runs += 1;
        self.largest = self.largest.max(n);
        self.bulk_runs += u64::from(n >= BULK_PAGES);
        self.finished.push(std::mem::take(&mut self.run));
    }

    /// The median known page size, when enough pages show it.
    fn page_size(&self) -> Option<u64> {
        if self.sizes.len() < 10 {
            return None;
        }
        let mut sizes = self.sizes.clone();
        sizes.sort_unstable();
        Some(u64::from(sizes[sizes.len() / 2]).min(MAX_PAGE_ROWS))
    }

    /// The detection, if bigger pages or a Bulk API query would save enough.
    pub(crate) fn finish(mut self, calls: &Calls) -> Option<Detection> {
        self.end_run();
        let size = self.page_size();
        let mut removed = Vec::new();
        for run in &self.finished {
            removed.extend(saved_pages(run, size));
        }
        removed.sort_unstable();
        if (removed.len() as u64) < MIN_SAVED {
            return None;
        }
        let facts = self.facts(size, removed.len() as u64);
        Some(Detection {
            kind: Kind::Pagination,
            action: action(size, self.bulk_runs > 0),
            evidence: evidence(calls, facts, self.span, &self.resources.top(3)),
            removed,
            confidence: if size.is_some() {
                Confidence::High
            } else {
                Confidence::Medium
            },
        })
    }

    fn facts(&self, size: Option<u64>, saved: u64) -> Facts {
        let mut summary = format!(
            "{} next-page calls in {} result sets; the largest took {} pages; {} result set(s) of at least {BULK_PAGES} \
             pages.",
            thousands(self.pages),
            thousands(self.runs),
            thousands(self.largest),
            thousands(self.bulk_runs)
        );
        match size {
            Some(s) => summary.push_str(&format!(" Pages held {} rows (median).", thousands(s))),
            None => summary.push_str(" The logs do not show the page size."),
        }
        summary.push_str(&format!(" Up to {} pages saved.", thousands(saved)));
        Facts {
            summary,
            calls: self.pages,
            breakdown: Vec::new(),
            facts: vec![
                ("runs", self.runs),
                ("largest_run", self.largest),
                ("bulk_runs", self.bulk_runs),
                ("page_rows", size.unwrap_or(0)),
            ],
        }
    }
}

/// The pages of one run the change makes unnecessary: a Bulk API 2.0 job for large runs,
/// else bigger pages when the page size is known and below the maximum.
fn saved_pages(run: &[u32], size: Option<u64>) -> Vec<u32> {
    let n = run.len() as u64;
    let keep_every = if n >= BULK_PAGES {
        BULK_PAGES
    } else {
        match size {
            Some(s) if s > 0 && s < MAX_PAGE_ROWS => MAX_PAGE_ROWS / s,
            _ => return Vec::new(),
        }
    };
    // Bulk: the first page stands for the job's creation and status checks (2 calls), then
    // one download per `BULK_PAGES` pages.
    let extra = u64::from(n >= BULK_PAGES);
    run.iter()
        .enumerate()
        .filter(|(k, _)| {
            let k = *k as u64;
            !(k.is_multiple_of(keep_every) || extra == 1 && k == 1)
        })
        .map(|(_, &i)| i)
        .collect()
}

fn action(size: Option<u64>, bulk: bool) -> String {
    let mut parts = Vec::new();
    if size.is_some_and(|s| s < MAX_PAGE_ROWS) {
        parts.push(
            "Ask for 2,000 rows per page (REST: the Sforce-Query-Options header with batchSize=2000; SOAP: QueryOptions \
             batchSize) so each result set takes fewer pages.",
        );
    }
    if bulk {
        parts.push(
            "Read large result sets (50,000 rows and more) with a Bulk API 2.0 query job instead of paging through them: \
             a job costs a few calls (create, status checks, result downloads) whatever its size, and query jobs do not \
             use the Bulk API batch allocation (10,000 query jobs per 24 hours). Data Loader can do this with its \
             Bulk API setting.",
        );
    }
    if parts.is_empty() {
        parts.push("Fetch fewer pages: select only the rows and fields needed.");
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_runs_keep_two_calls_and_one_per_25_pages() {
        let run: Vec<u32> = (0..100).collect();
        // Kept: 0 and 1 (job and status), 25, 50, 75 (downloads).
        assert_eq!(saved_pages(&run, None).len(), 95);
    }

    #[test]
    fn small_pages_are_merged_to_2000_rows_and_full_pages_of_short_runs_save_nothing() {
        let run: Vec<u32> = (0..20).collect();
        assert_eq!(saved_pages(&run, Some(500)).len(), 15);
        assert!(saved_pages(&run, Some(2_000)).is_empty());
        assert!(saved_pages(&run, None).is_empty());
    }
}
