//! Durable storage: a node's data directory and the record store inside it.
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
//!
//! # The parts
//!
//! * [`RecordStore`]: the seam between the event loop and a file format: load the latest
//!   record, replace it durably. The two-slot record file ([`slot_file`]) is the
//!   store of single-decree Paxos; the append-only journal ([`journal`]) is the store of
//!   records that grow (a Multi-Paxos log must not be rewritten whole on every save).
//! * [`data_dir`]: the data directory: initialisation, the lock, the member file, and the
//!   checks a plain start makes before it opens the record store.
//! * [`file_ops`]: the file-system helpers every part uses (atomic replacement, directory `fsync`).
//! * [`StorageError`]: every failure, naming the file involved and why.

pub mod data_dir;
pub mod file_ops;
pub mod journal;
pub mod slot_file;

pub use data_dir::*;
pub use file_ops::*;
pub use slot_file::*;

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where a node's record lives durably, in some file format.
///
/// The runtime persists the actor's whole record after each batch of steps and before any
/// message of the batch leaves (*save before send*); a store must make the record durable
/// before [`RecordStore::save`] returns `Ok`, and must refuse (not repair) a record it cannot
/// trust when it is opened.
pub trait RecordStore<R> {
    /// The latest record: `Ok(None)` when nothing was saved since initialisation.
    fn load(&self) -> Result<Option<R>, StorageError>;
    /// Replaces the record durably; when this returns `Ok`, the record survives a crash.
    fn save(&mut self, record: &R) -> Result<(), StorageError>;
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

#[cfg(test)]
mod tests;
