//! `paxos bench single`: propose-to-decided latency next to the physical limit.
//!
//! Each run starts a fresh local cluster of 3 merged nodes (fresh data directories), waits
//! until the leader (node 0, see [`Proposer::lead`](crate::single::Proposer)) has prepared its
//! ballot at every acceptor, sends one proposal from an in-process client and measures the time
//! from the client's first send to `Decided`. Two kinds of run alternate, so that both see the
//! same machine:
//!
//! * **leader**: the proposal goes to the leader, which prepared ahead: phase 2 only. The
//!   physical limit is one `fdatasync` (the acceptors' votes, written in parallel) plus two
//!   loopback round trips (client to leader, leader to acceptors).
//! * **other proposer**: the proposal goes to node 1, which must run both phases with a higher
//!   ballot. The limit is two `fdatasync`s (promises, then votes; the second depends on the
//!   first) plus three round trips (client, phase 1, phase 2).
//!
//! The limits are measured in the same run, on the same data directory and the same interface.
//! The durable-write term is **the node's own save path** ([`SaveProbe`]: a record file
//! initialised as a node's is, saved with the same code), sampled between the runs so that it
//! sees the same machine they do; a bare `fdatasync` of a small file is printed for comparison
//! only (measured here it was slower than the nodes' own saves, which made an earlier version's
//! "limit" one the nodes beat). The round-trip term is a UDP ping-pong between two threads
//! pinned to two cores, as two nodes working at the same moment are; the same ping-pong on one
//! core, where a hop is a mere context switch, is printed for comparison.
//! The bench also prints what this implementation's critical paths are made of, so the gap is
//! explained rather than guessed: a durable save here is one in-place write + `fdatasync` (see
//! [`storage`](crate::runtime::storage)); the three nodes save at the same moment in each phase, on one
//! disk; and a proposer that is not prepared saves its new ballot before its `Prepare` leaves.

use crate::ballot::Ballot;
use crate::runtime::cluster::free_loopback_addrs;
use crate::runtime::codec::Keys;
use crate::runtime::config::{retry_range, Timing};
use crate::runtime::identity::{Identity, Incarnation};
use crate::runtime::init_logging;
use crate::runtime::storage::{read_storage_file, DataDir, RecordStore, STORAGE_FILE};
use crate::single::deploy::{LocalCluster, Member, Membership, Role};
use crate::single::programs;
use crate::single::programs::SingleClientConfig as ClientConfig;
use crate::single::Storage;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// `paxos bench`: measure the runtime.
#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Number of fresh clusters of each kind (one measured proposal each).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Directory for the clusters' data (default: a new directory under the system temp dir,
    /// removed afterwards). The fsync cost depends on the file system: measure where nodes live.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Proposer retry timeout of the nodes.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub retry_ms: u64,
    /// Run the clusters without authentication (to measure what the HMAC tags cost).
    #[arg(long)]
    pub insecure: bool,
}

/// Sorted samples with nearest-rank percentiles.
#[derive(Clone, Debug)]
pub struct Samples(Vec<Duration>);

impl Samples {
    /// Sorts `v`.
    pub fn new(mut v: Vec<Duration>) -> Samples {
        v.sort();
        Samples(v)
    }
    /// The `q` quantile (`0 < q <= 1`), nearest rank.
    pub fn pct(&self, q: f64) -> Duration {
        let n = self.0.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.0[rank - 1]
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The smallest sample.
    pub fn min(&self) -> Duration {
        self.0[0]
    }
    /// Largest sample.
    pub fn max(&self) -> Duration {
        self.0[self.0.len() - 1]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// `fdatasync` of a small file rewritten in place, `n` times.
pub fn measure_fdatasync(dir: &Path, n: usize) -> std::io::Result<Samples> {
    fdatasync_probe(dir, "fsync-probe", n, None)
}

/// `fdatasync`s of `writers` files on the same file system at the same moment (each round
/// starts together), `n` rounds: what one node's save costs while its peers save too, as they
/// do in every phase of a local cluster whose nodes share one disk.
pub fn measure_concurrent_fdatasync(
    dir: &Path,
    writers: usize,
    n: usize,
) -> std::io::Result<Samples> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(writers));
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let dir = dir.to_path_buf();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                fdatasync_probe(&dir, &format!("fsync-probe-{w}"), n, Some(&barrier))
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        let s = h.join().expect("probe thread")?;
        all.extend(s.0);
    }
    Ok(Samples::new(all))
}

