//! How apiusage writes values as text, in one place: numbers with thousands separators,
//! shares, counts with their noun, RFC 3339 times, and log text made safe to show.
//!
//! [`clean`] is the one sanitiser for every place apiusage echoes file contents to a terminal
//! or a log (`top`, `schema`, file-error reasons on stderr): a crafted file can carry terminal
//! escape sequences (retitle, clear the screen), newlines that forge extra output lines, or
//! bidirectional overrides that make text read backwards.
//!
//! This module sits beside `model`, upstream of everything.

use crate::model::Millis;

/// UTC ms → `2026-11-02T10:00:00.000Z` (RFC 3339, UTC, milliseconds).
pub fn rfc3339(ms: Millis) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// `1 whole day`, `3 whole days`: a count with its noun, never "day(s)". `noun` is singular.
pub fn count_of(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", thousands(n))
    }
}

/// `115000` → `115,000`, as Salesforce's documentation and the reports write numbers.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part ÷ whole`, or `None` when `whole` is unknown or zero.
pub fn share(part: u64, whole: Option<u64>) -> Option<f64> {
    whole.filter(|w| *w > 0).map(|w| part as f64 / w as f64)
}

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
