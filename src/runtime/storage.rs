//! Durable storage: one checksummed record per node, overwritten in place in two slots.
//!
//! # Why it matters
//!
//! An acceptor's promise and vote are the memory of Paxos: an acceptor that restarts with an
//! empty state may promise a lower ballot or vote for a second value, and two different values
//! can then be chosen. So a node that cannot read its record back **refuses to start**; it never
//! falls back to an empty state, and **no legitimate file is ever empty or zero**: creating a
//! member's storage is an explicit act ([`DataDir::init`], `paxos node --init`) that writes an
//! explicit "nothing saved yet" record, and a plain start ([`DataDir::open`]) refuses a missing
//! directory, an uninitialised one, a missing record file and every zeroed slot. A zeroed file
//! (a bad sector read back as zeros, a wrong `fallocate` or `truncate`, a sparse restore) is
//! therefore damage like any other, named with its file and slot.
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
//! # One node per directory, and the right one
//!
//! [`DataDir::open`] takes an exclusive lock (`flock`, released by the kernel when the process
//! dies, even by `kill -9`) on `paxos.lock`; a second node pointed at the same directory stops
//! with an error instead of interleaving its promises with the first one's.
//!
//! A promise is only meaningful for the acceptor that made it, so initialisation records the
//! member's [`Identity`] (cluster id, incarnation, ordered member list, index) in
//! `paxos.member`, as its last act, and every start compares it with the identity the node is
//! started with (see [`super::identity`]).

use super::identity::Identity;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Name of the record file inside a data directory.
pub const STORAGE_FILE: &str = "paxos.storage";
/// Name of the temporary file the slow path writes before renaming it over [`STORAGE_FILE`].
pub const TEMP_FILE: &str = "paxos.storage.tmp";
/// Name of the lock file inside a data directory.
pub const LOCK_FILE: &str = "paxos.lock";
/// Name of the file naming the cluster and member a data directory belongs to.
pub const MEMBER_FILE: &str = "paxos.member";
/// Temporary file of the member file.
const MEMBER_TEMP_FILE: &str = "paxos.member.tmp";
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

/// A storage failure, naming the file involved.
#[derive(Debug)]
pub enum StorageError {
    /// The record file exists but cannot be trusted.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: Corruption,
    },
    /// Another process holds the data directory's lock.
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// An I/O operation failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The error.
        err: io::Error,
    },
    /// The value could not be serialized.
    Encode(String),
    /// A plain start found no initialised storage.
    NotInitialised {
        /// The data directory.
        dir: PathBuf,
        /// What was found instead.
        why: String,
    },
    /// Initialisation found storage (or other files) already there.
    AlreadyInitialised {
        /// The data directory.
        dir: PathBuf,
        /// What was found.
        why: String,
    },
    /// The directory belongs to another cluster, member list, incarnation or member.
    WrongMember {
        /// The member file.
        path: PathBuf,
        /// How the recorded identity differs.
        why: String,
    },
    /// The member file cannot be read as one.
    BadMemberFile {
        /// The member file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// How an operator creates a member's storage, for the error messages.
const INIT_HINT: &str =
    "a member's storage is created only by initialisation, `paxos node --init` \
     with the same flags, and only for a member that never ran: a member whose disk was lost must \
     not rejoin under its old identity (README, \"Failure model and operator rules\")";

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Corrupt { path, what } => write!(
                f,
                "storage file {} is unusable: {what}; refusing to start with an empty state",
                path.display()
            ),
            StorageError::Locked { path } => write!(
                f,
                "data directory is in use by another node (lock {} is held)",
                path.display()
            ),
            StorageError::Io { path, op, err } => {
                write!(f, "cannot {op} {}: {err}", path.display())
            }
            StorageError::Encode(e) => write!(f, "cannot encode the storage record: {e}"),
            StorageError::NotInitialised { dir, why } => write!(
                f,
                "data directory {} {why}; refusing to start an acceptor with no memory: \
                 {INIT_HINT}",
                dir.display()
            ),
            StorageError::AlreadyInitialised { dir, why } => write!(
                f,
                "cannot initialise {}: {why}; a member that has run must never be initialised \
                 again (its promises would be forgotten)",
                dir.display()
            ),
            StorageError::WrongMember { path, why } => write!(
                f,
                "data directory does not belong to this node ({}): {why}; its promises are not \
                 this node's",
                path.display()
            ),
            StorageError::BadMemberFile { path, why } => {
                write!(f, "member file {} is unreadable: {why}", path.display())
            }
        }
    }
}

impl std::error::Error for StorageError {}

fn io_err<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> StorageError + 'a {
    move |err| StorageError::Io {
        path: path.to_path_buf(),
        op,
        err,
    }
}

