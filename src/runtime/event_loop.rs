//! The event loop: one actor, one UDP socket, timers, group-committed storage.
//!
//! # One iteration
//!
//! 1. Wait (`poll`) until a datagram arrives, the earliest timer is due, a fault-delayed
//!    datagram is due, or 100 ms pass (so a shutdown request is noticed promptly).
//! 2. Hand the actor the messages it sent itself in the previous batch (see below), then drain
//!    up to `max_batch` datagrams that are ready. Each is decoded and admitted (see below) or
//!    dropped and counted; each admitted message goes to [`Actor::on_msg`].
//! 3. Fire every timer that is due ([`Actor::on_timeout`]).
//! 4. **Group commit**: if any step of the batch emitted `Save`, write the *last* saved record
//!    once, durably (see [`super::storage`]).
//! 5. Only then send every message the batch produced, in order, with one `sendmmsg` call
//!    (so the first peer woken cannot hold up the datagrams to the others).
//!
//! Timer commands (`SetTimer`, `CancelTimer`) are applied as each step emits them: timers are
//! local bookkeeping that nobody outside the process can observe, and applying them at once
//! means a timer cancelled by a message in this batch cannot fire later in the same batch, just
//! as in the model. A timer fires at a uniformly random instant within its range.
//!
//! # Messages to self
//!
//! A message the actor addresses to its own id (for single-decree Paxos, a merged node with
//! `loopback`) does not go through the socket: the commit puts it on an
//! in-process queue, and the next iteration hands it back without waiting. That is the
//! network's delivery without the system calls, and it keeps the model's meaning: the message
//! is handled in a later step, after the step that sent it is durable. Fault injection does not
//! apply to it, since it never crosses the network (the model may still lose it; the runtime
//! is one of the behaviours the model allows).
//!
//! # Why save before send
//!
//! stateright applies a step's commands atomically: the acceptor's new promise and its
//! `Promise` reply happen together. A real process can crash between writing and sending. If it
//! sent first and crashed before the write reached the disk, it would come back without a
//! promise that another process already relies on: the model's atomic step would be a lie and
//! agreement could break. Writing (and `fsync`ing) first turns every crash into one the model
//! already covers: a crash after the save but before the send looks like lost messages, which
//! the lossy model explores.
//!
//! # Why group commit
//!
//! An `fsync` costs far more than handling a message. Persisting once per batch rather than
//! once per message keeps the rule above (nothing of the batch leaves before its state is
//! durable) while paying one `fsync` for up to `max_batch` messages under load. Only the last
//! record matters: each `Save` carries the actor's whole durable record, not a delta.
//!
//! # Admission
//!
//! A datagram's envelope names its sender: a member index or "client" (see [`super::codec`]).
//! * A member's datagram is admitted only if it comes from that member's listed address.
//! * A client's datagram is admitted only from an address that is *not* a member's and only if
//!   it carries a client request ([`WireMsg::client_may_send`]; for single-decree Paxos `Propose` or
//!   `Query`).
//!
//! So anyone who can reach the socket (and holds the cluster key, when one is configured) may
//! ask for a decision, but only members take part in the protocol. Everything else is dropped
//! and counted in [`Counters`], which are logged every `stats_interval` and at shutdown.

use super::codec::{Body, Codec, Control, DropReason, Sender, MAX_DATAGRAM};
use super::faults::Faults;
use super::rng::Rng;
use super::storage::{RecordStore, StorageError};
use super::WireMsg;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// Longest single wait, so that a shutdown request is seen within this time.
const POLL_CAP: Duration = Duration::from_millis(100);

/// Declares [`Counters`] with its fields in print order.
macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// What the loop counted. Printed as `name=value` pairs (see [`Counters::parse`]).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Counters {
            $($(#[doc = $doc])* pub $name: u64,)*
        }

        impl Counters {
            fn fields(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name)),*]
            }

            /// Reads counters back from a line containing their `name=value` form (such as a
            /// log line), or `None` when the line does not carry all of them.
            pub fn parse(line: &str) -> Option<Counters> {
                let get = |name: &str| -> Option<u64> {
                    line.split_whitespace()
                        .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
                };
                Some(Counters { $($name: get(stringify!($name))?,)* })
            }
        }
    };
}

