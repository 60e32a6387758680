//! The refinement check (`paxos::specs::refinement`): the actor model of single-decree Paxos
//! refines the voting spec on the pinned configurations, and the seeded protocol bugs break
//! refinement at a named edge with a named spec condition.
//!
//! Measured on the 2-core development machine, release build (`cargo test --release --test
//! refinement`), each check on one thread: `roles` about 18 s alone, `faults` about 104 s alone
//! (37 s and 130 s while the other tests of this file share the two cores).

use std::collections::HashSet;
use std::sync::Arc;

use paxos::ballot::Ballot;
use paxos::models::bugs;
use paxos::models::liveness::for_each_edge;
use paxos::models::single::{Merge, SingleConfig, SingleModel};
use paxos::single::{AcceptorState, Bug, SingleState, Storage};
use paxos::specs::refinement::{abstraction, check_refinement, spec_config, RefinementViolation};
use paxos::specs::voting::{
    SpecConfig, SpecModel, SpecMsg, SpecState, INV_MSGS_JUSTIFIED, NO_BALLOT,
};
use stateright::Model;

fn named(name: &str) -> SingleConfig {
    SingleConfig::named(name).unwrap()
}

fn violation(bug: Bug) -> RefinementViolation {
    let cfg = bugs::case(bug).config;
    let report = check_refinement(&cfg).unwrap();
    report
        .violation
        .unwrap_or_else(|| panic!("{} refines the spec", bug.name()))
}

// ---------------------------------------------------------------------------------------------
// The correct protocol refines the spec.

#[test]
fn roles_refines_the_spec() {
    let r = check_refinement(&named("roles")).unwrap();
    eprintln!("roles: {r:?}");
    assert_eq!(r.violation, None);
    // The same state count as stateright's checker (tests/single_model.rs).
    assert_eq!(r.states, 196_513);
    assert_eq!(r.edges, 1_111_227);
    assert_eq!(r.stutters, 867_212);
    assert_eq!(r.steps, 244_015);
    assert_eq!(r.stutters + r.steps, r.edges);
    assert_eq!(r.beyond_boundary, 0);
    // Distinct mapped spec states, each checked against every spec invariant.
    assert_eq!(r.spec_states, 1_777);
}

/// About 104 s in release (one thread; 130 s with the rest of this file running beside it),
/// under the 3-minute limit for tests that always run.
#[test]
fn faults_refines_the_spec() {
    let r = check_refinement(&named("faults")).unwrap();
    eprintln!("faults: {r:?}");
    assert_eq!(r.violation, None);
    assert_eq!(r.states, 2_744_072);
    assert_eq!(r.edges, 23_095_658);
    assert_eq!(r.stutters, 17_454_828);
    assert_eq!(r.steps, 5_640_830);
    assert_eq!(r.stutters + r.steps, r.edges);
    // States with a third ballot (beyond `max_ballots = 2`): reached, checked, not expanded.
    assert_eq!(r.beyond_boundary, 1_778_976);
    assert_eq!(r.spec_states, 11_489);
}

/// An independent walk over the same graph (the liveness module's explorer) sees the same
/// states and edges, and maps every edge without the checker's shortcut for edges that leave
/// the mapped inputs alone; every mapped state satisfies every spec invariant, and the checker
/// evaluated the invariants on exactly the distinct mapped states of the walk. On `faults`
/// cut to one ballot (crashes, duplicating lossy network, and a boundary), which is small.
#[test]
fn an_independent_walk_agrees_with_the_checker() {
    let cfg = SingleConfig {
        max_ballots: 1,
        ..named("faults")
    };
    let r = check_refinement(&cfg).unwrap();
    assert_eq!(r.violation, None);
    let spec = SpecModel::new(spec_config(&cfg).unwrap());
    let model = SingleModel::new(cfg.clone());
    let (mut edges, mut stutters, mut steps) = (0, 0, 0);
    let mut mapped: HashSet<SpecState> = model
        .init_states()
        .iter()
        .map(|s| abstraction(&cfg, s))
        .collect();
    let graph = for_each_edge(&model, |s, _, t| {
        edges += 1;
        let (a, b) = (abstraction(&cfg, s), abstraction(&cfg, t));
        if a == b {
            stutters += 1;
        } else {
            assert!(spec.is_next_step(&a, &b));
            steps += 1;
        }
        assert_eq!(spec.violated_invariants(&b), Vec::<&str>::new());
        mapped.insert(b);
    });
    assert_eq!(r.spec_states, mapped.len());
    assert_eq!(
        (r.states + r.beyond_boundary, r.edges, r.stutters, r.steps),
        (graph.len(), edges, stutters, steps)
    );
    assert_eq!(graph.edge_count(), edges);
    assert_eq!(graph.frontier_count(), r.beyond_boundary);
    assert_eq!(
        (r.states, r.edges, r.stutters, r.steps, r.beyond_boundary),
        (9_032, 59_104, 38_188, 20_916, 10_680)
    );
}

