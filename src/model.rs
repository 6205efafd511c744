//! The shared vocabulary of the pipeline: event types, the interned string pool, the compact
//! columnar table of normalised calls, and the data-quality ledger.
//!
//! Nothing here does I/O. Every stage (ingest → dedup → attribute → window → findings →
//! analysis → render) speaks these types.
//!
//! Memory is the design constraint: a quarter of several orgs is 100 M+ rows, so a row is a few
//! fixed-width integers. Low-cardinality descriptive fields (org, user, connected app, client,
//! family, version, method, entity, status, IP, event type, counted flag) are folded into one
//! interned *call shape*, and resources are kept as templates with record ids replaced, so the
//! string pool grows with the number of distinct integrations, not with the number of rows.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// UTC milliseconds since the Unix epoch.
pub type Millis = i64;

/// Index of a string in a [`Strings`] pool. `0` is always the empty string.
pub type StrId = u32;

/// Index of a [`Shape`] in a [`Calls`] table.
pub type ShapeId = u32;

/// The Event Monitoring event types apiusage understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum EventType {
    /// Every REST, SOAP, Bulk and Apex REST call with its counted flag: the primary source.
    ApiTotalUsage,
    /// REST API requests (paid enrichment; fallback source).
    RestApi,
    /// SOAP API requests (`EVENT_TYPE = API`; fallback source).
    Api,
    /// Apex REST requests (fallback source).
    ApexRestApi,
    /// Bulk API 1.0 requests (fallback source).
    BulkApiRequest,
    /// Bulk API 1.0 batch events (context only).
    BulkApi,
    /// Bulk API 2.0 job-state events (context only).
    BulkApi2,
    /// Composite parent events (context only).
    CompositeApi,
    /// Composite children (context only: not API calls of their own).
    CompositeApiSubrequest,
    /// Logins and OAuth token requests (context for churn detection).
    Login,
}

/// What an event type contributes to the counted calls (SPEC.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Counts per its `COUNTS_AGAINST_API_LIMIT` flag.
    Primary,
    /// Counts every row, marked estimated, only where no primary data exists for the org-day.
    Fallback,
    /// Never counted; kept for context.
    Context,
}

impl EventType {
    /// All known types, in a fixed order.
    pub const ALL: [EventType; 10] = [
        EventType::ApiTotalUsage,
        EventType::RestApi,
        EventType::Api,
        EventType::ApexRestApi,
        EventType::BulkApiRequest,
        EventType::BulkApi,
        EventType::BulkApi2,
        EventType::CompositeApi,
        EventType::CompositeApiSubrequest,
        EventType::Login,
    ];

    /// The `EVENT_TYPE` value Salesforce writes.
    pub fn name(self) -> &'static str {
        match self {
            EventType::ApiTotalUsage => "ApiTotalUsage",
            EventType::RestApi => "RestApi",
            EventType::Api => "API",
            EventType::ApexRestApi => "ApexRestApi",
            EventType::BulkApiRequest => "BulkApiRequest",
            EventType::BulkApi => "BulkApi",
            EventType::BulkApi2 => "BulkApi2",
            EventType::CompositeApi => "CompositeApi",
            EventType::CompositeApiSubrequest => "CompositeApiSubrequest",
            EventType::Login => "Login",
        }
    }

    /// Parses an `EVENT_TYPE` value, ignoring case and surrounding spaces.
    pub fn from_name(raw: &[u8]) -> Option<EventType> {
        let raw = trim_ascii(raw);
        EventType::ALL
            .into_iter()
            .find(|t| t.name().as_bytes().eq_ignore_ascii_case(raw))
    }

    /// The role of this type in counting.
    pub fn role(self) -> Role {
        match self {
            EventType::ApiTotalUsage => Role::Primary,
            EventType::RestApi | EventType::Api | EventType::ApexRestApi | EventType::BulkApiRequest => {
                Role::Fallback
            }
            _ => Role::Context,
        }
    }

    /// Index into [`EventType::ALL`], used to store the type in one byte.
    pub fn index(self) -> u8 {
        EventType::ALL.iter().position(|t| *t == self).unwrap_or(0) as u8
    }

    /// Inverse of [`EventType::index`].
    pub fn from_index(i: u8) -> EventType {
        EventType::ALL[usize::from(i)]
    }
}

/// Trims ASCII whitespace from both ends of a byte slice.
pub fn trim_ascii(raw: &[u8]) -> &[u8] {
    raw.trim_ascii()
}

/// An append-only string pool; equal strings get equal ids.
#[derive(Debug, Clone)]
pub struct Strings {
    ids: FxHashMap<Box<str>, StrId>,
    values: Vec<Box<str>>,
}

impl Default for Strings {
    fn default() -> Self {
        let mut pool = Strings {
            ids: FxHashMap::default(),
            values: Vec::new(),
        };
        pool.intern("");
        pool
    }
}

