//! The checked claims: model configurations, their properties, and the checkers.
//!
//! * [`single`]: single-decree Paxos, its configurations and properties.
//! * [`run`]: running a checker with progress, shortest counterexamples and reports.

pub mod liveness;
pub mod run;
pub mod single;
