//! A port of the published Multi-Paxos spec `MultiPaxos.tla` (tlaplus/Examples,
//! `specifications/MultiPaxos-SMR`) as a [`stateright::Model`]: Multi-Paxos in state-machine
//! replication style, with write and read commands on a single key.
//!
//! The port follows the TLA+ translation of the spec's PlusCal algorithm variable for
//! variable, action for action and guard for guard, so that its state counts agree with
//! TLC's by construction (`tests/multipaxos_smr.rs` pins them):
//!
//! * variables: `msgs` (the set of messages ever sent: the network, where a message may be
//!   delayed, duplicated or lost and retried), `node` (each replica's leader, key value, commit
//!   index, prepared and highest known ballot, and per slot its status, command and vote),
//!   `pending` (the client requests not yet committed, in order), `observed` (the client-visible
//!   request and acknowledgement events) and `pc` (each replica's PlusCal label, `rloop` or
//!   `Done`);
//! * `rloop(self)`: while not `terminated`, one of `BecomeLeader`, `HandlePrepare`,
//!   `HandlePrepareReplies`, `TakeNewRequest`, `HandleAccept`, `HandleAcceptReplies`,
//!   `HandleCommitNotice`; once terminated, the replica's step to `Done`.
//!   (`Terminating`, the spec's stutter after every replica is done, adds no state.)
//! * invariants: `Linearizability` of `MultiPaxos_MC.tla` (once every command is acknowledged,
//!   some order of all commands explains every result and respects real time) and the
//!   checkable parts of `TypeOK` (lengths and distinctness of `pending` and `observed`,
//!   requests before acknowledgements; the rest is the Rust types).
//!
//! Constants: `Replicas` (r0, r1, ...), `Writes` (w1, w2, ...: a write's id is also the value it
//! writes), `Reads`, and `MaxBallot` (ballots `1..=MaxBallot`). `InitPending` is the writes
//! then the reads, as the spec's `CHOOSE` does (W.L.O.G., as the spec says).

use super::compact::{hash_packed, Bounded, Pack, SortedSet};
use serde::Serialize;
use stateright::{Model, Property};
use std::fmt;
use std::hash::{Hash, Hasher};

/// The most commands (so slots) the port holds: a state's sequences are stored inline.
pub const MAX_COMMANDS: usize = 16;

/// Per slot, up to [`MAX_COMMANDS`] slots.
pub type PerSlot<T> = Bounded<T, MAX_COMMANDS>;

/// The spec's constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SmrConfig {
    /// `Cardinality(Replicas)`.
    pub replicas: u8,
    /// `Cardinality(Writes)` (at least 1).
    pub writes: u8,
    /// `Cardinality(Reads)`.
    pub reads: u8,
    /// `MaxBallot` (at least 2).
    pub max_ballot: u8,
}

impl SmrConfig {
    /// `MultiPaxos_MC_small.cfg`: three replicas, one write, one read, `MaxBallot = 2`.
    pub const SMALL: SmrConfig = SmrConfig {
        replicas: 3,
        writes: 1,
        reads: 1,
        max_ballot: 2,
    };

    /// `NumCommands`: every command gets a slot.
    pub fn commands(&self) -> u8 {
        self.writes + self.reads
    }

    /// `MajorityNum`.
    pub fn majority(&self) -> usize {
        usize::from(self.replicas) / 2 + 1
    }

    /// Whether command `c` is a write (`c \in Writes`); commands are numbered writes first.
    pub fn is_write(&self, c: Cmd) -> bool {
        c < self.writes
    }

    /// The constants' assumptions, as the spec states them (`ReplicasAssumption` and so on).
    pub fn validate(&self) -> Result<(), String> {
        if self.replicas == 0 {
            return Err("Replicas: at least one replica".into());
        }
        if self.replicas > 64 {
            return Err("Replicas: at most 64 replicas".into());
        }
        if self.writes == 0 {
            return Err("Writes: at least one write".into());
        }
        if self.max_ballot < 2 {
            return Err("MaxBallot: at least 2".into());
        }
        if usize::from(self.writes) + usize::from(self.reads) > MAX_COMMANDS {
            return Err(format!(
                "at most {MAX_COMMANDS} commands (Writes and Reads together)"
            ));
        }
        Ok(())
    }
}

