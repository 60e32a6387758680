//! The checked claim for single-decree Paxos.
//!
//! This file is the whole claim in one place: the configuration ([`SingleConfig`], every knob),
//! which faults are explored (network kind, loss, crashes, timers), the ghost history the
//! properties are computed from ([`History`]), and the properties themselves
//! ([`SingleModel::properties`]).
//!
//! # The model
//!
//! [`SingleModel`] wraps stateright's `ActorModel` of [`SingleActor`]s. The wrapper adds what an
//! `ActorModel` cannot express: ghost variables that observe actor states after each step
//! (stability of learners, crash-recovery bookkeeping), the rule that clients (the outside
//! world) do not crash, readable action names (`P0 -> A1 Prepare(1.0)`), and the
//! canonicalization of stateright's duplicating network (see [`Model::next_state`] below).
//!
//! # Dead messages
//!
//! stateright offers no step for a delivery that changes nothing, so a message whose delivery
//! is a no-op only sits in the network, and states that differ in such leftovers multiply (a
//! late `Promise` for a ballot already in phase 2, an `Accept` below a promise, a `Chosen` to a
//! learner that knows). After every step the model removes protocol messages whose delivery is
//! a no-op ([`SingleModel::prunes_dead_messages`], [`SingleModel::is_prunable`]). This is sound
//! when a no-op message stays a no-op while it is in the network: the pruned state then has the
//! same steps, and no property reads the network. Promises and votes only grow, which is why it
//! holds here; `tests/dead_messages.rs` checks it on every edge of the unpruned models and that
//! no verdict changes. It is not applied with crashes or seeded bugs (a recovered or forgetful
//! acceptor can revive a message), nor to client messages (a `Propose` a busy proposer ignores
//! may be answered once it has decided).
//!
//! # Symmetry: acceptors only, and only with separate roles
//!
//! Symmetry reduction is sound only for permutations that map the model onto itself.
//!
//! **Proposers and clients are not permuted.** Proposers are not interchangeable: ballots
//! `(round, proposer)` break ties by proposer index, so relabelling proposers changes which
//! ballot wins. Clients are not interchangeable either: each carries its own value and starts
//! at its own proposer, so no permutation of clients fixes the initial state.
//!
//! **Acceptors are, with separate roles** (`merge = none`: `roles`, `faults` and the seeded
//! bugs built on them). They run one acceptor role, no actor names one acceptor differently
//! from another, no seeded bug singles one out, and every property counts or compares votes and
//! promises per acceptor in a way no relabelling changes. `paxos check --symmetry` explores one
//! state per orbit under permutations of acceptors (`models/symmetry.rs`, which also rewrites
//! every place an acceptor's identity appears in a state, and `tests/symmetry.rs`, which
//! checks the premises on every state of `roles` and that verdicts do not change). It is
//! refused with merged nodes, where an acceptor is also a proposer (`all`) or a learner that
//! clients address by index (`acceptor-learner`).
//!
//! # Properties
//!
//! "Chosen" is Lamport's definition, computed from *every vote ever cast* (recorded in the
//! ghost history whenever an acceptor's vote changes or it sends `Accepted`; a vote inside a
//! merged node never crosses the network, so messages alone would miss it), never from what
//! actors currently remember: `v` is chosen at ballot `b` when a majority of acceptors voted
//! `(b, v)`.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `agreement` | always | at most one value is ever chosen |
//! | `validity` | always | only a value some client proposed is chosen |
//! | `learner-agreement` | always | every value a live learner learned is chosen (so, with `agreement`, no two live learners differ) |
//! | `learners-agree` | always | no two learners ever learned different values (from the ghost `learned`: each learner's first value, crashed or not) |
//! | `stability` | always | a learner's value, once learned, never changes or disappears, across crash and recovery |
//! | `durability` | always | a live acceptor's promise is at least every ballot it ever promised or voted in |
//! | `round-durability` | always | a live proposer's round is at least the round of every `Prepare` it ever sent (so a restarted proposer never reuses a ballot; not judged with `shared-ballots`, where a ballot does not name its proposer) |
//! | `ballot-safety` | always | once `v` is chosen at `b`, every `Accept` at a higher ballot carries `v` |
//! | `linearizable` | always | the clients' history is linearizable for a write-once register |
//! | `value-chosen` | sometimes | some value gets chosen |
//! | `learner-learns` | sometimes | some live learner has learned a value (so `learner-agreement` and `stability` are not vacuous) |
//! | `client-answered` | sometimes | some client got a `Decided` answer (so `linearizable` is not vacuous) |
//! | `chosen-after-recovery` | sometimes | a value is chosen after an acceptor crashed and recovered (only with crashes) |
//! | `second-proposer-completes` | sometimes | a proposer gets chosen a value first voted for under another proposer's ballot (only with 2+ proposers) |
//!
//! Linearizability is checked exactly but compactly. For a consensus object (write-once
//! register) a history is linearizable iff every completed operation returned the same value `v`
//! and some `Propose(v)` was invoked before the first response: the winning proposal is
//! linearized first, every other operation after it.

