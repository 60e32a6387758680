//! Tests of the voting-level Paxos spec (`paxos::specs::voting`).
//!
//! The pinned numbers come from TLC on Lamport's `Paxos.tla` (tlaplus/Examples,
//! `PaxosHowToWinATuringAward/MCPaxosTiny.cfg`: 3 acceptors, 2 values, ballots 0..1, no
//! symmetry): 3,921 distinct states, 23,563 states generated, depth 17.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use paxos::specs::voting::*;
use stateright::{Checker, Model};

fn tiny() -> SpecModel {
    SpecModel::new(SpecConfig::default())
}

/// Breadth-first exploration by hand: the reachable states in BFS order, and each state's
/// depth (the initial state has depth 1, as in TLC and stateright).
fn explore(model: &SpecModel) -> (Vec<SpecState>, HashMap<SpecState, usize>) {
    let init = model.init_state();
    let mut order = vec![init.clone()];
    let mut depth = HashMap::from([(init.clone(), 1)]);
    let mut queue = VecDeque::from([init]);
    while let Some(s) = queue.pop_front() {
        let d = depth[&s];
        for t in model.next_states(&s) {
            if !depth.contains_key(&t) {
                depth.insert(t.clone(), d + 1);
                order.push(t.clone());
                queue.push_back(t);
            }
        }
    }
    (order, depth)
}

/// Every TLA+ successor of `s`, stuttering ones included, by trying every action instance.
fn all_successors(model: &SpecModel, s: &SpecState) -> HashSet<SpecState> {
    model
        .all_actions()
        .iter()
        .filter_map(|a| model.step(s, a))
        .collect()
}

#[test]
fn tlc_tiny_model_state_count_and_depth() {
    let checker = tiny().checker().spawn_bfs().join();
    assert_eq!(checker.unique_state_count(), 3_921);
    // TLC reports depth 17 for this model; stateright's BFS (one thread, so it is a true
    // BFS) counts the same way, with the initial state at depth 1.
    assert_eq!(checker.max_depth(), 17);
    checker.assert_properties();
    let path = checker.assert_any_discovery(VALUE_CHOSEN);
    let last = path.last_state();
    assert_eq!(tiny().chosen(last).len(), 1);
    assert!(tiny().violated_invariants(last).is_empty());
}

#[test]
fn own_bfs_agrees_and_every_reachable_state_satisfies_every_invariant() {
    let model = tiny();
    let (order, depth) = explore(&model);
    assert_eq!(order.len(), 3_921);
    assert_eq!(depth.values().max(), Some(&17));
    for s in &order {
        assert_eq!(model.violated_invariants(s), Vec::<&str>::new(), "{s:?}");
    }
    assert!(order.iter().any(|s| !model.chosen(s).is_empty()));
}

/// The next instance up (ballots 0..=2), as `paxos spec --max-ballot 2` checks it: 2 threads,
/// depth first, every property.
#[test]
fn max_ballot_2_state_count() {
    let model = SpecModel::new(SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot: 2,
    });
    let checker = model.checker().threads(2).spawn_dfs().join();
    assert_eq!(checker.unique_state_count(), 185_369);
    // One generated state per initial state and per successor of every state.
    assert_eq!(checker.state_count(), 491_536);
    checker.assert_properties();
}

