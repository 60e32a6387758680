//! Who a member is: the cluster's identity and a member's place in it, recorded at
//! initialisation and checked at every start.
//!
//! # Why it matters
//!
//! A promise is only meaningful for the acceptor that made it, in the cluster it made it in. If
//! node 1 started on node 0's directory, or a node started with a member list in another order
//! (so that two members compute the same proposer index and share ballots), or a datagram from
//! an earlier life of the cluster were accepted after its data directories were initialised
//! anew, the cluster could choose two values. So the identity covers everything that decides
//! what a member's messages mean:
//!
//! * the **ordered member list** of `(role, address)` pairs: a member's position is its index on
//!   the wire, and a proposer's position among the proposers is the tie-breaking half of its
//!   ballots; roles decide who counts as an acceptor;
//! * the **cluster id** on the wire: derived from that ordered list (FNV-1a over its lines), or
//!   given explicitly with `--cluster-id` (then recorded, and required again at every start);
//! * the **incarnation**: 128 random bits made when the cluster is created (`paxos new-cluster`,
//!   `paxos cluster`) and recorded by every member at its initialisation. Every datagram carries
//!   it under the authentication tag, so a datagram recorded in one life of a cluster is dropped
//!   in the next;
//! * the member's **index**.
//!
//! # The member file (`paxos.member`, version 2)
//!
//! ```text
//! paxos member v2
//! cluster 0123456789abcdef
//! incarnation 0123456789abcdef0123456789abcdef
//! index 1
//! member node 127.0.0.1:7001
//! member node 127.0.0.1:7002
//! member node 127.0.0.1:7003
//! crc32 89abcdef
//! ```
//!
//! The last line is the CRC-32 of every byte before it, so a damaged file is refused rather than
//! misread. The file is written once, atomically, as the last act of initialisation: a
//! directory with a record file but no member file is one whose initialisation did not finish.

use std::fmt;

/// A cluster's incarnation: 128 random bits made when the cluster is created.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Incarnation(pub u128);

impl Incarnation {
    /// A fresh random incarnation (from the operating system's random source).
    pub fn random() -> std::io::Result<Incarnation> {
        let b = super::rng::os_random_bytes(16)?;
        Ok(Incarnation(u128::from_le_bytes(
            b.try_into().expect("16 bytes"),
        )))
    }

    /// Parses 32 hex digits.
    pub fn parse(s: &str) -> Result<Incarnation, String> {
        let s = s.trim();
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "'{s}' is not an incarnation (32 hex digits, as `paxos new-cluster` writes)"
            ));
        }
        u128::from_str_radix(s, 16)
            .map(Incarnation)
            .map_err(|e| e.to_string())
    }
}

