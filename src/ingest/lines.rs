//! Line numbers as an editor shows them, for the `file:line` of bad-row examples.
//!
//! A line ends at `\n`, at `\r\n` (one break, not two) and at a lone `\r` (old spreadsheet
//! exports). A record's line is the line of its first byte, even when a quoted field inside it
//! holds more line breaks. The csv reader's own line counter follows `\n` only and counts a
//! record from the end of the previous terminator, so it is off by one for CRLF and stuck at 1
//! for CR-only files; these line numbers come from the bytes instead.
//!
//! [`LineTracking`] sits between the file and the csv parser and remembers, for every line
//! that starts with content, its byte offset and line number; the reader asks it for the line
//! of each record's start offset. Only the lines not yet asked about are kept (the parser's
//! read-ahead), so memory stays bounded by the buffer, not the file.

use std::collections::VecDeque;
use std::io::{self, Read};

/// Where a byte stream stands in line terms; carried from the chunk planner into each chunk
/// so a chunk's line numbers continue the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineState {
    /// The line of the next byte (1-based).
    line: u64,
    /// The previous byte was `\r`: whether it ends a line depends on the next byte.
    pending_cr: bool,
    /// The next content byte is the first of its line.
    at_line_start: bool,
}

impl Default for LineState {
    fn default() -> Self {
        LineState {
            line: 1,
            pending_cr: false,
            at_line_start: true,
        }
    }
}

impl LineState {
    /// Feeds one byte; true when it is the first content byte of a line.
    #[inline]
    pub fn feed(&mut self, b: u8) -> bool {
        if self.pending_cr {
            self.pending_cr = false;
            self.line += 1;
            self.at_line_start = true;
            if b == b'\n' {
                return false;
            }
        }
        match b {
            b'\r' => {
                self.pending_cr = true;
                self.at_line_start = false;
                false
            }
            b'\n' => {
                self.line += 1;
                self.at_line_start = true;
                false
            }
            _ => std::mem::replace(&mut self.at_line_start, false),
        }
    }

    /// Inside a line's content: the bytes up to the next `\r` or `\n` cannot change the state.
    #[inline]
    fn mid_line(&self) -> bool {
        !self.pending_cr && !self.at_line_start
    }

    /// The line of the next byte.
    pub fn line(&self) -> u64 {
        self.line + u64::from(self.pending_cr)
    }
}

/// A reader that remembers where lines start (see the module docs).
pub struct LineTracking<R> {
    inner: R,
    state: LineState,
    pos: u64,
    starts: VecDeque<(u64, u64)>,
}

impl<R> LineTracking<R> {
    /// Tracks `inner` from its first byte, on line 1.
    pub fn new(inner: R) -> Self {
        LineTracking::resume(inner, LineState::default())
    }

    /// Tracks `inner`, a stream that starts where `state` stood (a chunk of a file).
    pub fn resume(inner: R, state: LineState) -> Self {
        LineTracking {
            inner,
            state,
            pos: 0,
            starts: VecDeque::new(),
        }
    }

    /// The line of the record that starts at byte `offset` of this stream (where the csv
    /// reader's position says; it may point at the previous record's terminator or at blank
    /// lines before the record, which the parser skips). Offsets must be asked in order.
    pub fn line_of(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < offset) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.state.line(), |&(_, line)| line)
    }
}

impl<R: Read> Read for LineTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        let mut i = 0;
        while i < n {
            if self.state.feed(data[i]) {
                self.starts.push_back((self.pos + i as u64, self.state.line));
            }
            i += 1;
            if self.state.mid_line() {
                // Until the next line break every byte is content of a line already started:
                // feeding them changes nothing, so jump to the break.
                i = memchr::memchr2(b'\n', b'\r', &data[i..]).map_or(n, |k| i + k);
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<u64> {
        let mut state = LineState::default();
        let mut out = Vec::new();
        for &b in text {
            if state.feed(b) {
                out.push(state.line);
            }
        }
        out
    }

    /// The reader's jumps give the same line starts as feeding every byte, whatever the read
    /// sizes (a break or a CR LF pair split across reads included).
    #[test]
    fn the_reader_records_the_line_starts_of_byte_by_byte_feeding() {
        let text: &[u8] = b"h1,h2\r\na,\"x\ny\"\r\n\r\nb,c\rd,e\n\nf\r\r\ng,h";
        let mut want = Vec::new();
        let mut state = LineState::default();
        for (i, &b) in text.iter().enumerate() {
            if state.feed(b) {
                want.push((i as u64, state.line));
            }
        }
        for chunk in 1..text.len() + 1 {
            let mut reader = LineTracking::new(text);
            let mut buf = vec![0; chunk];
            while reader.read(&mut buf).unwrap() > 0 {}
            let got: Vec<(u64, u64)> = reader.starts.iter().copied().collect();
            assert_eq!(got, want, "reads of {chunk} bytes");
            assert_eq!(reader.state, state);
        }
    }

    #[test]
    fn every_line_ending_counts_once() {
        assert_eq!(lines(b"a\nb\nc"), [1, 2, 3]);
        assert_eq!(lines(b"a\r\nb\r\n\r\nc\r\n"), [1, 2, 4]);
        assert_eq!(lines(b"a\rb\r\rc\r"), [1, 2, 4]);
        assert_eq!(lines(b"a\n\r\nb"), [1, 3]);
    }
}
