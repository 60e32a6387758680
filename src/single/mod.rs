//! Single-decree Paxos as [`stateright`] actors.
//!
//! One file per role: [`proposer`], [`acceptor`], [`learner`], [`client`]; [`node`] runs several
//! roles in one process by composing them. [`SingleActor`] is the one actor type every model and
//! the runtime use: an enum whose variants delegate to the role modules. [`knobs`] holds the
//! protocol's variations (which a model configuration or the runtime chooses).
//!
//! The role files do no I/O and name neither the runtime nor the checker. Two files connect the
//! protocol to the runtime: [`deploy`] (member roles, layouts, which actor a member runs, what
//! the runtime needs of [`Msg`]) and [`programs`] (`paxos propose`, `paxos learn`).
//!
//! Durability is enforced here, once for every role: after each step the actor derives the
//! [`Storage`] record from the new state (each role contributes its durable part) and, when it
//! changed, emits `Save` *before* any message of that step. stateright applies a step's
//! commands atomically; the runtime persists the save (fsync) before sending, so "an acceptor
//! persists its promise before it answers" holds in both.

pub mod acceptor;
pub mod client;
pub mod deploy;
pub mod knobs;
pub mod learner;
pub mod msg;
pub mod node;
pub mod programs;
pub mod proposer;

pub use acceptor::{Acceptor, AcceptorState};
pub use client::{Client, ClientPhase, ClientState};
pub use knobs::{Knobs, LearnMode};
pub use learner::{Learner, LearnerState};
pub use msg::{quorum, AcceptorSet, Bug, Msg, Storage, Timer, Value};
pub use node::{Node, NodeState};
pub use proposer::{Phase, Proposer, ProposerState};

use crate::actor_kit::{project, save_first};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;

/// The output buffer every role writes to.
pub type Out1 = Out<SingleActor>;

/// What each protocol role implements ([`crate::actor_kit::Role`] over this protocol's actor);
/// [`Node`] composes roles through it.
pub use crate::actor_kit::Role;

/// The single actor type of single-decree Paxos models and the runtime.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SingleActor {
    /// A separate proposer.
    Proposer(Proposer),
    /// A separate acceptor.
    Acceptor(Acceptor),
    /// A separate learner.
    Learner(Learner),
    /// Several roles in one process.
    Node(Node),
    /// A client.
    Client(Client),
}

/// The state of a [`SingleActor`], variant for variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SingleState {
    /// Proposer state.
    Proposer(ProposerState),
    /// Acceptor state.
    Acceptor(AcceptorState),
    /// Learner state.
    Learner(LearnerState),
    /// Node state.
    Node(NodeState),
    /// Client state.
    Client(ClientState),
}

impl SingleState {
    /// The acceptor part of this state, if the actor is or contains an acceptor.
    pub fn acceptor(&self) -> Option<&AcceptorState> {
        match self {
            SingleState::Acceptor(s) => Some(s),
            SingleState::Node(n) => n.acceptor.as_ref(),
            _ => None,
        }
    }
    /// The learner part of this state.
    pub fn learner(&self) -> Option<&LearnerState> {
        match self {
            SingleState::Learner(s) => Some(s),
            SingleState::Node(n) => n.learner.as_ref(),
            _ => None,
        }
    }
    /// The proposer part of this state.
    pub fn proposer(&self) -> Option<&ProposerState> {
        match self {
            SingleState::Proposer(s) => Some(s),
            SingleState::Node(n) => n.proposer.as_ref(),
            _ => None,
        }
    }
    /// The client state.
    pub fn client(&self) -> Option<&ClientState> {
        match self {
            SingleState::Client(s) => Some(s),
            _ => None,
        }
    }
}

/// Runs `f` on the inner state of variant `V` (see [`project`]).
macro_rules! delegate {
    ($state:expr, $variant:ident, |$st:ident| $body:expr) => {
        project(
            $state,
            |s| match s {
                SingleState::$variant(inner) => Some(inner),
                _ => unreachable!("actor and state variants match"),
            },
            |s, new| *s = Cow::Owned(SingleState::$variant(new)),
            |$st| $body,
        )
    };
}