// ---------------------------------------------------------------------------------------------
// Seeded bugs break refinement at a named edge.

#[test]
fn accept_below_promise_votes_below_max_bal() {
    let v = violation(Bug::AcceptBelowPromise);
    assert_eq!(
        v.trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. P0 -> A1 Prepare(1.0)",
            "4. A0 -> P0 Promise(1.0, none)",
            "5. A1 -> P0 Promise(1.0, none)",
            "6. C1 -> P1 Propose(2)",
            "7. P1 -> A0 Prepare(1.1)",
            "8. P0 -> A0 Accept(1.0, 1)",
        ]
    );
    assert_eq!(v.edge, "P0 -> A0 Accept(1.0, 1)");
    assert_eq!(
        v.reason,
        "Phase2b(0, 0, 0) (A0 Accepted(1.0, 1)) is not enabled: ballot 0 is below \
         max_bal[A0] = 1 (Phase2b needs bal >= maxBal)"
    );
    assert_eq!(
        v.diff,
        "sent 2b(A0, 0, 0); A0: max_vbal -1 -> 0, max_val none -> 0"
    );
    // The spec state after the bad step is caught by the invariants too: A0's 1b for
    // ballot 1 reported no vote, and A0 has now voted below 1.
    assert_eq!(v.invariants_after, [INV_MSGS_JUSTIFIED]);
}

#[test]
fn minority_quorum_proposes_without_a_quorum_of_1b() {
    let v = violation(Bug::MinorityQuorum);
    assert_eq!(
        v.trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. A0 -> P0 Promise(1.0, none)",
        ]
    );
    assert_eq!(v.edge, "A0 -> P0 Promise(1.0, none)");
    assert_eq!(
        v.reason,
        "Phase2a(0, 0) (Accept(1.0, 1)) is not enabled: no quorum sent 1b for ballot 0: \
         only {A0} did, a quorum is 2 of 3 acceptors"
    );
    assert_eq!(v.diff, "sent 2a(0, 0)");
    // A 2a that no quorum shows safe.
    assert_eq!(v.invariants_after, [INV_MSGS_JUSTIFIED]);
    assert_eq!(
        v.spec_before,
        "max_bal [0, -1, -1]; max_vbal [-1, -1, -1]; max_val [none, none, none]; \
         msgs {1a(0), 1b(A0, 0, none)}"
    );
    assert_eq!(
        v.spec_after,
        "max_bal [0, -1, -1]; max_vbal [-1, -1, -1]; max_val [none, none, none]; \
         msgs {1a(0), 1b(A0, 0, none), 2a(0, 0)}"
    );
}

#[test]
fn ignore_accepted_proposes_against_the_reported_vote() {
    let v = violation(Bug::IgnoreAccepted);
    assert_eq!(
        v.trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. P0 -> A1 Prepare(1.0)",
            "4. A0 -> P0 Promise(1.0, none)",
            "5. A1 -> P0 Promise(1.0, none)",
            "6. P0 -> A0 Accept(1.0, 1)",
            "7. C1 -> P1 Propose(2)",
            "8. P1 -> A0 Prepare(1.1)",
            "9. P1 -> A1 Prepare(1.1)",
            "10. A0 -> P1 Promise(1.1, 1@1.0)",
            "11. A1 -> P1 Promise(1.1, none)",
        ]
    );
    assert_eq!(v.edge, "A1 -> P1 Promise(1.1, none)");
    assert_eq!(
        v.reason,
        "Phase2a(1, 1) (Accept(1.1, 2)) is not enabled: no quorum's 1b messages for ballot 1 \
         allow value 1: {A0, A1} reports 0 as the highest vote (ballot 0)"
    );
    assert_eq!(v.diff, "sent 2a(1, 1)");
    assert_eq!(v.invariants_after, [INV_MSGS_JUSTIFIED]);
}

