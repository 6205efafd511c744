//! Turns one source row at a time into the compact columns of a [`Calls`] part, applying the
//! `normalize` rules and keeping the row accounting.
//!
//! Both readers (CSV and Parquet) feed this builder through [`RowSource`], so a call normalises
//! to the same columns whatever file it came from. One builder serves one file (or one chunk of
//! a large file); parts are put together later (`ingest::Concat`, `ingest::merge_parts`).

use std::hash::Hasher;

use rustc_hash::{FxHashMap, FxHasher};

use super::columns::{ColumnMap, Field, FIELD_COUNT};
use super::Settings;
use crate::model::{flags, Calls, EventType, Millis, Role, RowTally, Shape, ShapeId, StrId};
use crate::normalize::{self, TimestampError};

/// Bad-row reasons, as they appear in reports and JSON.
pub mod reason {
    /// A CSV record with more or fewer fields than its header.
    pub const FIELD_COUNT: &str = "wrong field count";
    /// Neither timestamp column has a value.
    pub const NO_TIMESTAMP: &str = "missing timestamp";
    /// A timestamp in no accepted form (e.g. a spreadsheet's `2.01308E+13`).
    pub const BAD_TIMESTAMP: &str = "unparseable timestamp";
    /// No `ORGANIZATION_ID`.
    pub const NO_ORG: &str = "missing ORGANIZATION_ID";
    /// Empty `EVENT_TYPE`.
    pub const NO_EVENT_TYPE: &str = "missing EVENT_TYPE";
    /// An ApiTotalUsage row whose counted flag is empty or not a boolean.
    pub const BAD_COUNTS: &str = "invalid COUNTS_AGAINST_API_LIMIT";
    /// An ApiTotalUsage row in a file without the counted-flag column.
    pub const NO_COUNTS_COLUMN: &str = "ApiTotalUsage row without a COUNTS_AGAINST_API_LIMIT column";

    /// A timestamp before Event Monitoring existed or after the run (a digit flip, a default
    /// date): such rows would stretch every per-minute series over centuries.
    pub fn implausible(settings: &super::Settings) -> String {
        let (from, to) = settings.plausible();
        format!(
            "timestamp outside the plausible range {} … {}",
            super::Settings::describe(from),
            super::Settings::describe(to)
        )
    }
}

/// Ignored-row reason for rows of a type apiusage does not read.
pub fn unsupported_type(name: &str) -> String {
    format!("unsupported event type {name}")
}

/// One row's values, by canonical field.
pub trait RowSource {
    /// The raw bytes of `field` (empty when the file lacks it or the value is null).
    fn get(&self, field: Field) -> &[u8];
    /// A timestamp already typed by the file format (Parquet datetime columns), if any.
    fn native_timestamp(&self) -> Option<Millis> {
        None
    }
}

/// The fields that make up a call shape, as read from the row.
const SHAPE_FIELDS: [Field; 12] = [
    Field::OrgId,
    Field::UserId,
    Field::UserName,
    Field::AppId,
    Field::AppName,
    Field::ClientName,
    Field::ClientIp,
    Field::ApiFamily,
    Field::ApiVersion,
    Field::Method,
    Field::Entity,
    Field::Status,
];

/// Most distinct raw resources a builder remembers: a file whose resources are all distinct
/// (record ids in every path) must not grow the memo by a string per row.
const RESOURCE_MEMO: usize = 1 << 14;

