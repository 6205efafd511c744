//! Lays the bundled sample out on disk: which events go to which file, in which format.
//!
//! The layout is the point of the sample: daily plus overlapping hourly files, a missing
//! ApiTotalUsage day covered by RestApi, a gzip file, a Parquet day, broken rows. Everything is
//! written in a fixed order from fixed data, so the output is byte-identical on every run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

use super::csvw::push_record;
use super::expect::{expect_org, rolling_peak, OrgExpectation};
use super::ids;
use super::model::{
    api_total_usage_record, login_record, rest_api_record, BoolStyle, Call, API_TOTAL_USAGE_HEADER,
    LOGIN_HEADER, REST_API_HEADER,
};
use super::parquet::{self, EloColumns, EloRow};
use super::planted::{SampleOrg, ORG_A, ORG_B, ORG_C};
use super::readme;
use super::rng::Rng;
use super::scenario::{self, day_start, OrgTraffic, DAYS};
use super::time::{self, DAY_MS, MINUTE_MS};

/// One file written, for the README's file table.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    /// Path relative to the sample root, `/`-separated.
    pub rel: String,
    pub event_type: &'static str,
    pub rows: usize,
    pub note: String,
}

/// A broken row planted on purpose.
#[derive(Debug, Clone)]
pub(crate) struct BadRow {
    pub rel: String,
    pub line: usize,
    pub reason: &'static str,
}

/// Everything the README needs to know about what was written.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub files: Vec<FileEntry>,
    pub bad_rows: Vec<BadRow>,
    /// Rows in hourly files that repeat daily-file rows.
    pub duplicate_rows: usize,
    /// Pairs of ApiTotalUsage rows sharing a REQUEST_ID (different calls).
    pub shared_request_pairs: usize,
    /// RestApi fallback rows counted as estimated, and how many of them are calls that
    /// ApiTotalUsage would have marked as not counting.
    pub estimated_rows: usize,
    pub estimated_uncounted: usize,
    /// Acme Dev's peak if the hourly duplicates were counted a second time.
    pub double_counted_peak: u64,
}

/// Writes files under the sample root and remembers them.
struct Sink {
    root: PathBuf,
    paths: Vec<PathBuf>,
    manifest: Manifest,
}

impl Sink {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.paths.push(path);
        Ok(())
    }

    /// Writes a CSV (gzip-compressed when `rel` ends in `.gz`) and records it.
    fn csv(
        &mut self,
        rel: &str,
        event_type: &'static str,
        header: &[&str],
        rows: &[Vec<String>],
        note: &str,
    ) -> Result<()> {
        let mut bytes = Vec::with_capacity(rows.len() * 320 + 512);
        push_record(&mut bytes, header);
        for row in rows {
            push_record(&mut bytes, row);
        }
        if rel.ends_with(".gz") {
            bytes = gzip(&bytes)?;
        }
        self.write(rel, &bytes)?;
        self.record(rel, event_type, rows.len(), note);
        Ok(())
    }

    fn record(&mut self, rel: &str, event_type: &'static str, rows: usize, note: &str) {
        self.manifest.files.push(FileEntry {
            rel: rel.to_string(),
            event_type,
            rows,
            note: note.to_string(),
        });
    }
}

/// gzip with a zero mtime and no file name in the header, so the bytes never vary.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Writes the bundled sample logs, the org profile and the README into `out`.
pub(crate) fn write_sample(out: &Path) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let acme = scenario::acme();
    let globex = scenario::globex();
    let initech = scenario::initech();
    let mut sink = Sink {
        root: out.to_path_buf(),
        paths: Vec::new(),
        manifest: Manifest::default(),
    };
    write_acme(&mut sink, &acme)?;
    write_globex(&mut sink, &globex)?;
    write_initech(&mut sink, &initech)?;
    sink.write("org_profile.toml", org_profile().as_bytes())?;
    let expectations = expectations(&acme, &globex, &initech);
    let text = readme::render(&expectations, &sink.manifest);
    sink.write("README.md", text.as_bytes())?;
    let mut paths = sink.paths;
    paths.sort();
    Ok(paths)
}

fn date(day: usize) -> String {
    time::date(day_start(day))
}

fn daily_name(org: &SampleOrg, event_type: &str, day: usize, ext: &str) -> String {
    format!("{}/{event_type}_{}_{}.{ext}", org.slug, date(day), org.id)
}

