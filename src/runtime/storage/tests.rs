//! Tests of the data directory and the two-slot record file.
use super::*;
use crate::ballot::Ballot;
use crate::runtime::identity::Identity;
use crate::runtime::identity::Incarnation;
use crate::single::Storage;
use std::fs::{self, OpenOptions};
use std::path::Path;

fn sample() -> Storage {
    Storage {
        promised: Some(Ballot::new(3, 1)),
        accepted: Some((Ballot::new(2, 0), 42)),
        round: 3,
        learned: Some(42),
    }
}

fn me(index: usize) -> Identity {
    Identity {
        cluster_id: 0xabc,
        incarnation: Incarnation(0x1234),
        index,
        members: (1..=3).map(|p| format!("node 127.0.0.1:{p}")).collect(),
    }
}

fn init(dir: &Path) -> DataDir {
    DataDir::init(dir, &me(1)).unwrap()
}

fn open(dir: &Path) -> Result<DataDir, StorageError> {
    DataDir::open(dir, &me(1), true)
}

fn seqs(bytes: &[u8]) -> (u64, u64) {
    let s = bytes.len() / 2;
    (
        u64::from_le_bytes(bytes[12..20].try_into().unwrap()),
        u64::from_le_bytes(bytes[s + 12..s + 20].try_into().unwrap()),
    )
}

#[test]
fn initialisation_writes_an_explicit_empty_record_in_both_slots() {
    let tmp = tempfile::tempdir().unwrap();
    let d = init(&tmp.path().join("n0"));
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(bytes, initial_file());
    assert_eq!(bytes.len(), 8192);
    assert_eq!(&bytes[..8], b"PXST\x03\x00\x01\x00");
    assert_eq!(seqs(&bytes), (1, 2));
    assert!(bytes[..4096].iter().any(|&b| b != 0) && bytes[4096..].iter().any(|&b| b != 0));
    assert_eq!(RecordStore::<Storage>::load(&d).unwrap(), None);
    assert_eq!(
        fs::read_to_string(tmp.path().join("n0").join(MEMBER_FILE)).unwrap(),
        me(1).to_file_text()
    );
}

#[test]
fn saves_alternate_between_the_slots_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = init(&tmp.path().join("n0"));
    d.save(&sample()).unwrap();
    assert_eq!(RecordStore::<Storage>::load(&d).unwrap(), Some(sample()));
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(bytes, encode_file(&sample()).unwrap());
    assert_eq!(&bytes[..12], b"PXST\x03\x00\x00\x00\x00\x10\x00\x00");
    assert_eq!(seqs(&bytes), (3, 2));
    let later = Storage {
        round: 4,
        ..sample()
    };
    d.save(&later).unwrap();
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(seqs(&bytes), (3, 4));
    assert_eq!(check_file(&bytes).unwrap().latest_slot, 1);
    d.save(&sample()).unwrap();
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(seqs(&bytes), (5, 4));
    // Reopening finds the latest record.
    drop(d);
    let d = open(&tmp.path().join("n0")).unwrap();
    assert_eq!(RecordStore::<Storage>::load(&d).unwrap(), Some(sample()));
    assert!(!d.path().join(TEMP_FILE).exists());
}

#[test]
fn a_record_that_outgrows_the_slots_moves_to_a_larger_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = init(tmp.path());
    d.save(&sample()).unwrap();
    let big: Vec<u64> = (0..1000).map(|i| i * 1_000_000).collect();
    d.save(&big).unwrap();
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(bytes.len(), 2 * 8192, "two slots of two pages");
    // The new file keeps the previous record in slot 1.
    assert_eq!(seqs(&bytes), (4, 3));
    assert_eq!(
        RecordStore::<Vec<u64>>::load(&d).unwrap(),
        Some(big.clone())
    );
    d.save(&vec![1u64]).unwrap();
    drop(d);
    let d3 = open(tmp.path()).unwrap();
    assert_eq!(RecordStore::<Vec<u64>>::load(&d3).unwrap(), Some(vec![1]));
    // The first save after initialisation can take the slow path too.
    let fresh = tmp.path().join("fresh");
    let mut d = init(&fresh);
    d.save(&big).unwrap();
    let bytes = fs::read(d.storage_path()).unwrap();
    assert_eq!(seqs(&bytes), (3, 2));
    drop(d);
    assert_eq!(
        RecordStore::<Vec<u64>>::load(&open(&fresh).unwrap()).unwrap(),
        Some(big)
    );
}

