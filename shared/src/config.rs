//! The deployment's TOML config (SPEC section 6): parsed, `${NAME}` resolved, and checked whole
//! before the first request.

use std::fmt;

use serde::Deserialize;
use thiserror::Error;

/// A usable configuration. Build it with [`Config::parse`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Where log lines go (every kind's, and OTLP log records).
    pub prefix: String,
    /// Where OTLP spans go.
    pub traces_prefix: String,
    /// Where OTLP metric points go.
    pub metrics_prefix: String,
    /// Where compaction writes Parquet tables (SPEC section 9): `{tables_prefix}{signal}/…`.
    pub tables_prefix: String,
    pub compaction: Compaction,
    pub limits: Limits,
    pub storage: Storage,
    pub log: Log,
    pub sources: Vec<Source>,
}

/// `[log]`: which deliveries get a line in the platform's own log (CloudWatch Logs, Workers Logs,
/// stderr). Counters (Prometheus, Analytics Engine) count every delivery whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub deliveries: LogDeliveries,
    /// With `deliveries = "sample"`: one stored delivery in this many has its line, which then
    /// stands for that many (its `sample` field; Lambda's metrics in it are multiplied by it).
    pub sample_one_in: u32,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            deliveries: LogDeliveries::All,
            sample_one_in: 10,
        }
    }
}

/// Which deliveries [`Log`] writes a line for. Refusals and storage failures always have theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogDeliveries {
    /// Every delivery.
    #[default]
    All,
    /// Only refusals and deliveries that failed to store.
    Failures,
    /// Refusals, failures, and one stored delivery in `sample_one_in`, picked by its request id.
    Sample,
}

impl Log {
    /// How many deliveries the line of a *stored* delivery with this request id stands for: 1
    /// for every line with `all`, `sample_one_in` for the sampled ones, 0 for no line.
    pub fn weight(&self, request_id: &str) -> u32 {
        match self.deliveries {
            LogDeliveries::All => 1,
            LogDeliveries::Failures => 0,
            LogDeliveries::Sample => {
                // FNV-1a: the same request id picks the same way on every platform and run.
                let h = request_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                });
                let n = u64::from(self.sample_one_in.max(1));
                if h % n == 0 {
                    self.sample_one_in.max(1)
                } else {
                    0
                }
            }
        }
    }
}

/// `[compaction]` (SPEC section 9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Compaction {
    pub format: TableFormat,
}

/// What compaction writes a closed hour as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// One Parquet object per generation under `tables_prefix` (version 3's default).
    #[default]
    Parquet,
    /// Gzip NDJSON in the hour's own partition (version 2's output).
    Ndjson,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest body accepted on the wire, in bytes.
    pub max_body: usize,
    /// Largest body accepted after `Content-Encoding: gzip` is undone, in bytes.
    pub max_decompressed: usize,
    /// Objects (distinct signal-hours) one delivery may make.
    pub max_objects: usize,
    /// Bytes of one stored line.
    pub max_event_bytes: usize,
    /// Keys in one event, nested objects' keys counted too.
    pub max_fields: usize,
    /// Nesting of arrays and objects in one event.
    pub max_depth: usize,
    /// Bytes of stored lines (before gzip) one delivery may make, all its objects together:
    /// formats that share context across records (an OTLP resource and scope) copy it into
    /// every line, so a small body could otherwise make gigabytes.
    pub max_stored: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: 20 * 1024 * 1024,
            max_decompressed: 100 * 1024 * 1024,
            max_objects: 24,
            max_event_bytes: 1024 * 1024,
            max_fields: 10_000,
            max_depth: 128,
            max_stored: 100 * 1024 * 1024,
        }
    }
}

/// Top-level fields one event may have while it is read, whatever `max_fields` says (the
/// largest it may be set to): the field vector never holds more (~40 bytes each).
pub const FIELDS_CAP: usize = 100_000;

/// The largest `max_event_bytes` a config may set: half of what every reader of the stored lines
/// takes (16 MiB).
pub const MAX_EVENT_BYTES_CAP: usize = 8 << 20;

