//! The refinement check: every step of the single-decree actor model is a step of the voting
//! spec ([`super::voting`]) or leaves the spec state unchanged.
//!
//! # The claim
//!
//! Lamport's `Paxos` spec has four variables and four actions; the actor model
//! ([`crate::models::single::SingleModel`]) has processes, a network, timers, crashes and ghost
//! history. The actor model *refines* the spec under a mapping `f` from actor states to spec
//! states ([`abstraction`]) when
//!
//! 1. `f(init)` is the spec's `Init` for every initial actor state, and
//! 2. for **every edge** `s -a-> t` of the reachable actor graph, either `f(t) = f(s)` (a
//!    *stutter*: the step did nothing the spec can see, like a proposer counting a promise or
//!    a client getting its answer) or `f(s) -> f(t)` is one `Next` step of the spec
//!    ([`SpecModel::is_next_step`]).
//!
//! That is TLA+'s `Init /\ [][Next]_vars` under the substitution `f`. Then every behaviour of
//! the actors, mapped through `f`, is a behaviour of the spec, so every invariant of the spec
//! (consistency, `VotesSafe`, `OneValuePerBallot`, Lamport's inductive invariant; see
//! [`super::voting`]) holds of the mapped actor states.
//!
//! The check does not leave that last step to the argument: it also evaluates every `Always`
//! property of the spec ([`SpecModel::violated_invariants`]) on every distinct mapped state
//! it meets (the image of `Init` and the target of every step edge;
//! [`RefinementReport::spec_states`] counts them), and a failure there is a violation too.
//! This matters because the spec constants of a configuration (e.g. `max_ballot = 5` for
//! `roles`) are larger than any instance `paxos spec` explores exhaustively. For a violating
//! edge, [`RefinementViolation::invariants_after`] lists the invariants its mapped target
//! breaks. Checking states alone would not
//! give this: a state can satisfy every invariant yet be reached by a step the algorithm does
//! not allow (an acceptor voting below its promise, a proposer proposing without a quorum),
//! and it is the *step* that is wrong. Checking every edge, not just a spanning tree of them,
//! is what makes the check complete for the explored graph: a bad step into an
//! already-visited state is still a bad step.
//!
//! # The mapping
//!
//! | spec variable | actor model source |
//! |---|---|
//! | `max_bal[a]` | acceptor `a`'s `promised` ([`AcceptorState`]), `-1` if `None` |
//! | `max_vbal[a]`, `max_val[a]` | acceptor `a`'s `accepted = Some((b, v))`, `(-1, None)` if `None` |
//! | `msgs` 1a | [`History::prepares`]: every `Prepare(b)` ever sent |
//! | `msgs` 1b | [`History::promises`]: every `Promise(b, vote)` ever sent, with its acceptor |
//! | `msgs` 2a | [`History::proposals`]: every `(b, v)` a proposer sent in `Accept` |
//! | `msgs` 2b | [`History::votes`]: every vote cast (`Accepted` sent, or seen in the acceptor) |
//! | acceptor `a` | the actor `layout.acceptors[a]` (so spec acceptor `a` is `A{a}` in traces) |
//! | ballot `(round, proposer)` | `(round - 1) * proposers + proposer` (`1.0` is `0`, `1.1` is `1`, `2.0` is `2`, ...) |
//! | value `v` (client `i` proposes `i + 1`) | `v - 1` |
//!
//! The spec constants are `acceptors = cfg.acceptors`, `values = cfg.clients` and
//! `max_ballot = max_round * proposers - 1`, the highest ballot a proposer can start. A ballot
//! outside that range (round 0, a proposer index not below `proposers`, a round above
//! `max_round`) or a value outside `1..=clients` maps to a number outside the spec's range
//! (`i32::MAX`, `usize::MAX`), so the spec rejects the step that sends it rather than the
//! mapping silently folding it onto a legal one.
//!
//! The spec's `msgs` only grows and a receive does not consume a message; the ghost history
//! has exactly that shape (it records every message sent and never forgets one), whereas the
//! actor model's network loses, duplicates and consumes messages. Phase-1 messages are only
//! recorded when [`SingleConfig::record_phase1`] is set, so the check requires it.
//!
//! ## Crashed acceptors
//!
//! A crashed acceptor's spec variables are **what it recovers to**: the acceptor state
//! [`Acceptor::restore`] builds from its durable record (`state.actor_storages`), not its last
//! in-memory state (which stateright keeps in `actor_states` but which no longer exists in
//! any real sense). With the correct protocol every step saves `promised` and `accepted`
//! before any message leaves, so the record equals the last state: crash and recovery are
//! stutters. With [`Bug::AcceptorForgets`](crate::single::Bug::AcceptorForgets) the record
//! stays empty, so the **crash** step lowers `max_bal` (and may erase a vote), which no spec
//! action does; that edge is the violation, and the recovery that follows is a stutter.
//!
//! # What is covered
//!
//! Separate-role layouts only ([`Merge::None`]). In a merged node a proposer's message to its
//! own acceptor (and the acceptor's answer) is delivered locally within one actor step, so a
//! single edge can take several spec steps at once (a 1a and the node's own 1b, or a 2a and
//! the node's own 2b); such an edge maps to no single `Next` step even though it is correct,
//! and checking it would need a mapping to *sequences* of spec steps. [`check_refinement`]
//! returns an error for merged layouts rather than reporting false violations.
//!
//! The check covers the states stateright explores: states outside
//! [`SingleModel::within_boundary`] (e.g. a third ballot under `max_ballots = 2`) are not
//! expanded and not counted in [`RefinementReport::states`], as with stateright's checkers,
//! but the edges *into* them are checked and counted in [`RefinementReport::edges`] (and the
//! distinct states they reach in [`RefinementReport::beyond_boundary`]).
//!
//! # How it runs
//!
//! One thread, depth first (a DFS stack holds few full states; the visited set holds 64-bit
//! fingerprints), checking each edge as it is generated and stopping at the first violation.
//! Edges that leave every mapped input equal (acceptor states, crash flags and records, the
//! four protocol sets of the history) are stutters without computing the mapping. When a
//! violation is found, a second pass runs breadth first with parent pointers and stops at its
//! first violating edge, which is therefore one whose source is as close to an initial state
//! as any; replaying the parent pointers gives a shortest trace to it. The report's counts are
//! those of the pass that produced the result (the full DFS when the model refines the spec,
//! the BFS up to the counterexample otherwise).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Instant;

