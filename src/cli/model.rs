//! The checker commands: `paxos check`, `paxos liveness`, `paxos explore`, `paxos spec`, and
//! the model flags they share ([`ModelArgs`]).

use super::checked::{self, finish, Canonicalize, CheckRun, CheckedProtocol};
use super::{Protocol, Usage};
use crate::models::claims::{Assumption, ClaimOptions, Goal};
use crate::models::harness::ActorHarness;
use crate::models::run::{self, RunOptions};
use crate::models::search::Search;
use crate::models::single::{
    LearnMode, Merge, NetworkKind, SingleConfig, SingleModel, SingleModelState, CONFIG_NAMES,
};
use crate::models::symmetry;
use crate::single::Bug;
use clap::Args;
use itertools::Itertools;
use std::process::ExitCode;

/// The abstract specs `paxos spec` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SpecName {
    /// Lamport's single-decree Paxos (`Paxos.tla`, the voting-level spec).
    Paxos,
    /// The published Multi-Paxos spec `MultiPaxos.tla` (tlaplus/Examples, MultiPaxos-SMR).
    MultipaxosSmr,
}

#[derive(Args)]
pub struct SpecArgs {
    /// Which spec.
    #[arg(value_enum, default_value = "paxos")]
    spec: SpecName,
    /// Number of acceptors (quorums are the majority subsets) [paxos; default 3].
    #[arg(long)]
    acceptors: Option<usize>,
    /// Number of values [paxos; default 2].
    #[arg(long)]
    values: Option<usize>,
    /// Highest ballot: ballots are 0..=N for paxos (default 1; TLC's published count: 3,921
    /// states for N = 1), 1..=N for multipaxos-smr (`MaxBallot`, default 2, at least 2).
    #[arg(long)]
    max_ballot: Option<i32>,
    /// `Cardinality(Replicas)` [multipaxos-smr; default 3].
    #[arg(long)]
    replicas: Option<u8>,
    /// `Cardinality(Writes)` [multipaxos-smr; default 1].
    #[arg(long)]
    writes: Option<u8>,
    /// `Cardinality(Reads)` [multipaxos-smr; default 1].
    #[arg(long)]
    reads: Option<u8>,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Search order: dfs (faster, little memory) or bfs.
    #[arg(long, default_value = "dfs")]
    search: Search,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Instead of the invariants, check that every step of the spec is one step of Lamport's
    /// Voting spec or a stutter, under V == INSTANCE Voting (votes = the 2b messages, maxBal
    /// unchanged). Runs on one thread, depth first: --threads and --search do not apply.
    #[arg(long)]
    refines_voting: bool,
    /// With --refines-voting: break one Paxos step on purpose to see the check refuse it
    /// (`--mutant list` lists them).
    #[arg(long, requires = "refines_voting")]
    mutant: Option<String>,
}

