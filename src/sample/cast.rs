//! The cast: every org user, connected app and client that appears in the sample logs.
//!
//! Names are fictional (`.example` mail domains, RFC 5737 documentation IP ranges, CGNAT space
//! for phones) except Salesforce's own apps, whose real names make the internal-traffic path
//! recognisable. Ids follow Salesforce shapes: `005` users, `0H4` connected apps, `888`
//! Salesforce-internal apps, all 15 characters.

use super::model::Actor;

const EXTERNAL: &str = "EXTERNAL_APPLICATION";
const UNKNOWN: &str = "UNKNOWN";
const LIGHTNING: &str = "LIGHTNING_UI";
const SALESFORCE: &str = "SALESFORCE";
const INTERNAL_IP: &[&str] = &["Salesforce.com IP"];
const CLIENT_AGENT: &str = "Go-http-client/1.1";

/// An external integration's identity, with everything else defaulted.
const fn integration(
    key: &'static str,
    app: (&'static str, &'static str),
    client_name: &'static str,
    user: (&'static str, &'static str),
    ips: &'static [&'static str],
) -> Actor {
    Actor {
        key,
        app_id: app.0,
        app_name: app.1,
        client_name,
        user_id: user.0,
        user_name: user.1,
        category: if app.0.is_empty() { UNKNOWN } else { EXTERNAL },
        ips,
        counts: true,
        user_agent: CLIENT_AGENT,
    }
}

/// Lightning Experience traffic: no connected app, never counted.
const fn lightning(key: &'static str) -> Actor {
    Actor {
        key,
        app_id: "",
        app_name: "",
        client_name: "",
        user_id: "",
        user_name: "",
        category: LIGHTNING,
        ips: INTERNAL_IP,
        counts: false,
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    }
}

/// The Salesforce mobile app: an `888` internal connected app whose calls do not count.
const fn mobile(key: &'static str, app: (&'static str, &'static str), agent: &'static str) -> Actor {
    Actor {
        key,
        app_id: app.0,
        app_name: app.1,
        client_name: "",
        user_id: "",
        user_name: "",
        category: SALESFORCE,
        ips: &["100.64.23.17", "100.71.190.4", "100.88.5.203"],
        counts: false,
        user_agent: agent,
    }
}

const IOS_APP: (&str, &str) = ("8880b000000Mb1A", "Salesforce for iOS");
const ANDROID_APP: (&str, &str) = ("8880b000000Mb2B", "Salesforce for Android");
const IOS_AGENT: &str = "SalesforceMobileSDK/12.1.0 iOS/18.1 (iPhone) Salesforce/250.010";
const ANDROID_AGENT: &str = "SalesforceMobileSDK/12.1.0 android mobile/15 (Pixel 8) Salesforce/250.010";

// ---- Org A: Acme Dev (Developer Edition) -------------------------------------------------

/// The chatty one: single-record REST sync from an ERP.
pub(crate) const ERP: Actor = integration(
    "acme.erp",
    ("0H48a000000ErP1", "NetLedger ERP Sync"),
    "",
    ("0058a00000ErPsY", "erp.sync@acme-dev.example"),
    &["198.51.100.23", "198.51.100.24"],
);
/// Marketing connector: queries with pagination and sObject Collections updates.
pub(crate) const CAMPAIGN: Actor = integration(
    "acme.campaign",
    ("0H48a000000CmPg", "CampaignPulse for Salesforce"),
    "CampaignPulse/7.2",
    ("0058a00000CmPuS", "campaignpulse.api@acme-dev.example"),
    &["203.0.113.40"],
);
/// Developers deploying with the CLI (Metadata API).
pub(crate) const CLI: Actor = integration(
    "acme.cli",
    ("0H48a000000SfCl", "Salesforce CLI"),
    "",
    ("0058a00000DvTmM", "dev.team@acme-dev.example"),
    &["192.0.2.51", "192.0.2.77"],
);
/// Data Loader exports over SOAP.
pub(crate) const DATALOADER: Actor = integration(
    "acme.dataloader",
    ("0H48a000000DlPt", "Dataloader Partner"),
    "",
    ("0058a00000DtLdR", "data.steward@acme-dev.example"),
    &["192.0.2.88"],
);
/// A developer's scripts: no connected app, no client name, identified by user only.
pub(crate) const DEV_SCRIPT: Actor = integration(
    "acme.devscript",
    ("", ""),
    "",
    ("0058a00000AlIcE", "alice.dev@acme-dev.example"),
    &["192.0.2.51"],
);
pub(crate) const ACME_UI: Actor = lightning("acme.ui");
pub(crate) const ACME_MOBILE: Actor = mobile("acme.mobile", IOS_APP, IOS_AGENT);
/// Humans behind Acme's UI traffic.
pub(crate) const ACME_PEOPLE: &[(&str, &str)] = &[
    ("0058a00000MrLpZ", "maria.lopez@acme-dev.example"),
    ("0058a00000JkWnG", "james.wong@acme-dev.example"),
    ("0058a00000PtRaO", "petra.oduya@acme-dev.example"),
];

// ---- Org B: Globex Production (Enterprise, 15 licences) ----------------------------------

