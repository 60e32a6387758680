//! The Multi-Paxos acceptor: one promise for every slot, one vote per slot.
//!
//! "Paxos Made Simple", section 3: the acceptor of Multi-Paxos runs the single-decree rules
//! ([`crate::quorum::may_promise`], [`crate::quorum::may_accept`], shared with
//! [`crate::single::acceptor`]) on one promise that covers every slot.
//!
//! * On `Prepare(b, from)` with `b` above its promise it promises `b` and answers
//!   `Promise(b, from, votes)`: its last vote at every slot from `from` on. A new leader learns
//!   from those what it must finish, slot by slot, as a single-decree proposer does.
//! * On `Accept(b, slot, entry)` with `b` at or above its promise it votes at that slot,
//!   raises its promise to `b` and tells the leader `Accepted(b, slot)`.
//! * Otherwise it refuses with `Nack(b, promised)`, which deposes a stale leader.
//!
//! The promise and the votes are the replica's durable record: saved in the same step, before
//! the reply leaves (see [`super::MultiActor`]).

use super::msg::{Bug, Msg, Record, Slot, Vote};
use super::{MultiActor, Out2};
use crate::actor_kit::Role;
use crate::ballot::Ballot;
use crate::multi::msg::Entry;
use crate::quorum::{may_accept, may_promise};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Configuration of an acceptor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Acceptor {
    /// Whether an `Accept` for the vote already cast is answered `Accepted` again (so that a
    /// retransmitted `Accept` gets its answer). Always safe: the vote is the same.
    pub reaccept: bool,
    /// The seeded bug ([`Bug::AcceptBelowPromise`] is the acceptor's).
    pub bug: Bug,
}

/// What an acceptor remembers; all of it is durable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AcceptorState {
    /// Highest ballot promised, for every slot.
    pub promised: Option<Ballot>,
    /// The last vote at each slot.
    pub votes: BTreeMap<Slot, Vote>,
}

impl Role<MultiActor> for Acceptor {
    type State = AcceptorState;

    fn restore(&self, storage: &Option<Record>) -> AcceptorState {
        match storage {
            Some(r) => AcceptorState {
                promised: r.promised,
                votes: r.votes.clone(),
            },
            None => AcceptorState::default(),
        }
    }

    fn durable(&self, state: &AcceptorState, record: &mut Record) {
        record.promised = state.promised;
        record.votes.clone_from(&state.votes);
    }

    fn on_msg(&self, state: &mut Cow<AcceptorState>, src: Id, msg: &Msg, o: &mut Out2) {
        match msg {
            Msg::Prepare(b, from) => self.on_prepare(state, src, *b, *from, o),
            Msg::Accept(b, slot, entry) => self.on_accept(state, src, *b, *slot, entry, o),
            _ => {}
        }
    }
}

/// The message handlers, one per message the acceptor takes.
impl Acceptor {
    /// Phase 1b: promise a higher ballot for every slot, reporting the votes from `from` on.
    fn on_prepare(
        &self,
        state: &mut Cow<AcceptorState>,
        src: Id,
        b: Ballot,
        from: Slot,
        o: &mut Out2,
    ) {
        if !may_promise(state.promised, b) {
            o.send(src, Msg::Nack(b, state.promised.unwrap_or_default()));
            return;
        }
        state.to_mut().promised = Some(b);
        let votes = state
            .votes
            .range(from..)
            .map(|(s, v)| (*s, v.clone()))
            .collect();
        o.send(src, Msg::Promise(b, from, votes));
    }

    /// Phase 2b: vote at `slot` unless a higher ballot is promised.
    fn on_accept(
        &self,
        state: &mut Cow<AcceptorState>,
        src: Id,
        b: Ballot,
        slot: Slot,
        entry: &Entry,
        o: &mut Out2,
    ) {
        if !may_accept(state.promised, b) && self.bug != Bug::AcceptBelowPromise {
            o.send(src, Msg::Nack(b, state.promised.unwrap_or_default()));
            return;
        }
        if state.votes.get(&slot) == Some(&(b, entry.clone())) {
            // A duplicate of a vote already cast and answered.
            if self.reaccept {
                o.send(src, Msg::Accepted(b, slot));
            }
            return;
        }
        let st = state.to_mut();
        st.promised = st.promised.max(Some(b));
        st.votes.insert(slot, (b, entry.clone()));
        o.send(src, Msg::Accepted(b, slot));
    }
}