/// Model flags; every one overrides the chosen `--config`.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// Named configuration to start from: compat, roles, faults, runtime, runtime-roles [default: roles, or with
    /// --bug the configuration that exposes that bug].
    #[arg(long)]
    pub(super) config: Option<String>,
    /// Number of proposers (ignored with --merge all).
    #[arg(long)]
    pub(super) proposers: Option<usize>,
    /// Number of acceptors (nodes with --merge all / acceptor-learner); at least 3.
    #[arg(long)]
    pub(super) acceptors: Option<usize>,
    /// Number of learners (ignored when learners are merged).
    #[arg(long)]
    pub(super) learners: Option<usize>,
    /// Role placement.
    #[arg(long)]
    pub(super) merge: Option<Merge>,
    /// How learners learn: votes (acceptors notify learners), proposer (the proposer informs
    /// them with Chosen; a merged learner also counts the votes its node sees) or chosen (from
    /// Chosen only).
    #[arg(long)]
    pub(super) learn: Option<LearnMode>,
    /// Number of clients; client i proposes value i+1.
    #[arg(long)]
    pub(super) clients: Option<usize>,
    /// Network.
    #[arg(long)]
    pub(super) network: Option<NetworkKind>,
    /// Messages may be lost (--lossy, or --lossy false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) lossy: Option<bool>,
    /// Bound on simultaneously crashed actors (clients never crash).
    #[arg(long)]
    pub(super) max_crashes: Option<usize>,
    /// Only acceptors crash (--crash-acceptors-only, or ... false); otherwise any protocol actor.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) crash_acceptors_only: Option<bool>,
    /// Client retry timers (--client-retry, or --client-retry false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) client_retry: Option<bool>,
    /// Proposer retry timers (--timers, or --timers false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) timers: Option<bool>,
    /// Highest round a proposer may start (bounds the model).
    #[arg(long)]
    pub(super) max_round: Option<u32>,
    /// Bound on distinct ballots started across proposers (0: no bound beyond --max-round).
    #[arg(long)]
    pub(super) max_ballots: Option<usize>,
    /// Acceptors answer refusals with Nack (--nacks, or --nacks false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) nacks: Option<bool>,
    /// Proposers restart at once on a Nack.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) eager_retry: Option<bool>,
    /// Acceptors answer a Prepare for the ballot they promised with a Promise again (an
    /// idempotent reply, safe with unique ballots; exposes `--bug shared-ballots`).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) repromise: Option<bool>,
    /// The first proposer leads: it runs phase 1 at start, before any client asks (--leader,
    /// or --leader false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) leader: Option<bool>,
    /// Merged nodes send messages to themselves through the network, as separate steps,
    /// instead of handling them within the step (--loopback, or --loopback false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) loopback: Option<bool>,
    /// A decided proposer announces Chosen to the learners again whenever a client proposes
    /// to it or queries its node (--catch-up, or --catch-up false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) catch_up: Option<bool>,
    /// A proposer whose timer fires while its ballot was not refused retransmits the current
    /// phase at the same ballot, and acceptors answer retransmissions again; only a Nack opens
    /// a higher ballot (--retransmit, or --retransmit false; needs --nacks and --timers).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) retransmit: Option<bool>,
    /// A delivery the recipient ignores still takes the message out of the network, as on a
    /// real network (--consume-ignored, or ... false; non-duplicating network only; needed
    /// by liveness with timers that wait for their messages).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) consume_ignored: Option<bool>,
    /// Remove messages whose delivery has become a no-op from the network (default true;
    /// applied only without crashes and seeded bugs): `--prune-dead false` explores the full
    /// state space, for comparison.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(super) prune_dead: Option<bool>,
    /// Seed a known protocol bug (`--bug list` lists them).
    #[arg(long)]
    pub(super) bug: Option<String>,
}

#[derive(Args)]
pub struct CheckArgs {
    /// The protocol: `single` (single-decree Paxos, the default) or `multi` (Multi-Paxos).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    #[command(flatten)]
    pub(super) model: ModelArgs,
    #[command(flatten)]
    pub(super) multi: super::multi::MultiArgs,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub(super) threads: usize,
    /// Search order: dfs (depth-first; little memory), bfs (breadth-first; keeps every
    /// pending state in memory; finds shallow violations first), or auto (bfs with --bug
    /// unless --symmetry, else dfs). Counterexamples are always re-searched with one-thread
    /// BFS.
    #[arg(long, default_value = "auto")]
    pub(super) search: CheckSearch,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(super) json: bool,
    /// Explore everything even after a property is violated (default: stop at the first).
    #[arg(long)]
    pub(super) keep_going: bool,
    /// Symmetry reduction over acceptors: explore one state per orbit under permutations of
    /// acceptor ids (DFS only). Sound, and accepted, only with separate roles (--merge none,
    /// e.g. --config roles or faults); see models/symmetry.rs. `refines-spec` still walks the
    /// full graph.
    #[arg(long)]
    pub(super) symmetry: bool,
    /// Skip the refinement check that runs after the exploration: `refines-spec` for
    /// single-decree (every edge is a step of the abstract spec or a stutter; separate-role
    /// configurations that record phase 1), `refines-voting` for multi (every edge is, at
    /// every slot, a step of Lamport's Voting spec or a stutter).
    #[arg(long)]
    pub(super) no_refinement: bool,
}

