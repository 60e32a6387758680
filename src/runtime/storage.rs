//! Durable storage: one checksummed record per node, overwritten in place in two slots.
//!
//! # Why it matters
//!
//! An acceptor's promise and vote are the memory of Paxos: an acceptor that restarts with an
//! empty state may promise a lower ballot or vote for a second value, and two different values
//! can then be chosen. So a node that cannot read its record back **refuses to start**; it never
//! falls back to an empty state. Only a data directory whose record file holds no record (a
//! node that never saved anything, hence never promised anything) starts empty.
//!
//! # Why two slots
//!
//! A save is on the critical path of every phase: an acceptor answers only once its promise or
//! vote is durable. Writing a new file and renaming it over the old one costs an `fdatasync`, a
//! rename and a directory `fsync`, about three times one `fdatasync` (measured by `paxos bench
//! single`). So the record file is created once, at a fixed size, when the data directory is
//! opened, and every save overwrites **the older of its two slots** in place and `fdatasync`s
//! it: one write, one flush, no metadata change. The slot not being written always holds the
//! previous record intact, so a save interrupted by a crash never destroys the last durable
//! record.
//!
//! # File format (version 2)
//!
//! The file is two slots of `S` bytes each; slot `i` starts at byte `i * S`. `S` is a multiple
//! of 4096, a memory page and the usual file-system block, so the two slots never share a page
//! or a block: writing back one slot never rewrites the other's sectors. A slot is either all
//! zero bytes (empty) or:
//!
//! ```text
//! offset  size  field
//! 0       4     magic "PXST"
//! 4       2     format version, little endian (2)
//! 6       2     flags (must be 0)
//! 8       4     slot size S, little endian
//! 12      8     sequence number, little endian: 1 for the first save, +1 for each next one
//! 20      4     payload length n, little endian
//! 24      4     CRC-32 (IEEE) of bytes 0..24 followed by the payload, little endian
//! 28      n     payload: the actor's `Storage` value in postcard encoding
//! 28 + n        zero bytes up to S
//! ```
//!
//! The first save writes slot 0 with sequence number 1; each later save overwrites the other
//! slot with the next number. So the only legitimate shapes are: both slots empty (nothing saved
//! yet), slot 0 holding sequence 1 and slot 1 empty, or both slots holding consecutive numbers.
//! The record is the slot with the higher number.
//!
//! Reading checks, and names the first failure with the file and slot: the file length (two
//! slots of a multiple of 4096 bytes), then in each non-empty slot the magic, the version, the
//! flags, the slot size, the payload length, the checksum and the zero padding; then the shape
//! (a record in slot 1 with slot 0 empty, a lone record whose number is not 1, or two slots
//! whose numbers are not consecutive are refused); and finally the latest record's payload.
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
//! record in its slot 1, so the shape rules above still hold. The same slow path creates the
//! empty file when the directory is opened for the first time, before the node answers
//! anything. The record file is never recreated for a directory that was used before (one with
//! a `paxos.member` file): a missing record file there stops the node.
//! If any step fails the node stops: after a failed `fsync` the kernel may have dropped the
//! dirty pages, so retrying could report success for data that is gone.
//!
//! # One node per directory, and the right one
//!
//! [`DataDir::open`] takes an exclusive lock (`flock`, released by the kernel when the process
//! dies, even by `kill -9`) on `paxos.lock`; a second node pointed at the same directory stops
//! with an error instead of interleaving its promises with the first one's.
//!
//! A promise is only meaningful for the acceptor that made it: node 1 started on node 0's
//! directory would vote with node 0's memory, and the cluster would have one acceptor twice and
//! another not at all. So [`DataDir::claim`] records, on first use, which cluster and member the
//! directory belongs to (`paxos.member`: `cluster <id>` and `member <index>` lines), and refuses
//! any other.

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
/// First four bytes of a non-empty slot.
pub const MAGIC: [u8; 4] = *b"PXST";
/// The format version this build writes and reads.
pub const VERSION: u16 = 2;
/// Size of a slot's fixed header.
pub const HEADER_LEN: usize = 28;
/// Slot sizes are multiples of this (a memory page, and the usual file-system block).
pub const SLOT_UNIT: usize = 4096;

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
    /// The record file is missing from a directory that was used before.
    Missing,
}

