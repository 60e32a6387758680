//! The Paxos spec refines Lamport's *Voting* spec: every step of [`super::voting`] (the
//! message-level `Paxos` spec) is one step of the more abstract `Voting` spec, or leaves
//! Voting's variables unchanged.
//!
//! # Which part of the lecture
//!
//! In *"The Paxos Algorithm, or How to Win a Turing Award"* Lamport first writes `Voting`, an
//! algorithm with no messages at all: each acceptor has a set of votes and a ballot it has
//! promised not to go below, and a vote is allowed only when a quorum *shows* that the value is
//! safe. He proves that `Voting` chooses at most one value, and then writes `Paxos` and
//! asserts that it implements `Voting` under the refinement mapping `V == INSTANCE Voting`,
//! where an acceptor's votes are its 2b messages. That theorem is what transfers the safety
//! proof from `Voting` to `Paxos`. This module checks it, step by step, on the reachable
//! graph of the finite instance [`SpecConfig`] fixes; [`super::refinement`] does the next link
//! of the chain (the actor model refines `Paxos`).
//!
//! # The Voting spec, as written here
//!
//! Variables ([`VotingState`]): `votes[a]`, the set of `(ballot, value)` pairs acceptor `a`
//! voted for, and `maxBal[a]`, the ballot `a` promised (`-1` at first). The constants are the
//! ones of the Paxos instance: acceptors, values, ballots `0..=max_ballot`, and the majority
//! quorums ([`SpecModel::quorums`]).
//!
//! * `Init`: every `votes[a]` empty, every `maxBal[a] = -1`.
//! * `IncreaseMaxBal(a, b)`: guard `maxBal[a] < b`; effect `maxBal[a] := b`, votes unchanged.
//! * `VoteFor(a, b, v)`: guard
//!   1. `maxBal[a] =< b`;
//!   2. `a` has not voted in `b` (no `(b, _)` in `votes[a]`);
//!   3. every other acceptor's vote in `b` is for `v` (one value per ballot);
//!   4. some quorum `Q` has `ShowsSafeAt(Q, b, v)`: every member of `Q` has `maxBal >= b`, and
//!      for `c` the highest ballot below `b` in which a member of `Q` voted, some member voted
//!      for `v` in `c` (or no member voted below `b` at all). Written as Lamport writes it:
//!      some `c` in `-1..b` such that `c = -1` or a member voted `v` in `c`, and no member voted
//!      in a ballot strictly between `c` and `b`;
//!
//!   effect: `votes[a] := votes[a] ∪ {(b, v)}`, `maxBal[a] := b`.
//! * `Next`: some `IncreaseMaxBal(a, b)` or `VoteFor(a, b, v)` with `b` a ballot and `v` a value.
//!
//! Neither action can stutter (`IncreaseMaxBal` raises `maxBal`, `VoteFor` adds a vote `a` did
//! not have), and the difference between two states names the only action that could explain
//! it: a new vote `(b, v)` of `a` is `VoteFor(a, b, v)`, a changed `maxBal[a]` alone is
//! `IncreaseMaxBal(a, maxBal'[a])`. So [`Voting::explain_step`] checks one action's guard and
//! effect instead of enumerating Voting's successors. The definitions (`ShowsSafeAt` included)
//! are evaluated on Voting's own variables here, not borrowed from the Paxos module, so the
//! check does not lean on the code it checks.
//!
//! # The mapping and the claim
//!
//! [`voting_view`] is `V == INSTANCE Voting` of `Paxos.tla`:
//!
//! * `votes[a] = {(m.bal, m.val) : m ∈ msgs, m.type = "2b", m.acc = a}`;
//! * `maxBal[a]` is Paxos's `maxBal[a]`.
//!
//! [`check_voting_refinement`] explores every reachable state of the Paxos spec and checks
//!
//! 1. the initial state maps to Voting's `Init`, and
//! 2. for **every edge** `s -> t` (every enabled, non-stuttering Paxos action of every reachable
//!    state, including edges into states already seen): either `view(t) = view(s)` (a stutter:
//!    Phase1a and Phase2a only send messages Voting cannot see) or `view(s) -> view(t)` is one
//!    `IncreaseMaxBal` or `VoteFor` step whose guard holds in `view(s)` and whose effect is
//!    exactly `view(t)`.
//!
//! Paxos's own stuttering action instances (resending a 1a, re-voting an identical 2b) are not
//! offered by [`SpecModel`]'s `actions`; they change nothing, so their view is a stutter too.
//! Expected shape: Phase1b maps to `IncreaseMaxBal`, Phase2b to `VoteFor` (its guard 4 holds
//! because the 2a it answers was sent after a quorum's 1b messages, and guard 3 because a
//! ballot has one 2a), Phase1a and Phase2a to stutters. The check does not assume that shape:
//! it classifies each edge by its effect on the mapped state alone.
//!
//! # It has teeth
//!
//! [`SpecMutant`] names five deliberately broken Paxos steps, each refused by a different Voting
//! condition (`IncreaseMaxBal`'s guard, three conjuncts of `VoteFor`'s guard, `VoteFor`'s
//! effect);
//! [`check_mutant`] runs the same check on the mutated spec and must refuse it
//! (`paxos spec --refines-voting --mutant NAME`; `tests/voting_refinement.rs` pins each
//! refusal's trace and message).
//!
//! # How it runs
//!
//! One thread, depth first (the visited set holds 64-bit fingerprints, the stack few states),
//! stopping at the first violating edge. Then a second pass runs breadth first with parent
//! pointers and stops at its first violating edge, so the reported trace is a shortest one to a
//! violating edge; its counts are those of the breadth-first pass.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Instant;