/// `paxos check --search`: an order, or the default that depends on the other flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckSearch {
    /// bfs with --bug unless --symmetry, else dfs.
    Auto,
    /// Depth-first.
    Dfs,
    /// Breadth-first.
    Bfs,
}

#[derive(Args)]
pub struct LivenessArgs {
    /// The protocol: `single` (single-decree Paxos, the default) or `multi` (Multi-Paxos).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    #[command(flatten)]
    pub(super) multi: super::multi::MultiArgs,
    /// A shipped claim: no-failure (the default when no model flag is given),
    /// leader-progress, duelling-proposers, impatient-timers, learners-learn, runtime-clients;
    /// `--claim list` lists them. A claim fixes its
    /// model, assumption and bound; the other flags make your own claim instead.
    #[arg(long)]
    pub(super) claim: Option<String>,
    #[command(flatten)]
    pub(super) model: ModelArgs,
    /// What must eventually hold (your own claim): clients-decided (every client got the
    /// decision, the default), value-chosen, or learners-learned (every learner learned the
    /// decision).
    #[arg(long)]
    pub(super) goal: Option<Goal>,
    /// Timers may fire at any moment (stateright's default semantics) instead of only when no
    /// message can be delivered (timeouts longer than message delays, the "no failure"
    /// assumption; it also excludes loss and crashes).
    #[arg(long, conflicts_with = "assumption")]
    pub(super) unfair: bool,
    /// The assumption of your own claim: no-failure (the default; see above),
    /// timers-any-time (= --unfair), or leader-fair-loss (only the first proposer's and the
    /// clients' timers fire, each only when none of its own messages can still be delivered
    /// with an effect; loss, duplication and crashes as configured, with fair loss, no message
    /// in flight forever and finitely many crashes; needs separate roles).
    #[arg(long)]
    pub(super) assumption: Option<Assumption>,
    /// With leader-fair-loss: report any goal-free cycle as a livelock, fair or not (shows
    /// what the fairness conditions exclude).
    #[arg(long)]
    pub(super) ignore_fairness: bool,
    /// A state where more than N ballots reached phase 2 and can no longer be chosen is a
    /// frontier state (0: no bound); this is how duelling proposers show in a finite model.
    /// Every bound that removes behaviour is a cut like this one: past --max-ballots, and a
    /// proposer at --max-round that would start a higher ballot (timer fired, or refused with
    /// --eager-retry); a goal-free run into a cut is "holds up to the bound", never "holds".
    #[arg(long, value_name = "N")]
    pub(super) max_destroyed: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Args)]
pub struct ExploreArgs {
    /// The protocol: `single` (single-decree Paxos, the default) or `multi` (Multi-Paxos).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    #[command(flatten)]
    pub(super) model: ModelArgs,
    #[command(flatten)]
    pub(super) multi: super::multi::MultiArgs,
    /// Address to serve the explorer on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub(super) addr: String,
}

