//! The message-level ("voting") specification of single-decree Paxos, as a
//! [`stateright::Model`].
//!
//! This is a Rust rendering of the abstract Paxos spec Leslie Lamport uses in the talk
//! *"The Paxos Algorithm, or How to Win a Turing Award"* (module `Paxos` in the
//! `tlaplus/Examples` repository, directory `PaxosHowToWinATuringAward`). There are no
//! processes, clocks or networks here: the whole system is four variables, and every step
//! of the protocol is one atomic change to them. The actor implementation in
//! [`crate::single`] is meant to *refine* this model: every step it takes should map to a
//! step of this model (or to no change at all).
//!
//! # Constants
//!
//! [`SpecConfig`] fixes the finite instance that is checked:
//!
//! * acceptors `0..acceptors` (TLA+ `Acceptor`);
//! * values `0..values` (TLA+ `Value`); values are plain indices, a caller that uses other
//!   payloads maps them onto indices first;
//! * ballots `0..=max_ballot` (TLA+ `Ballot`, which the TLC model overrides with
//!   `0..MaxBallot`); `-1` ([`NO_BALLOT`]) stands for "no ballot yet";
//! * quorums: every set of exactly `acceptors / 2 + 1` acceptors (TLA+ `Quorum`). Any two
//!   such sets share an acceptor, which is the only property of quorums Paxos needs.
//!
//! # State
//!
//! [`SpecState`] has one field per TLA+ variable:
//!
//! | Rust              | TLA+          | meaning                                                   |
//! |-------------------|---------------|-----------------------------------------------------------|
//! | `max_bal[a]`      | `maxBal[a]`   | highest ballot `a` has promised (or voted) in, `-1` at first |
//! | `max_vbal[a]`     | `maxVBal[a]`  | ballot of the latest vote `a` cast, `-1` if it never voted |
//! | `max_val[a]`      | `maxVal[a]`   | value of that vote, `None` (TLA+ `None`) if it never voted |
//! | `msgs`            | `msgs`        | every message ever sent                                   |
//!
//! `msgs` only grows. Receiving a message means reading it from `msgs` without removing it,
//! so a message can be received any number of times, by anyone, in any order, or never:
//! loss, duplication and reordering need no separate actions. Since this is a safety spec,
//! a lost message is indistinguishable from one that has not been received yet. `msgs` is a
//! [`BTreeSet`], so two states with the same messages hash and compare equal however the
//! messages were sent, exactly as two TLA+ sets are equal.
//!
//! # Messages
//!
//! [`SpecMsg`] has the four record types of the TLA+ `Message` set:
//!
//! * `P1a { bal }`: `[type |-> "1a", bal]`, the leader of `bal` asks acceptors to join it;
//! * `P1b { acc, bal, mbal, mval }`: `[type |-> "1b", ...]`, acceptor `acc` promises never to
//!   take part in a ballot below `bal`, and reports its latest vote `(mbal, mval)`
//!   (`(-1, None)` if it has not voted);
//! * `P2a { bal, val }`: `[type |-> "2a", ...]`, the leader of `bal` asks acceptors to vote
//!   for `val` in `bal`;
//! * `P2b { acc, bal, val }`: `[type |-> "2b", ...]`, acceptor `acc` voted for `val` in `bal`.
//!   The 2b messages *are* the votes: the TLA+ `votes[a]` is the set of `<<bal, val>>` pairs of
//!   `a`'s 2b messages, and a value is chosen once a quorum has 2b messages for the same
//!   ballot and value.
//!
//! # Actions
//!
//! [`SpecAction`] names one instance of a TLA+ sub-action, with the existential witnesses
//! made explicit so that each action has at most one successor:
//!
//! * `Phase1a(b)` (TLA+ `Phase1a(b)`): send `1a(b)`. Always enabled. If `1a(b)` was already
//!   sent the step changes nothing; such a stuttering step is not a new state for TLC, and
//!   here it is simply not offered by [`Model::actions`] ([`Model::next_state`] returns
//!   `None` for it).
//! * `Phase1b(a, b)` (TLA+ `Phase1b(a)` with the 1a message `m` where `m.bal = b`): if `1a(b)`
//!   has been sent and `b > max_bal[a]`, acceptor `a` raises `max_bal[a]` to `b` and sends
//!   `1b(a, b, max_vbal[a], max_val[a])`. This is phase 1 of the acceptor: the promise.
//! * `Phase2a(b, v)` (TLA+ `Phase2a(b, v)`): the leader of `b` proposes `v`. Enabled when
//!   1. no `2a` for ballot `b` has been sent (a ballot has one leader that proposes once);
//!   2. some quorum `Q` has all sent `1b` for `b`; and
//!   3. among those `1b` messages from `Q` for `b`, either none reports a vote, or `v` is the
//!      value reported with the highest `mbal`.
//!
//!   Condition 3 is the heart of Paxos: it is how the leader learns, from a quorum's
//!   promises, which value (if any) might already have been chosen in a lower ballot.
//! * `Phase2b(a, b, v)` (TLA+ `Phase2b(a)` with the 2a message `m = 2a(b, v)`): if `2a(b, v)`
//!   has been sent and `b >= max_bal[a]` (`a` has promised nothing higher), acceptor `a`
//!   votes: `max_bal[a]` and `max_vbal[a]` become `b`, `max_val[a]` becomes `v`, and
//!   `2b(a, b, v)` is sent. If `a` already voted exactly this, the step is a stutter and is
//!   not offered.
//!
//! The order in which [`Model::actions`] lists them follows the TLA+ `Next` formula: for each
//! ballot, `Phase1a` then each `Phase2a`; then for each acceptor, `Phase1b` then `Phase2b`.
//!
//! # Properties
//!
//! Every property is a `stateright` [`Property`]; the `Always` ones are also reported by
//! [`SpecModel::violated_invariants`], which the actor-model refinement check
//! ([`super::refinement`]) evaluates on every distinct spec state it maps an actor state to.
//! Names are the constants in this module.
//!
//! * [`CONSISTENCY`] (`consistency`): at most one value is chosen. A value `v` is chosen when
//!   some quorum all sent `2b` for `v` in one ballot (TLA+ `V!chosen`, with `ChosenAt`). This
//!   is the safety property Paxos exists for.
//! * [`TYPE_OK`] (`type-ok`): the TLA+ `TypeOK`: vectors have one entry per acceptor, ballots
//!   are in `-1..=max_ballot` (message ballots in `0..=max_ballot`), acceptors and values are
//!   in range, and a `1b` reports `mval = None` exactly when `mbal = -1`. Rust's types already
//!   give most of `TypeOK`; this catches out-of-range numbers in states built by hand or by a
//!   refinement mapping.
//!
//! The rest split Lamport's inductive invariant `Inv` into parts, so that a failure says
//! which part of the argument broke:
//!
//! * [`INV_MAXBAL_GE_MAXVBAL`] (`inv-maxbal-ge-maxvbal`): `max_bal[a] >= max_vbal[a]`. Voting
//!   in `b` raises `max_bal` to `b` too, so an acceptor never votes above its promise.
//! * [`INV_VOTE_IN_MSGS`] (`inv-vote-in-msgs`): if `max_vbal[a] = -1` then `max_val[a] = None`,
//!   otherwise `2b(a, max_vbal[a], max_val[a])` is in `msgs`. The acceptor's local record of
//!   its latest vote is backed by a real vote, so what it reports in `1b` messages is true.
//! * [`INV_MSGS_JUSTIFIED`] (`inv-msgs-justified`): every message in `msgs` is one the
//!   algorithm could have sent:
//!   * `1b(a, b, mb, mv)`: `b <= max_bal[a]` (the promise is still kept), and the report is
//!     accurate: if `mb >= 0` then `2b(a, mb, mv)` is in `msgs`, and `a` has not voted in any
//!     ballot strictly between `mb` and `b` (with `mb = -1`: in no ballot below `b`). Lamport's
//!     `Inv` states the first two; the third is what makes a leader's reading of a quorum's
//!     1b messages sound, and it holds because votes only go up and the promise forbids
//!     later votes below `b`.
//!   * `2a(b, v)`: it is the only 2a for `b` (TLA+: any two 2a messages with the same ballot
//!     have the same value), and some quorum `Q` shows that `v` is safe at `b`: this is
//!     Voting's `ShowsSafeAt(Q, b, v)`: every member of `Q` has `max_bal >= b`, and for some
//!     `c` in `-1..b`, (if `c >= 0`) a member of `Q` voted for `v` in `c`, and no member of
//!     `Q` voted in any ballot `d` with `c < d < b`.
//!   * `2b(a, b, v)`: a matching `2a(b, v)` was sent, and `b <= max_vbal[a]`.
//!
//! Two more parts state the properties of the Voting spec (module `Voting`) that the Paxos
//! spec implements, read through the votes recorded in `msgs`; they are what the proof of
//! `consistency` uses directly:
//!
//! * [`INV_ONE_VALUE_PER_BALLOT`] (`inv-one-value-per-ballot`): no two votes (2b messages, by
//!   the same or different acceptors) in one ballot are for different values (Voting's
//!   `OneValuePerBallot`, which implies `OneVote`).
//! * [`INV_VOTES_SAFE`] (`inv-votes-safe`): every vote `2b(a, b, v)` is for a value safe at `b`
//!   (Voting's `VotesSafe`). `SafeAt(b, v)` means that for every ballot `c < b`, some quorum
//!   `Q` has each member either voted for `v` in `c` or unable to vote in `c` any more
//!   (`CannotVoteAt`: `max_bal > c` and no vote in `c`; other Paxos specs call this
//!   `WontVoteIn`). So no value other than `v` was or can ever be chosen below `b`.
//!
//! Finally [`VALUE_CHOSEN`] (`value-chosen`) is a `Sometimes` property: some state has a
//! chosen value. It guards against a model in which nothing ever happens, where every
//! `Always` property would hold vacuously.
//!
//! # State counts
//!
//! With 3 acceptors, 2 values and `max_ballot = 1` TLC explores the TLA+ spec (no symmetry)
//! to 3,921 distinct states (23,563 generated, depth 17). This model reaches the same 3,921
//! states, and stateright's BFS reports depth 17 too (both count the initial state as depth
//! 1). The integration test `tests/spec.rs` pins both numbers, and also recomputes TLC's
//! "generated" count by counting the existential witnesses TLC enumerates per state.
//! (stateright's own `state_count` is smaller, 9,443, because here each action instance has
//! one successor and stuttering actions are not offered.)
//!
//! Larger instances (3 acceptors, 2 values, stateright BFS in release mode):
//! `max_ballot = 2`: 185,369 states, depth 25 (about 1 s); `max_ballot = 3`: 8,220,065
//! states, depth 33 (about 90 s with 2 threads, 110 s with 1). With more than one thread
//! stateright's BFS is not strictly level by level, so its `max_depth` is only guaranteed
//! exact with one thread; these depths were confirmed with one.
//!
//! # Refinement support
//!
//! [`SpecModel::is_next_step`] decides whether one state follows another by a single `Next`
//! step without enumerating successors: the difference between the two states (at most one
//! added message, at most one acceptor changed) names the only action that could explain
//! it, and that action's guard and effect are then checked.
//!
//! One level up, [`super::voting_refinement`] checks that this spec in turn implements
//! Lamport's `Voting` spec (`paxos spec --refines-voting`): every step of it is an
//! `IncreaseMaxBal`, a `VoteFor` or a stutter of `Voting` under `V == INSTANCE Voting`.

