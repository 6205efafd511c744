//! The forecast rules: the trend of an org's daily peak and the day it reaches a share of the
//! allocation, or an honest sentence saying why there is no such day.
//!
//! Capacity stage, pure: days are UTC day indices, nothing reads the clock. The rules, in order:
//!
//! 1. allocation unknown → no level to reach;
//! 2. a daily peak already at or over the level → "reached", with the first such day;
//! 3. fewer than [`MIN_DAYS`] whole days (see [`trend`]) → too short for a trend;
//! 4. Sen's 90 % interval of the slope contains zero → flat within noise, no date;
//! 5. the interval is below zero → decreasing, no date;
//! 6. otherwise the fitted line's crossing, rounded up to a whole UTC day, unless it lies further
//!    ahead than the data can support ([`horizon_days`]).

use serde::Serialize;

use super::fit::{self, Direction, Fit};
use super::{date, signed};
use crate::text::thousands;

/// Fewest whole days for a trend. With three points even a strictly rising series cannot be
/// told from noise at 90 % (Sen's interval is unbounded), and one bad day would be a third of
/// the data, more than Theil–Sen tolerates (about 29 %).
pub const MIN_DAYS: usize = 4;

/// Never project further ahead than this many days.
pub const MAX_HORIZON_DAYS: i64 = 365;

/// Nor further ahead than this many times the observed period: extrapolation error grows with
/// distance, and a line through two weeks says little about next year.
pub const HORIZON_PER_OBSERVED_DAY: i64 = 3;

/// The trend of an org's daily peak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Rising, flat or falling, by Sen's interval.
    pub direction: Direction,
    /// Theil–Sen slope, calls per day.
    pub slope_per_day: f64,
    /// Lower end of the slope's interval (`null` when unbounded).
    pub slope_low: Option<f64>,
    /// Upper end of the slope's interval (`null` when unbounded).
    pub slope_high: Option<f64>,
    /// Confidence of the interval.
    pub confidence: f64,
    /// The fitted daily peak on the first day.
    pub fitted_first: f64,
    /// The fitted daily peak on the last day.
    pub fitted_last: f64,
    /// First UTC day of the data.
    pub first_day: String,
    /// Last UTC day of the data.
    pub last_day: String,
    /// Whole days used in the fit: days with calls whose previous day has calls too (a day
    /// without any counted call looks like missing logs; the day after it misses part of its
    /// window).
    pub days_used: usize,
    #[serde(skip)]
    fit: Fit,
    #[serde(skip)]
    first: i64,
    #[serde(skip)]
    last: i64,
}

impl Trend {
    /// The fitted daily peak on UTC day index `day` (for charts).
    pub fn fitted(&self, day: i64) -> f64 {
        self.fit.at((day - self.first) as f64)
    }

    /// First and last UTC day index of the data.
    pub fn span(&self) -> (i64, i64) {
        (self.first, self.last)
    }
}

/// Whether and when the daily peak reaches a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachStatus {
    /// A day's peak already reached it.
    Reached,
    /// The trend reaches it on `at`.
    Projected,
    /// No date can be given honestly; `note` says why.
    NotProjected,
}

/// A level of the allocation and when the org's daily peak reaches it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reach {
    /// The level as a share of the allocation (0.8, 1.0).
    pub share: f64,
    /// The level in calls, when the allocation is known.
    pub calls: Option<u64>,
    /// Reached, projected or not.
    pub status: ReachStatus,
    /// The UTC day (YYYY-MM-DD) it was or will be reached.
    pub at: Option<String>,
    /// One sentence for people, also saying why there is no date.
    pub note: String,
}

/// The trend of `days` (UTC day index, daily peak; whole days only, ascending), or why there is
/// none. A *whole* day has calls and so has the day before it: only then is its rolling 24-hour
/// window inside the logs. The first day of the logs (or after a gap) misses the calls of the
/// day before and understates its peak, which would bend a short trend upwards.
pub fn trend(days: &[(i64, u64)]) -> Result<Trend, String> {
    let (Some(&(first, _)), Some(&(last, _)), MIN_DAYS..) = (days.first(), days.last(), days.len()) else {
        return Err(format!(
            "only {}: a trend needs at least {MIN_DAYS} (fewer cannot be told from day-to-day noise)",
            crate::text::count_of(days.len() as u64, "whole day")
        ));
    };
    let points: Vec<(f64, f64)> = days
        .iter()
        .map(|&(d, p)| ((d - first) as f64, p as f64))
        .collect();
    let fit = fit::theil_sen(&points, fit::Z_90).ok_or("the days have no spread")?;
    Ok(Trend {
        direction: fit.direction(),
        slope_per_day: fit.slope,
        slope_low: fit.slope_low,
        slope_high: fit.slope_high,
        confidence: fit::CONFIDENCE,
        fitted_first: fit.at(0.0),
        fitted_last: fit.at((last - first) as f64),
        first_day: date(first),
        last_day: date(last),
        days_used: days.len(),
        fit,
        first,
        last,
    })
}

