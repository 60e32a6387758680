//! The liveness claims of single-decree Paxos, decided by the sound checker of
//! [`liveness`](super::liveness).
//!
//! Safety ("at most one value is ever chosen", see [`single`](super::single)) holds in every run,
//! whatever fails. Progress cannot: no algorithm can promise it in every run, so a liveness claim
//! is only meaningful together with the assumption under which it is made. Each [`Claim`] states
//! the model configuration, the scheduling assumption, the goal, an optional bound and the
//! verdict we expect; [`run_claim`] checks it and says whether the expectation was met.
//! `paxos liveness --claim NAME` runs one from the command line.
//!
//! # Claim 1, `no-failure`: every client eventually gets the decision
//!
//! The `roles` system (two proposers, three acceptors, one learner, two clients, every role its
//! own process) with client retries: a client that gets no answer asks the next proposer.
//! Proposers have no retry timer, so a ballot is never abandoned. The assumption, "no failure",
//! is what partial synchrony guarantees after the global stabilisation time (GST), enforced by
//! [`FairTimeouts`]: no message is lost and no process crashes; the network does not duplicate
//! messages (it may reorder them arbitrarily); a timer fires only when no message can be
//! delivered, i.e. timeouts are longer than message delays.
//!
//! The verdict is [`Verdict::Holds`] with an empty frontier: nothing bounds this model, so the
//! result is about the unbounded system. The highest ballot started cannot be pre-empted, so
//! it completes, and the proposer holding it answers its client; a client whose proposer lost
//! times out (only once the network is quiet) and asks the next proposer, which answers with
//! the decision.
//!
//! # Claim 2, `duelling-proposers`: without a leader, nothing need ever be chosen
//!
//! The `compat` system (three merged nodes, two clients), still without failures and under the
//! same fair timeouts, but acceptors answer a refused ballot with a `Nack` and a proposer that
//! receives one restarts at once above the ballot that beat it (`eager_retry`). Goal: some value
//! is chosen. The classic run: P0 completes phase 1 at ballot `b`, P1 completes phase 1 at
//! `b' > b`, P0's `Accept(b)` is refused so P0 prepares `b'' > b'`, which makes P1's `Accept(b')`
//! refused, and so on: each proposer's phase 1 destroys the other's phase 2, forever, although
//! no message is lost and no process is slow.
//!
//! Such a run climbs through infinitely many ballots, so in a finite model it can only appear
//! as a run that reaches a bound. The bound is on **destroyed ballots**
//! ([`Claim::max_destroyed`]): ballots that reached phase 2 (a proposal `(b, v)` was made) and
//! can no longer be chosen, because fewer than a majority of acceptors voted `(b, v)` or can
//! still vote for it (an acceptor that promised a ballot above `b` and did not vote `(b, v)`
//! never will: promises only grow). A state with more than `k` destroyed ballots (and nothing
//! chosen, since the search stops at the goal) is a frontier state, not expanded. The expected
//! discovery is [`Verdict::HoldsUpToBound`]: within the bound there is no deadlock and no
//! cycle, but runs that never choose reach the frontier, and [`run_claim`] returns a shortest
//! one: `k + 1` ballots that each won phase 1 and each can no longer be chosen, the pattern
//! that, repeated, never ends.
//!
//! The kind of bound matters. A bound on rounds (`max_round`: a proposer cannot start a round
//! above it) would *resolve* the duel if it silently removed the proposer's restart: the
//! proposer holding the highest possible ballot could no longer be overtaken, so it would always
//! win, and "some value is chosen" would hold on every path, an artefact of the bound. So every
//! bound that removes behaviour is a cut: a state where a proposer at the highest round would
//! restart (its retry timer fired, or it is refused and restarts on `Nack`s) is a frontier state
//! ([`round_cap`]), like a state past the ballot bound (`max_ballots`) or the destroyed-ballot
//! bound, and a goal-free run into any of them gives "holds up to the bound", never "holds".
//! Here rounds are bounded at 3 (six ballots between the two proposers), and a run is cut off
//! as soon as both proposers have had a ballot destroyed by the other ([`DUEL_DESTROYED`]): one
//! whole period of the duel, reached before any proposer is at the round bound. Such a run is
//! evidence of the pattern, not of the bound: from its end the same period can start again one
//! round higher.
//!
//! # Claim 3, `impatient-timers`: timeouts shorter than message delays also duel
//!
//! `compat` with proposer retry timers and the timing assumption removed: timers may fire at
//! any moment, as stateright's actor model allows (still no loss and no crash). A proposer may
//! then time out while its messages are in flight, and the two proposers overtake each other
//! forever without any `Nack`. Expected: [`Verdict::HoldsUpToBound`] with a goal-free run into
//! the frontier, as in claim 2. The shortest such run is the plainest: a proposer whose timer
//! fires before any of its messages is delivered, again and again, until the round bound
//! (rounds <= 2) cuts it off; runs in which ballots win phase 1 and are destroyed by the next
//! one reach the destroyed-ballot bound (three destroyed) later.
//!
//! # Claims 4 and 5, `learners-learn` and `runtime-clients`: what `paxos node` runs
//!
//! The `runtime` configuration (three merged nodes whose first proposer leads, messages to self
//! through the network, learners informed by `Chosen` only and caught up on queries, `Nack`s,
//! proposer retries, at most two ballots) under the same "no failure" assumption. Every learner
//! eventually learns the decision: [`Verdict::Holds`] with an empty frontier (no goal-free run
//! reaches a bound). Every client eventually gets the decision only *up to the bound*: when the
//! second client's proposer pre-empts the leader, the leader's client needs the leader to run a
//! third ballot (which would find and return the chosen value), and the model allows two; the
//! expected verdict is [`Verdict::HoldsUpToBound`], and the trace shows the run.
//!
//! # Claim 6, `leader-progress`: one leader makes progress through loss and crashes
//!
//! The claim Paxos is known for, under [`Assumption::LeaderFairLoss`]: one leader (the only
//! proposer; it prepares at start), three acceptors of which one at a time may crash and
//! recover (finitely often), a lossy non-duplicating network in which a message sent again and
//! again is eventually delivered, two clients that retry. Only the leader's and the clients'
//! timers fire, each only once none of its own messages is in flight
//! ([`LeaderSynchrony`]): partial synchrony for the leader, not for the whole system. The
//! proposer retransmits the current phase at the same ballot when its timer fires (unless a
//! `Nack` refused the ballot), and acceptors answer retransmissions, so fair loss applies: the
//! retransmitted message is the same message. Expected and found: [`Verdict::Holds`] with an
//! empty frontier (nothing is cut; the leader is never refused, so it never leaves round 1).
//! `tests/leader_progress.rs` shows what each part of the assumption buys: without fairness the
//! network loses a retried request forever; with two acceptors down for good the leader
//! retransmits forever; without retransmission every ballot can be lost, and the run climbs into
//! the round bound.
//!
//! # Why Paxos needs a leader for progress
//!
//! Fischer, Lynch and Paterson proved that no deterministic consensus algorithm for an
//! asynchronous system can guarantee that it terminates if even one process may crash: some
//! schedule always keeps it undecided. Paxos accepts this and never trades safety for progress:
//! any proposer may start a ballot at any time, and a higher ballot always stops lower ones, so
//! two proposers that keep starting ballots can stop each other forever (claims 2 and 3).
//! Progress is obtained only when a single distinguished proposer, the leader, runs alone long
//! enough to finish both phases of one ballot. Claim 1's assumption provides that window:
//! after GST, with timeouts longer than message delays and no eager restarts, the highest
//! ballot runs to completion undisturbed. Real systems get the same effect from leader election
//! (with randomised or staggered timeouts); none of this ever affects safety.