impl Strings {
    /// Returns the id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = StrId::try_from(self.values.len()).expect("more than 4 billion distinct strings");
        self.values.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The string for `id`.
    pub fn get(&self, id: StrId) -> &str {
        &self.values[id as usize]
    }

    /// Number of distinct strings, including the empty one.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false: the empty string is always present.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<StrId> {
        self.ids.get(s).copied()
    }
}

/// The low-cardinality part of a call: everything but its time, resource and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Shape {
    /// Org id, 15-character form.
    pub org: StrId,
    /// [`EventType::index`].
    pub event: u8,
    /// Counts against the allocation (before fallback reconciliation).
    pub counts: bool,
    /// User id, 15-character form.
    pub user_id: StrId,
    /// User name (login).
    pub user_name: StrId,
    /// Connected app id, 15-character form.
    pub app_id: StrId,
    /// Connected app name.
    pub app_name: StrId,
    /// `CLIENT_NAME` from the `Sforce-Call-Options` header.
    pub client: StrId,
    /// Client IP.
    pub client_ip: StrId,
    /// `API_FAMILY` (REST, SOAP, Bulk, ApexREST, …).
    pub family: StrId,
    /// `API_VERSION` as written, e.g. `60.0`.
    pub version: StrId,
    /// HTTP method or SOAP operation.
    pub method: StrId,
    /// Entity (sObject) name.
    pub entity: StrId,
    /// HTTP status code, 0 when unknown.
    pub status: u16,
}

/// Per-row flags.
pub mod flags {
    /// The row comes from a fallback type and is an estimate.
    pub const ESTIMATED: u8 = 1;
    /// A message column says `REQUEST_LIMIT_EXCEEDED`.
    pub const LIMIT_EXCEEDED: u8 = 2;
    /// A fallback row on an org-day that has ApiTotalUsage: kept for its enrichment fields
    /// (rows processed, error messages) but never counted.
    pub const SUPERSEDED: u8 = 4;
    /// `API_CLIENT_CATEGORY` is `SALESFORCE`: an internal Salesforce app or service made it
    /// (the only way apiusage recognises internal traffic; never by a connected app id prefix).
    pub const SALESFORCE_CLIENT: u8 = 8;
    /// A call in the 24 hours before `--since`: read as context, so it counts in the rolling
    /// windows of the instants after `--since`, but it is not in range and its own instants are
    /// not reported.
    pub const WARM_UP: u8 = 16;
}

/// The normalised calls, one entry per row in each column.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    /// The string pool every [`StrId`] refers to.
    pub strings: Strings,
    /// Distinct call shapes; `shape[i]` indexes this.
    pub shapes: Vec<Shape>,
    /// Timestamp, UTC ms.
    pub ts: Vec<Millis>,
    /// Call shape.
    pub shape: Vec<ShapeId>,
    /// Resource template (`API_RESOURCE`, else `URI`, record ids replaced by `{id}`).
    pub resource: Vec<StrId>,
    /// Rows processed, `u32::MAX` when unknown.
    pub rows_processed: Vec<u32>,
    /// Bits of [`flags`].
    pub flags: Vec<u8>,
    /// The duplicate key's row part: a hash of (request id, user, resource), or of the whole
    /// normalised row when there is no request id. Compared only among rows of equal org,
    /// event type and timestamp. Emptied by `dedup` once duplicates are found.
    pub key: Vec<u64>,
    /// Index into [`Calls::files`].
    pub file: Vec<u32>,
    /// 1-based line of the record's start in its file (the row number for Parquet).
    pub line: Vec<u32>,
    /// Source file paths, as given or discovered.
    pub files: Vec<String>,
}

impl Calls {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Room for `rows` more rows in every per-row column: a table filled row by row without it
    /// copies each column as it doubles (a tenth of a Parquet ingest's time went to that).
    pub fn reserve(&mut self, rows: usize) {
        self.ts.reserve(rows);
        self.shape.reserve(rows);
        self.resource.reserve(rows);
        self.rows_processed.reserve(rows);
        self.flags.reserve(rows);
        self.key.reserve(rows);
        self.file.reserve(rows);
        self.line.reserve(rows);
    }

    /// The shape of row `i`.
    pub fn shape_of(&self, i: usize) -> &Shape {
        &self.shapes[self.shape[i] as usize]
    }

    /// The event type of row `i`.
    pub fn event_of(&self, i: usize) -> EventType {
        EventType::from_index(self.shape_of(i).event)
    }

    /// Whether row `i` counts against the allocation.
    pub fn counts(&self, i: usize) -> bool {
        self.shape_of(i).counts && self.flags[i] & flags::SUPERSEDED == 0
    }

    /// Whether row `i` is inside the reported range (not warm-up context before `--since`).
    pub fn in_range(&self, i: usize) -> bool {
        self.flags[i] & flags::WARM_UP == 0
    }

