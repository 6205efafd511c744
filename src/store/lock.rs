//! One writer at a time: an OS advisory lock on `DIR/.apiusage/lock` (std's `File::lock`).
//!
//! The lock dies with the process, so a killed ingest never leaves the store locked. The file
//! holds the writer's pid for the message a second writer prints.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::layout;
use super::StoreError;

/// The held lock; released on drop.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// Takes the writer's lock of the store at `dir`: fails at once when another process holds
/// it, unless `wait`, in which case it blocks until that writer is done.
pub fn acquire(dir: &Path, wait: bool) -> Result<WriteLock, StoreError> {
    let path = layout::lock(dir);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, &e))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::io(&path, &e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) if wait => {
            file.lock().map_err(|e| StoreError::io(&path, &e))?;
        }
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another apiusage process".to_string()
            } else {
                format!("another apiusage process ({holder})")
            };
            return Err(StoreError::Busy(format!(
                "{}: {who} is writing to this store; wait for it to finish or pass --wait",
                dir.display()
            )));
        }
        Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, &e)),
    }
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "pid {}", std::process::id());
    Ok(WriteLock { _file: file })
}
