//! Removing dead messages from the network is sound.
//!
//! stateright offers no step for a delivery that changes nothing (the recipient's state stays
//! the same and it sends, saves and schedules nothing), so such a message can only sit in the
//! network. If it stays a no-op for as long as it is there, removing it yields a state with
//! exactly the same steps and the same property values (no property reads the network), and
//! the model prunes it (`SingleModel::prunes_dead_messages`). This file checks the premise on
//! every edge of the *unpruned* models: a message that is a no-op before a step and still in
//! the network after it is still a no-op. It also checks that pruning changes no verdict.
//!
//! Every shipped configuration and claim that prunes is covered: the named configurations
//! `compat`, `roles` and `runtime` in full, every model flag that keeps pruning on on a small
//! instance ([`every_model_flag_keeps_the_premise`]), and the liveness claims on the very graph
//! their check explores ([`the_liveness_claims_keep_the_premise`]).
//! [`what_prunes_and_what_does_not`] lists which shipped models prune, so a new one that prunes
//! without a premise check here fails.

use paxos::models::bugs;
use paxos::models::claims::{self, for_each_claim_edge, Claim};
use paxos::models::harness::{ActorHarness, HarnessAction, HarnessState};
use paxos::models::liveness::{explore_in_with, Search};
use paxos::models::multi::{MultiConfig, MultiModel};
use paxos::models::single::{
    LearnMode, Merge, NetworkKind, SingleConfig, SingleModel, CONFIG_NAMES,
};
use paxos::single::Bug;
use stateright::actor::Actor;
use stateright::{Checker, Expectation, Model};
use std::fmt::{Debug, Display};
use std::hash::Hash;

/// The dead messages of `s` that are still in the network in `t`, each checked to be still a
/// no-op there; returns how many were followed. Written against the shared model mechanics
/// ([`ActorHarness`]), so it checks the premise for any protocol's model.
fn follow_dead<H>(m: &H, s: &HarnessState<H>, a: &HarnessAction<H>, t: &HarnessState<H>) -> usize
where
    H: ActorHarness,
    <H::Actor as Actor>::Msg: Clone + Eq + Hash + Debug + Display,
    <H::Actor as Actor>::Timer: Debug,
{
    let mut followed = 0;
    for e in s.network.iter_deliverable() {
        if !H::is_prunable(e.msg) || !m.is_no_op_delivery(s, &e) {
            continue;
        }
        if t.network.iter_deliverable().any(|f| f == e) {
            assert!(
                m.is_no_op_delivery(t, &e),
                "{e:?} was a no-op before {} and is not after it",
                m.describe(a)
            );
            followed += 1;
        }
    }
    followed
}

/// Checks the premise on every edge of the unpruned model of `cfg` (which must prune), and
/// that the pruned model has the same verdict for every property; returns (edges, dead
/// messages followed across an edge).
fn dead_stays_dead(cfg: SingleConfig) -> (usize, usize) {
    let pruned = SingleModel::new(cfg.clone());
    let m = SingleModel::new(SingleConfig {
        prune_dead: false,
        ..cfg
    });
    dead_stays_dead_in(pruned, m)
}

/// [`dead_stays_dead`] for any protocol: `pruned` must prune, `m` is the same model without
/// pruning.
fn dead_stays_dead_in<H>(pruned: H, m: H) -> (usize, usize)
where
    H: ActorHarness
        + Model<State = HarnessState<H>, Action = HarnessAction<H>>
        + Clone
        + Send
        + Sync
        + 'static,
    HarnessState<H>: Clone + Debug + Hash + Eq + Send + Sync,
    HarnessAction<H>: Clone + Debug + PartialEq + Send + Sync,
    <H::Actor as Actor>::Msg: Clone + Eq + Hash + Debug + Display,
    <H::Actor as Actor>::Timer: Debug,
{
    assert!(pruned.prunes_dead_messages());
    assert!(!m.prunes_dead_messages());
    // Verdicts of the unpruned model, from the same exploration: a safety property is
    // violated, or an example found, in some state inside the boundary.
    let properties = m.properties();
    let mut full = vec![false; properties.len()];
    let mut followed = 0;
    let graph = explore_in_with(
        &m,
        Search::Dfs,
        |s| {
            if m.within_boundary(s) {
                for (d, p) in full.iter_mut().zip(&properties) {
                    let holds = (p.condition)(&m, s);
                    *d |= (p.expectation == Expectation::Always) != holds;
                }
            }
            false
        },
        |s, a, t| followed += follow_dead(&m, s, a, t),
    );
    let c = pruned.checker().threads(2).spawn_dfs().join();
    let names: Vec<&str> = properties.iter().map(|p| p.name).collect();
    let verdicts: Vec<bool> = names.iter().map(|n| c.discovery(n).is_some()).collect();
    assert_eq!(
        names.iter().zip(&verdicts).collect::<Vec<_>>(),
        names.iter().zip(&full).collect::<Vec<_>>(),
        "pruning changed a verdict"
    );
    (graph.edge_count(), followed)
}

