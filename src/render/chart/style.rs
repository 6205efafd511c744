//! The look shared by every chart: the embedded font, the colour-blind-safe palette, text
//! styles, number and UTC time labels, and tick positions on a time axis.
//!
//! Render stage: pure helpers, no data of their own.

use std::sync::Once;

use chrono::{DateTime, Utc};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, RGBColor, TextStyle};

use crate::text::thousands;
use crate::window::MINUTE_MS;

/// The font family every chart names. The embedded font is registered under it, so plotters
/// never asks the system (no fontconfig); SVG viewers render it with their own sans-serif.
pub const FONT: &str = "sans-serif";

/// Roboto Regular (Apache-2.0, `assets/fonts/LICENSE-Roboto.txt`), compiled into the binary so
/// PNG charts look the same on every machine.
pub static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/Roboto-Regular.ttf");

/// Registers the embedded font once per process. A failure surfaces later as a drawing error
/// ("font unavailable") of the chart, never as a panic.
pub fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
pub mod okabe_ito {
    use plotters::style::RGBColor;

    /// Black.
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
}

/// Stacked-area colours, bottom layer first; the darkest first so the busiest integration
/// stands out.
pub const STACK: [RGBColor; 6] = [
    okabe_ito::BLUE,
    okabe_ito::ORANGE,
    okabe_ito::GREEN,
    okabe_ito::PURPLE,
    okabe_ito::SKY_BLUE,
    okabe_ito::YELLOW,
];

/// "Other" integrations and other de-emphasised marks.
pub const GREY: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
/// The allocation line: a deep red no stacked series uses, so it is never mistaken for the
/// org-total line (thin, black) in the legend or the plot.
pub const LIMIT: RGBColor = RGBColor(0xB2, 0x18, 0x2B);

/// Axis text and captions.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text.
pub const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// Title text.
pub fn title() -> TextStyle<'static> {
    TextStyle::from((FONT, 25)).color(&INK)
}

/// Ordinary text (axis labels, legend), anchored at its left and vertical centre.
pub fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size))
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Secondary text, anchored at its left and vertical centre.
pub fn muted(size: u32) -> TextStyle<'static> {
    text(size).color(&MUTED)
}

/// Cuts a label to `max` characters with an ellipsis, so legends and bar labels keep their
/// room whatever the logs call an integration.
pub fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Calls for a label: `12,500`, or `1.25 M` from a million on (short enough for an axis).
pub fn calls_label(v: f64) -> String {
    if v.abs() >= 1_000_000.0 {
        millions(v)
    } else {
        thousands(v.max(0.0).round() as u64)
    }
}

/// A tick on a calls axis whose top is `top`: one unit for the whole axis, so ticks never mix
/// `800,000` and `1 M`.
pub fn axis_calls(v: f64, top: f64) -> String {
    if top >= 1_000_000.0 && v != 0.0 {
        millions(v)
    } else {
        calls_label(v)
    }
}

/// `1.25 M`, `0.8 M`, `2 M`.
fn millions(v: f64) -> String {
    let s = format!("{:.2}", v / 1_000_000.0);
    format!("{} M", s.trim_end_matches('0').trim_end_matches('.'))
}

/// A share as a percentage label: `62.5 %`, or `0.04 %` below one per cent so small shares
/// do not all read `0.0 %`.
pub fn pct(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

/// UTC time of a minute index.
pub fn minute_time(minute: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(minute.saturating_mul(MINUTE_MS))
}

/// `Nov 04 23:00` (or `Nov 04` for day ticks) for a minute index.
pub fn time_label(minute: i64, step_minutes: i64) -> String {
    let fmt = if step_minutes >= 1440 {
        "%b %d"
    } else {
        "%b %d %H:%M"
    };
    minute_time(minute).map_or_else(String::new, |t| t.format(fmt).to_string())
}

/// [`time_label`] in the display zone: the offset at that minute, so labels read as local clock
/// times on either side of a summer-time change.
pub fn time_label_in(minute: i64, step_minutes: i64, zone: crate::render::zone::DisplayZone) -> String {
    let offset = i64::from(zone.offset_minutes_at(minute.saturating_mul(MINUTE_MS)));
    time_label(minute.saturating_add(offset), step_minutes)
}

/// [`time_ticks`] on round local clock times (at the zone's offset at `from`).
pub fn time_ticks_in(from: i64, to: i64, step: i64, zone: crate::render::zone::DisplayZone) -> Vec<i64> {
    let offset = i64::from(zone.offset_minutes_at(from.saturating_mul(MINUTE_MS)));
    time_ticks(from + offset, to + offset, step)
        .into_iter()
        .map(|t| t - offset)
        .collect()
}

/// Tick steps in minutes, from 10 minutes to 4 weeks; each divides a day or is whole days, so
/// ticks fall on round clock times.
const STEPS: [i64; 14] = [
    10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10080, 20160, 40320,
];

/// The smallest round step that gives at most `max_ticks` ticks over `span` minutes.
pub fn time_step(span: i64, max_ticks: i64) -> i64 {
    let wanted = span.max(1) / max_ticks.max(1);
    STEPS
        .into_iter()
        .find(|s| *s >= wanted)
        .unwrap_or(STEPS[STEPS.len() - 1])
}

/// Tick minutes: the multiples of `step` (counted from a UTC midnight) inside `from..=to`.
pub fn time_ticks(from: i64, to: i64, step: i64) -> Vec<i64> {
    let first = from.div_euclid(step) * step;
    let first = if first < from { first + step } else { first };
    (0..).map(|i| first + i * step).take_while(|m| *m <= to).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_clock_times_inside_the_range() {
        let day = 20_000 * 1440;
        assert_eq!(time_step(1440, 8), 180);
        assert_eq!(time_ticks(day + 5, day + 400, 180), vec![day + 180, day + 360]);
        assert_eq!(time_label(day + 180, 180), "Oct 04 03:00");
        assert_eq!(time_label(day, 1440), "Oct 04");
    }

    #[test]
    fn long_labels_are_clipped_and_numbers_are_short() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(calls_label(12_500.0), "12,500");
        assert_eq!(calls_label(1_250_000.0), "1.25 M");
        assert_eq!(calls_label(2_000_000.0), "2 M");
        assert_eq!(calls_label(1_500_000.0), "1.5 M");
        assert_eq!(axis_calls(800_000.0, 1_100_000.0), "0.8 M");
        assert_eq!(axis_calls(0.0, 1_100_000.0), "0");
        assert_eq!(axis_calls(800_000.0, 900_000.0), "800,000");
    }
}
