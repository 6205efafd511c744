//! One pass over an org's time-sorted rows that feeds every integration's detectors.
//!
//! Part of the recommendation stage (after usage, before analysis). The table is sorted by org
//! then time, so walking an org's range once and handing each row to its integration's
//! detectors gives every integration its own calls in time order: one pass per integration,
//! without gathering per-integration row lists, and no allocation per row.
//!
//! OAuth token requests logged as Login events name a user but no connected app. They are
//! collected per user and given to the integration that made most of that user's counted calls.
//! Token-endpoint rows among the API rows belong to their own integration like any call.

use std::ops::Range;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::classify::{Class, Op, Resource, Row, Tables};
use super::composite_batch::CompositeBatch;
use super::errors::Errors;
use super::metadata::Metadata;
use super::old_version::OldVersions;
use super::pagination::Pagination;
use super::polling::Polling;
use super::single_record::SingleRecord;
use super::token_churn::TokenChurn;
use super::{Detection, Settings};
use crate::model::{flags, Calls, EventType, Millis, StrId};

/// Every detector's state for one integration.
struct Detectors {
    single: SingleRecord,
    polling: Polling,
    churn: TokenChurn,
    metadata: Metadata,
    composite: CompositeBatch,
    errors: Errors,
    versions: OldVersions,
    pages: Pagination,
}

impl Detectors {
    fn new(settings: &Settings) -> Self {
        Detectors {
            single: SingleRecord::default(),
            polling: Polling::default(),
            churn: TokenChurn::default(),
            metadata: Metadata::default(),
            composite: CompositeBatch::default(),
            errors: Errors::default(),
            versions: OldVersions::new(settings.min_api_version),
            pages: Pagination::default(),
        }
    }

    /// One call of the integration, in time order. Superseded fallback rows only enrich (error
    /// messages, rows processed, token rows no other source shows); uncounted rows add beats to
    /// a polling rhythm and token requests, but never make a pattern on their own.
    fn observe(&mut self, row: &Row) {
        self.errors.observe(row);
        match row.class {
            Class::CompositeBatch => self.composite.observe(row),
            Class::Login | Class::OAuthToken => self.churn.observe_token(row),
            Class::Page => self.pages.observe(row),
            Class::Other | Class::Failed if !row.superseded => self.polling.observe(row),
            _ => {}
        }
        if !row.counted {
            return;
        }
        self.versions.observe(row);
        self.single.observe(row);
        self.churn.observe(row);
        if row.class == Class::Metadata {
            self.metadata.observe(row);
        }
    }

    /// The detections.
    fn finish(self, calls: &Calls) -> Vec<Detection> {
        let found = [
            self.single.finish(calls),
            self.polling.finish(calls),
            self.churn.finish(calls),
            self.metadata.finish(calls),
            self.composite.finish(calls),
            self.errors.finish(calls),
            self.versions.finish(calls),
            self.pages.finish(calls),
        ];
        found.into_iter().flatten().collect()
    }
}

/// What one org's scan found.
pub(crate) struct Scanned {
    /// Every detection, with the integration index it belongs to.
    pub detections: Vec<(usize, Detection)>,
}

