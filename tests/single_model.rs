//! Single-decree Paxos model: pinned state counts, property outcomes, and for every
//! always-property a state that violates it (so none of them is vacuous).

use paxos::ballot::Ballot;
use paxos::models::harness::ActorHarness;
use paxos::models::run::{self, RunOptions};
use paxos::models::search::Search;
use paxos::models::single::{NetworkKind, SingleConfig, SingleModel, SingleModelState};
use paxos::single::{AcceptorState, LearnerState, Msg, Phase, ProposerState, SingleState};
use stateright::actor::{ActorModelAction, Envelope, Id, Network};
use stateright::{Checker, Model};
use std::sync::Arc;

fn check(cfg: SingleConfig, strategy: Search) -> run::Report {
    let restrict = cfg.clone();
    run::check(
        "single-decree",
        serde_json::Value::Null,
        SingleModel::new(cfg),
        &RunOptions {
            threads: 2,
            strategy,
            symmetry: None,
            progress: false,
            shortest: true,
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

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const SAFETY_HOLDS: [(&str, &str); 9] = [
    ("agreement", "holds"),
    ("validity", "holds"),
    ("learner-agreement", "holds"),
    ("learners-agree", "holds"),
    ("stability", "holds"),
    ("durability", "holds"),
    ("round-durability", "holds"),
    ("ballot-safety", "holds"),
    ("linearizable", "holds"),
];

/// Checks the named configuration: exactly `states` unique states, every safety property
/// holds, and exactly the sometimes-properties `found` are found, in this order.
fn pinned(name: &str, strategy: Search, states: usize, found: &[&str]) -> run::Report {
    let r = check(SingleConfig::named(name).unwrap(), strategy);
    assert_eq!(r.unique_states, states, "{name}");
    let mut expected = SAFETY_HOLDS.to_vec();
    expected.extend(found.iter().map(|p| (*p, "found")));
    assert_eq!(statuses(&r), owned(&expected), "{name}");
    r
}

#[test]
fn compat_is_pinned_and_every_property_holds() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "second-proposer-completes",
    ];
    let bfs = pinned("compat", Search::Bfs, 2_720, &found);
    assert_eq!(bfs.max_depth, 20);
    assert!(bfs.ok());
    // DFS visits the same state space.
    pinned("compat", Search::Dfs, 2_720, &found);
}

#[test]
fn roles_is_pinned_and_every_property_holds() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "second-proposer-completes",
    ];
    pinned("roles", Search::Dfs, 196_513, &found);
}

#[test]
fn faults_is_pinned_and_every_property_holds() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "chosen-after-recovery",
        "second-proposer-completes",
    ];
    pinned("faults", Search::Dfs, 2_744_072, &found);
}

// ---------------------------------------------------------------------------------------------
// Every always-property can fail: a state built to violate it.

fn model(name: &str) -> SingleModel {
    SingleModel::new(SingleConfig::named(name).unwrap())
}

fn holds(m: &SingleModel, name: &'static str, s: &SingleModelState) -> bool {
    (m.property(name).condition)(m, s)
}

fn init(m: &SingleModel) -> SingleModelState {
    m.init_states().remove(0)
}

const B10: Ballot = Ballot::new(1, 0);
const B11: Ballot = Ballot::new(1, 1);
const B20: Ballot = Ballot::new(2, 0);

#[test]
fn agreement_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    assert!(holds(&m, "agreement", &s));
    s.history
        .votes
        .extend([(B10, 1, 0), (B10, 1, 1), (B11, 2, 1), (B11, 2, 2)]);
    assert_eq!(s.history.chosen(3), vec![(B10, 1), (B11, 2)]);
    assert!(!holds(&m, "agreement", &s));
}

#[test]
fn validity_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    assert_eq!(s.history.invoked, [1, 2].into());
    s.history.votes.extend([(B10, 7, 0), (B10, 7, 2)]);
    assert!(!holds(&m, "validity", &s));
    assert!(holds(&m, "agreement", &s));
}

#[test]
fn learner_agreement_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    // Actor 5 is the learner (P0 P1 A0 A1 A2 L0 C0 C1).
    s.actor_states[5] = Arc::new(SingleState::Learner(LearnerState {
        learned: Some(2),
        votes: vec![],
    }));
    assert!(!holds(&m, "learner-agreement", &s), "2 is not chosen");
    s.history.votes.extend([(B10, 2, 0), (B10, 2, 1)]);
    assert!(holds(&m, "learner-agreement", &s));
}

