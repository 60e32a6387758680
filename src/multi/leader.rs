//! The Multi-Paxos leader: the distinguished proposer, phase 1 once for all slots, phase 2 per
//! slot, pipelined and batched.
//!
//! "Paxos Made Simple", section 3, and the practice of replicated state machines:
//!
//! * **Leadership by ballots.** A replica that hears nothing from a leader for a while (its
//!   `Election` timer; a `Heartbeat` re-arms it) runs phase 1 with a ballot above every round it
//!   used or saw, *once for all slots* from its first undecided slot: `Prepare(b, from)`. The
//!   promises report every vote at or above `from`. With a majority, the new leader proposes
//!   again, at every slot from `from` to the highest reported, the entry of the highest-ballot
//!   vote (what a single-decree proposer adopts, for the same reason: that entry may be chosen),
//!   and fills the slots nobody reported with no-ops. Its ballot then stands for every later
//!   slot: each new command costs one round trip (`Accept` / `Accepted`), no phase 1.
//! * **Pipelining and batching.** Up to `window` slots are in flight at once; a slot holds a
//!   batch of up to `max_batch` commands, taken from the queue of requests in arrival order.
//! * **Deciding.** With `Accepted` from a majority in its ballot, a slot is chosen; the leader
//!   tells every learner `Chosen(b, slot, entry)` (its own too, within the step). The leader
//!   follows what is decided from the `Chosen` and `Entries` its replica receives, so that its
//!   first undecided slot is known when it runs phase 1 again.
//! * **Deposed.** A `Nack`, or a `Prepare`, `Accept` or `Heartbeat` of a higher ballot, makes
//!   it a follower that knows who leads (the ballot's proposer): it answers clients with
//!   `NotLeader` and that hint. A request that reached a deposed leader is dropped with its
//!   queue: the client retries.
//!
//! A retried request the leader still has in its queue or in flight, or has seen decided, is
//! not proposed again. One decided in a slot this leader has not learned yet may be proposed
//! again; the state machine applies it once ([`super::kv`]).
//!
//! The highest round is durable, so a restarted replica never reuses a ballot. Rounds are
//! bounded by `max_round` and slots by `max_slots` so that models stay finite.

use super::msg::{Bug, Cmd, Entry, Msg, Record, Slot, Timer, Vote};
use super::{MultiActor, Out2};
use crate::actor_kit::Role;
use crate::ballot::Ballot;
use crate::quorum::{majority, AcceptorSet};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

/// Configuration of a leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Leader {
    /// This replica's index, the tie-breaking half of its ballots.
    pub index: u32,
    /// Every replica (each runs an acceptor and a learner), by index.
    pub replicas: Vec<Id>,
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
    /// Highest round this replica may start.
    pub max_round: u32,
    /// Slots are `0..max_slots`: a model's bound on the log.
    pub max_slots: Slot,
    /// Seeded bug.
    pub bug: Bug,
}

/// Where the leader is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    /// Not leading; the highest ballot heard of (its proposer is the leader as far as known).
    Following(Option<Ballot>),
    /// Phase 1 for every slot from `from` on.
    Preparing {
        /// The ballot.
        ballot: Ballot,
        /// The first slot prepared.
        from: Slot,
        /// Who promised.
        promises: AcceptorSet,
        /// The highest-ballot vote reported per slot.
        votes: BTreeMap<Slot, Vote>,
    },
    /// Phase 2, per slot.
    Leading {
        /// The ballot.
        ballot: Ballot,
        /// The next free slot.
        next: Slot,
        /// Slots proposed and not yet chosen: the entry and who accepted it.
        inflight: BTreeMap<Slot, (Entry, AcceptorSet)>,
    },
}

/// What a leader knows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LeaderState {
    /// Highest round used or seen (durable).
    pub round: u32,
    /// Where it is.
    pub phase: Phase,
    /// Every slot below this one is known decided.
    pub decided: Slot,
    /// Slots above `decided` known decided.
    pub decided_above: BTreeSet<Slot>,
    /// Commands waiting for a slot.
    pub queue: Vec<Cmd>,
    /// Per client, the highest sequence number seen in a decided entry: a request at or
    /// below it is decided already (its replica's learner answers it), so it is not proposed
    /// again. Clients run one command at a time, so one number per client suffices.
    pub decided_seq: BTreeMap<u64, u32>,
}

