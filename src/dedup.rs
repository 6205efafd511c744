//! Stage 2 of the pipeline: ingest's rows → one de-duplicated, reconciled table, sorted by org
//! then time, with the row accounting completed.
//!
//! - **Duplicates** (SPEC.md §2.3): daily and hourly files hold the same events, and users
//!   re-download. Rows are equal when org, event type, timestamp and the row key (request id,
//!   user, resource — or the whole row without a request id) are equal. The first in path and
//!   line order is kept; the others are counted against their own file.
//! - **Fallback reconciliation** (SPEC.md §2.2): an org-day that has ApiTotalUsage takes no
//!   counted calls from RestApi/API/ApexRestApi/BulkApiRequest; those rows stay in the table
//!   for their enrichment fields (rows processed, error messages), marked superseded and
//!   accounted as ignored.
//! - **Context rows** (Login, Bulk job events, composite children) stay in the table, never
//!   counted, for the detectors; the accounting lists them as ignored.
//!
//! Sorting once here means every later stage gets each org's calls as one contiguous,
//! time-ordered range.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use rayon::prelude::*;

use crate::ingest::{FileReport, Ingested};
use crate::model::{flags, Calls, EventType, Role, RowTally, StrId};
use crate::window::WINDOW_MS;

/// Ignored-row reason for fallback rows on an org-day that has ApiTotalUsage.
pub const SUPERSEDED: &str = "fallback row superseded by ApiTotalUsage for the same org-day";

/// Ignored-row reason for rows that are context, never calls.
pub fn context_reason(event: EventType) -> String {
    format!("context only, not an API call: {}", event.name())
}

/// The reconciled table and its accounting.
#[derive(Debug, Default)]
pub struct Table {
    /// Kept rows, sorted by org id, then timestamp, then path and line.
    pub calls: Calls,
    /// Each org's rows in `calls`, orgs in id order.
    pub orgs: Vec<(StrId, Range<usize>)>,
    /// Per readable file, its completed accounting.
    pub files: Vec<FileReport>,
    /// All files together.
    pub total: RowTally,
    /// Ingest's unreadable files and skipped paths, passed through.
    pub unreadable: Vec<crate::ingest::FileError>,
    /// Paths that were not log files.
    pub skipped: Vec<crate::ingest::Skipped>,
    /// Per org (15-character id), the earliest timestamp of any of its kept rows before the
    /// filter, context rows included: how far back the inputs reach, to judge the warm-up.
    pub earliest: BTreeMap<String, i64>,
    /// The filter applied by [`Table::restrict`].
    pub filter: Filter,
}

/// De-duplicates and reconciles ingest's output.
pub fn reconcile(ingested: Ingested) -> Table {
    let Ingested {
        mut calls,
        mut files,
        unreadable,
        skipped,
    } = ingested;
    let groups = sorted_by_org(&calls);
    let keep = mark_duplicates_and_superseded(&mut calls, &groups, &mut files);
    count_used_and_context(&calls, &keep, &mut files);
    let orgs = gather(&mut calls, groups, &keep);
    let mut total = RowTally::default();
    for f in &files {
        total.merge(f.rows.clone());
    }
    let earliest = orgs
        .iter()
        .map(|(org, r)| (calls.strings.get(*org).to_string(), calls.ts[r.start]))
        .collect();
    Table {
        calls,
        orgs,
        files,
        total,
        unreadable,
        skipped,
        earliest,
        filter: Filter::default(),
    }
}

/// Row indices grouped by org (in org id order), each sorted by time then original index.
fn sorted_by_org(calls: &Calls) -> Vec<(StrId, Vec<(i64, u32)>)> {
    let mut org_of_shape: Vec<StrId> = calls.shapes.iter().map(|s| s.org).collect();
    let mut orgs: Vec<StrId> = org_of_shape.clone();
    orgs.sort_by(|a, b| calls.strings.get(*a).cmp(calls.strings.get(*b)));
    orgs.dedup();
    let rank = |org: StrId| orgs.iter().position(|o| *o == org).unwrap_or(0);
    let shape_rank: Vec<usize> = org_of_shape.drain(..).map(rank).collect();
    // Sized up front: grown push by push, the groups of 10 M rows were copied ~20 times over.
    let mut sizes = vec![0usize; orgs.len()];
    for &shape in &calls.shape {
        sizes[shape_rank[shape as usize]] += 1;
    }
    let mut groups: Vec<Vec<(i64, u32)>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (i, (&ts, &shape)) in calls.ts.iter().zip(&calls.shape).enumerate() {
        groups[shape_rank[shape as usize]].push((ts, i as u32));
    }
    // Logs arrive mostly in time order per file, which the sort exploits.
    groups.par_iter_mut().for_each(|g| g.par_sort_unstable());
    orgs.into_iter().zip(groups).collect()
}