impl SingleActor {
    /// The durable record of `state` (each role writes its part).
    pub fn storage_of(&self, state: &SingleState) -> Storage {
        let mut s = Storage::default();
        match (self, state) {
            (SingleActor::Proposer(r), SingleState::Proposer(st)) => r.durable(st, &mut s),
            (SingleActor::Acceptor(r), SingleState::Acceptor(st)) => r.durable(st, &mut s),
            (SingleActor::Learner(r), SingleState::Learner(st)) => r.durable(st, &mut s),
            (SingleActor::Node(r), SingleState::Node(st)) => r.durable(st, &mut s),
            _ => {}
        }
        s
    }

    /// Emits `Save` first when the step changed the durable record (save before send).
    #[allow(clippy::ptr_arg)] // the Cow tells whether the step changed the state at all
    fn persist_first(&self, before: &SingleState, after: &Cow<SingleState>, o: &mut Out1) {
        if let Cow::Owned(after) = after {
            let new = self.storage_of(after);
            if new != self.storage_of(before) {
                save_first(new, o);
            }
        }
    }

    /// Short role name used by the explorer and traces.
    pub fn role_name(&self) -> &'static str {
        match self {
            SingleActor::Proposer(_) => "Proposer",
            SingleActor::Acceptor(_) => "Acceptor",
            SingleActor::Learner(_) => "Learner",
            SingleActor::Node(_) => "Node",
            SingleActor::Client(_) => "Client",
        }
    }
}

impl Actor for SingleActor {
    type Msg = Msg;
    type State = SingleState;
    type Timer = Timer;
    type Random = ();
    type Storage = Storage;

    fn name(&self) -> String {
        self.role_name().to_string()
    }

    fn on_start(&self, id: Id, storage: &Option<Storage>, o: &mut Out1) -> SingleState {
        let state = match self {
            SingleActor::Proposer(r) => SingleState::Proposer(r.start(storage, o)),
            SingleActor::Acceptor(r) => SingleState::Acceptor(r.start(storage, o)),
            SingleActor::Learner(r) => SingleState::Learner(r.start(storage, o)),
            SingleActor::Node(r) => SingleState::Node(r.start(id, storage, o)),
            SingleActor::Client(c) => return SingleState::Client(c.start(o)),
        };
        // A leader's first ballot is durable before its `Prepare` leaves, like any other.
        let new = self.storage_of(&state);
        if new != storage.clone().unwrap_or_default() {
            save_first(new, o);
        }
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<SingleState>, src: Id, msg: Msg, o: &mut Out1) {
        let before = state.clone();
        match self {
            SingleActor::Proposer(r) => {
                delegate!(state, Proposer, |st| r.on_msg(st, src, &msg, o))
            }
            SingleActor::Acceptor(r) => {
                delegate!(state, Acceptor, |st| r.on_msg(st, src, &msg, o))
            }
            SingleActor::Learner(r) => {
                delegate!(state, Learner, |st| r.on_msg(st, src, &msg, o))
            }
            SingleActor::Node(r) => delegate!(state, Node, |st| r.on_msg(id, st, src, msg, o)),
            SingleActor::Client(r) => delegate!(state, Client, |st| r.on_msg(st, &msg, o)),
        }
        self.persist_first(&before, state, o);
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<SingleState>, timer: &Timer, o: &mut Out1) {
        let before = state.clone();
        let timer = *timer;
        match self {
            SingleActor::Proposer(r) => {
                delegate!(state, Proposer, |st| r.on_timeout(st, timer, o))
            }
            SingleActor::Node(r) => {
                delegate!(state, Node, |st| r.on_timeout(id, st, timer, o))
            }
            SingleActor::Client(r) => delegate!(state, Client, |st| r.on_timeout(st, o)),
            _ => {}
        }
        self.persist_first(&before, state, o);
    }
}
