//! Checker benchmarks: `paxos bench bugs`, `paxos bench spec`, `paxos bench liveness`,
//! `paxos bench check multi`.
//!
//! Speed and memory are measured here, never asserted in tests: this machine is shared and
//! noisy, so every figure is the median of several runs made side by side in one process.
//!
//! * `bugs`: for each seeded bug, the time the one-thread BFS on the catching property takes to
//!   reach its shortest counterexample (this is what `paxos check --bug NAME` prints), with the
//!   trace length and the states explored until then.
//! * `spec`: the wall time and peak memory of the two exhaustive checks of the voting-level spec,
//!   side by side: its invariants (stateright, 2 threads, depth-first) and `--refines-voting`
//!   (every edge against Lamport's Voting spec, one thread), next to TLC's figures for the same
//!   constants as a recorded reference (TLC is not run); then the exhaustive check of the
//!   MultiPaxos-SMR port (`MultiPaxos_MC_small.cfg` without SYMMETRY) on one thread and on
//!   `--threads`, next to TLC's recorded run of the same configuration.
//! * `liveness`: the sound liveness checker's graph memory per state and the process's peak
//!   resident memory on a configuration given by flags (default: `compat` with 3 clients,
//!   client retries and no dead-message pruning, where the claim holds: 7,652,017 states,
//!   explored in about a minute; pruned, the same model has 68,422).
//! * `check multi`: the exhaustive check of a Multi-Paxos configuration (default: the largest
//!   pinned one, `leader-change`): unique states per second and peak memory per state.

use std::time::{Duration, Instant};

use crate::models::bugs::case;
use crate::models::claims::{run_claim_with, Claim, ClaimOptions, Expect, Goal};
use crate::models::multi::{MultiConfig, MultiModel};
use crate::models::run::shortest_path;
use crate::models::single::{SingleConfig, SingleModel};
use crate::single::Bug;
use crate::specs::multipaxos_smr::{MultiPaxosSmr, SmrConfig};
use crate::specs::voting::{SpecConfig, SpecModel, VALUE_CHOSEN};
use crate::specs::voting_refinement::{check_voting_refinement, VotingRefinementReport};
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

/// A TLC run of Lamport's `Paxos.tla` recorded on this machine, printed by `paxos bench spec` as
/// a reference. The benchmark never runs TLC.
#[derive(Clone, Copy, Debug)]
pub struct TlcReference {
    /// The `MaxBallot` constant (ballots `0..=max_ballot`; 3 acceptors, 2 values).
    pub max_ballot: i32,
    /// Fastest and slowest recorded wall time, in seconds (equal when one run was recorded).
    pub seconds: (f64, f64),
    /// Recorded memory, in GB.
    pub memory_gb: f64,
    /// Distinct states TLC reported, when recorded.
    pub distinct_states: Option<usize>,
}

/// TLC 2.18 with `-workers 2`, invariant `Inv` only, on this machine (the figures given with
/// issue 11).
pub const TLC_REFERENCES: [TlcReference; 2] = [
    TlcReference {
        max_ballot: 2,
        seconds: (11.3, 25.0),
        memory_gb: 2.2,
        distinct_states: None,
    },
    TlcReference {
        max_ballot: 3,
        seconds: (538.0, 538.0),
        memory_gb: 2.9,
        distinct_states: Some(8_220_065),
    },
];

/// TLC 2.18 with `-workers 2` on this machine, `MultiPaxos_MC_small.cfg` (invariants `TypeOK`
/// and `Linearizability`) without its SYMMETRY line (the figures given with issue 13).
pub const TLC_SMR_SMALL: TlcReference = TlcReference {
    max_ballot: 2,
    seconds: (50.0, 50.0),
    memory_gb: 2.5,
    distinct_states: Some(2_062_561),
};

/// One exhaustive check of the MultiPaxos-SMR port: `((unique, generated states), wall time)`;
/// panics unless every invariant holds and `terminated` is reached.
pub fn time_smr(cfg: SmrConfig, threads: usize) -> ((usize, usize), Duration) {
    let t = Instant::now();
    let c = MultiPaxosSmr::new(cfg)
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    let elapsed = t.elapsed();
    c.assert_properties();
    ((c.unique_state_count(), c.state_count()), elapsed)
}

