//! The wire format: a versioned, optionally authenticated envelope around one actor message.
//!
//! # Layout (version 1)
//!
//! ```text
//! offset  size  field
//! 0       2     magic "PX"
//! 2       1     version (1)
//! 3       1     flags: bit 0 = an HMAC-SHA256 tag follows the payload; other bits must be 0
//! 4       8     cluster id, little endian
//! 12      2     sender: index in the member list, or 0xffff for a client (a non-member)
//! 14      2     payload length, little endian
//! 16      n     payload: the message in postcard encoding
//! 16+n    32    HMAC-SHA256 over bytes 0..16+n, with the cluster key (only when flag bit 0)
//! ```
//!
//! # Why each field
//!
//! * The **version** lets a future format be rejected cleanly instead of misparsed.
//! * The **cluster id** (see [`super::config::Membership::cluster_id`]) keeps two clusters that
//!   share hosts, or a node restarted with a stale member list, from mixing their ballots.
//! * The **sender index** is checked against the datagram's source address by the event loop,
//!   so a member cannot be impersonated by a process that merely claims its index.
//! * The **tag** authenticates everything before it when the cluster has a key: the header
//!   (cluster id, sender index) as well as the message. It is checked *before* the payload is
//!   parsed, so unauthenticated bytes never reach the decoder. A valid datagram replayed later is
//!   indistinguishable from a duplicate, which Paxos tolerates by design (the checked model runs
//!   on a duplicating network), so there is no replay window or sequence number.
//!
//! Decoding never panics: every malformed input is a [`DecodeError`] that the event loop counts
//! and drops (the property is exercised by `tests/runtime_codec_props.rs` under proptest).

use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;
use std::fmt;

/// First two bytes of every datagram.
pub const MAGIC: [u8; 2] = *b"PX";
/// The envelope version this build speaks.
pub const VERSION: u8 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 16;
/// Size of the authentication tag.
pub const TAG_LEN: usize = 32;
/// Largest datagram accepted or produced; every Paxos message is far smaller.
pub const MAX_DATAGRAM: usize = 1024;
/// Sender field of datagrams from clients (processes outside the member list).
pub const CLIENT_SENDER: u16 = u16::MAX;
const FLAG_TAGGED: u8 = 1;

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

/// The shared secret of a cluster (at least [`ClusterKey::MIN_LEN`] bytes).
#[derive(Clone)]
pub struct ClusterKey(Hmac<Sha256>);

impl ClusterKey {
    /// Shortest key accepted.
    pub const MIN_LEN: usize = 16;

    /// A key from raw bytes.
    pub fn new(bytes: &[u8]) -> Result<ClusterKey, String> {
        if bytes.len() < Self::MIN_LEN {
            return Err(format!(
                "the cluster key has {} bytes; at least {} are needed (32 random bytes are best)",
                bytes.len(),
                Self::MIN_LEN
            ));
        }
        Ok(ClusterKey(
            Hmac::<Sha256>::new_from_slice(bytes).expect("HMAC accepts keys of any length"),
        ))
    }