use std::collections::BTreeSet;

use itertools::Itertools;
use serde::Serialize;
use stateright::{Model, Property};

/// Ballot number meaning "none" (TLA+ `-1`): the initial `max_bal` and `max_vbal`, and the
/// `mbal` of a 1b message from an acceptor that has not voted.
pub const NO_BALLOT: i32 = -1;

/// Property name: at most one value is chosen.
pub const CONSISTENCY: &str = "consistency";
/// Property name: the TLA+ `TypeOK` (ranges and lengths).
pub const TYPE_OK: &str = "type-ok";
/// Property name: `max_bal[a] >= max_vbal[a]` for every acceptor.
pub const INV_MAXBAL_GE_MAXVBAL: &str = "inv-maxbal-ge-maxvbal";
/// Property name: an acceptor's recorded latest vote is one of its 2b messages.
pub const INV_VOTE_IN_MSGS: &str = "inv-vote-in-msgs";
/// Property name: every 1b, 2a and 2b message is justified by the current state.
pub const INV_MSGS_JUSTIFIED: &str = "inv-msgs-justified";
/// Property name: votes in the same ballot are for the same value.
pub const INV_ONE_VALUE_PER_BALLOT: &str = "inv-one-value-per-ballot";
/// Property name: every vote is for a value that is safe at its ballot.
pub const INV_VOTES_SAFE: &str = "inv-votes-safe";
/// Property name (`Sometimes`): some value gets chosen.
pub const VALUE_CHOSEN: &str = "value-chosen";

