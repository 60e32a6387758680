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
pub const BUGS: [(Bug, &str); 7] = [
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
        "the leader counts its own vote before its acceptor cast and saved it (the save \
         never happens)",
    ),
    (
        Bug::AcceptBelowPromise,
        "an acceptor votes on an Accept whose ballot is below its promise",
    ),
];

/// The configuration and property for `bug`.
///
/// Most bugs need two clients and a leader change ([`bug_base`]); `no-dedup` needs a client
/// whose retried write lands after its next write; `stale-leader-read` a write, then a read
/// at a replica that believes it leads before it has applied the write. `gap-skip` breaks no safety
/// property: the slot it skips stays undecided, so the log stops; the liveness claim
/// `leader-crash` catches it (`paxos liveness multi --claim leader-crash --bug gap-skip`).
pub fn case(bug: Bug) -> BugCase {
    let with = |c: MultiConfig| MultiConfig { bug, ..c };
    let t = |s: &str| -> Text { s.into() };
    match bug {
        Bug::None => BugCase {
            config: bug_base(),
            property: None,
            note: "no bug",
        },
        Bug::SkipRecovery => BugCase {
            config: with(bug_base()),
            property: Some("agreement"),
            note: "two entries chosen at one slot",
        },
        Bug::ApplyUncommitted => BugCase {
            config: with(bug_base()),
            property: Some("replicas-agree"),
            note: "two replicas apply different entries at one slot",
        },
        Bug::NoDedup => BugCase {
            config: with(MultiConfig {
                ops: vec![vec![Op::Put(t("k"), t("1")), Op::Put(t("k"), t("2"))]],
                client_retry: true,
                max_slots: 3,
                ..MultiConfig::named("basic").expect("exists")
            }),
            property: Some("exactly-once"),
            note: "a retried write applied again after the client's next write",
        },
        Bug::StaleLeaderRead => BugCase {
            config: with(MultiConfig {
                ops: workload(1, 2),
                ..MultiConfig::named("leader-change").expect("exists")
            }),
            property: Some("linearizable"),
            note: "a read misses a write that completed before it",
        },
        Bug::GapSkip => BugCase {
            // Safety holds with it: `paxos check multi --bug gap-skip` shows so on
            // `leader-change`; the claim runs on its own model.
            config: with(MultiConfig::named("leader-change").expect("exists")),
            property: None,
            note: "a slot left undecided: the log stops (liveness claim leader-crash)",
        },
        Bug::AcceptBelowPromise => BugCase {
            config: with(bug_base()),
            property: Some("agreement"),
            note: "a deposed leader's Accept chosen after its successor chose another entry",
        },
        Bug::CommitBeforePersist => BugCase {
            config: with(MultiConfig::named("basic").expect("exists")),
            property: Some("applied-is-chosen"),
            note: "a write applied and acknowledged that only a minority of acceptors holds",
        },
    }
}

/// Two clients with a write each, one slot, a leader change (`R1` may stand), one retry
/// per operation.
pub fn bug_base() -> MultiConfig {
    MultiConfig {
        ops: workload(2, 1),
        max_slots: 1,
        ..MultiConfig::named("leader-change").expect("exists")
    }
}
