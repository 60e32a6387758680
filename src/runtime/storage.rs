//! Durable storage: one checksummed record per node, replaced atomically.
//!
//! # Why it matters
//!
//! An acceptor's promise and vote are the memory of Paxos: an acceptor that restarts with an
//! empty state may promise a lower ballot or vote for a second value, and two different values
//! can then be chosen. So a node that cannot read its record back **refuses to start**; it never
//! falls back to an empty state. Only a data directory without a record file (a node that never
//! saved anything, hence never promised anything) starts empty.
//!
//! # File format (version 1)
//!
//! ```text
//! offset  size  field
//! 0       4     magic "PXST"
//! 4       2     format version, little endian (1)
//! 6       2     flags (0)
//! 8       4     payload length in bytes, little endian
//! 12      4     CRC-32 (IEEE) of bytes 0..12 followed by the payload, little endian
//! 16      n     payload: the actor's `Storage` value in postcard encoding
//! ```
//!
//! Reading checks, in this order, and names the first failure: the header is complete
//! (`truncated`), the magic (`bad magic`), the version (`unsupported format version`), the payload
//! length against the file length (`truncated` / `trailing bytes`), the checksum (`checksum
//! mismatch`) and finally the payload itself (`decode error`).
//!
//! # Atomic replacement
//!
//! [`DataDir::save`] writes the whole record to `paxos.storage.tmp`, `fdatasync`s it, renames it
//! over `paxos.storage` and `fsync`s the directory so the rename itself is durable. A crash at
//! any point leaves either the old record or the new one, never a mix; a leftover temp file is
//! removed at the next start (its save never completed, so nothing that depended on it was
//! sent). If any of these steps fails the node stops: after a failed `fsync` the kernel may have
//! dropped the dirty pages, so retrying could report success for data that is gone.
//!
//! # One node per directory
//!
//! [`DataDir::open`] takes an exclusive lock (`flock`, released by the kernel when the process
//! dies, even by `kill -9`) on `paxos.lock`; a second node pointed at the same directory stops
//! with an error instead of interleaving its promises with the first one's.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Name of the record file inside a data directory.
pub const STORAGE_FILE: &str = "paxos.storage";
/// Name of the temporary file a save writes before renaming it over [`STORAGE_FILE`].
pub const TEMP_FILE: &str = "paxos.storage.tmp";
/// Name of the lock file inside a data directory.
pub const LOCK_FILE: &str = "paxos.lock";
/// First four bytes of a record file.
pub const MAGIC: [u8; 4] = *b"PXST";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 16;

/// What is wrong with a record file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// The file is shorter than its header.
    ShortHeader {
        /// Bytes in the file.
        found: usize,
    },
    /// The first four bytes are not [`MAGIC`].
    BadMagic {
        /// The bytes found instead.
        found: [u8; 4],
    },
    /// A format version this build cannot read.
    UnsupportedVersion(u16),
    /// The payload is shorter than the header says.
    Truncated {
        /// Payload length in the header.
        declared: u32,
        /// Payload bytes present.
        present: usize,
    },
    /// The file has bytes after the declared payload.
    TrailingBytes {
        /// Payload length in the header.
        declared: u32,
        /// Payload bytes present.
        present: usize,
    },
    /// The checksum does not match the contents.
    ChecksumMismatch {
        /// Checksum in the header.
        stored: u32,
        /// Checksum of the contents.
        computed: u32,
    },
    /// The checksum matches but the payload is not a valid record.
    Decode(String),
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::ShortHeader { found } => write!(
                f,
                "truncated: the file has {found} bytes, the header alone needs {HEADER_LEN}"
            ),
            Corruption::BadMagic { found } => write!(
                f,
                "bad magic: starts with {:02x} {:02x} {:02x} {:02x}, expected \"PXST\"",
                found[0], found[1], found[2], found[3]
            ),
            Corruption::UnsupportedVersion(v) => write!(
                f,
                "unsupported format version {v} (this build reads version {VERSION})"
            ),
            Corruption::Truncated { declared, present } => write!(
                f,
                "truncated: the header declares {declared} payload bytes, {present} present"
            ),
            Corruption::TrailingBytes { declared, present } => write!(
                f,
                "trailing bytes: the header declares {declared} payload bytes, {present} present"
            ),
            Corruption::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: stored crc32 {stored:08x}, contents have {computed:08x}"
            ),
            Corruption::Decode(e) => write!(f, "decode error: {e}"),
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

