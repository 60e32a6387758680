//! The checked claim for single-decree Paxos.
//!
//! This file is the whole claim in one place: the configuration ([`SingleConfig`], every knob),
//! which faults are explored (network kind, loss, crashes, timers), the ghost history the
//! properties are computed from ([`History`]), and the properties themselves
//! ([`SingleModel::properties`]).
//!
//! # The model
//!
//! [`SingleModel`] wraps stateright's `ActorModel` of [`SingleActor`]s. The wrapper adds what an
//! `ActorModel` cannot express: ghost variables that observe actor states after each step
//! (stability of learners, crash-recovery bookkeeping), the rule that clients (the outside
//! world) do not crash, readable action names (`P0 -> A1 Prepare(1.0)`), and the
//! canonicalization of stateright's duplicating network (see [`Model::next_state`] below).
//!
//! # Dead messages
//!
//! stateright offers no step for a delivery that changes nothing, so a message whose delivery
//! is a no-op only sits in the network, and states that differ in such leftovers multiply (a
//! late `Promise` for a ballot already in phase 2, an `Accept` below a promise, a `Chosen` to a
//! learner that knows). After every step the model removes protocol messages whose delivery is
//! a no-op ([`SingleModel::prunes_dead_messages`], [`SingleModel::is_prunable`]). This is sound
//! when a no-op message stays a no-op while it is in the network: the pruned state then has the
//! same steps, and no property reads the network. Promises and votes only grow, which is why it
//! holds here; `tests/dead_messages.rs` checks it on every edge of the unpruned models and that
//! no verdict changes. It is not applied with crashes or seeded bugs (a recovered or forgetful
//! acceptor can revive a message), nor to client messages (a `Propose` a busy proposer ignores
//! may be answered once it has decided).
//!
//! # Symmetry: acceptors only, and only with separate roles
//!
//! Symmetry reduction is sound only for permutations that map the model onto itself.
//!
//! **Proposers and clients are not permuted.** Proposers are not interchangeable: ballots
//! `(round, proposer)` break ties by proposer index, so relabelling proposers changes which
//! ballot wins. Clients are not interchangeable either: each carries its own value and starts
//! at its own proposer, so no permutation of clients fixes the initial state.
//!
//! **Acceptors are, with separate roles** (`merge = none`: `roles`, `faults` and the seeded
//! bugs built on them). They run one acceptor role, no actor names one acceptor differently
//! from another, no seeded bug singles one out, and every property counts or compares votes and
//! promises per acceptor in a way no relabelling changes. `paxos check --symmetry` explores one
//! state per orbit under permutations of acceptors (`models/symmetry.rs`, which also rewrites
//! every place an acceptor's identity appears in a state, and `tests/symmetry.rs`, which
//! checks the premises on every state of `roles` and that verdicts do not change). It is
//! refused with merged nodes, where an acceptor is also a proposer (`all`) or a learner that
//! clients address by index (`acceptor-learner`).
//!
//!
//! # The parts
//!
//! * [`config`]: the named configurations ([`SingleConfig::named`]) and their knobs.
//! * [`layout`]: which actor sits at which index, and the names traces use.
//! * [`history`]: the ghost history the properties read (never read by actors).
//! * [`properties`]: the whole checked claim, every property in one table.
//! * this module: the model itself (its actions, pruning of dead messages, traces).

pub mod config;
pub mod history;
pub mod layout;
pub mod properties;

pub use config::*;
pub use history::*;
pub use layout::*;

use crate::ballot::Ballot;
use crate::models::harness::ActorHarness;
pub use crate::single::knobs::{Knobs, LearnMode};
use crate::single::{quorum, Bug, Client, ClientPhase, Msg, Node, Phase, SingleActor, Value};
use serde::Serialize;
use stateright::actor::{
    model_timeout, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, LossyNetwork,
};
use stateright::{Expectation, Model, Path, Property};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// The state of a single-decree model.
pub type SingleModelState = ActorModelState<SingleActor, History>;
/// An action of a single-decree model.
pub type SingleAction = ActorModelAction<Msg, crate::single::Timer, ()>;

/// The single-decree Paxos model: stateright's `ActorModel` plus ghost variables and
/// properties (see the module docs).
#[derive(Clone)]
pub struct SingleModel {
    /// The configuration.
    pub cfg: SingleConfig,
    /// Actor layout.
    pub layout: Layout,
    /// The wrapped actor model.
    pub inner: ActorModel<SingleActor, SingleConfig, History>,
    /// When set, only this property is checked (used for shortest counterexamples).
    pub only: Option<&'static str>,
}

impl SingleModel {
    /// Builds the model of `cfg` (which must be valid).
    pub fn new(cfg: SingleConfig) -> SingleModel {
        let layout = cfg.layout();
        let history = History {
            max_promised: vec![None; cfg.acceptors],
            learned: vec![None; layout.kinds.len()],
            ..History::default()
        };
        let inner = ActorModel::new(cfg.clone(), history)
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
        SingleModel {
            cfg,
            layout,
            inner,
            only: None,
        }
    }

