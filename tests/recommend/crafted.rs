//! Crafted calls for the recommendation tests: a builder for calls as the logs show them, the
//! table the pipeline would build from them, and deterministic irregular timing.
#![allow(dead_code)]

use std::collections::HashMap;

use apiusage::attribute::{attribute, IntegrationMap};
use apiusage::dedup::{Filter, Table};
use apiusage::ingest::{FileReport, Format};
use apiusage::model::RowTally;
use apiusage::model::{Calls, EventType, Shape};
use apiusage::normalize::resource_template;
use apiusage::recommend::{recommend, Kind, Recommendation, Recommendations, Settings};
use apiusage::{usage, window};

pub const ORG: &str = "00D5j000000VI3n";
/// 2026-11-02T00:00:00Z.
pub const T0: i64 = 1_793_577_600_000;
pub const S: i64 = 1_000;
pub const MIN: i64 = 60 * S;
pub const H: i64 = 60 * MIN;
pub const APP: &str = "0H45j000000XyZa";
pub const USER: &str = "0055j000000utlP";

/// One crafted call (or Login event).
#[derive(Debug, Clone)]
pub struct Call {
    pub ts: i64,
    pub app: &'static str,
    pub client: &'static str,
    pub user: &'static str,
    pub family: &'static str,
    pub version: &'static str,
    pub method: &'static str,
    pub resource: String,
    pub entity: &'static str,
    pub status: u16,
    pub counts: bool,
    pub event: EventType,
    pub rows: u32,
    pub flags: u8,
}

impl Call {
    /// A counted, successful ApiTotalUsage REST call of app [`APP`].
    pub fn rest(ts: i64, method: &'static str, resource: &str) -> Call {
        Call {
            ts,
            app: APP,
            client: "",
            user: USER,
            family: "REST",
            version: "",
            method,
            resource: resource.to_string(),
            entity: "",
            status: 200,
            counts: true,
            event: EventType::ApiTotalUsage,
            rows: u32::MAX,
            flags: 0,
        }
    }

    /// A counted SOAP call as ApiTotalUsage logs it (operation as resource, POST as method).
    pub fn soap(ts: i64, operation: &str, version: &'static str) -> Call {
        Call {
            family: "SOAP",
            version,
            method: "POST",
            ..Call::rest(ts, "POST", operation)
        }
    }

    /// An OAuth token request: a Login event of user [`USER`], never counted.
    pub fn token(ts: i64) -> Call {
        Call {
            app: "",
            family: "",
            event: EventType::Login,
            counts: false,
            ..Call::rest(ts, "", "/services/oauth2/token")
        }
    }

    pub fn app(self, app: &'static str) -> Call {
        Call { app, ..self }
    }

    pub fn client(self, client: &'static str) -> Call {
        Call {
            client,
            app: "",
            ..self
        }
    }

    pub fn status(self, status: u16) -> Call {
        Call { status, ..self }
    }
}

/// The table the pipeline would build from `calls`: one org, sorted by time.
pub fn table(mut calls: Vec<Call>) -> Table {
    calls.sort_by_key(|c| c.ts);
    let mut t = Calls::default();
    let mut shapes: HashMap<Shape, u32> = HashMap::new();
    for (line, c) in calls.iter().enumerate() {
        let mut s = |v: &str| t.strings.intern(v);
        let shape = Shape {
            org: s(ORG),
            event: c.event.index(),
            counts: c.counts,
            user_id: s(c.user),
            app_id: s(c.app),
            client: s(c.client),
            family: s(c.family),
            version: s(c.version),
            method: s(c.method),
            entity: s(c.entity),
            status: c.status,
            ..Shape::default()
        };
        let resource = s(&resource_template(&c.resource));
        let next = shapes.len() as u32;
        let id = *shapes.entry(shape).or_insert(next);
        if id == next {
            t.shapes.push(shape);
        }
        t.ts.push(c.ts);
        t.shape.push(id);
        t.resource.push(resource);
        t.rows_processed.push(c.rows);
        t.flags.push(c.flags);
        t.key.push(line as u64);
        t.file.push(0);
        t.line.push(line as u32 + 1);
    }
    t.files.push("crafted.csv".into());
    let org = t.strings.find(ORG).expect("at least one call");
    let n = t.len();
    Table {
        calls: t,
        orgs: vec![(org, 0..n)],
        ..Table::default()
    }
}

pub fn run_with(calls: Vec<Call>, settings: &Settings) -> Recommendations {
    let t = table(calls);
    let a = attribute(&t.calls, &IntegrationMap::default());
    recommend(&t, &a, &usage::compute(&t.calls, &t.orgs, &a), settings)
}

/// Recommendations after `filter` is applied as `report` applies it (`Table::restrict`).
pub fn run_filtered(calls: Vec<Call>, filter: &Filter) -> Recommendations {
    let mut t = table(calls);
    t.files.push(FileReport {
        path: "crafted.csv".into(),
        format: Format::Csv,
        rows: RowTally {
            read: t.calls.len() as u64,
            used: t.calls.len() as u64,
            ..RowTally::default()
        },
    });
    t.restrict(filter);
    let a = attribute(&t.calls, &IntegrationMap::default());
    recommend(
        &t,
        &a,
        &usage::compute(&t.calls, &t.orgs, &a),
        &Settings::default(),
    )
}

pub fn run(calls: Vec<Call>) -> Recommendations {
    run_with(calls, &Settings::default())
}

/// The analysis of `table` as `report` builds it, recommendations included: the table's calls
/// attributed, judged against `allocation`, at `generated`.
pub fn analyse_with_recommendations(
    table: &Table,
    allocation: &apiusage::allocation::AllocationInputs,
    generated: chrono::DateTime<chrono::Utc>,
) -> apiusage::analysis::Analysis {
    let a = attribute(&table.calls, &IntegrationMap::default());
    let settings = apiusage::pipeline::Settings {
        recommend: Some(Settings::default()),
        ..apiusage::pipeline::Settings::default()
    };
    apiusage::pipeline::analyse_table(
        table,
        &a,
        &settings,
        allocation,
        generated,
        &mut apiusage::pipeline::Watch::silent(),
    )
}

pub fn kinds(r: &Recommendations) -> Vec<(String, Kind)> {
    r.items.iter().map(|i| (i.integration.clone(), i.kind)).collect()
}

pub fn only(r: &Recommendations, kind: Kind) -> &Recommendation {
    let found: Vec<&Recommendation> = r.items.iter().filter(|i| i.kind == kind).collect();
    assert_eq!(found.len(), 1, "{:?}", kinds(r));
    found[0]
}

pub fn peak_calls(p: Option<window::Peak>) -> u64 {
    p.map_or(0, |p| p.calls)
}

/// A small deterministic generator for irregular gaps.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + ((self.0 >> 33) as i64).rem_euclid(hi - lo + 1)
    }
}

/// Times from `start` with gaps drawn from `lo..=hi`, until `end`.
pub fn irregular(seed: u64, start: i64, end: i64, lo: i64, hi: i64) -> Vec<i64> {
    let mut rng = Lcg(seed);
    let mut out = Vec::new();
    let mut t = start;
    while t < end {
        out.push(t);
        t += rng.between(lo, hi);
    }
    out
}

pub fn record(prefix: &str, n: usize) -> String {
    format!("{prefix}5j00000{n:05}AbC")
}
