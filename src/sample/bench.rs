//! Benchmark input: many ApiTotalUsage rows, streamed to daily files per org.
//!
//! Rows are produced one at a time from a weighted table of realistic request shapes and
//! written straight into a reusable buffer, so memory stays bounded by one output buffer (CSV)
//! or one batch (Parquet) whatever the row count, and CSV output runs well above 1 M rows/s in
//! release builds. The same generator feeds both formats, so a CSV and a Parquet run with the
//! same row count hold the same rows.
//!
//! Files are one per org per day, as users download them: by default three orgs and as many days
//! as keep each file at most [`MAX_ROWS_PER_FILE`] rows; [`BenchLayout`] sets other shapes (up to
//! [`MAX_BENCH_ORGS`] orgs, or an exact number of days whatever the rows per file).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::csvw::push_field;
use super::ids::{self, BASE62};
use super::model::API_TOTAL_USAGE_HEADER;
use super::parquet::{EloColumns, EloParquetWriter, EloRow};
use super::rng::{fnv1a, Rng};
use super::scenario::day_start;
use super::time::{self, DAY_MS, HOUR_MS, MINUTE_MS};

/// Output format of [`write_bench_logs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchFormat {
    /// Fully quoted EventLogFile CSV (`ApiTotalUsage_<date>_<org>.csv`).
    Csv,
    /// Event Log Object Parquet (`ApiTotalUsageEventLog_<date>_<org>.parquet`).
    Parquet,
}

/// Upper bound of rows in one daily file (a large org's day is ~1–5 M calls; we stay at 1 M so a
/// file fits comfortably in memory of the readers under test).
pub const MAX_ROWS_PER_FILE: u64 = 1_000_000;
/// Orgs the benchmark rows are spread over unless told otherwise.
pub const DEFAULT_BENCH_ORGS: usize = 3;
/// Most orgs [`BenchLayout::orgs`] may ask for.
pub const MAX_BENCH_ORGS: usize = 1_000;
/// Most days [`BenchLayout::days`] may ask for (ten years).
pub const MAX_BENCH_DAYS: usize = 3_660;
/// Pods and domains of the first orgs; later orgs derive theirs from their index.
const ORG_PODS: [&str; DEFAULT_BENCH_ORGS] = ["5j", "8b", "4Q"];
const ORG_DOMAINS: [&str; DEFAULT_BENCH_ORGS] = ["northwind", "contoso", "fabrikam"];
/// First character of a derived pod: a letter, so it never equals a pod of [`ORG_PODS`].
const POD_LEAD: &[u8; 52] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Rows buffered per Parquet batch (one row group each).
const PARQUET_BATCH: usize = 65_536;
/// CSV bytes buffered before a write.
const CSV_FLUSH: usize = 1 << 20;
/// Every this many rows, a call reuses the previous REQUEST_ID (it is not a unique key).
const SHARED_REQUEST_EVERY: u64 = 9_973;

/// How [`write_bench_logs`] spreads its rows: one file per org per consecutive day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchLayout {
    /// Orgs, `1..=`[`MAX_BENCH_ORGS`].
    pub orgs: usize,
    /// Days per org, `1..=`[`MAX_BENCH_DAYS`], whatever the rows per file that gives; `None`: as
    /// many as keep each file at most [`MAX_ROWS_PER_FILE`] rows.
    pub days: Option<usize>,
}

impl Default for BenchLayout {
    /// Three orgs, files of at most [`MAX_ROWS_PER_FILE`] rows.
    fn default() -> Self {
        Self {
            orgs: DEFAULT_BENCH_ORGS,
            days: None,
        }
    }
}