use serde::Serialize;
use stateright::Model;

use super::voting::{SpecAction, SpecConfig, SpecModel, SpecMsg, SpecState, NO_BALLOT};
use crate::models::search::Search;
use crate::models::walk::{refused_trace, walk, EdgeCheck, Refused, Walked};

// ------------------------------------------------------------------------------------------
// The Voting spec

/// A state of Lamport's Voting spec (TLA+ variables `votes`, `maxBal`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct VotingState {
    /// `votes[a]`: every `(ballot, value)` acceptor `a` voted for.
    pub votes: Vec<BTreeSet<(i32, usize)>>,
    /// `maxBal[a]`: the ballot `a` promised, `-1` at first.
    pub max_bal: Vec<i32>,
}

/// One instance of a Voting action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VotingAction {
    /// `IncreaseMaxBal(a, b)`.
    IncreaseMaxBal(usize, i32),
    /// `VoteFor(a, b, v)`.
    VoteFor(usize, i32, usize),
}

impl fmt::Display for VotingAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            VotingAction::IncreaseMaxBal(a, b) => write!(f, "IncreaseMaxBal(A{a}, {b})"),
            VotingAction::VoteFor(a, b, v) => write!(f, "VoteFor(A{a}, {b}, {v})"),
        }
    }
}

/// The Voting spec for one set of constants.
#[derive(Clone, Debug)]
pub struct Voting {
    /// The constants (shared with the Paxos instance it abstracts).
    pub cfg: SpecConfig,
    quorums: Vec<Vec<usize>>,
}

impl Voting {
    /// Voting with the constants of `cfg` and its majority quorums.
    ///
    /// # Panics
    ///
    /// When [`SpecModel::new`] does (no acceptors or more than 64, no values, `max_ballot < 0`).
    pub fn new(cfg: SpecConfig) -> Voting {
        Voting {
            cfg,
            quorums: SpecModel::new(cfg).quorums().to_vec(),
        }
    }

    /// `Init`: no votes, every `maxBal = -1`.
    pub fn init_state(&self) -> VotingState {
        let n = self.cfg.acceptors;
        VotingState {
            votes: vec![BTreeSet::new(); n],
            max_bal: vec![NO_BALLOT; n],
        }
    }

    /// `VotedFor(a, b, v)`.
    pub fn voted_for(&self, s: &VotingState, a: usize, b: i32, v: usize) -> bool {
        s.votes[a].contains(&(b, v))
    }

    /// `DidNotVoteAt(a, b)`: no vote of `a` in ballot `b`, for any value.
    pub fn did_not_vote_at(&self, s: &VotingState, a: usize, b: i32) -> bool {
        s.votes[a].range((b, 0)..=(b, usize::MAX)).next().is_none()
    }