impl LeaderState {
    /// The ballot it prepares or leads in.
    pub fn ballot(&self) -> Option<Ballot> {
        match &self.phase {
            Phase::Preparing { ballot, .. } | Phase::Leading { ballot, .. } => Some(*ballot),
            Phase::Following(_) => None,
        }
    }

    fn is_decided(&self, slot: Slot) -> bool {
        slot < self.decided || self.decided_above.contains(&slot)
    }

    fn mark_decided(&mut self, slot: Slot) {
        if self.is_decided(slot) {
            return;
        }
        self.decided_above.insert(slot);
        while self.decided_above.remove(&self.decided) {
            self.decided += 1;
        }
    }
}

impl Role<MultiActor> for Leader {
    type State = LeaderState;

    fn restore(&self, storage: &Option<Record>) -> LeaderState {
        LeaderState {
            round: storage.as_ref().map_or(0, |r| r.round),
            phase: Phase::Following(None),
            decided: 0,
            decided_above: BTreeSet::new(),
            queue: Vec::new(),
            decided_seq: BTreeMap::new(),
        }
    }

    fn start(&self, storage: &Option<Record>, o: &mut Out2) -> LeaderState {
        let mut st = self.restore(storage);
        if self.lead && storage.is_none() {
            self.start_phase1(&mut st, o);
        } else if let Some(r) = &self.election {
            o.set_timer(Timer::Election, r.clone());
        }
        st
    }

    fn durable(&self, state: &LeaderState, record: &mut Record) {
        record.round = state.round;
    }

    fn on_msg(&self, state: &mut Cow<LeaderState>, src: Id, msg: &Msg, o: &mut Out2) {
        match msg {
            Msg::Request(cmd) => self.on_request(state, src, cmd, o),
            Msg::Promise(b, from, votes) => self.on_promise(state, src, *b, *from, votes, o),
            Msg::Accepted(b, slot) => self.on_accepted(state, src, *b, *slot, o),
            Msg::Nack(b, promised) => self.on_nack(state, *b, *promised, o),
            Msg::Prepare(b, _) | Msg::Accept(b, ..) | Msg::Heartbeat(b, _) => {
                self.on_other_ballot(state, *b, o)
            }
            Msg::Chosen(_, slot, entry) => self.on_decided(state, [(*slot, entry)], o),
            Msg::Entries(entries) => {
                self.on_decided(state, entries.iter().map(|(s, e)| (*s, e)), o)
            }
            _ => {}
        }
    }

    fn on_timeout(&self, state: &mut Cow<LeaderState>, timer: Timer, o: &mut Out2) {
        match (timer, &state.phase) {
            (Timer::Election, Phase::Following(_) | Phase::Preparing { .. }) => {
                self.start_phase1(state.to_mut(), o)
            }
            (Timer::Heartbeat, Phase::Leading { ballot, .. }) => {
                for r in self.others() {
                    o.send(r, Msg::Heartbeat(*ballot, state.decided));
                }
                if let Some(t) = &self.heartbeat {
                    o.set_timer(Timer::Heartbeat, t.clone());
                }
            }
            _ => {}
        }
    }
}

