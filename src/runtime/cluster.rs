//! Local clusters of node processes on 127.0.0.1, for `paxos cluster`, the benchmark and tests.
//!
//! Each member runs as its own `paxos node` process (spawned from the given executable) with
//! its own data directory `DIR/node-I` and log file `DIR/node-I.log` (its standard output and
//! error). A start waits, for a bounded time, for the node's "listening on" line. Every process
//! still running when the [`LocalCluster`] is dropped is killed, and every node asks the kernel
//! to stop it (`SIGTERM`, `PR_SET_PDEATHSIG`) when the process that started it dies, so a failing
//! test, an interrupted benchmark or a `kill -9` of `paxos cluster` leaves nothing behind.
//!
//! [`LocalCluster::create`] creates a cluster the way an operator does: a fresh incarnation in
//! the cluster file `DIR/cluster.txt`, fresh keys `DIR/member.key` and `DIR/client.key` (mode
//! 0600), and every member's data directory initialised; [`LocalCluster::open`] takes an
//! existing one back.

use super::codec::Keys;
use super::config::Membership;
use super::identity::{Identity, Incarnation};
use super::protocol::MemberRole;
use super::storage::DataDir;
use itertools::Itertools;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long a node may take to print its "listening on" line.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// `n` loopback addresses with ports that were free a moment ago (bound to port 0, released).
pub fn free_loopback_addrs(n: usize) -> io::Result<Vec<SocketAddrV4>> {
    let sockets = (0..n)
        .map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<io::Result<Vec<_>>>()?;
    sockets
        .iter()
        .map(|s| match s.local_addr()? {
            std::net::SocketAddr::V4(a) => Ok(a),
            std::net::SocketAddr::V6(_) => unreachable!("bound to an IPv4 address"),
        })
        .collect()
}

/// Sends `sig` to process `pid`.
pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// A set of node processes on this machine.
#[derive(Debug)]
pub struct LocalCluster<R: MemberRole> {
    exe: PathBuf,
    dir: PathBuf,
    /// The members.
    pub membership: Membership<R>,
    procs: Vec<Option<Child>>,
    /// Flags added to every node's command line (such as `--retry-ms 50`).
    pub common_args: Vec<String>,
    /// Whether nodes and clients run without keys (`--insecure`).
    pub insecure: bool,
}

/// Name of the member key file in a local cluster's directory.
pub const MEMBER_KEY_FILE: &str = "member.key";
/// Name of the client key file in a local cluster's directory.
pub const CLIENT_KEY_FILE: &str = "client.key";
/// Name of the cluster file in a local cluster's directory.
pub const CLUSTER_FILE: &str = "cluster.txt";

/// Writes `text` to a new file at `path` readable by its owner only (mode 0600); an existing
/// file is an error.
pub fn write_secret(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Creates a cluster's shared files in `dir` (which must not hold them yet): the cluster file
/// with a fresh incarnation (unless `membership` names one) and fresh member and client keys.
/// Returns the membership with its incarnation.
pub fn new_cluster_files<R: MemberRole>(
    dir: &Path,
    membership: &Membership<R>,
) -> io::Result<Membership<R>> {
    fs::create_dir_all(dir)?;
    for name in [CLUSTER_FILE, MEMBER_KEY_FILE, CLIENT_KEY_FILE] {
        if dir.join(name).exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists: this directory already holds a cluster",
                    dir.join(name).display()
                ),
            ));
        }
    }
    let mut m = membership.clone();
    if m.incarnation.is_none() {
        m.incarnation = Some(Incarnation::random()?);
    }
    let (member_key, client_key) = Keys::generate()?;
    write_secret(&dir.join(MEMBER_KEY_FILE), &member_key)?;
    write_secret(&dir.join(CLIENT_KEY_FILE), &client_key)?;
    let tmp = dir.join(format!("{CLUSTER_FILE}.tmp"));
    fs::write(&tmp, m.to_file_text())?;
    File::open(&tmp)?.sync_all()?;
    fs::rename(&tmp, dir.join(CLUSTER_FILE))?;
    File::open(dir)?.sync_all()?;
    Ok(m)
}

