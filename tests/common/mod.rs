//! Test harness shared by the integration tests: crafted Event Monitoring files and a way to
//! run the binary on them.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The ApiTotalUsage header, in the order Salesforce writes it.
pub const ATU_HEADER: &[&str] = &[
    "EVENT_TYPE",
    "TIMESTAMP",
    "REQUEST_ID",
    "ORGANIZATION_ID",
    "USER_ID",
    "API_FAMILY",
    "API_VERSION",
    "API_RESOURCE",
    "CLIENT_NAME",
    "HTTP_METHOD",
    "CLIENT_IP",
    "COUNTS_AGAINST_API_LIMIT",
    "CONNECTED_APP_ID",
    "ENTITY_NAME",
    "STATUS_CODE",
    "CONNECTED_APP_NAME",
    "USER_NAME",
    "TIMESTAMP_DERIVED",
];

pub const ORG: &str = "00D5j000000VI3n";
pub const ORG18: &str = "00D5j000000VI3nEAG";

/// One ApiTotalUsage call.
#[derive(Debug, Clone)]
pub struct Call {
    pub ts: String,
    pub request_id: String,
    pub org: String,
    pub user: String,
    pub resource: String,
    pub counts: String,
    pub app_id: String,
    pub app_name: String,
    pub client: String,
}

impl Call {
    /// A counted call of app `0H45j000000XyZa` at `ts` (ISO 8601) with request id `rid`.
    pub fn at(ts: &str, rid: &str) -> Call {
        Call {
            ts: ts.into(),
            request_id: rid.into(),
            org: ORG.into(),
            user: "0055j000000utlP".into(),
            resource: "/v60.0/sobjects/Account/0015j00000AbCdE".into(),
            counts: "1".into(),
            app_id: "0H45j000000XyZa".into(),
            app_name: "Acme Sync".into(),
            client: String::new(),
        }
    }

    pub fn counts(mut self, v: &str) -> Call {
        self.counts = v.into();
        self
    }

    pub fn app(mut self, id: &str, name: &str) -> Call {
        self.app_id = id.into();
        self.app_name = name.into();
        self
    }

    pub fn org(mut self, org: &str) -> Call {
        self.org = org.into();
        self
    }

    /// The row's fields in [`ATU_HEADER`] order.
    pub fn fields(&self) -> Vec<String> {
        let compact = compact_ts(&self.ts);
        vec![
            "ApiTotalUsage".into(),
            compact,
            self.request_id.clone(),
            self.org.clone(),
            self.user.clone(),
            "REST".into(),
            "60.0".into(),
            self.resource.clone(),
            self.client.clone(),
            "PATCH".into(),
            "10.0.0.1".into(),
            self.counts.clone(),
            self.app_id.clone(),
            "Account".into(),
            "204".into(),
            self.app_name.clone(),
            "int@acme.example".into(),
            self.ts.clone(),
        ]
    }
}

/// `2026-11-02T10:00:00.123Z` → `20261102100000.123`.
pub fn compact_ts(iso: &str) -> String {
    let digits: String = iso.chars().filter(char::is_ascii_digit).collect();
    format!("{}.{}", &digits[..14], &digits[14..17])
}

/// Fully quoted CSV, Salesforce style.
pub fn quoted_csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = header.iter().map(|h| q(h)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(|f| q(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// An ApiTotalUsage CSV of `calls`.
pub fn atu_csv(calls: &[Call]) -> String {
    quoted_csv(ATU_HEADER, &calls.iter().map(Call::fields).collect::<Vec<_>>())
}

pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).unwrap();
    }
    fs::write(&path, contents).unwrap();
    path
}

/// The binary, with a clean environment.
pub fn apiusage() -> Command {
    let mut cmd = Command::cargo_bin("apiusage").unwrap();
    cmd.env_clear();
    cmd
}

/// Runs `report` on `inputs` into `out` with a fixed time; returns the exit code, stderr and
/// the parsed summary.json.
pub fn report(inputs: &[&Path], out: &Path, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let mut cmd = apiusage();
    cmd.arg("report")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(["--generated-at", "2026-11-28T00:00:00Z"])
        .args(extra);
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let summary = fs::read(out.join("summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (output.status.code().unwrap_or(-1), stderr, summary)
}

/// `data_quality` counts as (read, used, duplicates, ignored, bad).
pub fn dq(summary: &serde_json::Value) -> (u64, u64, u64, u64, u64) {
    let q = &summary["data_quality"];
    let bad: u64 = q["bad_rows"]
        .as_object()
        .map_or(0, |m| m.values().map(|e| e["count"].as_u64().unwrap()).sum());
    (
        q["rows_read"].as_u64().unwrap(),
        q["rows_used"].as_u64().unwrap(),
        q["duplicates"].as_u64().unwrap(),
        q["rows_ignored"].as_u64().unwrap(),
        bad,
    )
}

/// `report` on the bundled `sample_logs/` with its profile into `out`, at a fixed time, without
/// charts unless `extra` chooses `--charts`.
pub fn sample_report(out: &Path, extra: &[&str]) -> std::process::Output {
    sample_report_command(out, extra).output().unwrap()
}

/// The command [`sample_report`] runs, for a caller that sets more (an environment variable).
pub fn sample_report_command(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = apiusage();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "report",
            "sample_logs",
            "--profile",
            "sample_logs/org_profile.toml",
        ])
        .arg("--out")
        .arg(out)
        .args(["--generated-at", "2026-11-28T00:00:00Z"])
        .args(if extra.contains(&"--charts") {
            &[][..]
        } else {
            &["--charts", "none"][..]
        })
        .args(extra);
    cmd
}