fn fdatasync_probe(
    dir: &Path,
    name: &str,
    n: usize,
    barrier: Option<&std::sync::Barrier>,
) -> std::io::Result<Samples> {
    use std::os::unix::fs::FileExt;
    let path = dir.join(name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    // Allocate the block once, so the measured syncs flush data only, never the file size.
    f.write_all(&[0u8; 4096])?;
    f.sync_all()?;
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        f.write_all_at(&[i as u8; 32], 0)?;
        if let Some(b) = barrier {
            b.wait();
        }
        let t = Instant::now();
        f.sync_data()?;
        v.push(t.elapsed());
    }
    drop(f);
    fs::remove_file(&path)?;
    Ok(Samples::new(v))
}

/// Times `save` on `n` successive records.
fn time_saves(
    n: usize,
    mut save: impl FnMut(&Storage, u64) -> Result<(), String>,
) -> Result<Vec<Duration>, String> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let rec = Storage {
            round: i as u32,
            ..Storage::default()
        };
        let t = Instant::now();
        save(&rec, i as u64 + 1)?;
        v.push(t.elapsed());
    }
    Ok(v)
}

/// The node's own durable save, on a record file initialised the way a node's is (same
/// format, size and preallocation, same directory): what the limit's fdatasync term is
/// measured with, so the limit is one the implementation cannot beat.
pub struct SaveProbe {
    dir: PathBuf,
    data: Option<DataDir>,
    samples: Vec<Duration>,
}

impl SaveProbe {
    /// A probe in `dir/save-probe` (created anew).
    pub fn new(dir: &Path) -> Result<SaveProbe, String> {
        let probe = dir.join("save-probe");
        let _ = fs::remove_dir_all(&probe);
        let identity = Identity {
            cluster_id: 0,
            incarnation: Incarnation::default(),
            index: 0,
            members: vec!["node 127.0.0.1:1".into()],
        };
        let data = DataDir::init(&probe, &identity).map_err(|e| e.to_string())?;
        Ok(SaveProbe {
            dir: probe,
            data: Some(data),
            samples: Vec::new(),
        })
    }

    /// Times `n` more saves.
    pub fn sample(&mut self, n: usize) -> Result<(), String> {
        let d = self.data.as_mut().expect("open until dropped");
        let v = time_saves(n, |rec, _| d.save(rec).map_err(|e| e.to_string()))?;
        self.samples.extend(v);
        Ok(())
    }

    /// Every save timed so far.
    pub fn samples(&self) -> Samples {
        Samples::new(self.samples.clone())
    }
}

