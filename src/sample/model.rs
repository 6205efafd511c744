//! The synthetic events and how each becomes a row of a real EventLogFile CSV.
//!
//! A [`Call`] is one inbound API request as Salesforce would log it in ApiTotalUsage; the same
//! call also yields its RestApi row (REST family only). A [`LoginEvent`] is one Login row. The
//! headers are the real column orders quoted in the reference (§1.1, §1.4, §1.9).

use super::ids;
use super::planted::SampleOrg;
use super::rng::{fnv1a, Rng};
use super::time;

/// Who makes a call: the identity columns an integration leaves in the logs.
#[derive(Debug)]
pub(crate) struct Actor {
    /// Stream name: seeds this actor's PRNG and request-id counter.
    pub key: &'static str,
    pub app_id: &'static str,
    pub app_name: &'static str,
    pub client_name: &'static str,
    pub user_id: &'static str,
    pub user_name: &'static str,
    /// `API_CLIENT_CATEGORY`.
    pub category: &'static str,
    pub ips: &'static [&'static str],
    /// `COUNTS_AGAINST_API_LIMIT` of its successful calls.
    pub counts: bool,
    /// `BROWSER_TYPE` of its Login rows.
    pub user_agent: &'static str,
}

/// One API request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Epoch milliseconds, UTC.
    pub ts: i64,
    pub request_id: String,
    pub actor: &'static Actor,
    /// Usually the actor's user; UI traffic spreads over several humans.
    pub user_id: &'static str,
    pub user_name: &'static str,
    pub ip: &'static str,
    pub family: &'static str,
    pub version: &'static str,
    pub method: &'static str,
    /// `API_RESOURCE`: REST paths without `/services/data`, SOAP method names.
    pub resource: String,
    pub entity: &'static str,
    pub status: u16,
    pub counts: bool,
    /// RestApi `ROWS_PROCESSED`.
    pub rows: u32,
    /// RestApi `QUERY` (SOQL), when the call ran one.
    pub query: Option<String>,
    /// Session number: the source of `LOGIN_KEY`/`SESSION_KEY`, shared with the Login row.
    pub session: u64,
}

/// One Login row (OAuth token request or interactive login).
#[derive(Debug, Clone)]
pub(crate) struct LoginEvent {
    pub ts: i64,
    pub request_id: String,
    pub user_id: &'static str,
    pub user_name: &'static str,
    pub ip: &'static str,
    pub uri: &'static str,
    /// `LOGIN_TYPE` code: `i` Remote Access 2.0 (OAuth), `A` application (UI).
    pub login_type: &'static str,
    pub user_agent: &'static str,
    pub session: u64,
}

/// How a file spells `COUNTS_AGAINST_API_LIMIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoolStyle {
    OneZero,
    TrueFalse,
}

impl BoolStyle {
    fn render(self, value: bool) -> &'static str {
        match (self, value) {
            (Self::OneZero, true) => "1",
            (Self::OneZero, false) => "0",
            (Self::TrueFalse, true) => "true",
            (Self::TrueFalse, false) => "false",
        }
    }
}

/// ApiTotalUsage header: the real order (reference §1.1) plus `API_CLIENT_CATEGORY`.
pub(crate) const API_TOTAL_USAGE_HEADER: [&str; 19] = [
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
    "API_CLIENT_CATEGORY",
];

/// RestApi header: the ApexRestApi order captured from live files (reference §1.4).
pub(crate) const REST_API_HEADER: [&str; 32] = [
    "EVENT_TYPE",
    "TIMESTAMP",
    "REQUEST_ID",
    "ORGANIZATION_ID",
    "USER_ID",
    "RUN_TIME",
    "CPU_TIME",
    "URI",
    "SESSION_KEY",
    "LOGIN_KEY",
    "USER_TYPE",
    "REQUEST_STATUS",
    "DB_TOTAL_TIME",
    "METHOD",
    "MEDIA_TYPE",
    "STATUS_CODE",
    "USER_AGENT",
    "ROWS_PROCESSED",
    "NUMBER_FIELDS",
    "DB_BLOCKS",
    "DB_CPU_TIME",
    "REQUEST_SIZE",
    "RESPONSE_SIZE",
    "ENTITY_NAME",
    "CONNECTED_APP_ID",
    "CLIENT_NAME",
    "EXCEPTION_MESSAGE",
    "QUERY",
    "TIMESTAMP_DERIVED",
    "USER_ID_DERIVED",
    "CLIENT_IP",
    "URI_ID_DERIVED",
];

