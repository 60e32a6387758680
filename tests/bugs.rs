//! Every seeded bug is caught by its named property with a shortest counterexample (one-thread
//! BFS on that property alone) of an exact length, after an exact number of explored states.

use paxos::models::bugs::case;
use paxos::models::run::shortest_path;
use paxos::models::single::{SingleConfig, SingleModel};
use paxos::single::Bug;
use stateright::{Checker, Model};

const UNIQUE: usize = 309_773;

/// The shortest counterexample of the bug's property, and the states explored to find it.
fn caught(bug: Bug) -> (&'static str, Vec<String>, usize) {
    let c = case(bug);
    let prop = c.property.expect("a caught bug names its property");
    let m = SingleModel::new(c.config.clone());
    let (path, states) = shortest_path(m.clone().only(prop), prop);
    let path = path.unwrap_or_else(|| panic!("{} not caught by {prop}", bug.name()));
    (prop, m.format_trace(&path), states)
}

#[test]
fn acceptor_forgets_is_caught_by_durability() {
    let (prop, trace, states) = caught(Bug::AcceptorForgets);
    assert_eq!(prop, "durability");
    assert_eq!(
        trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. A0 crashes",
            "4. A0 recovers"
        ]
    );
    assert_eq!(states, 399);
}

#[test]
fn ignore_accepted_is_caught_by_ballot_safety() {
    let (prop, trace, states) = caught(Bug::IgnoreAccepted);
    assert_eq!(prop, "ballot-safety");
    assert_eq!(trace.len(), 12);
    assert_eq!(trace[10], "11. A0 -> P1 Promise(1.1, 1@1.0)");
    assert_eq!(trace[11], "12. A1 -> P1 Promise(1.1, 1@1.0)");
    assert_eq!(states, 13_424);
}

#[test]
fn lowest_accepted_is_caught_by_ballot_safety() {
    let (prop, trace, states) = caught(Bug::LowestAccepted);
    assert_eq!(prop, "ballot-safety");
    assert_eq!(
        trace,
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. N1 -> N0 Promise(1.0, none)",
            "4. C1 -> N1 Propose(2)",
            "5. N1 -> N2 Prepare(1.1)",
            "6. N2 -> N1 Promise(1.1, none)",
            "7. N1 -> N2 Accept(1.1, 2)",
            "8. N0 timeout retry",
            "9. N0 -> N1 Prepare(2.0)",
            "10. N1 -> N0 Promise(2.0, 2@1.1)",
        ]
    );
    assert_eq!(states, 34_989);
}

#[test]
fn minority_quorum_is_caught_by_learner_agreement() {
    let (prop, trace, states) = caught(Bug::MinorityQuorum);
    assert_eq!(prop, "learner-agreement");
    assert_eq!(
        trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. A0 -> P0 Promise(1.0, none)",
            "4. P0 -> A0 Accept(1.0, 1)",
            "5. A0 -> L0 Accepted(1.0, 1)",
        ]
    );
    assert_eq!(states, 346);
}

#[test]
fn accept_below_promise_is_caught_by_agreement() {
    let (prop, trace, states) = caught(Bug::AcceptBelowPromise);
    assert_eq!(prop, "agreement");
    assert_eq!(trace.len(), 14);
    // A1 promised 1.1 (step 8), then still accepted 1.0 (step 9).
    assert_eq!(trace[7], "8. P1 -> A1 Prepare(1.1)");
    assert_eq!(trace[8], "9. P0 -> A1 Accept(1.0, 1)");
    assert_eq!(states, 68_136);
}

#[test]
fn mixed_ballot_learner_is_caught_by_learner_agreement() {
    let (prop, trace, states) = caught(Bug::MixedBallotLearner);
    assert_eq!(prop, "learner-agreement");
    assert_eq!(trace.len(), 14);
    assert_eq!(trace[6], "7. A0 -> L0 Accepted(1.0, 1)");
    assert_eq!(trace[13], "14. A1 -> L0 Accepted(1.1, 1)");
    assert_eq!(states, 35_859);
}

