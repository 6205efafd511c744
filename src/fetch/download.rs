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
        let written = stream_to(response.into_body().into_reader(), &partial)?;
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

/// Copies `body` into a fresh `path`. A read error (the connection dropped) is transient; a
/// write error (disk full, permissions) is not.
fn stream_to(mut body: impl Read, path: &Path) -> Result<u64, Failure> {
    let write_error = |source| {
        Failure::Fatal(FetchError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut out = BufWriter::new(File::create(path).map_err(write_error)?);
    let mut buf = vec![0u8; CHUNK];
    let mut written = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::Transient(format!(
                    "the connection dropped mid-body: {e}"
                )))
            }
        };
        out.write_all(&buf[..n]).map_err(write_error)?;
        written += n as u64;
    }
    let file = out.into_inner().map_err(|e| write_error(e.into_error()))?;
    file.sync_all().map_err(write_error)?;
    Ok(written)
}
