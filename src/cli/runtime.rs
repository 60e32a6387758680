//! Command-line arguments and entry points of the runtime commands.
//!
//! [`crate::cli`] wires these as subcommands: `paxos new-cluster`, `paxos node`, `paxos cluster`,
//! `paxos propose`, `paxos learn`, `paxos status` (and `paxos bench`, see [`crate::bench::runtime`]).
//! Exit codes: 0 on success, 1 on a runtime failure (corrupt storage, no decision in time,
//! learners that disagree, ...), 2 on bad usage; usage errors print `error: ...` and a pointer
//! to `--help`.

use super::{usage_exit, Protocol, Usage};
use crate::runtime::client;
use crate::runtime::cluster::{free_loopback_addrs, new_cluster_files, CLUSTER_FILE};
use crate::runtime::codec::{ClusterKey, Keys};
use crate::runtime::config::{parse_addr, retry_range, Timing};
use crate::runtime::faults::FaultSpec;
use crate::runtime::identity::Incarnation;
use crate::runtime::node::{init_node, run_node};
use crate::runtime::MemberRole;
use crate::runtime::{init_logging, stop_on_signals};
use crate::single::deploy::{LocalCluster, Member, Membership, NodeConfig, Role, SingleDeploy};
use crate::single::programs::{self, LearnerAnswer, SingleClientConfig as ClientConfig};
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn parse_cluster_id(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a 64-bit number (decimal or 0x-prefixed hex)"))
}

/// The `--help` text about keys, shared by the commands.
const NO_KEY: &str = "no --key-file: datagrams are authenticated by default; give the key file \
     that `paxos new-cluster` (or `paxos cluster`) wrote, member.key for a node and client.key \
     for a client, or --insecure to run without authentication (anyone who can send from a \
     member's address is then that member)";

/// How a process finds the cluster and authenticates: shared by every runtime command.
#[derive(clap::Args, Clone, Debug)]
pub struct MemberArgs {
    /// Every member's address, in the same order for every process; each member is a merged
    /// node (proposer, acceptor and learner).
    #[arg(long, value_name = "ADDR,ADDR,...", conflicts_with = "cluster")]
    pub peers: Option<String>,
    /// A cluster file instead of --peers: one member per line, "ROLE ADDRESS", ROLE one of
    /// node, proposer, acceptor, learner, and one "incarnation HEX" line ('#' starts a comment
    /// line); `paxos new-cluster` writes one.
    #[arg(long, value_name = "FILE")]
    pub cluster: Option<PathBuf>,
    /// Key file: member.key for a node (member and client keys), client.key for a client
    /// (client key only), as `paxos new-cluster` writes them.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub key_file: Option<PathBuf>,
    /// Run without authentication: anyone who can send from a member's address is that member.
    #[arg(long)]
    pub insecure: bool,
    /// Cluster id on the wire, decimal or 0x-hex (default: derived from the ordered member
    /// list and roles). A node records it at --init and must be given it at every start.
    #[arg(long, value_name = "ID", value_parser = parse_cluster_id)]
    pub cluster_id: Option<u64>,
    /// The cluster's incarnation (32 hex digits), when the cluster file has none.
    #[arg(long, value_name = "HEX", value_parser = Incarnation::parse)]
    pub incarnation: Option<Incarnation>,
}

impl MemberArgs {
    fn membership(&self) -> Result<Membership, Usage> {
        let mut m = match (&self.peers, &self.cluster) {
            (Some(p), None) => Membership::from_peers(p).map_err(Usage)?,
            (None, Some(f)) => Membership::load(f).map_err(Usage)?,
            _ => {
                return Err(Usage(
                    "the members are needed: give --peers ADDR,ADDR,... or --cluster FILE".into(),
                ))
            }
        };
        match (m.incarnation, self.incarnation) {
            (Some(a), Some(b)) if a != b => {
                return Err(Usage(format!(
                    "--incarnation {b}: the cluster file names incarnation {a}"
                )))
            }
            (None, Some(b)) => m.incarnation = Some(b),
            _ => {}
        }
        Ok(m)
    }

    fn cluster_id(&self, m: &Membership) -> u64 {
        self.cluster_id.unwrap_or_else(|| m.cluster_id())
    }