    /// Whether row `i` is a call source in use (not context, not a superseded fallback row).
    pub fn is_call(&self, i: usize) -> bool {
        self.event_of(i).role() != Role::Context && self.flags[i] & flags::SUPERSEDED == 0
    }

    /// `file:line` of row `i`.
    pub fn location(&self, i: usize) -> String {
        format!("{}:{}", self.files[self.file[i] as usize], self.line[i])
    }

    /// Keeps only the rows `order` lists (row indices, each at most once), in that order. Each
    /// column is gathered on all cores and replaced before the next, so the peak is the table
    /// plus one column; a column already dropped (`key`, after dedup) stays empty.
    pub fn gather(&mut self, order: &[u32]) {
        fn pick<T: Copy + Send + Sync>(col: &mut Vec<T>, order: &[u32]) {
            if col.is_empty() {
                return;
            }
            let mut picked = Vec::new();
            order
                .par_iter()
                .map(|&r| col[r as usize])
                .collect_into_vec(&mut picked);
            *col = picked;
        }
        pick(&mut self.ts, order);
        pick(&mut self.shape, order);
        pick(&mut self.resource, order);
        pick(&mut self.rows_processed, order);
        pick(&mut self.flags, order);
        pick(&mut self.key, order);
        pick(&mut self.file, order);
        pick(&mut self.line, order);
    }

    /// Keeps only the rows whose index is set in `keep`, preserving order.
    pub fn retain_rows(&mut self, keep: &[bool]) {
        fn filter<T: Copy>(col: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            col.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        filter(&mut self.ts, keep);
        filter(&mut self.shape, keep);
        filter(&mut self.resource, keep);
        filter(&mut self.rows_processed, keep);
        filter(&mut self.flags, keep);
        filter(&mut self.key, keep);
        filter(&mut self.file, keep);
        filter(&mut self.line, keep);
    }
}

/// How many examples of each bad-row reason are kept.
pub const MAX_EXAMPLES: usize = 5;

/// Count and first few `file:line` locations of one kind of problem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examples {
    /// How many rows.
    pub count: u64,
    /// Up to [`MAX_EXAMPLES`] `file:line` locations, in file then line order.
    pub examples: Vec<String>,
}

impl Examples {
    /// Records one occurrence.
    pub fn add(&mut self, location: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(location());
        }
    }

    /// Adds another tally (from a later file or chunk) to this one.
    pub fn merge(&mut self, other: Examples) {
        self.count += other.count;
        let room = MAX_EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }
}

/// Row accounting: `read = used + duplicates + ignored + bad` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowTally {
    /// Data rows read (header excluded).
    pub read: u64,
    /// Rows in the normalised table after de-duplication and reconciliation.
    pub used: u64,
    /// Rows dropped as duplicates of an earlier row.
    pub duplicates: u64,
    /// Rows read but not call sources, by reason (`Login rows`, `unsupported event type X`,
    /// `fallback superseded by ApiTotalUsage`).
    pub ignored: BTreeMap<String, u64>,
    /// Rows that could not be used, by reason.
    pub bad: BTreeMap<String, Examples>,
}

impl RowTally {
    /// Total ignored rows.
    pub fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }

    /// Total bad rows.
    pub fn bad_total(&self) -> u64 {
        self.bad.values().map(|e| e.count).sum()
    }

    /// Whether `read = used + duplicates + ignored + bad`.
    pub fn balances(&self) -> bool {
        self.read == self.used + self.duplicates + self.ignored_total() + self.bad_total()
    }

    /// Adds `other` into this tally.
    pub fn merge(&mut self, other: RowTally) {
        self.read += other.read;
        self.used += other.used;
        self.duplicates += other.duplicates;
        for (k, v) in other.ignored {
            *self.ignored.entry(k).or_default() += v;
        }
        for (k, v) in other.bad {
            self.bad.entry(k).or_default().merge(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_parse_case_insensitively() {
        assert_eq!(
            EventType::from_name(b" apitotalusage "),
            Some(EventType::ApiTotalUsage)
        );
        assert_eq!(EventType::from_name(b"API"), Some(EventType::Api));
        assert_eq!(EventType::from_name(b"LightningPageView"), None);
        for t in EventType::ALL {
            assert_eq!(EventType::from_index(t.index()), t);
        }
    }

    #[test]
    fn strings_intern_equal_values_once() {
        let mut s = Strings::default();
        assert_eq!(s.intern(""), 0);
        let a = s.intern("Account");
        assert_eq!(s.intern("Account"), a);
        assert_ne!(s.intern("Contact"), a);
        assert_eq!(s.get(a), "Account");
    }

    #[test]
    fn examples_keep_at_most_five_locations() {
        let mut e = Examples::default();
        for i in 0..7 {
            e.add(|| format!("f:{i}"));
        }
        assert_eq!(e.count, 7);
        assert_eq!(e.examples, ["f:0", "f:1", "f:2", "f:3", "f:4"]);
    }
}
