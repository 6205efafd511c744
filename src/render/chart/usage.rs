//! The rolling-24h usage chart of one org: its top integrations as stacked areas (the rest as
//! "other"), the org's usage as a line on top, the allocation, warn and chatty lines, and the
//! peak marked with its time and value.
//!
//! Render stage: draws [`UsageData`] built from the Analysis' per-minute series.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{self, Line, UsageData};
use super::frame::{self, Drawn, Swatch};
use super::style::{self, okabe_ito, GREY, INK, STACK};
use super::Figure;
use crate::analysis::{OrgReport, Overview};
use crate::usage::OrgSeries;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 540;
/// Room for the legend at the right.
const LEGEND_WIDTH: u32 = 290;

/// The chart, ready to draw.
pub struct UsageChart {
    title: String,
    data: Option<UsageData>,
    shown: Vec<Line>,
    off: Vec<Line>,
    y_max: f64,
    zone: crate::render::zone::DisplayZone,
}

impl UsageChart {
    /// Prepares the chart of `org` (its series is `None` when it has no counted calls).
    pub fn new(
        org: &OrgReport,
        series: Option<&OrgSeries>,
        o: &Overview,
        zone: crate::render::zone::DisplayZone,
    ) -> Self {
        let data = series.map(|s| data::usage(org, s));
        let top = data
            .as_ref()
            .and_then(|d| d.envelope.iter().max())
            .map_or(0.0, |m| *m as f64);
        let lines = data::threshold_lines(org.allocation.calls, o.warn_share, o.chatty_share);
        let (shown, off, y_max) = data::fit_lines(lines, top);
        UsageChart {
            title: format!("Rolling 24-hour API usage — {}", data::org_name(org)),
            data,
            shown,
            off,
            y_max,
            zone,
        }
    }

    fn subtitle(&self, unknown_allocation: bool) -> String {
        let mut s = format!(
            "Counted calls in the 24 hours up to each minute ({})",
            self.zone.name()
        );
        if let Some(d) = self.data.as_ref().filter(|d| d.per_point > 1) {
            s.push_str(&format!("; each point is the busiest of {} minutes", d.per_point));
        }
        if unknown_allocation {
            s.push_str("; allocation unknown, no limit lines");
        }
        if self.data.as_ref().is_some_and(|d| d.lower_bound_until.is_some()) {
            s.push_str("; shaded: lower bound (the 24 h before are not in the logs)");
        }
        if !self.off.is_empty() {
            let names: Vec<&str> = self.off.iter().map(|l| l.label.as_str()).collect();
            s.push_str(&format!("; above this scale: {}", names.join(", ")));
        }
        s
    }

    fn legend(&self, d: &UsageData) -> Vec<(Swatch, String)> {
        let mut entries: Vec<(Swatch, String)> = d
            .layers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, l)| (Swatch::Fill(layer_colour(d, i)), style::clip(&l.label, 30)))
            .collect();
        entries.push((Swatch::Line(INK, false), "org total".into()));
        entries.extend(frame::line_entries(&self.shown));
        entries
    }
}

fn layer_colour(d: &UsageData, i: usize) -> RGBColor {
    let is_other = i + 1 == d.layers.len() && d.layers[i].label == "other integrations";
    if is_other {
        GREY
    } else {
        STACK[i % STACK.len()]
    }
}

impl Figure for UsageChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let unknown = self.shown.is_empty() && self.off.is_empty();
        frame::heading(root, &self.title, &self.subtitle(unknown))?;
        let body = root.margin(frame::HEADING, 0, 0, 0);
        let Some(d) = &self.data else {
            return frame::empty_note(&body, "No counted calls in these logs for this org");
        };
        let (plot_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
        frame::legend(&legend_area, (10, 30), &self.legend(d))?;
        self.plot(&plot_area, d)
    }
}

