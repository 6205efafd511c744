//! The user's allocation inputs (flags and files) and the per-org precedence between them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::limits::{parse_limits_json, LimitsDoc};
use super::profile::{parse_profile_toml, OrgProfile};
use super::{normalize_org_id, thousands, Allocation, AllocationError, AllocationSource, MeterReading};

/// Everything the user said about allocations, loaded and validated. Ask it per org with
/// [`AllocationInputs::resolve`].
#[derive(Debug, Clone, Default)]
pub struct AllocationInputs {
    /// `--allocation N`: every org.
    global_flag: Option<u64>,
    /// `--allocation ORGID=N`, keyed by 15-character org id.
    org_flags: BTreeMap<String, u64>,
    /// `--limits FILE`: every org.
    global_limits: Option<LimitsDoc>,
    /// `--limits ORGID=FILE`, keyed by 15-character org id.
    org_limits: BTreeMap<String, LimitsDoc>,
    /// Profile entries, keyed by 15-character org id.
    profiles: BTreeMap<String, OrgProfile>,
    /// `DIR/<org>/limits.json` of the fetch folders among the inputs, by 15-character org id.
    pub(super) fetched_limits: BTreeMap<String, LimitsDoc>,
    /// Org names from `DIR/<org>/org.json` of the fetch folders, by 15-character org id.
    pub(super) fetched_names: BTreeMap<String, String>,
}

/// A flag value for every org or for one org.
enum Scoped<T> {
    Global(T),
    Org(String, T),
}

impl AllocationInputs {
    /// Parse the raw CLI strings (`"N"` or `"ORGID=N"` for `--allocation`; `"FILE"` or
    /// `"ORGID=FILE"` for `--limits`; profile paths) and read the files. Every problem is
    /// reported, not just the first: one error, or [`AllocationError::Many`].
    pub fn load(
        allocation_flags: &[String],
        limits_flags: &[String],
        profile_paths: &[PathBuf],
    ) -> Result<Self, AllocationError> {
        let mut inputs = AllocationInputs::default();
        let mut errors = Vec::new();
        for raw in allocation_flags {
            if let Err(e) = inputs.add_allocation_flag(raw) {
                errors.push(e);
            }
        }
        for raw in limits_flags {
            if let Err(e) = inputs.add_limits_flag(raw) {
                errors.push(e);
            }
        }
        let mut seen = BTreeSet::new();
        // The same file twice (e.g. a shell glob plus an explicit path) is not a conflict.
        for path in profile_paths.iter().filter(|p| seen.insert(p.as_path())) {
            errors.extend(inputs.add_profile_file(path));
        }
        AllocationError::collect(errors).map_or(Ok(inputs), Err)
    }

    /// The allocation for one org (id in 15- or 18-character form), by precedence:
    /// per-org `--allocation`, global `--allocation`, explicit `allocation =` in the profile,
    /// per-org `--limits`, global `--limits`, profile edition + licences, else unknown.
    /// When a lower-precedence input disagrees, the detail says what was overridden.
    pub fn resolve(&self, org_id: &str) -> Allocation {
        let org = normalize_org_id(org_id);
        let mut candidates = self.candidates(&org).into_iter();
        let Some(mut best) = candidates.next() else {
            return Allocation::unknown();
        };
        if let Some(other) = candidates.find(|c| c.calls != best.calls) {
            best.detail = format!("{}; overrides {}", best.detail, other.detail);
        }
        best
    }

    /// Display name from a profile, else the one fetch read from the org, if any.
    pub fn org_name(&self, org_id: &str) -> Option<&str> {
        let org = normalize_org_id(org_id);
        self.profiles
            .get(&org)
            .and_then(|p| p.name.as_deref())
            .or_else(|| self.fetched_names.get(&org).map(String::as_str))
    }

    /// The timed `/limits` reading of an org, whichever input gives the allocation: a
    /// per-org `--limits` file, the global one, or the fetch folder's `limits.json`.
    pub fn meter_reading(&self, org_id: &str) -> Option<MeterReading> {
        let org = normalize_org_id(org_id);
        [
            self.org_limits.get(&org),
            self.global_limits.as_ref(),
            self.fetched_limits.get(&org),
        ]
        .into_iter()
        .flatten()
        .find_map(|doc| {
            Some(MeterReading {
                used: doc.max.saturating_sub(doc.remaining?),
                at: doc.measured_at.clone()?,
            })
        })
    }

    /// The profile entry for an org, if any.
    pub fn profile(&self, org_id: &str) -> Option<&OrgProfile> {
        self.profiles.get(&normalize_org_id(org_id))
    }

    /// Org ids (15-character) that some input names explicitly, so the caller can say when an
    /// org was configured but has no log rows.
    pub fn named_orgs(&self) -> BTreeSet<String> {
        let flags = self.org_flags.keys();
        let limits = self.org_limits.keys();
        let profiles = self.profiles.keys();
        flags.chain(limits).chain(profiles).cloned().collect()
    }

