//! One writer at a time: an OS advisory lock on `DIR/.apiusage/lock` (std's `File::lock`).
//! Readers (a report, `store verify`) hold a shared lock on `DIR/.apiusage/readers` while they
//! read a snapshot: a writer removes an older snapshot's files only when it can take that lock
//! exclusively, so a long report never finds its files gone; otherwise they wait for a later
//! writer. Neither side ever waits for the other.
//!
//! Locks die with the process, so a killed ingest never leaves the store locked. The writer's
//! file holds its pid for the message a second writer prints.

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

/// A reader's hold on the snapshot it read; released on drop.
#[derive(Debug)]
pub struct ReadLock {
    _file: Option<File>,
}

/// Takes a reader's (shared) lock of the store at `dir`. Best effort: a store the user may
/// only read (no lock file, no right to create one) is read without it.
pub fn read(dir: &Path) -> ReadLock {
    let file = open_readers(dir).filter(|f| f.lock_shared().is_ok());
    ReadLock { _file: file }
}

/// The readers' lock taken exclusively, when no reader holds it (`None` when one does, or
/// the lock file cannot be opened): older snapshots' files may be removed while it is held.
pub fn no_readers(dir: &Path) -> Option<File> {
    let file = open_readers(dir)?;
    file.try_lock().ok()?;
    Some(file)
}

fn open_readers(dir: &Path) -> Option<File> {
    let path = layout::readers(dir);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|_| File::open(&path))
        .ok()
}
