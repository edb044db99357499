//! A gzip NDJSON object read line by line (every gzip member in turn), each line within a bound:
//! what compaction checks and copies, and what `drain logs` prints, read the same way.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

/// Why an object can't be read on: at which line (counted from 1), and what.
#[derive(Debug)]
pub enum LineError {
    /// The gzip stream or the store broke off.
    Unreadable { line: u64, why: std::io::Error },
    /// A line past the bound.
    TooLong { line: u64, max: usize },
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Unreadable { line, why } => write!(f, "line {line}: not gzip: {why}"),
            LineError::TooLong { line, max } => write!(f, "line {line} is longer than {max} bytes"),
        }
    }
}

/// The lines of one object.
pub struct Lines<R: Read> {
    reader: BufReader<MultiGzDecoder<R>>,
    buf: Vec<u8>,
    max: usize,
    n: u64,
}

impl<R: Read> Lines<R> {
    /// `gz` read with a 64 KiB buffer; a line longer than `max_line` bytes ends the read.
    // The core's rule (shared/clippy.toml) is that request bodies inflate only through its capped
    // gunzip. Stored objects are read here line by line, each line within `max_line`: what is
    // held is bounded by the line, however far the whole object inflates.
    #[allow(clippy::disallowed_methods)]
    pub fn new(gz: R, max_line: usize) -> Self {
        Lines {
            reader: BufReader::with_capacity(64 << 10, MultiGzDecoder::new(gz)),
            buf: Vec::new(),
            max: max_line,
            n: 0,
        }
    }

    /// The next non-empty line, without its `\n`, and its number (from 1); `None` at the end.
    /// At most `max_line + 1` bytes are ever held.
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, LineError> {
        loop {
            self.buf.clear();
            self.n += 1;
            let got = (&mut self.reader)
                .take(self.max as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|why| LineError::Unreadable { line: self.n, why })?;
            if got == 0 {
                return Ok(None);
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
            } else if self.buf.len() > self.max {
                return Err(LineError::TooLong {
                    line: self.n,
                    max: self.max,
                });
            }
            if !self.buf.is_empty() {
                return Ok(Some((self.n, &self.buf)));
            }
        }
    }
}
