//! A node process: lock the data directory, load the record, bind, run until a signal.
//!
//! The start-up order is deliberate. The data directory is locked, its identity checked and the
//! record loaded *before* the socket is bound, so a node whose record is corrupt (or whose
//! directory another node holds, or belongs to another member, member list or incarnation)
//! never answers a single datagram. Once bound, the node prints one line on standard output,
//! `paxos node I (ROLE) listening on ADDR ...`, which scripts and tests wait for; everything
//! else goes to the log (standard error).
//!
//! Initialisation (`paxos node --init`) is a separate act that creates the member's storage
//! and exits: a plain start never creates storage, so a mistyped or wiped data directory is a
//! start-up error, never an acceptor that forgot its promises.

use super::codec::{Codec, Keys, Sender};
use super::config::{Membership, Timing};
use super::event_loop::{Counters, Endpoint, EventLoop, LoopOptions, RuntimeError};
use super::faults::{FaultSpec, Faults};
use super::identity::{Identity, Incarnation};
use super::protocol::{Deploy, MemberRole};
use super::storage::{DataDir, RecordStore, StorageError};
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddrV4, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracing::{info, info_span, warn};

/// Everything a node needs.
#[derive(Clone, Debug)]
pub struct NodeConfig<R> {
    /// The cluster.
    pub membership: Membership<R>,
    /// This node's index in the member list.
    pub index: usize,
    /// Where its record lives.
    pub data_dir: PathBuf,
    /// Retry timers.
    pub timing: Timing,
    /// The cluster id on the wire.
    pub cluster_id: u64,
    /// The cluster's incarnation, when given (`--incarnation` or the cluster file): required
    /// to initialise, compared with the recorded one at a start.
    pub incarnation: Option<Incarnation>,
    /// The member and client keys (`None`: `--insecure`).
    pub keys: Option<Keys>,
    /// Fault injection (tests only).
    pub faults: Option<FaultSpec>,
    /// Period of the counters log line.
    pub stats_interval: Duration,
}

impl<R: MemberRole> NodeConfig<R> {
    /// The identity this node is started with (the incarnation is a placeholder when none was
    /// given).
    pub fn identity(&self) -> Identity {
        Identity {
            cluster_id: self.cluster_id,
            incarnation: self.incarnation.unwrap_or_default(),
            index: self.index,
            members: self.membership.member_lines(),
        }
    }
}

/// Why a node stopped with an error.
#[derive(Debug)]
pub enum NodeError {
    /// The data directory or the record cannot be used.
    Storage(StorageError),
    /// Initialisation failed.
    Init(StorageError),
    /// Initialisation needs the cluster's incarnation.
    NoIncarnation,
    /// The node's address cannot be bound.
    Bind {
        /// The address.
        addr: SocketAddrV4,
        /// The error.
        err: io::Error,
    },
    /// A fatal error while running.
    Runtime(RuntimeError),
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::Storage(e) => write!(f, "cannot start: {e}"),
            NodeError::Init(e) => write!(f, "{e}"),
            NodeError::NoIncarnation => f.write_str(
                "cannot initialise: the cluster's incarnation is needed (a cluster file with an \
                 `incarnation` line, as `paxos new-cluster` writes, or --incarnation HEX); every \
                 member of one cluster is initialised with the same one",
            ),
            NodeError::Bind { addr, err } => write!(f, "cannot start: cannot bind {addr}: {err}"),
            NodeError::Runtime(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NodeError {}

/// `paxos node --init`: creates member `cfg.index`'s storage (see the module docs).
pub fn init_node<D: Deploy>(cfg: &NodeConfig<D::Role>) -> Result<(), NodeError> {
    let incarnation = cfg.incarnation.ok_or(NodeError::NoIncarnation)?;
    let identity = Identity {
        incarnation,
        ..cfg.identity()
    };
    DataDir::<D::Store>::init_as(&cfg.data_dir, &identity).map_err(NodeError::Init)?;
    println!(
        "paxos node {} initialised {} (cluster id {:#018x}, incarnation {incarnation}); start it \
         with the same flags, without --init",
        cfg.index,
        cfg.data_dir.display(),
        cfg.cluster_id
    );
    Ok(())
}

/// Runs member `cfg.index` of protocol `D` until `stop` is raised; returns its final counters.
pub fn run_node<D: Deploy>(
    cfg: &NodeConfig<D::Role>,
    stop: &AtomicBool,
) -> Result<Counters, NodeError> {
    let me = cfg.membership.members[cfg.index];
    let _span = info_span!("node", id = cfg.index).entered();
    let dir =
        DataDir::<D::Store>::open_as(&cfg.data_dir, &cfg.identity(), cfg.incarnation.is_some())
            .map_err(NodeError::Storage)?;
    let incarnation = dir.identity().incarnation;
    let stored: Option<D::Record> = dir.load().map_err(NodeError::Storage)?;
    match &stored {
        Some(s) => info!(record = ?s, file = %dir.storage_path().display(), "restored"),
        None => info!(dir = %dir.path().display(), "nothing saved since initialisation"),
    }
    let socket = UdpSocket::bind(me.addr).map_err(|err| NodeError::Bind { addr: me.addr, err })?;
    let faults = cfg.faults.clone().map(Faults::new);
    if let Some(f) = &faults {
        warn!(
            spec = %f.spec(),
            seed = f.seed(),
            "FAULT INJECTION IS ON: this node drops, duplicates and delays its own messages on purpose"
        );
    }
    if cfg.keys.is_none() {
        warn!("INSECURE: --insecure given, datagrams are not authenticated");
    }
    let actor = D::member_actor(&cfg.membership, cfg.index, &cfg.timing);
    let ep = Endpoint {
        socket,
        members: cfg.membership.addrs(),
        me: Sender::Member(cfg.index as u16),
        codec: Codec::member(cfg.cluster_id, incarnation, cfg.keys.clone()),
    };
    let authenticated = ep.codec.authenticated();
    let opts = LoopOptions {
        stats_interval: Some(cfg.stats_interval),
        faults,
        ..LoopOptions::default()
    };
    let mut lp = EventLoop::start(actor, ep, Some(Box::new(dir)), stored, opts)
        .map_err(NodeError::Runtime)?;
    info!(
        addr = %me.addr,
        role = %me.role,
        cluster_id = format_args!("{:#018x}", cfg.cluster_id),
        %incarnation,
        authenticated,
        "listening"
    );
    println!(
        "paxos node {} ({}) listening on {}, cluster id {:#018x}, data dir {}",
        cfg.index,
        me.role,
        me.addr,
        cfg.cluster_id,
        cfg.data_dir.display()
    );
    let _ = io::stdout().flush();
    let result = lp.run(stop, None, |_| false);
    let counters = lp.counters();
    match result {
        // Without a deadline or `done`, only the stop flag ends the loop.
        Ok(_) => {
            info!("stopped; counters {counters}");
            Ok(counters)
        }
        Err(e) => {
            info!("failed; counters {counters}");
            Err(NodeError::Runtime(e))
        }
    }
}