/// Writes `rows` ApiTotalUsage rows spread evenly over one file per org per day of `layout`.
/// Returns the files, sorted.
pub fn write_bench_logs(
    out: &Path,
    rows: u64,
    format: BenchFormat,
    layout: BenchLayout,
) -> Result<Vec<PathBuf>> {
    anyhow::ensure!(
        (1..=MAX_BENCH_ORGS).contains(&layout.orgs),
        "benchmark orgs must be 1 to {MAX_BENCH_ORGS}, not {}",
        layout.orgs
    );
    if let Some(days) = layout.days {
        anyhow::ensure!(
            (1..=MAX_BENCH_DAYS).contains(&days),
            "benchmark days must be 1 to {MAX_BENCH_DAYS}, not {days}"
        );
    }
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for plan in plan_files(rows, layout) {
        let org = BenchOrg::new(plan.org);
        let date = time::date(day_start(plan.day));
        let path = match format {
            BenchFormat::Csv => out.join(format!("ApiTotalUsage_{date}_{}.csv", org.id)),
            BenchFormat::Parquet => out.join(format!("ApiTotalUsageEventLog_{date}_{}.parquet", org.id)),
        };
        let rows = RowGen::new(&plan, &org.pod);
        match format {
            BenchFormat::Csv => write_csv(&path, &org, rows),
            BenchFormat::Parquet => write_parquet(&path, &org, rows),
        }
        .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

/// One output file: which org, which day, how many rows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FilePlan {
    org: usize,
    day: usize,
    rows: u64,
}

/// Spreads `rows` evenly over orgs × days (remainder to the first files), day by day. Lazy, so
/// the plan of a large run takes no memory.
fn plan_files(rows: u64, layout: BenchLayout) -> impl Iterator<Item = FilePlan> {
    let orgs = layout.orgs as u64;
    let days = match layout.days {
        Some(days) => days as u64,
        None => rows.div_ceil(orgs * MAX_ROWS_PER_FILE).max(1),
    };
    let files = days * orgs;
    (0..files).map(move |i| FilePlan {
        org: (i % orgs) as usize,
        day: (i / orgs) as usize,
        rows: rows / files + u64::from(i < rows % files),
    })
}

/// A request shape: who calls what. Weights give a realistic mix (single-record REST, polling,
/// SOAP, UI that does not count…), and with it realistic row widths (~290 bytes).
struct Shape {
    weight: u32,
    family: &'static str,
    version: &'static str,
    method: &'static str,
    /// Resource; when `record` is set, a record id with that key prefix is appended.
    path: &'static str,
    record: Option<&'static str>,
    entity: &'static str,
    status: &'static str,
    /// Index into [`WHO`].
    actor: usize,
}

/// The identity columns of one caller.
struct Who {
    /// Three letters that make the connected app id unique (`""`: no app; `"888"`: internal).
    app_code: &'static str,
    app_name: &'static str,
    client_name: &'static str,
    /// Local part of the user name.
    user: &'static str,
    category: &'static str,
    counts: bool,
    ip: &'static str,
}

const fn who(
    app_code: &'static str,
    app_name: &'static str,
    client_name: &'static str,
    user: &'static str,
    category: &'static str,
    counts: bool,
    ip: &'static str,
) -> Who {
    Who {
        app_code,
        app_name,
        client_name,
        user,
        category,
        counts,
        ip,
    }
}

#[allow(clippy::too_many_arguments)]
const fn shape(
    weight: u32,
    family: &'static str,
    version: &'static str,
    method: &'static str,
    path: &'static str,
    record: Option<&'static str>,
    entity: &'static str,
    status: &'static str,
    actor: usize,
) -> Shape {
    Shape {
        weight,
        family,
        version,
        method,
        path,
        record,
        entity,
        status,
        actor,
    }
}

const EXTERNAL: &str = "EXTERNAL_APPLICATION";

// Tables read best one row per line.
#[rustfmt::skip]
const WHO: [Who; 8] = [
    who("ErP", "NetLedger ERP Sync", "", "erp.sync", EXTERNAL, true, "198.51.100.23"),
    who("PoL", "ShipStream Order Poller", "", "shipstream.api", EXTERNAL, true, "198.51.100.80"),
    who("CmP", "CampaignPulse for Salesforce", "CampaignPulse/7.2", "svc.campaignpulse", EXTERNAL, true, "203.0.113.40"),
    who("", "", "CPQBridge/2.3", "svc.cpq.bridge", "UNKNOWN", true, "198.51.100.140"),
    who("RpH", "Reporting Hub", "", "svc.reporting.hub", EXTERNAL, true, "203.0.113.77"),
    who("BuL", "DataBridge Bulk Loader", "", "databridge", EXTERNAL, true, "203.0.113.201"),
    who("", "", "", "maria.lopez", "LIGHTNING_UI", false, "Salesforce.com IP"),
    who("888", "Salesforce for iOS", "", "james.wong", "SALESFORCE", false, "100.64.23.17"),
];

#[rustfmt::skip]
const SHAPES: [Shape; 14] = [
    shape(18, "REST", "58.0", "GET", "/v58.0/sobjects/Account/", Some("001"), "Account", "200", 0),
    shape(16, "REST", "58.0", "PATCH", "/v58.0/sobjects/Account/", Some("001"), "Account", "204", 0),
    shape(6, "REST", "58.0", "POST", "/v58.0/sobjects/Order", None, "Order", "201", 0),
    shape(3, "REST", "58.0", "GET", "/v58.0/sobjects/Contact/", Some("003"), "Contact", "404", 0),
    shape(12, "REST", "58.0", "GET", "/v58.0/query", None, "Order", "200", 1),
    shape(6, "REST", "60.0", "GET", "/v60.0/query", None, "Lead", "200", 2),
    shape(5, "REST", "60.0", "PATCH", "/v60.0/composite/sobjects", None, "Contact", "200", 2),
    shape(3, "SOAP", "60.0", "POST", "login", None, "", "200", 3),
    shape(5, "SOAP", "60.0", "POST", "query", None, "Quote", "200", 3),
    shape(4, "REST", "60.0", "GET", "/v60.0/sobjects/Account/describe", None, "Account", "200", 4),
    shape(3, "REST", "60.0", "GET", "/v60.0/limits", None, "", "200", 4),
    shape(1, "REST", "60.0", "POST", "/v60.0/jobs/ingest", None, "Account", "200", 5),
    shape(14, "REST", "66.0", "GET", "/v66.0/ui-api/records/", Some("006"), "Opportunity", "200", 6),
    shape(4, "REST", "64.0", "GET", "/v64.0/ui-api/records/", Some("500"), "Case", "200", 7),
];

/// One caller's ids in one org, in both 15- and 18-character forms.
struct Identity {
    app_id: String,
    app_id18: String,
    user_id: String,
    user_id18: String,
    user_name: String,
}

/// An org's identity strings, computed once per file.
struct BenchOrg {
    id: String,
    id18: String,
    /// The two characters after the key prefix of the org's ids (`5j` in `00D5j…`).
    pod: String,
    /// Per [`WHO`] entry, in the same order.
    who: Vec<Identity>,
}

impl BenchOrg {
    /// Org `index`: the first ones named in [`ORG_PODS`], later ones with a pod of their own (a
    /// letter and a base-62 character, distinct for the first 3,224 of them), so every org's org,
    /// user and app ids are distinct. The five-digit tail steps by 3,113, coprime with 100,000,
    /// so it is distinct too for up to 100,000 orgs.
    fn new(index: usize) -> Self {
        let (pod, domain) = match (ORG_PODS.get(index), ORG_DOMAINS.get(index)) {
            (Some(pod), Some(domain)) => (pod.to_string(), domain.to_string()),
            _ => {
                let k = index - ORG_PODS.len();
                let pod = [
                    POD_LEAD[k % POD_LEAD.len()],
                    BASE62[k / POD_LEAD.len() % BASE62.len()],
                ];
                (
                    String::from_utf8_lossy(&pod).into_owned(),
                    format!("org{index:04}"),
                )
            }
        };
        let id = format!("00D{pod}00000{:05}", (41_207 + index * 3_113) % 100_000);
        let who = WHO
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let app = match w.app_code {
                    "" => String::new(),
                    "888" => "8880b000000Mb1A".to_string(),
                    code => format!("0H4{pod}000000{code}{i}"),
                };
                let user = format!(
                    "005{pod}00000{:03}{}",
                    100 + i * 37,
                    &w.user[..2].to_ascii_uppercase()
                );
                let name = format!("{}@{domain}.example", w.user);
                Identity {
                    app_id18: ids::to18(&app),
                    app_id: app,
                    user_id18: ids::to18(&user),
                    user_id: user,
                    user_name: name,
                }
            })
            .collect();
        Self {
            id18: ids::to18(&id),
            id,
            pod,
            who,
        }
    }
}