use crate::ballot::Ballot;
use crate::models::harness::ActorHarness;
use crate::models::liveness::fingerprint;
use crate::models::search::Search;
use crate::models::single::{
    History, Merge, SingleAction, SingleConfig, SingleModel, SingleModelState,
};
use crate::models::walk::{refused_trace, walk, EdgeCheck, FpSet, Refused, Walked};
use crate::single::{Acceptor, AcceptorState, Role, SingleActor, Value};
use stateright::Model;

use super::voting::{SpecAction, SpecConfig, SpecModel, SpecMsg, SpecState, NO_BALLOT};

/// The outcome of [`check_refinement`].
#[derive(Clone, Debug)]
pub struct RefinementReport {
    /// Distinct actor states explored (inside the model's boundary), initial states included.
    pub states: usize,
    /// Edges checked: every enabled action of every explored state, including edges into
    /// states seen before and into states beyond the boundary.
    pub edges: usize,
    /// Edges whose two ends map to the same spec state.
    pub stutters: usize,
    /// Edges that map to one `Next` step of the spec.
    pub steps: usize,
    /// Distinct spec states reached through the mapping (the image of `Init` and the targets
    /// of step edges), each checked against every spec invariant.
    pub spec_states: usize,
    /// Distinct states outside the boundary reached by a checked edge (not expanded).
    pub beyond_boundary: usize,
    /// Wall-clock time of the whole check, in seconds.
    pub seconds: f64,
    /// The first violating edge found (with a shortest trace to it), if any.
    pub violation: Option<RefinementViolation>,
}

impl RefinementReport {
    /// Whether every checked edge was a spec step or a stutter.
    pub fn refines(&self) -> bool {
        self.violation.is_none()
    }
}

