//! The client programs of a deployed single-decree cluster: `paxos propose` and `paxos learn`.
//!
//! [`propose`] drives the very [`Client`] actor the checker explores: it proposes its value to
//! one proposer and retries at the next proposer when its timer fires until one answers
//! `Decided(v)`; `v` is the chosen value, which may be another client's. It then confirms the
//! decision with a **majority of the learners**, so that a printed decision is one that most
//! learners already know.
//!
//! [`learn`] only reads: a small query tool (an actor too, so it runs on the same event loop
//! with the same envelope, authentication and fault injection) sends `Query` to **every**
//! learner and repeats it to those that did not answer or did not know yet (a query to a node
//! whose proposer decided makes it announce the decision again, the learners' catch-up), until
//! every learner knows, every learner answered that it does not know, or the time limit passes.
//! Learners that disagree are a safety violation and reported as one. The query tool is not
//! part of the protocol, holds no protocol decision, and is not explored by the checker.

use super::deploy::Membership;
use super::{Client, ClientPhase, Msg, SingleActor, SingleState, Timer, Value};
use crate::runtime::client::{run_client, ClientConfig, ClientError};
use crate::runtime::config::Timing;
use crate::runtime::event_loop::Counters;
use itertools::Itertools;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How a single-decree client reaches its cluster.
pub type SingleClientConfig = ClientConfig<super::deploy::Role>;

/// The model's client actor for this cluster: proposes `value` to the proposers starting with
/// number `first`, and (when `query`) asks a learner once it knows the decision.
pub fn client_actor(
    membership: &Membership,
    value: Value,
    first: usize,
    query: bool,
    timing: &Timing,
) -> SingleActor {
    SingleActor::Client(Client {
        value,
        proposers: membership.proposers(),
        learners: if query {
            membership.learners()
        } else {
            Vec::new()
        },
        first,
        retry: Some(timing.client_retry.clone()),
    })
}

/// The result of a proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposed {
    /// The chosen value (maybe another client's).
    pub decided: Value,
    /// What the learners said when asked to confirm (`None`: not asked).
    pub confirmation: Option<Learned>,
    /// From the first send to `Decided`.
    pub latency: Duration,
    /// The client's counters.
    pub counters: Counters,
}

impl Proposed {
    /// How many learners confirmed the decided value.
    pub fn confirmed(&self) -> usize {
        self.confirmation.as_ref().map_or(0, |l| {
            l.answers
                .iter()
                .filter(|(_, a)| *a == LearnerAnswer::Knows(self.decided))
                .count()
        })
    }
}

/// Proposes `value` (to proposer number `first` first) and waits for the decision; with
/// `confirm`, then asks every learner until a majority knows it (see the module docs).
pub fn propose(
    cfg: &SingleClientConfig,
    value: Value,
    first: usize,
    confirm: bool,
    stop: &AtomicBool,
) -> Result<Proposed, ClientError> {
    let actor = client_actor(&cfg.membership, value, first, false, &cfg.timing);
    let phase = |s: &SingleState| s.client().expect("a client").phase.clone();
    let run = run_client(cfg, actor, cfg.timeout, stop, |s| {
        phase(s) != ClientPhase::Proposing
    })?;
    if !run.done {
        return Err(ClientError::Timeout(cfg.timeout));
    }
    let ClientPhase::Done(decided, _) = phase(&run.state) else {
        unreachable!("a client without learners is done once it has the decision")
    };
    let confirmation = if confirm {
        Some(confirm_decision(cfg, decided, stop)?)
    } else {
        None
    };
    Ok(Proposed {
        decided,
        confirmation,
        latency: run.elapsed,
        counters: run.counters,
    })
}

/// Asks the learners until a majority knows `decided`; one that knows another value is a
/// safety violation.
fn confirm_decision(
    cfg: &SingleClientConfig,
    decided: Value,
    stop: &AtomicBool,
) -> Result<Learned, ClientError> {
    let majority = cfg.membership.learners().len() / 2 + 1;
    let l = ask_learners(cfg, cfg.confirm, stop, |answers| {
        answers.values().filter(|a| **a == Some(decided)).count() >= majority
    })?;
    if let Some((_, LearnerAnswer::Knows(other))) = l
        .answers
        .iter()
        .find(|(_, a)| matches!(a, LearnerAnswer::Knows(v) if *v != decided))
    {
        return Err(ClientError::Violation(format!(
            "a proposer said {decided} was decided, a learner says {other}"
        )));
    }
    Ok(l)
}

