//! The configurations of the single-decree model: how roles are placed, the network, the
//! bounds and the protocol knobs, with the named configurations every pinned count refers to.

use super::*;

/// How roles are placed in processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Merge {
    /// Every role is its own actor.
    None,
    /// `acceptors` nodes, each running proposer, acceptor and learner.
    All,
    /// Separate proposers; `acceptors` nodes each running acceptor and learner.
    AcceptorLearner,
}

crate::names::names!(Merge {
    None => "none",
    All => "all",
    AcceptorLearner => "acceptor-learner",
});

pub use crate::models::network::NetworkKind;

/// Every knob of a single-decree model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SingleConfig {
    /// Number of proposers (ignored with `merge = all`: every node proposes).
    pub proposers: usize,
    /// Number of acceptors (with `merge = all` or `acceptor-learner`: number of nodes).
    pub acceptors: usize,
    /// Number of learners (ignored when learners are merged into nodes).
    pub learners: usize,
    /// Role placement.
    pub merge: Merge,
    /// How learners learn.
    pub learn: LearnMode,
    /// Number of clients; client `i` proposes value `i + 1`.
    pub clients: usize,
    /// Network semantics.
    pub network: NetworkKind,
    /// Whether messages may be lost. On an ordered or non-duplicating network this adds
    /// explicit drops. On a duplicating network any message may already stay undelivered
    /// forever, which is loss as far as every actor can tell, so explicit drops are pruned
    /// there (they would only multiply network states, not actor behaviours).
    pub lossy: bool,
    /// Bound on simultaneously crashed actors (clients never crash).
    pub max_crashes: usize,
    /// Only acceptors (or nodes containing one) crash; otherwise every protocol actor may.
    pub crash_acceptors_only: bool,
    /// Whether proposers have retry timers (restart with a higher ballot).
    pub timers: bool,
    /// Whether clients have retry timers (ask the next proposer / learner).
    pub client_retry: bool,
    /// Highest round a proposer may start.
    pub max_round: u32,
    /// Bound on the number of distinct ballots started across all proposers (0: only
    /// `max_round` bounds them). A step that would start one more ballot is cut off.
    pub max_ballots: usize,
    /// Whether acceptors answer refusals with `Nack`.
    pub nacks: bool,
    /// Whether a proposer restarts at once on a `Nack` (the duelling-proposers setting).
    pub eager_retry: bool,
    /// Whether messages whose delivery has become a no-op are removed from the network (see
    /// the module docs; applied only without crashes and seeded bugs, on unordered networks).
    pub prune_dead: bool,
    /// Whether acceptors answer a `Prepare` for the ballot they already promised with a
    /// `Promise` again (an idempotent reply to a retransmitted `Prepare`, safe when ballots are
    /// unique; see [`Acceptor::repromise`](crate::single::acceptor::Acceptor::repromise)).
    pub repromise: bool,
    /// Whether the first proposer is the leader that runs phase 1 at start, before any client
    /// asks (see [`Proposer::lead`](crate::single::proposer::Proposer::lead)).
    pub leader: bool,
    /// Whether merged nodes send messages to themselves through the network rather than
    /// handling them within the step (see [`Node::loopback`](crate::single::node::Node)).
    pub loopback: bool,
    /// A decided proposer announces `Chosen` to the learners again whenever a client asks it
    /// (`Propose`) or its node (`Query`): the learners' catch-up (see
    /// [`Proposer::catch_up`](crate::single::Proposer)).
    pub catch_up: bool,
    /// Proposers retransmit the current phase at the same ballot when their timer fires and
    /// the ballot was not refused, and acceptors answer retransmitted `Prepare`s and `Accept`s
    /// again (see [`Proposer::retransmit`](crate::single::proposer::Proposer::retransmit));
    /// only a `Nack` opens a higher ballot. Meant with `nacks`.
    pub retransmit: bool,
    /// A delivery the recipient ignores still takes the message out of the network, as on a
    /// real network (non-duplicating networks only). stateright offers no step for such a
    /// delivery and leaves the message in flight forever; for safety that changes nothing
    /// (the step changes no actor), but a timer that waits until its messages are no longer
    /// in flight (the `leader-progress` claim) would wait forever, and retries would pile up
    /// copies of ignored messages.
    pub consume_ignored: bool,
    /// Seeded bug.
    #[serde(serialize_with = "ser_bug")]
    pub bug: Bug,
    /// Record phase-1 messages (`Prepare`, `Promise`) in the history too (for refinement).
    pub record_phase1: bool,
}