/// An edge of the actor model that maps to neither a `Next` step nor a stutter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefinementViolation {
    /// Numbered steps from an initial state through the offending edge (its last line),
    /// `1. C0 -> P0 Propose(1)`. Empty when the initial state itself does not map to `Init`.
    pub trace: Vec<String>,
    /// The offending action, as [`SingleModel::describe`] prints it (`init` for a bad
    /// initial state).
    pub edge: String,
    /// Which spec condition the mapped step breaks, e.g. `Phase2a(0, 0) (Accept(1.0, 1)) is
    /// not enabled: no quorum sent 1b for ballot 0: ...`.
    pub reason: String,
    /// What the edge changed in the spec state: messages sent, acceptor variables changed.
    pub diff: String,
    /// The spec state before the edge ([`format_spec_state`]).
    pub spec_before: String,
    /// The spec state after the edge.
    pub spec_after: String,
    /// The spec invariants ([`SpecModel::violated_invariants`]) the spec state after the edge
    /// violates; empty when it satisfies them all.
    pub invariants_after: Vec<&'static str>,
}

/// The spec constants for `cfg`: `acceptors`, `values = clients`, and
/// `max_ballot = max_round * proposers - 1`.
///
/// # Errors
///
/// When the configuration is invalid, uses merged nodes (one actor step may then be several
/// spec steps), or does not record phase-1 messages in the history.
pub fn spec_config(cfg: &SingleConfig) -> Result<SpecConfig, String> {
    cfg.validate()?;
    if cfg.merge != Merge::None && !(cfg.merge == Merge::All && cfg.loopback) {
        return Err(format!(
            "refinement is checked for separate roles (merge = none) and for merged nodes with \
             loopback, not merge = {}{}: in a merged node without loopback a proposer's message \
             to its own acceptor is delivered inside one actor step, so one edge can be several \
             spec steps (a 1a with the node's own 1b, a 2a with its own 2b), which no single \
             Next step explains",
            cfg.merge.name(),
            if cfg.loopback {
                ""
            } else {
                " without loopback"
            }
        ));
    }
    if cfg.repromise {
        return Err(
            "refinement is not checked with re-promising acceptors: one that promised b and \
             then voted in b answers a new Prepare(b) with a 1b reporting that vote, a message \
             Lamport's Phase1b does not allow (it needs b > maxBal)"
                .into(),
        );
    }
    if !cfg.record_phase1 {
        return Err(
            "refinement needs record_phase1: the spec's msgs include every 1a and 1b, \
                    which the history records only when record_phase1 is set"
                .into(),
        );
    }
    let proposers = cfg.layout().proposers.len() as i64;
    let max_ballot = i64::from(cfg.max_round) * proposers - 1;
    let max_ballot =
        i32::try_from(max_ballot).map_err(|_| "max_round * proposers is too large".to_string())?;
    Ok(SpecConfig {
        acceptors: cfg.acceptors,
        values: cfg.clients,
        max_ballot,
    })
}

/// The refinement mapping (see the module docs): the spec state that actor state `s` of the
/// model of `cfg` stands for. Meant for separate-role layouts ([`spec_config`] says which
/// configurations are supported); with merged nodes it still maps every acceptor.
pub fn abstraction(cfg: &SingleConfig, s: &SingleModelState) -> SpecState {
    Mapping::new(cfg).map(s)
}

