//! The checker commands for Multi-Paxos: `paxos check multi`, `paxos explore multi`, `paxos
//! liveness multi`, and the model flags only Multi-Paxos has ([`MultiArgs`]). The commands
//! themselves are the generic ones of [`super::checked`], over [`Multi`].

use super::checked::{self, Canonicalize, CheckRun, CheckedProtocol};
use super::model::{CheckArgs, CheckSearch, ExploreArgs, LivenessArgs, ModelArgs};
use super::Usage;
use crate::models::harness::ActorHarness;
use crate::models::multi::{
    bugs, workload, MultiAction, MultiConfig, MultiModel, MultiModelState, CONFIG_NAMES,
};
use crate::models::run;
use crate::models::search::Search;
use crate::multi::Bug;
use clap::Args;
use std::process::ExitCode;

/// Model flags of Multi-Paxos; every one overrides the chosen `--config`. The flags both
/// protocols have (`--config`, `--clients`, `--network`, `--lossy`, `--max-crashes`,
/// `--client-retry`, `--max-round`, `--prune-dead`, `--bug`) are shared.
#[derive(Args, Clone, Debug, Default)]
pub struct MultiArgs {
    /// [multi] Number of replicas (each a leader, an acceptor and a learner); at least 3.
    #[arg(long)]
    replicas: Option<usize>,
    /// [multi] Operations per client, 1 or 2: client i writes i+1 to key k, then client 0
    /// reads k and client 1 swaps its own value for 3 (cas).
    #[arg(long)]
    ops: Option<usize>,
    /// [multi] The log's slots are 0..N.
    #[arg(long)]
    max_slots: Option<u32>,
    /// [multi] Most slots in flight at once (pipelining).
    #[arg(long)]
    window: Option<usize>,
    /// [multi] Most commands per slot (batching).
    #[arg(long)]
    max_batch: Option<usize>,
    /// [multi] Replicas R1..RN have election timers and may stand for leader at any time (R0
    /// leads first); 0: no leader change.
    #[arg(long)]
    candidates: Option<usize>,
    /// [multi] Most retries per client operation (with --client-retry).
    #[arg(long)]
    max_retries: Option<u32>,
    /// [multi] Leader heartbeats with the commit index (needs --network unordered_duplicating).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    heartbeat: Option<bool>,
}

impl MultiArgs {
    /// The flags given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        let mut g = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                g.push(name)
            }
        };
        add(self.replicas.is_some(), "--replicas");
        add(self.ops.is_some(), "--ops");
        add(self.max_slots.is_some(), "--max-slots");
        add(self.window.is_some(), "--window");
        add(self.max_batch.is_some(), "--max-batch");
        add(self.candidates.is_some(), "--candidates");
        add(self.heartbeat.is_some(), "--heartbeat");
        add(self.max_retries.is_some(), "--max-retries");
        g
    }

    /// Refuses these flags for single-decree Paxos.
    pub fn refuse_for_single(&self) -> Result<(), Usage> {
        match self.given().as_slice() {
            [] => Ok(()),
            flags => Err(Usage(format!(
                "{} only apply to `multi` (single-decree Paxos has no log); did you mean \
                 `paxos check multi ...`?",
                flags.join(", ")
            ))),
        }
    }
}