fn ser_bug<S: serde::Serializer>(b: &Bug, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.name())
}

/// The named configurations.
pub const CONFIG_NAMES: [&str; 5] = ["compat", "roles", "faults", "runtime", "runtime-roles"];

impl SingleConfig {
    /// Looks up a named configuration. Longer than 70 lines for a reason: it is the table of
    /// named configurations every pinned count refers to, kept in one place.
    pub fn named(name: &str) -> Option<SingleConfig> {
        match name {
            // 3 merged nodes, 2 clients, non-duplicating network, no timers, no crashes: the job
            // of stateright's own examples/paxos.rs.
            "compat" => Some(SingleConfig {
                proposers: 3,
                acceptors: 3,
                learners: 3,
                merge: Merge::All,
                learn: LearnMode::Proposer,
                clients: 2,
                network: NetworkKind::UnorderedNonduplicating,
                lossy: false,
                max_crashes: 0,
                crash_acceptors_only: false,
                timers: false,
                client_retry: false,
                max_round: 3,
                max_ballots: 0,
                nacks: false,
                eager_retry: false,
                prune_dead: true,
                repromise: false,
                leader: false,
                loopback: false,
                catch_up: false,
                retransmit: false,
                consume_ignored: false,
                bug: Bug::None,
                record_phase1: false,
            }),
            // Every role separate: 2 proposers, 3 acceptors, 1 learner, 2 clients.
            "roles" => Some(SingleConfig {
                proposers: 2,
                learners: 1,
                merge: Merge::None,
                learn: LearnMode::Votes,
                record_phase1: true,
                ..Self::named("compat").unwrap()
            }),
            // `roles` on a lossy duplicating network, one acceptor crash at a time, proposer
            // retries, two ballots. Each bound is there because the next step up is out of
            // reach of a test run (measured, see README): crashes of every actor make it 14.1M
            // states, client retries or a third ballot multiply it further.
            "faults" => Some(SingleConfig {
                network: NetworkKind::UnorderedDuplicating,
                lossy: true,
                max_crashes: 1,
                crash_acceptors_only: true,
                timers: true,
                client_retry: false,
                max_round: 2,
                max_ballots: 2,
                nacks: false,
                ..Self::named("roles").unwrap()
            }),
            // What `paxos node` runs: 3 merged nodes whose first proposer leads (prepares at
            // start), messages to self through the loopback, learners that learn from the
            // proposer's `Chosen` only, `Nack`s and proposer retries on; two ballots (the
            // leader's and one more, a competitor's or a retry; with a third ballot the check
            // did not finish in 6 minutes).
            "runtime" => Some(SingleConfig {
                timers: true,
                nacks: true,
                max_round: 2,
                max_ballots: 2,
                learn: LearnMode::Chosen,
                leader: true,
                loopback: true,
                catch_up: true,
                ..Self::named("compat").unwrap()
            }),
            // What `paxos node` runs when the cluster file lists two proposers, three
            // acceptors and one learner as separate processes: `roles` with the runtime's
            // protocol knobs (the first proposer leads, learners learn from `Chosen` and are
            // caught up, `Nack`s and proposer retries on), two ballots.
            "runtime-roles" => {
                let runtime = Self::named("runtime").unwrap();
                Some(SingleConfig {
                    timers: runtime.timers,
                    nacks: runtime.nacks,
                    max_round: runtime.max_round,
                    max_ballots: runtime.max_ballots,
                    learn: runtime.learn,
                    leader: runtime.leader,
                    catch_up: runtime.catch_up,
                    ..Self::named("roles").unwrap()
                })
            }
            _ => None,
        }
    }

