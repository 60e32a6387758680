//! The wire format: a versioned, authenticated envelope around one actor message.
//!
//! # Layout (version 2)
//!
//! ```text
//! offset  size  field
//! 0       2     magic "PX"
//! 2       1     version (2)
//! 3       1     flags: bit 0 = an HMAC-SHA256 tag follows the payload; bit 1 = the payload
//!               is a runtime control message (`paxos status`), not an actor message; other
//!               bits must be 0
//! 4       8     cluster id, little endian
//! 12      16    incarnation, little endian
//! 28      2     sender: index in the member list, or 0xffff for a client (a non-member)
//! 30      2     payload length, little endian
//! 32      n     payload: the message in postcard encoding
//! 32+n    32    HMAC-SHA256 over bytes 0..32+n (only when flag bit 0)
//! ```
//!
//! # Why each field
//!
//! * The **version** lets a future format be rejected cleanly instead of misparsed.
//! * The **cluster id** (see [`super::identity`]) keeps two clusters that share hosts, or a node
//!   started with another member list, from mixing their ballots.
//! * The **incarnation** (see [`super::identity`]) keeps a datagram recorded in one life of a
//!   cluster from being accepted after its data directories were initialised anew: with the
//!   same addresses and keys, a replayed `Chosen` would otherwise teach a learner a value of the
//!   previous life.
//! * The **sender index** is checked against the datagram's source address by the event loop,
//!   so a member cannot be impersonated by a process that merely claims its index.
//! * The **tag** authenticates everything before it: header and message. It is checked
//!   *before* the payload is parsed, so unauthenticated bytes never reach the decoder. There are
//!   two keys: the **member key**, held by members only, tags every datagram between two
//!   members; the **client key**, held by members and clients, tags every datagram to or from
//!   a client. So a client cannot pose as a member even from a member's address: a member's
//!   datagram to a member must carry a tag only members can make. Within one incarnation a
//!   valid datagram replayed later is indistinguishable from a duplicate, which Paxos tolerates
//!   by design (the checked model runs on a duplicating network).
//!
//! Without keys (`--insecure`) datagrams carry no tag and anyone who can send from a member's
//! address is that member; nodes say so on every counters line.
//!
//! Decoding never panics: every malformed input is a [`DecodeError`] that the event loop counts
//! and drops (the property is exercised by `tests/runtime_codec_props.rs` under proptest).

use super::identity::Incarnation;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::path::Path;

/// First two bytes of every datagram.
pub const MAGIC: [u8; 2] = *b"PX";
/// The envelope version this build speaks.
pub const VERSION: u8 = 2;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 32;
/// Size of the authentication tag.
pub const TAG_LEN: usize = 32;
/// Largest datagram accepted or produced; every Paxos message is far smaller.
pub const MAX_DATAGRAM: usize = 1024;
/// Sender field of datagrams from clients (processes outside the member list).
pub const CLIENT_SENDER: u16 = u16::MAX;
const FLAG_TAGGED: u8 = 1;
const FLAG_CONTROL: u8 = 2;

/// Who claims to have sent a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The member at this index of the member list.
    Member(u16),
    /// A process outside the member list.
    Client,
}

impl Sender {
    fn to_wire(self) -> u16 {
        match self {
            Sender::Member(i) => i,
            Sender::Client => CLIENT_SENDER,
        }
    }
    fn from_wire(v: u16) -> Sender {
        if v == CLIENT_SENDER {
            Sender::Client
        } else {
            Sender::Member(v)
        }
    }
}

/// One HMAC-SHA256 key (at least [`ClusterKey::MIN_LEN`] bytes).
#[derive(Clone)]
pub struct ClusterKey(Hmac<Sha256>);

impl ClusterKey {
    /// Shortest key accepted.
    pub const MIN_LEN: usize = 16;

    /// A key from raw bytes.
    pub fn new(bytes: &[u8]) -> Result<ClusterKey, String> {
        if bytes.len() < Self::MIN_LEN {
            return Err(format!(
                "the key has {} bytes; at least {} are needed (32 random bytes are best)",
                bytes.len(),
                Self::MIN_LEN
            ));
        }
        Ok(ClusterKey(
            Hmac::<Sha256>::new_from_slice(bytes).expect("HMAC accepts keys of any length"),
        ))
    }

