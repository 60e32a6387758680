//! The Multi-Paxos learner: the decided log, applied in order to the state machine, and the
//! answers to clients.
//!
//! * A slot is decided when the leader says so (`Chosen`, sent once a majority accepted it in
//!   one ballot) or a replica that knows sends it (`Entries`). The learner keeps the decided
//!   entries and applies them to its [`Kv`] strictly in slot order: slot `s + 1` waits for
//!   slot `s`, so every replica applies the same sequence.
//! * **Answers.** A replica a client asked remembers the client (one pending request per
//!   client) and answers when it applies the command. A request for a command already applied
//!   is answered at once from the session table (the client retried after its answer was
//!   lost); see [`super::kv`] for why the table makes each command take effect once.
//! * **Catch-up.** The log is not durable: a replica that restarts asks the others for the
//!   decided entries (`CatchUp(0)`), and a replica that learns from a `Heartbeat` that slots
//!   it misses are decided asks the sender. Any replica answers `CatchUp(from)` with the
//!   decided entries it has from `from` on.
//!
//! Reads go through the log like writes: a `Get` is answered when its slot is applied, which
//! is what makes reads linearizable. The seeded bug [`Bug::StaleLeaderRead`] answers `Get` at
//! once at a replica that believes it leads; [`Bug::ApplyUncommitted`] applies what an
//! `Accept` proposes without waiting for it to be chosen.

use super::kv::{Applied, Kv};
use super::msg::{Bug, Cmd, Entry, Msg, Op, Record, Slot};
use super::{MultiActor, Out2};
use crate::actor_kit::Role;
use crate::ballot::Ballot;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Configuration of a learner.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Learner {
    /// This replica's index.
    pub index: u32,
    /// Every replica, by index.
    pub replicas: Vec<Id>,
    /// Seeded bug.
    pub bug: Bug,
}

/// What a learner knows (none of it durable).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LearnerState {
    /// Decided entries known, by slot (those below `applied` are applied).
    pub log: BTreeMap<Slot, Entry>,
    /// Slots `0..applied` are applied to `kv`.
    pub applied: Slot,
    /// The state machine.
    pub kv: Kv,
    /// Clients waiting for an answer from this replica: client id to (sequence number, where).
    pub waiting: BTreeMap<u64, (u32, Id)>,
    /// Only with [`Bug::StaleLeaderRead`]: the highest ballot seen leading.
    pub leader: Option<Ballot>,
}

impl Role<MultiActor> for Learner {
    type State = LearnerState;

    fn restore(&self, _storage: &Option<Record>) -> LearnerState {
        LearnerState::default()
    }

    /// A restarted replica (one with a saved record) fetches the decided log again.
    fn start(&self, storage: &Option<Record>, o: &mut Out2) -> LearnerState {
        if storage.is_some() {
            for (i, r) in self.replicas.iter().enumerate() {
                if i != self.index as usize {
                    o.send(*r, Msg::CatchUp(0));
                }
            }
        }
        LearnerState::default()
    }

    fn durable(&self, _state: &LearnerState, _record: &mut Record) {}

    fn on_msg(&self, state: &mut Cow<LearnerState>, src: Id, msg: &Msg, o: &mut Out2) {
        match msg {
            Msg::Request(cmd) => self.on_request(state, src, cmd, o),
            Msg::Chosen(b, slot, entry) => {
                self.see_leader(state, *b);
                self.learn(state, [(*slot, entry)], o)
            }
            Msg::Entries(entries) => self.learn(state, entries.iter().map(|(s, e)| (*s, e)), o),
            Msg::CatchUp(from) => self.on_catch_up(state, src, *from, o),
            Msg::Heartbeat(b, commit) => self.on_heartbeat(state, src, *b, *commit, o),
            Msg::Accept(b, slot, entry) => {
                self.see_leader(state, *b);
                if self.bug == Bug::ApplyUncommitted {
                    self.learn(state, [(*slot, entry)], o);
                }
            }
            _ => {}
        }
    }
}

/// The message handlers.
impl Learner {
    /// A client's request: answered from the session table when already applied, otherwise
    /// remembered until its command is applied.
    fn on_request(&self, state: &mut Cow<LearnerState>, src: Id, cmd: &Cmd, o: &mut Out2) {
        match state.kv.answered(cmd) {
            Some(Some(ret)) => return o.send(src, Msg::Reply(cmd.seq, ret)),
            Some(None) => return,
            None => {}
        }
        if let (Bug::StaleLeaderRead, Op::Get(_)) = (self.bug, &cmd.op) {
            if state.leader.is_some_and(|b| b.proposer == self.index) {
                let ret = state.kv.clone().execute(&cmd.op);
                return o.send(src, Msg::Reply(cmd.seq, ret));
            }
        }
        if state.waiting.get(&cmd.client) != Some(&(cmd.seq, src)) {
            state.to_mut().waiting.insert(cmd.client, (cmd.seq, src));
        }
    }

    /// Decided entries: kept, and applied in slot order as far as the log has no gap.
    fn learn<'a>(
        &self,
        state: &mut Cow<LearnerState>,
        entries: impl IntoIterator<Item = (Slot, &'a Entry)>,
        o: &mut Out2,
    ) {
        for (slot, entry) in entries {
            if slot >= state.applied && !state.log.contains_key(&slot) {
                state.to_mut().log.insert(slot, entry.clone());
            }
        }
        while let Some(entry) = state.log.get(&state.applied).cloned() {
            let st = state.to_mut();
            st.applied += 1;
            for (client, seq, applied) in st.kv.apply_entry(&entry, self.bug) {
                let ret = match applied {
                    Applied::Executed(ret) | Applied::Duplicate(Some(ret)) => ret,
                    Applied::Duplicate(None) => continue,
                };
                if let Some((wseq, dst)) = st.waiting.get(&client).copied() {
                    if wseq == seq {
                        st.waiting.remove(&client);
                        o.send(dst, Msg::Reply(seq, ret));
                    }
                }
            }
        }
    }

    /// Another replica is behind: send it the decided entries it asks for.
    fn on_catch_up(&self, state: &mut Cow<LearnerState>, src: Id, from: Slot, o: &mut Out2) {
        let entries: Vec<(Slot, Entry)> = state
            .log
            .range(from..)
            .map(|(s, e)| (*s, e.clone()))
            .collect();
        if !entries.is_empty() {
            o.send(src, Msg::Entries(entries));
        }
    }

    /// The leader's commit index: ask it for what this replica misses.
    fn on_heartbeat(
        &self,
        state: &mut Cow<LearnerState>,
        src: Id,
        b: Ballot,
        commit: Slot,
        o: &mut Out2,
    ) {
        self.see_leader(state, b);
        if commit > state.applied {
            o.send(src, Msg::CatchUp(state.applied));
        }
    }

    /// With [`Bug::StaleLeaderRead`] only: remember the highest ballot seen leading.
    fn see_leader(&self, state: &mut Cow<LearnerState>, b: Ballot) {
        if self.bug == Bug::StaleLeaderRead && state.leader.is_none_or(|l| b > l) {
            state.to_mut().leader = Some(b);
        }
    }
}
