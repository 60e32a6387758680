//! The runtime with real `paxos` processes on loopback: agreement between concurrent clients,
//! crash and restart with durable storage, a proposer failing halfway through phase 2, refusal
//! to start on a damaged record, and hostile datagrams.
//!
//! Every wait is bounded; every process is killed when its guard (or the cluster) is dropped.

mod runtime_support;

use paxos::ballot::Ballot;
use paxos::runtime::codec::{ClusterKey, Codec, Keys, Sender};
use paxos::runtime::event_loop::Counters;
use paxos::runtime::identity::Incarnation;
use paxos::runtime::storage::{DataDir, RecordStore, STORAGE_FILE};
use paxos::single::deploy::Role;
use paxos::single::{Msg, Storage};
use runtime_support::*;
use std::fs;
use std::net::UdpSocket;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn two_concurrent_clients_get_the_same_value() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cluster(tmp.path(), merged(3), &["--retry-ms", "30"]);
    let a = spawn(&propose_args(&c, 1, &["--first", "0", "--retry-ms", "100"]));
    let b = spawn(&propose_args(&c, 2, &["--first", "1", "--retry-ms", "100"]));
    let (a, b) = (a.wait(), b.wait());
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
    let chosen = stdout(&a);
    assert!(
        chosen == "decided 1\n" || chosen == "decided 2\n",
        "{chosen}"
    );
    // Neither client printed the learner note: a learner confirmed the same value.
    assert_eq!(stderr(&a), "");
    assert_eq!(stderr(&b), "");
    let mut learn = vec!["learn".to_string()];
    learn.extend(c.member_flags());
    let l = run(&learn);
    assert_eq!(stdout(&l), chosen.replace("decided", "learned"));
}