/// The configuration: `--config` (or, with `--bug`, the configuration that exposes it, or
/// `basic`) with every given flag applied.
pub fn config(model: &ModelArgs, multi: &MultiArgs) -> Result<MultiConfig, Usage> {
    let single_only = model.single_only_given();
    if !single_only.is_empty() {
        return Err(Usage(format!(
            "{} only apply to single-decree Paxos; `paxos check multi --help` lists the \
             Multi-Paxos flags",
            single_only.join(", ")
        )));
    }
    let bug = match &model.bug {
        Some(b) => Some(Bug::parse(b).ok_or_else(|| {
            Usage(format!(
                "unknown --bug '{b}'; `paxos check multi --bug list` lists the seeded bugs"
            ))
        })?),
        None => None,
    };
    let mut c = match (&model.config, bug) {
        (Some(name), _) => MultiConfig::named(name).ok_or_else(|| {
            Usage(format!(
                "unknown --config '{name}'; expected one of: {}",
                CONFIG_NAMES.join(", ")
            ))
        })?,
        (None, Some(bug)) => bugs::case(bug).config,
        (None, None) => MultiConfig::named("basic").expect("basic exists"),
    };
    if let Some(b) = bug {
        c.bug = b;
    }
    let clients = model.clients.unwrap_or(c.ops.len());
    let per_client = multi
        .ops
        .unwrap_or(c.ops.iter().map(Vec::len).max().unwrap_or(1));
    if !(1..=2).contains(&per_client) {
        return Err(Usage(format!("--ops {per_client}: 1 or 2")));
    }
    if model.clients.is_some() || multi.ops.is_some() {
        c.ops = workload(clients, per_client);
    }
    macro_rules! overrides {
        ($src:expr; $($f:ident),*) => {$(
            if let Some(v) = $src.$f {
                c.$f = v;
            }
        )*};
    }
    overrides!(model; lossy, max_crashes, client_retry, max_round, prune_dead);
    overrides!(multi; replicas, max_slots, window, max_batch, candidates, heartbeat, max_retries);
    if let Some(n) = model.network {
        c.network = n;
    }
    c.validate().map_err(Usage)?;
    Ok(c)
}

/// Multi-Paxos for the generic checker commands.
pub struct Multi;

impl CheckedProtocol for Multi {
    const TITLE: &'static str = "Multi-Paxos";
    const MODEL: &'static str = "multi";
    type Config = MultiConfig;
    type Model = MultiModel;
    type State = MultiModelState;
    type Action = MultiAction;

    fn model(cfg: &MultiConfig) -> MultiModel {
        MultiModel::new(cfg.clone())
    }

    fn only(cfg: &MultiConfig, property: &'static str) -> MultiModel {
        MultiModel::new(cfg.clone()).only(property)
    }

    fn summary(cfg: &MultiConfig) -> String {
        cfg.summary()
    }

