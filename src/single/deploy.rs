//! How single-decree Paxos is deployed as processes: its member roles, which layouts are valid
//! and checked, which actor each member runs, and what the runtime needs of its messages.
//!
//! This is the protocol's side of the runtime's seam ([`crate::runtime::protocol`]) and the only
//! file of `src/single` besides [`super::programs`] that names the runtime.
//!
//! # Roles and layouts
//!
//! A member is a merged `node` (proposer, acceptor and learner in one process, what `--peers`
//! lists) or a separate `proposer`, `acceptor` or `learner`. A layout needs a proposer, at
//! least three acceptors (a majority of three tolerates one failure, fewer tolerate none; the
//! checked model requires three too), at most 64 acceptors (their sets are 64-bit masks), and a
//! learner. Only two layouts are checked by a pinned model configuration (`models/single/config.rs`):
//! three merged nodes (`runtime`) and two proposers, three acceptors and one learner as
//! separate processes in any order (`runtime-roles`).
//!
//! # The actors
//!
//! [`SingleDeploy::member_actor`] builds a member's [`SingleActor`] exactly the way the checked
//! model (`SingleConfig::actors`) does, taking every protocol knob from the checked `runtime`
//! configuration ([`Knobs::RUNTIME`]): the first proposer leads and prepares at start, merged
//! nodes send to themselves through the loopback, the proposer informs the learners
//! (`Chosen`), `Nack`s on, no eager retry, no seeded bug. Only what a model must bound or
//! abstract differs: real addresses as `Id`s, real retry timers, no round bound. A member's
//! position among the proposers is the tie-breaking half of its ballots. Clients (`paxos
//! propose`) run the model's client actor too ([`super::programs`]). So the process runs the
//! very code the checker explored.

use super::{Knobs, Msg, Node, SingleActor, Storage};
use crate::runtime::config::{self, Timing};
use crate::runtime::{Deploy, MemberRole, WireMsg};
use stateright::actor::Id;
use std::fmt;

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Proposer, acceptor and learner in one process.
    Node,
    /// Proposer only.
    Proposer,
    /// Acceptor only.
    Acceptor,
    /// Learner only.
    Learner,
}

/// A single-decree cluster's member list.
pub type Membership = config::Membership<Role>;
/// One member of a single-decree cluster.
pub type Member = config::Member<Role>;
/// What a single-decree node process needs.
pub type NodeConfig = crate::runtime::node::NodeConfig<Role>;
/// A local single-decree cluster of node processes.
pub type LocalCluster = crate::runtime::cluster::LocalCluster<Role>;

impl Role {
    fn proposes(self) -> bool {
        matches!(self, Role::Node | Role::Proposer)
    }
    fn accepts(self) -> bool {
        matches!(self, Role::Node | Role::Acceptor)
    }
    fn learns(self) -> bool {
        matches!(self, Role::Node | Role::Learner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl MemberRole for Role {
    const NAMES: &'static [&'static str] = &["node", "proposer", "acceptor", "learner"];
    const PEER: Role = Role::Node;

    fn parse(s: &str) -> Option<Role> {
        match s {
            "node" => Some(Role::Node),
            "proposer" => Some(Role::Proposer),
            "acceptor" => Some(Role::Acceptor),
            "learner" => Some(Role::Learner),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Proposer => "proposer",
            Role::Acceptor => "acceptor",
            Role::Learner => "learner",
        }
    }

    fn validate_layout(roles: &[Role]) -> Result<(), String> {
        let count = |f: fn(Role) -> bool| roles.iter().filter(|r| f(**r)).count();
        let acceptors = count(Role::accepts);
        if count(Role::proposes) == 0 {
            return Err("no proposer (a node or proposer member is needed)".into());
        }
        if acceptors < 3 {
            return Err(format!(
                "{acceptors} acceptor(s): Paxos needs at least 3 acceptors (nodes or acceptor \
                 members); a majority of 3 tolerates one failure, fewer tolerate none"
            ));
        }
        if acceptors > 64 {
            return Err(format!("{acceptors} acceptors: at most 64 are supported"));
        }
        if count(Role::learns) == 0 {
            return Err("no learner (a node or learner member is needed)".into());
        }
        Ok(())
    }

    fn checked_model(roles: &[Role]) -> Option<&'static str> {
        let count = |r: Role| roles.iter().filter(|x| **x == r).count();
        match (
            count(Role::Node),
            count(Role::Proposer),
            count(Role::Acceptor),
            count(Role::Learner),
        ) {
            (3, 0, 0, 0) => Some("runtime"),
            (0, 2, 3, 1) => Some("runtime-roles"),
            _ => None,
        }
    }
}

impl Membership {
    /// Ids of the members that propose.
    pub fn proposers(&self) -> Vec<Id> {
        self.ids(Role::proposes)
    }
    /// Ids of the members that accept.
    pub fn acceptors(&self) -> Vec<Id> {
        self.ids(Role::accepts)
    }
    /// Ids of the members that learn.
    pub fn learners(&self) -> Vec<Id> {
        self.ids(Role::learns)
    }
}

/// Single-decree Paxos as the runtime deploys it.
#[derive(Clone, Copy, Debug)]
pub struct SingleDeploy;

impl Deploy for SingleDeploy {
    type Role = Role;
    type Actor = SingleActor;
    type Msg = Msg;
    type Record = Storage;
    type Store = crate::runtime::storage::SlotFile;

