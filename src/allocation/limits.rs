//! Reading `DailyApiRequests` out of a limits document.
//!
//! Two shapes exist in the wild (reference §5.1, samples in `reference/samples/limits_*.json`):
//! * the REST `GET /services/data/vXX.X/limits` body: an object of limits, each
//!   `{"Max": …, "Remaining": …}`. Old API versions send the numbers as strings, and some orgs
//!   nest per-connected-app objects inside a limit (`"Workbench": {"Max":0,"Remaining":0}`):
//!   those are per-app quotas, never the org's limit;
//! * `sf org list limits --json`: `{"status":0,"result":[{"name","max","remaining"}…]}`, or the
//!   bare array if the user stripped the envelope.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{thousands, AllocationError};

/// The limit this module is about: total inbound API calls per rolling 24 h.
const DAILY_API_REQUESTS: &str = "DailyApiRequests";

/// Which shape a limits document had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitsFormat {
    /// Body of REST `GET /services/data/vXX.X/limits`.
    Rest,
    /// Output of `sf org list limits --json` (with or without the status/result envelope).
    SfCli,
}

/// A per-connected-app quota nested inside `DailyApiRequests` in a REST `/limits` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppQuota {
    /// Connected app name, as the key in the response.
    pub name: String,
    /// The app's `Max`, when given.
    pub max: Option<u64>,
    /// The app's `Remaining`, when given.
    pub remaining: Option<u64>,
}

/// `DailyApiRequests` from one limits document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsDoc {
    /// `Max`: the org's allocation per rolling 24 h.
    pub max: u64,
    /// `Remaining` when present; calls used when the document was fetched = max − remaining.
    pub remaining: Option<u64>,
    /// Per-connected-app quotas nested inside the limit, sorted by name.
    pub app_quotas: Vec<AppQuota>,
    /// Which shape the document had.
    pub format: LimitsFormat,
    /// The file it came from, for messages.
    pub origin: PathBuf,
    /// When the document was read from the org, if it says (`apiusage fetch` records it as
    /// `apiusage.fetched_at`): `Max − Remaining` is the usage at that instant.
    pub measured_at: Option<String>,
}

impl LimitsDoc {
    /// One sentence naming the field and file, e.g.
    /// `DailyApiRequests.Max = 25,000 in limits.json (24,926 remaining)`.
    pub fn describe(&self) -> String {
        let field = match self.format {
            LimitsFormat::Rest => "DailyApiRequests.Max",
            LimitsFormat::SfCli => "DailyApiRequests max",
        };
        let remaining = self
            .remaining
            .map(|r| format!(" ({} remaining)", thousands(r)))
            .unwrap_or_default();
        let tool = match self.format {
            LimitsFormat::Rest => "",
            LimitsFormat::SfCli => " from `sf org list limits`",
        };
        let at = self
            .measured_at
            .as_ref()
            .map(|t| format!(", read by fetch at {t}"))
            .unwrap_or_default();
        format!(
            "{field} = {} in {}{tool}{remaining}{at}",
            thousands(self.max),
            self.origin.display()
        )
    }
}

/// Parse a limits document (either shape). Errors name `origin`, and for malformed JSON the
/// line and column serde reports.
pub fn parse_limits_json(text: &str, origin: &Path) -> Result<LimitsDoc, AllocationError> {
    // A BOM is common in files saved by Windows editors and would otherwise be a syntax error.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|source| AllocationError::InvalidJson {
        path: origin.to_path_buf(),
        line: source.line(),
        column: source.column(),
        source,
    })?;
    let ctx = Ctx { origin };
    match value {
        Value::Array(entries) => ctx.read_sf_cli(&entries),
        Value::Object(map) if is_sf_cli_envelope(&map) => ctx.read_sf_cli_envelope(&map),
        Value::Object(map) => ctx.read_rest(&map),
        other => Err(AllocationError::NotLimits {
            path: origin.to_path_buf(),
            found: json_kind(&other).to_string(),
        }),
    }
}

