//! The findings the sample should produce, computed from the generated events themselves.
//!
//! This is a deliberately naive re-statement of the rolling-window rule (SPEC §3.1), used only
//! to print exact expectations into the sample README and to check the planted volumes; it is
//! not the analysis pipeline.

use super::model::Call;
use super::planted::SampleOrg;
use super::time::DAY_MS;

/// A rolling-24h peak: the call count and the earliest instant reaching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Peak {
    pub calls: u64,
    pub at: i64,
}

/// Peak of the number of timestamps in `(t − 24 h, t]` over all event instants `t`.
pub(crate) fn rolling_peak(mut ts: Vec<i64>) -> Peak {
    ts.sort_unstable();
    let mut best = Peak::default();
    let mut lo = 0;
    let mut i = 0;
    while i < ts.len() {
        let t = ts[i];
        // All events at the same instant belong to the window ending at it.
        let mut hi = i;
        while hi + 1 < ts.len() && ts[hi + 1] == t {
            hi += 1;
        }
        while ts[lo] <= t - DAY_MS {
            lo += 1;
        }
        let count = (hi + 1 - lo) as u64;
        if count > best.calls {
            best = Peak { calls: count, at: t };
        }
        i = hi + 1;
    }
    best
}

/// How the analysis keys an integration (SPEC §3.2): connected app id → connected app name →
/// client name → user. Returns `(key, label)`.
pub(crate) fn integration_of(call: &Call) -> (String, String) {
    let actor = call.actor;
    if !actor.app_id.is_empty() {
        let label = if actor.app_name.is_empty() {
            actor.app_id
        } else {
            actor.app_name
        };
        (format!("app:{}", actor.app_id), label.to_string())
    } else if !actor.client_name.is_empty() {
        (
            format!("client:{}", actor.client_name),
            actor.client_name.to_string(),
        )
    } else {
        (format!("user:{}", call.user_id), call.user_name.to_string())
    }
}

/// One integration's expected figures.
#[derive(Debug, Clone)]
pub(crate) struct IntegrationPeak {
    pub label: String,
    pub peak: Peak,
}

/// One org's expected figures.
#[derive(Debug, Clone)]
pub(crate) struct OrgExpectation {
    pub org: SampleOrg,
    pub peak: Peak,
    /// Counted calls over all days (including estimated ones).
    pub counted: u64,
    /// Of which estimated from RestApi rows.
    pub estimated: u64,
    /// Integrations with at least one counted call, busiest first.
    pub integrations: Vec<IntegrationPeak>,
}

/// Expected figures for an org, given the calls the analysis will count and which of them are
/// estimates (RestApi fallback rows count whatever their flag would have been).
pub(crate) fn expect_org(org: SampleOrg, counted: &[&Call], estimated: u64) -> OrgExpectation {
    let mut by_key: Vec<(String, String, i64)> = counted
        .iter()
        .map(|c| {
            let (key, label) = integration_of(c);
            (key, label, c.ts)
        })
        .collect();
    by_key.sort();
    let mut integrations: Vec<IntegrationPeak> = by_key
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| IntegrationPeak {
            label: group[0].1.clone(),
            peak: rolling_peak(group.iter().map(|g| g.2).collect()),
        })
        .collect();
    integrations.sort_by(|a, b| {
        b.peak
            .calls
            .cmp(&a.peak.calls)
            .then_with(|| a.label.cmp(&b.label))
    });
    OrgExpectation {
        org,
        peak: rolling_peak(counted.iter().map(|c| c.ts).collect()),
        counted: counted.len() as u64,
        estimated,
        integrations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_open_on_the_left() {
        // A call stops counting exactly 24 h after it was made.
        let p = rolling_peak(vec![0, 10, DAY_MS, DAY_MS + 5]);
        assert_eq!(
            p,
            Peak {
                calls: 3,
                at: DAY_MS + 5
            }
        );
        let p = rolling_peak(vec![0, DAY_MS - 1]);
        assert_eq!(
            p,
            Peak {
                calls: 2,
                at: DAY_MS - 1
            }
        );
        let p = rolling_peak(vec![5, 5, 5]);
        assert_eq!(p, Peak { calls: 3, at: 5 });
        assert_eq!(rolling_peak(Vec::new()).calls, 0);
    }
}