impl ModelArgs {
    /// The single-decree-only flags given, by name (refused for `multi`).
    pub(super) fn single_only_given(&self) -> Vec<&'static str> {
        [
            (self.proposers.is_some(), "--proposers"),
            (self.acceptors.is_some(), "--acceptors"),
            (self.learners.is_some(), "--learners"),
            (self.merge.is_some(), "--merge"),
            (self.learn.is_some(), "--learn"),
            (
                self.crash_acceptors_only.is_some(),
                "--crash-acceptors-only",
            ),
            (self.timers.is_some(), "--timers"),
            (self.max_ballots.is_some(), "--max-ballots"),
            (self.nacks.is_some(), "--nacks"),
            (self.eager_retry.is_some(), "--eager-retry"),
            (self.repromise.is_some(), "--repromise"),
            (self.leader.is_some(), "--leader"),
            (self.loopback.is_some(), "--loopback"),
            (self.catch_up.is_some(), "--catch-up"),
            (self.retransmit.is_some(), "--retransmit"),
            (self.consume_ignored.is_some(), "--consume-ignored"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }

    /// Whether any flag that shapes the model was given.
    pub(super) fn any_given(&self) -> bool {
        self.config.is_some()
            || self.proposers.is_some()
            || self.acceptors.is_some()
            || self.learners.is_some()
            || self.merge.is_some()
            || self.learn.is_some()
            || self.clients.is_some()
            || self.network.is_some()
            || self.lossy.is_some()
            || self.max_crashes.is_some()
            || self.crash_acceptors_only.is_some()
            || self.client_retry.is_some()
            || self.timers.is_some()
            || self.max_round.is_some()
            || self.max_ballots.is_some()
            || self.nacks.is_some()
            || self.eager_retry.is_some()
            || self.repromise.is_some()
            || self.leader.is_some()
            || self.loopback.is_some()
            || self.catch_up.is_some()
            || self.retransmit.is_some()
            || self.consume_ignored.is_some()
            || self.prune_dead.is_some()
            || self.bug.is_some()
    }

    pub(super) fn config(&self) -> Result<SingleConfig, Usage> {
        self.config_from(None)
    }

    /// The configuration: `base` (or `--config`, or the default) with every given flag applied.
    pub(super) fn config_from(&self, base: Option<SingleConfig>) -> Result<SingleConfig, Usage> {
        let bug = match &self.bug {
            Some(b) => Some(Bug::parse(b).ok_or_else(|| {
                Usage(format!(
                    "unknown --bug '{b}'; `paxos check --bug list` lists the seeded bugs"
                ))
            })?),
            None => None,
        };
        let mut c = match (&self.config, bug) {
            _ if base.is_some() => base.expect("checked"),
            (Some(name), _) => SingleConfig::named(name).ok_or_else(|| {
                Usage(format!(
                    "unknown --config '{name}'; expected one of: {}",
                    CONFIG_NAMES.join(", ")
                ))
            })?,
            (None, Some(bug)) => crate::models::bugs::case(bug).config,
            (None, None) => SingleConfig::named("roles").expect("roles exists"),
        };
        self.apply_overrides(&mut c)?;
        if let Some(bug) = bug {
            c.bug = bug;
        }
        c.validate().map_err(Usage)?;
        Ok(c)
    }

    /// Every model flag that is given replaces the configuration's value.
    fn apply_overrides(&self, c: &mut SingleConfig) -> Result<(), Usage> {
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
            eager_retry,
            repromise,
            leader,
            loopback,
            catch_up,
            retransmit,
            consume_ignored,
            prune_dead
        );
        if let Some(m) = self.merge {
            c.merge = m;
        }
        if let Some(m) = self.learn {
            c.learn = m;
        }
        if let Some(n) = self.network {
            c.network = n;
        }
        Ok(())
    }
}

pub fn check(args: CheckArgs) -> Result<ExitCode, Usage> {
    if args.protocol == Protocol::Multi {
        return super::multi::check(args);
    }
    args.multi.refuse_for_single()?;
    if args.model.bug.as_deref() == Some("list") {
        checked::print_bugs::<Single>();
        return Ok(ExitCode::SUCCESS);
    }
    if args.threads == 0 {
        return Err(Usage("--threads 0: at least one thread is needed".into()));
    }
    let cfg = args.model.config()?;
    if args.symmetry && args.search == CheckSearch::Bfs {
        symmetry::applies(&cfg).map_err(Usage)?;
        return Err(Usage(
            "--symmetry needs --search dfs (or auto): stateright 0.31 applies symmetry \
             reduction only to depth-first search"
                .into(),
        ));
    }
    let search = match args.search {
        CheckSearch::Bfs => Search::Bfs,
        CheckSearch::Dfs => Search::Dfs,
        _ if args.symmetry => Search::Dfs,
        _ if args.model.bug.is_some() => Search::Bfs,
        _ => Search::Dfs,
    };
    checked::check::<Single>(
        cfg,
        CheckRun {
            threads: args.threads,
            search,
            symmetry: args.symmetry,
            keep_going: args.keep_going,
            no_extra: args.no_refinement,
            json: args.json,
        },
    )
}

/// Single-decree Paxos for the generic checker commands.
pub struct Single;

impl CheckedProtocol for Single {
    const TITLE: &'static str = "single-decree Paxos";
    const MODEL: &'static str = "single-decree";
    type Config = SingleConfig;
    type Model = SingleModel;
    type State = SingleModelState;
    type Action = crate::models::single::SingleAction;

