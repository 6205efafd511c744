//! Reading the small text files a user points apiusage at — the `/limits` JSON, org profiles,
//! the integrations mapping — through one size-capped reader, so a wrong path (`/dev/zero`, a
//! log file, a huge download) fails fast with a clear error instead of reading without end.
//!
//! It sits beside `model`, upstream of everything; each caller names the file in its error.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest settings file read: real ones are a few kilobytes.
pub const MAX_BYTES: u64 = 16 << 20;

/// Reads `path` as UTF-8 text, failing (without reading further) once it passes
/// [`MAX_BYTES`].
pub fn read_capped(path: &Path) -> io::Result<String> {
    read_capped_to(path, MAX_BYTES)
}

/// [`read_capped`] with an explicit cap.
pub fn read_capped_to(path: &Path, cap: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    File::open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} (the cap for a settings file); is this the right file?",
                describe(cap)
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "not UTF-8 text; is this the right file?",
        )
    })
}

fn describe(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_over_the_cap_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_capped_to(&path, 5).unwrap(), "12345");
        let e = read_capped_to(&path, 4).unwrap_err();
        assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
    }
}
