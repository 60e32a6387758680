//! The two-slot record file: one checksummed record per node, overwritten in place, the
//! [`RecordStore`] of single-decree Paxos.
//!
//! # Why two slots
//!
//! A save is on the critical path of every phase: an acceptor answers only once its promise or
//! vote is durable. Writing a new file and renaming it over the old one costs an `fdatasync`, a
//! rename and a directory `fsync`, about three times one `fdatasync` (measured by `paxos bench
//! single`). So the record file is created once, at a fixed size, at initialisation, and every
//! save overwrites **the older of its two slots** in place and `fdatasync`s it: one write, one
//! flush, no metadata change. The slot not being written always holds the previous record
//! intact, so a save interrupted by a crash never destroys the last durable record.
//!
//! # File format (version 3)
//!
//! The file is two slots of `S` bytes each; slot `i` starts at byte `i * S`. `S` is a multiple
//! of 4096, a memory page and the usual file-system block, so the two slots never share a page
//! or a block: writing back one slot never rewrites the other's sectors. Every slot holds:
//!
//! ```text
//! offset  size  field
//! 0       4     magic "PXST"
//! 4       2     format version, little endian (3)
//! 6       2     flags: bit 0 = the initialisation record ("nothing saved yet", no payload);
//!               other bits must be 0
//! 8       4     slot size S, little endian
//! 12      8     sequence number, little endian
//! 20      4     payload length n, little endian
//! 24      4     CRC-32 (IEEE) of bytes 0..24 followed by the payload, little endian
//! 28      n     payload: the actor's `Storage` value in postcard encoding
//! 28 + n        zero bytes up to S
//! ```
//!
//! Initialisation writes the initialisation record twice: sequence 1 in slot 0 and 2 in slot 1.
//! Each save overwrites the older slot with the next number (the first save is number 3, in
//! slot 0). So the only legitimate shape is two valid slots with consecutive numbers, of which
//! initialisation records may only be numbers 1 and 2; the record is the slot with the higher
//! number ("nothing saved yet" when that is an initialisation record).
//!
//! Reading checks, and names the first failure with the file and slot: the file length (two
//! slots of a multiple of 4096 bytes), then in each slot that it is not all zeros, the magic,
//! the version, the flags, the slot size, the payload length, the checksum and the zero
//! padding; then the shape (numbers that are not consecutive, an initialisation record numbered
//! above 2); and finally the latest record's payload.
//!
//! A damaged slot stops the node even when the other slot is valid. Falling back to the other
//! slot would be right after a torn write of the slot being saved (that record was never
//! acknowledged), but it would silently roll a node back if the damaged slot held the latest
//! record, and the two cases cannot be told apart. Disks write a 512-byte sector atomically in
//! practice, and a record that fits in the first sector of its slot (up to 484 payload bytes;
//! every single-decree record is about 10) is written whole or not at all, so a crash leaves the
//! old or the new slot contents, not a mix. A larger record can be torn by a crash; the node
//! then refuses to start rather than guess.
//!
//! A record that outgrows the slots is written to a new file with larger slots, replaced the
//! slow way: temp file, `fdatasync`, rename, directory `fsync`; the new file keeps the previous
//! record in its slot 1, so the shape rules above still hold. Initialisation creates the file
//! the same slow way. If any step fails the node stops: after a failed `fsync` the kernel may
//! have dropped the dirty pages, so retrying could report success for data that is gone.
//!

use super::data_dir::{MEMBER_FILE, STORAGE_FILE};
use super::file_ops::{io_err, write_file_atomically};
use super::{RecordStore, StorageError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// First four bytes of every slot.
pub const MAGIC: [u8; 4] = *b"PXST";
/// The format version this build writes and reads.
pub const VERSION: u16 = 3;
/// Size of a slot's fixed header.
pub const HEADER_LEN: usize = 28;
/// Slot sizes are multiples of this (a memory page, and the usual file-system block).
pub const SLOT_UNIT: usize = 4096;
/// Flag of the initialisation record ("nothing saved yet").
pub const FLAG_INITIAL: u16 = 1;

/// What is wrong with a record file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// The file length is not two slots of a positive multiple of [`SLOT_UNIT`] bytes.
    BadLength {
        /// Bytes in the file.
        found: u64,
    },
    /// Something is wrong inside one slot.
    Slot {
        /// The slot (0 or 1).
        slot: usize,
        /// Its first byte in the file.
        offset: u64,
        /// What is wrong.
        what: SlotCorruption,
    },
    /// The slots' sequence numbers are not a shape saves produce (see the module docs).
    BadShape(String),
    /// The record file is missing from an initialised directory.
    Missing,
    /// A journal ([`super::journal`]) is damaged at this offset (0: its file header).
    Journal {
        /// Where the damage is: the start of the frame that is not valid.
        offset: u64,
        /// What is wrong.
        what: super::journal::JournalDamage,
    },
}