#[test]
fn learners_agree_can_fail() {
    let mut cfg = SingleConfig::named("roles").unwrap();
    cfg.learners = 2;
    let m = SingleModel::new(cfg);
    let mut s = init(&m);
    // Actors 5 and 6 are the learners (P0 P1 A0 A1 A2 L0 L1 C0 C1); the ghost keeps each
    // learner's first value, so a crashed learner's value still counts.
    s.history.learned[5] = Some(1);
    assert!(holds(&m, "learners-agree", &s));
    s.history.learned[6] = Some(1);
    assert!(holds(&m, "learners-agree", &s), "the same value");
    s.history.learned[6] = Some(2);
    s.crashed[6] = true;
    assert!(!holds(&m, "learners-agree", &s), "1 and 2 learned");
    // learner-agreement reads live learners' current values only: it does not see this.
    assert!(holds(&m, "learner-agreement", &s));
}

#[test]
fn stability_can_fail_through_the_ghost_observer() {
    let m = model("roles");
    let mut s = init(&m);
    // The learner had learned 1 (ghost), but now holds 2: the next step notices.
    s.history.learned[5] = Some(1);
    s.actor_states[5] = Arc::new(SingleState::Learner(LearnerState {
        learned: Some(2),
        votes: vec![],
    }));
    assert!(holds(&m, "stability", &s));
    let action = ActorModelAction::Deliver {
        src: Id::from(6),
        dst: Id::from(0),
        msg: Msg::Propose(1),
    };
    let next = m.next_state(&s, action).expect("P0 handles the proposal");
    assert!(next.history.unstable);
    assert!(!holds(&m, "stability", &next));
}

#[test]
fn durability_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    s.history.max_promised[1] = Some(B20);
    // A1 is actor 3; it remembers only 1.0.
    s.actor_states[3] = Arc::new(SingleState::Acceptor(AcceptorState {
        promised: Some(B10),
        accepted: None,
    }));
    assert!(!holds(&m, "durability", &s));
    // A crashed acceptor is not judged until it recovers.
    s.crashed[3] = true;
    assert!(holds(&m, "durability", &s));
}

#[test]
fn round_durability_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    // P1 (actor 1) prepared round 2, but its state says round 1: a restart lost its round.
    s.history.prepares.insert(Ballot::new(2, 1));
    s.actor_states[1] = Arc::new(SingleState::Proposer(ProposerState {
        round: 1,
        value: None,
        phase: Phase::Idle,
        clients: Default::default(),
        refused: false,
    }));
    assert!(!holds(&m, "round-durability", &s));
    // P1 at round 1 with only round 1 prepared is fine.
    let mut t = init(&m);
    t.history.prepares.insert(Ballot::new(1, 1));
    t.actor_states[1] = s.actor_states[1].clone();
    assert!(holds(&m, "round-durability", &t));
    // P0 (still at round 0) is judged by its own ballots only: 2.1 is P1's.
    t.history.prepares.insert(Ballot::new(2, 0));
    assert!(!holds(&m, "round-durability", &t));
    // A crashed proposer is not judged until it recovers.
    s.crashed[1] = true;
    assert!(holds(&m, "round-durability", &s));
}

#[test]
fn ballot_safety_can_fail() {
    let m = model("roles");
    let mut s = init(&m);
    s.history.votes.extend([(B10, 1, 0), (B10, 1, 1)]);
    s.history.proposals.insert((B10, 1));
    assert!(holds(&m, "ballot-safety", &s));
    s.history.proposals.insert((B20, 2));
    assert!(!holds(&m, "ballot-safety", &s));
    assert!(holds(&m, "agreement", &s), "nothing else is chosen yet");
}

