//! The append-only journal (`src/runtime/storage/journal.rs`) with Multi-Paxos records
//! (`src/multi/deploy.rs`): saves append only the changes; a power cut anywhere in the last
//! frame loses only that (never acknowledged) save and is cut off; damage before the last frame
//! (every byte flipped), a zeroed middle frame or header, and zeroed blocks longer than one
//! write stop the node with the file, the offset and the reason; a zeroed tail of at most 512
//! bytes from a frame start is cut like a torn write (the documented limit); replay refuses a
//! journal whose checksummed changes would make an acceptor forget a promise, and a save that
//! replay could not rebuild is refused.

use paxos::ballot::Ballot;
use paxos::multi::deploy::RecordChange;
use paxos::multi::{Cmd, Entry, Op, Record};
use paxos::runtime::storage::journal::{
    encode_frame, replay, Journal, JournalDamage, Journaled, TornTail, FILE_HEADER_LEN,
    JOURNAL_FILE,
};
use paxos::runtime::storage::{Corruption, RecordStore, StorageError};
use std::fs;
use std::path::Path;

fn put(client: u64, seq: u32, k: &str, v: &str) -> Entry {
    Entry::batch(vec![Cmd {
        client,
        seq,
        op: Op::Put(k.into(), v.into()),
    }])
}

/// Four saves of a replica's record: a promise; a vote; a second vote; a higher promise with
/// a new round.
fn history() -> Vec<Record> {
    let b1 = Ballot::new(1, 0);
    let b2 = Ballot::new(2, 1);
    let mut r = Record {
        promised: Some(b1),
        ..Record::default()
    };
    let mut out = vec![r.clone()];
    r.votes.insert(0, (b1, put(7, 1, "k", "v")));
    out.push(r.clone());
    r.votes.insert(1, (b1, put(8, 1, "key", "value")));
    out.push(r.clone());
    r.promised = Some(b2);
    r.round = 2;
    out.push(r.clone());
    out
}

/// A journal in a new directory holding `records`, saved in order; its bytes and each
/// frame's start offset.
fn journal_of(dir: &Path, records: &[Record]) -> (Vec<u8>, Vec<u64>) {
    Journal::<Record>::create(dir).unwrap();
    let mut j = Journal::<Record>::open(dir).unwrap();
    let mut starts = Vec::new();
    for r in records {
        starts.push(j.len());
        j.save(r).unwrap();
    }
    (fs::read(dir.join(JOURNAL_FILE)).unwrap(), starts)
}

fn open(dir: &Path) -> Result<Journal<Record>, StorageError> {
    Journal::<Record>::open(dir)
}

fn damage(dir: &Path) -> (u64, JournalDamage) {
    match open(dir) {
        Err(StorageError::Corrupt {
            path,
            what: Corruption::Journal { offset, what },
        }) => {
            assert_eq!(path, dir.join(JOURNAL_FILE));
            (offset, what)
        }
        Err(e) => panic!("another error: {e}"),
        Ok(j) => panic!("opened, torn tail {:?}", j.torn_tail()),
    }
}

#[test]
fn saves_append_changes_and_a_reopen_replays_them() {
    let d = tempfile::tempdir().unwrap();
    Journal::<Record>::create(d.path()).unwrap();
    let mut j = open(d.path()).unwrap();
    assert_eq!(j.load().unwrap(), None);
    assert!(j.is_empty());
    assert_eq!(j.len(), FILE_HEADER_LEN as u64);
    let h = history();
    let mut lens = vec![j.len()];
    for r in &h {
        j.save(r).unwrap();
        lens.push(j.len());
        // Saving the same record again appends nothing.
        j.save(r).unwrap();
        assert_eq!(j.len(), *lens.last().unwrap());
    }
    let frames: Vec<u64> = lens.windows(2).map(|w| w[1] - w[0]).collect();
    // Every frame is 20 bytes of header and checksums around postcard-encoded changes: a
    // promise (4 bytes); a vote for a put of k=v (13); a vote for key=value (19); a promise and
    // a round (6).
    assert_eq!(frames, vec![24, 33, 39, 26]);
    assert_eq!(
        fs::metadata(d.path().join(JOURNAL_FILE)).unwrap().len(),
        *lens.last().unwrap()
    );
    drop(j);
    let j = open(d.path()).unwrap();
    assert_eq!(j.load().unwrap().as_ref(), h.last());
    assert_eq!(j.torn_tail(), None);
}

