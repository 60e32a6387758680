//! The checked claim for Multi-Paxos: the configuration ([`MultiConfig`]), the faults explored,
//! the ghost history ([`History`]) and the properties ([`properties`]).
//!
//! [`MultiModel`] wraps stateright's `ActorModel` of [`MultiActor`]s (replicas `R0..`, then
//! clients `C0..`) and adds, as the single-decree model does, what an `ActorModel` cannot
//! express: ghost variables that observe actor states after each step (votes, what each replica
//! applied, recoveries), the rule that clients do not crash, readable action names, and the
//! removal of dead messages (through the shared [`ActorHarness`] mechanics).
//!
//! # Bounds
//!
//! The log has `max_slots` slots, each replica starts at most `max_round` rounds, a client
//! retries at most `max_retries` times per operation and at most `max_crashes` crashes happen
//! in a run, so the model is finite (on a non-duplicating network each retry and each
//! restart's catch-up is a new message: without the last two bounds the model is infinite).
//! A client whose command finds no free slot is never answered, which the liveness claims
//! name as a bound. Heartbeats are modelled only on a duplicating network
//! (where sending the same heartbeat again adds no state); elsewhere the model has no
//! heartbeats, and an election timer may fire at any moment, which covers every timing of a
//! heartbeat that would have re-armed it.
//!
//! # Dead messages
//!
//! As in single-decree Paxos ([`crate::models::single`]): without crashes and seeded bugs, a
//! protocol message whose delivery is a no-op stays one (promises, votes and the decided log
//! only grow), so the model removes it; `tests/dead_messages.rs` checks that premise on every
//! edge of the unpruned `basic`, `lossy` and one-slot `leader-change` models. A client's
//! request is never removed (a replica may answer it later from its session table); a reply
//! or `NotLeader` the client ignores is, since it answers an operation the client finished.

pub mod bugs;
pub mod claims;
pub mod config;
pub mod history;
pub mod kv_spec;
pub mod linearizability;
pub mod properties;

pub use config::*;
pub use history::*;
pub use kv_spec::KvSpec;

use crate::ballot::Ballot;
use crate::models::harness::ActorHarness;
pub use crate::models::network::NetworkKind;
use crate::multi::{
    Bug, Client, Cmd, Entry, Msg, MultiActor, Op, Replica, ReplicaKnobs, Slot, Text, Timer,
};
use crate::quorum::majority;
use itertools::Itertools;
use serde::Serialize;
use stateright::actor::{
    ActorModel, ActorModelAction, ActorModelState, Envelope, Id, LossyNetwork,
};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};
use stateright::{Model, Path, Property};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The state of a Multi-Paxos model.
pub type MultiModelState = ActorModelState<MultiActor, History>;
/// An action of a Multi-Paxos model.
pub type MultiAction = ActorModelAction<Msg, Timer, ()>;

/// The Multi-Paxos model (see the module docs).
#[derive(Clone)]
pub struct MultiModel {
    /// The configuration.
    pub cfg: MultiConfig,
    /// The wrapped actor model.
    pub inner: ActorModel<MultiActor, MultiConfig, History>,
    /// When set, only this property is checked (for shortest counterexamples).
    pub only: Option<&'static str>,
}

impl MultiModel {
    /// Builds the model of `cfg` (which must be valid).
    pub fn new(cfg: MultiConfig) -> MultiModel {
        let inner = ActorModel::new(cfg.clone(), History::default())
            .actors(cfg.actors())
            .init_network(cfg.network.network())
            .lossy_network(if cfg.lossy {
                LossyNetwork::Yes
            } else {
                LossyNetwork::No
            })
            .max_crashes(cfg.max_crashes)
            .record_msg_out(History::record_out)
            .record_msg_in(History::record_in);
        MultiModel {
            cfg,
            inner,
            only: None,
        }
    }

    /// The same model checking only property `name`.
    pub fn only(mut self, name: &'static str) -> Self {
        self.only = Some(name);
        self
    }