    fn tag(&self, bytes: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.0.clone();
        mac.update(bytes);
        mac.finalize().into_bytes().into()
    }

    fn verify(&self, bytes: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.0.clone();
        mac.update(bytes);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClusterKey(..)")
    }
}

/// The keys a process holds: members hold both, clients only the client key.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The member key (members only).
    pub member: Option<ClusterKey>,
    /// The client key.
    pub client: ClusterKey,
}

/// First line of a member key file.
pub const MEMBER_KEY_HEADER: &str = "paxos member key";
/// First line of a client key file.
pub const CLIENT_KEY_HEADER: &str = "paxos client key";

impl Keys {
    /// Fresh random keys: `(member key file text, client key file text)`.
    pub fn generate() -> std::io::Result<(String, String)> {
        let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let member = hex(super::rng::os_random_bytes(32)?);
        let client = hex(super::rng::os_random_bytes(32)?);
        Ok((
            format!(
                "{MEMBER_KEY_HEADER}
member {member}
client {client}
"
            ),
            format!(
                "{CLIENT_KEY_HEADER}
client {client}
"
            ),
        ))
    }

    /// Parses a key file's text (`what` names it in errors).
    pub fn parse(text: &str, what: &str) -> Result<Keys, String> {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or("");
        let member_file = match header {
            MEMBER_KEY_HEADER => true,
            CLIENT_KEY_HEADER => false,
            _ => {
                return Err(format!(
                    "{what}: not a paxos key file (its first line is not `{MEMBER_KEY_HEADER}` \
                     or `{CLIENT_KEY_HEADER}`; `paxos new-cluster` writes them)"
                ))
            }
        };
        let mut key = |name: &str| -> Result<ClusterKey, String> {
            let line = lines.next().unwrap_or("");
            let hex = line
                .strip_prefix(name)
                .and_then(|l| l.strip_prefix(' '))
                .filter(|h| h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| format!("{what}: expected a `{name} <hex>` line, found '{line}'"))?;
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
                .collect();
            ClusterKey::new(&bytes).map_err(|e| format!("{what}: {e}"))
        };
        let member = if member_file {
            Some(key("member")?)
        } else {
            None
        };
        let client = key("client")?;
        if let Some(extra) = lines.find(|l| !l.trim().is_empty()) {
            return Err(format!("{what}: unexpected line '{extra}'"));
        }
        Ok(Keys { member, client })
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Keys, String> {
        let what = format!("key file {}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| format!("{what}: {e}"))?;
        Self::parse(&text, &what)
    }
}

/// A runtime control message: not part of the protocol, answered by the event loop itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// `paxos status` asks a node for its counters.
    StatsRequest,
    /// A node's answer.
    Stats(Box<super::event_loop::NodeStats>),
}

/// What a datagram carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a stack value per datagram, never stored
pub enum Body<M> {
    /// An actor message.
    Msg(M),
    /// A runtime control message.
    Control(Control),
}

/// Why a datagram was dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Longer than [`MAX_DATAGRAM`].
    Oversized(usize),
    /// Shorter than the header.
    TooShort(usize),
    /// Not our magic.
    BadMagic,
    /// An envelope version this build does not speak.
    UnsupportedVersion(u8),
    /// Flag bits this build does not know.
    UnknownFlags(u8),
    /// Another cluster's datagram.
    WrongCluster(u64),
    /// A datagram of another incarnation of this cluster.
    WrongIncarnation(u128),
    /// The length field disagrees with the datagram's size.
    LengthMismatch {
        /// Payload length in the header.
        declared: usize,
        /// Bytes present after the header (including any tag).
        present: usize,
    },
    /// This process has keys but the datagram carries no tag.
    MissingTag,
    /// The datagram carries a tag but this process has no keys (`--insecure`).
    UnexpectedTag,
    /// The tag does not match.
    BadTag,
    /// The payload is not a valid message.
    Payload(String),
    /// A control message where an actor message was expected, or the reverse.
    WrongBody,
}

