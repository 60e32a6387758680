//! The runtime: the same actors the checker explores, run over real UDP with durable storage.
//!
//! No protocol decision lives here, and no protocol is named: a protocol plugs in through the
//! traits of [`protocol`] (its messages, its member roles, which actor a member runs), which
//! each protocol implements in its own `deploy.rs`. A node process builds its actor from the
//! member list exactly as the model does, then the [`event_loop`] only moves bytes, keeps time
//! and persists the actor's record:
//!
//! * [`protocol`]: the seam: [`WireMsg`], [`MemberRole`], [`Deploy`].
//! * [`event_loop`]: one socket, timers, batches, *save before send* with group commit, the
//!   admission rule for datagrams, counters.
//! * [`storage`]: the checksummed record file, atomic replacement, the data-directory lock;
//!   a torn or corrupted record stops the node instead of starting it empty.
//! * [`codec`]: the versioned envelope with cluster id, sender index and optional HMAC-SHA256.
//! * [`faults`]: seeded drop / duplicate / delay and targeted drops on the send path, for tests.
//! * [`config`]: member lists (`--peers`, `--cluster FILE`) of any protocol's roles, the
//!   cluster id, timers.
//! * [`node`]: a node process (`run_node`), for any [`Deploy`].
//! * [`client`]: running a client actor to its end (`run_client`) and `paxos status`.
//! * [`cluster`]: starting local node processes (`paxos cluster`, tests, the benchmark).

pub mod client;
pub mod cluster;
pub mod codec;
pub mod config;
pub mod event_loop;
pub mod faults;
pub mod identity;
pub mod node;
pub mod protocol;
pub mod rng;
pub mod storage;

pub use protocol::{Deploy, MemberRole, WireMsg};

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
