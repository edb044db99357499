//! Drain's conformance cases (`../shared/fixtures/README.md`): loading a folder of them, and
//! checking what a platform answered and stored against what each case expects.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

pub mod observe;
mod pending;
mod query_safe;
pub mod shapes;

pub use pending::{config_without_pending, configs_without_pending, pending, report as pending_report};
pub use query_safe::check as query_safe;

/// One case, its body read from its file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub about: String,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub repeat: usize,
    /// Time between the repeated requests (a later retry must still find the same key).
    pub repeat_delay_ms: u64,
    pub expect: Expect,
    /// Fault cases only: the storage fault injected while the request is sent (see
    /// `drain-fault-proxy`), and what the same request must give once the fault is gone, counting
    /// every object created by both attempts.
    pub fault: Option<String>,
    pub then: Option<Expect>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub headers_present: Vec<String>,
    pub body: Option<String>,
    pub body_json: Option<Value>,
    pub objects: Option<usize>,
    pub events: Option<Vec<serde_json::Map<String, Value>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    #[serde(default)]
    about: String,
    request: RawRequest,
    repeat: Option<usize>,
    #[serde(default)]
    repeat_delay_ms: u64,
    expect: Expect,
    fault: Option<String>,
    then: Option<Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

/// What a platform answered to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One object a case created.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub bytes: Vec<u8>,
}

/// With `DRAIN_OBJECTS_DIR` set, writes each object under that folder, in `group`, at its key
/// (what the query-engine test reads); otherwise does nothing.
pub fn dump_objects<'o>(group: &str, objects: impl IntoIterator<Item = (&'o str, &'o [u8])>) {
    let Some(root) = std::env::var_os("DRAIN_OBJECTS_DIR") else {
        return;
    };
    for (key, bytes) in objects {
        let path = Path::new(&root).join(group).join(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("creating the objects folder");
        }
        std::fs::write(&path, bytes).expect("writing an object");
    }
}

/// The cases of every folder, each folder's in file-name order, less the pending ones
/// (`infra/run/pending.toml`), which are printed by name.
pub fn load(dirs: &[PathBuf]) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading cases folder {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        for file in files {
            let case = load_case(&file)?;
            if pending::pending_issue(&case.name).is_some() {
                skipped.push(case.name);
            } else {
                cases.push(case);
            }
        }
    }
    for line in pending::report(&skipped) {
        println!("{line}");
    }
    if cases.is_empty() {
        bail!("no cases (*.json) in {dirs:?}");
    }
    Ok(cases)
}

fn load_case(file: &Path) -> Result<Case> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let raw: RawCase = serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let body = match &raw.request.body {
        Some(name) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(name);
            Some(std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    Ok(Case {
        name: file.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
        about: raw.about,
        method: raw.request.method,
        path: raw.request.path,
        headers: raw.request.headers.into_iter().collect(),
        body,
        repeat: raw.repeat.unwrap_or(1).max(1),
        repeat_delay_ms: raw.repeat_delay_ms,
        expect: raw.expect,
        fault: raw.fault,
        then: raw.then,
    })
}

/// Every way `replies` and `created` fall short of the case; empty when the case passes.
pub fn check(case: &Case, replies: &[Reply], created: &[Stored]) -> Vec<String> {
    check_against(&case.expect, replies, created)
}

/// Every way `replies` and `created` fall short of `e`.
pub fn check_against(e: &Expect, replies: &[Reply], created: &[Stored]) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, r) in replies.iter().enumerate() {
        let which = if replies.len() > 1 {
            format!("reply {}: ", n + 1)
        } else {
            String::new()
        };
        if r.status != e.status {
            problems.push(format!(
                "{which}status {} (expected {}); body {:?}",
                r.status,
                e.status,
                String::from_utf8_lossy(&r.body)
            ));
        }
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        for (name, value) in &e.headers {
            if header(name) != Some(value) {
                problems.push(format!("{which}header {name}: {:?} (expected {value:?})", header(name)));
            }
        }
        for name in &e.headers_present {
            if header(name).is_none() {
                problems.push(format!("{which}header {name} missing"));
            }
        }
        if let Some(body) = &e.body {
            if r.body != body.as_bytes() {
                problems.push(format!(
                    "{which}body {:?} (expected {body:?})",
                    String::from_utf8_lossy(&r.body)
                ));
            }
        }
        if let Some(json) = &e.body_json {
            match serde_json::from_slice::<Value>(&r.body) {
                Ok(v) if &v == json => {}
                _ => problems.push(format!(
                    "{which}body {:?} (expected JSON {json})",
                    String::from_utf8_lossy(&r.body)
                )),
            }
        }
    }
    if let Some(n) = e.objects {
        if created.len() != n {
            problems.push(format!(
                "{} objects created (expected {n}): {:?}",
                created.len(),
                created.iter().map(|o| &o.key).collect::<Vec<_>>()
            ));
        }
    }
    let mut events = Vec::new();
    for object in created {
        match check_object(object) {
            Ok(mut evs) => events.append(&mut evs),
            Err(p) => problems.push(format!("object {}: {p}", object.key)),
        }
    }
    if let Some(expected) = &e.events {
        if let Err(p) = match_events(expected, &events) {
            problems.push(p);
        }
    }
    problems
}