/// Checks that the actor model of `cfg` refines the voting spec: its initial states map to
/// `Init` and every edge of its reachable graph maps to a `Next` step or a stutter. Stops at
/// the first violating edge and reports a shortest trace to one.
///
/// # Errors
///
/// The configurations [`spec_config`] rejects.
pub fn check_refinement(cfg: &SingleConfig) -> Result<RefinementReport, String> {
    let start = Instant::now();
    let spec = SpecModel::new(spec_config(cfg)?);
    let map = Mapping::new(cfg);
    let model = SingleModel::new(cfg.clone());
    let mut checker = Checker {
        model: &model,
        spec: &spec,
        map: &map,
        stutters: 0,
        steps: 0,
        spec_states: FpSet::default(),
    };

    let init = spec.init_state();
    let init_broken = spec.violated_invariants(&init);
    for s in model.init_states() {
        let mapped = map.map(&s);
        // A leader prepares in its start step (`Proposer::lead`), so an initial state may be
        // the spec's Init followed by one step (its Phase1a).
        let init_or_one_step = mapped == init
            || (spec.is_next_step(&init, &mapped) && spec.violated_invariants(&mapped).is_empty());
        if !init_or_one_step || !init_broken.is_empty() {
            return Ok(RefinementReport {
                states: 0,
                edges: 0,
                stutters: 0,
                steps: 0,
                spec_states: 0,
                beyond_boundary: 0,
                seconds: start.elapsed().as_secs_f64(),
                violation: Some(RefinementViolation {
                    trace: Vec::new(),
                    edge: "init".into(),
                    reason: if !init_or_one_step {
                        "the initial state maps neither to the spec's Init nor to one step from \
                         it"
                        .into()
                    } else {
                        format!(
                            "the spec's Init violates the spec invariants {}",
                            init_broken.join(", ")
                        )
                    },
                    diff: spec_diff(&init, &mapped),
                    spec_before: format_spec_state(&init),
                    spec_after: format_spec_state(&mapped),
                    invariants_after: spec.violated_invariants(&mapped),
                }),
            });
        }
    }

    let mut pass = walk(&model, Search::Dfs, false, &mut checker);
    if pass.refused.is_some() {
        checker.reset();
        pass = walk(&model, Search::Bfs, true, &mut checker);
    }
    let violation = pass.refused.as_ref().map(|r| checker.violation(&pass, r));
    Ok(RefinementReport {
        states: pass.states,
        edges: pass.edges,
        stutters: checker.stutters,
        steps: checker.steps,
        spec_states: checker.spec_states.len(),
        beyond_boundary: pass.beyond_boundary,
        seconds: start.elapsed().as_secs_f64(),
        violation,
    })
}

// ------------------------------------------------------------------------------------------
// The mapping

/// The mapping for one configuration, with what it needs precomputed.
struct Mapping {
    /// Actor index of each acceptor, in acceptor-index order.
    acceptors: Vec<usize>,
    /// The acceptor actors (for [`Acceptor::restore`] of a crashed one).
    roles: Vec<Acceptor>,
    proposers: u32,
    max_round: u32,
    clients: usize,
}

impl Mapping {
    fn new(cfg: &SingleConfig) -> Mapping {
        let layout = cfg.layout();
        let actors = cfg.actors();
        let acceptors: Vec<usize> = layout.acceptors.iter().map(|id| usize::from(*id)).collect();
        let roles = acceptors
            .iter()
            .map(|&i| match &actors[i] {
                SingleActor::Acceptor(a) => a.clone(),
                SingleActor::Node(n) => n.acceptor.clone().unwrap_or_else(|| Acceptor {
                    learners: Vec::new(),
                    nacks: false,
                    repromise: cfg.repromise,
                    reaccept: false,
                    bug: cfg.bug,
                }),
                _ => unreachable!("layout.acceptors lists acceptor actors"),
            })
            .collect();
        Mapping {
            acceptors,
            roles,
            proposers: u32::try_from(layout.proposers.len()).unwrap_or(u32::MAX),
            max_round: cfg.max_round,
            clients: cfg.clients,
        }
    }

    /// `(round - 1) * proposers + proposer`, or `i32::MAX` for a ballot no proposer of this
    /// configuration can start.
    fn ballot(&self, b: Ballot) -> i32 {
        if b.round == 0 || b.round > self.max_round || b.proposer >= self.proposers {
            return i32::MAX;
        }
        let n = (i64::from(b.round) - 1) * i64::from(self.proposers) + i64::from(b.proposer);
        i32::try_from(n).unwrap_or(i32::MAX)
    }

    /// `v - 1`, or `usize::MAX` for a value no client proposes.
    fn value(&self, v: Value) -> usize {
        match usize::try_from(v) {
            Ok(v) if (1..=self.clients).contains(&v) => v - 1,
            _ => usize::MAX,
        }
    }

    /// The inverse of [`Mapping::ballot`] on the spec's range (for messages).
    fn actor_ballot(&self, b: i32) -> String {
        match u32::try_from(b) {
            Ok(b) if self.proposers > 0 => {
                Ballot::new(b / self.proposers + 1, b % self.proposers).to_string()
            }
            _ => "?".into(),
        }
    }

    fn actor_value(&self, v: usize) -> String {
        v.checked_add(1).map_or("?".into(), |v| v.to_string())
    }

    /// Acceptor `a`'s memory: its live state, or what it recovers to when crashed.
    fn acceptor_state(&self, s: &SingleModelState, a: usize) -> AcceptorState {
        let i = self.acceptors[a];
        if s.crashed[i] {
            self.roles[a].restore(&s.actor_storages[i])
        } else {
            s.actor_states[i].acceptor().cloned().unwrap_or_default()
        }
    }