use crate::ballot::Ballot;
pub use crate::single::knobs::{Knobs, LearnMode};
use crate::single::{quorum, Bug, Client, ClientPhase, Msg, Node, Phase, SingleActor, Value};
use serde::Serialize;
use stateright::actor::{
    is_no_op, model_timeout, Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id,
    LossyNetwork, Network, Out,
};
use stateright::{Expectation, Model, Path, Property};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

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

impl Merge {
    /// Command-line names.
    pub const NAMES: [&'static str; 3] = ["none", "all", "acceptor-learner"];
    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Merge> {
        match s {
            "none" => Some(Merge::None),
            "all" => Some(Merge::All),
            "acceptor-learner" => Some(Merge::AcceptorLearner),
            _ => None,
        }
    }
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Merge::None => "none",
            Merge::All => "all",
            Merge::AcceptorLearner => "acceptor-learner",
        }
    }
}

/// The network semantics explored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// FIFO per directed pair of actors.
    Ordered,
    /// Any order, each message delivered at most once.
    UnorderedNonduplicating,
    /// Any order, any message may be delivered again.
    UnorderedDuplicating,
}

impl NetworkKind {
    /// Command-line names.
    pub const NAMES: [&'static str; 3] = [
        "ordered",
        "unordered_nonduplicating",
        "unordered_duplicating",
    ];
    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<NetworkKind> {
        match s {
            "ordered" => Some(NetworkKind::Ordered),
            "unordered_nonduplicating" => Some(NetworkKind::UnorderedNonduplicating),
            "unordered_duplicating" => Some(NetworkKind::UnorderedDuplicating),
            _ => None,
        }
    }
    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
    fn network(self) -> Network<Msg> {
        match self {
            NetworkKind::Ordered => Network::new_ordered([]),
            NetworkKind::UnorderedNonduplicating => Network::new_unordered_nonduplicating([]),
            NetworkKind::UnorderedDuplicating => Network::new_unordered_duplicating([]),
        }
    }
}

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
    /// Looks up a named configuration.
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
        if self.nacks {
            s += ", nacks";
        }
        if self.eager_retry {
            s += ", eager retry";
        }
        if self.repromise {
            s += ", re-promise";
        }
        if self.leader {
            s += ", leader prepares ahead";
        }
        if self.loopback {
            s += ", loopback";
        }
        if self.catch_up {
            s += ", learner catch-up";
        }
        if self.retransmit {
            s += ", retransmission";
        }
        if self.consume_ignored {
            s += ", ignored deliveries consume";
        }
        if self.bug != Bug::None {
            s += &format!(", BUG {}", self.bug.name());
        }
        s
    }
}

/// What kind of actor sits at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Separate proposer.
    Proposer,
    /// Separate acceptor.
    Acceptor,
    /// Separate learner.
    Learner,
    /// Merged node.
    Node,
    /// Client.
    Client,
}

/// Actor ids by role.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Kind of each actor, by index.
    pub kinds: Vec<Kind>,
    /// Actors running a proposer, in proposer-index order.
    pub proposers: Vec<Id>,
    /// Actors running an acceptor, in acceptor-index order.
    pub acceptors: Vec<Id>,
    /// Actors running a learner.
    pub learners: Vec<Id>,
    /// Clients.
    pub clients: Vec<Id>,
}

