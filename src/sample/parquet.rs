//! ApiTotalUsage rows as an Event Log Object export in Parquet (`ApiTotalUsageEventLog`).
//!
//! Such exports (SOQL on the Event Log Object, or a Data Cloud DMO) use CamelCase names,
//! 18-character ids, typed columns and real nulls, and have no `EventType` column — the shape
//! the ingest must recognise as ApiTotalUsage from its columns (SPEC §2.1).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

/// One row in Event Log Object terms (ids already in 18-character form).
pub(crate) struct EloRow<'a> {
    pub ts: i64,
    pub request_id: &'a str,
    pub org_id18: &'a str,
    pub user_id18: &'a str,
    pub user_name: &'a str,
    pub family: &'a str,
    pub resource: &'a str,
    pub version: &'a str,
    pub client_name: &'a str,
    pub app_id18: &'a str,
    pub method: &'a str,
    pub counts: bool,
    pub entity: &'a str,
    pub status: u16,
    pub ip: &'a str,
}

/// Column buffers for a batch of rows.
#[derive(Default)]
pub(crate) struct EloColumns {
    timestamp: Vec<i64>,
    request: Vec<Option<String>>,
    org: Vec<Option<String>>,
    user: Vec<Option<String>>,
    username: Vec<Option<String>>,
    family: Vec<Option<String>>,
    resource: Vec<Option<String>>,
    version: Vec<Option<f64>>,
    client: Vec<Option<String>>,
    app: Vec<Option<String>>,
    method: Vec<Option<String>>,
    counted: Vec<Option<bool>>,
    object: Vec<Option<String>>,
    status: Vec<Option<i32>>,
    ip: Vec<Option<String>>,
}

/// Empty strings become nulls, as in a real export.
fn opt(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

impl EloColumns {
    /// Rows buffered so far.
    pub(crate) fn len(&self) -> usize {
        self.timestamp.len()
    }

    /// Buffers one row.
    pub(crate) fn push(&mut self, row: &EloRow<'_>) {
        self.timestamp.push(row.ts);
        self.request.push(opt(row.request_id));
        self.org.push(opt(row.org_id18));
        self.user.push(opt(row.user_id18));
        self.username.push(opt(row.user_name));
        self.family.push(opt(row.family));
        self.resource.push(opt(row.resource));
        self.version.push(row.version.parse().ok());
        self.client.push(opt(row.client_name));
        self.app.push(opt(row.app_id18));
        self.method.push(opt(row.method));
        self.counted.push(Some(row.counts));
        self.object.push(opt(row.entity));
        self.status.push(Some(i32::from(row.status)));
        self.ip.push(opt(row.ip));
    }

    /// Moves the buffered rows into a DataFrame (the buffers are left empty).
    pub(crate) fn take_frame(&mut self) -> Result<DataFrame> {
        let c = std::mem::take(self);
        let height = c.timestamp.len();
        let text = |name: &str, values: Vec<Option<String>>| Column::new(name.into(), values);
        let timestamp = Series::new("Timestamp".into(), c.timestamp)
            .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
            .into_column();
        let columns = vec![
            timestamp,
            text("RequestIdentifier", c.request),
            text("InternalOrganizationId", c.org),
            text("UserIdentifier", c.user),
            text("Username", c.username),
            text("ApiFamily", c.family),
            text("ApiResource", c.resource),
            Column::new("ApiVersion".into(), c.version),
            text("ClientName", c.client),
            text("ConnectedAppIdentifier", c.app),
            text("HttpMethod", c.method),
            Column::new("IsApiLimitCounted".into(), c.counted),
            text("ObjectName", c.object),
            Column::new("StatusCode".into(), c.status),
            text("ClientIp", c.ip),
        ];
        Ok(DataFrame::new(height, columns)?)
    }
}

/// Streams batches into one Parquet file: the writer is opened on the first batch (its schema
/// comes from the frame) and each batch becomes row groups, so memory stays one batch.
pub(crate) struct EloParquetWriter<W: Write> {
    sink: Option<W>,
    writer: Option<BatchedWriter<W>>,
}

impl<W: Write> EloParquetWriter<W> {
    pub(crate) fn new(sink: W) -> Self {
        Self {
            sink: Some(sink),
            writer: None,
        }
    }

    /// Writes one batch (may be empty).
    pub(crate) fn write(&mut self, frame: &DataFrame) -> Result<()> {
        if self.writer.is_none() {
            let sink = self.sink.take().context("parquet writer already finished")?;
            let writer = ParquetWriter::new(sink)
                .with_compression(ParquetCompression::Zstd(None))
                .batched(frame.schema())?;
            self.writer = Some(writer);
        }
        if frame.height() > 0 {
            self.writer.as_mut().expect("opened above").write_batch(frame)?;
        }
        Ok(())
    }

    /// Writes the footer.
    pub(crate) fn finish(self) -> Result<()> {
        let writer = self.writer.context("no batch was written")?;
        writer.finish()?;
        Ok(())
    }
}

/// Writes a single-batch file.
pub(crate) fn write_file(path: &Path, columns: &mut EloColumns) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut writer = EloParquetWriter::new(std::io::BufWriter::new(file));
    writer.write(&columns.take_frame()?)?;
    writer
        .finish()
        .with_context(|| format!("writing {}", path.display()))
}