/// TLC's "states generated" counts the initial states plus, for each distinct state, one
/// successor per way of satisfying `Next`: one per existential witness (`\E b`, `\E v`,
/// `\E a`, `\E m \in msgs`, `\E Q \in Quorum`, and the `\E m \in Q1bv` inside `Phase2a`),
/// stutters and already-seen states included. Recomputing it checks that our actions have
/// the same witnesses as the TLA+ ones, not only the same successor states. (Counting one
/// successor per quorum only, ignoring the `\E m \in Q1bv` witnesses, gives 23,467, so
/// the number really does pin TLC's enumeration.)
#[test]
fn tlc_generated_count() {
    let model = tiny();
    let (order, _) = explore(&model);
    let mut generated = 1; // the initial state
    for s in &order {
        for b in model.ballots() {
            generated += 1; // Phase1a(b), enabled always
            let proposed = s
                .msgs
                .iter()
                .any(|m| matches!(m, SpecMsg::P2a { bal, .. } if *bal == b));
            if proposed {
                continue;
            }
            for v in 0..model.cfg.values {
                for q in model.quorums() {
                    let q1b: Vec<(usize, i32, Option<usize>)> = s
                        .msgs
                        .iter()
                        .filter_map(|m| match *m {
                            SpecMsg::P1b {
                                acc,
                                bal,
                                mbal,
                                mval,
                            } if bal == b && q.contains(&acc) => Some((acc, mbal, mval)),
                            _ => None,
                        })
                        .collect();
                    if !q.iter().all(|a| q1b.iter().any(|m| m.0 == *a)) {
                        continue;
                    }
                    let q1bv: Vec<_> = q1b.iter().filter(|m| m.1 >= 0).collect();
                    if q1bv.is_empty() {
                        generated += 1;
                    } else {
                        let top = q1bv.iter().map(|m| m.1).max().unwrap();
                        generated += q1bv.iter().filter(|m| m.2 == Some(v) && m.1 == top).count();
                    }
                }
            }
        }
        for a in 0..model.cfg.acceptors {
            for m in &s.msgs {
                match *m {
                    SpecMsg::P1a { bal } if bal > s.max_bal[a] => generated += 1,
                    SpecMsg::P2a { bal, .. } if bal >= s.max_bal[a] => generated += 1,
                    _ => {}
                }
            }
        }
    }
    assert_eq!(generated, 23_563);
}

#[test]
fn actions_match_every_enabled_tla_action() {
    // `actions` + `next_state` must give exactly the TLA+ successors minus the stutters.
    let model = tiny();
    let (order, _) = explore(&model);
    for s in &order {
        let ours: HashSet<SpecState> = model.next_states(s).into_iter().collect();
        let mut tla = all_successors(&model, s);
        tla.remove(s);
        assert_eq!(ours, tla, "{s:?}");
    }
}

#[test]
fn is_next_step_agrees_with_enumeration_on_the_whole_graph() {
    let model = tiny();
    let (order, _) = explore(&model);
    let succ: HashMap<&SpecState, HashSet<SpecState>> = order
        .iter()
        .map(|s| (s, all_successors(&model, s)))
        .collect();
    let mut checked = 0usize;
    let mut positives = 0usize;
    for (i, s) in order.iter().enumerate() {
        let mut candidates: HashSet<&SpecState> = HashSet::new();
        candidates.insert(s);
        for t in &succ[s] {
            // Every edge, stutters included.
            candidates.insert(succ.get_key_value(t).unwrap().0);
            // Two steps away: never a single step (messages only grow, each step adds at
            // most one), unless some path stutters; the oracle decides either way.
            for u in &succ[t] {
                candidates.insert(succ.get_key_value(u).unwrap().0);
            }
        }
        // A few unrelated states, including ones that are not supersets.
        for k in [1, 7, 101, 997] {
            candidates.insert(&order[(i * k + 13) % order.len()]);
        }
        for t in candidates {
            let expected = succ[s].contains(t);
            assert_eq!(model.is_next_step(s, t), expected, "from {s:?}\nto {t:?}");
            checked += 1;
            positives += expected as usize;
        }
    }
    eprintln!("checked {checked} pairs, {positives} of them steps");
    assert!(checked > 40_000, "checked only {checked} pairs");
    assert!(positives > 10_000, "only {positives} positive pairs");
}

/// `is_next_step` must not assume that `from` is reachable: check it against enumeration
/// from unreachable states, made by deleting one message from a reachable state or by
/// resetting one acceptor's `max_bal`.
#[test]
fn is_next_step_agrees_with_enumeration_from_unreachable_states() {
    let model = tiny();
    let (order, depth) = explore(&model);
    let mut unreachable = 0usize;
    for s in &order {
        let mut mutants = Vec::new();
        for m in &s.msgs {
            let mut t = s.clone();
            t.msgs.remove(m);
            mutants.push(t);
        }
        for a in 0..model.cfg.acceptors {
            let mut t = s.clone();
            t.max_bal[a] = NO_BALLOT;
            mutants.push(t);
        }
        let from_s = all_successors(&model, s);
        for from in mutants {
            unreachable += !depth.contains_key(&from) as usize;
            let succ = all_successors(&model, &from);
            for to in succ.iter().chain(&from_s).chain([s, &from]) {
                assert_eq!(
                    model.is_next_step(&from, to),
                    succ.contains(to),
                    "from {from:?}\nto {to:?}"
                );
            }
        }
    }
    assert!(
        unreachable > 10_000,
        "only {unreachable} unreachable states"
    );
}