type Check = fn(&SpecModel, &SpecState) -> bool;

/// Every `Always` property, in the order [`Model::properties`] lists them.
const INVARIANTS: [(&str, Check); 7] = [
    (CONSISTENCY, SpecModel::consistency),
    (TYPE_OK, SpecModel::type_ok),
    (INV_MAXBAL_GE_MAXVBAL, SpecModel::inv_maxbal_ge_maxvbal),
    (INV_VOTE_IN_MSGS, SpecModel::inv_vote_in_msgs),
    (INV_MSGS_JUSTIFIED, SpecModel::inv_msgs_justified),
    (
        INV_ONE_VALUE_PER_BALLOT,
        SpecModel::inv_one_value_per_ballot,
    ),
    (INV_VOTES_SAFE, SpecModel::inv_votes_safe),
];

/// The names of all `Always` properties (the invariants), in a fixed order.
pub const INVARIANT_NAMES: [&str; 7] = [
    CONSISTENCY,
    TYPE_OK,
    INV_MAXBAL_GE_MAXVBAL,
    INV_VOTE_IN_MSGS,
    INV_MSGS_JUSTIFIED,
    INV_ONE_VALUE_PER_BALLOT,
    INV_VOTES_SAFE,
];

/// The constants of one finite instance of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SpecConfig {
    /// Number of acceptors; acceptors are `0..acceptors`. At most 64.
    pub acceptors: usize,
    /// Number of values; values are `0..values`.
    pub values: usize,
    /// Highest ballot; ballots are `0..=max_ballot`.
    pub max_ballot: i32,
}

impl Default for SpecConfig {
    /// The instance of TLC's `MCPaxosTiny` model: 3 acceptors, 2 values, ballots 0 and 1.
    fn default() -> Self {
        SpecConfig {
            acceptors: 3,
            values: 2,
            max_ballot: 1,
        }
    }
}