impl Limits {
    /// Each limit's name, value and allowed range: a limit out of range is refused at start-up,
    /// so that no sum or product of limits can overflow and no limit can switch a check off.
    fn ranges(&self) -> [(&'static str, u64, u64, u64); 7] {
        // In u64: on wasm32 `usize` is 32 bits, where 4 GiB doesn't fit.
        let v = |n: usize| n as u64;
        [
            ("max_body", v(self.max_body), 1, 1 << 30),
            (
                "max_decompressed",
                v(self.max_decompressed),
                1,
                (4 << 30).min(usize::MAX as u64),
            ),
            ("max_objects", v(self.max_objects), 1, 1_000),
            // At most 8 MiB: every reader takes a line of that size (compaction and `drain logs`
            // read lines up to 16 MiB, DuckDB's default `maximum_object_size` is 16 MB), so a
            // line stored legitimately never makes an object unreadable.
            (
                "max_event_bytes",
                v(self.max_event_bytes),
                1_024,
                MAX_EVENT_BYTES_CAP as u64,
            ),
            ("max_fields", v(self.max_fields), 1, FIELDS_CAP as u64),
            // serde_json stops at 128 levels whatever this says.
            ("max_depth", v(self.max_depth), 1, 128),
            (
                "max_stored",
                v(self.max_stored),
                64 << 10,
                (4 << 30).min(usize::MAX as u64),
            ),
        ]
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// gzip level of the stored objects, 0–9.
    pub gzip_level: u32,
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            gzip_level: DEFAULT_GZIP_LEVEL,
        }
    }
}

/// Level 4, from `infra/bench/all` (BENCHMARKS.md): against zlib's usual 6, the pipeline runs 21-48%
/// faster per kind (Vercel 1 MiB: 370 against 265 MB/s) for objects 0-4% larger (Vercel 1 MiB:
/// 5.0% of the body against 4.8%); level 3 is faster still but stores up to 10% more, level 1
/// stores 44-63% more.
pub const DEFAULT_GZIP_LEVEL: u32 = 4;

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    /// What the source keeps: `redact`, `drop`, `min_level` (SPEC section 7).
    pub controls: crate::controls::Controls,
}

/// A source's kind: which row of `crate::kinds::ALL` it is (the row says everything the kind
/// does; that layer finds and builds it), and what the source's table gave it.
#[derive(Debug, Clone)]
pub struct SourceKind {
    /// The row's index in `crate::kinds::ALL`, and its name.
    pub(crate) index: usize,
    name: &'static str,
    pub auth: Auth,
}

/// What a source's table gives its kind, by shape: how its sender proves who it is (and a
/// webhook's field names). Kinds of one shape share a variant; their rows say where each
/// credential is looked for.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Vercel's body signature (`x-vercel-signature`, several secrets) and its `x-vercel-verify`.
    Vercel {
        secrets: Vec<Secret>,
        verify: Option<String>,
    },
    /// Tokens, any one accepted (betterstack, splunk_hec, datadog).
    Tokens(Vec<Secret>),
    /// Basic, Bearer or none (northflank, logplex).
    Http(HttpAuth),
    /// Basic, Bearer, a named header or none (loki).
    Key(KeyAuth),
    Otlp(OtlpAuth),
    /// Any JSON sender (SPEC version 3): a header credential, a signature over the body, or
    /// both; and the field names its events are read from.
    Webhook {
        auth: KeyAuth,
        signature: Option<Signature>,
        fields: FieldNames,
    },
}

/// How a `webhook` or `loki` source authenticates its sender in the request head.
#[derive(Debug, Clone)]
pub enum KeyAuth {
    /// Basic, Bearer, or none.
    Http(HttpAuth),
    /// A named header and its value (`x-api-key: …`).
    Header { name: http::HeaderName, value: Secret },
    /// A query parameter and its value (`?token=…`), for senders that can set only a URL.
    Query { name: String, value: Secret },
}

/// A webhook's HMAC signature header over the raw body.
#[derive(Debug, Clone)]
pub struct Signature {
    pub header: http::HeaderName,
    pub secrets: Vec<Secret>,
    pub algorithm: Algorithm,
    pub encoding: Encoding,
    /// Text before the MAC in the header (`sha256=`), removed before it is compared.
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
}

/// The top-level field names a webhook's events are read from, each list in order of preference
/// (SPEC sections 3 and 10).
#[derive(Debug, Clone)]
pub struct FieldNames {
    pub time: Vec<std::borrow::Cow<'static, str>>,
    pub message: Vec<std::borrow::Cow<'static, str>>,
    pub level: Vec<std::borrow::Cow<'static, str>>,
}

