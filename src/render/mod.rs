//! Stage 7 of the pipeline: the `Analysis` → report files. Each renderer returns bytes; writing
//! them is one separate, atomic step.
//!
//! Atomic here means: every file is first written into a temporary folder inside `--out`, and
//! only when all of them exist are they renamed into place (a rename replaces a file
//! atomically). A run that fails earlier leaves the previous report untouched. Other files in
//! `--out` (say, a committed `example/` folder) are left alone.

pub mod chart;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod terminal;
pub mod text;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::analysis::Analysis;

/// One file of a report.
#[derive(Debug, Clone)]
pub struct Output {
    /// Path relative to the output folder, `/`-separated.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// What the command line changes in the rendering (never in the analysis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Chart formats and the heatmap's display offset.
    pub charts: chart::ChartOptions,
}

/// Renders every report file with the default options.
pub fn render_all(analysis: &Analysis) -> Vec<Output> {
    render_with(analysis, &RenderOptions::default())
}

/// Renders every report file. Charts are drawn once: their SVG text is inlined in
/// `report.html` and written to `charts/` with the PNGs.
pub fn render_with(analysis: &Analysis, options: &RenderOptions) -> Vec<Output> {
    let charts = chart::render(analysis, &options.charts);
    let links = chart::links(&charts, options.charts.formats);
    let mut out = vec![
        Output {
            name: "summary.json".into(),
            bytes: json::render(analysis),
        },
        Output {
            name: "report.md".into(),
            bytes: markdown::render_linked(analysis, &links),
        },
        Output {
            name: "report.html".into(),
            bytes: html::render(analysis, &charts),
        },
        Output {
            name: "integrations.csv".into(),
            bytes: csv::integrations(analysis),
        },
        Output {
            name: "recommendations.csv".into(),
            bytes: csv::recommendations(analysis),
        },
        // The kinds' page the report links to, so the links resolve inside `--out`.
        Output {
            name: crate::recommend::docs::PATH.into(),
            bytes: crate::recommend::docs::PAGE.as_bytes().to_vec(),
        },
    ];
    for (i, (org, series)) in analysis.orgs.iter().zip(&analysis.series).enumerate() {
        if let Some(series) = series {
            out.push(Output {
                name: format!("usage_{}.csv", org_file_stem(&org.org_id, i)),
                bytes: csv::usage(org, series),
            });
        }
    }
    out.extend(chart::outputs(&charts, options.charts.formats));
    out
}

/// The part of a file name that stands for an org: its id when it is a plain 15/18-character
/// alphanumeric id, otherwise `org<N>` — a log value never becomes a path unchecked.
pub fn org_file_stem(org_id: &str, index: usize) -> String {
    let plain = matches!(org_id.len(), 15 | 18) && org_id.bytes().all(|b| b.is_ascii_alphanumeric());
    if plain {
        org_id.to_string()
    } else {
        format!("org{}", index + 1)
    }
}

/// Writes `outputs` into `out` atomically (see the module docs) and removes report files of an
/// earlier run that this run did not produce (e.g. `usage_<org>.csv` of an org now filtered out).
pub fn write_atomically(out: &Path, outputs: &[Output]) -> io::Result<()> {
    fs::create_dir_all(out).map_err(|e| with_path(e, out))?;
    let staging = out.join(format!(".apiusage-staging-{}", std::process::id()));
    let result = stage_and_publish(out, &staging, outputs);
    let _ = fs::remove_dir_all(&staging);
    result
}

fn stage_and_publish(out: &Path, staging: &Path, outputs: &[Output]) -> io::Result<()> {
    for o in outputs {
        let path = staging.join(&o.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        fs::write(&path, &o.bytes).map_err(|e| with_path(e, &path))?;
    }
    remove_stale(out, outputs)?;
    for o in outputs {
        let target = out.join(&o.name);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        fs::rename(staging.join(&o.name), &target).map_err(|e| with_path(e, &target))?;
    }
    Ok(())
}

/// Report files of an earlier run that this run does not write again.
fn remove_stale(out: &Path, outputs: &[Output]) -> io::Result<()> {
    let fresh: Vec<PathBuf> = outputs.iter().map(|o| out.join(&o.name)).collect();
    for entry in fs::read_dir(out)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("usage_") && name.ends_with(".csv");
        if ours && !fresh.contains(&entry.path()) {
            fs::remove_file(entry.path()).map_err(|e| with_path(e, &entry.path()))?;
        }
    }
    remove_stale_charts(out, &fresh)
}

/// Chart files of an earlier run (an org now filtered out, or `--charts none`).
fn remove_stale_charts(out: &Path, fresh: &[PathBuf]) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(out.join("charts")) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = path.extension().is_some_and(|e| e == "png" || e == "svg");
        if ours && !fresh.contains(&path) {
            fs::remove_file(&path).map_err(|e| with_path(e, &path))?;
        }
    }
    Ok(())
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_org_ids_never_become_paths() {
        assert_eq!(org_file_stem("00D5j000000VI3n", 0), "00D5j000000VI3n");
        assert_eq!(org_file_stem("../../x", 2), "org3");
        assert_eq!(org_file_stem("00D5j000000VI3/", 0), "org1");
    }

    #[test]
    fn writing_replaces_files_and_keeps_unrelated_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::create_dir_all(out.join("example")).unwrap();
        fs::write(out.join("example/keep.txt"), "x").unwrap();
        fs::write(out.join("usage_old.csv"), "stale").unwrap();
        let outputs = [
            Output {
                name: "summary.json".into(),
                bytes: b"{}".to_vec(),
            },
            Output {
                name: "usage_new.csv".into(),
                bytes: b"m".to_vec(),
            },
        ];
        write_atomically(out, &outputs).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "{}");
        assert!(out.join("example/keep.txt").exists());
        assert!(!out.join("usage_old.csv").exists());
        assert!(out.join("usage_new.csv").exists());
        let leftovers: Vec<_> = fs::read_dir(out)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".apiusage"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
