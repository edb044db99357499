//! Reading a config file, and `drain check-config`'s report of what it defines: prefixes,
//! limits, storage, compaction, and each source with its kind's routes and credentials.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use drain_core::{Config, TableFormat};

/// The config in `file`, each `${NAME}` read from the environment.
pub fn load(file: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Config::parse(&text, &|name| std::env::var(name).ok()).with_context(|| format!("{} can't be used", file.display()))
}

/// What `drain check-config` prints of a config that parsed.
pub fn report(file: &Path, config: &Config) -> String {
    let mut out = format!("{}: ok\n", file.display());
    let _ = writeln!(
        out,
        "prefixes: logs {}, traces {}, metrics {}",
        config.prefix, config.traces_prefix, config.metrics_prefix
    );
    let l = config.limits;
    let _ = writeln!(
        out,
        "limits: max_body {} bytes, max_decompressed {} bytes, max_objects {}, max_event_bytes {}, max_fields {}, max_depth {}, max_stored {} bytes",
        l.max_body, l.max_decompressed, l.max_objects, l.max_event_bytes, l.max_fields, l.max_depth, l.max_stored
    );
    let _ = writeln!(out, "storage: gzip level {}", config.storage.gzip_level);
    let _ = writeln!(
        out,
        "compaction: {}",
        match config.compaction.format {
            TableFormat::Parquet => format!("Parquet tables under {}{{logs,traces,metrics}}/", config.tables_prefix),
            TableFormat::Ndjson => "gzip NDJSON in each hour's partition".to_owned(),
        }
    );
    for s in &config.sources {
        let _ = writeln!(
            out,
            "source {:<20} kind {:<12} {}",
            s.name,
            s.kind.name(),
            drain_core::describe(s)
        );
    }
    out
}

/// Each source as `drain serve`'s start-up line names it: `/name (kind)`.
pub fn sources(config: &Config) -> Vec<String> {
    config
        .sources
        .iter()
        .map(|s| format!("/{} ({})", s.name, s.kind.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_every_source_with_its_kind_and_credentials() {
        let config = Config::parse(
            "[[source]]\nname = \"app\"\nkind = \"northflank\"\nauth = { bearer = \"t0ken\" }\n\n[[source]]\nname = \"hec\"\nkind = \"splunk_hec\"\ntokens = [\"x\"]\n",
            &|_| None,
        )
        .unwrap();
        let out = report(Path::new("drain.toml"), &config);
        assert!(out.starts_with("drain.toml: ok\n"), "{out}");
        let app = out.lines().find(|l| l.starts_with("source app")).expect(&out);
        assert!(app.contains("kind northflank") && app.contains("Bearer"), "{app}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("source hec") && l.contains("kind splunk_hec")),
            "{out}"
        );
        assert!(!out.contains("t0ken"), "a secret in the report: {out}");
        assert_eq!(sources(&config), ["/app (northflank)", "/hec (splunk_hec)"]);
    }
}
