//! Cluster membership and how a node's actor is built from it.
//!
//! # The member list
//!
//! Every process of a cluster is a *member* with a role and an IPv4 `address:port`; the list's
//! order matters, because a member's position is its index on the wire and a proposer's
//! position among the proposers is the tie-breaking half of its ballots. Two ways to give it:
//!
//! * `--peers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003`: every member is a merged `node`
//!   (proposer, acceptor and learner in one process), in this order.
//! * `--cluster FILE`: one member per line, `ROLE ADDRESS`, where `ROLE` is `node`, `proposer`,
//!   `acceptor` or `learner`; blank lines and lines starting with `#` are ignored; one optional
//!   line `incarnation HEX` names the cluster's incarnation (`paxos new-cluster` writes it, see
//!   [`super::identity`]):
//!
//! ```text
//! # two proposers, three acceptors, one learner
//! incarnation 5f0c1d6e3a2b49c08d7e6f5a4b3c2d1e
//! proposer 127.0.0.1:7001
//! proposer 127.0.0.1:7002
//! acceptor 127.0.0.1:7003
//! acceptor 127.0.0.1:7004
//! acceptor 127.0.0.1:7005
//! learner  127.0.0.1:7006
//! ```
//!
//! Only layouts that a pinned model configuration checks run by default
//! ([`Membership::checked_model`]): three merged nodes (`runtime`) and two proposers, three
//! acceptors and one learner (`runtime-roles`). Any other layout needs `--unchecked-layout`.
//!
//! # The actors
//!
//! [`Membership::actor`] builds a member's [`SingleActor`] exactly the way the checked model
//! (`models/single.rs`, `SingleConfig::actors`) does, taking every protocol knob from the
//! checked `runtime` configuration ([`Knobs::RUNTIME`]): the first proposer leads and prepares
//! at start, merged nodes send to themselves through the loopback, the proposer informs the
//! learners (`Chosen`), `Nack`s on, no eager retry, no seeded bug. Only what a model must bound
//! or abstract differs: real addresses as `Id`s, real retry timers, no round bound. Clients
//! (`paxos propose`) are the model's client actor too. So the process runs the very code the
//! checker explored.

use super::identity::{derive_cluster_id, Incarnation};
use crate::single::{Client, Knobs, Node, SingleActor, Value};
use stateright::actor::Id;
use std::fmt;
use std::net::SocketAddrV4;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

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

impl Role {
    /// Command-line and file names.
    pub const NAMES: [&'static str; 4] = ["node", "proposer", "acceptor", "learner"];

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "node" => Some(Role::Node),
            "proposer" => Some(Role::Proposer),
            "acceptor" => Some(Role::Acceptor),
            "learner" => Some(Role::Learner),
            _ => None,
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Proposer => "proposer",
            Role::Acceptor => "acceptor",
            Role::Learner => "learner",
        }
    }

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

/// One member of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its role.
    pub role: Role,
    /// Its address.
    pub addr: SocketAddrV4,
}

/// The members of a cluster, in order, and its incarnation when the cluster file names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The members; a member's index is its position here.
    pub members: Vec<Member>,
    /// The cluster's incarnation, from the cluster file's `incarnation` line.
    pub incarnation: Option<Incarnation>,
}

/// Parses an IPv4 `address:port`, naming the flag or file line on error.
pub fn parse_addr(s: &str, what: &str) -> Result<SocketAddrV4, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "{what}: '{}' is not an IPv4 address:port such as 127.0.0.1:7001",
            s.trim()
        )
    })
}

/// Retry timer ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A proposer starts a higher ballot when its attempt takes longer than this.
    pub proposer_retry: Range<Duration>,
    /// A client asks the next proposer (or learner) when it waits longer than this.
    pub client_retry: Range<Duration>,
}

/// The range `[ms, 2 ms)`: timers fire at a uniformly random time in their range, which keeps
/// duelling proposers from retrying in lockstep.
pub fn retry_range(ms: u64) -> Range<Duration> {
    Duration::from_millis(ms)..Duration::from_millis(2 * ms)
}

impl Membership {
    /// Every address of `--peers` as a merged node.
    pub fn from_peers(list: &str) -> Result<Membership, String> {
        let members = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Ok(Member {
                    role: Role::Node,
                    addr: parse_addr(s, "--peers")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let m = Membership {
            members,
            incarnation: None,
        };
        m.validate().map_err(|e| format!("--peers: {e}"))?;
        Ok(m)
    }

    /// Parses the text of a cluster file (`what` names it in errors).
    pub fn parse(text: &str, what: &str) -> Result<Membership, String> {
        let mut members = Vec::new();
        let mut incarnation = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("incarnation ") {
                if incarnation.is_some() {
                    return Err(format!("{what} line {}: a second incarnation line", n + 1));
                }
                incarnation = Some(
                    Incarnation::parse(rest).map_err(|e| format!("{what} line {}: {e}", n + 1))?,
                );
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(role), Some(addr), None) = (words.next(), words.next(), words.next()) else {
                return Err(format!(
                    "{what} line {}: expected 'ROLE ADDRESS', found '{line}'",
                    n + 1
                ));
            };
            let role = Role::parse(role).ok_or_else(|| {
                format!(
                    "{what} line {}: unknown role '{role}'; expected one of: {}",
                    n + 1,
                    Role::NAMES.join(", ")
                )
            })?;
            let addr = parse_addr(addr, &format!("{what} line {}", n + 1))?;
            members.push(Member { role, addr });
        }
        let m = Membership {
            members,
            incarnation,
        };
        m.validate().map_err(|e| format!("{what}: {e}"))?;
        Ok(m)
    }

    /// Reads a cluster file.
    pub fn load(path: &Path) -> Result<Membership, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--cluster {}: {e}", path.display()))?;
        Self::parse(&text, &format!("--cluster {}", path.display()))
    }

