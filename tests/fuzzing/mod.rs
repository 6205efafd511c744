//! The fuzz target shared by `tests/fuzz.rs` (a short fixed-seed run in CI) and
//! `examples/fuzz_long.rs` (the long release-mode campaign).
//!
//! A case is one to three input files, each a valid seed (Event Monitoring CSV of
//! ApiTotalUsage, RestApi and Login with quoting, quoted newlines, CRLF, CR, a BOM, gzip; and
//! Parquet written with polars) put through a few byte mutations: bit flips, byte and token
//! insertions, deletions, truncations, duplicated, dropped and swapped lines, splices of two
//! seeds. The case writes the files into a fresh folder and runs the whole `report` pipeline
//! in-process through `apiusage::run`, with a fixed time and no charts (usually), and checks:
//!
//! - no panic anywhere in the pipeline (the message and where it happened are reported);
//! - a report is written whenever `run` returns `Ok` (exit 0, 1 or 2), and its `summary.json`
//!   parses;
//! - the accounting identity `rows_read = rows_used + duplicates + rows_ignored + Σ bad_rows`,
//!   overall and per file, and the per-file reads add up to `rows_read`;
//! - the heap the case allocates on top of what was live before it stays under
//!   [`CASE_HEAP_LIMIT`] (counted by [`Counting`], the binary's global allocator).
//!
//! Every case is a pure function of the strategy's random stream, so a fixed seed replays it.
#![allow(dead_code, clippy::print_stderr)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use apiusage::cli::Cli;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use polars::prelude::*;
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------
// Memory: a counting global allocator.
// ---------------------------------------------------------------------------------------------

/// Heap one case may allocate on top of what was live before it.
pub const CASE_HEAP_LIMIT: usize = 512 << 20;

/// A global allocator that counts live heap bytes and their peak, and refuses any allocation
/// that would take the live total over a hard cap (the process then aborts with "memory
/// allocation of N bytes failed", as it would on a machine without that memory). The cap keeps
/// a runaway case from swapping the machine; the per-case peak is what the checks compare.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static HARD_CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Sets the live-heap total past which allocations fail.
pub fn set_hard_cap(bytes: usize) {
    HARD_CAP.store(bytes, Ordering::Relaxed);
}

fn reserve(bytes: usize) -> bool {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
    if now > HARD_CAP.load(Ordering::Relaxed) {
        LIVE.fetch_sub(bytes, Ordering::Relaxed);
        return false;
    }
    PEAK.fetch_max(now, Ordering::Relaxed);
    true
}

fn release(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's layout and only adds bookkeeping
// on atomics; it never unwinds and never hands out memory `System` did not return.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !reserve(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc(layout);
        if p.is_null() {
            release(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !reserve(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            release(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        release(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !reserve(new_size - old) {
            return std::ptr::null_mut();
        }
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            if new_size > old {
                release(new_size - old);
            }
        } else if new_size < old {
            release(old - new_size);
        }
        p
    }
}

/// Heap bytes live now.
pub fn live_heap() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts measuring one case's peak; returns the baseline.
fn start_peak() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

fn peak_since(baseline: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(baseline)
}

// ---------------------------------------------------------------------------------------------
// Panics: captured with their location and backtrace while a case runs.
// ---------------------------------------------------------------------------------------------

static CAPTURING: AtomicBool = AtomicBool::new(false);
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once) a panic hook that, while a case runs, records each panic's message,
/// location and backtrace instead of printing them; other panics print as usual.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.load(Ordering::SeqCst) {
                let bt = std::backtrace::Backtrace::force_capture();
                let text = format!("{info}\n{}", our_frames(&bt.to_string()));
                if let Ok(mut p) = PANICS.lock() {
                    p.push(text);
                }
            } else {
                default(info);
            }
        }));
    });
}

