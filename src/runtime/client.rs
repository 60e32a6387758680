//! Clients: running a client actor against a cluster until it is done, and `paxos status`.
//!
//! A client is a process outside the member list. [`run_client`] runs any client actor (the
//! protocol's own client, which the checker explores, or a small tool that is an actor too) on
//! the same event loop as a node, with the same envelope, authentication and fault injection,
//! until the actor's state says it is done, the time limit passes, or a signal arrives. What a
//! protocol's client programs (`paxos propose`, `paxos learn`) do with the final state is the
//! protocol's business (`src/single/programs.rs`).
//!
//! [`status`] asks every member for its counters; it is part of the runtime, not of any
//! protocol, and goes through the runtime's control messages.

use super::codec::{Body, ClusterKey, Codec, Control, Sender};
use super::config::{Membership, Timing};
use super::event_loop::{
    Counters, Endpoint, EventLoop, LoopOptions, NodeStats, Outcome, RuntimeError,
};
use super::faults::{FaultSpec, Faults};
use super::identity::Incarnation;
use super::protocol::{MemberRole, WireMsg};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::actor::Actor;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddrV4, UdpSocket};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use tracing::warn;

/// How a client reaches a cluster.
#[derive(Clone, Debug)]
pub struct ClientConfig<R> {
    /// The cluster.
    pub membership: Membership<R>,
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
    /// How long a program waits for a confirmation after its answer (single decree: `propose`
    /// waits this long for a majority of learners to know the decision).
    pub confirm: Duration,
}

/// A failed client run.
#[derive(Debug)]
pub enum ClientError {
    /// The socket could not be set up.
    Setup(String),
    /// No answer within the time limit.
    Timeout(Duration),
    /// Interrupted by a signal.
    Interrupted,
    /// The answers contradict each other: a safety violation, described.
    Violation(String),
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
            ClientError::Violation(what) => write!(f, "SAFETY VIOLATION: {what}"),
        }
    }
}

impl std::error::Error for ClientError {}

fn endpoint<R: MemberRole>(cfg: &ClientConfig<R>) -> Result<Endpoint, ClientError> {
    let socket = UdpSocket::bind(cfg.bind)
        .map_err(|e| ClientError::Setup(format!("cannot bind {}: {e}", cfg.bind)))?;
    Ok(Endpoint {
        socket,
        members: cfg.membership.addrs(),
        me: Sender::Client,
        codec: Codec::client(cfg.cluster_id, cfg.incarnation, cfg.key.clone()),
    })
}

fn options<R: MemberRole>(cfg: &ClientConfig<R>) -> LoopOptions {
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

/// How a client run ended.
#[derive(Clone, Debug)]
pub struct Finished<S> {
    /// The actor's final state.
    pub state: S,
    /// Whether `done` held (otherwise the time limit passed first).
    pub done: bool,
    /// From the start to the end of the run.
    pub elapsed: Duration,
    /// The client's counters.
    pub counters: Counters,
}

/// Runs the client `actor` until `done(state)` holds or `limit` passes (see the module docs);
/// a signal ends it with [`ClientError::Interrupted`].
pub fn run_client<R: MemberRole, A>(
    cfg: &ClientConfig<R>,
    actor: A,
    limit: Duration,
    stop: &AtomicBool,
    done: impl FnMut(&A::State) -> bool,
) -> Result<Finished<A::State>, ClientError>
where
    A: Actor,
    A::Msg: WireMsg,
    A::Storage: Serialize + DeserializeOwned,
{
    let ep = endpoint(cfg)?;
    let started = Instant::now();
    let mut lp = EventLoop::start(actor, ep, None, None, options(cfg)).map_err(setup_err)?;
    let outcome = lp
        .run(stop, Some(started + limit), done)
        .map_err(setup_err)?;
    let elapsed = started.elapsed();
    if outcome == Outcome::Stopped {
        return Err(ClientError::Interrupted);
    }
    Ok(Finished {
        state: lp.state().clone(),
        done: outcome == Outcome::Done,
        elapsed,
        counters: lp.counters(),
    })
}

/// A body type for decoding control datagrams only: an actor message never decodes as it.
#[derive(serde::Deserialize)]
enum Ignored {}

/// Asks every member for its counters (`paxos status`), again every retry period those that
/// did not answer, until all answered or the time limit passes; `None` for a member that did
/// not answer.
pub fn status<R: MemberRole>(
    cfg: &ClientConfig<R>,
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
            ep.codec.decode_any::<Ignored>(&buf[..n])
        else {
            continue;
        };
        if members.get(usize::from(i)) == Some(&src) && st.member == i {
            got.insert(src, *st);
        }
    }
    Ok(members.iter().map(|m| (*m, got.remove(m))).collect())
}
