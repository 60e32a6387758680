//! Removing dead messages from the network is sound.
//!
//! stateright offers no step for a delivery that changes nothing (the recipient's state stays
//! the same and it sends, saves and schedules nothing), so such a message can only sit in the
//! network. If it stays a no-op for as long as it is there, removing it yields a state with
//! exactly the same steps and the same property values (no property reads the network), and
//! the model prunes it (`SingleModel::prunes_dead_messages`). This file checks the premise on
//! every edge of the *unpruned* models: a message that is a no-op before a step and still in
//! the network after it is still a no-op. It also checks that pruning changes no verdict.

use paxos::models::liveness::for_each_edge;
use paxos::models::single::{NetworkKind, SingleConfig, SingleModel};
use stateright::{Checker, Model};

/// Checks the premise on every edge of the unpruned model of `cfg`; returns (edges, dead
/// messages followed across an edge).
fn dead_stays_dead(cfg: SingleConfig) -> (usize, usize) {
    let m = SingleModel::new(SingleConfig {
        prune_dead: false,
        ..cfg
    });
    assert!(!m.prunes_dead_messages());
    let mut followed = 0;
    let graph = for_each_edge(&m, |s, a, t| {
        for e in s.network.iter_deliverable() {
            if !SingleModel::is_prunable(e.msg) || !m.is_no_op_delivery(s, &e) {
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
    });
    (graph.edge_count(), followed)
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

/// Pruning changes counts, never verdicts: every property has the same status with and
/// without it.
#[test]
fn pruning_changes_no_verdict() {
    for (cfg, counts) in [
        (named("compat"), (2_720, 51_397)),
        (
            SingleConfig {
                clients: 3,
                ..named("compat")
            },
            (67_240, 8_077_185),
        ),
    ] {
        let verdicts = |prune: bool| {
            let m = SingleModel::new(SingleConfig {
                prune_dead: prune,
                ..cfg.clone()
            });
            let c = m.clone().checker().threads(2).spawn_dfs().join();
            let v: Vec<(&str, bool)> = m
                .properties()
                .iter()
                .map(|p| (p.name, c.discovery(p.name).is_some()))
                .collect();
            (v, c.unique_state_count())
        };
        let (pruned, n_pruned) = verdicts(true);
        let (full, n_full) = verdicts(false);
        assert_eq!(pruned, full);
        assert_eq!((n_pruned, n_full), counts);
    }
}