/// Polls `/query` every minute around the clock.
pub(crate) const POLLER: Actor = integration(
    "globex.poller",
    ("0H44x000000PoLr", "ShipStream Order Poller"),
    "",
    ("0054x00000ShStR", "shipstream.api@globex.example"),
    &["198.51.100.80"],
);
/// Fetches a new OAuth token before nearly every call.
pub(crate) const CHURN: Actor = Actor {
    user_agent: "okhttp/4.12.0",
    ..integration(
        "globex.churn",
        ("0H44x000000FpGw", "FieldPro Mobile Gateway"),
        "",
        ("0054x00000FpGwY", "fieldpro.gateway@globex.example"),
        &["203.0.113.150", "203.0.113.151"],
    )
};
/// SOAP client identified only by its `Sforce-Call-Options` client name; logs in per batch.
pub(crate) const CPQ: Actor = integration(
    "globex.cpq",
    ("", ""),
    "CPQBridge/2.3",
    ("0054x00000CpQbR", "cpq.bridge@globex.example"),
    &["198.51.100.140"],
);
/// Bulk API 2.0 ingest jobs, twice a day.
pub(crate) const BULK: Actor = integration(
    "globex.bulk",
    ("0H44x000000BuLk", "DataBridge Bulk Loader"),
    "",
    ("0054x00000DbLdR", "databridge@globex.example"),
    &["203.0.113.201"],
);
/// Composite and sObject Collections: already bulkified.
pub(crate) const COMPOSITE: Actor = integration(
    "globex.composite",
    ("0H44x000000ShFr", "ShopFront Order Bridge"),
    "",
    ("0054x00000ShFrT", "shopfront.integration@globex.example"),
    &["198.51.100.60"],
);
/// `/composite/batch` user: each subrequest counts.
pub(crate) const COMPOSITE_BATCH: Actor = integration(
    "globex.batch",
    ("0H44x000000LdFw", "LeadFlow Sync"),
    "",
    ("0054x00000LdFwS", "leadflow@globex.example"),
    &["192.0.2.140"],
);
pub(crate) const GLOBEX_UI: Actor = lightning("globex.ui");
pub(crate) const GLOBEX_MOBILE: Actor = mobile("globex.mobile", ANDROID_APP, ANDROID_AGENT);
/// Humans behind Globex's UI traffic.
pub(crate) const GLOBEX_PEOPLE: &[(&str, &str)] = &[
    ("0054x00000HnKsT", "hannah.kessler@globex.example"),
    ("0054x00000RaVmN", "ravi.menon@globex.example"),
    ("0054x00000SoFiB", "sofia.bianchi@globex.example"),
    ("0054x00000TmOkE", "tomasz.okafor@globex.example"),
];

// ---- Org C: Initech EU (not in the org profile) ------------------------------------------

/// Describes and `/limits` every few minutes.
pub(crate) const METADATA: Actor = integration(
    "initech.metadata",
    ("0H47Q000000RpHb", "Initech Reporting Hub"),
    "",
    ("0057Q00000RpHbU", "reporting.hub@initech.example"),
    &["203.0.113.77"],
);
/// A nightly SOAP archiver pinned to API v29.0/v30.0; no connected app, no client name.
pub(crate) const ARCHIVER: Actor = integration(
    "initech.archiver",
    ("", ""),
    "",
    ("0057Q00000ArChV", "archiver@initech.example"),
    &["192.0.2.200"],
);
/// Invoice sync with a burst of 5xx/4xx errors and retries.
pub(crate) const BILLING: Actor = integration(
    "initech.billing",
    ("0H47Q000000BiLs", "Initech Billing Sync"),
    "",
    ("0057Q00000BiLsY", "billing.sync@initech.example"),
    &["198.51.100.210"],
);
/// An admin's ad-hoc REST calls, identified by user only.
pub(crate) const OPS_ADMIN: Actor = integration(
    "initech.ops",
    ("", ""),
    "",
    ("0057Q00000OpSaD", "ops.admin@initech.example"),
    &["192.0.2.201"],
);
pub(crate) const INITECH_UI: Actor = lightning("initech.ui");
pub(crate) const INITECH_MOBILE: Actor = mobile("initech.mobile", IOS_APP, IOS_AGENT);
/// Humans behind Initech's UI traffic.
pub(crate) const INITECH_PEOPLE: &[(&str, &str)] = &[
    ("0057Q00000KlAuS", "klaus.berger@initech.example"),
    ("0057Q00000AnNeL", "anne.leclerc@initech.example"),
];

/// Every actor, for consistency checks.
#[cfg(test)]
pub(crate) const ALL: &[&Actor] = &[
    &ERP,
    &CAMPAIGN,
    &CLI,
    &DATALOADER,
    &DEV_SCRIPT,
    &ACME_UI,
    &ACME_MOBILE,
    &POLLER,
    &CHURN,
    &CPQ,
    &BULK,
    &COMPOSITE,
    &COMPOSITE_BATCH,
    &GLOBEX_UI,
    &GLOBEX_MOBILE,
    &METADATA,
    &ARCHIVER,
    &BILLING,
    &OPS_ADMIN,
    &INITECH_UI,
    &INITECH_MOBILE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fifteen_characters_with_the_right_prefix() {
        for actor in ALL {
            if !actor.app_id.is_empty() {
                assert_eq!(actor.app_id.len(), 15, "{}", actor.key);
                assert!(actor.app_id.starts_with("0H4") || actor.app_id.starts_with("888"));
            }
            if !actor.user_id.is_empty() {
                assert_eq!(actor.user_id.len(), 15, "{}", actor.key);
                assert!(actor.user_id.starts_with("005"));
            }
        }
        for (id, _) in ACME_PEOPLE.iter().chain(GLOBEX_PEOPLE).chain(INITECH_PEOPLE) {
            assert_eq!(id.len(), 15);
        }
    }
}