/// Checks the key, the gzip NDJSON body and the fields every event must have; gives the events.
pub fn check_object(o: &Stored) -> Result<Vec<serde_json::Map<String, Value>>, String> {
    // The layout's spelling is pinned by drain-layout's golden tests; here, that every stored
    // key is a delivery key of it, under the default prefixes the cases use.
    let p = drain_layout::parse(&o.key)
        .filter(|p| {
            ["logs/", "traces/", "metrics/", drain_layout::REFUSED].contains(&p.prefix)
                && drain_layout::is_delivery(p.name)
        })
        .ok_or("key doesn't match the layout")?;
    let (drain, day, hour) = (p.source, p.day, format!("{:02}", p.hour_of_day));
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&o.bytes[..])
        .read_to_string(&mut text)
        .map_err(|e| format!("not gzip text: {e}"))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        query_safe::check(line).map_err(|e| format!("line {}: not query-safe: {e}", i + 1))?;
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
        let Value::Object(ev) = v else {
            return Err(format!("line {}: not a JSON object", i + 1));
        };
        for field in ["dt", "received_at"] {
            let t = ev
                .get(field)
                .and_then(Value::as_str)
                .ok_or(format!("line {}: no string `{field}`", i + 1))?;
            if !is_autosi(t) {
                return Err(format!(
                    "line {}: `{field}` {t:?} is not RFC 3339 UTC with 0/3/6/9 fewest digits",
                    i + 1
                ));
            }
        }
        if ev.get("drain").and_then(Value::as_str) != Some(drain) {
            return Err(format!(
                "line {}: `drain` is {:?}, the key says {drain:?}",
                i + 1,
                ev.get("drain")
            ));
        }
        let dt = ev["dt"].as_str().unwrap_or_default();
        if &dt[..10] != day || dt[11..13] != hour {
            return Err(format!(
                "line {}: dt {dt} outside the key's partition ({day}, hour {hour})",
                i + 1
            ));
        }
        events.push(ev);
    }
    if events.is_empty() {
        return Err("no events".into());
    }
    Ok(events)
}

fn is_autosi(t: &str) -> bool {
    let re = Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d{3}|\d{6}|\d{9}))?Z$").expect("valid regex");
    re.is_match(t) && !t.trim_end_matches('Z').ends_with(".000") && !(t.len() > 24 && t[..t.len() - 1].ends_with("000"))
}

fn matches(expected: &serde_json::Map<String, Value>, got: &serde_json::Map<String, Value>) -> bool {
    expected.iter().all(|(k, v)| match (k.as_str(), v) {
        ("dt", Value::String(s)) if s == "$received_at" => {
            got.get("dt").is_some() && got.get("dt") == got.get("received_at")
        }
        _ => got.get(k) == Some(v),
    })
}

/// Each expected event matches a different stored event (a maximum bipartite matching), and
/// there are exactly as many of each.
fn match_events(
    expected: &[serde_json::Map<String, Value>],
    got: &[serde_json::Map<String, Value>],
) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!(
            "{} events stored (expected {}): {}",
            got.len(),
            expected.len(),
            summary(got)
        ));
    }
    let edges: Vec<Vec<usize>> = expected
        .iter()
        .map(|e| (0..got.len()).filter(|&j| matches(e, &got[j])).collect())
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; got.len()];
    fn augment(i: usize, edges: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
        for &j in &edges[i] {
            if !seen[j] {
                seen[j] = true;
                if owner[j].is_none_or(|k| augment(k, edges, owner, seen)) {
                    owner[j] = Some(i);
                    return true;
                }
            }
        }
        false
    }
    for (i, e) in expected.iter().enumerate() {
        if !augment(i, &edges, &mut owner, &mut vec![false; got.len()]) {
            return Err(format!(
                "expected event {} {} has no stored match among: {}",
                i + 1,
                Value::Object(e.clone()),
                summary(got)
            ));
        }
    }
    Ok(())
}

fn summary(events: &[serde_json::Map<String, Value>]) -> String {
    events
        .iter()
        .map(|e| Value::Object(e.clone()).to_string())
        .collect::<Vec<_>>()
        .join("\n    ")
}
