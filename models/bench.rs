//! Checker benchmarks: `paxos bench bugs`, `paxos bench spec`, `paxos bench liveness`.
//!
//! Speed and memory are measured here, never asserted in tests: this machine is shared and
//! noisy, so every figure is the median of several runs made side by side in one process.
//!
//! * `bugs`: for each seeded bug, the time the one-thread BFS on the catching property takes to
//!   reach its shortest counterexample (this is what `paxos check --bug NAME` prints), with the
//!   trace length and the states explored until then.
//! * `spec`: the wall time of an exhaustive check of the voting-level spec (2 threads,
//!   depth-first, invariants only), next to TLC's published time for the same constants.
//! * `liveness`: the sound liveness checker's graph memory per state and the process's peak
//!   resident memory on a configuration given by flags (default: `compat` with 3 clients,
//!   client retries and no dead-message pruning, where the claim holds: 7,652,017 states,
//!   explored in about a minute; pruned, the same model has 68,422).

use std::time::{Duration, Instant};

use super::bugs::case;
use super::claims::{run_claim_with, Claim, ClaimOptions, Expect, Goal};
use super::run::shortest_path;
use super::single::{SingleConfig, SingleModel};
use crate::single::Bug;
use crate::specs::voting::{SpecConfig, SpecModel, VALUE_CHOSEN};
use stateright::{Checker, Model};

/// The median of `v` (upper median for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// One seeded bug's time to counterexample.
#[derive(Clone, Debug)]
pub struct BugTiming {
    /// The bug's command-line name.
    pub name: &'static str,
    /// The property that catches it.
    pub property: &'static str,
    /// Steps of the shortest counterexample.
    pub trace_len: usize,
    /// Unique states the BFS explored until it found it.
    pub states: usize,
    /// Median wall time of the search over the runs.
    pub median: Duration,
}

/// Times the shortest-counterexample search of every caught bug, `runs` times each.
pub fn bench_bugs(runs: usize) -> Vec<BugTiming> {
    let mut out = Vec::new();
    for (bug, name, _) in Bug::ALL {
        let c = case(bug);
        let Some(property) = c.property else { continue };
        let mut times = Vec::with_capacity(runs);
        let mut found = (0, 0);
        for _ in 0..runs {
            let model = SingleModel::new(c.config.clone()).only(property);
            let t = Instant::now();
            let (path, states) = shortest_path(model, property);
            times.push(t.elapsed());
            let len = path.map(|p| p.into_actions().len()).unwrap_or(0);
            found = (len, states);
        }
        out.push(BugTiming {
            name,
            property,
            trace_len: found.0,
            states: found.1,
            median: median(times),
        });
    }
    out
}

/// Prints [`bench_bugs`].
pub fn print_bugs(runs: usize) {
    println!("time to the shortest counterexample (one-thread BFS), median of {runs} runs");
    println!(
        "{:<22} {:<18} {:>6} {:>10} {:>10}",
        "bug", "caught by", "steps", "states", "median"
    );
    for b in bench_bugs(runs) {
        println!(
            "{:<22} {:<18} {:>6} {:>10} {:>10}",
            b.name,
            b.property,
            b.trace_len,
            b.states,
            secs(b.median)
        );
    }
}

/// TLC's wall time for the spec with `max_ballot = 2` (3 acceptors, 2 values, 2 workers) on
/// this machine, as given in the issue that asked for the comparison (TLC is not run here).
pub const TLC_MAX_BALLOT_2_SECONDS: f64 = 13.0;

/// One exhaustive check of the voting-level spec: `(unique states, wall time)`.
pub fn time_spec(cfg: SpecConfig, threads: usize) -> (usize, Duration) {
    let t = Instant::now();
    let c = SpecModel::new(cfg)
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    let elapsed = t.elapsed();
    let violated: Vec<&str> = c
        .discoveries()
        .into_keys()
        .filter(|name| *name != VALUE_CHOSEN)
        .collect();
    assert!(
        violated.is_empty(),
        "the spec's invariants hold for these constants, but {violated:?} failed"
    );
    (c.unique_state_count(), elapsed)
}

/// Prints the spec's check time for `max_ballot`, median of `runs`.
pub fn print_spec(max_ballot: i32, threads: usize, runs: usize) {
    let cfg = SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot,
    };
    let mut times = Vec::with_capacity(runs);
    let mut states = 0;
    for _ in 0..runs {
        let (n, t) = time_spec(cfg, threads);
        states = n;
        times.push(t);
    }
    let min = *times.iter().min().expect("runs > 0");
    let med = median(times);
    println!(
        "voting-level spec, 3 acceptors, 2 values, max_ballot {max_ballot}, {threads} threads, \
         depth-first: {states} states"
    );
    println!(
        "  median of {runs} runs: {}   fastest: {}",
        secs(med),
        secs(min)
    );
    if max_ballot == 2 {
        println!(
            "  TLC (2 workers, figure given for this machine): {TLC_MAX_BALLOT_2_SECONDS:.0} s   \
             ratio TLC / ours (median): {:.1}x",
            TLC_MAX_BALLOT_2_SECONDS / med.as_secs_f64()
        );
    }
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes, where `/proc` has it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the liveness checker ("every client eventually gets the decision", no failure) on
/// `cfg` and prints states, graph memory per state and peak resident memory.
pub fn print_liveness(cfg: SingleConfig) {
    let claim = Claim {
        name: "bench",
        description: "every client eventually gets the decision",
        config: cfg,
        fair: true,
        goal: Goal::ClientsDecided,
        expect: Expect::Holds,
        max_destroyed: 0,
    };
    println!("liveness checker on {}", claim.config.summary());
    let r = run_claim_with(
        &claim,
        ClaimOptions {
            progress: true,
            ..Default::default()
        },
    );
    println!(
        "  verdict {}: {} states, {} edges, {:.1} s",
        r.verdict.name(),
        r.unique_states,
        r.edges,
        r.seconds
    );
    println!(
        "  graph memory: {:.1} bytes/state ({:.0} MB)",
        r.bytes_per_state,
        r.bytes_per_state * r.unique_states as f64 / 1e6
    );
    if let Some(peak) = peak_rss_bytes() {
        println!(
            "  peak resident memory of the process: {:.0} MB ({:.1} bytes/state); at that rate \
             24 GiB holds about {:.0} million states",
            peak as f64 / 1e6,
            peak as f64 / r.unique_states as f64,
            24.0 * (1u64 << 30) as f64 / (peak as f64 / r.unique_states as f64) / 1e6
        );
    }
}
