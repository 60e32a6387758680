//! The checked claims: model configurations, their properties, and the checkers.
//!
//! * [`single`]: single-decree Paxos, its configurations and properties.
//! * [`bugs`]: the seeded bugs and the configuration that exposes each.
//! * [`liveness`]: a sound "eventually" checker (stateright's is not).
//! * [`run`]: running a checker with progress, shortest counterexamples and reports.

pub mod bugs;
pub mod liveness;
pub mod run;
pub mod single;