/// Login header: the real elastic/beats variant with `LOGIN_TYPE` (reference §1.9).
pub(crate) const LOGIN_HEADER: [&str; 28] = [
    "EVENT_TYPE",
    "TIMESTAMP",
    "REQUEST_ID",
    "ORGANIZATION_ID",
    "USER_ID",
    "RUN_TIME",
    "CPU_TIME",
    "URI",
    "SESSION_KEY",
    "LOGIN_KEY",
    "USER_TYPE",
    "REQUEST_STATUS",
    "DB_TOTAL_TIME",
    "LOGIN_TYPE",
    "BROWSER_TYPE",
    "API_TYPE",
    "API_VERSION",
    "USER_NAME",
    "TLS_PROTOCOL",
    "CIPHER_SUITE",
    "AUTHENTICATION_METHOD_REFERENCE",
    "LOGIN_SUB_TYPE",
    "TIMESTAMP_DERIVED",
    "USER_ID_DERIVED",
    "CLIENT_IP",
    "URI_ID_DERIVED",
    "LOGIN_STATUS",
    "SOURCE_IP",
];

/// Salt for `SESSION_KEY` (vs `LOGIN_KEY`), so the two keys of one session differ.
const SESSION_SALT: u64 = 0x5E55_1011;
const LOGIN_SALT: u64 = 0x1061_4E55;

/// The ApiTotalUsage row of a call.
pub(crate) fn api_total_usage_record(call: &Call, org: &SampleOrg, style: BoolStyle) -> Vec<String> {
    let actor = call.actor;
    vec![
        "ApiTotalUsage".into(),
        time::compact(call.ts),
        call.request_id.clone(),
        org.id.into(),
        call.user_id.into(),
        call.family.into(),
        call.version.into(),
        call.resource.clone(),
        actor.client_name.into(),
        call.method.into(),
        call.ip.into(),
        style.render(call.counts).into(),
        actor.app_id.into(),
        call.entity.into(),
        call.status.to_string(),
        actor.app_name.into(),
        call.user_name.into(),
        time::iso(call.ts),
        actor.category.into(),
    ]
}

/// The 18-character id of the record a REST URI ends with, if it ends with one.
fn uri_record_id(resource: &str) -> String {
    let last = resource.rsplit('/').next().unwrap_or("");
    let is_id = last.len() == 15 && last.starts_with('0') && last.bytes().all(|b| b.is_ascii_alphanumeric());
    if is_id {
        ids::to18(last)
    } else {
        String::new()
    }
}

/// Performance columns of a RestApi row, drawn from a PRNG seeded by the request id so they
/// are stable however the rows are filtered or reordered.
struct Perf {
    run_time: i64,
    cpu_time: i64,
    db_total_ns: i64,
    db_blocks: i64,
    db_cpu: i64,
    request_size: i64,
    response_size: i64,
    number_fields: i64,
}

fn perf(call: &Call) -> Perf {
    let mut rng = Rng::new(fnv1a(&call.request_id));
    let heavy = i64::from(call.query.is_some() || call.resource.contains("/composite"));
    let run_time = rng.range(18, 140) + heavy * rng.range(40, 420);
    Perf {
        run_time,
        cpu_time: rng.range(4, run_time.max(5)),
        db_total_ns: rng.range(900_000, 9_000_000) * (1 + heavy * 4),
        db_blocks: rng.range(0, 60) * (1 + heavy * 10),
        db_cpu: rng.range(0, 30) * (1 + heavy * 3),
        request_size: if call.method == "GET" {
            0
        } else {
            rng.range(180, 48_000)
        },
        response_size: rng.range(90, 2_400) + i64::from(call.rows) * rng.range(180, 420),
        number_fields: if call.method == "GET" { rng.range(4, 42) } else { 0 },
    }
}

