//! Capacity planning (SPEC.md §3.6): daily calls and peaks per org and integration, the robust
//! trend of each org's daily peak, when it reaches 80 % and 100 % of the allocation, which
//! integrations drive the change, and the weekday/weekend difference.
//!
//! Pipeline position: beside `usage` (it reads the sorted, attributed table in [`daily`]), before
//! `analysis`, which joins each org's days with its allocation through [`plan`]. Pure: the
//! projection runs from the data's own last day, never from the clock.
//!
//! - [`fit`]: Theil–Sen slope and Sen's confidence interval;
//! - [`forecast`]: the rules that turn a trend into a date or an honest reason;
//! - [`growth`]: per-integration change between the first and last periods, weekday/weekend;
//! - [`text`]: the plan in sentences, for the report panels.

pub mod daily;
pub mod fit;
pub mod forecast;
pub mod growth;
pub mod text;

use serde::Serialize;

pub use daily::{daily_usage, org_days_without, IntegrationDaily, OrgDaily};
pub use forecast::{Reach, ReachStatus, Trend};
pub use growth::{Growth, WeekPattern};

use crate::text::rfc3339;
use crate::text::{share, thousands};
use crate::window::{DayPeak, WINDOW_MS};

/// Shares of the allocation the forecast looks for: the usual alert line and the limit.
pub const LEVELS: [f64; 2] = [0.8, 1.0];

/// One UTC day of an org or integration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayView {
    /// The UTC day, YYYY-MM-DD.
    pub date: String,
    /// Counted calls made that day.
    pub calls: u64,
    /// Highest rolling-24h usage at a call that day (yesterday's calls count toward it).
    pub peak: Option<u64>,
    /// When that peak was first reached (RFC 3339).
    pub peak_at: Option<String>,
    /// Peak ÷ the org's allocation.
    pub share_of_allocation: Option<f64>,
    /// The peak was reached while the 24 hours before it were not all in the inputs (the first
    /// day's warm-up), so it is a lower bound.
    pub partial: bool,
}

/// One integration's days with calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegrationDays {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Days on which it made counted calls.
    pub daily: Vec<DayView>,
}

/// An org's capacity plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgCapacity {
    /// Org id.
    pub org_id: String,
    /// Allocation used for shares and levels.
    pub allocation: Option<u64>,
    /// The UTC days with counted calls (sparse: days without calls are left out).
    pub daily: Vec<DayView>,
    /// Days with at least one counted call.
    pub days_with_calls: usize,
    /// Days with calls whose previous day has calls too, so their rolling 24-hour window is
    /// inside the logs: the days the trend, growth and weekday pattern use.
    pub whole_days: usize,
    /// Theil–Sen slope of the daily peak, calls per day (`null` without a trend).
    pub trend_per_day: Option<f64>,
    /// The trend in full.
    pub trend: Option<Trend>,
    /// Why there is no trend.
    pub trend_reason: Option<String>,
    /// UTC day the daily peak reached or reaches 80 % of the allocation (`null`: see `reaches`).
    pub reaches_80_at: Option<String>,
    /// UTC day the daily peak reached or reaches 100 % (`null`: see `reaches`).
    pub reaches_100_at: Option<String>,
    /// Each level of [`LEVELS`]: status, date and a sentence saying how or why not.
    pub reaches: Vec<Reach>,
    /// Weekday against weekend daily peaks.
    pub weekday_weekend: Option<WeekPattern>,
    /// Why the weekday/weekend pattern is not shown.
    pub weekday_weekend_reason: Option<String>,
    /// The change between the first and last periods and who drives it.
    pub growth: Option<Growth>,
    /// Why growth is not shown.
    pub growth_reason: Option<String>,
    /// Each integration's days with calls.
    pub integrations: Vec<IntegrationDays>,
    /// The same projection with every recommendation applied (when recommendations ran).
    pub what_if: Option<WhatIfPlan>,
}

/// The trend and dates if every recommendation were applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfPlan {
    /// Theil–Sen slope of the daily peak without the removed calls (`null` without a trend).
    pub trend_per_day: Option<f64>,
    /// Why there is no trend.
    pub trend_reason: Option<String>,
    /// UTC day the daily peak would reach 80 % (`null`: see `reaches`).
    pub reaches_80_at: Option<String>,
    /// UTC day it would reach 100 % (`null`: see `reaches`).
    pub reaches_100_at: Option<String>,
    /// Each level of [`LEVELS`], as in the plan.
    pub reaches: Vec<Reach>,
    /// The highest daily peak left.
    pub max_daily_peak: Option<u64>,
}

/// The what-if plan from the org's days without the removed calls (see
/// [`daily::org_days_without`]), judged by the same rules as [`plan`].
pub fn what_if_plan(days: &[DayPeak], allocation: Option<u64>) -> WhatIfPlan {
    let allocation = allocation.filter(|a| *a > 0);
    let active: Vec<&DayPeak> = days.iter().filter(|d| d.calls > 0).collect();
    let trend = forecast::trend(&peaks(&whole_days(days)));
    let observed = peaks(&active);
    let reaches: Vec<Reach> = LEVELS
        .iter()
        .map(|&s| forecast::reach(s, allocation, &observed, &trend))
        .collect();
    let (trend, trend_reason) = split(trend);
    WhatIfPlan {
        trend_per_day: trend.as_ref().map(|t| t.slope_per_day),
        trend_reason,
        reaches_80_at: reaches[0].at.clone(),
        reaches_100_at: reaches[1].at.clone(),
        reaches,
        max_daily_peak: observed.iter().map(|(_, p)| *p).max(),
    }
}

