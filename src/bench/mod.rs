//! The benchmarks behind `paxos bench`: speed and memory are measured here, never asserted in
//! tests (this machine is shared and noisy; every figure is a median of runs made side by side).
//!
//! * [`runtime`]: `paxos bench single`, propose-to-decided latency of real node processes next
//!   to the physical limit measured in the same run.
//! * [`checkers`]: `paxos bench bugs`, `spec`, `liveness`: the model checker, the spec checks
//!   and the liveness checker.

pub mod checkers;
pub mod runtime;
