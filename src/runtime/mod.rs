//! The runtime: the same actors the checker explores, run over real UDP with durable storage.
//!
//! No protocol decision lives here. A node process builds its [`SingleActor`] from the member
//! list exactly as the model does ([`config`]), then the [`event_loop`] only moves bytes, keeps
//! time and persists the actor's `Storage`:
//!
//! * [`event_loop`]: one socket, timers, batches, *save before send* with group commit, the
//!   admission rule for datagrams, counters.
//! * [`storage`]: the checksummed record file, atomic replacement, the data-directory lock;
//!   a torn or corrupted record stops the node instead of starting it empty.
//! * [`codec`]: the versioned envelope with cluster id, sender index and optional HMAC-SHA256.
//! * [`faults`]: seeded drop / duplicate / delay and targeted drops on the send path, for tests.
//! * [`config`]: member lists (`--peers`, `--cluster FILE`), the cluster id, building actors.
//! * [`node`], [`client`]: a node process; `propose` (the model's client actor) and `learn`.
//! * [`cluster`]: starting local node processes (`paxos cluster`, tests, the benchmark).
//!
//! [`SingleActor`]: crate::single::SingleActor

pub mod client;
pub mod cluster;
pub mod codec;
pub mod config;
pub mod event_loop;
pub mod faults;
pub mod identity;
pub mod node;
pub mod rng;
pub mod storage;

use crate::single::Msg;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// What the runtime needs to know about an actor's message type.
pub trait WireMsg: Serialize + DeserializeOwned + Clone + Debug {
    /// Whether a process outside the member list (a client) may send this message.
    fn client_may_send(&self) -> bool;
    /// The variant name, used by fault-injection rules (`drop-except:Accept=..`).
    fn kind(&self) -> &'static str;
    /// Whether the message's numbers are inside the protocol's ranges; a message outside them
    /// is dropped and counted (`out_of_range`) before the actor sees it.
    fn in_range(&self) -> bool;
}

impl WireMsg for Msg {
    fn client_may_send(&self) -> bool {
        matches!(self, Msg::Propose(_) | Msg::Query)
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Propose(_) => "Propose",
            Msg::Decided(_) => "Decided",
            Msg::Query => "Query",
            Msg::Learned(_) => "Learned",
            Msg::Prepare(_) => "Prepare",
            Msg::Promise(..) => "Promise",
            Msg::Accept(..) => "Accept",
            Msg::Accepted(..) => "Accepted",
            Msg::Nack(..) => "Nack",
            Msg::Chosen(..) => "Chosen",
        }
    }

    fn in_range(&self) -> bool {
        Msg::in_range(self)
    }
}

/// Installs the `tracing` subscriber: logs to stderr, filtered by `RUST_LOG` (default
/// `default_filter`), colours only on a terminal. Per-message logs are at `debug`.
pub fn init_logging(default_filter: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Raises the returned flag on SIGINT and SIGTERM; a second signal exits at once (status 130).
pub fn stop_on_signals() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Order matters: the conditional exit sees the flag set by an earlier signal.
        let _ = flag::register_conditional_shutdown(sig, 130, stop.clone());
        let _ = flag::register(sig, stop.clone());
    }
    stop
}