/// A message (TLA+ `Message`); see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SpecMsg {
    /// `[type |-> "1a", bal]`: start ballot `bal`.
    P1a { bal: i32 },
    /// `[type |-> "1b", acc, bal, mbal, mval]`: `acc` promises `bal` and reports its latest vote.
    P1b {
        acc: usize,
        bal: i32,
        mbal: i32,
        mval: Option<usize>,
    },
    /// `[type |-> "2a", bal, val]`: the leader of `bal` proposes `val`.
    P2a { bal: i32, val: usize },
    /// `[type |-> "2b", acc, bal, val]`: `acc` votes for `val` in `bal`.
    P2b { acc: usize, bal: i32, val: usize },
}

/// A state of the spec (the TLA+ variables `maxBal`, `maxVBal`, `maxVal`, `msgs`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SpecState {
    /// `maxBal`: per acceptor, the highest ballot it has promised or voted in.
    pub max_bal: Vec<i32>,
    /// `maxVBal`: per acceptor, the ballot of its latest vote.
    pub max_vbal: Vec<i32>,
    /// `maxVal`: per acceptor, the value of its latest vote.
    pub max_val: Vec<Option<usize>>,
    /// `msgs`: every message sent so far.
    pub msgs: BTreeSet<SpecMsg>,
}

/// One instance of a TLA+ sub-action, existential witnesses included; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpecAction {
    /// `Phase1a(b)`.
    Phase1a(i32),
    /// `Phase1b(a)` receiving `1a(b)`: `(a, b)`.
    Phase1b(usize, i32),
    /// `Phase2a(b, v)`: `(b, v)`.
    Phase2a(i32, usize),
    /// `Phase2b(a)` receiving `2a(b, v)`: `(a, b, v)`.
    Phase2b(usize, i32, usize),
}

/// The spec as a model: the constants plus precomputed quorums.
#[derive(Clone, Debug)]
pub struct SpecModel {
    /// The constants.
    pub cfg: SpecConfig,
    /// Quorums as bit masks over acceptors (bit `a` set when acceptor `a` is a member).
    quorum_masks: Vec<u64>,
    /// The same quorums as sorted member lists.
    quorums: Vec<Vec<usize>>,
}

impl SpecModel {
    /// Builds the model for `cfg`; the quorums are all subsets of `acceptors / 2 + 1`
    /// acceptors.
    ///
    /// # Panics
    ///
    /// If there are no acceptors or more than 64, no values, or `max_ballot < 0`.
    pub fn new(cfg: SpecConfig) -> Self {
        assert!(
            (1..=64).contains(&cfg.acceptors),
            "acceptors must be in 1..=64"
        );
        assert!(cfg.values >= 1, "there must be at least one value");
        assert!(cfg.max_ballot >= 0, "max_ballot must be >= 0");
        let size = cfg.acceptors / 2 + 1;
        // `combinations` lists the subsets in lexicographic order, as `quorums` promises.
        let quorums: Vec<Vec<usize>> = (0..cfg.acceptors).combinations(size).collect();
        let quorum_masks = quorums.iter().map(|q| mask_of(q)).collect();
        SpecModel {
            cfg,
            quorum_masks,
            quorums,
        }
    }

    /// The quorums (each a sorted list of acceptors), in lexicographic order.
    pub fn quorums(&self) -> &[Vec<usize>] {
        &self.quorums
    }

    /// The initial state (TLA+ `Init`).
    pub fn init_state(&self) -> SpecState {
        let n = self.cfg.acceptors;
        SpecState {
            max_bal: vec![NO_BALLOT; n],
            max_vbal: vec![NO_BALLOT; n],
            max_val: vec![None; n],
            msgs: BTreeSet::new(),
        }
    }

    /// The ballots `0..=max_ballot`.
    pub fn ballots(&self) -> impl Iterator<Item = i32> {
        0..=self.cfg.max_ballot
    }

    /// Every action instance over the constants, enabled or not, in `Next` order.
    pub fn all_actions(&self) -> Vec<SpecAction> {
        let mut out = Vec::new();
        for b in self.ballots() {
            out.push(SpecAction::Phase1a(b));
            for v in 0..self.cfg.values {
                out.push(SpecAction::Phase2a(b, v));
            }
        }
        for a in 0..self.cfg.acceptors {
            for b in self.ballots() {
                out.push(SpecAction::Phase1b(a, b));
            }
            for b in self.ballots() {
                for v in 0..self.cfg.values {
                    out.push(SpecAction::Phase2b(a, b, v));
                }
            }
        }
        out
    }

