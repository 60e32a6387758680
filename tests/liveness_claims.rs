//! The single-decree liveness claims (`models/claims.rs`), decided by our sound liveness
//! checker, and the `paxos liveness` command.

use paxos::models::claims::{claim, claims, run_claim, Expect, CLAIM_NAMES};
use paxos::models::liveness::Verdict;
use std::process::Command;

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

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("one JSON object")
}

#[test]
fn the_claims_are_listed_in_order() {
    let names: Vec<&str> = claims().iter().map(|c| c.name).collect();
    assert_eq!(names, CLAIM_NAMES);
    assert_eq!(
        claims().iter().map(|c| c.expect).collect::<Vec<_>>(),
        [
            Expect::Holds,
            Expect::Holds,
            Expect::BoundReached,
            Expect::BoundReached,
            Expect::Holds,
            Expect::BoundReached
        ]
    );
}

/// Under "no failure" (no loss, no crash, non-duplicating network, timeouts only when no
/// message is in flight), with two proposers and two clients, every client eventually gets the
/// decision: holds, with no frontier (the model has no bound).
#[test]
fn no_failure_every_client_gets_the_decision() {
    let r = run_claim(&claim("no-failure").unwrap());
    assert!(matches!(r.verdict, Verdict::Holds), "{}", r.summary());
    assert!(r.passed);
    assert_eq!(r.frontier, 0);
    assert_eq!(r.unique_states, 192_609);
    assert_eq!(r.edges, 1_048_495);
    assert_eq!(r.goal_states, 10_180);
    assert!(r.trace.is_empty());
    assert_eq!(r.explorer_path, None);
}

/// What `paxos node` runs: without failures every learner learns (learners informed by
/// `Chosen` only, with catch-up), with nothing cut by a bound.
#[test]
fn in_the_runtime_configuration_every_learner_learns() {
    let r = run_claim(&claim("learners-learn").unwrap());
    assert!(matches!(r.verdict, Verdict::Holds), "{}", r.summary());
    assert!(r.passed);
    assert_eq!(r.frontier, 0);
    assert_eq!(r.unique_states, 342_094);
    assert_eq!(r.edges, 1_811_620);
    assert_eq!(r.goal_states, 50_830);
}

/// In the `runtime` configuration every client gets the decision only up to the ballot bound:
/// the pre-empted leader needs a third ballot for its client.
#[test]
fn in_the_runtime_configuration_clients_are_answered_up_to_the_ballot_bound() {
    let r = run_claim(&claim("runtime-clients").unwrap());
    assert!(
        matches!(r.verdict, Verdict::HoldsUpToBound { frontier: 16 }),
        "{}",
        r.summary()
    );
    assert!(r.passed);
    assert_eq!(r.unique_states, 328_158);
    assert_eq!(r.trace.len(), 23);
    assert_eq!(r.trace[20], "21. N0 timeout retry");
    assert_eq!(
        r.trace[22],
        "-- boundary: 3 ballots prepared (--max-ballots 2), goal never reached --"
    );
}

/// Eager restarts on `Nack`: each proposer's ballot wins phase 1 and is then destroyed by the
/// other's phase 1 (it can no longer be chosen), with nothing chosen and no failure at all.
#[test]
fn duelling_proposers_never_choose() {
    let r = run_claim(&claim("duelling-proposers").unwrap());
    assert!(
        matches!(r.verdict, Verdict::HoldsUpToBound { frontier: 16_824 }),
        "{}",
        r.summary()
    );
    assert!(r.passed);
    assert_eq!(r.unique_states, 47_417);
    assert_eq!(r.edges, 85_587);
    assert_eq!(
        r.trace,
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. C1 -> N1 Propose(2)",
            "4. N1 -> N0 Prepare(1.1)",
            "5. N0 -> N1 Promise(1.1, none)",
            "6. N1 -> N0 Promise(1.0, none)",
            "7. N0 -> N2 Prepare(2.0)",
            "-- ballots that reached phase 2: 1@1.0, 2@1.1; can no longer be chosen: 1@1.0, \
             2@1.1; votes: 2@1.1 by acceptor 1; nothing chosen --",
            "-- boundary: 2 ballots destroyed, goal never reached --",
        ]
    );
    assert_eq!(r.explorer_path.as_deref(), Some("0/0/0/2/1/0/1/3"));
}

