//! The proposer: drives a ballot through the two phases.
//!
//! "Paxos Made Simple", section 2.2, the two phases from the proposer's side:
//!
//! 1. **Phase 1.** Pick a ballot `b` higher than any round it has used or seen, send
//!    `Prepare(b)` to the acceptors, and collect `Promise(b, last_vote)` from a majority.
//! 2. **Phase 2.** Propose the value of the highest-ballot vote reported in those promises, or,
//!    when none of them reported a vote, the client's value; send `Accept(b, v)`. Adopting the
//!    reported value is what lets a new proposer *finish* a value that a failed proposer left
//!    half-accepted, instead of contradicting a value that may already be chosen.
//! 3. With `Accepted(b, v)` from a majority, `v` is chosen: answer every waiting client with
//!    `Decided(v)`, which may not be the value that client proposed, and, acting as the
//!    distinguished learner, tell the configured learners `Chosen(b, v)`.
//!
//! A retry timer (and, when `eager_retry` is set, a `Nack`) restarts phase 1 with a higher
//! ballot. The highest round used is durable, so a restarted proposer never reuses a ballot.
//! Rounds are bounded by `max_round` so that models stay finite.
//!
//! # Retransmission
//!
//! A new ballot is the cure for being refused, not for a lost message: on a lossy network a
//! proposer that opens a higher ballot on every timeout needs, in one ballot, a whole majority of
//! round trips to survive, and loss can defeat every one of its ballots. With `retransmit`, a
//! proposer whose timer fires while its ballot was not refused (no `Nack` for it arrived) sends
//! the current phase's message again, at the same ballot, to the acceptors that have not
//! answered yet, and the acceptors answer a retransmission again
//! ([`Acceptor::repromise`](super::acceptor::Acceptor::repromise),
//! [`Acceptor::reaccept`](super::acceptor::Acceptor::reaccept)). A message sent again and again
//! is then eventually delivered on a fair-lossy link, which is what the liveness claim
//! `leader-progress` (`models/claims.rs`) relies on. Only a refusal opens a higher ballot. Safety
//! is untouched: a retransmission repeats a message of the same ballot with the same value.
//!
//! # Learners catch up
//!
//! A learner that learns from `Chosen` only (the distinguished-learner arrangement) depends on
//! one message per decision: if it was down or the message was lost, nothing would ever tell it
//! again. With `catch_up`, a decided proposer announces `Chosen` once more to every learner it
//! informs whenever a client asks it for a decision (`Propose`) or asks its node's learner
//! (`Query`, which the merged node hands to every role). So a client that asks around (as
//! `paxos learn` and `paxos propose` do) makes every reachable learner learn. Announcing a
//! chosen value again is safe: it is the same value, and a learner that knows ignores it.
//!
//! # A leader prepares ahead
//!
//! Phase 1 does not depend on the value: `Prepare(b)` carries none, and the promises only tell
//! the proposer which value it must adopt, if any. So a proposer configured as the *leader*
//! (`lead`; the distinguished proposer of section 2.4) runs phase 1 as soon as it starts, before
//! any client asks, the way a Multi-Paxos leader prepares all instances ahead (section 3). With
//! a majority of promises and no value yet it waits in [`Phase::Prepared`], its retry timer
//! cancelled (nothing is stuck: it is waiting for a client, not for acceptors). A client's
//! `Propose` then starts phase 2 at once: one round trip to the acceptors and one durable vote
//! on the way to the decision instead of two of each. Safety is unchanged: the value proposed
//! in phase 2 is chosen from the promises exactly as before, only later. A leader that restarts
//! prepares again with a new ballot (its round is durable).

use super::msg::{quorum, AcceptorSet, Bug, Msg, Storage, Timer, Value};
use super::{Out1, Role, SingleActor};
use crate::ballot::Ballot;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

/// Most clients a proposer remembers while it works on a decision (so that its state stays
/// bounded whatever the number of clients asking at once).
pub const MAX_WAITING_CLIENTS: usize = 64;