/// The backtrace lines that point into apiusage's own sources (the rest is std, rayon, polars).
fn our_frames(bt: &str) -> String {
    let lines: Vec<&str> = bt.lines().collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if l.contains("apiusage::") {
            let at = lines.get(i + 1).map_or("", |n| n.trim());
            let _ = writeln!(out, "  {} {}", l.trim(), at);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Seeds.
// ---------------------------------------------------------------------------------------------

/// A valid input file to mutate.
#[derive(Debug, Clone)]
pub struct Seed {
    /// What it exercises (for reports).
    pub name: &'static str,
    /// The file name it is written as.
    pub file: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The seeds, built once: slices of `apiusage sample` output plus crafted dialect variants and
/// Parquet files written with polars.
pub fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(build_seeds)
}

fn build_seeds() -> Vec<Seed> {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = apiusage::sample::write_sample_logs(dir.path()).expect("sample logs");
    let find = |part: &str| -> Vec<u8> {
        let path = files
            .iter()
            .find(|p| p.to_string_lossy().contains(part))
            .unwrap_or_else(|| panic!("no sample file matching {part}"));
        let raw = std::fs::read(path).expect("read sample");
        if path.extension().is_some_and(|e| e == "gz") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut out)
                .expect("gunzip sample");
            out
        } else {
            raw
        }
    };
    let atu = first_records(&find("ApiTotalUsage_2026-11-03_00D8a"), 30);
    let atu_initech = first_records(&find("ApiTotalUsage_2026-11-02_00D7Q"), 20);
    let hourly = first_records(&find("hourly/ApiTotalUsage_2026-11-03T09_seq1"), 15);
    let rest = first_records(&find("RestApi_2026-11-04"), 16);
    let login = first_records(&find("Login_2026-11-02"), 12);
    let sample_parquet = std::fs::read(
        files
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "parquet"))
            .expect("sample parquet"),
    )
    .expect("read sample parquet");

    let mut seeds = vec![
        seed(
            "ApiTotalUsage (sample, quoted)",
            "ApiTotalUsage_a.csv",
            atu.clone(),
        ),
        seed(
            "ApiTotalUsage (sample, other org)",
            "ApiTotalUsage_b.csv",
            atu_initech,
        ),
        seed("ApiTotalUsage hourly (sample)", "ApiTotalUsage_h.csv", hourly),
        seed("RestApi (sample, multi-line SOQL)", "RestApi_a.csv", rest.clone()),
        seed("Login (sample, commas in agents)", "Login_a.csv", login),
        seed("ApiTotalUsage CRLF + BOM", "ApiTotalUsage_crlf.csv", {
            let mut b = b"\xEF\xBB\xBF".to_vec();
            b.extend(crlf(&atu));
            b
        }),
        seed("ApiTotalUsage CR only", "ApiTotalUsage_cr.csv", {
            atu.iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect()
        }),
        seed(
            "ApiTotalUsage quoted newlines",
            "ApiTotalUsage_nl.csv",
            quoted_newlines(&atu),
        ),
        seed("ApiTotalUsage unquoted", "ApiTotalUsage_unq.csv", {
            atu.iter().copied().filter(|&b| b != b'"').collect()
        }),
        seed("ApiTotalUsage comma-space", "ApiTotalUsage_sp.csv", {
            String::from_utf8_lossy(&atu)
                .replace("\",\"", "\", \"")
                .into_bytes()
        }),
        seed("RestApi CRLF", "RestApi_crlf.csv", crlf(&rest)),
        seed("ApiTotalUsage gzip", "ApiTotalUsage_gz.csv.gz", gzip(&atu)),
        seed(
            "Event Log Object Parquet (sample)",
            "ApiTotalUsageEventLog_s.parquet",
            sample_parquet,
        ),
    ];
    seeds.push(seed(
        "Event Log Object Parquet (uncompressed, typed)",
        "ApiTotalUsageEventLog_u.parquet",
        elo_parquet(&atu, ParquetCompression::Uncompressed),
    ));
    seeds.push(seed(
        "Event Log Object Parquet (snappy)",
        "ApiTotalUsageEventLog_z.parquet",
        elo_parquet(&atu, ParquetCompression::Snappy),
    ));
    seeds.push(seed(
        "RestApi as all-text Parquet (EventLogFile names)",
        "RestApi_t.parquet",
        text_parquet(&rest),
    ));
    seeds
}

