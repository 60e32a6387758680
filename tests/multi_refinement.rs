//! The per-slot refinement check of Multi-Paxos (`paxos::specs::multi_refinement`): every
//! shipped configuration refines Lamport's Voting spec at every slot; two seeded bugs break it
//! at the edge that does the harm, with the Voting guard that fails; a bug above the voting
//! level does not; and forged edges (an entry nobody sent, a promise lost in a crash, a vote
//! past the slot bound) are refused with the reason.
//!
//! Measured on the 2-core development machine (`cargo test --release --test
//! multi_refinement`), one thread per check: `leader-change` about 13 s, `two-ops` 11 s,
//! `crash` 4 s, the rest under 2 s each.

use paxos::ballot::Ballot;
use paxos::models::multi::{bugs, MultiConfig, MultiModel, MultiModelState};
use paxos::multi::{Bug, Entry, MultiState};
use paxos::specs::multi_refinement::{
    catalogue, check_multi_refinement, check_multi_refinement_within, explain_edge, slot_view,
    MultiRefinementReport, MultiRefinementViolation,
};
use paxos::specs::voting_refinement::VotingAction;
use stateright::Model;

fn named(name: &str) -> MultiConfig {
    MultiConfig::named(name).unwrap()
}

/// `(states, edges, stutters, steps, increase_max_bal, vote_for)` of a check that refines.
fn refines(cfg: &MultiConfig) -> (usize, usize, usize, usize, usize, usize) {
    let r: MultiRefinementReport = check_multi_refinement(cfg).unwrap();
    assert_eq!(r.violation, None);
    (
        r.states,
        r.edges,
        r.stutters,
        r.steps,
        r.increase_max_bal,
        r.vote_for,
    )
}

