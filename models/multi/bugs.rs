//! The seeded Multi-Paxos bugs and, for each, the configuration that exposes it and the
//! property whose shortest counterexample shows the harm (`tests/multi_model.rs` pins each
//! trace).

use super::*;

/// How a seeded bug is caught.
pub struct BugCase {
    /// The configuration that exposes it.
    pub config: MultiConfig,
    /// The property that catches it (`None`: no safety property does; see `note`).
    pub property: Option<&'static str>,
    /// What the harm is, or where the bug is caught instead.
    pub note: &'static str,
}

/// What each seeded bug does, by name, for `--bug list`.
pub const BUGS: [(Bug, &str); 6] = [
    (
        Bug::SkipRecovery,
        "a new leader ignores the votes reported in promises",
    ),
    (
        Bug::ApplyUncommitted,
        "a replica applies an entry it sees proposed, before it is chosen",
    ),
    (
        Bug::NoDedup,
        "a retried command is proposed and applied again",
    ),
    (
        Bug::StaleLeaderRead,
        "a replica that believes it leads answers get from its own state",
    ),
    (
        Bug::GapSkip,
        "a new leader prepares from past its log's end, not its first undecided slot",
    ),
    (
        Bug::CommitBeforePersist,
        "the leader counts its own vote before its acceptor cast and saved it",
    ),
];

/// The configuration and property for `bug`.
pub fn case(bug: Bug) -> BugCase {
    let lc = MultiConfig::named("leader-change").expect("exists");
    let with = |c: MultiConfig| MultiConfig { bug, ..c };
    match bug {
        Bug::None => BugCase {
            config: lc,
            property: None,
            note: "no bug",
        },
        Bug::SkipRecovery => BugCase {
            config: with(lc),
            property: Some("agreement"),
            note: "two entries chosen at one slot",
        },
        Bug::ApplyUncommitted => BugCase {
            config: with(lc),
            property: Some("replicas-agree"),
            note: "two replicas apply different entries at one slot",
        },
        Bug::NoDedup => BugCase {
            config: with(lc),
            property: Some("exactly-once"),
            note: "a retried command takes effect twice",
        },
        Bug::StaleLeaderRead => BugCase {
            config: with(MultiConfig {
                ops: workload(2, 2),
                max_slots: 4,
                ..lc
            }),
            property: Some("linearizable"),
            note: "a read misses a write that completed before it",
        },
        Bug::GapSkip => BugCase {
            config: with(lc),
            property: Some("replicas-agree"),
            note: "a slot left undecided",
        },
        Bug::CommitBeforePersist => BugCase {
            config: with(lc),
            property: Some("replicas-agree"),
            note: "an entry applied that a later leader overwrites",
        },
    }
}
