//! The facts planted in the bundled sample, as constants other code and tests can refer to.
//!
//! These are the answers the analysis is expected to find in `sample_logs/`; the generated
//! README states the same facts with the exact peaks computed from the generated events.

use super::cast;

/// One org of the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOrg {
    /// 15-character `ORGANIZATION_ID`.
    pub id: &'static str,
    /// Display name (also in the org profile).
    pub name: &'static str,
    /// Folder name under the sample root.
    pub slug: &'static str,
    /// Edition as written in the org profile; `None` when the org is absent from the profile.
    pub edition: Option<&'static str>,
    /// Salesforce licences written in the profile.
    pub salesforce_licenses: u32,
    /// The daily API allocation the profile implies; `None` when unknown.
    pub allocation: Option<u64>,
}

/// Org A: a Developer Edition (flat 15,000 calls per 24 h; its 2 licences do not matter).
pub const ORG_A: SampleOrg = SampleOrg {
    id: "00D8a000000DvA1",
    name: "Acme Dev",
    slug: "acme-dev",
    edition: Some("developer"),
    salesforce_licenses: 2,
    allocation: Some(15_000),
};

/// Org B: Enterprise Edition with 15 Salesforce licences (100,000 + 15 × 1,000).
pub const ORG_B: SampleOrg = SampleOrg {
    id: "00D4x000001GlBx",
    name: "Globex Production",
    slug: "globex-prod",
    edition: Some("enterprise"),
    salesforce_licenses: 15,
    allocation: Some(115_000),
};

/// Org C: deliberately missing from the org profile, so its allocation is unknown.
pub const ORG_C: SampleOrg = SampleOrg {
    id: "00D7Q000000InTc",
    name: "Initech EU",
    slug: "initech-eu",
    edition: None,
    salesforce_licenses: 0,
    allocation: None,
};

/// The three sample orgs.
pub const ORGS: [SampleOrg; 3] = [ORG_A, ORG_B, ORG_C];

/// The UTC days the sample covers.
pub const SAMPLE_DATES: [&str; 3] = ["2026-11-02", "2026-11-03", "2026-11-04"];

/// The only chatty integration (own rolling-24h peak ≥ 50 % of its org's allocation).
pub const CHATTY_ORG_ID: &str = ORG_A.id;
/// Connected app id of the chatty integration.
pub const CHATTY_APP_ID: &str = cast::ERP.app_id;
/// Connected app name of the chatty integration.
pub const CHATTY_APP_NAME: &str = cast::ERP.app_name;

/// Org A's day that also exists as hourly files (same events: must be de-duplicated).
pub const HOURLY_DATE: &str = "2026-11-03";
/// Org B's day without an ApiTotalUsage file: its RestApi rows are the (estimated) fallback.
pub const FALLBACK_DATE: &str = "2026-11-04";
/// Org C's day delivered only as Parquet (Event Log Object column names).
pub const PARQUET_DATE: &str = "2026-11-03";

/// One integration planted for the analysis to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlantedIntegration {
    /// Org it runs in.
    pub org_id: &'static str,
    /// Connected app id, or `""` when it has none.
    pub app_id: &'static str,
    /// Label: connected app name, else client name, else user name.
    pub label: &'static str,
    /// What it does and what the tool should make of it.
    pub pattern: &'static str,
}

const fn planted(
    org: &SampleOrg,
    actor: &crate::sample::model::Actor,
    pattern: &'static str,
) -> PlantedIntegration {
    let label = if !actor.app_name.is_empty() {
        actor.app_name
    } else if !actor.client_name.is_empty() {
        actor.client_name
    } else {
        actor.user_name
    };
    PlantedIntegration {
        org_id: org.id,
        app_id: actor.app_id,
        label,
        pattern,
    }
}

/// Every planted integration, in README order.
pub const PLANTED: [PlantedIntegration; 14] = [
    planted(&ORG_A, &cast::ERP, "single-record CRUD, chatty (~60 % of 15,000)"),
    planted(
        &ORG_A,
        &cast::CAMPAIGN,
        "queries with nextRecordsUrl pages + sObject Collections",
    ),
    planted(&ORG_A, &cast::CLI, "Metadata API deploys with status polling"),
    planted(&ORG_A, &cast::DATALOADER, "SOAP query/queryMore exports"),
    planted(&ORG_A, &cast::DEV_SCRIPT, "identified by user only"),
    planted(&ORG_B, &cast::POLLER, "polling /v58.0/query every 60 s"),
    planted(&ORG_B, &cast::CHURN, "OAuth token before nearly every call"),
    planted(
        &ORG_B,
        &cast::CPQ,
        "client name only; SOAP login before each batch",
    ),
    planted(&ORG_B, &cast::BULK, "Bulk API 2.0 ingest, well behaved"),
    planted(
        &ORG_B,
        &cast::COMPOSITE,
        "composite + sObject Collections, well behaved",
    ),
    planted(
        &ORG_B,
        &cast::COMPOSITE_BATCH,
        "/composite/batch (each subrequest counts)",
    ),
    planted(
        &ORG_C,
        &cast::METADATA,
        "repeated describe / describeSObjects / limits",
    ),
    planted(&ORG_C, &cast::ARCHIVER, "old API versions v29.0/v30.0, user only"),
    planted(&ORG_C, &cast::BILLING, "burst of 503/400 errors with retries"),
];
