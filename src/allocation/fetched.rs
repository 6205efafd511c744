//! Allocation inputs found in `apiusage fetch` folders among the report's inputs:
//! `DIR/<org>/limits.json` (Salesforce's own figure, used without being told, below an
//! explicit `--allocation`/`--limits`) and `DIR/<org>/org.json` (the org's name, a label when
//! no profile names the org).

use std::fs;
use std::path::{Path, PathBuf};

use super::inputs::{read_limits, AllocationInputs};
use super::{normalize_org_id, AllocationError};
use crate::marker;

impl AllocationInputs {
    /// Adds what the fetch folders among `paths` hold: a path that is a fetch folder, or a
    /// folder inside one (`report DIR/<org>`). Other paths are left alone.
    pub fn add_fetch_folders(mut self, paths: &[PathBuf]) -> Result<Self, AllocationError> {
        let mut errors = Vec::new();
        for root in paths.iter().filter_map(|p| fetch_root(p)) {
            let Ok(entries) = fs::read_dir(&root) else {
                continue;
            };
            let mut orgs: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .filter(|p| !p.ends_with(marker::DIR))
                .collect();
            orgs.sort();
            for org_dir in orgs {
                if let Err(e) = self.add_fetched_org(&org_dir) {
                    errors.push(e);
                }
            }
        }
        AllocationError::collect(errors).map_or(Ok(self), Err)
    }

    fn add_fetched_org(&mut self, org_dir: &Path) -> Result<(), AllocationError> {
        let org = normalize_org_id(&org_dir.file_name().unwrap_or_default().to_string_lossy());
        let limits = org_dir.join("limits.json");
        if limits.is_file() && !self.fetched_limits.contains_key(&org) {
            let doc = read_limits(&limits)?;
            self.fetched_limits.insert(org.clone(), doc);
        }
        if let Some(name) = org_name(&org_dir.join("org.json")) {
            self.fetched_names.entry(org).or_insert(name);
        }
        Ok(())
    }
}

/// The fetch folder `path` is or lies in (one level down), if any.
fn fetch_root(path: &Path) -> Option<PathBuf> {
    if !path.is_dir() {
        return None;
    }
    let is_fetch = |p: &Path| marker::read(p) == Some(marker::Kind::Fetch);
    if is_fetch(path) {
        return Some(path.to_path_buf());
    }
    path.parent().filter(|p| is_fetch(p)).map(Path::to_path_buf)
}

/// `name` from an `org.json` fetch wrote; a missing or odd file gives no name (it is only a
/// label).
fn org_name(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = value.get("name")?.as_str()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch_folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        marker::write(dir.path(), marker::Kind::Fetch).unwrap();
        let org = dir.path().join("00D000000000001");
        fs::create_dir_all(&org).unwrap();
        fs::write(
            org.join("limits.json"),
            r#"{"DailyApiRequests":{"Max":25000,"Remaining":24000},
                "apiusage":{"fetched_at":"2026-11-04T06:00:00Z"}}"#,
        )
        .unwrap();
        fs::write(
            org.join("org.json"),
            r#"{"org_id":"00D000000000001AAA","name":"Acme"}"#,
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_fetch_folder_gives_the_allocation_and_the_name() {
        let dir = fetch_folder();
        let inputs = AllocationInputs::default()
            .add_fetch_folders(&[dir.path().to_path_buf()])
            .unwrap();
        let a = inputs.resolve("00D000000000001AAA");
        assert_eq!(a.calls, Some(25_000));
        assert_eq!(a.used_at_fetch(), Some(1_000));
        let reading = inputs.meter_reading("00D000000000001").unwrap();
        assert_eq!(
            (reading.used, reading.at.as_str()),
            (1_000, "2026-11-04T06:00:00Z")
        );
        assert!(
            a.detail.ends_with("read by fetch at 2026-11-04T06:00:00Z"),
            "{}",
            a.detail
        );
        assert_eq!(inputs.org_name("00D000000000001"), Some("Acme"));
        // A folder inside the fetch folder works too.
        let inner = AllocationInputs::default()
            .add_fetch_folders(&[dir.path().join("00D000000000001")])
            .unwrap();
        assert_eq!(inner.resolve("00D000000000001").calls, Some(25_000));
    }

    #[test]
    fn explicit_inputs_win_and_plain_folders_are_ignored() {
        let dir = fetch_folder();
        let flags = ["9000".to_string()];
        let inputs = AllocationInputs::load(&flags, &[], &[])
            .unwrap()
            .add_fetch_folders(&[dir.path().to_path_buf()])
            .unwrap();
        let a = inputs.resolve("00D000000000001");
        assert_eq!(a.calls, Some(9_000));
        // The meter reading stays, whichever input gives the allocation.
        assert_eq!(inputs.meter_reading("00D000000000001").unwrap().used, 1_000);
        assert!(
            a.detail.contains("overrides DailyApiRequests.Max = 25,000"),
            "{}",
            a.detail
        );
        let plain = tempfile::tempdir().unwrap();
        fs::create_dir_all(plain.path().join("00D000000000001")).unwrap();
        fs::copy(
            dir.path().join("00D000000000001/limits.json"),
            plain.path().join("00D000000000001/limits.json"),
        )
        .unwrap();
        let none = AllocationInputs::default()
            .add_fetch_folders(&[plain.path().to_path_buf()])
            .unwrap();
        assert!(none.resolve("00D000000000001").calls.is_none());
    }
}