/// What is wrong inside one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotCorruption {
    /// Every byte is zero: never written, or zeroed (no legitimate slot is).
    Zeroed,
    /// The first four bytes are not [`MAGIC`].
    BadMagic {
        /// The bytes found instead.
        found: [u8; 4],
    },
    /// A format version this build cannot read.
    UnsupportedVersion(u16),
    /// Flags this build does not know.
    UnknownFlags(u16),
    /// The slot size in the header is not the file's.
    SlotSize {
        /// The slot size in the header.
        declared: u32,
        /// Half the file's length.
        actual: usize,
    },
    /// The payload length does not fit in the slot.
    TooLong {
        /// Payload length in the header.
        declared: u32,
        /// Payload bytes the slot has room for.
        room: usize,
    },
    /// An initialisation record with a payload.
    InitialWithPayload(u32),
    /// The checksum does not match the contents.
    ChecksumMismatch {
        /// Checksum in the header.
        stored: u32,
        /// Checksum of the contents.
        computed: u32,
    },
    /// A non-zero byte after the payload.
    DirtyPadding {
        /// Its offset inside the slot.
        at: usize,
    },
    /// The checksum matches but the payload is not a valid record.
    Decode(String),
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::BadLength { found } => write!(
                f,
                "bad length: the file has {found} bytes, expected two slots of a multiple of \
                 {SLOT_UNIT} bytes each (truncated or extended)"
            ),
            Corruption::Slot { slot, offset, what } => {
                write!(f, "slot {slot} (at byte {offset}): {what}")
            }
            Corruption::BadShape(what) => write!(f, "impossible slot contents: {what}"),
            Corruption::Missing => write!(
                f,
                "missing: the directory was initialised (it has {MEMBER_FILE}) but its record \
                 file is gone"
            ),
            Corruption::Journal { offset: 0, what } => write!(f, "journal header: {what}"),
            Corruption::Journal { offset, what } => {
                write!(f, "journal frame at byte {offset}: {what}")
            }
        }
    }
}

impl fmt::Display for SlotCorruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotCorruption::Zeroed => f.write_str(
                "all zero bytes (zeroed by the disk, a truncate, fallocate or restore; every slot \
                 of an initialised file holds a record)",
            ),
            SlotCorruption::BadMagic { found } => write!(
                f,
                "bad magic: starts with {:02x} {:02x} {:02x} {:02x}, expected \"PXST\"",
                found[0], found[1], found[2], found[3]
            ),
            SlotCorruption::UnsupportedVersion(v) => write!(
                f,
                "unsupported format version {v} (this build reads version {VERSION})"
            ),
            SlotCorruption::UnknownFlags(flags) => write!(f, "unknown flags {flags:#06x}"),
            SlotCorruption::SlotSize { declared, actual } => write!(
                f,
                "the header declares {declared}-byte slots, the file has {actual}-byte slots"
            ),
            SlotCorruption::TooLong { declared, room } => write!(
                f,
                "the header declares {declared} payload bytes, the slot has room for {room}"
            ),
            SlotCorruption::InitialWithPayload(n) => write!(
                f,
                "an initialisation record with {n} payload bytes (it has none)"
            ),
            SlotCorruption::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: stored crc32 {stored:08x}, contents have {computed:08x}"
            ),
            SlotCorruption::DirtyPadding { at } => write!(
                f,
                "non-zero byte at offset {at} of the slot, after the payload"
            ),
            SlotCorruption::Decode(e) => write!(f, "decode error: {e}"),
        }
    }
}

pub(super) fn checksum(header_prefix: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header_prefix);
    h.update(payload);
    h.finalize()
}