/// On every edge of `pruned` (which prunes), pruning the target again from scratch removes
/// nothing: the incremental pruning (which re-tries only new messages and those to a changed
/// recipient) gives what a full pass gives. Returns the edges checked.
fn incremental_pruning_is_full<H>(pruned: &H) -> usize
where
    H: ActorHarness + Model<State = HarnessState<H>, Action = HarnessAction<H>>,
    HarnessState<H>: Clone + Debug + Hash + Eq,
    HarnessAction<H>: Clone + Debug,
    <H::Actor as Actor>::Msg: Clone + Eq + Hash + Debug + Display,
    <H::Actor as Actor>::State: PartialEq,
    <H::Actor as Actor>::Timer: Debug,
{
    assert!(pruned.prunes_dead_messages());
    let mut edges = 0;
    explore_in_with(
        pruned,
        Search::Dfs,
        |_| false,
        |_, a, t| {
            let mut again = t.clone();
            pruned.prune_dead_messages(None, &mut again);
            assert!(
                again == *t,
                "a full pass prunes more after {}",
                pruned.describe(a)
            );
            edges += 1;
        },
    );
    edges
}

#[test]
fn incremental_pruning_equals_a_full_pass_in_multi_paxos() {
    // `leader-change` passes too (1,285,428 edges) but adds half a minute to CI.
    let got: Vec<(&str, usize)> = ["basic", "lossy", "duplicating"]
        .into_iter()
        .map(|n| {
            let m = MultiModel::new(MultiConfig::named(n).unwrap());
            (n, incremental_pruning_is_full(&m))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("basic", 23_488),
            ("lossy", 60_118),
            ("duplicating", 192_291)
        ]
    );
}

/// Multi-Paxos: the premise on every edge of the unpruned `basic` and `lossy` models, and of
/// `leader-change` cut to one slot. (The unpruned `two-ops`, `leader-change` and
/// `duplicating` models have 0.5 to over 2 million states: too many for a test; the README
/// says so.)
#[test]
fn dead_messages_stay_dead_in_multi_paxos() {
    let multi = |name: &str, prune: bool| {
        MultiModel::new(MultiConfig {
            prune_dead: prune,
            ..MultiConfig::named(name).unwrap()
        })
    };
    let mut got = Vec::new();
    for name in ["basic", "lossy"] {
        got.push((
            name,
            dead_stays_dead_in(multi(name, true), multi(name, false)),
        ));
    }
    let one_slot = |prune: bool| {
        MultiModel::new(MultiConfig {
            max_slots: 1,
            ..multi("leader-change", prune).cfg
        })
    };
    got.push((
        "leader-change, 1 slot",
        dead_stays_dead_in(one_slot(true), one_slot(false)),
    ));
    assert_eq!(
        got,
        vec![
            ("basic", (65_370, 92_044)),
            ("lossy", (195_431, 166_541)),
            ("leader-change, 1 slot", (4_764_294, 15_562_017)),
        ]
    );
}

fn named(name: &str) -> SingleConfig {
    SingleConfig::named(name).unwrap()
}

#[test]
fn dead_messages_stay_dead_in_compat() {
    assert_eq!(dead_stays_dead(named("compat")), (153_668, 651_931));
}

#[test]
fn dead_messages_stay_dead_in_roles() {
    assert_eq!(dead_stays_dead(named("roles")), (5_532_693, 21_407_169));
}

#[test]
fn dead_messages_stay_dead_in_runtime_roles() {
    assert_eq!(
        dead_stays_dead(named("runtime-roles")),
        (5_643_411, 14_031_474)
    );
}

#[test]
fn dead_messages_stay_dead_with_timers_nacks_and_duplication() {
    // Proposer retries (a new ballot after a timeout), eager restarts on Nack, and a
    // duplicating network: the settings of the liveness claims and of `faults` without crashes.
    let cases = [
        SingleConfig {
            timers: true,
            max_ballots: 2,
            ..named("compat")
        },
        SingleConfig {
            nacks: true,
            eager_retry: true,
            max_ballots: 2,
            ..named("compat")
        },
        SingleConfig {
            network: NetworkKind::UnorderedDuplicating,
            timers: true,
            max_ballots: 2,
            ..named("compat")
        },
    ];
    let results: Vec<(usize, usize)> = cases.into_iter().map(dead_stays_dead).collect();
    assert_eq!(
        results,
        [
            (238_564, 935_939),
            (732_210, 2_407_380),
            (87_497, 1_024_372)
        ]
    );
}