/// Two proposers sharing ballot 1.0 with acceptors that re-promise their current ballot: the
/// second completes phase 1 in the same ballot before the first's vote reaches it, and both
/// values get a majority in ballot 1.0.
#[test]
fn shared_ballots_are_caught_by_agreement() {
    let (prop, trace, states) = caught(Bug::SharedBallots);
    assert_eq!(prop, "agreement");
    assert_eq!(
        trace,
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. N1 -> N0 Promise(1.0, none)",
            "4. C1 -> N1 Propose(2)",
            "5. N0 -> N1 Accept(1.0, 1)",
            "6. N1 -> N2 Prepare(1.0)",
            "7. N2 -> N1 Promise(1.0, none)",
            "8. N1 -> N0 Accept(1.0, 2)",
        ]
    );
    assert_eq!(states, 2_248);
}

/// Re-promising is safe with unique ballots: the whole `compat` model with it holds every
/// property, so it is the shared ballots that break agreement above.
#[test]
fn repromise_alone_is_safe() {
    let cfg = SingleConfig {
        repromise: true,
        ..SingleConfig::named("compat").unwrap()
    };
    let model = SingleModel::new(cfg);
    let checker = model.clone().checker().threads(2).spawn_dfs().join();
    for p in model.properties() {
        let found = checker.discovery(p.name).is_some();
        let always = p.expectation == stateright::Expectation::Always;
        assert_eq!(found, !always, "{}", p.name);
    }
    assert_eq!(checker.unique_state_count(), 4_518);
}

/// With Lamport's strict acceptors (a promise only for a strictly higher ballot) shared
/// ballots are harmless, and the checker proves it: at most one proposer gathers a quorum of
/// promises per ballot. Every safety property holds; only the example
/// `second-proposer-completes` is not found, because a shared ballot no longer says which
/// proposer ran it.
#[test]
fn shared_ballots_are_masked_by_strict_promises() {
    let cfg = SingleConfig {
        timers: true,
        max_ballots: 2,
        repromise: false,
        ..case(Bug::SharedBallots).config
    };
    let model = SingleModel::new(cfg);
    let checker = model.clone().checker().threads(2).spawn_dfs().join();
    let mut missing = Vec::new();
    for p in model.properties() {
        let found = checker.discovery(p.name).is_some();
        if p.expectation == stateright::Expectation::Always {
            assert!(!found, "{} violated", p.name);
        } else if !found {
            missing.push(p.name);
        }
    }
    assert_eq!(missing, ["second-proposer-completes"]);
    assert_eq!(checker.unique_state_count(), UNIQUE);
}

#[test]
fn correct_protocol_passes_every_bug_configuration_quickly_searched() {
    // The same shortest-path searches on the correct protocol find nothing within the states
    // the bugged protocol needed (a full proof of each configuration is in the other tests).
    for (bug, _, _) in Bug::ALL {
        let c = case(bug);
        let Some(prop) = c.property else { continue };
        let mut cfg = c.config.clone();
        cfg.bug = Bug::None;
        let checker = SingleModel::new(cfg)
            .only(prop)
            .checker()
            .threads(1)
            .target_state_count(100_000)
            .spawn_bfs()
            .join();
        assert!(
            checker.discovery(prop).is_none(),
            "{prop} fails without {}",
            bug.name()
        );
    }
}

/// The shortest counterexample of `prop` (not necessarily the bug's named one) in the bug's
/// configuration, and the states explored to find it.
fn caught_by(bug: Bug, prop: &'static str) -> (Vec<String>, usize) {
    let m = SingleModel::new(case(bug).config);
    let (path, states) = shortest_path(m.clone().only(prop), prop);
    let path = path.unwrap_or_else(|| panic!("{} not caught by {prop}", bug.name()));
    (m.format_trace(&path), states)
}

