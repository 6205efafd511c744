//! Plain-text formatters shared by the Markdown and HTML renderers (render stage), so both
//! write shares and peak changes the same way. Callers escape for their markup.

use crate::analysis::PeakView;
use crate::model::thousands;

/// A share as `85.0 %`, or `–` when unknown.
pub fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
}

/// `12,753 → 5,382 (85.0 % → 35.9 %)`; shares only when the allocation is known.
pub fn peak_change(before: &Option<PeakView>, after: &Option<PeakView>) -> String {
    let calls = |p: &Option<PeakView>| thousands(p.as_ref().map_or(0, |p| p.calls));
    let share = |p: &Option<PeakView>| p.as_ref().and_then(|p| p.share_of_allocation);
    let change = format!("{} → {}", calls(before), calls(after));
    match share(before) {
        Some(_) => format!(
            "{change} ({} → {})",
            pct(share(before)),
            pct(Some(share(after).unwrap_or(0.0)))
        ),
        None => change,
    }
}

/// Log text made safe for a terminal (stdout tables, every stderr line): control characters
/// (ESC, BEL, CR, newlines, all of C0 and C1) and bidirectional controls become spaces, so a
/// crafted file can neither move the cursor, retitle or clear the terminal, nor reorder what
/// is shown.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn terminal_controls_become_spaces() {
        assert_eq!(
            clean("a\x1b]0;title\x07b\rc\u{9b}d\u{2067}e"),
            "a ]0;title b c d e"
        );
    }
}
