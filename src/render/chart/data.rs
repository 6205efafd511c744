//! What each chart shows, taken from the `Analysis` and its per-minute series: stacked usage
//! points, ranked integrations, hour × day counts and daily peaks. No drawing here, and no
//! second computation of usage: only selection, thinning to the chart's width and summing of
//! exact per-minute values.
//!
//! Render stage: reads only the Analysis (and the series it carries).

use crate::analysis::{OrgReport, Overview, PeakView};
use crate::usage::OrgSeries;

use super::style::{clip, pct};

/// At most this many points per plotted series: about one per pixel and a half of the plot,
/// so a quarter of per-minute data stays a light SVG.
pub const MAX_POINTS: usize = 600;

/// How many integrations get their own layer in the stacked area; the rest are "other".
pub const STACKED: usize = 6;

/// How many integrations the ranked bar chart shows.
pub const BARS: usize = 15;

/// A horizontal line at a share of the allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Calls.
    pub value: f64,
    /// What the line is, e.g. `80 % warn: 12,000`.
    pub label: String,
    /// Which line.
    pub kind: LineKind,
}

/// The three allocation lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// 100 % of the allocation.
    Allocation,
    /// The near-limit share.
    Warn,
    /// The chatty share.
    Chatty,
}

/// The allocation, warn and chatty lines (none when the allocation is unknown).
pub fn threshold_lines(allocation: Option<u64>, warn_share: f64, chatty_share: f64) -> Vec<Line> {
    let Some(a) = allocation.filter(|a| *a > 0) else {
        return Vec::new();
    };
    let a = a as f64;
    let line = |share: f64, name: &str, kind| Line {
        value: a * share,
        label: format!("{name} {}", crate::text::thousands((a * share).round() as u64)),
        kind,
    };
    vec![
        line(1.0, "allocation", LineKind::Allocation),
        line(
            warn_share,
            &format!("{:.0} % warn", warn_share * 100.0),
            LineKind::Warn,
        ),
        line(
            chatty_share,
            &format!("{:.0} % chatty", chatty_share * 100.0),
            LineKind::Chatty,
        ),
    ]
}

/// Splits lines into those drawn and those far above the data (more than `4 ×` its maximum),
/// which would flatten the curve; the latter are named in a note instead. Returns the y range.
pub fn fit_lines(lines: Vec<Line>, data_max: f64) -> (Vec<Line>, Vec<Line>, f64) {
    let (shown, off): (Vec<Line>, Vec<Line>) = lines
        .into_iter()
        .partition(|l| l.value <= 4.0 * data_max.max(1.0));
    let top = shown.iter().map(|l| l.value).fold(data_max, f64::max);
    (shown, off, (top * 1.1).max(1.0))
}

/// The name of an org on a chart.
pub fn org_name(org: &OrgReport) -> String {
    match &org.name {
        Some(n) => format!("{} ({})", clip(n, 40), clip(&org.org_id, 18)),
        None => clip(&org.org_id, 18),
    }
}

/// One layer of the stacked area.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Integration label (or "other").
    pub label: String,
    /// Rolling usage at each point.
    pub values: Vec<u64>,
}

/// The org's peak, for its marker.
#[derive(Debug, Clone, PartialEq)]
pub struct PeakMark {
    /// Minute index of the peak.
    pub minute: i64,
    /// Calls.
    pub calls: u64,
    /// `peak 14,999 calls, Nov 04 23:00:00 UTC (99.9 %)`.
    pub label: String,
}

/// The rolling-usage chart's data.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageData {
    /// Minute index of each point (the start of its group of minutes).
    pub x: Vec<i64>,
    /// Minutes per point (1 unless thinned).
    pub per_point: i64,
    /// Highest rolling usage in each point's minutes (so the peak is never thinned away).
    pub envelope: Vec<u64>,
    /// Stacked layers, bottom first; their sum is the org's usage at the point's busiest minute.
    pub layers: Vec<Layer>,
    /// The peak.
    pub peak: Option<PeakMark>,
    /// Minute up to which usage is a lower bound (the 24 hours before the first reported
    /// instant are not all in the inputs): the chart shades the span before it.
    pub lower_bound_until: Option<i64>,
}

