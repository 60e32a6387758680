//! # paxos
//!
//! A reference implementation of Paxos written once as [`stateright`] actors, then
//! (1) explored exhaustively by the model checker, (2) browsed in stateright's explorer, and
//! (3) run over real UDP sockets.
//!
//! * [`ballot`]: the totally ordered ballot numbers proposers use.
//! * [`names`]: the names of named choices, written once per enum.
//! * [`quorum`]: majorities, sets of acceptors and the promise rule, shared by every variant.
//! * [`actor_kit`]: what every protocol's actor shares (state projection, save before send).
//! * [`single`]: single-decree Paxos, one file per role (proposer, acceptor, learner, client)
//!   plus the merged node that composes them.
//! * [`multi`]: Multi-Paxos, one file per role (leader, acceptor, learner with the key-value
//!   state machine, client) plus the replica that composes them.
//! * [`models`]: the checked claims: model configurations, properties, the liveness checker.
//! * [`specs`]: the abstract voting-level spec of Paxos and the refinement mapping.
//! * [`runtime`]: the actors over UDP with durable storage.
//! * [`cli`], [`bench`](mod@bench): the `paxos` command line and the benchmarks.

pub mod actor_kit;
pub mod ballot;
pub mod bench;
pub mod cli;
pub mod multi;
pub mod names;
pub mod quorum;
pub mod runtime;
pub mod single;

#[path = "../models/mod.rs"]
pub mod models;

#[path = "../specs/mod.rs"]
pub mod specs;
