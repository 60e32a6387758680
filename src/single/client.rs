//! The client: the outside world that asks Paxos to decide.
//!
//! A client proposes its value to one proposer and waits for `Decided(v)`; `v` is the chosen
//! value, which may be another client's. If timers are enabled and no answer comes, it retries
//! at the next proposer (and so on, round robin). Once it knows the decision it asks a learner
//! (`Query`) and records the answer, which exercises the learners in the linearizability check:
//! every answer a client receives must agree with a write-once register (a consensus object).
//!
//! The client's value and its current target live in its state rather than its configuration,
//! so interchangeable clients can be permuted by the checker's symmetry reduction.

use super::msg::{Msg, Timer, Value};
use super::Out1;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

/// Configuration of a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    /// The value to propose.
    pub value: Value,
    /// Proposers to try, in order.
    pub proposers: Vec<Id>,
    /// Learners to ask once the decision is known (none: skip the query).
    pub learners: Vec<Id>,
    /// Index of the first proposer (and learner) to try.
    pub first: usize,
    /// Retry timer range; `None` disables retries.
    pub retry: Option<Range<Duration>>,
}

/// Where the client is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClientPhase {
    /// Waiting for `Decided`.
    Proposing,
    /// Got `Decided(.0)`, waiting for a learner's answer.
    Reading(Value),
    /// Done: the decision and what the learner said.
    Done(Value, Option<Value>),
}

/// Client state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientState {
    /// The client's own value.
    pub value: Value,
    /// Index of the proposer (while proposing) or learner (while reading) asked last.
    pub target: u32,
    /// Progress.
    pub phase: ClientPhase,
}

impl Client {
    /// Sends the proposal and arms the retry timer.
    pub fn start(&self, o: &mut Out1) -> ClientState {
        let target = self.first % self.proposers.len();
        o.send(self.proposers[target], Msg::Propose(self.value));
        if let Some(r) = &self.retry {
            o.set_timer(Timer::ClientRetry, r.clone());
        }
        ClientState {
            value: self.value,
            target: target as u32,
            phase: ClientPhase::Proposing,
        }
    }

    /// Handles an answer.
    pub fn on_msg(&self, state: &mut Cow<ClientState>, msg: &Msg, o: &mut Out1) {
        match (*msg, &state.phase) {
            (Msg::Decided(v), ClientPhase::Proposing) => {
                let st = state.to_mut();
                if self.learners.is_empty() {
                    st.phase = ClientPhase::Done(v, None);
                    if self.retry.is_some() {
                        o.cancel_timer(Timer::ClientRetry);
                    }
                } else {
                    let target = self.first % self.learners.len();
                    st.target = target as u32;
                    st.phase = ClientPhase::Reading(v);
                    o.send(self.learners[target], Msg::Query);
                }
            }
            (Msg::Learned(Some(r)), ClientPhase::Reading(v)) => {
                let v = *v;
                state.to_mut().phase = ClientPhase::Done(v, Some(r));
                if self.retry.is_some() {
                    o.cancel_timer(Timer::ClientRetry);
                }
            }
            _ => {}
        }
    }

    /// No answer in time: ask the next proposer or learner.
    pub fn on_timeout(&self, state: &mut Cow<ClientState>, o: &mut Out1) {
        let Some(r) = &self.retry else { return };
        match state.phase {
            ClientPhase::Proposing => {
                let st = state.to_mut();
                st.target = (st.target + 1) % self.proposers.len() as u32;
                o.send(self.proposers[st.target as usize], Msg::Propose(st.value));
            }
            ClientPhase::Reading(_) => {
                let st = state.to_mut();
                st.target = (st.target + 1) % self.learners.len() as u32;
                o.send(self.learners[st.target as usize], Msg::Query);
            }
            ClientPhase::Done(..) => return,
        }
        o.set_timer(Timer::ClientRetry, r.clone());
    }
}
