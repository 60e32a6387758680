//! The protocol knobs: every choice a single-decree role makes that is not its identity, its
//! peers or a bound.
//!
//! A knob picks between variants of the same algorithm that the checker explores side by side
//! (how learners find out, whether acceptors refuse with `Nack`, whether the first proposer
//! leads, ...). The model (`models/single/config.rs`, `SingleConfig::knobs`) and the runtime
//! (`src/runtime`, through [`crate::single::deploy`]) build their roles with the same three
//! functions here, so a node process runs exactly the actors a named configuration checked;
//! [`Knobs::RUNTIME`] is the set a node runs, and a test pins it to the `runtime` and
//! `runtime-roles` configurations.

use super::{Acceptor, Bug, Learner, Proposer};
use serde::Serialize;
use stateright::actor::Id;
use std::ops::Range;
use std::time::Duration;

/// How learners find out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearnMode {
    /// Acceptors send every vote to every learner, which counts same-ballot votes.
    Votes,
    /// Acceptors answer only the proposer, which informs the learners with `Chosen`. A learner
    /// merged with a proposer also counts the votes its node receives.
    Proposer,
    /// As `Proposer`, but learners learn from `Chosen` only and never count votes, not even
    /// those a merged node's proposer receives. Recording the decision then happens in a step
    /// of its own (with `loopback`), so it never delays the proposer's `Decided`.
    Chosen,
}

crate::names::names!(LearnMode {
    Votes => "votes",
    Proposer => "proposer",
    Chosen => "chosen",
});

impl LearnMode {
    /// Whether acceptors send their votes to the learners.
    pub fn acceptors_notify(self) -> bool {
        self == LearnMode::Votes
    }
    /// Whether a proposer that saw a quorum of votes informs the learners with `Chosen`.
    pub fn proposer_notifies(self) -> bool {
        self != LearnMode::Votes
    }
    /// Whether learners count the votes they receive.
    pub fn learners_count_votes(self) -> bool {
        self != LearnMode::Chosen
    }
}

/// The protocol knobs of one configuration (see the module docs; each field's meaning is on
/// the role field it sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Knobs {
    /// How learners learn.
    pub learn: LearnMode,
    /// Acceptors answer refusals with `Nack` ([`Acceptor::nacks`]).
    pub nacks: bool,
    /// A proposer restarts at once on a `Nack` ([`Proposer::eager_retry`]).
    pub eager_retry: bool,
    /// Acceptors answer a `Prepare` for the ballot they promised again
    /// ([`Acceptor::repromise`]).
    pub repromise: bool,
    /// The first proposer leads: it prepares at start ([`Proposer::lead`]).
    pub leader: bool,
    /// Merged nodes send to themselves through the network ([`crate::single::Node::loopback`]).
    pub loopback: bool,
    /// A decided proposer announces `Chosen` again when asked ([`Proposer::catch_up`]).
    pub catch_up: bool,
    /// Proposers retransmit the current phase on a timeout ([`Proposer::retransmit`]);
    /// acceptors answer retransmissions again.
    pub retransmit: bool,
    /// A seeded bug (none in the runtime).
    pub bug: Bug,
}

impl Knobs {
    /// What `paxos node` runs: the knobs of the checked `runtime` and `runtime-roles`
    /// configurations (pinned to them by `tests/deployment.rs`).
    pub const RUNTIME: Knobs = Knobs {
        learn: LearnMode::Chosen,
        nacks: true,
        eager_retry: false,
        repromise: false,
        leader: true,
        loopback: true,
        catch_up: true,
        retransmit: false,
        bug: Bug::None,
    };

    /// Proposer number `index` among `acceptors` and `learners`. `retry` and `max_round` are
    /// passed in: a model abstracts the one and bounds the other, the runtime does neither.
    pub fn proposer(
        &self,
        index: u32,
        acceptors: &[Id],
        learners: &[Id],
        retry: Option<Range<Duration>>,
        max_round: u32,
    ) -> Proposer {
        Proposer {
            index,
            acceptors: acceptors.to_vec(),
            retry,
            eager_retry: self.eager_retry,
            max_round,
            notify: if self.learn.proposer_notifies() {
                learners.to_vec()
            } else {
                Vec::new()
            },
            lead: self.leader && index == 0,
            catch_up: self.catch_up,
            retransmit: self.retransmit,
            bug: self.bug,
        }
    }

    /// An acceptor voting for `learners`.
    pub fn acceptor(&self, learners: &[Id]) -> Acceptor {
        Acceptor {
            learners: if self.learn.acceptors_notify() {
                learners.to_vec()
            } else {
                Vec::new()
            },
            nacks: self.nacks,
            repromise: self.repromise || self.retransmit,
            reaccept: self.retransmit,
            bug: self.bug,
        }
    }

    /// A learner counting `acceptors`' votes.
    pub fn learner(&self, acceptors: &[Id]) -> Learner {
        Learner {
            acceptors: if self.learn.learners_count_votes() {
                acceptors.to_vec()
            } else {
                Vec::new()
            },
            bug: self.bug,
        }
    }
}