impl OrgCapacity {
    /// The reach of `share` (one of [`LEVELS`]).
    pub fn reach(&self, share: f64) -> Option<&Reach> {
        self.reaches.iter().find(|r| r.share == share)
    }
}

/// The capacity plan of one org from its days and allocation.
pub fn plan(daily: &OrgDaily, allocation: Option<u64>) -> OrgCapacity {
    let allocation = allocation.filter(|a| *a > 0);
    let active: Vec<&DayPeak> = daily.days.iter().filter(|d| d.calls > 0).collect();
    let whole: Vec<&DayPeak> = whole_days(&daily.days);
    let trend = forecast::trend(&peaks(&whole));
    // A peak that reached a level is a fact even on a day whose window is partial.
    let observed = peaks(&active);
    let reaches: Vec<Reach> = LEVELS
        .iter()
        .map(|&s| forecast::reach(s, allocation, &observed, &trend))
        .collect();
    let (weekday_weekend, weekday_weekend_reason) = split(growth::week_pattern(&whole));
    let (growth, growth_reason) = split(growth::growth(&whole, &daily.integrations));
    let (trend, trend_reason) = split(trend);
    OrgCapacity {
        org_id: daily.org_id.clone(),
        allocation,
        daily: daily.days.iter().map(|d| day_view(d, allocation)).collect(),
        days_with_calls: active.len(),
        whole_days: whole.len(),
        trend_per_day: trend.as_ref().map(|t| t.slope_per_day),
        trend,
        trend_reason,
        reaches_80_at: reaches[0].at.clone(),
        reaches_100_at: reaches[1].at.clone(),
        reaches,
        weekday_weekend,
        weekday_weekend_reason,
        growth,
        growth_reason,
        integrations: daily
            .integrations
            .iter()
            .map(|i| integration_days(i, allocation))
            .collect(),
        what_if: None,
    }
}

/// Marks the org's days whose peak came before `lower_bound_until` (RFC 3339, from the
/// analysis' warm-up) as partial: their rolling window reaches before the inputs.
pub fn mark_partial(plan: &mut OrgCapacity, lower_bound_until: Option<&str>) {
    let Some(until) = lower_bound_until else {
        return;
    };
    for d in &mut plan.daily {
        // RFC 3339 UTC strings of one layout order as the instants they name.
        d.partial = d.peak_at.as_deref().is_some_and(|at| at < until);
    }
}

/// Days with calls whose previous day has calls too (`days` holds the days with calls).
fn whole_days(days: &[DayPeak]) -> Vec<&DayPeak> {
    days.windows(2)
        .filter(|w| w[0].calls > 0 && w[1].calls > 0 && w[1].day == w[0].day + 1)
        .map(|w| &w[1])
        .collect()
}

fn peaks(days: &[&DayPeak]) -> Vec<(i64, u64)> {
    days.iter()
        .map(|d| (d.day, d.peak.map_or(0, |p| p.calls)))
        .collect()
}

fn split<T>(r: Result<T, String>) -> (Option<T>, Option<String>) {
    match r {
        Ok(v) => (Some(v), None),
        Err(why) => (None, Some(why)),
    }
}

fn day_view(d: &DayPeak, allocation: Option<u64>) -> DayView {
    DayView {
        date: date(d.day),
        calls: d.calls,
        peak: d.peak.map(|p| p.calls),
        peak_at: d.peak.map(|p| rfc3339(p.at)),
        share_of_allocation: d.peak.and_then(|p| share(p.calls, allocation)),
        partial: false,
    }
}

fn integration_days(i: &IntegrationDaily, allocation: Option<u64>) -> IntegrationDays {
    IntegrationDays {
        key: i.key.clone(),
        label: i.label.clone(),
        daily: i.days.iter().map(|d| day_view(d, allocation)).collect(),
    }
}

/// UTC day index (days since 1970-01-01) → `YYYY-MM-DD`.
pub fn date(day: i64) -> String {
    day.checked_mul(WINDOW_MS)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(|| format!("day {day}"), |t| t.format("%Y-%m-%d").to_string())
}

/// `1234` → `+1,234`, `-5` → `-5`, `0` → `0`.
pub fn signed(n: i64) -> String {
    match n.signum() {
        1 => format!("+{}", thousands(n.unsigned_abs())),
        -1 => format!("-{}", thousands(n.unsigned_abs())),
        _ => "0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_print_as_utc_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_725), "2024-01-03");
        assert_eq!(date(i64::MAX), format!("day {}", i64::MAX));
    }

    #[test]
    fn signed_numbers() {
        assert_eq!(signed(1_234), "+1,234");
        assert_eq!(signed(-5), "-5");
        assert_eq!(signed(0), "0");
    }
}
