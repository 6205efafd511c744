//! Text from logs made safe to show: the one sanitiser for every place apiusage echoes file
//! contents to a terminal or a log (`top`, `schema`, file-error reasons on stderr).
//!
//! A crafted file can carry terminal escape sequences (retitle, clear the screen), newlines
//! that forge extra output lines, or bidirectional overrides that make text read backwards.
//! This module sits beside `model`, upstream of everything.

/// Log text made safe for a terminal: control characters (C0 and C1, so ESC, BEL, CR and
/// newlines, and DEL) and bidirectional overrides become spaces.
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
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_become_spaces() {
        assert_eq!(clean("a\x1b]0;x\x07b\r\u{85}c\u{202E}d\u{7f}"), "a ]0;x b  c d ");
    }
}