/// Timers that fire while messages are in flight: the plainest run that never chooses is a
/// proposer that times out before any of its messages is delivered, again and again, cut off
/// by the round bound (the state where it would start round 3 is a cut, not a quiet end).
#[test]
fn impatient_timers_never_choose() {
    let r = run_claim(&claim("impatient-timers").unwrap());
    assert!(
        matches!(r.verdict, Verdict::HoldsUpToBound { frontier: 2_776 }),
        "{}",
        r.summary()
    );
    assert!(r.passed);
    assert_eq!(r.unique_states, 7_200);
    assert_eq!(
        r.trace,
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 timeout retry",
            "3. N0 timeout retry",
            "-- ballots that reached phase 2: none; can no longer be chosen: none; votes: none; \
             nothing chosen --",
            "-- boundary: N0 at round 2 (--max-round 2) timed out and may not start a higher \
             ballot, goal never reached --",
        ]
    );
}

/// Each bound that removes behaviour is a cut. The round bound used to end the duel: with
/// rounds <= 2 and the destroyed-ballot bound out of reach, the proposer holding the last
/// ballot could not be overtaken and the claim "held". Now the proposer that would restart
/// above the last round is a cut.
#[test]
fn the_round_bound_is_a_cut_for_nacks_and_for_timers() {
    use paxos::models::claims::duel_config;
    let mut c = claim("duelling-proposers").unwrap();
    c.config = paxos::models::single::SingleConfig {
        nacks: true,
        eager_retry: true,
        ..duel_config(2)
    };
    c.max_destroyed = 2;
    let r = run_claim(&c);
    assert!(
        matches!(r.verdict, Verdict::HoldsUpToBound { frontier: 4_750 }),
        "{}",
        r.summary()
    );
    assert_eq!(r.unique_states, 15_429);
    assert_eq!(
        r.trace.last().unwrap(),
        "-- boundary: N1 at round 2 (--max-round 2) is refused and may not start a higher \
         ballot, goal never reached --"
    );
    // The two commands that used to print "holds" (1,204,288 and 706,951 states).
    for (args, steps, bound) in [
        (
            &["--nacks", "--eager-retry"][..],
            7,
            "N0 at round 3 (--max-round 3) is refused",
        ),
        (
            &["--timers", "--unfair"][..],
            4,
            "N0 at round 3 (--max-round 3) timed out",
        ),
    ] {
        let mut a = vec!["liveness", "--config", "compat", "--goal", "value-chosen"];
        a.extend(args);
        let (code, out, _) = paxos(&a);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("verdict: holds up to the bound ("),
            "{args:?}: {out}"
        );
        assert!(
            out.contains(&format!(
                "run into the bound, the goal never reached ({steps} steps)"
            )),
            "{args:?}: {out}"
        );
        assert!(
            out.contains(&format!("-- boundary: {bound}")),
            "{args:?}: {out}"
        );
    }
}

