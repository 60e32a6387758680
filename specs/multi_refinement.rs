//! The per-slot refinement check of Multi-Paxos: every edge of the Multi-Paxos actor model
//! ([`MultiModel`]) is, **at every slot**, a step of Lamport's Voting spec
//! ([`super::voting_refinement::Voting`]) or a stutter.
//!
//! # The claim
//!
//! Multi-Paxos is single-decree Paxos run once per slot, with one promise shared by all slots
//! ("Paxos Made Simple", section 3). So each slot, seen on its own, must behave as one
//! instance of consensus: the votes the acceptors cast at that slot and the ballots they
//! promised must evolve by Voting's two actions, `IncreaseMaxBal(a, b)` and `VoteFor(a, b, v)`
//! (a vote only at or above the acceptor's promise, at most one value per ballot, and only a
//! value that a quorum *shows safe*). Voting's safety (at most one value chosen per slot) then
//! holds of every mapped state, because it holds of every Voting behaviour.
//!
//! For every edge `s -a-> t` of the reachable actor graph and every slot `k`, the check asks
//! [`Voting::explain_step`] whether `f_k(s) -> f_k(t)` is a stutter or one Voting step, where
//! `f_k` is the mapping below. An edge passes when every slot passes; the first edge at which
//! some slot does not is the violation, reported with the slot, the Voting action tried and
//! its failing guard, and a shortest trace (a second, breadth-first pass, as in
//! [`super::refinement`]).
//!
//! # The mapping `f_k`
//!
//! | Voting variable (slot `k`) | actor model source |
//! |---|---|
//! | `maxBal[a]` | replica `a`'s acceptor `promised` (one promise for all slots), `-1` if none |
//! | `votes[a]` | every `(ballot, entry)` replica `a`'s acceptor ever voted at slot `k`: the ghost [`History::votes`] |
//! | acceptor `a` | replica `R{a}` (every replica is an acceptor) |
//! | ballot `(round, replica)` | `(round - 1) * replicas + replica` |
//! | value | the entry's index in the [`catalogue`] |
//!
//! The acceptor keeps only its *last* vote per slot; Voting's `votes` is every vote ever cast,
//! which is what the ghost history records (it observes every acceptor after every step and
//! forgets nothing). A crashed replica's `maxBal` is what it recovers to, the promise in its
//! durable record, not its lost memory (as in [`super::refinement`]).
//!
//! **Values.** Voting's values are the entries a slot can hold: the no-op, and every batch
//! (a sequence of commands, at most `max_batch` long, repeats included) of the commands the
//! configuration's clients send (`C{c}#{seq}`, the `seq`-th operation of client `c`). An
//! entry outside that catalogue (a command nobody sent, a batch too long) maps to a value
//! outside Voting's range, so the vote for it is refused rather than folded onto a legal one.
//! Ballots no replica of the configuration can start map outside the range likewise.
//!
//! # Why Voting and not the message-level Paxos spec
//!
//! The single-decree actors are checked against the message-level spec ([`super::voting`])
//! and that spec against Voting ([`super::voting_refinement`]). Per slot, Multi-Paxos matches
//! Voting directly but not the message-level spec, for two reasons that are properties of
//! Multi-Paxos, not defects:
//!
//! * `Prepare(b, from)` raises an acceptor's promise at *every* slot, but reports votes only
//!   from `from` on (slots below are decided and known to the new leader). At a slot below
//!   `from` that is a promise without a 1b message, which Lamport's `Paxos` has no step for;
//!   Voting's `IncreaseMaxBal` is exactly that step.
//! * A replica's leader and acceptor act within one step (its own `Prepare` and `Accept` are
//!   delivered locally), so one edge can be a 1a with its own 1b, or a 2a with its own 2b:
//!   several message-level steps, but at most one Voting step per slot (one acceptor changes).
//!
//! Voting is the level at which agreement is decided: a model that refines it per slot can
//! never choose two entries at one slot. What Voting does not see is checked by the model's
//! own properties: what learners treat as chosen (`applied-is-chosen`, which catches
//! `commit-before-persist`, whose phantom vote is no acceptor's vote), the state machine,
//! deduplication and linearizability.
//!
//! # Bounds
//!
//! The check covers the states the model explores (its configuration's bounds: slots, rounds,
//! retries, crashes), every edge of them, one thread, depth first, and stops at the first
//! violating edge. Dead-message pruning stays on where the model uses it (the premise is
//! checked in `tests/dead_messages.rs`); pruning removes messages, never votes or promises.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Instant;

