//! One fetch at a time per folder: `DIR/.apiusage/fetch.lock` holds the running fetch's
//! process id. Two overlapping cron runs would otherwise download the same files twice and
//! race on the state file. A lock whose process is gone (a killed run) is taken over.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::marker;

use super::error::FetchError;

/// The lock file's name inside `.apiusage/`.
pub const FILE: &str = "fetch.lock";

/// Held while a fetch runs; removes the lock file when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock of `dir` (whose `.apiusage/` exists).
    pub fn take(dir: &Path) -> Result<Lock, FetchError> {
        let path = dir.join(marker::DIR).join(FILE);
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if is_running(pid) => {
                            return Err(FetchError::Folder(format!(
                                "another fetch (process {pid}) is writing {}; wait for it to end \
                                 (if no such fetch runs, remove {})",
                                dir.display(),
                                path.display()
                            )))
                        }
                        // Left by a run that was killed: take it over.
                        _ => {
                            let _ = fs::remove_file(&path);
                        }
                    }
                }
                Err(source) => return Err(FetchError::Write { path, source }),
            }
        }
        Err(FetchError::Folder(format!(
            "cannot take the lock {}",
            path.display()
        )))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether a process runs, where the system says (`/proc` on Linux); elsewhere a lock is only
/// kept while its file exists, and a stale one must be removed by hand.
fn is_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.is_dir() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_fetch_waits_and_a_dead_holder_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(marker::DIR)).unwrap();
        let first = Lock::take(dir.path()).unwrap();
        let e = Lock::take(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&format!("another fetch (process {})", std::process::id())),
            "{e}"
        );
        drop(first);
        assert!(!dir.path().join(marker::DIR).join(FILE).exists());
        if Path::new("/proc").is_dir() {
            fs::write(dir.path().join(marker::DIR).join(FILE), "4294967295\n").unwrap();
            assert!(Lock::take(dir.path()).is_ok());
        }
    }
}