fn violation(bug: Bug) -> MultiRefinementViolation {
    check_multi_refinement(&bugs::case(bug).config)
        .unwrap()
        .violation
        .unwrap_or_else(|| panic!("{} refines Voting", bug.name()))
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// The correct protocol refines Voting at every slot. The state counts are the model checker's
// (tests/multi_model.rs): the walk sees the same graph.

#[test]
fn basic_lossy_duplicating_and_crash_refine_voting() {
    assert_eq!(
        refines(&named("basic")),
        (4_919, 23_488, 16_220, 7_268, 1_854, 6_766)
    );
    assert_eq!(
        refines(&named("lossy")),
        (11_693, 60_118, 52_740, 7_378, 7_196, 4_871)
    );
    assert_eq!(
        refines(&named("duplicating")),
        (15_024, 192_291, 171_504, 20_787, 23_678, 12_817)
    );
    assert_eq!(
        refines(&named("crash")),
        (149_098, 481_235, 417_172, 64_063, 24_496, 55_579)
    );
}

#[test]
fn two_ops_refines_voting_at_three_slots_with_batches() {
    let cfg = named("two-ops");
    assert_eq!(catalogue(&cfg).len(), 13);
    assert_eq!(
        refines(&cfg),
        (114_287, 723_460, 488_580, 234_880, 32_421, 230_986)
    );
}

#[test]
fn leader_change_refines_voting() {
    assert_eq!(
        refines(&named("leader-change")),
        (206_247, 1_285_428, 969_766, 315_662, 203_319, 240_899)
    );
}

// ---------------------------------------------------------------------------------------------
// Seeded bugs: caught at the edge that does the harm, earlier than agreement catches them.

#[test]
fn skip_recovery_votes_an_entry_no_quorum_shows_safe() {
    let v = violation(Bug::SkipRecovery);
    assert_eq!(
        v.trace,
        lines(&[
            "1. R0 -> R1 Prepare(1.0, from 0)",
            "2. R1 -> R0 Promise(1.0, from 0)",
            "3. C0 -> R0 Request(C0#1 put k=1)",
            "4. R1 timeout election",
            "5. R1 -> R0 Prepare(1.1, from 0)",
            "6. R0 -> R1 Promise(1.1, from 0, 0: C0#1 put k=1@1.0)",
            "7. C1 timeout client-retry",
            "8. C1 -> R1 Request(C1#1 put k=2)",
        ])
    );
    assert_eq!(v.slot, 0);
    assert_eq!(
        v.reason,
        "VoteFor(A1, 1, 2) is not enabled: no quorum Q has ShowsSafeAt(Q, 1, 2): {A0, A1}: its \
         latest vote below 1 is in ballot 0 (A0 for 1), not for 2; {A0, A2}: maxBal[A2] = -1 \
         is below 1; {A1, A2}: maxBal[A2] = -1 is below 1"
    );
    assert_eq!(v.diff, "A1: votes + (1, 2)");
    assert_eq!(v.before, "votes [{(0, 1)}, {}, {}]; maxBal [1, 1, -1]");
    assert_eq!(
        v.values,
        lines(&[
            "1 = C0#1 put k=1",
            "2 = C1#1 put k=2",
            "ballots: 0 = 1.0, 1 = 1.1, 2 = 1.2"
        ])
    );
    assert_eq!(
        v.message(),
        format!(
            "step 8 (C1 -> R1 Request(C1#1 put k=2)), slot 0: {}",
            v.reason
        )
    );
}

#[test]
fn accept_below_promise_votes_under_a_promise() {
    let v = violation(Bug::AcceptBelowPromise);
    assert_eq!(
        v.trace,
        lines(&[
            "1. R0 -> R1 Prepare(1.0, from 0)",
            "2. R1 -> R0 Promise(1.0, from 0)",
            "3. C0 -> R0 Request(C0#1 put k=1)",
            "4. R1 timeout election",
            "5. R0 -> R1 Accept(1.0, 0: C0#1 put k=1)",
        ])
    );
    assert_eq!(
        v.reason,
        "VoteFor(A1, 0, 1) is not enabled: it needs maxBal[A1] =< 0, but maxBal[A1] = 1"
    );
    assert_eq!(v.diff, "A1: votes + (0, 1)");
}

/// The leader counts a vote its acceptor never cast: no acceptor's votes or promise break a
/// Voting rule, so the refinement holds; `applied-is-chosen` catches the bug
/// (tests/multi_model.rs). The unpruned model (a seeded bug turns pruning off).
#[test]
fn commit_before_persist_is_above_the_voting_level() {
    let cfg = bugs::case(Bug::CommitBeforePersist).config;
    assert_eq!(
        refines(&cfg),
        (15_576, 65_370, 48_988, 16_382, 1_854, 15_880)
    );
}

// ---------------------------------------------------------------------------------------------
// The mapping

#[test]
fn the_catalogue_is_the_noop_and_every_batch_of_the_workload() {
    let got: Vec<String> = catalogue(&named("basic"))
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        got,
        lines(&[
            "no-op",
            "C0#1 put k=1",
            "C1#1 put k=2",
            "C0#1 put k=1; C0#1 put k=1",
            "C0#1 put k=1; C1#1 put k=2",
            "C1#1 put k=2; C0#1 put k=1",
            "C1#1 put k=2; C1#1 put k=2",
        ])
    );
}

/// The first initial state of `basic`: R0 has promised 1.0 (it prepares when it starts).
fn start() -> (MultiConfig, MultiModelState) {
    let cfg = named("basic");
    let s = MultiModel::new(cfg.clone()).init_states().remove(0);
    (cfg, s)
}

#[test]
fn the_initial_state_maps_to_one_promise() {
    let (cfg, s) = start();
    let v = slot_view(&cfg, &s, 1).unwrap();
    assert_eq!(v.max_bal, vec![0, -1, -1]);
    assert!(v.votes.iter().all(|vs| vs.is_empty()));
    assert_eq!(slot_view(&cfg, &s, 2), None);
}

