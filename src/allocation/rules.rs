//! Salesforce's published allocation rule: edition + licences + add-ons → calls per 24 h.
//!
//! Source: Salesforce Developer Limits and Allocations Quick Reference, "API Request Limits and
//! Allocations" (reference document §3.1). The rule for Enterprise, Professional (with API access
//! enabled), Unlimited and Performance editions is
//! `100,000 + Σ(licences × calls per licence type) + purchased API Call Add-Ons`;
//! Developer Edition is a flat 15,000 and a Full Sandbox (not created from a template) a flat
//! 5,000,000. The rate per licence type depends on the edition family, so the table has two
//! columns. There is no cap in the current table (older documents had one; it no longer applies).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::thousands;

/// Base calls every Enterprise / Professional / Unlimited / Performance org gets before licences.
pub const BASE_CALLS: u64 = 100_000;
/// Developer Edition: flat, licences do not add to it.
pub const DEVELOPER_CALLS: u64 = 15_000;
/// Full Sandbox not created from a template (a template's values would win; use `allocation =`).
pub const FULL_SANDBOX_CALLS: u64 = 5_000_000;

/// A Salesforce edition, as written in the org profile (`edition = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edition {
    /// Developer Edition: 15,000 calls flat.
    Developer,
    /// Enterprise Edition: base + licences at the Enterprise/Professional rates.
    Enterprise,
    /// Professional Edition with API access enabled (without it there is no API at all).
    Professional,
    /// Unlimited Edition: base + licences at the Unlimited/Performance rates.
    Unlimited,
    /// Performance Edition: same rates as Unlimited.
    Performance,
    /// Full Sandbox: 5,000,000 calls flat.
    FullSandbox,
}

/// How an edition's allocation is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditionRule {
    /// A fixed number of calls; licences and add-ons do not change it.
    Flat(u64),
    /// [`BASE_CALLS`] + licences at the given column's rates + add-ons.
    PerLicense(RateColumn),
}

/// Which column of the per-licence table an edition uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateColumn {
    /// Enterprise Edition and Professional Edition with API access.
    EnterpriseProfessional,
    /// Unlimited Edition and Performance Edition.
    UnlimitedPerformance,
}

impl Edition {
    /// Every edition, in the order the accepted names are listed in error messages.
    pub const ALL: [Edition; 6] = [
        Edition::Developer,
        Edition::Enterprise,
        Edition::Professional,
        Edition::Unlimited,
        Edition::Performance,
        Edition::FullSandbox,
    ];

    /// The profile key (`edition = "<key>"`).
    pub fn key(self) -> &'static str {
        match self {
            Edition::Developer => "developer",
            Edition::Enterprise => "enterprise",
            Edition::Professional => "professional",
            Edition::Unlimited => "unlimited",
            Edition::Performance => "performance",
            Edition::FullSandbox => "full_sandbox",
        }
    }

    /// Human name used in allocation details.
    pub fn label(self) -> &'static str {
        match self {
            Edition::Developer => "Developer Edition",
            Edition::Enterprise => "Enterprise edition",
            Edition::Professional => "Professional edition (API access enabled)",
            Edition::Unlimited => "Unlimited edition",
            Edition::Performance => "Performance edition",
            Edition::FullSandbox => "Full Sandbox",
        }
    }

    /// Parse a profile key; the error lists the accepted keys.
    pub fn from_key(key: &str) -> Result<Edition, String> {
        Edition::ALL.into_iter().find(|e| e.key() == key).ok_or_else(|| {
            let accepted: Vec<&str> = Edition::ALL.iter().map(|e| e.key()).collect();
            format!("unknown edition `{key}`; accepted: {}", accepted.join(", "))
        })
    }

    /// The allocation rule for this edition.
    pub fn rule(self) -> EditionRule {
        match self {
            Edition::Developer => EditionRule::Flat(DEVELOPER_CALLS),
            Edition::FullSandbox => EditionRule::Flat(FULL_SANDBOX_CALLS),
            Edition::Enterprise | Edition::Professional => {
                EditionRule::PerLicense(RateColumn::EnterpriseProfessional)
            }
            Edition::Unlimited | Edition::Performance => {
                EditionRule::PerLicense(RateColumn::UnlimitedPerformance)
            }
        }
    }
}

