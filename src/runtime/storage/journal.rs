//! The append-only journal: a [`RecordStore`] for records that grow (the Multi-Paxos
//! acceptor's votes, one per slot), where each save appends only what changed.
//!
//! # Why a journal
//!
//! The two-slot file ([`super::slot_file`]) rewrites the whole record on every save. That is
//! right for single-decree Paxos, whose record is a few bytes, and wrong for a log: a replica
//! that has voted in a million slots would write all million votes to accept one more. The
//! journal instead appends, per save, one **frame** holding the record's *changes* since the
//! previous save (a new promise, the votes cast, a new round), and recovery replays every frame
//! in order into the record. The record type says what its changes are ([`Journaled`]); the
//! journal knows nothing of any protocol.
//!
//! One save is one frame, one `write` and one `fdatasync`: the runtime saves once per batch of
//! actor steps, before any message of the batch leaves (*save before send*), so a batch's
//! promises and votes share one flush (group commit).
//!
//! # File format (version 1)
//!
//! ```text
//! file header, 12 bytes:
//! 0   4  magic "PXJL"
//! 4   2  format version, little endian (1)
//! 6   2  reserved, 0
//! 8   4  CRC-32 (IEEE) of bytes 0..8
//! then frames, back to back; a frame at offset o:
//! o       4  payload length n, little endian (1 ..= MAX_FRAME_PAYLOAD)
//! o + 4   8  sequence number, little endian: 1 for the first frame, then consecutive
//! o + 12  4  CRC-32 of bytes o .. o + 12 (the frame header's own checksum)
//! o + 16  n  payload: the save's changes, a postcard-encoded `Vec<R::Change>`
//! o+16+n  4  CRC-32 of the payload
//! ```
//!
//! Initialisation writes the file header alone ("nothing saved yet"), the slow way (temp file,
//! `fdatasync`, rename, directory `fsync`), so a journal file is never empty.
//!
//! # Recovery: a torn tail is cut, any other damage stops the node
//!
//! Opening reads the frames in order and stops at the first that is not whole and valid. Only
//! the last write can be torn by a crash: a save returns only after its `fdatasync`, so every
//! earlier frame was durable before the next was written. A damaged frame is a **torn tail**
//! when it looks like that one interrupted write ([`torn_tail`] has the exact rule): its header
//! is valid and the frame runs past the end of the file, or fails its payload checksum ending
//! exactly at the end; or its header is unreadable (zeroed, wrong checksum, cut short), no valid
//! frame header follows, and the damage to the end is at most max(512 bytes, the largest frame
//! before it). That frame was never acknowledged (its save never returned); the journal cuts
//! the file back to the frame's start (`ftruncate`, `fsync`), logs it, and reports it
//! ([`Journal::torn_tail`]). Everything else is refused with the file, the frame's offset and
//! the reason: damage with a valid frame after it, damage longer than one write, a bad file
//! header, a frame whose checksums are right but whose number is out of order or whose changes
//! cannot be decoded or applied.
//!
//! **The limit.** Damage that looks like a torn write is cut like one, whatever caused it. So
//! acknowledged frames *can* be lost without a refusal in two ways: damage (not a power cut)
//! to the last frame or to the final max(512 bytes, largest frame) when it starts at a frame
//! boundary and leaves no valid header after it (a zeroed last sector of small frames holds
//! about 14 one-vote frames); and a file cut exactly at a frame boundary, which is a valid
//! shorter journal. Telling those from a power cut needs information from outside the file
//! (the peers', for instance). This is the price of recovering from power cuts unattended.
//!
//! # Growth
//!
//! The file grows by one frame per save that changed something and is never compacted here;
//! its size is the sum of the frames (`paxos status` will show it once a protocol runs on it).
//! Snapshots and compaction are future work.