/// The smallest slot size (a multiple of [`SLOT_UNIT`]) that holds `payload_len` payload bytes.
pub fn slot_size_for(payload_len: usize) -> usize {
    (HEADER_LEN + payload_len).div_ceil(SLOT_UNIT).max(1) * SLOT_UNIT
}

/// The `slot_size` bytes of a slot holding `payload` (`None`: the initialisation record) with
/// sequence number `seq`.
pub fn encode_slot(
    payload: Option<&[u8]>,
    seq: u64,
    slot_size: usize,
) -> Result<Vec<u8>, StorageError> {
    let (flags, payload) = match payload {
        Some(p) => (0u16, p),
        None => (FLAG_INITIAL, &[][..]),
    };
    let len = u32::try_from(payload.len())
        .map_err(|_| StorageError::Encode("record larger than 4 GiB".into()))?;
    let size = u32::try_from(slot_size)
        .map_err(|_| StorageError::Encode("record larger than 4 GiB".into()))?;
    if HEADER_LEN + payload.len() > slot_size {
        return Err(StorageError::Encode(format!(
            "a {}-byte record does not fit in a {slot_size}-byte slot",
            payload.len()
        )));
    }
    let mut out = Vec::with_capacity(slot_size);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    let crc = checksum(&out[..24], payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(slot_size, 0);
    Ok(out)
}

/// The bytes of a freshly initialised record file: the initialisation record as number 1 in
/// slot 0 and number 2 in slot 1.
pub fn initial_file() -> Vec<u8> {
    let mut out = encode_slot(None, 1, SLOT_UNIT).expect("an empty record fits");
    out.extend(encode_slot(None, 2, SLOT_UNIT).expect("an empty record fits"));
    out
}

/// The bytes of a record file after initialisation and one save of `value`: `value` as number
/// 3 in slot 0, the initialisation record as number 2 in slot 1.
pub fn encode_file<S: Serialize>(value: &S) -> Result<Vec<u8>, StorageError> {
    let payload = postcard::to_allocvec(value).map_err(|e| StorageError::Encode(e.to_string()))?;
    let size = slot_size_for(payload.len());
    let mut out = encode_slot(Some(&payload), 3, size)?;
    out.extend(encode_slot(None, 2, size)?);
    Ok(out)
}

/// A checked record file: its slot size, its latest slot and number, and the latest record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slots {
    /// Bytes per slot.
    pub slot_size: usize,
    /// The slot holding the highest sequence number.
    pub latest_slot: usize,
    /// That number.
    pub latest_seq: u64,
    /// The latest record's payload; `None` when it is the initialisation record.
    pub record: Option<Vec<u8>>,
}

/// One checked slot: `(sequence number, payload or None for the initialisation record)`.
type CheckedSlot<'a> = (u64, Option<&'a [u8]>);

/// Checks one slot.
fn check_slot(b: &[u8]) -> Result<CheckedSlot<'_>, SlotCorruption> {
    if b.iter().all(|&x| x == 0) {
        return Err(SlotCorruption::Zeroed);
    }
    if b[..4] != MAGIC {
        return Err(SlotCorruption::BadMagic {
            found: [b[0], b[1], b[2], b[3]],
        });
    }
    let version = u16::from_le_bytes([b[4], b[5]]);
    if version != VERSION {
        return Err(SlotCorruption::UnsupportedVersion(version));
    }
    let flags = u16::from_le_bytes([b[6], b[7]]);
    if flags & !FLAG_INITIAL != 0 {
        return Err(SlotCorruption::UnknownFlags(flags));
    }
    let declared_size = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
    if declared_size as usize != b.len() {
        return Err(SlotCorruption::SlotSize {
            declared: declared_size,
            actual: b.len(),
        });
    }
    let seq = u64::from_le_bytes(b[12..20].try_into().expect("8 bytes"));
    let len = u32::from_le_bytes(b[20..24].try_into().expect("4 bytes"));
    let stored = u32::from_le_bytes(b[24..28].try_into().expect("4 bytes"));
    let room = b.len() - HEADER_LEN;
    if len as usize > room {
        return Err(SlotCorruption::TooLong {
            declared: len,
            room,
        });
    }
    let initial = flags & FLAG_INITIAL != 0;
    if initial && len != 0 {
        return Err(SlotCorruption::InitialWithPayload(len));
    }
    let end = HEADER_LEN + len as usize;
    let payload = &b[HEADER_LEN..end];
    let computed = checksum(&b[..24], payload);
    if computed != stored {
        return Err(SlotCorruption::ChecksumMismatch { stored, computed });
    }
    if let Some(i) = b[end..].iter().position(|&x| x != 0) {
        return Err(SlotCorruption::DirtyPadding { at: end + i });
    }
    Ok((seq, (!initial).then_some(payload)))
}