/// A command: `0..writes` are the writes `w1..`, then the reads `r1..`.
pub type Cmd = u8;

/// An instance's status (`"Empty"` and `Statuses`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// `"Empty"`.
    #[default]
    Empty,
    /// `"Preparing"`.
    Preparing,
    /// `"Accepting"`.
    Accepting,
    /// `"Committed"`.
    Committed,
}

/// A vote: `[bal, cmd]`, `bal = 0` and `cmd = "nil"` for none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vote {
    /// The ballot (0: none).
    pub bal: u8,
    /// The command (`None`: `"nil"`).
    pub cmd: Option<Cmd>,
}

/// One slot's instance (`InstStates`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Inst {
    /// Its status.
    pub status: Status,
    /// Its command (`None`: `"nil"`).
    pub cmd: Option<Cmd>,
    /// The replica's vote in it.
    pub voted: Vote,
}

/// `NullInst`.
const NULL_INST: Inst = Inst {
    status: Status::Empty,
    cmd: None,
    voted: Vote { bal: 0, cmd: None },
};

/// A replica's state (`NodeStates`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// Whom it follows (`None`: `"none"`).
    pub leader: Option<u8>,
    /// The key's value (`None`: `"nil"`).
    pub kvalue: Option<Cmd>,
    /// Slots `1..=commit_up_to` are committed.
    pub commit_up_to: u8,
    /// The ballot it prepared as leader (0: none).
    pub bal_prepared: u8,
    /// The highest ballot it knows.
    pub bal_max_known: u8,
    /// Slot `s` is `insts[s - 1]`.
    pub insts: PerSlot<Inst>,
}

/// A message (`Messages`); field order follows the spec's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Msg {
    /// `PrepareMsg(src, bal)`.
    Prepare {
        /// Sender.
        src: u8,
        /// Ballot.
        bal: u8,
    },
    /// `PrepareReplyMsg(src, bal, votes)`: the sender's vote in every slot.
    PrepareReply {
        /// Sender.
        src: u8,
        /// Ballot.
        bal: u8,
        /// Per slot, the sender's vote.
        votes: PerSlot<Vote>,
    },
    /// `AcceptMsg(src, bal, slot, cmd)`.
    Accept {
        /// Sender.
        src: u8,
        /// Ballot.
        bal: u8,
        /// Slot (1-based).
        slot: u8,
        /// Command (`None`: `"nil"`, which a leader re-proposes for a preparing slot nobody
        /// voted in; the spec does not exclude it, so neither does the port).
        cmd: Option<Cmd>,
    },
    /// `AcceptReplyMsg(src, bal, slot)`.
    AcceptReply {
        /// Sender.
        src: u8,
        /// Ballot.
        bal: u8,
        /// Slot (1-based).
        slot: u8,
    },
    /// `CommitNoticeMsg(upto)`.
    CommitNotice {
        /// Slots up to this one are committed.
        upto: u8,
    },
}

/// A client-observable event (`ClientEvents`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// `ReqEvent(c)`.
    Req(Cmd),
    /// `AckEvent(c, v)`: `v` is the value before the command (`None`: `"nil"`, for the
    /// value and, should a slot ever commit `"nil"`, for the command).
    Ack(Option<Cmd>, Option<Cmd>),
}

/// A state: the spec's five variables. (Stored flat, see [`super::compact`]; it hashes as
/// its packed bytes, which equal states share.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmrState {
    /// `msgs`.
    pub msgs: SortedSet<Msg>,
    /// `node`, by replica.
    pub node: Vec<Node>,
    /// `pending`.
    pub pending: PerSlot<Cmd>,
    /// `observed`: each command's request and acknowledgement, at most.
    pub observed: Bounded<Event, { 2 * MAX_COMMANDS }>,
    /// `pc`: bit `r` is set when replica `r` is `Done` (else at `rloop`).
    pub done: u64,
}