/// The message a failed REST call leaves in `EXCEPTION_MESSAGE`. Salesforce quotes such
/// messages, which is how the doubled-quote case shows up in real files.
fn exception_message(status: u16) -> &'static str {
    match status {
        200..=299 => "",
        400 => "\"Required fields are missing: [Invoice_Date__c]\"",
        404 => "\"The requested resource does not exist\"",
        _ => "\"Service Unavailable\"",
    }
}

/// The RestApi row of a REST-family call.
pub(crate) fn rest_api_record(call: &Call, org: &SampleOrg) -> Vec<String> {
    let p = perf(call);
    let ok = (200..300).contains(&call.status);
    vec![
        "RestApi".into(),
        time::compact(call.ts),
        call.request_id.clone(),
        org.id.into(),
        call.user_id.into(),
        p.run_time.to_string(),
        p.cpu_time.to_string(),
        format!("/services/data{}", call.resource),
        ids::session_key(call.session, SESSION_SALT),
        ids::session_key(call.session, LOGIN_SALT),
        "Standard".into(),
        if ok { "S" } else { "F" }.into(),
        p.db_total_ns.to_string(),
        call.method.into(),
        "application/json;charset=UTF-8".into(),
        call.status.to_string(),
        String::new(),
        call.rows.to_string(),
        p.number_fields.to_string(),
        p.db_blocks.to_string(),
        p.db_cpu.to_string(),
        p.request_size.to_string(),
        p.response_size.to_string(),
        call.entity.into(),
        call.actor.app_id.into(),
        call.actor.client_name.into(),
        exception_message(call.status).into(),
        call.query.clone().unwrap_or_default(),
        time::iso(call.ts),
        ids::to18(call.user_id),
        call.ip.into(),
        uri_record_id(&call.resource),
    ]
}

/// The Login row of a login event.
pub(crate) fn login_record(login: &LoginEvent, org: &SampleOrg) -> Vec<String> {
    let mut rng = Rng::new(fnv1a(&login.request_id));
    let run_time = rng.range(60, 1_300);
    let ui = login.login_type == "A";
    vec![
        "Login".into(),
        time::compact(login.ts),
        login.request_id.clone(),
        org.id.into(),
        login.user_id.into(),
        run_time.to_string(),
        rng.range(20, 140).to_string(),
        login.uri.into(),
        String::new(),
        ids::session_key(login.session, LOGIN_SALT),
        "Standard".into(),
        String::new(),
        rng.range(20_000_000, 1_100_000_000).to_string(),
        login.login_type.into(),
        login.user_agent.into(),
        String::new(),
        "9998.0".into(),
        login.user_name.into(),
        "TLSv1.3".into(),
        "TLS_AES_256_GCM_SHA384".into(),
        String::new(),
        String::new(),
        time::iso(login.ts),
        ids::to18(login.user_id),
        if ui { "Salesforce.com IP" } else { login.ip }.into(),
        String::new(),
        "LOGIN_NO_ERROR".into(),
        login.ip.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_have_documented_widths() {
        assert_eq!(API_TOTAL_USAGE_HEADER.len(), 19);
        assert_eq!(REST_API_HEADER.len(), 32);
        assert_eq!(LOGIN_HEADER.len(), 28);
    }

    #[test]
    fn uri_ids_are_recognised() {
        assert_eq!(
            uri_record_id("/v58.0/sobjects/Account/0055j00000AT6I1"),
            "0055j00000AT6I1AAL"
        );
        assert_eq!(uri_record_id("/v58.0/query"), "");
    }
}