/// Thins and stacks the per-minute series. Each point stands for `per_point` minutes: the
/// envelope keeps their maximum, and the layers are read at the minute where the org's usage
/// ends highest, so the stack adds up exactly to a real minute's usage.
pub fn usage(org: &OrgReport, series: &OrgSeries) -> UsageData {
    let mut data = stacked(series, |key| label_of(org, key));
    data.peak = peak_mark(org.peak.as_ref(), series);
    data.lower_bound_until = series.lower_bound_until.map(crate::window::minute_of);
    data
}

/// The thinned, stacked points; `label` names an integration key.
fn stacked(series: &OrgSeries, label: impl Fn(&str) -> String) -> UsageData {
    let s = &series.org;
    let per_point = s.usage_max.len().div_ceil(MAX_POINTS).max(1);
    let chosen: Vec<usize> = (0..s.usage_end.len())
        .step_by(per_point)
        .map(|start| busiest(&s.usage_end, start, per_point))
        .collect();
    UsageData {
        x: (0..chosen.len()).map(|i| s.minutes[i * per_point]).collect(),
        per_point: per_point as i64,
        envelope: s
            .usage_max
            .chunks(per_point)
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .collect(),
        layers: layers(series, &chosen, label),
        peak: None,
        lower_bound_until: None,
    }
}

/// Index of the first maximum of `v[start..start + len]`.
fn busiest(v: &[u64], start: usize, len: usize) -> usize {
    let end = (start + len).min(v.len());
    (start..end).fold(start, |best, i| if v[i] > v[best] { i } else { best })
}

fn layers(series: &OrgSeries, chosen: &[usize], label: impl Fn(&str) -> String) -> Vec<Layer> {
    let mut layers: Vec<Layer> = series
        .integrations
        .iter()
        .take(STACKED)
        .map(|(key, s)| Layer {
            label: label(key),
            values: chosen.iter().map(|&i| s.usage_end[i]).collect(),
        })
        .collect();
    let other: Vec<u64> = chosen
        .iter()
        .enumerate()
        .map(|(p, &i)| {
            let named: u64 = layers.iter().map(|l| l.values[p]).sum();
            series.org.usage_end[i].saturating_sub(named)
        })
        .collect();
    if other.iter().any(|v| *v > 0) {
        layers.push(Layer {
            label: "other integrations".into(),
            values: other,
        });
    }
    layers
}

fn label_of(org: &OrgReport, key: &str) -> String {
    org.integrations
        .iter()
        .find(|i| i.key == key)
        .map_or_else(|| key.to_string(), |i| i.label.clone())
}

/// The peak marker: the first minute whose maximum reaches the org's exact peak.
fn peak_mark(p: Option<&PeakView>, series: &OrgSeries) -> Option<PeakMark> {
    let p = p?;
    let i = series.org.usage_max.iter().position(|v| *v >= p.calls)?;
    let at = chrono::DateTime::parse_from_rfc3339(&p.at)
        .map_or_else(|_| p.at.clone(), |t| t.format("%b %d %H:%M:%S UTC").to_string());
    let share = p
        .share_of_allocation
        .map_or_else(String::new, |s| format!(" ({} of allocation)", pct(s)));
    Some(PeakMark {
        minute: series.org.minutes[i],
        calls: p.calls,
        label: format!("peak {} calls, {at}{share}", crate::text::thousands(p.calls)),
    })
}

/// One bar of the ranked-integrations chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Integration label.
    pub label: String,
    /// Own peak as a share of the allocation, or in calls when the allocation is unknown.
    pub value: f64,
    /// Own peak in calls.
    pub calls: u64,
    /// At or above the chatty threshold.
    pub chatty: bool,
}

/// The ranked-integrations chart's data.
#[derive(Debug, Clone, PartialEq)]
pub struct BarsData {
    /// Bars, largest first.
    pub bars: Vec<Bar>,
    /// Values are shares of the allocation (else calls).
    pub shares: bool,
    /// The chatty share, drawn as a line when values are shares.
    pub threshold: Option<f64>,
    /// Integrations with counted calls left out of the chart.
    pub more: usize,
}

