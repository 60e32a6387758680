//! File-system helpers of the storage: atomic replacement of a file (temp file, `fdatasync`,
//! rename, directory `fsync`), durable directory creation, and the data directory's lock.
//!
//! After a failed `fsync` the kernel may have dropped the dirty pages, so no helper retries: an
//! error goes up and the node stops.

use super::data_dir::{LOCK_FILE, TEMP_FILE};
use super::StorageError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// An I/O error naming `path` and the operation `op`.
pub(super) fn io_err<'a>(
    path: &'a Path,
    op: &'static str,
) -> impl FnOnce(io::Error) -> StorageError + 'a {
    move |err| StorageError::Io {
        path: path.to_path_buf(),
        op,
        err,
    }
}

/// Writes `bytes` to `dir/name` atomically: temp file, `fdatasync`, rename, directory `fsync`.
pub fn write_file_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
    write_file_atomically_as(dir, TEMP_FILE, name, bytes)
}

/// [`write_file_atomically`] through the temporary file `temp`.
pub(super) fn write_file_atomically_as(
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
pub(super) fn create_dir_durably(dir: &Path) -> Result<(), StorageError> {
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
pub(super) fn lock(dir: &Path) -> Result<File, StorageError> {
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
