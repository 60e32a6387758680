//! Clients: `propose` runs the model's client actor; `learn` asks the learners.
//!
//! [`propose`] drives the very [`Client`](crate::single::Client) actor the checker explores:
//! it proposes its value to one proposer, retries at the next proposer when its timer fires,
//! and, once a proposer answers `Decided(v)`, asks a learner (`Query`) to confirm. `v` is the
//! chosen value, which may be another client's.
//!
//! [`learn`] only reads: a small query tool (an actor too, so it runs on the same event loop
//! with the same envelope, authentication and fault injection) sends `Query` to every learner,
//! repeats it to those that did not answer, and reports the first value a learner knows. It is
//! not part of the protocol and holds no protocol decision.

use super::codec::{ClusterKey, Codec, Sender};
use super::config::{Membership, Timing};
use super::event_loop::{Counters, Endpoint, EventLoop, LoopOptions, Outcome, RuntimeError};
use super::faults::{FaultSpec, Faults};
use crate::single::{ClientPhase, Msg, SingleState, Timer, Value};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddrV4, UdpSocket};
use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use tracing::warn;

/// How a client reaches a cluster.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The cluster.
    pub membership: Membership,
    /// Its id on the wire.
    pub cluster_id: u64,
    /// Its key, if datagrams are authenticated.
    pub key: Option<ClusterKey>,
    /// Retry timers (`client_retry` is used).
    pub timing: Timing,
    /// Fault injection on this client's sends (tests only).
    pub faults: Option<FaultSpec>,
    /// Local address to bind (port 0: any free port).
    pub bind: SocketAddrV4,
    /// Overall time limit.
    pub timeout: Duration,
}

