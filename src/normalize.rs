//! Field-level normalisation rules (SPEC.md §2.4) that every reader applies while it parses:
//! timestamps to UTC milliseconds, Salesforce ids to their 15-character form, booleans,
//! numbers, and resources to templates.
//!
//! These are pure functions over bytes, upstream of every reader in `ingest`, so CSV and
//! Parquet inputs normalise identically. They are on the per-row hot path: no allocation unless
//! a value actually has to change.

use std::borrow::Cow;

use crate::model::Millis;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampError {
    /// Both timestamp fields are empty.
    Missing,
    /// Present but in no accepted form (e.g. a spreadsheet's `2.01308E+13`).
    Unparseable,
}

/// Reads a row's time: `TIMESTAMP_DERIVED` when present, else `TIMESTAMP`.
///
/// Accepted forms: `yyyyMMddHHmmss[.SSS]` (GMT) and ISO 8601 with `Z` or a numeric offset.
pub fn row_timestamp(derived: &[u8], raw: &[u8]) -> Result<Millis, TimestampError> {
    let derived = derived.trim_ascii();
    let raw = raw.trim_ascii();
    if !derived.is_empty() {
        if let Some(ms) = parse_timestamp(derived) {
            return Ok(ms);
        }
    }
    if raw.is_empty() {
        return Err(if derived.is_empty() {
            TimestampError::Missing
        } else {
            TimestampError::Unparseable
        });
    }
    parse_timestamp(raw).ok_or(TimestampError::Unparseable)
}

/// Parses one timestamp in any accepted form.
pub fn parse_timestamp(s: &[u8]) -> Option<Millis> {
    if s.len() >= 14 && s[..14].iter().all(u8::is_ascii_digit) {
        parse_compact(s)
    } else {
        parse_iso(s)
    }
}

