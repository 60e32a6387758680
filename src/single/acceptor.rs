//! The acceptor: the memory of Paxos.
//!
//! "Paxos Made Simple", section 2.2 (P1a and the phase 1b / 2b replies):
//!
//! * On `Prepare(b)` with `b` above every ballot it promised, the acceptor promises `b` and
//!   answers `Promise(b, last_vote)`. Reporting its last vote is what lets a new proposer find
//!   (and finish) a value that might already be chosen.
//! * On `Accept(b, v)` with `b` at or above its promise it votes: it records `(b, v)`, raises its
//!   promise to `b`, and tells the proposer and every learner `Accepted(b, v)`.
//! * Otherwise it refuses, optionally answering `Nack(b, promised)` so the proposer can retry
//!   above the ballot that beat it.
//!
//! Both `promised` and `accepted` are part of [`Storage`]: the actor saves them in the same step,
//! before its reply leaves (see [`super::SingleActor`]), so a crashed acceptor recovers every
//! promise it made. The seeded bug [`Bug::AcceptorForgets`] breaks exactly that.

use super::msg::{Bug, Msg, Storage, Value};
use super::{Out1, Role, SingleActor};
use crate::ballot::Ballot;
use crate::quorum::{may_accept, may_promise};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Configuration of an acceptor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Acceptor {
    /// Learners to notify of every vote.
    pub learners: Vec<Id>,
    /// Whether refusals are answered with `Nack`.
    pub nacks: bool,
    /// Whether a `Prepare(b)` for the ballot `b` already promised is answered with
    /// `Promise(b, last_vote)` again, as implementations do so that a retransmitted `Prepare`
    /// gets its answer. Safe when ballots are unique (only `b`'s proposer sends `Prepare(b)`,
    /// and it has the promise already); with shared ballots it lets two proposers complete
    /// phase 1 in the same ballot (the seeded bug [`Bug::SharedBallots`]). Off by default: the
    /// strict rule is Lamport's, and the refinement check assumes it.
    pub repromise: bool,
    /// Whether an `Accept(b, v)` for the vote already cast is answered with `Accepted(b, v)`
    /// to its sender again, so that a retransmitted `Accept` gets its answer when the first
    /// `Accepted` was lost (see the proposer's "Retransmission"). Always safe: the vote is the
    /// same.
    pub reaccept: bool,
    /// Seeded bug (`Bug::None` outside models and tests).
    pub bug: Bug,
}

/// What an acceptor remembers; all of it is durable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AcceptorState {
    /// Highest ballot promised (`maxBal` in Lamport's spec).
    pub promised: Option<Ballot>,
    /// Last vote (`maxVBal`, `maxVal`).
    pub accepted: Option<(Ballot, Value)>,
}

impl Role<SingleActor> for Acceptor {
    type State = AcceptorState;

    fn restore(&self, storage: &Option<Storage>) -> AcceptorState {
        match storage {
            Some(s) => AcceptorState {
                promised: s.promised,
                accepted: s.accepted,
            },
            None => AcceptorState::default(),
        }
    }

    fn durable(&self, state: &AcceptorState, storage: &mut Storage) {
        if self.bug != Bug::AcceptorForgets {
            storage.promised = state.promised;
            storage.accepted = state.accepted;
        }
    }

    fn on_msg(&self, state: &mut Cow<AcceptorState>, src: Id, msg: &Msg, o: &mut Out1) {
        match *msg {
            Msg::Prepare(b) => self.on_prepare(state, src, b, o),
            Msg::Accept(b, v) => self.on_accept(state, src, b, v, o),
            _ => {}
        }
    }
}

/// The message handlers, one per message the acceptor takes (dispatched by `on_msg` above).
impl Acceptor {
    /// Phase 1b: promise a ballot higher than any promised, reporting the last vote; refuse a
    /// lower one with `Nack` (when on).
    fn on_prepare(&self, state: &mut Cow<AcceptorState>, src: Id, b: Ballot, o: &mut Out1) {
        if may_promise(state.promised, b) {
            state.to_mut().promised = Some(b);
            o.send(src, Msg::Promise(b, state.accepted));
        } else if self.repromise && state.promised == Some(b) {
            o.send(src, Msg::Promise(b, state.accepted));
        } else if self.nacks {
            o.send(src, Msg::Nack(b, state.promised.unwrap_or_default()));
        }
    }

    /// Phase 2b: vote for `(b, v)` unless a higher ballot is promised, and announce the vote
    /// to the proposer and the learners; refuse with `Nack` (when on).
    fn on_accept(
        &self,
        state: &mut Cow<AcceptorState>,
        src: Id,
        b: Ballot,
        v: Value,
        o: &mut Out1,
    ) {
        let allowed = may_accept(state.promised, b) || self.bug == Bug::AcceptBelowPromise;
        if !allowed {
            if self.nacks {
                o.send(src, Msg::Nack(b, state.promised.unwrap_or_default()));
            }
            return;
        }
        if state.accepted == Some((b, v)) && state.promised >= Some(b) {
            // A duplicate of a vote already cast and announced.
            if self.reaccept {
                o.send(src, Msg::Accepted(b, v));
            }
            return;
        }
        let st = state.to_mut();
        st.promised = st.promised.max(Some(b));
        st.accepted = Some((b, v));
        let mut to: BTreeSet<Id> = self.learners.iter().copied().collect();
        to.insert(src);
        for dst in to {
            o.send(dst, Msg::Accepted(b, v));
        }
    }
}