/// Prints the MultiPaxos-SMR port's exhaustive check of `MultiPaxos_MC_small.cfg` on one
/// thread and on `threads`, `runs` times each, next to TLC's recorded run.
pub fn print_smr(threads: usize, runs: usize) {
    let cfg = SmrConfig::SMALL;
    println!(
        "MultiPaxos-SMR port (MultiPaxos.tla, MultiPaxos_MC_small.cfg without SYMMETRY: {cfg}), \
         invariants type-ok and linearizability, DFS; median of {runs} runs"
    );
    println!(
        "  {:<7} {:>10} {:>10} {:>10} {:>10} {:>9} {:>13} {:>15}",
        "threads",
        "unique",
        "generated",
        "median",
        "fastest",
        "peak RSS",
        "TLC / median",
        "TLC GB / peak"
    );
    let mut counts = Vec::new();
    let mut thread_counts = vec![1];
    if threads != 1 {
        thread_counts.push(threads);
    }
    let tlc = TLC_SMR_SMALL;
    for t in thread_counts {
        let reset = reset_peak_rss();
        let (times, (unique, generated)) = repeat(runs, || time_smr(cfg, t));
        let peak = peak_rss_bytes().filter(|_| reset);
        let fastest = *times.iter().min().expect("runs > 0");
        let med = median(times);
        println!(
            "  {:<7} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12.1}x {:>15}",
            t,
            unique,
            generated,
            secs(med),
            secs(fastest),
            peak.map_or("unknown".into(), |b| format!("{:.0} MB", b as f64 / 1e6)),
            tlc.seconds.0 / med.as_secs_f64(),
            peak.map_or("-".into(), |b| format!(
                "{:.0}x",
                tlc.memory_gb * 1e9 / b as f64
            ))
        );
        counts.push(unique);
    }
    println!(
        "  TLC: RECORDED REFERENCE, NOT MEASURED IN THIS RUN (TLC 2.18 on this machine, -workers \
         2): {} distinct states, {:.0} s, {:.1} GB",
        tlc.distinct_states.expect("recorded"),
        tlc.seconds.0,
        tlc.memory_gb
    );
    println!(
        "  distinct states equal TLC's: {}; peak RSS: the process's high-water mark over that \
         row's runs (reset before them)",
        counts.iter().all(|&n| Some(n) == tlc.distinct_states)
    );
}

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

/// One `--refines-voting` check: its report and wall time.
pub fn time_refines_voting(cfg: SpecConfig) -> (VotingRefinementReport, Duration) {
    let t = Instant::now();
    let r = check_voting_refinement(cfg);
    let elapsed = t.elapsed();
    assert!(
        r.refines(),
        "the spec refines Voting for these constants, but {:?}",
        r.violation
    );
    (r, elapsed)
}

/// Resets the process's peak resident memory to its current value (Linux `clear_refs`), so
/// that the next [`peak_rss_bytes`] covers what runs after. `false` where that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_mb() -> String {
    peak_rss_bytes().map_or("unknown".into(), |b| format!("{:.0} MB", b as f64 / 1e6))
}

/// Runs `f` `runs` (at least 1) times: every run's time, and the last run's result.
fn repeat<T>(runs: usize, mut f: impl FnMut() -> (T, Duration)) -> (Vec<Duration>, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let (r, t) = f();
        times.push(t);
        last = Some(r);
    }
    (times, last.expect("at least one run"))
}

/// Prints both checks of the spec for `max_ballot` (3 acceptors, 2 values), `runs` times each,
/// side by side, with TLC's recorded reference where there is one.
pub fn print_spec(max_ballot: i32, threads: usize, runs: usize) {
    let cfg = SpecConfig {
        acceptors: 3,
        values: 2,
        max_ballot,
    };
    println!(
        "Paxos spec (Lamport's Paxos.tla), 3 acceptors, 2 values, max_ballot {max_ballot}; \
         median of {runs} runs of each check"
    );

    let reset = reset_peak_rss();
    let (inv_times, states) = repeat(runs, || time_spec(cfg, threads));
    let inv_peak = peak_mb();
    let reset = reset_peak_rss() && reset;
    let (ref_times, r) = repeat(runs, || time_refines_voting(cfg));
    let ref_peak = peak_mb();

    let inv_min = *inv_times.iter().min().expect("runs > 0");
    let inv_med = median(inv_times);
    let ref_min = *ref_times.iter().min().expect("runs > 0");
    let ref_med = median(ref_times);
    println!(
        "  {:<44} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "check", "threads", "states", "edges", "median", "fastest", "peak RSS"
    );
    println!(
        "  {:<44} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "invariants (7 of them + value-chosen), DFS",
        threads,
        states,
        "-",
        secs(inv_med),
        secs(inv_min),
        inv_peak
    );
    println!(
        "  {:<44} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "--refines-voting (every edge vs Voting), DFS",
        1,
        r.states,
        r.edges,
        secs(ref_med),
        secs(ref_min),
        ref_peak
    );
    println!(
        "  refines-voting holds: {} Voting steps ({} IncreaseMaxBal, {} VoteFor), {} stutters",
        r.voting_steps, r.increase_max_bal, r.vote_for, r.stutters
    );
    if reset {
        println!(
            "  peak RSS: the process's high-water mark over that check's runs (reset before \
             them; it includes memory earlier runs left allocated)"
        );
    } else {
        println!("  peak RSS: the process's high-water mark so far (could not reset it)");
    }
    print_tlc_reference(max_ballot, inv_med, ref_med);
}