// ------------------------------------------------------------------ hand-built states

fn state(
    max_bal: [i32; 3],
    max_vbal: [i32; 3],
    max_val: [Option<usize>; 3],
    msgs: &[SpecMsg],
) -> SpecState {
    SpecState {
        max_bal: max_bal.to_vec(),
        max_vbal: max_vbal.to_vec(),
        max_val: max_val.to_vec(),
        msgs: msgs.iter().cloned().collect(),
    }
}

fn p1a(bal: i32) -> SpecMsg {
    SpecMsg::P1a { bal }
}
fn p1b(acc: usize, bal: i32, mbal: i32, mval: Option<usize>) -> SpecMsg {
    SpecMsg::P1b {
        acc,
        bal,
        mbal,
        mval,
    }
}
fn p2a(bal: i32, val: usize) -> SpecMsg {
    SpecMsg::P2a { bal, val }
}
fn p2b(acc: usize, bal: i32, val: usize) -> SpecMsg {
    SpecMsg::P2b { acc, bal, val }
}

const NB: i32 = NO_BALLOT;

/// `v` chosen in ballot 0 by acceptors 0 and 1, the way the algorithm does it.
fn chosen_in_ballot_0(v: usize) -> SpecState {
    state(
        [0, 0, -1],
        [0, 0, NB],
        [Some(v), Some(v), None],
        &[
            p1a(0),
            p1b(0, 0, NB, None),
            p1b(1, 0, NB, None),
            p2a(0, v),
            p2b(0, 0, v),
            p2b(1, 0, v),
        ],
    )
}

fn assert_violates(s: &SpecState, name: &str) {
    let violated = tiny().violated_invariants(s);
    assert!(
        violated.contains(&name),
        "expected {name} to fail, got {violated:?} on {s:?}"
    );
}

#[test]
fn names_and_properties() {
    let model = tiny();
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    let mut expected = INVARIANT_NAMES.to_vec();
    expected.push(VALUE_CHOSEN);
    assert_eq!(names, expected);
    assert_eq!(model.quorums(), &[vec![0, 1], vec![0, 2], vec![1, 2]][..]);
    let five = SpecModel::new(SpecConfig {
        acceptors: 5,
        values: 1,
        max_ballot: 0,
    });
    assert_eq!(five.quorums().len(), 10);
    assert!(five.quorums().iter().all(|q| q.len() == 3));
}

#[test]
fn a_legitimately_chosen_value_violates_nothing() {
    let model = tiny();
    let s = chosen_in_ballot_0(1);
    assert_eq!(model.chosen(&s), vec![1]);
    assert!(model.violated_invariants(&s).is_empty());
    assert!(model.violated_invariants(&model.init_state()).is_empty());
}

#[test]
fn consistency_can_fail() {
    let s = state(
        [1, 1, 1],
        [0, 1, 1],
        [Some(0), Some(1), Some(1)],
        &[p2b(0, 0, 0), p2b(1, 0, 0), p2b(1, 1, 1), p2b(2, 1, 1)],
    );
    assert_eq!(tiny().chosen(&s), vec![0, 1]);
    assert_violates(&s, CONSISTENCY);
}

#[test]
fn type_ok_can_fail() {
    let mut s = tiny().init_state();
    s.max_bal[0] = 2; // above max_ballot
    assert_eq!(tiny().violated_invariants(&s), vec![TYPE_OK]);
    let mut s = tiny().init_state();
    s.msgs.insert(p1b(0, 0, NB, Some(1))); // a vote value without a vote ballot
    assert_violates(&s, TYPE_OK);
    let mut s = tiny().init_state();
    s.max_val.pop(); // wrong shape: reported, and nothing else is evaluated
    assert_eq!(tiny().violated_invariants(&s), vec![TYPE_OK]);
}

