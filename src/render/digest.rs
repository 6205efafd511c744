//! `digest.md` (render stage): the report in at most [`MAX_LINES`] lines of plain Markdown for a
//! chat channel or a mail — the summary's sentences, what changed since the previous report in
//! the same `--out` folder, and a link to the full report. Mail clients strip the HTML report's
//! inline SVG and script; this file needs neither.
//!
//! The previous report is read (by the caller) from its `summary.json`; only peaks and chatty
//! integrations are compared, by org id and integration key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Deserialize;

use crate::analysis::Analysis;
use crate::render::markdown::esc;
use crate::render::summary::{org_name, sentences};
use crate::render::text::{human_time, pct};
use crate::render::zone::DisplayZone;
use crate::text::thousands;

/// The digest's length limit, links and headings included.
pub const MAX_LINES: usize = 15;

/// Summary sentences listed; the rest are counted in one more line.
const SENTENCES: usize = 10;

/// Changes listed in the "since the previous report" line.
const CHANGES: usize = 4;

/// A peak moves in the digest when its share changes by at least this (one percentage point),
/// or, with no allocation, its calls by at least 5 %.
const SHARE_STEP: f64 = 0.01;

/// What the previous report in `--out` said, as far as the digest compares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// Per org id: its peak (calls, share of the allocation).
    peaks: BTreeMap<String, (u64, Option<f64>)>,
    /// (org id, integration key) of every chatty integration.
    chatty: BTreeSet<(String, String)>,
}

/// The fields of a previous `summary.json` the digest compares; serde skips the rest without
/// building it, so memory follows the org and integration keys, not the file's size.
#[derive(Deserialize)]
struct PreviousSummary {
    orgs: Vec<PreviousOrg>,
}

#[derive(Deserialize)]
struct PreviousOrg {
    org_id: String,
    peak: Option<PreviousPeak>,
    integrations: Vec<PreviousIntegration>,
}

#[derive(Deserialize)]
struct PreviousPeak {
    calls: u64,
    share_of_allocation: Option<f64>,
}

#[derive(Deserialize)]
struct PreviousIntegration {
    key: String,
    chatty: bool,
}

impl Previous {
    /// Reads a previous `summary.json`; `None` when it is not one (then nothing is compared).
    pub fn read(summary_json: impl std::io::Read) -> Option<Previous> {
        let summary: PreviousSummary = serde_json::from_reader(std::io::BufReader::new(summary_json)).ok()?;
        let mut previous = Previous::default();
        for org in summary.orgs {
            for i in org.integrations.into_iter().filter(|i| i.chatty) {
                previous.chatty.insert((org.org_id.clone(), i.key));
            }
            let peak = org.peak.map_or((0, None), |p| (p.calls, p.share_of_allocation));
            previous.peaks.insert(org.org_id, peak);
        }
        Some(previous)
    }
}

/// Renders the digest; `link` is where the full report is, `zone` the display zone.
pub fn render(a: &Analysis, previous: Option<&Previous>, link: &str, zone: DisplayZone) -> Vec<u8> {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "**apiusage report, {}**: {} orgs, {} counted calls",
        human_time(&a.generated_at, zone),
        thousands(a.orgs.len() as u64),
        thousands(a.overview.counted_calls)
    );
    let all = sentences(a, zone);
    for s in all.iter().take(SENTENCES) {
        let _ = writeln!(md, "- {}", esc(s));
    }
    if all.len() > SENTENCES {
        let _ = writeln!(md, "- {} more points in the full report.", all.len() - SENTENCES);
    }
    let _ = writeln!(md, "- {}", esc(&changes(a, previous)));
    let _ = writeln!(md, "\nFull report: {}", esc(link));
    md.into_bytes()
}

/// One sentence on what changed since the previous report.
fn changes(a: &Analysis, previous: Option<&Previous>) -> String {
    let Some(previous) = previous else {
        return "No previous report in this folder to compare with.".into();
    };
    let mut items = new_chatty(a, previous);
    items.extend(moved_peaks(a, previous));
    if items.is_empty() {
        return "Since the previous report: no new chatty integration, and no peak moved by a percentage point or more.".into();
    }
    let more = items.len().saturating_sub(CHANGES);
    items.truncate(CHANGES);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!("Since the previous report: {}{tail}.", items.join("; "))
}

fn new_chatty(a: &Analysis, previous: &Previous) -> Vec<String> {
    a.orgs_by_risk()
        .into_iter()
        .flat_map(|org| {
            org.integrations
                .iter()
                .filter(|i| i.chatty && !previous.chatty.contains(&(org.org_id.clone(), i.key.clone())))
                .map(move |i| format!("{} in {} is newly chatty", i.label, org_name(org)))
        })
        .collect()
}

fn moved_peaks(a: &Analysis, previous: &Previous) -> Vec<String> {
    let mut out = Vec::new();
    for org in a.orgs_by_risk() {
        let name = org_name(org);
        let now = org.peak.as_ref().map(|p| (p.calls, p.share_of_allocation));
        match (previous.peaks.get(&org.org_id), now) {
            (None, _) => out.push(format!("{name} is new in the report")),
            (Some(&(_, Some(b))), Some((_, Some(s)))) if (s - b).abs() >= SHARE_STEP => {
                let way = if s > b { "up" } else { "down" };
                out.push(format!(
                    "{name}'s peak {way} from {} to {}",
                    pct(Some(b)),
                    pct(Some(s))
                ));
            }
            (Some(&(before, None)), Some((calls, None))) if moved_calls(before, calls) => {
                let way = if calls > before { "up" } else { "down" };
                out.push(format!(
                    "{name}'s peak {way} from {} to {} calls",
                    thousands(before),
                    thousands(calls)
                ));
            }
            _ => {}
        }
    }
    out
}

/// A change of at least 5 % of the previous peak (and at least one call).
fn moved_calls(before: u64, now: u64) -> bool {
    let delta = before.abs_diff(now);
    delta > 0 && delta * 20 >= before
}
