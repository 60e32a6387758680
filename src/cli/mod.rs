//! The `paxos` command line: check, liveness, explore, spec, run nodes and clusters, bench.
//!
//! Exit codes: 0 when everything holds, 1 when a property is violated or an expected example is
//! missing, 2 on bad usage (with a pointer to `--help`).
//!
//! * [`model`]: the checker commands (`check`, `liveness`, `explore`, `spec`).
//! * [`multi`]: the checker commands for Multi-Paxos (`paxos check multi`, ...).
//! * [`runtime`]: the commands that run or talk to real nodes (`new-cluster`, `node`,
//!   `cluster`, `propose`, `learn`, `status`).
//! * [`bench`](mod@bench): `paxos bench ...`, which calls the measurements in [`crate::bench`].

pub mod bench;
pub mod checked;
pub mod choices;
pub mod model;
pub mod multi;
pub mod runtime;

use bench::BenchCommand;
use clap::{Parser, Subcommand};
use model::{CheckArgs, ExploreArgs, LivenessArgs, SpecArgs};
use runtime::{
    cluster_main, learn_main, new_cluster_main, node_main, propose_main, status_main, ClusterArgs,
    LearnArgs, NewClusterArgs, NodeArgs, ProposeArgs, StatusArgs,
};
use std::process::ExitCode;

/// The protocol a command is about, the word after the command (`paxos check single ...`);
/// without it, single-decree Paxos, so every command line that worked before still does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Single-decree Paxos.
    #[default]
    Single,
    /// Multi-Paxos: the replicated log and key-value store (checker commands only so far).
    Multi,
}

/// The usage error of a runtime command given `multi`: Multi-Paxos runs in the checker only.
fn model_only(command: &str) -> ExitCode {
    usage_exit(Usage(format!(
        "`paxos {command} multi`: Multi-Paxos runs in the checker only so far (`paxos check \
         multi`, `paxos explore multi`, `paxos liveness multi`); the runtime runs `single`"
    )))
}

/// A usage error: printed with a pointer to `--help`, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

/// Prints a usage error and returns exit code 2.
pub fn usage_exit(u: Usage) -> ExitCode {
    eprintln!("error: {}\n\nFor more information, try '--help'.", u.0);
    ExitCode::from(2)
}

#[derive(Parser)]
#[command(
    name = "paxos",
    version,
    about = "Single-decree Paxos as stateright actors: model-checked, browsable, run for real",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exhaustively check a model of single-decree Paxos against every property.
    Check(CheckArgs),
    /// Decide a liveness claim ("on every path, eventually ...") with the sound checker.
    ///
    /// What is decided: on every maximal path of the model's finite state graph that respects
    /// the assumption, the goal eventually holds. A maximal path is infinite (it goes round a
    /// cycle forever) or ends in a state with no step; there is no stuttering (a path never
    /// stays in a state while a step is possible). A counterexample is a deadlock (a reachable
    /// state without steps, goal never reached) or a livelock (a reachable cycle of goal-free
    /// states that the assumption allows); a goal-free path into a state cut off by a bound
    /// (--max-ballots, --max-round where a proposer would start a higher ballot,
    /// --max-destroyed) gives "holds up to the bound", never "holds".
    ///
    /// The assumptions (--assumption):
    ///
    /// * no-failure: no loss, no crash, no duplication; a timer fires only in a state where no
    ///   message can be delivered (timeouts longer than message delays, for the whole system).
    ///   No action is fair beyond that: every goal-free cycle counts.
    ///
    /// * timers-any-time (--unfair): stateright's semantics, timers fire at any moment,
    ///   failures as configured; no fairness at all: every goal-free cycle counts.
    ///
    /// * leader-fair-loss: only the first proposer's timers (and the clients') fire, each only
    ///   when none of its own messages (for the leader: of its current ballot) is in flight;
    ///   loss and crashes as configured. A cycle counts only if it is fair: (1) it has no crash
    ///   or recovery (finitely many happen); (2) every message sent on it is delivered on it,
    ///   unless its recipient is crashed there (fair loss); (3) a message in flight in every
    ///   state of it is delivered or dropped on it (none is in flight forever); (4) a timer
    ///   that may fire in every state of it fires on it (weak fairness). Nothing else is fair:
    ///   the order of deliveries, and which messages are lost, are free.
    Liveness(LivenessArgs),
    /// Serve stateright's web explorer for a model.
    Explore(ExploreArgs),
    /// Check the abstract voting-level spec of Paxos (Lamport's Paxos.tla) exhaustively.
    Spec(SpecArgs),
    /// Create a cluster's shared files: cluster file (members, incarnation) and keys.
    NewCluster(NewClusterArgs),
    /// Initialise (--init) or run one Paxos node over UDP with durable storage.
    Node(NodeArgs),
    /// Start a local cluster of node processes on 127.0.0.1.
    Cluster(ClusterArgs),
    /// Ask a cluster to decide VALUE; prints the chosen value (which may differ).
    Propose(ProposeArgs),
    /// Ask every learner of a cluster for the decided value.
    Learn(LearnArgs),
    /// Show every node's counters: datagrams, drops by reason, saves, fsync latency.
    Status(StatusArgs),
    /// Benchmarks: runtime latency, and the checkers' speed and memory.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// The `paxos` program: parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Each protocol word routes to that protocol's implementation of the command.
    let result = match cli.command {
        Command::Check(a) => model::check(a),
        Command::Liveness(a) => model::liveness(a),
        Command::Explore(a) => model::explore(a),
        Command::Spec(a) => model::spec(a),
        Command::NewCluster(a) => match a.protocol {
            Protocol::Single => return new_cluster_main(a),
            Protocol::Multi => return model_only("new-cluster"),
        },
        Command::Node(a) => match a.protocol {
            Protocol::Single => return node_main(a),
            Protocol::Multi => return model_only("node"),
        },
        Command::Status(a) => match a.protocol {
            Protocol::Single => return status_main(a),
            Protocol::Multi => return model_only("status"),
        },
        Command::Cluster(a) => match a.protocol {
            Protocol::Single => return cluster_main(a),
            Protocol::Multi => return model_only("cluster"),
        },
        Command::Propose(a) => return propose_main(a),
        Command::Learn(a) => return learn_main(a),
        Command::Bench(b) => bench::bench(b),
    };
    result.unwrap_or_else(usage_exit)
}
