//! The column layout and colour of `top`'s table (render stage, stdout only).
//!
//! A line is a list of cells, each plain text with an optional style; the line is clipped to
//! the terminal's width on the plain text first and painted after, so escape sequences never
//! count as columns and are never cut in half. Colour is decided by the caller
//! ([`crate::term::Terminal`]); this module only obeys the flag.

use std::fmt::Write;

/// A style: the SGR parameters of an ANSI escape (`1;31` is bold red).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style(&'static str);

/// Over the allocation.
pub const RED: Style = Style("1;31");
/// Near the limit, chatty.
pub const YELLOW: Style = Style("33");
/// Fine.
pub const GREEN: Style = Style("32");
/// Cannot be judged (allocation unknown).
pub const DIM: Style = Style("2");
/// Headings.
pub const BOLD: Style = Style("1");

/// One cell of a line.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    style: Option<Style>,
}

impl Cell {
    /// Unstyled text.
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            style: None,
        }
    }

    /// Text in `style` (when colour is on).
    pub fn styled(text: impl Into<String>, style: Option<Style>) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

/// Column widths of the integration table for one terminal width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The whole line.
    pub width: usize,
    /// The label column.
    pub label: usize,
    /// The top-resource column; 0 when the terminal is too narrow to show it.
    pub resource: usize,
}

/// Rank, own peak, share, calls in the org's peak window, status: fixed widths.
pub const RANK: usize = 3;
/// Own peak.
pub const PEAK: usize = 9;
/// Share of the allocation (`100.0 %`).
pub const SHARE: usize = 7;
/// Calls in the org's peak window.
pub const IN_PEAK: usize = 9;
/// `chatty`.
pub const STATUS: usize = 6;
/// Before every line of an org block.
pub const INDENT: &str = "  ";
/// Between columns.
pub const GAP: &str = "  ";

// A label or a resource template narrower than this is not recognisable.
const MIN_TEXT: usize = 12;
// Wider labels only waste room the resource needs.
const MAX_LABEL: usize = 28;

impl Layout {
    /// Splits what the fixed columns leave between the label and the resource: three fifths
    /// to the label, at most [`MAX_LABEL`]; the resource is left out when it would get under 12.
    pub fn for_width(width: usize) -> Layout {
        let fixed = INDENT.len() + RANK + PEAK + SHARE + IN_PEAK + STATUS + 6 * GAP.len();
        let rest = width.saturating_sub(fixed);
        if rest < 2 * MIN_TEXT {
            // No resource column: its gap goes to the label.
            let label = (rest + GAP.len()).max(MIN_TEXT);
            return Layout {
                width,
                label,
                resource: 0,
            };
        }
        // Labels say who it is; a resource template is still recognisable when shorter.
        let label = (rest * 3 / 5).clamp(MIN_TEXT, MAX_LABEL);
        Layout {
            width,
            label,
            resource: rest - label,
        }
    }
}

/// Appends the cells as one line: clipped to `width` visible characters (the last one `…`
/// when cut), trailing blanks dropped, painted when `color`.
pub fn push_line(out: &mut String, cells: &[Cell], width: usize, color: bool) {
    let plain: String = cells.iter().map(|c| c.text.as_str()).collect();
    let mut budget = if plain.trim_end().chars().count() > width {
        width.saturating_sub(1)
    } else {
        usize::MAX
    };
    let mut pieces: Vec<(String, Option<Style>)> = Vec::new();
    for cell in cells {
        let n = cell.text.chars().count();
        let mut text: String = cell.text.chars().take(budget).collect();
        budget = budget.saturating_sub(n);
        let cut = text.chars().count() < n;
        if cut {
            text.push('…');
        }
        pieces.push((text, cell.style));
        if cut {
            break;
        }
    }
    trim_trailing_blanks(&mut pieces);
    for (text, style) in pieces {
        match (color, style) {
            (true, Some(Style(sgr))) if !text.trim().is_empty() => {
                let _ = write!(out, "\x1b[{sgr}m{text}\x1b[0m");
            }
            _ => out.push_str(&text),
        }
    }
    out.push('\n');
}

fn trim_trailing_blanks(pieces: &mut Vec<(String, Option<Style>)>) {
    while let Some((text, _)) = pieces.last_mut() {
        let kept = text.trim_end().len();
        text.truncate(kept);
        if !text.is_empty() {
            break;
        }
        pieces.pop();
    }
}

/// Exactly `width` characters: cut with `…`, or padded with spaces.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return format!("{s:<width$}");
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(cells: &[Cell], width: usize, color: bool) -> String {
        let mut out = String::new();
        push_line(&mut out, cells, width, color);
        out
    }

    #[test]
    fn the_columns_fill_the_width_and_split_the_rest() {
        let fixed = INDENT.len() + RANK + PEAK + SHARE + IN_PEAK + STATUS + 6 * GAP.len();
        for width in [80, 100, 120, 200] {
            let l = Layout::for_width(width);
            assert_eq!(fixed + l.label + l.resource, width, "{l:?}");
            assert!(l.label <= MAX_LABEL && l.resource >= MIN_TEXT, "{l:?}");
        }
        assert_eq!(Layout::for_width(60).resource, 0);
    }

    #[test]
    fn a_long_line_is_cut_on_its_text_and_painted_after() {
        let cells = [
            Cell::plain("ab "),
            Cell::styled("chatty", Some(RED)),
            Cell::plain(" tail"),
        ];
        assert_eq!(render(&cells, 20, false), "ab chatty tail\n");
        assert_eq!(render(&cells, 20, true), "ab \x1b[1;31mchatty\x1b[0m tail\n");
        assert_eq!(render(&cells, 7, false), "ab cha…\n");
        assert_eq!(render(&cells, 7, true), "ab \x1b[1;31mcha…\x1b[0m\n");
    }

    #[test]
    fn trailing_blanks_are_dropped_and_styles_skip_blank_cells() {
        let cells = [
            Cell::plain("a"),
            Cell::styled("   ", Some(RED)),
            Cell::plain("  "),
        ];
        assert_eq!(render(&cells, 20, true), "a\n");
    }

    #[test]
    fn fit_cuts_with_an_ellipsis_and_pads() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