/// `yyyyMMddHHmmss[.S…]`, always GMT.
fn parse_compact(s: &[u8]) -> Option<Millis> {
    let date = civil(num(&s[0..4])?, num(&s[4..6])?, num(&s[6..8])?)?;
    let secs = clock(num(&s[8..10])?, num(&s[10..12])?, num(&s[12..14])?)?;
    let millis = match &s[14..] {
        [] => 0,
        [b'.', frac @ ..] => fraction_ms(frac)?,
        _ => return None,
    };
    Some(date * 86_400_000 + secs * 1000 + millis)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff…](Z|±HH[:]MM)`; a missing zone is taken as UTC.
fn parse_iso(s: &[u8]) -> Option<Millis> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let date = civil(num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?)?;
    let secs = clock(num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?)?;
    let rest = &s[19..];
    let frac_len = if rest.first() == Some(&b'.') {
        1 + rest[1..].iter().take_while(|b| b.is_ascii_digit()).count()
    } else {
        0
    };
    let millis = if frac_len > 0 {
        fraction_ms(&rest[1..frac_len])?
    } else {
        0
    };
    let offset = zone_offset_ms(&rest[frac_len..])?;
    Some(date * 86_400_000 + secs * 1000 + millis - offset)
}

/// The zone suffix as an offset from UTC in ms: `Z`, ``, `+HH:MM`, `+HHMM`, `+HH`.
fn zone_offset_ms(z: &[u8]) -> Option<Millis> {
    let (sign, hm) = match z {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match hm {
        [h1, h2] => (num(&[*h1, *h2])?, 0),
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (num(&[*h1, *h2])?, num(&[*m1, *m2])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60) * 1000)
}

/// Milliseconds from a fraction of a second's digits (`5` → 500, `123456` → 123).
fn fraction_ms(digits: &[u8]) -> Option<Millis> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut ms = 0;
    for i in 0..3 {
        ms = ms * 10 + digits.get(i).map_or(0, |d| Millis::from(d - b'0'));
    }
    Some(ms)
}

/// Parses ASCII digits into a number; `None` on anything else, and on a number too large
/// for an `i64` (a 20-digit `STATUS_CODE` must not overflow: a panic in a debug build, a
/// wrapped garbage value in a release one).
fn num(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0i64, |acc, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
    })
}

/// Seconds into the day, validated (a leap second 60 is accepted as 59.999… would be wrong;
/// Salesforce never writes one, so it is rejected).
fn clock(h: i64, m: i64, s: i64) -> Option<i64> {
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 for a proleptic Gregorian date, validated.
fn civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Howard Hinnant's days_from_civil: exact for all dates, no tables.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The 15-character form of a Salesforce id.
///
/// An 18-character id whose case-safe suffix is right is cut to 15 characters; anything else
/// (a 15-character id, a placeholder such as `MY_ORG_ID`, an 18-character string whose suffix
/// does not match) is kept as written, trimmed, so it never silently merges with another id.
pub fn id15(raw: &[u8]) -> &[u8] {
    let id = raw.trim_ascii();
    if id.len() == 18 && id.iter().all(u8::is_ascii_alphanumeric) {
        let suffix = case_suffix(&id[..15]);
        if suffix.eq_ignore_ascii_case(&id[15..]) {
            return &id[..15];
        }
    }
    id
}

/// The 15-character part of an id for duplicate keys: like [`id15`] but without checking the
/// suffix, which costs more than the rest of the key on the per-row path. Keys are compared
/// only among rows of one org, event type and millisecond, where an 18-character string with a
/// wrong suffix next to its valid twin does not occur.
pub fn id_key(raw: &[u8]) -> &[u8] {
    let id = raw.trim_ascii();
    if id.len() == 18 && id.iter().all(u8::is_ascii_alphanumeric) {
        &id[..15]
    } else {
        id
    }
}

/// The three check characters that turn a 15-character id into its 18-character form.
pub fn case_suffix(id15: &[u8]) -> [u8; 3] {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let mut out = [0u8; 3];
    for (chunk, slot) in id15.chunks(5).zip(out.iter_mut()) {
        let bits = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | (1 << i));
        *slot = ALPHABET[bits];
    }
    out
}

/// Reads a boolean written `true/false/1/0` in any case; `None` for empty or anything else.
pub fn parse_bool(raw: &[u8]) -> Option<bool> {
    match raw.trim_ascii() {
        b"1" => Some(true),
        b"0" => Some(false),
        t if t.eq_ignore_ascii_case(b"true") => Some(true),
        f if f.eq_ignore_ascii_case(b"false") => Some(false),
        _ => None,
    }
}

/// Reads a non-negative integer such as `200` or `150.0`; `None` when empty or not a number.
pub fn parse_count(raw: &[u8]) -> Option<u64> {
    let t = raw.trim_ascii();
    let whole = match t.iter().position(|&b| b == b'.') {
        Some(dot) if t[dot + 1..].iter().all(|&b| b == b'0') => &t[..dot],
        Some(_) => return None,
        None => t,
    };
    num(whole).and_then(|n| u64::try_from(n).ok())
}

/// Decodes bytes as UTF-8, replacing invalid sequences rather than dropping the row.
pub fn text(raw: &[u8]) -> Cow<'_, str> {
    let raw = raw.trim_ascii();
    // The strict check is much faster than the lossy decoder, and almost every field passes it.
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(raw),
    }
}

/// The resource as a template: `/services/data` dropped (so RestApi `URI`s and ApiTotalUsage
/// `API_RESOURCE`s agree), record ids replaced by `{id}`, the value of an external-id upsert by
/// `{value}`, query locators by `{locator}`, and in the query string every literal by `?`
/// ([`query_template`]): two polls of one endpoint with different SOQL stay apart, while the
/// same poll with a new timestamp each time is one template.
///
/// Templates keep the string pool small (one entry per endpoint, not per record) while keeping
/// everything the detectors need: the endpoint, the entity and the single-record shape.
pub fn resource_template(raw: &str) -> Cow<'_, str> {
    let mut out = String::new();
    if template_into(raw, &mut out) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Writes the template of `raw` into `out` (cleared first) and says whether it differs from
/// `raw`; when it does not, `out` is left empty. One pass, no allocation beyond `out`'s own
/// growth, since this runs for nearly every row.
pub fn template_into(raw: &str, out: &mut String) -> bool {
    out.clear();
    let trimmed = raw.trim();
    let (path, query) = match trimmed.as_bytes().iter().position(|&b| b == b'?') {
        Some(q) => (&trimmed[..q], Some(&trimmed[q + 1..])),
        None => (trimmed, None),
    };
    let path = path.strip_prefix("/services/data").unwrap_or(path);
    let mut changed = path.len() != raw.len();
    let mut prev = "";
    // Position (in segments) of `sobjects`, to spot `/sobjects/<Entity>/<Field>/<value>`.
    let mut since_sobjects: Option<usize> = None;
    let mut entity_field_is_id = false;
    // Segments by byte search: `/` is ASCII, so every cut is a char boundary.
    let mut rest = path;
    let mut i = 0;
    loop {
        let cut = rest.as_bytes().iter().position(|&b| b == b'/');
        let (seg, last) = match cut {
            Some(c) => (&rest[..c], false),
            None => (rest, true),
        };
        if i > 0 {
            out.push('/');
        }
        let after = since_sobjects.map(|s| i - s);
        let is_id = looks_like_id(seg);
        let replacement = if after == Some(3) && last && !entity_field_is_id {
            Some("{value}")
        } else if prev == "query" && seg.contains('-') {
            Some("{locator}")
        } else if is_id {
            Some("{id}")
        } else {
            None
        };
        if after == Some(2) {
            entity_field_is_id = is_id;
        }
        match replacement {
            Some(r) => {
                out.push_str(r);
                changed = true;
            }
            None => out.push_str(seg),
        }
        if seg == "sobjects" && since_sobjects.is_none() {
            since_sobjects = Some(i);
        }
        prev = seg;
        match cut {
            Some(c) => rest = &rest[c + 1..],
            None => break,
        }
        i += 1;
    }
    if let Some(query) = query {
        out.push('?');
        let mark = out.len();
        query_template_into(query, out);
        if out.len() == mark {
            out.pop();
        }
        changed = out.as_str() != raw;
    }
    if !changed {
        out.clear();
    }
    changed
}

/// Longest query-string template kept; longer ones end in `…` (hostile or generated SOQL must
/// not grow the string pool without bound).
const MAX_QUERY_TEMPLATE: usize = 300;

/// A query string with its literals replaced: `q=SELECT+Id+FROM+Order+WHERE+LastModifiedDate+%3E+2026-11-02T00:00:00Z`
/// becomes `q=SELECT Id FROM Order WHERE LastModifiedDate > ?`. The SOQL of `q` is decoded
/// (`+`, `%XX`); quoted strings and tokens starting with a digit (numbers, dates, date-times)
/// become `?`, runs of blanks one space. Other parameters keep their name and lose their value.
pub fn query_template(query: &str) -> String {
    let mut out = String::new();
    query_template_into(query, &mut out);
    out
}

/// [`query_template`], appended to `out`: the row loop reuses one buffer instead of allocating
/// a template, a decoded copy and a lossy copy per row.
fn query_template_into(query: &str, out: &mut String) {
    let start = out.len();
    let mut decoded = Vec::new();
    for (n, param) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if n > 0 {
            out.push('&');
        }
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        out.push_str(name);
        out.push('=');
        if name == "q" {
            soql_template(&percent_decode(value, &mut decoded), out);
        } else if !value.is_empty() {
            out.push('?');
        }
        if out.len() - start > MAX_QUERY_TEMPLATE {
            let mut cut = start + MAX_QUERY_TEMPLATE;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
}

/// `+` as a space and `%XX` as its byte; invalid escapes are kept as written, and invalid UTF-8
/// after decoding is replaced lossily. Borrows `raw` when there is nothing to decode.
fn percent_decode<'a>(raw: &'a str, buf: &'a mut Vec<u8>) -> Cow<'a, str> {
    let b = raw.as_bytes();
    if !b.iter().any(|&c| c == b'%' || c == b'+') {
        return Cow::Borrowed(raw);
    }
    buf.clear();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => buf.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    buf.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => buf.push(b'%'),
            },
            c => buf.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(buf)
}

/// The blanks of `char::is_whitespace` below U+0080 (note: `u8::is_ascii_whitespace` leaves out
/// the vertical tab, which SOQL treats as a blank like Rust's `trim` does).
fn is_ascii_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t'..=b'\r')
}

/// Whether the char starting at byte `i` of `s` is a blank, and its length in bytes.
fn blank_at(s: &str, i: usize) -> Option<usize> {
    let c = s.as_bytes()[i];
    if c < 0x80 {
        return is_ascii_blank(c).then_some(1);
    }
    let ch = s[i..].chars().next()?;
    ch.is_whitespace().then(|| ch.len_utf8())
}

/// Appends `soql` with quoted strings and digit-led tokens replaced by `?` and blanks collapsed.
/// Works on bytes (every byte it looks for is ASCII, so every cut is a char boundary) and
/// copies runs of plain text at once; non-ASCII chars are judged as chars.
fn soql_template(soql: &str, out: &mut String) {
    let s = soql.trim();
    let b = s.as_bytes();
    let mut prev_word = false;
    let mut plain_from = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            out.push_str(&s[plain_from..i]);
            i += 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'\'' => break,
                    _ => i += 1,
                }
            }
            i = (i + 1).min(b.len());
            out.push('?');
            prev_word = true;
            plain_from = i;
        } else if let Some(len) = blank_at(s, i) {
            out.push_str(&s[plain_from..i]);
            i += len;
            while let Some(len) = (i < b.len()).then(|| blank_at(s, i)).flatten() {
                i += len;
            }
            out.push(' ');
            prev_word = false;
            plain_from = i;
        } else if c.is_ascii_digit() && !prev_word {
            out.push_str(&s[plain_from..i]);
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b':' | b'.' | b'-' | b'+' | b'_'))
            {
                i += 1;
            }
            out.push('?');
            prev_word = true;
            plain_from = i;
        } else if c < 0x80 {
            prev_word = c.is_ascii_alphanumeric() || c == b'_';
            i += 1;
        } else {
            let ch = s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            prev_word = ch.is_alphanumeric();
            i += ch.len_utf8();
        }
    }
    out.push_str(&s[plain_from..]);
}

/// A 15- or 18-character alphanumeric token with at least one digit and one letter: the shape of
/// a Salesforce record id (`001…`, `a0B…`), never of an entity or endpoint name.
pub fn looks_like_id(seg: &str) -> bool {
    let b = seg.as_bytes();
    if b.len() != 15 && b.len() != 18 {
        return false;
    }
    // One pass: this runs for nearly every path segment of every row.
    let (mut digit, mut alpha) = (false, false);
    for &c in b {
        digit |= c.is_ascii_digit();
        alpha |= c.is_ascii_alphabetic();
        if !c.is_ascii_alphanumeric() {
            return false;
        }
    }
    digit && alpha
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> Millis {
        civil(y, mo, d).unwrap() * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms
    }

    #[test]
    fn civil_matches_known_epochs() {
        assert_eq!(civil(1970, 1, 1), Some(0));
        assert_eq!(civil(2000, 3, 1), Some(11_017));
        assert_eq!(civil(2024, 2, 29), Some(19_782));
        assert_eq!(civil(2023, 2, 29), None);
    }

    #[test]
    fn compact_timestamp_with_and_without_millis() {
        let want = utc(2013, 7, 15, 23, 33, 22, 670);
        assert_eq!(parse_timestamp(b"20130715233322.670"), Some(want));
        assert_eq!(parse_timestamp(b"20130715233322"), Some(want - 670));
        assert_eq!(parse_timestamp(b"20130715233322.6"), Some(want + 600 - 670));
    }

    #[test]
    fn iso_timestamps_with_z_and_offsets() {
        let want = utc(2015, 7, 27, 11, 32, 59, 555);
        assert_eq!(parse_timestamp(b"2015-07-27T11:32:59.555Z"), Some(want));
        assert_eq!(parse_timestamp(b"2015-07-27T13:32:59.555+02:00"), Some(want));
        assert_eq!(parse_timestamp(b"2015-07-27T06:32:59.555-0500"), Some(want));
        assert_eq!(parse_timestamp(b"2015-07-27T11:32:59.555+0000"), Some(want));
        assert_eq!(parse_timestamp(b"2015-07-27 11:32:59.555123Z"), Some(want));
        assert_eq!(parse_timestamp(b"2015-07-27T11:32:59Z"), Some(want - 555));
    }

    #[test]
    fn spreadsheet_and_garbage_timestamps_are_rejected() {
        for bad in [
            &b"2.01308E+13"[..],
            b"2015-13-01T00:00:00Z",
            b"20150230000000",
            b"2015-07-27T25:00:00Z",
            b"yesterday",
            b"2015-07-27T11:32:59.Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn derived_timestamp_wins_and_raw_is_the_fallback() {
        let derived = b"2015-07-27T11:32:59.555Z";
        let raw = b"20150727113259.000";
        assert_eq!(
            row_timestamp(derived, raw),
            parse_timestamp(derived).ok_or(TimestampError::Missing)
        );
        assert_eq!(row_timestamp(b"", raw), Ok(parse_timestamp(raw).unwrap()));
        assert_eq!(row_timestamp(b"", b"  "), Err(TimestampError::Missing));
        assert_eq!(
            row_timestamp(b"", b"2.01308E+13"),
            Err(TimestampError::Unparseable)
        );
        assert_eq!(row_timestamp(b"garbage", b""), Err(TimestampError::Unparseable));
    }

    #[test]
    fn ids_compare_in_fifteen_character_form() {
        assert_eq!(case_suffix(b"0055j00000AT6I1"), *b"AAL");
        assert_eq!(case_suffix(b"0055j000000utlP"), *b"AAQ");
        assert_eq!(id15(b"0055j00000AT6I1AAL"), b"0055j00000AT6I1");
        assert_eq!(id15(b"0055j00000AT6I1aal"), b"0055j00000AT6I1");
        assert_eq!(id15(b" 0055j00000AT6I1 "), b"0055j00000AT6I1");
        // A wrong suffix is not silently merged with the 15-character id.
        assert_eq!(id15(b"0055j00000AT6I1XYZ"), b"0055j00000AT6I1XYZ");
        assert_eq!(id15(b"MY_ORG_ID"), b"MY_ORG_ID");
    }

    #[test]
    fn booleans_in_every_spelling() {
        for t in [&b"true"[..], b"TRUE", b"True", b"1", b" 1 "] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in [&b"false"[..], b"FALSE", b"0"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool(b""), None);
        assert_eq!(parse_bool(b"yes"), None);
    }

    #[test]
    fn counts_accept_integers_and_whole_decimals() {
        assert_eq!(parse_count(b"200"), Some(200));
        assert_eq!(parse_count(b"150.0"), Some(150));
        assert_eq!(parse_count(b"1.5"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"-3"), None);
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily() {
        assert_eq!(text(b"Caf\xe9 Sync"), "Caf\u{fffd} Sync");
    }

    #[test]
    fn resources_become_templates() {
        assert_eq!(
            resource_template("/v60.0/sobjects/Account/0015j00000AbCdE"),
            "/v60.0/sobjects/Account/{id}"
        );
        assert_eq!(
            resource_template("/services/data/v60.0/sobjects/Account/0015j00000AbCdEAAA"),
            "/v60.0/sobjects/Account/{id}"
        );
        assert_eq!(
            resource_template("/v60.0/sobjects/Account/ERP_Id__c/A-1001"),
            "/v60.0/sobjects/Account/ERP_Id__c/{value}"
        );
        assert_eq!(
            resource_template("/v58.0/query/01gD0000002HU6KIAW-2000"),
            "/v58.0/query/{locator}"
        );
        assert_eq!(
            resource_template("/v58.0/query?q=SELECT+Id+FROM+Order"),
            "/v58.0/query?q=SELECT Id FROM Order"
        );
        assert_eq!(
            resource_template(
                "/v58.0/query?q=SELECT+Id+FROM+Order+WHERE+LastModifiedDate+%3E+2026-11-02T00:00:00.000Z+AND+Name+=+'O\\'Brien'+LIMIT+200"
            ),
            "/v58.0/query?q=SELECT Id FROM Order WHERE LastModifiedDate > ? AND Name = ? LIMIT ?"
        );
        assert_eq!(
            resource_template("/v60.0/sobjects/Account/updated?start=2026-11-02T00%3A00%3A00Z&end=x"),
            "/v60.0/sobjects/Account/updated?start=?&end=?"
        );
        assert!(matches!(
            resource_template("/v60.0/sobjects/Account"),
            Cow::Borrowed(_)
        ));
        assert_eq!(resource_template("describeSObjects"), "describeSObjects");
    }

    #[test]
    fn soql_blanks_follow_unicode_and_templates_may_end_in_a_placeholder() {
        // No-break space, ideographic space and vertical tab are blanks, as in `str::trim`.
        assert_eq!(
            resource_template("/v60.0/query?q=SELECT+Id%C2%A0FROM%E3%80%80Order%0BLIMIT+5"),
            "/v60.0/query?q=SELECT Id FROM Order LIMIT ?"
        );
        // A letter outside ASCII makes the digit after it part of a word, not a literal.
        assert_eq!(
            resource_template("/v60.0/query?q=SELECT+Ω1+FROM+X"),
            "/v60.0/query?q=SELECT Ω1 FROM X"
        );
        assert_eq!(resource_template("/v60.0/query?"), "/v60.0/query");
        assert_eq!(resource_template("/v60.0/query?&&"), "/v60.0/query");
    }
}
