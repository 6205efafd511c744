//! The process's edges, for the thin binary: one error format (`apiusage: error: …` on stderr,
//! exit 2) for every way a run can end badly — an error, clap's usage errors, a panic, an
//! allocation the system refuses, a full disk behind stdout — and no terminal control
//! characters in anything written to stderr.
//!
//! Outside the pipeline: nothing here is used by the analysis.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::text::clean;

/// The exit code of every error.
pub const ERROR_CODE: i32 = 2;

/// Writes `apiusage: <first>` and then each further line indented, every line stripped of
/// control characters. Errors writing stderr itself are ignored (there is nowhere left to say
/// them).
pub fn stderr_message(first: &str, rest: &[String]) {
    let mut err = io::stderr().lock();
    let mut lines = first.lines();
    let head = lines.next().unwrap_or_default();
    let _ = writeln!(err, "apiusage: {}", clean(head));
    for line in lines.map(str::to_string).chain(
        rest.iter()
            .flat_map(|r| r.lines().map(str::to_string).collect::<Vec<_>>()),
    ) {
        if !line.trim().is_empty() {
            let _ = writeln!(err, "  {}", clean(line.trim_end()));
        }
    }
}

/// Writes `text` to stdout. A closed pipe (`apiusage schema … | head`) is not an error; any
/// other failure (a full disk) is returned.
pub fn write_stdout(text: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A clap error as `apiusage: error: …` lines (its first line without clap's own `error: `).
pub fn clap_error_lines(rendered: &str) -> (String, Vec<String>) {
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    (format!("error: {first}"), lines.map(str::to_string).collect())
}

/// Installs the panic hook: `apiusage: error: internal error: …` with where it happened, and a
/// backtrace only when `RUST_BACKTRACE` asks for one. The caller turns the panic into exit 2.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" (at {}:{})", l.file(), l.line()));
        let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        let mut rest = vec!["this is a bug in apiusage; please report it with the command line".to_string()];
        if wanted {
            rest.push(std::backtrace::Backtrace::force_capture().to_string());
        } else {
            rest.push("set RUST_BACKTRACE=1 to see where it happened".into());
        }
        stderr_message(&format!("error: internal error: {message}{place}"), &rest);
    }));
}

/// The system allocator, except that an allocation the system refuses ends the process with
/// `apiusage: error: out of memory …` and exit 2, instead of Rust's default abort (a raw
/// message and exit 134). Sound: the failure path never unwinds and never allocates — it
/// writes a fixed message with one `write(2)` and leaves with `_exit(2)`.
///
/// The cost: a caller that would handle a refused allocation itself (`try_reserve`) never sees
/// it; apiusage has no such caller.
pub struct ExitOnOom;

static FAILING: AtomicBool = AtomicBool::new(false);

fn out_of_memory(size: usize) -> ! {
    if !FAILING.swap(true, Ordering::SeqCst) {
        let mut buf = [0u8; 160];
        let mut n = 0;
        for part in [
            b"apiusage: error: out of memory: an allocation of ".as_slice(),
            digits(size, &mut [0u8; 20]),
            b" bytes failed (the input is too large for this machine's memory)\n".as_slice(),
        ] {
            let take = part.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&part[..take]);
            n += take;
        }
        // SAFETY: `buf[..n]` is initialised memory we own; fd 2 may be closed (then the write
        // fails and is ignored). `_exit` ends the process without running any more Rust code.
        unsafe {
            libc::write(2, buf.as_ptr().cast(), n);
        }
    }
    // SAFETY: `_exit` takes any status and never returns.
    unsafe { libc::_exit(ERROR_CODE) }
}

/// `n` in decimal, written into `buf` without allocating.
fn digits(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

// SAFETY: every call is forwarded to `System` with the same arguments; a null result (which
// `System` may return) never reaches the caller, because `out_of_memory` does not return.
unsafe impl GlobalAlloc for ExitOnOom {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// Faults a test can ask the binary for (`APIUSAGE_FAULT=panic|oom`), to prove the two paths
/// above end the way they should. Not a user feature; undocumented on purpose.
pub fn injected_fault() {
    match std::env::var("APIUSAGE_FAULT").as_deref() {
        Ok("panic") => panic!("injected fault"),
        Ok("oom") => {
            let v: Vec<u8> = Vec::with_capacity(1 << 62);
            std::hint::black_box(&v);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_written_without_allocating() {
        assert_eq!(digits(0, &mut [0; 20]), b"0");
        assert_eq!(digits(8523901408, &mut [0; 20]), b"8523901408");
        assert_eq!(
            digits(usize::MAX, &mut [0; 20]),
            usize::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn clap_errors_get_the_one_prefix() {
        let (first, rest) =
            clap_error_lines("error: unexpected argument '--x' found\n\nUsage: apiusage report\n");
        assert_eq!(first, "error: unexpected argument '--x' found");
        assert_eq!(rest, ["Usage: apiusage report"]);
    }
}
