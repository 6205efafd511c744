//! Integrations of one org ranked by their own rolling-24h peak as a share of the allocation:
//! horizontal bars, chatty ones highlighted, the chatty threshold drawn. Without a known
//! allocation the bars are in calls and there is no threshold.
//!
//! Render stage: draws [`BarsData`] built from the Analysis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{self, Bar, BarsData};
use super::frame::{self, Drawn};
use super::style::{self, okabe_ito, INK};
use super::Figure;
use crate::analysis::{OrgReport, Overview};
use crate::text::thousands;

const WIDTH: u32 = 1200;
const ROW: u32 = 30;
/// Room for the integration names left of the bars.
const NAMES: u32 = 300;

/// The chart, ready to draw.
pub struct BarsChart {
    title: String,
    data: BarsData,
}

impl BarsChart {
    /// Prepares the chart of `org`.
    pub fn new(org: &OrgReport, o: &Overview) -> Self {
        BarsChart {
            title: format!("Integrations by own 24-hour peak — {}", data::org_name(org)),
            data: data::bars(org, o),
        }
    }

    fn subtitle(&self) -> String {
        let mut s = match self.data.threshold {
            Some(t) => format!(
                "Each integration's own rolling-24h peak as a share of the allocation; \
                 vermillion = chatty (≥ {:.0} %)",
                t * 100.0
            ),
            None => "Each integration's own rolling-24h peak in calls (allocation unknown)".into(),
        };
        if let Some(t) = self.far_threshold() {
            s.push_str(&format!(
                "; the scale follows the data (the {:.0} % chatty line is far to the right)",
                t * 100.0
            ));
        }
        if self.data.more > 0 {
            s.push_str(&format!("; {} more not shown", self.data.more));
        }
        s
    }

    fn data_max(&self) -> f64 {
        self.data.bars.iter().map(|b| b.value).fold(0.0, f64::max)
    }

    /// The chatty threshold when every bar is below a quarter of it: drawing it would squash
    /// every bar against the axis, so the scale follows the data and the subtitle says why.
    fn far_threshold(&self) -> Option<f64> {
        self.data.threshold.filter(|t| self.data_max() < t / 4.0)
    }

    /// The threshold drawn on the chart, when it is not far off.
    fn drawn_threshold(&self) -> Option<f64> {
        self.data.threshold.filter(|_| self.far_threshold().is_none())
    }

    fn x_max(&self) -> f64 {
        let top = self.data_max().max(self.drawn_threshold().unwrap_or(0.0));
        // Room right of the longest bar for its value label.
        if top > 0.0 {
            top * 1.3
        } else {
            1.0
        }
    }
}

impl Figure for BarsChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.data.bars.len().max(1) as u32;
        (WIDTH, frame::HEADING + 70 + ROW * rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        frame::heading(root, &self.title, &self.subtitle())?;
        let body = root.margin(frame::HEADING, 0, 0, 0);
        if self.data.bars.is_empty() {
            return frame::empty_note(&body, "No integration made counted calls");
        }
        self.plot(&body)
    }
}

impl BarsChart {
    fn plot<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let n = self.data.bars.len();
        // Rows in hundredths, so bars can be thinner than a row on an integer axis (key points
        // on an f64 axis have no label formatter in plotters 0.3).
        let rows: Vec<i64> = (0..n as i64).map(|i| i * 100).collect();
        let shares = self.data.shares;
        let mut chart = ChartBuilder::on(area)
            .margin_right(20)
            .margin_top(28)
            .x_label_area_size(46)
            .y_label_area_size(NAMES)
            .build_cartesian_2d(
                0f64..self.x_max(),
                (-50..n as i64 * 100 - 50).with_key_points(rows),
            )?;
        let top = self.x_max();
        let fmt_x = |v: &f64| x_label(*v, shares, top);
        let fmt_y = |v: &i64| name_of(&self.data.bars, *v);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(style::GRID)
            .light_line_style(WHITE)
            .axis_style(RGBColor(0x99, 0x99, 0x99))
            .label_style(frame::axis_text())
            .axis_desc_style(frame::axis_desc())
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(if shares {
                "own rolling-24h peak, % of the allocation"
            } else {
                "own rolling-24h peak, calls"
            })
            .draw()?;
        let row = |i: usize| (n - 1 - i) as i64 * 100;
        chart.draw_series(self.data.bars.iter().enumerate().map(|(i, b)| {
            Rectangle::new([(0.0, row(i) - 32), (b.value, row(i) + 32)], colour(b).filled())
        }))?;
        let value_style = style::text(15).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(
            self.data
                .bars
                .iter()
                .enumerate()
                .map(|(i, b)| Text::new(value_label(b, shares), (b.value, row(i)), value_style.clone())),
        )?;
        if let Some(t) = self.drawn_threshold() {
            threshold(area, chart.plotting_area(), t)?;
        }
        Ok(())
    }
}

fn colour(b: &Bar) -> RGBColor {
    if b.chatty {
        okabe_ito::VERMILLION
    } else {
        okabe_ito::BLUE
    }
}

fn x_label(v: f64, shares: bool, top: f64) -> String {
    if shares {
        // Decimals as the scale needs them: a chart whose scale follows small shares ticks
        // at 0.2 %, not at a row of "0 %".
        let decimals = match top * 100.0 {
            t if t >= 20.0 => 0,
            t if t >= 2.0 => 1,
            _ => 2,
        };
        format!("{:.*} %", decimals, v * 100.0)
    } else {
        style::axis_calls(v, top)
    }
}

/// The bar label for a y key point (rows are drawn top = first).
fn name_of(bars: &[Bar], y: i64) -> String {
    let rank = bars.len() as i64 - 1 - y.div_euclid(100);
    usize::try_from(rank)
        .ok()
        .and_then(|r| bars.get(r))
        .map_or_else(String::new, |b| style::clip(&b.label, 38))
}

fn value_label(b: &Bar, shares: bool) -> String {
    // Leading spaces keep the text off the bar's end in both backends.
    if shares {
        format!("  {} · {} calls", style::pct(b.value), thousands(b.calls))
    } else {
        format!("  {} calls", thousands(b.calls))
    }
}

/// The chatty threshold: a dashed vertical line, labelled above the plot (`body` is the area
/// the chart was built on).
fn threshold<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, i64)>>(
    body: &DrawingArea<DB, Shift>,
    plot: &DrawingArea<DB, CT>,
    t: f64,
) -> Drawn<DB> {
    let (px, py) = plot.get_base_pixel();
    let x = plot.map_coordinate(&(t, 0)).0 - px;
    let inner = plot.strip_coord_spec();
    let (_, h) = inner.dim_in_pixel();
    for y in (0..h as i32).step_by(10) {
        let dash = vec![(x, y), (x, (y + 6).min(h as i32))];
        inner.draw(&PathElement::new(dash, okabe_ito::BLACK.stroke_width(1)))?;
    }
    let (bx, by) = body.get_base_pixel();
    let label = style::text(15)
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let text = format!("chatty ≥ {:.0} %", t * 100.0);
    body.draw_text(&text, &label, (px - bx + x, py - by - 6))
}