use super::file_ops::{io_err, write_file_atomically_as};
use super::slot_file::Corruption;
use super::{RecordStore, StorageError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The journal's file name inside a data directory.
pub const JOURNAL_FILE: &str = "paxos.journal";
/// The temporary file its creation goes through.
pub const JOURNAL_TEMP_FILE: &str = "paxos.journal.tmp";
/// First four bytes of a journal.
pub const JOURNAL_MAGIC: [u8; 4] = *b"PXJL";
/// The format version this build writes and reads.
pub const JOURNAL_VERSION: u16 = 1;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 12;
/// Length of a frame's header (length, sequence number, header checksum).
pub const FRAME_HEADER_LEN: usize = 16;
/// Length of a frame's trailing payload checksum.
pub const FRAME_TRAILER_LEN: usize = 4;
/// The largest payload a frame may declare (a save's changes are far smaller).
pub const MAX_FRAME_PAYLOAD: u32 = 16 << 20;
/// The largest journal this build reads into memory at start.
pub const MAX_JOURNAL_LEN: u64 = 1 << 30;

/// A record that can be saved as a sequence of changes and rebuilt by replaying them.
pub trait Journaled: Clone + PartialEq + Sized {
    /// One change of the record.
    type Change: Serialize + DeserializeOwned + fmt::Debug;
    /// The changes that turn `prev` (`None`: nothing saved yet) into `next`, in the order
    /// [`Journaled::apply`] must replay them; empty when they are equal.
    fn changes(prev: Option<&Self>, next: &Self) -> Vec<Self::Change>;
    /// `record` with `change` applied, or why the change cannot follow `record` (replay
    /// refuses it: a journal that makes a promise fall is damaged, not a history).
    fn apply(record: Option<Self>, change: Self::Change) -> Result<Self, String>;
}

/// What is wrong with a journal's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalDamage {
    /// The file is shorter than its header.
    ShortHeader {
        /// Bytes in the file.
        found: u64,
    },
    /// The bytes at this place are all zero.
    Zeroed,
    /// The file does not start with [`JOURNAL_MAGIC`].
    BadMagic {
        /// The bytes found instead.
        found: [u8; 4],
    },
    /// A format version this build cannot read.
    UnsupportedVersion(u16),
    /// The file header's reserved bytes are not zero or its checksum does not match.
    BadFileHeader,
    /// The frame's header or payload runs past the end of the file.
    Incomplete {
        /// Bytes the frame needs from its start (its header's, when the header is not whole).
        needed: u64,
        /// Bytes left in the file from its start.
        left: u64,
    },
    /// The frame header's checksum does not match it.
    HeaderChecksum {
        /// Stored.
        stored: u32,
        /// Computed.
        computed: u32,
    },
    /// The payload checksum does not match it.
    PayloadChecksum {
        /// Stored.
        stored: u32,
        /// Computed.
        computed: u32,
    },
    /// A checksummed frame header declares a payload length no save writes.
    BadLength(u32),
    /// A checksummed frame carries the wrong sequence number.
    OutOfOrder {
        /// The number the frame should have.
        expected: u64,
        /// The number it has.
        found: u64,
    },
    /// The payload is checksummed but cannot be decoded as changes.
    Undecodable(String),
    /// A decoded change cannot follow the record replayed so far.
    Inconsistent(String),
    /// The journal is larger than this build reads ([`MAX_JOURNAL_LEN`]).
    TooLarge(u64),
}

/// The least damage with an unreadable frame header that may still be a torn tail: one disk
/// sector, the unit a disk writes atomically (see `torn_tail`).
pub const SECTOR: u64 = 512;

impl fmt::Display for JournalDamage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalDamage::ShortHeader { found } => write!(
                f,
                "{found} bytes, shorter than the {FILE_HEADER_LEN}-byte journal header (an \
                 initialised journal always has it)"
            ),
            JournalDamage::Zeroed => f.write_str("all zero bytes (no journal byte range is)"),
            JournalDamage::BadMagic { found } => write!(
                f,
                "bad magic: starts with {:02x} {:02x} {:02x} {:02x}, expected \"PXJL\"",
                found[0], found[1], found[2], found[3]
            ),
            JournalDamage::UnsupportedVersion(v) => write!(
                f,
                "unsupported journal version {v} (this build reads version {JOURNAL_VERSION})"
            ),
            JournalDamage::BadFileHeader => {
                f.write_str("the file header's reserved bytes or checksum are wrong")
            }
            JournalDamage::Incomplete { needed, left } => write!(
                f,
                "incomplete frame: it needs {needed} bytes, the file has {left} left"
            ),
            JournalDamage::HeaderChecksum { stored, computed } => write!(
                f,
                "frame header checksum mismatch: stored crc32 {stored:08x}, header has \
                 {computed:08x}"
            ),
            JournalDamage::PayloadChecksum { stored, computed } => write!(
                f,
                "payload checksum mismatch: stored crc32 {stored:08x}, payload has {computed:08x}"
            ),
            JournalDamage::BadLength(n) => write!(
                f,
                "a frame of {n} payload bytes (frames hold 1 to {MAX_FRAME_PAYLOAD})"
            ),
            JournalDamage::OutOfOrder { expected, found } => write!(
                f,
                "frame number {found} where {expected} was expected (a frame lost, repeated or \
                 moved)"
            ),
            JournalDamage::Undecodable(e) => write!(f, "undecodable changes: {e}"),
            JournalDamage::Inconsistent(e) => write!(f, "a change that cannot be replayed: {e}"),
            JournalDamage::TooLarge(n) => write!(
                f,
                "{n} bytes, more than the {MAX_JOURNAL_LEN} this build reads (compaction does \
                 not exist yet)"
            ),
        }
    }
}

