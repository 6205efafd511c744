//! How much of the analysis the human-readable outputs show (render stage): `report.html`,
//! `report.md` and the charts stay bounded however many orgs and integrations the logs hold.
//! `summary.json` and the CSVs keep everything.
//!
//! - Per org, the top [`TOP_INTEGRATIONS`] integrations (by own peak, the analysis' order) and
//!   every chatty one; the rest are summed into one "N others" row.
//! - With more than [`ORG_SECTIONS`] orgs, only the riskiest get a section (and charts); every
//!   org still has its row in the index, and its findings are counted.

use std::collections::HashSet;

use crate::analysis::{Analysis, IntegrationReport, OrgReport};

/// Integrations listed per org.
pub const TOP_INTEGRATIONS: usize = 20;

/// Orgs with a section (and charts) in the HTML and Markdown reports.
pub const ORG_SECTIONS: usize = 50;

/// Which orgs get a section, and in which order.
#[derive(Debug, Clone)]
pub struct Sections {
    /// Per org (the analysis' order): whether it has a section.
    pub flags: Vec<bool>,
    ids: HashSet<String>,
    order: Vec<usize>,
}

impl Sections {
    /// The riskiest [`ORG_SECTIONS`] orgs (all of them when there are no more).
    pub fn of(a: &Analysis) -> Sections {
        let order: Vec<usize> = a.risk_order().into_iter().take(ORG_SECTIONS).collect();
        let ids: HashSet<String> = order.iter().map(|&i| a.orgs[i].org_id.clone()).collect();
        let flags = a.orgs.iter().map(|o| ids.contains(&o.org_id)).collect();
        Sections { flags, ids, order }
    }

    /// The positions of the orgs with a section, riskiest first: sections and navigation
    /// follow it, so the org a reader must act on comes first.
    pub fn in_risk_order(&self) -> &[usize] {
        &self.order
    }

    /// Whether org number `i` has a section.
    pub fn at(&self, i: usize) -> bool {
        self.flags.get(i).copied().unwrap_or(false)
    }

    /// Whether the org with this id has a section.
    pub fn has(&self, org_id: &str) -> bool {
        self.ids.contains(org_id)
    }

    /// Orgs without a section.
    pub fn left_out(&self) -> usize {
        self.flags.iter().filter(|f| !**f).count()
    }
}

/// The integrations summed into one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Others {
    /// How many.
    pub count: usize,
    /// Their counted calls.
    pub counted_calls: u64,
    /// Their calls that do not count.
    pub not_counted_calls: u64,
    /// Their calls in the org's peak window.
    pub calls_in_org_peak_window: u64,
}

impl Others {
    /// `1,234 other integrations`.
    pub fn label(&self) -> String {
        let noun = if self.count == 1 {
            "integration"
        } else {
            "integrations"
        };
        format!("{} other {noun}", crate::text::thousands(self.count as u64))
    }
}

/// The integrations an org's tables list, and the sum of the rest.
pub fn integrations(org: &OrgReport) -> (Vec<&IntegrationReport>, Option<Others>) {
    let mut shown = Vec::new();
    let mut others = Others::default();
    for (n, i) in org.integrations.iter().enumerate() {
        if n < TOP_INTEGRATIONS || i.chatty {
            shown.push(i);
        } else {
            others.count += 1;
            others.counted_calls += i.counted_calls;
            others.not_counted_calls += i.not_counted_calls;
            others.calls_in_org_peak_window += i.calls_in_org_peak_window;
        }
    }
    (shown, (others.count > 0).then_some(others))
}

/// The stderr warning when orgs were left without a section.
pub fn warning(a: &Analysis) -> Option<String> {
    let left_out = a.orgs.len().saturating_sub(ORG_SECTIONS);
    (left_out > 0).then(|| {
        format!(
            "warning: {} orgs in the input (a misaligned ORGANIZATION_ID column?): report.html \
             and report.md give sections and charts to the {ORG_SECTIONS} riskiest only; the \
             other {} are rows of the org index, and summary.json and the CSVs have all of them",
            crate::text::thousands(a.orgs.len() as u64),
            crate::text::thousands(left_out as u64)
        )
    })
}
