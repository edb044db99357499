//! Reads a set of objects concurrently and hands their kept events on in time order, holding a
//! bounded amount: each object is streamed (multi-member gzip, line by line; a Parquet table
//! object page by page, its `json` column) by a reader thread
//! into a small channel, a few objects ahead of the one being merged; events wait in a heap
//! until no object still unread can hold an earlier one (an object's key stamp is at or before
//! each of its events, SPEC section 4). Past `buffer` bytes the oldest waiting event goes out
//! early and is counted as out of order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use drain_layout::Lines;

use super::blocking::{Blocking, Table};
use super::line::{keep, Event, Filter};

/// Longest line read; a longer one (drain never writes one: `max_event_bytes`) makes the object bad.
const MAX_LINE: usize = 16 << 20;
/// A reader thread sends its kept events in batches of about this many bytes ...
const BATCH: usize = 64 << 10;
/// ... and may be this many batches ahead of the merge: with the batch it is filling, at most
/// `CHANNEL + 2` batches, each under `BATCH` plus one line, per object being read.
const CHANNEL: usize = 2;

/// One object to read: its key and the earliest time any of its events can have.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Obj {
    pub stamp: i128,
    pub key: String,
    /// Its size as listed (a Parquet object's reader starts at its footer).
    pub size: u64,
}

impl Obj {
    /// The stamp comes from the key's file name (`YYYYMMDDTHHMMSSZ-…`); `floor` (the partition's
    /// hour) for a name without one.
    pub fn new(key: String, floor: i128) -> Self {
        let stamp = drain_layout::stamp_of(&key)
            .map(|secs| i128::from(secs) * 1_000_000_000)
            .filter(|&t| t >= floor)
            .unwrap_or(floor);
        Obj { stamp, key, size: 0 }
    }

    pub fn sized(mut self, size: u64) -> Self {
        self.size = size;
        self
    }
}

enum Item {
    Events(Vec<(i128, String)>),
    Bad(String),
}

/// What one run read.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub objects: u64,
    pub events: u64,
    pub bad: u64,
    pub out_of_order: u64,
}

/// Shared by every run of one command.
#[derive(Debug)]
pub struct Reader {
    pub bucket: Arc<Blocking>,
    pub filter: Arc<Filter>,
    pub concurrency: usize,
    pub buffer: usize,
    pub tally: Tally,
    /// The objects that could not be read whole, each with why (`drain ui` reports them).
    pub bad: Vec<String>,
    /// Whether to say so on stderr too (`drain logs`).
    pub quiet: bool,
    seq: u64,
    last_out: i128,
}

impl Reader {
    pub fn new(bucket: Arc<Blocking>, filter: Arc<Filter>, concurrency: usize, buffer: usize) -> Self {
        Reader {
            bucket,
            filter,
            concurrency: concurrency.max(1),
            buffer: buffer.max(1 << 20),
            tally: Tally::default(),
            bad: Vec::new(),
            quiet: false,
            seq: 0,
            last_out: i128::MIN,
        }
    }

    fn start(&self, obj: &Obj) -> Receiver<Item> {
        let (tx, rx) = sync_channel(CHANNEL);
        let bucket = self.bucket.clone();
        let filter = self.filter.clone();
        let (key, stamp, size) = (obj.key.clone(), obj.stamp, obj.size);
        std::thread::spawn(move || {
            let mut batch = Vec::new();
            let mut bytes = 0;
            let send = |at, out: String| {
                bytes += out.len();
                batch.push((at, out));
                if bytes < BATCH {
                    return true;
                }
                bytes = 0;
                tx.send(Item::Events(std::mem::take(&mut batch))).is_ok()
            };
            let result = if drain_layout::is_table(&key) {
                let table = Table::new(bucket, key.clone(), size);
                read_table(table, &filter, stamp, send)
            } else {
                bucket.open(&key).and_then(|r| read_object(r, &filter, stamp, send))
            };
            if !batch.is_empty() {
                let _ = tx.send(Item::Events(batch));
            }
            if let Err(e) = result {
                let _ = tx.send(Item::Bad(format!("{key}: {e}")));
            }
        });
        rx
    }