    /// `ShowsSafeAt(Q, b, v)`, literally: every member of `q` has `maxBal >= b`, and some `c`
    /// in `-1..b` has (`c = -1` or a member voted `v` in `c`) and no member voted in any
    /// ballot `d` with `c < d < b`.
    pub fn shows_safe_at(&self, s: &VotingState, q: &[usize], b: i32, v: usize) -> bool {
        q.iter().all(|&a| s.max_bal[a] >= b)
            && (NO_BALLOT..b).any(|c| {
                (c == NO_BALLOT || q.iter().any(|&a| self.voted_for(s, a, c, v)))
                    && (c + 1..b).all(|d| q.iter().all(|&a| self.did_not_vote_at(s, a, d)))
            })
    }

    /// `None` when `action`'s guard holds in `s` (with its witnesses in the constants' ranges);
    /// otherwise the first failing conjunct, in words.
    pub fn guard_failure(&self, s: &VotingState, action: &VotingAction) -> Option<String> {
        let max = self.cfg.max_ballot;
        let (a, b) = match *action {
            VotingAction::IncreaseMaxBal(a, b) | VotingAction::VoteFor(a, b, _) => (a, b),
        };
        if a >= self.cfg.acceptors {
            return Some(format!("A{a} is not an acceptor"));
        }
        let not_a_ballot = || format!("{b} is not a ballot (ballots are 0..={max})");
        match *action {
            VotingAction::IncreaseMaxBal(..) => {
                if s.max_bal[a] >= b {
                    return Some(format!(
                        "it needs maxBal[A{a}] < {b}, but maxBal[A{a}] = {}",
                        s.max_bal[a]
                    ));
                }
                if !(0..=max).contains(&b) {
                    return Some(not_a_ballot());
                }
                None
            }
            VotingAction::VoteFor(_, _, v) => {
                if !(0..=max).contains(&b) {
                    return Some(not_a_ballot());
                }
                if v >= self.cfg.values {
                    return Some(format!(
                        "{v} is not a value (values are 0..{})",
                        self.cfg.values
                    ));
                }
                if s.max_bal[a] > b {
                    return Some(format!(
                        "it needs maxBal[A{a}] =< {b}, but maxBal[A{a}] = {}",
                        s.max_bal[a]
                    ));
                }
                if let Some(&(_, w)) = s.votes[a].range((b, 0)..=(b, usize::MAX)).next() {
                    return Some(format!(
                        "A{a} already voted in ballot {b} (for {w}): an acceptor votes at most \
                         once per ballot"
                    ));
                }
                for c in (0..self.cfg.acceptors).filter(|&c| c != a) {
                    if let Some(&(_, w)) = s.votes[c]
                        .range((b, 0)..=(b, usize::MAX))
                        .find(|&&(_, w)| w != v)
                    {
                        return Some(format!(
                            "A{c} voted for {w} in ballot {b}: every vote in a ballot is for \
                             the same value"
                        ));
                    }
                }
                if self.quorums.iter().any(|q| self.shows_safe_at(s, q, b, v)) {
                    return None;
                }
                let why: Vec<String> = self
                    .quorums
                    .iter()
                    .map(|q| format!("{}: {}", names(q), self.why_not_safe(s, q, b, v)))
                    .collect();
                Some(format!(
                    "no quorum Q has ShowsSafeAt(Q, {b}, {v}): {}",
                    why.join("; ")
                ))
            }
        }
    }

    /// Why `ShowsSafeAt(q, b, v)` fails (it must fail).
    fn why_not_safe(&self, s: &VotingState, q: &[usize], b: i32, v: usize) -> String {
        if let Some(&a) = q.iter().find(|&&a| s.max_bal[a] < b) {
            return format!("maxBal[A{a}] = {} is below {b}", s.max_bal[a]);
        }
        // All members promised b: the only candidate c is the highest ballot below b in which
        // a member voted, and no member voted v there.
        let top = q
            .iter()
            .flat_map(|&a| s.votes[a].iter().map(move |&(c, w)| (c, w, a)))
            .filter(|&(c, _, _)| c < b)
            .max_by_key(|&(c, _, _)| c);
        match top {
            Some((c, _, _)) => {
                let voters: Vec<String> = q
                    .iter()
                    .flat_map(|&a| {
                        s.votes[a]
                            .iter()
                            .filter(move |&&(c2, _)| c2 == c)
                            .map(move |&(_, w)| format!("A{a} for {w}"))
                    })
                    .collect();
                format!(
                    "its latest vote below {b} is in ballot {c} ({}), not for {v}",
                    voters.join(", ")
                )
            }
            None => "ShowsSafeAt holds (cannot happen here)".into(),
        }
    }

