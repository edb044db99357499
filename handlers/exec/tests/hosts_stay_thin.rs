//! The code bound to a platform (what needs tokio, the AWS SDK, the Lambda runtime or `worker`)
//! stays the glue: at most 1,200 non-test lines across the hosts and the two platform stores,
//! the logic they host living in runtime-free crates (ARCHITECTURE "Invariants").

use std::path::{Path, PathBuf};

/// Non-test lines of a file: those before its first `#[cfg(test)]`.
fn lines(file: &Path) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().take_while(|l| !l.starts_with("#[cfg(test)]")).count()
}

/// The `.rs` files directly in `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_platform_bound_code_is_at_most_1200_lines() {
    let handlers = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The server without its reader (`read/`, the `drain logs`/`sql`/`ui` half), and every
    // file of the other platform-bound crates.
    let crates = ["server", "s3", "lambda", "worker", "worker-compact", "r2"];
    let counted: Vec<(PathBuf, usize)> = crates
        .iter()
        .flat_map(|c| files(&handlers.join(c).join("src")))
        .map(|f| {
            let n = lines(&f);
            (f, n)
        })
        .collect();
    let total: usize = counted.iter().map(|(_, n)| n).sum();
    assert!(counted.len() >= 14, "the hosts' files were not found: {counted:?}");
    assert!(
        total <= 1200,
        "{total} platform-bound lines (at most 1,200): move logic into a runtime-free crate\n{counted:#?}"
    );
}