/// Configuration of a proposer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proposer {
    /// This proposer's index, the tie-breaking half of its ballots.
    pub index: u32,
    /// The acceptors.
    pub acceptors: Vec<Id>,
    /// Retry timer range; `None` disables retries.
    pub retry: Option<Range<Duration>>,
    /// Restart immediately when an acceptor answers `Nack` (the "eager" proposer that can duel).
    pub eager_retry: bool,
    /// No ballot above this round is started (keeps models finite; `u32::MAX` at run time).
    pub max_round: u32,
    /// Learners this proposer informs with `Chosen` once it saw a quorum of `Accepted`: the
    /// "distinguished learner" of "Paxos Made Simple" section 2.3 (empty when acceptors
    /// notify learners directly).
    pub notify: Vec<Id>,
    /// Whether this proposer is the leader that runs phase 1 at start, before any client asks
    /// (see the module docs).
    pub lead: bool,
    /// Whether a decided proposer announces `Chosen` to `notify` again whenever a client asks
    /// it (`Propose`) or its node (`Query`): the learners' catch-up (see the module docs).
    pub catch_up: bool,
    /// Whether a timeout without a refusal retransmits the current phase at the same ballot
    /// instead of starting a higher one (see the module docs). Needs `Nack`s to learn of a
    /// refusal.
    pub retransmit: bool,
    /// Seeded bug (`Bug::None` outside models and tests).
    pub bug: Bug,
}

/// Where the proposer is in the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    /// Nothing to do.
    Idle,
    /// Phase 1 of `ballot`: promises collected so far, and the highest vote they reported.
    Preparing {
        /// The ballot being prepared.
        ballot: Ballot,
        /// Acceptors that promised.
        promises: AcceptorSet,
        /// The vote to adopt (highest ballot among the reported votes).
        adopt: Option<(Ballot, Value)>,
    },
    /// Phase 1 of `ballot` is complete (a majority promised) but no client asked for a value
    /// yet: the leader waits here (see the module docs).
    Prepared {
        /// The prepared ballot.
        ballot: Ballot,
        /// The vote to adopt (highest ballot among the reported votes).
        adopt: Option<(Ballot, Value)>,
    },
    /// Phase 2 of `ballot` with `value`: acceptors that voted.
    Accepting {
        /// The ballot.
        ballot: Ballot,
        /// The value proposed in it.
        value: Value,
        /// Acceptors that accepted.
        accepted: AcceptorSet,
    },
    /// `value` is chosen.
    Decided(Value),
}

/// Proposer state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProposerState {
    /// Highest round used or seen in a `Nack` (the used part is durable).
    pub round: u32,
    /// The value a client asked this proposer to get chosen.
    pub value: Option<Value>,
    /// Protocol phase.
    pub phase: Phase,
    /// Clients waiting for the decision.
    pub clients: BTreeSet<Id>,
    /// With `retransmit`: an acceptor refused the current ballot (a `Nack` for it arrived), so
    /// the next timeout starts a higher ballot instead of retransmitting. Always false without
    /// `retransmit`.
    pub refused: bool,
}

impl Proposer {
    fn ballot(&self, round: u32) -> Ballot {
        let proposer = if self.bug == Bug::SharedBallots {
            0
        } else {
            self.index
        };
        Ballot::new(round, proposer)
    }

    fn current_ballot(state: &ProposerState) -> Option<Ballot> {
        match state.phase {
            Phase::Preparing { ballot, .. }
            | Phase::Prepared { ballot, .. }
            | Phase::Accepting { ballot, .. } => Some(ballot),
            _ => None,
        }
    }

    /// Phase 1a: a new ballot above every round used or seen. Never above `max_round` (a
    /// model's bound) or [`Ballot::MAX_ROUND`]: the round never wraps around.
    fn start_ballot(&self, st: &mut ProposerState, o: &mut Out1) {
        let round = st.round.saturating_add(1);
        if round > self.max_round || round > Ballot::MAX_ROUND {
            return;
        }
        st.round = round;
        st.refused = false;
        let ballot = self.ballot(round);
        st.phase = Phase::Preparing {
            ballot,
            promises: AcceptorSet::default(),
            adopt: None,
        };
        for a in &self.acceptors {
            o.send(*a, Msg::Prepare(ballot));
        }
        if let Some(r) = &self.retry {
            o.set_timer(Timer::ProposerRetry, r.clone());
        }
    }

