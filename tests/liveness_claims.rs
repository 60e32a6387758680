//! The single-decree liveness claims, decided by our sound liveness checker.

use paxos::models::liveness::{check_eventually_by, FairTimeouts, Verdict};
use paxos::models::single::{SingleConfig, SingleModel, SingleModelState};
use paxos::single::ClientPhase;

fn all_informed(s: &SingleModelState) -> bool {
    s.actor_states.iter().all(|a| {
        a.client()
            .is_none_or(|c| !matches!(c.phase, ClientPhase::Proposing))
    })
}

/// Under "no failure" (no loss, no crash, non-duplicating network, timeouts only when no
/// message is in flight: the `FairTimeouts` wrapper), with two proposers and two clients, every
/// client eventually gets the decision. Proposers do not retry (the highest ballot cannot be
/// pre-empted, so it completes); clients retry at the next proposer.
#[test]
fn no_failure_every_client_gets_the_decision() {
    let cfg = SingleConfig {
        client_retry: true,
        ..SingleConfig::named("roles").unwrap()
    };
    let m = FairTimeouts::new(SingleModel::new(cfg));
    let r = check_eventually_by(&m, all_informed);
    assert!(matches!(r.verdict, Verdict::Holds), "{}", r.summary());
    assert_eq!(r.frontier, 0);
    assert_eq!(r.unique_states, 1_753_065);
    assert_eq!(r.edges, 5_800_641);
}