/// A user licence type that adds API calls (reference §3.1). Profile keys are the snake_case of
/// the table's names, see [`License::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum License {
    /// Salesforce (full CRM user).
    Salesforce,
    /// Salesforce Platform.
    SalesforcePlatform,
    /// Lightning Platform - One App.
    LightningPlatformOneApp,
    /// Customer Community (adds nothing).
    CustomerCommunity,
    /// Customer Community Login (adds nothing).
    CustomerCommunityLogin,
    /// Customer Community Plus.
    CustomerCommunityPlus,
    /// Customer Community Plus Login.
    CustomerCommunityPlusLogin,
    /// External Identity 25,000 (the count is the number of such licence packs).
    ExternalIdentity25000,
    /// External Identity 250,000 (the count is the number of such licence packs).
    ExternalIdentity250000,
    /// External Identity 1,000,000 (the count is the number of such licence packs).
    ExternalIdentity1000000,
    /// Partner Community.
    PartnerCommunity,
    /// Partner Community Login.
    PartnerCommunityLogin,
    /// Lightning Platform Starter (per member).
    LightningPlatformStarter,
    /// Lightning Platform Plus (per member).
    LightningPlatformPlus,
}

use self::License as L;

/// One row of the per-licence table.
#[derive(Debug, Clone, Copy)]
struct LicenseRow {
    license: License,
    key: &'static str,
    label: &'static str,
    /// Calls per licence in Enterprise / Professional (with API) orgs.
    enterprise_professional: u64,
    /// Calls per licence in Unlimited / Performance orgs.
    unlimited_performance: u64,
}

/// The per-licence table of reference §3.1, transcribed verbatim. Rows are in [`License`]
/// declaration order (a unit test checks it) so lookup is an index, and the table is the single
/// source for keys, labels and rates. Laid out as the reference's table, one licence per line.
/// Lightning Platform Starter/Plus rates are per member; External Identity rates are per
/// licence pack (the profile count is the number of packs).
#[rustfmt::skip]
const LICENSE_TABLE: [LicenseRow; 14] = [
    //  licence                          profile key                      name in Salesforce's table       Ent/Pro    Unl/Perf
    row(L::Salesforce,                   "salesforce",                    "Salesforce",                     1_000,     5_000),
    row(L::SalesforcePlatform,           "salesforce_platform",           "Salesforce Platform",            1_000,     5_000),
    row(L::LightningPlatformOneApp,      "lightning_platform_one_app",    "Lightning Platform - One App",   200,       200),
    row(L::CustomerCommunity,            "customer_community",            "Customer Community",             0,         0),
    row(L::CustomerCommunityLogin,       "customer_community_login",      "Customer Community Login",       0,         0),
    row(L::CustomerCommunityPlus,        "customer_community_plus",       "Customer Community Plus",        200,       200),
    row(L::CustomerCommunityPlusLogin,   "customer_community_plus_login", "Customer Community Plus Login",  10,        10),
    row(L::ExternalIdentity25000,        "external_identity_25000",       "External Identity 25,000",       70_000,    70_000),
    row(L::ExternalIdentity250000,       "external_identity_250000",      "External Identity 250,000",      750_000,   750_000),
    row(L::ExternalIdentity1000000,      "external_identity_1000000",     "External Identity 1,000,000",    4_000_000, 4_000_000),
    row(L::PartnerCommunity,             "partner_community",             "Partner Community",              200,       200),
    row(L::PartnerCommunityLogin,        "partner_community_login",       "Partner Community Login",        10,        10),
    row(L::LightningPlatformStarter,     "lightning_platform_starter",    "Lightning Platform Starter",     200,       200),
    row(L::LightningPlatformPlus,        "lightning_platform_plus",       "Lightning Platform Plus",        1_000,     5_000),
];

const fn row(
    license: License,
    key: &'static str,
    label: &'static str,
    enterprise_professional: u64,
    unlimited_performance: u64,
) -> LicenseRow {
    LicenseRow {
        license,
        key,
        label,
        enterprise_professional,
        unlimited_performance,
    }
}

impl License {
    /// Every licence type, in table order.
    pub fn all() -> impl Iterator<Item = License> {
        LICENSE_TABLE.iter().map(|r| r.license)
    }

