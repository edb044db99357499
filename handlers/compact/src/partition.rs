//! The protocol for one partition (one source, signal and hour). Each generation:
//!
//! 1. **Recover**: every earlier manifest is read in order. A `pending` one is finished from
//!    exactly the inputs it lists (never a new listing); a `committed` one whose inputs are still
//!    listed has them deleted (its output must be listed at its verified size, or nothing is);
//!    an `aborted` one has its output deleted, should a racing run have written it.
//! 2. **Select** the delivery objects no pending or committed manifest names, in key order, up
//!    to `max_inputs` and `max_input_bytes`.
//! 3. **Claim** generation N+1 with a create-only manifest write (`pending`). A refused write means
//!    another run claimed it first: start again at 1, which helps that run finish.
//! 4. **Build** the output from the listed inputs (each read whole, checked, copied line by line),
//!    in the format the manifest's output key names (gzip NDJSON in the partition, or Parquet in
//!    the hour's table partition), stopping after the input whose lines pass
//!    `max_inflated_bytes` (NDJSON) or before the one that would pass `max_table_bytes` (Parquet)
//!    (the commit names only the inputs taken; the rest go to the next generation), and write it
//!    create-only under the key fixed in the manifest. Refused means another run wrote it; the
//!    verify below decides whether it is the same.
//! 5. **Verify** by reading the output back: the same lines (count and hash) as built (a
//!    Parquet output's `json` column, in its row order).
//! 6. **Commit**: the manifest replaced by its `committed` form only if it is still the version
//!    this run read (compare-and-swap). Nothing is ever deleted before this point.
//! 7. **Delete** the inputs the committed manifest names (S3: only that version), except the
//!    unreadable ones, which stay where they are. A later run's recovery deletes any of them it
//!    still lists whatever their version: a sender's retry that re-created one after the commit
//!    holds the same events.
//!
//! Every step can be repeated or interrupted: the manifest fixes the inputs and the output's key,
//! the build is deterministic, the commit is a CAS, and a delete of a missing key succeeds.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{FuturesOrdered, StreamExt};

use crate::build::{read_back, Output};
use crate::manifest::{generation_of, Manifest, State, Unreadable, Written};
use crate::{is_delivery, Cond, Listed, Report, Settings, Store, Wrote, MANIFESTS};

/// The points after which the crash tests stop a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The pending manifest is written.
    Claimed,
    /// The output is written (or found written).
    Written,
    /// The manifest says committed.
    Committed,
    /// The first input is deleted.
    Deleted,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Claimed, Step::Written, Step::Committed, Step::Deleted];

    pub fn name(self) -> &'static str {
        match self {
            Step::Claimed => "claimed",
            Step::Written => "written",
            Step::Committed => "committed",
            Step::Deleted => "deleted",
        }
    }
}

/// Rounds without a commit before a partition is left to a later run.
const STALLED: usize = 8;

pub async fn compact<B: Store + ?Sized>(
    bucket: &B,
    settings: &Settings,
    part: &str,
    table: Option<&str>,
    report: &mut Report,
    hook: &dyn Fn(&str, Step),
) -> Result<(), String> {
    let mut stalled = 0;
    while stalled < STALLED {
        let listing = bucket.list(part, None).await?;
        // No delivery object: nothing to merge, and nothing a generation could still have to
        // delete. (With one, the manifests are read: it may be a pending generation's input.)
        if !listing.iter().any(|l| is_delivery(&l.key)) {
            return Ok(());
        }
        let before = report.committed;
        let (claimed, last) = recover(bucket, settings, part, table, &listing, report, hook).await?;
        let fresh: Vec<&Listed> = listing
            .iter()
            .filter(|l| is_delivery(&l.key) && !claimed.contains(&l.key))
            .collect();
        let (mut chosen, mut bytes) = (Vec::new(), 0u64);
        for l in fresh {
            if chosen.len() == settings.max_inputs {
                break;
            }
            if bytes + l.size > settings.max_input_bytes {
                if l.size > settings.max_input_bytes {
                    continue; // too big to merge: stays as it is
                }
                break;
            }
            bytes += l.size;
            chosen.push(l.clone());
        }
        if chosen.len() < settings.min_inputs {
            return Ok(());
        }
        let manifest = Manifest::claim(part, table, last + 1, &chosen);
        let key = Manifest::key(part, manifest.generation);
        match bucket
            .put(&key, manifest.to_bytes(), "application/json", Cond::IfAbsent)
            .await?
        {
            Wrote::Refused => stalled += 1, // another run claimed it: recover helps it
            Wrote::Done { etag } => {
                hook(part, Step::Claimed);
                finish(bucket, settings, manifest, &etag, report, hook).await?;
                if report.committed == before {
                    stalled += 1;
                }
            }
        }
    }
    Err(format!(
        "no progress after {STALLED} rounds (other runs keep claiming); a later run goes on"
    ))
}