    /// The same model checking only property `name`.
    pub fn only(mut self, name: &'static str) -> Self {
        self.only = Some(name);
        self
    }

    /// Updates the ghost variables that observe actor states after a step.
    fn observe(
        &self,
        prev: Option<&SingleModelState>,
        action: Option<&SingleAction>,
        s: &mut SingleModelState,
    ) {
        if let (Some(prev), Some(ActorModelAction::Recover(id))) = (prev, action) {
            if self.layout.acceptor_index(*id).is_some()
                && prev.history.chosen(self.cfg.acceptors).is_empty()
                && !prev.history.recovered_before_choice
            {
                s.history.recovered_before_choice = true;
            }
        }
        for i in 0..s.actor_states.len() {
            if s.crashed[i] {
                continue;
            }
            let st = Arc::clone(&s.actor_states[i]);
            // Votes and promises are observed in the acceptor's state, so votes cast inside a
            // merged node (delivered locally, never on the network) are recorded too. Every
            // vote passes through `accepted`, one per step.
            if let (Some(a), Some(acc)) = (self.layout.acceptor_index(Id::from(i)), st.acceptor()) {
                if let Some((b, v)) = acc.accepted {
                    if !s.history.votes.contains(&(b, v, a as u8)) {
                        s.history.votes.insert((b, v, a as u8));
                    }
                }
                if acc.promised > s.history.max_promised[a] {
                    s.history.max_promised[a] = acc.promised;
                }
            }
            if let Some(p) = st.proposer() {
                if let Phase::Accepting { ballot, value, .. } = p.phase {
                    if !s.history.proposals.contains(&(ballot, value)) {
                        s.history.proposals.insert((ballot, value));
                    }
                }
            }
            if let Some(l) = st.learner() {
                let ghost = s.history.learned[i];
                match (ghost, l.learned) {
                    (None, Some(v)) => s.history.learned[i] = Some(v),
                    (Some(g), cur) if cur != Some(g) && !s.history.unstable => {
                        s.history.unstable = true
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The policies of the shared model mechanics ([`ActorHarness`]) for single-decree Paxos.
impl ActorHarness for SingleModel {
    type Actor = SingleActor;
    type History = History;

    fn actors(&self) -> &[SingleActor] {
        &self.inner.actors
    }

    fn actor_name(&self, id: Id) -> String {
        self.layout.name(id)
    }

    /// Clients are the outside world, not a fault domain of the protocol: they do not crash.
    /// With `crash_acceptors_only`, only acceptors (and the nodes that hold one) do.
    fn may_crash(&self, id: Id) -> bool {
        match self.layout.kinds[usize::from(id)] {
            Kind::Client => false,
            Kind::Acceptor | Kind::Node => true,
            Kind::Proposer | Kind::Learner => !self.cfg.crash_acceptors_only,
        }
    }

    fn consumes_ignored(&self) -> bool {
        self.cfg.consume_ignored
    }

    /// Asked for (`prune_dead`), on an unordered network, with no crashes, no seeded bug and
    /// no retransmission: the conditions under which a message that is a no-op once stays a
    /// no-op (`tests/dead_messages.rs` checks that on every edge of the unpruned models). With
    /// `retransmit` the premise is not checked, so nothing is pruned.
    fn prunes_dead_messages(&self) -> bool {
        self.cfg.prune_dead
            && self.cfg.max_crashes == 0
            && self.cfg.bug == Bug::None
            && !self.cfg.retransmit
            && self.cfg.network != NetworkKind::Ordered
    }

    /// Messages between protocol roles (phases 1 and 2, `Nack`, `Chosen`). Client messages
    /// are never removed: a `Propose` a busy proposer ignores now may be answered once it has
    /// decided.
    fn is_prunable(msg: &Msg) -> bool {
        matches!(
            msg,
            Msg::Prepare(..)
                | Msg::Promise(..)
                | Msg::Accept(..)
                | Msg::Accepted(..)
                | Msg::Nack(..)
                | Msg::Chosen(..)
        )
    }
}

impl Model for SingleModel {
    type State = SingleModelState;
    type Action = SingleAction;

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
        // See `SingleConfig::lossy` for why a duplicating network has no explicit drops.
        self.filter_actions(state, actions);
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut next = match self.inner.next_state(last, action.clone()) {
            Some(next) => next,
            None => self.consume_ignored(last, &action)?,
        };
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
        self.inner.format_step(last, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.cfg.max_ballots == 0 || state.history.prepares.len() <= self.cfg.max_ballots
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Self::all_properties()
            .into_iter()
            .filter(|p| match p.name {
                "chosen-after-recovery" => self.cfg.max_crashes > 0,
                "second-proposer-completes" => self.layout.proposers.len() >= 2,
                _ => true,
            })
            .filter(|p| self.only.is_none_or(|o| o == p.name))
            .collect()
    }
}

/// The expectation name used in reports.
pub fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Sometimes => "sometimes",
        Expectation::Eventually => "eventually",
    }
}
