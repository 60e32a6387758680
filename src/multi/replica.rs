//! A replica: a leader, an acceptor and a learner in one process, by composition.
//!
//! Multi-Paxos runs every role at every replica. A [`Replica`] hands each event to each of
//! its roles, through the roles' own handlers (no protocol logic lives here), and delivers the
//! messages a role sends to its own replica within the same step ([`settle`], shared with
//! [`crate::single::Node`]): the leader's `Accept` reaches its own acceptor, whose `Accepted`
//! reaches the leader, whose `Chosen` reaches its own learner, all in one step.

use super::acceptor::{Acceptor, AcceptorState};
use super::leader::{Leader, LeaderState};
use super::learner::{Learner, LearnerState};
use super::msg::{Bug, Msg, Record, Slot, Timer};
use super::Out2;
use crate::actor_kit::{project, settle, Role};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

/// The protocol's choices for one replica: the one way both the model's configurations
/// (`models/multi/config.rs`) and the runtime's deployment ([`super::deploy`]) build a
/// [`Replica`], so that what runs is what was checked, up to the values of these knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaKnobs {
    /// Whether this replica runs phase 1 as soon as it starts (the first leader).
    pub lead: bool,
    /// Election timer range; `None`: never stands for election on its own.
    pub election: Option<Range<Duration>>,
    /// Heartbeat timer range; `None`: no heartbeats.
    pub heartbeat: Option<Range<Duration>>,
    /// Most slots in flight at once.
    pub window: usize,
    /// Most commands in one slot.
    pub max_batch: usize,
    /// Highest round a replica may start.
    pub max_round: u32,
    /// Slots are `0..max_slots`.
    pub max_slots: Slot,
    /// Whether an acceptor answers a repeated `Accept` of its vote again.
    pub reaccept: bool,
    /// Seeded bug (`Bug::None` outside models and tests).
    pub bug: Bug,
}

/// The roles of a replica.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Replica {
    /// The leader (distinguished proposer).
    pub leader: Leader,
    /// The acceptor.
    pub acceptor: Acceptor,
    /// The learner and its state machine.
    pub learner: Learner,
}

/// The state of each role.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReplicaState {
    /// Leader state.
    pub leader: LeaderState,
    /// Acceptor state.
    pub acceptor: AcceptorState,
    /// Learner state.
    pub learner: LearnerState,
}

/// Runs `f` on one role's part of the replica state, writing it back only if changed.
fn with<R: Role<super::MultiActor>>(
    role: &R,
    state: &mut Cow<ReplicaState>,
    get: impl FnOnce(&ReplicaState) -> &R::State,
    put: impl FnOnce(&mut ReplicaState, R::State),
    f: impl FnOnce(&R, &mut Cow<R::State>),
) {
    project(
        state,
        |s| Some(get(s)),
        |s, new| put(s.to_mut(), new),
        |st| f(role, st),
    );
}

impl Replica {
    /// Replica `index` of `replicas` (every replica's id, by index) with `knobs`.
    pub fn build(index: usize, replicas: &[Id], knobs: &ReplicaKnobs) -> Replica {
        Replica {
            leader: Leader {
                index: index as u32,
                replicas: replicas.to_vec(),
                lead: knobs.lead,
                election: knobs.election.clone(),
                heartbeat: knobs.heartbeat.clone(),
                window: knobs.window,
                max_batch: knobs.max_batch,
                max_round: knobs.max_round,
                max_slots: knobs.max_slots,
                bug: knobs.bug,
            },
            acceptor: Acceptor {
                reaccept: knobs.reaccept,
                bug: knobs.bug,
            },
            learner: Learner {
                index: index as u32,
                replicas: replicas.to_vec(),
                bug: knobs.bug,
            },
        }
    }

    /// The durable record of `state`.
    pub fn record(&self, state: &ReplicaState) -> Record {
        let mut r = Record::default();
        self.acceptor.durable(&state.acceptor, &mut r);
        self.leader.durable(&state.leader, &mut r);
        r
    }

    /// (Re)start: the acceptor restores its votes, the leader its round (and the first leader
    /// prepares), the learner asks for the decided log when restarting.
    pub fn start(&self, id: Id, storage: &Option<Record>, o: &mut Out2) -> ReplicaState {
        let mut step = Out2::new();
        let state = ReplicaState {
            acceptor: self.acceptor.start(storage, &mut step),
            leader: self.leader.start(storage, &mut step),
            learner: self.learner.start(storage, &mut step),
        };
        let mut state = Cow::Owned(state);
        settle(id, false, step, o, |src, msg, step| {
            self.dispatch(&mut state, src, msg, step)
        });
        state.into_owned()
    }

    /// One message, handed to every role.
    pub fn on_msg(&self, id: Id, state: &mut Cow<ReplicaState>, src: Id, msg: &Msg, o: &mut Out2) {
        let mut step = Out2::new();
        self.dispatch(state, src, msg, &mut step);
        settle(id, false, step, o, |src, msg, step| {
            self.dispatch(state, src, msg, step)
        });
    }

    /// A timer: only the leader has any.
    pub fn on_timeout(&self, id: Id, state: &mut Cow<ReplicaState>, timer: Timer, o: &mut Out2) {
        let mut step = Out2::new();
        with(
            &self.leader,
            state,
            |s| &s.leader,
            |s, n| s.leader = n,
            |r, st| r.on_timeout(st, timer, &mut step),
        );
        settle(id, false, step, o, |src, msg, step| {
            self.dispatch(state, src, msg, step)
        });
    }

    fn dispatch(&self, state: &mut Cow<ReplicaState>, src: Id, msg: &Msg, step: &mut Out2) {
        with(
            &self.acceptor,
            state,
            |s| &s.acceptor,
            |s, n| s.acceptor = n,
            |r, st| r.on_msg(st, src, msg, step),
        );
        with(
            &self.leader,
            state,
            |s| &s.leader,
            |s, n| s.leader = n,
            |r, st| r.on_msg(st, src, msg, step),
        );
        with(
            &self.learner,
            state,
            |s| &s.learner,
            |s, n| s.learner = n,
            |r, st| r.on_msg(st, src, msg, step),
        );
    }
}
