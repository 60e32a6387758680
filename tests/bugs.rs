//! Every seeded bug is caught by its named property with a shortest counterexample (one-thread
//! BFS on that property alone) of an exact length, after an exact number of explored states.

use paxos::ballot::Ballot;
use paxos::models::bugs::{case, harm};
use paxos::models::harness::ActorHarness;
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

/// The real harm of a forgetful acceptor (`models::bugs::harm`: `compat` + 1 crash): N1 votes
/// for 1 at 1.0, which N0's own vote makes chosen, then crashes and forgets; back up, it takes
/// C1's value 2, promises its own ballot 1.1 with no vote to report, N2 has none either, and N0
/// votes 2 at 1.1 (it promised only 1.0): 1 and 2 are both chosen.
#[test]
fn acceptor_forgets_breaks_agreement() {
    let c = harm(Bug::AcceptorForgets).expect("a harm case");
    assert_eq!(c.property, Some("agreement"));
    let m = SingleModel::new(c.config.clone());
    let (path, states) = shortest_path(m.clone().only("agreement"), "agreement");
    assert_eq!(
        m.format_trace(&path.expect("agreement violated")),
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. N1 -> N0 Promise(1.0, none)",
            "4. N0 -> N1 Accept(1.0, 1)",
            "5. N1 crashes",
            "6. N1 recovers",
            "7. C1 -> N1 Propose(2)",
            "8. N1 -> N2 Prepare(1.1)",
            "9. N2 -> N1 Promise(1.1, none)",
            "10. N1 -> N0 Accept(1.1, 2)",
        ]
    );
    assert_eq!(states, 35_876);
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

/// The real harm of a mixed-ballot learner (`models::bugs::harm`: `compat`, FIFO channels, both
/// proposers retry once): N0's learner counts N2's vote for 1 at 1.0 (step 9) and N0's own at
/// 2.0 (step 14) as a majority and learns 1, which no majority ever voted for in one ballot;
/// N1 gets 2 chosen at 2.1 (N1 and N2 vote for it, steps 17 and 18) and its learner learns 2.
/// (Steps 4, 12 and 13 are refused messages that a FIFO channel must deliver to reach the next.)
#[test]
fn mixed_ballot_learner_makes_learners_disagree() {
    let c = harm(Bug::MixedBallotLearner).expect("a harm case");
    assert_eq!(c.property, Some("learners-agree"));
    let m = SingleModel::new(c.config.clone());
    let (path, states) = shortest_path(m.clone().only("learners-agree"), "learners-agree");
    let path = path.expect("learners disagree");
    assert_eq!(
        m.format_trace(&path),
        [
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N2 Prepare(1.0)",
            "3. C1 -> N1 Propose(2)",
            "4. N0 -> N1 Prepare(1.0)",
            "5. N1 -> N0 Prepare(1.1)",
            "6. N0 -> N1 Promise(1.1, none)",
            "7. N2 -> N0 Promise(1.0, none)",
            "8. N0 -> N2 Accept(1.0, 1)",
            "9. N2 -> N0 Accepted(1.0, 1)",
            "10. N0 timeout retry",
            "11. N0 -> N2 Prepare(2.0)",
            "12. N1 -> N2 Prepare(1.1)",
            "13. N1 -> N2 Accept(1.1, 2)",
            "14. N2 -> N0 Promise(2.0, 1@1.0)",
            "15. N1 timeout retry",
            "16. N1 -> N2 Prepare(2.1)",
            "17. N2 -> N1 Promise(2.1, 1@1.0)",
            "18. N1 -> N2 Accept(2.1, 2)",
            "19. N2 -> N1 Accepted(2.1, 2)",
        ]
    );
    assert_eq!(states, 464_686);
    let last = path.last_state();
    assert_eq!(last.history.learned, [Some(1), Some(2), None, None, None]);
    // 1 was never chosen; 2 was, at 2.1.
    assert_eq!(last.history.chosen(3), [(Ballot::new(2, 1), 2)]);
}

/// Learners that add up votes across ballots still cannot disagree with three ballots: a
/// majority that voted for `v` in two ballots meets every later ballot's promise quorum, so a
/// second value needs a ballot of its own before that (`w`) and one to be learned in (four).
/// The checker confirms it for the harm configuration cut to three ballots: the whole space
/// (300,987 states) has no disagreement.
#[test]
fn mixed_ballot_learners_agree_with_three_ballots() {
    let cfg = SingleConfig {
        max_round: 3,
        max_ballots: 3,
        ..harm(Bug::MixedBallotLearner).unwrap().config
    };
    let m = SingleModel::new(cfg).only("learners-agree");
    let (path, states) = shortest_path(m, "learners-agree");
    assert!(path.is_none());
    assert_eq!(states, 300_987);
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
    let cases = Bug::ALL
        .iter()
        .flat_map(|(bug, _, _)| [Some(case(*bug)), harm(*bug)])
        .flatten();
    for c in cases {
        let bug = c.bug;
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