    /// Phase 2a, once a majority promised `ballot` and a value is known: propose the adopted
    /// vote's value, or, when the promises reported none, the client's.
    fn begin_phase2(
        &self,
        st: &mut ProposerState,
        ballot: Ballot,
        adopt: Option<(Ballot, Value)>,
        o: &mut Out1,
    ) {
        let own = st.value.expect("phase 2 starts only with a client's value");
        let value = match adopt {
            Some((_, v)) if self.bug != Bug::IgnoreAccepted => v,
            _ => own,
        };
        st.phase = Phase::Accepting {
            ballot,
            value,
            accepted: AcceptorSet::default(),
        };
        for a in &self.acceptors {
            o.send(*a, Msg::Accept(ballot, value));
        }
    }

    /// With `catch_up`, a decided proposer tells its learners `Chosen` again (see the module
    /// docs). Its ballot is the one of its last round: a decided proposer starts no other.
    fn announce_again(&self, state: &ProposerState, o: &mut Out1) {
        if let (true, Phase::Decided(v)) = (self.catch_up, &state.phase) {
            let ballot = self.ballot(state.round);
            for l in &self.notify {
                o.send(*l, Msg::Chosen(ballot, *v));
            }
        }
    }

    /// Which reported vote to adopt: the highest ballot (or, bugged, the lowest).
    fn better(&self, candidate: (Ballot, Value), current: Option<(Ballot, Value)>) -> bool {
        match current {
            None => true,
            Some(c) if self.bug == Bug::LowestAccepted => candidate.0 < c.0,
            Some(c) => candidate.0 > c.0,
        }
    }
}

impl Role<SingleActor> for Proposer {
    type State = ProposerState;

    fn restore(&self, storage: &Option<Storage>) -> ProposerState {
        ProposerState {
            round: storage.as_ref().map_or(0, |s| s.round),
            value: None,
            phase: Phase::Idle,
            clients: BTreeSet::new(),
            refused: false,
        }
    }

    fn start(&self, storage: &Option<Storage>, o: &mut Out1) -> ProposerState {
        let mut st = self.restore(storage);
        if self.lead {
            self.start_ballot(&mut st, o);
        }
        st
    }

    fn durable(&self, state: &ProposerState, storage: &mut Storage) {
        if self.bug != Bug::ProposerForgetsRound {
            storage.round = state.round;
        }
    }

    fn on_msg(&self, state: &mut Cow<ProposerState>, src: Id, msg: &Msg, o: &mut Out1) {
        match *msg {
            Msg::Query => self.announce_again(state, o),
            Msg::Propose(v) => self.on_propose(state, src, v, o),
            Msg::Promise(b, vote) => self.on_promise(state, src, b, vote, o),
            Msg::Accepted(b, v) => self.on_accepted(state, src, b, v, o),
            Msg::Nack(b, promised) => self.on_nack(state, b, promised, o),
            _ => {}
        }
    }

    fn on_timeout(&self, state: &mut Cow<ProposerState>, timer: Timer, o: &mut Out1) {
        if timer != Timer::ProposerRetry || Self::current_ballot(state).is_none() {
            return;
        }
        if self.retransmit && !state.refused {
            self.retransmit_phase(state, o);
            return;
        }
        self.start_ballot(state.to_mut(), o);
    }
}

/// The message handlers, one per message the proposer takes (dispatched by `on_msg` above).
impl Proposer {
    /// A client's value: answer at once if decided; otherwise remember the client, take its
    /// value if none is held yet, and start (or, when prepared ahead, skip to phase 2).
    fn on_propose(&self, state: &mut Cow<ProposerState>, src: Id, v: Value, o: &mut Out1) {
        if let Phase::Decided(d) = state.phase {
            o.send(src, Msg::Decided(d));
            self.announce_again(state, o);
            return;
        }
        if state.clients.contains(&src) && state.value.is_some() {
            return; // a client's retry while we are still working on it
        }
        let st = state.to_mut();
        // Bounded: a client beyond the bound is not remembered, and gets its answer when it
        // asks again after the decision (answered above).
        if st.clients.len() < MAX_WAITING_CLIENTS {
            st.clients.insert(src);
        }
        st.value.get_or_insert(v);
        match st.phase {
            Phase::Idle => self.start_ballot(st, o),
            Phase::Prepared { ballot, adopt } => {
                self.begin_phase2(st, ballot, adopt, o);
                if let Some(r) = &self.retry {
                    o.set_timer(Timer::ProposerRetry, r.clone());
                }
            }
            _ => {}
        }
    }