/// The sf CLI wraps every `--json` result in `{status, result, warnings}`; a REST `/limits`
/// body has neither key (every top-level value there is a limit object).
fn is_sf_cli_envelope(map: &Map<String, Value>) -> bool {
    map.contains_key("result") || map.get("status").is_some_and(Value::is_number)
}

/// Carries the file name into every error.
struct Ctx<'a> {
    origin: &'a Path,
}

impl Ctx<'_> {
    fn read_sf_cli_envelope(&self, map: &Map<String, Value>) -> Result<LimitsDoc, AllocationError> {
        let status = map.get("status").and_then(Value::as_i64).unwrap_or(0);
        if status != 0 {
            let message = map
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string();
            return Err(AllocationError::SfCliFailed {
                path: self.origin.to_path_buf(),
                status,
                message,
            });
        }
        match map.get("result") {
            Some(Value::Array(entries)) => self.read_sf_cli(entries),
            other => Err(AllocationError::NotLimits {
                path: self.origin.to_path_buf(),
                found: format!(
                    "an sf CLI envelope whose `result` is {}",
                    other.map_or("missing", json_kind)
                ),
            }),
        }
    }

    fn read_sf_cli(&self, entries: &[Value]) -> Result<LimitsDoc, AllocationError> {
        let name_of = |e: &Value| e.get("name").and_then(Value::as_str).map(str::to_string);
        let Some(entry) = entries
            .iter()
            .find(|e| name_of(e).as_deref() == Some(DAILY_API_REQUESTS))
        else {
            return Err(self.missing(entries.iter().filter_map(name_of).collect()));
        };
        Ok(LimitsDoc {
            max: self.required(entry, &["max", "Max"], "DailyApiRequests max")?,
            remaining: self.optional(entry, &["remaining", "Remaining"], "DailyApiRequests remaining")?,
            app_quotas: Vec::new(),
            format: LimitsFormat::SfCli,
            origin: self.origin.to_path_buf(),
            measured_at: None,
        })
    }

    fn read_rest(&self, map: &Map<String, Value>) -> Result<LimitsDoc, AllocationError> {
        let Some(limit) = map.get(DAILY_API_REQUESTS) else {
            return Err(self.missing(map.keys().cloned().collect()));
        };
        if !limit.is_object() {
            return Err(self.bad_value("DailyApiRequests", limit, "an object with Max and Remaining"));
        }
        Ok(LimitsDoc {
            max: self.required(limit, &["Max", "max"], "DailyApiRequests.Max")?,
            remaining: self.optional(limit, &["Remaining", "remaining"], "DailyApiRequests.Remaining")?,
            app_quotas: Self::app_quotas(limit),
            format: LimitsFormat::Rest,
            origin: self.origin.to_path_buf(),
            measured_at: map
                .get("apiusage")
                .and_then(|b| b.get("fetched_at"))
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Every object-valued key inside `DailyApiRequests` is a connected app's own quota. They
    /// are informational, so an odd value there is shown as absent rather than failing the file.
    fn app_quotas(limit: &Value) -> Vec<AppQuota> {
        let Some(fields) = limit.as_object() else {
            return Vec::new();
        };
        let number =
            |app: &Value, keys: [&str; 2]| keys.iter().find_map(|k| app.get(*k)).and_then(whole_number);
        let mut quotas: Vec<AppQuota> = fields
            .iter()
            .filter(|(_, app)| app.is_object())
            .map(|(name, app)| AppQuota {
                name: name.clone(),
                max: number(app, ["Max", "max"]),
                remaining: number(app, ["Remaining", "remaining"]),
            })
            .collect();
        // serde_json's map order depends on a feature flag; sort so output is stable either way.
        quotas.sort_by(|a, b| a.name.cmp(&b.name));
        quotas
    }

    /// The org's `Max`: required, and 0 is refused because no share of a zero allocation means
    /// anything (a real org never reports it; a placeholder file might).
    fn required(&self, obj: &Value, keys: &[&str], field: &str) -> Result<u64, AllocationError> {
        match self.optional(obj, keys, field)? {
            Some(0) => Err(self.bad_value(field, &Value::from(0), "a positive whole number")),
            Some(n) => Ok(n),
            None => Err(self.bad_value(field, &Value::Null, "a whole number")),
        }
    }

    fn optional(&self, obj: &Value, keys: &[&str], field: &str) -> Result<Option<u64>, AllocationError> {
        let Some(value) = keys.iter().find_map(|k| obj.get(*k)) else {
            return Ok(None);
        };
        if value.is_null() {
            return Ok(None);
        }
        whole_number(value)
            .map(Some)
            .ok_or_else(|| self.bad_value(field, value, "a whole number"))
    }

    fn missing(&self, mut found: Vec<String>) -> AllocationError {
        found.sort();
        AllocationError::MissingDailyApiRequests {
            path: self.origin.to_path_buf(),
            found,
        }
    }

    fn bad_value(&self, field: &str, value: &Value, expected: &str) -> AllocationError {
        let shown = if value.is_null() {
            "missing".to_string()
        } else {
            value.to_string()
        };
        AllocationError::BadLimitValue {
            path: self.origin.to_path_buf(),
            field: field.to_string(),
            value: shown,
            expected: expected.to_string(),
        }
    }
}

/// A non-negative whole number given as a JSON number (`5000`, `5000.0`) or a numeric string
/// (`"5000"`, as API v29 sent them).
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            // Integral floats only; 2^53 is where f64 stops representing every integer.
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(f))
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LimitsDoc, AllocationError> {
        parse_limits_json(text, Path::new("l.json"))
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole_number(&Value::from(5000)), Some(5000));
        assert_eq!(whole_number(&serde_json::json!(5000.0)), Some(5000));
        assert_eq!(whole_number(&Value::from(" 4980 ")), Some(4980));
        assert_eq!(whole_number(&Value::from(-1)), None);
        assert_eq!(whole_number(&serde_json::json!(1.5)), None);
        assert_eq!(whole_number(&Value::from("5k")), None);
        assert_eq!(whole_number(&Value::Bool(true)), None);
    }

    #[test]
    fn rest_with_nested_app_quota() {
        let doc = parse(
            r#"{"DailyApiRequests":{"Max":15000,"Remaining":14998,"Workbench":{"Max":0,"Remaining":0}}}"#,
        )
        .unwrap();
        assert_eq!((doc.max, doc.remaining), (15_000, Some(14_998)));
        assert_eq!(doc.app_quotas.len(), 1);
        let odd = parse(r#"{"DailyApiRequests":{"Max":"100","App":{"Max":"n/a"}}}"#).unwrap();
        assert_eq!((odd.max, odd.app_quotas[0].max), (100, None));
        assert_eq!(
            doc.describe(),
            "DailyApiRequests.Max = 15,000 in l.json (14,998 remaining)"
        );
    }

    #[test]
    fn bom_is_ignored() {
        let doc = parse("\u{feff}[{\"name\":\"DailyApiRequests\",\"max\":\"5000\"}]").unwrap();
        assert_eq!(
            (doc.max, doc.remaining, doc.format),
            (5000, None, LimitsFormat::SfCli)
        );
    }

    #[test]
    fn zero_or_missing_max_is_an_error() {
        let e = parse(r#"{"DailyApiRequests":{"Max":0,"Remaining":0}}"#).unwrap_err();
        assert!(e.to_string().contains("DailyApiRequests.Max is 0"), "{e}");
        let e = parse(r#"{"DailyApiRequests":{"Remaining":10}}"#).unwrap_err();
        assert!(e.to_string().contains("DailyApiRequests.Max is missing"), "{e}");
    }

    #[test]
    fn sf_cli_failure_is_reported() {
        let e = parse(r#"{"status":1,"name":"NoOrgFound","message":"No default org"}"#).unwrap_err();
        assert!(e.to_string().contains("status 1): No default org"), "{e}");
    }

    #[test]
    fn scalar_top_level_is_not_limits() {
        let e = parse("42").unwrap_err();
        assert!(
            e.to_string().starts_with("l.json: a number at the top level"),
            "{e}"
        );
    }
}