    fn model(cfg: &SingleConfig) -> SingleModel {
        SingleModel::new(cfg.clone())
    }

    fn only(cfg: &SingleConfig, property: &'static str) -> SingleModel {
        SingleModel::new(cfg.clone()).only(property)
    }

    fn summary(cfg: &SingleConfig) -> String {
        cfg.summary()
    }

    fn trace(
        model: &SingleModel,
        path: &stateright::Path<SingleModelState, Self::Action>,
    ) -> Vec<String> {
        model.format_trace(path)
    }

    fn symmetry(cfg: &SingleConfig) -> Result<Canonicalize<SingleModelState>, String> {
        symmetry::applies(cfg)?;
        Ok(symmetry::canonicalize)
    }

    /// `refines-spec`, for the configurations whose refinement mapping exists: separate
    /// roles that record phase 1.
    fn extra_checks(cfg: &SingleConfig, quiet: bool) -> Vec<run::PropertyResult> {
        let supported = cfg.merge == Merge::None && cfg.record_phase1;
        supported
            .then(|| refinement(cfg, quiet))
            .into_iter()
            .collect()
    }

    type Claim = crate::models::claims::Claim;

    fn claims() -> Vec<Self::Claim> {
        crate::models::claims::claims()
    }

    fn bugs() -> Vec<(&'static str, Option<&'static str>, &'static str)> {
        Bug::ALL
            .iter()
            .map(|&(bug, name, what)| (name, crate::models::bugs::case(bug).property, what))
            .collect()
    }
}

