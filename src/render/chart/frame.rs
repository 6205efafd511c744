//! Parts every chart shares: the white page with its title and subtitle, legends, threshold
//! lines and axis styling. Generic over the plotters backend, so PNG and SVG are drawn by the
//! same code.
//!
//! Render stage: drawing helpers only.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Line, LineKind};
use super::style::{self, okabe_ito, INK, MUTED};

/// What a drawing returns: plotters' error for the backend in use.
pub type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Height of the title and subtitle band at the top of every chart (room for two subtitle
/// lines).
pub const HEADING: u32 = 86;

/// Clears the page and writes the title and the subtitle, on two lines when one would run off
/// the chart (broken after a `;`, so no clause is cut).
pub fn heading<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, subtitle: &str) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let top_left = Pos::new(HPos::Left, VPos::Top);
    root.draw_text(title, &style::title().pos(top_left), (20, 12))?;
    let text = style::muted(15).pos(top_left);
    let room = root.dim_in_pixel().0.saturating_sub(40);
    let fits = |s: &str| root.estimate_text_size(s, &text).is_ok_and(|(w, _)| w <= room);
    let (first, second) = split_to_fit(subtitle, fits);
    root.draw_text(first, &text, (20, 45))?;
    match second {
        Some(rest) => root.draw_text(rest, &text, (20, 64)),
        None => Ok(()),
    }
}

/// `text` whole when it fits, else the longest part up to a `;` that fits and the rest.
fn split_to_fit(text: &str, fits: impl Fn(&str) -> bool) -> (&str, Option<&str>) {
    if fits(text) {
        return (text, None);
    }
    let cuts = text.rmatch_indices("; ").map(|(i, _)| i);
    for cut in cuts {
        if fits(&text[..=cut]) {
            return (&text[..=cut], Some(&text[cut + 2..]));
        }
    }
    (text, None)
}

/// A legend entry's sample mark.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A filled square (areas, bars).
    Fill(RGBColor),
    /// A short line, dashed or solid.
    Line(RGBColor, bool),
}

/// Height of one legend row.
pub const LEGEND_ROW: i32 = 25;

/// Draws legend rows top-down from `(x, y)`.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    entries: &[(Swatch, String)],
) -> Drawn<DB> {
    for (row, (swatch, label)) in entries.iter().enumerate() {
        let cy = y + row as i32 * LEGEND_ROW;
        sample(area, *swatch, (x, cy))?;
        area.draw_text(label, &style::text(15), (x + 24, cy))?;
    }
    Ok(())
}

fn sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, cy): (i32, i32),
) -> Drawn<DB> {
    match swatch {
        Swatch::Fill(c) => area.draw(&Rectangle::new([(x, cy - 6), (x + 16, cy + 6)], c.filled())),
        Swatch::Line(c, dashed) => {
            let style = c.stroke_width(2);
            if dashed {
                area.draw(&PathElement::new(vec![(x, cy), (x + 6, cy)], style))?;
                area.draw(&PathElement::new(vec![(x + 10, cy), (x + 16, cy)], style))
            } else {
                area.draw(&PathElement::new(vec![(x, cy), (x + 16, cy)], style))
            }
        }
    }
}

/// Colour and dash of an allocation line: solid deep red at 100 %, dashed vermillion at the
/// warn share, dashed black at the chatty share.
pub fn line_look(kind: LineKind) -> (RGBColor, bool) {
    match kind {
        LineKind::Allocation => (super::style::LIMIT, false),
        LineKind::Warn => (okabe_ito::VERMILLION, true),
        LineKind::Chatty => (okabe_ito::BLACK, true),
    }
}

/// Legend entries of the lines.
pub fn line_entries(lines: &[Line]) -> Vec<(Swatch, String)> {
    lines
        .iter()
        .map(|l| {
            let (c, dashed) = line_look(l.kind);
            (Swatch::Line(c, dashed), l.label.clone())
        })
        .collect()
}

/// A horizontal line across the plotting area at `y` (in data units), dashed or solid, with
/// its label right-aligned just above it.
pub fn hline<DB: DrawingBackend>(plot: &DrawingArea<DB, Shift>, y_px: i32, line: &Line) -> Drawn<DB> {
    let (c, dashed) = line_look(line.kind);
    let (w, _) = plot.dim_in_pixel();
    let w = w as i32;
    let style = c.stroke_width(if dashed { 1 } else { 2 });
    if dashed {
        let dashes = (0..w)
            .step_by(12)
            .map(|x| vec![(x, y_px), ((x + 7).min(w), y_px)]);
        for d in dashes {
            plot.draw(&PathElement::new(d, style))?;
        }
    } else {
        plot.draw(&PathElement::new(vec![(0, y_px), (w, y_px)], style))?;
    }
    let label = style::text(14).color(&c).pos(Pos::new(HPos::Right, VPos::Bottom));
    boxed_text(plot, &line.label, &label, (w - 6, y_px - 3))
}

/// Text on a translucent white box, so it stays readable over areas, bars and lines.
pub fn boxed_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    (x, y): (i32, i32),
) -> Drawn<DB> {
    let (w, h) = area.estimate_text_size(text, style)?;
    let (w, h) = (w as i32 + 6, h as i32 + 4);
    let left = match style.pos.h_pos {
        HPos::Left => x - 3,
        HPos::Center => x - w / 2,
        HPos::Right => x - w + 3,
    };
    let top = match style.pos.v_pos {
        VPos::Top => y - 2,
        VPos::Center => y - h / 2,
        VPos::Bottom => y - h + 2,
    };
    area.draw(&Rectangle::new(
        [(left, top), (left + w, top + h)],
        WHITE.mix(0.85).filled(),
    ))?;
    area.draw_text(text, style, (x, y))
}

/// A message in the middle of an area, for charts without data.
pub fn empty_note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Drawn<DB> {
    let (w, h) = area.dim_in_pixel();
    let centre = style::text(18)
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Rectangle::new(
        [(20, 10), (w as i32 - 20, h as i32 - 10)],
        style::GRID.stroke_width(1),
    ))?;
    area.draw_text(text, &centre, (w as i32 / 2, h as i32 / 2))
}

/// Axis label text.
pub fn axis_text() -> TextStyle<'static> {
    TextStyle::from((style::FONT, 15)).color(&INK)
}

/// Axis description text.
pub fn axis_desc() -> TextStyle<'static> {
    TextStyle::from((style::FONT, 15)).color(&MUTED)
}

#[cfg(test)]
mod tests {
    use super::split_to_fit;

    #[test]
    fn a_long_subtitle_breaks_after_the_last_clause_that_fits() {
        let fits = |s: &str| s.len() <= 12;
        assert_eq!(split_to_fit("short", fits), ("short", None));
        assert_eq!(
            split_to_fit("aaaa; bbbb; cccc", fits),
            ("aaaa; bbbb;", Some("cccc"))
        );
        assert_eq!(
            split_to_fit("no-break-here-at-all", fits),
            ("no-break-here-at-all", None)
        );
    }
}
