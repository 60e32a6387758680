//! Abstract specifications of Paxos, written as plain `stateright::Model`s.
//!
//! * [`voting`]: the message-level spec of single-decree Paxos from Lamport's
//!   "How to Win a Turing Award" talk (TLA+ module `Paxos`), with its invariants and a
//!   one-step check ([`voting::SpecModel::is_next_step`]) for refinement checking.
//! * [`voting_refinement`]: Lamport's more abstract `Voting` spec from the same lecture, the
//!   mapping `V == INSTANCE Voting` from the Paxos spec to it, and the check that every step of
//!   the Paxos spec is a Voting step or a stutter.
//! * [`multipaxos_smr`]: a port of the published Multi-Paxos spec `MultiPaxos.tla`
//!   (tlaplus/Examples, MultiPaxos-SMR), whose state counts reproduce TLC's.
//! * [`multi_refinement`]: the check that every edge of the Multi-Paxos actor model is, at
//!   every slot, a Voting step or a stutter.
//! * [`refinement`]: the refinement mapping from the single-decree actor model to the Paxos
//!   spec, and the check that every edge of the actor model is a spec step or a stutter.
//!
//! * [`compact`]: inline sequences, sorted-vector sets and byte packing, the flat storage
//!   that makes the ports' states cheap to clone and hash.
//!
//! Together: actors -> `Paxos` -> `Voting`, each link checked edge by edge on a finite
//! instance.

pub mod compact;
pub mod multi_refinement;
pub mod multipaxos_smr;
pub mod refinement;
pub mod voting;
pub mod voting_refinement;
