//! Cluster membership: the member list, its file format, the cluster id, and timers.
//!
//! # The member list
//!
//! Every process of a cluster is a *member* with a role and an IPv4 `address:port`; the list's
//! order matters, because a member's position is its index on the wire (and, for a protocol
//! that numbers its members, its number). The roles are the protocol's ([`MemberRole`]); this
//! module knows none of them. Two ways to give the list:
//!
//! * `--peers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003`: every member has the protocol's
//!   peer role ([`MemberRole::PEER`]; for single-decree Paxos a merged `node`), in this order.
//! * `--cluster FILE`: one member per line, `ROLE ADDRESS`; blank lines and lines starting with
//!   `#` are ignored; one optional line `incarnation HEX` names the cluster's incarnation
//!   (`paxos new-cluster` writes it, see [`super::identity`]):
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
//! A list is valid when its addresses are distinct and reachable and the protocol accepts the
//! layout ([`MemberRole::validate_layout`]). Only layouts that a pinned model configuration
//! checks run by default ([`Membership::checked_model`]); any other needs `--unchecked-layout`.

use super::identity::{derive_cluster_id, Incarnation};
use super::protocol::MemberRole;
use itertools::Itertools;
use stateright::actor::Id;
use std::net::SocketAddrV4;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

/// One member of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<R> {
    /// Its role.
    pub role: R,
    /// Its address.
    pub addr: SocketAddrV4,
}

/// The members of a cluster, in order, and its incarnation when the cluster file names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership<R> {
    /// The members; a member's index is its position here.
    pub members: Vec<Member<R>>,
    /// The cluster's incarnation, from the cluster file's `incarnation` line.
    pub incarnation: Option<Incarnation>,
}

/// Parses an IPv4 `address:port`, naming the flag or file line on error.
pub fn parse_addr(s: &str, what: &str) -> Result<SocketAddrV4, String> {
    parse_bare_addr(s).map_err(|e| format!("{what}: {e}"))
}

fn parse_bare_addr(s: &str) -> Result<SocketAddrV4, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "'{}' is not an IPv4 address:port such as 127.0.0.1:7001",
            s.trim()
        )
    })
}

/// Retry timer ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A member's protocol timer (single decree: a proposer starts a higher ballot when its
    /// attempt takes longer than this).
    pub member_retry: Range<Duration>,
    /// A client asks the next member when it waits longer than this.
    pub client_retry: Range<Duration>,
}

/// The range `[ms, 2 ms)`: timers fire at a uniformly random time in their range, which keeps
/// duelling members from retrying in lockstep.
pub fn retry_range(ms: u64) -> Range<Duration> {
    Duration::from_millis(ms)..Duration::from_millis(2 * ms)
}