/// Phase 1, from the leader's side.
impl Leader {
    fn others(&self) -> impl Iterator<Item = Id> + '_ {
        self.replicas
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.index as usize)
            .map(|(_, id)| *id)
    }

    fn replica_index(&self, src: Id) -> Option<usize> {
        self.replicas.iter().position(|r| *r == src)
    }

    /// Phase 1a: a ballot above every round used or seen, for every slot from the first
    /// undecided one (bugged, [`Bug::GapSkip`]: from past the last slot known decided).
    fn start_phase1(&self, st: &mut LeaderState, o: &mut Out2) {
        let round = st.round.saturating_add(1);
        if round > self.max_round || round > Ballot::MAX_ROUND {
            return;
        }
        st.round = round;
        let ballot = Ballot::new(round, self.index);
        let from = match (self.bug, st.decided_above.last()) {
            (Bug::GapSkip, Some(last)) => last + 1,
            _ => st.decided,
        };
        st.phase = Phase::Preparing {
            ballot,
            from,
            promises: AcceptorSet::default(),
            votes: BTreeMap::new(),
        };
        for r in &self.replicas {
            o.send(*r, Msg::Prepare(ballot, from));
        }
        if let Some(t) = &self.election {
            o.set_timer(Timer::Election, t.clone());
        }
    }

    /// Phase 1b: collect the promise and the highest vote per slot; with a majority, lead.
    fn on_promise(
        &self,
        state: &mut Cow<LeaderState>,
        src: Id,
        b: Ballot,
        from: Slot,
        reported: &[(Slot, Vote)],
        o: &mut Out2,
    ) {
        let Some(i) = self.replica_index(src) else {
            return;
        };
        let Phase::Preparing {
            ballot, promises, ..
        } = &state.phase
        else {
            return;
        };
        if *ballot != b || promises.contains(i) {
            return;
        }
        let st = state.to_mut();
        let Phase::Preparing {
            promises, votes, ..
        } = &mut st.phase
        else {
            unreachable!("checked above")
        };
        promises.insert(i);
        if self.bug != Bug::SkipRecovery {
            for (slot, vote) in reported {
                if votes.get(slot).is_none_or(|v| vote.0 > v.0) {
                    votes.insert(*slot, vote.clone());
                }
            }
        }
        if promises.len() >= majority(self.replicas.len()) {
            let votes = std::mem::take(votes);
            self.begin_leading(st, b, from, votes, o);
        }
    }

    /// Phase 2a for the slots phase 1 found: the highest-ballot vote of each reported slot,
    /// a no-op in each gap below the highest; then the queued commands.
    fn begin_leading(
        &self,
        st: &mut LeaderState,
        ballot: Ballot,
        from: Slot,
        votes: BTreeMap<Slot, Vote>,
        o: &mut Out2,
    ) {
        let end = votes.keys().next_back().map_or(from, |s| s + 1).max(from);
        let mut inflight = BTreeMap::new();
        for slot in from..end {
            if st.is_decided(slot) {
                continue;
            }
            let entry = votes.get(&slot).map_or_else(Entry::noop, |v| v.1.clone());
            self.propose(ballot, slot, entry, &mut inflight, o);
        }
        st.phase = Phase::Leading {
            ballot,
            next: end,
            inflight,
        };
        o.cancel_timer(Timer::Election);
        if let Some(t) = &self.heartbeat {
            o.set_timer(Timer::Heartbeat, t.clone());
        }
        self.fill_window(st, o);
    }

    /// A ballot above ours exists: follow it (learning its round, so the next ballot we start
    /// is higher still).
    fn step_down(&self, st: &mut LeaderState, higher: Ballot, o: &mut Out2) {
        st.round = st.round.max(higher.round);
        let leading = st.ballot().is_some();
        st.phase = Phase::Following(Some(higher));
        st.queue.clear();
        if leading {
            o.cancel_timer(Timer::Heartbeat);
        }
        if let Some(t) = &self.election {
            o.set_timer(Timer::Election, t.clone());
        }
    }

    /// A `Nack` for our ballot: deposed.
    fn on_nack(&self, state: &mut Cow<LeaderState>, b: Ballot, promised: Ballot, o: &mut Out2) {
        if state.ballot() == Some(b) && promised > b {
            self.step_down(state.to_mut(), promised, o);
        }
    }

    /// A `Prepare`, `Accept` or `Heartbeat` of another ballot: one above ours (or above the
    /// leader we follow) deposes us, or tells us who leads; a heartbeat re-arms the election
    /// timer.
    fn on_other_ballot(&self, state: &mut Cow<LeaderState>, b: Ballot, o: &mut Out2) {
        match state.phase {
            Phase::Following(known) if known.is_none_or(|k| b > k) => {
                state.to_mut().phase = Phase::Following(Some(b));
            }
            Phase::Following(Some(known)) if b == known => {
                if let Some(t) = &self.election {
                    o.set_timer(Timer::Election, t.clone());
                }
            }
            Phase::Preparing { ballot, .. } | Phase::Leading { ballot, .. } if b > ballot => {
                self.step_down(state.to_mut(), b, o)
            }
            _ => {}
        }
    }
}