impl Layout {
    /// Index of `id` among the proposers.
    pub fn proposer_index(&self, id: Id) -> usize {
        self.proposers.iter().position(|p| *p == id).unwrap_or(0)
    }
    /// Index of `id` among the acceptors.
    pub fn acceptor_index(&self, id: Id) -> Option<usize> {
        self.acceptors.iter().position(|p| *p == id)
    }
    /// Short name of an actor: `P0`, `A1`, `L0`, `N2`, `C1`.
    pub fn name(&self, id: Id) -> String {
        let i = usize::from(id);
        let Some(kind) = self.kinds.get(i) else {
            return format!("?{i}");
        };
        let (prefix, list) = match kind {
            Kind::Proposer => ("P", &self.proposers),
            Kind::Acceptor | Kind::Node => {
                (if *kind == Kind::Node { "N" } else { "A" }, &self.acceptors)
            }
            Kind::Learner => ("L", &self.learners),
            Kind::Client => ("C", &self.clients),
        };
        let n = list.iter().position(|x| *x == id).unwrap_or(0);
        format!("{prefix}{n}")
    }
}

/// A recorded `Promise`: `(acceptor index, ballot, reported vote)`.
pub type Promise1b = (u8, Ballot, Option<(Ballot, Value)>);

/// Ghost history: what happened, for the properties. Never read by actors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct History {
    /// Every vote cast: `(ballot, value, acceptor index)`, observed in acceptor states after
    /// every step and in every `Accepted` sent (2b).
    pub votes: BTreeSet<(Ballot, Value, u8)>,
    /// Every `(ballot, value)` proposed in phase 2 (2a): observed in proposer states and in
    /// every `Accept` sent.
    pub proposals: BTreeSet<(Ballot, Value)>,
    /// Every `Prepare` ballot sent (1a).
    pub prepares: BTreeSet<Ballot>,
    /// Every `Promise` sent (1b), `(acceptor index, ballot, reported vote)`, when recorded.
    pub promises: BTreeSet<Promise1b>,
    /// Highest ballot each acceptor (by index) ever promised or voted in (observed in its
    /// state and in the `Promise` / `Accepted` it sent).
    pub max_promised: Vec<Option<Ballot>>,
    /// Values clients asked to propose (invocations).
    pub invoked: BTreeSet<Value>,
    /// The value of the first response any client received.
    pub first_response: Option<Value>,
    /// Set when the client history stopped being linearizable.
    pub nonlinearizable: bool,
    /// First value each actor (by index) learned, when it runs a learner.
    pub learned: Vec<Option<Value>>,
    /// Set when a learner's value changed or disappeared.
    pub unstable: bool,
    /// Set when an acceptor recovered from a crash while nothing was chosen yet.
    pub recovered_before_choice: bool,
}

impl History {
    /// Values chosen at some ballot, from every vote ever cast: `(ballot, value)` pairs with a
    /// majority of acceptors (a true majority, whatever quorum a bugged model uses).
    pub fn chosen(&self, acceptors: usize) -> Vec<(Ballot, Value)> {
        let mut count: BTreeMap<(Ballot, Value), usize> = BTreeMap::new();
        for (b, v, _) in &self.votes {
            *count.entry((*b, *v)).or_default() += 1;
        }
        let q = quorum(acceptors, Bug::None);
        count
            .into_iter()
            .filter(|(_, n)| *n >= q)
            .map(|(k, _)| k)
            .collect()
    }

    fn record_out(cfg: &SingleConfig, h: &History, env: Envelope<&Msg>) -> Option<History> {
        let lay_acceptor = |id: Id| -> Option<u8> {
            // Acceptors are the contiguous block after the separate proposers.
            let first = match cfg.merge {
                Merge::All => 0,
                _ => cfg.proposers,
            };
            let i = usize::from(id);
            (i >= first && i < first + cfg.acceptors).then(|| (i - first) as u8)
        };
        let mut h2 = None::<History>;
        fn h2m<'a>(h2: &'a mut Option<History>, h: &History) -> &'a mut History {
            h2.get_or_insert_with(|| h.clone())
        }
        match *env.msg {
            Msg::Propose(v) if !h.invoked.contains(&v) => {
                h2m(&mut h2, h).invoked.insert(v);
            }
            Msg::Accept(b, v) if !h.proposals.contains(&(b, v)) => {
                h2m(&mut h2, h).proposals.insert((b, v));
            }
            Msg::Accepted(b, v) => {
                let a = lay_acceptor(env.src)?;
                if !h.votes.contains(&(b, v, a)) {
                    h2m(&mut h2, h).votes.insert((b, v, a));
                }
                if h.max_promised[a as usize] < Some(b) {
                    h2m(&mut h2, h).max_promised[a as usize] = Some(b);
                }
            }
            Msg::Promise(b, vote) => {
                let a = lay_acceptor(env.src)?;
                if h.max_promised[a as usize] < Some(b) {
                    h2m(&mut h2, h).max_promised[a as usize] = Some(b);
                }
                if cfg.record_phase1 && !h.promises.contains(&(a, b, vote)) {
                    h2m(&mut h2, h).promises.insert((a, b, vote));
                }
            }
            Msg::Prepare(b) if !h.prepares.contains(&b) => {
                h2m(&mut h2, h).prepares.insert(b);
            }
            _ => {}
        }
        h2
    }

    fn record_in(_cfg: &SingleConfig, h: &History, env: Envelope<&Msg>) -> Option<History> {
        // Only deliveries the client acted on reach here (stateright skips no-op deliveries),
        // so these are exactly the responses of the client's operations.
        let v = match *env.msg {
            Msg::Decided(v) | Msg::Learned(Some(v)) => v,
            _ => return None,
        };
        match h.first_response {
            None => {
                let mut h2 = h.clone();
                h2.first_response = Some(v);
                if !h.invoked.contains(&v) {
                    h2.nonlinearizable = true;
                }
                Some(h2)
            }
            Some(f) if f != v && !h.nonlinearizable => {
                let mut h2 = h.clone();
                h2.nonlinearizable = true;
                Some(h2)
            }
            _ => None,
        }
    }
}

