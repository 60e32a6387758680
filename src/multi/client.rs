//! A client of the replicated key-value store, as an actor: it runs its operations one after
//! the other, each tagged with its client id and the next sequence number.
//!
//! It sends each request to the replica it believes leads (replica 0 at first). A `NotLeader`
//! answer names the leader, when the replica knows one: the client asks that one. With retries
//! on, a client that gets no answer asks the next replica with the *same* sequence number, so
//! that the command, if it was decided already, is not applied a second time. The client's
//! progress lives in its state; the ghost history of a model records what it asked and got.

use super::msg::{Cmd, Msg, Op, Timer};
use super::Out2;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

/// Configuration of a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    /// The client id its commands carry.
    pub id: u64,
    /// The operations, in order.
    pub ops: Vec<Op>,
    /// The replicas, by index.
    pub replicas: Vec<Id>,
    /// Retry timer range; `None` disables retries.
    pub retry: Option<Range<Duration>>,
    /// Most retries per operation (`None`: no limit). A model bound: every retry of a
    /// non-duplicating network is a new message, so unbounded retries make a model infinite.
    pub max_retries: Option<u32>,
}

/// Client state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientState {
    /// Operations answered so far; the one in progress has sequence number `done + 1`.
    pub done: u32,
    /// The replica asked last, by index.
    pub target: u32,
    /// Retries of the operation in progress (counted only under a retry limit).
    pub retries: u32,
}

impl Client {
    /// Sends the first request.
    pub fn start(&self, o: &mut Out2) -> ClientState {
        let st = ClientState::default();
        self.send(&st, o);
        st
    }

    /// The command in progress, if any.
    pub fn current(&self, st: &ClientState) -> Option<Cmd> {
        self.ops.get(st.done as usize).map(|op| Cmd {
            client: self.id,
            seq: st.done + 1,
            op: op.clone(),
        })
    }

    fn send(&self, st: &ClientState, o: &mut Out2) {
        if let Some(cmd) = self.current(st) {
            o.send(self.replicas[st.target as usize], Msg::Request(cmd));
            match &self.retry {
                Some(r) if self.may_retry(st) => o.set_timer(Timer::ClientRetry, r.clone()),
                Some(_) => o.cancel_timer(Timer::ClientRetry),
                None => {}
            }
        } else if self.retry.is_some() {
            o.cancel_timer(Timer::ClientRetry);
        }
    }

    /// An answer: the next operation after a `Reply`, the named leader after `NotLeader`.
    pub fn on_msg(&self, state: &mut Cow<ClientState>, msg: &Msg, o: &mut Out2) {
        let seq = state.done + 1;
        match *msg {
            Msg::Reply(s, _) if s == seq && self.current(state).is_some() => {
                let st = state.to_mut();
                st.done += 1;
                st.retries = 0;
                self.send(state, o);
            }
            Msg::NotLeader(s, hint) if s == seq && self.current(state).is_some() => {
                let n = self.replicas.len() as u32;
                let next = match hint {
                    Some(l) if l != state.target && l < n => l,
                    _ => (state.target + 1) % n,
                };
                state.to_mut().target = next;
                self.send(state, o);
            }
            _ => {}
        }
    }

    /// No answer in time: the same command to the next replica (within the retry limit).
    pub fn on_timeout(&self, state: &mut Cow<ClientState>, o: &mut Out2) {
        if self.current(state).is_none() || !self.may_retry(state) {
            return;
        }
        let n = self.replicas.len() as u32;
        let st = state.to_mut();
        st.target = (st.target + 1) % n;
        if self.max_retries.is_some() {
            st.retries += 1;
        }
        self.send(state, o);
    }

    /// Whether the retry limit allows another retry of the operation in progress.
    pub fn may_retry(&self, st: &ClientState) -> bool {
        self.max_retries.is_none_or(|m| st.retries < m)
    }
}