    /// The cluster file text of this membership.
    pub fn to_file_text(&self) -> String {
        let mut s = String::from("# paxos cluster file: one member per line, ROLE ADDRESS\n");
        if let Some(i) = self.incarnation {
            s += &format!("incarnation {i}\n");
        }
        for m in &self.members {
            s += &format!("{} {}\n", m.role, m.addr);
        }
        s
    }

    /// The pinned model configuration (`models/single.rs`) that describes this layout, if any:
    /// `runtime` for three merged nodes, `runtime-roles` for two proposers, three acceptors and
    /// one learner as separate processes (in any order; the first proposer listed leads, as the
    /// model's proposer 0 does). A node refuses any other layout unless it is started with
    /// `--unchecked-layout`: no pinned model explored it.
    pub fn checked_model(&self) -> Option<&'static str> {
        let count = |r: Role| self.members.iter().filter(|m| m.role == r).count();
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

    /// The layout in words, e.g. `3 nodes, 2 learners`.
    pub fn layout_summary(&self) -> String {
        let parts: Vec<String> = Role::NAMES
            .iter()
            .filter_map(|name| {
                let n = self
                    .members
                    .iter()
                    .filter(|m| m.role.name() == *name)
                    .count();
                (n > 0).then(|| format!("{n} {name}{}", if n == 1 { "" } else { "s" }))
            })
            .collect();
        parts.join(", ")
    }

    /// Checks the list: distinct addresses, at least one proposer, at least three acceptors
    /// (fewer tolerate no failure; the checked model requires three too), at most 64
    /// acceptors (their sets are 64-bit masks), at least one learner.
    pub fn validate(&self) -> Result<(), String> {
        if self.members.is_empty() {
            return Err("no members".into());
        }
        for (i, a) in self.members.iter().enumerate() {
            if a.addr.ip().is_unspecified() || a.addr.port() == 0 {
                return Err(format!(
                    "{}: a member address must be one others can send to (not 0.0.0.0, not port 0)",
                    a.addr
                ));
            }
            if self.members[..i].iter().any(|b| b.addr == a.addr) {
                return Err(format!("{} is listed twice", a.addr));
            }
        }
        if self.members.len() >= usize::from(super::codec::CLIENT_SENDER) {
            return Err("too many members".into());
        }
        let acceptors = self.acceptors().len();
        if self.proposers().is_empty() {
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
        if self.learners().is_empty() {
            return Err("no learner (a node or learner member is needed)".into());
        }
        Ok(())
    }

    /// The ordered `ROLE ADDRESS` lines: what a member's identity records (see
    /// [`super::identity`]).
    pub fn member_lines(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| format!("{} {}", m.role, m.addr))
            .collect()
    }

    /// The derived cluster id: FNV-1a (64 bit) over the ordered `ROLE ADDRESS` lines, so two
    /// processes given the same members in another order or with other roles derive different
    /// ids and drop each other's datagrams as `wrong_cluster`.
    pub fn cluster_id(&self) -> u64 {
        derive_cluster_id(&self.member_lines())
    }

    /// The member addresses, in order.
    pub fn addrs(&self) -> Vec<SocketAddrV4> {
        self.members.iter().map(|m| m.addr).collect()
    }

    fn ids(&self, pred: impl Fn(Role) -> bool) -> Vec<Id> {
        self.members
            .iter()
            .filter(|m| pred(m.role))
            .map(|m| Id::from(m.addr))
            .collect()
    }

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

    /// The actor of member `index` (which must exist).
    pub fn actor(&self, index: usize, timing: &Timing) -> SingleActor {
        let me = self.members[index];
        let knobs = Knobs::RUNTIME;
        let proposer_index = self
            .members
            .iter()
            .take(index)
            .filter(|m| m.role.proposes())
            .count() as u32;
        let (acceptors, learners) = (self.acceptors(), self.learners());
        let proposer = || {
            knobs.proposer(
                proposer_index,
                &acceptors,
                &learners,
                Some(timing.proposer_retry.clone()),
                u32::MAX,
            )
        };
        let acceptor = || knobs.acceptor(&learners);
        let learner = || knobs.learner(&acceptors);
        match me.role {
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

    /// The model's client actor for this cluster: proposes `value` to the proposers starting
    /// with number `first`, and (when `query`) asks a learner once it knows the decision.
    pub fn client(&self, value: Value, first: usize, query: bool, timing: &Timing) -> SingleActor {
        SingleActor::Client(Client {
            value,
            proposers: self.proposers(),
            learners: if query { self.learners() } else { Vec::new() },
            first,
            retry: Some(timing.client_retry.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_make_merged_nodes_with_proposer_indexes_in_order() {
        let m = Membership::from_peers("127.0.0.1:7001,127.0.0.1:7002, 127.0.0.1:7003").unwrap();
        assert_eq!(m.members.len(), 3);
        let t = Timing {
            proposer_retry: retry_range(200),
            client_retry: retry_range(500),
        };
        let SingleActor::Node(n) = m.actor(2, &t) else {
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
            proposer_retry: retry_range(1),
            client_retry: retry_range(1),
        };
        let SingleActor::Proposer(p) = m.actor(4, &t) else {
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