/// Step 1. Returns the keys that pending or committed manifests name, and the last generation.
async fn recover<B: Store + ?Sized>(
    bucket: &B,
    settings: &Settings,
    part: &str,
    table: Option<&str>,
    listing: &[Listed],
    report: &mut Report,
    hook: &dyn Fn(&str, Step),
) -> Result<(HashSet<String>, u32), String> {
    let mut manifests: Vec<(u32, String)> = bucket
        .list(&format!("{MANIFESTS}{part}"), None)
        .await?
        .into_iter()
        .filter_map(|l| Some((generation_of(&l.key)?, l.key)))
        .collect();
    manifests.sort();
    // Outputs are in the partition (NDJSON) or in its table partition (Parquet). A manifest
    // whose output is in neither (`tables_prefix` or the format changed since) is looked at
    // where its output is, below.
    let outputs = match table {
        Some(t) => bucket.list(t, None).await?,
        None => Vec::new(),
    };
    let listed_here = |key: &str| folder_of(key).is_some_and(|d| d == part || Some(d) == table);
    let sizes: HashMap<&str, u64> = listing
        .iter()
        .chain(&outputs)
        .map(|l| (l.key.as_str(), l.size))
        .collect();
    let mut claimed = HashSet::new();
    let mut last = 0;
    for (generation, key) in manifests {
        last = generation;
        let (bytes, etag) = bucket
            .get(&key)
            .await?
            .ok_or_else(|| format!("{key} was listed but is gone (manifests are never deleted)"))?;
        let m = Manifest::parse(&bytes).map_err(|e| format!("{key}: {e}"))?;
        let m = match m.state {
            State::Pending => finish(bucket, settings, m, &etag, report, hook).await?,
            State::Committed => {
                let there = m
                    .written
                    .as_ref()
                    .is_some_and(|w| w.lines == 0 || sizes.get(m.output.as_str()) == Some(&w.size));
                if there {
                    delete_inputs(bucket, &m, Some(&sizes), report, hook).await?;
                } else {
                    // The listing may predate the output: another run committed this generation
                    // after it was taken. Only a listing taken now can say the output is missing.
                    let mut again = bucket.list(part, None).await?;
                    if let Some(dir) = folder_of(&m.output).filter(|d| *d != part) {
                        again.extend(bucket.list(dir, None).await?);
                    }
                    let now: HashMap<&str, u64> = again.iter().map(|l| (l.key.as_str(), l.size)).collect();
                    delete_inputs(bucket, &m, Some(&now), report, hook).await?;
                }
                m
            }
            State::Aborted => {
                if sizes.contains_key(m.output.as_str()) || !listed_here(&m.output) {
                    bucket.delete(&m.output, None).await?;
                }
                m
            }
        };
        if m.state != State::Aborted {
            claimed.extend(m.inputs.into_iter().map(|i| i.key));
        }
    }
    Ok((claimed, last))
}

/// The folder a key is in (with its `/`).
fn folder_of(key: &str) -> Option<&str> {
    key.rfind('/').map(|i| &key[..=i])
}