use crate::models::harness::ActorHarness;
use std::fmt::Write as _;
use std::time::Instant;

use stateright::Model;

use super::fairness::check_fair_eventually_in;
use super::liveness::{
    check_eventually_in, for_each_edge, FairTimeouts, Search, StateGraph, StatePath, Verdict,
};
use super::single::{SingleAction, SingleConfig, SingleModel, SingleModelState};
use super::synchrony::LeaderSynchrony;
use crate::single::ClientPhase;

/// What must eventually hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Goal {
    /// Every client has received the decision (its phase is `Reading` or `Done`).
    ClientsDecided,
    /// Some value is chosen (a majority of acceptors voted for it in one ballot).
    ValueChosen,
    /// Every learner has learned the decision.
    LearnersLearned,
}

crate::names::names!(Goal {
    ClientsDecided => "clients-decided",
    ValueChosen => "value-chosen",
    LearnersLearned => "learners-learned",
});

impl Goal {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Goal::ClientsDecided => "every client eventually gets the decision",
            Goal::ValueChosen => "some value is eventually chosen",
            Goal::LearnersLearned => "every learner eventually learns the decision",
        }
    }

    /// Whether the goal holds in `state` of a model of `cfg`.
    pub fn holds(self, cfg: &SingleConfig, state: &SingleModelState) -> bool {
        match self {
            Goal::ClientsDecided => state.actor_states.iter().all(|a| {
                a.client()
                    .is_none_or(|c| !matches!(c.phase, ClientPhase::Proposing))
            }),
            Goal::ValueChosen => !state.history.chosen(cfg.acceptors).is_empty(),
            Goal::LearnersLearned => state
                .actor_states
                .iter()
                .all(|a| a.learner().is_none_or(|l| l.learned.is_some())),
        }
    }
}

