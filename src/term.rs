//! What standard output is: its width and whether it takes colour. Decided once, at the edge
//! of the process (`main` calls [`Terminal::detect`]), and passed into `run` like the clock,
//! so the renderers stay pure and tests choose both with `COLUMNS` and `CLICOLOR_FORCE`.

use std::io::IsTerminal;

/// The width used when neither `COLUMNS` nor the terminal says one (a pipe, a file, cron).
pub const DEFAULT_WIDTH: usize = 100;

/// Narrower than this and the table's fixed columns no longer fit: it is drawn this wide.
pub const MIN_WIDTH: usize = 60;

/// How standard output is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// ANSI colour is wanted.
    pub color: bool,
    /// Columns available.
    pub width: usize,
}

impl Default for Terminal {
    /// A pipe: no colour, [`DEFAULT_WIDTH`] columns.
    fn default() -> Self {
        Terminal {
            color: false,
            width: DEFAULT_WIDTH,
        }
    }
}

impl Terminal {
    /// Reads the environment and asks the kernel about standard output.
    pub fn detect() -> Terminal {
        let tty = std::io::stdout().is_terminal();
        let env = |name: &str| std::env::var(name).ok();
        let size = if tty { stdout_columns() } else { None };
        Terminal::decide(&env, tty, size)
    }

    /// The rules, apart from the process: `NO_COLOR` (any non-empty value) turns colour off,
    /// then `CLICOLOR_FORCE` (non-empty, not `0`) turns it on, else colour only on a terminal
    /// (the no-color.org and bixense.com/clicolors conventions; a user's explicit "no" wins).
    /// Width: `COLUMNS` when it is a number, then the terminal's size, else [`DEFAULT_WIDTH`];
    /// never below [`MIN_WIDTH`].
    pub fn decide(env: &dyn Fn(&str) -> Option<String>, tty: bool, tty_width: Option<usize>) -> Terminal {
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        let color = if set("NO_COLOR") {
            false
        } else if set("CLICOLOR_FORCE") && env("CLICOLOR_FORCE").as_deref() != Some("0") {
            true
        } else {
            tty
        };
        let columns = env("COLUMNS")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&w| w > 0);
        let width = columns.or(tty_width).unwrap_or(DEFAULT_WIDTH).max(MIN_WIDTH);
        Terminal { color, width }
    }
}

/// The terminal's columns from `TIOCGWINSZ` on standard output. libc is already a dependency
/// (the allocator's out-of-memory path), so this needs no terminal-size crate for one ioctl.
#[cfg(unix)]
fn stdout_columns() -> Option<usize> {
    // SAFETY: `winsize` is plain data; the ioctl only writes into it, and we read it only
    // when the call succeeded.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn stdout_columns() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)], tty: bool, size: Option<usize>) -> Terminal {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Terminal::decide(&env, tty, size)
    }

    #[test]
    fn colour_follows_the_terminal_unless_told() {
        assert!(with(&[], true, None).color);
        assert!(!with(&[], false, None).color);
        assert!(with(&[("CLICOLOR_FORCE", "1")], false, None).color);
        assert!(!with(&[("CLICOLOR_FORCE", "0")], false, None).color);
        assert!(!with(&[("NO_COLOR", "1")], true, None).color);
        assert!(!with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], true, None).color);
        // An empty NO_COLOR is not set (no-color.org).
        assert!(with(&[("NO_COLOR", "")], true, None).color);
    }

    #[test]
    fn width_is_columns_then_the_terminal_then_100() {
        assert_eq!(with(&[("COLUMNS", "132")], true, Some(80)).width, 132);
        assert_eq!(with(&[("COLUMNS", "wide")], true, Some(80)).width, 80);
        assert_eq!(with(&[], false, None).width, DEFAULT_WIDTH);
        assert_eq!(with(&[("COLUMNS", "20")], false, None).width, MIN_WIDTH);
    }
}
