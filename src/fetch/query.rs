//! SOQL over REST: the EventLogFile query (one clause per event type and interval, from the
//! last complete run's CreatedDate on), paging through `nextRecordsUrl`.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::auth::Session;
use super::error::FetchError;
use super::http::{check, encode, transport, Client, Failure};

/// The largest query page read (Salesforce pages hold up to 2,000 records).
const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// More pages than this is not a real EventLogFile listing.
const MAX_PAGES: usize = 10_000;

/// One EventLogFile record (without the file itself).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogRecord {
    /// `0AT…`.
    pub id: String,
    /// e.g. `ApiTotalUsage`.
    pub event_type: String,
    /// `Daily` or `Hourly` (absent before API v37).
    #[serde(default)]
    pub interval: Option<String>,
    /// The day (daily) or hour (hourly) the file covers.
    pub log_date: String,
    /// 0 for daily files, 1, 2, … for hourly ones.
    #[serde(default)]
    pub sequence: Option<i64>,
    /// When the file was generated (a regenerated file has a newer one).
    pub created_date: String,
    /// The file's size in bytes.
    #[serde(default)]
    pub log_file_length: Option<f64>,
}

/// `SELECT Id, Name FROM Organization`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgRecord {
    /// 18-character org id.
    pub id: String,
    /// The org's name.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default)]
    done: bool,
    #[serde(rename = "nextRecordsUrl", default)]
    next: Option<String>,
    records: Vec<T>,
}

/// What the EventLogFile query asks for.
#[derive(Clone)]
pub struct Wanted<'a> {
    /// Event types.
    pub event_types: &'a [String],
    /// `Daily`, `Hourly` or both.
    pub intervals: &'a [&'static str],
    /// Only files whose LogDate is at or after this (SOQL datetime literal).
    pub since: Option<String>,
    /// Per (event type, interval), the CreatedDate of the last complete run (SOQL literal).
    pub created_from: &'a dyn Fn(&str, &str) -> Option<String>,
}

/// The EventLogFile SOQL for `wanted`. Event types were checked to be plain names.
pub fn event_log_soql(wanted: &Wanted<'_>) -> String {
    let mut clauses = Vec::new();
    for t in wanted.event_types {
        for i in wanted.intervals {
            let mut c = format!("(EventType = '{t}' AND Interval = '{i}'");
            if let Some(from) = (wanted.created_from)(t, i) {
                c.push_str(&format!(" AND CreatedDate >= {from}"));
            }
            c.push(')');
            clauses.push(c);
        }
    }
    let since = wanted
        .since
        .as_ref()
        .map(|s| format!(" AND LogDate >= {s}"))
        .unwrap_or_default();
    format!(
        "SELECT Id, EventType, Interval, LogDate, Sequence, CreatedDate, LogFileLength \
         FROM EventLogFile WHERE ({}){since} ORDER BY CreatedDate, Id",
        clauses.join(" OR ")
    )
}

/// `GET url` with the session's token, retried as every call is, and its JSON reply (at most
/// `max_bytes`) parsed as `T`, with the time the reply arrived. `expected` names `T` in the
/// error when the reply is something else.
pub fn get_json<T: DeserializeOwned>(
    client: &Client,
    s: &Session,
    url: &str,
    what: &str,
    max_bytes: u64,
    expected: &str,
) -> Result<(T, DateTime<Utc>), FetchError> {
    client.retrying(&s.label, what, true, |agent| {
        let response = agent
            .get(url)
            .header("Authorization", format!("Bearer {}", s.token.expose()))
            .header("Accept", "application/json")
            .call()
            .map_err(|e| transport(&s.label, what, e))?;
        let response = check(&s.label, what, response, s.token.expose(), &s.reauth)?;
        let at = Utc::now();
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(max_bytes)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Transient(format!("reading the reply: {e}")))?;
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Fatal(FetchError::Protocol {
                org: s.label.clone(),
                what: what.to_string(),
                detail: format!("not {expected} ({e})"),
            })
        })?;
        Ok((value, at))
    })
}

/// Runs `soql` and returns every record of every page (each page is one API call).
pub fn query_all<T: DeserializeOwned>(
    client: &Client,
    s: &Session,
    api_version: &str,
    soql: &str,
    what: &str,
) -> Result<Vec<T>, FetchError> {
    let mut url = format!(
        "{}/services/data/v{api_version}/query?q={}",
        s.instance_url,
        encode(soql)
    );
    let mut records = Vec::new();
    for _ in 0..MAX_PAGES {
        let page: Page<T> = get_json(client, s, &url, what, MAX_PAGE_BYTES, "a query result")?.0;
        records.extend(page.records);
        match page.next {
            Some(next) if !page.done => {
                // Only a path on the same instance may receive the token.
                if !next.starts_with("/services/data/") {
                    return Err(FetchError::Protocol {
                        org: s.label.clone(),
                        what: what.to_string(),
                        detail: format!("nextRecordsUrl {next:?} is not a /services/data/ path"),
                    });
                }
                url = format!("{}{next}", s.instance_url);
            }
            _ => return Ok(records),
        }
    }
    Err(FetchError::Protocol {
        org: s.label.clone(),
        what: what.to_string(),
        detail: format!("more than {MAX_PAGES} pages"),
    })
}

/// A Status error on the EventLogFile query that means "not queryable" (no Event Monitoring
/// or a missing permission), as that clearer error.
pub fn not_queryable(e: FetchError) -> FetchError {
    match e {
        FetchError::Status {
            org,
            status,
            code,
            message,
            ..
        } if status == 403
            || code.contains("INVALID_TYPE")
            || code.contains("INSUFFICIENT_ACCESS")
            || code.contains("INVALID_FIELD") =>
        {
            FetchError::NotQueryable {
                org,
                code: code.trim().to_string(),
                message,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soql_has_one_clause_per_type_and_interval() {
        let types = ["ApiTotalUsage".to_string(), "Login".to_string()];
        let from = |t: &str, _: &str| (t == "Login").then(|| "2026-11-03T03:00:00Z".to_string());
        let soql = event_log_soql(&Wanted {
            event_types: &types,
            intervals: &["Daily"],
            since: Some("2026-11-01T00:00:00Z".into()),
            created_from: &from,
        });
        assert_eq!(
            soql,
            "SELECT Id, EventType, Interval, LogDate, Sequence, CreatedDate, LogFileLength \
             FROM EventLogFile WHERE ((EventType = 'ApiTotalUsage' AND Interval = 'Daily') OR \
             (EventType = 'Login' AND Interval = 'Daily' AND CreatedDate >= 2026-11-03T03:00:00Z)) \
             AND LogDate >= 2026-11-01T00:00:00Z ORDER BY CreatedDate, Id"
        );
    }
}