fn checksum(header_prefix: &[u8], payload: &[u8]) -> u32 {
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

/// Reads and checks the member file of the data directory `dir`.
pub fn read_member_file(dir: &Path) -> Result<Identity, StorageError> {
    let path = dir.join(MEMBER_FILE);
    let bytes = fs::read(&path).map_err(io_err(&path, "read"))?;
    let text = String::from_utf8(bytes).map_err(|_| StorageError::BadMemberFile {
        path: path.clone(),
        why: "it is not text".into(),
    })?;
    Identity::parse(&text).map_err(|why| StorageError::BadMemberFile { path, why })
}

/// Writes `bytes` to `dir/name` atomically: temp file, `fdatasync`, rename, directory `fsync`.
pub fn write_file_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
    write_file_atomically_as(dir, TEMP_FILE, name, bytes)
}

/// [`write_file_atomically`] through the temporary file `temp`.
fn write_file_atomically_as(
    dir: &Path,
    temp: &str,
    name: &str,
    bytes: &[u8],
) -> Result<(), StorageError> {
    let tmp = dir.join(temp);
    let dst = dir.join(name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_err(&tmp, "create"))?;
    f.write_all(bytes).map_err(io_err(&tmp, "write"))?;
    f.sync_data().map_err(io_err(&tmp, "fdatasync"))?;
    drop(f);
    fs::rename(&tmp, &dst).map_err(io_err(&dst, "rename the temporary file over"))?;
    sync_dir(dir)
}

/// `fsync`s a directory, making renames and creations inside it durable.
pub fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir, "fsync directory"))
}

/// Creates `dir` and every missing parent, making each creation durable.
fn create_dir_durably(dir: &Path) -> Result<(), StorageError> {
    let created: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
    fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
    for d in created.iter().rev() {
        let parent = match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        sync_dir(parent)?;
    }
    Ok(())
}

/// Takes the directory's lock file (held until the returned file is closed).
fn lock(dir: &Path) -> Result<File, StorageError> {
    let lock_path = dir.join(LOCK_FILE);
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io_err(&lock_path, "open"))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Err(StorageError::Locked { path: lock_path }),
        Err(fs::TryLockError::Error(err)) => {
            return Err(StorageError::Io {
                path: lock_path,
                op: "lock",
                err,
            })
        }
    }
    // The pid is for humans looking at the directory; the lock is what protects it.
    let _ = lock.set_len(0);
    let _ = writeln!(lock, "{}", std::process::id());
    Ok(lock)
}

/// Why `dir` is not an initialised data directory, if it is not.
fn uninitialised(dir: &Path) -> Option<StorageError> {
    // `exists` would hide a permission error as "missing": ask for the metadata itself.
    let present = |p: &Path| match fs::symlink_metadata(p) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(StorageError::Io {
            path: p.to_path_buf(),
            op: "inspect",
            err,
        }),
    };
    let member = match present(&dir.join(MEMBER_FILE)) {
        Ok(m) => m,
        Err(e) => return Some(e),
    };
    let record = dir.join(STORAGE_FILE);
    let why = if !dir.is_dir() {
        if dir.exists() {
            "is not a directory".to_string()
        } else {
            "does not exist".to_string()
        }
    } else if member {
        return None;
    } else if fs::read(&record).is_ok_and(|b| b == initial_file()) {
        format!(
            "holds {STORAGE_FILE} but no {MEMBER_FILE}: its initialisation did not finish, so \
             this member never ran; remove the directory and initialise it again"
        )
    } else if present(&record).unwrap_or(true) {
        format!(
            "holds {STORAGE_FILE} with saved records but no {MEMBER_FILE}: this member ran and \
             its member file is lost; do not initialise it again (its promises would be \
             forgotten), restore {MEMBER_FILE} or keep the member out"
        )
    } else {
        format!("is not initialised (it has no {MEMBER_FILE})")
    };
    Some(StorageError::NotInitialised {
        dir: dir.to_path_buf(),
        why,
    })
}

/// A node's data directory, locked for the lifetime of this value, with its record file open.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    _lock: File,
    file: File,
    slots: Slots,
    identity: Identity,
}

