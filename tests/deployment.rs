//! The deployment runs the checked actors: a node process builds, from its member list, the
//! very actors a pinned model configuration explored (up to addresses and the knobs a model
//! bounds), with the protocol knobs of [`Knobs::RUNTIME`].

use paxos::models::single::SingleConfig;
use paxos::runtime::config::{retry_range, Timing};
use paxos::runtime::Deploy;
use paxos::single::deploy::{Membership, SingleDeploy};
use paxos::single::{Acceptor, Knobs, Learner, Node, Proposer, SingleActor};
use stateright::actor::Id;
use std::net::SocketAddrV4;

/// The knobs a node runs are those of the `runtime` configuration, and of `runtime-roles`
/// (which has no merged node, so its `loopback` plays no part).
#[test]
fn the_runtime_knobs_are_the_checked_ones() {
    assert_eq!(
        SingleConfig::named("runtime").unwrap().knobs(),
        Knobs::RUNTIME
    );
    let roles = SingleConfig::named("runtime-roles").unwrap().knobs();
    assert_eq!(
        Knobs {
            loopback: Knobs::RUNTIME.loopback,
            ..roles
        },
        Knobs::RUNTIME
    );
}

/// `actor` with its ids renamed by `id` and the knobs a model bounds replaced by the model's.
fn as_model(actor: SingleActor, id: &dyn Fn(Id) -> Id, model: &SingleActor) -> SingleActor {
    let ids = |v: Vec<Id>| v.into_iter().map(id).collect::<Vec<_>>();
    let (SingleActor::Node(n), SingleActor::Node(mn)) = (actor, model) else {
        panic!("merged nodes")
    };
    let mp = mn.proposer.as_ref().unwrap();
    let (p, a, l) = (n.proposer.unwrap(), n.acceptor.unwrap(), n.learner.unwrap());
    SingleActor::Node(Node {
        proposer: Some(Proposer {
            acceptors: ids(p.acceptors),
            notify: ids(p.notify),
            retry: mp.retry.clone(),
            max_round: mp.max_round,
            ..p
        }),
        acceptor: Some(Acceptor {
            learners: ids(a.learners),
            ..a
        }),
        learner: Some(Learner {
            acceptors: ids(l.acceptors),
            ..l
        }),
        loopback: n.loopback,
    })
}

#[test]
fn a_peers_cluster_runs_the_checked_runtime_configuration() {
    let m = Membership::from_peers("127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003").unwrap();
    let t = Timing {
        member_retry: retry_range(200),
        client_retry: retry_range(500),
    };
    let model = SingleConfig::named("runtime").unwrap().actors();
    let index = |i: Id| {
        let a = SocketAddrV4::from(i);
        Id::from(m.members.iter().position(|x| x.addr == a).unwrap())
    };
    for (i, checked) in model.iter().take(3).enumerate() {
        assert_eq!(
            as_model(SingleDeploy::member_actor(&m, i, &t), &index, checked),
            *checked,
            "node {i}"
        );
    }
}

/// A cluster file with two proposers, three acceptors and one learner runs the actors of
/// the pinned `runtime-roles` model, up to addresses and the bounded knobs.
#[test]
fn a_separate_roles_cluster_runs_the_checked_runtime_roles_configuration() {
    let text = "proposer 127.0.0.1:1\nproposer 127.0.0.1:2\nacceptor 127.0.0.1:3\n\
                acceptor 127.0.0.1:4\nacceptor 127.0.0.1:5\nlearner 127.0.0.1:6\n";
    let m = Membership::parse(text, "f").unwrap();
    assert_eq!(m.checked_model(), Some("runtime-roles"));
    let t = Timing {
        member_retry: retry_range(200),
        client_retry: retry_range(500),
    };
    let model = SingleConfig::named("runtime-roles").unwrap().actors();
    let id = |i: Id| {
        let a = SocketAddrV4::from(i);
        Id::from(m.members.iter().position(|x| x.addr == a).unwrap())
    };
    let ids = |v: Vec<Id>| v.into_iter().map(id).collect::<Vec<_>>();
    for (i, checked) in model.iter().take(6).enumerate() {
        let renamed = match (SingleDeploy::member_actor(&m, i, &t), checked) {
            (SingleActor::Proposer(p), SingleActor::Proposer(mp)) => {
                SingleActor::Proposer(Proposer {
                    acceptors: ids(p.acceptors),
                    notify: ids(p.notify),
                    retry: mp.retry.clone(),
                    max_round: mp.max_round,
                    ..p
                })
            }
            (SingleActor::Acceptor(a), _) => SingleActor::Acceptor(Acceptor {
                learners: ids(a.learners),
                ..a
            }),
            (SingleActor::Learner(l), _) => SingleActor::Learner(Learner {
                acceptors: ids(l.acceptors),
                ..l
            }),
            (other, _) => panic!("member {i}: {other:?}"),
        };
        assert_eq!(renamed, *checked, "member {i}");
    }
}