fn on_day(calls: &[Call], day: usize) -> impl Iterator<Item = &Call> {
    let from = day_start(day);
    calls
        .iter()
        .filter(move |c| (from..from + DAY_MS).contains(&c.ts))
}

fn atu_rows<'a>(
    calls: impl Iterator<Item = &'a Call>,
    org: &SampleOrg,
    style: BoolStyle,
) -> Vec<Vec<String>> {
    calls.map(|c| api_total_usage_record(c, org, style)).collect()
}

/// Pairs of adjacent-in-time calls sharing a REQUEST_ID.
fn shared_pairs(calls: &[Call]) -> usize {
    let mut ids: Vec<&str> = calls.iter().map(|c| c.request_id.as_str()).collect();
    ids.sort_unstable();
    ids.windows(2).filter(|w| w[0] == w[1]).count()
}

/// Midnight of the day that also has hourly files (Acme Dev's busy day).
const HOURLY_DAY_START: i64 = day_start(1);
/// Hourly files: `(hour, Sequence, from minute, to minute)` of that day. 09:00 arrives in two
/// sequences, as Salesforce does when events are added after the hour's first file.
const HOURLY_CUTS: [(i64, u32, i64, i64); 5] = [
    (8, 1, 480, 540),
    (9, 1, 540, 580),
    (9, 2, 580, 600),
    (10, 1, 600, 660),
    (11, 1, 660, 720),
];

/// Whether a call is repeated in one of the hourly files.
fn in_hourly_file(call: &Call) -> bool {
    let first = HOURLY_DAY_START + HOURLY_CUTS[0].2 * MINUTE_MS;
    let last = HOURLY_DAY_START + HOURLY_CUTS[HOURLY_CUTS.len() - 1].3 * MINUTE_MS;
    (first..last).contains(&call.ts)
}

/// Acme Dev: three gzip daily files (the biggest) and hourly files repeating part of one day.
fn write_acme(sink: &mut Sink, traffic: &OrgTraffic) -> Result<()> {
    let org = &ORG_A;
    for day in 0..DAYS {
        let rows = atu_rows(on_day(&traffic.calls, day), org, BoolStyle::OneZero);
        let note = if day == 1 {
            "busiest day; also delivered as hourly files"
        } else {
            ""
        };
        sink.csv(
            &daily_name(org, "ApiTotalUsage", day, "csv.gz"),
            "ApiTotalUsage",
            &API_TOTAL_USAGE_HEADER,
            &rows,
            note,
        )?;
    }
    // Hourly files (Sequence style) for part of the busy day.
    let cuts = HOURLY_CUTS.map(|(hour, sequence, from, to)| {
        (
            hour,
            sequence,
            HOURLY_DAY_START + from * MINUTE_MS,
            HOURLY_DAY_START + to * MINUTE_MS,
        )
    });
    for (hour, sequence, from, to) in cuts {
        let calls = traffic.calls.iter().filter(|c| (from..to).contains(&c.ts));
        let rows = atu_rows(calls, org, BoolStyle::OneZero);
        let rel = format!(
            "{}/hourly/ApiTotalUsage_{}T{hour:02}_seq{sequence}_{}.csv",
            org.slug,
            date(1),
            org.id
        );
        sink.manifest.duplicate_rows += rows.len();
        sink.csv(
            &rel,
            "ApiTotalUsage",
            &API_TOTAL_USAGE_HEADER,
            &rows,
            "hourly: same events as the daily file",
        )?;
    }
    sink.manifest.shared_request_pairs += shared_pairs(&traffic.calls);
    let twice = traffic
        .calls
        .iter()
        .filter(|c| in_hourly_file(c))
        .chain(&traffic.calls);
    sink.manifest.double_counted_peak =
        rolling_peak(twice.filter(|c| c.counts).map(|c| c.ts).collect()).calls;
    Ok(())
}

/// Whether a call also appears in the RestApi log (REST family; Lightning pages go through
/// Aura, not the REST API).
fn in_rest_api(call: &Call) -> bool {
    call.family == "REST" && call.actor.category != "LIGHTNING_UI"
}

