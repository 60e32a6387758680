//! The layers depend one way (see the README's architecture section): the protocol
//! (`src/single`) and the runtime (`src/runtime`) never name the checker (`models/`) or the
//! specs (`specs/`); the models never name the specs; the runtime names no protocol; and of a
//! protocol's files only its deployment (`deploy.rs`, `programs.rs`) names the runtime. This
//! test reads the sources and fails on any such path.
//!
//! One exception, stated: a runtime module's unit tests (the part of the file after
//! `#[cfg(test)]`, or a `tests.rs` module) may use single-decree messages and records as fixtures, because the golden
//! bytes of the envelope and of the record format are those of real messages and records.

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
    offending_in(dir, forbidden, |_| false, false)
}

/// The lines of the sources under `dir` (but not in the files `exempt` names, and with
/// `production_only` not after a file's `#[cfg(test)]`) that name one of `forbidden`.
fn offending_in(
    dir: &str,
    forbidden: &[&str],
    exempt: impl Fn(&str) -> bool,
    production_only: bool,
) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut hits = Vec::new();
    for (file, text) in sources(&root) {
        if exempt(&file) {
            continue;
        }
        let text = match text.find("#[cfg(test)]") {
            _ if production_only && file.ends_with("/tests.rs") => "",
            Some(at) if production_only => &text[..at],
            _ => &text[..],
        };
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

const PROTOCOLS: [&str; 4] = [
    "crate::single",
    "crate::multi",
    "paxos::single",
    "paxos::multi",
];

#[test]
fn the_runtime_names_no_protocol() {
    assert_eq!(
        offending_in("src/runtime", &PROTOCOLS, |_| false, true),
        Vec::<String>::new()
    );
}

#[test]
fn only_a_protocols_deployment_names_the_runtime() {
    let deployment = |f: &str| f.ends_with("/deploy.rs") || f.ends_with("/programs.rs");
    assert_eq!(
        offending_in(
            "src/single",
            &["crate::runtime", "paxos::runtime"],
            deployment,
            false
        ),
        Vec::<String>::new()
    );
}

/// The guard has teeth: it finds what it forbids where it is, and the exceptions are narrow.
#[test]
fn the_guard_finds_what_it_looks_for() {
    assert!(!offending("specs", &["crate::models"]).is_empty());
    assert!(!offending("src/cli", &["crate::models"]).is_empty());
    // The runtime's unit tests do use the protocol's messages; only they are exempt.
    assert!(!offending("src/runtime", &PROTOCOLS).is_empty());
    // The deployment does name the runtime.
    assert!(!offending("src/single", &["crate::runtime"]).is_empty());
}
