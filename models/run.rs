//! Running a model checker the way the CLI and the tests need it.
//!
//! * progress at least every second on long runs (states, unique, depth, states/s);
//! * a status per property: `holds` / `violated` for always-properties, `found` / `not_found`
//!   for sometimes-properties;
//! * **short** counterexamples: stateright 0.31 can report a long path for a discovery (a
//!   discovery may be overwritten by a longer path while other properties are still open, and
//!   multi-threaded BFS is not level-synchronous), so each violated property is re-checked
//!   alone with one-thread BFS, which returns a shortest path to a violating state.

use super::search::Search;
use serde::Serialize;
use stateright::{Checker, Expectation, HasDiscoveries, Model, Path};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::io::Write;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Clone)]
pub struct RunOptions<S> {
    /// Worker threads.
    pub threads: usize,
    /// Search order (with DFS, the model's symmetry reduction when one is given).
    pub strategy: Search,
    /// Symmetry reduction (applied with DFS only).
    pub symmetry: Option<fn(&S) -> S>,
    /// Print progress lines to stderr every second.
    pub progress: bool,
    /// Re-run violated properties alone with one-thread BFS for a shortest trace.
    pub shortest: bool,
    /// Stop the search at the first violated property (like TLC); properties not yet decided
    /// are then reported as `unknown`.
    pub stop_at_violation: bool,
}

/// Outcome of one property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyResult {
    /// Property name.
    pub name: String,
    /// `always`, `sometimes` or `eventually`.
    pub expectation: String,
    /// `holds`, `violated`, `found`, `not_found`, `unknown` (search stopped at a violation, or
    /// an extra check reached its budget),
    /// or `not_checked` (an extra check that cannot run on this configuration; its trace says
    /// why).
    pub status: String,
    /// Numbered steps of the counterexample (violated) or example (found).
    pub trace: Option<Vec<String>>,
    /// Explorer path (action indices) that opens the trace in `paxos explore`.
    pub explorer_path: Option<String>,
    /// Unique states the shortest-trace search explored until it found the trace.
    pub states_to_trace: Option<usize>,
}

impl PropertyResult {
    /// Whether this outcome makes the check fail.
    pub fn is_failure(&self) -> bool {
        self.status == "violated" || self.status == "not_found" || self.status == "not_checked"
    }
}

/// The result of a check.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// The configuration, as JSON.
    pub config: serde_json::Value,
    /// States generated.
    pub states: usize,
    /// Unique states (with symmetry reduction: one per orbit, see `models/symmetry.rs`).
    pub unique_states: usize,
    /// Whether symmetry reduction was applied (DFS with a symmetry function).
    pub symmetry: bool,
    /// Maximum depth.
    pub max_depth: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Every property.
    pub properties: Vec<PropertyResult>,
}

impl Report {
    /// Whether every property holds and every expected example was found.
    pub fn ok(&self) -> bool {
        self.properties.iter().all(|p| !p.is_failure())
    }

    /// Human-readable table and traces.
    pub fn print_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{}: {} states, {} unique{}, max depth {}, {:.2} s",
            self.model,
            self.states,
            self.unique_states,
            if self.symmetry {
                " up to acceptor symmetry"
            } else {
                ""
            },
            self.max_depth,
            self.seconds
        )?;
        writeln!(out)?;
        writeln!(out, "{:<28} {:<10} status", "property", "kind")?;
        for p in &self.properties {
            writeln!(out, "{:<28} {:<10} {}", p.name, p.expectation, p.status)?;
        }
        // Why an extra check is not_checked or unknown, when it says.
        for p in &self.properties {
            if p.status == "not_checked" || p.status == "unknown" {
                for line in p.trace.iter().flatten() {
                    writeln!(out, "  {}: {line}", p.name)?;
                }
            }
        }
        for p in &self.properties {
            if p.status != "violated" {
                continue;
            }
            let trace = p.trace.as_deref().unwrap_or_default();
            let steps = trace
                .iter()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
                .count();
            writeln!(out)?;
            writeln!(
                out,
                "counterexample for `{}` ({} steps{}):",
                p.name,
                steps,
                p.states_to_trace
                    .map(|n| format!(", found after {n} states"))
                    .unwrap_or_default()
            )?;
            for line in trace {
                writeln!(out, "  {line}")?;
            }
            if let Some(path) = &p.explorer_path {
                writeln!(
                    out,
                    "  open it: paxos explore <same flags>, then http://127.0.0.1:3000/#/steps/{path}"
                )?;
            }
        }
        Ok(())
    }
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Sometimes => "sometimes",
        Expectation::Eventually => "eventually",
    }
}