#[test]
fn a_killed_acceptor_keeps_its_promise_and_vote() {
    let tmp = tempfile::tempdir().unwrap();
    // Long proposer retries: without faults nothing is retried, so every ballot is exact.
    let mut c = cluster(tmp.path(), merged(3), &["--retry-ms", "2000"]);
    let o = run(&propose_args(&c, 5, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 5\n", "{}", stderr(&o));

    let voted = Storage {
        promised: Some(Ballot::new(1, 0)),
        accepted: Some((Ballot::new(1, 0), 5)),
        round: 0,
        learned: Some(5),
    };
    assert!(
        wait_until(WAIT, || storage(&c, 2) == Some(voted.clone())),
        "{:?}",
        storage(&c, 2)
    );
    c.kill(2); // SIGKILL: no shutdown code runs
    assert_eq!(storage(&c, 2), Some(voted));

    c.start(2, &[]).unwrap();
    assert!(c
        .log(2)
        .contains("restored record=Storage { promised: 1.0, accepted: 5@1.0, learned: 5 }"));
    // A proposal through the restarted node: its own promise reports the vote, so it
    // proposes 5 again at its own ballot 1.2 instead of its client's 9.
    let o = run(&propose_args(&c, 9, &["--first", "2"]));
    assert_eq!(stdout(&o), "decided 5\n", "{}", stderr(&o));
    let revoted = Storage {
        promised: Some(Ballot::new(1, 2)),
        accepted: Some((Ballot::new(1, 2), 5)),
        round: 1,
        learned: Some(5),
    };
    assert!(
        wait_until(WAIT, || storage(&c, 2) == Some(revoted.clone())),
        "{:?}",
        storage(&c, 2)
    );
}

#[test]
fn a_half_accepted_value_is_completed_after_its_proposer_dies() {
    use Role::*;
    let tmp = tempfile::tempdir().unwrap();
    // P0, P1, A2, A3, A4, L5.
    let m = members(&[Proposer, Proposer, Acceptor, Acceptor, Acceptor, Learner]);
    let mut c = create(tmp.path(), m);
    c.common_args = args(&["--retry-ms", "5000"]);
    let only_a2 = format!("drop-except:Accept={}", c.addr(2));
    // P0 leads: it prepares ballot 1.0 as soon as it starts, so it starts last.
    for i in 1..6 {
        c.start(i, &[]).unwrap();
    }
    c.start(0, &args(&["--inject-faults", &only_a2])).unwrap();
    assert!(c.log(0).contains("FAULT INJECTION IS ON"));

    // Client 1 asks P0 (and, with a one-minute retry, nobody else).
    let first = spawn(&propose_args(
        &c,
        11,
        &[
            "--first",
            "0",
            "--retry-ms",
            "60000",
            "--timeout-ms",
            "20000",
        ],
    ));
    let b10 = Ballot::new(1, 0);
    let half = Storage {
        promised: Some(b10),
        accepted: Some((b10, 11)),
        ..Storage::default()
    };
    let promised_only = Storage {
        promised: Some(b10),
        ..Storage::default()
    };
    assert!(wait_until(WAIT, || storage(&c, 2) == Some(half.clone())
        && storage(&c, 3) == Some(promised_only.clone())
        && storage(&c, 4) == Some(promised_only.clone())));

    // P0 dies with its value accepted by A2 alone; its client gives up with it.
    c.kill(0);
    drop(first);
    // Take A4 down too, so any majority of acceptors must include A2.
    c.kill(4);

    let o = run(&propose_args(
        &c,
        22,
        &["--first", "1", "--retry-ms", "200"],
    ));
    assert_eq!(stdout(&o), "decided 11\n", "{}", stderr(&o));
    let b11 = Ballot::new(1, 1);
    let completed = Storage {
        promised: Some(b11),
        accepted: Some((b11, 11)),
        ..Storage::default()
    };
    assert!(wait_until(WAIT, || storage(&c, 2)
        == Some(completed.clone())
        && storage(&c, 3) == Some(completed.clone())));
    assert_eq!(
        storage(&c, 1),
        Some(Storage {
            round: 1,
            ..Storage::default()
        })
    );
    assert_eq!(
        storage(&c, 5),
        Some(Storage {
            learned: Some(11),
            ..Storage::default()
        })
    );

    // A4 comes back knowing only its old promise; the learner's answer is unchanged.
    c.start(4, &[]).unwrap();
    assert_eq!(storage(&c, 4), Some(promised_only));
    let mut learn = vec!["learn".to_string()];
    learn.extend(c.member_flags());
    assert_eq!(stdout(&run(&learn)), "learned 11\n");
}

/// Starts node 0 of `c` in the foreground and returns (exit code, stdout, stderr).
fn start_node_0(c: &paxos::single::deploy::LocalCluster) -> (Option<i32>, String, String) {
    let o = run(&c.node_args(0, &[]));
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn a_damaged_record_stops_the_node_and_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let c = create(tmp.path(), merged(3));
    let dir = c.data_dir(0);
    let record = Storage {
        promised: Some(Ballot::new(4, 1)),
        accepted: Some((Ballot::new(3, 2), 77)),
        round: 0,
        learned: None,
    };
    DataDir::open(&dir, &identity(&c, 0), true)
        .unwrap()
        .save(&record)
        .unwrap();
    let path = dir.join(STORAGE_FILE);
    let good = fs::read(&path).unwrap();
    // Two 4096-byte slots; the record (9 payload bytes) is in slot 0, slot 1 holds the
    // initialisation record.
    assert_eq!(good.len(), 8192);
    assert_eq!(u32::from_le_bytes(good[20..24].try_into().unwrap()), 9);
    let refuse = |what: &str| {
        format!(
            "error: cannot start: storage file {} is unusable: {what}; refusing to start with \
             an empty state\n",
            path.display()
        )
    };

    // Truncated: part of the file is gone.
    fs::write(&path, &good[..700]).unwrap();
    assert_eq!(
        start_node_0(&c),
        (
            Some(1),
            String::new(),
            refuse(
                "bad length: the file has 700 bytes, expected two slots of a multiple of 4096 \
                 bytes each (truncated or extended)"
            )
        )
    );

    // A flipped bit in the vote.
    let mut flipped = good.clone();
    flipped[28 + 5] ^= 0x04;
    fs::write(&path, &flipped).unwrap();
    let stored = u32::from_le_bytes(good[24..28].try_into().unwrap());
    let mut h = crc32fast::Hasher::new();
    h.update(&flipped[..24]);
    h.update(&flipped[28..28 + 9]);
    let computed = h.finalize();
    assert_eq!(
        start_node_0(&c),
        (
            Some(1),
            String::new(),
            refuse(&format!(
                "slot 0 (at byte 0): checksum mismatch: stored crc32 {stored:08x}, contents \
                 have {computed:08x}"
            ))
        )
    );

    // Something else entirely.
    let mut other = b"{\"promised\": 4}".to_vec();
    other.resize(8192, b' ');
    fs::write(&path, &other).unwrap();
    assert_eq!(
        start_node_0(&c).2,
        refuse("slot 0 (at byte 0): bad magic: starts with 7b 22 70 72, expected \"PXST\"")
    );

    // The intact record starts the node.
    fs::write(&path, &good).unwrap();
    let mut c = c;
    c.start(0, &[]).unwrap();
    assert!(c
        .log(0)
        .contains("restored record=Storage { promised: 4.1, accepted: 77@3.2 }"));
}

#[test]
fn a_node_refuses_another_members_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let c = create(tmp.path(), merged(3));
    let mut args = c.node_args(1, &[]);
    let at = args.iter().position(|a| a == "--data-dir").unwrap() + 1;
    args[at] = c.data_dir(0).display().to_string();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot start: data directory does not belong to this node ({}): it belongs \
             to member 0, not to member 1; its promises are not this node's\n",
            c.data_dir(0).join("paxos.member").display()
        )
    );
}

