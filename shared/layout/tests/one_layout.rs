//! ARCHITECTURE.md's invariant: the key layout is spelled in this crate only. No other crate's
//! code (tests and comments aside) writes `day=` or `hour=`: they call this crate.

#[test]
#[allow(clippy::disallowed_methods)] // the test reads the tree's sources; the crate itself does no IO
fn no_other_crate_spells_the_layout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![root.join("shared/src")];
    for group in ["handlers", "infra/crates"] {
        for e in std::fs::read_dir(root.join(group)).unwrap() {
            dirs.push(e.unwrap().path().join("src"));
        }
    }
    let mut files = 0;
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".rs") || name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                if line.contains("day=") || line.contains("hour=") {
                    found.push(format!("{}:{}: {line}", p.display(), n + 1));
                }
            }
        }
    }
    assert!(files > 50, "the tree's sources were found ({files})");
    assert!(
        found.is_empty(),
        "the layout spelled outside drain-layout:\n{}",
        found.join("\n")
    );
}
