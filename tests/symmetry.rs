//! Symmetry reduction over acceptors (`models/symmetry.rs`, `paxos check --symmetry`): the
//! verdicts are those of the full search, the reduced counts are pinned, and on every state of
//! `roles` the premises of the reduction hold (the relabelling commutes with the steps, the
//! properties and the boundary; the representative is a function of the orbit; the orbits
//! counted by the full space are exactly the states of the reduced search).
//!
//! `faults` unreduced takes about 45 s (`tests/single_model.rs` pins it); here its reduced
//! search is pinned and its verdicts compared with that pinned unreduced outcome, and the
//! orbit count of its full space is an ignored test (`cargo test --release --test symmetry --
//! --ignored`).

use paxos::models::bugs::case;
use paxos::models::harness::ActorHarness;
use paxos::models::run::{self, RunOptions};
use paxos::models::search::Search;
use paxos::models::single::{Merge, SingleConfig, SingleModel, SingleModelState};
use paxos::models::symmetry::{
    acceptor_actors, applies, canonicalize, canonicalize_by_full_comparison, permute,
};
use paxos::single::Bug;
use stateright::{Checker, Model};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::process::Command;

type Canon = fn(&SingleModelState) -> SingleModelState;

fn check(cfg: SingleConfig, symmetry: bool) -> run::Report {
    let restrict = cfg.clone();
    run::check(
        "single-decree",
        serde_json::Value::Null,
        SingleModel::new(cfg),
        &RunOptions {
            threads: 2,
            strategy: Search::Dfs,
            symmetry: symmetry.then_some(canonicalize as Canon),
            progress: false,
            shortest: false,
            stop_at_violation: false,
        },
        move |name| SingleModel::new(restrict.clone()).only(name),
        |m, p| m.format_trace(p),
    )
}

fn statuses(r: &run::Report) -> Vec<(String, String)> {
    r.properties
        .iter()
        .map(|p| (p.name.clone(), p.status.clone()))
        .collect()
}

fn named(name: &str) -> SingleConfig {
    SingleConfig::named(name).unwrap()
}

const HOLDS: [&str; 9] = [
    "agreement",
    "validity",
    "learner-agreement",
    "learners-agree",
    "stability",
    "durability",
    "round-durability",
    "ballot-safety",
    "linearizable",
];

fn expected(found: &[&str]) -> Vec<(String, String)> {
    HOLDS
        .iter()
        .map(|p| (p.to_string(), "holds".to_string()))
        .chain(found.iter().map(|p| (p.to_string(), "found".to_string())))
        .collect()
}

#[test]
fn roles_verdicts_are_equal_and_the_reduced_count_is_pinned() {
    let full = check(named("roles"), false);
    let reduced = check(named("roles"), true);
    assert_eq!((full.unique_states, full.symmetry), (196_513, false));
    assert_eq!((reduced.unique_states, reduced.symmetry), (34_592, true));
    assert_eq!(
        statuses(&reduced),
        expected(&[
            "value-chosen",
            "learner-learns",
            "client-answered",
            "second-proposer-completes"
        ])
    );
    assert_eq!(statuses(&full), statuses(&reduced));
}

#[test]
fn faults_reduced_is_pinned_with_the_unreduced_verdicts() {
    // The unreduced search (2,744,072 states) has exactly these verdicts: tests/single_model.rs.
    let reduced = check(named("faults"), true);
    assert_eq!(reduced.unique_states, 472_942);
    assert_eq!(
        statuses(&reduced),
        expected(&[
            "value-chosen",
            "learner-learns",
            "client-answered",
            "chosen-after-recovery",
            "second-proposer-completes"
        ])
    );
}

