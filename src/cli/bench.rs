//! `paxos bench ...`: the command-line side of the benchmarks in [`crate::bench`].

use super::model::ModelArgs;
use super::Usage;
use crate::bench::runtime::{bench_main, BenchArgs};
use crate::models::multi::{MultiConfig, CONFIG_NAMES};
use crate::models::single::{NetworkKind, SingleConfig};
use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Propose-to-decided latency on fresh local 3-node clusters, next to the physical limit.
    Single(BenchArgs),
    /// Time to the shortest counterexample of each seeded bug.
    Bugs {
        /// Runs per bug (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Both checks of the voting-level spec (invariants, --refines-voting) side by side, and
    /// the MultiPaxos-SMR port's check on 1 and --threads threads, each with TLC's recorded
    /// figures as a reference (TLC is not run).
    Spec {
        /// Which spec: `paxos` (Lamport's Paxos.tla), `multipaxos-smr`, or `all`.
        #[arg(long, value_enum, default_value_t = BenchSpec::All)]
        spec: BenchSpec,
        /// Highest ballot of the Paxos spec (3 acceptors, 2 values); the SMR port runs its
        /// published small configuration (MaxBallot 2) [default: 2].
        #[arg(long)]
        max_ballot: Option<i32>,
        /// Worker threads of the invariant checks (the refinement check runs on one; the SMR
        /// port also runs on one).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Runs (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// The exhaustive check of a Multi-Paxos configuration: unique states per second and
    /// peak memory per state (`paxos bench check multi [--config NAME]`).
    Check {
        /// The protocol: `multi` (single-decree figures are in `bench bugs` and `bench spec`).
        protocol: String,
        /// The named configuration [default: leader-change, the largest pinned one].
        #[arg(long, default_value = "leader-change")]
        config: String,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Runs (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The liveness checker's memory per state ("no failure", every client gets the decision)
    /// on a model [default: compat with 3 clients, client retries, --prune-dead false].
    Liveness(ModelArgs),
}

pub fn bench(cmd: BenchCommand) -> Result<ExitCode, Usage> {
    use crate::bench::checkers as bench;
    let positive = |runs: usize, what: &str| {
        if runs == 0 {
            Err(Usage(format!("--{what} 0: at least one is needed")))
        } else {
            Ok(())
        }
    };
    match cmd {
        BenchCommand::Single(a) => return Ok(bench_main(a)),
        BenchCommand::Bugs { runs } => {
            positive(runs, "runs")?;
            bench::print_bugs(runs);
        }
        BenchCommand::Spec {
            spec,
            max_ballot,
            threads,
            runs,
        } => {
            positive(runs, "runs")?;
            positive(threads, "threads")?;
            if spec == BenchSpec::MultipaxosSmr && max_ballot.is_some() {
                return Err(Usage(
                    "--max-ballot is the Paxos spec's; the SMR port runs \
                     MultiPaxos_MC_small.cfg (MaxBallot 2)"
                        .into(),
                ));
            }
            let max_ballot = max_ballot.unwrap_or(2);
            if !(0..=3).contains(&max_ballot) {
                return Err(Usage(format!(
                    "--max-ballot {max_ballot}: the benchmark runs 0 to 3 (3 takes minutes)"
                )));
            }
            if spec != BenchSpec::MultipaxosSmr {
                bench::print_spec(max_ballot, threads, runs);
            }
            if spec != BenchSpec::Paxos {
                bench::print_smr(threads, runs);
            }
        }
        BenchCommand::Check {
            protocol,
            config,
            threads,
            runs,
        } => {
            positive(runs, "runs")?;
            positive(threads, "threads")?;
            if protocol != "multi" {
                return Err(Usage(format!(
                    "paxos bench check {protocol}: only `multi`; single-decree checker figures \
                     are in `paxos bench bugs` and `paxos bench spec`"
                )));
            }
            let cfg = MultiConfig::named(&config).ok_or_else(|| {
                Usage(format!(
                    "unknown --config '{config}'; expected one of: {}",
                    CONFIG_NAMES.join(", ")
                ))
            })?;
            bench::print_check_multi(&config, &cfg, threads, runs);
        }
        BenchCommand::Liveness(model) => {
            if model.bug.is_some() {
                return Err(Usage("--bug is for `paxos check`".into()));
            }
            let cfg = if model.config.is_some() {
                model.config()?
            } else {
                model.config_from(Some(SingleConfig {
                    clients: 3,
                    client_retry: true,
                    prune_dead: false,
                    ..SingleConfig::named("compat").expect("compat exists")
                }))?
            };
            if cfg.lossy || cfg.max_crashes > 0 || cfg.network == NetworkKind::UnorderedDuplicating
            {
                return Err(Usage(
                    "the liveness benchmark runs under the no-failure assumption: no --lossy, \
                     no --max-crashes, no duplicating network"
                        .into(),
                ));
            }
            bench::print_liveness(cfg);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The specs `paxos bench spec` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchSpec {
    /// Lamport's Paxos.tla: its invariants and --refines-voting.
    Paxos,
    /// The MultiPaxos-SMR port (MultiPaxos_MC_small.cfg without SYMMETRY).
    MultipaxosSmr,
    /// Both.
    All,
}
