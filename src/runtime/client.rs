//! Clients: `propose` runs the model's client actor; `learn` asks the learners; `status` asks
//! the nodes for their counters.
//!
//! [`propose`] drives the very [`Client`](crate::single::Client) actor the checker explores:
//! it proposes its value to one proposer and retries at the next proposer when its timer fires
//! until one answers `Decided(v)`; `v` is the chosen value, which may be another client's. It
//! then confirms the decision with a **majority of the learners**, so that a printed decision
//! is one that most learners already know.
//!
//! [`learn`] only reads: a small query tool (an actor too, so it runs on the same event loop
//! with the same envelope, authentication and fault injection) sends `Query` to **every**
//! learner and repeats it to those that did not answer or did not know yet (a query to a node
//! whose proposer decided makes it announce the decision again, the learners' catch-up), until
//! every learner knows, every learner answered that it does not know, or the time limit passes.
//! Learners that disagree are a safety violation and reported as one. It is not part of the
//! protocol and holds no protocol decision.

use super::codec::{Body, ClusterKey, Codec, Control, Sender};
use super::config::{Membership, Timing};
use super::event_loop::{
    Counters, Endpoint, EventLoop, LoopOptions, NodeStats, Outcome, RuntimeError,
};
use super::faults::{FaultSpec, Faults};
use super::identity::Incarnation;
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
    /// Its incarnation.
    pub incarnation: Incarnation,
    /// The client key (`None`: `--insecure`).
    pub key: Option<ClusterKey>,
    /// Retry timers (`client_retry` is used).
    pub timing: Timing,
    /// Fault injection on this client's sends (tests only).
    pub faults: Option<FaultSpec>,
    /// Local address to bind (port 0: any free port).
    pub bind: SocketAddrV4,
    /// Overall time limit.
    pub timeout: Duration,
    /// How long `propose` waits for a majority of learners to confirm a decision.
    pub confirm: Duration,
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
        codec: Codec::client(cfg.cluster_id, cfg.incarnation, cfg.key.clone()),
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
    cfg: &ClientConfig,
    value: Value,
    first: usize,
    confirm: bool,
    stop: &AtomicBool,
) -> Result<Proposed, ClientError> {
    let ep = endpoint(cfg)?;
    let actor = cfg.membership.client(value, first, false, &cfg.timing);
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
    let ClientPhase::Done(decided, _) = phase(lp.state()) else {
        unreachable!("a client without learners is done once it has the decision")
    };
    let counters = lp.counters();
    drop(lp);
    let confirmation = if confirm {
        let majority = cfg.membership.learners().len() / 2 + 1;
        let l = ask_learners(cfg, cfg.confirm, stop, |answers| {
            answers.values().filter(|a| **a == Some(decided)).count() >= majority
        })?;
        if let Some((_, LearnerAnswer::Knows(other))) = l
            .answers
            .iter()
            .find(|(_, a)| matches!(a, LearnerAnswer::Knows(v) if *v != decided))
        {
            return Err(ClientError::Disagreement {
                decided,
                learned: *other,
            });
        }
        Some(l)
    } else {
        None
    };
    Ok(Proposed {
        decided,
        confirmation,
        latency,
        counters,
    })
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
    cfg: &ClientConfig,
    limit: Duration,
    stop: &AtomicBool,
    mut enough: impl FnMut(&BTreeMap<Id, Option<Value>>) -> bool,
) -> Result<Learned, ClientError> {
    let learners = cfg.membership.learners();
    let actor = QueryTool {
        learners: learners.clone(),
        retry: cfg.timing.client_retry.clone(),
    };
    let ep = endpoint(cfg)?;
    let mut lp = EventLoop::start(actor, ep, None, None, options(cfg)).map_err(setup_err)?;
    let outcome = lp
        .run(stop, Some(Instant::now() + limit), |s| enough(&s.answers))
        .map_err(setup_err)?;
    if outcome == Outcome::Stopped {
        return Err(ClientError::Interrupted);
    }
    let answers = &lp.state().answers;
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
pub fn learn(cfg: &ClientConfig, stop: &AtomicBool) -> Result<Learned, ClientError> {
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
    if known.iter().any(|(_, v)| *v != known[0].1) {
        return Err(ClientError::LearnersDisagree(known));
    }
    Ok(l)
}

/// Asks every member for its counters (`paxos status`), again every retry period those that
/// did not answer, until all answered or the time limit passes; `None` for a member that did
/// not answer.
pub fn status(
    cfg: &ClientConfig,
    stop: &AtomicBool,
) -> Result<Vec<(SocketAddrV4, Option<NodeStats>)>, ClientError> {
    use std::sync::atomic::Ordering;
    let ep = endpoint(cfg)?;
    let members = cfg.membership.addrs();
    let mut got: BTreeMap<SocketAddrV4, NodeStats> = BTreeMap::new();
    let req = ep
        .codec
        .encode_control(Sender::Client, true, &Control::StatsRequest);
    ep.socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .map_err(|e| ClientError::Setup(e.to_string()))?;
    let deadline = Instant::now() + cfg.timeout;
    let mut next_send = Instant::now();
    let mut buf = vec![0u8; 65_536];
    while got.len() < members.len() && Instant::now() < deadline {
        if stop.load(Ordering::Relaxed) {
            return Err(ClientError::Interrupted);
        }
        if Instant::now() >= next_send {
            for m in members.iter().filter(|m| !got.contains_key(m)) {
                let _ = ep.socket.send_to(&req, m);
            }
            next_send = Instant::now() + cfg.timing.client_retry.start;
        }
        let Ok((n, std::net::SocketAddr::V4(src))) = ep.socket.recv_from(&mut buf) else {
            continue;
        };
        let Ok((Sender::Member(i), Body::Control(Control::Stats(st)))) =
            ep.codec.decode_any::<Msg>(&buf[..n])
        else {
            continue;
        };
        if members.get(usize::from(i)) == Some(&src) && st.member == i {
            got.insert(src, *st);
        }
    }
    Ok(members.iter().map(|m| (*m, got.remove(m))).collect())
}
