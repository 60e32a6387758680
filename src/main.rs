//! The `paxos` command line: check, explore, and (later) run Paxos.
//!
//! Exit codes: 0 when everything holds, 1 when a property is violated or an expected example is
//! missing, 2 on bad usage.

use clap::{Args, Parser, Subcommand};
use paxos::models::run::{self, RunOptions, Strategy};
use paxos::models::single::{
    LearnMode, Merge, NetworkKind, SingleConfig, SingleModel, CONFIG_NAMES,
};
use paxos::runtime::bench::{bench_main, BenchArgs};
use paxos::runtime::cli::{
    cluster_main, learn_main, node_main, propose_main, ClusterArgs, LearnArgs, NodeArgs,
    ProposeArgs,
};
use paxos::single::Bug;
use std::process::ExitCode;

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
    /// Serve stateright's web explorer for a model.
    Explore(ExploreArgs),
    /// Check the abstract voting-level spec of Paxos (Lamport's Paxos.tla) exhaustively.
    Spec(SpecArgs),
    /// Run one Paxos node over UDP with durable storage.
    Node(NodeArgs),
    /// Start a local cluster of node processes on 127.0.0.1.
    Cluster(ClusterArgs),
    /// Ask a cluster to decide VALUE; prints the chosen value (which may differ).
    Propose(ProposeArgs),
    /// Ask a cluster's learners for the decided value.
    Learn(LearnArgs),
    /// Benchmarks: `single` (propose-to-decided latency on fresh local clusters).
    Bench(BenchArgs),
}