impl Drop for SaveProbe {
    fn drop(&mut self) {
        self.data = None;
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// This runtime's durable save of a storage record, `n` times.
pub fn measure_save(dir: &Path, n: usize) -> Result<Samples, String> {
    let mut p = SaveProbe::new(dir)?;
    p.sample(n)?;
    Ok(p.samples())
}

/// A save the slow way (temp file, `fdatasync`, rename, directory `fsync`: what the record
/// file's in-place slots avoid), `n` times.
pub fn measure_rename_save(dir: &Path, n: usize) -> Result<Samples, String> {
    use crate::runtime::storage::{encode_file, write_file_atomically};
    let probe = dir.join("rename-probe");
    fs::create_dir_all(&probe).map_err(|e| e.to_string())?;
    let samples = time_saves(n, |rec, _| {
        let bytes = encode_file(rec).map_err(|e| e.to_string())?;
        write_file_atomically(&probe, "record", &bytes).map_err(|e| e.to_string())
    });
    let _ = fs::remove_dir_all(&probe);
    samples.map(Samples::new)
}

/// Where the two ends of a round-trip probe run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cores {
    /// Each end pinned to its own core, as two cluster nodes that work at the same time are.
    Two,
    /// Both ends pinned to one core: every hop is a context switch, no cross-core wake-up.
    One,
}

/// Pins the calling thread to `cpu`; whether that worked.
fn pin_to(cpu: usize) -> bool {
    // SAFETY: `set` is a zeroed cpu_set_t that CPU_SET fills; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// UDP round trips between two loopback sockets served by two threads placed on `cores`, `n`
/// times back to back; `None` when the threads cannot be placed so (one core only).
pub fn measure_udp_rtt(n: usize, cores: Cores) -> std::io::Result<Option<Samples>> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores == Cores::Two && cpus < 2 {
        return Ok(None);
    }
    let echo_cpu = match cores {
        Cores::Two => 1,
        Cores::One => 0,
    };
    let echo = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    let echo_addr = echo.local_addr()?;
    echo.set_read_timeout(Some(Duration::from_secs(5)))?;
    let server = std::thread::spawn(move || {
        if !pin_to(echo_cpu) {
            return false;
        }
        let mut buf = [0u8; 64];
        for _ in 0..n {
            match echo.recv_from(&mut buf) {
                Ok((k, src)) => {
                    let _ = echo.send_to(&buf[..k], src);
                }
                Err(_) => return true,
            }
        }
        true
    });
    // The probe runs on a thread of its own, so the caller's affinity stays untouched.
    let client = std::thread::spawn(move || -> std::io::Result<Option<Vec<Duration>>> {
        if !pin_to(0) {
            return Ok(None);
        }
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut buf = [0u8; 64];
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            s.send_to(&[7u8; 40], echo_addr)?;
            s.recv_from(&mut buf)?;
            v.push(t.elapsed());
        }
        Ok(Some(v))
    });
    let v = client.join().expect("probe thread")?;
    let pinned = server.join().expect("echo thread");
    Ok(v.filter(|_| pinned).map(Samples::new))
}

/// Where a run's proposal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Node 0, the leader, prepared ahead.
    Leader,
    /// Node 1, which runs both phases.
    Other,
}

