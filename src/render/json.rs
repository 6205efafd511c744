//! `summary.json`: the `Analysis` serialised, for scripts and nightly jobs. Its layout is
//! versioned by `schema_version` and documented in the README.

use crate::analysis::Analysis;

/// Pretty-printed JSON with a trailing newline.
pub fn render(analysis: &Analysis) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(analysis).expect("the analysis always serialises");
    bytes.push(b'\n');
    bytes
}
