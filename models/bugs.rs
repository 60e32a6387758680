//! The catalogue of seeded protocol bugs: for each, the smallest configuration in which the
//! checker catches it, and the property that does.
//!
//! A checker that never fails proves nothing. Each [`Bug`] switches one well-known mistake on in
//! the actors (see `src/single/msg.rs`); the model must then violate a named property, and the
//! shortest counterexample (one-thread BFS on that property alone) is what `paxos check --bug
//! NAME` prints. Some bugs need a fault to show: an acceptor that forgets needs a crash, and
//! adopting the *lowest* reported vote needs three ballots, hence proposer retries.

use super::single::SingleConfig;
use crate::single::Bug;

/// A seeded bug, where it shows, and what catches it.
#[derive(Clone, Debug)]
pub struct BugCase {
    /// The bug.
    pub bug: Bug,
    /// The configuration the checker needs to expose it (the bug is set in it).
    pub config: SingleConfig,
    /// The property that catches it (`None`: the bug is masked, see `why`).
    pub property: Option<&'static str>,
    /// Why this configuration (and not a smaller one) is needed.
    pub why: &'static str,
}

/// Where a bug does real harm beyond the property that catches it first, when that needs a
/// configuration of its own: `acceptor-forgets` breaks `agreement` (two values chosen), and
/// `mixed-ballot-learner` makes two learners learn different values (`learners-agree`). The
/// configurations are chosen so that one-thread BFS finds the shortest counterexample in
/// seconds; `tests/bugs.rs` pins them.
pub fn harm(bug: Bug) -> Option<BugCase> {
    let compat = SingleConfig::named("compat").expect("compat exists");
    let (config, property, why) = match bug {
        Bug::AcceptorForgets => (
            SingleConfig {
                max_crashes: 1,
                ..compat
            },
            "agreement",
            "one crash: a node votes for 1, which the first proposer's own vote makes chosen, \
             crashes and forgets, then runs a higher ballot for 2 whose promises report no \
             vote, and the first node votes for 2 too; merged nodes promise and vote locally, \
             which keeps the trace at 10 steps",
        ),
        Bug::MixedBallotLearner => (
            SingleConfig {
                timers: true,
                max_round: 2,
                network: super::single::NetworkKind::Ordered,
                ..compat
            },
            "learners-agree",
            "two learners can only disagree with four ballots (README, seeded bugs), so both \
             proposers retry once (rounds <= 2); merged learners count the votes their node's \
             proposer receives; FIFO channels keep the search to seconds (on the unordered \
             network: 16 steps, found after 3.3M states)",
        ),
        _ => return None,
    };
    Some(BugCase {
        bug,
        config: SingleConfig { bug, ..config },
        property: Some(property),
        why,
    })
}

/// The case for `bug`: its configuration, the property that catches it, and why. Longer than
/// 70 lines for a reason: it is the bug catalogue, one arm per bug, kept in one place.
pub fn case(bug: Bug) -> BugCase {
    let roles = SingleConfig::named("roles").expect("roles exists");
    let with = |mut c: SingleConfig| {
        c.bug = bug;
        c
    };
    let (config, property, why) = match bug {
        Bug::None => (with(roles), None, "the correct protocol"),
        Bug::AcceptorForgets => (
            with(SingleConfig {
                max_crashes: 1,
                ..roles
            }),
            Some("durability"),
            "forgetting only shows after a crash and recovery, so one crash is allowed",
        ),
        Bug::IgnoreAccepted => (
            with(roles),
            Some("ballot-safety"),
            "two proposers suffice: the second ignores the vote its promises report",
        ),
        Bug::LowestAccepted => (
            with(SingleConfig {
                timers: true,
                max_ballots: 3,
                ..SingleConfig::named("compat").expect("compat exists")
            }),
            Some("ballot-safety"),
            "two different reported votes need two earlier ballots, so a third ballot (a \
             proposer retry) is needed; merged nodes keep that search small",
        ),
        Bug::MinorityQuorum => (
            with(roles),
            Some("learner-agreement"),
            "one vote makes the learner learn a value no majority voted for",
        ),
        Bug::AcceptBelowPromise => (
            with(roles),
            Some("agreement"),
            "two proposers: a vote at the lower ballot after the promise to the higher one",
        ),
        Bug::MixedBallotLearner => (
            with(roles),
            Some("learner-agreement"),
            "one value voted at two different ballots by two acceptors is counted as a majority",
        ),
        Bug::SharedBallots => (
            with(SingleConfig {
                repromise: true,
                ..SingleConfig::named("compat").expect("compat exists")
            }),
            Some("agreement"),
            "needs acceptors that answer a Prepare for the ballot they promised again \
             (--repromise, safe with unique ballots): then both proposers of one shared ballot \
             complete phase 1 and each gets its own value voted by a majority in that ballot; \
             with Lamport's strict acceptors shared ballots are harmless (tests/bugs.rs)",
        ),
        Bug::ProposerForgetsRound => (
            with(SingleConfig {
                network: super::single::NetworkKind::UnorderedDuplicating,
                max_crashes: 1,
                crash_acceptors_only: false,
                proposers: 1,
                ..roles
            }),
            Some("agreement"),
            "the proposer must crash and recover, the second client's proposal must reach it \
             afterwards (one proposer serves both clients), and it must complete phase 1 of the \
             reused ballot although strict acceptors refuse a second Prepare for it: promises \
             of its first life, delivered again by a duplicating network, do that",
        ),
        Bug::LearnerForgets => (
            with(SingleConfig {
                max_crashes: 1,
                crash_acceptors_only: false,
                ..roles
            }),
            Some("stability"),
            "the learner must crash and recover after it learned",
        ),
        Bug::AnswerOwnValue => (
            with(roles),
            Some("linearizable"),
            "two proposers: the second finishes the first one's value and answers its own \
             client with that client's value",
        ),
        Bug::EarlyDecide => (
            with(roles),
            Some("linearizable"),
            "two proposers: the first answers after one vote, the second then gets its own \
             value chosen",
        ),
    };
    BugCase {
        bug,
        config,
        property,
        why,
    }
}