impl Hash for SmrState {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hash_packed(self, h)
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::Req(0)
    }
}

/// A `"nil"`-or-value field as one byte: 0 for `"nil"`, `x + 1` for `x`. Injective here:
/// every such field is a command (below [`MAX_COMMANDS`]) or a replica index (below 64, as
/// [`SmrConfig::validate`] requires).
fn opt(x: Option<u8>) -> u8 {
    x.map_or(0, |v| {
        v.checked_add(1)
            .expect("a command or replica index below 255")
    })
}

impl Pack for Inst {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            self.status as u8,
            opt(self.cmd),
            self.voted.bal,
            opt(self.voted.cmd),
        ]);
    }
}

impl Pack for Node {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            opt(self.leader),
            opt(self.kvalue),
            self.commit_up_to,
            self.bal_prepared,
            self.bal_max_known,
            self.insts.len() as u8,
        ]);
        for i in self.insts.iter() {
            i.pack(out);
        }
    }
}

impl Pack for Msg {
    fn pack(&self, out: &mut Vec<u8>) {
        match *self {
            Msg::Prepare { src, bal } => out.extend_from_slice(&[0, src, bal]),
            Msg::PrepareReply { src, bal, votes } => {
                out.extend_from_slice(&[1, src, bal, votes.len() as u8]);
                for v in votes.iter() {
                    out.extend_from_slice(&[v.bal, opt(v.cmd)]);
                }
            }
            Msg::Accept {
                src,
                bal,
                slot,
                cmd,
            } => out.extend_from_slice(&[2, src, bal, slot, opt(cmd)]),
            Msg::AcceptReply { src, bal, slot } => out.extend_from_slice(&[3, src, bal, slot]),
            Msg::CommitNotice { upto } => out.extend_from_slice(&[4, upto]),
        }
    }
}

impl Pack for Event {
    fn pack(&self, out: &mut Vec<u8>) {
        match *self {
            Event::Req(c) => out.extend_from_slice(&[0, c]),
            Event::Ack(c, v) => out.extend_from_slice(&[1, opt(c), opt(v)]),
        }
    }
}

impl Pack for SmrState {
    fn pack(&self, out: &mut Vec<u8>) {
        self.msgs.pack(out);
        self.node.pack(out);
        self.pending.pack(out);
        self.observed.pack(out);
        out.extend_from_slice(&self.done.to_le_bytes());
    }
}

/// An action: replica `r` takes one of the disjuncts of `rloop`, with its choice (`b` or `m`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SmrAction {
    /// `BecomeLeader(r)` with ballot `b`.
    BecomeLeader(u8, u8),
    /// `HandlePrepare(r)` of message `m`.
    HandlePrepare(u8, Msg),
    /// `HandlePrepareReplies(r)`.
    HandlePrepareReplies(u8),
    /// `TakeNewRequest(r)`.
    TakeNewRequest(u8),
    /// `HandleAccept(r)` of message `m`.
    HandleAccept(u8, Msg),
    /// `HandleAcceptReplies(r)`.
    HandleAcceptReplies(u8),
    /// `HandleCommitNotice(r)` with notice `m`.
    HandleCommitNotice(u8, Msg),
    /// `pc[r]` becomes `"Done"` (the system terminated).
    Finish(u8),
}

/// The spec as a model.
#[derive(Clone, Debug)]
pub struct MultiPaxosSmr {
    /// Its constants.
    pub cfg: SmrConfig,
    /// When set, only this property is checked (for shortest counterexamples).
    pub only: Option<&'static str>,
}

impl MultiPaxosSmr {
    /// The model of `cfg` (which must be valid).
    pub fn new(cfg: SmrConfig) -> MultiPaxosSmr {
        cfg.validate().expect("valid constants");
        MultiPaxosSmr { cfg, only: None }
    }

