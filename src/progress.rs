//! Progress for people at a terminal: one line on stderr naming the pipeline stage that is
//! running and how long the run has taken (SPEC.md §4: "long runs show progress on stderr when
//! it is a terminal").
//!
//! Not a pipeline stage: `run()` moves it from stage to stage. It is the library's one
//! exception to "never print", and it keeps to itself: nothing is drawn when stderr is not a
//! terminal (cron, CI, a pipe, a test), with `--quiet`, or before the run has lasted
//! [`DELAY`], so short runs never flicker. The line is cleared when the run ends, so the
//! command's own output and errors follow on a clean line.
//!
//! Hand-written rather than a progress-bar crate: the pipeline has no row-level hook to feed a
//! bar (ingest reads files in parallel and reports only at the end), so what is drawn is a
//! stage, a spinner and a clock, and the show-after-one-second rule needs its own timer anyway.
//! Timing here is UI and may read the clock; the analysis never does.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Nothing is drawn before the run has lasted this long.
pub const DELAY: Duration = Duration::from_secs(1);

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(120);

/// Longest stage text drawn, so the line fits an 80-column terminal.
const WIDTH: usize = 64;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// A progress line; drawing happens on its own thread until [`Progress::finish`] or drop.
#[derive(Debug, Default)]
pub struct Progress {
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    stage: Arc<Mutex<String>>,
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Progress {
    /// Draws nothing.
    pub fn hidden() -> Progress {
        Progress::default()
    }

    /// On stderr, unless `quiet` or stderr is not a terminal.
    pub fn stderr(quiet: bool) -> Progress {
        if quiet || !io::stderr().is_terminal() {
            return Progress::hidden();
        }
        Progress::to_writer(io::stderr(), DELAY)
    }

    /// Draws on `out` once `delay` has passed (tests use a zero delay and a buffer).
    pub fn to_writer<W: Write + Send + 'static>(out: W, delay: Duration) -> Progress {
        let stage = Arc::new(Mutex::new(String::new()));
        let (stop, stopped) = mpsc::channel();
        let shared = Arc::clone(&stage);
        let thread = thread::spawn(move || draw_until_stopped(out, &shared, &stopped, delay));
        Progress {
            running: Some(Running { stage, stop, thread }),
        }
    }

    /// Whether anything may be drawn: callers skip work that only feeds the line.
    pub fn is_visible(&self) -> bool {
        self.running.is_some()
    }

    /// Names the stage now running.
    pub fn stage(&self, text: impl Into<String>) {
        if let Some(r) = &self.running {
            if let Ok(mut s) = r.stage.lock() {
                // Stage text may name input paths: no terminal controls from them.
                *s = crate::text::clean(&text.into());
            }
        }
    }

    /// Stops drawing and clears the line.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = r.thread.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

fn draw_until_stopped<W: Write>(
    mut out: W,
    stage: &Mutex<String>,
    stopped: &mpsc::Receiver<()>,
    delay: Duration,
) {
    let start = Instant::now();
    let mut frames = 0usize;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        let elapsed = start.elapsed();
        if elapsed < delay {
            continue;
        }
        let text = stage.lock().map(|s| s.clone()).unwrap_or_default();
        let _ = out.write_all(frame(frames, &text, elapsed).as_bytes());
        let _ = out.flush();
        frames += 1;
    }
    if frames > 0 {
        // Erase the line so what follows starts clean.
        let _ = out.write_all(b"\r\x1b[2K");
        let _ = out.flush();
    }
}

/// `reading 12 files (1.4 GB)`: what ingest is about to read. Walks the paths once more, so
/// callers only ask when the line is visible.
pub fn describe_inputs(paths: &[PathBuf], exclude: &[PathBuf]) -> String {
    let Ok(found) = crate::ingest::discover(paths, exclude) else {
        return "reading log files".into();
    };
    let bytes: u64 = found
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    format!("reading {} files ({})", found.files.len(), size(bytes))
}

/// `1.4 GB`, `350 MB`, `12 kB` (decimal units, as file managers show them).
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..=999_999 => format!("{:.0} kB", (b / 1e3).ceil()),
        1_000_000..=999_999_999 => format!("{:.0} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

/// One redraw: return to the line's start, erase it, draw spinner, stage and clock.
fn frame(n: usize, stage: &str, elapsed: Duration) -> String {
    format!(
        "\r\x1b[2K{} {} ({:.0} s)",
        SPINNER[n % SPINNER.len()],
        clip(stage, WIDTH),
        elapsed.as_secs_f64().floor()
    )
}

/// At most `width` characters, the last one `…` when cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read after the thread has finished.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn text(s: &Shared) -> String {
        String::from_utf8(s.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn draws_the_stage_and_clears_the_line_at_the_end() {
        let buf = Shared::default();
        let p = Progress::to_writer(buf.clone(), Duration::ZERO);
        p.stage("reading 3 files");
        thread::sleep(TICK * 3);
        p.finish();
        let out = text(&buf);
        assert!(out.contains("reading 3 files"), "{out:?}");
        assert!(out.ends_with("\r\x1b[2K"), "{out:?}");
    }

    #[test]
    fn a_run_shorter_than_the_delay_draws_nothing() {
        let buf = Shared::default();
        let p = Progress::to_writer(buf.clone(), Duration::from_secs(60));
        p.stage("reading");
        p.finish();
        assert_eq!(text(&buf), "");
    }

    #[test]
    fn hidden_progress_is_not_visible() {
        assert!(!Progress::hidden().is_visible());
        assert!(!Progress::stderr(true).is_visible());
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(1), "1 kB");
        assert_eq!(size(350_000_000), "350 MB");
        assert_eq!(size(1_400_000_000), "1.4 GB");
    }

    #[test]
    fn long_stages_are_clipped() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
