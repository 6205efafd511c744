//! What can go wrong while fetching, each with the sentence an admin needs to fix it.

use std::path::PathBuf;

/// A fetch failure. Messages never contain a token (see [`super::redact`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// `403 REQUEST_LIMIT_EXCEEDED`: the org is over its API allocation.
    #[error(
        "{org}: Salesforce refused the request with REQUEST_LIMIT_EXCEEDED ({message}): the org \
         is over its rolling 24-hour API allocation. fetch stopped at once, because every query \
         page and download it makes is one more API call; re-run it when usage has dropped \
         (`apiusage report` on the files fetched so far shows who used the calls)"
    )]
    OverAllocation {
        /// The org (alias or id).
        org: String,
        /// Salesforce's message.
        message: String,
    },
    /// `401 INVALID_SESSION_ID` or another refused session.
    #[error("{org}: Salesforce refused the session ({code}): {message}; {how}")]
    Session {
        /// The org (alias or id).
        org: String,
        /// The error code (e.g. INVALID_SESSION_ID).
        code: String,
        /// Salesforce's message.
        message: String,
        /// How to re-authenticate with the method in use.
        how: String,
    },
    /// EventLogFile cannot be queried (no Event Monitoring, or a missing permission).
    #[error(
        "{org}: EventLogFile cannot be queried ({code}: {message}). The user fetch runs as needs \
         the \"View Event Log Files\" and \"API Enabled\" permissions (or \"View All Data\"); \
         without the Event Monitoring add-on only the free event types (ApiTotalUsage, Login, \
         Logout) exist, so try --event-types ApiTotalUsage,Login"
    )]
    NotQueryable {
        /// The org (alias or id).
        org: String,
        /// Salesforce's error code.
        code: String,
        /// Salesforce's message.
        message: String,
    },
    /// Another HTTP error status.
    #[error("{org}: {what} failed with HTTP {status}{code}: {message}")]
    Status {
        /// The org (alias or id).
        org: String,
        /// What was being done.
        what: String,
        /// HTTP status.
        status: u16,
        /// ` (ERROR_CODE)` or empty.
        code: String,
        /// Salesforce's message or the start of the body.
        message: String,
    },
    /// Retries exhausted on a transient failure.
    #[error("{org}: {what} still failed after {attempts} attempts: {last}")]
    GaveUp {
        /// The org (alias or id).
        org: String,
        /// What was being done.
        what: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// `--max-calls` would be exceeded by the next request.
    #[error(
        "stopped before exceeding --max-calls {max}: every file not yet downloaded is left for \
         the next run (re-run fetch to continue; complete files stay)"
    )]
    Budget {
        /// The budget.
        max: u64,
    },
    /// Authentication could not be set up or was refused by the token endpoint.
    #[error("{0}")]
    Auth(String),
    /// The fetch folder cannot be used as it is (busy, or an unreadable state file).
    #[error("{0}")]
    Folder(String),
    /// A response that is not what the Salesforce REST API sends.
    #[error("{org}: {what}: unexpected response: {detail}")]
    Protocol {
        /// The org (alias or id).
        org: String,
        /// What was being done.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// A local file could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl FetchError {
    /// Whether the whole run must stop (not just this org): the budget is the run's.
    pub fn stops_the_run(&self) -> bool {
        matches!(self, FetchError::Budget { .. })
    }
}
