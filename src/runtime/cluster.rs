//! Local clusters of node processes on 127.0.0.1, for `paxos cluster`, the benchmark and tests.
//!
//! Each member runs as its own `paxos node` process (spawned from the given executable) with
//! its own data directory `DIR/node-I` and log file `DIR/node-I.log` (its standard output and
//! error). A start waits, for a bounded time, for the node's "listening on" line. Every process
//! still running when the [`LocalCluster`] is dropped is killed, so a failing test or an
//! interrupted benchmark leaves nothing behind.

use super::config::Membership;
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
pub struct LocalCluster {
    exe: PathBuf,
    dir: PathBuf,
    /// The members.
    pub membership: Membership,
    procs: Vec<Option<Child>>,
    /// Flags added to every node's command line (such as `--retry-ms 50`).
    pub common_args: Vec<String>,
}

impl LocalCluster {
    /// A cluster of `membership` under `dir`, started with `exe node ...`; nothing runs yet.
    /// Writes the member list to `DIR/cluster.txt`.
    pub fn new(exe: &Path, dir: &Path, membership: Membership) -> io::Result<LocalCluster> {
        fs::create_dir_all(dir)?;
        fs::write(dir.join("cluster.txt"), membership.to_file_text())?;
        let n = membership.members.len();
        Ok(LocalCluster {
            exe: exe.to_path_buf(),
            dir: dir.to_path_buf(),
            membership,
            procs: (0..n).map(|_| None).collect(),
            common_args: Vec::new(),
        })
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
        self.dir.join("cluster.txt")
    }

    /// Member `i`'s address.
    pub fn addr(&self, i: usize) -> SocketAddrV4 {
        self.membership.members[i].addr
    }

    /// The comma-separated member addresses.
    pub fn peers(&self) -> String {
        let list: Vec<String> = self
            .membership
            .addrs()
            .iter()
            .map(|a| a.to_string())
            .collect();
        list.join(",")
    }

    /// The flags that tell a process who the members are: `--peers` when every member is a
    /// merged node, `--cluster FILE` otherwise.
    pub fn member_flags(&self) -> Vec<String> {
        use super::config::Role;
        if self.membership.members.iter().all(|m| m.role == Role::Node) {
            vec!["--peers".into(), self.peers()]
        } else {
            vec![
                "--cluster".into(),
                self.cluster_file().display().to_string(),
            ]
        }
    }

    /// The arguments (after the executable) that start member `i`.
    pub fn node_args(&self, i: usize, extra: &[String]) -> Vec<String> {
        let mut args = vec!["node".to_string(), "--id".into(), i.to_string()];
        args.extend(self.member_flags());
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
        let child = Command::new(&self.exe)
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

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
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