    /// Whether `action`'s guard holds in `s` (the TLA+ enabling conditions, plus the
    /// existential witness being a sent message).
    pub fn is_enabled(&self, s: &SpecState, action: &SpecAction) -> bool {
        match *action {
            SpecAction::Phase1a(b) => self.ballot_in_range(b),
            SpecAction::Phase1b(a, b) => {
                a < s.max_bal.len() && s.msgs.contains(&SpecMsg::P1a { bal: b }) && b > s.max_bal[a]
            }
            SpecAction::Phase2a(b, v) => {
                self.ballot_in_range(b) && v < self.cfg.values && self.phase2a_guard(s, b, v)
            }
            SpecAction::Phase2b(a, b, v) => {
                a < s.max_bal.len()
                    && s.msgs.contains(&SpecMsg::P2a { bal: b, val: v })
                    && b >= s.max_bal[a]
            }
        }
    }

    /// The TLA+ successor of `s` under `action`: `None` when the action is disabled, and a
    /// copy of `s` when it is enabled but changes nothing (a stuttering step, which
    /// [`Model::next_state`] instead reports as `None`).
    pub fn step(&self, s: &SpecState, action: &SpecAction) -> Option<SpecState> {
        if !self.is_enabled(s, action) {
            return None;
        }
        let mut t = s.clone();
        match *action {
            SpecAction::Phase1a(_) | SpecAction::Phase2a(_, _) => {}
            SpecAction::Phase1b(a, b) => t.max_bal[a] = b,
            SpecAction::Phase2b(a, b, v) => {
                t.max_bal[a] = b;
                t.max_vbal[a] = b;
                t.max_val[a] = Some(v);
            }
        }
        t.msgs.insert(self.sent_message(s, action));
        Some(t)
    }

    /// Whether the (enabled) `action` leaves `s` unchanged.
    fn is_stutter(&self, s: &SpecState, action: &SpecAction) -> bool {
        let sent = self.sent_message(s, action);
        if !s.msgs.contains(&sent) {
            return false;
        }
        match *action {
            SpecAction::Phase1a(_) | SpecAction::Phase2a(_, _) => true,
            SpecAction::Phase1b(a, b) => s.max_bal[a] == b,
            SpecAction::Phase2b(a, b, v) => {
                s.max_bal[a] == b && s.max_vbal[a] == b && s.max_val[a] == Some(v)
            }
        }
    }

    /// The message `action` sends from state `s` (the 1b depends on the acceptor's state).
    fn sent_message(&self, s: &SpecState, action: &SpecAction) -> SpecMsg {
        match *action {
            SpecAction::Phase1a(b) => SpecMsg::P1a { bal: b },
            SpecAction::Phase1b(a, b) => SpecMsg::P1b {
                acc: a,
                bal: b,
                mbal: s.max_vbal[a],
                mval: s.max_val[a],
            },
            SpecAction::Phase2a(b, v) => SpecMsg::P2a { bal: b, val: v },
            SpecAction::Phase2b(a, b, v) => SpecMsg::P2b {
                acc: a,
                bal: b,
                val: v,
            },
        }
    }

    fn ballot_in_range(&self, b: i32) -> bool {
        (0..=self.cfg.max_ballot).contains(&b)
    }

    /// The guard of `Phase2a(b, v)`: no 2a for `b` yet, and some quorum's 1b messages for
    /// `b` allow `v`.
    fn phase2a_guard(&self, s: &SpecState, b: i32, v: usize) -> bool {
        let proposed = s
            .msgs
            .iter()
            .any(|m| matches!(m, SpecMsg::P2a { bal, .. } if *bal == b));
        !proposed
            && self
                .quorum_masks
                .iter()
                .any(|&q| self.quorum_allows(s, q, b, v))
    }

    /// The `LET Q1b ... IN ...` part of `Phase2a(b, v)` for quorum `q`: every member sent a
    /// 1b for `b`, and either none of those 1b messages reports a vote or `v` is the value
    /// of one reporting the highest vote ballot.
    fn quorum_allows(&self, s: &SpecState, q: u64, b: i32, v: usize) -> bool {
        let mut heard = 0u64;
        let mut highest = NO_BALLOT;
        for m in &s.msgs {
            if let SpecMsg::P1b { acc, bal, mbal, .. } = *m {
                if bal == b && in_mask(q, acc) {
                    heard |= 1 << acc;
                    highest = highest.max(mbal);
                }
            }
        }
        if heard != q {
            return false;
        }
        if highest < 0 {
            return true;
        }
        s.msgs.iter().any(|m| {
            matches!(*m, SpecMsg::P1b { acc, bal, mbal, mval }
                if bal == b && in_mask(q, acc) && mbal == highest && mval == Some(v))
        })
    }

    // ---------------------------------------------------------------- votes and safety

    /// TLA+ `VotedFor(a, b, v)`: `2b(a, b, v)` is in `msgs`.
    pub fn voted_for(&self, s: &SpecState, a: usize, b: i32, v: usize) -> bool {
        s.msgs.contains(&SpecMsg::P2b {
            acc: a,
            bal: b,
            val: v,
        })
    }