/// Accumulates one part.
pub struct PartBuilder {
    calls: Calls,
    shape_ids: FxHashMap<Shape, ShapeId>,
    /// Shapes by the raw bytes of their fields: one lookup per row instead of a dozen
    /// normalise-and-intern steps, since rows of one integration repeat the same bytes.
    raw_shapes: FxHashMap<Box<[u8]>, ShapeId>,
    raw_key: Vec<u8>,
    /// Resource templates by raw value, up to [`RESOURCE_MEMO`] of them: rows of many
    /// integrations interleave in time, so the one-entry cache alone missed most repeats, and
    /// templating is the dearest step of a row.
    resources: FxHashMap<Box<[u8]>, StrId>,
    template: String,
    last_event: (Vec<u8>, Option<EventType>),
    cache: Vec<(Vec<u8>, StrId)>,
    /// The accounting of this part's rows.
    pub tally: RowTally,
    fixed_event: Option<EventType>,
    has_counts: bool,
    label: String,
    /// Timestamps outside `[from, to]` are bad rows (see [`Settings::plausible`]).
    plausible: (Millis, Millis),
    implausible_reason: String,
}

/// A part: the rows of one file or chunk with their accounting.
pub struct Part {
    /// The rows, with `files` holding this part's one path.
    pub calls: Calls,
    /// Rows read, bad and ignored so far (duplicates are found after merging).
    pub tally: RowTally,
}

impl PartBuilder {
    /// A builder for the file called `label` whose columns are `map`.
    pub fn new(label: &str, map: &ColumnMap, settings: &Settings) -> PartBuilder {
        let mut calls = Calls::default();
        calls.files.push(label.to_string());
        PartBuilder {
            calls,
            shape_ids: FxHashMap::default(),
            raw_shapes: FxHashMap::default(),
            raw_key: Vec::new(),
            resources: FxHashMap::default(),
            template: String::new(),
            last_event: (Vec::new(), None),
            cache: vec![(Vec::new(), 0); FIELD_COUNT],
            tally: RowTally::default(),
            fixed_event: map.inferred_event_type(),
            has_counts: map.has(Field::Counts),
            label: label.to_string(),
            plausible: settings.plausible(),
            implausible_reason: reason::implausible(settings),
        }
    }

    /// Room for `rows` more rows (a Parquet slice knows its rows up front).
    pub fn reserve(&mut self, rows: usize) {
        self.calls.reserve(rows);
    }

    /// Finishes the part.
    pub fn finish(self) -> Part {
        Part {
            calls: self.calls,
            tally: self.tally,
        }
    }

    /// Counts a row that could not be parsed at all.
    pub fn bad(&mut self, line: u64, why: &str) {
        self.tally.read += 1;
        self.record_bad(line, why);
    }

    fn record_bad(&mut self, line: u64, why: &str) {
        let label = &self.label;
        self.tally
            .bad
            .entry(why.to_string())
            .or_default()
            .add(|| format!("{label}:{line}"));
    }

    fn ignore(&mut self, why: String) {
        *self.tally.ignored.entry(why).or_default() += 1;
    }

    /// Normalises one row into the part, or counts it as bad or ignored.
    pub fn push(&mut self, line: u64, row: &impl RowSource) {
        self.tally.read += 1;
        let event = match self.event_type(row) {
            Ok(Some(event)) => event,
            Ok(None) => return,
            Err(why) => return self.record_bad(line, why),
        };
        let ts = match row.native_timestamp().map_or_else(
            || normalize::row_timestamp(row.get(Field::TimestampDerived), row.get(Field::Timestamp)),
            Ok,
        ) {
            Ok(ts) => ts,
            Err(TimestampError::Missing) => return self.record_bad(line, reason::NO_TIMESTAMP),
            Err(TimestampError::Unparseable) => return self.record_bad(line, reason::BAD_TIMESTAMP),
        };
        if ts < self.plausible.0 || ts > self.plausible.1 {
            let why = std::mem::take(&mut self.implausible_reason);
            self.record_bad(line, &why);
            self.implausible_reason = why;
            return;
        }
        if row.get(Field::OrgId).trim_ascii().is_empty() {
            return self.record_bad(line, reason::NO_ORG);
        }
        let counts = match self.counts(event, row) {
            Ok(c) => c,
            Err(why) => return self.record_bad(line, why),
        };
        self.append(line, ts, event, counts, row);
    }

