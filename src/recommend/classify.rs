//! What kind of request each call is, for the recommendation detectors.
//!
//! Part of the recommendation stage (after usage and attribution, before analysis). A call's
//! class depends on its resource template, its shape (method, status, family, version) and its
//! rows processed. The first two have few distinct values, so they are classified once into
//! `Tables` and the per-row cost is two look-ups and a small `match`: detection runs over
//! 10 M-row tables and must stay cheap.

use crate::attribute::Attribution;
use crate::model::{flags, Calls, EventType, Millis, Role, Shape, StrId};

/// A single-record operation, as sObject Collections names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Op {
    Retrieve,
    Create,
    Update,
    Upsert,
    Delete,
}

impl Op {
    /// The operation's name in evidence and actions.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Retrieve => "retrieve",
            Op::Create => "create",
            Op::Update => "update",
            Op::Upsert => "upsert",
            Op::Delete => "delete",
        }
    }
}

/// What a resource template (or SOAP operation name) is, before the method is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// `/vXX.X/sobjects/<Entity>/{id}`.
    Record,
    /// `/vXX.X/sobjects/<Entity>/<Field>/{value}`.
    ExternalId,
    /// `/vXX.X/sobjects/<Entity>`.
    SObject,
    /// SOAP `create`, `update`, `upsert`, `delete`, `retrieve`.
    SoapWrite(Op),
    /// `describe*`, `/sobjects/<X>/describe…`, `/limits`, `/sobjects`.
    Metadata,
    /// SOAP `login`.
    Token,
    /// `/services/oauth2/token` (Login events, or token-endpoint API rows).
    OAuthToken,
    /// The next page of a query: `/query/{locator}` (a `nextRecordsUrl`) or SOAP `queryMore`.
    Page,
    /// `/vXX.X/composite/batch`: each subrequest counts.
    CompositeBatch,
    /// Already batched: other `/composite…`, Bulk API 2.0 `/jobs…`, Bulk API 1.0 `/services/async…`.
    Bulkified,
    /// Anything else.
    Other,
}

/// HTTP methods the detectors distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Http {
    Get,
    Post,
    Patch,
    Delete,
    Other,
}

/// A call's class. Classes are exclusive, so no call is claimed by two detectors and the
/// combined what-if never removes a call twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// HTTP status ≥ 400 or refused with `REQUEST_LIMIT_EXCEEDED`.
    Failed,
    /// One record read or written.
    Single(Op),
    /// Metadata that could be cached.
    Metadata,
    /// A SOAP `login` call.
    Login,
    /// A request to the OAuth token endpoint logged as an API row (Login events are handled apart).
    OAuthToken,
    /// The next page of a query (`/query/{locator}`, `queryMore`).
    Page,
    /// `/composite/batch`.
    CompositeBatch,
    /// Already batched.
    Bulkified,
    /// Anything else.
    Other,
}

/// Classifies a resource template (`normalize::resource_template` output) or SOAP name.
pub(crate) fn resource_kind(template: &str) -> Resource {
    let path = template.trim();
    let path = path
        .split_once('?')
        .map_or(path, |(p, _)| p)
        .trim_end_matches('/');
    if !path.starts_with('/') {
        return soap_name(path).unwrap_or(Resource::Other);
    }
    if path.starts_with("/services/oauth2/token") {
        return Resource::OAuthToken;
    }
    if path.starts_with("/services/async") {
        return Resource::Bulkified;
    }
    let mut segments = path[1..].split('/');
    match segments.next() {
        Some(v) if v.strip_prefix('v').and_then(version_tenths).is_some() => {
            rest_kind(&segments.collect::<Vec<_>>())
        }
        _ => Resource::Other,
    }
}

/// Classifies the part of a REST path after `/vXX.X`.
fn rest_kind(rest: &[&str]) -> Resource {
    match rest {
        ["sobjects"] | ["limits"] => Resource::Metadata,
        ["sobjects", _, "describe", ..] => Resource::Metadata,
        ["sobjects", entity] if !entity.is_empty() => Resource::SObject,
        ["sobjects", _, "{id}"] => Resource::Record,
        ["sobjects", _, _, "{value}"] => Resource::ExternalId,
        ["composite", "batch"] => Resource::CompositeBatch,
        ["query" | "queryAll", "{locator}"] => Resource::Page,
        ["composite", ..] | ["jobs", ..] => Resource::Bulkified,
        _ => Resource::Other,
    }
}

