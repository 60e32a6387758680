//! The liveness claims of Multi-Paxos (`paxos liveness multi --claim ...`), decided by the
//! sound checker of [`crate::models::liveness`] on the model under an explicit assumption.
//!
//! # The assumption: after stabilisation, with heartbeats as a failure detector
//!
//! [`ClaimModel`] restricts the Multi-Paxos model to the runs a partially synchronous system
//! has after its stabilisation time:
//!
//! 1. **No loss, no recovery**; the only failure is the crash of the first leader, `R0`, at any
//!    moment, in the claim that allows it (`leader-crash`): a majority stays up.
//! 2. **Timeouts are longer than message delays**: a timer fires only in a state where no
//!    message can be delivered.
//! 3. **Heartbeats detect a dead leader, and only a dead one**: a replica's election timer
//!    fires only when no live replica leads. (In a run, a live leader's heartbeats re-arm every
//!    follower's timer; the model has no heartbeats on this network, so the assumption says
//!    what they achieve.)
//! 4. **The election timeout is shorter than the clients' retry timeout**: a client's timer
//!    fires only when no election timer may.
//!
//! Nothing else is constrained: deliveries happen in any order, and every goal-free cycle is a
//! counterexample (no fairness). Exploration stops where the goal holds.
//!
//! # Bounds, as cuts
//!
//! A state is cut off (a frontier state: "holds up to the bound", never "holds") where a bound
//! removes behaviour: an election timer may fire (by the assumption) at a replica that has
//! used its last round (`max_round`), or a leader has a command queued, room in its window and
//! no slot left (`max_slots`), or a client would retry (by the assumption) but has used its
//! retries (`max_retries`).

use super::*;
use crate::models::claim_report::{ClaimReport, Claimable};
use crate::models::claims::ClaimOptions;
use crate::models::liveness::{check_eventually_in, Verdict};
use crate::multi::Phase;
use std::io::{self, Write};

/// A liveness claim of Multi-Paxos.
#[derive(Clone, Debug)]
pub struct MultiClaim {
    /// Its name.
    pub name: &'static str,
    /// What is claimed, in one sentence.
    pub description: &'static str,
    /// The model.
    pub config: MultiConfig,
    /// Whether `R0` may crash (once, for good).
    pub crash_leader: bool,
    /// The expected verdict, as the checker names it: `holds`, `holds up to the bound`,
    /// `violated (deadlock)` or `violated (livelock)`.
    pub expect: &'static str,
}

/// The shipped claims.
pub fn claims() -> Vec<MultiClaim> {
    vec![
        MultiClaim {
            name: "stable-leader",
            description: "with one stable leader and no failure, every client operation \
                          completes",
            config: MultiConfig::named("two-ops").expect("exists"),
            crash_leader: false,
            expect: "holds",
        },
        MultiClaim {
            name: "leader-crash",
            description: "when the leader crashes at any moment and a majority stays up, every \
                          client operation completes (after a crash with work pending, only a \
                          new leader can complete it)",
            config: leader_crash_config(),
            crash_leader: true,
            expect: "holds",
        },
    ]
}

/// The model of the claim `leader-crash`: `leader-change` with two clients, three slots (a
/// new leader may need one more than the old used) and one crash.
pub fn leader_crash_config() -> MultiConfig {
    MultiConfig {
        ops: workload(2, 1),
        max_slots: 3,
        max_crashes: 1,
        ..MultiConfig::named("leader-change").expect("exists")
    }
}

/// Every client got an answer to every operation.
pub fn all_done(m: &MultiModel, s: &MultiModelState) -> bool {
    m.clients(s)
        .all(|(i, c)| c.done as usize == m.cfg.ops[i].len())
}

/// The model of a claim: the Multi-Paxos model under the assumption of the module docs,
/// stopped where the goal holds and cut at the bounds.
#[derive(Clone)]
pub struct ClaimModel {
    /// The Multi-Paxos model.
    pub inner: MultiModel,
    /// Whether `R0` may crash.
    pub crash_leader: bool,
}

impl ClaimModel {
    fn leads(&self, s: &MultiModelState) -> bool {
        self.inner
            .live_replicas(s)
            .any(|(_, r)| matches!(r.leader.phase, Phase::Leading { .. }))
    }

    /// The actions the assumption allows (before the goal and the bounds).
    fn allowed(&self, s: &MultiModelState) -> Vec<MultiAction> {
        let mut all = Vec::new();
        self.inner.actions(s, &mut all);
        all.retain(|a| match a {
            ActorModelAction::Drop(_) | ActorModelAction::Recover(_) => false,
            ActorModelAction::Crash(id) => self.crash_leader && usize::from(*id) == 0,
            _ => true,
        });
        let deliverable = all.iter().any(|a| {
            matches!(a, ActorModelAction::Deliver { .. })
                && self.inner.next_state(s, a.clone()).is_some()
        });
        if deliverable {
            all.retain(|a| !matches!(a, ActorModelAction::Timeout(..)));
            return all;
        }
        let leads = self.leads(s);
        all.retain(|a| !matches!(a, ActorModelAction::Timeout(_, Timer::Election) if leads));
        let election = all
            .iter()
            .any(|a| matches!(a, ActorModelAction::Timeout(_, Timer::Election)));
        all.retain(|a| !matches!(a, ActorModelAction::Timeout(_, Timer::ClientRetry) if election));
        all
    }