#[test]
fn linearizability_can_fail_through_recorded_responses() {
    let m = model("roles");
    let mut s = init(&m);
    // Two answers with different values reach the two clients (actors 6 and 7).
    s.network = Network::new_unordered_nonduplicating([
        Envelope {
            src: Id::from(0),
            dst: Id::from(6),
            msg: Msg::Decided(1),
        },
        Envelope {
            src: Id::from(1),
            dst: Id::from(7),
            msg: Msg::Decided(2),
        },
    ]);
    let deliver = |src: usize, dst: usize, v| ActorModelAction::Deliver {
        src: Id::from(src),
        dst: Id::from(dst),
        msg: Msg::Decided(v),
    };
    let s1 = m.next_state(&s, deliver(0, 6, 1)).unwrap();
    assert_eq!(s1.history.first_response, Some(1));
    assert!(holds(&m, "linearizable", &s1));
    let s2 = m.next_state(&s1, deliver(1, 7, 2)).unwrap();
    assert!(!holds(&m, "linearizable", &s2));
}

#[test]
fn a_response_with_a_value_nobody_proposed_is_not_linearizable() {
    let m = model("roles");
    let mut s = init(&m);
    s.network = Network::new_unordered_nonduplicating([Envelope {
        src: Id::from(0),
        dst: Id::from(6),
        msg: Msg::Decided(9),
    }]);
    let s1 = m
        .next_state(
            &s,
            ActorModelAction::Deliver {
                src: Id::from(0),
                dst: Id::from(6),
                msg: Msg::Decided(9),
            },
        )
        .unwrap();
    assert!(!holds(&m, "linearizable", &s1));
}

#[test]
fn sometimes_properties_depend_on_the_configuration() {
    assert_eq!(
        model("roles").property_names(),
        vec![
            "agreement",
            "validity",
            "learner-agreement",
            "learners-agree",
            "stability",
            "durability",
            "round-durability",
            "ballot-safety",
            "linearizable",
            "value-chosen",
            "learner-learns",
            "client-answered",
            "second-proposer-completes"
        ]
    );
    let mut one = SingleConfig::named("roles").unwrap();
    one.proposers = 1;
    one.max_crashes = 1;
    let names = SingleModel::new(one).property_names();
    assert!(names.contains(&"chosen-after-recovery"));
    assert!(!names.contains(&"second-proposer-completes"));
}

#[test]
fn every_named_configuration_checks_that_a_learner_learns_and_a_client_is_answered() {
    // So no property about learners or clients holds vacuously: each pinned test above finds
    // both examples in its configuration.
    for name in paxos::models::single::CONFIG_NAMES {
        let names = model(name).property_names();
        for p in ["value-chosen", "learner-learns", "client-answered"] {
            assert!(names.contains(&p), "{name} lacks {p}");
        }
    }
}

/// The shortest path to a chosen value in configuration `name`, as trace lines.
fn shortest_chosen(name: &str) -> Vec<String> {
    let m = model(name);
    let c = m
        .clone()
        .only("value-chosen")
        .checker()
        .threads(1)
        .spawn_bfs()
        .join();
    m.format_trace(&c.discovery("value-chosen").unwrap())
}

#[test]
fn shortest_example_of_a_chosen_value() {
    assert_eq!(
        shortest_chosen("compat"),
        vec![
            "1. C0 -> N0 Propose(1)",
            "2. N0 -> N1 Prepare(1.0)",
            "3. N1 -> N0 Promise(1.0, none)",
            "4. N0 -> N1 Accept(1.0, 1)",
        ]
    );
}

#[test]
fn invalid_configurations_are_explained() {
    let mut c = SingleConfig::named("roles").unwrap();
    c.acceptors = 2;
    assert_eq!(
        c.validate().unwrap_err(),
        "--acceptors 2: Paxos needs at least 3 acceptors; a majority quorum of 3 tolerates one \
         failed acceptor, fewer tolerate none"
    );
    let mut c = SingleConfig::named("roles").unwrap();
    c.clients = 0;
    assert_eq!(
        c.validate().unwrap_err(),
        "--clients 0: at least one client is needed to propose a value"
    );
}

// ---------------------------------------------------------------------------------------------
// The configuration the runtime runs (`paxos node`): a leader that prepares at start, loopback.

#[test]
fn runtime_is_pinned_and_every_property_holds() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "second-proposer-completes",
    ];
    pinned("runtime", Search::Dfs, 418_334, &found);
}

