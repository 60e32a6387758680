//! Multi-Paxos's side of the deployment: how a replica's durable [`Record`] is journaled.
//!
//! The runtime's append-only journal ([`crate::runtime::storage::journal`]) saves a record as
//! the changes since the previous save. A replica's record is its acceptor's promise, its last
//! vote per slot and its leader's highest round; a save that votes in one slot appends that one
//! vote, not the log. Replay checks what the acceptor guarantees, so a damaged or forged
//! journal that would make an acceptor forget a promise is refused rather than replayed: the
//! promise and the round never fall, a slot's vote is only replaced by one of a higher ballot,
//! and no vote is above the promise.

use super::msg::{Record, Slot, Vote};
use crate::ballot::Ballot;
use crate::runtime::storage::journal::Journaled;
use serde::{Deserialize, Serialize};

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