#[derive(Args)]
struct SpecArgs {
    /// Number of acceptors (quorums are the majority subsets).
    #[arg(long, default_value_t = 3)]
    acceptors: usize,
    /// Number of values.
    #[arg(long, default_value_t = 2)]
    values: usize,
    /// Highest ballot; ballots are 0..=N (TLC's published count: 3,921 states for N = 1).
    #[arg(long, default_value_t = 1)]
    max_ballot: i32,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Search: dfs (faster, little memory) or bfs.
    #[arg(long, default_value = "dfs", value_parser = ["dfs", "bfs"])]
    search: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Model flags; every one overrides the chosen `--config`.
#[derive(Args, Clone, Debug)]
struct ModelArgs {
    /// Named configuration to start from: compat, roles, faults [default: roles, or with
    /// --bug the configuration that exposes that bug].
    #[arg(long)]
    config: Option<String>,
    /// Number of proposers (ignored with --merge all).
    #[arg(long)]
    proposers: Option<usize>,
    /// Number of acceptors (nodes with --merge all / acceptor-learner); at least 3.
    #[arg(long)]
    acceptors: Option<usize>,
    /// Number of learners (ignored when learners are merged).
    #[arg(long)]
    learners: Option<usize>,
    /// Role placement: none, all, acceptor-learner.
    #[arg(long)]
    merge: Option<String>,
    /// How learners learn: votes (acceptors notify learners) or proposer (distinguished learner).
    #[arg(long)]
    learn: Option<String>,
    /// Number of clients; client i proposes value i+1.
    #[arg(long)]
    clients: Option<usize>,
    /// Network: ordered, unordered_nonduplicating, unordered_duplicating.
    #[arg(long)]
    network: Option<String>,
    /// Messages may be lost (--lossy, or --lossy false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    lossy: Option<bool>,
    /// Bound on simultaneously crashed actors (clients never crash).
    #[arg(long)]
    max_crashes: Option<usize>,
    /// Only acceptors crash (--crash-acceptors-only, or ... false); otherwise any protocol actor.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    crash_acceptors_only: Option<bool>,
    /// Client retry timers (--client-retry, or --client-retry false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    client_retry: Option<bool>,
    /// Proposer retry timers (--timers, or --timers false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    timers: Option<bool>,
    /// Highest round a proposer may start (bounds the model).
    #[arg(long)]
    max_round: Option<u32>,
    /// Bound on distinct ballots started across proposers (0: no bound beyond --max-round).
    #[arg(long)]
    max_ballots: Option<usize>,
    /// Acceptors answer refusals with Nack (--nacks, or --nacks false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    nacks: Option<bool>,
    /// Proposers restart at once on a Nack.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    eager_retry: Option<bool>,
    /// Seed a known protocol bug (`--bug list` lists them).
    #[arg(long)]
    bug: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Search: dfs (depth-first; little memory), bfs (breadth-first; keeps every pending
    /// state in memory; finds shallow violations first), or auto (bfs with --bug, else dfs).
    /// Counterexamples are always re-searched with one-thread BFS.
    #[arg(long, default_value = "auto", value_parser = ["auto", "dfs", "bfs"])]
    search: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Explore everything even after a property is violated (default: stop at the first).
    #[arg(long)]
    keep_going: bool,
    /// Skip the `refines-spec` check (every edge of the actor model is a step of the abstract
    /// spec or a stutter), which runs for separate-role configurations that record phase 1.
    #[arg(long)]
    no_refinement: bool,
}

#[derive(Args)]
struct ExploreArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Address to serve the explorer on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
}

/// A usage error: message, exit code 2.
struct Usage(String);

impl ModelArgs {
    fn config(&self) -> Result<SingleConfig, Usage> {
        let bug = match &self.bug {
            Some(b) => Some(Bug::parse(b).ok_or_else(|| {
                Usage(format!(
                    "unknown --bug '{b}'; `paxos check --bug list` lists the seeded bugs"
                ))
            })?),
            None => None,
        };
        let mut c = match (&self.config, bug) {
            (Some(name), _) => SingleConfig::named(name).ok_or_else(|| {
                Usage(format!(
                    "unknown --config '{name}'; expected one of: {}",
                    CONFIG_NAMES.join(", ")
                ))
            })?,
            (None, Some(bug)) => paxos::models::bugs::case(bug).config,
            (None, None) => SingleConfig::named("roles").expect("roles exists"),
        };
        // Plain overrides: a flag that is given replaces the configuration's value.
        macro_rules! overrides {
            ($($f:ident),*) => {$(
                if let Some(v) = self.$f {
                    c.$f = v;
                }
            )*};
        }
        overrides!(
            proposers,
            acceptors,
            learners,
            clients,
            lossy,
            max_crashes,
            timers,
            crash_acceptors_only,
            client_retry,
            max_round,
            max_ballots,
            nacks,
            eager_retry
        );
        if let Some(m) = &self.merge {
            c.merge = Merge::parse(m).ok_or_else(|| {
                Usage(format!(
                    "unknown --merge '{m}'; expected one of: {}",
                    Merge::NAMES.join(", ")
                ))
            })?;
        }
        if let Some(m) = &self.learn {
            c.learn = LearnMode::parse(m).ok_or_else(|| {
                Usage(format!(
                    "unknown --learn '{m}'; expected one of: {}",
                    LearnMode::NAMES.join(", ")
                ))
            })?;
        }
        if let Some(n) = &self.network {
            c.network = NetworkKind::parse(n).ok_or_else(|| {
                Usage(format!(
                    "unknown --network '{n}'; expected one of: {}",
                    NetworkKind::NAMES.join(", ")
                ))
            })?;
        }
        if let Some(bug) = bug {
            c.bug = bug;
        }
        c.validate().map_err(Usage)?;
        Ok(c)
    }
}

fn print_bugs() {
    println!("{:<22} {:<18} what is wrong", "bug", "caught by");
    for (bug, name, what) in Bug::ALL {
        let case = paxos::models::bugs::case(bug);
        println!(
            "{name:<22} {:<18} {what}",
            case.property.unwrap_or("(masked)")
        );
    }
}

fn check(args: CheckArgs) -> Result<ExitCode, Usage> {
    if args.model.bug.as_deref() == Some("list") {
        print_bugs();
        return Ok(ExitCode::SUCCESS);
    }
    if args.threads == 0 {
        return Err(Usage("--threads 0: at least one thread is needed".into()));
    }
    let cfg = args.model.config()?;
    if !args.json {
        println!("Checking single-decree Paxos: {}", cfg.summary());
    }
    let model = SingleModel::new(cfg.clone());
    let opts = RunOptions {
        threads: args.threads,
        strategy: match args.search.as_str() {
            "bfs" => Strategy::Bfs,
            "dfs" => Strategy::Dfs,
            _ if args.model.bug.is_some() => Strategy::Bfs,
            _ => Strategy::Dfs,
        },
        symmetry: None,
        progress: !args.json,
        shortest: true,
        stop_at_violation: !args.keep_going,
    };
    let restrict_cfg = cfg.clone();
    let mut report = run::check(
        "single-decree",
        serde_json::to_value(&cfg).expect("config serializes"),
        model,
        &opts,
        move |name| SingleModel::new(restrict_cfg.clone()).only(name),
        |m, p| m.format_trace(p),
    );
    let supported = cfg.merge == Merge::None && cfg.record_phase1;
    if supported && !args.no_refinement {
        report.properties.push(refinement(&cfg, args.json));
    }
    finish(&report, args.json)
}

/// The `refines-spec` property: every edge of the actor model maps to a step of the abstract
/// spec or to a stutter (see specs/refinement.rs).
fn refinement(cfg: &SingleConfig, quiet: bool) -> run::PropertyResult {
    use paxos::specs::refinement::check_refinement;
    if !quiet {
        eprintln!("Checking refines-spec on every edge...");
    }
    let (status, trace) = match check_refinement(cfg) {
        Ok(r) => match r.violation {
            None => ("holds", None),
            Some(v) => {
                let mut lines = v.trace.clone();
                lines.push(format!("offending edge: {}", v.edge));
                lines.push(format!("why: {}", v.reason));
                lines.push(format!("spec change: {}", v.diff));
                ("violated", Some(lines))
            }
        },
        Err(e) => ("not_checked", Some(vec![e])),
    };
    run::PropertyResult {
        name: "refines-spec".into(),
        expectation: "always".into(),
        status: status.into(),
        trace,
        explorer_path: None,
        states_to_trace: None,
    }
}

fn spec(args: SpecArgs) -> Result<ExitCode, Usage> {
    use paxos::specs::voting::{SpecConfig, SpecModel};
    if !(3..=64).contains(&args.acceptors) {
        return Err(Usage(format!(
            "--acceptors {}: Paxos needs at least 3 acceptors (a majority of 3 tolerates one \
             failure) and this spec supports at most 64",
            args.acceptors
        )));
    }
    if args.values == 0 {
        return Err(Usage("--values 0: at least one value is needed".into()));
    }
    if args.max_ballot < 0 {
        return Err(Usage("--max-ballot must be 0 or more".into()));
    }
    if args.threads == 0 {
        return Err(Usage("--threads 0: at least one thread is needed".into()));
    }
    let cfg = SpecConfig {
        acceptors: args.acceptors,
        values: args.values,
        max_ballot: args.max_ballot,
    };
    if !args.json {
        println!(
            "Checking the voting-level Paxos spec: {} acceptors, {} values, ballots 0..={}",
            cfg.acceptors, cfg.values, cfg.max_ballot
        );
    }
    let opts = RunOptions {
        threads: args.threads,
        strategy: if args.search == "bfs" {
            Strategy::Bfs
        } else {
            Strategy::Dfs
        },
        symmetry: None,
        progress: !args.json,
        shortest: true,
        stop_at_violation: true,
    };
    let report = run::check(
        "paxos-spec",
        serde_json::to_value(cfg).expect("config serializes"),
        SpecModel::new(cfg),
        &opts,
        |_| SpecModel::new(cfg),
        |m, p| {
            use stateright::Model;
            p.clone()
                .into_actions()
                .iter()
                .enumerate()
                .map(|(i, a)| format!("{}. {}", i + 1, m.format_action(a)))
                .collect()
        },
    );
    finish(&report, args.json)
}

fn finish(report: &run::Report, json: bool) -> Result<ExitCode, Usage> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).expect("report serializes")
        );
    } else {
        report
            .print_text(&mut std::io::stdout())
            .expect("stdout is writable");
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explore(args: ExploreArgs) -> Result<ExitCode, Usage> {
    let cfg = args.model.config()?;
    // stateright's server panics when it cannot bind: check first for a clear message.
    if let Err(e) = std::net::TcpListener::bind(&args.addr) {
        return Err(Usage(format!("--addr {}: cannot listen: {e}", args.addr)));
    }
    println!("Exploring single-decree Paxos: {}", cfg.summary());
    println!("Explorer: http://{}/", args.addr);
    use stateright::Model;
    SingleModel::new(cfg).checker().serve(args.addr.as_str());
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check(a),
        Command::Explore(a) => explore(a),
        Command::Spec(a) => spec(a),
        Command::Node(a) => return node_main(a),
        Command::Cluster(a) => return cluster_main(a),
        Command::Propose(a) => return propose_main(a),
        Command::Learn(a) => return learn_main(a),
        Command::Bench(a) => return bench_main(a),
    };
    match result {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("error: {msg}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
    }
}
