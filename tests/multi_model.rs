//! Multi-Paxos model: pinned state counts and property outcomes of every named configuration,
//! a pinned shortest counterexample for every seeded bug, the liveness claims' verdicts, and
//! the command line's answers to wrong flags.

use paxos::models::claim_report::Claimable;
use paxos::models::claims::ClaimOptions;
use paxos::models::harness::ActorHarness;
use paxos::models::multi::claims::claims;
use paxos::models::multi::{bugs, MultiConfig, MultiModel};
use paxos::models::run::{self, shortest_path, RunOptions};
use paxos::models::search::Search;
use paxos::multi::Bug;
use std::process::Command;

fn check(cfg: MultiConfig) -> run::Report {
    let restrict = cfg.clone();
    run::check(
        "multi",
        serde_json::Value::Null,
        MultiModel::new(cfg),
        &RunOptions {
            threads: 1,
            strategy: Search::Dfs,
            symmetry: None,
            progress: false,
            shortest: true,
            stop_at_violation: false,
        },
        move |name| MultiModel::new(restrict.clone()).only(name),
        |m, p| m.format_trace(p),
    )
}

const SAFETY: [&str; 7] = [
    "agreement",
    "validity",
    "applied-is-chosen",
    "replicas-agree",
    "stability",
    "exactly-once",
    "linearizable",
];

/// Checks the named configuration: exactly `states` unique states and `depth`, every safety
/// property holds, and exactly the sometimes-properties `found` are checked, each found.
fn pinned(name: &str, states: usize, depth: usize, found: &[&str]) {
    let r = check(MultiConfig::named(name).unwrap());
    let got: Vec<(String, String)> = r
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.status.clone()))
        .collect();
    let mut want: Vec<(String, String)> = SAFETY
        .iter()
        .map(|p| (p.to_string(), "holds".to_string()))
        .collect();
    want.extend(found.iter().map(|p| (p.to_string(), "found".to_string())));
    assert_eq!(got, want, "{name}");
    assert_eq!((r.unique_states, r.max_depth), (states, depth), "{name}");
}

const ANSWERED: [&str; 2] = ["client-answered", "every-client-done"];

#[test]
fn basic_is_pinned() {
    pinned("basic", 4_919, 18, &ANSWERED);
}

#[test]
fn two_ops_is_pinned() {
    pinned("two-ops", 114_287, 25, &ANSWERED);
}

#[test]
fn leader_change_is_pinned() {
    let mut found = ANSWERED.to_vec();
    found.extend(["leader-change-completes", "retry-answered-from-table"]);
    pinned("leader-change", 206_247, 31, &found);
}

#[test]
fn duplicating_lossy_and_crash_are_pinned() {
    let mut found = ANSWERED.to_vec();
    found.push("retry-answered-from-table");
    pinned("duplicating", 15_024, 35, &found);
    pinned("lossy", 11_693, 20, &found);
    found.push("caught-up-after-crash");
    pinned("crash", 149_098, 50, &found);
}