    fn row(self) -> &'static LicenseRow {
        &LICENSE_TABLE[self as usize]
    }

    /// The profile key (`[org.licenses] <key> = count`).
    pub fn key(self) -> &'static str {
        self.row().key
    }

    /// The name Salesforce's table uses.
    pub fn label(self) -> &'static str {
        self.row().label
    }

    /// Calls per 24 h that one licence of this type adds in the given column.
    pub fn calls_per_license(self, column: RateColumn) -> u64 {
        match column {
            RateColumn::EnterpriseProfessional => self.row().enterprise_professional,
            RateColumn::UnlimitedPerformance => self.row().unlimited_performance,
        }
    }

    /// Parse a profile key; the error lists the accepted keys.
    pub fn from_key(key: &str) -> Result<License, String> {
        LICENSE_TABLE
            .iter()
            .find(|r| r.key == key)
            .map(|r| r.license)
            .ok_or_else(|| {
                let accepted: Vec<&str> = LICENSE_TABLE.iter().map(|r| r.key).collect();
                format!("unknown licence type `{key}`; accepted: {}", accepted.join(", "))
            })
    }
}

// Hand-written (de)serialisation so that the table above is the only list of names, and the
// error for a typo lists every accepted name (toml adds the line).
impl<'de> Deserialize<'de> for Edition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        Edition::from_key(&key).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        License::from_key(&key).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Edition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl Serialize for License {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Calls per rolling 24 h for an org of `edition` with `licenses` (type → count) and `add_ons`
/// purchased API Call Add-On calls. Flat editions ignore licences and add-ons. Saturates rather
/// than overflowing on absurd inputs.
pub fn computed_allocation(edition: Edition, licenses: &BTreeMap<License, u64>, add_ons: u64) -> u64 {
    match edition.rule() {
        EditionRule::Flat(calls) => calls,
        EditionRule::PerLicense(column) => licenses
            .iter()
            .map(|(license, count)| count.saturating_mul(license.calls_per_license(column)))
            .fold(BASE_CALLS, u64::saturating_add)
            .saturating_add(add_ons),
    }
}

/// The computation as one sentence, e.g.
/// `Enterprise edition: 100,000 + 15 Salesforce × 1,000 = 115,000`.
pub fn explain_computation(edition: Edition, licenses: &BTreeMap<License, u64>, add_ons: u64) -> String {
    let total = thousands(computed_allocation(edition, licenses, add_ons));
    let column = match edition.rule() {
        EditionRule::Flat(_) => return explain_flat(edition, licenses, add_ons, &total),
        EditionRule::PerLicense(column) => column,
    };
    let mut terms = vec![thousands(BASE_CALLS)];
    terms.extend(licenses.iter().filter(|(_, n)| **n > 0).map(|(license, n)| {
        let rate = thousands(license.calls_per_license(column));
        format!("{} {} × {rate}", thousands(*n), license.label())
    }));
    if add_ons > 0 {
        terms.push(format!("{} add-on calls", thousands(add_ons)));
    }
    format!("{}: {} = {total}", edition.label(), terms.join(" + "))
}

/// Flat editions: say that licences/add-ons were not counted, so a profile copied from
/// production does not look like it was silently misread.
fn explain_flat(edition: Edition, licenses: &BTreeMap<License, u64>, add_ons: u64, total: &str) -> String {
    let ignored = licenses.values().any(|n| *n > 0) || add_ons > 0;
    let note = if ignored {
        " (licences and add-ons do not apply)"
    } else {
        ""
    };
    format!("{}: {total} flat{note}", edition.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licenses(items: &[(License, u64)]) -> BTreeMap<License, u64> {
        items.iter().copied().collect()
    }

    #[test]
    fn table_rows_are_in_enum_order_and_keys_are_unique() {
        for (i, r) in LICENSE_TABLE.iter().enumerate() {
            assert_eq!(r.license as usize, i, "row {} out of order", r.key);
            assert_eq!(License::from_key(r.key), Ok(r.license));
        }
        let mut keys: Vec<&str> = LICENSE_TABLE.iter().map(|r| r.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), LICENSE_TABLE.len());
    }

    #[test]
    fn license_table_matches_reference_section_3_1() {
        use License::*;
        use RateColumn::*;
        let expected: [(License, u64, u64); 14] = [
            (Salesforce, 1_000, 5_000),
            (SalesforcePlatform, 1_000, 5_000),
            (LightningPlatformOneApp, 200, 200),
            (CustomerCommunity, 0, 0),
            (CustomerCommunityLogin, 0, 0),
            (CustomerCommunityPlus, 200, 200),
            (CustomerCommunityPlusLogin, 10, 10),
            (ExternalIdentity25000, 70_000, 70_000),
            (ExternalIdentity250000, 750_000, 750_000),
            (ExternalIdentity1000000, 4_000_000, 4_000_000),
            (PartnerCommunity, 200, 200),
            (PartnerCommunityLogin, 10, 10),
            (LightningPlatformStarter, 200, 200),
            (LightningPlatformPlus, 1_000, 5_000),
        ];
        for (license, ent, unl) in expected {
            assert_eq!(
                license.calls_per_license(EnterpriseProfessional),
                ent,
                "{license}"
            );
            assert_eq!(license.calls_per_license(UnlimitedPerformance), unl, "{license}");
        }
        assert_eq!(License::all().count(), 14);
    }

    #[test]
    fn worked_example_enterprise_15_salesforce_is_115000() {
        let l = licenses(&[(License::Salesforce, 15)]);
        assert_eq!(computed_allocation(Edition::Enterprise, &l, 0), 115_000);
        assert_eq!(
            explain_computation(Edition::Enterprise, &l, 0),
            "Enterprise edition: 100,000 + 15 Salesforce × 1,000 = 115,000"
        );
    }

    #[test]
    fn unlimited_10_salesforce_2_partner_community_is_150400() {
        let l = licenses(&[(License::Salesforce, 10), (License::PartnerCommunity, 2)]);
        assert_eq!(
            computed_allocation(Edition::Unlimited, &l, 0),
            100_000 + 50_000 + 400
        );
        assert_eq!(computed_allocation(Edition::Performance, &l, 0), 150_400);
    }

    #[test]
    fn professional_uses_enterprise_column_and_adds_add_ons() {
        let l = licenses(&[(License::LightningPlatformPlus, 3)]);
        assert_eq!(
            computed_allocation(Edition::Professional, &l, 20_000),
            100_000 + 3_000 + 20_000
        );
        assert_eq!(
            explain_computation(Edition::Professional, &l, 20_000),
            "Professional edition (API access enabled): 100,000 + 3 Lightning Platform Plus × \
             1,000 + 20,000 add-on calls = 123,000"
        );
    }

    #[test]
    fn developer_edition_is_15000_flat() {
        let l = licenses(&[(License::Salesforce, 2)]);
        assert_eq!(
            computed_allocation(Edition::Developer, &BTreeMap::new(), 0),
            15_000
        );
        assert_eq!(computed_allocation(Edition::Developer, &l, 500), 15_000);
        assert_eq!(
            explain_computation(Edition::Developer, &l, 0),
            "Developer Edition: 15,000 flat (licences and add-ons do not apply)"
        );
    }

    #[test]
    fn full_sandbox_is_5000000_flat() {
        assert_eq!(
            computed_allocation(Edition::FullSandbox, &BTreeMap::new(), 0),
            5_000_000
        );
        assert_eq!(
            explain_computation(Edition::FullSandbox, &BTreeMap::new(), 0),
            "Full Sandbox: 5,000,000 flat"
        );
    }

    #[test]
    fn no_licences_is_the_base() {
        assert_eq!(
            computed_allocation(Edition::Enterprise, &BTreeMap::new(), 0),
            100_000
        );
        assert_eq!(
            explain_computation(Edition::Enterprise, &BTreeMap::new(), 0),
            "Enterprise edition: 100,000 = 100,000"
        );
    }

    #[test]
    fn huge_counts_saturate() {
        let l = licenses(&[(License::ExternalIdentity1000000, u64::MAX)]);
        assert_eq!(computed_allocation(Edition::Enterprise, &l, 1), u64::MAX);
    }

    #[test]
    fn unknown_names_list_accepted_names() {
        let e = Edition::from_key("enterprize").unwrap_err();
        assert!(e.contains("`enterprize`"), "{e}");
        assert!(e.contains("developer, enterprise, professional, unlimited, performance, full_sandbox"));
        let l = License::from_key("salesforce_plattform").unwrap_err();
        assert!(
            l.contains("salesforce, salesforce_platform, lightning_platform_one_app"),
            "{l}"
        );
        assert!(
            l.ends_with("lightning_platform_starter, lightning_platform_plus"),
            "{l}"
        );
    }
}