#[test]
fn a_vote_appends_the_same_bytes_however_long_the_log_is() {
    let d = tempfile::tempdir().unwrap();
    Journal::<Record>::create(d.path()).unwrap();
    let mut j = open(d.path()).unwrap();
    let b = Ballot::new(1, 0);
    let mut r = Record {
        promised: Some(b),
        ..Record::default()
    };
    j.save(&r).unwrap();
    let mut sizes = Vec::new();
    for slot in 0..1000u32 {
        r.votes.insert(slot, (b, put(1, slot + 1, "k", "v")));
        let before = j.len();
        j.save(&r).unwrap();
        sizes.push(j.len() - before);
    }
    // Slots and sequence numbers are varints: 1 byte below 128, 2 up to 16,383 (slot 127
    // carries seq 128).
    assert_eq!(sizes[0], 33);
    assert_eq!(sizes[127], 34);
    assert_eq!(sizes[999], 35);
    assert!(sizes.iter().all(|s| (33..=35).contains(s)));
    drop(j);
    assert_eq!(open(d.path()).unwrap().load().unwrap(), Some(r));
}

#[test]
fn a_power_cut_at_every_byte_of_the_last_frame_loses_only_that_save() {
    let d = tempfile::tempdir().unwrap();
    let h = history();
    let (bytes, starts) = journal_of(d.path(), &h);
    let last = *starts.last().unwrap() as usize;
    for cut in last..bytes.len() {
        let e = tempfile::tempdir().unwrap();
        fs::write(e.path().join(JOURNAL_FILE), &bytes[..cut]).unwrap();
        let j = open(e.path()).unwrap();
        assert_eq!(
            j.load().unwrap().as_ref(),
            Some(&h[h.len() - 2]),
            "cut at {cut}"
        );
        if cut == last {
            assert_eq!(j.torn_tail(), None);
        } else {
            let t = j.torn_tail().unwrap_or_else(|| panic!("cut at {cut}"));
            assert_eq!((t.offset, t.bytes), (last as u64, (cut - last) as u64));
        }
        // The file was cut back to the whole frames, and saving goes on from there.
        assert_eq!(
            fs::metadata(e.path().join(JOURNAL_FILE)).unwrap().len(),
            last as u64
        );
        let mut j = j;
        j.save(&h[h.len() - 1]).unwrap();
        drop(j);
        assert_eq!(open(e.path()).unwrap().load().unwrap().as_ref(), h.last());
    }
}

#[test]
fn a_torn_tail_is_reported_with_its_offset_and_reason() {
    let d = tempfile::tempdir().unwrap();
    let (bytes, starts) = journal_of(d.path(), &history());
    let last = starts[3];
    fs::write(d.path().join(JOURNAL_FILE), &bytes[..last as usize + 20]).unwrap();
    let j = open(d.path()).unwrap();
    let t: &TornTail = j.torn_tail().unwrap();
    assert_eq!(
        t.to_string(),
        format!(
            "cut a torn last frame at byte {last} (20 bytes: incomplete frame: it needs 26 \
             bytes, the file has 20 left); its save never completed, so no acknowledged state \
             is lost"
        )
    );
}

#[test]
fn damage_before_the_last_frame_is_refused_at_every_byte() {
    let d = tempfile::tempdir().unwrap();
    let (bytes, starts) = journal_of(d.path(), &history());
    // Every byte of the file header and of every frame but the last, flipped.
    for at in 0..starts[3] as usize {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        fs::write(d.path().join(JOURNAL_FILE), &b).unwrap();
        let (offset, _) = damage(d.path());
        let frame_start = starts.iter().rev().find(|s| **s as usize <= at).copied();
        let expected = if at < FILE_HEADER_LEN {
            0
        } else {
            frame_start.unwrap()
        };
        assert_eq!(offset, expected, "byte {at} flipped");
    }
}