#[test]
fn a_plain_start_never_creates_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("node1");
    let hint = "refusing to start an acceptor with no memory: a member's storage is created \
                only by initialisation, `paxos node --init` with the same flags, and only for \
                a member that never ran: a member whose disk was lost must not rejoin under \
                its old identity (README, \"Failure model and operator rules\")";
    assert_eq!(
        open(&missing).unwrap_err().to_string(),
        format!(
            "data directory {} does not exist; {hint}",
            missing.display()
        )
    );
    assert!(!missing.exists(), "nothing was created");
    fs::create_dir(&missing).unwrap();
    assert_eq!(
        open(&missing).unwrap_err().to_string(),
        format!(
            "data directory {} is not initialised (it has no paxos.member); {hint}",
            missing.display()
        )
    );
    assert!(!missing.join(STORAGE_FILE).exists());
    fs::write(missing.join(STORAGE_FILE), initial_file()).unwrap();
    assert_eq!(
        open(&missing).unwrap_err().to_string(),
        format!(
            "data directory {} holds paxos.storage but no paxos.member: its initialisation \
             did not finish, so this member never ran; remove the directory and initialise \
             it again; {hint}",
            missing.display()
        )
    );
}

#[test]
fn a_lost_member_file_of_a_member_that_ran_is_not_called_never_ran() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut d = init(tmp.path());
        d.save(&sample()).unwrap();
    }
    fs::remove_file(tmp.path().join(MEMBER_FILE)).unwrap();
    let e = open(tmp.path()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "data directory {} holds paxos.storage with saved records but no paxos.member: \
             this member ran and its member file is lost; do not initialise it again",
            tmp.path().display()
        )),
        "{e}"
    );
}

#[test]
fn special_and_huge_record_files_are_refused_before_they_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    drop(init(tmp.path()));
    let path = tmp.path().join(STORAGE_FILE);
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(MAX_FILE_LEN + 2 * SLOT_UNIT as u64).unwrap(); // sparse: no space used
    drop(f);
    assert_eq!(
        open(tmp.path()).unwrap_err().to_string(),
        format!(
            "storage file {} is unusable: bad length: the file has {} bytes, expected two \
             slots of a multiple of 4096 bytes each (truncated or extended); refusing to \
             start with an empty state",
            path.display(),
            MAX_FILE_LEN + 8192
        )
    );
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    assert_eq!(
        open(tmp.path()).unwrap_err().to_string(),
        format!("cannot read {}: not a regular file", path.display())
    );
}

#[test]
fn initialisation_refuses_an_existing_member() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("n");
    drop(init(&dir));
    assert_eq!(
        DataDir::init(&dir, &me(1)).unwrap_err().to_string(),
        format!(
            "cannot initialise {}: it is already initialised (it has paxos.member); a member \
             that has run must never be initialised again (its promises would be forgotten)",
            dir.display()
        )
    );
    let other = tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("notes.txt"), "x").unwrap();
    assert_eq!(
        DataDir::init(&other, &me(1)).unwrap_err().to_string(),
        format!(
            "cannot initialise {}: it exists and is not empty (it has notes.txt); a member \
             that has run must never be initialised again (its promises would be forgotten)",
            other.display()
        )
    );
    // An empty existing directory is fine.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(DataDir::init(&empty, &me(1)).is_ok());
}