    fn map(&self, s: &SingleModelState) -> SpecState {
        let n = self.acceptors.len();
        let mut out = SpecState {
            max_bal: vec![NO_BALLOT; n],
            max_vbal: vec![NO_BALLOT; n],
            max_val: vec![None; n],
            msgs: BTreeSet::new(),
        };
        for a in 0..n {
            let st = self.acceptor_state(s, a);
            out.max_bal[a] = st.promised.map_or(NO_BALLOT, |b| self.ballot(b));
            if let Some((b, v)) = st.accepted {
                out.max_vbal[a] = self.ballot(b);
                out.max_val[a] = Some(self.value(v));
            }
        }
        let h = &s.history;
        out.msgs.extend(h.prepares.iter().map(|&b| SpecMsg::P1a {
            bal: self.ballot(b),
        }));
        out.msgs
            .extend(h.promises.iter().map(|&(a, b, vote)| SpecMsg::P1b {
                acc: a as usize,
                bal: self.ballot(b),
                mbal: vote.map_or(NO_BALLOT, |(vb, _)| self.ballot(vb)),
                mval: vote.map(|(_, v)| self.value(v)),
            }));
        out.msgs
            .extend(h.proposals.iter().map(|&(b, v)| SpecMsg::P2a {
                bal: self.ballot(b),
                val: self.value(v),
            }));
        out.msgs
            .extend(h.votes.iter().map(|&(b, v, a)| SpecMsg::P2b {
                acc: a as usize,
                bal: self.ballot(b),
                val: self.value(v),
            }));
        out
    }

    /// Whether `s` and `t` agree on everything [`Mapping::map`] reads (so they map to the same
    /// spec state). Cheap: most edges change none of it.
    fn same_inputs(&self, s: &SingleModelState, t: &SingleModelState) -> bool {
        let protocol = |h: &History, g: &History| {
            h.prepares == g.prepares
                && h.promises == g.promises
                && h.proposals == g.proposals
                && h.votes == g.votes
        };
        self.acceptors.iter().all(|&i| {
            s.crashed[i] == t.crashed[i]
                && s.actor_storages[i] == t.actor_storages[i]
                && (std::sync::Arc::ptr_eq(&s.actor_states[i], &t.actor_states[i])
                    || s.actor_states[i] == t.actor_states[i])
        }) && protocol(&s.history, &t.history)
    }
}

// ------------------------------------------------------------------------------------------
// The edge check, on the shared walk (`models/walk.rs`)

/// A refused edge: the spec states before and after it, and the invariants the state after it
/// violates (when the edge is a spec step and it is they that fail).
struct Found {
    from: SpecState,
    to: SpecState,
    invariants: Vec<&'static str>,
}

/// The check of every edge: it maps to a spec step (whose new state satisfies the spec
/// invariants) or to a stutter. A state's payload is its mapped spec state.
struct Checker<'a> {
    model: &'a SingleModel,
    spec: &'a SpecModel,
    map: &'a Mapping,
    stutters: usize,
    steps: usize,
    /// Fingerprints of the distinct mapped spec states whose invariants were checked.
    spec_states: FpSet,
}

impl Checker<'_> {
    /// Forgets the counts of a previous walk.
    fn reset(&mut self) {
        self.stutters = 0;
        self.steps = 0;
        self.spec_states.clear();
    }

    /// The spec invariants `mapped` violates, evaluated only the first time this walk meets
    /// `mapped` (later visits return nothing: it was reported or it passed).
    fn new_state_violations(&mut self, mapped: &SpecState) -> Vec<&'static str> {
        if self.spec_states.insert(fingerprint(mapped)) {
            self.spec.violated_invariants(mapped)
        } else {
            Vec::new()
        }
    }

    /// The report of `refused`, with the trace replayed from the breadth-first walk's parents.
    fn violation(
        &self,
        pass: &Walked<SingleModel, Found>,
        refused: &Refused<SingleModel, Found>,
    ) -> RefinementViolation {
        let (trace, edge) = refused_trace(self.model, pass, refused, |a| self.model.describe(a));
        let found = &refused.refusal;
        RefinementViolation {
            trace,
            edge,
            reason: if found.invariants.is_empty() {
                explain(self.spec, self.map, &found.from, &found.to)
            } else {
                format!(
                    "the edge is a spec step, but the spec state after it violates the spec \
                     invariants {}",
                    found.invariants.join(", ")
                )
            },
            diff: spec_diff(&found.from, &found.to),
            spec_before: format_spec_state(&found.from),
            spec_after: format_spec_state(&found.to),
            invariants_after: self.spec.violated_invariants(&found.to),
        }
    }
}

