//! The Paxos spec refines Lamport's Voting spec (`paxos::specs::voting_refinement`,
//! `paxos spec --refines-voting`): pinned counts for `max_ballot` 0, 1 and 2 (3 acceptors,
//! 2 values), an independent walk that agrees with them, every broken Paxos step refused with
//! its exact trace and message, and each Voting condition refused on hand-made states.

use std::collections::{BTreeSet, HashSet, VecDeque};

use paxos::specs::voting::{SpecAction, SpecConfig, SpecModel, SpecMsg, SpecState, NO_BALLOT};
use paxos::specs::voting_refinement::{
    check_model, check_mutant, check_voting_refinement, voting_view, SpecMutant, Voting,
    VotingAction, VotingRefinementReport, VotingState,
};
use stateright::{Checker, Model};

fn cfg(max_ballot: i32) -> SpecConfig {
    SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot,
    }
}

/// `(states, edges, voting steps, IncreaseMaxBal, VoteFor, stutters)`.
fn counts(r: &VotingRefinementReport) -> (usize, usize, usize, usize, usize, usize) {
    (
        r.states,
        r.edges,
        r.voting_steps,
        r.increase_max_bal,
        r.vote_for,
        r.stutters,
    )
}

fn holds(max_ballot: i32) -> VotingRefinementReport {
    let r = check_voting_refinement(cfg(max_ballot));
    assert_eq!(r.violation, None);
    assert_eq!(r.voting_steps, r.increase_max_bal + r.vote_for);
    assert_eq!(r.voting_steps + r.stutters, r.edges);
    r
}

// ---------------------------------------------------------------------------------------------
// The spec refines Voting.

#[test]
fn max_ballot_0_refines_voting() {
    assert_eq!(counts(&holds(0)), (73, 141, 132, 36, 96, 9));
}

#[test]
fn max_ballot_1_refines_voting() {
    let r = holds(1);
    assert_eq!(counts(&r), (3_921, 9_442, 8_304, 2_448, 5_856, 1_138));
    // stateright counts one generated state per initial state and per successor of every
    // state: the same edges.
    let c = SpecModel::new(cfg(1)).checker().spawn_bfs().join();
    assert_eq!(c.unique_state_count(), r.states);
    assert_eq!(c.state_count(), r.edges + 1);
}

#[test]
fn max_ballot_2_refines_voting() {
    let r = holds(2);
    assert_eq!(
        counts(&r),
        (185_369, 491_535, 406_260, 125_556, 280_704, 85_275)
    );
}

