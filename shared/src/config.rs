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
    pub limits: Limits,
    pub storage: Storage,
    pub sources: Vec<Source>,
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
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Vercel {
        secrets: Vec<Secret>,
        verify: Option<String>,
    },
    Northflank {
        auth: HttpAuth,
    },
    BetterStack {
        tokens: Vec<Secret>,
    },
    Logplex {
        auth: HttpAuth,
    },
    Otlp {
        auth: OtlpAuth,
    },
}

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
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Vercel { .. } => "vercel",
            SourceKind::Northflank { .. } => "northflank",
            SourceKind::BetterStack { .. } => "betterstack",
            SourceKind::Logplex { .. } => "logplex",
            SourceKind::Otlp { .. } => "otlp",
        }
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
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    storage: Storage,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: String,
    secrets: Option<Vec<String>>,
    verify: Option<String>,
    tokens: Option<Vec<String>>,
    auth: Option<toml::Value>,
}

impl Config {
    /// Parses `text`, reading each `${NAME}` through `lookup` (environment variables locally and
    /// on Lambda, secrets on Workers). Everything that would fail later fails here.
    pub fn parse(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut value: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        for (key, v) in value.iter_mut() {
            resolve(v, key.clone(), lookup)?;
        }
        let raw: RawConfig = toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_string()))?;
        build(raw)
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