/// Largest record file read (two slots of 64 MiB): anything larger is damage, refused before
/// it is read.
pub const MAX_FILE_LEN: u64 = 128 << 20;

/// Reads a record file: refuses what is not a regular file or is larger than
/// [`MAX_FILE_LEN`] before reading it (a FIFO would block, `/dev/zero` never end).
fn read_record_file(path: &Path) -> Result<Vec<u8>, StorageError> {
    let meta = fs::metadata(path).map_err(io_err(path, "inspect"))?;
    if !meta.is_file() {
        return Err(StorageError::Io {
            path: path.to_path_buf(),
            op: "read",
            err: io::Error::other("not a regular file"),
        });
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(StorageError::Corrupt {
            path: path.to_path_buf(),
            what: Corruption::BadLength { found: meta.len() },
        });
    }
    fs::read(path).map_err(io_err(path, "read"))
}

/// Checks the bytes of a record file and finds its latest record.
pub fn check_file(bytes: &[u8]) -> Result<Slots, Corruption> {
    let n = bytes.len();
    if n == 0 || !n.is_multiple_of(2 * SLOT_UNIT) {
        return Err(Corruption::BadLength { found: n as u64 });
    }
    let size = n / 2;
    let mut found = Vec::with_capacity(2);
    for slot in 0..2 {
        let b = &bytes[slot * size..(slot + 1) * size];
        found.push(check_slot(b).map_err(|what| Corruption::Slot {
            slot,
            offset: (slot * size) as u64,
            what,
        })?);
    }
    let shape = |what: String| Err(Corruption::BadShape(what));
    for (slot, (seq, payload)) in found.iter().enumerate() {
        if payload.is_none() && *seq > 2 {
            return shape(format!(
                "slot {slot} holds an initialisation record numbered {seq} (initialisation \
                 writes numbers 1 and 2 only)"
            ));
        }
    }
    let (s0, s1) = (found[0].0, found[1].0);
    let latest_slot = if s0.checked_add(1) == Some(s1) {
        1
    } else if s1.checked_add(1) == Some(s0) {
        0
    } else {
        return shape(format!(
            "the slots hold sequence numbers {s0} and {s1}, which are not consecutive"
        ));
    };
    let (latest_seq, record) = found[latest_slot];
    Ok(Slots {
        slot_size: size,
        latest_slot,
        latest_seq,
        record: record.map(<[u8]>::to_vec),
    })
}