/// A proposer that does not save its round reuses ballot 1.0 after a restart; strict acceptors
/// refuse its second `Prepare(1.0)`, but the duplicating network delivers its first life's
/// promises again, and the acceptors accept `Accept(1.0, 2)` at the ballot they promised: 1 and
/// 2 are both chosen at 1.0. (`round-durability` catches it earlier, at the recovery.)
#[test]
fn proposer_forgets_round_is_caught_by_agreement() {
    let (prop, trace, states) = caught(Bug::ProposerForgetsRound);
    assert_eq!(prop, "agreement");
    assert_eq!(
        trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. P0 -> A1 Prepare(1.0)",
            "4. A0 -> P0 Promise(1.0, none)",
            "5. A1 -> P0 Promise(1.0, none)",
            "6. P0 -> A0 Accept(1.0, 1)",
            "7. P0 -> A1 Accept(1.0, 1)",
            "8. P0 crashes",
            "9. P0 recovers",
            "10. C1 -> P0 Propose(2)",
            "11. A0 -> P0 Promise(1.0, none)",
            "12. A1 -> P0 Promise(1.0, none)",
            "13. P0 -> A0 Accept(1.0, 2)",
            "14. P0 -> A1 Accept(1.0, 2)"
        ]
    );
    assert_eq!(states, 61_210);
    let (trace, _) = caught_by(Bug::ProposerForgetsRound, "round-durability");
    assert_eq!(
        trace,
        ["1. C0 -> P0 Propose(1)", "2. P0 crashes", "3. P0 recovers"]
    );
}

/// A learner that does not save its decision forgets it across a crash.
#[test]
fn learner_forgets_is_caught_by_stability() {
    let (prop, trace, states) = caught(Bug::LearnerForgets);
    assert_eq!(prop, "stability");
    assert_eq!(
        trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. P0 -> A1 Prepare(1.0)",
            "4. A0 -> P0 Promise(1.0, none)",
            "5. A1 -> P0 Promise(1.0, none)",
            "6. P0 -> A0 Accept(1.0, 1)",
            "7. P0 -> A1 Accept(1.0, 1)",
            "8. A0 -> L0 Accepted(1.0, 1)",
            "9. A1 -> L0 Accepted(1.0, 1)",
            "10. L0 crashes",
            "11. L0 recovers"
        ]
    );
    assert_eq!(states, 60_738);
}

/// P1 finishes P0's value 1 (it must: 1 may be chosen) but tells its own client 2.
#[test]
fn answer_own_value_is_caught_by_linearizability() {
    let (prop, trace, states) = caught(Bug::AnswerOwnValue);
    assert_eq!(prop, "linearizable");
    assert_eq!(trace.len(), 20);
    assert_eq!(trace[9], "10. P0 -> C0 Decided(1)");
    assert_eq!(trace[15], "16. P1 -> A0 Accept(1.1, 1)");
    assert_eq!(trace[19], "20. P1 -> C1 Decided(2)");
    assert_eq!(states, 453_138);
}

/// P0 answers `Decided(1)` after one vote; 1 is never chosen, and P1 gets 2 chosen.
#[test]
fn early_decide_is_caught_by_linearizability() {
    let (prop, trace, states) = caught(Bug::EarlyDecide);
    assert_eq!(prop, "linearizable");
    assert_eq!(
        trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. P0 -> A1 Prepare(1.0)",
            "4. A0 -> P0 Promise(1.0, none)",
            "5. A1 -> P0 Promise(1.0, none)",
            "6. P0 -> A0 Accept(1.0, 1)",
            "7. A0 -> P0 Accepted(1.0, 1)",
            "8. P0 -> C0 Decided(1)",
            "9. C1 -> P1 Propose(2)",
            "10. P1 -> A1 Prepare(1.1)",
            "11. P1 -> A2 Prepare(1.1)",
            "12. A1 -> P1 Promise(1.1, none)",
            "13. A2 -> P1 Promise(1.1, none)",
            "14. P1 -> A0 Accept(1.1, 2)",
            "15. A0 -> P1 Accepted(1.1, 2)",
            "16. P1 -> C1 Decided(2)"
        ]
    );
    assert_eq!(states, 112_047);
}