/// TLC's recorded figures for `max_ballot`, and its time over our medians.
fn print_tlc_reference(max_ballot: i32, inv_med: Duration, ref_med: Duration) {
    match TLC_REFERENCES.iter().find(|t| t.max_ballot == max_ballot) {
        Some(tlc) => {
            let (lo, hi) = tlc.seconds;
            let time = if lo == hi {
                format!("{lo:.0} s")
            } else {
                format!("{lo:.1} to {hi:.0} s")
            };
            let count = tlc
                .distinct_states
                .map_or(String::new(), |n| format!(", {n} distinct states"));
            println!(
                "  TLC: RECORDED REFERENCE, NOT MEASURED IN THIS RUN (TLC 2.18 on this machine, \
                 -workers 2, invariant Inv only): {time}, {:.1} GB{count}",
                tlc.memory_gb
            );
            let ratio = |d: Duration| {
                let d = d.as_secs_f64();
                if lo == hi {
                    format!("{:.0}x", lo / d)
                } else {
                    format!("{:.0}x to {:.0}x", lo / d, hi / d)
                }
            };
            println!(
                "  TLC reference time / our median: invariants {}, refines-voting {} \
                 (TLC checked Inv only; machine load then and now may differ)",
                ratio(inv_med),
                ratio(ref_med)
            );
        }
        None => println!("  no TLC reference recorded for max_ballot {max_ballot}"),
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
        assumption: crate::models::claims::Assumption::NoFailure,
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

/// One exhaustive check of a Multi-Paxos model: unique states, total states and the time.
pub fn time_check_multi(cfg: &MultiConfig, threads: usize) -> ((usize, usize), Duration) {
    let start = Instant::now();
    let c = MultiModel::new(cfg.clone())
        .checker()
        .threads(threads)
        .spawn_dfs()
        .join();
    ((c.unique_state_count(), c.state_count()), start.elapsed())
}

/// Prints `paxos bench check multi`: the exhaustive check of `cfg` (every property, DFS),
/// `runs` times: unique states, median and fastest time, unique states per second at the
/// median, and peak resident memory per unique state.
pub fn print_check_multi(name: &str, cfg: &MultiConfig, threads: usize, runs: usize) {
    println!(
        "Multi-Paxos model check, configuration `{name}`: {}",
        cfg.summary()
    );
    println!("  every property, depth first, {threads} threads; median of {runs} runs");
    let before = peak_rss_bytes();
    let reset = reset_peak_rss();
    let (times, (unique, total)) = repeat(runs, || time_check_multi(cfg, threads));
    let peak = peak_rss_bytes();
    let fastest = *times.iter().min().expect("runs > 0");
    let med = median(times);
    println!(
        "  {unique} unique states, {total} states; median {}, fastest {}; {:.0} unique states/s \
         at the median",
        secs(med),
        secs(fastest),
        unique as f64 / med.as_secs_f64()
    );
    match (reset, peak) {
        (true, Some(p)) => println!(
            "  peak RSS {:.0} MB over the runs: {:.0} bytes per unique state (the whole \
             process's high-water mark, reset before the runs, over the unique states)",
            p as f64 / 1e6,
            p as f64 / unique as f64
        ),
        _ => println!(
            "  peak RSS: {} (could not reset the high-water mark; before the runs: {})",
            peak.map_or("unknown".into(), |p| format!("{:.0} MB", p as f64 / 1e6)),
            before.map_or("unknown".into(), |p| format!("{:.0} MB", p as f64 / 1e6))
        ),
    }
}
