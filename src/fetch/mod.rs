//! `apiusage fetch`: downloads Event Monitoring log files and `/limits` from orgs over the
//! REST API into a folder that `report` and `ingest` read as it is.
//!
//! Place: beside the pipeline, upstream of ingest (it produces the files ingest reads; the
//! analysis never calls it). It reads the clock (token lifetimes, the time of the `/limits`
//! reading), which is allowed here and nowhere in the analysis.
//!
//! Layout of `DIR` (see [`layout`]):
//! ```text
//! DIR/.apiusage/marker.json        kind "fetch" (crate::marker)
//! DIR/.apiusage/fetch-state.json   what was downloaded ([`state`])
//! DIR/.apiusage/fetch.lock         while a fetch runs ([`lock`])
//! DIR/<org 15>/org.json            the org's id and name, from SELECT Id, Name FROM Organization
//! DIR/<org 15>/limits.json         GET /limits, plus when it was read ("apiusage.fetched_at")
//! DIR/<org 15>/<EventType>/<LogDate>_<Interval>[_<hour>_seq<N>].csv
//! ```
//! Every request to the org is an API call against its allocation and is counted
//! ([`http::Calls`]); `--max-calls` stops before the budget is exceeded.

pub mod auth;
pub mod download;
pub mod error;
pub mod http;
pub mod jwt;
pub mod layout;
pub mod lock;
pub mod query;
pub mod state;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::marker;
use crate::progress::Progress;
use auth::{AuthInputs, Session, Source};
use error::FetchError;
use http::{Client, Retry};
use query::{LogRecord, OrgRecord, Wanted};
use state::{FileEntry, State, Watermark};

/// The default `--event-types`.
pub const DEFAULT_EVENT_TYPES: &[&str] = &[
    "ApiTotalUsage",
    "RestApi",
    "API",
    "ApexRestApi",
    "BulkApiRequest",
    "Login",
];

/// The key fetch adds to `limits.json` for its own bookkeeping.
pub const LIMITS_BOOKKEEPING_KEY: &str = "apiusage";