/// The state of a single-decree model.
pub type SingleModelState = ActorModelState<SingleActor, History>;
/// An action of a single-decree model.
pub type SingleAction = ActorModelAction<Msg, crate::single::Timer, ()>;

/// The single-decree Paxos model: stateright's `ActorModel` plus ghost variables and
/// properties (see the module docs).
#[derive(Clone)]
pub struct SingleModel {
    /// The configuration.
    pub cfg: SingleConfig,
    /// Actor layout.
    pub layout: Layout,
    /// The wrapped actor model.
    pub inner: ActorModel<SingleActor, SingleConfig, History>,
    /// When set, only this property is checked (used for shortest counterexamples).
    pub only: Option<&'static str>,
}

impl SingleModel {
    /// Builds the model of `cfg` (which must be valid).
    pub fn new(cfg: SingleConfig) -> SingleModel {
        let layout = cfg.layout();
        let history = History {
            max_promised: vec![None; cfg.acceptors],
            learned: vec![None; layout.kinds.len()],
            ..History::default()
        };
        let inner = ActorModel::new(cfg.clone(), history)
            .actors(cfg.actors())
            .init_network(cfg.network.network())
            .lossy_network(if cfg.lossy {
                LossyNetwork::Yes
            } else {
                LossyNetwork::No
            })
            .max_crashes(cfg.max_crashes)
            .record_msg_out(History::record_out)
            .record_msg_in(History::record_in);
        SingleModel {
            cfg,
            layout,
            inner,
            only: None,
        }
    }

    /// Whether this model removes dead messages from the network (see the module docs):
    /// asked for (`prune_dead`), on an unordered network, with no crashes, no seeded bug and no
    /// retransmission, the conditions under which a message that is a no-op once stays a no-op
    /// (`tests/dead_messages.rs` checks that on every edge of the unpruned models). With
    /// `retransmit` the premise is not checked, so nothing is pruned.
    pub fn prunes_dead_messages(&self) -> bool {
        self.cfg.prune_dead
            && self.cfg.max_crashes == 0
            && self.cfg.bug == Bug::None
            && !self.cfg.retransmit
            && self.cfg.network != NetworkKind::Ordered
    }

    /// Whether delivering `env` in `s` would change nothing: the recipient's state stays the
    /// same and it sends nothing, sets no timer and saves nothing. stateright offers no such
    /// delivery as a step at all.
    pub fn is_no_op_delivery(&self, s: &SingleModelState, env: &Envelope<&Msg>) -> bool {
        let i = usize::from(env.dst);
        if i >= s.actor_states.len() || s.crashed[i] {
            return false;
        }
        let mut state = Cow::Borrowed(&*s.actor_states[i]);
        let mut out = Out::new();
        self.inner.actors[i].on_msg(env.dst, &mut state, env.src, *env.msg, &mut out);
        is_no_op(&state, &out)
    }