/// The shortest trace to a violation of the property that catches `bug`, with its logs, and
/// the states explored to find it.
fn caught(bug: Bug) -> (&'static str, Vec<String>, Vec<String>, usize) {
    let c = bugs::case(bug);
    let property = c.property.expect("a safety property catches it");
    let m = MultiModel::new(c.config.clone()).only(property);
    let (path, states) = shortest_path(m.clone(), property);
    let path = path.unwrap_or_else(|| panic!("{} not caught", bug.name()));
    (
        property,
        m.format_trace(&path),
        m.logs(path.last_state()),
        states,
    )
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn skip_recovery_chooses_two_entries_at_one_slot() {
    let (prop, trace, _, states) = caught(Bug::SkipRecovery);
    assert_eq!(prop, "agreement");
    assert_eq!(
        trace,
        lines(&[
            "1. R0 -> R1 Prepare(1.0, from 0)",
            "2. R1 -> R0 Promise(1.0, from 0)",
            "3. C0 -> R0 Request(C0#1 put k=1)",
            "4. R0 -> R1 Accept(1.0, 0: C0#1 put k=1)",
            "5. R1 timeout election",
            "6. R1 -> R0 Prepare(1.1, from 0)",
            "7. R0 -> R1 Promise(1.1, from 0, 0: C0#1 put k=1@1.0)",
            "8. C1 timeout client-retry",
            "9. C1 -> R1 Request(C1#1 put k=2)",
            "10. R1 -> R0 Accept(1.1, 0: C1#1 put k=2)",
        ])
    );
    assert_eq!(states, 161_477);
}

#[test]
fn accept_below_promise_lets_a_deposed_leader_overwrite_a_choice() {
    let (prop, trace, _, states) = caught(Bug::AcceptBelowPromise);
    assert_eq!(prop, "agreement");
    assert_eq!(
        trace,
        lines(&[
            "1. R0 -> R1 Prepare(1.0, from 0)",
            "2. R1 -> R0 Promise(1.0, from 0)",
            "3. C0 -> R0 Request(C0#1 put k=1)",
            "4. R1 timeout election",
            "5. R0 -> R1 Accept(1.0, 0: C0#1 put k=1)",
            "6. R1 -> R2 Prepare(1.1, from 0)",
            "7. R2 -> R1 Promise(1.1, from 0)",
            "8. C1 timeout client-retry",
            "9. C1 -> R1 Request(C1#1 put k=2)",
            "10. R1 -> R0 Accept(1.1, 0: C1#1 put k=2)",
        ])
    );
    assert_eq!(states, 184_126);
}

#[test]
fn apply_uncommitted_makes_replicas_diverge() {
    let (prop, trace, logs, states) = caught(Bug::ApplyUncommitted);
    assert_eq!(prop, "replicas-agree");
    assert_eq!(trace.len(), 8);
    assert_eq!(trace[3], "4. R1 timeout election");
    assert_eq!(trace[7], "8. C1 -> R1 Request(C1#1 put k=2)");
    assert_eq!(
        logs,
        lines(&[
            "R0 slot 0: C0#1 put k=1 (applied)",
            "R1 slot 0: C1#1 put k=2 (applied)",
            "R2: empty log",
        ])
    );
    assert_eq!(states, 38_021);
}

#[test]
fn no_dedup_lets_a_retried_write_overwrite_the_next() {
    let (prop, trace, logs, states) = caught(Bug::NoDedup);
    assert_eq!(prop, "exactly-once");
    assert_eq!(trace.len(), 15);
    assert_eq!(trace[6], "7. C0 -> R1 Request(C0#1 put k=1)");
    assert_eq!(trace[12], "13. C0 -> R0 Request(C0#1 put k=1)");
    assert_eq!(trace[13], "14. R0 -> R1 Accept(1.0, 2: C0#1 put k=1)");
    assert_eq!(
        logs,
        lines(&[
            "R0 slot 0: C0#1 put k=1 (applied)",
            "R0 slot 1: C0#2 put k=2 (applied)",
            "R0 slot 2: C0#1 put k=1 (applied)",
            "R1: empty log",
            "R2: empty log",
        ])
    );
    assert_eq!(states, 101_660);
}

#[test]
fn stale_leader_read_misses_a_completed_write() {
    let (prop, trace, _, states) = caught(Bug::StaleLeaderRead);
    assert_eq!(prop, "linearizable");
    assert_eq!(trace.len(), 12);
    assert_eq!(trace[5], "6. R0 -> C0 Reply(#1 ok)");
    assert_eq!(trace[10], "11. C0 -> R1 Request(C0#2 get k)");
    assert_eq!(trace[11], "12. R1 -> C0 Reply(#2 none)");
    assert_eq!(states, 138_196);
}

#[test]
fn commit_before_persist_acknowledges_a_minority_write() {
    let (prop, trace, logs, states) = caught(Bug::CommitBeforePersist);
    assert_eq!(prop, "applied-is-chosen");
    assert_eq!(
        trace,
        lines(&[
            "1. R0 -> R1 Prepare(1.0, from 0)",
            "2. R1 -> R0 Promise(1.0, from 0)",
            "3. C0 -> R0 Request(C0#1 put k=1)",
            "4. R0 -> R1 Accept(1.0, 0: C0#1 put k=1)",
            "5. R1 -> R0 Accepted(1.0, 0)",
        ])
    );
    assert_eq!(logs[0], "R0 slot 0: C0#1 put k=1 (applied)");
    assert_eq!(states, 144);
}

#[test]
fn the_liveness_claims_hold() {
    let got: Vec<(&str, String, usize, usize)> = claims()
        .iter()
        .map(|c| {
            let r = c.check(ClaimOptions::default());
            assert!(r.passed, "{}", c.name);
            (c.name, r.verdict.to_string(), r.unique_states, r.frontier)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("stable-leader", "holds".to_string(), 114_287, 0),
            ("leader-crash", "holds".to_string(), 32_513, 0),
        ]
    );
}

#[test]
fn gap_skip_stops_the_log_in_the_leader_crash_claim() {
    let claim = claims()
        .into_iter()
        .find(|c| c.name == "leader-crash")
        .unwrap()
        .with_bug(Bug::GapSkip);
    let r = claim.check(ClaimOptions::default());
    assert!(!r.passed);
    assert_eq!(r.verdict, "holds up to the bound");
    assert_eq!((r.unique_states, r.frontier), (32_401, 32));
    let trace = r.trace.unwrap();
    assert!(
        trace.contains(&"15. R1 -> R2 Prepare(1.1, from 2)".to_string()),
        "{trace:#?}"
    );
    assert_eq!(trace[17], "18. C1 -> R1 Request(C1#1 put k=2)");
    assert_eq!(
        trace[18],
        "-- cut: C1 would retry, but has used its retries (max_retries 1) --"
    );
    let end: Vec<&str> = trace
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        end,
        [
            "  R0: crashed",
            "  R1 slot 1: C1#1 put k=2 (decided)",
            "  R2 slot 1: C1#1 put k=2 (decided)"
        ]
    );
}

