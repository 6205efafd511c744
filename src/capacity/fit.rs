//! The robust trend of a daily series: Theil–Sen slope (the median of all pairwise slopes)
//! with Sen's distribution-free confidence interval.
//!
//! Capacity stage, pure arithmetic: no dates, orgs or allocations. Why Theil–Sen: one bad day
//! (a partial first day, a one-off data load, missing logs) moves a least-squares line a lot but
//! moves the median of pairwise slopes very little; the estimator tolerates up to about 29 % of
//! bad points. Sen's interval needs no normality assumption either, and it is what decides
//! whether a series is rising, falling or flat "within its noise".

use serde::Serialize;

/// Two-sided 90 % normal quantile: the interval excludes zero on one side with 95 %
/// confidence, the usual one-sided test for "is it really rising?".
pub const Z_90: f64 = 1.644_853_626_951_472_2;

/// Confidence level of [`Z_90`], as a fraction.
pub const CONFIDENCE: f64 = 0.9;

/// Which way a series goes, judged by Sen's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The whole interval is above zero.
    Increasing,
    /// The interval contains zero: no trend distinguishable from day-to-day noise.
    Flat,
    /// The whole interval is below zero.
    Decreasing,
}

/// A fitted line `y = intercept + slope · x` and the slope's confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Median pairwise slope (y units per x unit).
    pub slope: f64,
    /// Median of `y − slope · x`: the line's value at `x = 0`.
    pub intercept: f64,
    /// Lower end of the slope's interval; `None` when the series is too short to bound it.
    pub slope_low: Option<f64>,
    /// Upper end of the slope's interval; `None` when the series is too short to bound it.
    pub slope_high: Option<f64>,
}

impl Fit {
    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }

    /// Rising, flat or falling: only a bounded interval entirely on one side of zero counts.
    pub fn direction(&self) -> Direction {
        match (self.slope_low, self.slope_high) {
            (Some(lo), _) if lo > 0.0 => Direction::Increasing,
            (_, Some(hi)) if hi < 0.0 => Direction::Decreasing,
            _ => Direction::Flat,
        }
    }
}

/// Theil–Sen fit of `points` (x, y) with Sen's interval at normal quantile `z`.
///
/// `None` with fewer than two distinct x values. O(n² log n): a quarter of daily points is
/// about 4,000 pairs, a year 66,000.
pub fn theil_sen(points: &[(f64, f64)], z: f64) -> Option<Fit> {
    let mut slopes = pairwise_slopes(points);
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = median_sorted(&slopes);
    let mut offsets: Vec<f64> = points.iter().map(|(x, y)| y - slope * x).collect();
    offsets.sort_by(f64::total_cmp);
    let (slope_low, slope_high) = sen_interval(&slopes, points.len(), z);
    Some(Fit {
        slope,
        intercept: median_sorted(&offsets),
        slope_low,
        slope_high,
    })
}

/// Slopes of every pair of points with different x.
fn pairwise_slopes(points: &[(f64, f64)]) -> Vec<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, (xi, yi)) in points.iter().enumerate() {
        for (xj, yj) in &points[i + 1..] {
            if xj != xi {
                slopes.push((yj - yi) / (xj - xi));
            }
        }
    }
    slopes
}

/// Sen (1968): with `N` sorted slopes and `C = z · √Var(S)`, where `Var(S) = n(n−1)(2n+5)/18`
/// is the variance of Kendall's S without ties, the interval runs from the `(N − C)/2`-th to the
/// `(N + C)/2 + 1`-th smallest slope (ranks rounded to the nearest whole rank). A rank outside
/// `1..=N` leaves that end unbounded: the series is too short to say.
fn sen_interval(sorted: &[f64], n: usize, z: f64) -> (Option<f64>, Option<f64>) {
    let pairs = sorted.len() as f64;
    let n = n as f64;
    let c = z * (n * (n - 1.0) * (2.0 * n + 5.0) / 18.0).sqrt();
    let lower_rank = ((pairs - c) / 2.0).round();
    let upper_rank = ((pairs + c) / 2.0).round() + 1.0;
    let pick = |rank: f64| (rank >= 1.0 && rank <= pairs).then(|| sorted[rank as usize - 1]);
    (pick(lower_rank), pick(upper_rank))
}

/// Median of a sorted, non-empty slice.
pub fn median_sorted(v: &[f64]) -> f64 {
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Median of any non-empty slice (copied and sorted); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(median_sorted(&sorted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, a: f64, b: f64) -> Vec<(f64, f64)> {
        (0..n).map(|i| (i as f64, a + b * i as f64)).collect()
    }

    #[test]
    fn an_exact_line_is_recovered() {
        let f = theil_sen(&line(10, 500.0, 25.0), Z_90).unwrap();
        assert_eq!((f.slope, f.intercept), (25.0, 500.0));
        assert_eq!(f.direction(), Direction::Increasing);
        assert_eq!(f.at(4.0), 600.0);
    }

    #[test]
    fn one_wild_point_barely_moves_the_slope() {
        let mut p = line(15, 1_000.0, 10.0);
        p[7].1 = 50_000.0;
        let f = theil_sen(&p, Z_90).unwrap();
        assert!((f.slope - 10.0).abs() < 1e-9, "{}", f.slope);
    }

    #[test]
    fn three_points_never_bound_the_interval() {
        let f = theil_sen(&line(3, 0.0, 100.0), Z_90).unwrap();
        assert_eq!((f.slope_low, f.slope_high), (None, None));
        assert_eq!(f.direction(), Direction::Flat);
    }

    #[test]
    fn four_rising_points_are_a_trend_at_ninety_percent() {
        let f = theil_sen(&line(4, 0.0, 100.0), Z_90).unwrap();
        assert_eq!(f.direction(), Direction::Increasing);
    }

    #[test]
    fn noise_around_a_level_is_flat_and_a_fall_is_decreasing() {
        let wobble = [100.0, 104.0, 97.0, 102.0, 99.0, 103.0, 98.0, 101.0];
        let p: Vec<(f64, f64)> = wobble.iter().enumerate().map(|(i, y)| (i as f64, *y)).collect();
        assert_eq!(theil_sen(&p, Z_90).unwrap().direction(), Direction::Flat);
        let down = theil_sen(&line(8, 900.0, -30.0), Z_90).unwrap();
        assert_eq!(down.direction(), Direction::Decreasing);
    }

    #[test]
    fn a_single_x_has_no_fit() {
        assert!(theil_sen(&[(1.0, 2.0), (1.0, 3.0)], Z_90).is_none());
        assert!(theil_sen(&[], Z_90).is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