counters! {
    /// Messages admitted and handed to the actor.
    received,
    /// Datagrams sent (each copy counts).
    sent,
    /// Non-empty batches handled.
    batches,
    /// Durable saves (one at most per batch).
    saves,
    /// Dropped: not a well-formed envelope or message.
    malformed,
    /// Dropped: larger than the maximum datagram.
    oversized,
    /// Dropped: another cluster's id.
    wrong_cluster,
    /// Dropped: another incarnation of this cluster (a replay from an earlier life).
    wrong_incarnation,
    /// Dropped: missing, unexpected or wrong authentication tag.
    unauthenticated,
    /// Dropped: sender not allowed (see the admission rule).
    unknown_sender,
    /// Dropped: authentic, but outside the protocol's ranges (a ballot round at the top).
    out_of_range,
    /// Datagrams the kernel dropped because the receive buffer was full (`SO_RXQ_OVFL`).
    rx_overflow,
    /// Receive errors.
    recv_errors,
    /// Send errors.
    send_errors,
    /// Outgoing datagrams dropped by fault injection.
    fault_dropped,
    /// Outgoing datagrams duplicated by fault injection.
    fault_duplicated,
    /// Outgoing copies delayed by fault injection.
    fault_delayed,
    /// Messages the actor sent itself (handed back in the next batch, no datagram).
    looped,
    /// `paxos status` requests answered.
    status_requests,
}

impl Counters {
    fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::Malformed => self.malformed += 1,
            DropReason::Oversized => self.oversized += 1,
            DropReason::WrongCluster => self.wrong_cluster += 1,
            DropReason::WrongIncarnation => self.wrong_incarnation += 1,
            DropReason::Unauthenticated => self.unauthenticated += 1,
            DropReason::UnknownSender => self.unknown_sender += 1,
            DropReason::OutOfRange => self.out_of_range += 1,
        }
    }
}

/// What a node reports to `paxos status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// The member index.
    pub member: u16,
    /// The cluster's incarnation.
    pub incarnation: u128,
    /// Whether datagrams are authenticated (false: `--insecure`).
    pub authenticated: bool,
    /// Milliseconds since the node started.
    pub uptime_ms: u64,
    /// Its counters.
    pub counters: Counters,
    /// Durable-save latency over the last saves (at most [`SAVE_WINDOW`]), in microseconds:
    /// median, 99th percentile, maximum (0 when nothing was saved).
    pub save_us: [u64; 3],
}

/// How many recent save latencies `paxos status` summarises.
pub const SAVE_WINDOW: usize = 1024;

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.fields().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}

/// A process's place in the cluster: its socket, the member list, how it signs its datagrams.
#[derive(Debug)]
pub struct Endpoint {
    /// The bound socket.
    pub socket: UdpSocket,
    /// Member addresses; a member's index on the wire is its position here.
    pub members: Vec<SocketAddrV4>,
    /// How this process signs its datagrams: its member index, or client.
    pub me: Sender,
    /// The envelope codec.
    pub codec: Codec,
}

/// Tunables of the loop.
#[derive(Debug)]
pub struct LoopOptions {
    /// Most datagrams handled in one batch.
    pub max_batch: usize,
    /// Period of the counters log line (`None`: never).
    pub stats_interval: Option<Duration>,
    /// Fault injection on the send path (tests only).
    pub faults: Option<Faults>,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            max_batch: 64,
            stats_interval: Some(Duration::from_secs(10)),
            faults: None,
        }
    }
}

/// Why [`EventLoop::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The stop flag was raised (a signal).
    Stopped,
    /// The `done` predicate held.
    Done,
    /// The deadline passed first.
    DeadlineReached,
}