#[test]
fn two_nodes_cannot_share_a_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = create(tmp.path(), merged(3));
    c.start(0, &[]).unwrap();
    let lock = c.data_dir(0).join("paxos.lock");
    assert_eq!(
        start_node_0(&c),
        (
            Some(1),
            String::new(),
            format!(
                "error: cannot start: data directory is in use by another node (lock {} is \
                 held)\n",
                lock.display()
            )
        )
    );
}

#[test]
fn hostile_datagrams_are_dropped_and_counted_and_the_cluster_still_decides() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cluster(&tmp.path().join("c"), merged(3), &["--retry-ms", "2000"]);
    let id = c.membership.cluster_id();
    let inc = c.membership.incarnation.unwrap();
    let keys = member_keys(&c);
    let ours = Codec::member(id, inc, Some(keys.clone()));
    let client = Codec::client(id, inc, Some(keys.client.clone()));
    let forged = Codec::member(
        id,
        inc,
        Some(Keys {
            member: Some(ClusterKey::new(&[7u8; 32]).unwrap()),
            client: ClusterKey::new(&[8u8; 32]).unwrap(),
        }),
    );
    let plain = Codec::member(id, inc, None);
    let other_cluster = Codec::member(id ^ 1, inc, Some(keys.clone()));
    let other_life = Codec::member(id, Incarnation(inc.0 ^ 1), Some(keys));
    let evil_prepare = Msg::Prepare(Ballot::new(9, 1));

    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = c.addr(0);
    let datagrams: Vec<Vec<u8>> = vec![
        Vec::new(),                                                       // malformed: empty
        b"hello, paxos".to_vec(),                                         // malformed: garbage
        vec![0x50; 2000],                                                 // oversized
        forged.encode(Sender::Member(1), &evil_prepare), // unauthenticated: wrong key
        plain.encode(Sender::Client, &Msg::Propose(66)), // unauthenticated: no tag
        client.encode(Sender::Member(1), &evil_prepare), // unauthenticated: a client's key
        other_cluster.encode(Sender::Client, &Msg::Query), // wrong cluster
        other_life.encode(Sender::Member(1), &evil_prepare), // wrong incarnation
        ours.encode(Sender::Member(1), &evil_prepare),   // unknown sender: not node 1
        ours.encode(Sender::Client, &Msg::Accept(Ballot::new(9, 1), 66)), // unknown sender
    ];
    for d in &datagrams {
        s.send_to(d, to).unwrap();
    }

    let o = run(&propose_args(&c, 3, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 3\n", "{}", stderr(&o));
    // Had the forged Prepare(9.1) been admitted, node 0 would have promised 9.1.
    assert!(wait_until(WAIT, || storage(&c, 0)
        == Some(Storage {
            promised: Some(Ballot::new(1, 0)),
            accepted: Some((Ballot::new(1, 0), 3)),
            round: 1,
            learned: Some(3),
        })));
    // Without the key, a client is not heard at all.
    let mut keyless = propose_args(&c, 4, &["--timeout-ms", "300", "--insecure"]);
    let k = keyless.iter().position(|a| a == "--key-file").unwrap();
    keyless.drain(k..k + 2);
    let o = run(&keyless);
    assert_eq!(o.status.code(), Some(1));

    let status = c.terminate(0, WAIT).unwrap();
    assert_eq!(status.code(), Some(0));
    let log = c.log(0);
    let line = log
        .lines()
        .find(|l| l.contains("stopped; counters"))
        .unwrap_or_else(|| panic!("no shutdown line in:\n{log}"));
    let n = Counters::parse(line).unwrap();
    // Two garbage datagrams, one oversized, four unauthenticated (the forged tag, the
    // untagged Propose, a client's key on a member's message, and the keyless client's one
    // Propose before its 300 ms ran out), one from another cluster, one from another
    // incarnation, two from a non-member claiming what only members may send.
    assert_eq!(
        (
            n.malformed,
            n.oversized,
            n.unauthenticated,
            n.wrong_cluster,
            n.wrong_incarnation,
            n.unknown_sender,
            n.recv_errors,
            n.send_errors
        ),
        (2, 1, 4, 1, 1, 2, 0, 0),
        "{line}"
    );
}

#[test]
fn bad_usage_exits_with_code_2_and_a_message() {
    let o = run(&args(&[
        "node",
        "--id",
        "5",
        "--peers",
        "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3",
        "--data-dir",
        "/nonexistent",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --id 5: the member list has 3 members, so the id must be 0..=2\n\n\
         For more information, try '--help'.\n"
    );
    let o = run(&args(&[
        "propose",
        "1",
        "--peers",
        "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3",
        "--insecure",
        "--incarnation",
        "0123456789abcdef0123456789abcdef",
        "--inject-faults",
        "drop=7",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o)
        .starts_with("error: --inject-faults: drop=7: expected a probability between 0 and 1\n"));
    let o = run(&args(&["cluster", "--nodes", "2"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with(
        "error: --nodes 2: Paxos needs at least 3 nodes; a majority of 3 tolerates one failure\n"
    ));
    // Layouts no pinned model checks are refused unless asked for.
    let o = run(&args(&["cluster", "--nodes", "5"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with(
        "error: --nodes 5: the member layout (5 nodes) is not one a pinned model configuration \
         checks; the checked layouts are 3 merged nodes (model `runtime`) and 2 proposers, 3 \
         acceptors and 1 learner (model `runtime-roles`); pass --unchecked-layout to run it \
         anyway\n"
    ));
    let o = run(&args(&[
        "node",
        "--id",
        "0",
        "--data-dir",
        "/nonexistent",
        "--peers",
        "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4",
        "--insecure",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: the member layout (4 nodes) is not one a pinned model"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn paxos_cluster_prints_working_commands_and_stops_its_nodes_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cl");
    let mut guard = spawn_paxos_cluster(&dir);
    let child = guard.0.as_mut().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    while lines.last().map(String::as_str) != Some("Press Ctrl-C to stop the cluster.") {
        lines.push(rx.recv_timeout(WAIT).expect("the cluster's summary"));
    }
    assert!(lines[0].starts_with("paxos cluster: 3 nodes on 127.0.0.1, cluster id 0x"));
    let command = |prefix: &str| -> Vec<String> {
        let i = lines.iter().position(|l| l == prefix).unwrap();
        let words: Vec<String> = lines[i + 1].split_whitespace().map(String::from).collect();
        assert_eq!(words[0], exe().display().to_string());
        words[1..].to_vec()
    };
    let propose = command("Propose a value (prints the chosen one):");
    let learn = command("Ask the learners:");
    assert_eq!(propose[..2], args(&["propose", "42"]));
    let o = run(&propose);
    assert_eq!(stdout(&o), "decided 42\n", "{}", stderr(&o));
    assert_eq!(stdout(&run(&learn)), "learned 42\n");

    let pid = guard.0.as_ref().unwrap().id();
    paxos::runtime::cluster::signal(pid, libc::SIGTERM);
    let o = guard.wait();
    assert_eq!(o.status.code(), Some(0));
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(
        rest,
        vec![
            "stopping the nodes...".to_string(),
            format!("stopped; data kept in {}", dir.display())
        ]
    );
    for i in 0..3 {
        let log = fs::read_to_string(dir.join(format!("node-{i}.log"))).unwrap();
        assert!(log.contains("stopped; counters"), "{log}");
    }
}