fn build(raw: RawConfig) -> Result<Config, ConfigError> {
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
    for (name, value, min, max) in raw.limits.ranges() {
        if !(min..=max).contains(&value) {
            return Err(invalid(format!("limits.{name} = {value}: must be {min} to {max}")));
        }
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
    for s in raw.sources {
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
        let kind = build_kind(s)?;
        // At the host root the token picks the source (Better Stack at `/`, OTLP at `/v1/…`).
        let root_tokens = |k: &SourceKind| -> Vec<Secret> {
            match k {
                SourceKind::BetterStack { tokens } => tokens.clone(),
                SourceKind::Otlp {
                    auth: OtlpAuth::Http(HttpAuth::Bearer(t)),
                } => vec![t.clone()],
                _ => Vec::new(),
            }
        };
        let mine = root_tokens(&kind);
        for other in &sources {
            if std::mem::discriminant(&other.kind) == std::mem::discriminant(&kind)
                && root_tokens(&other.kind).iter().any(|t| mine.contains(t))
            {
                return Err(invalid(format!(
                    "source `{name}` uses a token that source `{}` uses too: the token picks the source",
                    other.name
                )));
            }
        }
        sources.push(Source { name, kind });
    }
    Ok(Config {
        prefix,
        traces_prefix,
        metrics_prefix,
        limits: raw.limits,
        storage: raw.storage,
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

fn build_kind(s: RawSource) -> Result<SourceKind, ConfigError> {
    let name = &s.name;
    let invalid = |m: String| ConfigError::Invalid(format!("source `{name}`: {m}"));
    let refuse = |field: &str, present: bool| {
        if present {
            Err(invalid(format!("kind `{}` does not take `{field}`", s.kind)))
        } else {
            Ok(())
        }
    };
    let secrets_of = |list: Option<Vec<String>>, field: &str| -> Result<Vec<Secret>, ConfigError> {
        let list = list.unwrap_or_default();
        if list.is_empty() {
            return Err(invalid(format!(
                "kind `{}` needs at least one entry in `{field}`",
                s.kind
            )));
        }
        if list.iter().any(|t| t.is_empty()) {
            return Err(invalid(format!("an entry of `{field}` is empty")));
        }
        if list.iter().any(|t| has_edge_space(t)) {
            return Err(invalid(format!(
                "an entry of `{field}` starts or ends with whitespace (a secret set with `echo … |` keeps its newline): remove it"
            )));
        }
        Ok(list.into_iter().map(Secret).collect())
    };
    match s.kind.as_str() {
        "vercel" => {
            refuse("tokens", s.tokens.is_some())?;
            refuse("auth", s.auth.is_some())?;
            let verify = s.verify.filter(|v| !v.is_empty());
            if let Some(v) = &verify {
                if http::HeaderValue::from_str(v).is_err() {
                    return Err(invalid("`verify` is not a valid header value".into()));
                }
            }
            Ok(SourceKind::Vercel {
                secrets: secrets_of(s.secrets, "secrets")?,
                verify,
            })
        }
        "betterstack" => {
            refuse("secrets", s.secrets.is_some())?;
            refuse("verify", s.verify.is_some())?;
            refuse("auth", s.auth.is_some())?;
            Ok(SourceKind::BetterStack {
                tokens: secrets_of(s.tokens, "tokens")?,
            })
        }
        "northflank" | "logplex" => {
            refuse("secrets", s.secrets.is_some())?;
            refuse("verify", s.verify.is_some())?;
            refuse("tokens", s.tokens.is_some())?;
            let auth = build_auth(s.auth.as_ref()).map_err(invalid)?;
            if s.kind == "logplex" && !matches!(auth, HttpAuth::Basic { .. }) {
                return Err(invalid(
                    "kind `logplex` takes only `auth = { basic = { … } }`: Heroku sends Basic credentials from the drain URL"
                        .into(),
                ));
            }
            Ok(if s.kind == "northflank" {
                SourceKind::Northflank { auth }
            } else {
                SourceKind::Logplex { auth }
            })
        }
        "otlp" => {
            refuse("verify", s.verify.is_some())?;
            refuse("tokens", s.tokens.is_some())?;
            let auth = match (s.secrets, &s.auth) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        "kind `otlp` takes `secrets` (a Vercel trace drain's signature) or `auth`, not both".into(),
                    ))
                }
                (Some(list), None) => OtlpAuth::Signature(secrets_of(Some(list), "secrets")?),
                (None, auth) => match auth.as_ref().and_then(|a| a.as_table()).and_then(|t| t.get("header")) {
                    Some(h) => {
                        let h = h
                            .as_table()
                            .ok_or_else(|| invalid("`auth.header` is { name = \"…\", value = \"…\" }".into()))?;
                        let name = h
                            .get("name")
                            .and_then(|n| n.as_str())
                            .and_then(|n| http::HeaderName::from_bytes(n.as_bytes()).ok())
                            .ok_or_else(|| invalid("`auth.header.name` must be a header name".into()))?;
                        if name == http::header::AUTHORIZATION {
                            return Err(invalid(
                                "`auth.header`: use `bearer` or `basic` for Authorization".into(),
                            ));
                        }
                        let value = h
                            .get("value")
                            .and_then(|v| v.as_str())
                            .filter(|v| !v.is_empty() && !has_edge_space(v))
                            .ok_or_else(|| {
                                invalid("`auth.header.value` must be a non-empty string without edge whitespace".into())
                            })?;
                        OtlpAuth::Header {
                            name,
                            value: Secret(value.to_string()),
                        }
                    }
                    None => OtlpAuth::Http(build_auth(auth.as_ref()).map_err(invalid)?),
                },
            };
            Ok(SourceKind::Otlp { auth })
        }
        other => Err(invalid(format!(
            "unknown kind `{other}` (one of vercel, northflank, betterstack, logplex, otlp)"
        ))),
    }
}

fn build_auth(v: Option<&toml::Value>) -> Result<HttpAuth, String> {
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
        let SourceKind::Vercel { secrets, verify } = &c.sources[0].kind else {
            panic!()
        };
        assert_eq!(secrets[0].expose(), "s3cret");
        assert_eq!(verify, &None);
        assert!(!format!("{c:?}").contains("s3cret"), "Debug must not show secrets");
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
        assert!(
            matches!(&c.sources[0].kind, SourceKind::Northflank { auth: HttpAuth::Bearer(s) } if s.expose() == "s3cret")
        );
        assert!(matches!(
            &c.sources[1].kind,
            SourceKind::Logplex {
                auth: HttpAuth::Basic { username: None, .. }
            }
        ));
        assert!(matches!(
            &c.sources[2].kind,
            SourceKind::Northflank { auth: HttpAuth::None }
        ));
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
