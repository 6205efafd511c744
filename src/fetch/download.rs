//! One LogFile download: streamed to a temporary name (never held in memory whole, gzip
//! decoded on the way), its size checked against `LogFileLength`, then renamed into place, so
//! a reader only ever sees complete files. A body cut short is retried, never kept.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use super::auth::Session;
use super::error::FetchError;
use super::http::{check, transport, Client, Failure};
use super::layout::partial_path;
use super::query::LogRecord;

/// Copy buffer size.
const CHUNK: usize = 64 * 1024;

/// A body may exceed `LogFileLength` by this much (plus the length again) before it is taken
/// for something else: disk use stays bounded whatever the server sends.
const SLACK: u64 = 1024 * 1024;

/// Downloads `rec` into `target`; returns the bytes written.
pub fn download(
    client: &Client,
    s: &Session,
    api_version: &str,
    rec: &LogRecord,
    target: &Path,
) -> Result<u64, FetchError> {
    let url = format!(
        "{}/services/data/v{api_version}/sobjects/EventLogFile/{}/LogFile",
        s.instance_url, rec.id
    );
    let what = format!("downloading {} {} ({})", rec.event_type, rec.log_date, rec.id);
    let expected = rec.log_file_length.filter(|n| *n >= 0.0).map(|n| n as u64);
    let partial = partial_path(target);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|source| FetchError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let result = client.retrying(&s.label, &what, true, |agent| {
        let response = agent
            .get(&url)
            .header("Authorization", format!("Bearer {}", s.token.expose()))
            .call()
            .map_err(|e| transport(&s.label, &what, e))?;
        let response = check(&s.label, &what, response, s.token.expose(), &s.reauth)?;
        let limit = expected.map(|n| n.saturating_mul(2).saturating_add(SLACK));
        let written = stream_to(response.into_body().into_reader(), &partial, limit)
            .map_err(|e| e.into_failure(&partial, &s.label, &what))?;
        match expected {
            Some(n) if written < n => Err(Failure::Transient(format!(
                "the body ended after {written} of {n} bytes (LogFileLength)"
            ))),
            _ => Ok(written),
        }
    });
    match result {
        Ok(written) => {
            fs::rename(&partial, target).map_err(|source| FetchError::Write {
                path: target.to_path_buf(),
                source,
            })?;
            Ok(written)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Why copying a body stopped.
#[derive(Debug)]
enum CopyError {
    /// The connection dropped: worth another attempt.
    Read(std::io::Error),
    /// The disk refused: not worth another attempt.
    Write(std::io::Error),
    /// More bytes than the limit: the server sends something else than the file.
    TooLong,
}

impl CopyError {
    fn into_failure(self, path: &Path, org: &str, what: &str) -> Failure {
        match self {
            CopyError::Read(e) => Failure::Transient(format!("the connection dropped mid-body: {e}")),
            CopyError::Write(source) => Failure::Fatal(FetchError::Write {
                path: path.to_path_buf(),
                source,
            }),
            CopyError::TooLong => Failure::Fatal(FetchError::Protocol {
                org: org.to_string(),
                what: what.to_string(),
                detail: "the body is far longer than LogFileLength; nothing was kept".into(),
            }),
        }
    }
}

/// Copies `body` into a fresh `path`, at most `limit` bytes, and syncs it.
fn stream_to(mut body: impl Read, path: &Path, limit: Option<u64>) -> Result<u64, CopyError> {
    let mut out = BufWriter::new(File::create(path).map_err(CopyError::Write)?);
    let mut buf = vec![0u8; CHUNK];
    let mut written = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
        written += n as u64;
        if limit.is_some_and(|l| written > l) {
            return Err(CopyError::TooLong);
        }
    }
    let file = out.into_inner().map_err(|e| CopyError::Write(e.into_error()))?;
    file.sync_all().map_err(CopyError::Write)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_far_over_its_length_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let body = vec![b'x'; 3 * CHUNK];
        assert_eq!(stream_to(&body[..], &path, None).unwrap(), body.len() as u64);
        let over = stream_to(&body[..], &path, Some(CHUNK as u64)).unwrap_err();
        assert!(matches!(over, CopyError::TooLong));
        let fatal = over.into_failure(&path, "org", "downloading");
        assert!(matches!(fatal, Failure::Fatal(FetchError::Protocol { .. })));
    }
}
