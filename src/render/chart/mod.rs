//! Charts (SPEC.md §4, `charts/`): per org, the rolling-24h usage with its top integrations
//! stacked, the integrations ranked by own peak share, an hour × day heatmap of counted calls,
//! and the daily peaks when the logs span several days.
//!
//! Render stage: every chart is drawn from the `Analysis` (and the per-minute series it
//! carries), never from a second computation. Each chart is one [`Figure`], drawn by the same
//! code into an SVG string and an RGB buffer that is encoded as PNG; the SVG text is also what
//! `report.html` inlines. Orgs are drawn in parallel.

mod bars;
mod canvas;
mod daily;
mod data;
mod frame;
mod heatmap;
pub mod style;
mod usage;

use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;

use super::{org_file_stem, Output};
use crate::analysis::{Analysis, OrgReport};
use crate::usage::OrgSeries;
use frame::Drawn;

/// Which chart files a report contains (`--charts png,svg|none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartFormats {
    /// `charts/*.png`.
    pub png: bool,
    /// `charts/*.svg`.
    pub svg: bool,
}

impl Default for ChartFormats {
    fn default() -> Self {
        ChartFormats { png: true, svg: true }
    }
}

impl ChartFormats {
    /// Neither: no chart files, and `report.html` without charts.
    pub const NONE: ChartFormats = ChartFormats {
        png: false,
        svg: false,
    };

    /// Parses `png,svg`, `png`, `svg` or `none`.
    pub fn parse(s: &str) -> Result<ChartFormats, String> {
        let mut f = ChartFormats::NONE;
        for part in s.split(',').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "png" => f.png = true,
                "svg" => f.svg = true,
                "none" if s.trim().eq_ignore_ascii_case("none") => {}
                _ => return Err(format!("--charts {s}: give png,svg, png, svg or none")),
            }
        }
        Ok(f)
    }

    /// Whether any chart is drawn.
    pub fn any(self) -> bool {
        self.png || self.svg
    }
}

/// Chart settings from the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChartOptions {
    /// Which files to write.
    pub formats: ChartFormats,
    /// Display zone for the heatmap's hours and dates (`--tz`).
    pub zone: crate::render::zone::DisplayZone,
    /// PNG pixels per layout pixel (`--chart-scale`, 1–4; 0 is taken as 1).
    pub png_scale: u32,
}

/// Parses a `--tz` display offset: `UTC`, `Z`, `+02:00`, `-0530`, `+2`. A fixed offset, so a
/// summer-time change inside the logs is not followed.
pub fn parse_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let bad = || format!("--tz {s}: give an offset from UTC such as +02:00, -05:00 or UTC");
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().map_err(|_| bad())?, 0),
        _ => {
            let (h, m) = digits.split_at(digits.len() - 2);
            (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
        }
    };
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

/// `UTC` or `UTC+02:00`.
pub fn zone_name(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".into();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let m = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// What a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Rolling-24h usage with stacked integrations.
    Usage,
    /// Integrations ranked by own peak share.
    Integrations,
    /// Counted calls by hour × day.
    Heatmap,
    /// Daily peaks.
    Daily,
}

impl ChartKind {
    /// File name prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            ChartKind::Usage => "usage",
            ChartKind::Integrations => "integrations",
            ChartKind::Heatmap => "heatmap",
            ChartKind::Daily => "daily_peak",
        }
    }

    /// A short caption for reports.
    pub fn caption(self) -> &'static str {
        match self {
            ChartKind::Usage => "Rolling 24-hour usage",
            ChartKind::Integrations => "Integrations by own peak",
            ChartKind::Heatmap => "Counted calls by hour and day",
            ChartKind::Daily => "Daily peak",
        }
    }
}

/// One drawn chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What it shows.
    pub kind: ChartKind,
    /// File name without extension, e.g. `usage_00D5j000000VI3n`.
    pub stem: String,
    /// Size in pixels.
    pub size: (u32, u32),
    /// The SVG document.
    pub svg: String,
    /// The PNG file, when PNG charts are written.
    pub png: Option<Vec<u8>>,
}

/// The charts of one org (same order as `Analysis::orgs`).
#[derive(Debug, Clone, Default)]
pub struct OrgCharts {
    /// Charts drawn.
    pub charts: Vec<Chart>,
    /// Charts that could not be drawn, with the reason (shown in the reports, never a panic).
    pub failures: Vec<String>,
}

/// A chart, drawable on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB>;
}

/// Draws the charts of every org that has a report section ([`super::bound`]); nothing when
/// `options.formats` is `NONE`.
pub fn render(a: &Analysis, options: &ChartOptions) -> Vec<OrgCharts> {
    if !options.formats.any() {
        return vec![OrgCharts::default(); a.orgs.len()];
    }
    style::ensure_font();
    // Charts only for the orgs that have a section in the reports (bounded with many orgs).
    let sections = super::bound::Sections::of(a);
    a.orgs
        .par_iter()
        .enumerate()
        .map(|(i, org)| {
            if !sections.at(i) {
                return OrgCharts::default();
            }
            let series = a.series.get(i).and_then(Option::as_ref);
            org_charts(a, i, org, series, options)
        })
        .collect()
}