/// The query tool: asks every learner, again and again those that did not answer or did not
/// know yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryTool {
    /// The learners.
    pub learners: Vec<Id>,
    /// How long to wait before asking again.
    pub retry: Range<Duration>,
}

/// Answers so far, by learner (the latest answer of each).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryState {
    /// Each answering learner's answer.
    pub answers: BTreeMap<Id, Option<Value>>,
}

impl Actor for QueryTool {
    type Msg = Msg;
    type State = QueryState;
    type Timer = Timer;
    type Random = ();
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> QueryState {
        for l in &self.learners {
            o.send(*l, Msg::Query);
        }
        o.set_timer(Timer::ClientRetry, self.retry.clone());
        QueryState::default()
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<QueryState>, src: Id, msg: Msg, _o: &mut Out<Self>) {
        if let Msg::Learned(v) = msg {
            // A learner's value never changes once known (stability), so a late `None` after
            // a value is an old datagram: keep the value.
            let known = state.answers.get(&src).copied().flatten();
            if self.learners.contains(&src)
                && known.is_none()
                && state.answers.get(&src) != Some(&v)
            {
                state.to_mut().answers.insert(src, v);
            }
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<QueryState>, _t: &Timer, o: &mut Out<Self>) {
        for l in &self.learners {
            if state.answers.get(l).copied().flatten().is_none() {
                o.send(*l, Msg::Query);
            }
        }
        o.set_timer(Timer::ClientRetry, self.retry.clone());
    }
}

/// One learner's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnerAnswer {
    /// It knows the decided value.
    Knows(Value),
    /// It answered that it does not know yet.
    DoesNotKnow,
    /// It did not answer in time.
    NoAnswer,
}

/// What the learners said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learned {
    /// Every learner's answer, in member order.
    pub answers: Vec<(SocketAddrV4, LearnerAnswer)>,
}

impl Learned {
    /// The decided value, if a learner knows it (all that know agree, or [`learn`] failed).
    pub fn value(&self) -> Option<Value> {
        self.answers.iter().find_map(|(_, a)| match a {
            LearnerAnswer::Knows(v) => Some(*v),
            _ => None,
        })
    }

    /// Learners that answered at all.
    pub fn answered(&self) -> usize {
        self.answers
            .iter()
            .filter(|(_, a)| *a != LearnerAnswer::NoAnswer)
            .count()
    }
}

/// Asks every learner until `enough(answers)` holds or `limit` passes.
fn ask_learners(
    cfg: &SingleClientConfig,
    limit: Duration,
    stop: &AtomicBool,
    mut enough: impl FnMut(&BTreeMap<Id, Option<Value>>) -> bool,
) -> Result<Learned, ClientError> {
    let learners = cfg.membership.learners();
    let actor = QueryTool {
        learners: learners.clone(),
        retry: cfg.timing.client_retry.clone(),
    };
    let run = run_client(cfg, actor, limit, stop, |s| enough(&s.answers))?;
    let answers = &run.state.answers;
    Ok(Learned {
        answers: learners
            .iter()
            .map(|l| {
                let a = match answers.get(l) {
                    Some(Some(v)) => LearnerAnswer::Knows(*v),
                    Some(None) => LearnerAnswer::DoesNotKnow,
                    None => LearnerAnswer::NoAnswer,
                };
                (SocketAddrV4::from(*l), a)
            })
            .collect(),
    })
}

/// Asks every learner what is decided (see the module docs); learners that disagree are an
/// error.
pub fn learn(cfg: &SingleClientConfig, stop: &AtomicBool) -> Result<Learned, ClientError> {
    let n = cfg.membership.learners().len();
    let l = ask_learners(cfg, cfg.timeout, stop, |answers| {
        answers.len() == n
            && (answers.values().all(Option::is_some) || answers.values().all(Option::is_none))
    })?;
    if l.answered() == 0 {
        return Err(ClientError::Timeout(cfg.timeout));
    }
    let known: Vec<(SocketAddrV4, Value)> = l
        .answers
        .iter()
        .filter_map(|(a, x)| match x {
            LearnerAnswer::Knows(v) => Some((*a, *v)),
            _ => None,
        })
        .collect();
    if !known.iter().map(|(_, v)| v).all_equal() {
        return Err(ClientError::Violation(format!(
            "learners disagree: {}",
            known
                .iter()
                .format_with(", ", |(a, x), f| f(&format_args!("{a} says {x}")))
        )));
    }
    Ok(l)
}