impl<R: MemberRole> Membership<R> {
    /// Every address of `--peers`, each with the peer role.
    pub fn from_peers(list: &str) -> Result<Membership<R>, String> {
        let members = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Ok(Member {
                    role: R::PEER,
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
    pub fn parse(text: &str, what: &str) -> Result<Membership<R>, String> {
        let mut members = Vec::new();
        let mut incarnation = None;
        for (n, line) in text.lines().enumerate() {
            let at = |e: String| format!("{what} line {}: {e}", n + 1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("incarnation ") {
                if incarnation.is_some() {
                    return Err(at("a second incarnation line".into()));
                }
                incarnation = Some(Incarnation::parse(rest).map_err(at)?);
                continue;
            }
            members.push(Self::parse_member(line).map_err(at)?);
        }
        let m = Membership {
            members,
            incarnation,
        };
        m.validate().map_err(|e| format!("{what}: {e}"))?;
        Ok(m)
    }

    /// One `ROLE ADDRESS` line.
    fn parse_member(line: &str) -> Result<Member<R>, String> {
        let mut words = line.split_whitespace();
        let (Some(role), Some(addr), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("expected 'ROLE ADDRESS', found '{line}'"));
        };
        let role = R::parse(role).ok_or_else(|| {
            format!(
                "unknown role '{role}'; expected one of: {}",
                R::NAMES.join(", ")
            )
        })?;
        Ok(Member {
            role,
            addr: parse_bare_addr(addr)?,
        })
    }

    /// Reads a cluster file.
    pub fn load(path: &Path) -> Result<Membership<R>, String> {
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

    /// The roles, in member order.
    pub fn roles(&self) -> Vec<R> {
        self.members.iter().map(|m| m.role).collect()
    }

    /// The pinned model configuration that describes this layout, if any (see the module
    /// docs): a node refuses any other layout unless it is started with `--unchecked-layout`.
    pub fn checked_model(&self) -> Option<&'static str> {
        R::checked_model(&self.roles())
    }

    /// The layout in words, e.g. `3 nodes, 2 learners`.
    pub fn layout_summary(&self) -> String {
        R::NAMES
            .iter()
            .filter_map(|name| {
                let n = self
                    .members
                    .iter()
                    .filter(|m| m.role.name() == *name)
                    .count();
                (n > 0).then(|| format!("{n} {name}{}", if n == 1 { "" } else { "s" }))
            })
            .join(", ")
    }

    /// Checks the list: at least one member, distinct addresses others can send to, fewer
    /// members than the wire's client sender index, and a layout the protocol accepts.
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
        R::validate_layout(&self.roles())
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

    /// The ids of the members whose role satisfies `pred`, in member order.
    pub fn ids(&self, pred: impl Fn(R) -> bool) -> Vec<Id> {
        self.members
            .iter()
            .filter(|m| pred(m.role))
            .map(|m| Id::from(m.addr))
            .collect()
    }

    /// How many members before member `index` have a role that satisfies `pred` (a member's
    /// number among those of its kind).
    pub fn rank(&self, index: usize, pred: impl Fn(R) -> bool) -> usize {
        self.members[..index]
            .iter()
            .filter(|m| pred(m.role))
            .count()
    }
}

#[cfg(test)]
mod tests {
    //! The generic parts, with a toy protocol of two roles (`a` needs at least two members);
    //! the single-decree rules are tested with its deployment (`src/single/deploy.rs`).
    use super::*;
    use std::fmt;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    enum Toy {
        A,
        B,
    }

    impl fmt::Display for Toy {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.name())
        }
    }

    impl MemberRole for Toy {
        const NAMES: &'static [&'static str] = &["a", "b"];
        const PEER: Toy = Toy::A;
        fn parse(s: &str) -> Option<Toy> {
            match s {
                "a" => Some(Toy::A),
                "b" => Some(Toy::B),
                _ => None,
            }
        }
        fn name(self) -> &'static str {
            match self {
                Toy::A => "a",
                Toy::B => "b",
            }
        }
        fn validate_layout(roles: &[Toy]) -> Result<(), String> {
            match roles.iter().filter(|r| **r == Toy::A).count() {
                0 | 1 => Err("fewer than two a".into()),
                _ => Ok(()),
            }
        }
        fn checked_model(roles: &[Toy]) -> Option<&'static str> {
            (roles == [Toy::A, Toy::A]).then_some("two")
        }
    }

    type M = Membership<Toy>;

    #[test]
    fn lists_parse_round_trip_and_count() {
        let text = "# demo\nb 127.0.0.1:1\n\na 127.0.0.1:2\nincarnation 0000000000000000000000000000000b\na 127.0.0.1:3\n";
        let m = M::parse(text, "f").unwrap();
        assert_eq!(m.roles(), vec![Toy::B, Toy::A, Toy::A]);
        assert_eq!(m.incarnation, Some(Incarnation(11)));
        assert_eq!(M::parse(&m.to_file_text(), "g").unwrap(), m);
        assert_eq!(m.layout_summary(), "2 as, 1 b");
        assert_eq!(m.checked_model(), None);
        assert_eq!(m.ids(|r| r == Toy::A).len(), 2);
        assert_eq!(m.rank(2, |r| r == Toy::A), 1);
        let peers = M::from_peers("127.0.0.1:2, 127.0.0.1:3").unwrap();
        assert_eq!(peers.checked_model(), Some("two"));
        assert_ne!(peers.cluster_id(), m.cluster_id());
    }

    #[test]
    fn bad_lists_are_explained() {
        assert_eq!(
            M::from_peers("127.0.0.1:1").unwrap_err(),
            "--peers: fewer than two a"
        );
        assert_eq!(
            M::from_peers("127.0.0.1:1,localhost:2").unwrap_err(),
            "--peers: 'localhost:2' is not an IPv4 address:port such as 127.0.0.1:7001"
        );
        assert_eq!(
            M::from_peers("0.0.0.0:1,127.0.0.1:2").unwrap_err(),
            "--peers: 0.0.0.0:1: a member address must be one others can send to (not 0.0.0.0, \
             not port 0)"
        );
        assert_eq!(
            M::from_peers("127.0.0.1:1,127.0.0.1:1").unwrap_err(),
            "--peers: 127.0.0.1:1 is listed twice"
        );
        assert_eq!(
            M::parse("c 127.0.0.1:1", "f").unwrap_err(),
            "f line 1: unknown role 'c'; expected one of: a, b"
        );
        assert_eq!(
            M::parse("a 127.0.0.1:1 x", "f").unwrap_err(),
            "f line 1: expected 'ROLE ADDRESS', found 'a 127.0.0.1:1 x'"
        );
        assert_eq!(
            M::parse("a 127.0.0.1", "f").unwrap_err(),
            "f line 1: '127.0.0.1' is not an IPv4 address:port such as 127.0.0.1:7001"
        );
        assert_eq!(
            M::parse("incarnation 12\n", "f").unwrap_err(),
            "f line 1: '12' is not an incarnation (32 hex digits, as `paxos new-cluster` writes)"
        );
        assert_eq!(
            M::parse(
                "incarnation 0000000000000000000000000000000b\nincarnation 0000000000000000000000000000000b\n",
                "f"
            )
            .unwrap_err(),
            "f line 2: a second incarnation line"
        );
    }
}