/// The bytes of a record file holding `value`.
pub fn encode_record<S: Serialize>(value: &S) -> Result<Vec<u8>, StorageError> {
    let payload = postcard::to_allocvec(value).map_err(|e| StorageError::Encode(e.to_string()))?;
    let len = u32::try_from(payload.len())
        .map_err(|_| StorageError::Encode("record larger than 4 GiB".into()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    let crc = checksum(&out[..12], &payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Checks and decodes the bytes of a record file.
pub fn decode_record<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, Corruption> {
    if bytes.len() >= 4 && bytes[..4] != MAGIC {
        return Err(Corruption::BadMagic {
            found: [bytes[0], bytes[1], bytes[2], bytes[3]],
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(Corruption::ShortHeader { found: bytes.len() });
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(Corruption::UnsupportedVersion(version));
    }
    let declared = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let stored = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let payload = &bytes[HEADER_LEN..];
    let present = payload.len();
    if (present as u64) < u64::from(declared) {
        return Err(Corruption::Truncated { declared, present });
    }
    if (present as u64) > u64::from(declared) {
        return Err(Corruption::TrailingBytes { declared, present });
    }
    let computed = checksum(&bytes[..12], payload);
    if computed != stored {
        return Err(Corruption::ChecksumMismatch { stored, computed });
    }
    match postcard::take_from_bytes::<S>(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(Corruption::Decode(format!(
            "{} bytes left over after the record",
            rest.len()
        ))),
        Err(e) => Err(Corruption::Decode(e.to_string())),
    }
}

/// Reads the record file at `path`: `Ok(None)` when there is no such file.
///
/// This is also how tools and tests inspect a node's promise and vote, even while the node
/// runs (the file is only ever replaced by an atomic rename, so a reader sees a whole record).
pub fn read_storage_file<S: DeserializeOwned>(path: &Path) -> Result<Option<S>, StorageError> {
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
    decode_record(&bytes)
        .map(Some)
        .map_err(|what| StorageError::Corrupt {
            path: path.to_path_buf(),
            what,
        })
}

/// Writes `bytes` to `dir/name` atomically: temp file, `fdatasync`, rename, directory `fsync`.
pub fn write_file_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
    let tmp = dir.join(TEMP_FILE);
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

/// A node's data directory, locked for the lifetime of this value.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Creates (if needed) and locks `dir`, and removes a temp file left by an interrupted save.
    pub fn open(dir: &Path) -> Result<DataDir, StorageError> {
        if !dir.exists() {
            fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
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
        let tmp = dir.join(TEMP_FILE);
        if tmp.exists() {
            fs::remove_file(&tmp).map_err(io_err(&tmp, "remove stale"))?;
        }
        Ok(DataDir {
            dir: dir.to_path_buf(),
            _lock: lock,
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

    /// Loads the record: `Ok(None)` for a directory that never saved one.
    pub fn load<S: DeserializeOwned>(&self) -> Result<Option<S>, StorageError> {
        read_storage_file(&self.storage_path())
    }

    /// Replaces the record durably; when this returns `Ok`, the record survives a crash.
    pub fn save<S: Serialize>(&self, value: &S) -> Result<(), StorageError> {
        let bytes = encode_record(value)?;
        write_file_atomically(&self.dir, STORAGE_FILE, &bytes)
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
    fn save_then_load_round_trips_and_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let d = DataDir::open(&tmp.path().join("n0")).unwrap();
        assert_eq!(d.load::<Storage>().unwrap(), None);
        d.save(&sample()).unwrap();
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
        let later = Storage {
            round: 4,
            ..sample()
        };
        d.save(&later).unwrap();
        assert_eq!(d.load::<Storage>().unwrap(), Some(later));
        assert!(!d.path().join(TEMP_FILE).exists());
        let bytes = fs::read(d.storage_path()).unwrap();
        assert_eq!(&bytes[..8], b"PXST\x01\x00\x00\x00");
        assert_eq!(bytes.len(), HEADER_LEN + bytes[8] as usize);
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
            let d = DataDir::open(tmp.path()).unwrap();
            d.save(&sample()).unwrap();
        }
        fs::write(tmp.path().join(TEMP_FILE), b"half a record").unwrap();
        let d = DataDir::open(tmp.path()).unwrap();
        assert!(!tmp.path().join(TEMP_FILE).exists());
        assert_eq!(d.load::<Storage>().unwrap(), Some(sample()));
    }

    fn corrupt(bytes: &[u8]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(STORAGE_FILE);
        fs::write(&path, bytes).unwrap();
        let err = read_storage_file::<Storage>(&path).unwrap_err();
        let msg = err.to_string();
        let prefix = format!("storage file {} is unusable: ", path.display());
        let suffix = "; refusing to start with an empty state";
        assert!(msg.starts_with(&prefix) && msg.ends_with(suffix), "{msg}");
        msg[prefix.len()..msg.len() - suffix.len()].to_string()
    }

    #[test]
    fn every_corruption_kind_has_its_message() {
        let good = encode_record(&sample()).unwrap();
        let n = good.len() - HEADER_LEN;
        assert_eq!(n, 10);

        assert_eq!(
            corrupt(&[]),
            "truncated: the file has 0 bytes, the header alone needs 16"
        );
        assert_eq!(
            corrupt(&good[..9]),
            "truncated: the file has 9 bytes, the header alone needs 16"
        );
        assert_eq!(
            corrupt(&good[..good.len() - 3]),
            "truncated: the header declares 10 payload bytes, 7 present"
        );
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(
            corrupt(&longer),
            "trailing bytes: the header declares 10 payload bytes, 11 present"
        );
        let mut magic = good.clone();
        magic[..4].copy_from_slice(b"JUNK");
        assert_eq!(
            corrupt(&magic),
            "bad magic: starts with 4a 55 4e 4b, expected \"PXST\""
        );
        let mut version = good.clone();
        version[4] = 9;
        assert_eq!(
            corrupt(&version),
            "unsupported format version 9 (this build reads version 1)"
        );
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 0x01;
        let stored = u32::from_le_bytes(good[12..16].try_into().unwrap());
        let computed = checksum(&flipped[..12], &flipped[HEADER_LEN..]);
        assert_ne!(stored, computed);
        assert_eq!(
            corrupt(&flipped),
            format!("checksum mismatch: stored crc32 {stored:08x}, contents have {computed:08x}")
        );
        // A record with a valid checksum around bytes that are not a `Storage`.
        let mut undecodable = good[..12].to_vec();
        undecodable[8..12].copy_from_slice(&1u32.to_le_bytes());
        let payload = [0x07u8];
        let crc = checksum(&undecodable, &payload);
        undecodable.extend_from_slice(&crc.to_le_bytes());
        undecodable.extend_from_slice(&payload);
        let expected = postcard::from_bytes::<Storage>(&payload).unwrap_err();
        assert_eq!(corrupt(&undecodable), format!("decode error: {expected}"));
    }
}