    /// The successor of `s` under `action`, or `None` when the guard fails.
    pub fn step(&self, s: &VotingState, action: &VotingAction) -> Option<VotingState> {
        if self.guard_failure(s, action).is_some() {
            return None;
        }
        let mut t = s.clone();
        match *action {
            VotingAction::IncreaseMaxBal(a, b) => t.max_bal[a] = b,
            VotingAction::VoteFor(a, b, v) => {
                t.votes[a].insert((b, v));
                t.max_bal[a] = b;
            }
        }
        Some(t)
    }

    /// Classifies `from -> to`: `Ok(None)` for a stutter (equal states), `Ok(Some(action))`
    /// when it is the step of `action` (guard holds in `from`, effect is exactly `to`), and
    /// `Err(why)` when no Voting step explains it, naming the violated guard or effect.
    ///
    /// # Errors
    ///
    /// When `from -> to` is neither a stutter nor a Voting step.
    pub fn explain_step(
        &self,
        from: &VotingState,
        to: &VotingState,
    ) -> Result<Option<VotingAction>, String> {
        let n = self.cfg.acceptors;
        for (name, s) in [("before", from), ("after", to)] {
            if s.votes.len() != n || s.max_bal.len() != n {
                return Err(format!(
                    "the state {name} the step has {} vote sets and {} maxBal entries; \
                     there are {n} acceptors",
                    s.votes.len(),
                    s.max_bal.len()
                ));
            }
        }
        if from == to {
            return Ok(None);
        }
        let changed: Vec<usize> = (0..n)
            .filter(|&a| from.votes[a] != to.votes[a] || from.max_bal[a] != to.max_bal[a])
            .collect();
        if changed.len() > 1 {
            let who: Vec<String> = changed.iter().map(|a| format!("A{a}")).collect();
            return Err(format!(
                "acceptors {} changed in one step: a Voting step changes one acceptor",
                who.join(", ")
            ));
        }
        let a = changed[0];
        let lost: Vec<String> = from.votes[a]
            .difference(&to.votes[a])
            .map(|&(b, v)| format!("({b}, {v})"))
            .collect();
        if !lost.is_empty() {
            return Err(format!(
                "A{a} lost the vote(s) {}: no Voting action removes a vote",
                lost.join(", ")
            ));
        }
        let added: Vec<(i32, usize)> = to.votes[a].difference(&from.votes[a]).copied().collect();
        let action = match added[..] {
            [] => VotingAction::IncreaseMaxBal(a, to.max_bal[a]),
            [(b, v)] => VotingAction::VoteFor(a, b, v),
            _ => {
                return Err(format!(
                    "A{a} cast {} votes in one step: VoteFor adds one",
                    added.len()
                ))
            }
        };
        if let Some(why) = self.guard_failure(from, &action) {
            return Err(format!("{action} is not enabled: {why}"));
        }
        let expected = self.step(from, &action).expect("the guard holds");
        if expected != *to {
            return Err(format!(
                "{action} is enabled but its effect differs: it makes `{}`, the step made `{}`",
                voting_diff(from, &expected),
                voting_diff(from, to)
            ));
        }
        Ok(Some(action))
    }
}

fn names(q: &[usize]) -> String {
    let v: Vec<String> = q.iter().map(|a| format!("A{a}")).collect();
    format!("{{{}}}", v.join(", "))
}