/// Steps 4 to 7 for a pending manifest read at version `etag`; the manifest as it ends.
async fn finish<B: Store + ?Sized>(
    bucket: &B,
    settings: &Settings,
    m: Manifest,
    etag: &str,
    report: &mut Report,
    hook: &dyn Fn(&str, Step),
) -> Result<Manifest, String> {
    let key = Manifest::key(&m.partition, m.generation);
    let mut builder = Output::for_key(&m.output, settings);
    let mut unreadable = Vec::new();
    let mut bytes_in = 0;
    // Inputs are fetched up to `read_ahead` at a time (each a round trip) and added in their
    // order, so the output's bytes depend on the inputs only. How many are fetched ahead follows
    // the output's room: the first alone, then no more than the room is likely to take at the
    // mean size of those taken, since one fetched and not taken is fetched again by the next
    // generation (a GET, and on the Worker a subrequest, spent twice).
    let mut gets = FuturesOrdered::new();
    let mut fetched = 0;
    let mut inputs = m.inputs.iter();
    let mut gone = None;
    // Inputs taken into this output: all of them, unless the output fills first (decided by
    // the inputs alone, so every run finishing this generation stops at the same one); the rest
    // are left to the next generation.
    let mut taken = 0;
    loop {
        while fetched < m.inputs.len()
            && !builder.full(settings)
            && gets.len() < settings.read_ahead.max(1)
            && (gets.is_empty() || (taken > 0 && builder.likely_room(gets.len(), taken, settings)))
        {
            gets.push_back(bucket.get(&m.inputs[fetched].key));
            fetched += 1;
        }
        let Some(got) = gets.next().await else {
            break;
        };
        if builder.full(settings) {
            break;
        }
        let input = inputs.next().expect("one answer per input");
        match got? {
            None => gone = Some(format!("{} vanished before the commit", input.key)),
            Some((_, e)) if !input.etag.is_empty() && !e.is_empty() && e != input.etag => {
                gone = Some(format!("{} changed before the commit", input.key))
            }
            Some((bytes, _)) => {
                match builder.add(&bytes) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(why) => {
                        report.unreadable.push(format!("{}: {why}", input.key));
                        unreadable.push(Unreadable {
                            key: input.key.clone(),
                            why,
                        });
                    }
                }
                bytes_in += bytes.len() as u64;
                taken += 1;
                continue;
            }
        }
        break;
    }
    drop(gets);
    if let Some(why) = gone {
        return abort(bucket, m, etag, why, report).await;
    }
    let mut m = m;
    m.inputs.truncate(taken);
    let (body, content_type, built) = builder.finish().map_err(|e| format!("{}: {e}", m.output))?;
    let mut size = 0;
    if built.lines > 0 {
        bucket.put(&m.output, body, content_type, Cond::IfAbsent).await?;
        hook(&m.partition, Step::Written);
        let (back, _) = bucket
            .get(&m.output)
            .await?
            .ok_or_else(|| format!("{} vanished after it was written", m.output))?;
        size = back.len() as u64;
        let read = read_back(&m.output, back, settings.max_line_bytes).map_err(|e| format!("{}: {e}", m.output))?;
        if read != built {
            return Err(format!(
                "{} reads back as {} lines, not the {} built: not committed",
                m.output, read.lines, built.lines
            ));
        }
    }
    let mut done = m.clone();
    done.state = State::Committed;
    done.written = Some(Written {
        size,
        lines: built.lines,
        hash: format!("{:032x}", built.hash),
        unreadable,
    });
    let done = match bucket
        .put(&key, done.to_bytes(), "application/json", Cond::IfMatch(etag))
        .await?
    {
        Wrote::Done { .. } => {
            report.committed += 1;
            report.merged += m.inputs.len() - done.written.as_ref().map_or(0, |w| w.unreadable.len());
            report.lines += built.lines;
            report.bytes_in += bytes_in;
            report.bytes_out += size;
            hook(&m.partition, Step::Committed);
            done
        }
        Wrote::Refused => match reread(bucket, &key).await? {
            now if now.state == State::Committed && now.output == m.output => now,
            now if now.state == State::Aborted => {
                bucket.delete(&m.output, None).await?;
                return Ok(now);
            }
            // Only a store whose conditional writes race (check, then write) lets two runs
            // claim one generation with different inputs; this run's output is then nobody's.
            now => {
                if now.output != m.output {
                    bucket.delete(&m.output, None).await?;
                }
                return Err(format!(
                    "{key} was claimed by another run at the same time (the store let both conditional writes through); this run's output is withdrawn"
                ));
            }
        },
    };
    delete_inputs(bucket, &done, None, report, hook).await?;
    Ok(done)
}