#[test]
fn a_directory_serves_only_the_member_it_was_initialised_for() {
    let tmp = tempfile::tempdir().unwrap();
    drop(init(tmp.path()));
    let member = tmp.path().join(MEMBER_FILE);
    let wrong = |asked: Identity, inc: bool| {
        DataDir::open(tmp.path(), &asked, inc)
            .unwrap_err()
            .to_string()
    };
    let prefix = format!(
        "data directory does not belong to this node ({}): ",
        member.display()
    );
    let suffix = "; its promises are not this node's";
    assert_eq!(
        wrong(me(0), true),
        format!("{prefix}it belongs to member 1, not to member 0{suffix}")
    );
    let mut roles = me(1);
    roles.members[0] = "learner 127.0.0.1:1".into();
    assert_eq!(
        wrong(roles, true),
        format!(
            "{prefix}it was initialised for another member list: member 0 is 'node \
             127.0.0.1:1' there and 'learner 127.0.0.1:1' here (the list's order and roles \
             are part of a cluster's identity){suffix}"
        )
    );
    let id = Identity {
        cluster_id: 7,
        ..me(1)
    };
    assert_eq!(
        wrong(id, true),
        format!(
            "{prefix}it was initialised with cluster id 0x0000000000000abc, this start has \
             0x0000000000000007 (an explicit --cluster-id given at initialisation must be \
             given at every start){suffix}"
        )
    );
    let inc = Identity {
        incarnation: Incarnation(9),
        ..me(1)
    };
    assert!(wrong(inc.clone(), true).contains("incarnation"));
    // Without an incarnation to compare, the recorded one is taken.
    let d = DataDir::open(tmp.path(), &inc, false).unwrap();
    assert_eq!(d.identity().incarnation, Incarnation(0x1234));
    drop(d);
    fs::write(&member, "node 1\n").unwrap();
    assert_eq!(
        open(tmp.path()).unwrap_err().to_string(),
        format!(
            "member file {} is unreadable: it has fewer than two lines",
            member.display()
        )
    );
}

#[test]
fn a_second_open_of_a_locked_directory_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let _d = init(tmp.path());
    let err = open(tmp.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "data directory is in use by another node (lock {} is held)",
            tmp.path().join(LOCK_FILE).display()
        )
    );
}

#[test]
fn a_stale_temp_file_is_removed_and_the_record_kept() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut d = init(tmp.path());
        d.save(&sample()).unwrap();
    }
    fs::write(tmp.path().join(TEMP_FILE), b"half a record").unwrap();
    let d = open(tmp.path()).unwrap();
    assert!(!tmp.path().join(TEMP_FILE).exists());
    assert_eq!(RecordStore::<Storage>::load(&d).unwrap(), Some(sample()));
}

/// The reason `DataDir::open` (and so a node's start) gives for a record file with `bytes`.
fn corrupt(bytes: &[u8]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    drop(init(tmp.path()));
    let path = tmp.path().join(STORAGE_FILE);
    fs::write(&path, bytes).unwrap();
    let err = match open(tmp.path()) {
        Err(e) => e,
        Ok(d) => RecordStore::<Storage>::load(&d).unwrap_err(),
    };
    let msg = err.to_string();
    let prefix = format!("storage file {} is unusable: ", path.display());
    let suffix = "; refusing to start with an empty state";
    assert!(msg.starts_with(&prefix) && msg.ends_with(suffix), "{msg}");
    assert_eq!(
        read_storage_file::<Storage>(&path).unwrap_err().to_string(),
        msg,
        "reading the file directly gives the same reason"
    );
    msg[prefix.len()..msg.len() - suffix.len()].to_string()
}

/// The file after initialisation and two saves: `default` as number 3 in slot 0, `sample`
/// as number 4 in slot 1.
fn two_saves() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = init(tmp.path());
    d.save(&Storage::default()).unwrap();
    d.save(&sample()).unwrap();
    fs::read(d.storage_path()).unwrap()
}