impl UsageChart {
    fn plot<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, d: &UsageData) -> Drawn<DB> {
        let (from, to) = x_range(d);
        let step = style::time_step(to - from, 8);
        let ticks = style::time_ticks_in(from, to, step, self.zone);
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(10)
            .margin_bottom(6)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d((from..to).with_key_points(ticks), 0f64..self.y_max)?;
        let fmt_x = |m: &i64| style::time_label_in(*m, step, self.zone);
        let x_desc = format!("time ({})", self.zone.name());
        let fmt_y = |v: &f64| style::axis_calls(*v, self.y_max);
        chart
            .configure_mesh()
            .bold_line_style(style::GRID)
            .light_line_style(WHITE)
            .axis_style(MUTED_AXIS)
            .label_style(frame::axis_text())
            .axis_desc_style(frame::axis_desc())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(x_desc)
            .y_desc("calls in the previous 24 h")
            .draw()?;
        if let Some(until) = d.lower_bound_until.filter(|u| *u > from) {
            let shade = RGBColor(0xdd, 0xdd, 0xdd).mix(0.6).filled();
            chart.draw_series(std::iter::once(Rectangle::new(
                [(from, 0.0), (until.min(to), self.y_max)],
                shade,
            )))?;
        }
        stack(&mut chart, d)?;
        let envelope = d.x.iter().zip(&d.envelope).map(|(x, v)| (*x, *v as f64));
        chart.draw_series(LineSeries::new(step_points(d, envelope), INK.stroke_width(1)))?;
        let plot = chart.plotting_area();
        let base = plot.get_base_pixel().1;
        let inner = plot.strip_coord_spec();
        for line in &self.shown {
            let y = plot.map_coordinate(&(from, line.value)).1 - base;
            frame::hline(&inner, y, line)?;
        }
        peak(plot, d)
    }
}

const MUTED_AXIS: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// The x range in minutes: the series plus its last minute, at least an hour wide so a single
/// call still gets readable ticks.
fn x_range(d: &UsageData) -> (i64, i64) {
    let from = d.x.first().copied().unwrap_or(0);
    let to = d.x.last().copied().unwrap_or(0) + d.per_point;
    if to - from >= 60 {
        (from, to)
    } else {
        let pad = (60 - (to - from)) / 2;
        (from - pad, to + pad)
    }
}

/// Points of one series drawn as steps: each value holds until the next point.
fn step_points(d: &UsageData, points: impl Iterator<Item = (i64, f64)>) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(d.x.len() * 2);
    for (x, v) in points {
        if let Some(&(_, prev)) = out.last() {
            out.push((x, prev));
        }
        out.push((x, v));
    }
    if let Some(&(_, last)) = out.last() {
        out.push((d.x.last().copied().unwrap_or(0) + d.per_point, last));
    }
    out
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi64>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// The layers as polygons between their lower and upper bounds, bottom first.
fn stack<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, d: &UsageData) -> Drawn<DB> {
    let mut lower = vec![0u64; d.x.len()];
    for (i, layer) in d.layers.iter().enumerate() {
        let upper: Vec<u64> = lower.iter().zip(&layer.values).map(|(a, b)| a + b).collect();
        let top = step_points(d, d.x.iter().zip(&upper).map(|(x, v)| (*x, *v as f64)));
        let mut bottom = step_points(d, d.x.iter().zip(&lower).map(|(x, v)| (*x, *v as f64)));
        bottom.reverse();
        let outline: Vec<(i64, f64)> = top.into_iter().chain(bottom).collect();
        let colour = layer_colour(d, i);
        chart.draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.85).filled())))?;
        lower = upper;
    }
    Ok(())
}

/// The peak: a ring on the curve and its label, placed on the side with more room.
fn peak<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (i64, f64)>>(
    plot: &DrawingArea<DB, CT>,
    d: &UsageData,
) -> Drawn<DB> {
    let Some(p) = &d.peak else { return Ok(()) };
    let (x, y) = plot.map_coordinate(&(p.minute, p.calls as f64));
    let (bx, by) = plot.get_base_pixel();
    let (w, _) = plot.dim_in_pixel();
    let inner = plot.strip_coord_spec();
    let (x, y) = (x - bx, y - by);
    inner.draw(&Circle::new((x, y), 6, okabe_ito::VERMILLION.stroke_width(3)))?;
    let right_half = x > w as i32 / 2;
    let (h, dx) = if right_half {
        (HPos::Right, -10)
    } else {
        (HPos::Left, 10)
    };
    let label = style::text(16).pos(Pos::new(h, VPos::Bottom));
    frame::boxed_text(&inner, &p.label, &label, (x + dx, (y - 6).max(18)))
}
