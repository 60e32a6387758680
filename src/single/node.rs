//! A node that runs several roles in one process, by composition.
//!
//! Lamport notes that in practice a process plays several roles ("Paxos Made Simple",
//! section 2.4). A [`Node`] holds any subset of proposer, acceptor and learner and hands each
//! event to every role it runs, using the roles' own handlers: no protocol logic lives here.
//! Messages a role sends to its own node (a proposer preparing its local acceptor, an acceptor
//! telling its local learner) are delivered locally within the same step, in order, the way a
//! function call would; only messages for other processes go to the network. A local delivery
//! cannot be lost or reordered, so this is a refinement of sending them through the network.
//!
//! With `loopback` set, a node sends those messages to itself through the network instead, to
//! be handled in a later step like anyone else's. That costs more interleavings in a model, but
//! it is what a fast runtime needs: a step's storage is durable before any of its messages
//! leaves, so a proposer whose own acceptor votes in the same step would make its peers wait
//! for that `fsync` before they even see the `Accept`. Through the loopback, the node's own
//! save overlaps its peers' saves instead of preceding them, and (with learners that learn from
//! `Chosen` only) the proposer's `Decided` never waits for the node's learner to record the
//! decision.

use super::acceptor::{Acceptor, AcceptorState};
use super::learner::{Learner, LearnerState};
use super::msg::{Msg, Storage, Timer};
use super::proposer::{Proposer, ProposerState};
use super::{Out1, Role, SingleActor};
use crate::actor_kit::{project, settle};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;

/// The roles a node runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// Proposer role, if any.
    pub proposer: Option<Proposer>,
    /// Acceptor role, if any.
    pub acceptor: Option<Acceptor>,
    /// Learner role, if any.
    pub learner: Option<Learner>,
    /// Whether messages to itself go through the network as separate steps (see the module
    /// docs) instead of being handled within the step.
    pub loopback: bool,
}

/// The state of each role the node runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeState {
    /// Proposer state.
    pub proposer: Option<ProposerState>,
    /// Acceptor state.
    pub acceptor: Option<AcceptorState>,
    /// Learner state.
    pub learner: Option<LearnerState>,
}

/// Runs `f` on one role's state (when the node runs that role), writing it back only if the
/// role changed it ([`project`] onto a field).
fn with_role<R: Role<SingleActor>>(
    role: &Option<R>,
    slot: impl FnOnce(&mut NodeState) -> &mut Option<R::State>,
    get: impl FnOnce(&NodeState) -> &Option<R::State>,
    state: &mut Cow<NodeState>,
    f: impl FnOnce(&R, &mut Cow<R::State>),
) {
    let Some(role) = role else {
        return;
    };
    project(
        state,
        |s| get(s).as_ref(),
        |s, new| *slot(s.to_mut()) = Some(new),
        |st| f(role, st),
    );
}

impl Node {
    /// Each role writes its durable part.
    pub fn durable(&self, state: &NodeState, storage: &mut Storage) {
        if let (Some(r), Some(s)) = (&self.proposer, &state.proposer) {
            r.durable(s, storage);
        }
        if let (Some(r), Some(s)) = (&self.acceptor, &state.acceptor) {
            r.durable(s, storage);
        }
        if let (Some(r), Some(s)) = (&self.learner, &state.learner) {
            r.durable(s, storage);
        }
    }

    /// (Re)start: every role restores its state, and a leading proposer prepares.
    pub fn start(&self, id: Id, storage: &Option<Storage>, o: &mut Out1) -> NodeState {
        let mut step = Out1::new();
        let state = NodeState {
            proposer: self.proposer.as_ref().map(|r| r.start(storage, &mut step)),
            acceptor: self.acceptor.as_ref().map(|r| r.start(storage, &mut step)),
            learner: self.learner.as_ref().map(|r| r.start(storage, &mut step)),
        };
        let mut state = Cow::Owned(state);
        self.settle(id, &mut state, step, o);
        state.into_owned()
    }

    /// One message, handed to every role.
    pub fn on_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out1) {
        let mut step = Out1::new();
        self.dispatch(state, src, &msg, &mut step);
        self.settle(id, state, step, o);
    }

    /// A timer: only the proposer has one.
    pub fn on_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: Timer, o: &mut Out1) {
        let mut step = Out1::new();
        with_role(
            &self.proposer,
            |s| &mut s.proposer,
            |s| &s.proposer,
            state,
            |r, st| r.on_timeout(st, timer, &mut step),
        );
        self.settle(id, state, step, o);
    }

    /// Routes a role's output, delivering messages to self locally (unless `loopback`) until
    /// none are left ([`settle`]).
    fn settle(&self, id: Id, state: &mut Cow<NodeState>, step: Out1, o: &mut Out1) {
        settle(id, self.loopback, step, o, |src, msg, step| {
            self.dispatch(state, src, msg, step)
        });
    }

    fn dispatch(&self, state: &mut Cow<NodeState>, src: Id, msg: &Msg, step: &mut Out1) {
        with_role(
            &self.acceptor,
            |s| &mut s.acceptor,
            |s| &s.acceptor,
            state,
            |r, st| r.on_msg(st, src, msg, step),
        );
        with_role(
            &self.proposer,
            |s| &mut s.proposer,
            |s| &s.proposer,
            state,
            |r, st| r.on_msg(st, src, msg, step),
        );
        with_role(
            &self.learner,
            |s| &mut s.learner,
            |s| &s.learner,
            state,
            |r, st| r.on_msg(st, src, msg, step),
        );
    }
}