impl DataDir {
    /// Initialises a new member's storage in `dir` (created if missing; an existing directory
    /// must be empty): an initialised record file ("nothing saved yet"), then, as the last act,
    /// the member file recording `identity`. Returns the directory opened and locked.
    pub fn init(dir: &Path, identity: &Identity) -> Result<DataDir, StorageError> {
        if dir.exists() {
            let mut entries = fs::read_dir(dir)
                .map_err(io_err(dir, "list"))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|e| e != LOCK_FILE)
                .collect::<Vec<_>>();
            entries.sort();
            if !entries.is_empty() {
                let why = if entries.iter().any(|e| e == MEMBER_FILE) {
                    format!("it is already initialised (it has {MEMBER_FILE})")
                } else {
                    format!("it exists and is not empty (it has {})", entries.join(", "))
                };
                return Err(StorageError::AlreadyInitialised {
                    dir: dir.to_path_buf(),
                    why,
                });
            }
        } else {
            create_dir_durably(dir)?;
        }
        let lock = lock(dir)?;
        write_file_atomically(dir, STORAGE_FILE, &initial_file())?;
        write_file_atomically_as(
            dir,
            MEMBER_TEMP_FILE,
            MEMBER_FILE,
            identity.to_file_text().as_bytes(),
        )?;
        // Keep the lock: releasing and retaking it would let another process (or a child
        // forked meanwhile, which shares the lock until it execs) take the directory between.
        Self::open_locked(dir, lock, identity, true)
    }

    /// Opens and locks an initialised data directory for the member `asked` and checks its
    /// record file (a damaged one is an error naming the file, the slot and the reason). The
    /// recorded identity must be `asked` (its incarnation only when `check_incarnation`).
    pub fn open(
        dir: &Path,
        asked: &Identity,
        check_incarnation: bool,
    ) -> Result<DataDir, StorageError> {
        // Checked before the lock is taken too, so that a refused start leaves nothing behind.
        if let Some(e) = uninitialised(dir) {
            return Err(e);
        }
        let lock = lock(dir)?;
        Self::open_locked(dir, lock, asked, check_incarnation)
    }

    /// [`DataDir::open`] once `lock` is held.
    fn open_locked(
        dir: &Path,
        lock: File,
        asked: &Identity,
        check_incarnation: bool,
    ) -> Result<DataDir, StorageError> {
        if let Some(e) = uninitialised(dir) {
            return Err(e);
        }
        let member = dir.join(MEMBER_FILE);
        let path = dir.join(STORAGE_FILE);
        let identity = read_member_file(dir)?;
        if let Some(why) = identity.mismatch(asked, check_incarnation) {
            return Err(StorageError::WrongMember { path: member, why });
        }
        for stale in [TEMP_FILE, MEMBER_TEMP_FILE] {
            let tmp = dir.join(stale);
            if tmp.exists() {
                fs::remove_file(&tmp).map_err(io_err(&tmp, "remove stale"))?;
            }
        }
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
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path, "open"))?;
        Ok(DataDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            file,
            slots,
            identity,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The record file's path.
    pub fn storage_path(&self) -> PathBuf {
        self.dir.join(STORAGE_FILE)
    }

    /// The identity recorded at initialisation.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The latest record: `Ok(None)` when nothing was saved since initialisation.
    pub fn load<S: DeserializeOwned>(&self) -> Result<Option<S>, StorageError> {
        let Some(payload) = &self.slots.record else {
            return Ok(None);
        };
        decode_payload(payload)
            .map(Some)
            .map_err(|e| StorageError::Corrupt {
                path: self.storage_path(),
                what: Corruption::Slot {
                    slot: self.slots.latest_slot,
                    offset: (self.slots.latest_slot * self.slots.slot_size) as u64,
                    what: SlotCorruption::Decode(e),
                },
            })
    }

    /// Replaces the record durably; when this returns `Ok`, the record survives a crash.
    ///
    /// The fast path overwrites the older slot and `fdatasync`s the file; a record too large
    /// for the slots takes the slow path (a new file with larger slots, atomically renamed).
    pub fn save<S: Serialize>(&mut self, value: &S) -> Result<(), StorageError> {
        let payload =
            postcard::to_allocvec(value).map_err(|e| StorageError::Encode(e.to_string()))?;
        let seq = self.slots.latest_seq + 1;
        let path = self.storage_path();
        if HEADER_LEN + payload.len() > self.slots.slot_size {
            let size = slot_size_for(payload.len());
            let mut bytes = encode_slot(Some(&payload), seq, size)?;
            // Keep the previous record as slot 1, so the numbers stay consecutive.
            bytes.extend(encode_slot(
                self.slots.record.as_deref(),
                self.slots.latest_seq,
                size,
            )?);
            write_file_atomically(&self.dir, STORAGE_FILE, &bytes)?;
            self.file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io_err(&path, "open"))?;
            self.slots = Slots {
                slot_size: size,
                latest_slot: 0,
                latest_seq: seq,
                record: Some(payload),
            };
            return Ok(());
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::runtime::identity::Incarnation;
    use crate::single::Storage;

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
        assert_eq!(d.load::<Storage>().unwrap(), None);
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
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
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
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
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
        assert_eq!(d.load::<Vec<u64>>().unwrap(), Some(big.clone()));
        d.save(&vec![1u64]).unwrap();
        drop(d);
        let d3 = open(tmp.path()).unwrap();
        assert_eq!(d3.load::<Vec<u64>>().unwrap(), Some(vec![1]));
        // The first save after initialisation can take the slow path too.
        let fresh = tmp.path().join("fresh");
        let mut d = init(&fresh);
        d.save(&big).unwrap();
        let bytes = fs::read(d.storage_path()).unwrap();
        assert_eq!(seqs(&bytes), (3, 2));
        drop(d);
        assert_eq!(open(&fresh).unwrap().load::<Vec<u64>>().unwrap(), Some(big));
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
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
    }

    /// The reason `DataDir::open` (and so a node's start) gives for a record file with `bytes`.
    fn corrupt(bytes: &[u8]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        drop(init(tmp.path()));
        let path = tmp.path().join(STORAGE_FILE);
        fs::write(&path, bytes).unwrap();
        let err = match open(tmp.path()) {
            Err(e) => e,
            Ok(d) => d.load::<Storage>().unwrap_err(),
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
}