/// The scheduling and failure assumption a claim is checked under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assumption {
    /// [`FairTimeouts`]: no loss, no crash, timers fire only when no message can be delivered
    /// (the whole system is quiet). Every cycle is a livelock.
    NoFailure,
    /// stateright's own semantics: timers may fire at any moment, failures as configured, no
    /// fairness at all. Every cycle is a livelock.
    TimersAnyTime,
    /// [`LeaderSynchrony`] and the fairness of [`fairness`](super::fairness): only the leader's
    /// (and the clients') timers fire, each only when none of its own messages is in flight;
    /// loss, duplication and crashes as configured, but a message sent again and again is
    /// eventually delivered, no message stays in flight forever, and crashes and recoveries
    /// stop eventually. Only a fair cycle is a livelock.
    LeaderFairLoss,
}

crate::names::names!(Assumption {
    NoFailure => "no-failure",
    TimersAnyTime => "timers-any-time",
    LeaderFairLoss => "leader-fair-loss",
});

impl Assumption {
    /// The assumption in one sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Assumption::NoFailure => {
                "no failure (no loss, no crash, no duplication; timers fire only when no message \
                 can be delivered)"
            }
            Assumption::TimersAnyTime => "timers may fire at any moment; no fairness",
            Assumption::LeaderFairLoss => {
                "one leader: only the first proposer's and the clients' timers fire, each only \
                 when none of its own messages is in flight; loss and crashes as configured, \
                 with fair loss (a message sent again and again is delivered), no message in \
                 flight forever, and finitely many crashes and recoveries"
            }
        }
    }
}

/// The verdict a claim expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// [`Verdict::Holds`]: the goal is reached on every maximal path, and no path avoiding it
    /// leaves the boundary.
    Holds,
    /// [`Verdict::HoldsUpToBound`]: no counterexample within the boundary, but runs that never
    /// reach the goal run into the boundary (the expected discovery for runs that make no
    /// progress forever by climbing through ever higher ballots).
    BoundReached,
    /// [`Verdict::Deadlock`].
    Deadlock,
    /// [`Verdict::Livelock`].
    Livelock,
}

impl Expect {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Holds => "holds",
            Expect::BoundReached => "bound reached without the goal",
            Expect::Deadlock => "deadlock",
            Expect::Livelock => "livelock",
        }
    }

    /// Whether `verdict` is the expected one.
    pub fn matches<S, A>(self, verdict: &Verdict<S, A>) -> bool {
        matches!(
            (self, verdict),
            (Expect::Holds, Verdict::Holds)
                | (Expect::BoundReached, Verdict::HoldsUpToBound { .. })
                | (Expect::Deadlock, Verdict::Deadlock { .. })
                | (Expect::Livelock, Verdict::Livelock { .. })
        )
    }
}

/// A liveness claim: a model, an assumption, a goal and the expected verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Command-line name.
    pub name: &'static str,
    /// What is claimed, in one sentence.
    pub description: &'static str,
    /// The model.
    pub config: SingleConfig,
    /// The scheduling and failure assumption.
    pub assumption: Assumption,
    /// What must eventually hold.
    pub goal: Goal,
    /// The verdict expected.
    pub expect: Expect,
    /// When non-zero, a state in which more than this many ballots were destroyed (see
    /// [`destroyed_ballots`]) is a frontier state: it is not expanded and counts as
    /// inconclusive. This is the bound that exposes duelling proposers (see the module docs).
    pub max_destroyed: usize,
}

impl Claim {
    /// Checks that the model fits the assumption, explaining what is wrong (a model that does
    /// not fit would give a meaningless verdict, or, for `leader-fair-loss` without
    /// `consume_ignored`, an unbounded state space).
    pub fn validate(&self) -> Result<(), String> {
        use crate::models::single::{Merge, NetworkKind};
        let cfg = &self.config;
        match self.assumption {
            Assumption::LeaderFairLoss if cfg.merge != Merge::None => Err(
                "--assumption leader-fair-loss needs separate roles (--merge none): with merged \
                 nodes an acceptor's crash is its proposer's crash, and the leader must not crash"
                    .into(),
            ),
            Assumption::LeaderFairLoss
                if cfg.network == NetworkKind::UnorderedNonduplicating && !cfg.consume_ignored =>
            {
                Err(
                    "--assumption leader-fair-loss on a non-duplicating network needs \
                     --consume-ignored: otherwise a message its recipient ignores stays in \
                     flight forever, holding back the timer that waits for it, and retries pile \
                     up copies without end"
                        .into(),
                )
            }
            Assumption::NoFailure
                if cfg.lossy
                    || cfg.max_crashes > 0
                    || cfg.network == NetworkKind::UnorderedDuplicating =>
            {
                Err(
                    "the no-failure assumption excludes loss, crashes and duplication: drop \
                     --lossy / --max-crashes / the duplicating network, or choose another \
                     --assumption (leader-fair-loss, timers-any-time)"
                        .into(),
                )
            }
            _ => Ok(()),
        }
    }
}

