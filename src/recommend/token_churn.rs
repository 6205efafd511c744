//! Detector `token_churn`: a new OAuth token or SOAP `login` for a large share of the calls.
//!
//! Part of the recommendation stage; fed by `scan` with one integration's calls. Token requests
//! show up in three places, and the detector reads all of them:
//! - SOAP `login` calls in ApiTotalUsage (counted calls);
//! - token-endpoint rows (`/services/oauth2/token`) in ApiTotalUsage or RestApi of the same app
//!   or user, counted or not (`COUNTS_AGAINST_API_LIMIT` says which);
//! - Login events with `URI` `/services/oauth2/token` of the users whose calls are mostly this
//!   integration's (they never count).
//!
//! One request may be logged both as a token-endpoint row and as a Login event, so of those two
//! sources the larger is used, never their sum. An access token lives as long as its session,
//! [`SESSION_LIFETIME_MS`] by default, so the what-if keeps a request only when the last kept one
//! is at least that old. Only requests that counted against the allocation are removed from the
//! counted stream; where none counted, the saving at peak is 0 and the gain is latency and the
//! login rate limit (3,600 logins per user per hour).

use super::classify::{Class, Row};
use super::{duration, evidence, Confidence, Counter, Detection, Facts, Kind, Span};
use crate::model::{Calls, Millis, StrId};
use crate::text::thousands;

/// Salesforce's default session timeout: a token can be reused at least this long.
pub(crate) const SESSION_LIFETIME_MS: Millis = 2 * 3_600_000;
/// Logins per user and hour above which Salesforce blocks logins (`LOGIN_RATE_EXCEEDED`).
pub(crate) const LOGIN_RATE_PER_HOUR: u64 = 3_600;
/// The recommendation needs at least this many avoidable logins…
const MIN_AVOIDABLE: u64 = 20;
/// …and at least this many logins per 100 API calls (a token per call is 100).
const MIN_LOGINS_PER_100_CALLS: u64 = 25;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct TokenChurn {
    api_calls: u64,
    soap: Logins,
    endpoint: Logins,
    superseded: Logins,
    events: Logins,
}

/// One source of logins, with the session-lifetime keep rule.
#[derive(Debug, Default)]
struct Logins {
    requests: u64,
    counted: u64,
    last_kept: Option<Millis>,
    avoidable: u64,
    /// Avoidable requests that counted against the allocation (ascending rows).
    removed: Vec<u32>,
    resources: Counter<StrId>,
    span: Span,
    hour: i64,
    this_hour: u64,
    busiest_hour: u64,
}

impl Logins {
    fn add(&mut self, index: u32, ts: Millis, resource: StrId, counted: bool) {
        self.requests += 1;
        self.counted += u64::from(counted);
        self.resources.add(resource);
        self.span.add(ts);
        let hour = ts.div_euclid(3_600_000);
        if hour != self.hour || self.this_hour == 0 {
            (self.hour, self.this_hour) = (hour, 0);
        }
        self.this_hour += 1;
        self.busiest_hour = self.busiest_hour.max(self.this_hour);
        match self.last_kept {
            Some(kept) if ts - kept < SESSION_LIFETIME_MS => {
                self.avoidable += 1;
                if counted {
                    self.removed.push(index);
                }
            }
            _ => self.last_kept = Some(ts),
        }
    }
}

impl TokenChurn {
    /// One counted call of the integration that is not a token request.
    pub(crate) fn observe(&mut self, row: &Row) {
        if !matches!(row.class, Class::Login | Class::OAuthToken) {
            self.api_calls += 1;
        }
    }

    /// One token request among the integration's API rows (class `Login` or `OAuthToken`),
    /// counted or not.
    pub(crate) fn observe_token(&mut self, row: &Row) {
        let source = match (row.class, row.superseded) {
            (Class::Login, false) => &mut self.soap,
            (_, true) => &mut self.superseded,
            _ => &mut self.endpoint,
        };
        source.add(row.index, row.ts, row.name, row.counted && !row.superseded);
    }

    /// One OAuth token request (a Login event) of this integration's user, in time order.
    pub(crate) fn add_login(&mut self, index: u32, ts: Millis, resource: StrId) {
        self.events.add(index, ts, resource, false);
    }

    /// The token-endpoint source used: the larger of the API rows (superseded RestApi rows only
    /// when no other API row shows them) and the Login events.
    fn oauth(&self) -> &Logins {
        let rows = if self.endpoint.requests > 0 {
            &self.endpoint
        } else {
            &self.superseded
        };
        if self.events.requests > rows.requests {
            &self.events
        } else {
            rows
        }
    }