fn seed(name: &'static str, file: &'static str, bytes: Vec<u8>) -> Seed {
    Seed { name, file, bytes }
}

/// The header and the first `n` records of a CSV, byte for byte (records may span lines).
fn first_records(csv_bytes: &[u8], n: usize) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_bytes);
    let mut record = csv::ByteRecord::new();
    for _ in 0..n {
        if !reader.read_byte_record(&mut record).expect("valid sample CSV") {
            break;
        }
    }
    let end = reader.position().byte() as usize;
    csv_bytes[..end].to_vec()
}

fn records(csv_bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_bytes);
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 50);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The seed with every third row's client name holding a quoted newline, comma and quotes.
fn quoted_newlines(atu: &[u8]) -> Vec<u8> {
    let (header, rows) = records(atu);
    let client = header
        .iter()
        .position(|h| h == "CLIENT_NAME")
        .expect("CLIENT_NAME");
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = header.iter().map(|h| q(h)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for (i, mut r) in rows.into_iter().enumerate() {
        if i % 3 == 0 {
            r[client] = format!("ERP \"nightly\", batch\nline {i}\r\nend");
        }
        out.push_str(&r.iter().map(|f| q(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn id18(id: &str) -> String {
    if id.len() == 15 {
        let suffix = apiusage::normalize::case_suffix(id.as_bytes());
        format!("{id}{}", String::from_utf8_lossy(&suffix))
    } else {
        id.to_string()
    }
}

fn parquet_bytes(mut df: DataFrame, compression: ParquetCompression) -> Vec<u8> {
    let mut out = Vec::new();
    ParquetWriter::new(&mut out)
        .with_compression(compression)
        .finish(&mut df)
        .expect("write parquet");
    out
}

/// The ApiTotalUsage rows as an Event Log Object export: typed columns, real nulls, 18-char ids.
fn elo_parquet(atu: &[u8], compression: ParquetCompression) -> Vec<u8> {
    let (header, rows) = records(atu);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let text = |name: &str, f: &dyn Fn(&str) -> String| -> Vec<Option<String>> {
        let i = col(name);
        rows.iter()
            .map(|r| (!r[i].is_empty()).then(|| f(&r[i])))
            .collect()
    };
    let same = |s: &str| s.to_string();
    let ts: Vec<i64> = rows
        .iter()
        .map(|r| apiusage::normalize::parse_timestamp(r[col("TIMESTAMP_DERIVED")].as_bytes()).expect("ts"))
        .collect();
    let df = DataFrame::new(
        rows.len(),
        vec![
            Column::new("Timestamp".into(), ts)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .expect("datetime"),
            Column::new("RequestIdentifier".into(), text("REQUEST_ID", &same)),
            Column::new("InternalOrganizationId".into(), text("ORGANIZATION_ID", &id18)),
            Column::new("UserIdentifier".into(), text("USER_ID", &id18)),
            Column::new("Username".into(), text("USER_NAME", &same)),
            Column::new("ApiFamily".into(), text("API_FAMILY", &same)),
            Column::new("ApiResource".into(), text("API_RESOURCE", &same)),
            Column::new(
                "ApiVersion".into(),
                rows.iter()
                    .map(|r| r[col("API_VERSION")].parse::<f64>().ok())
                    .collect::<Vec<_>>(),
            ),
            Column::new("ClientName".into(), text("CLIENT_NAME", &same)),
            Column::new("ConnectedAppIdentifier".into(), text("CONNECTED_APP_ID", &id18)),
            Column::new("HttpMethod".into(), text("HTTP_METHOD", &same)),
            Column::new(
                "IsApiLimitCounted".into(),
                rows.iter()
                    .map(|r| Some(r[col("COUNTS_AGAINST_API_LIMIT")] == "1"))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "StatusCode".into(),
                rows.iter()
                    .map(|r| r[col("STATUS_CODE")].parse::<i32>().ok())
                    .collect::<Vec<_>>(),
            ),
        ],
    )
    .expect("frame");
    parquet_bytes(df, compression)
}

/// A CSV as Parquet with its own column names, every column text (empty fields null).
fn text_parquet(csv_bytes: &[u8]) -> Vec<u8> {
    let (header, rows) = records(csv_bytes);
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let values: Vec<Option<String>> = rows
                .iter()
                .map(|r| (!r[i].is_empty()).then(|| r[i].clone()))
                .collect();
            Column::new(h.as_str().into(), values)
        })
        .collect();
    let df = DataFrame::new(rows.len(), columns).expect("frame");
    parquet_bytes(df, ParquetCompression::Uncompressed)
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

/// Byte strings that mean something to a CSV parser, a timestamp or an id parser.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xEF\xBB\xBF",
    b"\0",
    b"\xFF\xFE",
    b"\xC3",
    b"\x1b]0;x\x07",
    b" ",
    b"-",
    b"0",
    b"9",
    b"1970",
    b"0001",
    b"9999",
    b"3026",
    b"20261103",
    b"2026-11-03T",
    b"T23:59:59.999Z",
    b"99999999999999999999",
    b"-1",
    b"1e308",
    b"NaN",
    b"true",
    b"false",
    b"ApiTotalUsage",
    b"RestApi",
    b"Login",
    b"00D",
    b"00D8a000000DvA1",
    b"REQUEST_LIMIT_EXCEEDED",
    b"=HYPERLINK(\"x\")",
    b"|",
    b"`",
    b"<img src=x onerror=alert(1)>",
    b"\"EVENT_TYPE\"",
    b"PAR1",
];

/// One edit of a file's bytes. Positions are [`Index`]es, resolved against the length the
/// bytes have when the edit is applied.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flip one bit.
    FlipBit(Index, u8),
    /// Set one byte.
    SetByte(Index, u8),
    /// Insert one byte.
    InsertByte(Index, u8),
    /// Insert a meaningful token.
    InsertToken(Index, Index),
    /// Overwrite with a meaningful token.
    OverwriteToken(Index, Index),
    /// Delete up to `n` bytes.
    Delete(Index, u8),
    /// Cut the file here.
    Truncate(Index),
    /// Repeat one line (up to and including its `\n`).
    DuplicateLine(Index),
    /// Remove one line.
    DropLine(Index),
    /// Swap two lines.
    SwapLines(Index, Index),
    /// This file's bytes up to one point, then another seed's from another point.
    Splice(Index, Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = any::<Index>;
    prop_oneof![
        4 => (i(), 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        1 => (i(), any::<u8>()).prop_map(|(p, b)| Mutation::SetByte(p, b)),
        1 => (i(), any::<u8>()).prop_map(|(p, b)| Mutation::InsertByte(p, b)),
        3 => (i(), i()).prop_map(|(p, t)| Mutation::InsertToken(p, t)),
        2 => (i(), i()).prop_map(|(p, t)| Mutation::OverwriteToken(p, t)),
        2 => (i(), 1u8..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        1 => i().prop_map(Mutation::Truncate),
        2 => i().prop_map(Mutation::DuplicateLine),
        2 => i().prop_map(Mutation::DropLine),
        2 => (i(), i()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => (i(), i(), i()).prop_map(|(a, s, b)| Mutation::Splice(a, s, b)),
    ]
}

/// Where each line starts, plus the end (a final line without `\n` counts).
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    if *starts.last().unwrap_or(&0) != bytes.len() {
        starts.push(bytes.len());
    }
    starts
}

fn at(index: &Index, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        index.index(len)
    }
}

/// Applies one mutation.
pub fn apply(bytes: &mut Vec<u8>, m: &Mutation, all: &[Seed]) {
    let len = bytes.len();
    let token = |t: &Index| TOKENS[t.index(TOKENS.len())];
    match m {
        Mutation::FlipBit(p, bit) if len > 0 => bytes[at(p, len)] ^= 1 << bit,
        Mutation::SetByte(p, b) if len > 0 => bytes[at(p, len)] = *b,
        Mutation::InsertByte(p, b) => bytes.insert(at(p, len + 1), *b),
        Mutation::InsertToken(p, t) => {
            let pos = at(p, len + 1);
            bytes.splice(pos..pos, token(t).iter().copied());
        }
        Mutation::OverwriteToken(p, t) if len > 0 => {
            let pos = at(p, len);
            let tok = token(t);
            let end = (pos + tok.len()).min(len);
            bytes.splice(pos..end, tok.iter().copied());
        }
        Mutation::Delete(p, n) if len > 0 => {
            let pos = at(p, len);
            bytes.drain(pos..(pos + *n as usize).min(len));
        }
        Mutation::Truncate(p) => bytes.truncate(at(p, len + 1)),
        Mutation::DuplicateLine(l) => {
            let s = line_starts(bytes);
            if s.len() >= 2 {
                let k = at(l, s.len() - 1);
                let line = bytes[s[k]..s[k + 1]].to_vec();
                bytes.splice(s[k + 1]..s[k + 1], line);
            }
        }
        Mutation::DropLine(l) => {
            let s = line_starts(bytes);
            if s.len() >= 2 {
                let k = at(l, s.len() - 1);
                bytes.drain(s[k]..s[k + 1]);
            }
        }
        Mutation::SwapLines(a, b) => {
            let s = line_starts(bytes);
            if s.len() >= 3 {
                let n = s.len() - 1;
                let (x, y) = (at(a, n), at(b, n));
                let (x, y) = (x.min(y), x.max(y));
                if x != y {
                    let mut out = bytes[..s[x]].to_vec();
                    out.extend_from_slice(&bytes[s[y]..s[y + 1]]);
                    out.extend_from_slice(&bytes[s[x + 1]..s[y]]);
                    out.extend_from_slice(&bytes[s[x]..s[x + 1]]);
                    out.extend_from_slice(&bytes[s[y + 1]..]);
                    *bytes = out;
                }
            }
        }
        Mutation::Splice(a, other, b) => {
            let other = &all[other.index(all.len())].bytes;
            bytes.truncate(at(a, len + 1));
            bytes.extend_from_slice(&other[at(b, other.len() + 1)..]);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------------------

/// One input file of a case: a seed and the edits made to it.
#[derive(Debug, Clone)]
pub struct FileCase {
    /// Index into [`seeds`].
    pub seed: usize,
    /// Edits, in order.
    pub mutations: Vec<Mutation>,
}

/// Command-line options varied across cases (each changes which code runs, not what holds).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--allocation`.
    pub allocation: Option<&'static str>,
    /// `--since` / `--until` / `--org`.
    pub filter: Vec<&'static str>,
    /// `--strict`.
    pub strict: bool,
    /// `--fail-on`.
    pub fail_on: Option<&'static str>,
    /// `--charts`.
    pub charts: &'static str,
    /// `--tz`.
    pub tz: Option<&'static str>,
}

/// A whole case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The input files (written in order, names made unique).
    pub files: Vec<FileCase>,
    /// Options.
    pub options: Options,
    /// Whether the case also runs a second time on one thread, to compare the outputs.
    pub twice: bool,
}

fn options() -> impl Strategy<Value = Options> {
    let allocation = prop_oneof![
        Just(None),
        Just(Some("15000")),
        Just(Some("100")),
        Just(Some("00D8a000000DvA1=5")),
    ];
    let filter = prop_oneof![
        6 => Just(vec![]),
        1 => Just(vec!["--since", "2026-11-03"]),
        1 => Just(vec!["--until", "2026-11-03T12:00:00Z"]),
        1 => Just(vec!["--since", "2026-11-02T00:00:20Z", "--until", "2026-11-04"]),
        1 => Just(vec!["--org", "00D8a000000DvA1"]),
        1 => Just(vec!["--org", "00D7Q000000InTcUAA"]),
    ];
    let fail_on = prop_oneof![Just(None), Just(Some("warn")), Just(Some("chatty,over")),];
    let charts = prop_oneof![28 => Just("none"), 2 => Just("svg"), 1 => Just("png")];
    let tz = prop_oneof![4 => Just(None), 1 => Just(Some("+05:30"))];
    (allocation, filter, any::<bool>(), fail_on, charts, tz).prop_map(
        |(allocation, filter, strict, fail_on, charts, tz)| Options {
            allocation,
            filter,
            strict,
            fail_on,
            charts,
            tz,
        },
    )
}

/// The case strategy.
pub fn case() -> impl Strategy<Value = Case> {
    let n = seeds().len();
    let file = (0..n, prop::collection::vec(mutation(), 0..5))
        .prop_map(|(seed, mutations)| FileCase { seed, mutations });
    let twice = prop::bool::weighted(0.2);
    (prop::collection::vec(file, 1..4), options(), twice).prop_map(|(files, options, twice)| Case {
        files,
        options,
        twice,
    })
}

impl Case {
    /// The files this case writes: unique names, mutated bytes.
    pub fn materialize(&self) -> Vec<(String, Vec<u8>)> {
        let all = seeds();
        self.files
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let s = &all[f.seed];
                let mut bytes = s.bytes.clone();
                for m in &f.mutations {
                    apply(&mut bytes, m, all);
                }
                (format!("f{k}_{}", s.file), bytes)
            })
            .collect()
    }

    /// The `report` arguments for inputs in `input` and the report in `out`.
    pub fn args(&self, input: &Path, out: &Path) -> Vec<String> {
        let o = &self.options;
        let mut a: Vec<String> = vec!["apiusage".into(), "report".into()];
        a.push(input.display().to_string());
        a.extend(["--out".into(), out.display().to_string()]);
        a.extend(["--generated-at".into(), GENERATED_AT.into()]);
        a.extend(["--charts".into(), o.charts.into(), "--quiet".into()]);
        if let Some(v) = o.allocation {
            a.extend(["--allocation".into(), v.into()]);
        }
        a.extend(o.filter.iter().map(|s| s.to_string()));
        if o.strict {
            a.push("--strict".into());
        }
        if let Some(v) = o.fail_on {
            a.extend(["--fail-on".into(), v.into()]);
        }
        if let Some(v) = o.tz {
            a.push(format!("--tz={v}"));
        }
        a
    }

    /// A short description, for reports and reproducers.
    pub fn describe(&self) -> String {
        let all = seeds();
        let mut s = String::new();
        for (k, f) in self.files.iter().enumerate() {
            let _ = writeln!(
                s,
                "file {k}: seed {} ({}), {:?}",
                f.seed, all[f.seed].name, f.mutations
            );
        }
        let _ = write!(s, "options: {:?}, twice: {}", self.options, self.twice);
        s
    }
}

/// The report's fixed "generated at" time.
pub const GENERATED_AT: &str = "2026-11-28T00:00:00Z";

/// The `now` handed to `run` (the same instant).
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()
}

/// What one case did, when it held.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// Exit status (0, 1, 2).
    pub exit: u8,
    /// Whether a report was written.
    pub wrote_report: bool,
    /// Rows read, when a report was written.
    pub rows_read: u64,
    /// Heap the case allocated on top of the baseline, at its peak.
    pub peak_heap: usize,
}

/// Writes the case's files into `dir/in`, runs `report` into `dir/out` and checks it; a case
/// drawn with `twice` also gets the one-thread determinism check of [`run_case_with`].
pub fn run_case(case: &Case, dir: &Path) -> Result<CaseReport, String> {
    run_case_with(case, dir, case.twice)
}

/// The report files compared by the determinism check.
const COMPARED: &[&str] = &[
    "summary.json",
    "report.md",
    "report.html",
    "integrations.csv",
    "recommendations.csv",
];

/// [`run_case`]; with `twice`, the case then runs again on one thread (a rayon pool of one)
/// and every report file must come out byte-identical: output depends on the inputs only,
/// never on the thread count or on the run.
pub fn run_case_with(case: &Case, dir: &Path, twice: bool) -> Result<CaseReport, String> {
    let input = dir.join("in");
    let out = dir.join("out");
    std::fs::create_dir_all(&input).map_err(|e| format!("harness: {e}"))?;
    for (name, bytes) in case.materialize() {
        std::fs::write(input.join(name), bytes).map_err(|e| format!("harness: {e}"))?;
    }
    let report = run_and_check(case, &input, &out, None)?;
    if twice && report.wrote_report {
        let first: Vec<Option<Vec<u8>>> = COMPARED.iter().map(|n| std::fs::read(out.join(n)).ok()).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| format!("harness: {e}"))?;
        let again = run_and_check(case, &input, &out, Some(&pool))?;
        if again.exit != report.exit {
            return Err(format!(
                "determinism: exit {} with the default pool, {} on one thread",
                report.exit, again.exit
            ));
        }
        for (name, before) in COMPARED.iter().zip(first) {
            let after = std::fs::read(out.join(name)).ok();
            if before != after {
                return Err(format!(
                    "determinism: {name} differs between the default pool and one thread\n{}",
                    first_difference(before.as_deref().unwrap_or(b""), after.as_deref().unwrap_or(b""))
                ));
            }
        }
    }
    Ok(report)
}

/// Where two outputs first differ, with some context from each.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let context =
        |v: &[u8]| String::from_utf8_lossy(&v[at.saturating_sub(300)..(at + 300).min(v.len())]).into_owned();
    format!(
        "at byte {at}:\n--- default pool:\n{}\n--- one thread:\n{}",
        context(a),
        context(b)
    )
}