    /// The row's event type; `Ok(None)` when the type is not one apiusage reads (counted as
    /// ignored here).
    fn event_type(&mut self, row: &impl RowSource) -> Result<Option<EventType>, &'static str> {
        if let Some(fixed) = self.fixed_event {
            return Ok(Some(fixed));
        }
        let raw = row.get(Field::EventType).trim_ascii();
        if raw.is_empty() {
            return Err(reason::NO_EVENT_TYPE);
        }
        if self.last_event.0 == raw {
            if let Some(found) = self.last_event.1 {
                return Ok(Some(found));
            }
        }
        let found = EventType::from_name(raw);
        self.last_event.0.clear();
        self.last_event.0.extend_from_slice(raw);
        self.last_event.1 = found;
        if found.is_none() {
            let name: String = crate::text::clean(&normalize::text(raw))
                .chars()
                .take(60)
                .collect();
            self.ignore(unsupported_type(&name));
        }
        Ok(found)
    }

    /// Whether the row counts against the allocation, per its event type's role.
    fn counts(&self, event: EventType, row: &impl RowSource) -> Result<bool, &'static str> {
        match event.role() {
            Role::Primary if !self.has_counts => Err(reason::NO_COUNTS_COLUMN),
            Role::Primary => normalize::parse_bool(row.get(Field::Counts)).ok_or(reason::BAD_COUNTS),
            Role::Fallback => Ok(true),
            Role::Context => Ok(false),
        }
    }

    fn append(&mut self, line: u64, ts: Millis, event: EventType, counts: bool, row: &impl RowSource) {
        let shape = self.shape(event, counts, row);
        let resource = self.resource(row);
        let rows = normalize::parse_count(row.get(Field::RowsProcessed))
            .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX - 1));
        let key = row_key(ts, row);
        let c = &mut self.calls;
        c.ts.push(ts);
        c.shape.push(shape);
        c.resource.push(resource);
        c.rows_processed.push(rows);
        c.flags.push(row_flags(event, row));
        c.key.push(key);
        c.file.push(0);
        c.line.push(u32::try_from(line).unwrap_or(u32::MAX));
    }

    fn shape(&mut self, event: EventType, counts: bool, row: &impl RowSource) -> ShapeId {
        let mut key = std::mem::take(&mut self.raw_key);
        key.clear();
        key.extend_from_slice(&[event.index(), u8::from(counts)]);
        for field in SHAPE_FIELDS {
            let v = row.get(field);
            key.extend_from_slice(&(v.len() as u32).to_le_bytes());
            key.extend_from_slice(v);
        }
        let id = match self.raw_shapes.get(key.as_slice()) {
            Some(&id) => id,
            None => {
                let id = self.normalized_shape(event, counts, row);
                self.raw_shapes.insert(key.clone().into_boxed_slice(), id);
                id
            }
        };
        self.raw_key = key;
        id
    }

    fn normalized_shape(&mut self, event: EventType, counts: bool, row: &impl RowSource) -> ShapeId {
        let status = normalize::parse_count(row.get(Field::Status))
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0);
        let shape = Shape {
            org: self.intern(Field::OrgId, row),
            event: event.index(),
            counts,
            user_id: self.intern(Field::UserId, row),
            user_name: self.intern(Field::UserName, row),
            app_id: self.intern(Field::AppId, row),
            app_name: self.intern(Field::AppName, row),
            client: self.intern(Field::ClientName, row),
            client_ip: self.intern(Field::ClientIp, row),
            family: self.intern(Field::ApiFamily, row),
            version: self.intern(Field::ApiVersion, row),
            method: self.intern(Field::Method, row),
            entity: self.intern(Field::Entity, row),
            status,
        };
        let next = ShapeId::try_from(self.calls.shapes.len()).expect("too many call shapes");
        let shapes = &mut self.calls.shapes;
        *self.shape_ids.entry(shape).or_insert_with(|| {
            shapes.push(shape);
            next
        })
    }

    /// The resource template: `API_RESOURCE`, else `URI`.
    fn resource(&mut self, row: &impl RowSource) -> StrId {
        let raw = row.get(Field::Resource);
        let raw = if raw.trim_ascii().is_empty() {
            row.get(Field::Uri)
        } else {
            raw
        };
        let slot = Field::Resource as usize;
        if self.cache[slot].0 == raw {
            return self.cache[slot].1;
        }
        let id = match self.resources.get(raw) {
            Some(&id) => id,
            None => {
                let id = self.template_of(raw);
                if self.resources.len() < RESOURCE_MEMO {
                    self.resources.insert(raw.into(), id);
                }
                id
            }
        };
        self.cache[slot].0.clear();
        self.cache[slot].0.extend_from_slice(raw);
        self.cache[slot].1 = id;
        id
    }

    /// Templates and interns a raw resource.
    fn template_of(&mut self, raw: &[u8]) -> StrId {
        let text = normalize::text(raw);
        let mut template = std::mem::take(&mut self.template);
        let id = if normalize::template_into(&text, &mut template) {
            self.calls.strings.intern(&template)
        } else {
            self.calls.strings.intern(&text)
        };
        self.template = template;
        id
    }

    /// Interns a descriptive field, ids in 15-character form, through the one-entry cache.
    fn intern(&mut self, field: Field, row: &impl RowSource) -> StrId {
        let raw = row.get(field);
        let slot = field as usize;
        if self.cache[slot].0 == raw {
            return self.cache[slot].1;
        }
        let value = match field {
            Field::OrgId | Field::UserId | Field::AppId => normalize::id15(raw),
            _ => raw,
        };
        let id = self.calls.strings.intern(&normalize::text(value));
        self.cache[slot].0.clear();
        self.cache[slot].0.extend_from_slice(raw);
        self.cache[slot].1 = id;
        id
    }
}