    /// The same model checking only property `name`.
    pub fn only(mut self, name: &'static str) -> Self {
        self.only = Some(name);
        self
    }

    /// `terminated`: nothing pending, and as many distinct commands requested and
    /// acknowledged as there are commands (`reqsMade`, `acksRecv`: sets of commands).
    pub fn terminated(&self, s: &SmrState) -> bool {
        let n = u32::from(self.cfg.commands());
        let (reqs, acks) = Self::reqs_and_acks(s);
        s.pending.is_empty() && reqs.count_ones() == n && acks.count_ones() == n
    }

    /// `UnseenPending(insts)`: the pending commands in no slot of `insts`, in order.
    fn unseen_pending<'a>(s: &'a SmrState, insts: &'a [Inst]) -> impl Iterator<Item = Cmd> + 'a {
        s.pending
            .iter()
            .copied()
            .filter(|c| insts.iter().all(|i| i.cmd != Some(*c)))
    }

    /// `PeakVotedCmd(prs, s)`: the command of the highest-ballot vote in slot `slot` among
    /// the replies (`None` when none voted).
    fn peak_voted_cmd(prs: &[&Msg], slot: usize) -> Option<Cmd> {
        prs.iter()
            .filter_map(|m| match m {
                Msg::PrepareReply { votes, .. } => Some(votes[slot]),
                _ => None,
            })
            .filter(|v| v.bal > 0)
            .max_by_key(|v| v.bal)
            .and_then(|v| v.cmd)
    }

    /// Statuses after a ballot change: `Accepting` goes back to `Preparing`.
    fn reset_accepting(insts: &mut [Inst]) {
        for i in insts {
            if i.status == Status::Accepting {
                i.status = Status::Preparing;
            }
        }
    }

    fn votes(node: &Node) -> PerSlot<Vote> {
        node.insts.iter().map(|i| i.voted).collect()
    }

    fn observe(s: &mut SmrState, e: Event) {
        if !s.observed.contains(&e) {
            s.observed.push(e);
        }
    }

    /// The enabled actions of replica `r` at `rloop`, not yet terminated.
    fn replica_actions(&self, s: &SmrState, r: u8, out: &mut Vec<SmrAction>) {
        let me = &s.node[usize::from(r)];
        let n = usize::from(self.cfg.commands());
        if me.leader != Some(r) {
            for b in 1..=self.cfg.max_ballot {
                let used = s
                    .msgs
                    .iter()
                    .any(|m| matches!(m, Msg::Prepare { bal, .. } if *bal == b));
                if b > me.bal_max_known && !used {
                    out.push(SmrAction::BecomeLeader(r, b));
                }
            }
        }
        for m in &s.msgs {
            if let Msg::Prepare { bal, .. } = m {
                if *bal > me.bal_max_known {
                    out.push(SmrAction::HandlePrepare(r, *m));
                }
            }
        }
        if me.leader == Some(r) && me.bal_prepared == 0 {
            let prs = s
                .msgs
                .iter()
                .filter(|m| matches!(m, Msg::PrepareReply { bal, .. } if *bal == me.bal_max_known))
                .count();
            if prs >= self.cfg.majority() {
                out.push(SmrAction::HandlePrepareReplies(r));
            }
        }
        let prepared = me.leader == Some(r) && me.bal_prepared == me.bal_max_known;
        if prepared
            && me.insts.iter().any(|i| i.status == Status::Empty)
            && Self::unseen_pending(s, &me.insts).next().is_some()
        {
            out.push(SmrAction::TakeNewRequest(r));
        }
        for m in &s.msgs {
            if let Msg::Accept { bal, slot, .. } = m {
                let voted = me.insts[usize::from(*slot) - 1].voted.bal;
                if *bal >= me.bal_max_known && *bal > voted {
                    out.push(SmrAction::HandleAccept(r, *m));
                }
            }
        }
        let next_accepting = usize::from(me.commit_up_to) < n
            && me.insts[usize::from(me.commit_up_to)].status == Status::Accepting;
        if prepared && next_accepting {
            let slot = me.commit_up_to + 1;
            let ars = s
                .msgs
                .iter()
                .filter(|m| {
                    matches!(m, Msg::AcceptReply { bal, slot: t, .. }
                        if *t == slot && *bal == me.bal_prepared)
                })
                .count();
            if ars >= self.cfg.majority() {
                out.push(SmrAction::HandleAcceptReplies(r));
            }
        }
        if me.leader != Some(r) && next_accepting {
            let slot = me.commit_up_to + 1;
            for m in &s.msgs {
                if matches!(m, Msg::CommitNotice { upto } if *upto == slot) {
                    out.push(SmrAction::HandleCommitNotice(r, *m));
                }
            }
        }
    }

