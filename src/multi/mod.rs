//! Multi-Paxos as [`stateright`] actors: a replicated log that drives a key-value state machine.
//!
//! "Paxos Made Simple", section 3: the replicas agree on a sequence of commands by running
//! Paxos once per slot of a log, with one distinguished proposer, the leader, that runs phase 1
//! once for all slots. One file per role: [`leader`], [`acceptor`], [`learner`] (with the
//! state machine, [`kv`]); [`replica`] composes the three in one process, as
//! [`crate::single::Node`] does. [`client`] is the outside world. What the roles share with
//! single-decree Paxos (majorities, the promise rule, ballots, composing roles and saving
//! before sending) is written once, in [`crate::quorum`], [`crate::ballot`] and
//! [`crate::actor_kit`].
//!
//! Durability is enforced here, once: after each step the actor derives the replica's
//! [`Record`] (the acceptor's promise and votes, the leader's round) and, when it changed,
//! emits `Save` before any message of the step. In the model the log is bounded (`max_slots`),
//! so the record stays small; how a runtime persists it incrementally is the runtime's job.

pub mod acceptor;
pub mod client;
pub mod deploy;
pub mod kv;
pub mod leader;
pub mod learner;
pub mod msg;
pub mod replica;

pub use acceptor::{Acceptor, AcceptorState};
pub use client::{Client, ClientState};
pub use kv::Kv;
pub use leader::{Leader, LeaderState, Phase};
pub use learner::{Learner, LearnerState};
pub use msg::{Bug, Cmd, Entry, Msg, Op, Record, Ret, Slot, Text, Timer};
pub use replica::{Replica, ReplicaKnobs, ReplicaState};

use crate::actor_kit::{project, save_first};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;

/// The output buffer every Multi-Paxos role writes to.
pub type Out2 = Out<MultiActor>;

/// The one actor type of Multi-Paxos models (and runtime).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiActor {
    /// A replica: leader, acceptor and learner.
    Replica(Box<Replica>),
    /// A client.
    Client(Client),
}

/// The state of a [`MultiActor`], variant for variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MultiState {
    /// Replica state.
    Replica(Box<ReplicaState>),
    /// Client state.
    Client(ClientState),
}

impl MultiState {
    /// The replica state, if this is a replica.
    pub fn replica(&self) -> Option<&ReplicaState> {
        match self {
            MultiState::Replica(s) => Some(s),
            MultiState::Client(_) => None,
        }
    }
    /// The client state, if this is a client.
    pub fn client(&self) -> Option<&ClientState> {
        match self {
            MultiState::Client(s) => Some(s),
            MultiState::Replica(_) => None,
        }
    }
}

impl MultiActor {
    /// The durable record of `state` (clients have none).
    pub fn record_of(&self, state: &MultiState) -> Record {
        match (self, state) {
            (MultiActor::Replica(r), MultiState::Replica(s)) => r.record(s),
            _ => Record::default(),
        }
    }

    /// Emits `Save` first when the step changed the durable record (save before send).
    #[allow(clippy::ptr_arg)] // the Cow tells whether the step changed the state at all
    fn persist_first(&self, before: &MultiState, after: &Cow<MultiState>, o: &mut Out2) {
        if let Cow::Owned(after) = after {
            let new = self.record_of(after);
            if new != self.record_of(before) {
                save_first(new, o);
            }
        }
    }

    fn step(
        &self,
        state: &mut Cow<MultiState>,
        o: &mut Out2,
        replica: impl FnOnce(&Replica, &mut Cow<ReplicaState>, &mut Out2),
        client: impl FnOnce(&Client, &mut Cow<ClientState>, &mut Out2),
    ) {
        let before = state.clone();
        match self {
            MultiActor::Replica(r) => project(
                state,
                |s| match s {
                    MultiState::Replica(inner) => Some(&**inner),
                    MultiState::Client(_) => unreachable!("actor and state variants match"),
                },
                |s, new| *s = Cow::Owned(MultiState::Replica(Box::new(new))),
                |st| replica(r, st, o),
            ),
            MultiActor::Client(c) => project(
                state,
                |s| s.client(),
                |s, new| *s = Cow::Owned(MultiState::Client(new)),
                |st| client(c, st, o),
            ),
        }
        self.persist_first(&before, state, o);
    }
}

impl Actor for MultiActor {
    type Msg = Msg;
    type State = MultiState;
    type Timer = Timer;
    type Random = ();
    type Storage = Record;

    fn name(&self) -> String {
        match self {
            MultiActor::Replica(_) => "Replica".into(),
            MultiActor::Client(_) => "Client".into(),
        }
    }

    fn on_start(&self, id: Id, storage: &Option<Record>, o: &mut Out2) -> MultiState {
        match self {
            MultiActor::Replica(r) => {
                let state = r.start(id, storage, o);
                // A first leader's ballot is durable before its `Prepare` leaves.
                let new = r.record(&state);
                if new != storage.clone().unwrap_or_default() {
                    save_first(new, o);
                }
                MultiState::Replica(Box::new(state))
            }
            MultiActor::Client(c) => MultiState::Client(c.start(o)),
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<MultiState>, src: Id, msg: Msg, o: &mut Out2) {
        self.step(
            state,
            o,
            |r, st, o| r.on_msg(id, st, src, &msg, o),
            |c, st, o| c.on_msg(st, &msg, o),
        );
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<MultiState>, timer: &Timer, o: &mut Out2) {
        let timer = *timer;
        self.step(
            state,
            o,
            |r, st, o| r.on_timeout(id, st, timer, o),
            |c, st, o| {
                if timer == Timer::ClientRetry {
                    c.on_timeout(st, o)
                }
            },
        );
    }
}