/// A torn last frame that opening cut off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// Where the frame started (the file's new length).
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes: u64,
    /// What was wrong with it.
    pub why: JournalDamage,
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cut a torn last frame at byte {} ({} bytes: {}); its save never completed, so no \
             acknowledged state is lost",
            self.offset, self.bytes, self.why
        )
    }
}

/// What reading a journal's bytes found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed<R> {
    /// The record after every whole frame (`None`: nothing saved yet).
    pub record: Option<R>,
    /// Whole frames read.
    pub frames: u64,
    /// Where the whole frames end.
    pub end: u64,
    /// The torn last frame after `end`, if any.
    pub torn: Option<TornTail>,
}

fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The file header of an empty journal.
pub fn journal_header() -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..4].copy_from_slice(&JOURNAL_MAGIC);
    h[4..6].copy_from_slice(&JOURNAL_VERSION.to_le_bytes());
    let c = crc(&h[..8]);
    h[8..].copy_from_slice(&c.to_le_bytes());
    h
}

/// One frame's bytes: the save numbered `seq` with `payload`.
pub fn encode_frame(seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len() + FRAME_TRAILER_LEN);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    let c = crc(&out);
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc(payload).to_le_bytes());
    out
}

fn check_file_header(bytes: &[u8]) -> Result<(), JournalDamage> {
    if bytes.len() < FILE_HEADER_LEN {
        return Err(if !bytes.is_empty() && bytes.iter().all(|b| *b == 0) {
            JournalDamage::Zeroed
        } else {
            JournalDamage::ShortHeader {
                found: bytes.len() as u64,
            }
        });
    }
    let h = &bytes[..FILE_HEADER_LEN];
    if h.iter().all(|b| *b == 0) {
        return Err(JournalDamage::Zeroed);
    }
    if h[..4] != JOURNAL_MAGIC {
        return Err(JournalDamage::BadMagic {
            found: h[..4].try_into().expect("4 bytes"),
        });
    }
    let version = u16::from_le_bytes([h[4], h[5]]);
    if version != JOURNAL_VERSION {
        return Err(JournalDamage::UnsupportedVersion(version));
    }
    if h[6..8] != [0, 0] || u32_at(h, 8) != crc(&h[..8]) {
        return Err(JournalDamage::BadFileHeader);
    }
    Ok(())
}

/// Whether a frame header with a valid checksum and a number `>= min_seq` starts at `at`.
fn valid_header_at(bytes: &[u8], at: usize, min_seq: u64) -> bool {
    let Some(h) = bytes.get(at..at + FRAME_HEADER_LEN) else {
        return false;
    };
    let seq = u64::from_le_bytes(h[4..12].try_into().expect("8 bytes"));
    u32_at(h, 12) == crc(&h[..12]) && seq >= min_seq && h.iter().any(|b| *b != 0)
}

/// The frame at `at` (numbered `seq`): its payload and end, or what is wrong with it.
fn frame_at(bytes: &[u8], at: usize, seq: u64) -> Result<(&[u8], usize), JournalDamage> {
    let left = (bytes.len() - at) as u64;
    let Some(h) = bytes.get(at..at + FRAME_HEADER_LEN) else {
        let rest = &bytes[at..];
        return Err(if rest.iter().all(|b| *b == 0) {
            JournalDamage::Zeroed
        } else {
            JournalDamage::Incomplete {
                needed: FRAME_HEADER_LEN as u64,
                left,
            }
        });
    };
    if h.iter().all(|b| *b == 0) {
        return Err(JournalDamage::Zeroed);
    }
    let (stored, computed) = (u32_at(h, 12), crc(&h[..12]));
    if stored != computed {
        return Err(JournalDamage::HeaderChecksum { stored, computed });
    }
    let n = u32_at(h, 0);
    if n == 0 || n > MAX_FRAME_PAYLOAD {
        return Err(JournalDamage::BadLength(n));
    }
    let found = u64::from_le_bytes(h[4..12].try_into().expect("8 bytes"));
    if found != seq {
        return Err(JournalDamage::OutOfOrder {
            expected: seq,
            found,
        });
    }
    let end = at + FRAME_HEADER_LEN + n as usize + FRAME_TRAILER_LEN;
    if end > bytes.len() {
        return Err(JournalDamage::Incomplete {
            needed: (end - at) as u64,
            left,
        });
    }
    let payload = &bytes[at + FRAME_HEADER_LEN..end - FRAME_TRAILER_LEN];
    let (stored, computed) = (u32_at(bytes, end - FRAME_TRAILER_LEN), crc(payload));
    if stored != computed {
        return Err(JournalDamage::PayloadChecksum { stored, computed });
    }
    Ok((payload, end))
}