use crate::actor_kit::Role;
use crate::ballot::Ballot;
use crate::models::harness::ActorHarness;
use crate::models::multi::{History, MultiAction, MultiConfig, MultiModel, MultiModelState};
use crate::models::search::Search;
use crate::models::walk::{refused_trace, walk, EdgeCheck, Refused, Walked};
use crate::multi::{Acceptor, Cmd, Entry, Slot};
use stateright::Model;

use super::voting::{SpecConfig, NO_BALLOT};
use super::voting_refinement::{
    format_voting_state, voting_diff, Voting, VotingAction, VotingState,
};

/// The largest catalogue of entries the check accepts (each entry is one Voting value).
pub const MAX_CATALOGUE: usize = 10_000;

/// The outcome of [`check_multi_refinement`].
#[derive(Clone, Debug)]
pub struct MultiRefinementReport {
    /// Distinct actor states explored.
    pub states: usize,
    /// Edges checked (every enabled action of every explored state).
    pub edges: usize,
    /// Edges that are a stutter at every slot.
    pub stutters: usize,
    /// Edges that are a Voting step at one slot or more (and a stutter at the others).
    pub steps: usize,
    /// `IncreaseMaxBal` steps, counted per slot (a promise raised for all slots counts once per
    /// slot).
    pub increase_max_bal: usize,
    /// `VoteFor` steps, counted per slot.
    pub vote_for: usize,
    /// The slots checked (`0..slots`).
    pub slots: Slot,
    /// Voting values: entries in the catalogue.
    pub values: usize,
    /// Wall-clock time of the check, in seconds.
    pub seconds: f64,
    /// The first violating edge (with a shortest trace to it), if any.
    pub violation: Option<MultiRefinementViolation>,
    /// The edge budget at which the walk stopped with no edge refused (`None`: it walked the
    /// whole graph, or found a violation).
    pub stopped_at: Option<usize>,
}

impl MultiRefinementReport {
    /// Whether every edge of the graph was walked and was a Voting step or a stutter at
    /// every slot.
    pub fn refines(&self) -> bool {
        self.violation.is_none() && self.stopped_at.is_none()
    }
}

/// An edge that is, at some slot, neither a Voting step nor a stutter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiRefinementViolation {
    /// Numbered steps from an initial state through the offending edge (its last line).
    /// Empty when an initial state is at fault.
    pub trace: Vec<String>,
    /// The offending action as traces print it (`init` for an initial state).
    pub edge: String,
    /// The slot at which it is no Voting step.
    pub slot: Slot,
    /// Why, from [`Voting::explain_step`]: the action tried and its failing guard.
    pub reason: String,
    /// What the edge changed in the slot's Voting state.
    pub diff: String,
    /// The slot's Voting state before the edge.
    pub before: String,
    /// The slot's Voting state after it.
    pub after: String,
    /// The Voting values the states and the reason mention, as entries: `1 = C0#1 put k=1`.
    pub values: Vec<String>,
}

impl MultiRefinementViolation {
    /// One line: `step 8 (R1 -> R2 Accept(...)), slot 0: VoteFor(...) is not enabled: ...`.
    pub fn message(&self) -> String {
        format!(
            "step {} ({}), slot {}: {}",
            self.trace.len(),
            self.edge,
            self.slot,
            self.reason
        )
    }
}