    /// The detection, if logins are both frequent and avoidable.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        let (requests, avoidable) = (self.requests(), self.avoidable());
        if avoidable < MIN_AVOIDABLE || requests * 100 < self.api_calls * MIN_LOGINS_PER_100_CALLS {
            return None;
        }
        let oauth = self.oauth();
        let mut span = self.soap.span;
        span.merge(oauth.span);
        let mut examples = self.soap.resources.top(1);
        examples.extend(oauth.resources.top(1));
        let removed =
            super::whatif::union([self.soap.removed.as_slice(), oauth.removed.as_slice()].into_iter());
        let per_100 = requests * 100 / self.api_calls.max(1);
        Some(Detection {
            kind: Kind::TokenChurn,
            action: action(!removed.is_empty()),
            evidence: evidence(calls, self.facts(), span, &examples),
            removed,
            confidence: if per_100 >= 80 {
                Confidence::High
            } else {
                Confidence::Medium
            },
        })
    }

    fn requests(&self) -> u64 {
        self.soap.requests + self.oauth().requests
    }

    fn avoidable(&self) -> u64 {
        self.soap.avoidable + self.oauth().avoidable
    }

    fn counted(&self) -> u64 {
        self.soap.counted + self.oauth().counted
    }

    fn busiest_hour(&self) -> u64 {
        self.soap.busiest_hour.max(self.oauth().busiest_hour)
    }

    fn facts(&self) -> Facts {
        let oauth = self.oauth();
        let oauth_name = if std::ptr::eq(oauth, &self.events) {
            "OAuth token requests (Login events, not counted)"
        } else if oauth.counted == oauth.requests {
            "OAuth token-endpoint rows (counted)"
        } else if oauth.counted == 0 {
            "OAuth token-endpoint rows (not counted)"
        } else {
            "OAuth token-endpoint rows (partly counted)"
        };
        let soap_name = if self.soap.counted == self.soap.requests {
            "SOAP login calls (counted)"
        } else {
            "SOAP login calls (not all counted)"
        };
        let sources = [(soap_name, self.soap.requests), (oauth_name, oauth.requests)];
        Facts {
            summary: summary(self),
            calls: self.requests(),
            breakdown: sources
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| (s.into(), n))
                .collect(),
            facts: vec![
                ("login_requests", self.requests()),
                ("avoidable_logins", self.avoidable()),
                ("counted_logins", self.counted()),
                ("busiest_hour_logins", self.busiest_hour()),
                ("api_calls", self.api_calls),
                ("session_lifetime_ms", SESSION_LIFETIME_MS as u64),
            ],
        }
    }
}

/// What to do instead.
const ACTION: &str = "Reuse the session: keep the access token (or SOAP session id) and send it with every call until \
    it expires or a call returns 401 INVALID_SESSION_ID, then log in again once; with OAuth, use the refresh token or the \
    JWT bearer flow only at that point. Do not log in before each call or batch.";

fn action(saves_calls: bool) -> String {
    let mut text = String::from(ACTION);
    if !saves_calls {
        text.push_str(
            " These token requests do not count against the API allocation, so this saves no counted calls: the gain is \
             a round trip less per call and headroom under the login rate limit (3,600 logins per user per hour).",
        );
    }
    text
}

fn summary(c: &TokenChurn) -> String {
    let mut text = format!(
        "{} logins or token requests for {} API calls ({} per 100 calls); {} came less than {} after a login that \
         could have been reused; up to {} in one clock hour.",
        thousands(c.requests()),
        thousands(c.api_calls),
        c.requests() * 100 / c.api_calls.max(1),
        thousands(c.avoidable()),
        duration(SESSION_LIFETIME_MS),
        thousands(c.busiest_hour())
    );
    match c.counted() {
        0 => text.push_str(" None of them counted against the API allocation."),
        n if n < c.requests() => text.push_str(&format!(
            " {} of them counted against the API allocation.",
            thousands(n)
        )),
        _ => {}
    }
    if c.busiest_hour() * 2 >= LOGIN_RATE_PER_HOUR {
        text.push_str(&format!(
            " That is at least half of the login rate limit ({} per user per hour).",
            thousands(LOGIN_RATE_PER_HOUR)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    #[test]
    fn one_login_per_session_lifetime_is_kept() {
        let mut l = Logins::default();
        for i in 0..10 {
            l.add(i, i64::from(i) * 30 * MIN, 1, true);
        }
        // Logins at 0, 30, …, 270 min: kept at 0, 120 and 240 min.
        assert_eq!(l.avoidable, 7);
        assert!(!l.removed.contains(&4) && !l.removed.contains(&8));
    }

    #[test]
    fn uncounted_logins_are_avoidable_but_not_removed() {
        let mut l = Logins::default();
        for i in 0..10 {
            l.add(i, i64::from(i) * MIN, 1, false);
        }
        assert_eq!((l.avoidable, l.removed.len(), l.busiest_hour), (9, 0, 10));
    }
}