/// The entity a subject names: itself, or the sObject of a `/sobjects/<Entity>/…` template
/// (when `ENTITY_NAME` was empty and the resource stood in for it).
pub(crate) fn entity_name(subject: &str) -> &str {
    let mut segments = subject.split('/').skip_while(|s| *s != "sobjects").skip(1);
    segments.next().filter(|e| !e.is_empty()).unwrap_or(subject)
}

/// A SOAP operation name (`API_RESOURCE` in ApiTotalUsage, `METHOD_NAME` in SOAP API events).
pub(crate) fn soap_name(name: &str) -> Option<Resource> {
    let lower = name.trim().to_ascii_lowercase();
    let op = match lower.as_str() {
        "login" => return Some(Resource::Token),
        "querymore" => return Some(Resource::Page),
        "create" => Op::Create,
        "update" => Op::Update,
        "upsert" => Op::Upsert,
        "delete" => Op::Delete,
        "retrieve" => Op::Retrieve,
        d if d.starts_with("describe") => return Some(Resource::Metadata),
        _ => return None,
    };
    Some(Resource::SoapWrite(op))
}

/// An API version as tenths (`58.0` → 580), so it compares exactly; `None` if not a version.
pub(crate) fn version_tenths(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, "0"));
    let digit = fraction.chars().next().unwrap_or('0');
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    whole.checked_mul(10)?.checked_add(digit.to_digit(10)?)
}

/// The version in a REST path (`/v58.0/…`) or a SOAP endpoint (`/services/Soap/u/58.0`).
fn version_in_path(template: &str) -> Option<u32> {
    let mut segments = template.trim_start_matches('/').split('/');
    let first = segments.next()?;
    if let Some(v) = first.strip_prefix('v') {
        return version_tenths(v);
    }
    template
        .contains("/Soap/")
        .then(|| template.rsplit('/').find_map(version_tenths))?
}

fn http(method: &str) -> Http {
    match method.trim().to_ascii_uppercase().as_str() {
        "GET" => Http::Get,
        "POST" => Http::Post,
        "PATCH" => Http::Patch,
        "DELETE" => Http::Delete,
        _ => Http::Other,
    }
}

/// What the detectors need of one call shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapeInfo {
    /// Index into `Attribution::integrations`.
    pub integration: u32,
    /// A call source (ApiTotalUsage or a fallback type), as opposed to context.
    pub api: bool,
    /// A Login event.
    pub login_event: bool,
    http: Http,
    /// The SOAP operation when the method field names one (SOAP API events).
    soap: Option<Resource>,
    failed: bool,
    bulk_family: bool,
    version: Option<u32>,
}

/// What the detectors need of one resource template.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResourceInfo {
    /// Its kind.
    pub kind: Resource,
    version: Option<u32>,
}

/// Shapes and resources of a table, classified once.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// Per shape id.
    pub shapes: Vec<ShapeInfo>,
    /// Per string id (only resource ids are ever looked up).
    pub resources: Vec<ResourceInfo>,
    /// Number of integrations.
    pub integrations: usize,
}

/// One call as the detectors see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// Row index in the table.
    pub index: u32,
    /// Timestamp.
    pub ts: Millis,
    /// Class.
    pub class: Class,
    /// Resource template.
    pub resource: StrId,
    /// What names the operation: the resource, or the SOAP method name when that says more.
    pub name: StrId,
    /// HTTP method or SOAP operation.
    pub method: StrId,
    /// Entity, or the resource when the entity is empty.
    pub subject: StrId,
    /// Counts against the allocation.
    pub counted: bool,
    /// A fallback row on an org-day with ApiTotalUsage: enrichment only, never a call.
    pub superseded: bool,
    /// Rows processed, `u32::MAX` when unknown.
    pub rows: u32,
    /// Refused with `REQUEST_LIMIT_EXCEEDED`.
    pub refused: bool,
    /// API version in tenths.
    pub version: Option<u32>,
}