    /// Whether `msg` is a message between protocol roles (phases 1 and 2, `Nack`, `Chosen`),
    /// the kind `SingleModel::prune_dead_messages` may remove. Client messages are never
    /// removed: a `Propose` a busy proposer ignores now may be answered once it has decided.
    pub fn is_prunable(msg: &Msg) -> bool {
        matches!(
            msg,
            Msg::Prepare(..)
                | Msg::Promise(..)
                | Msg::Accept(..)
                | Msg::Accepted(..)
                | Msg::Nack(..)
                | Msg::Chosen(..)
        )
    }

    /// With [`SingleConfig::consume_ignored`], the step in which a message reaches an up
    /// recipient that ignores it: the message leaves the network, nothing else changes.
    fn consume_ignored(
        &self,
        last: &SingleModelState,
        action: &SingleAction,
    ) -> Option<SingleModelState> {
        let ActorModelAction::Deliver { src, dst, msg } = action else {
            return None;
        };
        if !self.cfg.consume_ignored || last.crashed.get(usize::from(*dst)).is_none_or(|c| *c) {
            return None;
        }
        let mut next = last.clone();
        let Network::UnorderedNonDuplicating(multiset) = &mut next.network else {
            return None;
        };
        let env = Envelope {
            src: *src,
            dst: *dst,
            msg: *msg,
        };
        match multiset.get(&env).copied() {
            Some(1) => {
                multiset.remove(&env);
            }
            Some(n) if n > 1 => {
                multiset.insert(env, n - 1);
            }
            _ => return None,
        }
        Some(next)
    }

    /// Removes every protocol message whose delivery is a no-op.
    fn prune_dead_messages(&self, s: &mut SingleModelState) {
        let dead: Vec<Envelope<Msg>> = s
            .network
            .iter_deliverable()
            .filter(|e| Self::is_prunable(e.msg) && self.is_no_op_delivery(s, e))
            .map(|e| e.to_cloned_msg())
            .collect();
        match &mut s.network {
            Network::UnorderedNonDuplicating(multiset) => {
                for e in &dead {
                    multiset.remove(e);
                }
            }
            Network::UnorderedDuplicating(set, _) => {
                for e in &dead {
                    set.remove(e);
                }
            }
            Network::Ordered(_) => {}
        }
    }

    /// The same model checking only property `name`.
    pub fn only(mut self, name: &'static str) -> Self {
        self.only = Some(name);
        self
    }

    /// Updates the ghost variables that observe actor states after a step.
    fn observe(
        &self,
        prev: Option<&SingleModelState>,
        action: Option<&SingleAction>,
        s: &mut SingleModelState,
    ) {
        if let (Some(prev), Some(ActorModelAction::Recover(id))) = (prev, action) {
            if self.layout.acceptor_index(*id).is_some()
                && prev.history.chosen(self.cfg.acceptors).is_empty()
                && !prev.history.recovered_before_choice
            {
                s.history.recovered_before_choice = true;
            }
        }
        for i in 0..s.actor_states.len() {
            if s.crashed[i] {
                continue;
            }
            let st = Arc::clone(&s.actor_states[i]);
            // Votes and promises are observed in the acceptor's state, so votes cast inside a
            // merged node (delivered locally, never on the network) are recorded too. Every
            // vote passes through `accepted`, one per step.
            if let (Some(a), Some(acc)) = (self.layout.acceptor_index(Id::from(i)), st.acceptor()) {
                if let Some((b, v)) = acc.accepted {
                    if !s.history.votes.contains(&(b, v, a as u8)) {
                        s.history.votes.insert((b, v, a as u8));
                    }
                }
                if acc.promised > s.history.max_promised[a] {
                    s.history.max_promised[a] = acc.promised;
                }
            }
            if let Some(p) = st.proposer() {
                if let Phase::Accepting { ballot, value, .. } = p.phase {
                    if !s.history.proposals.contains(&(ballot, value)) {
                        s.history.proposals.insert((ballot, value));
                    }
                }
            }
            if let Some(l) = st.learner() {
                let ghost = s.history.learned[i];
                match (ghost, l.learned) {
                    (None, Some(v)) => s.history.learned[i] = Some(v),
                    (Some(g), cur) if cur != Some(g) && !s.history.unstable => {
                        s.history.unstable = true
                    }
                    _ => {}
                }
            }
        }
    }