/// Phase 2, from the leader's side.
impl Leader {
    /// Sends `Accept(ballot, slot, entry)` to every acceptor and tracks the slot.
    fn propose(
        &self,
        ballot: Ballot,
        slot: Slot,
        entry: Entry,
        inflight: &mut BTreeMap<Slot, (Entry, AcceptorSet)>,
        o: &mut Out2,
    ) {
        let mut voted = AcceptorSet::default();
        for (i, r) in self.replicas.iter().enumerate() {
            if self.bug == Bug::CommitBeforePersist && i == self.index as usize {
                // Bugged: its own vote counted at once; the save it depends on never happens
                // (a crash between the two, which the model's atomic steps stand for).
                voted.insert(i);
                continue;
            }
            o.send(*r, Msg::Accept(ballot, slot, entry.clone()));
        }
        inflight.insert(slot, (entry, voted));
    }

    /// Proposes queued commands, a batch per slot, while the window and the slot bound allow.
    fn fill_window(&self, st: &mut LeaderState, o: &mut Out2) {
        let Phase::Leading {
            ballot,
            next,
            inflight,
        } = &mut st.phase
        else {
            return;
        };
        while !st.queue.is_empty() && inflight.len() < self.window && *next < self.max_slots {
            let n = st.queue.len().min(self.max_batch);
            let batch: Vec<Cmd> = st.queue.drain(..n).collect();
            self.propose(*ballot, *next, Entry::batch(batch), inflight, o);
            *next += 1;
        }
    }

    /// A client's command: left to the learner when known decided; queued while preparing or
    /// leading (unless it is queued or in flight already); refused with the leader hint while
    /// following.
    fn on_request(&self, state: &mut Cow<LeaderState>, src: Id, cmd: &Cmd, o: &mut Out2) {
        let decided = state.decided_seq.get(&cmd.client) >= Some(&cmd.seq);
        if decided && self.bug != Bug::NoDedup {
            // Its replica's learner answers it (from the session table once applied).
            return;
        }
        let known = match &state.phase {
            Phase::Following(known) => {
                let hint = known.map(|b| b.proposer).filter(|l| *l != self.index);
                o.send(src, Msg::NotLeader(cmd.seq, hint));
                return;
            }
            Phase::Leading { inflight, .. } => inflight
                .values()
                .any(|(e, _)| e.cmds().iter().any(|c| same(c, cmd))),
            Phase::Preparing { .. } => false,
        };
        if self.bug != Bug::NoDedup && (known || state.queue.iter().any(|c| same(c, cmd))) {
            return;
        }
        let st = state.to_mut();
        st.queue.push(cmd.clone());
        self.fill_window(st, o);
    }

    /// Phase 2b: count a vote; with a majority the slot is chosen: tell every learner.
    fn on_accepted(
        &self,
        state: &mut Cow<LeaderState>,
        src: Id,
        b: Ballot,
        slot: Slot,
        o: &mut Out2,
    ) {
        let Some(i) = self.replica_index(src) else {
            return;
        };
        let Phase::Leading {
            ballot, inflight, ..
        } = &state.phase
        else {
            return;
        };
        if *ballot != b || inflight.get(&slot).is_none_or(|(_, v)| v.contains(i)) {
            return;
        }
        let st = state.to_mut();
        let Phase::Leading { inflight, .. } = &mut st.phase else {
            unreachable!("checked above")
        };
        let (entry, voted) = inflight.get_mut(&slot).expect("checked above");
        voted.insert(i);
        if voted.len() < majority(self.replicas.len()) {
            return;
        }
        let entry = entry.clone();
        inflight.remove(&slot);
        for r in &self.replicas {
            o.send(*r, Msg::Chosen(b, slot, entry.clone()));
        }
        self.fill_window(st, o);
    }

    /// Entries its replica learned are decided: their slots, and their commands' sequence
    /// numbers.
    fn on_decided<'a>(
        &self,
        state: &mut Cow<LeaderState>,
        decided: impl IntoIterator<Item = (Slot, &'a Entry)>,
        o: &mut Out2,
    ) {
        let _ = o;
        for (slot, entry) in decided {
            if state.is_decided(slot) {
                continue;
            }
            let st = state.to_mut();
            st.mark_decided(slot);
            for c in entry.cmds() {
                let seq = st.decided_seq.entry(c.client).or_default();
                *seq = (*seq).max(c.seq);
            }
        }
    }
}

/// The same command: the same client and sequence number.
fn same(a: &Cmd, b: &Cmd) -> bool {
    a.client == b.client && a.seq == b.seq
}