#[test]
fn dead_messages_stay_dead_in_the_runtime_configuration() {
    // A leader that prepares at start (a prepared leader ignores later promises), messages to
    // self through the network, learners informed by `Chosen` only, `Nack`s and retries, and
    // learner catch-up: a decided proposer announces `Chosen` again on every `Query`. Without
    // loss the extra copies change no state's successors (the edge count is the one without
    // catch-up), but there are more dead copies to follow: 87,515,106 without catch-up.
    assert_eq!(dead_stays_dead(named("runtime")), (27_284_463, 108_778_830));
}

/// The largest pruned model the documentation names besides the named configurations:
/// `compat --clients 3` (67,240 states pruned, 8,077,185 unpruned).
#[test]
fn dead_messages_stay_dead_in_compat_with_three_clients() {
    let cfg = SingleConfig {
        clients: 3,
        ..named("compat")
    };
    assert_eq!(dead_stays_dead(cfg), (27_097_025, 211_079_827));
}

/// One small instance per model flag (and value) that keeps pruning on, each checked on every
/// edge of its unpruned model, verdicts compared. Client retries alone are not here: without
/// fair timeouts a client resends without end (`compat --client-retry --network
/// unordered_duplicating --clients 1` did not finish in 9 minutes); the `no-failure` claim
/// checks them under its assumption. Combinations of flags are covered where a
/// shipped configuration or claim combines them (the tests above and below).
fn flag_cases() -> Vec<(&'static str, SingleConfig)> {
    let compat = named("compat");
    // `roles` with one client: with two, each variant has millions of unpruned states.
    let roles1 = SingleConfig {
        clients: 1,
        ..named("roles")
    };
    vec![
        (
            "compat --repromise",
            SingleConfig {
                repromise: true,
                ..compat.clone()
            },
        ),
        (
            "compat --lossy --clients 1",
            SingleConfig {
                lossy: true,
                clients: 1,
                ..compat.clone()
            },
        ),
        (
            "compat --learn votes --clients 1",
            SingleConfig {
                learn: LearnMode::Votes,
                clients: 1,
                ..compat.clone()
            },
        ),
        (
            "compat --learn chosen",
            SingleConfig {
                learn: LearnMode::Chosen,
                ..compat.clone()
            },
        ),
        (
            "compat --leader",
            SingleConfig {
                leader: true,
                ..compat.clone()
            },
        ),
        (
            "compat --loopback",
            SingleConfig {
                loopback: true,
                ..compat.clone()
            },
        ),
        (
            "compat --catch-up",
            SingleConfig {
                catch_up: true,
                ..compat.clone()
            },
        ),
        (
            "compat --nacks",
            SingleConfig {
                nacks: true,
                ..compat.clone()
            },
        ),
        (
            "compat --consume-ignored",
            SingleConfig {
                consume_ignored: true,
                ..compat.clone()
            },
        ),
        (
            "compat --network unordered_duplicating",
            SingleConfig {
                network: NetworkKind::UnorderedDuplicating,
                ..compat.clone()
            },
        ),
        (
            "compat --acceptors 4 --clients 1",
            SingleConfig {
                acceptors: 4,
                clients: 1,
                ..compat.clone()
            },
        ),
        (
            "compat --max-round 1",
            SingleConfig {
                max_round: 1,
                ..compat.clone()
            },
        ),
        (
            "roles --merge acceptor-learner --clients 1",
            SingleConfig {
                merge: Merge::AcceptorLearner,
                ..roles1.clone()
            },
        ),
        (
            "roles --learn proposer --clients 1",
            SingleConfig {
                learn: LearnMode::Proposer,
                ..roles1.clone()
            },
        ),
        (
            "roles --learn chosen --clients 1",
            SingleConfig {
                learn: LearnMode::Chosen,
                ..roles1.clone()
            },
        ),
        (
            "roles --lossy --clients 1",
            SingleConfig {
                lossy: true,
                ..roles1.clone()
            },
        ),
        (
            "roles --network unordered_duplicating --clients 1",
            SingleConfig {
                network: NetworkKind::UnorderedDuplicating,
                ..roles1.clone()
            },
        ),
        (
            "roles --proposers 1 --learners 2",
            SingleConfig {
                proposers: 1,
                learners: 2,
                ..named("roles")
            },
        ),
        (
            "roles --timers --max-ballots 2 --clients 1",
            SingleConfig {
                timers: true,
                max_ballots: 2,
                ..roles1.clone()
            },
        ),
    ]
}

