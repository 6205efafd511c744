//! The one table that maps Event Monitoring column names to apiusage's canonical fields.
//!
//! Both EventLogFile CSV names (`COUNTS_AGAINST_API_LIMIT`) and Event Log Object names used by
//! Parquet/SOQL exports (`IsApiLimitCounted`) are accepted, matched case-insensitively with
//! spaces and underscores ignored. Every reader resolves its header through [`ColumnMap`], so
//! the mapping `apiusage schema` prints is exactly the one the readers use.

use serde::Serialize;

/// A field apiusage reads. Anything else in a file is ignored (and listed by `schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Field {
    /// `EVENT_TYPE`.
    EventType,
    /// `TIMESTAMP_DERIVED` (ISO 8601).
    TimestampDerived,
    /// `TIMESTAMP` (`yyyyMMddHHmmss.SSS`) or the Event Log Object's `Timestamp`.
    Timestamp,
    /// `REQUEST_ID` / `RequestIdentifier`.
    RequestId,
    /// `ORGANIZATION_ID` / `InternalOrganizationId`.
    OrgId,
    /// `USER_ID` / `UserIdentifier` (or `USER_ID_DERIVED` when only that exists).
    UserId,
    /// `USER_NAME` / `Username`.
    UserName,
    /// `CONNECTED_APP_ID` / `ConnectedAppIdentifier`.
    AppId,
    /// `CONNECTED_APP_NAME`.
    AppName,
    /// `CLIENT_NAME` / `ClientName`.
    ClientName,
    /// `CLIENT_IP` / `ClientIp` / `SOURCE_IP`.
    ClientIp,
    /// `API_FAMILY` / `ApiFamily`.
    ApiFamily,
    /// `API_VERSION` / `ApiVersion`.
    ApiVersion,
    /// `HTTP_METHOD` / `METHOD` / `METHOD_NAME`.
    Method,
    /// `API_RESOURCE` / `ApiResource`.
    Resource,
    /// `URI` / `REQUEST_PATH` (the resource when `API_RESOURCE` is absent).
    Uri,
    /// `ENTITY_NAME` / `ObjectName` / `ENTITY_TYPE`.
    Entity,
    /// `STATUS_CODE` / `StatusCode`.
    Status,
    /// `ROWS_PROCESSED` / `RECORDS_PROCESSED`.
    RowsProcessed,
    /// `COUNTS_AGAINST_API_LIMIT` / `IsApiLimitCounted`.
    Counts,
    /// `EXCEPTION_MESSAGE` / `ERROR_MESSAGE` / `FAILURE_REASON` (for `REQUEST_LIMIT_EXCEEDED`).
    Message,
    /// `API_CLIENT_CATEGORY` / `ApiClientCategory` (`SALESFORCE`: internal Salesforce traffic).
    ClientCategory,
}

/// Aliases of each field, normalised (lower case, no `_` or spaces), in order of preference.
const ALIASES: &[(Field, &[&str])] = &[
    (Field::EventType, &["eventtype"]),
    (Field::TimestampDerived, &["timestampderived"]),
    (Field::Timestamp, &["timestamp"]),
    (Field::RequestId, &["requestid", "requestidentifier"]),
    (
        Field::OrgId,
        &[
            "organizationid",
            "internalorganizationid",
            "orgid",
            "organizationidentifier",
        ],
    ),
    (Field::UserId, &["userid", "useridentifier", "useridderived"]),
    (Field::UserName, &["username"]),
    (Field::AppId, &["connectedappid", "connectedappidentifier"]),
    (Field::AppName, &["connectedappname"]),
    (Field::ClientName, &["clientname"]),
    (Field::ClientIp, &["clientip", "sourceip"]),
    (Field::ApiFamily, &["apifamily"]),
    (Field::ApiVersion, &["apiversion"]),
    (Field::Method, &["httpmethod", "method", "methodname"]),
    (Field::Resource, &["apiresource"]),
    (Field::Uri, &["uri", "requestpath"]),
    (Field::Entity, &["entityname", "objectname", "entitytype"]),
    (Field::Status, &["statuscode"]),
    (Field::RowsProcessed, &["rowsprocessed", "recordsprocessed"]),
    (Field::Counts, &["countsagainstapilimit", "isapilimitcounted"]),
    (
        Field::Message,
        &["exceptionmessage", "errormessage", "failurereason"],
    ),
    (Field::ClientCategory, &["apiclientcategory"]),
];

/// Number of [`Field`]s.
pub const FIELD_COUNT: usize = ALIASES.len();

impl Field {
    /// The EventLogFile column name, for messages.
    pub fn elf_name(self) -> &'static str {
        match self {
            Field::EventType => "EVENT_TYPE",
            Field::TimestampDerived => "TIMESTAMP_DERIVED",
            Field::Timestamp => "TIMESTAMP",
            Field::RequestId => "REQUEST_ID",
            Field::OrgId => "ORGANIZATION_ID",
            Field::UserId => "USER_ID",
            Field::UserName => "USER_NAME",
            Field::AppId => "CONNECTED_APP_ID",
            Field::AppName => "CONNECTED_APP_NAME",
            Field::ClientName => "CLIENT_NAME",
            Field::ClientIp => "CLIENT_IP",
            Field::ApiFamily => "API_FAMILY",
            Field::ApiVersion => "API_VERSION",
            Field::Method => "HTTP_METHOD",
            Field::Resource => "API_RESOURCE",
            Field::Uri => "URI",
            Field::Entity => "ENTITY_NAME",
            Field::Status => "STATUS_CODE",
            Field::RowsProcessed => "ROWS_PROCESSED",
            Field::Counts => "COUNTS_AGAINST_API_LIMIT",
            Field::Message => "EXCEPTION_MESSAGE",
            Field::ClientCategory => "API_CLIENT_CATEGORY",
        }
    }

    fn slot(self) -> usize {
        ALIASES.iter().position(|(f, _)| *f == self).unwrap_or(0)
    }
}