/// Runs `report` once (in `pool` when given) and checks what it did.
fn run_and_check(
    case: &Case,
    input: &Path,
    out: &Path,
    pool: Option<&rayon::ThreadPool>,
) -> Result<CaseReport, String> {
    let cli =
        Cli::try_parse_from(case.args(input, out)).map_err(|e| format!("harness: bad arguments: {e}"))?;
    install_panic_hook();
    PANICS.lock().map(|mut p| p.clear()).ok();
    let baseline = start_peak();
    CAPTURING.store(true, Ordering::SeqCst);
    let call = || apiusage::run(cli, fixed_now());
    let result = panic::catch_unwind(AssertUnwindSafe(|| match pool {
        Some(p) => p.install(call),
        None => call(),
    }));
    CAPTURING.store(false, Ordering::SeqCst);
    let peak_heap = peak_since(baseline);
    let outcome = match result {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".into());
            let detail = PANICS.lock().map(|p| p.join("\n---\n")).unwrap_or_default();
            return Err(format!("panic: {msg}\n{detail}"));
        }
    };
    if peak_heap > CASE_HEAP_LIMIT {
        return Err(format!(
            "memory: the case allocated {} MiB of heap at its peak (limit {} MiB)",
            peak_heap >> 20,
            CASE_HEAP_LIMIT >> 20
        ));
    }
    let summary_path = out.join("summary.json");
    let (exit, should_have_report) = match &outcome {
        Ok(o) => (o.status.code(), true),
        Err(e) => {
            let text = format!("{e:#}");
            if text.trim().is_empty() {
                return Err("an error without a message".into());
            }
            (2, false)
        }
    };
    if exit > 2 {
        return Err(format!("exit status {exit}"));
    }
    let summary = match std::fs::read(&summary_path) {
        Ok(bytes) => Some(
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("summary.json does not parse: {e}"))?,
        ),
        Err(_) if !should_have_report => None,
        Err(e) => return Err(format!("run returned Ok but summary.json is missing: {e}")),
    };
    let rows_read = match &summary {
        Some(s) => check_accounting(s)?,
        None => 0,
    };
    Ok(CaseReport {
        exit,
        wrote_report: summary.is_some(),
        rows_read,
        peak_heap,
    })
}

