//! The exact rolling-24h peak of each UTC day of one org, against the allocation lines: is
//! the org getting closer to its limit? (The capacity work adds its trend and forecast here.)
//!
//! Render stage: draws [`DailyData`] from the Analysis' per-day peaks.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{self, DailyData, Line, LineKind};
use super::frame::{self, Drawn, Swatch};
use super::heatmap;
use super::style::{self, okabe_ito};
use super::Figure;
use crate::analysis::{OrgReport, Overview};

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 440;
const LEGEND_WIDTH: u32 = 250;
/// Up to this many days each bar carries its value.
const LABELLED_DAYS: usize = 16;

/// The chart, ready to draw.
pub struct DailyChart {
    title: String,
    data: DailyData,
    shown: Vec<Line>,
    off: Vec<Line>,
    y_max: f64,
}

impl DailyChart {
    /// Prepares the chart of `org`.
    pub fn new(org: &OrgReport, data: DailyData, o: &Overview) -> Self {
        let top = data.days.iter().map(|d| d.1).max().unwrap_or(0) as f64;
        let lines = data::threshold_lines(org.allocation.calls, o.warn_share, o.chatty_share);
        let (shown, off, y_max) = data::fit_lines(lines, top);
        DailyChart {
            title: format!("Daily peak of rolling 24-hour usage — {}", data::org_name(org)),
            data,
            shown,
            off,
            y_max,
        }
    }

    fn subtitle(&self) -> String {
        let mut s = String::from("Highest rolling-24h usage reached during each UTC day");
        if self.data.partial.iter().any(|p| *p) {
            s.push_str("; pale bars are partial (lower bounds: the 24 h before are not in the logs)");
        }
        if !self.off.is_empty() {
            let names: Vec<&str> = self.off.iter().map(|l| l.label.as_str()).collect();
            s.push_str(&format!("; above this scale: {}", names.join(", ")));
        }
        s
    }

    /// Bar colour: vermillion at or over the allocation, orange from the warn share, else blue.
    fn colour(&self, calls: u64) -> RGBColor {
        let at_least = |kind| {
            self.shown
                .iter()
                .chain(&self.off)
                .any(|l| l.kind == kind && calls as f64 >= l.value)
        };
        if at_least(LineKind::Allocation) {
            okabe_ito::VERMILLION
        } else if at_least(LineKind::Warn) {
            okabe_ito::ORANGE
        } else {
            okabe_ito::BLUE
        }
    }

    fn legend(&self) -> Vec<(Swatch, String)> {
        let known = !self.shown.is_empty() || !self.off.is_empty();
        let first = if known { "below warn share" } else { "daily peak" };
        let mut entries = vec![(Swatch::Fill(okabe_ito::BLUE), first.to_string())];
        if known {
            entries.push((Swatch::Fill(okabe_ito::ORANGE), "at or over warn share".into()));
            entries.push((
                Swatch::Fill(okabe_ito::VERMILLION),
                "at or over allocation".into(),
            ));
        }
        entries.extend(frame::line_entries(&self.shown));
        entries
    }
}

impl Figure for DailyChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        frame::heading(root, &self.title, &self.subtitle())?;
        let body = root.margin(frame::HEADING, 0, 0, 0);
        let (plot_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
        frame::legend(&legend_area, (10, 30), &self.legend())?;
        self.plot(&plot_area)
    }
}

impl DailyChart {
    fn plot<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        // Days in half units on an integer axis (see the heatmap): day i spans 2i..2i+2.
        let days = &self.data.days;
        // Only days with calls are listed: bars stand side by side, labelled with their date.
        let n = days.len() as i64;
        let keys = heatmap::day_keys(days.len());
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(10)
            .margin_bottom(6)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d((0..2 * n).with_key_points(keys), 0f64..self.y_max)?;
        let fmt_x = |v: &i64| {
            let column = usize::try_from(v.div_euclid(2)).unwrap_or(0);
            days.get(column)
                .map_or_else(String::new, |d| heatmap::day_label(d.0))
        };
        let fmt_y = |v: &f64| style::axis_calls(*v, self.y_max);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(style::GRID)
            .light_line_style(WHITE)
            .axis_style(RGBColor(0x99, 0x99, 0x99))
            .label_style(frame::axis_text())
            .axis_desc_style(frame::axis_desc())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc("day (UTC)")
            .y_desc("peak calls in 24 h")
            .draw()?;
        // A bar takes most of its day but at most 56 px, so three days are not three walls.
        let day_px = chart.plotting_area().dim_in_pixel().0 / (n.max(1) as u32);
        let gap = (day_px.saturating_sub(56) / 2).max(2);
        let bar = |column: usize, calls: u64| {
            let x = 2 * column as i64;
            let partial = self.data.partial.get(column).copied().unwrap_or(false);
            let colour = self.colour(calls);
            let fill = if partial {
                colour.mix(0.35).filled()
            } else {
                colour.filled()
            };
            let mut r = Rectangle::new([(x, 0.0), (x + 2, calls as f64)], fill);
            r.set_margin(0, 0, gap, gap);
            r
        };
        chart.draw_series(days.iter().enumerate().map(|(i, &(_, calls))| bar(i, calls)))?;
        let plot = chart.plotting_area();
        let (base, inner) = (plot.get_base_pixel().1, plot.strip_coord_spec());
        for line in &self.shown {
            let y = plot.map_coordinate(&(0, line.value)).1 - base;
            frame::hline(&inner, y, line)?;
        }
        // Values last, on boxes, so lines never cross them.
        if days.len() <= LABELLED_DAYS {
            let above = style::text(14).pos(Pos::new(HPos::Center, VPos::Bottom));
            let (bx, by) = plot.get_base_pixel();
            for (column, &(_, calls)) in days.iter().enumerate().filter(|(_, d)| d.1 > 0) {
                let (x, y) = plot.map_coordinate(&(2 * column as i64 + 1, calls as f64));
                let label = style::calls_label(calls as f64);
                frame::boxed_text(&inner, &label, &above, (x - bx, y - by - 3))?;
            }
        }
        Ok(())
    }
}