/// Whether the damaged frame at `at` (numbered `seq`; `largest` is the largest whole frame
/// before it) is a torn tail, or damage that stops the node.
///
/// A torn write damages only its own frame, the last, and cannot reach past it. So:
/// * a frame whose header is valid is torn when it runs past the end of the file, or when
///   its payload checksum fails and it ends exactly at the end of the file;
/// * a frame whose header is unreadable (zeroed, wrong checksum, cut short) is torn when no
///   valid frame header follows it and the damage, to the end of the file, is no longer than
///   the largest frame before it or one sector: a longer run of damage is more than one
///   write, so acknowledged frames may be inside it, and it is refused;
/// * anything with valid checksums that is wrong (a number out of order, a bad length) is
///   never a torn write.
pub fn torn_tail(
    bytes: &[u8],
    at: usize,
    seq: u64,
    largest: u64,
    damage: JournalDamage,
) -> Result<TornTail, (u64, JournalDamage)> {
    let left = (bytes.len() - at) as u64;
    let header_ok = valid_header_at(bytes, at, seq);
    let torn = match &damage {
        JournalDamage::Incomplete { .. } if header_ok => true,
        JournalDamage::PayloadChecksum { .. } => {
            let n = u64::from(u32_at(bytes, at));
            left == FRAME_HEADER_LEN as u64 + n + FRAME_TRAILER_LEN as u64
        }
        JournalDamage::Zeroed
        | JournalDamage::Incomplete { .. }
        | JournalDamage::HeaderChecksum { .. } => {
            left <= largest.max(SECTOR)
                && !(at + 1..bytes.len()).any(|o| valid_header_at(bytes, o, seq))
        }
        _ => false,
    };
    if !torn {
        return Err((at as u64, damage));
    }
    Ok(TornTail {
        offset: at as u64,
        bytes: left,
        why: damage,
    })
}

/// Replays a journal's bytes: the record after every whole frame, and a torn last frame if
/// there is one; or the damage that makes the journal unusable, with the offset where it is.
pub fn replay<R: Journaled>(bytes: &[u8]) -> Result<Replayed<R>, (u64, JournalDamage)> {
    check_file_header(bytes).map_err(|d| (0, d))?;
    let mut record: Option<R> = None;
    let mut at = FILE_HEADER_LEN;
    let mut seq = 1;
    let mut largest = 0;
    while at < bytes.len() {
        let (payload, end) = match frame_at(bytes, at, seq) {
            Ok(f) => f,
            Err(damage) => {
                let torn = torn_tail(bytes, at, seq, largest, damage)?;
                return Ok(Replayed {
                    record,
                    frames: seq - 1,
                    end: at as u64,
                    torn: Some(torn),
                });
            }
        };
        largest = largest.max((end - at) as u64);
        let (changes, rest) = postcard::take_from_bytes::<Vec<R::Change>>(payload)
            .map_err(|e| (at as u64, JournalDamage::Undecodable(e.to_string())))?;
        if !rest.is_empty() || changes.is_empty() {
            let why = format!("{} bytes after {} changes", rest.len(), changes.len());
            return Err((at as u64, JournalDamage::Undecodable(why)));
        }
        for change in changes {
            let what = format!("{change:?}");
            record = Some(R::apply(record, change).map_err(|e| {
                (
                    at as u64,
                    JournalDamage::Inconsistent(format!("{what}: {e}")),
                )
            })?);
        }
        at = end;
        seq += 1;
    }
    Ok(Replayed {
        record,
        frames: seq - 1,
        end: at as u64,
        torn: None,
    })
}

/// The journal of a data directory, replayed and open for appends.
#[derive(Debug)]
pub struct Journal<R: Journaled> {
    path: PathBuf,
    file: File,
    /// Where the next frame goes.
    end: u64,
    /// Its number.
    next_seq: u64,
    /// The record as last saved (what the next save's changes are taken against).
    last: Option<R>,
    /// A torn tail cut at opening.
    torn: Option<TornTail>,
    /// Set once a write or flush failed: the file's tail is then unknown, so no more saves.
    failed: bool,
}