/// Runs `checker` to completion, printing progress every second when asked.
fn drive<M: Model, C: Checker<M>>(checker: C, progress: bool, start: Instant) -> C
where
    M::State: Hash,
{
    let mut last = (Instant::now(), 0usize);
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(50));
        if progress && last.0.elapsed() >= Duration::from_secs(1) {
            let n = checker.state_count();
            let rate = (n - last.1) as f64 / last.0.elapsed().as_secs_f64();
            eprintln!(
                "[{:>6.1}s] states {}, unique {}, depth {}, {:.0} states/s",
                start.elapsed().as_secs_f64(),
                n,
                checker.unique_state_count(),
                checker.max_depth(),
                rate
            );
            last = (Instant::now(), n);
        }
    }
    checker.join()
}

/// Checks `model` and builds a report. `restrict(name)` returns the same model checking only
/// property `name`; `trace` formats a path as numbered lines.
pub fn check<M>(
    name: &str,
    config: serde_json::Value,
    model: M,
    opts: &RunOptions<M::State>,
    restrict: impl Fn(&'static str) -> M,
    trace: impl Fn(&M, &Path<M::State, M::Action>) -> Vec<String>,
) -> Report
where
    M: Model + Clone + Send + Sync + 'static,
    M::State: Hash + Debug + Clone + PartialEq + Send + Sync + 'static,
    M::Action: Debug + Clone + PartialEq + Send + Sync + 'static,
{
    let start = Instant::now();
    let props = model.properties();
    let mut builder = model.clone().checker().threads(opts.threads.max(1));
    if opts.stop_at_violation {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    let (states, unique, depth, discoveries) = match opts.strategy {
        Search::Bfs => counts(&drive(builder.spawn_bfs(), opts.progress, start)),
        Search::Dfs => {
            let builder = match opts.symmetry {
                Some(f) => builder.symmetry_fn(f),
                None => builder,
            };
            counts(&drive(builder.spawn_dfs(), opts.progress, start))
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let stopped_early = opts.stop_at_violation
        && props
            .iter()
            .any(|p| p.expectation != Expectation::Sometimes && discoveries.contains_key(p.name));
    let results = props
        .iter()
        .map(|p| {
            let found = discoveries.get(p.name);
            let status = match (&p.expectation, found.is_some()) {
                (_, false) if stopped_early => "unknown",
                (Expectation::Sometimes, true) => "found",
                (Expectation::Sometimes, false) => "not_found",
                (_, true) => "violated",
                (_, false) => "holds",
            };
            let mut result = PropertyResult {
                name: p.name.to_string(),
                expectation: expectation_name(&p.expectation).to_string(),
                status: status.to_string(),
                trace: found.map(|path| trace(&model, path)),
                explorer_path: found.map(|path| path.encode(&model)),
                states_to_trace: None,
            };
            if status == "violated" && opts.shortest {
                shorten(&mut result, &model, restrict(p.name), p.name, &trace);
            }
            result
        })
        .collect();
    Report {
        model: name.to_string(),
        config,
        states,
        unique_states: unique,
        symmetry: opts.strategy == Search::Dfs && opts.symmetry.is_some(),
        max_depth: depth,
        seconds,
        properties: results,
    }
}

/// A finished checker's figures: states generated, distinct states, depth, discoveries.
type Counts<S, A> = (usize, usize, usize, HashMap<&'static str, Path<S, A>>);

fn counts<M: Model>(c: &dyn Checker<M>) -> Counts<M::State, M::Action>
where
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    (
        c.state_count(),
        c.unique_state_count(),
        c.max_depth(),
        c.discoveries(),
    )
}

/// Replaces a violation's trace by a shortest one, found on `only` (the model checking this
/// property alone).
fn shorten<M>(
    result: &mut PropertyResult,
    model: &M,
    only: M,
    name: &'static str,
    trace: &impl Fn(&M, &Path<M::State, M::Action>) -> Vec<String>,
) where
    M: Model + Clone + Send + Sync + 'static,
    M::State: Hash + Debug + Clone + PartialEq + Send + Sync + 'static,
    M::Action: Debug + Clone + PartialEq + Send + Sync + 'static,
{
    let (path, n) = shortest_path(only, name);
    if let Some(path) = path {
        result.trace = Some(trace(model, &path));
        result.explorer_path = Some(path.encode(model));
        result.states_to_trace = Some(n);
    }
}

/// One-thread BFS on a model that checks only `name`, stopping at the first discovery: a
/// shortest path to a state that violates (or satisfies, for sometimes) the property. Also
/// returns how many unique states were explored until then.
#[allow(clippy::type_complexity)]
pub fn shortest_path<M>(model: M, name: &'static str) -> (Option<Path<M::State, M::Action>>, usize)
where
    M: Model + Send + Sync + 'static,
    M::State: Hash + Debug + Clone + PartialEq + Send + Sync + 'static,
    M::Action: Debug + Clone + PartialEq + Send + Sync + 'static,
{
    let c = model
        .checker()
        .threads(1)
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::from([name])))
        .spawn_bfs()
        .join();
    (c.discovery(name), c.unique_state_count())
}