/// The refinement mapping `V == INSTANCE Voting` of `Paxos.tla`: `votes[a]` is the set of
/// `(bal, val)` of `a`'s 2b messages, `maxBal` is Paxos's `maxBal`.
///
/// A 2b from an acceptor outside `0..max_bal.len()` gets vote sets appended up to its index,
/// so the mapped state has the wrong shape and [`Voting::explain_step`] refuses it instead of
/// the message being dropped.
pub fn voting_view(s: &SpecState) -> VotingState {
    let mut votes = vec![BTreeSet::new(); s.max_bal.len()];
    for m in &s.msgs {
        if let SpecMsg::P2b { acc, bal, val } = *m {
            if acc >= votes.len() {
                votes.resize(acc + 1, BTreeSet::new());
            }
            votes[acc].insert((bal, val));
        }
    }
    VotingState {
        votes,
        max_bal: s.max_bal.clone(),
    }
}

/// What changed from `from` to `to`, per acceptor: `A0: maxBal -1 -> 0, votes + (0, 1)`;
/// `no change` if nothing did.
pub fn voting_diff(from: &VotingState, to: &VotingState) -> String {
    let n = from.votes.len().max(to.votes.len());
    let empty = BTreeSet::new();
    let mut parts = Vec::new();
    for a in 0..n {
        let mut vars = Vec::new();
        let (mb, mb2) = (from.max_bal.get(a), to.max_bal.get(a));
        if mb != mb2 {
            let show = |m: Option<&i32>| m.map_or("missing".into(), |m| m.to_string());
            vars.push(format!("maxBal {} -> {}", show(mb), show(mb2)));
        }
        let (v, v2) = (
            from.votes.get(a).unwrap_or(&empty),
            to.votes.get(a).unwrap_or(&empty),
        );
        for &(b, w) in v2.difference(v) {
            vars.push(format!("votes + ({b}, {w})"));
        }
        for &(b, w) in v.difference(v2) {
            vars.push(format!("votes - ({b}, {w})"));
        }
        if !vars.is_empty() {
            parts.push(format!("A{a}: {}", vars.join(", ")));
        }
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}

/// A Voting state on one line: `votes [{}, {(0, 1)}, {}]; maxBal [0, 0, -1]`.
pub fn format_voting_state(s: &VotingState) -> String {
    let votes: Vec<String> = s
        .votes
        .iter()
        .map(|vs| {
            let v: Vec<String> = vs.iter().map(|(b, w)| format!("({b}, {w})")).collect();
            format!("{{{}}}", v.join(", "))
        })
        .collect();
    format!("votes [{}]; maxBal {:?}", votes.join(", "), s.max_bal)
}

/// A Paxos spec action with acceptors named as in traces: `Phase1a(0)`, `Phase1b(A0, 0)`,
/// `Phase2a(0, 1)`, `Phase2b(A0, 0, 1)`.
pub fn describe(action: &SpecAction) -> String {
    match *action {
        SpecAction::Phase1a(b) => format!("Phase1a({b})"),
        SpecAction::Phase1b(a, b) => format!("Phase1b(A{a}, {b})"),
        SpecAction::Phase2a(b, v) => format!("Phase2a({b}, {v})"),
        SpecAction::Phase2b(a, b, v) => format!("Phase2b(A{a}, {b}, {v})"),
    }
}

// ------------------------------------------------------------------------------------------
// Broken Paxos steps

/// A deliberately broken Paxos step, to show that the check refuses it. Each drops or changes
/// one part of one Paxos action; the docs of each say which Voting condition refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecMutant {
    /// Phase1b without `bal > maxBal[a]`: an acceptor promises a lower ballot, and `maxBal`
    /// goes down. Breaks `IncreaseMaxBal`'s `maxBal[a] < b`.
    PromiseLower,
    /// Phase2b without `bal >= maxBal[a]`: an acceptor votes below its promise. Breaks
    /// `VoteFor`'s `maxBal[a] =< b`.
    VoteBelowPromise,
    /// Phase2a without "no 2a for this ballot yet": a leader proposes a second value in its
    /// ballot. Breaks `VoteFor`'s "`a` has not voted in `b`" (an acceptor votes for both
    /// values; this is the shortest refusal) and "no other value is voted in `b`" (two
    /// acceptors vote for different values).
    ProposeTwice,
    /// Phase2a without the highest-reported-vote rule: once a quorum sent 1b for `b`, any
    /// value may be proposed. Breaks `VoteFor`'s `ShowsSafeAt`.
    ProposeAnyValue,
    /// Phase2b that records the vote but leaves `maxBal[a]` where it was. Breaks `VoteFor`'s
    /// effect `maxBal'[a] = b`.
    VoteKeepsMaxBal,
}