/// A fatal runtime error.
#[derive(Debug)]
pub enum RuntimeError {
    /// The socket could not be set up.
    Socket(io::Error),
    /// A save failed: the node must stop rather than send what it could not persist.
    Storage(StorageError),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Socket(e) => write!(f, "socket: {e}"),
            RuntimeError::Storage(e) => write!(
                f,
                "{e}; stopping: no message may leave before its state is durable"
            ),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// What one batch produced, held back until its storage is durable.
struct Batch<A: Actor> {
    save: Option<A::Storage>,
    sends: Vec<(Id, A::Msg)>,
    events: usize,
}

impl<A: Actor> Batch<A> {
    fn new() -> Self {
        Batch {
            save: None,
            sends: Vec::new(),
            events: 0,
        }
    }
}

struct Delayed {
    at: Instant,
    dst: SocketAddrV4,
    bytes: Vec<u8>,
}

/// Runs one actor over one socket.
pub struct EventLoop<A: Actor> {
    actor: A,
    id: Id,
    addr: SocketAddrV4,
    state: A::State,
    ep: Endpoint,
    storage: Option<Box<dyn RecordStore<A::Storage>>>,
    saved: Option<A::Storage>,
    timers: HashMap<A::Timer, Instant>,
    delayed: Vec<Delayed>,
    looped: VecDeque<A::Msg>,
    outbox: Vec<(SocketAddrV4, Vec<u8>)>,
    rng: Rng,
    opts: LoopOptions,
    counters: Counters,
    buf: Vec<u8>,
    last_stats: Instant,
    warned_random: bool,
    started: Instant,
    save_latencies: VecDeque<u64>,
    rx_dropped_total: u32,
}

impl<A> EventLoop<A>
where
    A: Actor,
    A::Msg: WireMsg,
    A::Storage: Serialize + DeserializeOwned,
{
    /// Starts `actor` from `stored` (its last durable record, already loaded from `storage`)
    /// and handles the commands of `on_start` like any other batch.
    pub fn start(
        actor: A,
        ep: Endpoint,
        storage: Option<Box<dyn RecordStore<A::Storage>>>,
        stored: Option<A::Storage>,
        opts: LoopOptions,
    ) -> Result<Self, RuntimeError> {
        let addr = match ep.socket.local_addr().map_err(RuntimeError::Socket)? {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(a) => {
                return Err(RuntimeError::Socket(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("{a}: only IPv4 sockets are supported"),
                )))
            }
        };
        ep.socket
            .set_nonblocking(true)
            .map_err(RuntimeError::Socket)?;
        let id = Id::from(addr);
        let mut out = Out::new();
        let state = actor.on_start(id, &stored, &mut out);
        let now = Instant::now();
        let mut lp = EventLoop {
            actor,
            id,
            addr,
            state,
            ep,
            storage,
            saved: stored,
            timers: HashMap::new(),
            delayed: Vec::new(),
            looped: VecDeque::new(),
            outbox: Vec::new(),
            rng: Rng::from_entropy(),
            opts,
            counters: Counters::default(),
            buf: vec![0; 65_536],
            last_stats: now,
            warned_random: false,
            started: now,
            save_latencies: VecDeque::new(),
            rx_dropped_total: 0,
        };
        enable_rx_overflow_count(&lp.ep.socket);
        let mut batch = Batch::new();
        lp.absorb(out, &mut batch);
        lp.commit(batch)?;
        Ok(lp)
    }

    /// The actor's current state.
    pub fn state(&self) -> &A::State {
        &self.state
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The actor's id (its socket address).
    pub fn id(&self) -> Id {
        self.id
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddrV4 {
        self.addr
    }

    /// Runs until `stop` is raised, `done(state)` holds, or `deadline` passes.
    pub fn run(
        &mut self,
        stop: &AtomicBool,
        deadline: Option<Instant>,
        mut done: impl FnMut(&A::State) -> bool,
    ) -> Result<Outcome, RuntimeError> {
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(Outcome::Stopped);
            }
            if done(&self.state) {
                return Ok(Outcome::Done);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(Outcome::DeadlineReached);
            }
            self.flush_delayed(now);
            if let Some(every) = self.opts.stats_interval {
                if now >= self.last_stats + every {
                    self.last_stats = now;
                    if self.ep.codec.authenticated() {
                        info!("counters {}", self.counters);
                    } else {
                        warn!(
                            "INSECURE (no keys): any process that can send from a member's \
                             address is that member; counters {}",
                            self.counters
                        );
                    }
                }
            }
            let mut wake = now + POLL_CAP;
            wake = self.timers.values().fold(wake, |w, t| w.min(*t));
            wake = self.delayed.iter().fold(wake, |w, d| w.min(d.at));
            if let Some(d) = deadline {
                wake = wake.min(d);
            }
            if self.looped.is_empty() {
                self.wait_readable(wake.saturating_duration_since(now));
            }
            let mut batch = Batch::new();
            for msg in std::mem::take(&mut self.looped) {
                debug!(?msg, "looped back");
                self.deliver(self.id, msg, &mut batch);
            }
            self.receive(&mut batch);
            self.fire_timers(&mut batch);
            if batch.events > 0 {
                self.counters.batches += 1;
            }
            self.commit(batch)?;
        }
    }

