//! `report --store DIR [PATHS…]`: the paths are ingested into the store first (if any), then
//! the same stages as over raw files run on the snapshot, a group of orgs at a time.
//!
//! Orgs are independent from dedup to capacity, so each group is loaded, de-duplicated,
//! attributed and taken through usage, recommend and capacity, and only its results are kept:
//! memory is bounded by a group (one org at most, when an org is large), not by the store.
//! What spans orgs is put together afterwards, exactly as one table of all of them gives it:
//! the integrations (an app's name, the internal flag and labels are decided across orgs: a
//! census of every org's identities comes first when there are several groups), each source's
//! accounting (its read-time tally once, each group's share, and the orgs `--org` leaves out
//! from the manifest), the `--org` and `--since`/`--until` checks, and the findings over every
//! org's usage.

use std::path::Path;

use anyhow::bail;
use chrono::{DateTime, Utc};

use super::{
    assemble_stage, attributed, dedup_stage, findings_stage, later_stages, usage_stage, with_stored_limits,
    Inputs, Later, Loaded, Settings, Watch,
};
use crate::allocation::AllocationInputs;
use crate::analysis::{self, Analysis};
use crate::attribute::{self, Census};
use crate::dedup::{self, Filter};
use crate::ingest::{self, FileReport, Ingested};
use crate::model::RowTally;
use crate::store::{self, load, Manifest};
use crate::usage::OrgUsage;

/// Stored rows read at once: a group of orgs up to this many (about 125 bytes each at the
/// peak of a group's stages), or one larger org alone.
pub const GROUP_ROWS: u64 = 8_000_000;

/// [`GROUP_ROWS`], or in a debug build the `APIUSAGE_STORE_GROUP_ROWS` variable (for tests
/// that need several groups from a few rows).
fn group_rows() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("APIUSAGE_STORE_GROUP_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    GROUP_ROWS
}

/// The store opened for a report: its snapshot, and this run's ingest of the paths.
struct Opened {
    manifest: Manifest,
    ingested: store::IngestSummary,
    /// Held until the report is done: no writer removes the snapshot's files meanwhile.
    _reading: store::lock::ReadLock,
}

/// Every stage, from the store (and the paths ingested into it) to the analysis.
pub(super) fn analyse(
    dir: &Path,
    wait: bool,
    inputs: &Inputs,
    settings: &Settings,
    generated_at: DateTime<Utc>,
    watch: &mut Watch,
) -> anyhow::Result<Analysis> {
    let opened = watch.timings.stage("ingest", || {
        open(dir, wait, inputs, generated_at, &watch.progress)
    })?;
    let limits = store::latest_limits(dir, &opened.manifest, &settings.allocation_args.limits);
    let allocation = with_stored_limits(settings, &limits)?;
    let manifest = &opened.manifest;
    if !has_calls(manifest) {
        // No call at all: the whole (small) snapshot goes through the table's own checks, for
        // the same refusal as over the raw files.
        let whole = whole_snapshot(dir, opened.ingested, watch)?;
        let table = dedup_stage(whole, &settings.filter, watch)?;
        let loaded = attributed(table, allocation, settings, watch);
        return Ok(loaded.analyse(settings, generated_at, watch));
    }
    let org_ids = load::org_ids(manifest);
    let found: Vec<&str> = org_ids.iter().map(String::as_str).collect();
    dedup::check_orgs(&settings.filter, &found).map_err(anyhow::Error::msg)?;
    let groups = load::org_groups(manifest, &settings.filter, group_rows());
    // Integrations are decided across orgs (an app's name from any org's rows, internal when
    // any call is): with several groups, over every org's identities first.
    let census = match groups.len() {
        0 | 1 => None,
        _ => Some(watch.timings.stage("attribute", || {
            load::census(dir, manifest, &settings.integrations)
        })?),
    };
    let mut gathered = Gathered {
        files: accounting_outside_groups(manifest, &settings.filter),
        span: None,
        usage: Vec::new(),
        later: None,
    };
    for group in groups {
        let context = (dir, manifest, census.as_ref(), &allocation);
        analyse_group(context, &group, settings, watch, &mut gathered)?;
    }
    let Gathered {
        files,
        span,
        usage,
        later,
    } = gathered;
    let Some(later) = later else {
        bail!(dedup::out_of_range(&settings.filter, span));
    };
    let mut total = RowTally::default();
    for f in &files {
        total.merge(f.rows.clone());
    }
    let outcome = opened.ingested;
    let quality = analysis::data_quality(&files, &total, &outcome.unreadable, &outcome.skipped);
    let findings = findings_stage(&usage, settings, &allocation, generated_at, watch);
    Ok(assemble_stage(
        (usage, findings, later),
        quality,
        settings,
        &allocation,
        generated_at,
        watch,
    ))
}

