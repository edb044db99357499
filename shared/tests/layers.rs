//! The core's layers (ARCHITECTURE.md): each module may use only modules in its own layer or
//! below, read from the `crate::` paths of its non-test code. A new file must be placed in a
//! layer here; a `use` that reaches up fails.

/// Lowest first. A file's module is its path under `src/` without `.rs`; `kinds/*`, and
/// `format/otlp/*` are one module each. `*_tests.rs` files are tests, not layers.
const LAYERS: &[&[&str]] = &[
    // Plain types: refusals, instants, renaming, the plan handed back, scratch space.
    &["error", "timestamp", "names", "plan", "scratch"],
    // The config, content codings, frame splitting.
    &["controls", "config", "body", "framing"],
    // Credentials; the stored line and object writer.
    &["auth", "output"],
    &["format/json_safe"],
    // One event's fields, the kinds' field rules.
    &["event"],
    // Wire formats.
    &[
        "format",
        "format/json",
        "format/msgpack",
        "format/northflank_text",
        "format/syslog",
        "format/otlp",
    ],
    // The kinds: a row each, the pipeline.
    &["kinds"],
    // Every HTTP answer; the route; a refused delivery kept.
    &["answer", "route", "kept"],
    // The entry points.
    &["lib"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The module a file is, or a `crate::` path names (the longest one listed).
fn module_of(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    for n in (1..=parts.len()).rev() {
        let candidate = parts[..n].join("/");
        if layer_of(&candidate).is_some() {
            return candidate;
        }
    }
    path.to_owned()
}

#[test]
#[allow(clippy::disallowed_methods)] // the test reads the core's sources; the core itself does no IO
fn no_module_uses_one_above_it() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.to_string_lossy().ends_with("_tests.rs") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 20, "the core's files were found");
    let mut problems = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let rel = rel.trim_end_matches("/mod").to_owned();
        let module = module_of(&rel);
        let Some(own) = layer_of(&module) else {
            problems.push(format!("{rel}.rs is in no layer: add it to LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        // The code before the file's test module (a `#[cfg(test)]` on one item hides nothing).
        let code = text
            .split("#[cfg(test)]\nmod ")
            .next()
            .unwrap()
            .split("#[cfg(test)]\n#[path")
            .next()
            .unwrap();
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let path: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let path = path.trim_end_matches(':').replace("::", "/");
                let used = module_of(&path);
                match layer_of(&used) {
                    Some(l) if l > own => problems.push(format!(
                        "{rel}.rs:{}: {module} (layer {own}) uses {used} (layer {l})",
                        n + 1
                    )),
                    // A name re-exported at the crate root (`crate::Scratch`): the entry points.
                    None if own < layer_of("lib").unwrap() && path.chars().next().is_some_and(char::is_uppercase) => {
                        problems.push(format!("{rel}.rs:{}: {module} uses the crate root's {path}", n + 1))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