/// The Voting values of `cfg`: the no-op (value 0), then every batch of the configuration's
/// clients' commands, at most `max_batch` long, shortest first, repeats included (a leader
/// that fails to deduplicate, the `no-dedup` bug, batches a command twice: that harms the
/// state machine, which `exactly-once` checks, not agreement, which Voting checks).
pub fn catalogue(cfg: &MultiConfig) -> Vec<Entry> {
    let cmds: Vec<Cmd> = cfg
        .ops
        .iter()
        .enumerate()
        .flat_map(|(c, ops)| {
            ops.iter().enumerate().map(move |(k, op)| Cmd {
                client: c as u64,
                seq: k as u32 + 1,
                op: op.clone(),
            })
        })
        .collect();
    let mut out = vec![Entry::noop()];
    let mut layer: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..cfg.max_batch {
        let mut next = Vec::new();
        for batch in &layer {
            for i in 0..cmds.len() {
                let mut b = batch.clone();
                b.push(i);
                out.push(Entry::batch(b.iter().map(|&i| cmds[i].clone()).collect()));
                next.push(b);
                if out.len() > MAX_CATALOGUE {
                    return out;
                }
            }
        }
        layer = next;
    }
    out
}

/// The Voting constants for `cfg`: one acceptor per replica, the [`catalogue`]'s entries as
/// values, and `max_ballot = max_round * replicas - 1`, the highest ballot a replica can
/// start.
///
/// # Errors
///
/// When the configuration is invalid, or its catalogue has more than [`MAX_CATALOGUE`] entries.
pub fn spec_config(cfg: &MultiConfig) -> Result<SpecConfig, String> {
    cfg.validate()?;
    let values = catalogue(cfg).len();
    if values > MAX_CATALOGUE {
        return Err(format!(
            "the refinement check's catalogue of entries (every batch of the workload's \
             commands) has more than {MAX_CATALOGUE} entries: use fewer operations or a \
             smaller --max-batch"
        ));
    }
    let max_ballot = i64::from(cfg.max_round) * cfg.replicas as i64 - 1;
    let max_ballot =
        i32::try_from(max_ballot).map_err(|_| "max_round * replicas is too large".to_string())?;
    Ok(SpecConfig {
        acceptors: cfg.replicas,
        values,
        max_ballot,
    })
}

/// The Voting state of slot `slot` that actor state `s` of the model of `cfg` stands for.
/// `None` for a slot outside `0..max_slots` (votes beyond the bound show as slot `max_slots`).
pub fn slot_view(cfg: &MultiConfig, s: &MultiModelState, slot: Slot) -> Option<VotingState> {
    let mut views = Mapping::new(cfg).views(s);
    (slot < cfg.max_slots).then(|| views.swap_remove(slot as usize))
}

/// The verdict on one edge `source -> target` of the model of `cfg` (any two states, e.g. a
/// forged one in a test): for each slot `0..max_slots`, `None` for a stutter or the Voting
/// action it is; or the first slot at which it is neither, with why.
///
/// # Errors
///
/// The configurations [`spec_config`] rejects, and edges that are no Voting step at some slot
/// (`Err((Some(slot), why))`; the configuration errors have `None`).
pub fn explain_edge(
    cfg: &MultiConfig,
    source: &MultiModelState,
    target: &MultiModelState,
) -> Result<Vec<Option<VotingAction>>, (Option<Slot>, String)> {
    let voting = Voting::new(spec_config(cfg).map_err(|e| (None, e))?);
    let map = Mapping::new(cfg);
    let (from, to) = (map.views(source), map.views(target));
    if to.len() > from.len() {
        return Err((Some(cfg.max_slots), beyond_bound(cfg.max_slots)));
    }
    from.iter()
        .zip(&to)
        .enumerate()
        .map(|(k, (f, t))| {
            voting
                .explain_step(f, t)
                .map_err(|why| (Some(k as Slot), why))
        })
        .collect()
}

/// Why a vote past the slot bound is refused.
fn beyond_bound(max_slots: Slot) -> String {
    format!("a vote at slot {max_slots} or beyond, outside the model's slots 0..{max_slots}")
}

/// Checks that the model of `cfg` refines Voting at every slot `0..max_slots`: its initial
/// states map to Voting's `Init` (or one step from it) and every edge of its reachable graph
/// is a Voting step or a stutter at every slot. Stops at the first violating edge and reports
/// a shortest trace to one.
///
/// # Errors
///
/// The configurations [`spec_config`] rejects.
pub fn check_multi_refinement(cfg: &MultiConfig) -> Result<MultiRefinementReport, String> {
    check_multi_refinement_within(cfg, None)
}