    /// Names an action the way traces print it: `P0 -> A1 Prepare(1.0)`.
    pub fn describe(&self, action: &SingleAction) -> String {
        let n = |id: &Id| self.layout.name(*id);
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!("{} -> {} {msg}", n(src), n(dst))
            }
            ActorModelAction::Drop(env) => {
                format!("drop {} -> {} {}", n(&env.src), n(&env.dst), env.msg)
            }
            ActorModelAction::Timeout(id, t) => format!("{} timeout {t:?}", n(id)),
            ActorModelAction::Crash(id) => format!("{} crashes", n(id)),
            ActorModelAction::Recover(id) => format!("{} recovers", n(id)),
            ActorModelAction::SelectRandom { actor, .. } => format!("{} random", n(actor)),
        }
    }

    /// Live acceptors' states, with their acceptor index.
    fn live_acceptors<'a>(
        &'a self,
        s: &'a SingleModelState,
    ) -> impl Iterator<Item = (usize, &'a crate::single::AcceptorState)> + 'a {
        self.layout
            .acceptors
            .iter()
            .enumerate()
            .filter(|(_, id)| !s.crashed[usize::from(**id)])
            .filter_map(|(a, id)| {
                s.actor_states[usize::from(*id)]
                    .acceptor()
                    .map(|st| (a, st))
            })
    }

    fn all_properties() -> Vec<Property<SingleModel>> {
        vec![
            Property::always("agreement", |m: &SingleModel, s: &SingleModelState| {
                s.history
                    .chosen(m.cfg.acceptors)
                    .iter()
                    .map(|c| c.1)
                    .collect::<BTreeSet<_>>()
                    .len()
                    <= 1
            }),
            Property::always("validity", |m: &SingleModel, s: &SingleModelState| {
                s.history
                    .chosen(m.cfg.acceptors)
                    .iter()
                    .all(|(_, v)| s.history.invoked.contains(v))
            }),
            Property::always(
                "learner-agreement",
                |m: &SingleModel, s: &SingleModelState| {
                    let chosen: BTreeSet<Value> = s
                        .history
                        .chosen(m.cfg.acceptors)
                        .iter()
                        .map(|c| c.1)
                        .collect();
                    s.actor_states.iter().enumerate().all(|(i, st)| {
                        s.crashed[i]
                            || st
                                .learner()
                                .and_then(|l| l.learned)
                                .is_none_or(|v| chosen.contains(&v))
                    })
                },
            ),
            Property::always("learners-agree", |_: &SingleModel, s: &SingleModelState| {
                // From the ghost `learned`: every learner's first learned value, crashed or not.
                s.history
                    .learned
                    .iter()
                    .flatten()
                    .collect::<BTreeSet<_>>()
                    .len()
                    <= 1
            }),
            Property::always("stability", |_: &SingleModel, s: &SingleModelState| {
                !s.history.unstable
            }),
            Property::always("durability", |m: &SingleModel, s: &SingleModelState| {
                m.live_acceptors(s)
                    .all(|(a, st)| st.promised >= s.history.max_promised[a])
            }),
            Property::always(
                "round-durability",
                |m: &SingleModel, s: &SingleModelState| {
                    // With shared ballots a `Prepare` does not name its proposer.
                    m.cfg.bug == Bug::SharedBallots
                        || m.layout.proposers.iter().all(|id| {
                            let i = usize::from(*id);
                            let p = m.layout.proposer_index(*id) as u32;
                            s.crashed[i]
                                || s.actor_states[i].proposer().is_none_or(|st| {
                                    s.history
                                        .prepares
                                        .iter()
                                        .filter(|b| b.proposer == p)
                                        .all(|b| b.round <= st.round)
                                })
                        })
                },
            ),
            Property::always("ballot-safety", |m: &SingleModel, s: &SingleModelState| {
                s.history.chosen(m.cfg.acceptors).iter().all(|(b, v)| {
                    s.history
                        .proposals
                        .iter()
                        .all(|(b2, v2)| b2 <= b || v2 == v)
                })
            }),
            Property::always("linearizable", |_: &SingleModel, s: &SingleModelState| {
                !s.history.nonlinearizable
            }),
            Property::sometimes("value-chosen", |m: &SingleModel, s: &SingleModelState| {
                !s.history.chosen(m.cfg.acceptors).is_empty()
            }),
            Property::sometimes("learner-learns", |_: &SingleModel, s: &SingleModelState| {
                s.actor_states.iter().enumerate().any(|(i, st)| {
                    !s.crashed[i] && st.learner().is_some_and(|l| l.learned.is_some())
                })
            }),
            Property::sometimes(
                "client-answered",
                |_: &SingleModel, s: &SingleModelState| {
                    // A client leaves `Proposing` only on a `Decided` answer.
                    s.actor_states.iter().any(|st| {
                        st.client()
                            .is_some_and(|c| !matches!(c.phase, ClientPhase::Proposing))
                    })
                },
            ),
            Property::sometimes(
                "chosen-after-recovery",
                |m: &SingleModel, s: &SingleModelState| {
                    s.history.recovered_before_choice
                        && !s.history.chosen(m.cfg.acceptors).is_empty()
                },
            ),
            Property::sometimes(
                "second-proposer-completes",
                |m: &SingleModel, s: &SingleModelState| {
                    s.history.chosen(m.cfg.acceptors).iter().any(|(b, v)| {
                        !s.history
                            .chosen(m.cfg.acceptors)
                            .iter()
                            .any(|(b1, _)| b1 < b)
                            && s.history
                                .votes
                                .iter()
                                .any(|(b1, v1, _)| v1 == v && b1 < b && b1.proposer != b.proposer)
                    })
                },
            ),
        ]
    }

    /// Names of the properties this configuration checks.
    pub fn property_names(&self) -> Vec<&'static str> {
        self.properties().iter().map(|p| p.name).collect()
    }

    /// Formats a path as numbered lines, `1. C0 -> P0 Propose(1)`.
    pub fn format_trace(&self, path: &Path<SingleModelState, SingleAction>) -> Vec<String> {
        path.clone()
            .into_actions()
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{}. {}", i + 1, self.describe(a)))
            .collect()
    }
}