    /// Applies a `rloop` disjunct of replica `r` to `s`.
    fn apply(&self, s: &mut SmrState, action: &SmrAction) {
        match action {
            SmrAction::BecomeLeader(r, b) => {
                let me = &mut s.node[usize::from(*r)];
                me.leader = Some(*r);
                me.bal_prepared = 0;
                me.bal_max_known = *b;
                Self::reset_accepting(&mut me.insts);
                let votes = Self::votes(me);
                s.msgs.insert(Msg::Prepare { src: *r, bal: *b });
                s.msgs.insert(Msg::PrepareReply {
                    src: *r,
                    bal: *b,
                    votes,
                });
            }
            SmrAction::HandlePrepare(r, m) => {
                let Msg::Prepare { src, bal } = *m else {
                    unreachable!("a HandlePrepare action carries a Prepare")
                };
                let me = &mut s.node[usize::from(*r)];
                me.leader = Some(src);
                me.bal_max_known = bal;
                Self::reset_accepting(&mut me.insts);
                let votes = Self::votes(me);
                s.msgs.insert(Msg::PrepareReply {
                    src: *r,
                    bal,
                    votes,
                });
            }
            SmrAction::HandlePrepareReplies(r) => self.handle_prepare_replies(s, *r),
            SmrAction::TakeNewRequest(r) => self.take_new_request(s, *r),
            SmrAction::HandleAccept(r, m) => {
                let Msg::Accept {
                    src,
                    bal,
                    slot,
                    cmd,
                } = *m
                else {
                    unreachable!("a HandleAccept action carries an Accept")
                };
                let me = &mut s.node[usize::from(*r)];
                me.leader = Some(src);
                me.bal_max_known = bal;
                me.insts[usize::from(slot) - 1] = Inst {
                    status: Status::Accepting,
                    cmd,
                    voted: Vote { bal, cmd },
                };
                s.msgs.insert(Msg::AcceptReply { src: *r, bal, slot });
            }
            SmrAction::HandleAcceptReplies(r) => {
                let me = &s.node[usize::from(*r)];
                let slot = me.commit_up_to + 1;
                let c = me.insts[usize::from(slot) - 1].cmd;
                let v = me.kvalue;
                self.commit(s, *r, slot);
                Self::observe(s, Event::Ack(c, v));
                s.pending.retain(|p| Some(*p) != c);
                s.msgs.insert(Msg::CommitNotice { upto: slot });
            }
            SmrAction::HandleCommitNotice(r, _) => {
                let slot = s.node[usize::from(*r)].commit_up_to + 1;
                self.commit(s, *r, slot);
            }
            SmrAction::Finish(r) => s.done |= 1 << r,
        }
    }