/// A failed client run.
#[derive(Debug)]
pub enum ClientError {
    /// The socket could not be set up.
    Setup(String),
    /// No decision within the time limit.
    Timeout(Duration),
    /// Interrupted by a signal.
    Interrupted,
    /// A learner reported a value other than the decided one (a safety violation).
    Disagreement {
        /// What the proposer said.
        decided: Value,
        /// What the learner said.
        learned: Value,
    },
    /// Learners reported different values (a safety violation).
    LearnersDisagree(Vec<(SocketAddrV4, Value)>),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Setup(e) => f.write_str(e),
            ClientError::Timeout(t) => write!(
                f,
                "no answer within {} ms: is a majority of the cluster running, and are \
                 --peers/--cluster and the cluster key the same as the nodes'?",
                t.as_millis()
            ),
            ClientError::Interrupted => f.write_str("interrupted"),
            ClientError::Disagreement { decided, learned } => write!(
                f,
                "SAFETY VIOLATION: a proposer said {decided} was decided, a learner says {learned}"
            ),
            ClientError::LearnersDisagree(v) => {
                let list: Vec<String> = v.iter().map(|(a, x)| format!("{a} says {x}")).collect();
                write!(
                    f,
                    "SAFETY VIOLATION: learners disagree: {}",
                    list.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ClientError {}

fn endpoint(cfg: &ClientConfig) -> Result<Endpoint, ClientError> {
    let socket = UdpSocket::bind(cfg.bind)
        .map_err(|e| ClientError::Setup(format!("cannot bind {}: {e}", cfg.bind)))?;
    Ok(Endpoint {
        socket,
        members: cfg.membership.addrs(),
        me: Sender::Client,
        codec: Codec::new(cfg.cluster_id, cfg.key.clone()),
    })
}

fn options(cfg: &ClientConfig) -> LoopOptions {
    let faults = cfg.faults.clone().map(Faults::new);
    if let Some(f) = &faults {
        warn!(spec = %f.spec(), seed = f.seed(), "FAULT INJECTION IS ON for this client's messages");
    }
    LoopOptions {
        stats_interval: None,
        faults,
        ..LoopOptions::default()
    }
}

fn setup_err(e: RuntimeError) -> ClientError {
    ClientError::Setup(e.to_string())
}

/// The result of a proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposed {
    /// The chosen value (maybe another client's).
    pub decided: Value,
    /// What the asked learner said (`None`: not asked, or no learner answered in time).
    pub learned: Option<Value>,
    /// From the first send to `Decided`.
    pub latency: Duration,
    /// The client's counters.
    pub counters: Counters,
}

/// Proposes `value` (to proposer number `first` first) and waits for the decision; with
/// `query`, then asks a learner to confirm it.
pub fn propose(
    cfg: &ClientConfig,
    value: Value,
    first: usize,
    query: bool,
    stop: &AtomicBool,
) -> Result<Proposed, ClientError> {
    let ep = endpoint(cfg)?;
    let actor = cfg.membership.client(value, first, query, &cfg.timing);
    let started = Instant::now();
    let deadline = started + cfg.timeout;
    let mut lp = EventLoop::start(actor, ep, None, None, options(cfg)).map_err(setup_err)?;
    let phase = |s: &SingleState| s.client().expect("a client").phase.clone();
    let outcome = lp
        .run(stop, Some(deadline), |s| phase(s) != ClientPhase::Proposing)
        .map_err(setup_err)?;
    let latency = started.elapsed();
    match outcome {
        Outcome::Stopped => return Err(ClientError::Interrupted),
        Outcome::DeadlineReached => return Err(ClientError::Timeout(cfg.timeout)),
        Outcome::Done => {}
    }
    let outcome = lp
        .run(stop, Some(deadline), |s| {
            matches!(phase(s), ClientPhase::Done(..))
        })
        .map_err(setup_err)?;
    if outcome == Outcome::Stopped {
        return Err(ClientError::Interrupted);
    }
    let (decided, learned) = match phase(lp.state()) {
        ClientPhase::Done(v, r) => (v, r),
        ClientPhase::Reading(v) => (v, None),
        ClientPhase::Proposing => unreachable!("the first run ended after Proposing"),
    };
    if let Some(l) = learned.filter(|l| *l != decided) {
        return Err(ClientError::Disagreement {
            decided,
            learned: l,
        });
    }
    Ok(Proposed {
        decided,
        learned,
        latency,
        counters: lp.counters(),
    })
}

/// The query tool: asks every learner until one knows or all answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryTool {
    /// The learners.
    pub learners: Vec<Id>,
    /// How long to wait before asking again.
    pub retry: Range<Duration>,
}

/// Answers so far, by learner.
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
            if self.learners.contains(&src) && state.answers.get(&src) != Some(&v) {
                state.to_mut().answers.insert(src, v);
            }
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<QueryState>, _t: &Timer, o: &mut Out<Self>) {
        for l in &self.learners {
            if !state.answers.contains_key(l) {
                o.send(*l, Msg::Query);
            }
        }
        o.set_timer(Timer::ClientRetry, self.retry.clone());
    }
}

/// What the learners said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learned {
    /// The decided value, if a learner knows it.
    pub value: Option<Value>,
    /// Learners that answered.
    pub answered: usize,
    /// Learners asked.
    pub asked: usize,
}

/// Asks the learners what is decided.
pub fn learn(cfg: &ClientConfig, stop: &AtomicBool) -> Result<Learned, ClientError> {
    let learners = cfg.membership.learners();
    let actor = QueryTool {
        learners: learners.clone(),
        retry: cfg.timing.client_retry.clone(),
    };
    let ep = endpoint(cfg)?;
    let mut lp = EventLoop::start(actor, ep, None, None, options(cfg)).map_err(setup_err)?;
    let n = learners.len();
    let outcome = lp
        .run(stop, Some(Instant::now() + cfg.timeout), |s| {
            s.answers.len() == n || s.answers.values().any(Option::is_some)
        })
        .map_err(setup_err)?;
    if outcome == Outcome::Stopped {
        return Err(ClientError::Interrupted);
    }
    let answers = &lp.state().answers;
    if answers.is_empty() {
        return Err(ClientError::Timeout(cfg.timeout));
    }
    let known: Vec<(SocketAddrV4, Value)> = answers
        .iter()
        .filter_map(|(id, v)| v.map(|v| (SocketAddrV4::from(*id), v)))
        .collect();
    if known.iter().any(|(_, v)| *v != known[0].1) {
        return Err(ClientError::LearnersDisagree(known));
    }
    Ok(Learned {
        value: known.first().map(|(_, v)| *v),
        answered: answers.len(),
        asked: n,
    })
}