#[test]
fn every_corruption_kind_has_its_message() {
    let good = two_saves();
    assert_eq!(seqs(&good), (3, 4));
    let payload = postcard::to_allocvec(&sample()).unwrap();
    assert_eq!(payload.len(), 10);
    assert_eq!(decode_file::<Storage>(&good).unwrap(), Some(sample()));
    const S: usize = 4096;

    assert_eq!(
        corrupt(&[]),
        "bad length: the file has 0 bytes, expected two slots of a multiple of 4096 bytes \
         each (truncated or extended)"
    );
    assert_eq!(
        corrupt(&good[..5000]),
        "bad length: the file has 5000 bytes, expected two slots of a multiple of 4096 bytes \
         each (truncated or extended)"
    );
    let mut magic = good.clone();
    magic[S..S + 4].copy_from_slice(b"JUNK");
    assert_eq!(
        corrupt(&magic),
        "slot 1 (at byte 4096): bad magic: starts with 4a 55 4e 4b, expected \"PXST\""
    );
    let mut version = good.clone();
    version[4] = 2;
    assert_eq!(
        corrupt(&version),
        "slot 0 (at byte 0): unsupported format version 2 (this build reads version 3)"
    );
    let mut flags = good.clone();
    flags[S + 6] = 2;
    assert_eq!(
        corrupt(&flags),
        "slot 1 (at byte 4096): unknown flags 0x0002"
    );
    let mut size = good.clone();
    size[S + 9] = 0x20;
    assert_eq!(
        corrupt(&size),
        "slot 1 (at byte 4096): the header declares 8192-byte slots, the file has 4096-byte \
         slots"
    );
    let mut long = good.clone();
    long[S + 20..S + 24].copy_from_slice(&5000u32.to_le_bytes());
    assert_eq!(
        corrupt(&long),
        "slot 1 (at byte 4096): the header declares 5000 payload bytes, the slot has room \
         for 4068"
    );
    // A flipped bit in the latest vote (slot 1): refused, although slot 0 is intact.
    let mut flipped = good.clone();
    flipped[S + HEADER_LEN + 5] ^= 0x04;
    let stored = u32::from_le_bytes(good[S + 24..S + 28].try_into().unwrap());
    let computed = checksum(
        &flipped[S..S + 24],
        &flipped[S + HEADER_LEN..S + HEADER_LEN + 10],
    );
    assert_ne!(stored, computed);
    assert_eq!(
        corrupt(&flipped),
        format!(
            "slot 1 (at byte 4096): checksum mismatch: stored crc32 {stored:08x}, contents \
             have {computed:08x}"
        )
    );
    let mut padding = good.clone();
    padding[S + 1000] = 1;
    assert_eq!(
        corrupt(&padding),
        "slot 1 (at byte 4096): non-zero byte at offset 1000 of the slot, after the payload"
    );
    // An initialisation record carrying bytes (its flag set on a real record).
    let mut flagged = good.clone();
    flagged[S + 6] = 1;
    assert_eq!(
        corrupt(&flagged),
        "slot 1 (at byte 4096): an initialisation record with 10 payload bytes (it has none)"
    );
    // Shapes no sequence of saves produces.
    let mut same = good.clone();
    same[S..].copy_from_slice(&encode_slot(Some(&payload), 3, S).unwrap());
    assert_eq!(
        corrupt(&same),
        "impossible slot contents: the slots hold sequence numbers 3 and 3, which are not \
         consecutive"
    );
    let mut gap = good.clone();
    gap[S..].copy_from_slice(&encode_slot(Some(&payload), 7, S).unwrap());
    assert_eq!(
        corrupt(&gap),
        "impossible slot contents: the slots hold sequence numbers 3 and 7, which are not \
         consecutive"
    );
    // "Nothing saved yet" written over the latest record: no initialisation writes it there.
    let mut reset = good.clone();
    reset[S..].copy_from_slice(&encode_slot(None, 4, S).unwrap());
    assert_eq!(
        corrupt(&reset),
        "impossible slot contents: slot 1 holds an initialisation record numbered 4 \
         (initialisation writes numbers 1 and 2 only)"
    );
    // A slot with a valid checksum around bytes that are not a `Storage`.
    let mut undecodable = good.clone();
    undecodable[S..].copy_from_slice(&encode_slot(Some(&[0x07]), 4, S).unwrap());
    let expected = postcard::from_bytes::<Storage>(&[0x07]).unwrap_err();
    assert_eq!(
        corrupt(&undecodable),
        format!("slot 1 (at byte 4096): decode error: {expected}")
    );
}