/// The seed of a file's rows, also the first of its request-id sequence numbers. The org's low
/// byte sits at bit 40 and its higher bits at bit 32, the day at bit 48: seeds are distinct for
/// up to 65,536 orgs and days, and as they all share their low 32 bits, the sequences of two
/// files (seed + row) never overlap, so request ids stay unique across files.
fn bench_seed(org: usize, day: usize) -> u64 {
    let org = org as u64;
    fnv1a("bench") ^ ((org & 0xff) << 40) ^ ((org >> 8) << 32) ^ ((day as u64) << 48)
}

/// One generated row (borrowing its strings from the static tables and the org).
struct Row {
    ts: i64,
    request_id: [u8; 22],
    shape: usize,
    record: [u8; 15],
}

/// Produces a file's rows in time order, spread over the day with jitter.
struct RowGen {
    rng: Rng,
    day_start: i64,
    rows: u64,
    next: u64,
    sequence: u64,
    table: Vec<u8>,
    last_request: [u8; 22],
    /// Key-prefix buffer tail: the org's pod, as in `0015j0000…`.
    pod: [u8; 2],
}

impl RowGen {
    fn new(plan: &FilePlan, pod: &str) -> Self {
        let table = SHAPES
            .iter()
            .enumerate()
            .flat_map(|(i, s)| std::iter::repeat_n(i as u8, s.weight as usize))
            .collect();
        let seed = bench_seed(plan.org, plan.day);
        Self {
            rng: Rng::new(seed),
            day_start: day_start(plan.day),
            rows: plan.rows,
            next: 0,
            sequence: seed,
            table,
            last_request: [b'A'; 22],
            pod: [pod.as_bytes()[0], pod.as_bytes()[1]],
        }
    }