    /// TLA+ `DidNotVoteAt(a, b)`: no 2b from `a` in ballot `b`, for any value.
    pub fn did_not_vote_at(&self, s: &SpecState, a: usize, b: i32) -> bool {
        let lo = SpecMsg::P2b {
            acc: a,
            bal: b,
            val: 0,
        };
        let hi = SpecMsg::P2b {
            acc: a,
            bal: b,
            val: usize::MAX,
        };
        s.msgs.range(lo..=hi).next().is_none()
    }

    /// TLA+ `CannotVoteAt(a, b)` (`WontVoteIn` in other Paxos specs): `a` has promised a ballot above
    /// `b` and did not vote in `b`, so it never will.
    pub fn cannot_vote_at(&self, s: &SpecState, a: usize, b: i32) -> bool {
        s.max_bal.get(a).is_some_and(|&mb| mb > b) && self.did_not_vote_at(s, a, b)
    }

    /// TLA+ `NoneOtherChoosableAt(b, v)`: some quorum's members each voted for `v` in `b` or
    /// cannot vote in `b`.
    pub fn none_other_choosable_at(&self, s: &SpecState, b: i32, v: usize) -> bool {
        self.quorums.iter().any(|q| {
            q.iter()
                .all(|&a| self.voted_for(s, a, b, v) || self.cannot_vote_at(s, a, b))
        })
    }

    /// TLA+ `SafeAt(b, v)`: no value other than `v` was or can be chosen in a ballot below `b`.
    pub fn safe_at(&self, s: &SpecState, b: i32, v: usize) -> bool {
        (0..b).all(|c| self.none_other_choosable_at(s, c, v))
    }

    /// TLA+ `ShowsSafeAt(Q, b, v)` (module `Voting`) for the quorum `q`.
    pub fn shows_safe_at(&self, s: &SpecState, q: &[usize], b: i32, v: usize) -> bool {
        let promised = q
            .iter()
            .all(|&a| s.max_bal.get(a).is_some_and(|&mb| mb >= b));
        promised
            && (-1..b).any(|c| {
                (c == NO_BALLOT || q.iter().any(|&a| self.voted_for(s, a, c, v)))
                    && (c + 1..b).all(|d| q.iter().all(|&a| self.did_not_vote_at(s, a, d)))
            })
    }