/// Zeros are damage, never "nothing saved": the whole file, either slot, in every state a
/// file can be in (just initialised, one save, two saves).
#[test]
fn zeroed_files_and_slots_are_refused() {
    const S: usize = 4096;
    let zeroed = "all zero bytes (zeroed by the disk, a truncate, fallocate or restore; every \
                  slot of an initialised file holds a record)";
    let one_save = encode_file(&sample()).unwrap();
    for (name, file) in [
        ("initialised", initial_file()),
        ("one save", one_save),
        ("two saves", two_saves()),
    ] {
        assert_eq!(
            corrupt(&vec![0u8; file.len()]),
            format!("slot 0 (at byte 0): {zeroed}"),
            "{name}: whole file"
        );
        let mut first = file.clone();
        first[..S].fill(0);
        assert_eq!(
            corrupt(&first),
            format!("slot 0 (at byte 0): {zeroed}"),
            "{name}: slot 0"
        );
        let mut second = file.clone();
        second[S..].fill(0);
        assert_eq!(
            corrupt(&second),
            format!("slot 1 (at byte 4096): {zeroed}"),
            "{name}: slot 1"
        );
    }
}

#[test]
fn an_initialised_directory_whose_record_file_vanished_does_not_start_empty() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut d = init(tmp.path());
        d.save(&sample()).unwrap();
    }
    fs::remove_file(tmp.path().join(STORAGE_FILE)).unwrap();
    assert_eq!(
        open(tmp.path()).unwrap_err().to_string(),
        format!(
            "storage file {} is unusable: missing: the directory was initialised (it has \
             paxos.member) but its record file is gone; refusing to start with an empty \
             state",
            tmp.path().join(STORAGE_FILE).display()
        )
    );
}

#[test]
fn a_nested_directory_is_created_by_initialisation() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a").join("b").join("n0");
    let d = init(&nested);
    assert!(d.storage_path().exists());
}

#[test]
fn the_older_slot_is_the_one_overwritten() {
    // Slot 0 holds number 3, slot 1 number 4: whatever a crash does to the next save, it
    // lands in slot 0 and slot 1 is untouched.
    let good = two_saves();
    let slots = check_file(&good).unwrap();
    assert_eq!(slots.slot_size, 4096);
    assert_eq!((slots.latest_slot, slots.latest_seq), (1, 4));
}

/// Format version 3, byte for byte: the file after initialisation and one save of `sample()`.
/// The expected bytes were computed outside this code (Python's `zlib.crc32` over the header
/// fields packed little endian, and postcard's encoding of the record written out by hand:
/// `Some(3,1)`, `Some((2,0),42)`, `3`, `Some(42)`), so a change to the layout, the checksum
/// or the record encoding fails here.
#[test]
fn the_record_file_format_is_pinned_byte_for_byte() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let bytes = encode_file(&sample()).unwrap();
    assert_eq!(bytes.len(), 8192);
    assert_eq!(
        hex(&bytes[..38]),
        "50585354030000000010000003000000000000000a000000a3d9efe40103010102002a03012a"
    );
    assert!(bytes[38..4096].iter().all(|&b| b == 0));
    assert_eq!(
        hex(&bytes[4096..4096 + 28]),
        "50585354030001000010000002000000000000000000000069f6e8e1"
    );
    assert!(bytes[4096 + 28..].iter().all(|&b| b == 0));
}