/// Integrations with counted calls, ranked by their own peak share of the allocation.
pub fn bars(org: &OrgReport, o: &Overview) -> BarsData {
    let shares = org.allocation.calls.is_some_and(|a| a > 0);
    let mut bars: Vec<Bar> = org
        .integrations
        .iter()
        .filter_map(|i| {
            let p = i.peak.as_ref()?;
            Some(Bar {
                label: i.label.clone(),
                value: i.peak_share_of_allocation.unwrap_or(p.calls as f64),
                calls: p.calls,
                chatty: i.chatty,
            })
        })
        .collect();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    let more = bars.len().saturating_sub(BARS);
    bars.truncate(BARS);
    BarsData {
        bars,
        shares,
        threshold: shares.then_some(o.chatty_share),
        more,
    }
}

/// Counted calls per hour of day (rows) and date (columns), in the display offset. Sparse:
/// one column per day with calls, so far-apart calls cost two columns, not the days between.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapData {
    /// Day index (days since 1970-01-01 in the display offset) of each column, ascending.
    pub dates: Vec<i64>,
    /// Per column, calls in each of its 24 hours.
    pub days: Vec<[u64; 24]>,
    /// The busiest hour's calls.
    pub max: u64,
}

/// Sums the exact per-minute calls into local hours of `zone` for display. Each minute takes
/// the zone's offset at that minute, so across a summer-time change the day of 23 hours has an
/// empty hour and the day of 25 hours counts two real hours in one local hour.
pub fn heatmap(series: &OrgSeries, zone: crate::render::zone::DisplayZone) -> HeatmapData {
    let local = |minute: i64| minute + i64::from(zone.offset_minutes_at(minute.saturating_mul(60_000)));
    let s = &series.org;
    let mut dates: Vec<i64> = Vec::new();
    let mut days: Vec<[u64; 24]> = Vec::new();
    for (&minute, &n) in s.minutes.iter().zip(&s.calls).filter(|(_, n)| **n > 0) {
        let m = local(minute);
        let day = m.div_euclid(1440);
        if dates.last() != Some(&day) {
            dates.push(day);
            days.push([0; 24]);
        }
        if let Some(hours) = days.last_mut() {
            hours[(m.rem_euclid(1440) / 60) as usize] += u64::from(n);
        }
    }
    if days.is_empty() {
        dates.push(s.minutes.first().map_or(0, |&m| local(m).div_euclid(1440)));
        days.push([0; 24]);
    }
    let max = days.iter().flatten().copied().max().unwrap_or(0);
    HeatmapData { dates, days, max }
}

/// Daily peaks, for orgs whose calls span several UTC days.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyData {
    /// Day index (UTC) and that day's exact rolling-24h peak, days with calls only.
    pub days: Vec<(i64, u64)>,
    /// Per day: its peak is a lower bound (reached before the inputs cover 24 hours).
    pub partial: Vec<bool>,
}