impl<R: MemberRole> LocalCluster<R> {
    /// Creates a new cluster of `membership` under `dir` (see the module docs): cluster file,
    /// keys, and every member's data directory initialised. Nothing runs yet.
    pub fn create(exe: &Path, dir: &Path, membership: Membership<R>) -> io::Result<Self> {
        let membership = new_cluster_files(dir, &membership)?;
        let c = Self::with(exe, dir, membership);
        for i in 0..c.membership.members.len() {
            let identity = Identity {
                cluster_id: c.membership.cluster_id(),
                incarnation: c.membership.incarnation.expect("a new cluster has one"),
                index: i,
                members: c.membership.member_lines(),
            };
            DataDir::init(&c.data_dir(i), &identity)
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        Ok(c)
    }

    /// The cluster already created under `dir` (its cluster file and keys).
    pub fn open(exe: &Path, dir: &Path) -> io::Result<Self> {
        let membership = Membership::load(&dir.join(CLUSTER_FILE)).map_err(io::Error::other)?;
        Ok(Self::with(exe, dir, membership))
    }

    fn with(exe: &Path, dir: &Path, membership: Membership<R>) -> Self {
        let n = membership.members.len();
        LocalCluster {
            exe: exe.to_path_buf(),
            dir: dir.to_path_buf(),
            membership,
            procs: (0..n).map(|_| None).collect(),
            common_args: Vec::new(),
            insecure: false,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Member `i`'s data directory.
    pub fn data_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node-{i}"))
    }

    /// Member `i`'s log file.
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node-{i}.log"))
    }

    /// The cluster file.
    pub fn cluster_file(&self) -> PathBuf {
        self.dir.join(CLUSTER_FILE)
    }

    /// The member key file (nodes).
    pub fn member_key_file(&self) -> PathBuf {
        self.dir.join(MEMBER_KEY_FILE)
    }

    /// The client key file (clients).
    pub fn client_key_file(&self) -> PathBuf {
        self.dir.join(CLIENT_KEY_FILE)
    }

    /// Member `i`'s address.
    pub fn addr(&self, i: usize) -> SocketAddrV4 {
        self.membership.members[i].addr
    }

    /// The comma-separated member addresses.
    pub fn peers(&self) -> String {
        self.membership.addrs().iter().join(",")
    }

    /// The flags that tell a client who the members are and how to authenticate: the cluster
    /// file (members, roles, incarnation) and the client key file.
    pub fn member_flags(&self) -> Vec<String> {
        let mut v = vec![
            "--cluster".to_string(),
            self.cluster_file().display().to_string(),
        ];
        if self.insecure {
            v.push("--insecure".into());
        } else {
            v.push("--key-file".into());
            v.push(self.client_key_file().display().to_string());
        }
        v
    }

    /// The arguments (after the executable) that start member `i`.
    pub fn node_args(&self, i: usize, extra: &[String]) -> Vec<String> {
        let mut args = vec![
            "node".to_string(),
            "--id".into(),
            i.to_string(),
            "--cluster".into(),
            self.cluster_file().display().to_string(),
        ];
        if self.insecure {
            args.push("--insecure".into());
        } else {
            args.push("--key-file".into());
            args.push(self.member_key_file().display().to_string());
        }
        args.push("--data-dir".into());
        args.push(self.data_dir(i).display().to_string());
        args.extend(self.common_args.iter().cloned());
        args.extend(extra.iter().cloned());
        args
    }

    /// Whether member `i` has a process that has not been reaped.
    pub fn is_running(&mut self, i: usize) -> bool {
        match &mut self.procs[i] {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Member `i`'s process id, if it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.procs[i].as_ref().map(Child::id)
    }

    /// Starts member `i` (with `extra` flags) and waits until it listens.
    pub fn start(&mut self, i: usize, extra: &[String]) -> io::Result<()> {
        let log_path = self.log_path(i);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let offset = log.metadata()?.len();
        let child = stop_with_parent(Command::new(&self.exe))
            .args(self.node_args(i, extra))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        self.procs[i] = Some(child);
        let until = Instant::now() + START_TIMEOUT;
        loop {
            let text = read_from(&log_path, offset);
            if text.contains(" listening on ") {
                return Ok(());
            }
            let exited = self.procs[i]
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.procs[i] = None;
                return Err(io::Error::other(format!(
                    "node {i} exited ({status}) before listening:\n{text}"
                )));
            }
            if Instant::now() > until {
                self.kill(i);
                return Err(io::Error::other(format!(
                    "node {i} did not listen within {} s:\n{text}",
                    START_TIMEOUT.as_secs()
                )));
            }
            sleep(Duration::from_millis(5));
        }
    }

    /// Starts every member that does not run, with no extra flags.
    pub fn start_all(&mut self) -> io::Result<()> {
        // Last member first: the leader (the first proposer) prepares as soon as it starts, so
        // it comes up once its acceptors listen. In another order its first `Prepare`s would
        // be lost and it would prepare again only after its retry timeout.
        for i in (0..self.procs.len()).rev() {
            if self.procs[i].is_none() {
                self.start(i, &[])?;
            }
        }
        Ok(())
    }

    /// `kill -9` member `i` and reap it.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.procs[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM member `i`, wait up to `grace` for it to exit (then SIGKILL); its exit status.
    pub fn terminate(&mut self, i: usize, grace: Duration) -> Option<ExitStatus> {
        let mut c = self.procs[i].take()?;
        signal(c.id(), libc::SIGTERM);
        let until = Instant::now() + grace;
        loop {
            if let Ok(Some(status)) = c.try_wait() {
                return Some(status);
            }
            if Instant::now() > until {
                let _ = c.kill();
                return c.wait().ok();
            }
            sleep(Duration::from_millis(5));
        }
    }

    /// SIGTERM every member and wait for them (up to `grace` each).
    pub fn stop_all(&mut self, grace: Duration) {
        for i in 0..self.procs.len() {
            self.terminate(i, grace);
        }
    }

    /// Members whose process exited by itself since the last call, with their status.
    pub fn reap_exited(&mut self) -> Vec<(usize, ExitStatus)> {
        let mut out = Vec::new();
        for (i, p) in self.procs.iter_mut().enumerate() {
            if let Some(c) = p {
                if let Ok(Some(status)) = c.try_wait() {
                    out.push((i, status));
                    *p = None;
                }
            }
        }
        out
    }

    /// Member `i`'s log so far.
    pub fn log(&self, i: usize) -> String {
        read_from(&self.log_path(i), 0)
    }
}

impl<R: MemberRole> Drop for LocalCluster<R> {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
}

/// `cmd`, made to receive `SIGTERM` when the thread that spawns it exits (`PR_SET_PDEATHSIG`),
/// so that a killed parent leaves no orphan behind.
pub fn stop_with_parent(mut cmd: Command) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: getpid is async-signal-safe.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure only makes async-signal-safe calls (prctl, getppid, _exit), as
    // required between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            // The parent may have died before the request took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    cmd
}

fn read_from(path: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        if f.seek(SeekFrom::Start(offset)).is_ok() {
            let mut bytes = Vec::new();
            let _ = f.read_to_end(&mut bytes);
            s = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    s
}