impl SpecMutant {
    /// Every mutant with its command-line name and a one-line description.
    pub const ALL: [(SpecMutant, &'static str, &'static str); 5] = [
        (
            SpecMutant::PromiseLower,
            "promise-lower",
            "Phase1b without bal > maxBal[a] (breaks IncreaseMaxBal's maxBal[a] < b)",
        ),
        (
            SpecMutant::VoteBelowPromise,
            "vote-below-promise",
            "Phase2b without bal >= maxBal[a] (breaks VoteFor's maxBal[a] =< b)",
        ),
        (
            SpecMutant::ProposeTwice,
            "propose-twice",
            "Phase2a without 'one 2a per ballot' (breaks VoteFor's one vote, one value per ballot)",
        ),
        (
            SpecMutant::ProposeAnyValue,
            "propose-any-value",
            "Phase2a ignoring the reported votes (breaks VoteFor's ShowsSafeAt)",
        ),
        (
            SpecMutant::VoteKeepsMaxBal,
            "vote-keeps-maxbal",
            "Phase2b not raising maxBal[a] (breaks VoteFor's effect maxBal' = b)",
        ),
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(m, _, _)| *m == self)
            .map(|(_, n, _)| *n)
            .expect("every mutant is listed")
    }

    /// The mutant called `name`.
    pub fn from_name(name: &str) -> Option<SpecMutant> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(m, _, _)| *m)
    }
}

/// The Paxos spec with one step broken by `mutant`; every other action is [`SpecModel`]'s.
#[derive(Clone, Debug)]
pub struct MutantSpec {
    /// The correct spec.
    pub spec: SpecModel,
    /// What is broken.
    pub mutant: SpecMutant,
}

impl MutantSpec {
    /// `Some(successor or None)` when the mutant replaces `action`, `None` when it does not.
    fn mutated(&self, s: &SpecState, action: &SpecAction) -> Option<Option<SpecState>> {
        let changed = |t: SpecState| (t != *s).then_some(t);
        match (self.mutant, action.clone()) {
            (SpecMutant::PromiseLower, SpecAction::Phase1b(a, b)) => {
                if !s.msgs.contains(&SpecMsg::P1a { bal: b }) {
                    return Some(None);
                }
                let mut t = s.clone();
                t.max_bal[a] = b;
                t.msgs.insert(SpecMsg::P1b {
                    acc: a,
                    bal: b,
                    mbal: s.max_vbal[a],
                    mval: s.max_val[a],
                });
                Some(changed(t))
            }
            (
                SpecMutant::VoteBelowPromise | SpecMutant::VoteKeepsMaxBal,
                SpecAction::Phase2b(a, b, v),
            ) => {
                let sent = s.msgs.contains(&SpecMsg::P2a { bal: b, val: v });
                let guard = match self.mutant {
                    SpecMutant::VoteBelowPromise => sent,
                    _ => sent && b >= s.max_bal[a],
                };
                if !guard {
                    return Some(None);
                }
                let mut t = s.clone();
                if self.mutant == SpecMutant::VoteBelowPromise {
                    t.max_bal[a] = b;
                }
                t.max_vbal[a] = b;
                t.max_val[a] = Some(v);
                t.msgs.insert(SpecMsg::P2b {
                    acc: a,
                    bal: b,
                    val: v,
                });
                Some(changed(t))
            }
            (SpecMutant::ProposeTwice, SpecAction::Phase2a(b, v)) => {
                // Enabled when it would be with this ballot's earlier 2a messages unsent.
                let mut u = s.clone();
                u.msgs
                    .retain(|m| !matches!(m, SpecMsg::P2a { bal, .. } if *bal == b));
                if !self.spec.is_enabled(&u, action) {
                    return Some(None);
                }
                let mut t = s.clone();
                t.msgs.insert(SpecMsg::P2a { bal: b, val: v });
                Some(changed(t))
            }
            (SpecMutant::ProposeAnyValue, SpecAction::Phase2a(b, v)) => {
                let proposed = s
                    .msgs
                    .iter()
                    .any(|m| matches!(m, SpecMsg::P2a { bal, .. } if *bal == b));
                let heard = |a: usize| {
                    s.msgs.iter().any(
                        |m| matches!(*m, SpecMsg::P1b { acc, bal, .. } if acc == a && bal == b),
                    )
                };
                let quorum = self
                    .spec
                    .quorums()
                    .iter()
                    .any(|q| q.iter().all(|&a| heard(a)));
                if proposed || !quorum {
                    return Some(None);
                }
                let mut t = s.clone();
                t.msgs.insert(SpecMsg::P2a { bal: b, val: v });
                Some(changed(t))
            }
            _ => None,
        }
    }
}

