//! The vocabulary shared by all roles of single-decree Paxos: values, messages, timers, the
//! durable storage record and the seeded-bug switch.
//!
//! Message names follow "Paxos Made Simple": phase 1 is `Prepare` / `Promise`, phase 2 is
//! `Accept` / `Accepted`. `Nack` is the optional hint an acceptor returns when it refuses a
//! ballot, so the proposer can retry above the ballot that beat it. `Propose` / `Decided` are the
//! client's request and answer; `Query` / `Learned` are the client's question to a learner.

use crate::ballot::Ballot;
pub use crate::quorum::AcceptorSet;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The values Paxos agrees on.
pub type Value = u64;

/// Every message of single-decree Paxos, for every role.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Msg {
    /// Client -> proposer: please get `value` chosen (or tell me what was chosen).
    Propose(Value),
    /// Proposer -> client: `value` is chosen (it may differ from the client's own value).
    Decided(Value),
    /// Client -> learner: what is decided?
    Query,
    /// Learner -> client: the decided value, or `None` when this learner does not know yet.
    Learned(Option<Value>),
    /// Phase 1a, proposer -> acceptors.
    Prepare(Ballot),
    /// Phase 1b, acceptor -> proposer: promise not to accept below `Ballot`, reporting the
    /// acceptor's last vote, if any.
    Promise(Ballot, Option<(Ballot, Value)>),
    /// Phase 2a, proposer -> acceptors.
    Accept(Ballot, Value),
    /// Phase 2b, acceptor -> proposer and learners: a vote for `(ballot, value)`.
    Accepted(Ballot, Value),
    /// Acceptor -> proposer: refused `.0` because it promised `.1`.
    Nack(Ballot, Ballot),
    /// Distinguished learner (the proposer that saw a quorum of `Accepted`) -> learners:
    /// `value` was chosen at `ballot`.
    Chosen(Ballot, Value),
}

impl Msg {
    /// The ballot a phase message belongs to (`Prepare`, `Promise`, `Accept`, `Accepted`,
    /// `Nack`: the refused ballot, `Chosen`); `None` for client messages.
    pub fn ballot(&self) -> Option<Ballot> {
        match *self {
            Msg::Propose(_) | Msg::Decided(_) | Msg::Query | Msg::Learned(_) => None,
            Msg::Prepare(b)
            | Msg::Promise(b, _)
            | Msg::Accept(b, _)
            | Msg::Accepted(b, _)
            | Msg::Nack(b, _)
            | Msg::Chosen(b, _) => Some(b),
        }
    }

    /// Whether every ballot in the message is in range ([`Ballot::in_range`]).
    pub fn in_range(&self) -> bool {
        match *self {
            Msg::Propose(_) | Msg::Decided(_) | Msg::Query | Msg::Learned(_) => true,
            Msg::Prepare(b) | Msg::Accept(b, _) | Msg::Accepted(b, _) | Msg::Chosen(b, _) => {
                b.in_range()
            }
            Msg::Promise(b, vote) => b.in_range() && vote.is_none_or(|(vb, _)| vb.in_range()),
            Msg::Nack(b, p) => b.in_range() && p.in_range(),
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Propose(v) => write!(f, "Propose({v})"),
            Msg::Decided(v) => write!(f, "Decided({v})"),
            Msg::Query => write!(f, "Query"),
            Msg::Learned(Some(v)) => write!(f, "Learned({v})"),
            Msg::Learned(None) => write!(f, "Learned(unknown)"),
            Msg::Prepare(b) => write!(f, "Prepare({b})"),
            Msg::Promise(b, None) => write!(f, "Promise({b}, none)"),
            Msg::Promise(b, Some((vb, v))) => write!(f, "Promise({b}, {v}@{vb})"),
            Msg::Accept(b, v) => write!(f, "Accept({b}, {v})"),
            Msg::Accepted(b, v) => write!(f, "Accepted({b}, {v})"),
            Msg::Nack(b, p) => write!(f, "Nack({b}, promised {p})"),
            Msg::Chosen(b, v) => write!(f, "Chosen({b}, {v})"),
        }
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<R> stateright::Rewrite<R> for Msg {
    fn rewrite<S>(&self, _plan: &stateright::RewritePlan<R, S>) -> Self {
        *self
    }
}

/// Timers. The model lets a set timer fire at any moment; the runtime fires it after a delay.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    /// A proposer's attempt took too long: start again with a higher ballot.
    ProposerRetry,
    /// A client got no answer: ask the next proposer (or learner).
    ClientRetry,
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::ProposerRetry => "retry",
            Timer::ClientRetry => "client-retry",
        })
    }
}