/// Globex: ApiTotalUsage for the first two days only; RestApi for the last two (enrichment on
/// 11-03, the estimated fallback on 11-04); Login every day.
fn write_globex(sink: &mut Sink, traffic: &OrgTraffic) -> Result<()> {
    let org = &ORG_B;
    // gzip keeps the sample under ~5 MB; the Initech and hourly CSVs stay readable as text.
    for day in 0..2 {
        let rows = atu_rows(on_day(&traffic.calls, day), org, BoolStyle::OneZero);
        sink.csv(
            &daily_name(org, "ApiTotalUsage", day, "csv.gz"),
            "ApiTotalUsage",
            &API_TOTAL_USAGE_HEADER,
            &rows,
            "",
        )?;
    }
    for (day, ext, note) in [
        (1, "csv.gz", "enrichment only: ApiTotalUsage exists for this day"),
        (2, "csv", "no ApiTotalUsage this day: counted as estimated"),
    ] {
        let calls: Vec<&Call> = on_day(&traffic.calls, day).filter(|c| in_rest_api(c)).collect();
        if day == 2 {
            sink.manifest.estimated_rows = calls.len();
            sink.manifest.estimated_uncounted = calls.iter().filter(|c| !c.counts).count();
        }
        let rows: Vec<Vec<String>> = calls.iter().map(|c| rest_api_record(c, org)).collect();
        sink.csv(
            &daily_name(org, "RestApi", day, ext),
            "RestApi",
            &REST_API_HEADER,
            &rows,
            note,
        )?;
    }
    for day in 0..DAYS {
        let from = day_start(day);
        let rows: Vec<Vec<String>> = traffic
            .logins
            .iter()
            .filter(|l| (from..from + DAY_MS).contains(&l.ts))
            .map(|l| login_record(l, org))
            .collect();
        sink.csv(
            &daily_name(org, "Login", day, "csv"),
            "Login",
            &LOGIN_HEADER,
            &rows,
            "",
        )?;
    }
    Ok(())
}

/// Initech: CSV with planted bad rows, a Parquet day, and a CSV spelling booleans `true/false`.
fn write_initech(sink: &mut Sink, traffic: &OrgTraffic) -> Result<()> {
    let org = &ORG_C;
    let rel = daily_name(org, "ApiTotalUsage", 0, "csv");
    let rows = atu_rows(on_day(&traffic.calls, 0), org, BoolStyle::OneZero);
    let (rows, bad) = with_bad_rows(rows, &rel);
    sink.manifest.bad_rows.extend(bad);
    sink.csv(
        &rel,
        "ApiTotalUsage",
        &API_TOTAL_USAGE_HEADER,
        &rows,
        "3 malformed rows planted",
    )?;

    let rel = daily_name(org, "ApiTotalUsageEventLog", 1, "parquet");
    let mut columns = EloColumns::default();
    for call in on_day(&traffic.calls, 1) {
        push_elo(&mut columns, call, org);
    }
    let rows = columns.len();
    let path = sink.root.join(&rel);
    fs::create_dir_all(path.parent().expect("has a folder"))?;
    parquet::write_file(&path, &mut columns)?;
    sink.paths.push(path);
    sink.record(
        &rel,
        "ApiTotalUsage",
        rows,
        "Event Log Object names; type inferred from columns",
    );

    let rows = atu_rows(on_day(&traffic.calls, 2), org, BoolStyle::TrueFalse);
    let note = "COUNTS_AGAINST_API_LIMIT as true/false; error burst at 14:02";
    sink.csv(
        &daily_name(org, "ApiTotalUsage", 2, "csv"),
        "ApiTotalUsage",
        &API_TOTAL_USAGE_HEADER,
        &rows,
        note,
    )?;
    Ok(())
}

fn push_elo(columns: &mut EloColumns, call: &Call, org: &SampleOrg) {
    columns.push(&EloRow {
        ts: call.ts,
        request_id: &call.request_id,
        org_id18: &ids::to18(org.id),
        user_id18: &ids::to18(call.user_id),
        user_name: call.user_name,
        family: call.family,
        resource: &call.resource,
        version: call.version,
        client_name: call.actor.client_name,
        app_id18: &ids::to18(call.actor.app_id),
        method: call.method,
        counts: call.counts,
        entity: call.entity,
        status: call.status,
        ip: call.ip,
    });
}

/// Data rows after which a broken row is inserted, and what is broken.
const BAD_ROWS: [(usize, &str); 3] = [
    (300, "spreadsheet timestamp 2.01308E+13, empty TIMESTAMP_DERIVED"),
    (700, "missing ORGANIZATION_ID"),
    (1_100, "wrong field count (18 instead of 19)"),
];