#[test]
fn the_refusal_names_the_file_the_offset_and_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let (mut bytes, starts) = journal_of(d.path(), &history());
    let at = starts[1] as usize + 20;
    bytes[at] ^= 1;
    fs::write(d.path().join(JOURNAL_FILE), &bytes).unwrap();
    let err = open(d.path()).unwrap_err().to_string();
    let (offset, what) = damage(d.path());
    assert_eq!(offset, starts[1]);
    let JournalDamage::PayloadChecksum { stored, computed } = what else {
        panic!("{what:?}");
    };
    assert_eq!(
        err,
        format!(
            "storage file {} is unusable: journal frame at byte {}: payload checksum mismatch: \
             stored crc32 {stored:08x}, payload has {computed:08x}; refusing to start with an \
             empty state",
            d.path().join(JOURNAL_FILE).display(),
            starts[1]
        )
    );
}

#[test]
fn zeroed_regions_are_refused_except_a_zeroed_last_frame() {
    let d = tempfile::tempdir().unwrap();
    let (bytes, starts) = journal_of(d.path(), &history());
    let zero = |from: usize, to: usize| {
        let mut b = bytes.clone();
        b[from..to].fill(0);
        fs::write(d.path().join(JOURNAL_FILE), &b).unwrap();
    };
    zero(0, bytes.len());
    assert_eq!(damage(d.path()), (0, JournalDamage::Zeroed));
    zero(0, FILE_HEADER_LEN);
    assert_eq!(damage(d.path()), (0, JournalDamage::Zeroed));
    // A whole middle frame, and its header alone.
    zero(starts[1] as usize, starts[2] as usize);
    assert_eq!(damage(d.path()), (starts[1], JournalDamage::Zeroed));
    zero(starts[2] as usize, starts[2] as usize + 16);
    assert_eq!(damage(d.path()), (starts[2], JournalDamage::Zeroed));
    // The last frame zeroed is what a power cut leaves on a file system that extended the
    // file before the data reached the disk: a torn tail.
    zero(starts[3] as usize, bytes.len());
    let j = open(d.path()).unwrap();
    assert_eq!(j.torn_tail().map(|t| &t.why), Some(&JournalDamage::Zeroed));
    assert_eq!(j.load().unwrap().as_ref(), Some(&history()[2]));
}

/// Damage that runs to the end of the file is a torn tail only while it could be one write:
/// at most one sector (512 bytes) or the largest frame before it. A 4 KiB block zeroed at the
/// end of a journal of 200 one-vote frames (33 to 35 bytes each) is more than that: refused,
/// though nothing valid follows it.
#[test]
fn a_zeroed_block_at_the_end_longer_than_one_write_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let b = Ballot::new(1, 0);
    let mut r = Record {
        promised: Some(b),
        ..Record::default()
    };
    let mut records = vec![r.clone()];
    for slot in 0..200u32 {
        r.votes.insert(slot, (b, put(1, slot + 1, "k", "v")));
        records.push(r.clone());
    }
    let (bytes, starts) = journal_of(d.path(), &records);
    let from = bytes.len() - 4096;
    let mut z = bytes.clone();
    z[from..].fill(0);
    fs::write(d.path().join(JOURNAL_FILE), &z).unwrap();
    let frame = starts.iter().rev().find(|s| **s as usize <= from).unwrap();
    let (offset, what) = damage(d.path());
    assert_eq!(offset, *frame);
    assert!(
        matches!(
            what,
            JournalDamage::HeaderChecksum { .. } | JournalDamage::PayloadChecksum { .. }
        ),
        "{what:?}"
    );
    // Zeroed from inside a frame whose header survives, to the end: more than that frame, so
    // more than one write, however short. Refused.
    let mut z = bytes.clone();
    let inside = starts[190] as usize + 20;
    z[inside..].fill(0);
    fs::write(d.path().join(JOURNAL_FILE), &z).unwrap();
    assert!(matches!(
        damage(d.path()),
        (o, JournalDamage::PayloadChecksum { .. }) if o == starts[190]
    ));
    // Zeroed from a frame's start, under 512 bytes to the end: what a power cut leaves when
    // the file grew before the data reached the disk, so it is cut as a torn tail. The frames
    // inside are lost if the zeros were not a power cut but damage to acknowledged frames, the
    // price of recovering from power cuts unattended (README, "The append-only journal").
    let first = starts
        .iter()
        .position(|s| bytes.len() - *s as usize <= 512)
        .unwrap();
    let mut z = bytes.clone();
    z[starts[first] as usize..].fill(0);
    fs::write(d.path().join(JOURNAL_FILE), &z).unwrap();
    let j = open(d.path()).unwrap();
    assert_eq!(j.torn_tail().map(|t| t.offset), Some(starts[first]));
    assert_eq!(j.load().unwrap().as_ref(), Some(&records[first - 1]));
}