    /// The leader's quorum of `PrepareReply`s: prepared, it adopts each slot's highest vote
    /// and sends `Accept` for every accepting slot.
    fn handle_prepare_replies(&self, s: &mut SmrState, r: u8) {
        let me = &s.node[usize::from(r)];
        let bal = me.bal_max_known;
        let prs: Vec<&Msg> = s
            .msgs
            .iter()
            .filter(|m| matches!(m, Msg::PrepareReply { bal: b, .. } if *b == bal))
            .collect();
        let mut insts = me.insts;
        for (slot, inst) in insts.iter_mut().enumerate() {
            let peak = Self::peak_voted_cmd(&prs, slot);
            let accept = inst.status == Status::Preparing
                || (inst.status == Status::Empty && peak.is_some());
            if accept {
                inst.status = Status::Accepting;
            }
            inst.cmd = peak;
        }
        let accepts: Vec<Msg> = insts
            .iter()
            .enumerate()
            .filter(|(_, i)| i.status == Status::Accepting)
            .map(|(slot, i)| Msg::Accept {
                src: r,
                bal,
                slot: slot as u8 + 1,
                cmd: i.cmd,
            })
            .collect();
        let me = &mut s.node[usize::from(r)];
        me.bal_prepared = bal;
        me.insts = insts;
        s.msgs.extend(accepts);
    }

    /// A prepared leader puts the first unseen pending command into the first empty slot.
    fn take_new_request(&self, s: &mut SmrState, r: u8) {
        let me = &s.node[usize::from(r)];
        let slot = me
            .insts
            .iter()
            .position(|i| i.status == Status::Empty)
            .expect("enabled only with an empty slot");
        let c = Self::unseen_pending(s, &me.insts)
            .next()
            .expect("enabled only with an unseen pending command");
        let bal = me.bal_prepared;
        s.node[usize::from(r)].insts[slot] = Inst {
            status: Status::Accepting,
            cmd: Some(c),
            voted: Vote { bal, cmd: Some(c) },
        };
        let slot = slot as u8 + 1;
        s.msgs.insert(Msg::Accept {
            src: r,
            bal,
            slot,
            cmd: Some(c),
        });
        s.msgs.insert(Msg::AcceptReply { src: r, bal, slot });
        Self::observe(s, Event::Req(c));
    }

    /// Slot `slot` of replica `r` is committed: its command is applied to the key.
    fn commit(&self, s: &mut SmrState, r: u8, slot: u8) {
        let me = &mut s.node[usize::from(r)];
        let inst = &mut me.insts[usize::from(slot) - 1];
        inst.status = Status::Committed;
        let c = inst.cmd;
        me.commit_up_to = slot;
        if let Some(c) = c.filter(|c| self.cfg.is_write(*c)) {
            me.kvalue = Some(c);
        }
    }

    /// `Linearizability` of `MultiPaxos_MC.tla`: once terminated, some order of all commands
    /// gives every command its observed result (a write's result is the value before it, a
    /// read's the value it read: the last write before it in the order) and puts `c1` before
    /// `c2` whenever `c1` was acknowledged before `c2` was requested.
    pub fn linearizable(&self, s: &SmrState) -> bool {
        if !self.terminated(s) {
            return true;
        }
        let n = self.cfg.commands();
        // `ReqPosOfCmd`, `AckPosOfCmd`: the first such event (TLC's CHOOSE over 1..Len). A
        // command without one would make TLC's CHOOSE fail; here it is a violation.
        let req: Option<Vec<usize>> = (0..n)
            .map(|c| s.observed.iter().position(|x| *x == Event::Req(c)))
            .collect();
        let ack: Option<Vec<(usize, Option<Cmd>)>> = (0..n)
            .map(|c| {
                s.observed.iter().enumerate().find_map(|(i, e)| match e {
                    Event::Ack(x, v) if *x == Some(c) => Some((i, *v)),
                    _ => None,
                })
            })
            .collect();
        let (Some(req), Some(ack)) = (req, ack) else {
            return false;
        };
        let mut order = Vec::with_capacity(usize::from(n));
        let mut used = vec![false; usize::from(n)];
        self.extend_order(&mut order, &mut used, None, &req, &ack)
    }