fn paxos(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_paxos"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_checks_multi() {
    let (code, out, _) = paxos(&["check", "multi", "--config", "basic", "--threads", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("multi: 23489 states, 4919 unique, max depth 18"),
        "{out}"
    );
    assert!(
        out.contains("refines-voting               always     holds"),
        "{out}"
    );
    let (code, out, _) = paxos(&["check", "multi", "--config", "basic", "--no-refinement"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("every-client-done"), "{out}");
    assert!(!out.contains("refines-voting"), "{out}");
    let (code, out, _) = paxos(&["check", "multi", "--bug", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("skip-recovery          agreement"), "{out}");
    assert!(out.contains("gap-skip               (masked)"), "{out}");
    assert!(
        out.contains("accept-below-promise   agreement          an acceptor votes on an Accept whose ballot is below its promise"),
        "{out}"
    );
    let (code, out, _) = paxos(&["check", "multi", "--bug", "commit-before-persist"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("applied-is-chosen            always     violated"),
        "{out}"
    );
    assert!(out.contains("5. R1 -> R0 Accepted(1.0, 0)"), "{out}");
}

#[test]
fn wrong_multi_flags_get_usage_errors() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["check", "multi", "--proposers", "2"],
            "--proposers only apply to single-decree Paxos",
        ),
        (
            &["check", "single", "--replicas", "5"],
            "--replicas only apply to `multi`",
        ),
        (
            &["check", "multi", "--replicas", "2"],
            "--replicas 2: Paxos needs at least 3 acceptors",
        ),
        (
            &["check", "multi", "--candidates", "3"],
            "--candidates 3: at most 2 (R1..R2; R0 leads first)",
        ),
        (
            &["check", "multi", "--heartbeat"],
            "--heartbeat needs --network unordered_duplicating",
        ),
        (&["check", "multi", "--ops", "3"], "--ops 3: 1 or 2"),
        (&["check", "multi", "--bug", "nope"], "unknown --bug 'nope'"),
        (
            &[
                "liveness",
                "multi",
                "--claim",
                "stable-leader",
                "--max-slots",
                "2",
            ],
            "a Multi-Paxos claim fixes its model",
        ),
    ];
    for (args, msg) in cases {
        let (code, out, err) = paxos(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let (code, _, err) = paxos(&["check", "multi", "--symmetry"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no symmetry reduction for Multi-Paxos"),
        "{err}"
    );
}

#[test]
fn a_pruned_configuration_prunes_and_a_crash_one_does_not() {
    let named = |n: &str| MultiModel::new(MultiConfig::named(n).unwrap());
    assert!(named("leader-change").prunes_dead_messages());
    assert!(!named("crash").prunes_dead_messages());
    let bugged = MultiModel::new(bugs::case(Bug::SkipRecovery).config);
    assert!(!bugged.prunes_dead_messages());
}