/// Names of the claims, in [`claims`] order.
pub const CLAIM_NAMES: [&str; 6] = [
    "no-failure",
    "leader-progress",
    "duelling-proposers",
    "impatient-timers",
    "learners-learn",
    "runtime-clients",
];

/// The system of claim 1: `roles` (two proposers, three acceptors, one learner, two clients,
/// every role its own process) with client retries: a client whose proposer does not answer
/// asks the next one. Proposers have no retry timer, so a ballot is never abandoned.
pub fn no_failure_config() -> SingleConfig {
    SingleConfig {
        client_retry: true,
        ..SingleConfig::named("roles").expect("roles is a named configuration")
    }
}

/// The system of the `leader-progress` claim: `roles` (two proposers, three acceptors, one
/// learner, two clients) on a lossy duplicating network with explicit drops, one acceptor
/// crashed at a time (any number of times, but finitely often), the first proposer the leader
/// (it prepares at start), `Nack`s, proposer timers with retransmission, and client retries.
/// Rounds <= 3 (never reached: the leader needs at most two, see the module docs).
pub fn leader_config() -> SingleConfig {
    SingleConfig {
        lossy: true,
        consume_ignored: true,
        max_crashes: 1,
        crash_acceptors_only: true,
        timers: true,
        client_retry: true,
        nacks: true,
        retransmit: true,
        leader: true,
        max_round: 3,
        proposers: 1,
        learn: crate::models::single::LearnMode::Proposer,
        ..SingleConfig::named("roles").expect("roles is a named configuration")
    }
}

/// The system of claims 2 and 3: `compat` (three merged nodes, two clients, a reliable
/// non-duplicating network) with rounds bounded by `max_round`.
pub fn duel_config(max_round: u32) -> SingleConfig {
    SingleConfig {
        max_round,
        ..SingleConfig::named("compat").expect("compat is a named configuration")
    }
}

/// The bound of claim 2: a run is cut off once two ballots were destroyed, one of each
/// proposer by the other's phase 1: one whole period of the duel, after which it can start
/// over one round higher.
pub const DUEL_DESTROYED: usize = 1;

/// The bound of claim 3: a run is cut off once three ballots were destroyed.
pub const IMPATIENT_DESTROYED: usize = 2;

/// The ballots `(b, v)` of a state that reached phase 2 but can no longer be chosen: fewer than
/// a majority of acceptors voted `(b, v)` or may still vote for it. An acceptor may still vote
/// `(b, v)` only if the highest ballot it ever promised or voted in is at most `b` (promises
/// only grow, and an acceptor votes only at or above its promise). Sound for models without
/// crashes (a crashed acceptor keeps its promise on a correct acceptor anyway).
pub fn destroyed_ballots(
    cfg: &SingleConfig,
    state: &SingleModelState,
) -> Vec<(crate::ballot::Ballot, crate::single::Value)> {
    let h = &state.history;
    let q = crate::single::quorum(cfg.acceptors, crate::single::Bug::None);
    h.proposals
        .iter()
        .filter(|&&(b, v)| {
            let alive = (0..cfg.acceptors)
                .filter(|&a| {
                    h.votes.contains(&(b, v, a as u8))
                        || h.max_promised
                            .get(a)
                            .copied()
                            .flatten()
                            .is_none_or(|m| m <= b)
                })
                .count();
            alive < q
        })
        .copied()
        .collect()
}