/// A walk of its own (breadth first over `SpecModel`'s successors) maps every edge and
/// classifies it by the Paxos action: Phase1b edges are exactly the IncreaseMaxBal steps,
/// Phase2b edges the VoteFor steps, Phase1a and Phase2a edges the stutters. The checker does
/// not look at Paxos actions at all, so this is the expected shape found independently.
#[test]
fn an_independent_walk_agrees_by_paxos_action() {
    for max_ballot in [0, 1] {
        let model = SpecModel::new(cfg(max_ballot));
        let voting = Voting::new(cfg(max_ballot));
        let init = model.init_state();
        assert_eq!(voting_view(&init), voting.init_state());
        let mut seen: HashSet<SpecState> = HashSet::from([init.clone()]);
        let mut queue = VecDeque::from([init]);
        let (mut p1a, mut p1b, mut p2a, mut p2b) = (0, 0, 0, 0);
        let mut actions = Vec::new();
        while let Some(s) = queue.pop_front() {
            model.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let t = model.next_state(&s, a.clone()).unwrap();
                let step = voting.explain_step(&voting_view(&s), &voting_view(&t));
                match a {
                    SpecAction::Phase1a(_) => {
                        p1a += 1;
                        assert_eq!(step, Ok(None));
                    }
                    SpecAction::Phase2a(..) => {
                        p2a += 1;
                        assert_eq!(step, Ok(None));
                    }
                    SpecAction::Phase1b(acc, b) => {
                        p1b += 1;
                        assert_eq!(step, Ok(Some(VotingAction::IncreaseMaxBal(acc, b))));
                    }
                    SpecAction::Phase2b(acc, b, v) => {
                        p2b += 1;
                        assert_eq!(step, Ok(Some(VotingAction::VoteFor(acc, b, v))));
                    }
                }
                if seen.insert(t.clone()) {
                    queue.push_back(t);
                }
            }
        }
        let r = holds(max_ballot);
        assert_eq!(
            (seen.len(), p1a + p1b + p2a + p2b, p1b, p2b, p1a + p2a),
            (
                r.states,
                r.edges,
                r.increase_max_bal,
                r.vote_for,
                r.stutters
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Broken Paxos steps are refused, each at a named step with the violated Voting condition.

fn refused(mutant: SpecMutant) -> (Vec<String>, String) {
    let r = check_mutant(cfg(1), mutant);
    let v = r
        .violation
        .unwrap_or_else(|| panic!("{} refines Voting", mutant.name()));
    assert_eq!(v.step, v.trace.last().unwrap().split_once(". ").unwrap().1);
    (v.trace.clone(), v.message())
}

#[test]
fn promise_lower_is_refused() {
    let (trace, msg) = refused(SpecMutant::PromiseLower);
    assert_eq!(
        trace,
        [
            "1. Phase1a(0)",
            "2. Phase1a(1)",
            "3. Phase1b(A0, 1)",
            "4. Phase1b(A0, 0)"
        ]
    );
    assert_eq!(
        msg,
        "step 4, Phase1b(A0, 0), maps to no Voting step: IncreaseMaxBal(A0, 0) is not \
         enabled: it needs maxBal[A0] < 0, but maxBal[A0] = 1"
    );
}

#[test]
fn vote_below_promise_is_refused() {
    let (trace, msg) = refused(SpecMutant::VoteBelowPromise);
    assert_eq!(
        trace,
        [
            "1. Phase1a(0)",
            "2. Phase1a(1)",
            "3. Phase1b(A0, 0)",
            "4. Phase1b(A0, 1)",
            "5. Phase1b(A1, 0)",
            "6. Phase2a(0, 0)",
            "7. Phase2b(A0, 0, 0)",
        ]
    );
    assert_eq!(
        msg,
        "step 7, Phase2b(A0, 0, 0), maps to no Voting step: VoteFor(A0, 0, 0) is not \
         enabled: it needs maxBal[A0] =< 0, but maxBal[A0] = 1"
    );
}

#[test]
fn propose_twice_is_refused() {
    let (trace, msg) = refused(SpecMutant::ProposeTwice);
    assert_eq!(
        trace,
        [
            "1. Phase1a(0)",
            "2. Phase1b(A0, 0)",
            "3. Phase1b(A1, 0)",
            "4. Phase2a(0, 0)",
            "5. Phase2a(0, 1)",
            "6. Phase2b(A0, 0, 0)",
            "7. Phase2b(A0, 0, 1)",
        ]
    );
    assert_eq!(
        msg,
        "step 7, Phase2b(A0, 0, 1), maps to no Voting step: VoteFor(A0, 0, 1) is not \
         enabled: A0 already voted in ballot 0 (for 0): an acceptor votes at most once per \
         ballot"
    );
}

#[test]
fn propose_any_value_is_refused() {
    let r = check_mutant(cfg(1), SpecMutant::ProposeAnyValue);
    let v = r.violation.clone().expect("refused");
    assert_eq!(
        v.trace,
        [
            "1. Phase1a(0)",
            "2. Phase1a(1)",
            "3. Phase1b(A0, 0)",
            "4. Phase1b(A0, 1)",
            "5. Phase1b(A1, 0)",
            "6. Phase2a(0, 0)",
            "7. Phase2b(A1, 0, 0)",
            "8. Phase1b(A1, 1)",
            "9. Phase2a(1, 1)",
            "10. Phase2b(A0, 1, 1)",
        ]
    );
    assert_eq!(
        v.message(),
        "step 10, Phase2b(A0, 1, 1), maps to no Voting step: VoteFor(A0, 1, 1) is not \
         enabled: no quorum Q has ShowsSafeAt(Q, 1, 1): {A0, A1}: its latest vote below 1 is \
         in ballot 0 (A1 for 0), not for 1; {A0, A2}: maxBal[A2] = -1 is below 1; {A1, A2}: \
         maxBal[A2] = -1 is below 1"
    );
    assert_eq!(v.before, "votes [{}, {(0, 0)}, {}]; maxBal [1, 1, -1]");
    assert_eq!(v.diff, "A0: votes + (1, 1)");
    assert_eq!(v.after, "votes [{(1, 1)}, {(0, 0)}, {}]; maxBal [1, 1, -1]");
    // The counts are those of the breadth-first pass up to the violation.
    assert_eq!(counts(&r), (1_374, 3_088, 2_455, 1_179, 1_276, 632));
}

#[test]
fn vote_keeps_maxbal_is_refused() {
    let (trace, msg) = refused(SpecMutant::VoteKeepsMaxBal);
    assert_eq!(
        trace,
        [
            "1. Phase1a(0)",
            "2. Phase1b(A0, 0)",
            "3. Phase1b(A1, 0)",
            "4. Phase2a(0, 0)",
            "5. Phase2b(A2, 0, 0)",
        ]
    );
    assert_eq!(
        msg,
        "step 5, Phase2b(A2, 0, 0), maps to no Voting step: VoteFor(A2, 0, 0) is enabled but \
         its effect differs: it makes `A2: maxBal -1 -> 0, votes + (0, 0)`, the step made \
         `A2: votes + (0, 0)`"
    );
}

#[test]
fn mutant_names_round_trip() {
    for (m, name, _) in SpecMutant::ALL {
        assert_eq!(m.name(), name);
        assert_eq!(SpecMutant::from_name(name), Some(m));
    }
    assert_eq!(SpecMutant::from_name("nope"), None);
}

/// A Paxos model whose initial state already holds a vote.
struct VotedAtStart(SpecModel);

impl Model for VotedAtStart {
    type State = SpecState;
    type Action = SpecAction;
    fn init_states(&self) -> Vec<SpecState> {
        let mut s = self.0.init_state();
        s.msgs.insert(SpecMsg::P2b {
            acc: 0,
            bal: 0,
            val: 1,
        });
        vec![s]
    }
    fn actions(&self, s: &SpecState, actions: &mut Vec<SpecAction>) {
        self.0.actions(s, actions);
    }
    fn next_state(&self, s: &SpecState, a: SpecAction) -> Option<SpecState> {
        self.0.next_state(s, a)
    }
}

#[test]
fn an_initial_state_with_a_vote_is_refused() {
    let r = check_model(cfg(1), &VotedAtStart(SpecModel::new(cfg(1))));
    let v = r.violation.expect("refused");
    assert_eq!(v.step, "init");
    assert!(v.trace.is_empty());
    assert_eq!(
        v.message(),
        "the initial state does not map to Voting's Init: it maps to `votes [{(0, 1)}, {}, \
         {}]; maxBal [-1, -1, -1]`, Init is `votes [{}, {}, {}]; maxBal [-1, -1, -1]`"
    );
    assert_eq!((r.states, r.edges), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// Each Voting condition on hand-made states.

fn voting() -> Voting {
    Voting::new(cfg(1))
}

fn vs(votes: [&[(i32, usize)]; 3], max_bal: [i32; 3]) -> VotingState {
    VotingState {
        votes: votes
            .iter()
            .map(|v| v.iter().copied().collect::<BTreeSet<_>>())
            .collect(),
        max_bal: max_bal.to_vec(),
    }
}

const NB: i32 = NO_BALLOT;

#[test]
fn legitimate_steps_and_stutters() {
    let v = voting();
    let init = v.init_state();
    assert_eq!(v.explain_step(&init, &init), Ok(None));
    let promised = vs([&[], &[], &[]], [0, NB, NB]);
    assert_eq!(
        v.explain_step(&init, &promised),
        Ok(Some(VotingAction::IncreaseMaxBal(0, 0)))
    );
    // A0 and A1 promised 0, nobody voted: any value is safe at 0 ({A0, A1} shows it).
    let two = vs([&[], &[], &[]], [0, 0, NB]);
    let voted = vs([&[(0, 1)], &[], &[]], [0, 0, NB]);
    assert_eq!(
        v.explain_step(&two, &voted),
        Ok(Some(VotingAction::VoteFor(0, 0, 1)))
    );
    // A2 votes in 0 without a promise of its own: VoteFor raises its maxBal.
    let third = vs([&[(0, 1)], &[], &[(0, 1)]], [0, 0, 0]);
    assert_eq!(
        v.explain_step(&voted, &third),
        Ok(Some(VotingAction::VoteFor(2, 0, 1)))
    );
}

#[test]
fn voting_conditions_are_named() {
    let v = voting();
    let err = |from: &VotingState, to: &VotingState| v.explain_step(from, to).unwrap_err();

    // IncreaseMaxBal: not above maxBal.
    let a = vs([&[], &[], &[]], [1, NB, NB]);
    let b = vs([&[], &[], &[]], [0, NB, NB]);
    assert_eq!(
        err(&a, &b),
        "IncreaseMaxBal(A0, 0) is not enabled: it needs maxBal[A0] < 0, but maxBal[A0] = 1"
    );
    // IncreaseMaxBal: not a ballot.
    let c = vs([&[], &[], &[]], [2, NB, NB]);
    assert_eq!(
        err(&a, &c),
        "IncreaseMaxBal(A0, 2) is not enabled: 2 is not a ballot (ballots are 0..=1)"
    );
    // VoteFor: one value per ballot, across acceptors.
    let d = vs([&[(0, 0)], &[], &[]], [0, 0, NB]);
    let e = vs([&[(0, 0)], &[(0, 1)], &[]], [0, 0, NB]);
    assert_eq!(
        err(&d, &e),
        "VoteFor(A1, 0, 1) is not enabled: A0 voted for 0 in ballot 0: every vote in a ballot \
         is for the same value"
    );
    // VoteFor: a value outside the constants.
    let f = vs([&[(0, 0)], &[(0, 7)], &[]], [0, 0, NB]);
    assert_eq!(
        err(&d, &f),
        "VoteFor(A1, 0, 7) is not enabled: 7 is not a value (values are 0..2)"
    );
    // VoteFor: only A0 promised the ballot, no quorum did.
    let g = vs([&[(0, 0)], &[], &[]], [0, NB, NB]);
    assert_eq!(
        err(&b, &g),
        "VoteFor(A0, 0, 0) is not enabled: no quorum Q has ShowsSafeAt(Q, 0, 0): {A0, A1}: \
         maxBal[A1] = -1 is below 0; {A0, A2}: maxBal[A2] = -1 is below 0; {A1, A2}: \
         maxBal[A1] = -1 is below 0"
    );
    // Two acceptors at once, a lost vote, two votes at once.
    let h = vs([&[], &[], &[]], [0, 0, NB]);
    assert_eq!(
        err(&v.init_state(), &h),
        "acceptors A0, A1 changed in one step: a Voting step changes one acceptor"
    );
    assert_eq!(
        err(&d, &h),
        "A0 lost the vote(s) (0, 0): no Voting action removes a vote"
    );
    let i = vs([&[(0, 0), (1, 0)], &[], &[]], [1, 0, NB]);
    assert_eq!(err(&h, &i), "A0 cast 2 votes in one step: VoteFor adds one");
    // A state of the wrong shape.
    let mut j = h.clone();
    j.votes.push(BTreeSet::new());
    assert_eq!(
        err(&h, &j),
        "the state after the step has 4 vote sets and 3 maxBal entries; there are 3 acceptors"
    );
}

#[test]
fn shows_safe_at_follows_the_latest_vote_below_the_ballot() {
    let v = voting();
    // Ballot 1 with {A0, A1} promised: A1 voted 0 in ballot 0, so only 0 is shown safe.
    let s = vs([&[], &[(0, 0)], &[]], [1, 1, NB]);
    assert!(v.shows_safe_at(&s, &[0, 1], 1, 0));
    assert!(!v.shows_safe_at(&s, &[0, 1], 1, 1));
    assert!(!v.shows_safe_at(&s, &[1, 2], 1, 0), "A2 did not promise 1");
    // Ballot 0: nothing below it, so every value is safe once a quorum promised.
    assert!(v.shows_safe_at(&s, &[0, 1], 0, 1));
}

#[test]
fn the_mapping_keeps_maxbal_and_reads_votes_from_2b_messages() {
    let s = SpecState {
        max_bal: vec![1, 0, NB],
        max_vbal: vec![0, 0, NB],
        max_val: vec![Some(1), Some(1), None],
        msgs: [
            SpecMsg::P1a { bal: 0 },
            SpecMsg::P2a { bal: 0, val: 1 },
            SpecMsg::P2b {
                acc: 0,
                bal: 0,
                val: 1,
            },
            SpecMsg::P2b {
                acc: 1,
                bal: 0,
                val: 1,
            },
        ]
        .into_iter()
        .collect(),
    };
    assert_eq!(voting_view(&s), vs([&[(0, 1)], &[(0, 1)], &[]], [1, 0, NB]));
}