/// What is wrong inside one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotCorruption {
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
                "missing: the directory was used before (it has {MEMBER_FILE}) but its record \
                 file is gone"
            ),
        }
    }
}

impl fmt::Display for SlotCorruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
    /// The directory belongs to another cluster or member.
    WrongMember {
        /// The member file.
        path: PathBuf,
        /// `(cluster id, member index)` recorded in it.
        found: (u64, usize),
        /// `(cluster id, member index)` of the node being started.
        expected: (u64, usize),
    },
    /// The member file cannot be read as one.
    BadMemberFile {
        /// The member file.
        path: PathBuf,
        /// Its contents, for the message.
        contents: String,
    },
}

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
            StorageError::WrongMember {
                path,
                found,
                expected,
            } => write!(
                f,
                "data directory belongs to member {} of cluster {:016x} ({}), not to member {} of \
                 cluster {:016x}: its promises are not this node's",
                found.1,
                found.0,
                path.display(),
                expected.1,
                expected.0
            ),
            StorageError::BadMemberFile { path, contents } => write!(
                f,
                "member file {} is unreadable (expected `cluster <16 hex digits>` and `member \
                 <index>` lines, found {contents:?})",
                path.display()
            ),
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

/// The `slot_size` bytes of a slot holding `payload` with sequence number `seq`.
pub fn encode_slot(payload: &[u8], seq: u64, slot_size: usize) -> Result<Vec<u8>, StorageError> {
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
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    let crc = checksum(&out[..24], payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(slot_size, 0);
    Ok(out)
}

/// The bytes of a whole record file whose slot 0 holds `value` with sequence number `seq` and
/// whose slot 1 is empty (a valid file when `seq` is 1).
pub fn encode_file<S: Serialize>(value: &S, seq: u64) -> Result<Vec<u8>, StorageError> {
    let payload = postcard::to_allocvec(value).map_err(|e| StorageError::Encode(e.to_string()))?;
    let size = slot_size_for(payload.len());
    let mut out = encode_slot(&payload, seq, size)?;
    out.resize(2 * size, 0);
    Ok(out)
}

/// A checked record file: its slot size and its latest record, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slots {
    /// Bytes per slot.
    pub slot_size: usize,
    /// `(slot, sequence number, payload)` of the latest record; `None` when both slots are
    /// empty.
    pub latest: Option<(usize, u64, Vec<u8>)>,
}