#[test]
fn maxbal_ge_maxvbal_can_fail() {
    let mut s = chosen_in_ballot_0(0);
    s.max_bal[0] = NB;
    assert_violates(&s, INV_MAXBAL_GE_MAXVBAL);
}

#[test]
fn vote_in_msgs_can_fail() {
    // Acceptor 0 records a vote it never sent.
    let s = state([0, -1, -1], [0, NB, NB], [Some(1), None, None], &[p1a(0)]);
    assert_eq!(tiny().violated_invariants(&s), vec![INV_VOTE_IN_MSGS]);
    // A value with no ballot.
    let s = state([0, -1, -1], [NB, NB, NB], [Some(1), None, None], &[]);
    assert_violates(&s, INV_VOTE_IN_MSGS);
}

#[test]
fn msgs_justified_can_fail_for_each_message_kind() {
    // 1b whose promise is no longer kept.
    let s = state([NB; 3], [NB; 3], [None; 3], &[p1a(0), p1b(0, 0, NB, None)]);
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // 1b reporting a vote that was never cast.
    let s = state(
        [1, -1, -1],
        [NB; 3],
        [None; 3],
        &[p1a(1), p1b(0, 1, 0, Some(0))],
    );
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // 1b hiding a vote: acceptor 0 voted in ballot 0 but reports no vote for ballot 1.
    let mut s = chosen_in_ballot_0(0);
    s.msgs.insert(p1a(1));
    s.msgs.insert(p1b(0, 1, NB, None));
    s.max_bal[0] = 1;
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // 2a with no quorum of promises behind it.
    let s = state([NB; 3], [NB; 3], [None; 3], &[p2a(0, 0)]);
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // Two 2a messages for one ballot.
    let mut s = chosen_in_ballot_0(0);
    s.msgs.insert(p2a(0, 1));
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // 2b without a 2a.
    let mut s = chosen_in_ballot_0(0);
    s.msgs.remove(&p2a(0, 0));
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
    // 2b above the voter's recorded latest vote.
    let mut s = chosen_in_ballot_0(0);
    s.msgs.insert(p2b(2, 0, 0));
    assert_eq!(tiny().violated_invariants(&s), vec![INV_MSGS_JUSTIFIED]);
}

#[test]
fn one_value_per_ballot_can_fail() {
    let s = state(
        [0, 0, -1],
        [0, 0, NB],
        [Some(0), Some(1), None],
        &[p2b(0, 0, 0), p2b(1, 0, 1)],
    );
    assert_violates(&s, INV_ONE_VALUE_PER_BALLOT);
}

#[test]
fn votes_safe_can_fail() {
    // A vote in ballot 1 while ballot 0 is still open for any value: acceptors 1 and 2 have
    // promised nothing, so another value may still be chosen in ballot 0.
    let s = state(
        [1, -1, -1],
        [1, NB, NB],
        [Some(1), None, None],
        &[p2a(1, 1), p2b(0, 1, 1)],
    );
    assert!(!tiny().safe_at(&s, 1, 1));
    assert!(tiny().safe_at(&s, 0, 1));
    assert_violates(&s, INV_VOTES_SAFE);
}

