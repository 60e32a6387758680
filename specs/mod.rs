//! Abstract specifications of Paxos, written as plain `stateright::Model`s.
//!
//! * [`voting`]: the message-level spec of single-decree Paxos from Lamport's
//!   "How to Win a Turing Award" talk (TLA+ module `Paxos`), with its invariants and a
//!   one-step check ([`voting::SpecModel::is_next_step`]) for refinement checking.

pub mod voting;