/// Which rows stay (`false` for later copies of a row, counted against their file) and the
/// superseded flag on fallback rows. Orgs are independent, so they are judged in parallel and
/// their verdicts applied afterwards, in org order.
fn mark_duplicates_and_superseded(
    calls: &mut Calls,
    groups: &[(StrId, Vec<(i64, u32)>)],
    files: &mut [FileReport],
) -> Vec<bool> {
    let verdicts: Vec<OrgVerdict> = groups
        .par_iter()
        .map(|(_, order)| judge_org(calls, order))
        .collect();
    let mut keep = vec![true; calls.len()];
    for verdict in verdicts {
        for row in verdict.duplicates {
            keep[row as usize] = false;
            files[calls.file[row as usize] as usize].rows.duplicates += 1;
        }
        for row in verdict.superseded {
            calls.flags[row as usize] |= flags::SUPERSEDED;
        }
    }
    keep
}

/// One org's duplicate rows and superseded fallback rows.
struct OrgVerdict {
    duplicates: Vec<u32>,
    superseded: Vec<u32>,
}

/// Judges one org's rows (`order`: sorted by time, then row).
fn judge_org(calls: &Calls, order: &[(i64, u32)]) -> OrgVerdict {
    let kept = kept_positions(calls, order);
    let duplicates = order
        .iter()
        .zip(&kept)
        .filter(|(_, k)| !**k)
        .map(|((_, row), _)| *row)
        .collect();
    let superseded = superseded_rows(calls, order, &kept);
    OrgVerdict {
        duplicates,
        superseded,
    }
}

/// Per position of `order`, whether the row is the first of its copies. Equal rows share a
/// timestamp, so only rows within one run of equal timestamps are compared.
fn kept_positions(calls: &Calls, order: &[(i64, u32)]) -> Vec<bool> {
    let mut kept = vec![true; order.len()];
    let mut start = 0;
    while start < order.len() {
        let end = start
            + order[start..]
                .iter()
                .take_while(|(t, _)| *t == order[start].0)
                .count();
        for j in start + 1..end {
            let row = order[j].1 as usize;
            let same = |i: usize| {
                let earlier = order[i].1 as usize;
                kept[i]
                    && calls.key[earlier] == calls.key[row]
                    && calls.shape_of(earlier).event == calls.shape_of(row).event
            };
            if (start..j).any(same) {
                kept[j] = false;
            }
        }
        start = end;
    }
    kept
}

/// Kept fallback rows on the org-days that have kept ApiTotalUsage rows.
fn superseded_rows(calls: &Calls, order: &[(i64, u32)], kept: &[bool]) -> Vec<u32> {
    let day = |ts: i64| ts.div_euclid(WINDOW_MS);
    let kept_rows = || order.iter().zip(kept).filter(|(_, k)| **k).map(|(o, _)| *o);
    let primary_days: BTreeSet<i64> = kept_rows()
        .filter(|(_, r)| calls.event_of(*r as usize).role() == Role::Primary)
        .map(|(ts, _)| day(ts))
        .collect();
    kept_rows()
        .filter(|(ts, r)| {
            calls.event_of(*r as usize).role() == Role::Fallback && primary_days.contains(&day(*ts))
        })
        .map(|(_, r)| r)
        .collect()
}

/// Kept call-source rows are used; kept context and superseded rows are ignored (but stay in
/// the table for the detectors).
fn count_used_and_context(calls: &Calls, keep: &[bool], files: &mut [FileReport]) {
    for (row, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        let rows = &mut files[calls.file[row] as usize].rows;
        let event = calls.event_of(row);
        if event.role() == Role::Context {
            *rows.ignored.entry(context_reason(event)).or_default() += 1;
        } else if calls.flags[row] & flags::SUPERSEDED != 0 {
            *rows.ignored.entry(SUPERSEDED.to_string()).or_default() += 1;
        } else {
            rows.used += 1;
        }
    }
}