/// Decodes a record's payload.
pub fn decode_payload<S: DeserializeOwned>(payload: &[u8]) -> Result<S, String> {
    match postcard::take_from_bytes::<S>(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(format!("{} bytes left over after the record", rest.len())),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks and decodes the bytes of a record file: `Ok(None)` when nothing was saved yet.
pub fn decode_file<S: DeserializeOwned>(bytes: &[u8]) -> Result<Option<S>, Corruption> {
    let slots = check_file(bytes)?;
    let Some(payload) = &slots.record else {
        return Ok(None);
    };
    decode_payload(payload)
        .map(Some)
        .map_err(|e| Corruption::Slot {
            slot: slots.latest_slot,
            offset: (slots.latest_slot * slots.slot_size) as u64,
            what: SlotCorruption::Decode(e),
        })
}

/// Reads the record file at `path`: `Ok(None)` when nothing was saved in it yet.
///
/// This is how tools and tests inspect a node's promise and vote, even while the node runs. A
/// save overwrites a slot in place, so a reader may catch one half-written; the read is then
/// retried (a few times, a millisecond apart) before the file is declared corrupt.
pub fn read_storage_file<S: DeserializeOwned>(path: &Path) -> Result<Option<S>, StorageError> {
    let mut attempts = 0;
    loop {
        let bytes = read_record_file(path)?;
        match decode_file(&bytes) {
            Ok(v) => return Ok(v),
            Err(_) if attempts < 5 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(what) => {
                return Err(StorageError::Corrupt {
                    path: path.to_path_buf(),
                    what,
                })
            }
        }
    }
}

/// The record file of a data directory, checked and open for saves.
#[derive(Debug)]
pub struct SlotFile {
    dir: PathBuf,
    file: File,
    slots: Slots,
}

impl SlotFile {
    /// Creates the record file of a new data directory `dir`: the initialisation record in
    /// both slots ("nothing saved yet"), the slow way (temp file, rename, directory `fsync`).
    pub fn create(dir: &Path) -> Result<(), StorageError> {
        write_file_atomically(dir, STORAGE_FILE, &initial_file())
    }

    /// Opens and checks the record file of `dir`: a missing or damaged one is an error naming
    /// the file, the slot and the reason.
    pub fn open(dir: &Path) -> Result<SlotFile, StorageError> {
        let path = dir.join(STORAGE_FILE);
        if !path.exists() {
            return Err(StorageError::Corrupt {
                path,
                what: Corruption::Missing,
            });
        }
        let bytes = read_record_file(&path)?;
        let slots = check_file(&bytes).map_err(|what| StorageError::Corrupt {
            path: path.clone(),
            what,
        })?;
        let file = open_rw(&path)?;
        Ok(SlotFile {
            dir: dir.to_path_buf(),
            file,
            slots,
        })
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(STORAGE_FILE)
    }

    /// The fast path of a save: overwrite the older slot, `fdatasync`.
    fn save_in_place(&mut self, payload: Vec<u8>) -> Result<(), StorageError> {
        let path = self.path();
        let seq = self.slots.latest_seq + 1;
        let slot = 1 - self.slots.latest_slot;
        let size = self.slots.slot_size;
        let bytes = encode_slot(Some(&payload), seq, size)?;
        self.file
            .write_all_at(&bytes, (slot * size) as u64)
            .map_err(io_err(&path, "write"))?;
        self.file.sync_data().map_err(io_err(&path, "fdatasync"))?;
        self.slots.latest_slot = slot;
        self.slots.latest_seq = seq;
        self.slots.record = Some(payload);
        Ok(())
    }

    /// The slow path of a save: a new file with slots large enough, atomically renamed.
    fn save_grown(&mut self, payload: Vec<u8>) -> Result<(), StorageError> {
        let seq = self.slots.latest_seq + 1;
        let size = slot_size_for(payload.len());
        let mut bytes = encode_slot(Some(&payload), seq, size)?;
        // Keep the previous record as slot 1, so the numbers stay consecutive.
        bytes.extend(encode_slot(
            self.slots.record.as_deref(),
            self.slots.latest_seq,
            size,
        )?);
        write_file_atomically(&self.dir, STORAGE_FILE, &bytes)?;
        self.file = open_rw(&self.path())?;
        self.slots = Slots {
            slot_size: size,
            latest_slot: 0,
            latest_seq: seq,
            record: Some(payload),
        };
        Ok(())
    }
}

fn open_rw(path: &Path) -> Result<File, StorageError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_err(path, "open"))
}

impl<R: Serialize + DeserializeOwned> RecordStore<R> for SlotFile {
    fn load(&self) -> Result<Option<R>, StorageError> {
        let Some(payload) = &self.slots.record else {
            return Ok(None);
        };
        decode_payload(payload)
            .map(Some)
            .map_err(|e| StorageError::Corrupt {
                path: self.path(),
                what: Corruption::Slot {
                    slot: self.slots.latest_slot,
                    offset: (self.slots.latest_slot * self.slots.slot_size) as u64,
                    what: SlotCorruption::Decode(e),
                },
            })
    }

    /// The fast path overwrites the older slot and `fdatasync`s the file; a record too large
    /// for the slots takes the slow path (a new file with larger slots, atomically renamed).
    fn save(&mut self, record: &R) -> Result<(), StorageError> {
        let payload =
            postcard::to_allocvec(record).map_err(|e| StorageError::Encode(e.to_string()))?;
        if HEADER_LEN + payload.len() > self.slots.slot_size {
            self.save_grown(payload)
        } else {
            self.save_in_place(payload)
        }
    }
}
