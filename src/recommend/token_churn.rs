//! Detector `token_churn`: a new OAuth token or SOAP `login` for a large share of the calls.
//!
//! Part of the recommendation stage; fed by `scan` with one integration's counted calls (SOAP
//! `login` calls in ApiTotalUsage are among them) and with the OAuth token requests
//! (`/services/oauth2/token` Login events) of the users whose calls are mostly this
//! integration's. An access token lives as long as its session, [`SESSION_LIFETIME_MS`] by
//! default, so the what-if keeps a login only when the last kept one is at least that old.
//! Only SOAP `login` calls count against the API allocation; OAuth token requests are Login
//! events, which never do, so for them the saving is in login rate and latency, not calls.

use super::classify::{Class, Row};
use super::{duration, evidence, Counter, Detection, Facts, Kind, Span};
use crate::findings::thousands;
use crate::model::{Calls, Millis, StrId};

/// Salesforce's default session timeout: a token can be reused at least this long.
pub(crate) const SESSION_LIFETIME_MS: Millis = 2 * 3_600_000;
/// The recommendation needs at least this many avoidable logins…
const MIN_AVOIDABLE: u64 = 20;
/// …and at least this many logins per 100 API calls (a token per call is 100).
const MIN_LOGINS_PER_100_CALLS: u64 = 25;

/// State for one integration.
#[derive(Debug, Default)]
pub(crate) struct TokenChurn {
    api_calls: u64,
    soap: Logins,
    oauth: Logins,
}

/// One source of logins, with the session-lifetime keep rule.
#[derive(Debug, Default)]
struct Logins {
    requests: u64,
    last_kept: Option<Millis>,
    avoidable: Vec<u32>,
    resources: Counter<StrId>,
    span: Span,
}

impl Logins {
    fn add(&mut self, index: u32, ts: Millis, resource: StrId) {
        self.requests += 1;
        self.resources.add(resource);
        self.span.add(ts);
        match self.last_kept {
            Some(kept) if ts - kept < SESSION_LIFETIME_MS => self.avoidable.push(index),
            _ => self.last_kept = Some(ts),
        }
    }
}

impl TokenChurn {
    /// One counted call of the integration.
    pub(crate) fn observe(&mut self, row: &Row) {
        if row.class == Class::Login {
            self.soap.add(row.index, row.ts, row.name);
        } else {
            self.api_calls += 1;
        }
    }

    /// One OAuth token request (a Login event) of this integration's user, in time order.
    pub(crate) fn add_login(&mut self, index: u32, ts: Millis, resource: StrId) {
        self.oauth.add(index, ts, resource);
    }

    /// The detection, if logins are both frequent and avoidable.
    pub(crate) fn finish(self, calls: &Calls) -> Option<Detection> {
        let (requests, avoidable) = (self.requests(), self.avoidable());
        if avoidable < MIN_AVOIDABLE || requests * 100 < self.api_calls * MIN_LOGINS_PER_100_CALLS {
            return None;
        }
        let mut span = self.soap.span;
        span.merge(self.oauth.span);
        let mut examples = self.soap.resources.top(1);
        examples.extend(self.oauth.resources.top(1));
        Some(Detection {
            kind: Kind::TokenChurn,
            action: ACTION.into(),
            evidence: evidence(calls, self.facts(), span, &examples),
            removed: self.soap.avoidable,
        })
    }

    fn requests(&self) -> u64 {
        self.soap.requests + self.oauth.requests
    }

    fn avoidable(&self) -> u64 {
        (self.soap.avoidable.len() + self.oauth.avoidable.len()) as u64
    }

    fn facts(&self) -> Facts {
        let sources = [
            ("SOAP login calls (counted)", self.soap.requests),
            ("OAuth token requests (Login events)", self.oauth.requests),
        ];
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

fn summary(c: &TokenChurn) -> String {
    let mut text = format!(
        "{} logins or token requests for {} API calls ({} per 100 calls); {} came less than {} after a login that \
         could have been reused.",
        thousands(c.requests()),
        thousands(c.api_calls),
        c.requests() * 100 / c.api_calls.max(1),
        thousands(c.avoidable()),
        duration(SESSION_LIFETIME_MS)
    );
    if c.oauth.requests > 0 {
        text.push_str(" OAuth token requests are Login events and do not count against the API allocation.");
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
            l.add(i, i64::from(i) * 30 * MIN, 1);
        }
        // Logins at 0, 30, …, 270 min: kept at 0, 120 and 240 min.
        assert_eq!(l.avoidable.len(), 7);
        assert!(!l.avoidable.contains(&4) && !l.avoidable.contains(&8));
    }
}