    /// Time of the `i`-th row: evenly spaced slots with jitter inside the slot, so the order is
    /// always non-decreasing without sorting.
    fn slot_time(&mut self, i: u64) -> i64 {
        let slot = DAY_MS as u128 * u128::from(i) / u128::from(self.rows);
        let width = (DAY_MS as u64 / self.rows).max(1);
        self.day_start + slot as i64 + self.rng.below(width) as i64
    }
}

impl Iterator for RowGen {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.next >= self.rows {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let ts = self.slot_time(i);
        let shape = usize::from(self.table[self.rng.below(self.table.len() as u64) as usize]);
        self.sequence = self.sequence.wrapping_add(1);
        let request_id = if i % SHARED_REQUEST_EVERY == SHARED_REQUEST_EVERY - 1 {
            self.last_request
        } else {
            ids::request_id_bytes(self.sequence, &mut self.rng)
        };
        self.last_request = request_id;
        let mut record = [0u8; 15];
        if let Some(prefix) = SHAPES[shape].record {
            let mut head = [0u8; 5];
            head[..3].copy_from_slice(prefix.as_bytes());
            head[3..].copy_from_slice(&self.pod);
            ids::record_id_into(&mut record, &head, self.rng.next_u64());
        }
        Some(Row {
            ts,
            request_id,
            shape,
            record,
        })
    }
}

/// `yyyyMMddHHmmss.SSS` and ISO forms of an instant within a known day, without re-deriving
/// the date for every row.
struct DayStamp {
    compact_date: Vec<u8>,
    iso_date: Vec<u8>,
    day_start: i64,
}

impl DayStamp {
    fn new(day_start: i64) -> Self {
        let mut compact_date = Vec::new();
        time::push_compact(&mut compact_date, day_start);
        compact_date.truncate(8);
        let mut iso_date = Vec::new();
        time::push_iso(&mut iso_date, day_start);
        iso_date.truncate(11);
        Self {
            compact_date,
            iso_date,
            day_start,
        }
    }

    fn push_clock(out: &mut Vec<u8>, ms: i64, sep: bool) {
        time::push_digits(out, ms / HOUR_MS, 2);
        if sep {
            out.push(b':');
        }
        time::push_digits(out, ms % HOUR_MS / MINUTE_MS, 2);
        if sep {
            out.push(b':');
        }
        time::push_digits(out, ms % MINUTE_MS / 1000, 2);
        out.push(b'.');
        time::push_digits(out, ms % 1000, 3);
    }

    fn push_compact_field(&self, out: &mut Vec<u8>, ts: i64) {
        out.push(b'"');
        out.extend_from_slice(&self.compact_date);
        Self::push_clock(out, ts - self.day_start, false);
        out.push(b'"');
    }

    fn push_iso_field(&self, out: &mut Vec<u8>, ts: i64) {
        out.push(b'"');
        out.extend_from_slice(&self.iso_date);
        Self::push_clock(out, ts - self.day_start, true);
        out.extend_from_slice(b"Z\"");
    }
}