/// [`check_multi_refinement`], stopping after `max_edges` edges when that is set and no edge
/// was refused by then: the report then says so ([`MultiRefinementReport::stopped_at`]) and
/// claims nothing about the edges beyond. With a budget the walk is breadth first (so the
/// edges covered are those nearest the initial states, and a violation found is reported with
/// a shortest trace); without one it is depth first, then breadth first for the trace. `paxos check multi --bug` uses it, since a bug's
/// configuration can be far larger than the walk can cover in a command's time.
///
/// # Errors
///
/// The configurations [`spec_config`] rejects.
pub fn check_multi_refinement_within(
    cfg: &MultiConfig,
    max_edges: Option<usize>,
) -> Result<MultiRefinementReport, String> {
    let start = Instant::now();
    let voting = Voting::new(spec_config(cfg)?);
    let map = Mapping::new(cfg);
    let model = MultiModel::new(cfg.clone());
    let mut checker = Checker {
        model: &model,
        voting: &voting,
        map: &map,
        stutters: 0,
        steps: 0,
        increase_max_bal: 0,
        vote_for: 0,
        edges: 0,
        max_edges,
    };
    let mut report = MultiRefinementReport {
        states: 0,
        edges: 0,
        stutters: 0,
        steps: 0,
        increase_max_bal: 0,
        vote_for: 0,
        slots: cfg.max_slots,
        values: voting.cfg.values,
        seconds: 0.0,
        violation: None,
        stopped_at: None,
    };
    let init = vec![voting.init_state(); cfg.max_slots as usize];
    for s in model.init_states() {
        let views = map.views(&s);
        if let Err((slot, reason)) = checker.explain(&init, &views) {
            report.violation =
                Some(map.violation(Vec::new(), "init".into(), slot, reason, &init, &views));
            report.seconds = start.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    // Within a budget, breadth first: a short violation is then found before the budget
    // runs out, however large the graph (and its trace is already a shortest one).
    let (search, parents) = match max_edges {
        Some(_) => (Search::Bfs, true),
        None => (Search::Dfs, false),
    };
    let mut pass = walk(&model, search, parents, &mut checker);
    if max_edges.is_none() && refused(&pass).is_some() {
        // A violation exists: find a shortest trace to one, whatever the budget.
        checker.reset();
        checker.max_edges = None;
        pass = walk(&model, Search::Bfs, true, &mut checker);
    }
    if pass.refused.as_ref().is_some_and(|r| r.refusal.budget) {
        report.stopped_at = max_edges;
    }
    report.violation = refused(&pass).map(|r| checker.violation(&pass, r));
    report.states = pass.states;
    report.edges = pass.edges;
    report.stutters = checker.stutters;
    report.steps = checker.steps;
    report.increase_max_bal = checker.increase_max_bal;
    report.vote_for = checker.vote_for;
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

// ------------------------------------------------------------------------------------------
// The mapping

/// The refused edge of a walk, unless the walk only reached its edge budget.
fn refused(pass: &Walked<MultiModel, Found>) -> Option<&Refused<MultiModel, Found>> {
    pass.refused.as_ref().filter(|r| !r.refusal.budget)
}

/// The mapping for one configuration, with what it needs precomputed.
struct Mapping {
    replicas: usize,
    max_round: u32,
    max_slots: Slot,
    /// Each replica's acceptor role (for [`Acceptor::restore`] of a crashed replica).
    acceptors: Vec<Acceptor>,
    /// Entry -> Voting value.
    values: HashMap<Entry, usize>,
    /// Voting value -> entry.
    entries: Vec<Entry>,
}

impl Mapping {
    fn new(cfg: &MultiConfig) -> Mapping {
        let entries = catalogue(cfg);
        let acceptors = cfg
            .actors()
            .into_iter()
            .take(cfg.replicas)
            .map(|a| match a {
                crate::multi::MultiActor::Replica(r) => r.acceptor.clone(),
                crate::multi::MultiActor::Client(_) => unreachable!("replicas come first"),
            })
            .collect();
        Mapping {
            replicas: cfg.replicas,
            max_round: cfg.max_round,
            max_slots: cfg.max_slots,
            acceptors,
            values: entries
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, e)| (e, i))
                .collect(),
            entries,
        }
    }

    /// `(round - 1) * replicas + replica`, or `i32::MAX` for a ballot no replica of this
    /// configuration can start.
    fn ballot(&self, b: Ballot) -> i32 {
        if b.round == 0 || b.round > self.max_round || b.proposer as usize >= self.replicas {
            return i32::MAX;
        }
        let n = (i64::from(b.round) - 1) * self.replicas as i64 + i64::from(b.proposer);
        i32::try_from(n).unwrap_or(i32::MAX)
    }

    /// The entry's index in the catalogue, or `usize::MAX` for an entry outside it.
    fn value(&self, e: &Entry) -> usize {
        self.values.get(e).copied().unwrap_or(usize::MAX)
    }

    /// Replica `a`'s promise: its live acceptor's, or the one it recovers to when crashed.
    fn promised(&self, s: &MultiModelState, a: usize) -> Option<Ballot> {
        if s.crashed[a] {
            self.acceptors[a].restore(&s.actor_storages[a]).promised
        } else {
            s.actor_states[a]
                .replica()
                .and_then(|r| r.acceptor.promised)
        }
    }

    /// The Voting states of slots `0..max_slots`, and one more holding every vote at a slot
    /// past the model's bound when there is such a vote (which no correct leader casts).
    fn views(&self, s: &MultiModelState) -> Vec<VotingState> {
        let n = self.replicas;
        let beyond = s.history.votes.iter().any(|v| v.0 >= self.max_slots);
        let slots = self.max_slots + Slot::from(beyond);
        let max_bal: Vec<i32> = (0..n)
            .map(|a| self.promised(s, a).map_or(NO_BALLOT, |b| self.ballot(b)))
            .collect();
        let mut views = vec![
            VotingState {
                votes: vec![BTreeSet::new(); n],
                max_bal,
            };
            slots as usize
        ];
        for (slot, b, e, a) in &s.history.votes {
            let slot = (*slot).min(slots - 1) as usize;
            let a = usize::from(*a);
            if a >= n {
                continue;
            }
            views[slot].votes[a].insert((self.ballot(*b), self.value(e)));
        }
        views
    }

    /// Whether `s` and `t` agree on everything [`Mapping::views`] reads. Cheap: most edges
    /// change none of it.
    fn same_inputs(&self, s: &MultiModelState, t: &MultiModelState) -> bool {
        let votes = |h: &History, g: &History| h.votes == g.votes;
        (0..self.replicas).all(|i| {
            s.crashed[i] == t.crashed[i]
                && s.actor_storages[i] == t.actor_storages[i]
                && (std::sync::Arc::ptr_eq(&s.actor_states[i], &t.actor_states[i])
                    || s.actor_states[i].replica().map(|r| &r.acceptor)
                        == t.actor_states[i].replica().map(|r| &r.acceptor))
        }) && votes(&s.history, &t.history)
    }

    /// The entries behind the values the votes of `states` mention: `1 = C0#1 put k=1`.
    fn legend(&self, states: &[&VotingState]) -> Vec<String> {
        let mut values: BTreeSet<usize> = BTreeSet::new();
        for s in states {
            for vs in &s.votes {
                values.extend(vs.iter().map(|&(_, v)| v));
            }
        }
        values
            .into_iter()
            .map(|v| match self.entries.get(v) {
                Some(e) => format!("{v} = {e}"),
                None => format!("{v} = an entry outside the catalogue"),
            })
            .collect()
    }

    fn violation(
        &self,
        trace: Vec<String>,
        edge: String,
        slot: Slot,
        reason: String,
        from: &[VotingState],
        to: &[VotingState],
    ) -> MultiRefinementViolation {
        let empty = VotingState {
            votes: vec![BTreeSet::new(); self.replicas],
            max_bal: vec![NO_BALLOT; self.replicas],
        };
        let before = from.get(slot as usize).unwrap_or(&empty);
        let after = to.get(slot as usize).unwrap_or(&empty);
        let mut values = self.legend(&[before, after]);
        let mut ballots = String::new();
        for r in 1..=self.max_round {
            for p in 0..self.replicas as u32 {
                let b = Ballot::new(r, p);
                let _ = write!(
                    ballots,
                    "{}{} = {b}",
                    if ballots.is_empty() { "" } else { ", " },
                    self.ballot(b)
                );
            }
        }
        values.push(format!("ballots: {ballots}"));
        MultiRefinementViolation {
            trace,
            edge,
            slot,
            reason,
            diff: voting_diff(before, after),
            before: format_voting_state(before),
            after: format_voting_state(after),
            values,
        }
    }
}

// ------------------------------------------------------------------------------------------
// The edge check, on the shared walk (`models/walk.rs`)

/// The check of every edge at every slot. A state's payload is its per-slot Voting states.
struct Checker<'a> {
    model: &'a MultiModel,
    voting: &'a Voting,
    map: &'a Mapping,
    stutters: usize,
    steps: usize,
    increase_max_bal: usize,
    vote_for: usize,
    /// Edges checked in this walk.
    edges: usize,
    /// Stop (with a budget refusal) after this many edges.
    max_edges: Option<usize>,
}