/// Two seeded bugs on `roles`, explored to the end both ways: every verdict equal (violated,
/// holds, found and not found among them), the bug's property violated. The bug cases' own
/// configurations explore millions of states to the end (seeded bugs turn dead-message pruning
/// off), so the ballots are bounded here; the next test runs the cases themselves.
#[test]
fn seeded_bugs_on_roles_get_the_same_verdicts() {
    for (bug, max_ballots, full_states, reduced_states) in [
        (Bug::MinorityQuorum, 1, 4_241, 757),
        (Bug::MixedBallotLearner, 2, 918_081, 155_025),
    ] {
        let c = case(bug);
        let cfg = SingleConfig {
            max_ballots,
            ..c.config.clone()
        };
        let full = check(cfg.clone(), false);
        let reduced = check(cfg, true);
        assert_eq!(statuses(&full), statuses(&reduced), "{}", bug.name());
        let prop = c.property.unwrap();
        let status = |r: &run::Report| {
            r.properties
                .iter()
                .find(|p| p.name == prop)
                .unwrap()
                .status
                .clone()
        };
        assert_eq!(status(&reduced), "violated", "{}", bug.name());
        assert_eq!(
            (full.unique_states, reduced.unique_states),
            (full_states, reduced_states),
            "{}",
            bug.name()
        );
    }
}

/// Every seeded bug whose configuration has separate roles is still caught by its property
/// under the reduction; the other two are refused.
#[test]
fn every_seeded_bug_with_separate_roles_is_still_caught() {
    let mut caught = Vec::new();
    for (bug, name, _) in Bug::ALL {
        let c = case(bug);
        if c.config.merge != Merge::None {
            assert!(applies(&c.config).is_err(), "{name}");
            continue;
        }
        assert!(applies(&c.config).is_ok(), "{name}");
        let prop = c.property.expect("every bug is caught");
        let checker = SingleModel::new(c.config.clone())
            .only(prop)
            .checker()
            .threads(2)
            .symmetry_fn(canonicalize)
            .spawn_dfs()
            .join();
        assert!(checker.discovery(prop).is_some(), "{name} not caught");
        caught.push(name);
    }
    assert_eq!(
        caught,
        [
            "acceptor-forgets",
            "ignore-accepted",
            "minority-quorum",
            "accept-below-promise",
            "mixed-ballot-learner",
            "proposer-forgets-round",
            "learner-forgets",
            "answer-own-value",
            "early-decide"
        ]
    );
}

#[test]
fn configurations_with_merged_nodes_are_refused() {
    assert!(applies(&named("roles")).is_ok());
    assert!(applies(&named("faults")).is_ok());
    assert!(applies(&named("compat")).is_err());
    assert!(applies(&named("runtime")).is_err());
    let nodes = SingleConfig {
        merge: Merge::AcceptorLearner,
        ..named("roles")
    };
    assert!(applies(&nodes).is_err());
}

/// Every permutation of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for k in 0..n {
            let mut q = p.clone();
            q.insert(k, n - 1);
            out.push(q);
        }
    }
    out
}

fn successors(m: &SingleModel, s: &SingleModelState) -> HashMap<SingleModelState, usize> {
    let mut actions = Vec::new();
    m.actions(s, &mut actions);
    let mut out = HashMap::new();
    for a in actions {
        if let Some(t) = m.next_state(s, a) {
            *out.entry(t).or_default() += 1;
        }
    }
    out
}

fn fingerprint(s: &SingleModelState) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// On every state of `roles` (the full space, explored here without stateright): the
/// representative is in the state's orbit, is its own representative, equals the literal
/// definition (least of all six relabellings), and is the same for every state of the orbit;
/// and one relabelling per state (the five others in turn) keeps every property's value and
/// the boundary and maps the state's successors exactly onto the relabelled state's
/// successors. The canonical states of the full space are as many as the reduced search has.
#[test]
fn on_every_state_of_roles_the_reduction_is_sound() {
    let m = SingleModel::new(named("roles"));
    let props = m.properties();
    let perms = permutations(3);
    assert_eq!(perms.len(), 6);
    let identity: Vec<usize> = vec![0, 1, 2];
    let others: Vec<&Vec<usize>> = perms.iter().filter(|p| **p != identity).collect();

    let mut seen: HashSet<SingleModelState> = HashSet::new();
    let mut stack: Vec<SingleModelState> = Vec::new();
    for s in m.init_states() {
        if seen.insert(s.clone()) {
            stack.push(s);
        }
    }
    let mut canonical: HashSet<SingleModelState> = HashSet::new();
    let mut n = 0usize;
    while let Some(s) = stack.pop() {
        assert_eq!(acceptor_actors(&s), [2, 3, 4]);
        let c = canonicalize(&s);
        assert_eq!(canonicalize(&c), c, "idempotent");
        assert_eq!(
            canonicalize_by_full_comparison(&s),
            c,
            "the literal definition"
        );
        assert!(perms.iter().any(|p| permute(&s, p) == c), "in the orbit");
        for p in &perms {
            assert_eq!(canonicalize(&permute(&s, p)), c, "a function of the orbit");
        }
        let p = others[n % others.len()];
        let t = permute(&s, p);
        assert_eq!(m.within_boundary(&t), m.within_boundary(&s));
        for prop in &props {
            assert_eq!(
                (prop.condition)(&m, &t),
                (prop.condition)(&m, &s),
                "{}",
                prop.name
            );
        }
        let succ = successors(&m, &s);
        let mapped: HashMap<SingleModelState, usize> =
            succ.iter().map(|(t, k)| (permute(t, p), *k)).collect();
        assert_eq!(
            successors(&m, &permute(&s, p)),
            mapped,
            "steps commute with {p:?}"
        );
        canonical.insert(c);
        n += 1;
        for t in succ.into_keys() {
            if m.within_boundary(&t) && !seen.contains(&t) {
                seen.insert(t.clone());
                stack.push(t);
            }
        }
    }
    assert_eq!(n, 196_513);
    assert_eq!(canonical.len(), 34_592);
}