    /// Blocks until the socket is readable or `timeout` passes (interrupted waits just return).
    fn wait_readable(&self, timeout: Duration) {
        if timeout.is_zero() {
            return;
        }
        let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        let mut fds = libc::pollfd {
            fd: self.ep.socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `fds` is one valid pollfd that outlives the call; the count passed is 1.
        unsafe {
            libc::poll(&mut fds, 1, ms);
        }
    }

    fn receive(&mut self, batch: &mut Batch<A>) {
        let mut buf = std::mem::take(&mut self.buf);
        let mut handled = 0;
        while handled < self.opts.max_batch {
            match recv_with_overflow(&self.ep.socket, &mut buf) {
                Ok((n, src, dropped)) => {
                    handled += 1;
                    if let Some(total) = dropped {
                        // The kernel reports a running total for the socket.
                        let new = total.wrapping_sub(self.rx_dropped_total);
                        self.counters.rx_overflow += u64::from(new);
                        self.rx_dropped_total = total;
                    }
                    self.on_datagram(&buf[..n], src, batch);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.counters.recv_errors += 1;
                    debug!(error = %e, "receive error");
                    break;
                }
            }
        }
        self.buf = buf;
    }

    fn on_datagram(&mut self, bytes: &[u8], src: SocketAddr, batch: &mut Batch<A>) {
        let (sender, body) = match self.ep.codec.decode_any::<A::Msg>(bytes) {
            Ok(x) => x,
            Err(e) => {
                self.counters.count_drop(e.reason());
                debug!(%src, len = bytes.len(), reason = %e, "dropped datagram");
                return;
            }
        };
        let msg = match body {
            Body::Msg(m) => m,
            Body::Control(c) => return self.on_control(src, sender, c),
        };
        let src_id = match self.admit(src, sender, &msg) {
            Some(id) => id,
            None => {
                self.counters.count_drop(DropReason::UnknownSender);
                debug!(%src, ?sender, ?msg, "dropped datagram from a sender not allowed to send it");
                return;
            }
        };
        if !msg.in_range() {
            self.counters.count_drop(DropReason::OutOfRange);
            debug!(%src, ?msg, "dropped a message outside the protocol's ranges");
            return;
        }
        self.counters.received += 1;
        debug!(%src, ?msg, "recv");
        self.deliver(src_id, msg, batch);
    }

    /// A runtime control message: only a member answers, and only a client's status request.
    fn on_control(&mut self, src: SocketAddr, sender: Sender, c: Control) {
        let (SocketAddr::V4(src), Sender::Member(me), Sender::Client, Control::StatsRequest) =
            (src, self.ep.me, sender, c)
        else {
            self.counters.count_drop(DropReason::UnknownSender);
            return;
        };
        self.counters.status_requests += 1;
        let stats = Control::Stats(Box::new(self.stats(me)));
        let bytes = self.ep.codec.encode_control(self.ep.me, false, &stats);
        self.send_now(src, &bytes);
        self.flush_outbox();
    }

    /// What `paxos status` reports.
    pub fn stats(&self, member: u16) -> NodeStats {
        let mut lat: Vec<u64> = self.save_latencies.iter().copied().collect();
        lat.sort_unstable();
        let pick = |q: f64| -> u64 {
            if lat.is_empty() {
                0
            } else {
                lat[((lat.len() - 1) as f64 * q).round() as usize]
            }
        };
        NodeStats {
            member,
            incarnation: self.ep.codec.incarnation().0,
            authenticated: self.ep.codec.authenticated(),
            uptime_ms: self.started.elapsed().as_millis() as u64,
            counters: self.counters,
            save_us: [pick(0.5), pick(0.99), lat.last().copied().unwrap_or(0)],
        }
    }

    /// One step: the actor handles `msg` from `src`.
    fn deliver(&mut self, src: Id, msg: A::Msg, batch: &mut Batch<A>) {
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&self.state);
        self.actor.on_msg(self.id, &mut state, src, msg, &mut out);
        if let Cow::Owned(s) = state {
            self.state = s;
        }
        batch.events += 1;
        self.absorb(out, batch);
    }

    /// The admission rule (see the module docs): the sender's id, or `None` to drop.
    fn admit(&self, src: SocketAddr, sender: Sender, msg: &A::Msg) -> Option<Id> {
        let SocketAddr::V4(src) = src else {
            return None;
        };
        let allowed = match sender {
            Sender::Member(i) => self.ep.members.get(usize::from(i)) == Some(&src),
            Sender::Client => !self.ep.members.contains(&src) && msg.client_may_send(),
        };
        allowed.then(|| Id::from(src))
    }