/// Every detection in the org's `range`, in integration order.
///
/// Integrations are independent until the token requests are handed out, so the org's
/// integrations are split into one bucket per thread, balanced by their rows, and each bucket
/// walks the range for its own integrations. The detections do not depend on the split: every
/// integration still sees all its rows in time order, and the output is ordered by integration.
pub(crate) fn scan_org(calls: &Calls, range: Range<usize>, tables: &Tables, settings: &Settings) -> Scanned {
    let soap_rows = SoapRows::new(calls, range.clone(), tables);
    let bucket_of = buckets(calls, range.clone(), tables, rayon::current_num_threads());
    let buckets = bucket_of.iter().map(|b| *b as usize + 1).max().unwrap_or(1);
    let walks: Vec<Walk> = (0..buckets)
        .into_par_iter()
        .map(|b| {
            walk(
                calls,
                range.clone(),
                tables,
                settings,
                (&soap_rows, &bucket_of, b as u8),
            )
        })
        .collect();
    let mut states: Vec<Option<Detectors>> = (0..tables.integrations).map(|_| None).collect();
    let mut counted_by_shape = vec![0u64; calls.shapes.len()];
    let mut logins: Vec<(StrId, u32)> = Vec::new();
    for w in walks {
        for (i, state) in w.states {
            states[i] = Some(state);
        }
        // Each shape belongs to one integration, so one walk counts it.
        for (total, n) in counted_by_shape.iter_mut().zip(w.counted_by_shape) {
            *total += n;
        }
        logins.extend(w.logins);
    }
    give_logins(calls, tables, &counted_by_shape, &logins, &mut states);
    let found: Vec<Vec<(usize, Detection)>> = states
        .into_par_iter()
        .enumerate()
        .filter_map(|(i, state)| state.map(|s| s.finish(calls).into_iter().map(|d| (i, d)).collect()))
        .collect();
    Scanned {
        detections: found.into_iter().flatten().collect(),
    }
}

/// What one bucket's walk collected.
struct Walk {
    /// Its integrations' detectors, by integration index.
    states: Vec<(usize, Detectors)>,
    counted_by_shape: Vec<u64>,
    /// Token requests (the first bucket collects them all).
    logins: Vec<(StrId, u32)>,
}

/// Per integration index, its bucket: integrations by their rows in the range, largest first,
/// each to the bucket with the fewest rows so far (ties: the lower bucket), so the buckets'
/// walks take about as long.
fn buckets(calls: &Calls, range: Range<usize>, tables: &Tables, threads: usize) -> Vec<u8> {
    let buckets = threads.clamp(1, 64);
    let mut bucket_of = vec![0u8; tables.integrations];
    if buckets == 1 {
        return bucket_of;
    }
    let mut rows: FxHashMap<u32, u64> = FxHashMap::default();
    for i in range {
        *rows
            .entry(tables.shapes[calls.shape[i] as usize].integration)
            .or_default() += 1;
    }
    let mut by_rows: Vec<(u32, u64)> = rows.into_iter().collect();
    by_rows.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut load = vec![0u64; buckets];
    for (integration, n) in by_rows {
        let (b, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(b, l)| (**l, *b))
            .unwrap_or((0, &0));
        load[b] += n;
        bucket_of[integration as usize] = b as u8;
    }
    bucket_of
}

/// One bucket's walk over the org's rows in range: its integrations' calls to their detectors.
fn walk(
    calls: &Calls,
    range: Range<usize>,
    tables: &Tables,
    settings: &Settings,
    (soap_rows, bucket_of, bucket): (&SoapRows, &[u8], u8),
) -> Walk {
    let mut states: FxHashMap<usize, Detectors> = FxHashMap::default();
    let mut counted_by_shape = vec![0u64; calls.shapes.len()];
    let mut logins: Vec<(StrId, u32)> = Vec::new();
    // Warm-up rows (the 24 h before `--since`) are context for the windows only: no pattern is
    // detected in them, as no peak is reported from them.
    for i in range.filter(|&i| calls.in_range(i)) {
        let shape = calls.shape[i] as usize;
        let info = &tables.shapes[shape];
        if bucket == 0
            && info.login_event
            && tables.resources[calls.resource[i] as usize].kind == Resource::OAuthToken
        {
            logins.push((calls.shapes[shape].user_id, i as u32));
        }
        if info.api && bucket_of[info.integration as usize] == bucket {
            let mut row = tables.row(calls, i);
            soap_rows.join(calls, tables, i, &mut row);
            counted_by_shape[shape] += u64::from(row.counted);
            states
                .entry(info.integration as usize)
                .or_insert_with(|| Detectors::new(settings))
                .observe(&row);
        }
    }
    Walk {
        states: states.into_iter().collect(),
        counted_by_shape,
        logins,
    }
}