/// The first proposer (by its trace name) that the round bound (`max_round`) stops from acting,
/// if any: a state where the unbounded system would start a new ballot and the model cannot.
///
/// A proposer at the highest round still in phase 1 or 2 of its ballot is stopped by the bound
/// when
/// * its retry timer has fired (with `timers`: a ballot in progress always has its timer set,
///   except after a timeout that could not start a higher round), or
/// * it restarts on a `Nack` (`eager_retry`, with `nacks`) and some acceptor has promised a
///   higher ballot, so the `Nack` that would restart it is sent or on its way.
///
/// Such a state is a cut, like a frontier state: a goal-free run into it is a run the bound cut
/// short, never evidence that the goal holds. Without this, the proposer holding the last
/// ballot could never be overtaken, and a duel the bound resolves would "hold".
pub fn round_cap(cfg: &SingleConfig, state: &SingleModelState) -> Option<String> {
    use crate::single::{Phase, Timer};
    let layout = cfg.layout();
    layout.proposers.iter().find_map(|id| {
        let i = usize::from(*id);
        if state.crashed[i] {
            return None;
        }
        let p = state.actor_states[i].proposer()?;
        let ballot = match p.phase {
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => ballot,
            _ => return None,
        };
        if p.round < cfg.max_round {
            return None;
        }
        let timed_out = cfg.timers
            && !state.timers_set[i]
                .iter()
                .any(|t| *t == Timer::ProposerRetry);
        // With retransmission only a refused ballot is followed by a higher one, at the
        // next timeout.
        let refused = (cfg.retransmit && p.refused)
            || cfg.eager_retry
                && cfg.nacks
                && state
                    .history
                    .max_promised
                    .iter()
                    .any(|m| m.is_some_and(|m| m > ballot));
        (timed_out || refused).then(|| {
            format!(
                "{} at round {} (--max-round {}) {} and may not start a higher ballot",
                layout.name(*id),
                p.round,
                cfg.max_round,
                if timed_out { "timed out" } else { "is refused" }
            )
        })
    })
}

/// Every claim, in [`CLAIM_NAMES`] order. Longer than 70 lines for a reason: it is the claim
/// table, kept in one place.
pub fn claims() -> Vec<Claim> {
    // Three rounds: the duel's shortest period (each proposer's ballot destroyed by the other's)
    // is reached before any proposer is at the round bound, which would cut the run too (see
    // `round_cap`) but show the bound rather than the duel.
    let duel = duel_config(3);
    vec![
        Claim {
            name: "no-failure",
            description: "without failures, and with timeouts longer than message delays, \
                          every client eventually gets the decision",
            config: no_failure_config(),
            assumption: Assumption::NoFailure,
            goal: Goal::ClientsDecided,
            expect: Expect::Holds,
            max_destroyed: 0,
        },
        Claim {
            name: "leader-progress",
            description: "with one leader (the only proposer) whose timeout exceeds a round \
                          trip, a majority of acceptors up, a lossy network with fair loss and \
                          finitely many acceptor crashes, every client eventually gets the \
                          decision",
            config: leader_config(),
            assumption: Assumption::LeaderFairLoss,
            goal: Goal::ClientsDecided,
            expect: Expect::Holds,
            max_destroyed: 0,
        },
        Claim {
            name: "duelling-proposers",
            description: "proposers that restart at once when refused can overtake each \
                          other forever: no value is ever chosen (an expected discovery)",
            config: SingleConfig {
                nacks: true,
                eager_retry: true,
                ..duel.clone()
            },
            assumption: Assumption::NoFailure,
            goal: Goal::ValueChosen,
            expect: Expect::BoundReached,
            max_destroyed: DUEL_DESTROYED,
        },
        Claim {
            name: "impatient-timers",
            description: "if timeouts may fire while messages are in flight, proposers can \
                          overtake each other forever: no value is ever chosen (an expected \
                          discovery)",
            config: SingleConfig {
                timers: true,
                ..duel_config(2)
            },
            assumption: Assumption::TimersAnyTime,
            goal: Goal::ValueChosen,
            expect: Expect::BoundReached,
            max_destroyed: IMPATIENT_DESTROYED,
        },
        Claim {
            name: "learners-learn",
            description: "in what `paxos node` runs (the `runtime` configuration), without \
                          failures, every learner eventually learns the decision",
            config: SingleConfig::named("runtime").expect("runtime is a named configuration"),
            assumption: Assumption::NoFailure,
            goal: Goal::LearnersLearned,
            expect: Expect::Holds,
            max_destroyed: 0,
        },
        Claim {
            name: "runtime-clients",
            description: "in the `runtime` configuration, without failures, every client gets \
                          the decision within two ballots, except where a pre-empted proposer \
                          needs a third (the model's ballot bound)",
            config: SingleConfig::named("runtime").expect("runtime is a named configuration"),
            assumption: Assumption::NoFailure,
            goal: Goal::ClientsDecided,
            expect: Expect::BoundReached,
            max_destroyed: 0,
        },
    ]
}

/// Looks a claim up by name.
pub fn claim(name: &str) -> Option<Claim> {
    claims().into_iter().find(|c| c.name == name)
}

/// A path as `(state, action taken from it)` pairs; the last pair has no action.
pub type ClaimPath = StatePath<SingleModelState, SingleAction>;