impl Model for SingleModel {
    type State = SingleModelState;
    type Action = SingleAction;

    fn init_states(&self) -> Vec<Self::State> {
        let mut states = self.inner.init_states();
        for s in &mut states {
            self.observe(None, None, s);
            if self.prunes_dead_messages() {
                self.prune_dead_messages(s);
            }
        }
        states
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.inner.actions(state, actions);
        // Clients are the outside world, not a fault domain of the protocol: they do not crash.
        let duplicating = self.cfg.network == NetworkKind::UnorderedDuplicating;
        actions.retain(|a| match a {
            ActorModelAction::Crash(id) => match self.layout.kinds[usize::from(*id)] {
                Kind::Client => false,
                Kind::Acceptor | Kind::Node => true,
                Kind::Proposer | Kind::Learner => !self.cfg.crash_acceptors_only,
            },
            // On a duplicating network a message may already go undelivered forever, so an
            // explicit drop adds no behaviour of the actors; pruning it keeps the state
            // space to the behaviours that matter (see `SingleConfig::lossy`).
            ActorModelAction::Drop(_) => !duplicating,
            _ => true,
        });
        if self.cfg.consume_ignored {
            // A delivery the recipient ignores and a drop of the same message lead to the same
            // state; list deliveries first so that traces, which take the first action that
            // reproduces a step, say "delivered" rather than "lost".
            actions.sort_by_key(|a| matches!(a, ActorModelAction::Drop(_)));
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut next = match self.inner.next_state(last, action.clone()) {
            Some(next) => next,
            None => self.consume_ignored(last, &action)?,
        };
        // stateright's duplicating network remembers the last delivered message only to tell
        // states apart in its explorer; it never affects behaviour. Canonicalize it away.
        if let Network::UnorderedDuplicating(_, last_msg) = &mut next.network {
            *last_msg = None;
        }
        self.observe(Some(last), Some(&action), &mut next);
        if self.prunes_dead_messages() {
            self.prune_dead_messages(&mut next);
        }
        Some(next)
    }

    fn format_action(&self, action: &Self::Action) -> String {
        self.describe(action)
    }

    fn format_step(&self, last: &Self::State, action: Self::Action) -> Option<String> {
        self.inner.format_step(last, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.cfg.max_ballots == 0 || state.history.prepares.len() <= self.cfg.max_ballots
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Self::all_properties()
            .into_iter()
            .filter(|p| match p.name {
                "chosen-after-recovery" => self.cfg.max_crashes > 0,
                "second-proposer-completes" => self.layout.proposers.len() >= 2,
                _ => true,
            })
            .filter(|p| self.only.is_none_or(|o| o == p.name))
            .collect()
    }
}

impl fmt::Display for SingleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// The expectation name used in reports.
pub fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Sometimes => "sometimes",
        Expectation::Eventually => "eventually",
    }
}
