//! Command-line arguments and entry points of the runtime commands.
//!
//! `src/main.rs` wires these as subcommands: `paxos node`, `paxos cluster`, `paxos propose`,
//! `paxos learn` (and `paxos bench`, see [`super::bench`]). Exit codes: 0 on success, 1 on a
//! runtime failure (corrupt storage, no decision in time, ...), 2 on bad usage; usage errors
//! print `error: ...` and a pointer to `--help`.

use super::client::{self, ClientConfig};
use super::cluster::{free_loopback_addrs, LocalCluster};
use super::codec::ClusterKey;
use super::config::{parse_addr, retry_range, Member, Membership, Role, Timing};
use super::faults::FaultSpec;
use super::node::{run_node, NodeConfig};
use super::{init_logging, stop_on_signals};
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A usage error: printed with a pointer to `--help`, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

/// Prints a usage error and returns exit code 2.
pub fn usage_exit(u: Usage) -> ExitCode {
    eprintln!("error: {}\n\nFor more information, try '--help'.", u.0);
    ExitCode::from(2)
}

fn parse_cluster_id(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a 64-bit number (decimal or 0x-prefixed hex)"))
}

/// How a process finds the cluster: shared by every runtime command.
#[derive(clap::Args, Clone, Debug)]
pub struct MemberArgs {
    /// Every member's address, in the same order for every process; each member is a merged
    /// node (proposer, acceptor and learner).
    #[arg(long, value_name = "ADDR,ADDR,...", conflicts_with = "cluster")]
    pub peers: Option<String>,
    /// A cluster file instead of --peers: one member per line, "ROLE ADDRESS", ROLE one of
    /// node, proposer, acceptor, learner; '#' starts a comment line.
    #[arg(long, value_name = "FILE")]
    pub cluster: Option<PathBuf>,
    /// File holding the cluster key (at least 16 bytes; a trailing newline is ignored): every
    /// datagram is then authenticated with HMAC-SHA256. All processes need the same key.
    #[arg(long, value_name = "FILE")]
    pub cluster_key_file: Option<PathBuf>,
    /// Cluster id on the wire, decimal or 0x-hex (default: derived from the member addresses).
    #[arg(long, value_name = "ID", value_parser = parse_cluster_id)]
    pub cluster_id: Option<u64>,
}

impl MemberArgs {
    fn membership(&self) -> Result<Membership, Usage> {
        match (&self.peers, &self.cluster) {
            (Some(p), None) => Membership::from_peers(p).map_err(Usage),
            (None, Some(f)) => Membership::load(f).map_err(Usage),
            _ => Err(Usage(
                "the members are needed: give --peers ADDR,ADDR,... or --cluster FILE".into(),
            )),
        }
    }

    fn key(&self) -> Result<Option<ClusterKey>, Usage> {
        self.cluster_key_file
            .as_deref()
            .map(ClusterKey::from_file)
            .transpose()
            .map_err(|e| Usage(format!("--cluster-key-file: {e}")))
    }
}

fn retry(ms: u64, flag: &str) -> Result<Duration, Usage> {
    if ms == 0 {
        return Err(Usage(format!(
            "{flag} 0: the retry timeout must be at least 1 ms"
        )));
    }
    Ok(Duration::from_millis(ms))
}

fn faults(spec: &Option<String>) -> Result<Option<FaultSpec>, Usage> {
    spec.as_deref()
        .map(FaultSpec::parse)
        .transpose()
        .map_err(Usage)
}

/// `paxos node`: run one member of a cluster.
#[derive(clap::Args, Clone, Debug)]
pub struct NodeArgs {
    /// This node's index in the member list (0 is the first).
    #[arg(long)]
    pub id: usize,
    /// Members, authentication and cluster id.
    #[command(flatten)]
    pub members: MemberArgs,
    /// Directory for this node's durable record (created if missing; one node per directory).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// This node's role: node (proposer+acceptor+learner), proposer, acceptor or learner.
    /// With --peers every member is a node; other roles need a --cluster file, and the role
    /// given here must match the file's.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Proposer retry: a ballot that has not succeeded after a random time in [MS, 2 MS) is
    /// retried with a higher ballot.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub retry_ms: u64,
    /// Milliseconds between two log lines with the datagram counters.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub stats_interval_ms: u64,
    /// FOR TESTS ONLY: drop, duplicate and delay this node's outgoing datagrams on purpose,
    /// e.g. drop=0.1,dup=0.05,delay=0.2,delay-ms=20,seed=7 or drop-except:Accept=ADDR
    /// (see paxos::runtime::faults).
    #[arg(long, value_name = "SPEC")]
    pub inject_faults: Option<String>,
}