impl EdgeCheck<SingleModel> for Checker<'_> {
    type Payload = SpecState;
    type Refusal = Found;

    /// `check_refinement` made sure an initial state maps to the spec's Init (or one step
    /// from it) and that Init satisfies the invariants.
    fn initial(&mut self, state: &SingleModelState) -> SpecState {
        let mapped = self.map.map(state);
        self.spec_states.insert(fingerprint(&mapped));
        mapped
    }

    fn edge(
        &mut self,
        source: &SingleModelState,
        mapped: &SpecState,
        _action: &SingleAction,
        target: &SingleModelState,
    ) -> Result<Option<SpecState>, Found> {
        let t_mapped = if self.map.same_inputs(source, target) {
            None
        } else {
            Some(self.map.map(target))
        };
        match &t_mapped {
            Some(tm) if tm != mapped => {
                let step = self.spec.is_next_step(mapped, tm);
                let invariants = if step {
                    self.new_state_violations(tm)
                } else {
                    Vec::new()
                };
                if !(step && invariants.is_empty()) {
                    return Err(Found {
                        from: mapped.clone(),
                        to: tm.clone(),
                        invariants,
                    });
                }
                self.steps += 1;
            }
            _ => self.stutters += 1,
        }
        Ok(t_mapped)
    }
}

// ------------------------------------------------------------------------------------------
// Explaining a violation

/// A spec message in the short notation of traces: `1a(0)`, `1b(A0, 1, none)`,
/// `1b(A0, 1, 0@0)` (vote for value 0 in ballot 0), `2a(1, 0)`, `2b(A2, 1, 0)`.
pub fn format_msg(m: &SpecMsg) -> String {
    match *m {
        SpecMsg::P1a { bal } => format!("1a({bal})"),
        SpecMsg::P1b {
            acc,
            bal,
            mbal,
            mval,
        } => match mval {
            None if mbal == NO_BALLOT => format!("1b(A{acc}, {bal}, none)"),
            None => format!("1b(A{acc}, {bal}, none@{mbal})"),
            Some(v) => format!("1b(A{acc}, {bal}, {v}@{mbal})"),
        },
        SpecMsg::P2a { bal, val } => format!("2a({bal}, {val})"),
        SpecMsg::P2b { acc, bal, val } => format!("2b(A{acc}, {bal}, {val})"),
    }
}

fn format_val(v: Option<usize>) -> String {
    v.map_or("none".into(), |v| v.to_string())
}

/// A spec state on one line: `max_bal [0, 0, -1]; max_vbal [...]; max_val [...]; msgs {...}`.
pub fn format_spec_state(s: &SpecState) -> String {
    let vals: Vec<String> = s.max_val.iter().map(|v| format_val(*v)).collect();
    let msgs: Vec<String> = s.msgs.iter().map(format_msg).collect();
    format!(
        "max_bal {:?}; max_vbal {:?}; max_val [{}]; msgs {{{}}}",
        s.max_bal,
        s.max_vbal,
        vals.join(", "),
        msgs.join(", ")
    )
}

