//! The org profile TOML (format documented in the parent module).
//!
//! Deserialisation is strict (`deny_unknown_fields`, names checked against the licence table)
//! so a typo fails with toml's line-and-column message instead of silently changing the number.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::rules::{computed_allocation, explain_computation, Edition, License};
use super::{normalize_org_id, thousands, AllocationError};

/// One `[[org]]` table of a profile file, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgProfile {
    /// Org id in 15-character form.
    pub org_id: String,
    /// Display name, if given.
    pub name: Option<String>,
    /// Edition; absent when the entry only gives a name or an explicit allocation.
    pub edition: Option<Edition>,
    /// Licence type → count.
    pub licenses: BTreeMap<License, u64>,
    /// Purchased API Call Add-On calls per 24 h.
    pub api_call_add_ons: u64,
    /// Explicit allocation, which wins over `/limits` and the computed value.
    pub allocation: Option<u64>,
    /// The file it came from.
    pub origin: PathBuf,
    /// 1-based line of the entry's `org_id`, for messages.
    pub line: usize,
}

impl OrgProfile {
    /// The explicit allocation with a sentence saying where it came from.
    pub fn explicit(&self) -> Option<(u64, String)> {
        let calls = self.allocation?;
        let detail = format!(
            "allocation = {} for {} in {}",
            thousands(calls),
            self.display_name(),
            self.origin.display()
        );
        Some((calls, detail))
    }

    /// The allocation computed from edition, licences and add-ons, with its explanation.
    pub fn computed(&self) -> Option<(u64, String)> {
        let edition = self.edition?;
        let calls = computed_allocation(edition, &self.licenses, self.api_call_add_ons);
        let why = explain_computation(edition, &self.licenses, self.api_call_add_ons);
        Some((calls, format!("{why} ({})", self.origin.display())))
    }

    fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.org_id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default)]
    org: Vec<RawOrg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    org_id: toml::Spanned<String>,
    name: Option<String>,
    edition: Option<Edition>,
    #[serde(default)]
    api_call_add_ons: u64,
    allocation: Option<u64>,
    // The reference spells it "licence"; accept both so British spelling is not a typo.
    #[serde(default, alias = "licences")]
    licenses: BTreeMap<License, u64>,
}

/// Parse and validate a profile file. All problems in the file are reported, each with its line.
pub fn parse_profile_toml(text: &str, origin: &Path) -> Result<Vec<OrgProfile>, AllocationError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file: ProfileFile = toml::from_str(text).map_err(|e| AllocationError::InvalidProfile {
        path: origin.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    if file.org.is_empty() {
        return Err(invalid(
            origin,
            "no [[org]] tables; each org is an [[org]] table with at least org_id = \"…\"",
        ));
    }
    let mut errors = Vec::new();
    let mut orgs = Vec::new();
    for raw in file.org {
        let line = line_of(text, raw.org_id.span().start);
        match validate(raw, origin, line) {
            Ok(org) => orgs.push(org),
            Err(message) => errors.push(invalid(origin, &format!("line {line}: {message}"))),
        }
    }
    AllocationError::collect(errors).map_or(Ok(orgs), Err)
}

fn validate(raw: RawOrg, origin: &Path, line: usize) -> Result<OrgProfile, String> {
    let org_id = normalize_org_id(raw.org_id.get_ref());
    if org_id.is_empty() {
        return Err("org_id is empty".into());
    }
    if raw.allocation == Some(0) {
        return Err(format!(
            "org {org_id}: allocation = 0 is not usable; give the calls per 24 h or remove the line"
        ));
    }
    let has_inputs = !raw.licenses.is_empty() || raw.api_call_add_ons > 0;
    if raw.edition.is_none() && has_inputs {
        let accepted: Vec<&str> = Edition::ALL.iter().map(|e| e.key()).collect();
        return Err(format!(
            "org {org_id}: licences or add-ons need an edition to be counted; add edition = one of {}",
            accepted.join(", ")
        ));
    }
    Ok(OrgProfile {
        org_id,
        name: raw.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        edition: raw.edition,
        licenses: raw.licenses,
        api_call_add_ons: raw.api_call_add_ons,
        allocation: raw.allocation,
        origin: origin.to_path_buf(),
        line,
    })
}

fn invalid(origin: &Path, message: &str) -> AllocationError {
    AllocationError::InvalidProfile {
        path: origin.to_path_buf(),
        message: message.to_string(),
    }
}

fn line_of(text: &str, byte_offset: usize) -> usize {
    text.get(..byte_offset).map_or(0, |s| s.matches('\n').count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<OrgProfile>, AllocationError> {
        parse_profile_toml(text, Path::new("p.toml"))
    }

    #[test]
    fn full_entry() {
        let orgs = parse(
            "[[org]]\norg_id = \"00D5j000000VI3nEAG\"\nname = \"Acme\"\nedition = \"enterprise\"\n\
             api_call_add_ons = 5000\n[org.licences]\nsalesforce = 15\n",
        )
        .unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].org_id, "00D5j000000VI3n");
        assert_eq!(orgs[0].line, 2);
        assert_eq!(
            orgs[0].computed(),
            Some((
                120_000,
                "Enterprise edition: 100,000 + 15 Salesforce × 1,000 + 5,000 add-on calls = \
                 120,000 (p.toml)"
                    .to_string()
            ))
        );
        assert_eq!(orgs[0].explicit(), None);
    }

    #[test]
    fn name_only_entry_gives_no_allocation() {
        let orgs = parse("[[org]]\norg_id = \"X\"\nname = \"Test\"\n").unwrap();
        assert_eq!((orgs[0].explicit(), orgs[0].computed()), (None, None));
    }

    #[test]
    fn validation_errors_carry_lines_and_are_all_reported() {
        let e = parse(
            "[[org]]\norg_id = \"A\"\nallocation = 0\n\n[[org]]\norg_id = \"B\"\n[org.licenses]\nsalesforce = 1\n",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("p.toml: invalid org profile: line 2: org A: allocation = 0"),
            "{text}"
        );
        assert!(
            text.contains("line 6: org B: licences or add-ons need an edition"),
            "{text}"
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        let e = parse("# nothing\n").unwrap_err();
        assert!(e.to_string().contains("no [[org]] tables"), "{e}");
    }
}