impl Model for MutantSpec {
    type State = SpecState;
    type Action = SpecAction;

    fn init_states(&self) -> Vec<SpecState> {
        self.spec.init_states()
    }

    fn actions(&self, s: &SpecState, actions: &mut Vec<SpecAction>) {
        for a in self.spec.all_actions() {
            if self.next_state(s, a.clone()).is_some() {
                actions.push(a);
            }
        }
    }

    fn next_state(&self, s: &SpecState, action: SpecAction) -> Option<SpecState> {
        match self.mutated(s, &action) {
            Some(t) => t,
            None => self.spec.next_state(s, action),
        }
    }
}

// ------------------------------------------------------------------------------------------
// The check

/// The outcome of [`check_voting_refinement`].
#[derive(Clone, Debug, Serialize)]
pub struct VotingRefinementReport {
    /// The constants.
    pub config: SpecConfig,
    /// Distinct Paxos spec states explored, the initial state included.
    pub states: usize,
    /// Edges checked: every enabled, non-stuttering action of every explored state, including
    /// edges into states seen before.
    pub edges: usize,
    /// Edges that map to one Voting step (`increase_max_bal + vote_for`).
    pub voting_steps: usize,
    /// Of those, `IncreaseMaxBal` steps.
    pub increase_max_bal: usize,
    /// Of those, `VoteFor` steps.
    pub vote_for: usize,
    /// Edges whose two ends map to the same Voting state.
    pub stutters: usize,
    /// Wall-clock time of the whole check, in seconds.
    pub seconds: f64,
    /// The first violating edge found (with a shortest trace to it), if any.
    pub violation: Option<VotingViolation>,
}

impl VotingRefinementReport {
    /// Whether every checked edge was a Voting step or a stutter.
    pub fn refines(&self) -> bool {
        self.violation.is_none()
    }
}

/// A Paxos step (or initial state) that maps to no Voting step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VotingViolation {
    /// Numbered Paxos steps from the initial state through the offending one (its last line),
    /// `1. Phase1a(0)`. Empty when the initial state does not map to `Init`.
    pub trace: Vec<String>,
    /// The offending Paxos step ([`describe`]), or `init`.
    pub step: String,
    /// The violated Voting condition, e.g. `VoteFor(A0, 0, 0) is not enabled: it needs
    /// maxBal[A0] =< 0, but maxBal[A0] = 1`.
    pub reason: String,
    /// What the step changed in the Voting state ([`voting_diff`]).
    pub diff: String,
    /// The Voting state before the step ([`format_voting_state`]).
    pub before: String,
    /// The Voting state after the step.
    pub after: String,
}

impl VotingViolation {
    /// One line naming the step and the violated condition:
    /// `step 8, Phase2b(A0, 0, 0), maps to no Voting step: VoteFor(...) is not enabled: ...`.
    pub fn message(&self) -> String {
        if self.trace.is_empty() {
            format!(
                "the initial state does not map to Voting's Init: {}",
                self.reason
            )
        } else {
            format!(
                "step {}, {}, maps to no Voting step: {}",
                self.trace.len(),
                self.step,
                self.reason
            )
        }
    }
}

/// Checks that the Paxos spec with constants `cfg` refines Voting (see the module docs).
pub fn check_voting_refinement(cfg: SpecConfig) -> VotingRefinementReport {
    check_model(cfg, &SpecModel::new(cfg))
}

/// The same check on the Paxos spec broken by `mutant`.
pub fn check_mutant(cfg: SpecConfig, mutant: SpecMutant) -> VotingRefinementReport {
    let model = MutantSpec {
        spec: SpecModel::new(cfg),
        mutant,
    };
    check_model(cfg, &model)
}

