//! The datagram decoder under proptest: random bytes and mutated valid datagrams never panic
//! it, and every rejection is the one the envelope layout predicts.

use paxos::ballot::Ballot;
use paxos::runtime::codec::{
    ClusterKey, Codec, DecodeError, Keys, Sender, HEADER_LEN, MAX_DATAGRAM,
};
use paxos::runtime::identity::Incarnation;
use paxos::single::Msg;
use proptest::prelude::*;

const CLUSTER: u64 = 0x5eed_0000_0000_0001;

const INC: Incarnation = Incarnation(0x1ead_0000_0000_0000_0000_0000_0000_0002);

fn keyed() -> Codec {
    Codec::member(
        CLUSTER,
        INC,
        Some(Keys {
            member: Some(ClusterKey::new(&[42u8; 32]).unwrap()),
            client: ClusterKey::new(&[43u8; 32]).unwrap(),
        }),
    )
}

fn open() -> Codec {
    Codec::member(CLUSTER, INC, None)
}

fn ballot() -> impl Strategy<Value = Ballot> {
    (any::<u32>(), any::<u32>()).prop_map(|(r, p)| Ballot::new(r, p))
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        any::<u64>().prop_map(Msg::Propose),
        any::<u64>().prop_map(Msg::Decided),
        Just(Msg::Query),
        any::<Option<u64>>().prop_map(Msg::Learned),
        ballot().prop_map(Msg::Prepare),
        (ballot(), proptest::option::of((ballot(), any::<u64>())))
            .prop_map(|(b, v)| Msg::Promise(b, v)),
        (ballot(), any::<u64>()).prop_map(|(b, v)| Msg::Accept(b, v)),
        (ballot(), any::<u64>()).prop_map(|(b, v)| Msg::Accepted(b, v)),
        (ballot(), ballot()).prop_map(|(b, p)| Msg::Nack(b, p)),
        (ballot(), any::<u64>()).prop_map(|(b, v)| Msg::Chosen(b, v)),
    ]
}

fn sender() -> impl Strategy<Value = Sender> {
    prop_oneof![Just(Sender::Client), (0u16..1000).prop_map(Sender::Member)]
}

/// The error the layout predicts for an authenticated datagram with byte `i` XORed by `x`
/// (`x != 0`).
fn expected_keyed(bytes: &[u8], i: usize, x: u8) -> DecodeError {
    let new = bytes[i] ^ x;
    match i {
        0 | 1 => DecodeError::BadMagic,
        2 => DecodeError::UnsupportedVersion(new),
        3 if new & !3 != 0 => DecodeError::UnknownFlags(new),
        // The control bit flipped: the tag still authenticates the header, and it no longer
        // matches.
        3 if (new ^ bytes[3]) == 2 => DecodeError::BadTag,
        // The tag bit cleared: the tag's 32 bytes no longer fit the declared length.
        3 => DecodeError::LengthMismatch {
            declared: bytes.len() - HEADER_LEN - 32,
            present: bytes.len() - HEADER_LEN,
        },
        4..=11 => {
            let mut c = [0u8; 8];
            c.copy_from_slice(&bytes[4..12]);
            c[i - 4] = new;
            DecodeError::WrongCluster(u64::from_le_bytes(c))
        }
        12..=27 => {
            let mut c = [0u8; 16];
            c.copy_from_slice(&bytes[12..28]);
            c[i - 12] = new;
            DecodeError::WrongIncarnation(u128::from_le_bytes(c))
        }
        30 | 31 => {
            let mut l = [bytes[30], bytes[31]];
            l[i - 30] = new;
            DecodeError::LengthMismatch {
                declared: usize::from(u16::from_le_bytes(l)),
                present: bytes.len() - HEADER_LEN,
            }
        }
        // The sender index, the payload and the tag itself are authenticated.
        _ => DecodeError::BadTag,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_rejected_for_the_first_reason(
        bytes in proptest::collection::vec(any::<u8>(), 0..1200)
    ) {
        for codec in [keyed(), open()] {
            let r = codec.decode::<Msg>(&bytes);
            if bytes.len() > MAX_DATAGRAM {
                prop_assert_eq!(r, Err(DecodeError::Oversized(bytes.len())));
            } else if bytes.len() < HEADER_LEN {
                prop_assert_eq!(r, Err(DecodeError::TooShort(bytes.len())));
            } else if bytes[..2] != *b"PX" {
                prop_assert_eq!(r, Err(DecodeError::BadMagic));
            } else {
                prop_assert!(r.is_err());
            }
        }
    }

    #[test]
    fn valid_datagrams_round_trip(m in msg(), s in sender()) {
        for codec in [keyed(), open()] {
            let bytes = codec.encode(s, &m);
            prop_assert!(bytes.len() <= MAX_DATAGRAM);
            prop_assert_eq!(codec.decode::<Msg>(&bytes), Ok((s, m)));
        }
    }

    #[test]
    fn any_single_byte_change_to_an_authenticated_datagram_is_rejected_as_predicted(
        m in msg(),
        s in sender(),
        pos in any::<proptest::sample::Index>(),
        x in 1u8..=255,
    ) {
        let codec = keyed();
        let mut bytes = codec.encode(s, &m);
        let i = pos.index(bytes.len());
        let expected = expected_keyed(&bytes, i, x);
        bytes[i] ^= x;
        prop_assert_eq!(codec.decode::<Msg>(&bytes), Err(expected));
    }

    #[test]
    fn truncated_or_extended_datagrams_are_rejected(
        m in msg(),
        s in sender(),
        cut in any::<proptest::sample::Index>(),
        extra in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        for codec in [keyed(), open()] {
            let bytes = codec.encode(s, &m);
            let n = cut.index(bytes.len());
            let short = codec.decode::<Msg>(&bytes[..n]);
            if n < HEADER_LEN {
                prop_assert_eq!(short, Err(DecodeError::TooShort(n)));
            } else {
                let declared = bytes.len() - HEADER_LEN - if codec.authenticated() { 32 } else { 0 };
                prop_assert_eq!(
                    short,
                    Err(DecodeError::LengthMismatch { declared, present: n - HEADER_LEN })
                );
            }
            let mut long = bytes.clone();
            long.extend_from_slice(&extra);
            let declared = bytes.len() - HEADER_LEN - if codec.authenticated() { 32 } else { 0 };
            prop_assert_eq!(
                codec.decode::<Msg>(&long),
                Err(DecodeError::LengthMismatch { declared, present: long.len() - HEADER_LEN })
            );
        }
    }

    /// Without a key the payload is parsed as it comes: any payload bytes behind a valid
    /// header decode to a message that re-encodes to a valid datagram, or are rejected as a
    /// bad payload; nothing else, and never a panic.
    #[test]
    fn arbitrary_payloads_behind_a_valid_header_never_panic(
        s in sender(),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let codec = open();
        let mut bytes = codec.encode(s, &Msg::Query);
        bytes.truncate(HEADER_LEN);
        bytes[30..32].copy_from_slice(&(payload.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&payload);
        match codec.decode::<Msg>(&bytes) {
            Ok((s2, m)) => {
                prop_assert_eq!(s2, s);
                prop_assert_eq!(codec.decode::<Msg>(&codec.encode(s, &m)), Ok((s, m)));
            }
            Err(e) => prop_assert!(matches!(e, DecodeError::Payload(_)), "{:?}", e),
        }
    }
}