#[test]
fn missing_empty_and_foreign_files_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let err = open(d.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Corrupt {
                what: Corruption::Missing,
                ..
            }
        ),
        "{err}"
    );
    fs::write(d.path().join(JOURNAL_FILE), b"").unwrap();
    assert_eq!(
        damage(d.path()),
        (0, JournalDamage::ShortHeader { found: 0 })
    );
    fs::write(
        d.path().join(JOURNAL_FILE),
        b"PXST\x03\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    assert_eq!(
        damage(d.path()),
        (0, JournalDamage::BadMagic { found: *b"PXST" })
    );
    // A journal of a later format version.
    let (mut b, _) = journal_of(tempfile::tempdir().unwrap().path(), &[]);
    b[4] = 2;
    fs::write(d.path().join(JOURNAL_FILE), &b).unwrap();
    assert_eq!(damage(d.path()), (0, JournalDamage::UnsupportedVersion(2)));
}

/// A frame with valid checksums whose changes an acceptor could not have saved.
fn forged(changes: &[RecordChange], seq: u64) -> Vec<u8> {
    encode_frame(seq, &postcard::to_allocvec(changes).unwrap())
}

#[test]
fn replay_refuses_checksummed_changes_that_forget_a_promise() {
    let d = tempfile::tempdir().unwrap();
    let (bytes, starts) = journal_of(d.path(), &history());
    let b0 = Ballot::new(1, 0);
    let cases: [(Vec<RecordChange>, &str); 4] = [
        (
            vec![RecordChange::Promise(b0)],
            "Promise(1.0): a promise of 1.0 after one of 2.1: promises only rise",
        ),
        (
            vec![RecordChange::Round(1)],
            "Round(1): round 1 after round 2: rounds only rise",
        ),
        (
            vec![RecordChange::Vote(0, (b0, put(7, 1, "k", "w")))],
            "a slot's vote is replaced only by a higher ballot's",
        ),
        (
            vec![RecordChange::Vote(5, (Ballot::new(3, 0), Entry::noop()))],
            "a vote in ballot 3.0 at slot 5 above the promise (2.1)",
        ),
    ];
    for (changes, msg) in cases {
        let mut b = bytes.clone();
        b.extend(forged(&changes, 5));
        let (offset, what) = replay::<Record>(&b).unwrap_err();
        assert_eq!(offset, bytes.len() as u64);
        let JournalDamage::Inconsistent(why) = what else {
            panic!("{what:?}");
        };
        assert!(why.contains(msg), "{why}");
    }
    // A frame out of order, or repeated, is refused even at the end.
    let mut b = bytes.clone();
    b.extend(forged(&[RecordChange::Round(3)], 6));
    assert_eq!(
        replay::<Record>(&b).unwrap_err(),
        (
            bytes.len() as u64,
            JournalDamage::OutOfOrder {
                expected: 5,
                found: 6
            }
        )
    );
    let mut b = bytes.clone();
    b.extend_from_slice(&bytes[starts[3] as usize..]);
    assert_eq!(
        replay::<Record>(&b).unwrap_err(),
        (
            bytes.len() as u64,
            JournalDamage::OutOfOrder {
                expected: 5,
                found: 4
            }
        )
    );
    // Checksummed bytes that are not changes.
    let mut b = bytes.clone();
    b.extend(encode_frame(5, &[0xff, 0xff, 0xff]));
    assert!(matches!(
        replay::<Record>(&b).unwrap_err(),
        (_, JournalDamage::Undecodable(_))
    ));
}