/// The daily peaks, or `None` when the calls fall on one UTC day.
pub fn daily(series: &OrgSeries) -> Option<DailyData> {
    if series.daily.len() < 2 {
        return None;
    }
    let days = series
        .daily
        .iter()
        .map(|d| (d.day, d.peak.map_or(0, |p| p.calls)))
        .collect();
    let partial = series
        .daily
        .iter()
        .map(|d| {
            let at = d.peak.map(|p| p.at);
            series
                .lower_bound_until
                .is_some_and(|until| at.is_some_and(|at| at < until))
        })
        .collect();
    Some(DailyData { days, partial })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::zone::DisplayZone;
    use crate::window::{minute_series, series_at};

    fn series(ts: &[i64], integrations: Vec<(&str, Vec<i64>)>) -> OrgSeries {
        let (from, to) = (ts[0] / 60_000, ts[ts.len() - 1] / 60_000);
        let org = minute_series(ts, from, to);
        OrgSeries {
            integrations: integrations
                .into_iter()
                .map(|(k, t)| (k.to_string(), series_at(&t, &org.minutes)))
                .collect(),
            org,
            daily: Vec::new(),
            lower_bound_until: None,
        }
    }

    #[test]
    fn thinning_keeps_the_peak_and_stacks_add_up() {
        // 3,000 minutes of one call each, plus a burst of 50 in minute 1,700.
        let mut ts: Vec<i64> = (0..3000).map(|m| m * 60_000).collect();
        ts.extend(std::iter::repeat_n(1_700 * 60_000 + 1, 50));
        ts.sort();
        let burst: Vec<i64> = vec![1_700 * 60_000 + 1; 50];
        let rest: Vec<i64> = (0..3000).map(|m| m * 60_000).collect();
        let s = series(&ts, vec![("app:b", burst), ("app:r", rest)]);
        let u = stacked(&s, |k| k.to_string());
        assert_eq!(u.per_point, 3000usize.div_ceil(MAX_POINTS) as i64);
        assert!(u.x.len() <= MAX_POINTS);
        assert_eq!(u.envelope.iter().max(), s.org.usage_max.iter().max());
        for p in 0..u.x.len() {
            let sum: u64 = u.layers.iter().map(|l| l.values[p]).sum();
            assert!(sum <= u.envelope[p]);
        }
        assert_eq!(u.layers.len(), 2, "no 'other' layer when every call is named");
    }

    #[test]
    fn hours_add_up_to_the_calls_and_shift_with_the_offset() {
        let day = 20_000 * 1440;
        let ts: Vec<i64> = vec![(day + 23 * 60) * 60_000, (day + 23 * 60 + 30) * 60_000];
        let s = series(&ts, vec![]);
        let utc = heatmap(&s, DisplayZone::Utc);
        assert_eq!((utc.dates[0], utc.days.len(), utc.days[0][23]), (20_000, 1, 2));
        let plus2 = heatmap(&s, DisplayZone::Fixed(120));
        assert_eq!((plus2.dates[0], plus2.days[0][1]), (20_001, 2));
        assert_eq!(plus2.max, 2);
    }

    #[test]
    fn paris_days_of_25_and_23_hours_keep_every_call() {
        // One call a minute from 2026-10-24 22:00 UTC (00:00 CEST on the 25th) for 25 hours:
        // Paris' 25th lasts 25 hours (clocks go back at 03:00 CEST), so its local 02:00 hour
        // holds 120 calls and every other hour 60.
        let start = chrono::DateTime::parse_from_rfc3339("2026-10-24T22:00:00Z")
            .unwrap()
            .timestamp_millis();
        let ts: Vec<i64> = (0..25 * 60).map(|m| start + m * 60_000).collect();
        let paris = DisplayZone::parse("Europe/Paris").unwrap();
        let h = heatmap(&series(&ts, vec![]), paris);
        assert_eq!(h.days.len(), 1, "one local day");
        assert_eq!(h.days[0][2], 120);
        assert!((0..24).filter(|&i| i != 2).all(|i| h.days[0][i] == 60));
        assert_eq!(h.days[0].iter().sum::<u64>(), 25 * 60);
        // 2026-03-29 lasts 23 hours in Paris: its 02:00 hour does not exist.
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-28T23:00:00Z")
            .unwrap()
            .timestamp_millis();
        let ts: Vec<i64> = (0..23 * 60).map(|m| start + m * 60_000).collect();
        let h = heatmap(&series(&ts, vec![]), paris);
        assert_eq!(h.days.len(), 1);
        assert_eq!(h.days[0][2], 0);
        assert_eq!(h.days[0].iter().sum::<u64>(), 23 * 60);
    }

    #[test]
    fn far_lines_become_a_note_instead_of_flattening_the_curve() {
        let lines = threshold_lines(Some(100_000), 0.8, 0.5);
        let (shown, off, top) = fit_lines(lines.clone(), 30_000.0);
        assert_eq!(shown.len(), 3);
        assert!(off.is_empty() && top >= 100_000.0);
        let (shown, off, top) = fit_lines(lines, 1_000.0);
        assert!(shown.is_empty() && off.len() == 3);
        assert!((top - 1_100.0).abs() < 1e-9);
    }
}