#[test]
fn a_vote_for_an_entry_nobody_sent_is_refused() {
    let (cfg, s) = start();
    let forged = Entry::batch(vec![paxos::multi::Cmd {
        client: 7,
        seq: 1,
        op: paxos::multi::Op::Delete("k".into()),
    }]);
    let mut t = s.clone();
    t.history.votes.insert((0, Ballot::new(1, 0), forged, 0));
    assert_eq!(
        explain_edge(&cfg, &s, &t),
        Err((
            Some(0),
            format!(
                "VoteFor(A0, 0, {}) is not enabled: {} is not a value (values are 0..7)",
                usize::MAX,
                usize::MAX
            )
        ))
    );
    // The same vote for a catalogued entry passes the value check; with only R0's promise it
    // still has no quorum of promises behind it.
    let mut t = s.clone();
    let e = catalogue(&cfg)[1].clone();
    t.history.votes.insert((0, Ballot::new(1, 0), e.clone(), 0));
    let Err((Some(0), reason)) = explain_edge(&cfg, &s, &t) else {
        panic!("a vote without a quorum of promises refines Voting");
    };
    assert!(
        reason
            .starts_with("VoteFor(A0, 0, 1) is not enabled: no quorum Q has ShowsSafeAt(Q, 0, 1)"),
        "{reason}"
    );
    // Once R1 has promised ballot 1.0 too, {A0, A1} is a quorum and the vote is a Voting step.
    let mut s = s;
    let MultiState::Replica(r1) = std::sync::Arc::make_mut(&mut s.actor_states[1]) else {
        panic!("actor 1 is a replica");
    };
    r1.acceptor.promised = Some(Ballot::new(1, 0));
    let mut t = s.clone();
    t.history.votes.insert((0, Ballot::new(1, 0), e, 0));
    assert_eq!(
        explain_edge(&cfg, &s, &t),
        Ok(vec![Some(VotingAction::VoteFor(0, 0, 1)), None])
    );
}

#[test]
fn a_promise_lost_in_a_crash_is_refused() {
    let (cfg, s) = start();
    let mut t = s.clone();
    t.crashed[0] = true;
    assert_eq!(
        t.actor_storages[0].as_ref().and_then(|r| r.promised),
        Some(Ballot::new(1, 0))
    );
    // Crashed with its record: it recovers its promise, a stutter.
    assert_eq!(explain_edge(&cfg, &s, &t), Ok(vec![None, None]));
    // Crashed without a record: maxBal falls, which no Voting action does.
    t.actor_storages[0] = None;
    assert_eq!(
        explain_edge(&cfg, &s, &t),
        Err((
            Some(0),
            "IncreaseMaxBal(A0, -1) is not enabled: it needs maxBal[A0] < -1, but maxBal[A0] = 0"
                .into()
        ))
    );
}

#[test]
fn a_vote_past_the_slot_bound_is_refused() {
    let (cfg, s) = start();
    let mut t = s.clone();
    let e = catalogue(&cfg)[1].clone();
    t.history.votes.insert((2, Ballot::new(1, 0), e, 0));
    assert_eq!(
        explain_edge(&cfg, &s, &t),
        Err((
            Some(2),
            "a vote at slot 2 or beyond, outside the model's slots 0..2".into()
        ))
    );
}

/// Every seeded bug's verdict within the first 300,000 edges of its bug configuration (most
/// of those are larger than a test can walk whole): the two that let a slot's votes break
/// Voting are refused, at the step pinned above; the others harm what Voting does not see
/// (what is applied, answered or proposed again, or progress) and refine it as far as walked
/// (`commit-before-persist`'s configuration is walked whole).
#[test]
fn every_seeded_bug_has_a_pinned_refinement_verdict() {
    let got: Vec<(&str, Result<Option<usize>, usize>)> = bugs::BUGS
        .iter()
        .map(|&(bug, _)| {
            let cfg = bugs::case(bug).config;
            let r = check_multi_refinement_within(&cfg, Some(300_000)).unwrap();
            let verdict = match r.violation {
                Some(v) => Err(v.trace.len()),
                None => Ok(r.stopped_at.is_none().then_some(r.states)),
            };
            (bug.name(), verdict)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("skip-recovery", Err(8)),
            ("apply-uncommitted", Ok(None)),
            ("no-dedup", Ok(None)),
            ("stale-leader-read", Ok(None)),
            ("gap-skip", Ok(None)),
            ("commit-before-persist", Ok(Some(15_576))),
            ("accept-below-promise", Err(5)),
        ]
    );
}
