//! The checked claims: model configurations, their properties, and the checkers.
//!
//! * [`single`]: single-decree Paxos, its configurations and properties.
//! * [`multi`]: Multi-Paxos, its configurations and properties.
//! * [`network`]: the network semantics explored, by name.
//! * [`bugs`]: the seeded bugs and the configuration that exposes each.
//! * [`liveness`]: a sound "eventually" checker (stateright's is not).
//! * [`fairness`]: fair cycles, for liveness under fair loss and finitely many crashes.
//! * [`synchrony`]: partial synchrony for the leader alone (the `leader-progress` claim).
//! * [`claims`]: the liveness claims of single-decree Paxos (`paxos liveness`), and
//!   [`claim_report`]: what `paxos liveness` prints about one, as text or JSON.
//! * [`symmetry`]: symmetry reduction over acceptors (`paxos check --symmetry`).
//! * [`harness`]: the mechanics every actor model shares (crash policy, redundant drops,
//!   ignored deliveries, dead-message pruning, naming), behind one trait.
//! * [`run`]: running a checker with progress, shortest counterexamples and reports.
//! * [`walk`]: the edge walk both refinement checks use (stops at a refused edge, shortest
//!   path to it).
//! * [`search`]: the one search order (breadth- or depth-first) every explorer takes.

pub mod bugs;
pub mod claim_report;
pub mod claims;
pub mod fairness;
pub mod harness;
pub mod liveness;
pub mod multi;
pub mod network;
pub mod run;
pub mod search;
pub mod single;
pub mod symmetry;
pub mod synchrony;
pub mod walk;