    fn fire_timers(&mut self, batch: &mut Batch<A>) {
        let now = Instant::now();
        for _ in 0..self.opts.max_batch {
            let due = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= now)
                .min_by_key(|(_, at)| **at)
                .map(|(t, _)| t.clone());
            let Some(timer) = due else { break };
            self.timers.remove(&timer);
            debug!(?timer, "timer fired");
            let mut out = Out::new();
            let mut state = Cow::Borrowed(&self.state);
            self.actor.on_timeout(self.id, &mut state, &timer, &mut out);
            if let Cow::Owned(s) = state {
                self.state = s;
            }
            batch.events += 1;
            self.absorb(out, batch);
        }
    }

    fn jitter(&mut self, range: &Range<Duration>) -> Duration {
        if range.end <= range.start {
            return range.start;
        }
        range.start + (range.end - range.start).mul_f64(self.rng.next_f64())
    }

    /// Takes one step's commands: saves and sends are held for the commit, timers applied now.
    fn absorb(&mut self, out: Out<A>, batch: &mut Batch<A>) {
        for c in out {
            match c {
                Command::Save(s) => batch.save = Some(s),
                Command::Send(dst, m) => batch.sends.push((dst, m)),
                Command::SetTimer(t, range) => {
                    let at = Instant::now() + self.jitter(&range);
                    self.timers.insert(t, at);
                }
                Command::CancelTimer(t) => {
                    self.timers.remove(&t);
                }
                Command::ChooseRandom(..) => {
                    if !self.warned_random {
                        self.warned_random = true;
                        warn!("the runtime does not support random choices; ignoring them");
                    }
                }
            }
        }
    }

    /// Persists the batch's last record (if any), then sends its messages.
    fn commit(&mut self, batch: Batch<A>) -> Result<(), RuntimeError> {
        if let Some(record) = batch.save {
            if self.saved.as_ref() != Some(&record) {
                if let Some(store) = &mut self.storage {
                    let t = Instant::now();
                    store.save(&record).map_err(RuntimeError::Storage)?;
                    if self.save_latencies.len() == SAVE_WINDOW {
                        self.save_latencies.pop_front();
                    }
                    self.save_latencies
                        .push_back(t.elapsed().as_micros() as u64);
                    self.counters.saves += 1;
                    debug!(?record, "saved");
                }
                self.saved = Some(record);
            }
        }
        for (dst, msg) in batch.sends {
            self.transmit(dst, &msg);
        }
        self.flush_outbox();
        Ok(())
    }

    fn transmit(&mut self, dst: Id, msg: &A::Msg) {
        if dst == self.id {
            self.counters.looped += 1;
            self.looped.push_back(msg.clone());
            return;
        }
        let addr = SocketAddrV4::from(dst);
        let to_member = self.ep.members.contains(&addr);
        let bytes = self.ep.codec.encode_to(self.ep.me, to_member, msg);
        debug_assert!(bytes.len() <= MAX_DATAGRAM);
        debug!(dst = %addr, ?msg, "send");
        let Some(faults) = &mut self.opts.faults else {
            self.send_now(addr, &bytes);
            return;
        };
        let fate = faults.decide(msg.kind(), addr);
        if fate.is_empty() {
            self.counters.fault_dropped += 1;
            debug!(dst = %addr, ?msg, "fault injection dropped");
            return;
        }
        if fate.len() > 1 {
            self.counters.fault_duplicated += 1;
        }
        let now = Instant::now();
        for delay in fate {
            if delay.is_zero() {
                self.send_now(addr, &bytes);
            } else {
                self.counters.fault_delayed += 1;
                self.delayed.push(Delayed {
                    at: now + delay,
                    dst: addr,
                    bytes: bytes.clone(),
                });
            }
        }
    }

    fn flush_delayed(&mut self, now: Instant) {
        if self.delayed.is_empty() {
            return;
        }
        let (due, later): (Vec<Delayed>, Vec<Delayed>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|d| d.at <= now);
        self.delayed = later;
        for d in due {
            self.send_now(d.dst, &d.bytes);
        }
        self.flush_outbox();
    }

    /// Queues a datagram for [`Self::flush_outbox`].
    fn send_now(&mut self, dst: SocketAddrV4, bytes: &[u8]) {
        self.outbox.push((dst, bytes.to_vec()));
    }

    /// Sends every queued datagram with as few `sendmmsg` calls as possible: one system call
    /// for a whole batch, so that the first peer woken cannot delay the datagrams to the others
    /// (on a busy machine it may take over this process's CPU at once).
    fn flush_outbox(&mut self) {
        let out = std::mem::take(&mut self.outbox);
        let mut start = 0;
        while start < out.len() {
            let items = &out[start..];
            let addrs: Vec<libc::sockaddr_in> = items.iter().map(|(a, _)| sockaddr(a)).collect();
            let mut iovs: Vec<libc::iovec> = items
                .iter()
                .map(|(_, b)| libc::iovec {
                    iov_base: b.as_ptr() as *mut libc::c_void,
                    iov_len: b.len(),
                })
                .collect();
            let mut hdrs: Vec<libc::mmsghdr> = (0..items.len())
                .map(|i| {
                    // SAFETY: mmsghdr is a plain C struct for which all-zero is a valid value.
                    let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
                    h.msg_hdr.msg_name = &addrs[i] as *const libc::sockaddr_in as *mut libc::c_void;
                    h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
                    // SAFETY: `i` is in bounds and `iovs` is not resized while `hdrs` lives.
                    h.msg_hdr.msg_iov = unsafe { iovs.as_mut_ptr().add(i) };
                    h.msg_hdr.msg_iovlen = 1;
                    h
                })
                .collect();
            // SAFETY: every header points at an address and one iovec over a buffer, all of
            // which outlive the call; the count is the headers' length.
            let n = unsafe {
                libc::sendmmsg(
                    self.ep.socket.as_raw_fd(),
                    hdrs.as_mut_ptr(),
                    hdrs.len() as libc::c_uint,
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The first datagram failed: count it and go on with the rest.
                self.counters.send_errors += 1;
                debug!(dst = %items[0].0, error = %e, "send failed");
                start += 1;
            } else {
                self.counters.sent += n as u64;
                start += n as usize;
            }
        }
    }
}