/// Lower-cases a header name and drops spaces, underscores, quotes and a UTF-8 BOM.
pub fn normalize_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, '_' | ' ' | '"' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a column name feeds, if any (any alias, case and separators ignored).
pub fn field_of(name: &str) -> Option<Field> {
    let n = normalize_header(name);
    ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&n.as_str()))
        .map(|(f, _)| *f)
}

/// Which column index feeds each field, resolved once per file from its header.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    slots: [Option<usize>; FIELD_COUNT],
    /// The header as found, trimmed.
    pub header: Vec<String>,
}

/// The columns a file must have, with how to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumns {
    /// Human description of each missing requirement.
    pub missing: Vec<String>,
}

impl ColumnMap {
    /// Maps a header. The first alias found wins when a file carries several (e.g. both
    /// `USER_ID` and `USER_ID_DERIVED`).
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> ColumnMap {
        let normalized: Vec<String> = header.iter().map(|h| normalize_header(h.as_ref())).collect();
        let mut slots = [None; FIELD_COUNT];
        for (slot, (_, aliases)) in slots.iter_mut().zip(ALIASES) {
            *slot = aliases
                .iter()
                .find_map(|a| normalized.iter().position(|n| n == a));
        }
        ColumnMap {
            slots,
            header: header.iter().map(|h| h.as_ref().trim().to_string()).collect(),
        }
    }

    /// The column index of `field`, if the file has it.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.slots[field.slot()]
    }

    /// Whether the file has `field`.
    pub fn has(&self, field: Field) -> bool {
        self.get(field).is_some()
    }

    /// Checks the columns every call source needs: a timestamp, the org id, and a way to know
    /// the event type (`EVENT_TYPE`, or the ApiTotalUsage-only `IsApiLimitCounted`).
    pub fn check_required(&self) -> Result<(), MissingColumns> {
        let mut missing = Vec::new();
        if !self.has(Field::Timestamp) && !self.has(Field::TimestampDerived) {
            missing.push("TIMESTAMP or TIMESTAMP_DERIVED (Event Log Object: Timestamp)".into());
        }
        if !self.has(Field::OrgId) {
            missing.push("ORGANIZATION_ID (Event Log Object: InternalOrganizationId)".into());
        }
        if !self.has(Field::EventType) && !self.has(Field::Counts) {
            missing.push("EVENT_TYPE (or IsApiLimitCounted, from which ApiTotalUsage is inferred)".into());
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MissingColumns { missing })
        }
    }

    /// The event type when the file has no `EVENT_TYPE` column: Event Log Object exports such
    /// as `ApiTotalUsageEventLog` carry `IsApiLimitCounted`, which only ApiTotalUsage has.
    pub fn inferred_event_type(&self) -> Option<crate::model::EventType> {
        (!self.has(Field::EventType) && self.has(Field::Counts))
            .then_some(crate::model::EventType::ApiTotalUsage)
    }

    /// For each header column, the field it feeds (`None` for columns apiusage ignores).
    pub fn mapping(&self) -> Vec<(String, Option<Field>)> {
        self.header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let field = ALIASES.iter().map(|(f, _)| *f).find(|f| self.get(*f) == Some(i));
                (name.clone(), field)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elf_and_event_log_object_names_map_to_the_same_fields() {
        let elf = ColumnMap::from_header(&[
            "EVENT_TYPE",
            "TIMESTAMP",
            "ORGANIZATION_ID",
            "COUNTS_AGAINST_API_LIMIT",
            "CONNECTED_APP_ID",
        ]);
        let elo = ColumnMap::from_header(&[
            "Timestamp",
            "InternalOrganizationId",
            "IsApiLimitCounted",
            "ConnectedAppIdentifier",
        ]);
        assert_eq!(elf.get(Field::Counts), Some(3));
        assert_eq!(elo.get(Field::Counts), Some(2));
        assert_eq!(elo.get(Field::AppId), Some(3));
        assert_eq!(elo.get(Field::Timestamp), Some(0));
        assert!(elf.check_required().is_ok());
        assert!(elo.check_required().is_ok());
        assert_eq!(
            elo.inferred_event_type(),
            Some(crate::model::EventType::ApiTotalUsage)
        );
        assert_eq!(elf.inferred_event_type(), None);
    }

    #[test]
    fn header_matching_ignores_case_spaces_and_bom() {
        let map = ColumnMap::from_header(&["\u{feff}Event_Type", " timestamp_derived ", "organization id"]);
        assert_eq!(map.get(Field::EventType), Some(0));
        assert_eq!(map.get(Field::TimestampDerived), Some(1));
        assert_eq!(map.get(Field::OrgId), Some(2));
    }

    #[test]
    fn user_id_is_preferred_over_the_derived_column() {
        let map = ColumnMap::from_header(&["USER_ID_DERIVED", "USER_ID"]);
        assert_eq!(map.get(Field::UserId), Some(1));
    }

    #[test]
    fn missing_timestamp_is_named() {
        let map = ColumnMap::from_header(&["EVENT_TYPE", "ORGANIZATION_ID"]);
        let err = map.check_required().unwrap_err();
        assert_eq!(err.missing.len(), 1);
        assert!(err.missing[0].starts_with("TIMESTAMP"));
    }
}