/// The state is written at most this often while files arrive (and always at the end).
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// A token or secret: never printed, logged or written.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// `text` with every secret (and anything that looks like a Salesforce session id,
/// `00D…!…`) replaced by `[redacted]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s, "[redacted]");
    }
    out.split(' ')
        .map(|w| {
            let looks_like_session = w.len() > 40 && w.starts_with("00D") && w.contains('!');
            if looks_like_session {
                "[redacted]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything a fetch run needs, validated by `config`.
#[derive(Debug)]
pub struct Settings {
    /// The fetch folder.
    pub out: PathBuf,
    /// Event types to download (plain names).
    pub event_types: Vec<String>,
    /// `Daily`, `Hourly` or both.
    pub intervals: Vec<&'static str>,
    /// Only files whose LogDate is at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Authentication inputs.
    pub auth: AuthInputs,
    /// REST API version, e.g. `62.0`.
    pub api_version: String,
    /// `--max-calls`.
    pub max_calls: Option<u64>,
    /// Parallel downloads.
    pub jobs: usize,
    /// No progress line.
    pub quiet: bool,
    /// Retry policy.
    pub retry: Retry,
}

/// What a run did, for the terminal.
#[derive(Debug, Default)]
pub struct Summary {
    /// One line per org.
    pub orgs: Vec<String>,
    /// API calls made.
    pub calls: u64,
    /// OAuth token requests made.
    pub token_requests: u64,
    /// Failures (each already a full sentence).
    pub errors: Vec<String>,
    /// Warnings (inputs that were ignored).
    pub notes: Vec<String>,
}

/// Runs a fetch. Setup problems (folder, state, authentication inputs) are errors; problems
/// with an org are listed in the summary and the other orgs still run.
pub fn run(settings: &Settings) -> Result<Summary, FetchError> {
    let (sources, notes) = auth::plan(&settings.auth)?;
    let dir = &settings.out;
    if let Some(kind) = marker::read(dir).filter(|k| *k != marker::Kind::Fetch) {
        return Err(FetchError::Folder(format!(
            "{} is {}; give fetch a folder of its own (--out)",
            dir.display(),
            kind.describe()
        )));
    }
    fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
    marker::write(dir, marker::Kind::Fetch).map_err(|source| write_error(dir, source))?;
    let _lock = lock::Lock::take(dir)?;
    let state = State::load(dir).map_err(FetchError::Folder)?;
    let client = Client::new(settings.retry, settings.max_calls);
    let progress = Progress::stderr(settings.quiet);
    let run = Run {
        settings,
        client: &client,
        state: Mutex::new(state),
        progress: &progress,
        notes: Mutex::new(Vec::new()),
    };
    let mut summary = Summary {
        notes,
        ..Summary::default()
    };
    for source in &sources {
        let mut result = run.org(source);
        // A session can expire during a long run: sign in once more and carry on (the files
        // already downloaded are in the state, so only the rest is fetched).
        let expired = matches!(&result, Err(f) if matches!(f.1, FetchError::Session { .. }));
        if expired && source.can_sign_in_again() {
            result = run.org(source);
        }
        match result {
            Ok(line) => summary.orgs.push(line),
            Err(failure) => {
                let (line, e) = *failure;
                summary.orgs.extend(line);
                let stop = e.stops_the_run();
                summary.errors.push(e.to_string());
                if stop {
                    break;
                }
            }
        }
    }
    let saved = run.save();
    summary.notes.extend(run.notes.into_inner().unwrap_or_default());
    progress.finish();
    if let Err(e) = saved {
        summary.errors.push(e.to_string());
    }
    summary.calls = client.calls.used();
    summary.token_requests = client.calls.token_requests();
    Ok(summary)
}

struct Run<'a> {
    settings: &'a Settings,
    client: &'a Client,
    state: Mutex<State>,
    progress: &'a Progress,
    notes: Mutex<Vec<String>>,
}

/// An org's result line (if it got far enough to have one) and its failure.
type OrgFailure = Box<(Option<String>, FetchError)>;

/// A failure before the org has a result line.
fn early(e: FetchError) -> OrgFailure {
    Box::new((None, e))
}

impl Run<'_> {
    fn org(&self, source: &Source) -> Result<String, OrgFailure> {
        let label = source.label();
        self.progress.stage(format!("{label}: signing in"));
        let s = source.open(self.client, Utc::now().timestamp()).map_err(early)?;
        let org = self.organization(&s).map_err(early)?;
        let org15 = org.id[..15].to_string();
        let org_dir = self.settings.out.join(&org15);
        fs::create_dir_all(&org_dir).map_err(|e| early(write_error(&org_dir, e)))?;
        remove_stale_partials(&org_dir);
        self.forget_removed_files(&org15);
        let limits_at = match self.limits(&s, &org_dir) {
            Ok(at) => at,
            // The logs are still worth having; the report then needs another allocation source.
            Err(FetchError::Status {
                status,
                code,
                message,
                ..
            }) if status == 403 || status == 404 => {
                self.note(format!(
                    "warning: {label}: /limits refused (HTTP {status}{code}: {message}), so no \
                     limits.json: the user needs \"View Setup and Configuration\"; pass \
                     --allocation or --profile to report"
                ));
                Utc::now()
            }
            Err(e) => return Err(early(e)),
        };
        write_org_json(&org_dir, &org, &s, limits_at).map_err(early)?;
        self.progress.stage(format!("{label}: listing log files"));
        let listed = self.list(&s, &org15).map_err(early)?;
        let plan = self.plan_downloads(&org15, &listed).map_err(early)?;
        let up_to_date = plan.latest - plan.todo.len();
        let (done, bytes, failure) = self.download_all(&s, &org15, plan.todo);
        let line = format!(
            "{label}: org {org15}{}: {done} file(s) downloaded ({}), {up_to_date} already up to date",
            org.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default(),
            size_text(bytes),
        );
        if let Some(e) = failure {
            return Err(Box::new((Some(line), e)));
        }
        self.advance_watermarks(&org15, &listed);
        Ok(line)
    }

    /// `SELECT Id, Name FROM Organization` (one API call).
    fn organization(&self, s: &Session) -> Result<OrgRecord, FetchError> {
        let what = "reading the org's id and name (SELECT Id, Name FROM Organization)";
        let records: Vec<OrgRecord> = query::query_all(
            self.client,
            s,
            &self.settings.api_version,
            "SELECT Id, Name FROM Organization",
            what,
        )?;
        let org = records
            .into_iter()
            .next()
            .ok_or_else(|| protocol(s, what, "no Organization record"))?;
        let plain = layout::is_plain(&org.id) && (org.id.len() == 15 || org.id.len() == 18);
        if !plain {
            return Err(protocol(
                s,
                what,
                &format!("org id {:?} is not a Salesforce id", org.id),
            ));
        }
        Ok(org)
    }

    /// `GET /limits` into `limits.json`, with the time of the reading; returns that time.
    fn limits(&self, s: &Session, org_dir: &Path) -> Result<DateTime<Utc>, FetchError> {
        let what = "reading /limits";
        let url = format!(
            "{}/services/data/v{}/limits",
            s.instance_url, self.settings.api_version
        );
        let (mut body, at): (Map<String, Value>, _) = query::get_json(
            self.client,
            s,
            &url,
            what,
            16 * 1024 * 1024,
            "a JSON object of limits",
        )?;
        let mut bookkeeping = Map::new();
        bookkeeping.insert("fetched_at".into(), Value::String(rfc3339(at)));
        bookkeeping.insert(
            "api_version".into(),
            Value::String(self.settings.api_version.clone()),
        );
        body.insert(LIMITS_BOOKKEEPING_KEY.into(), Value::Object(bookkeeping));
        write_json(&org_dir.join("limits.json"), &Value::Object(body))?;
        Ok(at)
    }

    /// The EventLogFile records to consider (query pages are API calls).
    fn list(&self, s: &Session, org15: &str) -> Result<Vec<LogRecord>, FetchError> {
        let since = self.settings.since.map(soql_time);
        let watermarks = self
            .lock()
            .orgs
            .get(org15)
            .map(|o| o.watermarks.clone())
            .unwrap_or_default();
        let from = |t: &str, i: &str| {
            watermarks
                .get(&format!("{t}/{i}"))
                .filter(|w| w.applies_to(since.as_deref()))
                .map(|w| w.created.clone())
        };
        let soql = query::event_log_soql(&Wanted {
            event_types: &self.settings.event_types,
            intervals: &self.settings.intervals,
            since: since.clone(),
            created_from: &from,
        });
        query::query_all(
            self.client,
            s,
            &self.settings.api_version,
            &soql,
            "listing the log files (SELECT … FROM EventLogFile)",
        )
        .map_err(query::not_queryable)
    }

    /// Per target path the newest record, and those not already on disk as the state says.
    fn plan_downloads(&self, org15: &str, listed: &[LogRecord]) -> Result<Plan, FetchError> {
        let mut latest: BTreeMap<String, &LogRecord> = BTreeMap::new();
        for rec in listed {
            let path = layout::relative_path(org15, rec).map_err(|detail| FetchError::Protocol {
                org: org15.to_string(),
                what: "listing the log files".into(),
                detail,
            })?;
            let newer = latest
                .get(&path)
                .is_none_or(|old| (&rec.created_date, &rec.id) > (&old.created_date, &old.id));
            if newer {
                latest.insert(path, rec);
            }
        }
        let state = self.lock();
        let known = state.orgs.get(org15);
        let todo = latest
            .iter()
            .filter(|(path, rec)| {
                let entry = known.and_then(|o| o.files.get(*path));
                !entry.is_some_and(|e| {
                    e.id == rec.id
                        && e.created_date == rec.created_date
                        && fs::metadata(self.settings.out.join(path)).is_ok_and(|m| m.len() == e.bytes)
                })
            })
            .map(|(path, rec)| (path.clone(), (*rec).clone()))
            .collect();
        Ok(Plan {
            latest: latest.len(),
            todo,
        })
    }

    /// Downloads with `--jobs` workers; returns files and bytes done, and the first failure.
    fn download_all(
        &self,
        s: &Session,
        org15: &str,
        todo: Vec<(String, LogRecord)>,
    ) -> (usize, u64, Option<FetchError>) {
        let total = todo.len();
        let queue = Mutex::new(todo.into_iter());
        let done = AtomicUsize::new(0);
        let bytes = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let failures: Mutex<Vec<FetchError>> = Mutex::new(Vec::new());
        let last_save = Mutex::new(Instant::now());
        self.progress
            .stage(format!("{}: downloading {total} file(s)", s.label));
        std::thread::scope(|scope| {
            for _ in 0..self.settings.jobs.clamp(1, 32) {
                scope.spawn(|| loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Some((path, rec)) = queue.lock().ok().and_then(|mut q| q.next()) else {
                        break;
                    };
                    let target = self.settings.out.join(&path);
                    match download::download(self.client, s, &self.settings.api_version, &rec, &target) {
                        Ok(n) => {
                            self.record(org15, path, &rec, n);
                            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                            let b = bytes.fetch_add(n, Ordering::SeqCst) + n;
                            self.progress.stage(format!(
                                "{}: downloaded {d} of {total} files ({})",
                                s.label,
                                size_text(b)
                            ));
                            self.save_now_and_then(&last_save);
                        }
                        Err(e) => {
                            // One file that keeps failing does not stop the others; a refused
                            // session, the allocation, the budget or the disk do.
                            if !matches!(e, FetchError::GaveUp { .. } | FetchError::Status { .. }) {
                                stop.store(true, Ordering::SeqCst);
                            }
                            if let Ok(mut f) = failures.lock() {
                                f.push(e);
                            }
                        }
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap_or_default();
        let failure = first_failure(failures);
        (done.into_inner(), bytes.into_inner(), failure)
    }

    fn record(&self, org15: &str, path: String, rec: &LogRecord, bytes: u64) {
        let mut state = self.lock();
        state.orgs.entry(org15.to_string()).or_default().files.insert(
            path,
            FileEntry {
                id: rec.id.clone(),
                created_date: rec.created_date.clone(),
                bytes,
            },
        );
    }

    /// Files the user has moved away (e.g. old logs archived) leave the state, so it does not
    /// grow forever; one still listed by the org is simply downloaded again.
    fn forget_removed_files(&self, org15: &str) {
        let out = &self.settings.out;
        if let Some(org) = self.lock().orgs.get_mut(org15) {
            org.files.retain(|path, _| out.join(path).is_file());
        }
    }

    /// After a complete org run: the next run queries from the newest CreatedDate seen.
    fn advance_watermarks(&self, org15: &str, listed: &[LogRecord]) {
        let since = self.settings.since.map(soql_time);
        let mut newest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for rec in listed {
            let (Some(created), Some(interval)) = (layout::parse_sf_time(&rec.created_date), &rec.interval)
            else {
                continue;
            };
            let slot = newest
                .entry(format!("{}/{interval}", rec.event_type))
                .or_insert(created);
            *slot = (*slot).max(created);
        }
        let mut state = self.lock();
        let org = state.orgs.entry(org15.to_string()).or_default();
        for (key, created) in newest {
            org.watermarks.insert(
                key,
                Watermark {
                    created: soql_time(created),
                    since: since.clone(),
                },
            );
        }
    }

    fn save_now_and_then(&self, last: &Mutex<Instant>) {
        let Ok(mut last) = last.lock() else { return };
        if last.elapsed() >= SAVE_EVERY {
            let _ = self.save();
            *last = Instant::now();
        }
    }

    fn save(&self) -> Result<(), FetchError> {
        let dir = &self.settings.out;
        self.lock()
            .save(dir)
            .map_err(|source| write_error(&State::path(dir), source))
    }

    fn note(&self, text: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(text);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Plan {
    /// Distinct files listed.
    latest: usize,
    /// Paths and records to download.
    todo: Vec<(String, LogRecord)>,
}

/// The failure to report: the one that stopped the org if any, else the first.
fn first_failure(mut failures: Vec<FetchError>) -> Option<FetchError> {
    let stopping = failures
        .iter()
        .position(|e| !matches!(e, FetchError::GaveUp { .. } | FetchError::Status { .. }));
    match stopping {
        Some(i) => Some(failures.swap_remove(i)),
        None => failures.into_iter().next(),
    }
}

fn write_org_json(org_dir: &Path, org: &OrgRecord, s: &Session, at: DateTime<Utc>) -> Result<(), FetchError> {
    let value = serde_json::json!({
        "org_id": org.id,
        "org_id_15": &org.id[..15],
        "name": org.name,
        "instance_url": s.instance_url,
        "fetched_as": s.label,
        "fetched_at": rfc3339(at),
    });
    write_json(&org_dir.join("org.json"), &value)
}

/// Writes JSON atomically (temporary name, then rename).
fn write_json(path: &Path, value: &Value) -> Result<(), FetchError> {
    let tmp = layout::partial_path(path);
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| write_error(path, std::io::Error::other(e)))?;
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|source| write_error(path, source))
}

/// Removes what a killed run left half-downloaded (only fetch's own suffix, one level of
/// event-type folders down).
fn remove_stale_partials(org_dir: &Path) {
    let Ok(types) = fs::read_dir(org_dir) else { return };
    for t in types
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
    {
        let Ok(files) = fs::read_dir(t.path()) else {
            continue;
        };
        for f in files.flatten() {
            if f.file_name().to_string_lossy().ends_with(layout::PARTIAL_SUFFIX) {
                let _ = fs::remove_file(f.path());
            }
        }
    }
}

fn write_error(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn protocol(s: &Session, what: &str, detail: &str) -> FetchError {
    FetchError::Protocol {
        org: s.label.clone(),
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

/// A SOQL datetime literal (`2026-11-02T00:00:00Z`).
fn soql_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `12 kB`, `3.4 MB` (decimal units).
fn size_text(bytes: u64) -> String {
    match bytes {
        0..=999_999 => format!("{} kB", bytes.div_ceil(1000)),
        1_000_000..=999_999_999 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let text = "refused token abcdef and 00D5j000000VI3n!AQ4AQFakeSessionIdThatIsLongEnough1234";
        assert_eq!(
            redact(text, &["abcdef"]),
            "refused token [redacted] and [redacted]"
        );
        assert_eq!(format!("{:?}", Secret::new("abcdef".into())), "Secret(redacted)");
    }
}