/// The outcome of [`run_claim`].
#[derive(Clone, Debug)]
pub struct ClaimResult {
    /// The claim's name.
    pub name: &'static str,
    /// Distinct states, frontier states included.
    pub unique_states: usize,
    /// Transitions.
    pub edges: usize,
    /// Largest BFS depth, in transitions.
    pub max_depth: usize,
    /// Frontier states discovered (whether or not the goal holds in them).
    pub frontier: usize,
    /// States where the goal holds.
    pub goal_states: usize,
    /// The checker's verdict.
    pub verdict: Verdict<SingleModelState, SingleAction>,
    /// For [`Verdict::HoldsUpToBound`]: a shortest path from an initial state into the
    /// frontier along which the goal never holds.
    pub bound_path: Option<ClaimPath>,
    /// Whether the verdict is the expected one.
    pub passed: bool,
    /// The counterexample (or bound path), one numbered line per step (`3. P0 -> A1
    /// Prepare(1.0)`), with marker lines `-- ... --` for the cycle and for how it ends. Empty
    /// when the verdict is [`Verdict::Holds`].
    pub trace: Vec<String>,
    /// Wall-clock seconds of exploration and analysis.
    pub seconds: f64,
    /// Heap memory of the explored graph per state (see
    /// [`LivenessReport::bytes_per_state`](super::liveness::LivenessReport::bytes_per_state)).
    pub bytes_per_state: f64,
    /// The explorer path (`paxos explore` with the claim's model flags, then `#/steps/PATH`)
    /// that replays the counterexample or bound path; for a livelock, the stem and one turn of
    /// the cycle.
    pub explorer_path: Option<String>,
}

impl ClaimResult {
    /// A one-line summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} ({}): {} states, {} edges, max depth {}, {} frontier, {} goal states",
            self.name,
            if self.passed {
                "as expected"
            } else {
                "UNEXPECTED"
            },
            self.verdict.name(),
            self.unique_states,
            self.edges,
            self.max_depth,
            self.frontier,
            self.goal_states,
        );
        match &self.verdict {
            Verdict::HoldsUpToBound { frontier } => {
                let _ = write!(s, ", {frontier} frontier states reached without the goal");
            }
            Verdict::Deadlock { path } => {
                let _ = write!(s, ", deadlock after {} steps", path.len() - 1);
            }
            Verdict::Livelock { stem, cycle } => {
                let _ = write!(
                    s,
                    ", stem of {} steps, cycle of {} steps",
                    stem.len() - 1,
                    cycle.len() - 1
                );
            }
            Verdict::Holds => {}
        }
        let _ = write!(
            s,
            ", {:.2}s, {:.1} B/state",
            self.seconds, self.bytes_per_state
        );
        s
    }
}

/// How [`run_claim_with`] runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClaimOptions {
    /// Exploration order (the verdict does not depend on it).
    pub search: Search,
    /// Print the number of states explored to stderr about once a second.
    pub progress: bool,
    /// Under [`Assumption::LeaderFairLoss`], count every goal-free cycle as a livelock, fair
    /// or not: what the fairness conditions exclude (for comparison).
    pub ignore_fairness: bool,
}

/// Checks a claim: explores its model (under [`FairTimeouts`] when `fair`), decides "on every
/// path, eventually the goal", and compares the verdict with the expectation.
pub fn run_claim(c: &Claim) -> ClaimResult {
    run_claim_with(c, ClaimOptions::default())
}

/// [`run_claim`] with an explicit exploration order (the result does not depend on it).
pub fn run_claim_in(c: &Claim, search: Search) -> ClaimResult {
    run_claim_with(
        c,
        ClaimOptions {
            search,
            ..Default::default()
        },
    )
}