    /// Reads `objs` (any order) and calls `emit` with their kept events in time order; `progress`
    /// after each object. Bad objects are reported on stderr and skipped.
    pub fn run(
        &mut self,
        mut objs: Vec<Obj>,
        emit: &mut dyn FnMut(Event) -> bool,
        progress: &mut dyn FnMut(&Tally),
    ) -> bool {
        objs.sort();
        let mut heap: BinaryHeap<Reverse<Event>> = BinaryHeap::new();
        let mut held = 0usize;
        let mut started: VecDeque<Receiver<Item>> = VecDeque::new();
        let mut next = 0;
        for obj in &objs {
            while next < objs.len() && started.len() < self.concurrency {
                started.push_back(self.start(&objs[next]));
                next += 1;
            }
            // Nothing unread starts before this object's stamp: what is older goes out now.
            while heap.peek().is_some_and(|Reverse(e)| e.at < obj.stamp) {
                let Reverse(e) = heap.pop().expect("peeked");
                held -= e.out.len();
                if !self.send(e, emit) {
                    return false;
                }
            }
            let rx = started.pop_front().expect("started ahead");
            for item in rx {
                match item {
                    Item::Events(batch) => {
                        for (at, out) in batch {
                            self.seq += 1;
                            held += out.len();
                            heap.push(Reverse(Event { at, seq: self.seq, out }));
                            while held > self.buffer {
                                let Reverse(e) = heap.pop().expect("held > 0");
                                held -= e.out.len();
                                if !self.send(e, emit) {
                                    return false;
                                }
                            }
                        }
                    }
                    Item::Bad(why) => {
                        self.tally.bad += 1;
                        if !self.quiet {
                            eprintln!("drain logs: skipped the rest of {why}");
                        }
                        if self.bad.len() < 100 {
                            self.bad.push(why);
                        }
                    }
                }
            }
            self.tally.objects += 1;
            progress(&self.tally);
        }
        while let Some(Reverse(e)) = heap.pop() {
            if !self.send(e, emit) {
                return false;
            }
        }
        true
    }

    fn send(&mut self, e: Event, emit: &mut dyn FnMut(Event) -> bool) -> bool {
        if e.at < self.last_out {
            self.tally.out_of_order += 1;
        }
        self.last_out = self.last_out.max(e.at);
        self.tally.events += 1;
        emit(e)
    }

    /// Forgets the order of what went out before (a new run that may go back in time).
    pub fn reset_order(&mut self) {
        self.last_out = i128::MIN;
    }
}

/// A Parquet table object's rows (their `json`, the stored line) through the filter, as
/// [`read_object`] does an NDJSON object's lines.
pub fn read_table<R: drain_compact::table::ChunkReader + 'static>(
    table: R,
    filter: &Filter,
    stamp: i128,
    mut send: impl FnMut(i128, String) -> bool,
) -> Result<(), String> {
    let mut bad = None;
    let mut n = 0u64;
    drain_compact::table::each_row_in(table, |line| {
        n += 1;
        let kept = std::str::from_utf8(line)
            .map_err(|e| format!("row {n} is not UTF-8: {e}"))
            .and_then(|l| keep(l, filter, stamp).map_err(|e| format!("row {n} is not a JSON object: {e}")));
        match kept {
            Ok(Some((at, out))) => send(at, out),
            Ok(None) => true,
            Err(e) => {
                bad = Some(e);
                false
            }
        }
    })?;
    bad.map_or(Ok(()), Err)
}

/// Streams one object's lines through the filter; `Err` names the first thing that made it
/// unreadable (the events before it are kept). `send` returning false stops the read.
pub fn read_object(
    r: Box<dyn Read + Send>,
    filter: &Filter,
    stamp: i128,
    mut send: impl FnMut(i128, String) -> bool,
) -> Result<(), String> {
    let mut lines = Lines::new(r, MAX_LINE);
    while let Some((n, line)) = lines.next_line().map_err(|e| e.to_string())? {
        let line = std::str::from_utf8(line)
            .map_err(|e| format!("line {n} is not UTF-8: {e}"))?
            .trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        match keep(line, filter, stamp) {
            Ok(Some((at, out))) => {
                if !send(at, out) {
                    return Ok(());
                }
            }
            Ok(None) => {}
            Err(e) => return Err(format!("line {n} is not a JSON object: {e}")),
        }
    }
    Ok(())
}
