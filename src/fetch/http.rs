//! The REST client: one `ureq` agent (rustls on the ring provider, gzip accepted and decoded,
//! `HTTPS_PROXY`/`NO_PROXY` from the environment), HTTPS only except loopback, every request
//! counted against the run's budget, transient failures retried with exponential backoff and
//! jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use ureq::http::Response;
use ureq::{Agent, Body};

use super::error::FetchError;
use super::redact;

/// The longest error body read into a message.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// The longest wait between two attempts, whatever the backoff says.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The API calls a run has made, and the budget it may not exceed (`--max-calls`).
#[derive(Debug)]
pub struct Calls {
    used: AtomicU64,
    token_requests: AtomicU64,
    max: Option<u64>,
}

impl Calls {
    /// No calls made yet; `max` is the budget.
    pub fn new(max: Option<u64>) -> Calls {
        Calls {
            used: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
            max,
        }
    }

    /// API calls made so far (every attempt that was sent, retries included).
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }

    /// OAuth token requests made so far (logins, not REST API calls).
    pub fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::SeqCst)
    }

    /// Takes one call from the budget, or says the budget would be exceeded.
    fn take(&self) -> Result<(), FetchError> {
        let max = self.max.unwrap_or(u64::MAX);
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .map(|_| ())
            .map_err(|_| FetchError::Budget { max })
    }
}

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// The first wait; each next one doubles (with jitter).
    pub base: Duration,
}

/// One attempt's failure.
#[derive(Debug)]
pub enum Failure {
    /// Worth another attempt (5xx, 429, a dropped connection, a short body).
    Transient(String),
    /// Worth another attempt, not before the server's `Retry-After` (capped).
    RetryAfter(String, Duration),
    /// Retrying will not help.
    Fatal(FetchError),
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure::Fatal(e)
    }
}

/// The HTTP client of a fetch run.
#[derive(Debug)]
pub struct Client {
    agent: Agent,
    /// The run's call counter and budget.
    pub calls: Calls,
    retry: Retry,
}

impl Client {
    /// A client with the environment's proxy settings.
    pub fn new(retry: Retry, max_calls: Option<u64>) -> Client {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            // A redirect would carry no token (ureq drops it) and Salesforce's REST API does not
            // redirect; an unexpected 3xx is reported instead of followed.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .user_agent(concat!("apiusage/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            calls: Calls::new(max_calls),
            retry,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good or the attempts run out. Each attempt
    /// is one API call when `counted` (token requests are logins, counted apart).
    pub fn retrying<T>(
        &self,
        org: &str,
        what: &str,
        counted: bool,
        mut attempt: impl FnMut(&Agent) -> Result<T, Failure>,
    ) -> Result<T, FetchError> {
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        let mut asked = Duration::ZERO;
        for n in 0..attempts {
            if n > 0 {
                std::thread::sleep(backoff(self.retry.base, n).max(asked.min(MAX_BACKOFF)));
            }
            if counted {
                self.calls.take()?;
            } else {
                self.calls.token_requests.fetch_add(1, Ordering::SeqCst);
            }
            match attempt(&self.agent) {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(why)) => last = why,
                Err(Failure::RetryAfter(why, wait)) => {
                    last = why;
                    asked = wait;
                }
            }
        }
        Err(FetchError::GaveUp {
            org: org.to_string(),
            what: what.to_string(),
            attempts,
            last,
        })
    }
}

/// `base × 2^(n−1)`, scaled by a random factor in [0.5, 1) so parallel downloads that failed
/// together do not retry together.
fn backoff(base: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << (n - 1).min(16));
    let mut h = RandomState::new().build_hasher();
    h.write_u32(n);
    let jitter = 0.5 + (h.finish() % 1000) as f64 / 2000.0;
    exp.mul_f64(jitter).min(MAX_BACKOFF)
}

/// Whether a URL may receive a token: HTTPS, or HTTP to a loopback address (tests, local
/// proxies the user runs).
pub fn check_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url} is not an absolute URL (https://…)"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(format!("{url} has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        _ => Err(format!(
            "{url}: only https:// URLs are used (http:// only for 127.0.0.1, ::1 or localhost), \
             so the token never crosses the network in clear"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A transport error (no HTTP status) as an attempt failure: connection problems are
/// transient, anything else (TLS, a bad URL, a proxy setting) is not.
pub fn transport(org: &str, what: &str, e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::Timeout(_)
        | ureq::Error::Protocol(_)
        | ureq::Error::HostNotFound => Failure::Transient(e.to_string()),
        other => Failure::Fatal(FetchError::Protocol {
            org: org.to_string(),
            what: what.to_string(),
            detail: other.to_string(),
        }),
    }
}