impl<R: Journaled> Journal<R> {
    /// Creates the journal of a new data directory `dir`: the file header alone ("nothing saved
    /// yet"), the slow way (temp file, `fdatasync`, rename, directory `fsync`).
    pub fn create(dir: &Path) -> Result<(), StorageError> {
        write_file_atomically_as(dir, JOURNAL_TEMP_FILE, JOURNAL_FILE, &journal_header())
    }

    /// Opens and replays the journal of `dir`. A torn last frame is cut off (the file is
    /// truncated to the frames before it and `fsync`ed) and logged; any other damage is an
    /// error naming the file, the offset and the reason.
    pub fn open(dir: &Path) -> Result<Journal<R>, StorageError> {
        let path = dir.join(JOURNAL_FILE);
        let corrupt = |path: &Path, offset: u64, what: JournalDamage| StorageError::Corrupt {
            path: path.to_path_buf(),
            what: Corruption::Journal { offset, what },
        };
        if !path.exists() {
            return Err(StorageError::Corrupt {
                path,
                what: Corruption::Missing,
            });
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path, "open"))?;
        let len = file.metadata().map_err(io_err(&path, "stat"))?.len();
        if len > MAX_JOURNAL_LEN {
            return Err(corrupt(&path, 0, JournalDamage::TooLarge(len)));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        (&file)
            .read_to_end(&mut bytes)
            .map_err(io_err(&path, "read"))?;
        let r = replay::<R>(&bytes).map_err(|(offset, what)| corrupt(&path, offset, what))?;
        if let Some(t) = &r.torn {
            file.set_len(t.offset)
                .map_err(io_err(&path, "truncate the torn tail of"))?;
            file.sync_all().map_err(io_err(&path, "fsync"))?;
            tracing::warn!(file = %path.display(), "{t}");
        }
        Ok(Journal {
            path,
            file,
            end: r.end,
            next_seq: r.frames + 1,
            last: r.record,
            torn: r.torn,
            failed: false,
        })
    }

    /// The torn last frame opening cut off, if there was one.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn.as_ref()
    }

    /// The journal's length in bytes (header and whole frames).
    pub fn len(&self) -> u64 {
        self.end
    }

    /// Whether no frame was ever saved.
    pub fn is_empty(&self) -> bool {
        self.next_seq == 1
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<R: Journaled> RecordStore<R> for Journal<R> {
    fn load(&self) -> Result<Option<R>, StorageError> {
        Ok(self.last.clone())
    }

    /// Appends one frame with the changes since the last save and `fdatasync`s it; a save
    /// that changes nothing writes nothing. After a failed write or flush every later save
    /// fails too: the node must stop, and the next start cuts what the failure left.
    fn save(&mut self, record: &R) -> Result<(), StorageError> {
        if self.failed {
            return Err(StorageError::Io {
                path: self.path.clone(),
                op: "append to (an earlier write or flush failed)",
                err: std::io::Error::other("journal closed after a failed save"),
            });
        }
        let changes = R::changes(self.last.as_ref(), record);
        if changes.is_empty() && self.last.as_ref() == Some(record) {
            return Ok(());
        }
        // Refuse to write what replay would not rebuild: a journal that cannot be replayed
        // would stop the node at its next start, far from the save that broke it.
        let mut rebuilt = self.last.clone();
        for c in &changes {
            let c = postcard::to_allocvec(c)
                .ok()
                .and_then(|b| postcard::from_bytes::<R::Change>(&b).ok())
                .ok_or_else(|| {
                    StorageError::Encode(format!("a change that does not round-trip: {c:?}"))
                })?;
            rebuilt = Some(R::apply(rebuilt, c).map_err(|e| {
                StorageError::Encode(format!("the record's changes cannot be replayed: {e}"))
            })?);
        }
        if rebuilt.as_ref() != Some(record) {
            return Err(StorageError::Encode(
                "the record's changes do not rebuild it (a change the record type cannot \
                 express)"
                    .into(),
            ));
        }
        let payload =
            postcard::to_allocvec(&changes).map_err(|e| StorageError::Encode(e.to_string()))?;
        if payload.len() > MAX_FRAME_PAYLOAD as usize {
            return Err(StorageError::Encode(format!(
                "a save of {} bytes of changes, more than a frame holds",
                payload.len()
            )));
        }
        let frame = encode_frame(self.next_seq, &payload);
        self.failed = true;
        self.file
            .write_all_at(&frame, self.end)
            .map_err(io_err(&self.path, "append to"))?;
        self.file
            .sync_data()
            .map_err(io_err(&self.path, "fdatasync"))?;
        self.failed = false;
        self.end += frame.len() as u64;
        self.next_seq += 1;
        self.last = Some(record.clone());
        Ok(())
    }
}
