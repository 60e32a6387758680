//! The vocabulary of Multi-Paxos: commands of the key-value state machine, log entries,
//! messages, timers, the durable record and the seeded-bug switch.
//!
//! Phase 1 (`Prepare` / `Promise`) runs once for all slots from a first slot on; phase 2
//! (`Accept` / `Accepted`) runs per slot. `Chosen` is the leader's announcement that a slot is
//! decided; `CatchUp` / `Entries` let a replica that is behind fetch the decided entries it
//! misses; `Heartbeat` carries the leader's commit index. `Request` / `Reply` / `NotLeader` are
//! the client's side.

use crate::ballot::Ballot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A position in the replicated log.
pub type Slot = u32;
/// A key or a value of the key-value store (shared, so copies of a state are cheap).
pub type Text = Arc<str>;

/// An operation on the key-value store.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// Set the key to the value.
    Put(Text, Text),
    /// Read the key.
    Get(Text),
    /// Remove the key.
    Delete(Text),
    /// Set the key to `.2` if it holds `.1`.
    Cas(Text, Text, Text),
}

/// The result of an operation.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ret {
    /// `Put` done, `Delete` of a key that existed, `Cas` that swapped.
    Ok,
    /// `Get`: the value, if the key exists.
    Value(Option<Text>),
    /// `Delete` of a key that did not exist.
    NotFound,
    /// `Cas` that did not swap: the key's current value.
    CasMismatch(Option<Text>),
}

/// A client's command: the operation, tagged with the client's id and sequence number so a
/// retry is recognised (and applied once).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cmd {
    /// The client's id (the model uses the client actor's index).
    pub client: u64,
    /// The client's sequence number for this command, from 1.
    pub seq: u32,
    /// The operation.
    pub op: Op,
}

/// What a slot holds: a batch of commands; an empty batch is the no-op a new leader fills a
/// gap with.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry(pub Arc<[Cmd]>);

impl Entry {
    /// The no-op.
    pub fn noop() -> Entry {
        Entry::default()
    }
    /// A batch of commands.
    pub fn batch(cmds: Vec<Cmd>) -> Entry {
        Entry(cmds.into())
    }
    /// Whether this is the no-op.
    pub fn is_noop(&self) -> bool {
        self.0.is_empty()
    }
    /// The commands.
    pub fn cmds(&self) -> &[Cmd] {
        &self.0
    }
}

/// An acceptor's vote for a slot: the ballot and the entry.
pub type Vote = (Ballot, Entry);

/// Every message of Multi-Paxos.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Msg {
    /// Client -> replica: please apply this command.
    Request(Cmd),
    /// Replica -> client: the result of the command with this sequence number.
    Reply(u32, Ret),
    /// Replica -> client: I am not the leader of the command with this sequence number; the
    /// leader is probably replica `.1` (by index), when known.
    NotLeader(u32, Option<u32>),
    /// Phase 1a, for every slot from `.1` on.
    Prepare(Ballot, Slot),
    /// Phase 1b: a promise for ballot `.0`, reporting the votes at slots from `.1` on.
    Promise(Ballot, Slot, Vec<(Slot, Vote)>),
    /// Phase 2a: vote for `.2` at slot `.1` in ballot `.0`.
    Accept(Ballot, Slot, Entry),
    /// Phase 2b, acceptor -> leader: voted at slot `.1` in ballot `.0`.
    Accepted(Ballot, Slot),
    /// Acceptor -> proposer: refused ballot `.0` because it promised `.1`.
    Nack(Ballot, Ballot),
    /// Leader -> learners: slot `.1` is decided on `.2` (in ballot `.0`).
    Chosen(Ballot, Slot, Entry),
    /// Learner -> replica: send me the decided entries from slot `.0` on.
    CatchUp(Slot),
    /// Replica -> learner: decided entries, in answer to `CatchUp`.
    Entries(Vec<(Slot, Entry)>),
    /// Leader -> replicas: ballot `.0` still leads, and every slot below `.1` is decided.
    Heartbeat(Ballot, Slot),
}

impl Msg {
    /// Whether every ballot in the message is in range ([`Ballot::in_range`]).
    pub fn in_range(&self) -> bool {
        match self {
            Msg::Request(_)
            | Msg::Reply(..)
            | Msg::NotLeader(..)
            | Msg::CatchUp(_)
            | Msg::Entries(_) => true,
            Msg::Prepare(b, _)
            | Msg::Accept(b, ..)
            | Msg::Accepted(b, _)
            | Msg::Chosen(b, ..)
            | Msg::Heartbeat(b, _) => b.in_range(),
            Msg::Promise(b, _, votes) => b.in_range() && votes.iter().all(|(_, v)| v.0.in_range()),
            Msg::Nack(b, p) => b.in_range() && p.in_range(),
        }
    }
}

/// Timers. The model lets a set timer fire at any moment; the runtime fires it after a delay.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    /// No word from a leader for a while (or a phase 1 took too long): run phase 1 with a
    /// higher ballot.
    Election,
    /// The leader tells the replicas it is alive and how far the log is decided.
    Heartbeat,
    /// A client got no answer: ask the next replica.
    ClientRetry,
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Election => "election",
            Timer::Heartbeat => "heartbeat",
            Timer::ClientRetry => "client-retry",
        })
    }
}