/// The node configuration the arguments describe.
pub fn node_config(a: &NodeArgs) -> Result<NodeConfig, Usage> {
    let membership = a.members.membership()?;
    let n = membership.members.len();
    if a.id >= n {
        return Err(Usage(format!(
            "--id {}: the member list has {n} members, so the id must be 0..={}",
            a.id,
            n - 1
        )));
    }
    let listed = membership.members[a.id].role;
    if let Some(r) = &a.role {
        let role = Role::parse(r).ok_or_else(|| {
            Usage(format!(
                "unknown --role '{r}'; expected one of: {}",
                Role::NAMES.join(", ")
            ))
        })?;
        if role != listed {
            return Err(Usage(if a.members.peers.is_some() {
                format!(
                    "--role {role}: with --peers every member is a node; describe other roles \
                     in a --cluster file"
                )
            } else {
                format!(
                    "--role {role}: the cluster file lists member {} as a {listed}",
                    a.id
                )
            }));
        }
    }
    Ok(NodeConfig {
        cluster_id: a
            .members
            .cluster_id
            .unwrap_or_else(|| membership.cluster_id()),
        membership,
        index: a.id,
        data_dir: a.data_dir.clone(),
        timing: Timing {
            proposer_retry: retry_range(retry(a.retry_ms, "--retry-ms")?.as_millis() as u64),
            client_retry: retry_range(1000),
        },
        key: a.members.key()?,
        faults: faults(&a.inject_faults)?,
        stats_interval: Duration::from_millis(a.stats_interval_ms.max(1)),
    })
}