fn num(v: &serde_json::Value, what: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("summary.json: {what} is not a count: {v}"))
}

fn sum_map(
    v: &serde_json::Value,
    what: &str,
    count: impl Fn(&serde_json::Value) -> &serde_json::Value,
) -> Result<u64, String> {
    let map = v
        .as_object()
        .ok_or_else(|| format!("summary.json: {what} is not an object: {v}"))?;
    map.values().map(|e| num(count(e), what)).sum()
}

/// The accounting identity, overall and per file; returns `rows_read`.
pub fn check_accounting(summary: &serde_json::Value) -> Result<u64, String> {
    let q = &summary["data_quality"];
    let read = num(&q["rows_read"], "rows_read")?;
    let used = num(&q["rows_used"], "rows_used")?;
    let duplicates = num(&q["duplicates"], "duplicates")?;
    let ignored = num(&q["rows_ignored"], "rows_ignored")?;
    let bad = sum_map(&q["bad_rows"], "bad_rows", |e| &e["count"])?;
    if read != used + duplicates + ignored + bad {
        return Err(format!(
            "accounting: rows_read {read} != rows_used {used} + duplicates {duplicates} + \
             rows_ignored {ignored} + bad {bad}\ndata_quality: {q}"
        ));
    }
    let ignored_by_reason = sum_map(&q["ignored"], "ignored", |e| e)?;
    if ignored_by_reason != ignored {
        return Err(format!(
            "accounting: rows_ignored {ignored} != the sum of ignored by reason {ignored_by_reason}"
        ));
    }
    let mut per_file_read = 0;
    for f in q["files"]["per_file"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let r = &f["rows"];
        let fr = num(&r["read"], "per_file.read")?;
        let fsum = num(&r["used"], "per_file.used")?
            + num(&r["duplicates"], "per_file.duplicates")?
            + sum_map(&r["ignored"], "per_file.ignored", |e| e)?
            + sum_map(&r["bad"], "per_file.bad", |e| &e["count"])?;
        if fr != fsum {
            return Err(format!(
                "accounting of {}: read {fr} != {fsum}\nrows: {r}",
                f["path"]
            ));
        }
        per_file_read += fr;
    }
    if per_file_read != read {
        return Err(format!(
            "accounting: files read {per_file_read} rows, rows_read says {read}"
        ));
    }
    Ok(read)
}

/// Writes a case's input files and description into `dir` (a reproducer on disk).
pub fn save_case(case: &Case, dir: &Path, failure: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("in"))?;
    for (name, bytes) in case.materialize() {
        std::fs::write(dir.join("in").join(name), bytes)?;
    }
    let args = case.args(Path::new("in"), Path::new("out"))[1..].join(" ");
    std::fs::write(
        dir.join("CASE.txt"),
        format!(
            "{}\n\nrun: apiusage {args}\n\nfailure:\n{failure}\n",
            case.describe()
        ),
    )?;
    Ok(dir.to_path_buf())
}