impl fmt::Display for Incarnation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for Incarnation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The cluster id of an ordered member list: FNV-1a (64 bit) over its `ROLE ADDRESS` lines,
/// in order. Two lists that differ in order or in any role give different ids.
pub fn derive_cluster_id(members: &[String]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in members {
        for b in m.bytes().chain([b'\n']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Everything a member's storage is bound to (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The cluster id on the wire.
    pub cluster_id: u64,
    /// The cluster's incarnation.
    pub incarnation: Incarnation,
    /// This member's index in `members`.
    pub index: usize,
    /// The ordered member list, one `ROLE ADDRESS` string per member.
    pub members: Vec<String>,
}

const HEADER: &str = "paxos member v2";

impl Identity {
    /// The member file's text.
    pub fn to_file_text(&self) -> String {
        let mut s = format!(
            "{HEADER}\ncluster {:016x}\nincarnation {}\nindex {}\n",
            self.cluster_id, self.incarnation, self.index
        );
        for m in &self.members {
            s += &format!("member {m}\n");
        }
        let crc = crc32fast::hash(s.as_bytes());
        s += &format!("crc32 {crc:08x}\n");
        s
    }

    /// Parses a member file's text, saying what is wrong.
    pub fn parse(text: &str) -> Result<Identity, String> {
        let body_end = text
            .trim_end_matches('\n')
            .rfind('\n')
            .map(|i| i + 1)
            .ok_or("it has fewer than two lines")?;
        let (body, last) = text.split_at(body_end);
        let stored = last
            .strip_suffix('\n')
            .unwrap_or(last)
            .strip_prefix("crc32 ")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or("its last line is not `crc32 <8 hex digits>`")?;
        let computed = crc32fast::hash(body.as_bytes());
        if stored != computed {
            return Err(format!(
                "checksum mismatch: stored crc32 {stored:08x}, contents have {computed:08x}"
            ));
        }
        let mut lines = body.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!("its first line is not `{HEADER}`"));
        }
        let mut field = |name: &str| -> Result<String, String> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_string)
                .ok_or_else(|| format!("the `{name}` line is missing"))
        };
        let cluster = field("cluster")?;
        let cluster_id =
            u64::from_str_radix(&cluster, 16).map_err(|_| format!("bad cluster id '{cluster}'"))?;
        let incarnation = Incarnation::parse(&field("incarnation")?)?;
        let index = field("index")?;
        let index = index
            .parse()
            .map_err(|_| format!("bad member index '{index}'"))?;
        let mut members = Vec::new();
        for l in lines {
            let m = l
                .strip_prefix("member ")
                .ok_or_else(|| format!("unexpected line '{l}'"))?;
            members.push(m.to_string());
        }
        if index >= members.len() {
            return Err(format!(
                "index {index} is outside the {}-member list",
                members.len()
            ));
        }
        Ok(Identity {
            cluster_id,
            incarnation,
            index,
            members,
        })
    }

    /// Why `self` (recorded) is not the identity `asked` of the node being started, or `None`
    /// when they agree. `asked.incarnation` is compared only when `check_incarnation`.
    pub fn mismatch(&self, asked: &Identity, check_incarnation: bool) -> Option<String> {
        if self.index != asked.index {
            return Some(format!(
                "it belongs to member {}, not to member {}",
                self.index, asked.index
            ));
        }
        if self.members != asked.members {
            let first = (0..self.members.len().max(asked.members.len()))
                .find(|&i| self.members.get(i) != asked.members.get(i))
                .expect("the lists differ");
            let show = |m: Option<&String>| m.map_or("nothing".to_string(), |s| format!("'{s}'"));
            return Some(format!(
                "it was initialised for another member list: member {first} is {} there and {} \
                 here (the list's order and roles are part of a cluster's identity)",
                show(self.members.get(first)),
                show(asked.members.get(first))
            ));
        }
        if self.cluster_id != asked.cluster_id {
            return Some(format!(
                "it was initialised with cluster id {:#018x}, this start has {:#018x} (an \
                 explicit --cluster-id given at initialisation must be given at every start)",
                self.cluster_id, asked.cluster_id
            ));
        }
        if check_incarnation && self.incarnation != asked.incarnation {
            return Some(format!(
                "it belongs to incarnation {} of the cluster, the cluster file or --incarnation \
                 names incarnation {}",
                self.incarnation, asked.incarnation
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Identity {
        Identity {
            cluster_id: 0xabc,
            incarnation: Incarnation(0x1234),
            index: 1,
            members: vec![
                "node 127.0.0.1:1".into(),
                "node 127.0.0.1:2".into(),
                "learner 127.0.0.1:3".into(),
            ],
        }
    }

    #[test]
    fn member_files_round_trip_and_damage_is_named() {
        let text = sample().to_file_text();
        assert!(text.starts_with(
            "paxos member v2\ncluster 0000000000000abc\nincarnation \
             00000000000000000000000000001234\nindex 1\nmember node 127.0.0.1:1\n"
        ));
        assert_eq!(Identity::parse(&text), Ok(sample()));
        let flipped = text.replace("index 1", "index 0");
        assert!(Identity::parse(&flipped)
            .unwrap_err()
            .starts_with("checksum mismatch: stored crc32"));
        assert_eq!(
            Identity::parse("cluster 1\n").unwrap_err(),
            "it has fewer than two lines"
        );
        assert_eq!(
            Identity::parse(&"\0".repeat(40)).unwrap_err(),
            "it has fewer than two lines"
        );
        assert_eq!(
            Identity::parse("a\nb\n").unwrap_err(),
            "its last line is not `crc32 <8 hex digits>`"
        );
    }

    #[test]
    fn the_cluster_id_covers_order_and_roles() {
        let a = ["node 127.0.0.1:1".to_string(), "learner 127.0.0.1:2".into()];
        let b = ["learner 127.0.0.1:2".to_string(), "node 127.0.0.1:1".into()];
        let c = ["node 127.0.0.1:1".to_string(), "node 127.0.0.1:2".into()];
        assert_ne!(derive_cluster_id(&a), derive_cluster_id(&b));
        assert_ne!(derive_cluster_id(&a), derive_cluster_id(&c));
        assert_eq!(derive_cluster_id(&a), derive_cluster_id(&a.clone()));
    }

    #[test]
    fn mismatches_are_explained() {
        let rec = sample();
        assert_eq!(rec.mismatch(&sample(), true), None);
        let other = Identity {
            index: 2,
            ..sample()
        };
        assert_eq!(
            rec.mismatch(&other, true).unwrap(),
            "it belongs to member 1, not to member 2"
        );
        let mut reordered = sample();
        reordered.members.swap(0, 2);
        assert_eq!(
            rec.mismatch(&reordered, true).unwrap(),
            "it was initialised for another member list: member 0 is 'node 127.0.0.1:1' there \
             and 'learner 127.0.0.1:3' here (the list's order and roles are part of a cluster's \
             identity)"
        );
        let inc = Identity {
            incarnation: Incarnation(7),
            ..sample()
        };
        assert_eq!(rec.mismatch(&inc, false), None);
        assert!(rec.mismatch(&inc, true).unwrap().contains("incarnation"));
        assert_eq!(
            Incarnation::parse("xyz").unwrap_err(),
            "'xyz' is not an incarnation (32 hex digits, as `paxos new-cluster` writes)"
        );
    }
}