/// Entry point of `paxos node`.
pub fn node_main(a: NodeArgs) -> ExitCode {
    init_logging("info");
    let cfg = match node_config(&a) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    let stop = stop_on_signals();
    match run_node(&cfg, &stop) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `paxos cluster`: run a local cluster of node processes until Ctrl-C.
#[derive(clap::Args, Clone, Debug)]
pub struct ClusterArgs {
    /// Number of nodes (merged proposer+acceptor+learner), at least 3.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Directory for the nodes' data directories, logs and the cluster file (reused, with its
    /// addresses, when it already holds a cluster of the same size).
    #[arg(long, value_name = "DIR", default_value = "./cluster")]
    pub dir: PathBuf,
    /// First port: node I listens on 127.0.0.1:(P+I) (default: free ports).
    #[arg(long, value_name = "P")]
    pub base_port: Option<u16>,
    /// Proposer retry timeout of the nodes (see `paxos node --retry-ms`).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub retry_ms: u64,
    /// Cluster key file passed to every node (see `paxos node --cluster-key-file`).
    #[arg(long, value_name = "FILE")]
    pub cluster_key_file: Option<PathBuf>,
}

fn cluster_addrs(a: &ClusterArgs) -> Result<Vec<SocketAddrV4>, Usage> {
    if a.nodes < 3 {
        return Err(Usage(format!(
            "--nodes {}: Paxos needs at least 3 nodes; a majority of 3 tolerates one failure",
            a.nodes
        )));
    }
    if a.nodes > 64 {
        return Err(Usage(format!(
            "--nodes {}: at most 64 are supported",
            a.nodes
        )));
    }
    if let Some(p) = a.base_port {
        if p == 0 || usize::from(p) + a.nodes - 1 > usize::from(u16::MAX) {
            return Err(Usage(format!(
                "--base-port {p}: ports {p}..{} are not all valid",
                usize::from(p) + a.nodes - 1
            )));
        }
        return Ok((0..a.nodes)
            .map(|i| SocketAddrV4::new([127, 0, 0, 1].into(), p + i as u16))
            .collect());
    }
    if let Ok(old) = Membership::load(&a.dir.join("cluster.txt")) {
        if old.members.len() == a.nodes && old.members.iter().all(|m| m.role == Role::Node) {
            return Ok(old.addrs());
        }
    }
    free_loopback_addrs(a.nodes).map_err(|e| Usage(format!("cannot find free ports: {e}")))
}

/// Entry point of `paxos cluster`.
pub fn cluster_main(a: ClusterArgs) -> ExitCode {
    init_logging("info");
    let addrs = match cluster_addrs(&a) {
        Ok(x) => x,
        Err(u) => return usage_exit(u),
    };
    if let Err(u) = retry(a.retry_ms, "--retry-ms") {
        return usage_exit(u);
    }
    let key_file = match &a.cluster_key_file {
        Some(f) => match ClusterKey::from_file(f) {
            Ok(_) => Some(std::path::absolute(f).unwrap_or_else(|_| f.clone())),
            Err(e) => return usage_exit(Usage(format!("--cluster-key-file: {e}"))),
        },
        None => None,
    };
    let membership = Membership {
        members: addrs
            .iter()
            .map(|&addr| Member {
                role: Role::Node,
                addr,
            })
            .collect(),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the paxos executable: {e}");
            return ExitCode::from(1);
        }
    };
    let dir = std::path::absolute(&a.dir).unwrap_or_else(|_| a.dir.clone());
    let stop = stop_on_signals();
    let mut cluster = match LocalCluster::new(&exe, &dir, membership) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot prepare {}: {e}", dir.display());
            return ExitCode::from(1);
        }
    };
    cluster.common_args = vec!["--retry-ms".into(), a.retry_ms.to_string()];
    let mut key_flag = String::new();
    if let Some(k) = &key_file {
        cluster.common_args.push("--cluster-key-file".into());
        cluster.common_args.push(k.display().to_string());
        key_flag = format!(" --cluster-key-file {}", k.display());
    }
    for i in 0..a.nodes {
        if let Err(e) = cluster.start(i, &[]) {
            eprintln!("error: {e}");
            eprintln!("(logs in {})", dir.display());
            return ExitCode::from(1);
        }
    }
    let me = std::env::args().next().unwrap_or_else(|| "paxos".into());
    let peers = cluster.peers();
    println!(
        "paxos cluster: {} nodes on 127.0.0.1, cluster id {:#018x}",
        a.nodes,
        cluster.membership.cluster_id()
    );
    for i in 0..a.nodes {
        println!(
            "  node {i}  {}  pid {}  data {}  log {}",
            cluster.addr(i),
            cluster.pid(i).unwrap_or(0),
            cluster.data_dir(i).display(),
            cluster.log_path(i).display()
        );
    }
    println!("Propose a value (prints the chosen one):");
    println!("  {me} propose 42 --peers {peers}{key_flag}");
    println!("Ask the learners:");
    println!("  {me} learn --peers {peers}{key_flag}");
    println!(
        "Cluster file (for --cluster): {}",
        cluster.cluster_file().display()
    );
    println!("Press Ctrl-C to stop the cluster.");
    while !stop.load(Ordering::Relaxed) {
        for (i, status) in cluster.reap_exited() {
            eprintln!(
                "node {i} exited ({status}); see {}",
                cluster.log_path(i).display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("stopping the nodes...");
    cluster.stop_all(Duration::from_secs(5));
    println!("stopped; data kept in {}", dir.display());
    ExitCode::SUCCESS
}

/// `paxos propose`: get a value chosen (or learn the one already chosen).
#[derive(clap::Args, Clone, Debug)]
pub struct ProposeArgs {
    /// The value to propose (an unsigned 64-bit integer).
    #[arg(value_name = "VALUE")]
    pub value: u64,
    /// Members, authentication and cluster id (the same as the nodes').
    #[command(flatten)]
    pub members: MemberArgs,
    /// Index (among the proposers) of the first proposer to ask; the next ones are asked in
    /// turn when one does not answer in time.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub first: usize,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Ask the next proposer after a random time in [MS, 2 MS) without an answer.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub retry_ms: u64,
    /// Do not ask a learner to confirm the decision.
    #[arg(long)]
    pub no_query: bool,
    /// Local address to send from.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: String,
    /// FOR TESTS ONLY: inject faults on this client's messages (see `paxos node --help`).
    #[arg(long, value_name = "SPEC")]
    pub inject_faults: Option<String>,
}

fn client_config(
    m: &MemberArgs,
    bind: &str,
    timeout_ms: u64,
    retry_ms: u64,
    inject: &Option<String>,
) -> Result<ClientConfig, Usage> {
    let membership = m.membership()?;
    if timeout_ms == 0 {
        return Err(Usage(
            "--timeout-ms 0: the time limit must be positive".into(),
        ));
    }
    Ok(ClientConfig {
        cluster_id: m.cluster_id.unwrap_or_else(|| membership.cluster_id()),
        membership,
        key: m.key()?,
        timing: Timing {
            proposer_retry: retry_range(200),
            client_retry: retry_range(retry(retry_ms, "--retry-ms")?.as_millis() as u64),
        },
        faults: faults(inject)?,
        bind: parse_addr(bind, "--bind").map_err(Usage)?,
        timeout: Duration::from_millis(timeout_ms),
    })
}

/// Entry point of `paxos propose`: prints `decided V`.
pub fn propose_main(a: ProposeArgs) -> ExitCode {
    init_logging("warn");
    let cfg = match client_config(
        &a.members,
        &a.bind,
        a.timeout_ms,
        a.retry_ms,
        &a.inject_faults,
    ) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    let stop = stop_on_signals();
    match client::propose(&cfg, a.value, a.first, !a.no_query, &stop) {
        Ok(p) => {
            println!("decided {}", p.decided);
            if !a.no_query && p.learned.is_none() {
                eprintln!("note: no learner confirmed the decision within the time limit");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `paxos learn`: ask the learners what is decided.
#[derive(clap::Args, Clone, Debug)]
pub struct LearnArgs {
    /// Members, authentication and cluster id (the same as the nodes').
    #[command(flatten)]
    pub members: MemberArgs,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    pub timeout_ms: u64,
    /// Ask again the learners that did not answer after a random time in [MS, 2 MS).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub retry_ms: u64,
    /// Local address to send from.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: String,
}

/// Entry point of `paxos learn`: prints `learned V` or that no value is known yet.
pub fn learn_main(a: LearnArgs) -> ExitCode {
    init_logging("warn");
    let cfg = match client_config(&a.members, &a.bind, a.timeout_ms, a.retry_ms, &None) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    let stop = stop_on_signals();
    match client::learn(&cfg, &stop) {
        Ok(l) => {
            match l.value {
                Some(v) => println!("learned {v}"),
                None => println!(
                    "no value is known yet ({} of {} learners answered)",
                    l.answered, l.asked
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: Cmd,
    }
    #[derive(clap::Subcommand)]
    enum Cmd {
        Node(NodeArgs),
        Propose(ProposeArgs),
    }

    fn node(args: &[&str]) -> Result<NodeConfig, Usage> {
        let w = Wrap::try_parse_from(["paxos", "node"].iter().chain(args)).unwrap();
        let Cmd::Node(a) = w.cmd else { unreachable!() };
        node_config(&a)
    }

    const PEERS: &str = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003";

    #[test]
    fn node_flags_become_a_config() {
        let c = node(&[
            "--id",
            "1",
            "--peers",
            PEERS,
            "--data-dir",
            "d",
            "--retry-ms",
            "50",
            "--cluster-id",
            "0x10",
            "--inject-faults",
            "drop=0.5,seed=3",
        ])
        .unwrap();
        assert_eq!(c.index, 1);
        assert_eq!(c.cluster_id, 16);
        assert_eq!(c.timing.proposer_retry, retry_range(50));
        assert_eq!(c.faults.unwrap().seed, Some(3));
        let derived = node(&["--id", "0", "--peers", PEERS, "--data-dir", "d"]).unwrap();
        assert_eq!(derived.cluster_id, derived.membership.cluster_id());
    }

    #[test]
    fn bad_node_flags_are_usage_errors() {
        let d = ["--data-dir", "d"];
        let e = |args: &[&str]| node(&[args, &d[..]].concat()).unwrap_err().0;
        assert_eq!(
            e(&["--id", "3", "--peers", PEERS]),
            "--id 3: the member list has 3 members, so the id must be 0..=2"
        );
        assert_eq!(
            e(&["--id", "0", "--peers", PEERS, "--role", "acceptor"]),
            "--role acceptor: with --peers every member is a node; describe other roles in a \
             --cluster file"
        );
        assert_eq!(
            e(&["--id", "0", "--peers", PEERS, "--role", "boss"]),
            "unknown --role 'boss'; expected one of: node, proposer, acceptor, learner"
        );
        assert_eq!(
            e(&["--id", "0", "--peers", PEERS, "--retry-ms", "0"]),
            "--retry-ms 0: the retry timeout must be at least 1 ms"
        );
        assert_eq!(
            e(&["--id", "0"]),
            "the members are needed: give --peers ADDR,ADDR,... or --cluster FILE"
        );
        assert_eq!(
            e(&["--id", "0", "--peers", PEERS, "--inject-faults", "drop=x"]),
            "--inject-faults: drop=x: expected a probability between 0 and 1"
        );
        let missing = e(&[
            "--id",
            "0",
            "--peers",
            PEERS,
            "--cluster-key-file",
            "/nonexistent/key",
        ]);
        assert!(
            missing
                .starts_with("--cluster-key-file: cannot read cluster key file /nonexistent/key:"),
            "{missing}"
        );
    }

    #[test]
    fn propose_flags_become_a_client_config() {
        let w = Wrap::try_parse_from([
            "paxos",
            "propose",
            "7",
            "--peers",
            PEERS,
            "--retry-ms",
            "30",
            "--bind",
            "127.0.0.1:0",
        ])
        .unwrap();
        let Cmd::Propose(a) = w.cmd else {
            unreachable!()
        };
        assert_eq!(a.value, 7);
        let c = client_config(&a.members, &a.bind, a.timeout_ms, a.retry_ms, &None).unwrap();
        assert_eq!(c.timing.client_retry, retry_range(30));
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(
            client_config(&a.members, "nowhere", 1, 1, &None).unwrap_err(),
            Usage("--bind: 'nowhere' is not an IPv4 address:port such as 127.0.0.1:7001".into())
        );
        assert!(Wrap::try_parse_from(["paxos", "propose", "seven", "--peers", PEERS]).is_err());
    }
}
