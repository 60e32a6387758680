//! The layers depend one way (see the README's architecture notes and `DESIGN.md`): the
//! protocol (`src/single`) and the runtime (`src/runtime`) never name the checker (`models/`)
//! or the specs (`specs/`), and the models never name the specs. This test reads the sources
//! and fails on any such path. (That `src/runtime` names no protocol module is the next stage
//! of the restructuring and is not asserted yet: it still builds single-decree actors.)

use std::fs;
use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

/// The lines of the sources under `dir` that name one of `forbidden`.
fn offending(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut hits = Vec::new();
    for (file, text) in sources(&root) {
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f)) {
                hits.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    hits
}

const CHECKER: [&str; 4] = [
    "crate::models",
    "crate::specs",
    "paxos::models",
    "paxos::specs",
];

#[test]
fn the_protocol_does_not_depend_on_the_checker() {
    assert_eq!(offending("src/single", &CHECKER), Vec::<String>::new());
}

#[test]
fn the_runtime_does_not_depend_on_the_checker() {
    assert_eq!(offending("src/runtime", &CHECKER), Vec::<String>::new());
}

#[test]
fn the_models_do_not_depend_on_the_specs() {
    assert_eq!(
        offending("models", &["crate::specs", "paxos::specs"]),
        Vec::<String>::new()
    );
}

/// The guard has teeth: it finds what it forbids where it is.
#[test]
fn the_guard_finds_what_it_looks_for() {
    assert!(!offending("specs", &["crate::models"]).is_empty());
    assert!(!offending("src/cli", &["crate::models"]).is_empty());
}
