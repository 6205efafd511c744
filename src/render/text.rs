//! Plain-text formatters shared by the Markdown and HTML renderers (render stage), so both
//! write shares and peak changes the same way. Callers escape for their markup.

use crate::analysis::PeakView;
use crate::model::thousands;

/// A share as `85.0 %`, or `–` when unknown.
pub fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.1} %", s * 100.0))
}

/// `12,753 → 5,382 (85.0 % → 35.9 %)`; shares only when the allocation is known.
pub fn peak_change(before: &Option<PeakView>, after: &Option<PeakView>) -> String {
    let calls = |p: &Option<PeakView>| thousands(p.as_ref().map_or(0, |p| p.calls));
    let share = |p: &Option<PeakView>| p.as_ref().and_then(|p| p.share_of_allocation);
    let change = format!("{} → {}", calls(before), calls(after));
    match share(before) {
        Some(_) => format!(
            "{change} ({} → {})",
            pct(share(before)),
            pct(Some(share(after).unwrap_or(0.0)))
        ),
        None => change,
    }
}

/// The one terminal sanitiser ([`crate::text::clean`]), for the renderers.
pub use crate::text::clean;