/// The row part of the duplicate key (SPEC.md §2.3): request id, user and resource when there
/// is a request id; otherwise every field apiusage reads, so only identical rows collide.
/// Values are normalised first, so a call exported as CSV and as Parquet gets the same key.
fn row_key(ts: Millis, row: &impl RowSource) -> u64 {
    let mut h = FxHasher::default();
    let request = row.get(Field::RequestId).trim_ascii();
    let part = |h: &mut FxHasher, bytes: &[u8]| {
        h.write(bytes);
        h.write_u8(0xff);
    };
    part(&mut h, request);
    part(&mut h, normalize::id_key(row.get(Field::UserId)));
    let resource = row.get(Field::Resource).trim_ascii();
    part(
        &mut h,
        if resource.is_empty() {
            row.get(Field::Uri).trim_ascii()
        } else {
            resource
        },
    );
    if request.is_empty() {
        h.write_i64(ts);
        for field in SHAPE_FIELDS
            .iter()
            .chain([Field::Resource, Field::RowsProcessed, Field::Counts].iter())
        {
            let v = row.get(*field);
            let v = match field {
                Field::OrgId | Field::AppId => normalize::id_key(v),
                Field::Counts => match normalize::parse_bool(v) {
                    Some(true) => &b"1"[..],
                    Some(false) => b"0",
                    None => b"",
                },
                _ => v.trim_ascii(),
            };
            part(&mut h, v);
        }
    }
    h.finish()
}

fn row_flags(event: EventType, row: &impl RowSource) -> u8 {
    let mut f = 0;
    if event.role() == Role::Fallback {
        f |= flags::ESTIMATED;
    }
    let msg = row.get(Field::Message);
    if !msg.is_empty() && msg.windows(22).any(|w| w == b"REQUEST_LIMIT_EXCEEDED") {
        f |= flags::LIMIT_EXCEEDED;
    }
    if row.get(Field::ClientCategory).eq_ignore_ascii_case(b"SALESFORCE") {
        f |= flags::SALESFORCE_CLIENT;
    }
    f
}
