//! The kinds' documentation, built into the binary so the report can carry it.
//!
//! Part of the recommendation stage's public surface; read by the renderers (downstream). The
//! page is `docs/recommendations.md`, embedded at compile time: an installed binary writes it
//! into `--out` (so the report's `docs/recommendations.md#<kind>` links resolve there) and
//! `report.html` shows each kind's entry in a collapsed section, without a checkout.

use super::Kind;

/// Where the page goes inside a report folder; the report links to it by this path.
pub const PATH: &str = "docs/recommendations.md";

/// The whole page, Markdown.
pub const PAGE: &str = include_str!("../../docs/recommendations.md");

/// The five parts every kind's entry has, in order.
pub const PARTS: [&str; 5] = [
    "**What it detects.**",
    "**Why it costs calls.**",
    "**Example.**",
    "**What to do instead.**",
    "**How savings are estimated.**",
];

/// The entry of `kind`: the Markdown under its `## <id>` heading, without the heading.
pub fn section(kind: Kind) -> &'static str {
    let heading = format!("\n## {}\n", kind.id());
    let Some(start) = PAGE.find(&heading).map(|i| i + heading.len()) else {
        return "";
    };
    let end = PAGE[start..].find("\n## ").map_or(PAGE.len(), |i| start + i);
    PAGE[start..end].trim()
}

/// The entry's paragraphs (blank-line separated), each on one line.
pub fn paragraphs(kind: Kind) -> Vec<String> {
    section(kind)
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_documented_in_the_five_parts_in_order() {
        for kind in Kind::ALL {
            let text = section(kind);
            let mut at = 0;
            for part in PARTS {
                let found = text[at..].find(part);
                assert!(found.is_some(), "{} lacks {part}", kind.id());
                at += found.unwrap_or(0);
            }
        }
    }

    #[test]
    fn sections_stop_at_the_next_heading() {
        let polling = section(Kind::Polling);
        assert!(polling.starts_with("**What it detects.**"));
        assert!(!polling.contains("## token_churn"));
        assert_eq!(paragraphs(Kind::Polling).len(), 5);
    }
}
