//! The ghost history of the Multi-Paxos model: what was voted, requested, answered and
//! applied, recorded by the model for the properties to read. Actors never read it.

use super::*;

/// A recorded vote: `(slot, ballot, entry, acceptor index)`.
pub type GhostVote = (Slot, Ballot, Entry, u8);

/// Ghost history: what happened, for the properties. Never read by actors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct History {
    /// Every vote ever cast, observed in acceptor states after every step.
    pub votes: BTreeSet<GhostVote>,
    /// Every command a client sent.
    pub requested: BTreeSet<Cmd>,
    /// The clients' history, operation by operation (thread = client actor).
    pub tester: LinearizabilityTester<Id, KvSpec>,
    /// Set once the clients' history is not linearizable.
    pub nonlinearizable: bool,
    /// The first entry applied at each slot by any replica.
    pub applied: BTreeMap<Slot, Entry>,
    /// Set once a replica applied, at some slot, another entry than the first applied there.
    pub diverged: bool,
    /// The first entry each replica applied at each slot: `(replica, slot)`.
    pub applied_by: BTreeMap<(u8, Slot), Entry>,
    /// Set once a replica applied, at a slot, another entry than it applied there before.
    pub unstable: bool,
    /// Replicas that recovered from a crash, with the number of slots decided (a contiguous
    /// prefix of the chosen log) when they did.
    pub recovered: BTreeMap<u8, Slot>,
    /// Set once a recovered replica applied again every slot decided before it recovered.
    pub caught_up: bool,
    /// Crashes so far (bounded by `max_crashes` per run).
    pub crashes: u8,
    /// Set once a replica answered a retried request from its session table.
    pub answered_from_table: bool,
}

impl History {
    /// The entries chosen at each slot, from every vote ever cast: `(slot, ballot, entry)`
    /// with votes from a majority of the `n` acceptors.
    pub fn chosen(&self, n: usize) -> BTreeSet<(Slot, Ballot, Entry)> {
        let mut count: BTreeMap<(Slot, Ballot, &Entry), usize> = BTreeMap::new();
        for (s, b, e, _) in &self.votes {
            *count.entry((*s, *b, e)).or_default() += 1;
        }
        count
            .into_iter()
            .filter(|(_, k)| *k >= majority(n))
            .map(|((s, b, e), _)| (s, b, e.clone()))
            .collect()
    }

    /// The chosen entry of each slot (the first, should a bug choose two).
    pub fn chosen_log(&self, n: usize) -> BTreeMap<Slot, Entry> {
        let mut log = BTreeMap::new();
        for (s, _, e) in self.chosen(n) {
            log.entry(s).or_insert(e);
        }
        log
    }

    /// Records the commands clients send, and each new one as an invocation.
    pub(super) fn record_out(
        cfg: &MultiConfig,
        h: &History,
        env: Envelope<&Msg>,
    ) -> Option<History> {
        let Msg::Request(cmd) = env.msg else {
            return None;
        };
        if usize::from(env.src) < cfg.replicas || h.requested.contains(cmd) {
            return None;
        }
        let mut h2 = h.clone();
        h2.requested.insert(cmd.clone());
        if h2.tester.on_invoke(env.src, cmd.op.clone()).is_err() {
            h2.nonlinearizable = true;
        }
        Some(h2)
    }

    /// Records a client's answer as the return of its operation. Only deliveries the client
    /// acted on reach here (stateright offers no step for a no-op delivery), so a `Reply`
    /// here is the answer to the operation in progress.
    pub(super) fn record_in(
        cfg: &MultiConfig,
        h: &History,
        env: Envelope<&Msg>,
    ) -> Option<History> {
        let Msg::Reply(_, ret) = env.msg else {
            return None;
        };
        if usize::from(env.dst) < cfg.replicas {
            return None;
        }
        let mut h2 = h.clone();
        if h2.tester.on_return(env.dst, ret.clone()).is_err() || !h2.tester.is_consistent() {
            h2.nonlinearizable = true;
        }
        Some(h2)
    }
}
