//! Who drives the change: each integration's calls per day and daily peak in the first and the
//! last period of the data, and the weekday/weekend difference of the org's daily peak.
//!
//! Capacity stage, pure, over whole days (days with calls whose previous day has calls too, see
//! `forecast::trend`). Periods are the first and last 7 whole days when there are at least 14
//! (two weeks, so both periods hold every weekday once), else the first and last third. Calls per day add up across integrations to the org's, so each integration's change is
//! an exact part of the org's change; its daily peak is shown beside it.

use serde::Serialize;

use super::daily::IntegrationDaily;
use super::date;
use super::fit::median;
use crate::window::DayPeak;

/// Whole days from which periods are weeks and the weekday pattern is shown.
pub const WEEKS_FROM_DAYS: usize = 14;

/// A before/after pair of daily means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// Mean over the first period's days.
    pub first: f64,
    /// Mean over the last period's days.
    pub last: f64,
    /// `last − first`.
    pub change: f64,
}

/// A run of whole days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First UTC day (YYYY-MM-DD).
    pub from: String,
    /// Last UTC day.
    pub to: String,
    /// Whole days in it.
    pub days: usize,
}

/// How the org's usage changed and which integrations changed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    /// `weeks` (first and last 7 days) or `thirds`.
    pub basis: &'static str,
    /// The first period.
    pub first: Period,
    /// The last period.
    pub last: Period,
    /// The org's counted calls per day.
    pub org_calls_per_day: Change,
    /// The org's daily peak.
    pub org_daily_peak: Change,
    /// Integrations, largest change in calls per day (either way) first.
    pub integrations: Vec<IntegrationGrowth>,
}

/// One integration's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegrationGrowth {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Counted calls per day.
    pub calls_per_day: Change,
    /// Its own daily peak (0 on days without its calls).
    pub daily_peak: Change,
    /// Its change in calls per day ÷ the org's (`null` when the org's is 0).
    pub share_of_org_change: Option<f64>,
}

/// Weekday against weekend daily peaks (UTC days; Saturday and Sunday are the weekend).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeekPattern {
    /// Median daily peak, Monday to Friday.
    pub weekday_median_peak: f64,
    /// Median daily peak, Saturday and Sunday.
    pub weekend_median_peak: f64,
    /// Weekend ÷ weekday (`null` when the weekday median is 0).
    pub weekend_to_weekday: Option<f64>,
    /// Whole weekdays.
    pub weekdays: usize,
    /// Whole weekend days.
    pub weekend_days: usize,
}

/// The growth between the first and last periods of `days` (the org's whole days), or
/// why it cannot be measured.
pub fn growth(days: &[&DayPeak], integrations: &[IntegrationDaily]) -> Result<Growth, String> {
    let (basis, k) = if days.len() >= WEEKS_FROM_DAYS {
        ("weeks", 7)
    } else {
        ("thirds", days.len() / 3)
    };
    if k == 0 {
        return Err(format!(
            "only {}: growth compares the first and last third, which needs 3",
            crate::text::count_of(days.len() as u64, "whole day")
        ));
    }
    let (first, last) = (&days[..k], &days[days.len() - k..]);
    let org_calls = change(first, last, |d| d.calls as f64);
    let mut integrations: Vec<IntegrationGrowth> = integrations
        .iter()
        .map(|i| integration_growth(i, first, last, org_calls.change))
        .collect();
    integrations.sort_by(|a, b| {
        b.calls_per_day
            .change
            .abs()
            .total_cmp(&a.calls_per_day.change.abs())
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(Growth {
        basis,
        first: period(first),
        last: period(last),
        org_calls_per_day: org_calls,
        org_daily_peak: change(first, last, |d| peak_of(Some(d))),
        integrations,
    })
}

fn integration_growth(
    i: &IntegrationDaily,
    first: &[&DayPeak],
    last: &[&DayPeak],
    org_change: f64,
) -> IntegrationGrowth {
    // The integration's own day, found by index among its (sorted) active days; absent = 0.
    let own = |d: &DayPeak| {
        i.days
            .binary_search_by_key(&d.day, |x| x.day)
            .ok()
            .map(|j| &i.days[j])
    };
    let calls_per_day = change(first, last, |d| own(d).map_or(0.0, |x| x.calls as f64));
    IntegrationGrowth {
        key: i.key.clone(),
        label: i.label.clone(),
        daily_peak: change(first, last, |d| peak_of(own(d))),
        // `+ 0.0` turns −0 into 0, which reads better in JSON.
        share_of_org_change: (org_change != 0.0).then(|| calls_per_day.change / org_change + 0.0),
        calls_per_day,
    }
}

fn peak_of(d: Option<&DayPeak>) -> f64 {
    d.and_then(|d| d.peak).map_or(0.0, |p| p.calls as f64)
}

fn change(first: &[&DayPeak], last: &[&DayPeak], value: impl Fn(&DayPeak) -> f64) -> Change {
    let mean = |days: &[&DayPeak]| days.iter().map(|d| value(d)).sum::<f64>() / days.len() as f64;
    let (first, last) = (mean(first), mean(last));
    Change {
        first,
        last,
        change: last - first,
    }
}

fn period(days: &[&DayPeak]) -> Period {
    Period {
        from: date(days[0].day),
        to: date(days[days.len() - 1].day),
        days: days.len(),
    }
}

/// Whether UTC day index `day` is a Saturday or Sunday (day 0, 1970-01-01, was a Thursday).
pub fn is_weekend(day: i64) -> bool {
    (day + 3).rem_euclid(7) >= 5
}

/// The weekday/weekend pattern of `days` (whole days), from [`WEEKS_FROM_DAYS`] days on.
pub fn week_pattern(days: &[&DayPeak]) -> Result<WeekPattern, String> {
    if days.len() < WEEKS_FROM_DAYS {
        return Err(format!(
            "shown from {WEEKS_FROM_DAYS} whole days on; there are {}",
            days.len()
        ));
    }
    let peaks = |weekend: bool| -> Vec<f64> {
        days.iter()
            .filter(|d| is_weekend(d.day) == weekend)
            .map(|d| peak_of(Some(d)))
            .collect()
    };
    let (weekday, weekend) = (peaks(false), peaks(true));
    let (Some(wd), Some(we)) = (median(&weekday), median(&weekend)) else {
        return Err("the whole days are all weekdays or all weekend days".into());
    };
    Ok(WeekPattern {
        weekday_median_peak: wd,
        weekend_median_peak: we,
        weekend_to_weekday: (wd > 0.0).then(|| we / wd),
        weekdays: weekday.len(),
        weekend_days: weekend.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekends_are_saturday_and_sunday() {
        // 2024-01-03 was a Wednesday (day 19,725); 2024-01-06 a Saturday.
        assert!(!is_weekend(19_725));
        assert!(is_weekend(19_728));
        assert!(is_weekend(19_729));
        assert!(!is_weekend(19_730));
    }
}