/// Gives a pending generation up: the manifest marked aborted (if still the version read), then
/// its output, if any run wrote it, deleted. The inputs stay for a later generation.
async fn abort<B: Store + ?Sized>(
    bucket: &B,
    m: Manifest,
    etag: &str,
    why: String,
    report: &mut Report,
) -> Result<Manifest, String> {
    let key = Manifest::key(&m.partition, m.generation);
    let mut aborted = m;
    aborted.state = State::Aborted;
    aborted.why = Some(why);
    match bucket
        .put(&key, aborted.to_bytes(), "application/json", Cond::IfMatch(etag))
        .await?
    {
        Wrote::Done { .. } => {
            report.aborted += 1;
            bucket.delete(&aborted.output, None).await?;
            Ok(aborted)
        }
        // Another run committed (and is deleting the inputs) or aborted it first.
        Wrote::Refused => reread(bucket, &key).await,
    }
}

async fn reread<B: Store + ?Sized>(bucket: &B, key: &str) -> Result<Manifest, String> {
    let (bytes, _) = bucket
        .get(key)
        .await?
        .ok_or_else(|| format!("{key} is gone (manifests are never deleted)"))?;
    Manifest::parse(&bytes).map_err(|e| format!("{key}: {e}"))
}

/// Step 7 for a committed manifest. With `listing` (recovery), only inputs still listed are
/// deleted, and only if the output is listed at the size the commit verified.
async fn delete_inputs<B: Store + ?Sized>(
    bucket: &B,
    m: &Manifest,
    listing: Option<&HashMap<&str, u64>>,
    report: &mut Report,
    hook: &dyn Fn(&str, Step),
) -> Result<(), String> {
    let w = m
        .written
        .as_ref()
        .ok_or_else(|| format!("generation {} is committed without an output", m.generation))?;
    let keep: HashSet<&str> = w.unreadable.iter().map(|u| u.key.as_str()).collect();
    let present = |k: &str| listing.is_none_or(|l| l.contains_key(k));
    let doomed: Vec<_> = m
        .inputs
        .iter()
        .filter(|i| !keep.contains(i.key.as_str()) && present(&i.key))
        .collect();
    if doomed.is_empty() {
        return Ok(());
    }
    if let Some(l) = listing {
        if w.lines > 0 && l.get(m.output.as_str()) != Some(&w.size) {
            return Err(format!(
                "{} is committed but not there at {} bytes: its inputs are kept",
                m.output, w.size
            ));
        }
    }
    // Right after the commit, each input is deleted at the version the manifest names. In
    // recovery, unconditionally: a committed input's key still listed is either not deleted yet
    // or re-created by a sender's retry, and a delivery key that is re-created holds the same
    // events by construction (SPEC section 4; keys written unconditionally hold a request id and
    // are never re-created), so it goes either way: exactly once on every store, not only on
    // those whose delete ignores the version (R2).
    let tagged: Vec<(&str, Option<&str>)> = doomed
        .iter()
        .map(|i| {
            let tag = (listing.is_none() && !i.etag.is_empty()).then_some(i.etag.as_str());
            (i.key.as_str(), tag)
        })
        .collect();
    // The first alone, so the crash tests can stop a run between two deletes.
    let (first, rest) = tagged.split_at(1);
    bucket.delete_many(first).await?;
    report.deleted += 1;
    hook(&m.partition, Step::Deleted);
    for batch in rest.chunks(1000) {
        bucket.delete_many(batch).await?;
        report.deleted += batch.len();
    }
    Ok(())
}