impl DecodeError {
    /// The counter a dropped datagram is added to.
    pub fn reason(&self) -> DropReason {
        match self {
            DecodeError::Oversized(_) => DropReason::Oversized,
            DecodeError::WrongCluster(_) => DropReason::WrongCluster,
            DecodeError::WrongIncarnation(_) => DropReason::WrongIncarnation,
            DecodeError::MissingTag | DecodeError::UnexpectedTag | DecodeError::BadTag => {
                DropReason::Unauthenticated
            }
            _ => DropReason::Malformed,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Oversized(n) => write!(f, "oversized: {n} bytes (max {MAX_DATAGRAM})"),
            DecodeError::TooShort(n) => write!(f, "too short: {n} bytes"),
            DecodeError::BadMagic => f.write_str("bad magic"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            DecodeError::UnknownFlags(x) => write!(f, "unknown flags {x:#04x}"),
            DecodeError::WrongCluster(c) => write!(f, "wrong cluster id {c:#018x}"),
            DecodeError::WrongIncarnation(i) => write!(f, "wrong incarnation {i:032x}"),
            DecodeError::LengthMismatch { declared, present } => {
                write!(f, "length mismatch: {declared} declared, {present} present")
            }
            DecodeError::MissingTag => f.write_str("missing authentication tag"),
            DecodeError::UnexpectedTag => f.write_str("tagged, but this process has no keys"),
            DecodeError::BadTag => f.write_str("authentication tag mismatch"),
            DecodeError::Payload(e) => write!(f, "bad payload: {e}"),
            DecodeError::WrongBody => f.write_str("a control message where none is expected"),
        }
    }
}

/// The drop counters a datagram can end up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Not a well-formed envelope or message.
    Malformed,
    /// Too large.
    Oversized,
    /// Another cluster id.
    WrongCluster,
    /// Another incarnation of this cluster.
    WrongIncarnation,
    /// Missing, unexpected or wrong tag.
    Unauthenticated,
    /// The source is not allowed to send this (see the event loop's admission rule).
    UnknownSender,
    /// Well formed and authentic, but outside the protocol's ranges (a ballot round at the
    /// top of its range, see [`super::WireMsg::in_range`]).
    OutOfRange,
}

/// Which side of the member/client divide this process is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A member: holds both keys.
    Member,
    /// A client: holds the client key only.
    Client,
}

/// Encodes and decodes envelopes for one cluster incarnation.
#[derive(Clone, Debug)]
pub struct Codec {
    cluster_id: u64,
    incarnation: Incarnation,
    keys: Option<Keys>,
    side: Side,
}

impl Codec {
    /// A member's codec; `keys` must hold the member key (or be `None`: insecure).
    pub fn member(cluster_id: u64, incarnation: Incarnation, keys: Option<Keys>) -> Codec {
        assert!(
            keys.as_ref().is_none_or(|k| k.member.is_some()),
            "a member's codec needs the member key"
        );
        Codec {
            cluster_id,
            incarnation,
            keys,
            side: Side::Member,
        }
    }

    /// A client's codec (`None`: insecure).
    pub fn client(cluster_id: u64, incarnation: Incarnation, key: Option<ClusterKey>) -> Codec {
        Codec {
            cluster_id,
            incarnation,
            keys: key.map(|client| Keys {
                member: None,
                client,
            }),
            side: Side::Client,
        }
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    /// The incarnation.
    pub fn incarnation(&self) -> Incarnation {
        self.incarnation
    }

    /// Whether datagrams are authenticated.
    pub fn authenticated(&self) -> bool {
        self.keys.is_some()
    }

    /// The key for a datagram between `sender` and a peer (`peer_is_member`), if any.
    fn key(&self, sender: Sender, peer_is_member: bool) -> Option<&ClusterKey> {
        let keys = self.keys.as_ref()?;
        let between_members =
            self.side == Side::Member && peer_is_member && matches!(sender, Sender::Member(_));
        Some(if between_members {
            keys.member.as_ref().expect("members hold the member key")
        } else {
            &keys.client
        })
    }

    /// The datagram carrying `msg` from `sender` to a member (between two members when this is
    /// a member's codec and `sender` a member).
    pub fn encode<M: Serialize>(&self, sender: Sender, msg: &M) -> Vec<u8> {
        self.encode_to(sender, true, msg)
    }

    /// The datagram carrying actor message `msg` from `sender` to a member
    /// (`to_member`) or a client.
    pub fn encode_to<M: Serialize>(&self, sender: Sender, to_member: bool, msg: &M) -> Vec<u8> {
        self.envelope(sender, to_member, 0, msg)
    }

    /// The datagram carrying control message `c` from `sender` to a member (`to_member`) or a
    /// client.
    pub fn encode_control(&self, sender: Sender, to_member: bool, c: &Control) -> Vec<u8> {
        self.envelope(sender, to_member, FLAG_CONTROL, c)
    }

    fn envelope<T: Serialize>(
        &self,
        sender: Sender,
        to_member: bool,
        kind: u8,
        body: &T,
    ) -> Vec<u8> {
        let payload = postcard::to_allocvec(body).expect("messages serialize");
        let key = self.key(sender, to_member);
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TAG_LEN);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(kind | if key.is_some() { FLAG_TAGGED } else { 0 });
        out.extend_from_slice(&self.cluster_id.to_le_bytes());
        out.extend_from_slice(&self.incarnation.0.to_le_bytes());
        out.extend_from_slice(&sender.to_wire().to_le_bytes());
        out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
        out.extend_from_slice(&payload);
        if let Some(key) = key {
            let tag = key.tag(&out);
            out.extend_from_slice(&tag);
        }
        debug_assert!(out.len() <= MAX_DATAGRAM);
        out
    }