/// Salesforce's `[{"errorCode", "message"}]` error body (or an OAuth `{"error",
/// "error_description"}`), as (code, message); the start of the body when it is neither.
pub fn error_of(body: &str) -> (String, String) {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let first = v.as_array().and_then(|a| a.first()).unwrap_or(&v);
        if let Some(code) = text(first, "errorCode").or_else(|| text(first, "error")) {
            let message = text(first, "message")
                .or_else(|| text(first, "error_description"))
                .unwrap_or_default();
            return (code, message);
        }
    }
    let start: String = body.chars().take(300).collect();
    (String::new(), start.trim().to_string())
}

/// Passes a successful response; turns any other status into an attempt failure. `reauth`
/// says how to get a new session with the method in use.
pub fn check(
    org: &str,
    what: &str,
    response: Response<Body>,
    token: &str,
    reauth: &str,
) -> Result<Response<Body>, Failure> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after_seconds);
    let mut body = String::new();
    let _ = response
        .into_body()
        .into_reader()
        .take(MAX_ERROR_BODY)
        .read_to_string(&mut body);
    let (code, message) = error_of(&redact(&body, &[token]));
    let org = org.to_string();
    if status == 429 || status >= 500 {
        let why = format!("HTTP {status} {code} {message}").trim().to_string();
        return Err(match retry_after {
            Some(wait) => Failure::RetryAfter(why, wait),
            None => Failure::Transient(why),
        });
    }
    if status == 403 && code == "REQUEST_LIMIT_EXCEEDED" {
        // The same code is used for too many concurrent long requests: that one passes.
        if message.contains("ConcurrentRequests") || message.contains("Concurrent") {
            return Err(Failure::Transient(format!("HTTP 403 {code} {message}")));
        }
        return Err(Failure::Fatal(FetchError::OverAllocation { org, message }));
    }
    if status == 401 {
        return Err(Failure::Fatal(FetchError::Session {
            org,
            code: if code.is_empty() { "HTTP 401".into() } else { code },
            message,
            how: reauth.to_string(),
        }));
    }
    Err(Failure::Fatal(FetchError::Status {
        org,
        what: what.to_string(),
        status,
        code: if code.is_empty() {
            String::new()
        } else {
            format!(" {code}")
        },
        message,
    }))
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs and is ignored).
fn retry_after_seconds(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Percent-encodes a query or form value (RFC 3986 unreserved characters pass).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_may_carry_a_token() {
        for ok in [
            "https://acme.my.salesforce.com",
            "http://127.0.0.1:8080/x",
            "http://localhost:1",
            "http://[::1]:9/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://acme.my.salesforce.com",
            "ftp://127.0.0.1",
            "acme.my.salesforce.com",
            "http://127.0.0.1.evil.com",
            "https://",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_budget_stops_before_it_is_exceeded() {
        let calls = Calls::new(Some(2));
        assert!(calls.take().is_ok() && calls.take().is_ok());
        assert!(matches!(calls.take(), Err(FetchError::Budget { max: 2 })));
        assert_eq!(calls.used(), 2);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for n in 1..5 {
            let d = backoff(base, n);
            let full = base * (1 << (n - 1));
            assert!(d >= full / 2 && d < full, "{n}: {d:?}");
        }
        assert_eq!(backoff(Duration::from_secs(50), 10), MAX_BACKOFF);
    }

    #[test]
    fn salesforce_and_oauth_errors_are_read() {
        let sf = r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#;
        assert_eq!(
            error_of(sf),
            (
                "REQUEST_LIMIT_EXCEEDED".into(),
                "TotalRequests Limit exceeded.".into()
            )
        );
        let oauth = r#"{"error":"invalid_grant","error_description":"expired"}"#;
        assert_eq!(error_of(oauth), ("invalid_grant".into(), "expired".into()));
        assert_eq!(
            error_of("<html>oops</html>"),
            (String::new(), "<html>oops</html>".into())
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(retry_after_seconds(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }

    #[test]
    fn encoding_keeps_unreserved_characters() {
        assert_eq!(encode("a b='c',d"), "a%20b%3D%27c%27%2Cd");
    }
}
