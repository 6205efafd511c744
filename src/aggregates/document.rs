//! `aggregates.json`, the Spark job's numbers (engines/spark/README.md, "OUT layout"), as
//! serde types. Field names are `summary.json`'s; times are RFC 3339 UTC text, parsed by
//! [`super::convert`].

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::attribute::Kind;
use crate::ingest::Format;
use crate::model::RowTally;

/// The `kind` a Spark output declares.
pub const KIND: &str = "apiusage-spark-aggregates";

/// The layout version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document.
#[derive(Debug, Deserialize)]
pub struct Document {
    /// Layout version.
    pub schema_version: u32,
    /// Always [`KIND`].
    pub kind: String,
    /// Which engine wrote it (`spark`).
    pub engine: String,
    /// The store snapshot that was read.
    pub store: StoreRef,
    /// Per org, in org id order.
    pub orgs: Vec<Org>,
    /// Per org, in the same order: the daily peaks.
    pub capacity: Vec<Capacity>,
    /// The Parquet folders of the per-minute series, relative to OUT.
    pub minutes: MinuteFolders,
    /// The store's per-source accounting (absent from outputs of older jobs).
    #[serde(default)]
    pub data_quality: Option<Quality>,
    /// Each org's latest `/limits` response, copied into OUT.
    #[serde(default)]
    pub limits: Vec<Limits>,
}

/// `store`.
#[derive(Debug, Deserialize)]
pub struct StoreRef {
    /// The store's path or URI as the job was given it.
    pub path: String,
    /// The manifest's snapshot number.
    pub snapshot: Option<u64>,
}

/// `orgs[]`.
#[derive(Debug, Deserialize)]
pub struct Org {
    pub org_id: String,
    pub counted_calls: u64,
    pub not_counted_calls: u64,
    pub estimated_calls: u64,
    pub limit_exceeded_calls: u64,
    pub limit_reached: Option<LimitReached>,
    pub first_call: Option<String>,
    pub last_call: Option<String>,
    pub peak: Option<Peak>,
    pub warm_up: Option<WarmUp>,
    pub integrations: Vec<Integration>,
}

/// `orgs[].limit_reached`.
#[derive(Debug, Deserialize)]
pub struct LimitReached {
    pub at: String,
    pub usage: u64,
}

/// A peak: `calls` in `(window_start, at]`.
#[derive(Debug, Deserialize)]
pub struct Peak {
    pub calls: u64,
    pub at: String,
}

/// `orgs[].warm_up`.
#[derive(Debug, Deserialize)]
pub struct WarmUp {
    pub to: String,
    pub complete: bool,
    pub context_calls: u64,
    pub lower_bound_until: Option<String>,
}

/// `orgs[].integrations[]`.
#[derive(Debug, Deserialize)]
pub struct Integration {
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub internal: bool,
    pub counted_calls: u64,
    pub not_counted_calls: u64,
    pub peak: Option<Peak>,
    pub calls_in_org_peak_window: u64,
    /// 1–8: its column in the org's per-minute series; else none.
    pub series_rank: Option<u32>,
}

/// `capacity[]`.
#[derive(Debug, Deserialize)]
pub struct Capacity {
    pub org_id: String,
    pub daily: Vec<Day>,
    pub integrations: Vec<IntegrationDays>,
}

/// `capacity[].integrations[]`.
#[derive(Debug, Deserialize)]
pub struct IntegrationDays {
    pub key: String,
    pub label: String,
    pub daily: Vec<Day>,
}

/// One UTC day with calls.
#[derive(Debug, Deserialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub calls: u64,
    pub peak: u64,
    pub peak_at: String,
}

/// `minutes`.
#[derive(Debug, Deserialize)]
pub struct MinuteFolders {
    /// The org series' folder.
    pub org: String,
    /// The integrations' series folder.
    pub integrations: String,
}

/// `data_quality`: the manifest's sources and what each contributed.
#[derive(Debug, Deserialize)]
pub struct Quality {
    /// In the store's source order (path, then id).
    pub sources: Vec<SourceRows>,
    /// Rows of call sources outside the job's filter, per source path and reason (moved from
    /// `used` to `ignored`, as `report --since/--until/--org` accounts for them).
    #[serde(default)]
    pub filtered: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One source file's accounting.
#[derive(Debug, Deserialize)]
pub struct SourceRows {
    pub path: String,
    pub format: Format,
    pub rows: RowTally,
}

/// `limits[]`.
#[derive(Debug, Deserialize)]
pub struct Limits {
    pub org_id: String,
    /// The copy of the response, relative to OUT.
    pub file: String,
}