/// [`run_claim`] with options.
///
/// # Panics
///
/// When [`Claim::validate`] refuses the claim.
pub fn run_claim_with(c: &Claim, opts: ClaimOptions) -> ClaimResult {
    if let Err(e) = c.validate() {
        panic!("claim `{}`: {e}", c.name);
    }
    let single = SingleModel::new(c.config.clone());
    let cfg = &c.config;
    let started = Instant::now();
    let mut last_report = started;
    let mut seen = 0usize;
    let goal = |s: &SingleModelState| {
        // The label function sees every distinct state once: a cheap place for progress.
        seen += 1;
        if opts.progress && seen.is_multiple_of(4096) && last_report.elapsed().as_secs_f64() >= 1.0
        {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {seen} states explored, {:.0} states/s, {secs:.0} s",
                seen as f64 / secs
            );
        }
        c.goal.holds(cfg, s)
    };
    let mut result = match c.assumption {
        Assumption::NoFailure => {
            let fair = FairTimeouts::new(single.clone());
            check_on(&UntilGoal::new(&fair, c), opts.search, goal)
        }
        Assumption::TimersAnyTime => check_on(&UntilGoal::new(&single, c), opts.search, goal),
        Assumption::LeaderFairLoss => {
            let leader = LeaderSynchrony::new(single.clone(), cfg);
            let model = UntilGoal::new(&leader, c);
            if opts.ignore_fairness {
                check_on(&model, opts.search, goal)
            } else {
                from_report(check_fair_eventually_in(&model, opts.search, goal))
            }
        }
    };
    result.explorer_path = explorer_path(&single, &result);
    result.name = c.name;
    result.passed = c.expect.matches(&result.verdict);
    result.trace = format_verdict(
        &single,
        cfg,
        &result.verdict,
        result.bound_path.as_deref(),
        &boundary(c, result.bound_path.as_deref()),
    );
    result
}

/// Calls `f(source, action, target)` once for every transition of the graph [`run_claim`]
/// explores for `c` (the claim's model under its assumption, cut at the goal and at the
/// claim's bounds), and returns that graph. The graph does not depend on the exploration
/// order; `tests/dead_messages.rs` checks the dead-message premise on it with pruning off.
pub fn for_each_claim_edge(
    c: &Claim,
    f: impl FnMut(&SingleModelState, &SingleAction, &SingleModelState),
) -> StateGraph {
    let single = SingleModel::new(c.config.clone());
    match c.assumption {
        Assumption::NoFailure => {
            let fair = FairTimeouts::new(single);
            for_each_edge(&UntilGoal::new(&fair, c), f)
        }
        Assumption::TimersAnyTime => for_each_edge(&UntilGoal::new(&single, c), f),
        Assumption::LeaderFairLoss => {
            let leader = LeaderSynchrony::new(single, &c.config);
            for_each_edge(&UntilGoal::new(&leader, c), f)
        }
    }
}

/// `inner`, except that no step leaves a state where the claim's goal holds.
///
/// The verdict of "on every path, eventually the goal" depends only on the states reachable
/// from an initial state without passing through the goal (see the
/// [`liveness`](super::liveness) module documentation): what happens after the goal was
/// reached cannot make a path violating. So cutting every transition out of a goal state
/// leaves the verdict, the counterexample and the bound path unchanged, and shrinks the graph
/// to the goal-free region plus its goal-satisfying border.
struct UntilGoal<'a, M> {
    inner: &'a M,
    config: &'a SingleConfig,
    goal: Goal,
    max_destroyed: usize,
}

impl<'a, M> UntilGoal<'a, M> {
    fn new(inner: &'a M, claim: &'a Claim) -> Self {
        UntilGoal {
            inner,
            config: &claim.config,
            goal: claim.goal,
            max_destroyed: claim.max_destroyed,
        }
    }
}

impl<M> Model for UntilGoal<'_, M>
where
    M: Model<State = SingleModelState, Action = SingleAction>,
{
    type State = SingleModelState;
    type Action = SingleAction;

    fn init_states(&self) -> Vec<SingleModelState> {
        self.inner.init_states()
    }

    fn actions(&self, state: &SingleModelState, actions: &mut Vec<SingleAction>) {
        if !self.goal.holds(self.config, state) {
            self.inner.actions(state, actions);
        }
    }

    fn next_state(
        &self,
        last: &SingleModelState,
        action: SingleAction,
    ) -> Option<SingleModelState> {
        self.inner.next_state(last, action)
    }

    fn format_action(&self, action: &SingleAction) -> String {
        self.inner.format_action(action)
    }

    fn within_boundary(&self, state: &SingleModelState) -> bool {
        self.inner.within_boundary(state)
            && (self.max_destroyed == 0
                || destroyed_ballots(self.config, state).len() <= self.max_destroyed)
            && round_cap(self.config, state).is_none()
    }
}

/// Decides the goal on `model` with the generic checker and keeps what a claim reports.
fn check_on<M>(
    model: &M,
    search: Search,
    goal: impl FnMut(&SingleModelState) -> bool,
) -> ClaimResult
where
    M: Model<State = SingleModelState, Action = SingleAction>,
{
    from_report(check_eventually_in(model, search, goal))
}