    /// Checks the configuration, explaining what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.acceptors < 3 {
            return Err(format!(
                "--acceptors {}: Paxos needs at least 3 acceptors; a majority quorum of 3 \
                 tolerates one failed acceptor, fewer tolerate none",
                self.acceptors
            ));
        }
        if self.acceptors > 64 {
            return Err("--acceptors: at most 64 acceptors are supported".into());
        }
        if self.clients == 0 {
            return Err("--clients 0: at least one client is needed to propose a value".into());
        }
        if self.merge != Merge::All && self.proposers == 0 {
            return Err("--proposers 0: at least one proposer is needed".into());
        }
        if self.merge == Merge::None && self.learners == 0 {
            return Err("--learners 0: at least one learner is needed".into());
        }
        if self.max_round == 0 {
            return Err("--max-round 0: proposers need at least round 1".into());
        }
        if self.actor_count() > 60 {
            return Err("too many actors for a model (at most 60)".into());
        }
        if self.consume_ignored && self.network != NetworkKind::UnorderedNonduplicating {
            return Err(
                "--consume-ignored needs --network unordered_nonduplicating: on a \
                        duplicating network a delivered message stays, and an ordered one \
                        already delivers every message"
                    .into(),
            );
        }
        if self.retransmit && !(self.nacks && self.timers) {
            return Err(
                "--retransmit needs --nacks and --timers: a proposer retransmits when its \
                        timer fires, and only a Nack tells it that its ballot was refused \
                        rather than its messages lost"
                    .into(),
            );
        }
        Ok(())
    }

    /// Actors, in index order: proposers, acceptors or nodes, learners, clients.
    pub fn layout(&self) -> Layout {
        let mut kinds = Vec::new();
        let (p, a, l) = match self.merge {
            Merge::None => (self.proposers, self.acceptors, self.learners),
            Merge::All => (0, self.acceptors, 0),
            Merge::AcceptorLearner => (self.proposers, self.acceptors, 0),
        };
        kinds.extend(std::iter::repeat_n(Kind::Proposer, p));
        let node = match self.merge {
            Merge::None => Kind::Acceptor,
            _ => Kind::Node,
        };
        kinds.extend(std::iter::repeat_n(node, a));
        kinds.extend(std::iter::repeat_n(Kind::Learner, l));
        kinds.extend(std::iter::repeat_n(Kind::Client, self.clients));
        let ids = |pred: &dyn Fn(Kind) -> bool| -> Vec<Id> {
            (0..kinds.len())
                .filter(|i| pred(kinds[*i]))
                .map(Id::from)
                .collect()
        };
        let merge = self.merge;
        Layout {
            proposers: ids(&|k| k == Kind::Proposer || (k == Kind::Node && merge == Merge::All)),
            acceptors: ids(&|k| k == Kind::Acceptor || k == Kind::Node),
            learners: ids(&|k| k == Kind::Learner || k == Kind::Node),
            clients: ids(&|k| k == Kind::Client),
            kinds,
        }
    }

    fn actor_count(&self) -> usize {
        let (p, l) = match self.merge {
            Merge::None => (self.proposers, self.learners),
            Merge::All => (0, 0),
            Merge::AcceptorLearner => (self.proposers, 0),
        };
        p + self.acceptors + l + self.clients
    }

    /// This configuration's protocol knobs, with which [`SingleConfig::actors`] builds every
    /// role (the runtime builds its nodes with the same functions, from [`Knobs::RUNTIME`]).
    pub fn knobs(&self) -> Knobs {
        Knobs {
            learn: self.learn,
            nacks: self.nacks,
            eager_retry: self.eager_retry,
            repromise: self.repromise,
            leader: self.leader,
            loopback: self.loopback,
            catch_up: self.catch_up,
            retransmit: self.retransmit,
            bug: self.bug,
        }
    }

    /// The actors of this configuration.
    pub fn actors(&self) -> Vec<SingleActor> {
        let lay = self.layout();
        let retry = self.timers.then(model_timeout);
        let client_retry = self.client_retry.then(model_timeout);
        let knobs = self.knobs();
        let proposer = |index: usize| {
            knobs.proposer(
                index as u32,
                &lay.acceptors,
                &lay.learners,
                retry.clone(),
                self.max_round,
            )
        };
        let acceptor = || knobs.acceptor(&lay.learners);
        let learner = || knobs.learner(&lay.acceptors);
        let mut actors = Vec::new();
        let mut client_no = 0;
        for (i, kind) in lay.kinds.iter().enumerate() {
            let id = Id::from(i);
            actors.push(match kind {
                Kind::Proposer => SingleActor::Proposer(proposer(lay.proposer_index(id))),
                Kind::Acceptor => SingleActor::Acceptor(acceptor()),
                Kind::Learner => SingleActor::Learner(learner()),
                Kind::Node => SingleActor::Node(Node {
                    proposer: (self.merge == Merge::All).then(|| proposer(lay.proposer_index(id))),
                    acceptor: Some(acceptor()),
                    learner: Some(learner()),
                    loopback: self.loopback,
                }),
                Kind::Client => {
                    client_no += 1;
                    SingleActor::Client(Client {
                        value: client_no as Value,
                        proposers: lay.proposers.clone(),
                        learners: lay.learners.clone(),
                        first: client_no - 1,
                        retry: client_retry.clone(),
                    })
                }
            });
        }
        actors
    }

    /// One-line human summary.
    pub fn summary(&self) -> String {
        let roles = match self.merge {
            Merge::None => format!(
                "{} proposers, {} acceptors, {} learners",
                self.proposers, self.acceptors, self.learners
            ),
            Merge::All => format!("{} merged nodes", self.acceptors),
            Merge::AcceptorLearner => format!(
                "{} proposers, {} acceptor+learner nodes",
                self.proposers, self.acceptors
            ),
        };
        let mut s = format!(
            "{roles}, learn via {}, {} clients, {} network{}",
            self.learn.name(),
            self.clients,
            self.network.name(),
            match (self.lossy, self.network) {
                (false, _) => "",
                // See `lossy`: loss is a message that is never delivered.
                (true, NetworkKind::UnorderedDuplicating) => " (lossy: no explicit drops)",
                (true, _) => " (lossy)",
            }
        );
        if self.max_crashes > 0 {
            s += &format!(
                ", max {} crashed{}",
                self.max_crashes,
                if self.crash_acceptors_only {
                    " (acceptors only)"
                } else {
                    ""
                }
            );
        }
        s += if self.timers {
            ", proposer retries"
        } else {
            ", no proposer timers"
        };
        if self.client_retry {
            s += ", client retries";
        }
        s += &format!(", rounds <= {}", self.max_round);
        if self.max_ballots > 0 {
            s += &format!(", ballots <= {}", self.max_ballots);
        }
        let switches = [
            (self.nacks, "nacks"),
            (self.eager_retry, "eager retry"),
            (self.repromise, "re-promise"),
            (self.leader, "leader prepares ahead"),
            (self.loopback, "loopback"),
            (self.catch_up, "learner catch-up"),
            (self.retransmit, "retransmission"),
            (self.consume_ignored, "ignored deliveries consume"),
        ];
        for (on, name) in switches {
            if on {
                s += ", ";
                s += name;
            }
        }
        if self.bug != Bug::None {
            s += &format!(", BUG {}", self.bug.name());
        }
        s
    }
}

impl fmt::Display for SingleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}