impl Tables {
    /// Classifies every shape and string of `calls`.
    pub(crate) fn new(calls: &Calls, attribution: &Attribution) -> Tables {
        let shapes = calls.shapes.iter().zip(&attribution.of_shape);
        let strings = 0..calls.strings.len() as StrId;
        Tables {
            shapes: shapes.map(|(s, &i)| shape_info(calls, s, i)).collect(),
            resources: strings.map(|id| resource_info(calls.strings.get(id))).collect(),
            integrations: attribution.integrations.len(),
        }
    }

    /// Row `i` of `calls`, classified.
    pub(crate) fn row(&self, calls: &Calls, i: usize) -> Row {
        let shape_id = calls.shape[i] as usize;
        let (shape, info) = (&calls.shapes[shape_id], &self.shapes[shape_id]);
        let resource = calls.resource[i];
        let by_path = self.resources[resource as usize];
        let (kind, name) = match (by_path.kind, info.soap) {
            (Resource::Other, Some(soap)) => (soap, shape.method),
            (kind, _) => (kind, resource),
        };
        let refused = calls.flags[i] & flags::LIMIT_EXCEEDED != 0;
        let rows = calls.rows_processed[i];
        Row {
            index: i as u32,
            ts: calls.ts[i],
            class: info.class(kind, rows, refused),
            resource,
            name,
            method: shape.method,
            subject: if shape.entity != 0 { shape.entity } else { resource },
            counted: calls.counts(i),
            superseded: calls.flags[i] & flags::SUPERSEDED != 0,
            rows,
            refused,
            version: info.version.or(by_path.version),
        }
    }
}

impl Tables {
    /// The SOAP write operation of row `i` (`create`, `update`…, from the resource or the
    /// method name), if it is one.
    pub(crate) fn soap_write(&self, calls: &Calls, i: usize) -> Option<Op> {
        let info = &self.shapes[calls.shape[i] as usize];
        match (self.resources[calls.resource[i] as usize].kind, info.soap) {
            (Resource::SoapWrite(op), _) | (Resource::Other, Some(Resource::SoapWrite(op))) => Some(op),
            _ => None,
        }
    }
}

impl Row {
    /// This SOAP write with the rows processed that another log (a superseded SOAP API row of
    /// the same request) gives: at most one row makes it a single-record write.
    pub(crate) fn with_rows(mut self, op: Op, rows: u32) -> Row {
        self.rows = rows;
        if self.class == Class::Other && rows <= 1 {
            self.class = Class::Single(op);
        }
        self
    }
}

impl ShapeInfo {
    /// The class of a call of this shape to a resource of kind `kind`.
    fn class(&self, kind: Resource, rows: u32, refused: bool) -> Class {
        if self.failed || refused {
            Class::Failed
        } else if self.bulk_family {
            Class::Bulkified
        } else {
            class_of(kind, self.http, rows)
        }
    }
}

fn shape_info(calls: &Calls, s: &Shape, integration: u32) -> ShapeInfo {
    let event = EventType::from_index(s.event);
    let text = |id: StrId| calls.strings.get(id);
    ShapeInfo {
        integration,
        api: event.role() != Role::Context,
        login_event: event == EventType::Login,
        http: http(text(s.method)),
        soap: soap_name(text(s.method)),
        failed: s.status >= 400,
        bulk_family: text(s.family).eq_ignore_ascii_case("bulk"),
        version: version_tenths(text(s.version)),
    }
}

fn resource_info(text: &str) -> ResourceInfo {
    ResourceInfo {
        kind: resource_kind(text),
        version: version_in_path(text),
    }
}