/// What an actor keeps on stable storage. One record per process, whatever roles it runs:
/// the acceptor's promise and vote (the part Paxos' safety depends on), the proposer's highest
/// round (so a restarted proposer never reuses a ballot with another value) and the learner's
/// decision (so a restarted learner never forgets it).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Storage {
    /// Acceptor: highest ballot promised.
    pub promised: Option<Ballot>,
    /// Acceptor: last vote.
    pub accepted: Option<(Ballot, Value)>,
    /// Proposer: highest round used.
    pub round: u32,
    /// Learner: the decided value.
    pub learned: Option<Value>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Storage {{")?;
        let mut sep = " ";
        if let Some(p) = self.promised {
            write!(f, "{sep}promised: {p}")?;
            sep = ", ";
        }
        if let Some((b, v)) = self.accepted {
            write!(f, "{sep}accepted: {v}@{b}")?;
            sep = ", ";
        }
        if self.round > 0 {
            write!(f, "{sep}round: {}", self.round)?;
            sep = ", ";
        }
        if let Some(v) = self.learned {
            write!(f, "{sep}learned: {v}")?;
        }
        write!(f, " }}")
    }
}

impl<R> stateright::Rewrite<R> for Storage {
    fn rewrite<S>(&self, _plan: &stateright::RewritePlan<R, S>) -> Self {
        self.clone()
    }
}

/// Seeded protocol bugs. Only models and tests set anything but [`Bug::None`]; the runtime
/// never does. Each bug must be caught by a named property of the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// The correct protocol.
    #[default]
    None,
    /// Acceptor does not save: after crash and recovery it forgets its promise and vote.
    AcceptorForgets,
    /// Proposer proposes its own value even when promises report an accepted one.
    IgnoreAccepted,
    /// Proposer adopts the lowest-ballot accepted value instead of the highest.
    LowestAccepted,
    /// Quorums of n/2 instead of a majority.
    MinorityQuorum,
    /// Acceptor accepts a ballot lower than its promise.
    AcceptBelowPromise,
    /// Learner counts `Accepted` votes for a value across different ballots.
    MixedBallotLearner,
    /// All proposers use the same ballot numbers (proposer index 0).
    SharedBallots,
    /// Proposer does not save its round: after crash and recovery it starts from round 0 and
    /// reuses its ballots.
    ProposerForgetsRound,
    /// Learner does not save what it learned: after crash and recovery it knows nothing.
    LearnerForgets,
    /// Proposer answers its clients with their own value instead of the chosen one.
    AnswerOwnValue,
    /// Proposer answers `Decided` after the first vote instead of a majority.
    EarlyDecide,
}

impl Bug {
    /// Every bug with its command-line name and a one-line description.
    pub const ALL: [(Bug, &'static str, &'static str); 11] = [
        (
            Bug::AcceptorForgets,
            "acceptor-forgets",
            "acceptor does not save; after crash and recovery it forgets its promise",
        ),
        (
            Bug::IgnoreAccepted,
            "ignore-accepted",
            "proposer proposes its own value even when promises report an accepted one",
        ),
        (
            Bug::LowestAccepted,
            "lowest-accepted",
            "proposer adopts the lowest-ballot accepted value instead of the highest",
        ),
        (
            Bug::MinorityQuorum,
            "minority-quorum",
            "quorum of n/2 instead of a majority",
        ),
        (
            Bug::AcceptBelowPromise,
            "accept-below-promise",
            "acceptor accepts a ballot lower than its promise",
        ),
        (
            Bug::MixedBallotLearner,
            "mixed-ballot-learner",
            "learner counts Accepted votes across different ballots",
        ),
        (
            Bug::SharedBallots,
            "shared-ballots",
            "two proposers can use the same ballot",
        ),
        (
            Bug::ProposerForgetsRound,
            "proposer-forgets-round",
            "proposer does not save its round; after crash and recovery it reuses its ballots",
        ),
        (
            Bug::LearnerForgets,
            "learner-forgets",
            "learner does not save its decision; after crash and recovery it knows nothing",
        ),
        (
            Bug::AnswerOwnValue,
            "answer-own-value",
            "proposer answers Decided with its client's value instead of the chosen one",
        ),
        (
            Bug::EarlyDecide,
            "early-decide",
            "proposer answers Decided after the first vote instead of a majority",
        ),
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(b, _, _)| *b == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("none")
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Bug> {
        if name == "none" {
            return Some(Bug::None);
        }
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(b, _, _)| *b)
    }
}

/// Size of a quorum among `n` acceptors: a strict majority (or `n / 2` under the seeded
/// [`Bug::MinorityQuorum`]). Any two majorities intersect, which is what makes a chosen value
/// visible to every later phase 1.
pub fn quorum(n: usize, bug: Bug) -> usize {
    if bug == Bug::MinorityQuorum {
        (n / 2).max(1)
    } else {
        crate::quorum::majority(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorums_are_majorities_unless_bugged() {
        assert_eq!(quorum(3, Bug::None), 2);
        assert_eq!(quorum(4, Bug::None), 3);
        assert_eq!(quorum(5, Bug::None), 3);
        assert_eq!(quorum(3, Bug::MinorityQuorum), 1);
        assert_eq!(quorum(4, Bug::MinorityQuorum), 2);
    }

    #[test]
    fn bug_names_round_trip() {
        for (bug, name, _) in Bug::ALL {
            assert_eq!(Bug::parse(name), Some(bug));
            assert_eq!(bug.name(), name);
        }
        assert_eq!(Bug::parse("none"), Some(Bug::None));
        assert_eq!(Bug::parse("nope"), None);
    }
}
