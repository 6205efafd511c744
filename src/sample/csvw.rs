//! The EventLogFile CSV dialect on the writing side: every field double-quoted (empty ones as
//! `""`), embedded quotes doubled, LF line endings.
//!
//! Hand-rolled rather than `csv::Writer` so the benchmark generator can append straight into a
//! reusable byte buffer; the format is simple enough that this stays obviously correct.

/// Appends one quoted field (no separator).
pub(crate) fn push_field(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    if value.contains(&b'"') {
        for &b in value {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
    } else {
        out.extend_from_slice(value);
    }
    out.push(b'"');
}

/// Appends one full record: quoted fields, commas, trailing LF.
pub(crate) fn push_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_field(out, field.as_ref().as_bytes());
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_everything_and_doubles_quotes() {
        let mut out = Vec::new();
        push_record(&mut out, &["a", "", "say \"hi\", twice", "x\ny"]);
        assert_eq!(out, b"\"a\",\"\",\"say \"\"hi\"\", twice\",\"x\ny\"\n");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&out[..]);
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "say \"hi\", twice");
        assert_eq!(&record[3], "x\ny");
    }
}