    /// A node's keys: `None` with `--insecure`.
    fn member_keys(&self) -> Result<Option<Keys>, Usage> {
        let Some(f) = &self.key_file else {
            return if self.insecure {
                Ok(None)
            } else {
                Err(Usage(NO_KEY.into()))
            };
        };
        let keys = Keys::load(f).map_err(|e| Usage(format!("--key-file: {e}")))?;
        if keys.member.is_none() {
            return Err(Usage(format!(
                "--key-file {}: a client key file; a node needs the member key file \
                 (member.key), which holds the member key as well",
                f.display()
            )));
        }
        Ok(Some(keys))
    }

    /// A client's key: `None` with `--insecure`.
    fn client_key(&self) -> Result<Option<ClusterKey>, Usage> {
        match (&self.key_file, self.insecure) {
            (Some(f), _) => Keys::load(f)
                .map(|k| Some(k.client))
                .map_err(|e| Usage(format!("--key-file: {e}"))),
            (None, true) => Ok(None),
            (None, false) => Err(Usage(NO_KEY.into())),
        }
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

/// `paxos new-cluster`: create a cluster's shared files.
#[derive(clap::Args, Clone, Debug)]
pub struct NewClusterArgs {
    /// The protocol: `single` (single-decree Paxos, the default and so far the only one).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    /// Every member's address, in order; each member is a merged node.
    #[arg(long, value_name = "ADDR,ADDR,...", conflicts_with = "members")]
    pub peers: Option<String>,
    /// A file of "ROLE ADDRESS" lines instead of --peers (as for `paxos node --cluster`).
    #[arg(long, value_name = "FILE")]
    pub members: Option<PathBuf>,
    /// Directory to write cluster.txt, member.key and client.key to (none may exist yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Entry point of `paxos new-cluster`.
pub fn new_cluster_main(a: NewClusterArgs) -> ExitCode {
    let m = match (&a.peers, &a.members) {
        (Some(p), None) => Membership::from_peers(p),
        (None, Some(f)) => Membership::load(f),
        _ => Err("the members are needed: give --peers ADDR,ADDR,... or --members FILE".into()),
    };
    let m =
        match m {
            Ok(m) if m.incarnation.is_some() => return usage_exit(Usage(
                "--members: the file already names an incarnation; a new cluster gets a new one"
                    .into(),
            )),
            Ok(m) => m,
            Err(e) => return usage_exit(Usage(e)),
        };
    match new_cluster_files(&a.out, &m) {
        Ok(m) => {
            let dir = a.out.display();
            println!(
                "new cluster: {} members, cluster id {:#018x}, incarnation {}",
                m.members.len(),
                m.cluster_id(),
                m.incarnation.expect("a new cluster has one")
            );
            println!("  {dir}/{CLUSTER_FILE}  members and incarnation (for every process)");
            println!("  {dir}/member.key   member and client keys, mode 0600 (nodes only)");
            println!("  {dir}/client.key   client key, mode 0600 (clients)");
            println!("Initialise each member once, then start it:");
            println!(
                "  paxos node --init --id I --cluster {dir}/{CLUSTER_FILE} --key-file \
                 {dir}/member.key --data-dir DIR"
            );
            println!(
                "  paxos node --id I --cluster {dir}/{CLUSTER_FILE} --key-file {dir}/member.key \
                 --data-dir DIR"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `paxos node`: run one member of a cluster.
#[derive(clap::Args, Clone, Debug)]
pub struct NodeArgs {
    /// The protocol: `single` (single-decree Paxos, the default and so far the only one).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    /// This node's index in the member list (0 is the first).
    #[arg(long)]
    pub id: usize,
    /// Members, authentication, cluster id and incarnation.
    #[command(flatten)]
    pub members: MemberArgs,
    /// Directory for this node's durable record; it must have been initialised (--init).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Initialise the data directory for this member (it must not exist or be empty) and exit.
    /// Only for a member that never ran: a member whose disk was lost must not rejoin under its
    /// old identity.
    #[arg(long)]
    pub init: bool,
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
    /// Run a member layout that no pinned model configuration checks (the checked ones: 3
    /// merged nodes, model `runtime`; 2 proposers, 3 acceptors and 1 learner, model
    /// `runtime-roles`). Safety does not depend on the layout, but no model explored it.
    #[arg(long)]
    pub unchecked_layout: bool,
    /// FOR TESTS ONLY: drop, duplicate and delay this node's outgoing datagrams on purpose,
    /// e.g. drop=0.1,dup=0.05,delay=0.2,delay-ms=20,seed=7 or drop-except:Accept=ADDR
    /// (see paxos::runtime::faults).
    #[arg(long, value_name = "SPEC")]
    pub inject_faults: Option<String>,
}

/// The refusal of a layout no pinned model checks.
fn unchecked_layout_message(layout: &str) -> String {
    format!(
        "the member layout ({layout}) is not one a pinned model configuration checks; the \
         checked layouts are 3 merged nodes (model `runtime`) and 2 proposers, 3 acceptors and \
         1 learner (model `runtime-roles`); pass --unchecked-layout to run it anyway"
    )
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
    if membership.checked_model().is_none() && !a.unchecked_layout {
        return Err(Usage(unchecked_layout_message(
            &membership.layout_summary(),
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
        cluster_id: a.members.cluster_id(&membership),
        incarnation: membership.incarnation,
        membership,
        index: a.id,
        data_dir: a.data_dir.clone(),
        timing: Timing {
            member_retry: retry_range(retry(a.retry_ms, "--retry-ms")?.as_millis() as u64),
            client_retry: retry_range(1000),
        },
        keys: a.members.member_keys()?,
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
    if cfg.membership.checked_model().is_none() {
        tracing::warn!(
            layout = %cfg.membership.layout_summary(),
            "UNCHECKED LAYOUT: no pinned model configuration explored this member layout"
        );
    }
    let result = if a.init {
        init_node::<SingleDeploy>(&cfg)
    } else {
        run_node::<SingleDeploy>(&cfg, &stop_on_signals()).map(|_| ())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `paxos cluster`: run a local cluster of node processes until Ctrl-C.
#[derive(clap::Args, Clone, Debug)]
pub struct ClusterArgs {
    /// The protocol: `single` (single-decree Paxos, the default and so far the only one).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    /// Number of nodes (merged proposer+acceptor+learner), at least 3.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Directory for the cluster file, keys, the nodes' data directories and logs. A directory
    /// that already holds a cluster of this size is started again as it is (same addresses,
    /// incarnation, keys and records); a new one is created with a fresh incarnation and keys.
    #[arg(long, value_name = "DIR", default_value = "./cluster")]
    pub dir: PathBuf,
    /// First port of a new cluster: node I listens on 127.0.0.1:(P+I) (default: free ports).
    #[arg(long, value_name = "P")]
    pub base_port: Option<u16>,
    /// Proposer retry timeout of the nodes (see `paxos node --retry-ms`).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub retry_ms: u64,
    /// Run nodes and print client commands without authentication.
    #[arg(long)]
    pub insecure: bool,
    /// Allow --nodes other than 3 (see `paxos node --unchecked-layout`).
    #[arg(long)]
    pub unchecked_layout: bool,
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
    if a.nodes != 3 && !a.unchecked_layout {
        return Err(Usage(format!(
            "--nodes {}: {}",
            a.nodes,
            unchecked_layout_message(&format!("{} nodes", a.nodes))
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
    free_loopback_addrs(a.nodes).map_err(|e| Usage(format!("cannot find free ports: {e}")))
}

/// The cluster `paxos cluster` runs: the one in `a.dir`, or a new one.
fn local_cluster(
    a: &ClusterArgs,
    exe: &std::path::Path,
    dir: &std::path::Path,
) -> Result<LocalCluster, Usage> {
    if dir.join(CLUSTER_FILE).exists() {
        let c = LocalCluster::open(exe, dir).map_err(|e| Usage(format!("--dir: {e}")))?;
        let n = c.membership.members.len();
        if n != a.nodes || c.membership.members.iter().any(|m| m.role != Role::Node) {
            return Err(Usage(format!(
                "--dir {}: it holds another cluster ({n} members); use another directory",
                dir.display()
            )));
        }
        if a.base_port.is_some_and(|p| c.addr(0).port() != p) {
            return Err(Usage(format!(
                "--base-port: the cluster in {} listens from port {}",
                dir.display(),
                c.addr(0).port()
            )));
        }
        return Ok(c);
    }
    let addrs = cluster_addrs(a)?;
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
    LocalCluster::create(exe, dir, membership)
        .map_err(|e| Usage(format!("cannot create a cluster in {}: {e}", dir.display())))
}

/// Entry point of `paxos cluster`.
pub fn cluster_main(a: ClusterArgs) -> ExitCode {
    init_logging("info");
    if let Err(u) = retry(a.retry_ms, "--retry-ms") {
        return usage_exit(u);
    }
    if let Err(u) = cluster_addrs(&ClusterArgs {
        base_port: None,
        ..a.clone()
    })
    .map(|_| ())
    {
        return usage_exit(u);
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the paxos executable: {e}");
            return ExitCode::from(1);
        }
    };
    let dir = std::path::absolute(&a.dir).unwrap_or_else(|_| a.dir.clone());
    let stop = stop_on_signals();
    let mut cluster = match local_cluster(&a, &exe, &dir) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    cluster.insecure = a.insecure;
    cluster.common_args = vec!["--retry-ms".into(), a.retry_ms.to_string()];
    if a.unchecked_layout {
        cluster.common_args.push("--unchecked-layout".into());
    }
    if let Err(e) = cluster.start_all() {
        eprintln!("error: {e}");
        eprintln!("(logs in {})", dir.display());
        return ExitCode::from(1);
    }
    print_cluster_banner(&cluster, a.nodes);
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

/// What `paxos cluster` prints once its nodes listen: the nodes and the commands to use them.
fn print_cluster_banner(cluster: &LocalCluster, nodes: usize) {
    let me = std::env::args().next().unwrap_or_else(|| "paxos".into());
    let flags = cluster.member_flags().join(" ");
    println!(
        "paxos cluster: {} nodes on 127.0.0.1, cluster id {:#018x}, incarnation {}",
        nodes,
        cluster.membership.cluster_id(),
        cluster
            .membership
            .incarnation
            .map_or("none".into(), |i| i.to_string())
    );
    for i in 0..nodes {
        println!(
            "  node {i}  {}  pid {}  data {}  log {}",
            cluster.addr(i),
            cluster.pid(i).unwrap_or(0),
            cluster.data_dir(i).display(),
            cluster.log_path(i).display()
        );
    }
    println!("Propose a value (prints the chosen one):");
    println!("  {me} propose 42 {flags}");
    println!("Ask the learners:");
    println!("  {me} learn {flags}");
    println!("Show each node's counters:");
    println!("  {me} status {flags}");
}

/// `paxos propose`: get a value chosen (or learn the one already chosen).
#[derive(clap::Args, Clone, Debug)]
pub struct ProposeArgs {
    /// The value to propose (an unsigned 64-bit integer).
    #[arg(value_name = "VALUE")]
    pub value: u64,
    /// Members, authentication and incarnation (the same as the nodes').
    #[command(flatten)]
    pub members: MemberArgs,
    /// Index (among the proposers) of the first proposer to ask; the next ones are asked in
    /// turn when one does not answer in time.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub first: usize,
    /// Give up after this many milliseconds without a decision.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Ask the next proposer after a random time in [MS, 2 MS) without an answer.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub retry_ms: u64,
    /// After the decision, wait this long for a majority of learners to confirm it.
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    pub confirm_ms: u64,
    /// Do not ask the learners to confirm the decision.
    #[arg(long, alias = "no-query")]
    pub no_confirm: bool,
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
    let incarnation = membership.incarnation.ok_or_else(|| {
        Usage(
            "the cluster's incarnation is needed: give the cluster file that `paxos \
             new-cluster` or `paxos cluster` wrote (--cluster FILE), or --incarnation HEX"
                .into(),
        )
    })?;
    Ok(ClientConfig {
        cluster_id: m.cluster_id(&membership),
        incarnation,
        membership,
        key: m.client_key()?,
        timing: Timing {
            member_retry: retry_range(200),
            client_retry: retry_range(retry(retry_ms, "--retry-ms")?.as_millis() as u64),
        },
        faults: faults(inject)?,
        bind: parse_addr(bind, "--bind").map_err(Usage)?,
        timeout: Duration::from_millis(timeout_ms),
        confirm: Duration::from_millis(3_000),
    })
}

/// Entry point of `paxos propose`: prints `decided V`.
pub fn propose_main(a: ProposeArgs) -> ExitCode {
    init_logging("warn");
    let mut cfg = match client_config(
        &a.members,
        &a.bind,
        a.timeout_ms,
        a.retry_ms,
        &a.inject_faults,
    ) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    cfg.confirm = Duration::from_millis(a.confirm_ms);
    let proposers = cfg.membership.proposers().len();
    if a.first >= proposers {
        return usage_exit(Usage(format!(
            "--first {}: the cluster has {proposers} proposer(s), so it must be 0..={}",
            a.first,
            proposers - 1
        )));
    }
    let stop = stop_on_signals();
    match programs::propose(&cfg, a.value, a.first, !a.no_confirm, &stop) {
        Ok(p) => {
            println!("decided {}", p.decided);
            if !a.no_confirm {
                let n = cfg.membership.learners().len();
                let majority = n / 2 + 1;
                if p.confirmed() < majority {
                    eprintln!(
                        "note: only {} of {n} learners confirmed the decision within {} ms (a \
                         majority is {majority}); the others may learn it later",
                        p.confirmed(),
                        a.confirm_ms
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `paxos learn`: ask every learner what is decided.
#[derive(clap::Args, Clone, Debug)]
pub struct LearnArgs {
    /// Members, authentication and incarnation (the same as the nodes').
    #[command(flatten)]
    pub members: MemberArgs,
    /// Wait at most this many milliseconds for every learner to answer (and to know).
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    pub timeout_ms: u64,
    /// Ask again the learners that did not answer or did not know after a random time in
    /// [MS, 2 MS).
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub retry_ms: u64,
    /// Print every learner's answer.
    #[arg(long, short)]
    pub verbose: bool,
    /// Local address to send from.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: String,
}

/// Entry point of `paxos learn`: prints `learned V` or that no value is known yet; exit code 1
/// when learners disagree or none answers.
pub fn learn_main(a: LearnArgs) -> ExitCode {
    init_logging("warn");
    let cfg = match client_config(&a.members, &a.bind, a.timeout_ms, a.retry_ms, &None) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    let stop = stop_on_signals();
    match programs::learn(&cfg, &stop) {
        Ok(l) => {
            if a.verbose {
                for (addr, answer) in &l.answers {
                    match answer {
                        LearnerAnswer::Knows(v) => println!("  {addr} learned {v}"),
                        LearnerAnswer::DoesNotKnow => println!("  {addr} does not know yet"),
                        LearnerAnswer::NoAnswer => println!("  {addr} did not answer"),
                    }
                }
            }
            let n = l.answers.len();
            match l.value() {
                Some(v) => {
                    let knows = l
                        .answers
                        .iter()
                        .filter(|(_, x)| matches!(x, LearnerAnswer::Knows(_)))
                        .count();
                    println!("learned {v}");
                    if knows < n {
                        eprintln!(
                            "note: {knows} of {n} learners know it; the others did not answer \
                             or did not know yet within {} ms",
                            a.timeout_ms
                        );
                    }
                }
                None => println!(
                    "no value is known yet ({} of {n} learners answered)",
                    l.answered()
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

/// `paxos status`: every node's counters.
#[derive(clap::Args, Clone, Debug)]
pub struct StatusArgs {
    /// The protocol: `single` (single-decree Paxos, the default and so far the only one).
    #[arg(value_enum, default_value = "single")]
    pub protocol: Protocol,
    /// Members, authentication and incarnation (the same as the nodes').
    #[command(flatten)]
    pub members: MemberArgs,
    /// Wait at most this many milliseconds for the nodes to answer.
    #[arg(long, value_name = "MS", default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Local address to send from.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: String,
}

/// Entry point of `paxos status`: one block per node; exit code 1 when a node did not answer.
pub fn status_main(a: StatusArgs) -> ExitCode {
    init_logging("warn");
    let cfg = match client_config(&a.members, &a.bind, a.timeout_ms, 100, &None) {
        Ok(c) => c,
        Err(u) => return usage_exit(u),
    };
    let stop = stop_on_signals();
    let answers = match client::status(&cfg, &stop) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let missing = answers.iter().filter(|(_, s)| s.is_none()).count();
    if a.json {
        let nodes: Vec<serde_json::Value> = answers
            .iter()
            .map(|(addr, st)| {
                serde_json::json!({
                    "addr": addr.to_string(),
                    "answered": st.is_some(),
                    "stats": st.as_ref().map(|s| serde_json::json!({
                        "member": s.member,
                        "incarnation": format!("{:032x}", s.incarnation),
                        "authenticated": s.authenticated,
                        "uptime_ms": s.uptime_ms,
                        "counters": s.counters,
                        "save_us": {"p50": s.save_us[0], "p99": s.save_us[1], "max": s.save_us[2]},
                    })),
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "nodes": nodes }));
    } else {
        for (addr, st) in &answers {
            match st {
                None => println!("{addr}: no answer within {} ms", a.timeout_ms),
                Some(s) => {
                    println!(
                        "{addr}: member {}, incarnation {:032x}, {}, up {:.1} s",
                        s.member,
                        s.incarnation,
                        if s.authenticated {
                            "authenticated"
                        } else {
                            "INSECURE (no keys)"
                        },
                        s.uptime_ms as f64 / 1000.0
                    );
                    println!(
                        "  saves {} (fdatasync p50 {} us, p99 {} us, max {} us over the last {})",
                        s.counters.saves,
                        s.save_us[0],
                        s.save_us[1],
                        s.save_us[2],
                        s.counters
                            .saves
                            .min(crate::runtime::event_loop::SAVE_WINDOW as u64)
                    );
                    println!("  {}", s.counters);
                }
            }
        }
    }
    if missing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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
    const INC: &str = "0123456789abcdef0123456789abcdef";

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
            "--insecure",
            "--incarnation",
            INC,
        ])
        .unwrap();
        assert_eq!(c.index, 1);
        assert_eq!(c.cluster_id, 16);
        assert_eq!(c.timing.member_retry, retry_range(50));
        assert_eq!(c.faults.unwrap().seed, Some(3));
        assert_eq!(c.incarnation, Some(Incarnation::parse(INC).unwrap()));
        assert!(c.keys.is_none());
        let derived = node(&[
            "--id",
            "0",
            "--peers",
            PEERS,
            "--data-dir",
            "d",
            "--insecure",
        ])
        .unwrap();
        assert_eq!(derived.cluster_id, derived.membership.cluster_id());
        assert_eq!(derived.incarnation, None);
    }

    #[test]
    fn bad_node_flags_are_usage_errors() {
        let d = ["--data-dir", "d", "--insecure"];
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
        let keyed = |extra: &[&str]| {
            node(&[&["--id", "0", "--peers", PEERS, "--data-dir", "d"], extra].concat())
                .unwrap_err()
                .0
        };
        let missing = keyed(&["--key-file", "/nonexistent/key"]);
        assert!(
            missing.starts_with("--key-file: key file /nonexistent/key: No such file"),
            "{missing}"
        );
        assert!(keyed(&[]).starts_with("no --key-file: datagrams are authenticated by default"));
        let tmp = tempfile::tempdir().unwrap();
        let (_, client) = Keys::generate().unwrap();
        let client_file = tmp.path().join("client.key");
        std::fs::write(&client_file, client).unwrap();
        let f = client_file.display().to_string();
        assert_eq!(
            keyed(&["--key-file", &f]),
            format!(
                "--key-file {f}: a client key file; a node needs the member key file \
                 (member.key), which holds the member key as well"
            )
        );
        assert!(Wrap::try_parse_from([
            "paxos",
            "node",
            "--id",
            "0",
            "--peers",
            PEERS,
            "--data-dir"
        ])
        .is_err());
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
            "--insecure",
        ])
        .unwrap();
        let Cmd::Propose(a) = w.cmd else {
            unreachable!()
        };
        assert_eq!(a.value, 7);
        assert_eq!(
            client_config(&a.members, &a.bind, a.timeout_ms, a.retry_ms, &None).unwrap_err(),
            Usage(
                "the cluster's incarnation is needed: give the cluster file that `paxos \
                 new-cluster` or `paxos cluster` wrote (--cluster FILE), or --incarnation HEX"
                    .into()
            )
        );
        let mut a = a;
        a.members.incarnation = Some(Incarnation::parse(INC).unwrap());
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