/// Appends one fully quoted ApiTotalUsage row.
fn push_csv_row(out: &mut Vec<u8>, org: &BenchOrg, stamp: &DayStamp, row: &Row) {
    let shape = &SHAPES[row.shape];
    let who = &WHO[shape.actor];
    let id = &org.who[shape.actor];
    push_field(out, b"ApiTotalUsage");
    out.push(b',');
    stamp.push_compact_field(out, row.ts);
    out.push(b',');
    push_field(out, &row.request_id);
    out.push(b',');
    for value in [
        org.id.as_bytes(),
        id.user_id.as_bytes(),
        shape.family.as_bytes(),
        shape.version.as_bytes(),
    ] {
        push_field(out, value);
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(shape.path.as_bytes());
    if shape.record.is_some() {
        out.extend_from_slice(&row.record);
    }
    out.extend_from_slice(b"\",");
    let counts: &[u8] = if who.counts { b"1" } else { b"0" };
    for value in [
        who.client_name.as_bytes(),
        shape.method.as_bytes(),
        who.ip.as_bytes(),
        counts,
        id.app_id.as_bytes(),
        shape.entity.as_bytes(),
        shape.status.as_bytes(),
        who.app_name.as_bytes(),
        id.user_name.as_bytes(),
    ] {
        push_field(out, value);
        out.push(b',');
    }
    stamp.push_iso_field(out, row.ts);
    out.push(b',');
    push_field(out, who.category.as_bytes());
    out.push(b'\n');
}

fn write_csv(path: &Path, org: &BenchOrg, rows: RowGen) -> Result<()> {
    let stamp = DayStamp::new(rows.day_start);
    // Rows are batched in `buf`, so the file itself needs no extra buffering.
    let mut file = File::create(path)?;
    let mut buf = Vec::with_capacity(CSV_FLUSH + 4_096);
    super::csvw::push_record(&mut buf, &API_TOTAL_USAGE_HEADER);
    for row in rows {
        push_csv_row(&mut buf, org, &stamp, &row);
        if buf.len() >= CSV_FLUSH {
            file.write_all(&buf)?;
            buf.clear();
        }
    }
    file.write_all(&buf)?;
    Ok(())
}

fn write_parquet(path: &Path, org: &BenchOrg, rows: RowGen) -> Result<()> {
    let mut writer = EloParquetWriter::new(BufWriter::new(File::create(path)?));
    let mut columns = EloColumns::default();
    let mut resource = String::new();
    let mut wrote_any = false;
    for row in rows {
        let shape = &SHAPES[row.shape];
        let who = &WHO[shape.actor];
        let id = &org.who[shape.actor];
        resource.clear();
        resource.push_str(shape.path);
        if shape.record.is_some() {
            resource.push_str(std::str::from_utf8(&row.record)?);
        }
        columns.push(&EloRow {
            ts: row.ts,
            request_id: std::str::from_utf8(&row.request_id)?,
            org_id18: &org.id18,
            user_id18: &id.user_id18,
            user_name: &id.user_name,
            family: shape.family,
            resource: &resource,
            version: shape.version,
            client_name: who.client_name,
            app_id18: &id.app_id18,
            method: shape.method,
            counts: who.counts,
            entity: shape.entity,
            status: shape.status.parse()?,
            ip: who.ip,
        });
        if columns.len() >= PARQUET_BATCH {
            writer.write(&columns.take_frame()?)?;
            wrote_any = true;
        }
    }
    if columns.len() > 0 || !wrote_any {
        writer.write(&columns.take_frame()?)?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn layout(orgs: usize, days: Option<usize>) -> BenchLayout {
        BenchLayout { orgs, days }
    }

    #[test]
    fn plans_cap_file_size_and_keep_every_row() {
        for rows in [0, 1, 10_000, 2_999_999, 3_000_001, 10_000_000] {
            let plan: Vec<_> = plan_files(rows, BenchLayout::default()).collect();
            assert_eq!(plan.iter().map(|p| p.rows).sum::<u64>(), rows);
            assert!(plan.iter().all(|p| p.rows <= MAX_ROWS_PER_FILE));
            assert_eq!(plan.len() % DEFAULT_BENCH_ORGS, 0);
        }
    }

    #[test]
    fn plans_keep_every_row_for_any_orgs_and_days() {
        let rows_cases = [0, 1, 7, 999_999, 10_000_001, 100_000_000, 100_000_007];
        let layouts = [
            layout(1, None),
            layout(1, Some(1)),
            layout(1, Some(100)),
            layout(7, None),
            layout(10, Some(30)),
            layout(3, Some(7)),
            layout(1_000, None),
            layout(1_000, Some(3)),
        ];
        for rows in rows_cases {
            for layout in layouts {
                let plan: Vec<_> = plan_files(rows, layout).collect();
                let what = format!("{rows} rows, {layout:?}");
                assert_eq!(plan.iter().map(|p| p.rows).sum::<u64>(), rows, "{what}");
                // One file per org per day, in day order, each org once a day.
                let days = plan.len() / layout.orgs;
                assert_eq!(plan.len(), days * layout.orgs, "{what}");
                if let Some(want) = layout.days {
                    assert_eq!(days, want, "{what}");
                } else {
                    assert!(plan.iter().all(|p| p.rows <= MAX_ROWS_PER_FILE), "{what}");
                    assert!(days == 1 || rows > (days as u64 - 1) * layout.orgs as u64 * MAX_ROWS_PER_FILE);
                }
                for (i, p) in plan.iter().enumerate() {
                    assert_eq!((p.org, p.day), (i % layout.orgs, i / layout.orgs), "{what}");
                }
                // Evenly: file sizes differ by at most one row.
                let (min, max) = plan
                    .iter()
                    .fold((u64::MAX, 0), |(lo, hi), p| (lo.min(p.rows), hi.max(p.rows)));
                assert!(max - min <= 1, "{what}: {min}..{max}");
            }
        }
        let shapes = |rows, layout| plan_files(rows, layout).map(|p| p.rows).collect::<HashSet<_>>();
        assert_eq!(
            shapes(100_000_000, layout(10, Some(30))),
            HashSet::from([333_334, 333_333])
        );
        assert_eq!(
            shapes(100_000_000, layout(1, Some(100))),
            HashSet::from([1_000_000])
        );
    }

    #[test]
    fn org_ids_are_salesforce_shaped() {
        for i in 0..DEFAULT_BENCH_ORGS {
            let org = BenchOrg::new(i);
            assert_eq!(org.id.len(), 15, "{}", org.id);
            for id in &org.who {
                assert!(id.app_id.is_empty() || id.app_id.len() == 15, "{}", id.app_id);
                assert_eq!(id.user_id.len(), 15, "{}", id.user_id);
                assert_eq!(id.user_id18.len(), 18);
            }
        }
    }

    #[test]
    fn the_first_orgs_keep_their_ids() {
        let ids: Vec<_> = (0..DEFAULT_BENCH_ORGS).map(|i| BenchOrg::new(i).id).collect();
        assert_eq!(ids, ["00D5j0000041207", "00D8b0000044320", "00D4Q0000047433"]);
    }

    #[test]
    fn a_thousand_orgs_have_distinct_valid_ids() {
        let is_id = |id: &str, prefix: &str| {
            id.len() == 15 && id.starts_with(prefix) && id.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        let mut seen = HashSet::new();
        let mut seen18 = HashSet::new();
        for i in 0..MAX_BENCH_ORGS {
            let org = BenchOrg::new(i);
            assert!(is_id(&org.id, "00D"), "{}", org.id);
            assert_eq!(org.id18, ids::to18(&org.id));
            assert_eq!(org.id18.len(), 18);
            assert_eq!(org.pod.len(), 2);
            assert!(seen.insert(org.id.clone()), "org {i}: {} twice", org.id);
            // The 18-character form is unique even to case-blind readers.
            assert!(seen18.insert(org.id18.to_ascii_lowercase()), "{}", org.id18);
            for (w, id) in WHO.iter().zip(&org.who) {
                assert!(is_id(&id.user_id, "005"), "{}", id.user_id);
                assert!(seen.insert(id.user_id.clone()), "org {i}: {} twice", id.user_id);
                match w.app_code {
                    "" => assert!(id.app_id.is_empty()),
                    // Salesforce's own app: the same id in every org.
                    "888" => assert!(is_id(&id.app_id, "888")),
                    _ => {
                        assert!(is_id(&id.app_id, "0H4"), "{}", id.app_id);
                        assert!(seen.insert(id.app_id.clone()), "org {i}: {} twice", id.app_id);
                    }
                }
                assert!(id.user_name.ends_with(".example") && id.user_name.contains('@'));
            }
        }
    }

    #[test]
    fn files_have_distinct_seeds_so_request_ids_stay_unique() {
        assert_eq!(
            bench_seed(2, 5),
            fnv1a("bench") ^ (2 << 40) ^ (5 << 48),
            "the default orgs' seeds are kept"
        );
        let mut seeds = HashSet::new();
        for org in 0..MAX_BENCH_ORGS {
            for day in 0..40 {
                let seed = bench_seed(org, day);
                assert_eq!(seed & 0xffff_ffff, fnv1a("bench") & 0xffff_ffff);
                assert!(seeds.insert(seed), "org {org} day {day}");
            }
        }
    }
}
