//! Abstract specifications of Paxos, written as plain `stateright::Model`s.
//!
//! * [`voting`]: the message-level spec of single-decree Paxos from Lamport's
//!   "How to Win a Turing Award" talk (TLA+ module `Paxos`), with its invariants and a
//!   one-step check ([`voting::SpecModel::is_next_step`]) for refinement checking.
//! * [`refinement`]: the refinement mapping from the single-decree actor model to that spec,
//!   and the check that every edge of the actor model is a spec step or a stutter.

pub mod refinement;
pub mod voting;
