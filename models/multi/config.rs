//! The configurations of the Multi-Paxos model: replicas, clients and their operations, the
//! network, the faults, the bounds and the protocol knobs, with the named configurations every
//! pinned count refers to.

use super::*;

/// Every knob of a Multi-Paxos model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MultiConfig {
    /// Number of replicas (each a leader, an acceptor and a learner). Replica 0 leads first.
    pub replicas: usize,
    /// The clients' operations: client `i` runs `ops[i]` in order.
    #[serde(serialize_with = "ser_ops")]
    pub ops: Vec<Vec<Op>>,
    /// Network semantics.
    pub network: NetworkKind,
    /// Whether messages may be lost (explicit drops; on a duplicating network a message may
    /// stay undelivered forever already, so no drops are added there).
    pub lossy: bool,
    /// Bound on crashes in a run (clients never crash). Each crashed replica may recover; a
    /// recovered one does not crash again beyond the bound. (A bound on *simultaneous* crashes
    /// alone would let crash-recovery cycles pile up undelivered messages without end.)
    pub max_crashes: usize,
    /// Replicas `R1..=Rn` have election timers (each may stand for leader at any time); `R0`
    /// leads at start and does not stand again once deposed. `0`: no leader change.
    pub candidates: usize,
    /// Whether clients retry (the same command, at the next replica) when no answer comes.
    pub client_retry: bool,
    /// Most retries per operation and client (a bound: on a non-duplicating network every
    /// retry is a new message).
    pub max_retries: u32,
    /// Whether the leader sends heartbeats (with the commit index; a follower that misses
    /// decided slots asks for them). On a non-duplicating network each heartbeat is a new
    /// message, so the model would be infinite: meant for duplicating networks.
    pub heartbeat: bool,
    /// Highest round a replica may start: bounds leader changes.
    pub max_round: u32,
    /// The log's slots are `0..max_slots`.
    pub max_slots: Slot,
    /// Most slots in flight at once.
    pub window: usize,
    /// Most commands per slot.
    pub max_batch: usize,
    /// Whether messages whose delivery has become a no-op are removed (only without crashes
    /// and seeded bugs, on an unordered network; see `tests/dead_messages.rs`).
    pub prune_dead: bool,
    /// Seeded bug.
    #[serde(serialize_with = "ser_bug")]
    pub bug: Bug,
}

fn ser_bug<S: serde::Serializer>(b: &Bug, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.name())
}

fn ser_ops<S: serde::Serializer>(ops: &[Vec<Op>], s: S) -> Result<S::Ok, S::Error> {
    let text: Vec<Vec<String>> = ops
        .iter()
        .map(|c| c.iter().map(|o| o.to_string()).collect())
        .collect();
    text.serialize(s)
}

/// The named configurations.
pub const CONFIG_NAMES: [&str; 6] = [
    "basic",
    "two-ops",
    "leader-change",
    "duplicating",
    "lossy",
    "crash",
];

fn t(s: &str) -> Text {
    s.into()
}

/// The standard workload on one key `k`: client `i`'s first operation writes `i + 1`; with two
/// operations, client 0 then reads and client 1 swaps its own value for `3` (`cas`).
pub fn workload(clients: usize, ops_per_client: usize) -> Vec<Vec<Op>> {
    (0..clients)
        .map(|i| {
            let own = t(&(i + 1).to_string());
            let second = match i % 2 {
                0 => Op::Get(t("k")),
                _ => Op::Cas(t("k"), own.clone(), t("3")),
            };
            [Op::Put(t("k"), own), second]
                .into_iter()
                .take(ops_per_client)
                .collect()
        })
        .collect()
}

