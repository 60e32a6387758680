//! The seam between a protocol and the runtime: what the runtime needs to know to run a
//! protocol's actors as processes, and nothing more.
//!
//! The runtime is protocol-free: it moves datagrams, keeps timers and persists records for any
//! [`stateright`] actor. A protocol plugs in with three small traits, implemented in the
//! protocol's own `deploy.rs` (the only file of a protocol that names the runtime):
//!
//! * [`WireMsg`]: which messages a process outside the member list (a client) may send, the
//!   variant names fault rules match on, and the range check a datagram passes before the
//!   actor sees it.
//! * [`MemberRole`]: the roles a cluster file may name and which layouts are valid and which a
//!   pinned model checked (the runtime refuses an unchecked layout unless told otherwise).
//! * [`Deploy`]: which actor member `i` of a [`Membership`] runs, with which timers.
//!
//! The record type is the actor's `Storage`; the runtime needs it serialisable, and the
//! deployment names the file format that holds it (`Deploy::Store`: the two-slot file for a
//! small record, the append-only journal for one that grows).

use super::config::{Membership, Timing};
use super::storage::{RecordStore, StoreFormat};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::actor::Actor;
use std::fmt::{Debug, Display};
use std::hash::Hash;

/// What the runtime needs to know about an actor's message type.
pub trait WireMsg: Serialize + DeserializeOwned + Clone + Debug {
    /// Whether a process outside the member list (a client) may send this message.
    fn client_may_send(&self) -> bool;
    /// The variant name, used by fault-injection rules (`drop-except:Accept=..`).
    fn kind(&self) -> &'static str;
    /// Whether the message's numbers are inside the protocol's ranges; a message outside them
    /// is dropped and counted (`out_of_range`) before the actor sees it.
    fn in_range(&self) -> bool;
}

/// A member's role in a cluster of some protocol, as cluster files name it.
pub trait MemberRole: Copy + Eq + Hash + Debug + Display + Send + Sync + 'static {
    /// Every role's name, in the order error messages list them.
    const NAMES: &'static [&'static str];
    /// The role every member listed by `--peers` has.
    const PEER: Self;
    /// Parses a name.
    fn parse(s: &str) -> Option<Self>;
    /// The name.
    fn name(self) -> &'static str;
    /// Whether the roles, in member order, make a cluster that can work at all (for example,
    /// enough acceptors); the error says what is missing.
    fn validate_layout(roles: &[Self]) -> Result<(), String>;
    /// The pinned model configuration that checked this layout, if any.
    fn checked_model(roles: &[Self]) -> Option<&'static str>;
}

/// How a protocol's actors are deployed as member processes.
pub trait Deploy {
    /// The members' roles.
    type Role: MemberRole;
    /// The one actor type of the protocol (members and clients).
    type Actor: Actor<Msg = Self::Msg, Storage = Self::Record>;
    /// Its messages.
    type Msg: WireMsg;
    /// Its durable record.
    type Record: Serialize + DeserializeOwned + Debug;
    /// The format of the record file in a member's data directory.
    type Store: StoreFormat + RecordStore<Self::Record> + 'static;

    /// The actor member `index` of `membership` runs: the same actor a pinned model explores,
    /// with real addresses as ids and real timers.
    fn member_actor(
        membership: &Membership<Self::Role>,
        index: usize,
        timing: &Timing,
    ) -> Self::Actor;
}
