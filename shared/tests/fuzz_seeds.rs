//! Every committed fuzz seed (`fuzz/seeds/<target>`) replayed through its target on the stable
//! toolchain: no input the fuzzers kept may panic. Live fuzzing is `infra/run/fuzz SECONDS`.

#![allow(
    clippy::disallowed_methods,
    reason = "the test harness reads files; the core does not"
)]

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::path::PathBuf;

#[test]
fn committed_fuzz_seeds_replay_without_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut total = 0;
    for (name, target) in targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds for {name} in {}", dir.display());
        for f in &files {
            let data = std::fs::read(f).expect("a seed file");
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name}: seed {} panics", f.display());
        }
        println!("{name}: {} seeds replayed", files.len());
        total += files.len();
    }
    println!("{total} seeds replayed through {} targets", targets::TARGETS.len());
    // The objects the `handle` seeds make, for the query-engine test (`DRAIN_OBJECTS_DIR`).
    if std::env::var_os("DRAIN_OBJECTS_DIR").is_some() {
        for f in std::fs::read_dir(root.join("handle")).expect("handle seeds") {
            let data = std::fs::read(f.expect("a directory entry").path()).expect("a seed file");
            if let Some(plan) = targets::handle_plan(&data) {
                drain_cases::dump_objects("fuzz", plan.objects.iter().map(|o| (o.key.as_str(), &o.body[..])));
            }
        }
    }
}