impl MultiConfig {
    /// Looks up a named configuration.
    pub fn named(name: &str) -> Option<MultiConfig> {
        let basic = MultiConfig {
            replicas: 3,
            ops: workload(2, 1),
            network: NetworkKind::UnorderedNonduplicating,
            lossy: false,
            max_crashes: 0,
            candidates: 0,
            client_retry: false,
            max_retries: 1,
            heartbeat: false,
            max_round: 1,
            max_slots: 2,
            window: 2,
            max_batch: 2,
            prune_dead: true,
            bug: Bug::None,
        };
        Some(match name {
            // One stable leader, no failure, 2 clients with one write each.
            "basic" => basic,
            // Client 0 writes and then reads, client 1 writes: 3 operations, 3 slots.
            "two-ops" => MultiConfig {
                ops: vec![workload(1, 2).remove(0), workload(2, 1).remove(1)],
                max_slots: 3,
                ..basic
            },
            // R1 may stand for leader (one round) while R0 leads; 1 client, which retries once
            // per operation.
            "leader-change" => MultiConfig {
                ops: workload(1, 1),
                candidates: 1,
                client_retry: true,
                ..basic
            },
            // A stable leader on a duplicating network with heartbeats; the client retries.
            "duplicating" => MultiConfig {
                ops: workload(1, 1),
                network: NetworkKind::UnorderedDuplicating,
                heartbeat: true,
                client_retry: true,
                ..basic
            },
            // A stable leader, messages may be lost; the client retries.
            "lossy" => MultiConfig {
                ops: workload(1, 1),
                lossy: true,
                client_retry: true,
                ..basic
            },
            // One replica crash (and recovery) in a run; the client retries.
            "crash" => MultiConfig {
                ops: workload(1, 1),
                max_crashes: 1,
                client_retry: true,
                ..basic
            },
            _ => return None,
        })
    }

    /// Why the configuration cannot be checked, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.replicas < 3 {
            return Err(format!(
                "--replicas {}: Paxos needs at least 3 acceptors",
                self.replicas
            ));
        }
        if self.replicas > 64 {
            return Err(format!("--replicas {}: at most 64", self.replicas));
        }
        if self.ops.is_empty() || self.ops.iter().any(|o| o.is_empty()) {
            return Err("every client needs at least one operation".into());
        }
        if self.window == 0 || self.max_batch == 0 || self.max_slots == 0 || self.max_round == 0 {
            return Err(
                "--window, --max-batch, --max-slots and --max-round must be at least 1".into(),
            );
        }
        if self.candidates >= self.replicas {
            return Err(format!(
                "--candidates {}: at most {} (R1..R{}; R0 leads first)",
                self.candidates,
                self.replicas - 1,
                self.replicas - 1
            ));
        }
        if self.heartbeat && self.network != NetworkKind::UnorderedDuplicating {
            return Err(
                "--heartbeat needs --network unordered_duplicating: on another network every \
                 heartbeat is a new message and the model is infinite"
                    .into(),
            );
        }
        Ok(())
    }

    /// The replicas' actor ids.
    pub fn replica_ids(&self) -> Vec<Id> {
        (0..self.replicas).map(Id::from).collect()
    }

    /// The actors: replicas first, then clients.
    pub fn actors(&self) -> Vec<MultiActor> {
        let replicas = self.replica_ids();
        let timer = Some(Duration::from_millis(100)..Duration::from_millis(200));
        let mut actors: Vec<MultiActor> = (0..self.replicas)
            .map(|i| {
                let knobs = ReplicaKnobs {
                    lead: i == 0,
                    election: (1..=self.candidates)
                        .contains(&i)
                        .then(|| timer.clone())
                        .flatten(),
                    heartbeat: self.heartbeat.then(|| timer.clone()).flatten(),
                    window: self.window,
                    max_batch: self.max_batch,
                    max_round: self.max_round,
                    max_slots: self.max_slots,
                    reaccept: false,
                    bug: self.bug,
                };
                MultiActor::Replica(Box::new(Replica::build(i, &replicas, &knobs)))
            })
            .collect();
        actors.extend(self.ops.iter().enumerate().map(|(c, ops)| {
            MultiActor::Client(Client {
                id: c as u64,
                ops: ops.clone(),
                replicas: replicas.clone(),
                retry: self.client_retry.then(|| timer.clone()).flatten(),
                max_retries: Some(self.max_retries),
            })
        }));
        actors
    }

    /// The configuration in one line.
    pub fn summary(&self) -> String {
        let ops = self
            .ops
            .iter()
            .enumerate()
            .map(|(i, o)| format!("C{i}: {}", o.iter().join(", ")))
            .join("; ");
        format!(
            "{} replicas, clients [{ops}], {} network{}, crashes <= {} per run, election timers {}, \
             client retries {}, heartbeats {}, rounds <= {}, slots <= {}, window {}, batch <= {}, \
             bug {}",
            self.replicas,
            self.network.name(),
            if self.lossy { " (lossy)" } else { "" },
            self.max_crashes,
            match self.candidates {
                0 => "off".to_string(),
                1 => "at R1".to_string(),
                n => format!("at R1..R{n}"),
            },
            match self.client_retry {
                true => format!("<= {} per operation", self.max_retries),
                false => "off".into(),
            },
            on(self.heartbeat),
            self.max_round,
            self.max_slots,
            self.window,
            self.max_batch,
            self.bug.name()
        )
    }
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