/// What the groups add up to.
struct Gathered {
    /// Per source, its accounting so far.
    files: Vec<FileReport>,
    /// The selected orgs' calls before `--since`/`--until`, for the out-of-range message.
    span: Option<(i64, i64)>,
    usage: Vec<OrgUsage>,
    later: Option<Later>,
}

/// The store, its snapshot, the census (several groups) and the allocation.
type Context<'a> = (&'a Path, &'a Manifest, Option<&'a Census>, &'a AllocationInputs);

/// One group of orgs from load to capacity, its results added to `gathered`.
fn analyse_group(
    (dir, manifest, census, allocation): Context,
    group: &[String],
    settings: &Settings,
    watch: &mut Watch,
    gathered: &mut Gathered,
) -> anyhow::Result<()> {
    watch.progress.stage(format!(
        "reading {} org(s) from the store {}",
        group.len(),
        dir.display()
    ));
    let ingested = watch
        .timings
        .stage("ingest", || load::load_orgs(dir, manifest, group))?;
    let table = watch.stage("dedup", || {
        let mut table = dedup::reconcile(ingested);
        gathered.span = wider(gathered.span, table.call_span(&settings.filter));
        table.restrict(&settings.filter);
        table
    });
    for (f, t) in gathered.files.iter_mut().zip(&table.files) {
        f.rows.merge(t.rows.clone());
    }
    if table.orgs.is_empty() {
        return Ok(());
    }
    let loaded = match census {
        None => attributed(table, allocation.clone(), settings, watch),
        Some(census) => {
            let attribution = watch.stage("attribute", || {
                attribute::attribute_part(&table.calls, &settings.integrations, census)
            });
            Loaded {
                table,
                attribution,
                allocation: allocation.clone(),
            }
        }
    };
    let usage = usage_stage(&loaded.table, &loaded.attribution, watch);
    let next = later_stages(&loaded.table, &loaded.attribution, &usage, settings, watch);
    gathered.usage.extend(usage);
    match &mut gathered.later {
        Some(l) => l.append(next),
        None => gathered.later = Some(next),
    }
    Ok(())
}

/// Ingests the paths into the store (if any) and reads its manifest.
fn open(
    dir: &Path,
    wait: bool,
    inputs: &Inputs,
    generated_at: DateTime<Utc>,
    progress: &crate::progress::Progress,
) -> anyhow::Result<Opened> {
    let mut ingested = store::IngestSummary::default();
    if !inputs.paths.is_empty() {
        progress.stage(format!("ingesting into the store {}", dir.display()));
        let settings = ingest::Settings::at(generated_at);
        ingested = store::commit::ingest_excluding(dir, &inputs.paths, &inputs.exclude, &settings, wait)?;
    } else {
        store::maintain::require_store(dir)?;
    }
    let reading = store::lock::read(dir);
    let manifest = Manifest::read(dir)?;
    store::crash_point("snapshot-read");
    Ok(Opened {
        manifest,
        ingested,
        _reading: reading,
    })
}

/// Whether the snapshot holds any call row (a kept, counted-or-not call, not context).
fn has_calls(manifest: &Manifest) -> bool {
    manifest
        .files
        .iter()
        .any(|f| f.sources.values().any(|s| s.used > 0))
}

/// The whole snapshot as ingest's output, with this run's unreadable and skipped inputs.
fn whole_snapshot(dir: &Path, outcome: store::IngestSummary, watch: &mut Watch) -> anyhow::Result<Ingested> {
    let (mut ingested, _) = watch.timings.stage("ingest", || store::load(dir))?;
    ingested.unreadable = outcome.unreadable;
    ingested.skipped = outcome.skipped;
    Ok(ingested)
}

/// Each source with the accounting that does not come from the groups' tables: its read-time
/// tally, and the rows of the orgs `--org` leaves out.
fn accounting_outside_groups(manifest: &Manifest, filter: &Filter) -> Vec<FileReport> {
    let mut files = load::sources(manifest);
    for (f, other) in files
        .iter_mut()
        .zip(load::unselected_accounting(manifest, filter))
    {
        f.rows.merge(other);
    }
    files
}

/// The span covering both.
fn wider(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wider_span_covers_both() {
        assert_eq!(wider(None, None), None);
        assert_eq!(wider(Some((3, 5)), None), Some((3, 5)));
        assert_eq!(wider(None, Some((3, 5))), Some((3, 5)));
        assert_eq!(wider(Some((3, 5)), Some((1, 4))), Some((1, 5)));
        assert_eq!(wider(Some((3, 5)), Some((4, 9))), Some((3, 9)));
    }
}