/// The separate-role layout `paxos node` accepts (two proposers, three acceptors, one learner;
/// see `Membership::checked_model`): `roles` with the runtime's knobs, two ballots.
#[test]
fn runtime_roles_is_pinned_and_every_property_holds() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "second-proposer-completes",
    ];
    pinned("runtime-roles", Search::Dfs, 348_861, &found);
}

/// More ballots: `compat` with proposer retry timers (rounds <= 3) and 3 or 4 ballots between
/// the three proposers, every property holding (5 ballots: the ignored test below).
#[test]
fn compat_with_timers_and_three_or_four_ballots_is_pinned() {
    let found = [
        "value-chosen",
        "learner-learns",
        "client-answered",
        "second-proposer-completes",
    ];
    for (ballots, states) in [(3, 52_204), (4, 587_389)] {
        let cfg = SingleConfig {
            timers: true,
            max_ballots: ballots,
            ..SingleConfig::named("compat").unwrap()
        };
        let r = check(cfg, Search::Dfs);
        assert_eq!(r.unique_states, states, "{ballots} ballots");
        let mut expected = SAFETY_HOLDS.to_vec();
        expected.extend(found.iter().map(|p| (*p, "found")));
        assert_eq!(statuses(&r), owned(&expected), "{ballots} ballots");
    }
}

/// `compat` with proposer timers and one crash of any node at a time (rounds <= 2, ballots <=
/// 2; nothing pruned: crashes), every property holding and a value chosen after a recovery.
#[test]
fn compat_with_timers_and_a_crash_is_pinned() {
    let cfg = SingleConfig {
        timers: true,
        max_crashes: 1,
        max_ballots: 2,
        max_round: 2,
        ..SingleConfig::named("compat").unwrap()
    };
    let r = check(cfg, Search::Dfs);
    assert_eq!(r.unique_states, 2_362_148);
    let mut expected = SAFETY_HOLDS.to_vec();
    expected.extend(
        [
            "value-chosen",
            "learner-learns",
            "client-answered",
            "chosen-after-recovery",
            "second-proposer-completes",
        ]
        .iter()
        .map(|p| (*p, "found")),
    );
    assert_eq!(statuses(&r), owned(&expected));
}

/// The statuses of a one-client `runtime` variant: every safety property holds, a value is
/// chosen, learned and answered; with its one client, which asks the leader and does not
/// retry, no second proposer ever runs a ballot, so `second-proposer-completes` is not found.
fn one_client_runtime_statuses(crash: bool) -> Vec<(String, String)> {
    let mut expected = SAFETY_HOLDS.to_vec();
    expected.extend([
        ("value-chosen", "found"),
        ("learner-learns", "found"),
        ("client-answered", "found"),
    ]);
    if crash {
        expected.push(("chosen-after-recovery", "found"));
    }
    expected.push(("second-proposer-completes", "not_found"));
    owned(&expected)
}

/// What `paxos node` runs, on a lossy duplicating network: one client, up to three ballots
/// and rounds (`paxos check --config runtime --network unordered_duplicating --lossy
/// --clients 1 --max-ballots 3 --max-round 3`). With two clients and two ballots the space
/// exceeds 16 million states.
#[test]
fn runtime_on_a_lossy_duplicating_network_is_pinned() {
    let cfg = SingleConfig {
        network: NetworkKind::UnorderedDuplicating,
        lossy: true,
        clients: 1,
        max_ballots: 3,
        max_round: 3,
        ..SingleConfig::named("runtime").unwrap()
    };
    let r = check(cfg, Search::Dfs);
    assert_eq!(r.unique_states, 53_193);
    assert_eq!(statuses(&r), one_client_runtime_statuses(false));
}

/// What `paxos node` runs with one node crashed at a time (its proposer, acceptor and learner
/// crash and recover together, from their saved record): one client, rounds <= 1, so two
/// ballots (`paxos check --config runtime --max-crashes 1 --clients 1 --max-round 1`).
#[test]
fn runtime_with_a_node_crash_is_pinned() {
    let r = runtime_with_a_node_crash(1);
    assert_eq!(r.unique_states, 36_800);
    assert_eq!(statuses(&r), one_client_runtime_statuses(true));
}