    /// The sender and actor message of a datagram, or why it must be dropped.
    pub fn decode<M: DeserializeOwned>(&self, bytes: &[u8]) -> Result<(Sender, M), DecodeError> {
        match self.decode_any(bytes)? {
            (s, Body::Msg(m)) => Ok((s, m)),
            (_, Body::Control(_)) => Err(DecodeError::WrongBody),
        }
    }

    /// The sender and body (actor or control message) of a datagram, or why it must be
    /// dropped.
    pub fn decode_any<M: DeserializeOwned>(
        &self,
        bytes: &[u8],
    ) -> Result<(Sender, Body<M>), DecodeError> {
        if bytes.len() > MAX_DATAGRAM {
            return Err(DecodeError::Oversized(bytes.len()));
        }
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::TooShort(bytes.len()));
        }
        if bytes[..2] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        if bytes[2] != VERSION {
            return Err(DecodeError::UnsupportedVersion(bytes[2]));
        }
        let flags = bytes[3];
        if flags & !(FLAG_TAGGED | FLAG_CONTROL) != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let cluster = u64::from_le_bytes(bytes[4..12].try_into().expect("8 bytes"));
        if cluster != self.cluster_id {
            return Err(DecodeError::WrongCluster(cluster));
        }
        let incarnation = u128::from_le_bytes(bytes[12..28].try_into().expect("16 bytes"));
        if incarnation != self.incarnation.0 {
            return Err(DecodeError::WrongIncarnation(incarnation));
        }
        let sender = Sender::from_wire(u16::from_le_bytes([bytes[28], bytes[29]]));
        let declared = usize::from(u16::from_le_bytes([bytes[30], bytes[31]]));
        let tagged = flags & FLAG_TAGGED != 0;
        let present = bytes.len() - HEADER_LEN;
        let expected = declared + if tagged { TAG_LEN } else { 0 };
        if present != expected {
            return Err(DecodeError::LengthMismatch { declared, present });
        }
        let body_end = HEADER_LEN + declared;
        // A datagram that names a member as its sender came from a member to this process:
        // between members when this is a member.
        match (self.key(sender, true), tagged) {
            (Some(_), false) => return Err(DecodeError::MissingTag),
            (None, true) => return Err(DecodeError::UnexpectedTag),
            (Some(key), true) => {
                if !key.verify(&bytes[..body_end], &bytes[body_end..]) {
                    return Err(DecodeError::BadTag);
                }
            }
            (None, false) => {}
        }
        let payload = &bytes[HEADER_LEN..body_end];
        if flags & FLAG_CONTROL != 0 {
            parse(payload).map(|c| (sender, Body::Control(c)))
        } else {
            parse(payload).map(|m| (sender, Body::Msg(m)))
        }
    }
}