#[test]
fn changes_then_apply_rebuild_the_record() {
    let h = history();
    let mut prev: Option<Record> = None;
    for r in &h {
        let mut rebuilt = prev.clone();
        for c in Record::changes(prev.as_ref(), r) {
            rebuilt = Some(Record::apply(rebuilt, c).unwrap());
        }
        assert_eq!(rebuilt.as_ref(), Some(r));
        prev = Some(r.clone());
    }
    assert_eq!(Record::changes(Some(&h[3]), &h[3]), vec![]);
    assert_eq!(
        Record::changes(Some(&h[2]), &h[3]),
        vec![
            RecordChange::Promise(Ballot::new(2, 1)),
            RecordChange::Round(2)
        ]
    );
}

/// A save whose changes replay would refuse, or could not express, is refused at the save
/// (the node stops there) rather than written into a journal the next start cannot replay.
#[test]
fn a_save_that_replay_could_not_rebuild_is_refused_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let h = history();
    let (bytes, _) = journal_of(d.path(), &h);
    let mut j = open(d.path()).unwrap();
    let mut lower = h[3].clone();
    lower.promised = Some(Ballot::new(1, 0));
    let err = j.save(&lower).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot encode the storage record: the record's changes cannot be replayed: a promise \
         of 1.0 after one of 2.1: promises only rise"
    );
    let mut forgot = h[3].clone();
    forgot.promised = None;
    let err = j.save(&forgot).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot encode the storage record: the record's changes do not rebuild it (a change \
         the record type cannot express)"
    );
    assert_eq!(fs::read(d.path().join(JOURNAL_FILE)).unwrap(), bytes);
    drop(j);
    assert_eq!(open(d.path()).unwrap().load().unwrap().as_ref(), h.last());
}

/// A data directory whose protocol journals its record (`Deploy::Store` of Multi-Paxos):
/// initialisation writes the journal, a plain start replays it, and an initialisation that
/// stopped before its member file is named as such.
#[test]
fn a_data_directory_can_hold_a_journal() {
    use paxos::runtime::identity::{Identity, Incarnation};
    use paxos::runtime::storage::DataDir;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("r0");
    let me = Identity {
        cluster_id: 0xabc,
        incarnation: Incarnation(0x1234),
        index: 0,
        members: (1..=3).map(|p| format!("replica 127.0.0.1:{p}")).collect(),
    };
    let mut data = DataDir::<Journal<Record>>::init_as(&dir, &me).unwrap();
    assert_eq!(data.storage_path(), dir.join(JOURNAL_FILE));
    assert!(!dir.join("paxos.storage").exists());
    assert_eq!(data.load().unwrap(), None);
    let h = history();
    data.save(&h[1]).unwrap();
    drop(data);
    let data = DataDir::<Journal<Record>>::open_as(&dir, &me, true).unwrap();
    assert_eq!(data.load().unwrap().as_ref(), Some(&h[1]));
    drop(data);
    // A directory whose initialisation wrote the journal header but not the member file.
    let half = d.path().join("r1");
    fs::create_dir(&half).unwrap();
    Journal::<Record>::create(&half).unwrap();
    let err = DataDir::<Journal<Record>>::open_as(&half, &me, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("holds paxos.journal but no paxos.member: its initialisation did not finish"),
        "{err}"
    );
}
