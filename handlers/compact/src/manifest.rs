//! A generation's manifest: the exact inputs it claimed, its output, and its state. Created
//! `pending` with a create-only write (the claim), then moved to `committed` or `aborted` with a
//! compare-and-swap write; never deleted.

use serde::{Deserialize, Serialize};

use crate::Listed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Claimed; its output may or may not exist yet. Only a run that verifies the output may
    /// commit it.
    Pending,
    /// The output holds every line of the inputs (but the unreadable ones): they may be deleted.
    Committed,
    /// Given up (an input vanished or changed): the output, if written, is deleted; the inputs
    /// stay and a later generation takes them.
    Aborted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub key: String,
    pub etag: String,
    pub size: u64,
}

impl From<&Listed> for Input {
    fn from(l: &Listed) -> Self {
        Input {
            key: l.key.clone(),
            etag: l.etag.clone(),
            size: l.size,
        }
    }
}

/// What a committed output holds, as verified by reading it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub size: u64,
    pub lines: u64,
    /// xxh3-128 of the NDJSON (uncompressed), hex.
    pub hash: String,
    /// Inputs that could not be read: not in the output, never deleted.
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub key: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub state: State,
    /// The partition folder (`drain_layout::partition`).
    pub partition: String,
    pub generation: u32,
    pub inputs: Vec<Input>,
    /// The output's key, fixed at the claim so every run that resumes writes the same one.
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<Written>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Manifest {
    /// The manifest key of `generation` of `partition`.
    pub fn key(partition: &str, generation: u32) -> String {
        drain_layout::manifest_key(partition, generation)
    }

    /// A pending claim of `inputs` (in key order) as `generation`: its output Parquet in `table`
    /// (the partition's table partition) when given, else gzip NDJSON in the partition.
    pub fn claim(partition: &str, table: Option<&str>, generation: u32, inputs: &[Listed]) -> Self {
        let inputs: Vec<Input> = inputs.iter().map(Input::from).collect();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for i in &inputs {
            h.update(i.key.as_bytes());
            h.update(b"\0");
            h.update(i.etag.as_bytes());
            h.update(b"\0");
            h.update(&i.size.to_le_bytes());
        }
        let tag = hex::encode(&h.digest128().to_be_bytes()[..6]);
        Manifest {
            version: 1,
            state: State::Pending,
            partition: partition.to_owned(),
            generation,
            output: match table {
                Some(t) => drain_layout::table_key(t, generation, &tag),
                None => drain_layout::output_key(partition, generation, &tag),
            },
            inputs,
            written: None,
            why: None,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest serializes")
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("unreadable manifest: {e}"))
    }
}

pub use drain_layout::generation_of;