/// `runtime` with one client and one node crashed at a time, rounds <= `max_round`.
fn runtime_with_a_node_crash(max_round: u32) -> run::Report {
    let cfg = SingleConfig {
        max_crashes: 1,
        clients: 1,
        max_round,
        ..SingleConfig::named("runtime").unwrap()
    };
    check(cfg, Search::Dfs)
}

/// As above with rounds <= 2 (the `runtime` bound): 24,111,753 states, every property holding
/// (about 260 s with 2 threads here; run with `-- --ignored`).
#[test]
#[ignore]
fn runtime_with_a_node_crash_and_two_rounds_is_pinned() {
    let r = runtime_with_a_node_crash(2);
    assert_eq!(r.unique_states, 24_111_753);
    assert_eq!(statuses(&r), one_client_runtime_statuses(true));
}

/// Five ballots on `compat` with timers: 4,599,867 states, every property holding (about 90 s
/// with 2 threads here; run with `-- --ignored`).
#[test]
#[ignore]
fn compat_with_timers_and_five_ballots_is_pinned() {
    let cfg = SingleConfig {
        timers: true,
        max_ballots: 5,
        ..SingleConfig::named("compat").unwrap()
    };
    let r = check(cfg, Search::Dfs);
    assert_eq!(r.unique_states, 4_599_867);
    assert!(r.ok());
}

/// Invalid protocol-knob combinations are refused with the reason.
#[test]
fn retransmission_and_consumed_deliveries_are_validated() {
    let c = SingleConfig {
        retransmit: true,
        nacks: false,
        ..SingleConfig::named("roles").unwrap()
    };
    assert_eq!(
        c.validate().unwrap_err(),
        "--retransmit needs --nacks and --timers: a proposer retransmits when its timer fires, \
         and only a Nack tells it that its ballot was refused rather than its messages lost"
    );
    let c = SingleConfig {
        consume_ignored: true,
        ..SingleConfig::named("faults").unwrap()
    };
    assert_eq!(
        c.validate().unwrap_err(),
        "--consume-ignored needs --network unordered_nonduplicating: on a duplicating network a \
         delivered message stays, and an ordered one already delivers every message"
    );
}

#[test]
fn the_leader_prepares_at_start_and_saves_its_ballot_first() {
    let m = model("runtime");
    let s = init(&m);
    // N0's proposer started ballot 1.0 before any client asked, durably.
    let SingleState::Node(n0) = &*s.actor_states[0] else {
        panic!("a node")
    };
    let p = n0.proposer.as_ref().unwrap();
    assert_eq!(p.round, 1);
    assert_eq!(p.value, None);
    assert_eq!(
        format!("{:?}", p.phase),
        "Preparing { ballot: 1.0, promises: {}, adopt: None }"
    );
    assert_eq!(s.actor_storages[0].as_ref().map(|st| st.round), Some(1));
    // Its own acceptor gets the Prepare through the network (loopback), like the others.
    let mut prepares: Vec<(usize, usize)> = s
        .network
        .iter_deliverable()
        .filter(|e| matches!(e.msg, Msg::Prepare(b) if *b == B10))
        .map(|e| (usize::from(e.src), usize::from(e.dst)))
        .collect();
    prepares.sort();
    assert_eq!(prepares, vec![(0, 0), (0, 1), (0, 2)]);
    // The other nodes only restored their (empty) state.
    for i in 1..3 {
        let SingleState::Node(n) = &*s.actor_states[i] else {
            panic!("a node")
        };
        assert_eq!(n.proposer.as_ref().unwrap().round, 0);
        assert_eq!(s.actor_storages[i], None);
    }
}

#[test]
fn a_prepared_leader_needs_phase_2_only() {
    // The shortest way to a chosen value: phase 1 runs before the client asks (steps 1-4: the
    // leader's own promise comes back through the loopback, N1's makes the majority), so the
    // client's proposal goes straight to Accept and two votes choose it.
    assert_eq!(
        shortest_chosen("runtime"),
        vec![
            "1. N0 -> N0 Prepare(1.0)",
            "2. N0 -> N0 Promise(1.0, none)",
            "3. N0 -> N1 Prepare(1.0)",
            "4. N1 -> N0 Promise(1.0, none)",
            "5. C0 -> N0 Propose(1)",
            "6. N0 -> N0 Accept(1.0, 1)",
            "7. N0 -> N1 Accept(1.0, 1)",
        ]
    );
}