/// The `refines-spec` property: every edge of the actor model maps to a step of the abstract
/// spec or to a stutter (see specs/refinement.rs).
fn refinement(cfg: &SingleConfig, quiet: bool) -> run::PropertyResult {
    use crate::specs::refinement::check_refinement;
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
                if !v.invariants_after.is_empty() {
                    lines.push(format!(
                        "spec invariants broken after it: {}",
                        v.invariants_after.join(", ")
                    ));
                }
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

pub fn spec(args: SpecArgs) -> Result<ExitCode, Usage> {
    use crate::specs::voting::{SpecConfig, SpecModel};
    if args.threads == 0 {
        return Err(Usage("--threads 0: at least one thread is needed".into()));
    }
    if args.spec == SpecName::MultipaxosSmr {
        return multipaxos_smr(&args);
    }
    if args.replicas.is_some() || args.writes.is_some() || args.reads.is_some() {
        return Err(Usage(
            "--replicas, --writes and --reads are constants of multipaxos-smr: \
             `paxos spec multipaxos-smr ...`"
                .into(),
        ));
    }
    let (acceptors, values) = (args.acceptors.unwrap_or(3), args.values.unwrap_or(2));
    let max_ballot = args.max_ballot.unwrap_or(1);
    if !(3..=64).contains(&acceptors) {
        return Err(Usage(format!(
            "--acceptors {}: Paxos needs at least 3 acceptors (a majority of 3 tolerates one \
             failure) and this spec supports at most 64",
            acceptors
        )));
    }
    if values == 0 {
        return Err(Usage("--values 0: at least one value is needed".into()));
    }
    if max_ballot < 0 {
        return Err(Usage("--max-ballot must be 0 or more".into()));
    }
    let cfg = SpecConfig {
        acceptors,
        values,
        max_ballot,
    };
    if args.refines_voting {
        return refines_voting(cfg, args.mutant.as_deref(), args.json);
    }
    if !args.json {
        println!(
            "Checking the voting-level Paxos spec: {} acceptors, {} values, ballots 0..={}",
            cfg.acceptors, cfg.values, cfg.max_ballot
        );
    }
    let only = move |_: &'static str| SpecModel::new(cfg);
    check_spec(&args, "paxos-spec", cfg, SpecModel::new(cfg), only)
}

/// Runs a spec's invariants and examples on stateright's checker (stopping at the first
/// violation, shortest traces) and prints the report: the part both specs share.
fn check_spec<M, C: serde::Serialize>(
    args: &SpecArgs,
    name: &str,
    cfg: C,
    model: M,
    only: impl Fn(&'static str) -> M,
) -> Result<ExitCode, Usage>
where
    M: stateright::Model + Clone + Send + Sync + 'static,
    M::State: std::hash::Hash + std::fmt::Debug + Clone + PartialEq + Send + Sync + 'static,
    M::Action: std::fmt::Debug + Clone + PartialEq + Send + Sync + 'static,
{
    let opts = RunOptions {
        threads: args.threads,
        strategy: args.search,
        symmetry: None,
        progress: !args.json,
        shortest: true,
        stop_at_violation: true,
    };
    let report = run::check(
        name,
        serde_json::to_value(cfg).expect("config serializes"),
        model,
        &opts,
        only,
        |m, p| {
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

/// `paxos spec multipaxos-smr`: the port of `MultiPaxos.tla` with the given constants, its
/// invariants (`Linearizability`, the checkable parts of `TypeOK`) on every reachable state.
fn multipaxos_smr(args: &SpecArgs) -> Result<ExitCode, Usage> {
    use crate::specs::multipaxos_smr::{MultiPaxosSmr, SmrConfig};
    if args.refines_voting {
        return Err(Usage(
            "--refines-voting applies to the paxos spec, not to multipaxos-smr".into(),
        ));
    }
    if args.acceptors.is_some() || args.values.is_some() {
        return Err(Usage(
            "--acceptors and --values are constants of the paxos spec; multipaxos-smr takes \
             --replicas, --writes, --reads"
                .into(),
        ));
    }
    let max_ballot = args.max_ballot.unwrap_or(2);
    let cfg = SmrConfig {
        replicas: args.replicas.unwrap_or(3),
        writes: args.writes.unwrap_or(1),
        reads: args.reads.unwrap_or(1),
        max_ballot: u8::try_from(max_ballot)
            .map_err(|_| Usage(format!("--max-ballot {max_ballot}: between 2 and 255")))?,
    };
    cfg.validate()
        .map_err(|e| Usage(format!("multipaxos-smr: {e}")))?;
    if !args.json {
        println!("Checking MultiPaxos.tla (tlaplus/Examples, MultiPaxos-SMR), ported: {cfg}");
    }
    let only = move |name| MultiPaxosSmr::new(cfg).only(name);
    check_spec(args, "multipaxos-smr", cfg, MultiPaxosSmr::new(cfg), only)
}

/// `paxos spec --refines-voting`: every step of the Paxos spec against Lamport's Voting spec.
fn refines_voting(
    cfg: crate::specs::voting::SpecConfig,
    mutant: Option<&str>,
    json: bool,
) -> Result<ExitCode, Usage> {
    use crate::specs::voting_refinement::{check_mutant, check_voting_refinement, SpecMutant};
    if mutant == Some("list") {
        for (_, name, what) in SpecMutant::ALL {
            println!("{name:<20} {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mutant = match mutant {
        None => None,
        Some(name) => Some(SpecMutant::from_name(name).ok_or_else(|| {
            Usage(format!(
                "--mutant {name}: unknown; one of {}, or list",
                SpecMutant::ALL.iter().map(|m| m.1).join(", ")
            ))
        })?),
    };
    if !json {
        println!(
            "Checking that every step of the Paxos spec is a step of Lamport's Voting spec or a \
             stutter: {} acceptors, {} values, ballots 0..={}{}",
            cfg.acceptors,
            cfg.values,
            cfg.max_ballot,
            mutant.map_or(String::new(), |m| format!(", broken step: {}", m.name()))
        );
        println!(
            "  mapping V == INSTANCE Voting: votes[a] = {{<<m.bal, m.val>> : m in msgs, \
             m.type = \"2b\", m.acc = a}}, maxBal = maxBal"
        );
    }
    let r = match mutant {
        None => check_voting_refinement(cfg),
        Some(m) => check_mutant(cfg, m),
    };
    if json {
        let out = serde_json::json!({
            "check": "refines-voting",
            "mutant": mutant.map(|m| m.name()),
            "refines": r.refines(),
            "report": r,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("report serializes")
        );
    } else {
        print_voting_refinement(&r);
    }
    Ok(if r.refines() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text form of a `--refines-voting` report.
fn print_voting_refinement(r: &crate::specs::voting_refinement::VotingRefinementReport) {
    let counts = format!(
        "{} states, {} edges: {} Voting steps ({} IncreaseMaxBal, {} VoteFor), {} stutters",
        r.states, r.edges, r.voting_steps, r.increase_max_bal, r.vote_for, r.stutters
    );
    match &r.violation {
        None => {
            println!("refines-voting: holds");
            println!("  the initial state maps to Voting's Init");
            println!("  {counts}");
        }
        Some(v) => {
            println!("refines-voting: VIOLATED");
            println!("  {}", v.message());
            if !v.trace.is_empty() {
                println!("  trace (a shortest one to a violating step):");
                for line in &v.trace {
                    println!("    {line}");
                }
            }
            println!("  Voting state before: {}", v.before);
            println!("  the step's change:   {}", v.diff);
            println!("  explored breadth first up to the violation: {counts}");
        }
    }
    if r.refines() {
        println!("  {:.3} s, one thread, depth first", r.seconds);
    } else {
        println!(
            "  {:.3} s, one thread, depth first, then breadth first for the trace",
            r.seconds
        );
    }
}

pub fn liveness(args: LivenessArgs) -> Result<ExitCode, Usage> {
    if args.protocol == Protocol::Multi {
        return super::multi::liveness(args);
    }
    args.multi.refuse_for_single()?;
    if args.claim.as_deref() == Some("list") {
        checked::print_claims::<Single>();
        return Ok(ExitCode::SUCCESS);
    }
    let c = claim_from_args(&args)?;
    let opts = ClaimOptions {
        ignore_fairness: args.ignore_fairness,
        ..Default::default()
    };
    Ok(checked::liveness(&c, opts, args.json))
}

/// The claim `paxos liveness` checks: a shipped one by name, or one made with model flags,
/// `--goal`, `--assumption` (or `--unfair`) and `--max-destroyed`; never a mix of the two.
fn claim_from_args(args: &LivenessArgs) -> Result<crate::models::claims::Claim, Usage> {
    use crate::models::claims::{claim, Claim, Expect, CLAIM_NAMES};
    if args.model.bug.is_some() {
        return Err(Usage(
            "--bug is for `paxos check`: a seeded bug breaks safety, which liveness assumes".into(),
        ));
    }
    let own = args.model.any_given()
        || args.goal.is_some()
        || args.unfair
        || args.assumption.is_some()
        || args.max_destroyed.is_some();
    let c: Claim = if args.claim.is_none() && own {
        let goal = args.goal.unwrap_or(Goal::ClientsDecided);
        Claim {
            name: "custom",
            description: "on every path the goal eventually holds",
            config: args.model.config()?,
            assumption: match args.assumption {
                _ if args.unfair => Assumption::TimersAnyTime,
                Some(a) => a,
                None => Assumption::NoFailure,
            },
            goal,
            expect: Expect::Holds,
            max_destroyed: args.max_destroyed.unwrap_or(0),
        }
    } else {
        let name = args.claim.as_deref().unwrap_or("no-failure");
        if own {
            return Err(Usage(
                "a shipped claim fixes its model, assumption, goal and bound: drop --claim to \
                 make your own claim with --config, model flags, --goal, --assumption (or \
                 --unfair) and --max-destroyed"
                    .into(),
            ));
        }
        claim(name).ok_or_else(|| {
            Usage(format!(
                "unknown --claim '{name}'; expected one of: {} (or list)",
                CLAIM_NAMES.join(", ")
            ))
        })?
    };
    if args.ignore_fairness && c.assumption != Assumption::LeaderFairLoss {
        return Err(Usage(
            "--ignore-fairness applies to --assumption leader-fair-loss (the other \
             assumptions count every cycle already)"
                .into(),
        ));
    }
    c.validate().map_err(Usage)?;
    Ok(c)
}

pub fn explore(args: ExploreArgs) -> Result<ExitCode, Usage> {
    if args.protocol == Protocol::Multi {
        return super::multi::explore(args);
    }
    args.multi.refuse_for_single()?;
    checked::explore::<Single>(args.model.config()?, &args.addr)
}