    /// Phase 1b: count a promise for the current ballot, keep the best reported vote, and on
    /// a quorum start phase 2 (or, with no value yet, wait prepared for a client).
    fn on_promise(
        &self,
        state: &mut Cow<ProposerState>,
        src: Id,
        b: Ballot,
        vote: Option<(Ballot, Value)>,
        o: &mut Out1,
    ) {
        let Phase::Preparing {
            ballot,
            mut promises,
            mut adopt,
        } = state.phase
        else {
            return;
        };
        let Some(idx) = self.acceptor_index(src) else {
            return;
        };
        if b != ballot || promises.contains(idx) {
            return;
        }
        let st = state.to_mut();
        promises.insert(idx);
        if let Some(vote) = vote {
            if self.better(vote, adopt) {
                adopt = Some(vote);
            }
        }
        if promises.len() < quorum(self.acceptors.len(), self.bug) {
            st.phase = Phase::Preparing {
                ballot,
                promises,
                adopt,
            };
        } else if st.value.is_some() {
            self.begin_phase2(st, ballot, adopt, o);
        } else {
            // The leader prepared ahead: wait for a client, not for a timeout.
            st.phase = Phase::Prepared { ballot, adopt };
            if self.retry.is_some() {
                o.cancel_timer(Timer::ProposerRetry);
            }
        }
    }

    /// Phase 2b: count a vote for the current ballot and value; on a quorum, decide.
    fn on_accepted(
        &self,
        state: &mut Cow<ProposerState>,
        src: Id,
        b: Ballot,
        v: Value,
        o: &mut Out1,
    ) {
        let Phase::Accepting {
            ballot,
            value,
            mut accepted,
        } = state.phase
        else {
            return;
        };
        let Some(idx) = self.acceptor_index(src) else {
            return;
        };
        if b != ballot || v != value || accepted.contains(idx) {
            return;
        }
        let st = state.to_mut();
        accepted.insert(idx);
        let needed = if self.bug == Bug::EarlyDecide {
            1
        } else {
            quorum(self.acceptors.len(), self.bug)
        };
        if accepted.len() >= needed {
            self.decide(st, ballot, value, o);
        } else {
            st.phase = Phase::Accepting {
                ballot,
                value,
                accepted,
            };
        }
    }

    /// An acceptor refused the current ballot: remember the higher round it promised (and,
    /// with `eager_retry`, start a higher ballot at once).
    fn on_nack(&self, state: &mut Cow<ProposerState>, b: Ballot, promised: Ballot, o: &mut Out1) {
        if Self::current_ballot(state) != Some(b) {
            return;
        }
        if self.retransmit && !state.refused {
            state.to_mut().refused = true;
        }
        if self.eager_retry {
            let st = state.to_mut();
            st.round = st.round.max(promised.round);
            self.start_ballot(st, o);
        } else if promised.round > state.round {
            state.to_mut().round = promised.round;
        }
    }

    /// `value` is chosen in `ballot`: answer the waiting clients, then tell the learners.
    fn decide(&self, st: &mut ProposerState, ballot: Ballot, value: Value, o: &mut Out1) {
        st.phase = Phase::Decided(value);
        let answer = match (self.bug, st.value) {
            (Bug::AnswerOwnValue, Some(own)) => own,
            _ => value,
        };
        // Clients first: they wait for this answer; the learners' news can follow.
        for c in std::mem::take(&mut st.clients) {
            o.send(c, Msg::Decided(answer));
        }
        for l in &self.notify {
            o.send(*l, Msg::Chosen(ballot, value));
        }
        if self.retry.is_some() {
            o.cancel_timer(Timer::ProposerRetry);
        }
    }

    /// The position of `src` among the acceptors, if it is one.
    fn acceptor_index(&self, src: Id) -> Option<usize> {
        self.acceptors.iter().position(|a| *a == src)
    }
}