    /// Which bound cuts `s` off, if one does.
    pub fn cut(&self, s: &MultiModelState) -> Option<String> {
        let cfg = &self.inner.cfg;
        let allowed = self.allowed(s);
        let waits_for_client = !allowed.iter().any(|a| match a {
            ActorModelAction::Deliver { .. } => self.inner.next_state(s, a.clone()).is_some(),
            ActorModelAction::Timeout(_, Timer::Election) => true,
            _ => false,
        });
        if cfg.client_retry && waits_for_client {
            for (i, c) in self.inner.clients(s) {
                if (c.done as usize) < cfg.ops[i].len() && c.retries >= cfg.max_retries {
                    return Some(format!(
                        "C{i} would retry, but has used its retries (max_retries {})",
                        cfg.max_retries
                    ));
                }
            }
        }
        for a in allowed {
            if let ActorModelAction::Timeout(id, Timer::Election) = a {
                let i = usize::from(id);
                if let Some(r) = s.actor_states[i].replica() {
                    if r.leader.round >= cfg.max_round {
                        return Some(format!(
                            "R{i} would stand for leader, but has used its last round \
                             (max_round {})",
                            cfg.max_round
                        ));
                    }
                }
            }
        }
        for (i, r) in self.inner.live_replicas(s) {
            if let Phase::Leading { next, inflight, .. } = &r.leader.phase {
                if !r.leader.queue.is_empty()
                    && inflight.len() < cfg.window
                    && *next >= cfg.max_slots
                {
                    return Some(format!(
                        "R{i} has a command queued but no slot left (max_slots {})",
                        cfg.max_slots
                    ));
                }
            }
        }
        None
    }
}

impl Model for ClaimModel {
    type State = MultiModelState;
    type Action = MultiAction;

    fn init_states(&self) -> Vec<MultiModelState> {
        self.inner.init_states()
    }

    fn actions(&self, s: &MultiModelState, actions: &mut Vec<MultiAction>) {
        if !all_done(&self.inner, s) {
            actions.extend(self.allowed(s));
        }
    }

    fn next_state(&self, s: &MultiModelState, a: MultiAction) -> Option<MultiModelState> {
        self.inner.next_state(s, a)
    }

    fn format_action(&self, a: &MultiAction) -> String {
        self.inner.describe(a)
    }

    fn within_boundary(&self, s: &MultiModelState) -> bool {
        all_done(&self.inner, s) || self.cut(s).is_none()
    }
}

impl MultiClaim {
    /// The claim with a seeded bug (to see the claim fail).
    pub fn with_bug(mut self, bug: Bug) -> MultiClaim {
        self.config.bug = bug;
        self
    }

    fn model(&self) -> ClaimModel {
        ClaimModel {
            inner: MultiModel::new(self.config.clone()),
            crash_leader: self.crash_leader,
        }
    }

    fn assumption(&self) -> &'static str {
        if self.crash_leader {
            "after-stabilisation-leader-crash"
        } else {
            "after-stabilisation"
        }
    }
}

impl Claimable for MultiClaim {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn expected(&self) -> &'static str {
        self.expect
    }

    fn print_header(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "Liveness of Multi-Paxos, claim `{}`", self.name)?;
        writeln!(w, "  model:      {}", self.config.summary())?;
        writeln!(
            w,
            "  assumption: no loss, no recovery{}; a timer fires only when no message can be \
             delivered; an election timer only when no live replica leads; a client's only \
             when no election timer may (models/multi/claims.rs)",
            if self.crash_leader {
                "; R0 (the first leader) may crash once, at any moment"
            } else {
                ", no crash"
            }
        )?;
        writeln!(
            w,
            "  goal:       on every path, every client operation completes"
        )?;
        writeln!(
            w,
            "  bounds:     cut where a replica would need a round above {} or a command a slot \
             at or above {} or a client a retry above {}",
            self.config.max_round, self.config.max_slots, self.config.max_retries
        )?;
        writeln!(w, "  expected:   {}", self.expect)
    }

    fn check(&self, opts: ClaimOptions) -> ClaimReport {
        let model = self.model();
        let r = check_eventually_in(&model, opts.search, |s| all_done(&model.inner, s));
        let steps: Vec<&(MultiModelState, Option<MultiAction>)> = match (&r.verdict, &r.bound_path)
        {
            (Verdict::HoldsUpToBound { .. }, Some(p)) => p.iter().collect(),
            (Verdict::Deadlock { path }, _) => path.iter().collect(),
            (Verdict::Livelock { stem, cycle }, _) => stem.iter().chain(cycle.iter()).collect(),
            _ => Vec::new(),
        };
        let mut trace: Vec<String> = steps
            .iter()
            .filter_map(|(_, a)| a.as_ref())
            .enumerate()
            .map(|(k, a)| format!("{}. {}", k + 1, model.inner.describe(a)))
            .collect();
        if let Some((last, _)) = steps.last() {
            match &r.verdict {
                Verdict::Livelock { stem, .. } => trace.insert(
                    stem.iter().filter(|(_, a)| a.is_some()).count(),
                    "-- the cycle, repeated forever: --".into(),
                ),
                Verdict::Deadlock { .. } => trace.push("-- no step possible --".into()),
                _ => trace.push(format!(
                    "-- cut: {} --",
                    model.cut(last).unwrap_or_else(|| "bound".into())
                )),
            }
            trace.push("logs at the end:".into());
            trace.extend(model.inner.logs(last).into_iter().map(|l| format!("  {l}")));
        }
        let passed = r.verdict.name() == self.expect;
        ClaimReport {
            model: "multi",
            claim: self.name,
            config: serde_json::to_value(&self.config).expect("a configuration serializes"),
            assumption: self.assumption(),
            goal: "every client operation completes",
            max_destroyed: 0,
            expected: self.expect,
            verdict: r.verdict.name(),
            passed,
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
            violation: r.verdict.is_violation(),
            trace: (!trace.is_empty()).then_some(trace),
            explorer_path: None,
        }
    }
}