/// What changed from `from` to `to`: messages sent (and, impossible in the spec, removed),
/// then each changed acceptor's changed variables; `no change` if none.
pub fn spec_diff(from: &SpecState, to: &SpecState) -> String {
    let mut parts = Vec::new();
    let added: Vec<String> = to.msgs.difference(&from.msgs).map(format_msg).collect();
    if !added.is_empty() {
        parts.push(format!("sent {}", added.join(", ")));
    }
    let removed: Vec<String> = from.msgs.difference(&to.msgs).map(format_msg).collect();
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    let n = from.max_bal.len().min(to.max_bal.len());
    for a in 0..n {
        let mut vars = Vec::new();
        if from.max_bal[a] != to.max_bal[a] {
            vars.push(format!("max_bal {} -> {}", from.max_bal[a], to.max_bal[a]));
        }
        if from.max_vbal[a] != to.max_vbal[a] {
            vars.push(format!(
                "max_vbal {} -> {}",
                from.max_vbal[a], to.max_vbal[a]
            ));
        }
        if from.max_val[a] != to.max_val[a] {
            vars.push(format!(
                "max_val {} -> {}",
                format_val(from.max_val[a]),
                format_val(to.max_val[a])
            ));
        }
        if !vars.is_empty() {
            parts.push(format!("A{a}: {}", vars.join(", ")));
        }
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}

/// Why `from -> to` is not a `Next` step, naming the spec action the difference points to and
/// the part of its guard or effect that fails.
fn explain(spec: &SpecModel, map: &Mapping, from: &SpecState, to: &SpecState) -> String {
    let n = spec.cfg.acceptors;
    let added: Vec<&SpecMsg> = to.msgs.difference(&from.msgs).collect();
    let removed: Vec<&SpecMsg> = from.msgs.difference(&to.msgs).collect();
    let changed: Vec<usize> = (0..n)
        .filter(|&a| {
            from.max_bal[a] != to.max_bal[a]
                || from.max_vbal[a] != to.max_vbal[a]
                || from.max_val[a] != to.max_val[a]
        })
        .collect();
    let list = |ms: &[&SpecMsg]| {
        ms.iter()
            .map(|m| format_msg(m))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !removed.is_empty() {
        return format!("messages disappeared ({}): msgs only grows", list(&removed));
    }
    if added.len() > 1 {
        return format!(
            "{} messages sent in one step ({}): a Next step sends at most one",
            added.len(),
            list(&added)
        );
    }
    if changed.len() > 1 {
        let names: Vec<String> = changed.iter().map(|a| format!("A{a}")).collect();
        return format!(
            "acceptors {} changed in one step: a Next step changes at most one",
            names.join(", ")
        );
    }
    if let Some(&m) = added.first() {
        let action = match *m {
            SpecMsg::P1a { bal } => SpecAction::Phase1a(bal),
            SpecMsg::P1b { acc, bal, .. } => SpecAction::Phase1b(acc, bal),
            SpecMsg::P2a { bal, val } => SpecAction::Phase2a(bal, val),
            SpecMsg::P2b { acc, bal, val } => SpecAction::Phase2b(acc, bal, val),
        };
        return why_not(spec, map, from, to, &action);
    }
    let Some(&a) = changed.first() else {
        return "no change, yet not a stutter (cannot happen)".into();
    };
    if to.max_bal[a] < from.max_bal[a] {
        return format!(
            "A{a}'s max_bal went down from {} to {} and no message was sent: no spec action \
             lowers max_bal (Phase1b raises it, Phase2b keeps it or raises it)",
            from.max_bal[a], to.max_bal[a]
        );
    }
    if (to.max_vbal[a], to.max_val[a]) != (from.max_vbal[a], from.max_val[a]) {
        return match to.max_val[a] {
            Some(v) => why_not(
                spec,
                map,
                from,
                to,
                &SpecAction::Phase2b(a, to.max_vbal[a], v),
            ),
            None => format!(
                "A{a}'s vote was erased (max_vbal {} -> {}): no spec action forgets a vote",
                from.max_vbal[a], to.max_vbal[a]
            ),
        };
    }
    why_not(spec, map, from, to, &SpecAction::Phase1b(a, to.max_bal[a]))
}

/// The actor-level message a spec action corresponds to, for readers of the trace.
fn actor_view(map: &Mapping, action: &SpecAction) -> String {
    let b = |b: i32| map.actor_ballot(b);
    let v = |v: usize| map.actor_value(v);
    match *action {
        SpecAction::Phase1a(bal) => format!("Prepare({})", b(bal)),
        SpecAction::Phase1b(a, bal) => format!("A{a} Promise({})", b(bal)),
        SpecAction::Phase2a(bal, val) => format!("Accept({}, {})", b(bal), v(val)),
        SpecAction::Phase2b(a, bal, val) => format!("A{a} Accepted({}, {})", b(bal), v(val)),
    }
}

fn why_not(
    spec: &SpecModel,
    map: &Mapping,
    from: &SpecState,
    to: &SpecState,
    action: &SpecAction,
) -> String {
    let name = format!("{action:?} ({})", actor_view(map, action));
    if spec.is_enabled(from, action) {
        let expected = spec
            .step(from, action)
            .expect("an enabled action has a successor");
        return format!(
            "{name} is enabled but its effect differs: it would make `{}`, the edge made `{}`",
            spec_diff(from, &expected),
            spec_diff(from, to)
        );
    }
    let max = spec.cfg.max_ballot;
    let in_range = |b: i32| (0..=max).contains(&b);
    let guard = match *action {
        SpecAction::Phase1a(b) => format!("ballot {b} is outside 0..={max}"),
        SpecAction::Phase1b(a, b) => {
            if !from.msgs.contains(&SpecMsg::P1a { bal: b }) {
                format!("no 1a({b}) was sent")
            } else {
                format!(
                    "ballot {b} is not above max_bal[A{a}] = {} (Phase1b needs bal > maxBal)",
                    from.max_bal[a]
                )
            }
        }
        SpecAction::Phase2a(b, v) => phase2a_failure(spec, from, b, v, in_range(b)),
        SpecAction::Phase2b(a, b, v) => {
            if !from.msgs.contains(&SpecMsg::P2a { bal: b, val: v }) {
                format!("no 2a({b}, {v}) was sent")
            } else {
                format!(
                    "ballot {b} is below max_bal[A{a}] = {} (Phase2b needs bal >= maxBal)",
                    from.max_bal[a]
                )
            }
        }
    };
    format!("{name} is not enabled: {guard}")
}

/// Which part of `Phase2a(b, v)`'s guard fails in `s`.
fn phase2a_failure(spec: &SpecModel, s: &SpecState, b: i32, v: usize, in_range: bool) -> String {
    if !in_range {
        return format!("ballot {b} is outside 0..={}", spec.cfg.max_ballot);
    }
    if v >= spec.cfg.values {
        return format!("value {v} is outside 0..{}", spec.cfg.values);
    }
    if let Some(other) = s
        .msgs
        .iter()
        .find(|m| matches!(m, SpecMsg::P2a { bal, .. } if *bal == b))
    {
        return format!(
            "{} was already sent: a ballot has one 2a",
            format_msg(other)
        );
    }
    // The 1b messages for b, by acceptor.
    let reports: Vec<(usize, i32, Option<usize>)> = s
        .msgs
        .iter()
        .filter_map(|m| match *m {
            SpecMsg::P1b {
                acc,
                bal,
                mbal,
                mval,
            } if bal == b => Some((acc, mbal, mval)),
            _ => None,
        })
        .collect();
    let heard: BTreeSet<usize> = reports.iter().map(|r| r.0).collect();
    let size = spec.quorums().first().map_or(0, Vec::len);
    let names = |set: &mut dyn Iterator<Item = usize>| {
        set.map(|a| format!("A{a}")).collect::<Vec<_>>().join(", ")
    };
    if !spec
        .quorums()
        .iter()
        .any(|q| q.iter().all(|a| heard.contains(a)))
    {
        let who = if heard.is_empty() {
            "none did".to_string()
        } else {
            format!("only {{{}}} did", names(&mut heard.iter().copied()))
        };
        return format!(
            "no quorum sent 1b for ballot {b}: {who}, a quorum is {size} of {} acceptors",
            spec.cfg.acceptors
        );
    }
    let mut out = format!("no quorum's 1b messages for ballot {b} allow value {v}:");
    let mut sep = " ";
    for q in spec.quorums() {
        if !q.iter().all(|a| heard.contains(a)) {
            continue;
        }
        let top = reports
            .iter()
            .filter(|r| q.contains(&r.0))
            .map(|r| r.1)
            .max()
            .unwrap_or(NO_BALLOT);
        let vals: BTreeSet<String> = reports
            .iter()
            .filter(|r| q.contains(&r.0) && r.1 == top)
            .map(|r| format_val(r.2))
            .collect();
        let _ = write!(
            out,
            "{sep}{{{}}} reports {} as the highest vote (ballot {top})",
            names(&mut q.iter().copied()),
            vals.into_iter().collect::<Vec<_>>().join(" or ")
        );
        sep = "; ";
    }
    out
}