    /// The chosen values (TLA+ `V!chosen`), ascending: `v` such that, for some ballot, a
    /// quorum all sent `2b` for `v` in that ballot.
    pub fn chosen(&self, s: &SpecState) -> Vec<usize> {
        // Group the 2b messages by (ballot, value) into acceptor masks.
        let mut groups: Vec<((i32, usize), u64)> = Vec::new();
        for m in &s.msgs {
            if let SpecMsg::P2b { acc, bal, val } = *m {
                if acc >= 64 {
                    continue;
                }
                match groups.iter_mut().find(|(k, _)| *k == (bal, val)) {
                    Some((_, mask)) => *mask |= 1 << acc,
                    None => groups.push(((bal, val), 1 << acc)),
                }
            }
        }
        let mut out: Vec<usize> = groups
            .into_iter()
            .filter(|&(_, mask)| self.quorum_masks.iter().any(|&q| q & !mask == 0))
            .map(|((_, v), _)| v)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    // ---------------------------------------------------------------- invariants

    fn consistency(&self, s: &SpecState) -> bool {
        self.chosen(s).len() <= 1
    }

    fn value_chosen(&self, s: &SpecState) -> bool {
        !self.chosen(s).is_empty()
    }

    fn type_ok(&self, s: &SpecState) -> bool {
        let n = self.cfg.acceptors;
        let ballot = |b: i32| self.ballot_in_range(b);
        let ballot_or_none = |b: i32| b == NO_BALLOT || ballot(b);
        let value = |v: usize| v < self.cfg.values;
        s.max_bal.len() == n
            && s.max_vbal.len() == n
            && s.max_val.len() == n
            && s.max_bal.iter().all(|&b| ballot_or_none(b))
            && s.max_vbal.iter().all(|&b| ballot_or_none(b))
            && s.max_val.iter().all(|v| v.is_none_or(value))
            && s.msgs.iter().all(|m| match *m {
                SpecMsg::P1a { bal } => ballot(bal),
                SpecMsg::P1b {
                    acc,
                    bal,
                    mbal,
                    mval,
                } => {
                    acc < n
                        && ballot(bal)
                        && ballot_or_none(mbal)
                        && match mval {
                            None => mbal == NO_BALLOT,
                            Some(v) => mbal != NO_BALLOT && value(v),
                        }
                }
                SpecMsg::P2a { bal, val } => ballot(bal) && value(val),
                SpecMsg::P2b { acc, bal, val } => acc < n && ballot(bal) && value(val),
            })
    }

    fn inv_maxbal_ge_maxvbal(&self, s: &SpecState) -> bool {
        s.max_bal.iter().zip(&s.max_vbal).all(|(mb, mvb)| mb >= mvb)
    }

    fn inv_vote_in_msgs(&self, s: &SpecState) -> bool {
        s.max_vbal
            .iter()
            .zip(&s.max_val)
            .enumerate()
            .all(|(a, (&vb, &val))| match val {
                None => vb == NO_BALLOT,
                Some(v) => vb != NO_BALLOT && self.voted_for(s, a, vb, v),
            })
    }

    fn inv_msgs_justified(&self, s: &SpecState) -> bool {
        s.msgs.iter().all(|m| match *m {
            SpecMsg::P1a { .. } => true,
            SpecMsg::P1b {
                acc,
                bal,
                mbal,
                mval,
            } => {
                let promise_kept = s.max_bal.get(acc).is_some_and(|&mb| mb >= bal);
                let report_is_a_vote = match mval {
                    None => mbal == NO_BALLOT,
                    Some(v) => mbal != NO_BALLOT && self.voted_for(s, acc, mbal, v),
                };
                let nothing_since = (mbal + 1..bal).all(|d| self.did_not_vote_at(s, acc, d));
                promise_kept && report_is_a_vote && nothing_since
            }
            SpecMsg::P2a { bal, val } => {
                let unique = s.msgs.iter().all(
                    |mm| !matches!(*mm, SpecMsg::P2a { bal: b2, val: v2 } if b2 == bal && v2 != val),
                );
                unique
                    && self
                        .quorums
                        .iter()
                        .any(|q| self.shows_safe_at(s, q, bal, val))
            }
            SpecMsg::P2b { acc, bal, val } => {
                s.msgs.contains(&SpecMsg::P2a { bal, val })
                    && s.max_vbal.get(acc).is_some_and(|&vb| vb >= bal)
            }
        })
    }

    fn inv_one_value_per_ballot(&self, s: &SpecState) -> bool {
        let votes: Vec<(i32, usize)> = s
            .msgs
            .iter()
            .filter_map(|m| match *m {
                SpecMsg::P2b { bal, val, .. } => Some((bal, val)),
                _ => None,
            })
            .collect();
        votes
            .iter()
            .all(|&(b, v)| votes.iter().all(|&(b2, v2)| b2 != b || v2 == v))
    }

    fn inv_votes_safe(&self, s: &SpecState) -> bool {
        s.msgs.iter().all(|m| match *m {
            SpecMsg::P2b { bal, val, .. } => self.safe_at(s, bal, val),
            _ => true,
        })
    }

    /// The names of every `Always` property (see [`INVARIANT_NAMES`]) that fails in `s`;
    /// empty when all hold. `s` need not be reachable.
    pub fn violated_invariants(&self, s: &SpecState) -> Vec<&'static str> {
        if !self.shape_ok(s) {
            // Vectors of the wrong length would make the other checks index out of range.
            return vec![TYPE_OK];
        }
        INVARIANTS
            .iter()
            .filter(|(_, check)| !check(self, s))
            .map(|(name, _)| *name)
            .collect()
    }

    fn shape_ok(&self, s: &SpecState) -> bool {
        let n = self.cfg.acceptors;
        s.max_bal.len() == n && s.max_vbal.len() == n && s.max_val.len() == n
    }

    // ---------------------------------------------------------------- refinement

    /// Whether `to` follows from `from` by exactly one step of the TLA+ `Next` action (any
    /// action instance). `from` need not be reachable.
    ///
    /// `Next` itself admits some stuttering steps (resending a 1a, or an acceptor voting
    /// again for what it last voted for), so `is_next_step(s, s)` is true exactly when one
    /// of those is enabled in `s`. A refinement checker, which must accept every stutter
    /// anyway (`[Next]_vars`), should test `from == to` on its own.
    ///
    /// This does not enumerate successors: the added message (at most one) or the changed
    /// acceptor (at most one) determines the few action instances that could explain the
    /// difference, and only their guards and effects are checked.
    pub fn is_next_step(&self, from: &SpecState, to: &SpecState) -> bool {
        if !self.shape_ok(from) || !self.shape_ok(to) {
            return false;
        }
        // The messages: `to.msgs` must be `from.msgs` plus at most one more.
        let added = match added_message(&from.msgs, &to.msgs) {
            Some(added) => added,
            None => return false,
        };
        // The acceptors: at most one may differ.
        let mut changed = None;
        for a in 0..self.cfg.acceptors {
            if from.max_bal[a] != to.max_bal[a]
                || from.max_vbal[a] != to.max_vbal[a]
                || from.max_val[a] != to.max_val[a]
            {
                if changed.is_some() {
                    return false;
                }
                changed = Some(a);
            }
        }
        let explains = |action: SpecAction| self.explains(from, to, added, changed, &action);
        match (added, changed) {
            // A new message names its action.
            (Some(m), _) => explains(match *m {
                SpecMsg::P1a { bal } => SpecAction::Phase1a(bal),
                SpecMsg::P1b { acc, bal, .. } => SpecAction::Phase1b(acc, bal),
                SpecMsg::P2a { bal, val } => SpecAction::Phase2a(bal, val),
                SpecMsg::P2b { acc, bal, val } => SpecAction::Phase2b(acc, bal, val),
            }),
            // No new message, one acceptor changed: its action re-sent a message it had
            // already sent, and its new state names the ballot (and value).
            (None, Some(a)) => {
                explains(SpecAction::Phase1b(a, to.max_bal[a]))
                    || to.max_val[a]
                        .is_some_and(|v| explains(SpecAction::Phase2b(a, to.max_vbal[a], v)))
            }
            // Nothing changed: a stuttering step of `Next`.
            (None, None) => {
                from.msgs
                    .iter()
                    .any(|m| matches!(m, SpecMsg::P1a { bal } if self.ballot_in_range(*bal)))
                    || (0..self.cfg.acceptors).any(|a| {
                        from.max_val[a]
                            .is_some_and(|v| explains(SpecAction::Phase2b(a, from.max_vbal[a], v)))
                    })
            }
        }
    }