/// A refused edge: the slot, why, and the per-slot Voting states before and after it; or,
/// with `budget`, the edge budget reached (nothing wrong with the edge).
struct Found {
    slot: Slot,
    reason: String,
    from: Vec<VotingState>,
    to: Vec<VotingState>,
    budget: bool,
}

impl Checker<'_> {
    fn reset(&mut self) {
        self.edges = 0;
        self.stutters = 0;
        self.steps = 0;
        self.increase_max_bal = 0;
        self.vote_for = 0;
    }

    /// Explains `from -> to` slot by slot: the Voting steps taken (counted), or the first
    /// slot that is no step, with why.
    fn explain(
        &mut self,
        from: &[VotingState],
        to: &[VotingState],
    ) -> Result<usize, (Slot, String)> {
        if to.len() > from.len() {
            return Err((from.len() as Slot, beyond_bound(from.len() as Slot)));
        }
        let mut steps = 0;
        for (k, (f, t)) in from.iter().zip(to).enumerate() {
            match self.voting.explain_step(f, t) {
                Ok(None) => {}
                Ok(Some(VotingAction::IncreaseMaxBal(..))) => {
                    self.increase_max_bal += 1;
                    steps += 1;
                }
                Ok(Some(VotingAction::VoteFor(..))) => {
                    self.vote_for += 1;
                    steps += 1;
                }
                Err(reason) => return Err((k as Slot, reason)),
            }
        }
        Ok(steps)
    }

    /// The report of `refused`, with the trace replayed from the breadth-first walk's parents.
    fn violation(
        &self,
        pass: &Walked<MultiModel, Found>,
        refused: &Refused<MultiModel, Found>,
    ) -> MultiRefinementViolation {
        let (trace, edge) = refused_trace(self.model, pass, refused, |a| self.model.describe(a));
        let f = &refused.refusal;
        self.map
            .violation(trace, edge, f.slot, f.reason.clone(), &f.from, &f.to)
    }
}

impl EdgeCheck<MultiModel> for Checker<'_> {
    type Payload = Vec<VotingState>;
    type Refusal = Found;

    fn initial(&mut self, state: &MultiModelState) -> Vec<VotingState> {
        self.map.views(state)
    }

    fn edge(
        &mut self,
        source: &MultiModelState,
        views: &Vec<VotingState>,
        _action: &MultiAction,
        target: &MultiModelState,
    ) -> Result<Option<Vec<VotingState>>, Found> {
        self.edges += 1;
        if self.max_edges.is_some_and(|m| self.edges > m) {
            return Err(Found {
                slot: 0,
                reason: String::new(),
                from: Vec::new(),
                to: Vec::new(),
                budget: true,
            });
        }
        if self.map.same_inputs(source, target) {
            self.stutters += 1;
            return Ok(None);
        }
        let t_views = self.map.views(target);
        match self.explain(views, &t_views) {
            Ok(0) => self.stutters += 1,
            Ok(_) => self.steps += 1,
            Err((slot, reason)) => {
                return Err(Found {
                    slot,
                    reason,
                    from: views.clone(),
                    to: t_views,
                    budget: false,
                })
            }
        }
        Ok(Some(t_views))
    }
}