/// Asks the kernel to report, with every datagram, how many it dropped on this socket for
/// lack of buffer space (`SO_RXQ_OVFL`); where unsupported, `rx_overflow` stays 0.
fn enable_rx_overflow_count(socket: &UdpSocket) {
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to a c_int of the size given.
    let r = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RXQ_OVFL,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        debug!(error = %io::Error::last_os_error(), "SO_RXQ_OVFL unavailable");
    }
}

/// One `recvmsg`: the datagram's length and source, and the kernel's running count of
/// datagrams dropped on this socket, when it reported one.
fn recv_with_overflow(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<u32>)> {
    // SAFETY: all-zero is a valid sockaddr_in and msghdr.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let mut control = [0u64; 8]; // aligned room for one u32 control message
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_name = &mut addr as *mut libc::sockaddr_in as *mut libc::c_void;
    hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    hdr.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: every pointer in `hdr` points at a live buffer of the length given.
    let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut hdr, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut dropped = None;
    // SAFETY: the CMSG macros walk the control buffer the kernel filled in, within
    // `msg_controllen`.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&hdr);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_RXQ_OVFL {
                dropped = Some(std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const u32));
            }
            c = libc::CMSG_NXTHDR(&hdr, c);
        }
    }
    let src = SocketAddr::V4(SocketAddrV4::new(
        std::net::Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)),
        u16::from_be(addr.sin_port),
    ));
    Ok((n as usize, src, dropped))
}

/// The C socket address of `a`.
fn sockaddr(a: &SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*a.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_print_and_parse_back() {
        let c = Counters {
            received: 1,
            sent: 2,
            batches: 3,
            saves: 4,
            malformed: 5,
            oversized: 6,
            wrong_cluster: 7,
            wrong_incarnation: 8,
            unauthenticated: 9,
            unknown_sender: 10,
            out_of_range: 11,
            rx_overflow: 12,
            recv_errors: 13,
            send_errors: 14,
            fault_dropped: 15,
            fault_duplicated: 16,
            fault_delayed: 17,
            looped: 18,
            status_requests: 19,
        };
        let line = format!("2024 INFO node{{id=0}}: stopped; counters {c}");
        assert_eq!(Counters::parse(&line), Some(c));
        assert_eq!(
            c.to_string(),
            "received=1 sent=2 batches=3 saves=4 malformed=5 oversized=6 wrong_cluster=7 \
             wrong_incarnation=8 unauthenticated=9 unknown_sender=10 out_of_range=11 \
             rx_overflow=12 recv_errors=13 send_errors=14 fault_dropped=15 fault_duplicated=16 \
             fault_delayed=17 looped=18 status_requests=19"
        );
        assert_eq!(Counters::parse("received=1"), None);
    }
}
