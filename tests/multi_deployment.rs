//! Multi-Paxos's side of the runtime seam (`src/multi/deploy.rs`): the member role and layout
//! rules, the replica a member runs (built by the model's constructor with the runtime's
//! knobs), and what the runtime needs of its messages.

use paxos::ballot::Ballot;
use paxos::multi::deploy::{runtime_knobs, Membership, MultiDeploy, Role};
use paxos::multi::{Msg, MultiActor, Replica};
use paxos::runtime::config::{retry_range, Timing};
use paxos::runtime::{Deploy, MemberRole, WireMsg};
use stateright::actor::Id;
use std::time::Duration;

fn timing() -> Timing {
    Timing {
        member_retry: retry_range(200),
        client_retry: retry_range(300),
    }
}

#[test]
fn layouts_need_three_to_sixty_four_replicas_and_none_is_checked() {
    assert_eq!(
        Role::validate_layout(&[Role::Replica; 2]),
        Err(
            "2 replica(s): Paxos needs at least 3 acceptors; a majority of 3 tolerates one \
             failure, fewer tolerate none"
                .into()
        )
    );
    assert_eq!(Role::validate_layout(&[Role::Replica; 3]), Ok(()));
    assert_eq!(Role::validate_layout(&[Role::Replica; 64]), Ok(()));
    assert_eq!(
        Role::validate_layout(&[Role::Replica; 65]),
        Err("65 replicas: at most 64 are supported".into())
    );
    assert_eq!(Role::checked_model(&[Role::Replica; 3]), None);
    assert_eq!(Role::parse("replica"), Some(Role::Replica));
    assert_eq!(Role::parse("node"), None);
}

#[test]
fn a_member_runs_the_model_constructors_replica_with_the_runtime_knobs() {
    let m = Membership::from_peers("127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003").unwrap();
    let ids: Vec<Id> = m.ids(|_| true);
    for i in 0..3 {
        let MultiActor::Replica(r) = MultiDeploy::member_actor(&m, i, &timing()) else {
            panic!("member {i} is a replica");
        };
        assert_eq!(*r, Replica::build(i, &ids, &runtime_knobs(i, &timing())));
        assert_eq!(r.leader.index, i as u32);
        assert_eq!(r.leader.replicas, ids);
        assert_eq!(r.leader.lead, i == 0);
    }
    let k = runtime_knobs(1, &timing());
    assert_eq!(k.election, Some(retry_range(200)));
    // Heartbeats at least twice per shortest election timeout.
    assert_eq!(
        k.heartbeat,
        Some(Duration::from_millis(50)..Duration::from_millis(100))
    );
    assert_eq!((k.window, k.max_batch, k.reaccept), (16, 64, true));
    assert_eq!((k.max_round, k.max_slots), (u32::MAX, u32::MAX));
    // A zero retry still gives a heartbeat range that is not empty.
    let zero = Timing {
        member_retry: Duration::ZERO..Duration::from_millis(1),
        client_retry: retry_range(1),
    };
    let hb = runtime_knobs(0, &zero).heartbeat.unwrap();
    assert!(hb.start < hb.end, "{hb:?}");
}

#[test]
fn only_requests_come_from_clients_and_ballots_are_range_checked() {
    let msgs = [
        Msg::Request(paxos::multi::Cmd {
            client: 1,
            seq: 1,
            op: paxos::multi::Op::Get("k".into()),
        }),
        Msg::Prepare(Ballot::new(1, 0), 0),
        Msg::Accepted(Ballot::new(1, 0), 3),
        Msg::CatchUp(0),
        Msg::Heartbeat(Ballot::new(2, 1), 5),
    ];
    let kinds: Vec<&str> = msgs.iter().map(|m| m.kind()).collect();
    assert_eq!(
        kinds,
        vec!["Request", "Prepare", "Accepted", "CatchUp", "Heartbeat"]
    );
    let from_clients: Vec<bool> = msgs.iter().map(|m| m.client_may_send()).collect();
    assert_eq!(from_clients, vec![true, false, false, false, false]);
    assert!(msgs.iter().all(WireMsg::in_range));
    let huge = Msg::Accepted(Ballot::new(u32::MAX, 0), 0);
    assert!(!WireMsg::in_range(&huge));
}
