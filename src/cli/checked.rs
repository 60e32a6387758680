//! The seam between the checker commands and a protocol's model: `paxos check` and `paxos
//! explore` are written once, over [`CheckedProtocol`]; a protocol supplies its model, its
//! configuration's summary, its symmetry reduction and its extra checks.
//!
//! `paxos liveness` is written once over [`Claimable`] (a protocol lists its claims), and the
//! bug list over [`CheckedProtocol::bugs`]. What stays per protocol is what differs: the model
//! flags and named configurations that build a configuration (`ModelArgs` for single-decree
//! Paxos), and a claim made of flags.

use super::Usage;
use crate::models::claim_report::Claimable;
use crate::models::claims::ClaimOptions;
use crate::models::run::{self, PropertyResult, RunOptions};
use crate::models::search::Search;
use serde::Serialize;
use stateright::{Model, Path};
use std::fmt::Debug;
use std::hash::Hash;
use std::process::ExitCode;

/// A symmetry reduction: a state to the representative of its orbit.
pub type Canonicalize<S> = fn(&S) -> S;

/// A protocol as the checker commands see it.
pub trait CheckedProtocol {
    /// The protocol in words, for headers (`single-decree Paxos`).
    const TITLE: &'static str;
    /// The model's name in reports (`single-decree`).
    const MODEL: &'static str;
    /// A model configuration.
    type Config: Clone + Serialize + Send + Sync + 'static;
    /// The model.
    type Model: Model<State = Self::State, Action = Self::Action> + Clone + Send + Sync + 'static;
    /// Its states.
    type State: Hash + Debug + Clone + PartialEq + Send + Sync + 'static;
    /// Its actions.
    type Action: Debug + Clone + PartialEq + Send + Sync + 'static;

    /// The model of `cfg`.
    fn model(cfg: &Self::Config) -> Self::Model;
    /// The model of `cfg` checking only `property` (for shortest counterexamples).
    fn only(cfg: &Self::Config, property: &'static str) -> Self::Model;
    /// The configuration in one line.
    fn summary(cfg: &Self::Config) -> String;
    /// A path as numbered trace lines.
    fn trace(model: &Self::Model, path: &Path<Self::State, Self::Action>) -> Vec<String>;
    /// The symmetry reduction for `cfg`, or why there is none.
    fn symmetry(cfg: &Self::Config) -> Result<Canonicalize<Self::State>, String>;
    /// Checks that run after the exploration and report as properties (single decree:
    /// `refines-spec`); `quiet` for JSON output.
    fn extra_checks(cfg: &Self::Config, quiet: bool) -> Vec<PropertyResult>;
    /// The protocol's liveness claims.
    type Claim: Claimable;
    /// The shipped claims, in listing order.
    fn claims() -> Vec<Self::Claim>;
    /// The seeded bugs: name, the property that catches it (`None`: masked), what is wrong.
    fn bugs() -> Vec<(&'static str, Option<&'static str>, &'static str)>;
}

/// `paxos check --bug list`.
pub fn print_bugs<P: CheckedProtocol>() {
    println!("{:<22} {:<18} what is wrong", "bug", "caught by");
    for (name, caught_by, what) in P::bugs() {
        println!("{name:<22} {:<18} {what}", caught_by.unwrap_or("(masked)"));
    }
}

/// `paxos liveness --claim list`.
pub fn print_claims<P: CheckedProtocol>() {
    println!("{:<20} {:<32} claim", "claim", "expected verdict");
    for c in P::claims() {
        println!("{:<20} {:<32} {}", c.name(), c.expected(), c.description());
    }
}

/// `paxos liveness` for any protocol, once the claim is chosen: what is claimed, the check,
/// and the report as text or JSON; exit code 1 when the verdict is not the expected one.
pub fn liveness<C: Claimable>(claim: &C, opts: ClaimOptions, json: bool) -> ExitCode {
    let mut out = std::io::stdout();
    if !json {
        claim.print_header(&mut out).expect("stdout is writable");
    }
    let report = claim.check(ClaimOptions {
        progress: !json,
        ..opts
    });
    if json {
        println!("{}", report.to_json());
    } else {
        report.print_text(&mut out).expect("stdout is writable");
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// How `paxos check` runs, besides the configuration.
#[derive(Clone, Copy, Debug)]
pub struct CheckRun {
    /// Worker threads.
    pub threads: usize,
    /// Search order.
    pub search: Search,
    /// Explore one state per symmetry orbit.
    pub symmetry: bool,
    /// Keep exploring after a violation.
    pub keep_going: bool,
    /// Skip the extra checks.
    pub no_extra: bool,
    /// JSON instead of text.
    pub json: bool,
}

/// `paxos check` for any protocol: the exploration, shortest counterexamples, the extra
/// checks, and the report as text or JSON.
pub fn check<P: CheckedProtocol>(cfg: P::Config, how: CheckRun) -> Result<ExitCode, Usage> {
    let symmetry = match how.symmetry {
        true => Some(P::symmetry(&cfg).map_err(Usage)?),
        false => None,
    };
    if !how.json {
        println!(
            "Checking {}: {}{}",
            P::TITLE,
            P::summary(&cfg),
            if how.symmetry {
                ", symmetry reduction over acceptors"
            } else {
                ""
            }
        );
    }
    let opts = RunOptions {
        threads: how.threads,
        strategy: how.search,
        symmetry,
        progress: !how.json,
        shortest: true,
        stop_at_violation: !how.keep_going,
    };
    let restrict = cfg.clone();
    let mut report = run::check(
        P::MODEL,
        serde_json::to_value(&cfg).expect("config serializes"),
        P::model(&cfg),
        &opts,
        move |name| P::only(&restrict, name),
        P::trace,
    );
    if !how.no_extra {
        report.properties.extend(P::extra_checks(&cfg, how.json));
    }
    finish(&report, how.json)
}

/// Prints `report` as text or JSON; exit code 1 when a property fails.
pub fn finish(report: &run::Report, json: bool) -> Result<ExitCode, Usage> {
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

/// `paxos explore` for any protocol: stateright's explorer on the model of `cfg`.
pub fn explore<P: CheckedProtocol>(cfg: P::Config, addr: &str) -> Result<ExitCode, Usage> {
    // stateright's server panics when it cannot bind: check first for a clear message.
    if let Err(e) = std::net::TcpListener::bind(addr) {
        return Err(Usage(format!("--addr {addr}: cannot listen: {e}")));
    }
    println!("Exploring {}: {}", P::TITLE, P::summary(&cfg));
    println!("Explorer: http://{addr}/");
    P::model(&cfg).checker().serve(addr);
    Ok(ExitCode::SUCCESS)
}