#[test]
fn every_model_flag_keeps_the_premise() {
    let results: Vec<(&str, (usize, usize))> = flag_cases()
        .into_iter()
        .map(|(name, cfg)| (name, dead_stays_dead(cfg)))
        .collect();
    // (edges of the unpruned model, dead messages followed across an edge)
    let expected: Vec<(&str, (usize, usize))> = vec![
        ("compat --repromise", (293_912, 1_223_396)),
        ("compat --lossy --clients 1", (8_784, 5_892)),
        ("compat --learn votes --clients 1", (2_257, 3_544)),
        ("compat --learn chosen", (153_668, 651_931)),
        ("compat --leader", (159_589, 664_350)),
        ("compat --loopback", (1_239_930, 6_288_618)),
        ("compat --catch-up", (153_668, 725_491)),
        ("compat --nacks", (741_056, 2_554_525)),
        ("compat --consume-ignored", (1_742_876, 5_709_855)),
        ("compat --network unordered_duplicating", (51_977, 627_390)),
        ("compat --acceptors 4 --clients 1", (3_625, 4_380)),
        ("compat --max-round 1", (153_668, 651_931)),
        (
            "roles --merge acceptor-learner --clients 1",
            (22_580, 48_493),
        ),
        ("roles --learn proposer --clients 1", (817, 756)),
        ("roles --learn chosen --clients 1", (817, 756)),
        ("roles --lossy --clients 1", (82_936, 56_832)),
        (
            "roles --network unordered_duplicating --clients 1",
            (2_132, 20_142),
        ),
        ("roles --proposers 1 --learners 2", (196_122, 395_826)),
        (
            "roles --timers --max-ballots 2 --clients 1",
            (1_895_185, 9_094_407),
        ),
    ];
    assert_eq!(results, expected);
}

/// The liveness claims that prune, on the graph their check explores (the model under the
/// claim's assumption, cut at the goal and at the claim's bounds) with pruning off: every step
/// of the claim's wrappers is a step of the model. `learners-learn` and `runtime-clients` run
/// on `runtime`, so their graphs (16,044,398 and 13,661,390 edges, 90 s each) are parts of the
/// one `dead_messages_stay_dead_in_the_runtime_configuration` checks in full, and are not
/// walked again here.
#[test]
fn the_liveness_claims_keep_the_premise() {
    let mut results = Vec::new();
    for name in ["no-failure", "duelling-proposers", "impatient-timers"] {
        let c = claims::claim(name).unwrap();
        assert!(SingleModel::new(c.config.clone()).prunes_dead_messages());
        let c = Claim {
            config: SingleConfig {
                prune_dead: false,
                ..c.config.clone()
            },
            ..c
        };
        let m = SingleModel::new(c.config.clone());
        let mut followed = 0;
        let graph = for_each_claim_edge(&c, |s, a, t| followed += follow_dead(&m, s, a, t));
        results.push((name, (graph.edge_count(), followed)));
    }
    assert_eq!(
        results,
        [
            ("no-failure", (4_823_385, 18_109_761)),
            ("duelling-proposers", (685_162, 1_815_721)),
            ("impatient-timers", (149_320, 873_641)),
        ]
    );
    for name in ["learners-learn", "runtime-clients"] {
        assert_eq!(claims::claim(name).unwrap().config, named("runtime"));
    }
}

/// Which shipped models prune: exactly those whose premise this file checks. Crashes, seeded
/// bugs, retransmission and ordered networks turn pruning off.
#[test]
fn what_prunes_and_what_does_not() {
    let prunes = |cfg: &SingleConfig| SingleModel::new(cfg.clone()).prunes_dead_messages();
    let configs: Vec<&str> = CONFIG_NAMES
        .into_iter()
        .filter(|n| prunes(&named(n)))
        .collect();
    assert_eq!(configs, ["compat", "roles", "runtime", "runtime-roles"]);
    let claims: Vec<&str> = claims::claims()
        .into_iter()
        .filter(|c| prunes(&c.config))
        .map(|c| c.name)
        .collect();
    assert_eq!(
        claims,
        [
            "no-failure",
            "duelling-proposers",
            "impatient-timers",
            "learners-learn",
            "runtime-clients"
        ]
    );
    for (bug, _, _) in Bug::ALL {
        assert!(!prunes(&bugs::case(bug).config), "{}", bug.name());
    }
    for (name, cfg) in flag_cases() {
        assert!(prunes(&cfg), "{name}");
    }
    let ordered = SingleConfig {
        network: NetworkKind::Ordered,
        ..named("compat")
    };
    assert!(!prunes(&ordered));
}
