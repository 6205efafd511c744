//! Counted calls of one org by hour of day (rows) and date (columns): when the org is busy, at
//! a glance. Hours are UTC unless `--tz` gives a display offset.
//!
//! Render stage: draws [`HeatmapData`] summed from the Analysis' per-minute calls.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{self, HeatmapData};
use super::frame::{self, Drawn};
use super::style::{self, minute_time};
use super::Figure;
use crate::analysis::OrgReport;
use crate::usage::OrgSeries;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 600;
/// Room for the colour scale at the right.
const SCALE_WIDTH: u32 = 150;

/// The chart, ready to draw.
pub struct HeatmapChart {
    title: String,
    zone: String,
    data: HeatmapData,
}

impl HeatmapChart {
    /// Prepares the chart; `zone` places hours and dates for display.
    pub fn new(org: &OrgReport, series: &OrgSeries, zone: crate::render::zone::DisplayZone) -> Self {
        HeatmapChart {
            title: format!("Counted calls by hour and day — {}", data::org_name(org)),
            zone: zone.name(),
            data: data::heatmap(series, zone),
        }
    }
}

impl Figure for HeatmapChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let subtitle = format!(
            "Counted calls made in each hour ({}); darker is busier, grey is none",
            self.zone
        );
        frame::heading(root, &self.title, &subtitle)?;
        let body = root.margin(frame::HEADING, 0, 0, 0);
        let (plot_area, scale_area) = body.split_horizontally(WIDTH - SCALE_WIDTH);
        self.plot(&plot_area)?;
        colour_scale(&scale_area, self.data.max)
    }
}

impl HeatmapChart {
    fn plot<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        // Integer axes in half cells, so labels can sit at cell centres (key points on an f64
        // axis have no label formatter in plotters 0.3): column i spans 2i..2i+2, hour h
        // spans 2(23-h)..2(24-h), hour 0 at the top.
        let d = &self.data;
        let n = d.days.len() as i64;
        let day_keys = day_keys(d.days.len());
        let hour_keys: Vec<i64> = (0..24).step_by(3).map(|h| 2 * (23 - h) + 1).collect();
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(10)
            .margin_top(6)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (0..2 * n).with_key_points(day_keys),
                (0..48i64).with_key_points(hour_keys),
            )?;
        let fmt_x = |v: &i64| {
            let column = usize::try_from(v.div_euclid(2)).unwrap_or(0);
            d.dates
                .get(column)
                .map_or_else(String::new, |&day| day_label(day))
        };
        let fmt_y = |v: &i64| format!("{:02}:00", 23 - v.div_euclid(2));
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(RGBColor(0x99, 0x99, 0x99))
            .label_style(frame::axis_text())
            .axis_desc_style(frame::axis_desc())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(format!("date ({})", self.zone))
            .y_desc("hour of day")
            .draw()?;
        chart.draw_series(d.days.iter().enumerate().flat_map(|(i, hours)| {
            let x = 2 * i as i64;
            hours.iter().enumerate().map(move |(h, &calls)| {
                let y = 2 * (23 - h as i64);
                Rectangle::new([(x, y), (x + 2, y + 2)], shade(calls, d.max).filled())
            })
        }))?;
        Ok(())
    }
}

/// Date key points at column centres (half-cell units), at most about 14 labels.
pub fn day_keys(days: usize) -> Vec<i64> {
    let step = days.div_ceil(14).max(1);
    let step = [1, 2, 7, 14, 28, 56, 91]
        .into_iter()
        .find(|s| *s >= step)
        .unwrap_or(step);
    (0..days).step_by(step).map(|i| 2 * i as i64 + 1).collect()
}

/// `Nov 04` for a day index.
pub fn day_label(day: i64) -> String {
    minute_time(day * 1440).map_or_else(String::new, |t| t.format("%b %d").to_string())
}

/// Reversed viridis (light yellow for few calls → dark purple for many): ordered in lightness,
/// so it reads in grey scale and with colour-vision deficiencies.
const RAMP: [(u8, u8, u8); 5] = [
    (0xFD, 0xE7, 0x25),
    (0x5E, 0xC9, 0x62),
    (0x21, 0x91, 0x8C),
    (0x3B, 0x52, 0x8B),
    (0x44, 0x01, 0x54),
];
const NONE: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// The colour of `calls` on a linear scale up to `max` (a square-root scale was tried: it
/// pushed ordinary hours into the dark half, where they were hard to tell apart).
pub fn shade(calls: u64, max: u64) -> RGBColor {
    if calls == 0 || max == 0 {
        return NONE;
    }
    let t = (calls as f64 / max as f64).clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A vertical colour bar with the call counts of its top, middle and bottom.
fn colour_scale<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, max: u64) -> Drawn<DB> {
    let (x, top, height) = (16, 30, 300);
    let label = style::text(14).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw_text("calls per hour", &style::muted(15), (x - 4, top - 16))?;
    for i in 0..height {
        let share = 1.0 - f64::from(i) / f64::from(height);
        let calls = (share * max as f64).round() as u64;
        let c = shade(calls.max(u64::from(max > 0)), max);
        area.draw(&Rectangle::new([(x, top + i), (x + 22, top + i + 1)], c.filled()))?;
    }
    let marks = [(max, 0.0), (max / 2, 0.5), (1u64.min(max), 1.0)];
    for (calls, at) in marks {
        let y = top + (f64::from(height) * at).round() as i32;
        area.draw_text(&style::calls_label(calls as f64), &label, (x + 30, y))?;
    }
    area.draw(&Rectangle::new(
        [(x, top + height + 20), (x + 22, top + height + 34)],
        NONE.filled(),
    ))?;
    area.draw_text("none", &label, (x + 30, top + height + 27))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_light_to_dark_and_none_is_grey() {
        assert_eq!(shade(0, 10), NONE);
        assert_eq!(shade(10, 10), RGBColor(0x44, 0x01, 0x54));
        let lum = |c: RGBColor| 0.3 * f64::from(c.0) + 0.59 * f64::from(c.1) + 0.11 * f64::from(c.2);
        assert!(lum(shade(1, 100)) > lum(shade(50, 100)));
    }

    #[test]
    fn dates_get_at_most_about_fourteen_labels() {
        assert_eq!(day_keys(5), vec![1, 3, 5, 7, 9]);
        let keys = day_keys(90);
        assert_eq!(keys[1] - keys[0], 14);
        assert!(keys.len() <= 14);
    }
}