/// The same orbit count on the full space of `faults` (2,744,072 states; about 2 minutes on
/// one thread): the canonical states of the full space are exactly as many as the reduced
/// search explores. Only fingerprints are kept.
#[test]
#[ignore]
fn faults_orbits_are_the_reduced_states() {
    let m = SingleModel::new(named("faults"));
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<SingleModelState> = Vec::new();
    for s in m.init_states() {
        if seen.insert(fingerprint(&s)) {
            stack.push(s);
        }
    }
    let mut canonical: HashSet<u64> = HashSet::new();
    let mut actions = Vec::new();
    while let Some(s) = stack.pop() {
        let c = canonicalize(&s);
        assert_eq!(canonicalize(&c), c);
        canonical.insert(fingerprint(&c));
        m.actions(&s, &mut actions);
        for a in actions.drain(..) {
            if let Some(t) = m.next_state(&s, a) {
                if m.within_boundary(&t) && seen.insert(fingerprint(&t)) {
                    stack.push(t);
                }
            }
        }
    }
    assert_eq!(seen.len(), 2_744_072);
    assert_eq!(canonical.len(), 472_942);
}

fn paxos(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_paxos"))
        .args(args)
        .output()
        .expect("paxos runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_cli_refuses_symmetry_where_it_is_unsound_and_applies_it_where_it_is_sound() {
    for args in [
        &["check", "--symmetry", "--config", "compat"][..],
        &["check", "--symmetry", "--config", "runtime"],
        &["check", "--symmetry", "--merge", "acceptor-learner"],
        &["check", "--symmetry", "--bug", "lowest-accepted"],
    ] {
        let (code, out, err) = paxos(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("--symmetry: with --merge"), "{args:?}: {err}");
    }
    let (code, _, err) = paxos(&["check", "--symmetry", "--search", "bfs"]);
    assert_eq!(code, 2);
    assert!(err.contains("--symmetry needs --search dfs"), "{err}");

    let (code, out, err) = paxos(&["check", "--symmetry", "--no-refinement", "--json"]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["unique_states"], 34_592);
    assert_eq!(r["symmetry"], true);

    // A seeded bug is still caught, with the shortest counterexample of the full model.
    let (code, out, _) = paxos(&[
        "check",
        "--symmetry",
        "--bug",
        "minority-quorum",
        "--no-refinement",
        "--json",
    ]);
    assert_eq!(code, 1);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let agreement = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "learner-agreement")
        .unwrap();
    assert_eq!(agreement["status"], "violated");
    assert_eq!(agreement["states_to_trace"], 346);
    // The same shortest counterexample as without --symmetry (tests/bugs.rs).
    assert_eq!(
        agreement["trace"],
        serde_json::json!([
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. A0 -> P0 Promise(1.0, none)",
            "4. P0 -> A0 Accept(1.0, 1)",
            "5. A0 -> L0 Accepted(1.0, 1)",
        ])
    );
}