/// Checks one slot: `Ok(None)` when it is empty.
fn check_slot(b: &[u8]) -> Result<Option<(u64, &[u8])>, SlotCorruption> {
    if b.iter().all(|&x| x == 0) {
        return Ok(None);
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
    if flags != 0 {
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
    let end = HEADER_LEN + len as usize;
    let payload = &b[HEADER_LEN..end];
    let computed = checksum(&b[..24], payload);
    if computed != stored {
        return Err(SlotCorruption::ChecksumMismatch { stored, computed });
    }
    if let Some(i) = b[end..].iter().position(|&x| x != 0) {
        return Err(SlotCorruption::DirtyPadding { at: end + i });
    }
    Ok(Some((seq, payload)))
}

/// Checks the bytes of a record file and finds its latest record.
pub fn check_file(bytes: &[u8]) -> Result<Slots, Corruption> {
    let n = bytes.len();
    if n == 0 || !n.is_multiple_of(2 * SLOT_UNIT) {
        return Err(Corruption::BadLength { found: n as u64 });
    }
    let size = n / 2;
    let mut found = [None, None];
    for (slot, f) in found.iter_mut().enumerate() {
        let b = &bytes[slot * size..(slot + 1) * size];
        *f = check_slot(b).map_err(|what| Corruption::Slot {
            slot,
            offset: (slot * size) as u64,
            what,
        })?;
    }
    let shape = |what: String| Err(Corruption::BadShape(what));
    let latest = match found {
        [None, None] => None,
        [Some((1, p)), None] => Some((0, 1, p)),
        [Some((s, _)), None] => {
            return shape(format!(
                "slot 0 holds sequence number {s} and slot 1 is empty (a lone record is number 1)"
            ))
        }
        [None, Some((s, _))] => {
            return shape(format!(
                "slot 0 is empty and slot 1 holds sequence number {s} (the first save goes to \
                 slot 0)"
            ))
        }
        [Some((s0, p0)), Some((s1, p1))] => {
            if s0.checked_add(1) == Some(s1) {
                Some((1, s1, p1))
            } else if s1.checked_add(1) == Some(s0) {
                Some((0, s0, p0))
            } else {
                return shape(format!(
                    "the slots hold sequence numbers {s0} and {s1}, which are not consecutive"
                ));
            }
        }
    };
    Ok(Slots {
        slot_size: size,
        latest: latest.map(|(slot, seq, p)| (slot, seq, p.to_vec())),
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

/// Checks and decodes the bytes of a record file: `Ok(None)` when both slots are empty.
pub fn decode_file<S: DeserializeOwned>(bytes: &[u8]) -> Result<Option<S>, Corruption> {
    let slots = check_file(bytes)?;
    let Some((slot, _, payload)) = slots.latest else {
        return Ok(None);
    };
    decode_payload(&payload)
        .map(Some)
        .map_err(|e| Corruption::Slot {
            slot,
            offset: (slot * slots.slot_size) as u64,
            what: SlotCorruption::Decode(e),
        })
}

/// Reads the record file at `path`: `Ok(None)` when there is no such file or it holds no
/// record yet.
///
/// This is also how tools and tests inspect a node's promise and vote, even while the node
/// runs. A save overwrites a slot in place, so a reader may catch one half-written; the read is
/// then retried (a few times, a millisecond apart) before the file is declared corrupt.
pub fn read_storage_file<S: DeserializeOwned>(path: &Path) -> Result<Option<S>, StorageError> {
    let mut attempts = 0;
    loop {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(StorageError::Io {
                    path: path.to_path_buf(),
                    op: "read",
                    err,
                })
            }
        };
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

/// Temporary file of [`DataDir::claim`].
const MEMBER_TEMP_FILE: &str = "paxos.member.tmp";

/// `(cluster id, member index)` from a member file's text.
fn parse_member_file(text: &str) -> Option<(u64, usize)> {
    let mut cluster = None;
    let mut member = None;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("cluster", v)) if v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                cluster = u64::from_str_radix(v, 16).ok()
            }
            Some(("member", v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                member = v.parse().ok()
            }
            _ => return None,
        }
    }
    Some((cluster?, member?))
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

/// A node's data directory, locked for the lifetime of this value, with its record file open.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    _lock: File,
    file: File,
    slots: Slots,
}

impl DataDir {
    /// Creates (if needed) and locks `dir`, removes a temp file left by an interrupted slow
    /// save, creates an empty record file if there is none, and checks the record file (a
    /// damaged one is an error naming the file, the slot and the reason).
    pub fn open(dir: &Path) -> Result<DataDir, StorageError> {
        if !dir.exists() {
            // Every directory created, and the parent of each, must be made durable.
            let created: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
            fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
            for d in created.iter().rev() {
                let parent = match d.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                sync_dir(parent)?;
            }
        }
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
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StorageError::Locked { path: lock_path })
            }
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
        for stale in [TEMP_FILE, MEMBER_TEMP_FILE] {
            let tmp = dir.join(stale);
            if tmp.exists() {
                fs::remove_file(&tmp).map_err(io_err(&tmp, "remove stale"))?;
            }
        }
        let path = dir.join(STORAGE_FILE);
        if !path.exists() && dir.join(MEMBER_FILE).exists() {
            return Err(StorageError::Corrupt {
                path,
                what: Corruption::Missing,
            });
        }
        if !path.exists() {
            // Two empty one-sector slots, created the slow (atomic) way once, so that every
            // save, the first included, is an in-place overwrite.
            write_file_atomically(dir, STORAGE_FILE, &[0u8; 2 * SLOT_UNIT])?;
        }
        let bytes = fs::read(&path).map_err(io_err(&path, "read"))?;
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

    /// Checks that this directory belongs to member `index` of cluster `cluster`, recording it
    /// (durably) on first use; see the module docs.
    pub fn claim(&self, cluster: u64, index: usize) -> Result<(), StorageError> {
        let path = self.dir.join(MEMBER_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let found =
                    parse_member_file(&text).ok_or_else(|| StorageError::BadMemberFile {
                        path: path.clone(),
                        contents: text.chars().take(80).collect(),
                    })?;
                if found == (cluster, index) {
                    Ok(())
                } else {
                    Err(StorageError::WrongMember {
                        path,
                        found,
                        expected: (cluster, index),
                    })
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let text = format!("cluster {cluster:016x}\nmember {index}\n");
                write_file_atomically_as(&self.dir, MEMBER_TEMP_FILE, MEMBER_FILE, text.as_bytes())
            }
            Err(err) => Err(StorageError::Io {
                path,
                op: "read",
                err,
            }),
        }
    }

    /// The latest record: `Ok(None)` for a directory that never saved one.
    pub fn load<S: DeserializeOwned>(&self) -> Result<Option<S>, StorageError> {
        let Some((slot, _, payload)) = &self.slots.latest else {
            return Ok(None);
        };
        decode_payload(payload)
            .map(Some)
            .map_err(|e| StorageError::Corrupt {
                path: self.storage_path(),
                what: Corruption::Slot {
                    slot: *slot,
                    offset: (slot * self.slots.slot_size) as u64,
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
        let (last_slot, last_seq) = self
            .slots
            .latest
            .as_ref()
            .map_or((1, 0), |(slot, seq, _)| (*slot, *seq));
        let seq = last_seq + 1;
        let path = self.storage_path();
        if HEADER_LEN + payload.len() > self.slots.slot_size {
            let size = slot_size_for(payload.len());
            let mut bytes = encode_slot(&payload, seq, size)?;
            match &self.slots.latest {
                // Keep the previous record as slot 1, so the numbers stay consecutive.
                Some((_, prev_seq, prev)) => bytes.extend(encode_slot(prev, *prev_seq, size)?),
                None => bytes.resize(2 * size, 0),
            }
            write_file_atomically(&self.dir, STORAGE_FILE, &bytes)?;
            self.file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io_err(&path, "open"))?;
            self.slots = Slots {
                slot_size: size,
                latest: Some((0, seq, payload)),
            };
            return Ok(());
        }
        let slot = 1 - last_slot;
        let size = self.slots.slot_size;
        let bytes = encode_slot(&payload, seq, size)?;
        self.file
            .write_all_at(&bytes, (slot * size) as u64)
            .map_err(io_err(&path, "write"))?;
        self.file.sync_data().map_err(io_err(&path, "fdatasync"))?;
        self.slots.latest = Some((slot, seq, payload));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::Ballot;
    use crate::single::Storage;

    fn sample() -> Storage {
        Storage {
            promised: Some(Ballot::new(3, 1)),
            accepted: Some((Ballot::new(2, 0), 42)),
            round: 3,
            learned: Some(42),
        }
    }

    #[test]
    fn saves_alternate_between_the_slots_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = DataDir::open(&tmp.path().join("n0")).unwrap();
        // Opening created the file: two empty one-sector slots.
        assert_eq!(fs::read(d.storage_path()).unwrap(), vec![0u8; 8192]);
        assert_eq!(d.load::<Storage>().unwrap(), None);
        d.save(&sample()).unwrap();
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
        let bytes = fs::read(d.storage_path()).unwrap();
        assert_eq!(bytes.len(), 8192);
        assert_eq!(&bytes[..12], b"PXST\x02\x00\x00\x00\x00\x10\x00\x00");
        assert_eq!(u64::from_le_bytes(bytes[12..20].try_into().unwrap()), 1);
        assert!(bytes[4096..].iter().all(|&b| b == 0), "slot 1 still empty");
        let later = Storage {
            round: 4,
            ..sample()
        };
        d.save(&later).unwrap();
        let bytes = fs::read(d.storage_path()).unwrap();
        assert_eq!(
            u64::from_le_bytes(bytes[4096 + 12..4096 + 20].try_into().unwrap()),
            2
        );
        assert_eq!(
            check_file(&bytes)
                .unwrap()
                .latest
                .map(|(slot, seq, _)| (slot, seq)),
            Some((1, 2))
        );
        d.save(&sample()).unwrap();
        let bytes = fs::read(d.storage_path()).unwrap();
        assert_eq!(
            check_file(&bytes)
                .unwrap()
                .latest
                .map(|(slot, seq, _)| (slot, seq)),
            Some((0, 3))
        );
        // Reopening finds the latest record.
        drop(d);
        let d = DataDir::open(&tmp.path().join("n0")).unwrap();
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
        assert!(!d.path().join(TEMP_FILE).exists());
    }

    #[test]
    fn a_record_that_outgrows_the_slots_moves_to_a_larger_file() {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = DataDir::open(tmp.path()).unwrap();
        d.save(&sample()).unwrap();
        let big: Vec<u64> = (0..1000).map(|i| i * 1_000_000).collect();
        let mut d2 = d;
        d2.save(&big).unwrap();
        let bytes = fs::read(d2.storage_path()).unwrap();
        assert_eq!(bytes.len(), 2 * 8192, "two slots of two pages");
        // The new file keeps the previous record in slot 1.
        assert_eq!(
            check_file(&bytes)
                .unwrap()
                .latest
                .map(|(slot, seq, _)| (slot, seq)),
            Some((0, 2))
        );
        assert_eq!(
            u64::from_le_bytes(bytes[8192 + 12..8192 + 20].try_into().unwrap()),
            1
        );
        assert_eq!(d2.load::<Vec<u64>>().unwrap(), Some(big.clone()));
        d2.save(&vec![1u64]).unwrap();
        drop(d2);
        let d3 = DataDir::open(tmp.path()).unwrap();
        assert_eq!(d3.load::<Vec<u64>>().unwrap(), Some(vec![1]));
    }

    #[test]
    fn a_directory_serves_only_the_member_that_first_claimed_it() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let d = DataDir::open(tmp.path()).unwrap();
            d.claim(0xabc, 1).unwrap();
            d.claim(0xabc, 1).unwrap();
        }
        assert_eq!(
            fs::read_to_string(tmp.path().join(MEMBER_FILE)).unwrap(),
            "cluster 0000000000000abc\nmember 1\n"
        );
        let d = DataDir::open(tmp.path()).unwrap();
        assert_eq!(
            d.claim(0xabc, 0).unwrap_err().to_string(),
            format!(
                "data directory belongs to member 1 of cluster 0000000000000abc ({}), not to \
                 member 0 of cluster 0000000000000abc: its promises are not this node's",
                tmp.path().join(MEMBER_FILE).display()
            )
        );
        assert!(d.claim(0xdef, 1).is_err());
        fs::write(tmp.path().join(MEMBER_FILE), "node 1\n").unwrap();
        assert_eq!(
            d.claim(0xabc, 1).unwrap_err().to_string(),
            format!(
                "member file {} is unreadable (expected `cluster <16 hex digits>` and `member \
                 <index>` lines, found \"node 1\\n\")",
                tmp.path().join(MEMBER_FILE).display()
            )
        );
    }

    #[test]
    fn a_second_open_of_a_locked_directory_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let _d = DataDir::open(tmp.path()).unwrap();
        let err = DataDir::open(tmp.path()).unwrap_err();
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
            let mut d = DataDir::open(tmp.path()).unwrap();
            d.save(&sample()).unwrap();
        }
        fs::write(tmp.path().join(TEMP_FILE), b"half a record").unwrap();
        let d = DataDir::open(tmp.path()).unwrap();
        assert!(!tmp.path().join(TEMP_FILE).exists());
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
    }

    /// The reason `DataDir::open` (and so a node's start) gives for a file with `bytes`.
    fn corrupt(bytes: &[u8]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(STORAGE_FILE);
        fs::write(&path, bytes).unwrap();
        let err = match DataDir::open(tmp.path()) {
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

    fn two_saves() -> Vec<u8> {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = DataDir::open(tmp.path()).unwrap();
        d.save(&Storage::default()).unwrap();
        d.save(&sample()).unwrap();
        fs::read(d.storage_path()).unwrap()
    }

    #[test]
    fn every_corruption_kind_has_its_message() {
        let good = two_saves();
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
        version[4] = 9;
        assert_eq!(
            corrupt(&version),
            "slot 0 (at byte 0): unsupported format version 9 (this build reads version 2)"
        );
        let mut flags = good.clone();
        flags[S + 6] = 1;
        assert_eq!(
            corrupt(&flags),
            "slot 1 (at byte 4096): unknown flags 0x0001"
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
        // Shapes no sequence of saves produces.
        let mut same = good.clone();
        same[S..].copy_from_slice(&encode_slot(&payload, 1, S).unwrap());
        assert_eq!(
            corrupt(&same),
            "impossible slot contents: the slots hold sequence numbers 1 and 1, which are not \
             consecutive"
        );
        let mut gap = good.clone();
        gap[S..].copy_from_slice(&encode_slot(&payload, 5, S).unwrap());
        assert_eq!(
            corrupt(&gap),
            "impossible slot contents: the slots hold sequence numbers 1 and 5, which are not \
             consecutive"
        );
        // The latest record zeroed (as some drives return an unreadable sector).
        let mut zeroed = good.clone();
        zeroed[..S].fill(0);
        assert_eq!(
            corrupt(&zeroed),
            "impossible slot contents: slot 0 is empty and slot 1 holds sequence number 2 (the \
             first save goes to slot 0)"
        );
        let mut lone = good.clone();
        lone[..S].copy_from_slice(&encode_slot(&payload, 7, S).unwrap());
        lone[S..].fill(0);
        assert_eq!(
            corrupt(&lone),
            "impossible slot contents: slot 0 holds sequence number 7 and slot 1 is empty (a \
             lone record is number 1)"
        );
        // A slot with a valid checksum around bytes that are not a `Storage`.
        let mut undecodable = good.clone();
        undecodable[S..].copy_from_slice(&encode_slot(&[0x07], 2, S).unwrap());
        let expected = postcard::from_bytes::<Storage>(&[0x07]).unwrap_err();
        assert_eq!(
            corrupt(&undecodable),
            format!("slot 1 (at byte 4096): decode error: {expected}")
        );
    }

    #[test]
    fn a_used_directory_whose_record_file_vanished_does_not_start_empty() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let mut d = DataDir::open(tmp.path()).unwrap();
            d.claim(7, 0).unwrap();
            d.save(&sample()).unwrap();
        }
        fs::remove_file(tmp.path().join(STORAGE_FILE)).unwrap();
        assert_eq!(
            DataDir::open(tmp.path()).unwrap_err().to_string(),
            format!(
                "storage file {} is unusable: missing: the directory was used before (it has \
                 paxos.member) but its record file is gone; refusing to start with an empty state",
                tmp.path().join(STORAGE_FILE).display()
            )
        );
    }

    #[test]
    fn a_nested_directory_is_created() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("a").join("b").join("n0");
        let d = DataDir::open(&nested).unwrap();
        assert!(d.storage_path().exists());
    }

    #[test]
    fn the_older_slot_is_the_one_overwritten() {
        // Slot 0 holds the first record (sequence 1), slot 1 the second (2): whatever a crash
        // does to a third save, it lands in slot 0 and slot 1 is untouched.
        let good = two_saves();
        let slots = check_file(&good).unwrap();
        assert_eq!(slots.slot_size, 4096);
        assert_eq!(slots.latest.map(|(slot, seq, _)| (slot, seq)), Some((1, 2)));
        let mut only_first = good.clone();
        only_first[4096..].fill(0);
        assert_eq!(
            decode_file::<Storage>(&only_first).unwrap(),
            Some(Storage::default())
        );
    }
}