/// Hands each OAuth token request, in time order, to its user's integration.
fn give_logins(
    calls: &Calls,
    tables: &Tables,
    counted_by_shape: &[u64],
    logins: &[(StrId, u32)],
    states: &mut [Option<Detectors>],
) {
    let owners = login_owners(calls, tables, counted_by_shape);
    for &(user, row) in logins {
        if let Some(state) = owners.get(&user).and_then(|&i| states[i].as_mut()) {
            let i = row as usize;
            state.churn.add_login(row, calls.ts[i], calls.resource[i]);
        }
    }
}

/// For each user, the integration that made most of the user's counted calls (ties: the first
/// integration by key, so the choice never depends on row order).
fn login_owners(calls: &Calls, tables: &Tables, counted_by_shape: &[u64]) -> FxHashMap<StrId, usize> {
    let mut per_user: FxHashMap<(StrId, usize), u64> = FxHashMap::default();
    for (shape, &n) in counted_by_shape.iter().enumerate().filter(|(_, n)| **n > 0) {
        let user = calls.shapes[shape].user_id;
        let integration = tables.shapes[shape].integration as usize;
        *per_user.entry((user, integration)).or_insert(0) += n;
    }
    let mut owners: FxHashMap<StrId, (usize, u64)> = FxHashMap::default();
    for ((user, integration), n) in per_user.into_iter().filter(|((u, _), _)| *u != 0) {
        let best = owners.entry(user).or_insert((integration, n));
        if n > best.1 || (n == best.1 && integration < best.0) {
            *best = (integration, n);
        }
    }
    owners.into_iter().map(|(u, (i, _))| (u, i)).collect()
}

/// SOAP API rows superseded by ApiTotalUsage, which still know `ROWS_PROCESSED`: per (user,
/// operation), their times and row counts. ApiTotalUsage names the SOAP operation but not how
/// many records it carried, so on days with ApiTotalUsage a counted SOAP write takes the row
/// count of the SOAP API row of the same user and operation logged closest to it, within
/// [`SOAP_JOIN_MS`].
struct SoapRows(FxHashMap<(StrId, Op), Vec<(Millis, u32)>>);

/// The two logs of one SOAP request are this close in time, at most.
const SOAP_JOIN_MS: Millis = 1_000;

impl SoapRows {
    fn new(calls: &Calls, range: Range<usize>, tables: &Tables) -> SoapRows {
        let mut map: FxHashMap<(StrId, Op), Vec<(Millis, u32)>> = FxHashMap::default();
        for i in range {
            let superseded = calls.flags[i] & flags::SUPERSEDED != 0;
            if !superseded || calls.rows_processed[i] == u32::MAX || calls.event_of(i) != EventType::Api {
                continue;
            }
            if let Some(op) = tables.soap_write(calls, i) {
                let user = calls.shape_of(i).user_id;
                map.entry((user, op))
                    .or_default()
                    .push((calls.ts[i], calls.rows_processed[i]));
            }
        }
        SoapRows(map)
    }

    /// Gives `row` the row count of its SOAP API twin, when it is a counted SOAP write without
    /// one. In place: a row passed through by value was copied field by field, and reading
    /// back its byte-sized fields stalled the scan's loop at every row.
    fn join(&self, calls: &Calls, tables: &Tables, i: usize, row: &mut Row) {
        if self.0.is_empty() || !row.counted || row.rows != u32::MAX {
            return;
        }
        let Some(op) = tables.soap_write(calls, i) else {
            return;
        };
        let Some(twins) = self.0.get(&(calls.shape_of(i).user_id, op)) else {
            return;
        };
        let at = twins.partition_point(|(t, _)| *t < row.ts);
        let near = [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|k| twins.get(k))
            .filter(|(t, _)| (t - row.ts).abs() <= SOAP_JOIN_MS)
            .min_by_key(|(t, _)| (t - row.ts).abs());
        if let Some(&(_, rows)) = near {
            *row = row.with_rows(op, rows);
        }
    }
}