    /// Whether `action` is enabled in `from` and produces `to`, given the precomputed
    /// difference (`added` message, `changed` acceptor) between them.
    fn explains(
        &self,
        from: &SpecState,
        to: &SpecState,
        added: Option<&SpecMsg>,
        changed: Option<usize>,
        action: &SpecAction,
    ) -> bool {
        if !self.is_enabled(from, action) {
            return false;
        }
        let sent = self.sent_message(from, action);
        let msgs_ok = if from.msgs.contains(&sent) {
            added.is_none()
        } else {
            added == Some(&sent)
        };
        if !msgs_ok {
            return false;
        }
        match *action {
            SpecAction::Phase1a(_) | SpecAction::Phase2a(_, _) => changed.is_none(),
            SpecAction::Phase1b(a, b) => {
                changed.is_none_or(|c| c == a)
                    && to.max_bal[a] == b
                    && to.max_vbal[a] == from.max_vbal[a]
                    && to.max_val[a] == from.max_val[a]
            }
            SpecAction::Phase2b(a, b, v) => {
                changed.is_none_or(|c| c == a)
                    && to.max_bal[a] == b
                    && to.max_vbal[a] == b
                    && to.max_val[a] == Some(v)
            }
        }
    }
}

/// If `to` is `from` plus at most one element, `Some(the added element, if any)`; otherwise
/// `None`. Linear: both sets are walked in order.
fn added_message<'a>(
    from: &BTreeSet<SpecMsg>,
    to: &'a BTreeSet<SpecMsg>,
) -> Option<Option<&'a SpecMsg>> {
    if to.len() == from.len() {
        return (from == to).then_some(None);
    }
    if to.len() != from.len() + 1 {
        return None;
    }
    let mut added = None;
    let mut old = from.iter().peekable();
    for m in to {
        if old.peek() == Some(&m) {
            old.next();
        } else if added.is_none() {
            added = Some(m);
        } else {
            return None;
        }
    }
    // Every element of `from` was matched, since `to` has exactly one more.
    old.next().is_none().then_some(added)
}

fn in_mask(mask: u64, a: usize) -> bool {
    a < 64 && mask & (1 << a) != 0
}

fn mask_of(members: &[usize]) -> u64 {
    members.iter().fold(0, |m, &a| m | 1 << a)
}

impl Model for SpecModel {
    type State = SpecState;
    type Action = SpecAction;

    fn init_states(&self) -> Vec<SpecState> {
        vec![self.init_state()]
    }

    /// The enabled, non-stuttering action instances, in `Next` order.
    fn actions(&self, s: &SpecState, actions: &mut Vec<SpecAction>) {
        for b in self.ballots() {
            if !s.msgs.contains(&SpecMsg::P1a { bal: b }) {
                actions.push(SpecAction::Phase1a(b));
            }
            for v in 0..self.cfg.values {
                if self.phase2a_guard(s, b, v) {
                    actions.push(SpecAction::Phase2a(b, v));
                }
            }
        }
        for a in 0..self.cfg.acceptors {
            for m in &s.msgs {
                if let SpecMsg::P1a { bal } = *m {
                    if bal > s.max_bal[a] {
                        actions.push(SpecAction::Phase1b(a, bal));
                    }
                }
            }
            for m in &s.msgs {
                if let SpecMsg::P2a { bal, val } = *m {
                    let action = SpecAction::Phase2b(a, bal, val);
                    if bal >= s.max_bal[a] && !self.is_stutter(s, &action) {
                        actions.push(action);
                    }
                }
            }
        }
    }

    /// The successor, or `None` when the action is disabled or would stutter.
    fn next_state(&self, s: &SpecState, action: SpecAction) -> Option<SpecState> {
        if !self.is_enabled(s, &action) || self.is_stutter(s, &action) {
            return None;
        }
        self.step(s, &action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut props: Vec<Property<Self>> = INVARIANTS
            .iter()
            .map(|&(name, check)| Property::always(name, check))
            .collect();
        props.push(Property::sometimes(VALUE_CHOSEN, SpecModel::value_chosen));
        props
    }
}