/// With a crash allowed (the bug catalogue's configuration: `roles` plus one crash), the
/// acceptor that does not save loses its promise *at the crash*: a crashed acceptor's spec
/// variables are what it will recover to.
#[test]
fn acceptor_forgets_lowers_max_bal_at_the_crash() {
    let v = violation(Bug::AcceptorForgets);
    assert_eq!(
        v.trace,
        [
            "1. C0 -> P0 Propose(1)",
            "2. P0 -> A0 Prepare(1.0)",
            "3. A0 crashes",
        ]
    );
    assert_eq!(v.edge, "A0 crashes");
    assert_eq!(
        v.reason,
        "A0's max_bal went down from 0 to -1 and no message was sent: no spec action lowers \
         max_bal (Phase1b raises it, Phase2b keeps it or raises it)"
    );
    assert_eq!(v.diff, "A0: max_bal 0 -> -1");
    assert_eq!(v.invariants_after, [INV_MSGS_JUSTIFIED]);
}

/// The spec has no learners: a learner that miscounts votes is invisible to refinement (the
/// model's `learner-agreement` property catches it, see tests/bugs.rs).
#[test]
fn a_learner_bug_still_refines_the_spec() {
    let r = check_refinement(&bugs::case(Bug::MixedBallotLearner).config).unwrap();
    assert_eq!(r.violation, None);
    assert_eq!((r.states, r.edges), (918_081, 3_294_885));
}

// ---------------------------------------------------------------------------------------------
// The mapping and what is supported.

#[test]
fn spec_constants_come_from_the_configuration() {
    let roles = SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot: 5,
    };
    assert_eq!(spec_config(&named("roles")), Ok(roles));
    let faults = SpecConfig {
        max_ballot: 3,
        ..roles
    };
    assert_eq!(spec_config(&named("faults")), Ok(faults));
}

#[test]
fn merged_nodes_and_unrecorded_phase1_are_rejected() {
    let err = check_refinement(&named("compat")).unwrap_err();
    assert!(
        err.starts_with(
            "refinement is checked for separate roles (merge = none) and for merged nodes with \
             loopback, not merge = all without loopback"
        ),
        "{err}"
    );
    let split = SingleConfig {
        merge: Merge::AcceptorLearner,
        record_phase1: true,
        ..named("compat")
    };
    assert!(check_refinement(&split)
        .unwrap_err()
        .contains("not merge = acceptor-learner"));
    let quiet = SingleConfig {
        record_phase1: false,
        ..named("roles")
    };
    assert!(check_refinement(&quiet)
        .unwrap_err()
        .starts_with("refinement needs record_phase1"));
    let repromise = SingleConfig {
        repromise: true,
        ..named("roles")
    };
    assert!(check_refinement(&repromise)
        .unwrap_err()
        .starts_with("refinement is not checked with re-promising acceptors"));
    let invalid = SingleConfig {
        acceptors: 2,
        ..named("roles")
    };
    assert!(check_refinement(&invalid).is_err());
}

