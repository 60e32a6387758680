//! What `paxos liveness` reports about one claim: a single value, printed as text or as JSON,
//! so that the two outputs cannot drift apart.
//!
//! [`Claimable`] is what `paxos liveness` needs of a claim of any protocol: its name, what it
//! claims (printed before the run, which may take minutes and prints progress), and a check
//! that yields a [`ClaimReport`], the claim and its result as one value.

use super::claims::{run_claim_with, Claim, ClaimOptions, ClaimResult};
use super::liveness::Verdict;
use serde::Serialize;
use std::io::{self, Write};

/// A liveness claim, of any protocol.
pub trait Claimable {
    /// Its command-line name.
    fn name(&self) -> &'static str;
    /// What is claimed, in one sentence.
    fn description(&self) -> &'static str;
    /// The expected verdict's name.
    fn expected(&self) -> &'static str;
    /// What is claimed in detail (model, assumption, goal, bound, expected verdict), printed
    /// before the run.
    fn print_header(&self, w: &mut dyn Write) -> io::Result<()>;
    /// Checks the claim.
    fn check(&self, opts: ClaimOptions) -> ClaimReport;
}

impl Claimable for Claim {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn expected(&self) -> &'static str {
        self.expect.name()
    }

    fn print_header(&self, w: &mut dyn Write) -> io::Result<()> {
        print_claim_header(self, w)
    }

    fn check(&self, opts: ClaimOptions) -> ClaimReport {
        ClaimReport::new(self, &run_claim_with(self, opts))
    }
}

/// A claim and the result of checking it.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimReport {
    /// The protocol's model (`single-decree`).
    pub model: &'static str,
    /// The claim's name (`custom` for one made with flags).
    pub claim: &'static str,
    /// The model configuration.
    pub config: serde_json::Value,
    /// The assumption's name.
    pub assumption: &'static str,
    /// What must eventually hold.
    pub goal: &'static str,
    /// The bound on destroyed ballots (0: none).
    pub max_destroyed: usize,
    /// The expected verdict.
    pub expected: &'static str,
    /// The verdict found.
    pub verdict: &'static str,
    /// Whether it is the expected one.
    pub passed: bool,
    /// Distinct states, frontier included.
    pub unique_states: usize,
    /// Transitions.
    pub edges: usize,
    /// Largest BFS depth.
    pub max_depth: usize,
    /// Frontier states.
    pub frontier: usize,
    /// Frontier states reached without the goal (for "holds up to the bound"; else 0).
    pub frontier_without_goal: usize,
    /// States where the goal holds.
    pub goal_states: usize,
    /// Seconds of exploration and analysis.
    pub seconds: f64,
    /// Graph memory per state.
    pub bytes_per_state: f64,
    /// The counterexample or bound path, one line per step (`None` when it holds).
    pub trace: Option<Vec<String>>,
    /// The explorer path that replays the trace.
    pub explorer_path: Option<String>,
    /// Whether the trace is a counterexample (a violation) rather than a bound path.
    #[serde(skip)]
    pub violation: bool,
}

impl ClaimReport {
    /// The report of `claim` checked with result `r`.
    pub fn new(claim: &Claim, r: &ClaimResult) -> ClaimReport {
        ClaimReport {
            model: "single-decree",
            claim: claim.name,
            config: serde_json::to_value(&claim.config).expect("a configuration serializes"),
            assumption: claim.assumption.name(),
            goal: claim.goal.describe(),
            max_destroyed: claim.max_destroyed,
            expected: claim.expect.name(),
            verdict: r.verdict.name(),
            passed: r.passed,
            unique_states: r.unique_states,
            edges: r.edges,
            max_depth: r.max_depth,
            frontier: r.frontier,
            frontier_without_goal: match &r.verdict {
                Verdict::HoldsUpToBound { frontier } => *frontier,
                _ => 0,
            },
            goal_states: r.goal_states,
            seconds: r.seconds,
            bytes_per_state: r.bytes_per_state,
            trace: (!r.trace.is_empty()).then(|| r.trace.clone()),
            explorer_path: r.explorer_path.clone(),
            violation: r.verdict.is_violation(),
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// The text form: figures, verdict, and the trace with its explorer link.
    pub fn print_text(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(
            w,
            "{} states ({} frontier, {} goal), {} edges, max depth {}, {:.2} s, {:.1} bytes/state",
            self.unique_states,
            self.frontier,
            self.goal_states,
            self.edges,
            self.max_depth,
            self.seconds,
            self.bytes_per_state
        )?;
        writeln!(w)?;
        let bound = if self.frontier_without_goal > 0 {
            format!(
                " ({} frontier states reached without the goal)",
                self.frontier_without_goal
            )
        } else {
            String::new()
        };
        let expected = if self.passed {
            " (as expected)"
        } else {
            " (NOT the expected verdict)"
        };
        writeln!(w, "verdict: {}{bound}{expected}", self.verdict)?;
        if let Some(trace) = &self.trace {
            self.print_trace(w, trace)?;
        }
        Ok(())
    }

    fn print_trace(&self, w: &mut impl Write, trace: &[String]) -> io::Result<()> {
        let steps = trace
            .iter()
            .filter(|l| l.starts_with(|ch: char| ch.is_ascii_digit()))
            .count();
        writeln!(w)?;
        let what = if self.violation {
            "counterexample"
        } else {
            "run into the bound, the goal never reached"
        };
        writeln!(w, "{what} ({steps} steps):")?;
        for line in trace {
            writeln!(w, "  {line}")?;
        }
        if let Some(path) = &self.explorer_path {
            writeln!(
                w,
                "  open it: paxos explore <same model flags>, then \
                 http://127.0.0.1:3000/#/steps/{path}"
            )?;
        }
        Ok(())
    }
}

/// What is claimed, printed before the run (text output only).
pub fn print_claim_header(claim: &Claim, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "Liveness of single-decree Paxos, claim `{}`", claim.name)?;
    writeln!(w, "  model:      {}", claim.config.summary())?;
    writeln!(w, "  assumption: {}", claim.assumption.describe())?;
    writeln!(w, "  goal:       on every path, {}", claim.goal.describe())?;
    if claim.max_destroyed > 0 {
        writeln!(
            w,
            "  bound:      a run is cut off when more than {} ballots reached phase 2 and can \
             no longer be chosen",
            claim.max_destroyed
        )?;
    }
    writeln!(w, "  expected:   {}", claim.expect.name())
}