impl Proposer {
    /// The current phase's message again, at the same ballot, to every acceptor that has not
    /// answered it yet, and the timer set again (see the module docs, "Retransmission").
    fn retransmit_phase(&self, state: &ProposerState, o: &mut Out1) {
        let (msg, answered) = match state.phase {
            Phase::Preparing {
                ballot, promises, ..
            } => (Msg::Prepare(ballot), promises),
            Phase::Accepting {
                ballot,
                value,
                accepted,
            } => (Msg::Accept(ballot, value), accepted),
            _ => return,
        };
        for (i, a) in self.acceptors.iter().enumerate() {
            if !answered.contains(i) {
                o.send(*a, msg);
            }
        }
        if let Some(r) = &self.retry {
            o.set_timer(Timer::ProposerRetry, r.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::single::{SingleActor, SingleState};
    use stateright::actor::{Actor, Command, Out};

    fn proposer() -> Proposer {
        Proposer {
            index: 2,
            acceptors: (0..3).map(Id::from).collect(),
            retry: Some(Duration::from_millis(1)..Duration::from_millis(2)),
            eager_retry: true,
            max_round: u32::MAX,
            notify: Vec::new(),
            lead: false,
            catch_up: false,
            retransmit: false,
            bug: Bug::None,
        }
    }

    fn preparing(round: u32) -> SingleState {
        SingleState::Proposer(ProposerState {
            round,
            value: Some(1),
            phase: Phase::Preparing {
                ballot: Ballot::new(round, 2),
                promises: AcceptorSet::default(),
                adopt: None,
            },
            clients: BTreeSet::new(),
            refused: false,
        })
    }

    /// The round of the state after a retry timeout, and what the step emitted.
    fn retry(round: u32) -> (u32, Vec<Command<Msg, Timer, (), Storage>>) {
        let a = SingleActor::Proposer(proposer());
        let s = preparing(round);
        let mut c = Cow::Borrowed(&s);
        let mut o = Out::new();
        a.on_timeout(Id::from(9), &mut c, &Timer::ProposerRetry, &mut o);
        (c.proposer().unwrap().round, o.into_iter().collect())
    }

    #[test]
    fn a_retry_never_wraps_the_round_around() {
        let (round, out) = retry(7);
        assert_eq!(round, 8);
        assert!(matches!(out[0], Command::Save(Storage { round: 8, .. })));
        // At the top of the range there is no higher ballot: the proposer stops instead of
        // wrapping to round 0 (which would reuse ballots and move its durable round back).
        for top in [Ballot::MAX_ROUND, u32::MAX] {
            let (round, out) = retry(top);
            assert_eq!((round, out.len()), (top, 0), "{out:?}");
        }
        // A Nack naming the highest round leaves it there too.
        let a = SingleActor::Proposer(proposer());
        let s = preparing(3);
        let mut c = Cow::Borrowed(&s);
        let mut o = Out::new();
        let top = Ballot::new(Ballot::MAX_ROUND, 0);
        a.on_msg(
            Id::from(9),
            &mut c,
            Id::from(0),
            Msg::Nack(Ballot::new(3, 2), top),
            &mut o,
        );
        assert_eq!(c.proposer().unwrap().round, Ballot::MAX_ROUND);
        assert!(!o.into_iter().any(|c| matches!(c, Command::Send(..))));
        assert!(!Msg::Prepare(Ballot::new(u32::MAX, 1)).in_range());
        assert!(Msg::Prepare(Ballot::new(Ballot::MAX_ROUND, 1)).in_range());
        assert!(!Msg::Promise(Ballot::new(1, 1), Some((Ballot::new(u32::MAX, 0), 3))).in_range());
    }

    #[test]
    fn the_waiting_clients_are_bounded() {
        let p = proposer();
        let mut s = Cow::Owned(ProposerState {
            round: 1,
            value: None,
            phase: Phase::Idle,
            clients: BTreeSet::new(),
            refused: false,
        });
        for c in 0..(MAX_WAITING_CLIENTS + 10) {
            let mut o = Out::new();
            p.on_msg(&mut s, Id::from(100 + c), &Msg::Propose(c as u64), &mut o);
        }
        assert_eq!(s.clients.len(), MAX_WAITING_CLIENTS);
        assert_eq!(s.value, Some(0), "the first client's value is proposed");
    }
}