    /// True when no allocation input was given at all.
    pub fn is_empty(&self) -> bool {
        self.global_flag.is_none()
            && self.global_limits.is_none()
            && self.org_flags.is_empty()
            && self.org_limits.is_empty()
            && self.profiles.is_empty()
    }

    /// Every input that gives this org a number, highest precedence first.
    fn candidates(&self, org: &str) -> Vec<Allocation> {
        let profile = self.profiles.get(org);
        [
            self.org_flags
                .get(org)
                .map(|n| from_flag(*n, format!("--allocation {org}={}", thousands(*n)))),
            self.global_flag
                .map(|n| from_flag(n, format!("--allocation {} (all orgs)", thousands(n)))),
            profile.and_then(OrgProfile::explicit).map(from_profile),
            self.org_limits.get(org).map(from_limits),
            self.global_limits.as_ref().map(from_limits),
            self.fetched_limits.get(org).map(from_limits),
            profile.and_then(OrgProfile::computed).map(from_profile),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn add_allocation_flag(&mut self, raw: &str) -> Result<(), AllocationError> {
        match parse_allocation_flag(raw)? {
            Scoped::Global(n) => set_once(&mut self.global_flag, n, |old| {
                conflict_flag("--allocation", "all orgs", &thousands(old), &thousands(n))
            }),
            Scoped::Org(org, n) => {
                let slot = self.org_flags.entry(org.clone()).or_insert(n);
                if *slot == n {
                    return Ok(());
                }
                let (old, new) = (thousands(*slot), thousands(n));
                Err(conflict_flag("--allocation", &org, &old, &new))
            }
        }
    }

    fn add_limits_flag(&mut self, raw: &str) -> Result<(), AllocationError> {
        match parse_limits_flag(raw)? {
            Scoped::Global(path) => {
                if let Some(old) = &self.global_limits {
                    let (old, new) = (old.origin.display().to_string(), path.display().to_string());
                    return Err(conflict_flag("--limits", "all orgs", &old, &new));
                }
                self.global_limits = Some(read_limits(&path)?);
            }
            Scoped::Org(org, path) => {
                if let Some(old) = self.org_limits.get(&org) {
                    let (old, new) = (old.origin.display().to_string(), path.display().to_string());
                    return Err(conflict_flag("--limits", &org, &old, &new));
                }
                let doc = read_limits(&path)?;
                self.org_limits.insert(org, doc);
            }
        }
        Ok(())
    }

    /// Adds every org of one profile file; returns the problems found.
    fn add_profile_file(&mut self, path: &Path) -> Vec<AllocationError> {
        let orgs = match read_file(path, "org profile").and_then(|t| parse_profile_toml(&t, path)) {
            Ok(orgs) => orgs,
            Err(e) => return vec![e],
        };
        let mut errors = Vec::new();
        for org in orgs {
            if let Some(first) = self.profiles.get(&org.org_id) {
                errors.push(AllocationError::Conflict(format!(
                    "org {} is in the profiles twice ({} line {} and {} line {}); keep one entry",
                    org.org_id,
                    first.origin.display(),
                    first.line,
                    org.origin.display(),
                    org.line
                )));
                continue;
            }
            self.profiles.insert(org.org_id.clone(), org);
        }
        errors
    }
}

fn from_flag(calls: u64, detail: String) -> Allocation {
    Allocation::new(calls, AllocationSource::Flag, detail)
}

fn from_profile((calls, detail): (u64, String)) -> Allocation {
    Allocation::new(calls, AllocationSource::Profile, detail)
}

fn from_limits(doc: &LimitsDoc) -> Allocation {
    Allocation {
        remaining: doc.remaining,
        app_quotas: doc.app_quotas.clone(),
        ..Allocation::new(doc.max, AllocationSource::Limits, doc.describe())
    }
}

/// Repeating a flag with the same value is harmless (scripts append flags); a different value
/// is a conflict the user must settle.
fn set_once(
    slot: &mut Option<u64>,
    value: u64,
    conflict: impl FnOnce(u64) -> AllocationError,
) -> Result<(), AllocationError> {
    match *slot {
        Some(old) if old != value => Err(conflict(old)),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn conflict_flag(flag: &str, scope: &str, old: &str, new: &str) -> AllocationError {
    AllocationError::Conflict(format!(
        "{flag} given twice for {scope} ({old} and {new}); keep one"
    ))
}

/// `N` (every org) or `ORGID=N`. Digit separators `_` and `,` are allowed: people paste
/// "115,000" from the Salesforce docs.
fn parse_allocation_flag(raw: &str) -> Result<Scoped<u64>, AllocationError> {
    let bad = |reason: &str| AllocationError::BadFlag {
        flag: "--allocation",
        value: raw.to_string(),
        reason: reason.to_string(),
    };
    let (org, number) = match raw.split_once('=') {
        Some((org, number)) => (Some(org.trim()), number),
        None => (None, raw),
    };
    if number.trim().starts_with('-') {
        return Err(bad(
            "an allocation cannot be negative; give the calls per 24 h, at least 1",
        ));
    }
    let calls = parse_calls(number)
        .ok_or_else(|| bad("expected N or ORGID=N, N a whole number of calls per 24 h, at least 1"))?;
    match org {
        None => Ok(Scoped::Global(calls)),
        Some("") => Err(bad("the org id before `=` is empty")),
        Some(org) => Ok(Scoped::Org(normalize_org_id(org), calls)),
    }
}

fn parse_calls(text: &str) -> Option<u64> {
    let digits: String = text.trim().chars().filter(|c| !matches!(c, '_' | ',')).collect();
    digits.parse().ok().filter(|n| *n > 0)
}

/// `FILE` (every org) or `ORGID=FILE`. A path may itself contain `=`, so an existing file
/// wins, and only an alphanumeric prefix is taken as an org id.
fn parse_limits_flag(raw: &str) -> Result<Scoped<PathBuf>, AllocationError> {
    let bad = |reason: &str| AllocationError::BadFlag {
        flag: "--limits",
        value: raw.to_string(),
        reason: reason.to_string(),
    };
    if raw.trim().is_empty() {
        return Err(bad("expected FILE or ORGID=FILE"));
    }
    if Path::new(raw).exists() {
        return Ok(Scoped::Global(PathBuf::from(raw)));
    }
    match raw.split_once('=') {
        Some((org, file)) if is_org_like(org) => {
            if file.trim().is_empty() {
                return Err(bad("the file after `=` is empty; expected ORGID=FILE"));
            }
            Ok(Scoped::Org(normalize_org_id(org), PathBuf::from(file)))
        }
        _ => Ok(Scoped::Global(PathBuf::from(raw))),
    }
}

fn is_org_like(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn read_limits(path: &Path) -> Result<LimitsDoc, AllocationError> {
    parse_limits_json(&read_file(path, "limits file")?, path)
}

fn read_file(path: &Path, what: &'static str) -> Result<String, AllocationError> {
    crate::textfile::read_capped(path).map_err(|source| AllocationError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_flag_forms() {
        assert!(matches!(
            parse_allocation_flag("115,000"),
            Ok(Scoped::Global(115_000))
        ));
        assert!(matches!(
            parse_allocation_flag(" 5_000 "),
            Ok(Scoped::Global(5_000))
        ));
        match parse_allocation_flag("00D5j000000VI3nEAG=20000") {
            Ok(Scoped::Org(org, 20_000)) => assert_eq!(org, "00D5j000000VI3n"),
            _ => panic!("expected per-org flag"),
        }
        for bad in ["0", "abc", "=5", "X=", "X=-3", "1.5"] {
            assert!(parse_allocation_flag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_flag_forms() {
        match parse_limits_flag("00D000000000001=a=b.json") {
            Ok(Scoped::Org(org, path)) => {
                assert_eq!(
                    (org.as_str(), path),
                    ("00D000000000001", PathBuf::from("a=b.json"))
                )
            }
            _ => panic!("expected per-org file"),
        }
        assert!(matches!(parse_limits_flag("dir/x=y.json"), Ok(Scoped::Global(_))));
        assert!(matches!(parse_limits_flag("limits.json"), Ok(Scoped::Global(_))));
        assert!(parse_limits_flag("ORG=").is_err());
        assert!(parse_limits_flag(" ").is_err());
    }

    #[test]
    fn unknown_without_inputs() {
        let inputs = AllocationInputs::default();
        assert!(inputs.is_empty());
        let a = inputs.resolve("00D000000000001");
        assert_eq!((a.calls, a.source), (None, AllocationSource::Unknown));
        assert_eq!(
            a.detail,
            "unknown: pass --allocation N, --limits FILE or --profile FILE"
        );
    }

    #[test]
    fn per_org_flag_beats_global_and_says_so() {
        let flags = ["1000".to_string(), "00D000000000001AAA=2000".to_string()];
        let inputs = AllocationInputs::load(&flags, &[], &[]).unwrap();
        let a = inputs.resolve("00D000000000001");
        assert_eq!((a.calls, a.source), (Some(2000), AllocationSource::Flag));
        assert_eq!(
            a.detail,
            "--allocation 00D000000000001=2,000; overrides --allocation 1,000 (all orgs)"
        );
        assert_eq!(inputs.resolve("00D000000000002").calls, Some(1000));
        assert_eq!(
            inputs.named_orgs().into_iter().collect::<Vec<_>>(),
            ["00D000000000001"]
        );
    }

    #[test]
    fn repeated_flags_conflict_only_when_different() {
        let same = ["5".to_string(), "5".to_string()];
        assert!(AllocationInputs::load(&same, &[], &[]).is_ok());
        let differ = [
            "5".to_string(),
            "6".to_string(),
            "A=1".to_string(),
            "A=2".to_string(),
        ];
        let e = AllocationInputs::load(&differ, &[], &[]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("--allocation given twice for all orgs (5 and 6)"),
            "{text}"
        );
        assert!(
            text.contains("--allocation given twice for A (1 and 2)"),
            "{text}"
        );
    }
}