    /// Reads a key file; one trailing newline (as editors add) is not part of the key.
    pub fn from_file(path: &std::path::Path) -> Result<ClusterKey, String> {
        let mut bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read cluster key file {}: {e}", path.display()))?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Self::new(&bytes).map_err(|e| format!("cluster key file {}: {e}", path.display()))
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
    /// The length field disagrees with the datagram's size.
    LengthMismatch {
        /// Payload length in the header.
        declared: usize,
        /// Bytes present after the header (including any tag).
        present: usize,
    },
    /// This cluster has a key but the datagram carries no tag.
    MissingTag,
    /// The datagram carries a tag but this cluster has no key.
    UnexpectedTag,
    /// The tag does not match.
    BadTag,
    /// The payload is not a valid message.
    Payload(String),
}

impl DecodeError {
    /// The counter a dropped datagram is added to.
    pub fn reason(&self) -> DropReason {
        match self {
            DecodeError::Oversized(_) => DropReason::Oversized,
            DecodeError::WrongCluster(_) => DropReason::WrongCluster,
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
            DecodeError::LengthMismatch { declared, present } => {
                write!(f, "length mismatch: {declared} declared, {present} present")
            }
            DecodeError::MissingTag => f.write_str("missing authentication tag"),
            DecodeError::UnexpectedTag => f.write_str("tagged, but this node has no cluster key"),
            DecodeError::BadTag => f.write_str("authentication tag mismatch"),
            DecodeError::Payload(e) => write!(f, "bad payload: {e}"),
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
    /// Missing, unexpected or wrong tag.
    Unauthenticated,
    /// The source is not allowed to send this (see the event loop's admission rule).
    UnknownSender,
}

/// Encodes and decodes envelopes for one cluster.
#[derive(Clone, Debug)]
pub struct Codec {
    cluster_id: u64,
    key: Option<ClusterKey>,
}

impl Codec {
    /// A codec for `cluster_id`, authenticating with `key` when given.
    pub fn new(cluster_id: u64, key: Option<ClusterKey>) -> Codec {
        Codec { cluster_id, key }
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    /// Whether datagrams are authenticated.
    pub fn authenticated(&self) -> bool {
        self.key.is_some()
    }

    /// The datagram carrying `msg` from `sender`.
    pub fn encode<M: Serialize>(&self, sender: Sender, msg: &M) -> Vec<u8> {
        let payload = postcard::to_allocvec(msg).expect("messages serialize");
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TAG_LEN);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(if self.key.is_some() { FLAG_TAGGED } else { 0 });
        out.extend_from_slice(&self.cluster_id.to_le_bytes());
        out.extend_from_slice(&sender.to_wire().to_le_bytes());
        out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
        out.extend_from_slice(&payload);
        if let Some(key) = &self.key {
            let tag = key.tag(&out);
            out.extend_from_slice(&tag);
        }
        debug_assert!(out.len() <= MAX_DATAGRAM);
        out
    }

    /// The sender and message of a datagram, or why it must be dropped.
    pub fn decode<M: DeserializeOwned>(&self, bytes: &[u8]) -> Result<(Sender, M), DecodeError> {
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
        if flags & !FLAG_TAGGED != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let cluster = u64::from_le_bytes(bytes[4..12].try_into().expect("8 bytes"));
        if cluster != self.cluster_id {
            return Err(DecodeError::WrongCluster(cluster));
        }
        let sender = Sender::from_wire(u16::from_le_bytes([bytes[12], bytes[13]]));
        let declared = usize::from(u16::from_le_bytes([bytes[14], bytes[15]]));
        let tagged = flags & FLAG_TAGGED != 0;
        let present = bytes.len() - HEADER_LEN;
        let expected = declared + if tagged { TAG_LEN } else { 0 };
        if present != expected {
            return Err(DecodeError::LengthMismatch { declared, present });
        }
        let body_end = HEADER_LEN + declared;
        match (&self.key, tagged) {
            (Some(_), false) => return Err(DecodeError::MissingTag),
            (None, true) => return Err(DecodeError::UnexpectedTag),
            (Some(key), true) => {
                if !key.verify(&bytes[..body_end], &bytes[body_end..]) {
                    return Err(DecodeError::BadTag);
                }
            }
            (None, false) => {}
        }
        match postcard::take_from_bytes::<M>(&bytes[HEADER_LEN..body_end]) {
            Ok((msg, [])) => Ok((sender, msg)),
            Ok((_, rest)) => Err(DecodeError::Payload(format!(
                "{} bytes after the message",
                rest.len()
            ))),
            Err(e) => Err(DecodeError::Payload(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::single::Msg;

    fn key(b: u8) -> ClusterKey {
        ClusterKey::new(&[b; 32]).unwrap()
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
    fn round_trips_with_and_without_a_key() {
        for codec in [Codec::new(42, None), Codec::new(42, Some(key(1)))] {
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
        let bytes = Codec::new(0x0102_0304_0506_0708, None).encode(Sender::Member(3), &Msg::Query);
        assert_eq!(
            bytes,
            vec![b'P', b'X', 1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 1, 0, 2]
        );
        let tagged = Codec::new(1, Some(key(1))).encode(Sender::Client, &Msg::Query);
        assert_eq!(tagged.len(), HEADER_LEN + 1 + TAG_LEN);
        assert_eq!(tagged[3], 1);
        assert_eq!(&tagged[12..14], &[0xff, 0xff]);
    }

    #[test]
    fn authentication_rejects_forged_missing_and_unexpected_tags() {
        let ours = Codec::new(5, Some(key(1)));
        let forger = Codec::new(5, Some(key(2)));
        let open = Codec::new(5, None);
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
        bytes[12] = 1;
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
    fn malformed_datagrams_are_named() {
        let c = Codec::new(5, None);
        let good = c.encode(Sender::Member(1), &Msg::Accept(Ballot::new(1, 1), 300));
        assert_eq!(
            c.decode::<Msg>(&[0; MAX_DATAGRAM + 1]),
            Err(DecodeError::Oversized(1025))
        );
        assert_eq!(c.decode::<Msg>(&good[..15]), Err(DecodeError::TooShort(15)));
        let mut b = good.clone();
        b[0] = b'Q';
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::BadMagic));
        let mut b = good.clone();
        b[2] = 2;
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::UnsupportedVersion(2)));
        let mut b = good.clone();
        b[3] = 0x80;
        assert_eq!(c.decode::<Msg>(&b), Err(DecodeError::UnknownFlags(0x80)));
        assert_eq!(
            Codec::new(6, None).decode::<Msg>(&good),
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
        b[16] = 200; // no such Msg variant
        assert!(matches!(c.decode::<Msg>(&b), Err(DecodeError::Payload(_))));
        assert_eq!(
            DecodeError::WrongCluster(1).reason(),
            DropReason::WrongCluster
        );
        assert_eq!(DecodeError::Oversized(2000).reason(), DropReason::Oversized);
        assert_eq!(DecodeError::BadMagic.reason(), DropReason::Malformed);
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(
            ClusterKey::new(b"short").unwrap_err(),
            "the cluster key has 5 bytes; at least 16 are needed (32 random bytes are best)"
        );
    }
}
