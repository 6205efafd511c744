//! Stage 7 of the pipeline: the `Analysis` → report files. Each renderer returns bytes;
//! publishing them is one separate, atomic step ([`publish`]): a reader sees the old report or
//! the new one, complete, and no file apiusage did not write is ever touched.

pub mod bound;
pub mod chart;
pub mod csv;
pub mod digest;
pub mod html;
pub mod json;
pub mod markdown;
pub mod publish;
pub mod summary;
pub mod term_layout;
pub mod terminal;
pub mod text;
pub mod zone;

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
            bytes: markdown::render_linked(analysis, &links, options.charts.zone),
        },
        Output {
            name: "report.html".into(),
            bytes: html::render(analysis, &charts, options.charts.zone),
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

/// Publishes the report into `out`: [`publish::publish`] (one atomic switch; nothing apiusage
/// did not write is touched).
pub fn write_atomically(out: &std::path::Path, outputs: &[Output]) -> std::io::Result<()> {
    publish::publish(out, outputs)
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
}