    fn member_actor(membership: &Membership, index: usize, timing: &Timing) -> SingleActor {
        let knobs = Knobs::RUNTIME;
        let proposer_index = membership.rank(index, Role::proposes) as u32;
        let (acceptors, learners) = (membership.acceptors(), membership.learners());
        let proposer = || {
            knobs.proposer(
                proposer_index,
                &acceptors,
                &learners,
                Some(timing.member_retry.clone()),
                u32::MAX,
            )
        };
        let acceptor = || knobs.acceptor(&learners);
        let learner = || knobs.learner(&acceptors);
        match membership.members[index].role {
            Role::Node => SingleActor::Node(Node {
                proposer: Some(proposer()),
                acceptor: Some(acceptor()),
                learner: Some(learner()),
                loopback: knobs.loopback,
            }),
            Role::Proposer => SingleActor::Proposer(proposer()),
            Role::Acceptor => SingleActor::Acceptor(acceptor()),
            Role::Learner => SingleActor::Learner(learner()),
        }
    }
}

impl WireMsg for Msg {
    fn client_may_send(&self) -> bool {
        matches!(self, Msg::Propose(_) | Msg::Query)
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Propose(_) => "Propose",
            Msg::Decided(_) => "Decided",
            Msg::Query => "Query",
            Msg::Learned(_) => "Learned",
            Msg::Prepare(_) => "Prepare",
            Msg::Promise(..) => "Promise",
            Msg::Accept(..) => "Accept",
            Msg::Accepted(..) => "Accepted",
            Msg::Nack(..) => "Nack",
            Msg::Chosen(..) => "Chosen",
        }
    }

