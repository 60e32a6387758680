//! Multi-Paxos's side of the deployment: its member role, which actor a member runs, what the
//! runtime needs of its messages, and how a replica's durable [`Record`] is journaled.
//!
//! This is the protocol's side of the runtime's seam ([`crate::runtime::protocol`]), the only
//! file of `src/multi` that names the runtime. No node runs Multi-Paxos yet (issue 14): what
//! is here is the part that does not depend on how the node is started.
//!
//! # The actor
//!
//! Every member is a replica (leader, acceptor, learner) built by [`Replica::build`], the
//! constructor the model uses, with [`runtime_knobs`]: member 0 leads first, every member
//! stands for election when it hears no leader for a member-retry period, the leader sends
//! heartbeats four times as often, and no model bound (rounds, slots) applies. No pinned model
//! configuration has exactly these knobs (the models bound the log and give election timers
//! to one or two replicas), so [`MemberRole::checked_model`] names none.
//!
//! # The journal
//!
//! The runtime's append-only journal ([`crate::runtime::storage::journal`]) saves a record as
//! the changes since the previous save. A replica's record is its acceptor's promise, its last
//! vote per slot and its leader's highest round; a save that votes in one slot appends that one
//! vote, not the log. Replay checks what the acceptor guarantees, so a damaged or forged
//! journal that would make an acceptor forget a promise is refused rather than replayed: the
//! promise and the round never fall, a slot's vote is only replaced by one of a higher ballot,
//! and no vote is above the promise.

use super::msg::{Bug, Msg, Record, Slot, Vote};
use super::replica::{Replica, ReplicaKnobs};
use super::MultiActor;
use crate::ballot::Ballot;
use crate::runtime::config::{self, Timing};
use crate::runtime::storage::journal::{Journal, Journaled};
use crate::runtime::{Deploy, MemberRole, WireMsg};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// A member's role: every member of a Multi-Paxos cluster is a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Leader, acceptor and learner in one process.
    Replica,
}

/// A Multi-Paxos cluster's member list.
pub type Membership = config::Membership<Role>;

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl MemberRole for Role {
    const NAMES: &'static [&'static str] = &["replica"];
    const PEER: Role = Role::Replica;

    fn parse(s: &str) -> Option<Role> {
        (s == "replica").then_some(Role::Replica)
    }

    fn name(self) -> &'static str {
        "replica"
    }

    fn validate_layout(roles: &[Role]) -> Result<(), String> {
        match roles.len() {
            n if n < 3 => Err(format!(
                "{n} replica(s): Paxos needs at least 3 acceptors; a majority of 3 tolerates one \
                 failure, fewer tolerate none"
            )),
            n if n > 64 => Err(format!("{n} replicas: at most 64 are supported")),
            _ => Ok(()),
        }
    }

    fn checked_model(_: &[Role]) -> Option<&'static str> {
        None
    }
}

/// The knobs of replica `index` in a running cluster (see the module docs).
pub fn runtime_knobs(index: usize, timing: &Timing) -> ReplicaKnobs {
    let election = timing.member_retry.clone();
    let hb_start = (election.start / 4).max(Duration::from_millis(1));
    let hb_end = (election.start / 2).max(hb_start + Duration::from_millis(1));
    ReplicaKnobs {
        lead: index == 0,
        election: Some(election),
        heartbeat: Some(hb_start..hb_end),
        window: 16,
        max_batch: 64,
        max_round: u32::MAX,
        max_slots: Slot::MAX,
        reaccept: true,
        bug: Bug::None,
    }
}

/// Multi-Paxos as the runtime deploys it.
#[derive(Clone, Copy, Debug)]
pub struct MultiDeploy;

impl Deploy for MultiDeploy {
    type Role = Role;
    type Actor = MultiActor;
    type Msg = Msg;
    type Record = Record;
    type Store = Journal<Record>;

    fn member_actor(membership: &Membership, index: usize, timing: &Timing) -> MultiActor {
        let replicas = membership.ids(|_| true);
        let knobs = runtime_knobs(index, timing);
        MultiActor::Replica(Box::new(Replica::build(index, &replicas, &knobs)))
    }
}

impl WireMsg for Msg {
    fn client_may_send(&self) -> bool {
        matches!(self, Msg::Request(_))
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::Reply(..) => "Reply",
            Msg::NotLeader(..) => "NotLeader",
            Msg::Prepare(..) => "Prepare",
            Msg::Promise(..) => "Promise",
            Msg::Accept(..) => "Accept",
            Msg::Accepted(..) => "Accepted",
            Msg::Nack(..) => "Nack",
            Msg::Chosen(..) => "Chosen",
            Msg::CatchUp(_) => "CatchUp",
            Msg::Entries(_) => "Entries",
            Msg::Heartbeat(..) => "Heartbeat",
        }
    }

    fn in_range(&self) -> bool {
        Msg::in_range(self)
    }
}

/// One change of a replica's record, as the journal stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordChange {
    /// The acceptor promised this ballot (for every slot).
    Promise(Ballot),
    /// The acceptor's vote at this slot is now this one.
    Vote(Slot, Vote),
    /// The leader's highest round is now this one.
    Round(u32),
}

impl Journaled for Record {
    type Change = RecordChange;

    /// The promise first (a vote raises it), then each slot whose vote changed, then the round.
    fn changes(prev: Option<&Record>, next: &Record) -> Vec<RecordChange> {
        let empty = Record::default();
        let prev = prev.unwrap_or(&empty);
        let mut out = Vec::new();
        if next.promised != prev.promised {
            if let Some(b) = next.promised {
                out.push(RecordChange::Promise(b));
            }
        }
        for (slot, vote) in &next.votes {
            if prev.votes.get(slot) != Some(vote) {
                out.push(RecordChange::Vote(*slot, vote.clone()));
            }
        }
        if next.round != prev.round {
            out.push(RecordChange::Round(next.round));
        }
        debug_assert!(
            prev.votes.keys().all(|s| next.votes.contains_key(s)),
            "an acceptor never forgets a vote"
        );
        out
    }

    fn apply(record: Option<Record>, change: RecordChange) -> Result<Record, String> {
        let mut r = record.unwrap_or_default();
        match change {
            RecordChange::Promise(b) => {
                if r.promised.is_some_and(|p| p >= b) {
                    return Err(format!(
                        "a promise of {b} after one of {}: promises only rise",
                        r.promised.expect("some")
                    ));
                }
                r.promised = Some(b);
            }
            RecordChange::Vote(slot, vote) => {
                if let Some((old, _)) = r.votes.get(&slot) {
                    if *old >= vote.0 {
                        return Err(format!(
                            "a vote in ballot {} at slot {slot} after one in {old}: a slot's \
                             vote is replaced only by a higher ballot's",
                            vote.0
                        ));
                    }
                }
                if r.promised < Some(vote.0) {
                    return Err(format!(
                        "a vote in ballot {} at slot {slot} above the promise ({})",
                        vote.0,
                        r.promised.map_or("none".into(), |p| p.to_string())
                    ));
                }
                r.votes.insert(slot, vote);
            }
            RecordChange::Round(n) => {
                if n <= r.round {
                    return Err(format!(
                        "round {n} after round {}: rounds only rise",
                        r.round
                    ));
                }
                r.round = n;
            }
        }
        Ok(r)
    }
}