/// The class of a successful call of resource kind `kind`.
fn class_of(kind: Resource, method: Http, rows: u32) -> Class {
    match (kind, method) {
        (Resource::Record, Http::Get) | (Resource::ExternalId, Http::Get) => Class::Single(Op::Retrieve),
        (Resource::Record, Http::Patch) => Class::Single(Op::Update),
        (Resource::Record, Http::Delete) | (Resource::ExternalId, Http::Delete) => Class::Single(Op::Delete),
        (Resource::ExternalId, Http::Patch | Http::Post) => Class::Single(Op::Upsert),
        (Resource::SObject, Http::Post) => Class::Single(Op::Create),
        // SOAP writes take up to 200 records: only a known row count of 0 or 1 is single-record.
        (Resource::SoapWrite(op), _) if rows <= 1 => Class::Single(op),
        (Resource::Metadata, _) => Class::Metadata,
        (Resource::Token, _) => Class::Login,
        (Resource::OAuthToken, _) => Class::OAuthToken,
        (Resource::Page, _) => Class::Page,
        (Resource::CompositeBatch, _) => Class::CompositeBatch,
        (Resource::Bulkified, _) => Class::Bulkified,
        _ => Class::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_templates_are_classified_by_their_path() {
        let cases = [
            ("/v58.0/sobjects/Account/{id}", Resource::Record),
            ("/v58.0/sobjects/Account/ERP_Id__c/{value}", Resource::ExternalId),
            ("/v58.0/sobjects/Account", Resource::SObject),
            ("/v58.0/sobjects/Account/", Resource::SObject),
            ("/v60.0/sobjects/Account/describe", Resource::Metadata),
            ("/v60.0/sobjects/Account/describe/layouts", Resource::Metadata),
            ("/v60.0/sobjects", Resource::Metadata),
            ("/v60.0/limits", Resource::Metadata),
            ("/v60.0/composite/batch", Resource::CompositeBatch),
            ("/v60.0/composite/sobjects", Resource::Bulkified),
            ("/v60.0/composite", Resource::Bulkified),
            ("/v60.0/jobs/ingest/{id}", Resource::Bulkified),
            ("/services/async/58.0/job", Resource::Bulkified),
            ("/services/oauth2/token", Resource::OAuthToken),
            ("/v58.0/query/{locator}", Resource::Page),
            (
                "/v58.0/query?q=SELECT Id FROM Order WHERE Name = ?",
                Resource::Other,
            ),
            ("/v58.0/query", Resource::Other),
            ("/v58.0/sobjects/Account/{id}/Contacts", Resource::Other),
            ("/v58.0/sobjects/Account/updated", Resource::Other),
        ];
        for (template, want) in cases {
            assert_eq!(resource_kind(template), want, "{template}");
        }
    }

    #[test]
    fn entity_names_come_from_sobjects_paths_when_needed() {
        assert_eq!(entity_name("Account"), "Account");
        assert_eq!(entity_name("/v58.0/sobjects/Case/{id}"), "Case");
        assert_eq!(entity_name("/v58.0/query"), "/v58.0/query");
    }

    #[test]
    fn soap_names_are_classified_case_insensitively() {
        assert_eq!(resource_kind("login"), Resource::Token);
        assert_eq!(resource_kind("describeSObjects"), Resource::Metadata);
        assert_eq!(resource_kind("Create"), Resource::SoapWrite(Op::Create));
        assert_eq!(resource_kind("retrieve"), Resource::SoapWrite(Op::Retrieve));
        assert_eq!(resource_kind("queryMore"), Resource::Page);
        assert_eq!(resource_kind("query"), Resource::Other);
    }

    #[test]
    fn versions_compare_in_tenths() {
        assert_eq!(version_tenths("29.0"), Some(290));
        assert_eq!(version_tenths("31"), Some(310));
        assert_eq!(version_tenths("9998.0"), Some(99_980));
        assert_eq!(version_tenths(""), None);
        assert_eq!(version_tenths("v58.0"), None);
        assert_eq!(version_in_path("/v58.0/query"), Some(580));
        assert_eq!(
            version_in_path("/services/Soap/u/30.0/00D5j000000VI3n"),
            Some(300)
        );
        assert_eq!(version_in_path("query"), None);
    }

    #[test]
    fn soap_writes_are_single_record_only_with_a_known_row_count_of_at_most_one() {
        let write = Resource::SoapWrite(Op::Update);
        assert_eq!(class_of(write, Http::Post, 1), Class::Single(Op::Update));
        assert_eq!(class_of(write, Http::Post, 200), Class::Other);
        assert_eq!(class_of(write, Http::Post, u32::MAX), Class::Other);
        assert_eq!(
            class_of(Resource::Record, Http::Get, u32::MAX),
            Class::Single(Op::Retrieve)
        );
        assert_eq!(class_of(Resource::SObject, Http::Get, 0), Class::Other);
    }
}