    /// Depth-first search for a linear order extending `order` (whose last write is `last`).
    fn extend_order(
        &self,
        order: &mut Vec<Cmd>,
        used: &mut [bool],
        last: Option<Cmd>,
        req: &[usize],
        ack: &[(usize, Option<Cmd>)],
    ) -> bool {
        let n = used.len();
        if order.len() == n {
            return true;
        }
        for c in 0..n as u8 {
            if used[usize::from(c)] || ack[usize::from(c)].1 != last {
                continue;
            }
            // Real time: every command acknowledged before `c` was requested comes earlier
            // (`c` itself too, so an acknowledgement before its own request fails).
            let respects = (0..n as u8).all(|d| {
                (used[usize::from(d)] && d != c) || ack[usize::from(d)].0 >= req[usize::from(c)]
            });
            if !respects {
                continue;
            }
            used[usize::from(c)] = true;
            order.push(c);
            let next = if self.cfg.is_write(c) { Some(c) } else { last };
            if self.extend_order(order, used, next, req, ack) {
                return true;
            }
            order.pop();
            used[usize::from(c)] = false;
        }
        false
    }

    /// The checkable parts of `TypeOK` (see the module docs).
    pub fn type_ok(&self, s: &SmrState) -> bool {
        let n = usize::from(self.cfg.commands());
        fn distinct<T: PartialEq>(xs: &[T]) -> bool {
            (1..xs.len()).all(|i| !xs[..i].contains(&xs[i]))
        }
        let distinct_pending = distinct(&s.pending[..]);
        let distinct_observed = distinct(&s.observed[..]);
        let (reqs, acks) = Self::reqs_and_acks(s);
        s.pending.len() <= n
            && distinct_pending
            && s.observed.len() <= 2 * n
            && distinct_observed
            && reqs.count_ones() >= acks.count_ones()
    }

    /// `reqsMade` and `acksRecv`: the sets of commands requested and acknowledged, as bit
    /// sets over `Option<Cmd>` (bit 0: `"nil"`, bit `c + 1`: command `c`).
    fn reqs_and_acks(s: &SmrState) -> (u32, u32) {
        let bit = |c: Option<Cmd>| 1u32 << c.map_or(0, |c| c + 1);
        let (mut reqs, mut acks) = (0, 0);
        for e in s.observed.iter() {
            match e {
                Event::Req(c) => reqs |= bit(Some(*c)),
                Event::Ack(c, _) => acks |= bit(*c),
            }
        }
        (reqs, acks)
    }
}

impl Model for MultiPaxosSmr {
    type State = SmrState;
    type Action = SmrAction;

    fn init_states(&self) -> Vec<SmrState> {
        let n = usize::from(self.cfg.commands());
        let node = Node {
            leader: None,
            kvalue: None,
            commit_up_to: 0,
            bal_prepared: 0,
            bal_max_known: 0,
            insts: (0..n).map(|_| NULL_INST).collect(),
        };
        vec![SmrState {
            msgs: SortedSet::new(),
            node: vec![node; usize::from(self.cfg.replicas)],
            pending: (0..self.cfg.commands()).collect(),
            observed: Bounded::new(),
            done: 0,
        }]
    }

    fn actions(&self, s: &SmrState, out: &mut Vec<SmrAction>) {
        let terminated = self.terminated(s);
        for r in 0..self.cfg.replicas {
            if s.done & (1 << r) != 0 {
                continue;
            }
            if terminated {
                out.push(SmrAction::Finish(r));
            } else {
                self.replica_actions(s, r, out);
            }
        }
    }

    fn next_state(&self, s: &SmrState, action: SmrAction) -> Option<SmrState> {
        let mut t = s.clone();
        self.apply(&mut t, &action);
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let all = vec![
            Property::always("linearizability", |m: &Self, s: &SmrState| {
                m.linearizable(s)
            }),
            Property::always("type-ok", |m: &Self, s: &SmrState| m.type_ok(s)),
            Property::sometimes("terminated", |m: &Self, s: &SmrState| m.terminated(s)),
        ];
        all.into_iter()
            .filter(|p| self.only.is_none_or(|o| o == p.name))
            .collect()
    }
}

impl fmt::Display for SmrConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} replicas, {} writes, {} reads, MaxBallot {}",
            self.replicas, self.writes, self.reads, self.max_ballot
        )
    }
}