/// The ballot bound (`--max-ballots`) is a cut too, and the trace says what is chosen: in the
/// `runtime` configuration a client can be left without its decision because its proposer
/// needs a third ballot, while 2 is chosen at ballot 1.1.
#[test]
fn the_ballot_bound_is_a_cut_and_traces_say_what_is_chosen() {
    let (code, out, _) = paxos(&["liveness", "--config", "runtime"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("verdict: holds up to the bound (16 frontier states"),
        "{out}"
    );
    assert!(
        out.contains(
            "votes: 2@1.1 by acceptor 0, 2@1.1 by acceptor 1, 2@1.1 by acceptor 2; chosen: \
             2@1.1 --"
        ),
        "{out}"
    );
    assert!(
        out.contains("-- boundary: 3 ballots prepared (--max-ballots 2), goal never reached --"),
        "{out}"
    );
}

#[test]
fn cli_duelling_proposers_is_an_expected_discovery() {
    let (code, out, _) = paxos(&["liveness", "--claim", "duelling-proposers", "--json"]);
    assert_eq!(code, 0, "{out}");
    let j = json(&out);
    assert_eq!(j["claim"], "duelling-proposers");
    assert_eq!(j["verdict"], "holds up to the bound");
    assert_eq!(j["expected"], "bound reached without the goal");
    assert_eq!(j["passed"], true);
    assert_eq!(j["unique_states"], 47_417);
    assert_eq!(j["frontier"], 19_218);
    assert_eq!(j["frontier_without_goal"], 16_824);
    assert_eq!(j["max_destroyed"], 1);
    assert_eq!(j["trace"][6], "7. N0 -> N2 Prepare(2.0)");
    // The text output labels the run as what it is.
    let (code, out, _) = paxos(&["liveness", "--claim", "duelling-proposers"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("\nrun into the bound, the goal never reached (7 steps):\n"),
        "{out}"
    );
}

#[test]
fn cli_deadlock_exits_1_with_the_counterexample() {
    let args = [
        "liveness",
        "--config",
        "compat",
        "--clients",
        "1",
        "--lossy",
        "--unfair",
    ];
    let (code, out, _) = paxos(&args);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("verdict: violated (deadlock) (NOT the expected verdict)"),
        "{out}"
    );
    assert!(
        out.contains(
            "counterexample (1 steps):\n  1. drop C0 -> N0 Propose(1)\n  \
             -- deadlock: no step possible, goal never reached --\n"
        ),
        "{out}"
    );
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let (code, out, _) = paxos(&with_json);
    assert_eq!(code, 1);
    let j = json(&out);
    assert_eq!(j["verdict"], "violated (deadlock)");
    assert_eq!(j["unique_states"], 417);
    assert_eq!(j["edges"], 1_068);
    assert_eq!(j["explorer_path"], "0/0");
}

/// Without fairness, a duplicating network can redeliver a stale message forever: a livelock.
#[test]
fn cli_livelock_on_a_duplicating_network() {
    let (code, out, _) = paxos(&[
        "liveness",
        "--config",
        "compat",
        "--clients",
        "1",
        "--network",
        "unordered_duplicating",
        "--unfair",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let j = json(&out);
    assert_eq!(j["verdict"], "violated (livelock)");
    assert_eq!(j["unique_states"], 53);
    let trace: Vec<&str> = j["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        trace,
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. N1 -> N0 Promise(1.0, none)",
            "4. N0 -> N1 Accept(1.0, 1)",
            "5. N1 -> N0 Accepted(1.0, 1)",
            "-- cycle: the following steps repeat forever --",
            "6. C0 -> N0 Propose(1)",
        ]
    );
}

#[test]
fn cli_bad_usage_exits_2() {
    for (args, msg) in [
        (
            &["liveness", "--claim", "nope"][..],
            "error: unknown --claim 'nope'; expected one of: no-failure, leader-progress, \
             duelling-proposers, impatient-timers, learners-learn, runtime-clients (or list)",
        ),
        (
            &["liveness", "--config", "compat", "--lossy"][..],
            "error: the no-failure assumption excludes loss, crashes and duplication: drop \
             --lossy / --max-crashes / the duplicating network, or choose another --assumption \
             (leader-fair-loss, timers-any-time)",
        ),
        (
            &[
                "liveness",
                "--config",
                "compat",
                "--assumption",
                "leader-fair-loss",
            ][..],
            "error: --assumption leader-fair-loss needs separate roles (--merge none): with \
             merged nodes an acceptor's crash is its proposer's crash, and the leader must not \
             crash",
        ),
        (
            &[
                "liveness",
                "--config",
                "roles",
                "--assumption",
                "leader-fair-loss",
            ][..],
            "error: --assumption leader-fair-loss on a non-duplicating network needs \
             --consume-ignored",
        ),
        (
            &["liveness", "--claim", "no-failure", "--ignore-fairness"][..],
            "error: --ignore-fairness applies to --assumption leader-fair-loss",
        ),
        (
            &["liveness", "--assumption", "leader-fair-loss", "--unfair"][..],
            "cannot be used with",
        ),
        (
            &[
                "liveness",
                "--config",
                "compat",
                "--network",
                "unordered_duplicating",
            ][..],
            "error: the no-failure assumption excludes loss, crashes and duplication",
        ),
        (
            &["liveness", "--claim", "no-failure", "--config", "roles"][..],
            "error: a shipped claim fixes its model, assumption, goal and bound: drop --claim",
        ),
        (
            &[
                "liveness",
                "--claim",
                "no-failure",
                "--goal",
                "value-chosen",
            ][..],
            "error: a shipped claim fixes its model",
        ),
        (
            &["liveness", "--claim", "duelling-proposers", "--unfair"][..],
            "error: a shipped claim fixes its model",
        ),
        (
            &["liveness", "--claim", "no-failure", "--clients", "3"][..],
            "error: a shipped claim fixes its model",
        ),
        (
            &["liveness", "--bug", "minority-quorum"][..],
            "error: --bug is for `paxos check`",
        ),
        (
            &["liveness", "--config", "roles", "--acceptors", "2"][..],
            "error: --acceptors 2: Paxos needs at least 3 acceptors",
        ),
        (
            &["liveness", "--bogus"][..],
            "unexpected argument '--bogus'",
        ),
    ] {
        let (code, out, err) = paxos(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

#[test]
fn cli_lists_the_claims() {
    let (code, out, _) = paxos(&["liveness", "--claim", "list"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, CLAIM_NAMES);
}