/// What a claim keeps of a liveness report.
fn from_report<M>(r: super::liveness::LivenessReport<M>) -> ClaimResult
where
    M: Model<State = SingleModelState, Action = SingleAction>,
{
    ClaimResult {
        name: "",
        unique_states: r.unique_states,
        edges: r.edges,
        max_depth: r.max_depth,
        frontier: r.frontier,
        goal_states: r.goal_states,
        verdict: r.verdict,
        bound_path: r.bound_path,
        passed: false,
        trace: Vec::new(),
        seconds: r.seconds,
        bytes_per_state: r.bytes_per_state,
        explorer_path: None,
    }
}

/// The explorer path of the result's counterexample or bound path (see
/// [`ClaimResult::explorer_path`]). Every action the wrappers allow is an action of the plain
/// model, so the path replays in the plain model's explorer.
fn explorer_path(model: &SingleModel, r: &ClaimResult) -> Option<String> {
    let steps: Vec<&(SingleModelState, Option<SingleAction>)> = match (&r.verdict, &r.bound_path) {
        (Verdict::HoldsUpToBound { .. }, Some(path)) => path.iter().collect(),
        (Verdict::Deadlock { path }, _) => path.iter().collect(),
        (Verdict::Livelock { stem, cycle }, _) => stem.iter().chain(cycle.iter()).collect(),
        _ => return None,
    };
    let init = steps.first()?.0.clone();
    let actions: Vec<SingleAction> = steps.iter().filter_map(|(_, a)| a.clone()).collect();
    let path = stateright::Path::from_actions(model, init, actions.iter())?;
    Some(path.encode(model))
}

/// Formats the actions of `path` as numbered lines starting at `first`.
fn numbered(
    model: &SingleModel,
    path: &[(SingleModelState, Option<SingleAction>)],
    first: usize,
    out: &mut Vec<String>,
) {
    let actions = path.iter().filter_map(|(_, a)| a.as_ref());
    for (k, a) in actions.enumerate() {
        out.push(format!("{}. {}", first + k, model.describe(a)));
    }
}

/// Which bound cut the bound path off, in words.
fn boundary(c: &Claim, bound_path: Option<&[(SingleModelState, Option<SingleAction>)]>) -> String {
    let last = bound_path.and_then(|p| p.last()).map(|(s, _)| s);
    match last {
        Some(s)
            if c.max_destroyed > 0 && destroyed_ballots(&c.config, s).len() > c.max_destroyed =>
        {
            format!(
                "{} ballots destroyed",
                destroyed_ballots(&c.config, s).len()
            )
        }
        Some(s) if round_cap(&c.config, s).is_some() => round_cap(&c.config, s).expect("checked"),
        Some(s) if c.config.max_ballots > 0 && s.history.prepares.len() > c.config.max_ballots => {
            format!(
                "{} ballots prepared (--max-ballots {})",
                s.history.prepares.len(),
                c.config.max_ballots
            )
        }
        _ => "outside the model's boundary".into(),
    }
}

/// The trace lines of a verdict (see [`ClaimResult::trace`]).
pub fn format_verdict(
    model: &SingleModel,
    cfg: &SingleConfig,
    verdict: &Verdict<SingleModelState, SingleAction>,
    bound_path: Option<&[(SingleModelState, Option<SingleAction>)]>,
    boundary: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    match verdict {
        Verdict::Holds => {}
        Verdict::HoldsUpToBound { .. } => {
            if let Some(path) = bound_path {
                numbered(model, path, 1, &mut out);
                if let Some((last, _)) = path.last() {
                    let destroyed = destroyed_ballots(cfg, last);
                    let chosen = last.history.chosen(cfg.acceptors);
                    out.push(format!(
                        "-- ballots that reached phase 2: {}; can no longer be chosen: {}; \
                         votes: {}; {} --",
                        list(
                            last.history
                                .proposals
                                .iter()
                                .map(|(b, v)| format!("{v}@{b}"))
                        ),
                        list(destroyed.iter().map(|(b, v)| format!("{v}@{b}"))),
                        list(
                            last.history
                                .votes
                                .iter()
                                .map(|(b, v, a)| format!("{v}@{b} by acceptor {a}"))
                        ),
                        if chosen.is_empty() {
                            "nothing chosen".to_string()
                        } else {
                            format!(
                                "chosen: {}",
                                list(chosen.iter().map(|(b, v)| format!("{v}@{b}")))
                            )
                        },
                    ));
                }
                out.push(format!("-- boundary: {boundary}, goal never reached --"));
            }
        }
        Verdict::Deadlock { path } => {
            numbered(model, path, 1, &mut out);
            out.push("-- deadlock: no step possible, goal never reached --".into());
        }
        Verdict::Livelock { stem, cycle } => {
            numbered(model, stem, 1, &mut out);
            out.push("-- cycle: the following steps repeat forever --".into());
            numbered(model, cycle, stem.len(), &mut out);
        }
    }
    out
}

fn list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