    fn in_range(&self) -> bool {
        Msg::in_range(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::config::retry_range;
    use crate::runtime::identity::Incarnation;
    use std::net::SocketAddrV4;
    use std::time::Duration;

    #[test]
    fn peers_make_merged_nodes_with_proposer_indexes_in_order() {
        let m = Membership::from_peers("127.0.0.1:7001,127.0.0.1:7002, 127.0.0.1:7003").unwrap();
        assert_eq!(m.members.len(), 3);
        let t = Timing {
            member_retry: retry_range(200),
            client_retry: retry_range(500),
        };
        let SingleActor::Node(n) = SingleDeploy::member_actor(&m, 2, &t) else {
            panic!("a node")
        };
        let p = n.proposer.unwrap();
        assert_eq!(p.index, 2);
        assert_eq!(p.acceptors, m.acceptors());
        assert_eq!(
            p.retry,
            Some(Duration::from_millis(200)..Duration::from_millis(400))
        );
        assert_eq!(p.max_round, u32::MAX);
        assert_eq!(p.notify, m.learners());
        assert!(!p.eager_retry && !p.lead && n.loopback);
        assert!(n.acceptor.unwrap().learners.is_empty());
        assert_eq!(
            SocketAddrV4::from(m.acceptors()[1]),
            "127.0.0.1:7002".parse::<SocketAddrV4>().unwrap()
        );
    }

    #[test]
    fn only_pinned_layouts_are_checked() {
        let peers = |n: usize| {
            let list: Vec<String> = (1..=n).map(|p| format!("127.0.0.1:{p}")).collect();
            Membership::from_peers(&list.join(",")).unwrap()
        };
        assert_eq!(peers(3).checked_model(), Some("runtime"));
        assert_eq!(peers(5).checked_model(), None);
        assert_eq!(peers(5).layout_summary(), "5 nodes");
        let mixed = Membership::parse(
            "node 127.0.0.1:1\nnode 127.0.0.1:2\nnode 127.0.0.1:3\nlearner 127.0.0.1:4\n",
            "f",
        )
        .unwrap();
        assert_eq!(mixed.checked_model(), None);
        assert_eq!(mixed.layout_summary(), "3 nodes, 1 learner");
    }

    #[test]
    fn cluster_files_parse_and_round_trip() {
        let text = "# demo\nproposer 127.0.0.1:1\n\nacceptor 127.0.0.1:2\nacceptor 127.0.0.1:3\n\
                    acceptor 127.0.0.1:4\nproposer 127.0.0.1:5\nlearner 127.0.0.1:6\n";
        let m = Membership::parse(text, "f").unwrap();
        assert_eq!(Membership::parse(&m.to_file_text(), "g").unwrap(), m);
        assert_eq!(m.proposers().len(), 2);
        assert_eq!(m.learners(), vec![Id::from(m.members[5].addr)]);
        let t = Timing {
            member_retry: retry_range(1),
            client_retry: retry_range(1),
        };
        let SingleActor::Proposer(p) = SingleDeploy::member_actor(&m, 4, &t) else {
            panic!("a proposer")
        };
        assert_eq!(p.index, 1);
        // Same addresses, other order and roles: another cluster id.
        let peers = Membership::from_peers(
            "127.0.0.1:6,127.0.0.1:5,127.0.0.1:4,127.0.0.1:3,127.0.0.1:2,127.0.0.1:1",
        )
        .unwrap();
        assert_ne!(peers.cluster_id(), m.cluster_id());
        let with_inc = Membership::parse(&format!("incarnation {:032x}\n{text}", 7), "f").unwrap();
        assert_eq!(with_inc.incarnation, Some(Incarnation(7)));
        assert_eq!(
            Membership::parse(&with_inc.to_file_text(), "g").unwrap(),
            with_inc
        );
        assert_eq!(
            Membership::parse("incarnation 12\n", "f").unwrap_err(),
            "f line 1: '12' is not an incarnation (32 hex digits, as `paxos new-cluster` writes)"
        );
        let other = Membership::from_peers("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3").unwrap();
        assert_ne!(other.cluster_id(), m.cluster_id());
    }

    #[test]
    fn bad_member_lists_are_explained() {
        assert_eq!(
            Membership::from_peers("127.0.0.1:1,127.0.0.1:2").unwrap_err(),
            "--peers: 2 acceptor(s): Paxos needs at least 3 acceptors (nodes or acceptor \
             members); a majority of 3 tolerates one failure, fewer tolerate none"
        );
        assert_eq!(
            Membership::from_peers("127.0.0.1:1,localhost:2").unwrap_err(),
            "--peers: 'localhost:2' is not an IPv4 address:port such as 127.0.0.1:7001"
        );
        assert_eq!(
            Membership::from_peers("0.0.0.0:1,127.0.0.1:2,127.0.0.1:3").unwrap_err(),
            "--peers: 0.0.0.0:1: a member address must be one others can send to (not 0.0.0.0, \
             not port 0)"
        );
        assert_eq!(
            Membership::from_peers("127.0.0.1:1,127.0.0.1:1,127.0.0.1:2").unwrap_err(),
            "--peers: 127.0.0.1:1 is listed twice"
        );
        assert_eq!(
            Membership::parse("leader 127.0.0.1:1", "f").unwrap_err(),
            "f line 1: unknown role 'leader'; expected one of: node, proposer, acceptor, learner"
        );
        assert_eq!(
            Membership::parse(
                "acceptor 127.0.0.1:1\nacceptor 127.0.0.1:2\nacceptor 127.0.0.1:3\n\
                               learner 127.0.0.1:4",
                "f"
            )
            .unwrap_err(),
            "f: no proposer (a node or proposer member is needed)"
        );
    }
}