    fn trace(
        model: &MultiModel,
        path: &stateright::Path<MultiModelState, MultiAction>,
    ) -> Vec<String> {
        let mut lines = model.format_trace(path);
        lines.push("logs at the end:".into());
        lines.extend(
            model
                .logs(path.last_state())
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        lines
    }

    fn symmetry(_cfg: &MultiConfig) -> Result<Canonicalize<MultiModelState>, String> {
        Err(
            "--symmetry: no symmetry reduction for Multi-Paxos (replica 0 leads first and \
             ballots break ties by replica index, so replicas are not interchangeable)"
                .into(),
        )
    }

    /// `refines-voting`: every edge is a Voting step or a stutter at every slot.
    fn extra_checks(cfg: &MultiConfig, quiet: bool) -> Vec<run::PropertyResult> {
        vec![refinement(cfg, quiet)]
    }

    type Claim = crate::models::multi::claims::MultiClaim;

    fn claims() -> Vec<Self::Claim> {
        crate::models::multi::claims::claims()
    }

    fn bugs() -> Vec<(&'static str, Option<&'static str>, &'static str)> {
        bugs::BUGS
            .iter()
            .map(|&(bug, what)| (bug.name(), bugs::case(bug).property, what))
            .collect()
    }
}

/// `paxos check multi`.
pub fn check(args: CheckArgs) -> Result<ExitCode, Usage> {
    if args.model.bug.as_deref() == Some("list") {
        checked::print_bugs::<Multi>();
        return Ok(ExitCode::SUCCESS);
    }
    if args.threads == 0 {
        return Err(Usage("--threads 0: at least one thread is needed".into()));
    }
    let cfg = config(&args.model, &args.multi)?;
    if cfg.bug != Bug::None && bugs::case(cfg.bug).property.is_none() && !args.json {
        println!(
            "note: {} breaks no safety property ({}); the safety check below shows they hold \
             with it",
            cfg.bug.name(),
            bugs::case(cfg.bug).note
        );
    }
    if args.symmetry {
        if let Err(why) = Multi::symmetry(&cfg) {
            return Err(Usage(why));
        }
    }
    let search = match args.search {
        CheckSearch::Bfs => Search::Bfs,
        CheckSearch::Dfs => Search::Dfs,
        _ if args.model.bug.is_some() => Search::Bfs,
        _ => Search::Dfs,
    };
    checked::check::<Multi>(
        cfg,
        CheckRun {
            threads: args.threads,
            search,
            symmetry: false,
            keep_going: args.keep_going,
            no_extra: args.no_refinement,
            json: args.json,
        },
    )
}

/// The edge budget of the `refines-voting` walk with `--bug`.
pub const BUG_REFINEMENT_EDGES: usize = 1_000_000;

/// The `refines-voting` property: every edge of the model is, at every slot, a step of
/// Lamport's Voting spec or a stutter (see specs/multi_refinement.rs).
fn refinement(cfg: &MultiConfig, quiet: bool) -> run::PropertyResult {
    use crate::specs::multi_refinement::check_multi_refinement_within;
    // A bug's configuration can be far larger than a full walk covers in a command's time.
    let budget = (cfg.bug != Bug::None).then_some(BUG_REFINEMENT_EDGES);
    if !quiet {
        eprintln!("Checking refines-voting at every slot on every edge...");
    }
    let (status, trace) = match check_multi_refinement_within(cfg, budget) {
        Ok(r) => match r.violation {
            None if r.stopped_at.is_some() => (
                "unknown",
                Some(vec![format!(
                    "no refused edge in the first {} edges ({} states); with --bug the walk \
                     stops there (the bug configurations are larger than it covers quickly)",
                    BUG_REFINEMENT_EDGES, r.states
                )]),
            ),
            None => ("holds", None),
            Some(v) => {
                let mut lines = v.trace.clone();
                lines.push(format!("offending edge: {} (slot {})", v.edge, v.slot));
                lines.push(format!("why: {}", v.reason));
                lines.push(format!("slot {} Voting change: {}", v.slot, v.diff));
                lines.push(format!("slot {} before: {}", v.slot, v.before));
                lines.push(format!("values: {}", v.values.join("; ")));
                ("violated", Some(lines))
            }
        },
        Err(e) => ("not_checked", Some(vec![e])),
    };
    run::PropertyResult {
        name: "refines-voting".into(),
        expectation: "always".into(),
        status: status.into(),
        trace,
        explorer_path: None,
        states_to_trace: None,
    }
}

/// `paxos explore multi`.
pub fn explore(args: ExploreArgs) -> Result<ExitCode, Usage> {
    checked::explore::<Multi>(config(&args.model, &args.multi)?, &args.addr)
}

/// `paxos liveness multi`: a shipped claim by name.
pub fn liveness(args: LivenessArgs) -> Result<ExitCode, Usage> {
    use crate::models::claim_report::Claimable;
    let names: Vec<&str> = Multi::claims().iter().map(|c| c.name()).collect();
    match args.claim.as_deref() {
        Some("list") => {
            checked::print_claims::<Multi>();
            Ok(ExitCode::SUCCESS)
        }
        Some(name) => {
            let claim = Multi::claims()
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    Usage(format!(
                        "unknown --claim '{name}'; expected one of: {}",
                        names.join(", ")
                    ))
                })?;
            let bug = args.model.bug.clone();
            let others = ModelArgs {
                bug: None,
                ..args.model.clone()
            };
            if !args.multi.given().is_empty() || others.any_given() {
                return Err(Usage(
                    "a Multi-Paxos claim fixes its model: give --claim alone (or with --bug, \
                     to see the claim fail)"
                        .into(),
                ));
            }
            let claim = match bug.as_deref() {
                None => claim,
                Some(b) => claim.with_bug(Bug::parse(b).ok_or_else(|| {
                    Usage(format!(
                        "unknown --bug '{b}'; `paxos check multi --bug list` lists the seeded bugs"
                    ))
                })?),
            };
            Ok(checked::liveness(&claim, Default::default(), args.json))
        }
        None => Err(Usage(format!(
            "paxos liveness multi needs --claim: one of {}",
            names.join(", ")
        ))),
    }
}