/// Reorders `calls` in place into the sorted table of kept rows, and each org's range in it.
/// Columns are replaced one at a time and the sort groups freed first, so the peak is the
/// table plus one column rather than two tables (this is the run's memory high-water mark).
fn gather(
    calls: &mut Calls,
    groups: Vec<(StrId, Vec<(i64, u32)>)>,
    keep: &[bool],
) -> Vec<(StrId, Range<usize>)> {
    let mut ranges = Vec::new();
    let mut order: Vec<u32> = Vec::with_capacity(keep.iter().filter(|k| **k).count());
    for (org, g) in groups {
        let start = order.len();
        order.extend(g.iter().map(|(_, r)| *r).filter(|r| keep[*r as usize]));
        if order.len() > start {
            ranges.push((org, start..order.len()));
        }
    }
    // Duplicates are found: nothing after this compares keys, and they were a fifth of a
    // large org's table at the report's peak.
    calls.key = Vec::new();
    calls.gather(&order);
    ranges
}

/// Which calls a run analyses (`--since`, `--until`, `--org`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Inclusive lower bound, UTC ms.
    pub since: Option<i64>,
    /// Exclusive upper bound, UTC ms.
    pub until: Option<i64>,
    /// Org ids in 15-character form; empty means every org.
    pub orgs: Vec<String>,
}

/// Ignored-row reason for rows before `--since` (and its 24-hour warm-up) or at/after `--until`.
pub const OUTSIDE_TIME: &str = "outside --since/--until";
/// Ignored-row reason for rows of orgs not selected with `--org`.
pub const OTHER_ORG: &str = "org not selected by --org";

impl Filter {
    /// Start of the warm-up: calls from here to `since` are context for the windows after it.
    pub fn warm_up_start(&self) -> Option<i64> {
        self.since.map(|s| s.saturating_sub(WINDOW_MS))
    }
}

impl Table {
    /// Applies `filter`. Rows of other orgs, at or before the warm-up's start (`since − 24 h`:
    /// no window after `since` reaches them) or at/after
    /// `until` are dropped and move from used to ignored with their reason. Rows in the 24 hours
    /// before `since` stay, flagged [`flags::WARM_UP`]: they are context for the rolling windows
    /// after `since`, never reported themselves. In the accounting they stay where they were
    /// (a call row is *used*, as context; usage counts them per org), so
    /// `read = used + duplicates + ignored + bad` keeps holding.
    pub fn restrict(&mut self, filter: &Filter) {
        self.filter = filter.clone();
        if filter == &Filter::default() {
            return;
        }
        let warm_up_start = filter.warm_up_start();
        let calls = &mut self.calls;
        // The selected orgs as pool ids, resolved once: a row's org is then one id compare.
        let selected: Vec<StrId> = filter.orgs.iter().filter_map(|o| calls.strings.find(o)).collect();
        let mut keep = vec![true; calls.len()];
        for (row, kept) in keep.iter_mut().enumerate() {
            let ts = calls.ts[row];
            let why = if !filter.orgs.is_empty() && !selected.contains(&calls.shape_of(row).org) {
                OTHER_ORG
            } else if warm_up_start.is_some_and(|s| ts <= s) || filter.until.is_some_and(|u| ts >= u) {
                OUTSIDE_TIME
            } else {
                if filter.since.is_some_and(|s| ts < s) {
                    calls.flags[row] |= flags::WARM_UP;
                }
                continue;
            };
            *kept = false;
            if calls.is_call(row) {
                let rows = &mut self.files[calls.file[row] as usize].rows;
                rows.used -= 1;
                match rows.ignored.get_mut(why) {
                    Some(n) => *n += 1,
                    None => {
                        rows.ignored.insert(why.to_string(), 1);
                    }
                }
            }
        }
        let orgs: Vec<StrId> = self.orgs.iter().map(|(o, _)| *o).collect();
        self.calls.retain_rows(&keep);
        // An org whose rows are all warm-up context has nothing in range to report.
        let calls = &self.calls;
        self.orgs = org_ranges(calls, &orgs)
            .into_iter()
            .filter(|(_, r)| r.clone().any(|i| calls.in_range(i)))
            .collect();
        self.total = RowTally::default();
        for f in &self.files {
            self.total.merge(f.rows.clone());
        }
    }

