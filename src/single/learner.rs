//! The learner: finds out which value is chosen.
//!
//! "Paxos Made Simple", section 2.3: a value is chosen when a majority of acceptors voted for it
//! *in the same ballot*. The learner collects `Accepted(b, v)` votes per ballot and learns `v`
//! once a quorum of distinct acceptors voted `(b, v)` for one `b`. Votes from different ballots
//! are never added up: that is the seeded bug [`Bug::MixedBallotLearner`].
//!
//! Alternatively ("Paxos Made Simple", section 2.3) acceptors report only to the proposer, which
//! acts as the distinguished learner and informs the learners with `Chosen(b, v)`: fewer
//! messages, at the cost of one more hop.
//!
//! The learned value is durable, so a learner never forgets or changes its answer across a
//! crash. A client's `Query` is answered with `Learned(Some(v))`, or `Learned(None)` while this
//! learner does not know yet ("unknown", not "nothing is chosen": another learner may know).

use super::msg::{quorum, AcceptorSet, Bug, Msg, Storage, Value};
use super::{Out1, Role, SingleActor};
use crate::ballot::Ballot;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;

/// Configuration of a learner.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Learner {
    /// The acceptors whose votes count (none: this learner learns only from `Chosen`).
    pub acceptors: Vec<Id>,
    /// Seeded bug (`Bug::None` outside models and tests).
    pub bug: Bug,
}

/// Votes seen so far and the learned value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LearnerState {
    /// The decided value, once learned (durable).
    pub learned: Option<Value>,
    /// Votes per `(ballot, value)`, sorted; emptied once the value is learned.
    pub votes: Vec<(Ballot, Value, AcceptorSet)>,
}

impl Role<SingleActor> for Learner {
    type State = LearnerState;

    fn restore(&self, storage: &Option<Storage>) -> LearnerState {
        LearnerState {
            learned: storage.as_ref().and_then(|s| s.learned),
            votes: Vec::new(),
        }
    }

    fn durable(&self, state: &LearnerState, storage: &mut Storage) {
        if self.bug != Bug::LearnerForgets {
            storage.learned = state.learned;
        }
    }

    fn on_msg(&self, state: &mut Cow<LearnerState>, src: Id, msg: &Msg, o: &mut Out1) {
        match *msg {
            Msg::Accepted(b, v) => self.on_accepted(state, src, b, v),
            // From a distinguished learner, which counted a quorum of same-ballot votes.
            Msg::Chosen(_, v) if state.learned.is_none() => {
                let st = state.to_mut();
                st.learned = Some(v);
                st.votes.clear();
            }
            Msg::Query => o.send(src, Msg::Learned(state.learned)),
            _ => {}
        }
    }
}

impl Learner {
    /// A vote: count it per (ballot, value); a quorum of votes in one ballot means the value
    /// is chosen, and the learner learns it.
    fn on_accepted(&self, state: &mut Cow<LearnerState>, src: Id, b: Ballot, v: Value) {
        if state.learned.is_some() {
            return;
        }
        let Some(idx) = self.acceptors.iter().position(|a| *a == src) else {
            return;
        };
        // The correct learner keys votes by (ballot, value); the bugged one by value only.
        let key = if self.bug == Bug::MixedBallotLearner {
            Ballot::default()
        } else {
            b
        };
        let pos = state
            .votes
            .binary_search_by(|(kb, kv, _)| (*kb, *kv).cmp(&(key, v)));
        if let Ok(i) = pos {
            if state.votes[i].2.contains(idx) {
                return;
            }
        }
        let st = state.to_mut();
        let i = match pos {
            Ok(i) => i,
            Err(i) => {
                st.votes.insert(i, (key, v, AcceptorSet::default()));
                i
            }
        };
        st.votes[i].2.insert(idx);
        if st.votes[i].2.len() >= quorum(self.acceptors.len(), self.bug) {
            st.learned = Some(v);
            st.votes.clear();
        }
    }
}
