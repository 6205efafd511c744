//! The state file `DIR/.apiusage/fetch-state.json`: which files were downloaded (by path, with
//! the EventLogFile id, CreatedDate and size) and, per org, event type and interval, the
//! CreatedDate from which the next run must query. It is written atomically, so an
//! interrupted run leaves the previous state or the new one, never half of either.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::marker;

/// The state file's name inside `.apiusage/`.
pub const FILE: &str = "fetch-state.json";

/// The whole state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// 1.
    pub schema_version: u32,
    /// Per 15-character org id.
    #[serde(default)]
    pub orgs: BTreeMap<String, OrgState>,
}

/// One org's downloads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgState {
    /// Per file path relative to the fetch folder (`org/EventType/name.csv`).
    #[serde(default)]
    pub files: BTreeMap<String, FileEntry>,
    /// Per `EventType/Interval`: the next run queries files created at or after `created`.
    #[serde(default)]
    pub watermarks: BTreeMap<String, Watermark>,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// EventLogFile id.
    pub id: String,
    /// Its CreatedDate as Salesforce wrote it.
    pub created_date: String,
    /// Bytes written.
    pub bytes: u64,
}

/// Where the last complete run of one event type and interval got to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// The latest CreatedDate seen (SOQL datetime literal).
    pub created: String,
    /// The `--since` of that run (a SOQL literal), or none: a run asking for older files
    /// than that must not use the watermark.
    pub since: Option<String>,
}

impl State {
    /// The path of the state file of `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(marker::DIR).join(FILE)
    }

    /// Reads the state of `dir`; none yet is an empty state. An unreadable one is an error
    /// (the user should look, not have every file downloaded again silently).
    pub fn load(dir: &Path) -> Result<State, String> {
        let path = State::path(dir);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State {
                    schema_version: 1,
                    ..State::default()
                })
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a fetch state ({e}); move it away to download everything again",
                path.display()
            )
        })
    }

    /// Writes the state atomically.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let path = State::path(dir);
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        fs::rename(&tmp, &path)
    }
}

impl Watermark {
    /// Whether this watermark may narrow a query that asks for files since `since`.
    pub fn applies_to(&self, since: Option<&str>) -> bool {
        match (&self.since, since) {
            (None, _) => true,
            (Some(_), None) => false,
            // SOQL literals of one format compare like the times they name.
            (Some(mine), Some(asked)) => asked >= mine.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(marker::DIR)).unwrap();
        let empty = State::load(dir.path()).unwrap();
        assert!(empty.orgs.is_empty());
        let mut s = empty.clone();
        s.orgs.entry("00D".into()).or_default().files.insert(
            "00D/Login/2026-11-02_Daily.csv".into(),
            FileEntry {
                id: "0AT1".into(),
                created_date: "2026-11-03T03:00:00.000+0000".into(),
                bytes: 12,
            },
        );
        s.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), s);
        fs::write(State::path(dir.path()), "{").unwrap();
        assert!(State::load(dir.path()).unwrap_err().contains("move it away"));
    }

    #[test]
    fn a_watermark_never_hides_older_files_than_its_run_asked_for() {
        let w = |since: Option<&str>| Watermark {
            created: "2026-11-05T00:00:00Z".into(),
            since: since.map(str::to_string),
        };
        assert!(w(None).applies_to(None));
        assert!(w(None).applies_to(Some("2026-11-01T00:00:00Z")));
        assert!(!w(Some("2026-11-02T00:00:00Z")).applies_to(None));
        assert!(!w(Some("2026-11-02T00:00:00Z")).applies_to(Some("2026-11-01T00:00:00Z")));
        assert!(w(Some("2026-11-02T00:00:00Z")).applies_to(Some("2026-11-03T00:00:00Z")));
    }
}
