//! The conformance cases this version of drain doesn't pass yet (`infra/run/pending.toml`), each
//! tied to the open issue that makes it pass: left out of a run by name and printed, never silent.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    pub issue: u32,
    pub what: String,
    pub cases: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    pending: Vec<Pending>,
}

/// The entries of `infra/run/pending.toml`, as built into this binary.
pub fn pending() -> Vec<Pending> {
    let file: File =
        toml::from_str(include_str!("../../../run/pending.toml")).expect("infra/run/pending.toml is valid");
    file.pending
}

/// The issue that makes `case` pass, when it is pending.
pub fn pending_issue(case: &str) -> Option<Pending> {
    pending().into_iter().find(|p| p.cases.iter().any(|c| c == case))
}

/// One line per pending entry, for every run's output.
pub fn report(skipped: &[String]) -> Vec<String> {
    pending()
        .iter()
        .filter_map(|p| {
            let here: Vec<&str> = p
                .cases
                .iter()
                .filter(|c| skipped.contains(c))
                .map(String::as_str)
                .collect();
            (!here.is_empty()).then(|| {
                format!(
                    "pending (issue {}: {}): {} case(s) not run: {}",
                    p.issue,
                    p.what,
                    here.len(),
                    here.join(", ")
                )
            })
        })
        .collect()
}

/// `text` (a drain config) without the `[[source]]` tables the pending entries name.
pub fn config_without_pending(text: &str) -> Result<String> {
    configs_without_pending(&[text])
}

/// The first config with the `[[source]]`s of the others added (the project's own cases,
/// `infra/cases/drain.toml`, beside the team's), less the pending cases' sources.
pub fn configs_without_pending(texts: &[&str]) -> Result<String> {
    let (first, rest) = texts.split_first().context("no config")?;
    let mut table: toml::Table = toml::from_str(first).context("config is not valid TOML")?;
    for text in rest {
        let extra: toml::Table = toml::from_str(text).context("config is not valid TOML")?;
        if let Some(toml::Value::Array(more)) = extra.get("source") {
            match table.entry("source") {
                toml::map::Entry::Occupied(mut e) => {
                    if let toml::Value::Array(sources) = e.get_mut() {
                        sources.extend(more.iter().cloned());
                    }
                }
                toml::map::Entry::Vacant(e) => {
                    e.insert(toml::Value::Array(more.clone()));
                }
            }
        }
    }
    let names: Vec<String> = pending().into_iter().flat_map(|p| p.sources).collect();
    if let Some(toml::Value::Array(sources)) = table.get_mut("source") {
        sources.retain(|s| {
            let name = s.get("name").and_then(toml::Value::as_str).unwrap_or_default();
            !names.iter().any(|n| n == name)
        });
    }
    toml::to_string(&table).context("writing the config back")
}