    /// Refuses a run that would report nothing as if all were well (a nightly job whose
    /// download failed must not look healthy): no log file at all, no Event Monitoring call
    /// rows, an `--org` that is not in the input. Called before [`Table::restrict`]; the error
    /// says what was found.
    pub fn check_found(&self, filter: &Filter) -> Result<(), String> {
        if self.files.is_empty() && self.unreadable.is_empty() {
            let skipped = match self.skipped.len() {
                0 => "nothing else either".to_string(),
                n => format!(
                    "{n} other path(s) passed over: {}",
                    list(self.skipped.iter().map(|s| format!("{} ({})", s.path, s.reason)))
                ),
            };
            return Err(format!(
                "no log files (.csv, .csv.gz, .parquet) found in the input; {skipped}"
            ));
        }
        let has_calls = (0..self.calls.len()).any(|i| self.calls.is_call(i));
        if !has_calls && !self.files.is_empty() {
            let mut events: Vec<&str> = self
                .calls
                .shapes
                .iter()
                .map(|s| EventType::from_index(s.event).name())
                .collect();
            events.sort_unstable();
            events.dedup();
            let ignored: Vec<String> = self
                .total
                .ignored
                .iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            let bad: Vec<String> = self
                .total
                .bad
                .iter()
                .map(|(why, e)| format!("{} {why}", e.count))
                .collect();
            return Err(format!(
                "no Event Monitoring API call rows (ApiTotalUsage, RestApi, API, ApexRestApi, BulkApiRequest) in {} file(s), {} row(s) read; event types found: {}; ignored: {}; bad: {}",
                self.files.len(),
                self.total.read,
                list(events.into_iter().map(str::to_string)),
                list(ignored.into_iter()),
                list(bad.into_iter()),
            ));
        }
        check_orgs(filter, &self.org_ids())
    }

    /// Refuses a filter that leaves no call in range (`--since` after the last call, …),
    /// saying when the calls are. Called after [`Table::restrict`] with the span before it.
    pub fn check_in_range(&self, before: Option<(i64, i64)>) -> Result<(), String> {
        if !self.orgs.is_empty() || self.filter == Filter::default() {
            return Ok(());
        }
        Err(out_of_range(&self.filter, before))
    }

    /// First and last timestamp of the call rows of the selected orgs (for messages).
    pub fn call_span(&self, filter: &Filter) -> Option<(i64, i64)> {
        let selected = |i: usize| {
            filter.orgs.is_empty()
                || filter
                    .orgs
                    .iter()
                    .any(|o| o == self.calls.strings.get(self.calls.shape_of(i).org))
        };
        let mut span: Option<(i64, i64)> = None;
        for i in (0..self.calls.len()).filter(|&i| self.calls.is_call(i) && selected(i)) {
            let t = self.calls.ts[i];
            span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
        span
    }

    /// Org ids present in the input (before `--org`), in id order.
    pub fn org_ids(&self) -> Vec<&str> {
        self.earliest.keys().map(String::as_str).collect()
    }
}

/// Refuses `--org` ids that are not among `found` (the input's org ids, in id order).
pub fn check_orgs(filter: &Filter, found: &[&str]) -> Result<(), String> {
    let unknown: Vec<&String> = filter
        .orgs
        .iter()
        .filter(|o| !found.contains(&o.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let listed = list(found.iter().map(|o| o.to_string()));
    let hint = |o: &str| {
        found
            .iter()
            .find(|f| f.eq_ignore_ascii_case(o))
            .map_or_else(String::new, |f| {
                format!(" (org ids are case-sensitive: did you mean {f}?)")
            })
    };
    let names: Vec<String> = unknown.iter().map(|o| format!("{o}{}", hint(o))).collect();
    Err(format!("unknown org {}; orgs found: {listed}", names.join(", ")))
}

/// Why a `filter` that leaves no call in range is refused, saying when the calls are
/// (`before`: the span of the selected orgs' calls before the filter).
pub fn out_of_range(filter: &Filter, before: Option<(i64, i64)>) -> String {
    let bound = |flag: &str, t: Option<i64>| t.map(|t| format!(" {flag} {}", crate::text::rfc3339(t)));
    let range: String = [bound("--since", filter.since), bound("--until", filter.until)]
        .into_iter()
        .flatten()
        .collect();
    let found = before.map_or_else(
        || "no calls at all".to_string(),
        |(a, b)| {
            format!(
                "calls from {} to {}",
                crate::text::rfc3339(a),
                crate::text::rfc3339(b)
            )
        },
    );
    format!("no calls in range{range}; the input has {found}")
}

/// At most ten items, comma-separated, then how many more.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return "none".into();
    }
    let mut text = items.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 10 {
        text.push_str(&format!(" and {} more", items.len() - 10));
    }
    text
}

/// Recomputes each org's contiguous range in a table sorted by org.
fn org_ranges(calls: &Calls, orgs: &[StrId]) -> Vec<(StrId, Range<usize>)> {
    let mut out = Vec::new();
    let mut start = 0;
    for &org in orgs {
        let n = calls.shape[start..]
            .iter()
            .take_while(|&&s| calls.shapes[s as usize].org == org)
            .count();
        if n > 0 {
            out.push((org, start..start + n));
        }
        start += n;
    }
    out
}