#[test]
fn is_next_step_by_hand() {
    let model = tiny();
    let init = model.init_state();
    let mut one = init.clone();
    one.msgs.insert(p1a(0));
    assert!(model.is_next_step(&init, &one));
    assert!(
        !model.is_next_step(&one, &init),
        "messages are never removed"
    );
    // Resending the 1a is a stuttering step of Next; the initial state has none.
    assert!(model.is_next_step(&one, &one));
    assert!(!model.is_next_step(&init, &init));
    // Two messages at once.
    let mut two = one.clone();
    two.msgs.insert(p1a(1));
    assert!(!model.is_next_step(&init, &two));
    assert!(model.is_next_step(&one, &two));
    // A 1b must carry the acceptor's vote and raise its max_bal.
    let mut promised = two.clone();
    promised.max_bal[2] = 1;
    promised.msgs.insert(p1b(2, 1, NB, None));
    assert!(model.is_next_step(&two, &promised));
    let mut lying = promised.clone();
    lying.msgs.remove(&p1b(2, 1, NB, None));
    lying.msgs.insert(p1b(2, 1, 0, Some(0)));
    assert!(!model.is_next_step(&two, &lying));
    let mut no_raise = promised.clone();
    no_raise.max_bal[2] = NB;
    assert!(!model.is_next_step(&two, &no_raise));

    // A 2b with b < max_bal is not a step, a 2b with b >= max_bal is.
    let mut s = chosen_in_ballot_0(0);
    s.max_bal[2] = 1;
    s.msgs.insert(p1a(1));
    s.msgs.insert(p1b(2, 1, NB, None));
    let mut late_vote = s.clone();
    late_vote.max_bal[2] = 0;
    late_vote.max_vbal[2] = 0;
    late_vote.max_val[2] = Some(0);
    late_vote.msgs.insert(p2b(2, 0, 0));
    assert!(!model.is_next_step(&s, &late_vote));
    let mut s2 = chosen_in_ballot_0(0);
    let mut vote = s2.clone();
    vote.max_bal[2] = 0;
    vote.max_vbal[2] = 0;
    vote.max_val[2] = Some(0);
    vote.msgs.insert(p2b(2, 0, 0));
    assert!(model.is_next_step(&s2, &vote));
    // Two acceptors changing at once.
    s2.max_bal[1] = NB;
    assert!(!model.is_next_step(&s2, &vote));

    // `from` need not be reachable: here a 2a exists with no promises behind it, and an
    // acceptor may still vote on it.
    let odd = state([NB; 3], [NB; 3], [None; 3], &[p2a(1, 1)]);
    let mut voted = odd.clone();
    voted.max_bal[0] = 1;
    voted.max_vbal[0] = 1;
    voted.max_val[0] = Some(1);
    voted.msgs.insert(p2b(0, 1, 1));
    assert!(model.is_next_step(&odd, &voted));
    // ... and a Phase1b whose 1b message was (oddly) already in msgs adds no message.
    let odd = state([NB; 3], [NB; 3], [None; 3], &[p1a(0), p1b(0, 0, NB, None)]);
    let mut promised = odd.clone();
    promised.max_bal[0] = 0;
    assert!(model.is_next_step(&odd, &promised));
    assert_eq!(
        all_successors(&model, &odd).contains(&promised),
        model.is_next_step(&odd, &promised)
    );
}

#[test]
fn a_phase2a_needs_the_highest_reported_vote() {
    // Ballot 0: value 0 chosen by acceptors 0 and 1. Ballot 1: acceptors 1 and 2 promise;
    // acceptor 1 reports its ballot-0 vote, so only value 0 may be proposed.
    let model = tiny();
    let mut s = chosen_in_ballot_0(0);
    s.msgs.insert(p1a(1));
    s.msgs.insert(p1b(1, 1, 0, Some(0)));
    s.msgs.insert(p1b(2, 1, NB, None));
    s.max_bal[1] = 1;
    s.max_bal[2] = 1;
    assert!(model.violated_invariants(&s).is_empty());
    assert!(model.is_enabled(&s, &SpecAction::Phase2a(1, 0)));
    assert!(!model.is_enabled(&s, &SpecAction::Phase2a(1, 1)));
}

/// Measures bigger instances. Run with
/// `SPEC_MAX_BALLOT=2 cargo test --release --test spec -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure() {
    let max_ballot: i32 = std::env::var("SPEC_MAX_BALLOT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let threads: usize = std::env::var("SPEC_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let model = SpecModel::new(SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot,
    });
    let start = Instant::now();
    let checker = model.checker().threads(threads).spawn_bfs().join();
    let elapsed = start.elapsed();
    println!(
        "max_ballot={max_ballot} threads={threads}: {} unique states, {} generated, max depth {}, {:.2?}",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        elapsed
    );
    checker.assert_properties();
}