    /// Live replicas' states, with their index.
    pub fn live_replicas<'a>(
        &'a self,
        s: &'a MultiModelState,
    ) -> impl Iterator<Item = (usize, &'a crate::multi::ReplicaState)> + 'a {
        (0..self.cfg.replicas)
            .filter(|i| !s.crashed[*i])
            .filter_map(|i| s.actor_states[i].replica().map(|r| (i, r)))
    }

    /// Updates the ghost variables that observe actor states after a step.
    fn observe(
        &self,
        prev: Option<&MultiModelState>,
        action: Option<&MultiAction>,
        s: &mut MultiModelState,
    ) {
        if let (Some(prev), Some(action)) = (prev, action) {
            self.observe_action(prev, action, s);
        }
        let n = self.cfg.replicas;
        let mut h: Option<History> = None;
        for i in 0..n {
            if s.crashed[i] {
                continue;
            }
            let Some(r) = s.actor_states[i].replica() else {
                continue;
            };
            let cur = h.as_ref().unwrap_or(&s.history);
            let new_votes: Vec<GhostVote> = r
                .acceptor
                .votes
                .iter()
                .map(|(slot, (b, e))| (*slot, *b, e.clone(), i as u8))
                .filter(|v| !cur.votes.contains(v))
                .collect();
            let l = &r.learner;
            let new_applied: Vec<(Slot, &Entry)> = (0..l.applied)
                .filter_map(|slot| l.log.get(&slot).map(|e| (slot, e)))
                .filter(|(slot, e)| cur.applied_by.get(&(i as u8, *slot)) != Some(*e))
                .collect();
            let recovered_pending = cur
                .recovered
                .get(&(i as u8))
                .is_some_and(|d| !cur.caught_up && *d > 0 && l.applied >= *d);
            if new_votes.is_empty() && new_applied.is_empty() && !recovered_pending {
                continue;
            }
            let hh = h.get_or_insert_with(|| s.history.clone());
            hh.votes.extend(new_votes);
            for (slot, e) in new_applied {
                match hh.applied_by.get(&(i as u8, slot)) {
                    Some(_) => hh.unstable = true,
                    None => {
                        hh.applied_by.insert((i as u8, slot), e.clone());
                    }
                }
                match hh.applied.get(&slot) {
                    Some(first) if first != e => hh.diverged = true,
                    Some(_) => {}
                    None => {
                        hh.applied.insert(slot, e.clone());
                    }
                }
            }
            if recovered_pending {
                hh.caught_up = true;
            }
        }
        if let Some(h) = h {
            s.history = h;
        }
    }

    /// Ghost variables that depend on the action: recoveries, answers from the session table.
    fn observe_action(
        &self,
        prev: &MultiModelState,
        action: &MultiAction,
        s: &mut MultiModelState,
    ) {
        match action {
            ActorModelAction::Crash(_) => s.history.crashes += 1,
            ActorModelAction::Recover(id) => {
                let decided = {
                    let log = prev.history.chosen_log(self.cfg.replicas);
                    (0..).take_while(|slot| log.contains_key(slot)).count() as Slot
                };
                s.history.recovered.insert(usize::from(*id) as u8, decided);
            }
            ActorModelAction::Deliver {
                dst,
                msg: Msg::Request(cmd),
                ..
            } => {
                let i = usize::from(*dst);
                if s.history.answered_from_table || i >= self.cfg.replicas {
                    return;
                }
                if let Some(r) = prev.actor_states[i].replica() {
                    if matches!(r.learner.kv.answered(cmd), Some(Some(_))) {
                        s.history.answered_from_table = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// An actor's short name: `R0`, `C1`.
    pub fn name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i < self.cfg.replicas {
            format!("R{i}")
        } else {
            format!("C{}", i - self.cfg.replicas)
        }
    }

    /// Each live replica's log, one line per slot (`R0 slot 1: C0#1 put k=1 (applied)`), for
    /// traces and the explorer.
    pub fn logs(&self, s: &MultiModelState) -> Vec<String> {
        let mut lines = Vec::new();
        for i in 0..self.cfg.replicas {
            let Some(r) = s.actor_states[i].replica() else {
                continue;
            };
            if s.crashed[i] {
                lines.push(format!("R{i}: crashed"));
                continue;
            }
            let l = &r.learner;
            if l.log.is_empty() {
                lines.push(format!("R{i}: empty log"));
            }
            for (slot, e) in &l.log {
                let how = if *slot < l.applied {
                    "applied"
                } else {
                    "decided"
                };
                lines.push(format!("R{i} slot {slot}: {e} ({how})"));
            }
        }
        lines
    }
}

/// The policies of the shared model mechanics for Multi-Paxos.
impl ActorHarness for MultiModel {
    type Actor = MultiActor;
    type History = History;

    fn actors(&self) -> &[MultiActor] {
        &self.inner.actors
    }

    fn actor_name(&self, id: Id) -> String {
        self.name(id)
    }

    /// Clients are the outside world: they do not crash.
    fn may_crash(&self, id: Id) -> bool {
        usize::from(id) < self.cfg.replicas
    }

    fn consumes_ignored(&self) -> bool {
        false
    }

    fn prunes_dead_messages(&self) -> bool {
        self.cfg.prune_dead
            && self.cfg.max_crashes == 0
            && self.cfg.bug == Bug::None
            && self.cfg.network != NetworkKind::Ordered
    }

    /// Every message but a client's request. A reply or `NotLeader` the client ignores
    /// answers an operation it has finished (it ignores nothing else), and it never goes
    /// back; a request is not: the replica may answer it later from its session table.
    fn is_prunable(msg: &Msg) -> bool {
        !matches!(msg, Msg::Request(_))
    }
}

impl Model for MultiModel {
    type State = MultiModelState;
    type Action = MultiAction;

    fn init_states(&self) -> Vec<Self::State> {
        let mut states = self.inner.init_states();
        for s in &mut states {
            self.observe(None, None, s);
            if self.prunes_dead_messages() {
                self.prune_dead_messages(None, s);
            }
        }
        states
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.inner.actions(state, actions);
        self.filter_actions(state, actions);
        if usize::from(state.history.crashes) >= self.cfg.max_crashes {
            actions.retain(|a| !matches!(a, ActorModelAction::Crash(_)));
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut next = self.inner.next_state(last, action.clone())?;
        self.canonicalize_network(&mut next);
        self.observe(Some(last), Some(&action), &mut next);
        if self.prunes_dead_messages() {
            self.prune_dead_messages(Some(last), &mut next);
        }
        Some(next)
    }

    fn format_action(&self, action: &Self::Action) -> String {
        self.describe(action)
    }

    fn format_step(&self, last: &Self::State, action: Self::Action) -> Option<String> {
        let next = self.next_state(last, action.clone())?;
        Some(format!(
            "{}\n\nlogs after the step:\n{}",
            self.describe(&action),
            self.logs(&next).join("\n")
        ))
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Self::all_properties()
            .into_iter()
            .filter(|p| match p.name {
                "leader-change-completes" => self.cfg.candidates > 0,
                "retry-answered-from-table" => self.cfg.client_retry,
                "caught-up-after-crash" => self.cfg.max_crashes > 0,
                _ => true,
            })
            .filter(|p| self.only.is_none_or(|o| o == p.name))
            .collect()
    }
}