#[test]
fn the_mapping_on_a_hand_built_state() {
    let cfg = named("roles"); // 2 proposers, 3 acceptors (actors 2, 3, 4), max_round 3
    let m = SingleModel::new(cfg.clone());
    let mut s = m.init_states().remove(0);
    let init = abstraction(&cfg, &s);
    assert_eq!(
        init,
        SpecModel::new(spec_config(&cfg).unwrap()).init_state()
    );

    let b = Ballot::new;
    // A0 (actor 2): promised 2.1, voted 2 at 1.1.
    s.actor_states[2] = Arc::new(SingleState::Acceptor(AcceptorState {
        promised: Some(b(2, 1)),
        accepted: Some((b(1, 1), 2)),
    }));
    // A1 (actor 3) crashed: its last state says 3.0, its record says 1.0; the record counts.
    s.actor_states[3] = Arc::new(SingleState::Acceptor(AcceptorState {
        promised: Some(b(3, 0)),
        accepted: None,
    }));
    s.crashed[3] = true;
    s.actor_storages[3] = Some(Storage {
        promised: Some(b(1, 0)),
        ..Storage::default()
    });
    s.history.prepares.insert(b(2, 1));
    s.history.promises.insert((0, b(2, 1), Some((b(1, 1), 2))));
    s.history.proposals.insert((b(1, 1), 2));
    s.history.votes.insert((b(1, 1), 2, 0));
    // Out of range: round 0, round above max_round, proposer index 2, value 0 and value 3.
    s.history.prepares.insert(b(0, 0));
    s.history.prepares.insert(b(4, 0));
    s.history.prepares.insert(b(1, 2));
    s.history.proposals.insert((b(1, 0), 0));
    s.history.proposals.insert((b(1, 0), 3));

    let t = abstraction(&cfg, &s);
    assert_eq!(t.max_bal, [3, 0, NO_BALLOT]);
    assert_eq!(t.max_vbal, [1, NO_BALLOT, NO_BALLOT]);
    assert_eq!(t.max_val, [Some(1), None, None]);
    let msgs: Vec<SpecMsg> = t.msgs.into_iter().collect();
    assert_eq!(
        msgs,
        [
            SpecMsg::P1a { bal: 3 },
            SpecMsg::P1a { bal: i32::MAX },
            SpecMsg::P1b {
                acc: 0,
                bal: 3,
                mbal: 1,
                mval: Some(1)
            },
            SpecMsg::P2a {
                bal: 0,
                val: usize::MAX
            },
            SpecMsg::P2a { bal: 1, val: 1 },
            SpecMsg::P2b {
                acc: 0,
                bal: 1,
                val: 1
            },
        ]
    );
}

/// The separate-role layout `paxos node` accepts (`runtime-roles`: the first proposer leads and
/// prepares in its start step, learners learn from `Chosen` and are caught up, `Nack`s and
/// retries) refines the spec; its initial state is the spec's Init plus the leader's Phase1a.
#[test]
fn runtime_roles_refines_the_spec() {
    let r = check_refinement(&named("runtime-roles")).unwrap();
    eprintln!("runtime-roles: {r:?}");
    assert_eq!(r.violation, None);
    assert_eq!(r.states, 348_861);
    assert_eq!(
        (r.edges, r.stutters, r.steps),
        (1_894_671, 1_141_808, 752_863)
    );
    assert_eq!(r.stutters + r.steps, r.edges);
    assert_eq!(r.beyond_boundary, 215_748);
    assert_eq!(r.spec_states, 8_288);
}

/// What `paxos node` runs on three merged nodes (`runtime`: loopback, so each node step handles
/// one message of one role) refines the spec, phase 1 recorded.
#[test]
fn runtime_with_loopback_refines_the_spec() {
    let cfg = SingleConfig {
        record_phase1: true,
        ..named("runtime")
    };
    let r = check_refinement(&cfg).unwrap();
    eprintln!("runtime: {r:?}");
    assert_eq!(r.violation, None);
    // More states than `runtime`'s 418,334: the history now records every 1a and 1b.
    assert_eq!(r.states, 1_037_899);
    assert_eq!(
        (r.edges, r.stutters, r.steps),
        (6_400_419, 4_410_152, 1_990_267)
    );
    assert_eq!(r.beyond_boundary, 543_444);
    assert_eq!(r.spec_states, 8_288);
    // Without loopback a node step can be several spec steps: refused, with the reason.
    let plain = SingleConfig {
        record_phase1: true,
        loopback: false,
        ..named("runtime")
    };
    assert!(check_refinement(&plain)
        .unwrap_err()
        .starts_with("refinement is checked for separate roles (merge = none) and for merged nodes with loopback, not merge = all without loopback"));
}
