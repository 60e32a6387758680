//! A node's data directory: explicit initialisation, one node per directory, and the right
//! one.
//!
//! A plain start never creates storage (see [`super`]): [`DataDir::init`] (`paxos node
//! --init`) creates the record file and then, as its last act, the member file;
//! [`DataDir::open`] refuses a missing directory, an uninitialised one, a member file of
//! another member, and a record file the record store cannot trust.
//!
//! [`DataDir::open`] takes an exclusive lock (`flock`, released by the kernel when the process
//! dies, even by `kill -9`) on `paxos.lock`; a second node pointed at the same directory stops
//! with an error instead of interleaving its promises with the first one's.
//!
//! A promise is only meaningful for the acceptor that made it, so initialisation records the
//! member's [`Identity`] (cluster id, incarnation, ordered member list, index) in
//! `paxos.member`, as its last act, and every start compares it with the identity the node is
//! started with (see [`crate::runtime::identity`]).

use super::file_ops::{create_dir_durably, io_err, lock, write_file_atomically_as};
use super::journal::{journal_header, Journal, Journaled, JOURNAL_FILE, JOURNAL_TEMP_FILE};
use super::slot_file::{initial_file, SlotFile};
use super::{RecordStore, StorageError};
use crate::runtime::identity::Identity;
use std::fs::{self, File};
use std::io;
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
pub(super) const MEMBER_TEMP_FILE: &str = "paxos.member.tmp";

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

/// Why `dir` is not an initialised data directory holding a record file of format `S`, if it
/// is not.
fn uninitialised<S: StoreFormat>(dir: &Path) -> Option<StorageError> {
    let storage_file = S::FILE;
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
    let record = dir.join(storage_file);
    let why = if !dir.is_dir() {
        if dir.exists() {
            "is not a directory".to_string()
        } else {
            "does not exist".to_string()
        }
    } else if member {
        return None;
    } else if fs::read(&record).is_ok_and(|b| S::is_initial(&b)) {
        format!(
            "holds {storage_file} but no {MEMBER_FILE}: its initialisation did not finish, so \
             this member never ran; remove the directory and initialise it again"
        )
    } else if present(&record).unwrap_or(true) {
        format!(
            "holds {storage_file} with saved records but no {MEMBER_FILE}: this member ran and \
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

/// A record file format a data directory can hold: the two-slot file ([`SlotFile`], the
/// default) or the append-only journal ([`super::journal::Journal`]). A protocol's deployment
/// names its format (`Deploy::Store`).
pub trait StoreFormat: Sized {
    /// The file's name inside the data directory.
    const FILE: &'static str;
    /// Creates the file of a new member ("nothing saved yet").
    fn create(dir: &Path) -> Result<(), StorageError>;
    /// Opens and checks the file of an initialised directory.
    fn open(dir: &Path) -> Result<Self, StorageError>;
    /// Whether `bytes` are exactly what [`StoreFormat::create`] writes.
    fn is_initial(bytes: &[u8]) -> bool;
}

impl StoreFormat for SlotFile {
    const FILE: &'static str = STORAGE_FILE;
    fn create(dir: &Path) -> Result<(), StorageError> {
        SlotFile::create(dir)
    }
    fn open(dir: &Path) -> Result<Self, StorageError> {
        SlotFile::open(dir)
    }
    fn is_initial(bytes: &[u8]) -> bool {
        bytes == initial_file()
    }
}

impl<R: Journaled> StoreFormat for Journal<R> {
    const FILE: &'static str = JOURNAL_FILE;
    fn create(dir: &Path) -> Result<(), StorageError> {
        Journal::<R>::create(dir)
    }
    fn open(dir: &Path) -> Result<Self, StorageError> {
        Journal::open(dir)
    }
    fn is_initial(bytes: &[u8]) -> bool {
        bytes == journal_header()
    }
}

/// A node's data directory, locked for the lifetime of this value, with its record store (of
/// format `S`) open.
#[derive(Debug)]
pub struct DataDir<S = SlotFile> {
    dir: PathBuf,
    _lock: File,
    records: S,
    identity: Identity,
}

impl DataDir<SlotFile> {
    /// [`DataDir::init_as`] with the two-slot record file.
    pub fn init(dir: &Path, identity: &Identity) -> Result<DataDir, StorageError> {
        Self::init_as(dir, identity)
    }

    /// [`DataDir::open_as`] with the two-slot record file.
    pub fn open(
        dir: &Path,
        asked: &Identity,
        check_incarnation: bool,
    ) -> Result<DataDir, StorageError> {
        Self::open_as(dir, asked, check_incarnation)
    }
}

impl<S: StoreFormat> DataDir<S> {
    /// Initialises a new member's storage in `dir` (created if missing; an existing directory
    /// must be empty): an initialised record file ("nothing saved yet"), then, as the last act,
    /// the member file recording `identity`. Returns the directory opened and locked.
    pub fn init_as(dir: &Path, identity: &Identity) -> Result<DataDir<S>, StorageError> {
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
        S::create(dir)?;
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
    pub fn open_as(
        dir: &Path,
        asked: &Identity,
        check_incarnation: bool,
    ) -> Result<DataDir<S>, StorageError> {
        // Checked before the lock is taken too, so that a refused start leaves nothing behind.
        if let Some(e) = uninitialised::<S>(dir) {
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
    ) -> Result<DataDir<S>, StorageError> {
        if let Some(e) = uninitialised::<S>(dir) {
            return Err(e);
        }
        let member = dir.join(MEMBER_FILE);
        let identity = read_member_file(dir)?;
        if let Some(why) = identity.mismatch(asked, check_incarnation) {
            return Err(StorageError::WrongMember { path: member, why });
        }
        for stale in [TEMP_FILE, JOURNAL_TEMP_FILE, MEMBER_TEMP_FILE] {
            let tmp = dir.join(stale);
            if tmp.exists() {
                fs::remove_file(&tmp).map_err(io_err(&tmp, "remove stale"))?;
            }
        }
        Ok(DataDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            records: S::open(dir)?,
            identity,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The record file's path.
    pub fn storage_path(&self) -> PathBuf {
        self.dir.join(S::FILE)
    }

    /// The identity recorded at initialisation.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// The data directory is the record store of the node that holds it: it delegates to its
/// record file, and keeps the lock for as long as the store is in use.
impl<R, S: RecordStore<R>> RecordStore<R> for DataDir<S> {
    fn load(&self) -> Result<Option<R>, StorageError> {
        self.records.load()
    }

    fn save(&mut self, record: &R) -> Result<(), StorageError> {
        self.records.save(record)
    }
}
