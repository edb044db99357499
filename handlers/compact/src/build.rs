//! An output built from its inputs: each input inflated with a multi-member decoder, every line
//! checked to be one JSON object, then copied byte for byte into one gzip member (NDJSON) or into
//! the rows of a Parquet table (`table.rs`). An input with any unreadable part is left out whole
//! (and left in place by the caller).

use std::io::Write;

use drain_layout::Lines;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::de::IgnoredAny;
use xxhash_rust::xxh3::Xxh3;

/// What an output holds: its lines' count and hash, the same whether built or read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub lines: u64,
    pub hash: u128,
}

/// Calls `f` with each non-empty line of a gzip NDJSON object (without its `\n`), checking that
/// it is one JSON object no longer than `max_line`.
pub(crate) fn each_line(gz: &[u8], max_line: usize, mut f: impl FnMut(&[u8])) -> Result<(), String> {
    let mut lines = Lines::new(gz, max_line);
    while let Some((n, line)) = lines.next_line().map_err(|e| e.to_string())? {
        if line.first() != Some(&b'{') || serde_json::from_slice::<IgnoredAny>(line).is_err() {
            return Err(format!("line {n} is not a JSON object"));
        }
        f(line);
    }
    Ok(())
}

/// Reads an object back: its lines' digest, or why it can't be read.
pub fn digest(gz: &[u8], max_line: usize) -> Result<Digest, String> {
    let mut h = Xxh3::new();
    let mut lines = 0;
    each_line(gz, max_line, |l| {
        h.update(l);
        h.update(b"\n");
        lines += 1;
    })?;
    Ok(Digest {
        lines,
        hash: h.digest128(),
    })
}

/// One output being written. Its settings are fixed (level 6, no name, mtime 0), so two runs
/// that build the same generation write the same bytes.
pub struct Builder {
    gz: GzEncoder<Vec<u8>>,
    hash: Xxh3,
    lines: u64,
    /// Bytes of lines added (inflated, with their `\n`): what building costs in time.
    inflated: u64,
    max_line: usize,
}

impl Builder {
    pub fn new(max_line: usize) -> Self {
        Builder {
            gz: GzEncoder::new(Vec::new(), Compression::new(6)),
            hash: Xxh3::new(),
            lines: 0,
            inflated: 0,
            max_line,
        }
    }

    /// Bytes of lines added so far, inflated.
    pub fn inflated(&self) -> u64 {
        self.inflated
    }

    /// Adds one input's lines, or nothing of it when any part can't be read (the reason).
    pub fn add(&mut self, gz: &[u8]) -> Result<(), String> {
        // Checked whole first, so an input that breaks half way adds nothing.
        each_line(gz, self.max_line, |_| {})?;
        let (out, hash, lines, inflated) = (&mut self.gz, &mut self.hash, &mut self.lines, &mut self.inflated);
        let mut failed = None;
        each_line(gz, self.max_line, |l| {
            if failed.is_none() {
                failed = out.write_all(l).and_then(|_| out.write_all(b"\n")).err();
            }
            hash.update(l);
            hash.update(b"\n");
            *lines += 1;
            *inflated += l.len() as u64 + 1;
        })?;
        failed.map_or(Ok(()), |e| Err(format!("compressing: {e}")))
    }

    pub fn finish(self) -> (Vec<u8>, Digest) {
        let body = self.gz.finish().expect("writing to a Vec does not fail");
        (
            body,
            Digest {
                lines: self.lines,
                hash: self.hash.digest128(),
            },
        )
    }
}

/// The output of one generation, in the format its key names (fixed at the claim, so a run
/// that resumes a generation builds what the claim said whatever its own settings).
pub enum Output {
    Ndjson(Box<Builder>),
    Parquet(crate::table::TableBuilder),
}

impl Output {
    pub fn for_key(key: &str, settings: &crate::Settings) -> Self {
        match drain_layout::table_signal(key).filter(|_| drain_layout::is_table(key)) {
            Some(signal) => Output::Parquet(crate::table::TableBuilder::new(
                signal,
                settings.max_table_bytes,
                settings.max_line_bytes,
            )),
            None => Output::Ndjson(Box::new(Builder::new(settings.max_line_bytes))),
        }
    }

    /// Whether no further input is to be taken (decided by the inputs alone).
    pub fn full(&self, settings: &crate::Settings) -> bool {
        match self {
            Output::Ndjson(b) => b.inflated() > settings.max_inflated_bytes,
            Output::Parquet(_) => false,
        }
    }

    /// Whether the output is likely to take another input beyond `in_flight` fetched and not
    /// yet added, at the mean inflated size of the `taken` ones (a guess that only decides how
    /// far ahead inputs are fetched, never what is taken).
    pub fn likely_room(&self, in_flight: usize, taken: usize, settings: &crate::Settings) -> bool {
        let (held, limit) = match self {
            Output::Ndjson(b) => (b.inflated(), settings.max_inflated_bytes),
            Output::Parquet(t) => (t.inflated(), settings.max_table_bytes),
        };
        let mean = held / taken.max(1) as u64;
        held.saturating_add(mean.saturating_mul(in_flight as u64)) <= limit
    }

    /// Adds an input: `Ok(true)` taken, `Ok(false)` not taken (the output is full), `Err` why
    /// the input can't be read (nothing of it taken).
    pub fn add(&mut self, gz: &[u8]) -> Result<bool, String> {
        match self {
            Output::Ndjson(b) => b.add(gz).map(|()| true),
            Output::Parquet(t) => t.add(gz).map(|a| a == crate::table::Added::Taken),
        }
    }

    /// The object's bytes, its content type and digest.
    pub fn finish(self) -> Result<(Vec<u8>, &'static str, Digest), String> {
        match self {
            Output::Ndjson(b) => {
                let (body, d) = b.finish();
                Ok((body, "application/gzip", d))
            }
            Output::Parquet(t) => t.finish().map(|(body, d)| (body, "application/vnd.apache.parquet", d)),
        }
    }
}

/// An output read back: its digest (of its lines, or of its `json` column).
pub fn read_back(key: &str, bytes: Vec<u8>, max_line: usize) -> Result<Digest, String> {
    if drain_layout::is_table(key) {
        crate::table::digest(bytes)
    } else {
        digest(&bytes, max_line)
    }
}