/// What a replica keeps on stable storage: the acceptor's promise and votes (what safety
/// depends on) and the leader's highest round (so a restarted replica never reuses a ballot).
/// The learner's log is not durable: a restarted replica fetches the decided entries again
/// (`CatchUp`), which is what exercises catch-up after a crash.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Record {
    /// Acceptor: highest ballot promised.
    pub promised: Option<Ballot>,
    /// Acceptor: the last vote per slot.
    pub votes: BTreeMap<Slot, Vote>,
    /// Leader: highest round used.
    pub round: u32,
}

/// Seeded protocol bugs. Only models and tests set anything but [`Bug::None`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Bug {
    /// No bug.
    None,
    /// A new leader ignores the votes reported in promises: it proposes new commands in slots
    /// whose entry may already be chosen.
    SkipRecovery,
    /// A learner applies an entry as soon as it sees it proposed (`Accept`), before it is chosen.
    ApplyUncommitted,
    /// Neither the leader nor the state machine recognises a retried command: it is proposed
    /// and applied again.
    NoDedup,
    /// A replica that believes it leads answers `Get` from its own state, without the log.
    StaleLeaderRead,
    /// A new leader runs phase 1 from the end of its own log instead of its first undecided
    /// slot: undecided slots below are never finished.
    GapSkip,
    /// The leader counts its own acceptor's vote when it sends `Accept`, before that acceptor
    /// has voted and saved the vote.
    CommitBeforePersist,
    /// An acceptor votes on an `Accept` whose ballot is below its promise (it still raises
    /// the promise, as a vote does).
    AcceptBelowPromise,
}

crate::names::names!(Bug {
    None => "none",
    SkipRecovery => "skip-recovery",
    ApplyUncommitted => "apply-uncommitted",
    NoDedup => "no-dedup",
    StaleLeaderRead => "stale-leader-read",
    GapSkip => "gap-skip",
    CommitBeforePersist => "commit-before-persist",
    AcceptBelowPromise => "accept-below-promise",
});

fn text(f: &mut fmt::Formatter<'_>, v: &Option<Text>) -> fmt::Result {
    match v {
        Some(v) => write!(f, "{v}"),
        None => write!(f, "none"),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Put(k, v) => write!(f, "put {k}={v}"),
            Op::Get(k) => write!(f, "get {k}"),
            Op::Delete(k) => write!(f, "delete {k}"),
            Op::Cas(k, old, new) => write!(f, "cas {k} {old}->{new}"),
        }
    }
}

impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Ok => write!(f, "ok"),
            Ret::Value(v) => text(f, v),
            Ret::NotFound => write!(f, "not found"),
            Ret::CasMismatch(v) => {
                write!(f, "mismatch (is ")?;
                text(f, v)?;
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{}#{} {}", self.client, self.seq, self.op)
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_noop() {
            return write!(f, "no-op");
        }
        for (i, c) in self.cmds().iter().enumerate() {
            write!(f, "{}{c}", if i > 0 { "; " } else { "" })?;
        }
        Ok(())
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Request(c) => write!(f, "Request({c})"),
            Msg::Reply(seq, r) => write!(f, "Reply(#{seq} {r})"),
            Msg::NotLeader(seq, Some(l)) => write!(f, "NotLeader(#{seq}, leader R{l})"),
            Msg::NotLeader(seq, None) => write!(f, "NotLeader(#{seq})"),
            Msg::Prepare(b, from) => write!(f, "Prepare({b}, from {from})"),
            Msg::Promise(b, from, votes) => {
                write!(f, "Promise({b}, from {from}")?;
                for (s, (vb, e)) in votes {
                    write!(f, ", {s}: {e}@{vb}")?;
                }
                write!(f, ")")
            }
            Msg::Accept(b, s, e) => write!(f, "Accept({b}, {s}: {e})"),
            Msg::Accepted(b, s) => write!(f, "Accepted({b}, {s})"),
            Msg::Nack(b, p) => write!(f, "Nack({b}, promised {p})"),
            Msg::Chosen(b, s, e) => write!(f, "Chosen({b}, {s}: {e})"),
            Msg::CatchUp(from) => write!(f, "CatchUp(from {from})"),
            Msg::Entries(es) => {
                write!(f, "Entries(")?;
                for (i, (s, e)) in es.iter().enumerate() {
                    write!(f, "{}{s}: {e}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, ")")
            }
            Msg::Heartbeat(b, c) => write!(f, "Heartbeat({b}, commit {c})"),
        }
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Record {{")?;
        if let Some(p) = self.promised {
            write!(f, " promised: {p},")?;
        }
        for (s, (b, e)) in &self.votes {
            write!(f, " {s}: {e}@{b},")?;
        }
        write!(f, " round: {} }}", self.round)
    }
}

macro_rules! debug_is_display {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}
debug_is_display!(Op, Ret, Cmd, Entry);

macro_rules! no_rewrite {
    ($($t:ty),*) => {$(
        impl<R> stateright::Rewrite<R> for $t {
            fn rewrite<S>(&self, _plan: &stateright::RewritePlan<R, S>) -> Self {
                self.clone()
            }
        }
    )*};
}
no_rewrite!(Msg, Record);
