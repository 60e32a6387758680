//! Helpers shared by the `runtime_*` integration tests: real `paxos` processes on loopback.
#![allow(dead_code)]

use paxos::runtime::cluster::free_loopback_addrs;
use paxos::runtime::storage::{read_storage_file, STORAGE_FILE};
use paxos::single::deploy::{LocalCluster, Member, Membership, Role};
use paxos::single::Storage;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The `paxos` executable under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_paxos"))
}

/// `n` merged nodes on free loopback ports.
pub fn merged(n: usize) -> Membership {
    members(&vec![Role::Node; n])
}

/// Members with the given roles on free loopback ports.
pub fn members(roles: &[Role]) -> Membership {
    let addrs = free_loopback_addrs(roles.len()).expect("free ports");
    Membership {
        members: roles
            .iter()
            .zip(addrs)
            .map(|(&role, addr)| Member { role, addr })
            .collect(),
        incarnation: None,
    }
}

/// A new cluster under `dir` (cluster file, keys, initialised data directories), not started.
pub fn create(dir: &Path, m: Membership) -> LocalCluster {
    LocalCluster::create(&exe(), dir, m).expect("a new cluster")
}

/// A started cluster under `dir` with `common` flags on every node.
pub fn cluster(dir: &Path, m: Membership, common: &[&str]) -> LocalCluster {
    let mut c = create(dir, m);
    c.common_args = common.iter().map(|s| s.to_string()).collect();
    c.start_all().expect("nodes start");
    c
}

/// A child process killed when dropped.
pub struct ChildGuard(pub Option<Child>);

impl ChildGuard {
    /// Waits for the child and collects its output.
    pub fn wait(mut self) -> Output {
        self.0
            .take()
            .expect("running")
            .wait_with_output()
            .expect("wait")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `paxos ARGS...` with captured output.
pub fn spawn(args: &[String]) -> ChildGuard {
    ChildGuard(Some(
        Command::new(exe())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn paxos"),
    ))
}

/// Starts `paxos cluster --nodes 3 --dir DIR` with captured output.
pub fn spawn_paxos_cluster(dir: &Path) -> ChildGuard {
    spawn(&args(&[
        "cluster",
        "--nodes",
        "3",
        "--dir",
        &dir.display().to_string(),
    ]))
}

/// Runs `paxos ARGS...` to completion (every command used here has its own time limit).
pub fn run(args: &[String]) -> Output {
    spawn(args).wait()
}

/// Strings from string slices.
pub fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// `paxos propose VALUE <member flags> EXTRA...`.
pub fn propose_args(c: &LocalCluster, value: u64, extra: &[&str]) -> Vec<String> {
    let mut a = vec!["propose".to_string(), value.to_string()];
    a.extend(c.member_flags());
    a.extend(args(extra));
    a
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `paxos learn <member flags> EXTRA...`.
pub fn learn_args(c: &LocalCluster, extra: &[&str]) -> Vec<String> {
    let mut a = vec!["learn".to_string()];
    a.extend(c.member_flags());
    a.extend(args(extra));
    a
}

/// Member `i`'s storage record, read through the runtime's storage API.
pub fn storage(c: &LocalCluster, i: usize) -> Option<Storage> {
    read_storage_file(&c.data_dir(i).join(STORAGE_FILE)).expect("a readable record")
}

/// Member `i`'s identity, as its data directory records it.
pub fn identity(c: &LocalCluster, i: usize) -> paxos::runtime::identity::Identity {
    paxos::runtime::identity::Identity {
        cluster_id: c.membership.cluster_id(),
        incarnation: c.membership.incarnation.expect("a created cluster has one"),
        index: i,
        members: c.membership.member_lines(),
    }
}

/// The member keys of `c` (as its nodes hold them).
pub fn member_keys(c: &LocalCluster) -> paxos::runtime::codec::Keys {
    paxos::runtime::codec::Keys::load(&c.member_key_file()).expect("member.key")
}

/// Polls `f` every 10 ms until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        sleep(Duration::from_millis(10));
    }
}