/// How far past the last day a projection may go for data spanning `first..=last`.
pub fn horizon_days(first: i64, last: i64) -> i64 {
    ((last - first + 1) * HORIZON_PER_OBSERVED_DAY).min(MAX_HORIZON_DAYS)
}

/// When the daily peak reaches `share` × `allocation`, by the rules in the module docs.
pub fn reach(
    share: f64,
    allocation: Option<u64>,
    days: &[(i64, u64)],
    trend: &Result<Trend, String>,
) -> Reach {
    let pct = format!("{:.0} %", share * 100.0);
    let Some(alloc) = allocation.filter(|a| *a > 0) else {
        let note = format!("allocation unknown, so there is no {pct} to reach: pass --allocation ORG=N, --limits FILE or --profile FILE");
        return not_projected(share, None, note);
    };
    let level = share * alloc as f64;
    // Same comparison as the near/over-limit findings, so a day never disagrees with them.
    let calls = (level - 1e-9).ceil() as u64;
    if let Some(&(day, peak)) = days.iter().find(|(_, p)| *p as f64 >= level) {
        let note = format!(
            "reached {pct} ({} calls) on {}: that day's peak was {}",
            thousands(calls),
            date(day),
            thousands(peak)
        );
        return Reach {
            share,
            calls: Some(calls),
            status: ReachStatus::Reached,
            at: Some(date(day)),
            note,
        };
    }
    match trend {
        Err(why) => {
            let note = format!("no date for {pct} ({} calls): {why}", thousands(calls));
            not_projected(share, Some(calls), note)
        }
        Ok(t) => project(share, calls, level, t, &pct),
    }
}

fn project(share: f64, calls: u64, level: f64, t: &Trend, pct: &str) -> Reach {
    let slope = per_day(t.slope_per_day);
    let what = format!("{pct} ({} calls)", thousands(calls));
    match t.direction {
        Direction::Flat => {
            let note = format!("no date for {what}: the daily peak is flat within its day-to-day noise (slope {slope} calls/day, {:.0} % interval {})", t.confidence * 100.0, interval(t));
            return not_projected(share, Some(calls), note);
        }
        Direction::Decreasing => {
            let note = format!("no date for {what}: the daily peak is falling ({slope} calls/day)");
            return not_projected(share, Some(calls), note);
        }
        Direction::Increasing => {}
    }
    let crossing = (level - t.fit.intercept) / t.fit.slope;
    // `as` saturates, so a crossing centuries away stays finite and fails the horizon test.
    let day = t.first.saturating_add(crossing.ceil() as i64).max(t.last + 1);
    let ahead = day - t.last;
    let horizon = horizon_days(t.first, t.last);
    if ahead > horizon {
        let note = format!("no date for {what}: at {slope} calls/day it would take about {} more days, further than the {horizon} days ahead that {} days of data can support", thousands(ahead as u64), t.last - t.first + 1);
        return not_projected(share, Some(calls), note);
    }
    Reach {
        share,
        calls: Some(calls),
        status: ReachStatus::Projected,
        at: Some(date(day)),
        note: format!(
            "at {slope} calls/day the daily peak reaches {what} on {}, {} after the data ends",
            date(day),
            crate::text::count_of(u64::try_from(ahead).unwrap_or(0), "day")
        ),
    }
}

fn not_projected(share: f64, calls: Option<u64>, note: String) -> Reach {
    Reach {
        share,
        calls,
        status: ReachStatus::NotProjected,
        at: None,
        note,
    }
}

fn per_day(v: f64) -> String {
    signed(v.round() as i64)
}

fn interval(t: &Trend) -> String {
    let end = |v: Option<f64>| v.map_or_else(|| "unbounded".into(), per_day);
    format!("{} to {}", end(t.slope_low), end(t.slope_high))
}
