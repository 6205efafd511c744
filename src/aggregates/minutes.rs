//! The Spark job's per-minute series: `OUT/minutes/org_id=<org>/part-*.parquet` (minute,
//! calls, rolling_24h_end, rolling_24h_max) and `OUT/minutes_integrations/org_id=<org>/…`
//! (key, rank, minute, rolling_24h_end), read with polars into [`MinuteSeries`].
//!
//! Spark writes each org's rows into one or more `part-*` files of a hive-style folder; the
//! folder name carries the org. Files are read in name order and the rows sorted by minute, so
//! the result does not depend on how Spark split them.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::AggregatesError;
use crate::window::{MinuteSeries, MINUTE_MS};

/// One org's series: the org's and, by rank (1-based), its ranked integrations'.
pub struct OrgMinutes {
    pub org: MinuteSeries,
    /// `(rank, key, series)`, rank ascending.
    pub integrations: Vec<(u32, String, MinuteSeries)>,
}

/// Reads the series of `org` from the two folders under `out`.
pub fn read(
    out: &Path,
    org_folder: &str,
    key_folder: &str,
    org: &str,
) -> Result<OrgMinutes, AggregatesError> {
    let org_rows = read_folder(&out.join(org_folder).join(format!("org_id={org}")))?;
    let org_series = org_series(&org_rows)?;
    let key_rows = read_folder(&out.join(key_folder).join(format!("org_id={org}")))?;
    let integrations = match key_rows {
        Some(df) => integration_series(&df, &org_series)?,
        None => Vec::new(),
    };
    Ok(OrgMinutes {
        org: org_series,
        integrations,
    })
}

/// Every `*.parquet` file of a folder stacked, in file name order; `None` when the folder does
/// not exist (an org or integration without series).
fn read_folder(dir: &Path) -> Result<Option<(PathBuf, DataFrame)>, AggregatesError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AggregatesError::io(dir, &e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet") && p.is_file())
        .collect();
    files.sort();
    let mut stacked: Option<DataFrame> = None;
    for path in &files {
        let file = File::open(path).map_err(|e| AggregatesError::io(path, &e))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| AggregatesError::Corrupt(format!("{}: {e}", path.display())))?;
        stacked = Some(match stacked {
            None => df,
            Some(mut all) => {
                all.vstack_mut(&df)
                    .map_err(|e| AggregatesError::Corrupt(format!("{}: {e}", path.display())))?;
                all
            }
        });
    }
    Ok(stacked.map(|df| (dir.to_path_buf(), df)))
}

fn corrupt(dir: &Path, e: PolarsError) -> AggregatesError {
    AggregatesError::Corrupt(format!("{}: {e}", dir.display()))
}

/// A timestamp column as minute indices (the job writes each minute's first millisecond).
fn minutes_of(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let col = df.column(name)?;
    let ms: Vec<i64> = match col.dtype() {
        DataType::Datetime(unit, _) => {
            let per_ms = match unit {
                TimeUnit::Milliseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Nanoseconds => 1_000_000,
            };
            let raw = col.datetime()?.physical().clone();
            raw.iter().map(|v| v.unwrap_or(0).div_euclid(per_ms)).collect()
        }
        _ => col
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect(),
    };
    Ok(ms.into_iter().map(|m| m.div_euclid(MINUTE_MS)).collect())
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let col = df.column(name)?.cast(&DataType::Int64)?;
    Ok(col.i64()?.iter().map(|v| v.unwrap_or(0).max(0) as u64).collect())
}

/// The org's rows sorted by minute.
fn org_series(rows: &Option<(PathBuf, DataFrame)>) -> Result<MinuteSeries, AggregatesError> {
    let Some((dir, df)) = rows else {
        return Ok(MinuteSeries::default());
    };
    let read = || -> PolarsResult<MinuteSeries> {
        let minutes = minutes_of(df, "minute")?;
        let calls = u64s(df, "calls")?;
        let end = u64s(df, "rolling_24h_end")?;
        let max = u64s(df, "rolling_24h_max")?;
        let mut order: Vec<usize> = (0..minutes.len()).collect();
        order.sort_by_key(|&i| minutes[i]);
        Ok(MinuteSeries {
            minutes: order.iter().map(|&i| minutes[i]).collect(),
            calls: order
                .iter()
                .map(|&i| u32::try_from(calls[i]).unwrap_or(u32::MAX))
                .collect(),
            usage_end: order.iter().map(|&i| end[i]).collect(),
            usage_max: order.iter().map(|&i| max[i]).collect(),
        })
    };
    let series = read().map_err(|e| corrupt(dir, e))?;
    if series.minutes.windows(2).any(|w| w[0] == w[1]) {
        return Err(AggregatesError::Corrupt(format!(
            "{}: a minute appears twice",
            dir.display()
        )));
    }
    Ok(series)
}

/// Each ranked integration's `rolling_24h_end` on the org's minutes (a minute the job left out
/// is one where the integration's usage is 0). Only `usage_end` is in the output: the report
/// reads no other column of an integration's series.
fn integration_series(
    (dir, df): &(PathBuf, DataFrame),
    org: &MinuteSeries,
) -> Result<Vec<(u32, String, MinuteSeries)>, AggregatesError> {
    let strings = |name: &str| -> PolarsResult<Vec<String>> {
        let col = df.column(name)?.str()?.clone();
        Ok(col.iter().map(|k| k.unwrap_or("").to_string()).collect())
    };
    let keys = strings("key").map_err(|e| corrupt(dir, e))?;
    let ranks = u64s(df, "rank").map_err(|e| corrupt(dir, e))?;
    let minutes = minutes_of(df, "minute").map_err(|e| corrupt(dir, e))?;
    let end = u64s(df, "rolling_24h_end").map_err(|e| corrupt(dir, e))?;
    let mut by_rank: std::collections::BTreeMap<u32, (String, Vec<u64>)> = Default::default();
    for i in 0..keys.len() {
        let rank = u32::try_from(ranks[i]).unwrap_or(u32::MAX);
        let slot = by_rank
            .entry(rank)
            .or_insert_with(|| (keys[i].clone(), vec![0; org.minutes.len()]));
        if slot.0 != keys[i] {
            return Err(AggregatesError::Corrupt(format!(
                "{}: rank {rank} names two integrations ({} and {})",
                dir.display(),
                slot.0,
                keys[i]
            )));
        }
        match org.minutes.binary_search(&minutes[i]) {
            Ok(m) => slot.1[m] = end[i],
            Err(_) => {
                return Err(AggregatesError::Corrupt(format!(
                    "{}: a minute of {} is not in the org's series",
                    dir.display(),
                    keys[i]
                )))
            }
        }
    }
    Ok(by_rank
        .into_iter()
        .map(|(rank, (key, usage_end))| {
            let n = usage_end.len();
            let series = MinuteSeries {
                minutes: org.minutes.clone(),
                calls: vec![0; n],
                usage_max: usage_end.clone(),
                usage_end,
            };
            (rank, key, series)
        })
        .collect())
}