/// Names a field list may hold.
pub const MAX_FIELD_NAMES: usize = 8;

/// How an `otlp` source authenticates its sender.
#[derive(Debug, Clone)]
pub enum OtlpAuth {
    /// Basic, Bearer (the token also picks the source at the host root), or none.
    Http(HttpAuth),
    /// A named header and its value (`x-api-key: …`).
    Header { name: http::HeaderName, value: Secret },
    /// `x-vercel-signature` over the body, as Vercel trace drains send it; several secrets.
    Signature(Vec<Secret>),
}

impl SourceKind {
    /// Row `index` of `crate::kinds::ALL`, named `name`, given `auth`.
    pub(crate) fn new(index: usize, name: &'static str, auth: Auth) -> Self {
        SourceKind { index, name, auth }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// How a Northflank or Logplex source authenticates its sender.
#[derive(Debug, Clone)]
pub enum HttpAuth {
    Basic { username: Option<String>, password: Secret },
    Bearer(Secret),
    None,
}

/// A credential. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("config is not valid TOML: {0}")]
    Toml(String),
    #[error("{place}: `${{{name}}}` has no value (set it in the environment or as a secret)")]
    Unset { place: String, name: String },
    #[error("{place}: `${{` without a closing `}}` or with a name that isn't [A-Za-z_][A-Za-z0-9_]*")]
    BadReference { place: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    prefix: Option<String>,
    traces_prefix: Option<String>,
    metrics_prefix: Option<String>,
    tables_prefix: Option<String>,
    #[serde(default)]
    compaction: Compaction,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    storage: Storage,
    #[serde(default)]
    log: Log,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub name: String,
    pub kind: String,
    pub secrets: Option<Vec<String>>,
    pub verify: Option<String>,
    pub tokens: Option<Vec<String>>,
    pub auth: Option<toml::Value>,
    pub signature: Option<toml::Value>,
    pub time_field: Option<Vec<String>>,
    pub message_field: Option<Vec<String>>,
    pub level_field: Option<Vec<String>>,
    redact: Option<toml::Value>,
    drop: Option<Vec<String>>,
    min_level: Option<String>,
    keep_refused: Option<bool>,
}

impl Config {
    /// Parses `text`, reading each `${NAME}` through `lookup` (environment variables locally and
    /// on Lambda, secrets on Workers). Everything that would fail later fails here. The public
    /// `Config::parse` is this with the kinds' table (`crate::kinds`).
    /// `kind` builds each source's kind (`crate::kinds`, a layer above), given the sources
    /// before it.
    pub(crate) fn parse_with(
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
        kind: &BuildKind,
    ) -> Result<Self, ConfigError> {
        let mut value: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        for (key, v) in value.iter_mut() {
            resolve(v, key.clone(), lookup)?;
        }
        let raw: RawConfig = toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_string()))?;
        build(raw, kind)
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

fn resolve(v: &mut toml::Value, place: String, lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    match v {
        toml::Value::String(s) if s.contains("${") => *s = substitute(s, &place, lookup)?,
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let name = item.get("name").and_then(|n| n.as_str()).map(|n| format!(" `{n}`"));
                resolve(item, format!("{place}[{i}]{}", name.unwrap_or_default()), lookup)?;
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                resolve(item, format!("{place}.{k}"), lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn substitute(s: &str, place: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let bad = || ConfigError::BadReference {
            place: place.to_string(),
        };
        let end = after.find('}').ok_or_else(bad)?;
        let name = &after[..end];
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad());
        }
        let value = lookup(name).ok_or_else(|| ConfigError::Unset {
            place: place.to_string(),
            name: name.to_string(),
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Builds a source's kind from its table, given the sources defined before it.
pub(crate) type BuildKind = dyn Fn(&RawSource, &[Source]) -> Result<SourceKind, ConfigError>;

fn build(raw: RawConfig, build_kind: &BuildKind) -> Result<Config, ConfigError> {
    let invalid = |m: String| ConfigError::Invalid(m);
    let prefix = check_prefix("prefix", raw.prefix.unwrap_or_else(|| "logs/".to_string()))?;
    let traces_prefix = check_prefix(
        "traces_prefix",
        raw.traces_prefix.unwrap_or_else(|| "traces/".to_string()),
    )?;
    let metrics_prefix = check_prefix(
        "metrics_prefix",
        raw.metrics_prefix.unwrap_or_else(|| "metrics/".to_string()),
    )?;
    let tables_prefix = check_prefix(
        "tables_prefix",
        raw.tables_prefix.unwrap_or_else(|| "tables/".to_string()),
    )?;
    // A table's location holds only Parquet (SPEC section 9): no data prefix may lie inside a
    // `{tables_prefix}{signal}/` (a table inside a data prefix is fine: the NDJSON globs and
    // compaction's `drain=` listing never reach it).
    for signal in ["logs", "traces", "metrics"] {
        let table = format!("{tables_prefix}{signal}/");
        for (key, data) in [
            ("prefix", &prefix),
            ("traces_prefix", &traces_prefix),
            ("metrics_prefix", &metrics_prefix),
        ] {
            if data.starts_with(&table) {
                return Err(invalid(format!(
                    "tables_prefix `{tables_prefix}` puts the {signal} table at `{table}`, which overlaps {key} `{data}`: a location holds one format"
                )));
            }
        }
    }
    for (name, value, min, max) in raw.limits.ranges() {
        if !(min..=max).contains(&value) {
            return Err(invalid(format!("limits.{name} = {value}: must be {min} to {max}")));
        }
    }
    if !(1..=1_000_000).contains(&raw.log.sample_one_in) {
        return Err(invalid(format!(
            "log.sample_one_in {}: must be 1 to 1000000",
            raw.log.sample_one_in
        )));
    }
    if raw.storage.gzip_level > 9 {
        return Err(invalid(format!(
            "storage.gzip_level {}: must be 0 to 9",
            raw.storage.gzip_level
        )));
    }
    if raw.sources.is_empty() {
        return Err(invalid("no [[source]] defined: drain would accept nothing".into()));
    }
    let mut sources: Vec<Source> = Vec::with_capacity(raw.sources.len());
    for mut s in raw.sources {
        let name = s.name.clone();
        let valid_name = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        // SPEC version 3 section 7: the host-root routes of HEC, the Datadog intake and Loki
        // (`/services/…`, `/api/v2/logs`, `/loki/…`) are kept free too.
        if !valid_name || ["healthz", "metrics", "v1", "services", "api", "loki"].contains(&name.as_str()) {
            return Err(invalid(format!(
                "source `{name}`: a name is 1 to 64 of [a-z0-9-] and not `healthz`, `metrics`, `v1`, `services`, `api` or `loki` (routes of their own)"
            )));
        }
        if sources.iter().any(|o| o.name == name) {
            return Err(invalid(format!("source `{name}` is defined twice")));
        }
        let mut controls = crate::controls::Controls::parse(s.redact.as_ref(), s.drop.take(), s.min_level.take())
            .map_err(|m| invalid(format!("source `{name}`: {m}")))?;
        controls.keep_refused = s.keep_refused.unwrap_or(false);
        let kind = build_kind(&s, &sources)?;
        sources.push(Source { name, kind, controls });
    }
    Ok(Config {
        prefix,
        traces_prefix,
        metrics_prefix,
        tables_prefix,
        compaction: raw.compaction,
        limits: raw.limits,
        storage: raw.storage,
        log: raw.log,
        sources,
    })
}

fn check_prefix(key: &str, prefix: String) -> Result<String, ConfigError> {
    let invalid = |m: String| ConfigError::Invalid(m);
    if prefix.starts_with('/') || prefix.split('/').any(|p| p == ".." || p == ".") || prefix.contains("//") {
        return Err(invalid(format!(
            "{key} `{prefix}`: must be a relative key prefix without `.`, `..` or `//`"
        )));
    }
    if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.=".contains(c)) {
        return Err(invalid(format!(
            "{key} `{prefix}`: use only letters, digits and `/-_.=`"
        )));
    }
    if !prefix.is_empty() && !prefix.ends_with('/') {
        return Err(invalid(format!(
            "{key} `{prefix}`: must be empty or end in `/` (it goes before `drain=…/`)"
        )));
    }
    Ok(prefix)
}

/// A non-empty list of secrets, none empty or with whitespace at its ends.
pub(crate) fn secret_list(list: Option<Vec<String>>, field: &str, kind: &str) -> Result<Vec<Secret>, String> {
    let list = list.unwrap_or_default();
    if list.is_empty() {
        return Err(format!("kind `{kind}` needs at least one entry in `{field}`"));
    }
    if list.iter().any(|t| t.is_empty()) {
        return Err(format!("an entry of `{field}` is empty"));
    }
    if list.iter().any(|t| has_edge_space(t)) {
        return Err(format!(
            "an entry of `{field}` starts or ends with whitespace (a secret set with `echo … |` keeps its newline): remove it"
        ));
    }
    Ok(list.into_iter().map(Secret).collect())
}

/// A field-name list, or its default: 1 to [`MAX_FIELD_NAMES`] names, none empty.
pub(crate) fn field_names(
    list: Option<Vec<String>>,
    field: &str,
    default: &[&'static str],
) -> Result<Vec<std::borrow::Cow<'static, str>>, String> {
    let Some(list) = list else {
        return Ok(default.iter().map(|n| std::borrow::Cow::Borrowed(*n)).collect());
    };
    if list.is_empty() || list.len() > MAX_FIELD_NAMES || list.iter().any(|n| n.is_empty() || n.len() > 256) {
        return Err(format!(
            "`{field}` is a list of 1 to {MAX_FIELD_NAMES} top-level field names, none empty"
        ));
    }
    Ok(list.into_iter().map(std::borrow::Cow::Owned).collect())
}

/// `signature = { header, secrets, algorithm = "sha256"|"sha1", encoding = "hex"|"base64", prefix }`.
pub(crate) fn build_signature(v: &toml::Value, kind: &str) -> Result<Signature, String> {
    const FORM: &str = "`signature` is { header = \"…\", secrets = [\"…\"], algorithm = \"sha256\" or \"sha1\", encoding = \"hex\" or \"base64\", prefix = \"…\" (optional) }";
    let t = v.as_table().ok_or(FORM)?;
    if let Some(k) = t
        .keys()
        .find(|k| !["header", "secrets", "algorithm", "encoding", "prefix"].contains(&k.as_str()))
    {
        return Err(format!("`signature` does not take `{k}`"));
    }
    let header = header_name(t.get("header"), "signature.header")?;
    let secrets = match t.get("secrets").and_then(|s| s.as_array()) {
        Some(list) => {
            let list: Option<Vec<String>> = list.iter().map(|s| s.as_str().map(String::from)).collect();
            secret_list(Some(list.ok_or(FORM)?), "signature.secrets", kind)?
        }
        None => return Err(FORM.into()),
    };
    let algorithm = match t.get("algorithm").map(|a| a.as_str()) {
        None | Some(Some("sha256")) => Algorithm::Sha256,
        Some(Some("sha1")) => Algorithm::Sha1,
        _ => return Err("`signature.algorithm` is \"sha256\" or \"sha1\"".into()),
    };
    let encoding = match t.get("encoding").map(|a| a.as_str()) {
        None | Some(Some("hex")) => Encoding::Hex,
        Some(Some("base64")) => Encoding::Base64,
        _ => return Err("`signature.encoding` is \"hex\" or \"base64\"".into()),
    };
    let prefix = match t.get("prefix") {
        None => String::new(),
        Some(p) => p.as_str().ok_or("`signature.prefix` must be a string")?.to_string(),
    };
    Ok(Signature {
        header,
        secrets,
        algorithm,
        encoding,
        prefix,
    })
}

fn header_name(v: Option<&toml::Value>, place: &str) -> Result<http::HeaderName, String> {
    v.and_then(|n| n.as_str())
        .and_then(|n| http::HeaderName::from_bytes(n.as_bytes()).ok())
        .ok_or_else(|| format!("`{place}` must be a header name"))
}

/// `auth`: Basic, Bearer, `"none"`, `{ header = { name, value } }`, and where `query` is allowed
/// `{ query = { name, value } }`.
pub(crate) fn build_key_auth(v: Option<&toml::Value>, query: bool) -> Result<KeyAuth, String> {
    let table = v.and_then(|a| a.as_table());
    let pair = |key: &str| -> Result<Option<(String, Secret)>, String> {
        let Some(h) = table.and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        let h = h
            .as_table()
            .ok_or_else(|| format!("`auth.{key}` is {{ name = \"…\", value = \"…\" }}"))?;
        let name = h
            .get("name")
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("`auth.{key}.name` must be a non-empty string"))?;
        let value = h
            .get("value")
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty() && !has_edge_space(v))
            .ok_or_else(|| format!("`auth.{key}.value` must be a non-empty string without edge whitespace"))?;
        Ok(Some((name.to_string(), Secret(value.to_string()))))
    };
    if let Some((name, value)) = pair("header")? {
        let name =
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| "`auth.header.name` must be a header name")?;
        if name == http::header::AUTHORIZATION {
            return Err("`auth.header`: use `bearer` or `basic` for Authorization".into());
        }
        return Ok(KeyAuth::Header { name, value });
    }
    if query {
        if let Some((name, value)) = pair("query")? {
            return Ok(KeyAuth::Query { name, value });
        }
    }
    build_auth(v).map(KeyAuth::Http)
}

pub(crate) fn build_auth(v: Option<&toml::Value>) -> Result<HttpAuth, String> {
    const FORMS: &str = "`auth` is { basic = { username = \"…\", password = \"…\" } }, { bearer = \"…\" } or \"none\"";
    let Some(v) = v else {
        return Err(format!("`auth` is missing: {FORMS}"));
    };
    if v.as_str() == Some("none") {
        return Ok(HttpAuth::None);
    }
    let Some(t) = v.as_table().filter(|t| t.len() == 1) else {
        return Err(FORMS.to_string());
    };
    if let Some(token) = t.get("bearer") {
        let token = token
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or("`auth.bearer` must be a non-empty string")?;
        if has_edge_space(token) {
            return Err("`auth.bearer` starts or ends with whitespace: remove it".into());
        }
        return Ok(HttpAuth::Bearer(Secret(token.to_string())));
    }
    let Some(basic) = t.get("basic").and_then(|b| b.as_table()) else {
        return Err(FORMS.to_string());
    };
    if let Some(k) = basic.keys().find(|k| *k != "username" && *k != "password") {
        return Err(format!("`auth.basic` does not take `{k}`"));
    }
    let username = match basic.get("username") {
        None => None,
        Some(u) => Some(u.as_str().ok_or("`auth.basic.username` must be a string")?.to_string()),
    };
    let password = basic
        .get("password")
        .and_then(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .ok_or("`auth.basic.password` must be a non-empty string")?;
    if has_edge_space(password) {
        return Err("`auth.basic.password` starts or ends with whitespace: remove it".into());
    }
    Ok(HttpAuth::Basic {
        username: username.filter(|u| !u.is_empty()),
        password: Secret(password.to_string()),
    })
}

/// A secret with whitespace at either end never matches what a sender sends.
fn has_edge_space(s: &str) -> bool {
    s.trim() != s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn check_err(toml: &str, expected: &str) {
        let err = Config::parse(toml, &env).expect_err(toml).to_string();
        assert!(
            err.contains(expected),
            "config:\n{toml}\nerror: {err}\nexpected to contain: {expected}"
        );
    }

    const VERCEL: &str = "[[source]]\nname = \"v\"\nkind = \"vercel\"\nsecrets = [\"${SET}\"]\n";

    #[test]
    fn resolves_references_and_defaults() {
        let c = Config::parse(VERCEL, &env).unwrap();
        assert_eq!(c.prefix, "logs/");
        assert_eq!(c.limits.max_body, 20 * 1024 * 1024);
        assert_eq!(c.storage.gzip_level, 4);
        let Auth::Vercel { secrets, verify } = &c.sources[0].kind.auth else {
            panic!()
        };
        assert_eq!(secrets[0].expose(), "s3cret");
        assert_eq!(verify, &None);
        assert!(!format!("{c:?}").contains("s3cret"), "Debug must not show secrets");
        assert_eq!(
            (c.tables_prefix.as_str(), c.compaction.format),
            ("tables/", TableFormat::Parquet)
        );
    }

    #[test]
    fn the_log_section_picks_which_deliveries_have_a_line() {
        let c = Config::parse(VERCEL, &env).unwrap();
        assert_eq!(c.log, Log::default());
        assert_eq!(c.log.weight("any"), 1);
        let c = Config::parse(&format!("[log]\ndeliveries = \"failures\"\n{VERCEL}"), &env).unwrap();
        assert_eq!(c.log.weight("any"), 0);
        let c = Config::parse(
            &format!("[log]\ndeliveries = \"sample\"\nsample_one_in = 4\n{VERCEL}"),
            &env,
        )
        .unwrap();
        let weights: Vec<u32> = (0..4000).map(|i| c.log.weight(&format!("req-{i}"))).collect();
        assert!(weights.iter().all(|w| *w == 0 || *w == 4));
        let picked = weights.iter().filter(|w| **w == 4).count();
        assert!((800..1200).contains(&picked), "{picked} of 4000 picked at one in 4");
        assert_eq!(c.log.weight("req-7"), c.log.weight("req-7"));
        check_err(&format!("[log]\nsample_one_in = 0\n{VERCEL}"), "log.sample_one_in 0");
        check_err(
            &format!("[log]\ndeliveries = \"some\"\n{VERCEL}"),
            "unknown variant `some`",
        );
    }

    #[test]
    fn tables_take_a_format_and_a_prefix_of_their_own() {
        let c = Config::parse(
            &format!("tables_prefix = \"t/\"\n[compaction]\nformat = \"ndjson\"\n{VERCEL}"),
            &env,
        )
        .unwrap();
        assert_eq!(
            (c.tables_prefix.as_str(), c.compaction.format),
            ("t/", TableFormat::Ndjson)
        );
        check_err(
            &format!("[compaction]\nformat = \"orc\"\n{VERCEL}"),
            "unknown variant `orc`",
        );
        check_err(&format!("tables_prefix = \"\"\n{VERCEL}"), "overlaps prefix `logs/`");
        assert!(Config::parse(&format!("prefix = \"\"\n{VERCEL}"), &env).is_ok());
        check_err(
            &format!("prefix = \"tables/logs/app/\"\n{VERCEL}"),
            "overlaps prefix `tables/logs/app/`",
        );
        check_err(
            &format!("tables_prefix = \"logs\"\n{VERCEL}"),
            "must be empty or end in `/`",
        );
    }

    #[test]
    fn refuses_unusable_configs_naming_the_problem() {
        check_err(
            "[[source]]\nname = \"v\"\nkind = \"vercel\"\nsecrets = [\"${NOPE}\"]\n",
            "`${NOPE}` has no value",
        );
        check_err(
            "[[source]]\nname = \"v\"\nkind = \"vercel\"\nsecrets = [\"${9x}\"]\n",
            "source[0] `v`.secrets[0]",
        );
        check_err(
            "[[source]]\nname = \"v\"\nkind = \"vercel\"\nsecrets = [\"${EMPTY}\"]\n",
            "is empty",
        );
        check_err(
            "[[source]]\nname = \"v\"\nkind = \"vercel\"\n",
            "needs at least one entry in `secrets`",
        );
        check_err("[[source]]\nname = \"v\"\nkind = \"splunk\"\n", "unknown kind `splunk`");
        check_err(
            "[[source]]\nname = \"Bad_Name\"\nkind = \"vercel\"\nsecrets=[\"a\"]\n",
            "source `Bad_Name`",
        );
        for reserved in ["healthz", "metrics", "v1", "services", "api", "loki"] {
            check_err(
                &format!("[[source]]\nname = \"{reserved}\"\nkind = \"vercel\"\nsecrets=[\"a\"]\n"),
                "not `healthz`, `metrics`, `v1`, `services`, `api` or `loki`",
            );
        }
        check_err(
            "[[source]]\nname = \"o\"\nkind = \"otlp\"\nsecrets=[\"a\"]\nauth={bearer=\"t\"}\n",
            "`secrets` (a Vercel trace drain's signature) or `auth`, not both",
        );
        check_err(
            "[[source]]\nname = \"o\"\nkind = \"otlp\"\nauth={header={name=\"bad name\",value=\"v\"}}\n",
            "`auth.header.name` must be a header name",
        );
        check_err(
            "[[source]]\nname = \"o\"\nkind = \"otlp\"\nauth={bearer=\"t\"}\n[[source]]\nname = \"p\"\nkind = \"otlp\"\nauth={bearer=\"t\"}\n",
            "uses a token that source `o` uses too",
        );
        check_err(
            "traces_prefix = \"traces\"\n[[source]]\nname = \"o\"\nkind = \"otlp\"\nauth=\"none\"\n",
            "traces_prefix `traces`: must be empty or end in `/`",
        );
        check_err(&format!("{VERCEL}{VERCEL}"), "defined twice");
        check_err(
            "[[source]]\nname=\"a\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n[[source]]\nname=\"b\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n",
            "uses a token that source `a` uses too",
        );
        check_err("[[source]]\nname=\"n\"\nkind=\"northflank\"\n", "`auth` is missing");
        check_err(
            "[[source]]\nname=\"n\"\nkind=\"northflank\"\nauth=\"open\"\n",
            "`auth` is",
        );
        check_err(
            "[[source]]\nname=\"n\"\nkind=\"logplex\"\nauth={basic={user=\"x\",password=\"p\"}}\n",
            "does not take `user`",
        );
        check_err(
            "[[source]]\nname=\"n\"\nkind=\"vercel\"\nsecret=[\"x\"]\n",
            "unknown field `secret`",
        );
        check_err(
            "prefix = \"../up\"\n[[source]]\nname=\"n\"\nkind=\"northflank\"\nauth=\"none\"\n",
            "prefix",
        );
        check_err("[storage]\ngzip_level = 11\n", "gzip_level 11");
        check_err("", "no [[source]]");
        check_err("[[source]\n", "not valid TOML");
    }

    #[test]
    fn auth_forms() {
        let c = Config::parse(
            "[[source]]\nname=\"a\"\nkind=\"northflank\"\nauth={bearer=\"${SET}\"}\n\
             [[source]]\nname=\"b\"\nkind=\"logplex\"\nauth={basic={password=\"p\"}}\n\
             [[source]]\nname=\"c\"\nkind=\"northflank\"\nauth=\"none\"\n",
            &env,
        )
        .unwrap();
        assert!(matches!(&c.sources[0].kind.auth, Auth::Http(HttpAuth::Bearer(s)) if s.expose() == "s3cret"));
        assert!(matches!(
            &c.sources[1].kind.auth,
            Auth::Http(HttpAuth::Basic { username: None, .. })
        ));
        assert!(matches!(&c.sources[2].kind.auth, Auth::Http(HttpAuth::None)));
        assert_eq!(
            c.sources.iter().map(|s| s.kind.name()).collect::<Vec<_>>(),
            ["northflank", "logplex", "northflank"]
        );
    }

    /// Issue 12, item 12: configs that used to be accepted and then failed in use.
    #[test]
    fn regression_unusable_configs_refused_at_start_up() {
        check_err(
            "[[source]]\nname=\"h\"\nkind=\"logplex\"\nauth=\"none\"\n",
            "kind `logplex` takes only `auth = { basic",
        );
        check_err(
            "[[source]]\nname=\"h\"\nkind=\"logplex\"\nauth={bearer=\"t\"}\n",
            "kind `logplex` takes only",
        );
        check_err(&format!("prefix = \"logs\"\n{VERCEL}"), "must be empty or end in `/`");
        check_err(
            &format!("[limits]\nmax_body = {}\n{VERCEL}", i64::MAX),
            "limits.max_body",
        );
        check_err(
            &format!("[limits]\nmax_objects = 0\n{VERCEL}"),
            "limits.max_objects = 0",
        );
        check_err(&format!("[limits]\nmax_depth = 100000\n{VERCEL}"), "limits.max_depth");
        // Issue 28, item 7: a line no reader takes (DuckDB stops at 16 MB by default).
        check_err(
            &format!("[limits]\nmax_event_bytes = 16777216\n{VERCEL}"),
            "limits.max_event_bytes",
        );
        check_err(&format!("[limits]\nmax_stored = 1024\n{VERCEL}"), "limits.max_stored");
        check_err(
            "[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"abc\\n\"]\n",
            "whitespace",
        );
        check_err(
            "[[source]]\nname=\"n\"\nkind=\"northflank\"\nauth={bearer=\" t\"}\n",
            "whitespace",
        );
        check_err(
            "[[source]]\nname=\"h\"\nkind=\"logplex\"\nauth={basic={password=\"p \"}}\n",
            "whitespace",
        );
        let empty = Config::parse(&format!("prefix = \"\"\n{VERCEL}"), &env).expect("an empty prefix is fine");
        assert_eq!(empty.prefix, "");
    }
}