/// The check on any model over Paxos spec states (the spec, or a broken one).
pub fn check_model<M>(cfg: SpecConfig, model: &M) -> VotingRefinementReport
where
    M: Model<State = SpecState, Action = SpecAction>,
{
    let start = Instant::now();
    let voting = Voting::new(cfg);
    let init = voting.init_state();
    let mut report = VotingRefinementReport {
        config: cfg,
        states: 0,
        edges: 0,
        voting_steps: 0,
        increase_max_bal: 0,
        vote_for: 0,
        stutters: 0,
        seconds: 0.0,
        violation: None,
    };
    for s in model.init_states() {
        let view = voting_view(&s);
        if view != init {
            report.violation = Some(VotingViolation {
                trace: Vec::new(),
                step: "init".into(),
                reason: format!(
                    "it maps to `{}`, Init is `{}`",
                    format_voting_state(&view),
                    format_voting_state(&init)
                ),
                diff: voting_diff(&init, &view),
                before: format_voting_state(&init),
                after: format_voting_state(&view),
            });
            report.seconds = start.elapsed().as_secs_f64();
            return report;
        }
    }
    let mut counts = StepCounts {
        voting: &voting,
        stutters: 0,
        increase_max_bal: 0,
        vote_for: 0,
    };
    let mut pass = walk(model, Search::Dfs, false, &mut counts);
    if pass.refused.is_some() {
        counts.reset();
        pass = walk(model, Search::Bfs, true, &mut counts);
    }
    report.states = pass.states;
    report.edges = pass.edges;
    report.increase_max_bal = counts.increase_max_bal;
    report.vote_for = counts.vote_for;
    report.voting_steps = counts.increase_max_bal + counts.vote_for;
    report.stutters = counts.stutters;
    report.violation = pass.refused.as_ref().map(|r| violation(model, &pass, r));
    report.seconds = start.elapsed().as_secs_f64();
    report
}

/// A refused edge: why, and the Voting states before and after it.
struct Found {
    reason: String,
    from: VotingState,
    to: VotingState,
}

/// The edge check: every spec step is a Voting step or a stutter, counted by kind. A state's
/// payload is its Voting view.
struct StepCounts<'a> {
    voting: &'a Voting,
    stutters: usize,
    increase_max_bal: usize,
    vote_for: usize,
}

impl StepCounts<'_> {
    fn reset(&mut self) {
        self.stutters = 0;
        self.increase_max_bal = 0;
        self.vote_for = 0;
    }
}

impl<M: Model<State = SpecState, Action = SpecAction>> EdgeCheck<M> for StepCounts<'_> {
    type Payload = VotingState;
    type Refusal = Found;

    fn initial(&mut self, state: &SpecState) -> VotingState {
        voting_view(state)
    }

    fn edge(
        &mut self,
        _source: &SpecState,
        view: &VotingState,
        _action: &SpecAction,
        target: &SpecState,
    ) -> Result<Option<VotingState>, Found> {
        let t_view = voting_view(target);
        match self.voting.explain_step(view, &t_view) {
            Ok(None) => self.stutters += 1,
            Ok(Some(VotingAction::IncreaseMaxBal(..))) => self.increase_max_bal += 1,
            Ok(Some(VotingAction::VoteFor(..))) => self.vote_for += 1,
            Err(reason) => {
                return Err(Found {
                    reason,
                    from: view.clone(),
                    to: t_view,
                })
            }
        }
        Ok(Some(t_view))
    }
}

/// The report of `refused`, with the trace replayed from the breadth-first walk's parents.
fn violation<M>(model: &M, pass: &Walked<M, Found>, refused: &Refused<M, Found>) -> VotingViolation
where
    M: Model<State = SpecState, Action = SpecAction>,
{
    let (trace, step) = refused_trace(model, pass, refused, describe);
    let found = &refused.refusal;
    VotingViolation {
        trace,
        step,
        reason: found.reason.clone(),
        diff: voting_diff(&found.from, &found.to),
        before: format_voting_state(&found.from),
        after: format_voting_state(&found.to),
    }
}