/// Waits until every acceptor of `cluster` durably promised the leader's first ballot, then a
/// little longer for the promises to reach the leader (they leave right after the save).
fn wait_prepared(cluster: &LocalCluster, nodes: usize) -> Result<(), String> {
    let leader = Some(Ballot::new(1, 0));
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let promised = (0..nodes).all(|i| {
            let path = cluster.data_dir(i).join(STORAGE_FILE);
            matches!(read_storage_file::<Storage>(&path), Ok(Some(s)) if s.promised == leader)
        });
        if promised {
            std::thread::sleep(Duration::from_millis(10));
            return Ok(());
        }
        if Instant::now() > until {
            return Err("the leader did not prepare within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// One fresh cluster, one proposal: the propose-to-decided latency.
fn one_run(
    exe: &Path,
    dir: &Path,
    args: &BenchArgs,
    value: u64,
    target: Target,
) -> Result<Duration, String> {
    let retry_ms = args.retry_ms;
    let addrs = free_loopback_addrs(3).map_err(|e| e.to_string())?;
    let membership = Membership {
        members: addrs
            .iter()
            .map(|&addr| Member {
                role: Role::Node,
                addr,
            })
            .collect(),
        incarnation: None,
    };
    let mut cluster = LocalCluster::create(exe, dir, membership).map_err(|e| e.to_string())?;
    let membership = cluster.membership.clone();
    cluster.common_args = vec!["--retry-ms".into(), retry_ms.to_string()];
    cluster.insecure = args.insecure;
    cluster.start_all().map_err(|e| e.to_string())?;
    wait_prepared(&cluster, 3)?;
    let key = if args.insecure {
        None
    } else {
        Some(Keys::load(&cluster.client_key_file())?.client)
    };
    let cfg = ClientConfig {
        cluster_id: membership.cluster_id(),
        incarnation: membership.incarnation.expect("a created cluster has one"),
        membership,
        key,
        confirm: Duration::from_secs(3),
        timing: Timing {
            member_retry: retry_range(retry_ms),
            client_retry: retry_range(1000),
        },
        faults: None,
        bind: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
        timeout: Duration::from_secs(10),
    };
    let first = match target {
        Target::Leader => 0,
        Target::Other => 1,
    };
    let result = programs::propose(&cfg, value, first, false, &AtomicBool::new(false));
    drop(cluster);
    let p = result.map_err(|e| e.to_string())?;
    if p.decided != value {
        return Err(format!(
            "a fresh cluster decided {} instead of the only proposal {value}",
            p.decided
        ));
    }
    Ok(p.latency)
}

/// Entry point of `paxos bench`.
pub fn bench_main(args: BenchArgs) -> ExitCode {
    init_logging("warn");
    if args.runs == 0 {
        eprintln!(
            "error: --runs 0: at least one run is needed\n\nFor more information, try '--help'."
        );
        return ExitCode::from(2);
    }
    let (dir, remove_dir) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("paxos-bench-{}", std::process::id())),
            true,
        ),
    };
    let result = run_bench(&args, &dir);
    if remove_dir {
        let _ = fs::remove_dir_all(&dir);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_bench(args: &BenchArgs, dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the executable: {e}"))?;
    println!(
        "paxos bench single: 2 x {} fresh clusters of 3 nodes on 127.0.0.1{}, data in {}",
        args.runs,
        if args.insecure {
            ", INSECURE (no authentication)"
        } else {
            ", authenticated"
        },
        dir.display()
    );
    // The limit's durable-write term: the node's own save path, sampled between the runs so
    // that it sees the same machine as they do.
    let mut probe = SaveProbe::new(dir)?;
    let probes = Probes::measure(dir, &mut probe)?;
    let (mut leader, mut other) = (Vec::new(), Vec::new());
    for r in 0..args.runs {
        for (target, out) in [(Target::Leader, &mut leader), (Target::Other, &mut other)] {
            let run_dir = dir.join(format!("run-{r}-{target:?}"));
            let l = one_run(&exe, &run_dir, args, 1000 + r as u64, target)?;
            let _ = fs::remove_dir_all(&run_dir);
            out.push(l);
            probe.sample(10)?;
        }
    }
    let save = probe.samples();
    drop(probe);
    let (leader, other) = (Samples::new(leader), Samples::new(other));
    probes.print_limit(&save);
    let (f, t) = (save.pct(0.5), probes.rtt().pct(0.5));
    let note = if args.runs < 100 {
        format!("   (with {} runs, p99 is the maximum)", args.runs)
    } else {
        String::new()
    };
    print_latency(
        "propose -> decided at the leader, prepared ahead (phase 2 only):",
        &leader,
        f + 2 * t,
        "1 save + 2 round trips (client, phase 2)",
        &note,
    );
    print_latency(
        "propose -> decided at another proposer (both phases):",
        &other,
        2 * f + 3 * t,
        "2 saves + 3 round trips (client, phase 1, phase 2)",
        &note,
    );
    probes.print_critical_paths(&save);
    Ok(())
}

/// The physical limit's parts, measured on the data directory's disk and the loopback.
struct Probes {
    /// A bare `fdatasync` of a small file.
    fsync: Samples,
    /// A save the slow way (temp file, rename, directory fsync).
    rename_save: Samples,
    /// UDP round trips with the two ends on two cores (`None`: one core only).
    rtt2: Option<Samples>,
    /// UDP round trips with both ends on core 0.
    rtt1: Samples,
    /// `fdatasync` while two other processes sync the same disk.
    contended: Samples,
}

impl Probes {
    fn measure(dir: &Path, probe: &mut SaveProbe) -> Result<Probes, String> {
        let fsync = measure_fdatasync(dir, 100).map_err(|e| format!("fdatasync probe: {e}"))?;
        probe.sample(20)?;
        let rename_save = measure_rename_save(dir, 100)?;
        let rtt2 = measure_udp_rtt(2000, Cores::Two).map_err(|e| format!("UDP probe: {e}"))?;
        let rtt1 = measure_udp_rtt(2000, Cores::One)
            .map_err(|e| format!("UDP probe: {e}"))?
            .ok_or("UDP probe: cannot pin a thread to core 0")?;
        let contended = measure_concurrent_fdatasync(dir, 3, 100)
            .map_err(|e| format!("concurrent fdatasync probe: {e}"))?;
        Ok(Probes {
            fsync,
            rename_save,
            rtt2,
            rtt1,
            contended,
        })
    }

    /// The round trip the limit uses: two cores when there are two (nodes that work at once
    /// run on different cores), else one.
    fn rtt(&self) -> &Samples {
        self.rtt2.as_ref().unwrap_or(&self.rtt1)
    }

    fn print_limit(&self, save: &Samples) {
        println!("physical limit, measured in this run on the same data dir and interface:");
        println!(
            "  the node's own durable save (record file slot in place + fdatasync), sampled \
             between the runs   p50 {}   p99 {}   ({} saves; the limit uses this)",
            ms(save.pct(0.5)),
            ms(save.pct(0.99)),
            save.len()
        );
        println!(
            "  a bare fdatasync of a small file, for comparison   p50 {}   p99 {}",
            ms(self.fsync.pct(0.5)),
            ms(self.fsync.pct(0.99))
        );
        match &self.rtt2 {
            Some(r) => println!(
                "  UDP loopback round trip, two cores     p50 {}   p99 {}   (the limit uses \
                 this: nodes that work at once run on different cores)",
                ms(r.pct(0.5)),
                ms(r.pct(0.99))
            ),
            None => {
                println!("  UDP loopback round trip, two cores     (one core only: not measured)")
            }
        }
        println!(
            "  UDP loopback round trip, one core      p50 {}   p99 {}   (for comparison{})",
            ms(self.rtt1.pct(0.5)),
            ms(self.rtt1.pct(0.99)),
            if self.rtt2.is_some() {
                ""
            } else {
                "; the limit uses this"
            }
        );
    }

    fn print_critical_paths(&self, save: &Samples) {
        let (c, t) = (self.contended.pct(0.5), self.rtt().pct(0.5));
        println!("what this implementation's critical paths are made of:");
        println!(
            "  fdatasync while 2 other processes sync the same disk (all 3 nodes save in each \
             phase)   p50 {}   ({:.1} x a bare one alone)",
            ms(c),
            c.as_secs_f64() / self.fsync.pct(0.5).as_secs_f64()
        );
        println!(
            "  leader: 1 contended save + 2 round trips = {}",
            ms(c + 2 * t)
        );
        println!(
            "  other proposer: 1 save (its new ballot) + 2 contended saves + 3 round trips = {}",
            ms(save.pct(0.5) + 2 * c + 3 * t)
        );
        println!(
            "  for comparison, a save by temp file + fdatasync + rename + directory fsync: p50 \
             {}   ({:.1} x the in-place save)",
            ms(self.rename_save.pct(0.5)),
            self.rename_save.pct(0.5).as_secs_f64() / save.pct(0.5).as_secs_f64()
        );
    }
}

/// One latency distribution next to its limit.
fn print_latency(title: &str, lat: &Samples, limit: Duration, what: &str, note: &str) {
    println!("{title}");
    println!(
        "  p50 {}   p99 {}   min {}   max {}{note}",
        ms(lat.pct(0.5)),
        ms(lat.pct(0.99)),
        ms(lat.min()),
        ms(lat.max()),
    );
    println!(
        "  limit = {what} = {}   (p50 = {:.1} x limit)",
        ms(limit),
        lat.pct(0.5).as_secs_f64() / limit.as_secs_f64()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Samples::new((1..=10).rev().map(Duration::from_millis).collect());
        assert_eq!(s.pct(0.5), Duration::from_millis(5));
        assert_eq!(s.pct(0.99), Duration::from_millis(10));
        assert_eq!(s.pct(0.1), Duration::from_millis(1));
        assert_eq!(s.min(), Duration::from_millis(1));
        assert_eq!(s.max(), Duration::from_millis(10));
    }
}