fn parse<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((v, [])) => Ok(v),
        Ok((_, rest)) => Err(DecodeError::Payload(format!(
            "{} bytes after the message",
            rest.len()
        ))),
        Err(e) => Err(DecodeError::Payload(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::single::Msg;

    const INC: Incarnation = Incarnation(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);

    fn key(b: u8) -> ClusterKey {
        ClusterKey::new(&[b; 32]).unwrap()
    }

    fn keys(m: u8, c: u8) -> Keys {
        Keys {
            member: Some(key(m)),
            client: key(c),
        }
    }

    fn every_msg() -> Vec<Msg> {
        let b = Ballot::new(7, 2);
        vec![
            Msg::Propose(u64::MAX),
            Msg::Decided(3),
            Msg::Query,
            Msg::Learned(None),
            Msg::Learned(Some(9)),
            Msg::Prepare(b),
            Msg::Promise(b, None),
            Msg::Promise(b, Some((Ballot::new(u32::MAX, u32::MAX), 1))),
            Msg::Accept(b, 5),
            Msg::Accepted(b, 5),
            Msg::Nack(b, Ballot::new(8, 0)),
            Msg::Chosen(b, 5),
        ]
    }

    #[test]
    fn round_trips_with_and_without_keys() {
        for codec in [
            Codec::member(42, INC, None),
            Codec::member(42, INC, Some(keys(1, 2))),
        ] {
            for (i, m) in every_msg().into_iter().enumerate() {
                let sender = if i % 2 == 0 {
                    Sender::Client
                } else {
                    Sender::Member(i as u16)
                };
                let bytes = codec.encode(sender, &m);
                assert!(bytes.len() <= MAX_DATAGRAM);
                assert_eq!(codec.decode::<Msg>(&bytes), Ok((sender, m)));
            }
        }
    }

    #[test]
    fn header_layout_is_as_documented() {
        let bytes =
            Codec::member(0x0102_0304_0506_0708, INC, None).encode(Sender::Member(3), &Msg::Query);
        let mut expected = vec![b'P', b'X', 2, 0, 8, 7, 6, 5, 4, 3, 2, 1];
        expected.extend(INC.0.to_le_bytes());
        expected.extend([3, 0, 1, 0, 2]);
        assert_eq!(bytes, expected);
        let tagged = Codec::client(1, INC, Some(key(1))).encode(Sender::Client, &Msg::Query);
        assert_eq!(tagged.len(), HEADER_LEN + 1 + TAG_LEN);
        assert_eq!(tagged[3], 1);
        assert_eq!(&tagged[28..30], &[0xff, 0xff]);
    }

    #[test]
    fn a_client_cannot_pose_as_a_member() {
        let node = Codec::member(5, INC, Some(keys(1, 2)));
        let client = Codec::client(5, INC, Some(key(2)));
        let m = Msg::Chosen(Ballot::new(1, 2), 666);
        // The client key makes a valid client datagram, but never a member's.
        assert_eq!(
            node.decode::<Msg>(&client.encode(Sender::Member(2), &m)),
            Err(DecodeError::BadTag)
        );
        assert_eq!(
            node.decode::<Msg>(&client.encode(Sender::Client, &Msg::Propose(1))),
            Ok((Sender::Client, Msg::Propose(1)))
        );
        // A member's reply to a client is tagged with the client key.
        let reply = node.encode_to(Sender::Member(0), false, &Msg::Decided(4));
        assert_eq!(
            client.decode::<Msg>(&reply),
            Ok((Sender::Member(0), Msg::Decided(4)))
        );
        // ... which a member does not take as a member's datagram.
        assert_eq!(node.decode::<Msg>(&reply), Err(DecodeError::BadTag));
    }

    #[test]
    fn authentication_rejects_forged_missing_and_unexpected_tags() {
        let ours = Codec::member(5, INC, Some(keys(1, 2)));
        let forger = Codec::member(5, INC, Some(keys(3, 2)));
        let open = Codec::member(5, INC, None);
        let m = Msg::Prepare(Ballot::new(1, 0));
        assert_eq!(
            ours.decode::<Msg>(&forger.encode(Sender::Member(0), &m)),
            Err(DecodeError::BadTag)
        );
        assert_eq!(
            ours.decode::<Msg>(&open.encode(Sender::Member(0), &m)),
            Err(DecodeError::MissingTag)
        );
        assert_eq!(
            open.decode::<Msg>(&ours.encode(Sender::Member(0), &m)),
            Err(DecodeError::UnexpectedTag)
        );
        // Changing the claimed sender invalidates the tag: the header is authenticated too.
        let mut bytes = ours.encode(Sender::Member(0), &m);
        bytes[28] = 1;
        assert_eq!(ours.decode::<Msg>(&bytes), Err(DecodeError::BadTag));
        for e in [
            DecodeError::BadTag,
            DecodeError::MissingTag,
            DecodeError::UnexpectedTag,
        ] {
            assert_eq!(e.reason(), DropReason::Unauthenticated);
        }
    }

    #[test]
    fn another_incarnation_is_dropped_even_with_the_same_keys() {
        let old = Codec::member(5, Incarnation(1), Some(keys(1, 2)));
        let new = Codec::member(5, Incarnation(2), Some(keys(1, 2)));
        let bytes = old.encode(Sender::Member(0), &Msg::Chosen(Ballot::new(1, 0), 111));
        assert_eq!(
            new.decode::<Msg>(&bytes),
            Err(DecodeError::WrongIncarnation(1))
        );
        assert_eq!(
            DecodeError::WrongIncarnation(1).reason(),
            DropReason::WrongIncarnation
        );
    }

    #[test]
    fn control_messages_are_told_apart_from_actor_messages() {
        let node = Codec::member(5, INC, Some(keys(1, 2)));
        let client = Codec::client(5, INC, Some(key(2)));
        let req = client.encode_control(Sender::Client, true, &Control::StatsRequest);
        assert_eq!(
            node.decode_any::<Msg>(&req),
            Ok((Sender::Client, Body::Control(Control::StatsRequest)))
        );
        assert_eq!(node.decode::<Msg>(&req), Err(DecodeError::WrongBody));
    }

    #[test]
    fn malformed_datagrams_are_named() {
        let c = Codec::member(5, INC, None);
        let good = c.encode(Sender::Member(1), &Msg::Accept(Ballot::new(1, 1), 300));
        assert_eq!(
            c.decode::<Msg>(&[0; MAX_DATAGRAM + 1]),
            Err(DecodeError::Oversized(1025))
        );
        assert_eq!(c.decode::<Msg>(&good[..31]), Err(DecodeError::TooShort(31)));
        let mut b = good.clone();
        b[0] = b'Q';
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::BadMagic));
        let mut b = good.clone();
        b[2] = 1;
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::UnsupportedVersion(1)));
        let mut b = good.clone();
        b[3] = 0x80;
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::UnknownFlags(0x80)));
        assert_eq!(
            Codec::member(6, INC, None).decode::<Msg>(&good),
            Err(DecodeError::WrongCluster(5))
        );
        let mut b = good.clone();
        b.push(0);
        assert_eq!(
            c.decode::<Msg>(&b),
            Err(DecodeError::LengthMismatch {
                declared: 5,
                present: 6
            })
        );
        let mut b = good.clone();
        b[32] = 200; // no such Msg variant
        assert!(matches!(c.decode::<Msg>(&b), Err(DecodeError::Payload(_))));
        assert_eq!(
            DecodeError::WrongCluster(1).reason(),
            DropReason::WrongCluster
        );
        assert_eq!(DecodeError::Oversized(2000).reason(), DropReason::Oversized);
        assert_eq!(DecodeError::BadMagic.reason(), DropReason::Malformed);
    }

    #[test]
    fn key_files_parse_and_damage_is_named() {
        let (member, client) = Keys::generate().unwrap();
        let m = Keys::parse(&member, "m").unwrap();
        assert!(m.member.is_some());
        let c = Keys::parse(&client, "c").unwrap();
        assert!(c.member.is_none());
        // The two files share the client key: a member's reply verifies at the client.
        let node = Codec::member(1, INC, Some(m));
        let cl = Codec::client(1, INC, Some(c.client));
        let reply = node.encode_to(Sender::Member(0), false, &Msg::Query);
        assert!(cl.decode::<Msg>(&reply).is_ok());
        assert_eq!(
            Keys::parse("0123456789abcdef0123456789abcdef", "k").unwrap_err(),
            "k: not a paxos key file (its first line is not `paxos member key` or `paxos client \
             key`; `paxos new-cluster` writes them)"
        );
        assert_eq!(
            Keys::parse(
                "paxos client key
client 00ff
",
                "k"
            )
            .unwrap_err(),
            "k: the key has 2 bytes; at least 16 are needed (32 random bytes are best)"
        );
        assert_eq!(
            Keys::parse(
                "paxos member key
client 00
",
                "k"
            )
            .unwrap_err(),
            "k: expected a `member <hex>` line, found 'client 00'"
        );
    }
}