/// Inserts the broken rows: copies of neighbouring rows (with fresh REQUEST_IDs, so they are not
/// duplicates) damaged the way spreadsheets and truncated exports damage them.
fn with_bad_rows(rows: Vec<Vec<String>>, rel: &str) -> (Vec<Vec<String>>, Vec<BadRow>) {
    let mut rng = Rng::named("initech.bad-rows");
    let mut out = Vec::with_capacity(rows.len() + BAD_ROWS.len());
    let mut bad = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let planted = BAD_ROWS.iter().position(|&(after, _)| after == i);
        out.push(row);
        if let Some(which) = planted {
            let mut broken = out.last().expect("just pushed").clone();
            broken[2] = ids::request_id(0xBAD0 + which as u64, &mut rng);
            match which {
                0 => {
                    broken[1] = "2.01308E+13".into();
                    broken[17] = String::new();
                }
                1 => broken[3] = String::new(),
                _ => {
                    broken.pop();
                }
            }
            out.push(broken);
            // Line 1 is the header; no field of these rows holds a newline.
            bad.push(BadRow {
                rel: rel.to_string(),
                line: out.len() + 1,
                reason: BAD_ROWS[which].1,
            });
        }
    }
    (out, bad)
}

/// The org profile: A and B with edition and licences, C deliberately absent.
fn org_profile() -> String {
    let mut text = String::from(
        "# Org profile for the bundled sample logs (synthetic).\n\
         # Initech EU (00D7Q000000InTc) is deliberately absent: its allocation is unknown.\n",
    );
    for org in [ORG_A, ORG_B] {
        text.push_str(&format!(
            "\n[[org]]\norg_id = \"{}\"\nname = \"{}\"\nedition = \"{}\"\napi_call_add_ons = 0\n[org.licenses]\nsalesforce = {}\n",
            org.id,
            org.name,
            org.edition.unwrap_or_default(),
            org.salesforce_licenses
        ));
    }
    text
}

fn counted(traffic: &OrgTraffic) -> Vec<&Call> {
    traffic.calls.iter().filter(|c| c.counts).collect()
}

/// The figures the README promises, from the calls the analysis will see as counted.
pub(crate) fn expectations(
    acme: &OrgTraffic,
    globex: &OrgTraffic,
    initech: &OrgTraffic,
) -> Vec<OrgExpectation> {
    let fallback_from = day_start(2);
    let globex_calls: Vec<&Call> = globex
        .calls
        .iter()
        .filter(|c| {
            if c.ts < fallback_from {
                c.counts
            } else {
                in_rest_api(c)
            }
        })
        .collect();
    let estimated = globex_calls.iter().filter(|c| c.ts >= fallback_from).count() as u64;
    vec![
        expect_org(ORG_A, &counted(acme), 0),
        expect_org(ORG_B, &globex_calls, estimated),
        expect_org(ORG_C, &counted(initech), 0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_except_planted_pairs() {
        for traffic in [scenario::acme(), scenario::globex(), scenario::initech()] {
            let mut ids: Vec<&str> = traffic.calls.iter().map(|c| c.request_id.as_str()).collect();
            ids.extend(traffic.logins.iter().map(|l| l.request_id.as_str()));
            ids.sort_unstable();
            let repeats = ids.windows(2).filter(|w| w[0] == w[1]).count();
            assert_eq!(repeats, shared_pairs(&traffic.calls));
        }
    }

    #[test]
    fn planted_volumes_hit_their_targets() {
        let acme = scenario::acme();
        let globex = scenario::globex();
        let initech = scenario::initech();
        let all = expectations(&acme, &globex, &initech);
        let a = &all[0];
        let erp = a
            .integrations
            .iter()
            .find(|i| i.label == super::super::planted::CHATTY_APP_NAME)
            .unwrap();
        assert_eq!(a.integrations[0].label, erp.label);
        assert!(
            erp.peak.calls > 8_250 && erp.peak.calls < 9_750,
            "{}",
            erp.peak.calls
        );
        assert!(
            a.peak.calls >= 12_000 && a.peak.calls < 13_500,
            "{}",
            a.peak.calls
        );
        for org in &all[1..] {
            assert!(org.integrations.iter().all(|i| i.peak.calls * 2 < 15_000));
        }
        assert!(acme.calls.iter().all(|c| c.request_id.len() == 22));
    }
}