fn org_charts(
    a: &Analysis,
    index: usize,
    org: &OrgReport,
    series: Option<&OrgSeries>,
    options: &ChartOptions,
) -> OrgCharts {
    let stem = org_file_stem(&org.org_id, index);
    // `Some(scale)` when PNGs are drawn.
    let png = options.formats.png.then_some(options.png_scale.max(1));
    let mut out = OrgCharts::default();
    let usage = usage::UsageChart::new(org, series, &a.overview, options.zone);
    out.add(ChartKind::Usage, &stem, &usage, png);
    let Some(series) = series else { return out };
    out.add(
        ChartKind::Integrations,
        &stem,
        &bars::BarsChart::new(org, &a.overview),
        png,
    );
    let heat = heatmap::HeatmapChart::new(org, series, options.zone);
    out.add(ChartKind::Heatmap, &stem, &heat, png);
    if let Some(days) = data::daily(series) {
        out.add(
            ChartKind::Daily,
            &stem,
            &daily::DailyChart::new(org, days, &a.overview),
            png,
        );
    }
    out
}

impl OrgCharts {
    fn add(&mut self, kind: ChartKind, stem: &str, figure: &impl Figure, png: Option<u32>) {
        let stem = format!("{}_{stem}", kind.prefix());
        let drawn = draw_svg(figure).and_then(|svg| {
            let png = match png {
                Some(scale) => Some(draw_png(figure, scale)?),
                None => None,
            };
            Ok((svg, png))
        });
        match drawn {
            Ok((svg, png)) => self.charts.push(Chart {
                kind,
                stem,
                size: figure.size(),
                svg,
                png,
            }),
            Err(e) => self.failures.push(format!("{stem}: {e}")),
        }
    }
}

/// A chart file for a report to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLink {
    /// What it shows.
    pub caption: &'static str,
    /// Path relative to the report, e.g. `charts/usage_00D5j000000VI3n.png`.
    pub path: String,
}

/// Per org, the chart files to link from `report.md`: the PNGs, or the SVGs without PNGs.
pub fn links(charts: &[OrgCharts], formats: ChartFormats) -> Vec<Vec<ChartLink>> {
    let ext = if formats.png { "png" } else { "svg" };
    charts
        .iter()
        .map(|o| {
            o.charts
                .iter()
                .filter(|_| formats.any())
                .map(|c| ChartLink {
                    caption: c.kind.caption(),
                    path: format!("charts/{}.{ext}", c.stem),
                })
                .collect()
        })
        .collect()
}

/// The chart files: `charts/<stem>.png` and/or `charts/<stem>.svg`.
pub fn outputs(charts: &[OrgCharts], formats: ChartFormats) -> Vec<Output> {
    let mut out = Vec::new();
    for c in charts.iter().flat_map(|o| &o.charts) {
        if let Some(png) = c.png.as_ref().filter(|_| formats.png) {
            out.push(Output {
                name: format!("charts/{}.png", c.stem),
                bytes: png.clone(),
            });
        }
        if formats.svg {
            out.push(Output {
                name: format!("charts/{}.svg", c.stem),
                bytes: c.svg.clone().into_bytes(),
            });
        }
    }
    out
}

fn draw_svg(figure: &impl Figure) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_png(figure: &impl Figure, scale: u32) -> Result<Vec<u8>, String> {
    let (w, h) = figure.size();
    let (pw, ph) = (w * scale, h * scale);
    let mut rgb = vec![0u8; pw as usize * ph as usize * 3];
    {
        let root = canvas::PngCanvas::new(&mut rgb, (w, h), scale).into_drawing_area();
        figure.draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&rgb, pw, ph).map_err(|e| e.to_string())
}

/// RGB pixels → PNG bytes.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Default);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_offsets_parse() {
        assert_eq!(ChartFormats::parse("png,svg").unwrap(), ChartFormats::default());
        assert!(!ChartFormats::parse("svg").unwrap().png);
        assert_eq!(ChartFormats::parse("none").unwrap(), ChartFormats::NONE);
        assert!(ChartFormats::parse("gif").is_err());
        assert!(ChartFormats::parse("png,none").is_err());
        assert_eq!(parse_offset("UTC"), Ok(0));
        assert_eq!(parse_offset("+02:00"), Ok(120));
        assert_eq!(parse_offset("-0530"), Ok(-330));
        assert_eq!(parse_offset("+9"), Ok(540));
        assert!(parse_offset("Europe/Paris").is_err());
        assert!(parse_offset("+25:00").is_err());
        assert_eq!(zone_name(-330), "UTC-05:30");
    }
}
