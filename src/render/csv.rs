//! CSV outputs: `integrations.csv` (one row per org and integration), `recommendations.csv` (one
//! row per recommendation) and `usage_<org>.csv` (the per-minute rolling series of an org and its
//! top integrations).

use crate::analysis::{Analysis, OrgReport, PeakView};
use crate::text::rfc3339;
use crate::usage::OrgSeries;
use crate::window::MINUTE_MS;

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

/// A text cell a spreadsheet will not run: a cell starting with `=`, `+`, `-`, `@`, tab or CR
/// (a formula to Excel, LibreOffice and Sheets) gets a leading `'` (OWASP's advice against CSV
/// injection). Numbers apiusage writes never pass through here, so they stay numbers.
pub fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(String::new, |s| format!("{s:.4}"))
}

/// `integrations.csv`.
pub fn integrations(a: &Analysis) -> Vec<u8> {
    let mut w = writer();
    let header = [
        "org_id",
        "key",
        "label",
        "kind",
        "internal",
        "counted_calls",
        "not_counted_calls",
        "peak_calls",
        "peak_at",
        "peak_share_of_allocation",
        "calls_in_org_peak_window",
        "share_of_org_peak_window",
        "chatty",
        "top_resource",
    ];
    w.write_record(header).expect("in memory");
    for org in &a.orgs {
        for i in &org.integrations {
            let kind = serde_json::to_value(i.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let peak: Option<&PeakView> = i.peak.as_ref();
            w.write_record([
                text(&org.org_id),
                text(&i.key),
                text(&i.label),
                kind,
                i.internal.to_string(),
                i.counted_calls.to_string(),
                i.not_counted_calls.to_string(),
                opt(peak.map(|p| p.calls)),
                opt(peak.map(|p| text(&p.at))),
                share(i.peak_share_of_allocation),
                i.calls_in_org_peak_window.to_string(),
                share(i.share_of_org_peak_window),
                i.chatty.to_string(),
                i.top_resources.first().map(|r| text(&r.name)).unwrap_or_default(),
            ])
            .expect("in memory");
        }
    }
    finish(w)
}

/// `recommendations.csv`: one row per recommendation, ranked as in the report, with the
/// what-if peaks and shares and the evidence in one sentence.
pub fn recommendations(a: &Analysis) -> Vec<u8> {
    let mut w = writer();
    let header = [
        "rank",
        "org_id",
        "integration",
        "label",
        "kind",
        "calls_saved_at_peak",
        "calls_removed",
        "org_peak_before",
        "org_peak_after",
        "org_share_after",
        "integration_peak_before",
        "integration_peak_after",
        "integration_share_after",
        "evidence",
        "first_call",
        "last_call",
        "examples",
        "action",
        "docs",
    ];
    w.write_record(header).expect("in memory");
    let calls = |p: &Option<PeakView>| p.as_ref().map_or(0, |p| p.calls).to_string();
    let after_share = |p: &Option<PeakView>, before: &Option<PeakView>| {
        let known = before.as_ref().is_some_and(|b| b.share_of_allocation.is_some());
        share(known.then(|| p.as_ref().and_then(|p| p.share_of_allocation).unwrap_or(0.0)))
    };
    for (n, r) in a.recommendations.iter().enumerate() {
        let e = &r.evidence;
        w.write_record([
            (n + 1).to_string(),
            text(&r.org_id),
            text(&r.integration),
            text(&r.label),
            r.kind.id().to_string(),
            r.calls_saved_at_peak.to_string(),
            r.calls_removed.to_string(),
            calls(&r.org_peak_before),
            calls(&r.org_peak_after),
            after_share(&r.org_peak_after, &r.org_peak_before),
            calls(&r.integration_peak_before),
            calls(&r.integration_peak_after),
            after_share(&r.integration_peak_after, &r.integration_peak_before),
            text(&e.summary),
            e.first.clone().unwrap_or_default(),
            e.last.clone().unwrap_or_default(),
            text(&e.examples.join(" ")),
            text(&r.action),
            text(&r.docs),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// `usage_<org>.csv`: for each minute, calls in it, the rolling 24-hour usage at its end and
/// the maximum inside it, then the rolling usage at its end of each top integration.
pub fn usage(org: &OrgReport, series: &OrgSeries) -> Vec<u8> {
    let mut w = writer();
    let mut header = vec![
        "minute".to_string(),
        "calls".into(),
        "rolling_24h_end".into(),
        "rolling_24h_max".into(),
    ];
    for (key, _) in &series.integrations {
        let label = org
            .integrations
            .iter()
            .find(|i| &i.key == key)
            .map_or(key.as_str(), |i| i.label.as_str());
        header.push(text(&format!("{label} rolling_24h_end")));
    }
    w.write_record(&header).expect("in memory");
    let s = &series.org;
    for m in 0..s.calls.len() {
        let mut row = vec![
            rfc3339(s.minutes[m].saturating_mul(MINUTE_MS)),
            s.calls[m].to_string(),
            s.usage_end[m].to_string(),
            s.usage_max[m].to_string(),
        ];
        row.extend(
            series
                .integrations
                .iter()
                .map(|(_, i)| i.usage_end[m].to_string()),
        );
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}
