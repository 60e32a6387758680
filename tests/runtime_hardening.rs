//! Real `paxos` processes fed the inputs that used to make a cluster choose two values or learn
//! a value nobody proposed (zeroed record files, missing data directories, member lists in
//! another order or with other roles, forged and out-of-range datagrams, replays from an
//! earlier life of the cluster), and the client-side checks that report what learners know.
//!
//! Each test reproduces one attack end to end and asserts the refusal (with its exact message)
//! or the drop (with its counter), and that no second value is chosen. Every wait is bounded;
//! every process is killed when its guard (or the cluster) is dropped.

mod runtime_support;

use paxos::ballot::Ballot;
use paxos::runtime::codec::{Codec, Sender};
use paxos::runtime::event_loop::Counters;
use paxos::runtime::storage::{check_file, STORAGE_FILE};
use paxos::single::deploy::{LocalCluster, Member, Membership, Role};
use paxos::single::{Msg, Storage};
use runtime_support::*;
use std::fs;
use std::net::UdpSocket;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// `paxos node` for member `i` in the foreground: (exit code, stdout, stderr).
fn run_node(c: &LocalCluster, i: usize, extra: &[&str]) -> (Option<i32>, String, String) {
    let o = run(&c.node_args(i, &args(extra)));
    (o.status.code(), stdout(&o), stderr(&o))
}

/// The counters member `i` printed when it stopped (it must have been stopped by SIGTERM).
fn final_counters(c: &LocalCluster, i: usize) -> Counters {
    let log = c.log(i);
    let line = log
        .lines()
        .rfind(|l| l.contains("stopped; counters"))
        .unwrap_or_else(|| panic!("no shutdown line in:\n{log}"));
    Counters::parse(line).unwrap()
}

fn refused(path: &std::path::Path, what: &str) -> String {
    format!(
        "error: cannot start: storage file {} is unusable: {what}; refusing to start with an \
         empty state\n",
        path.display()
    )
}

const ZEROED: &str = "all zero bytes (zeroed by the disk, a truncate, fallocate or restore; every \
                      slot of an initialised file holds a record)";

/// Issue 10, repro 1: node 2 down, 111 chosen by nodes 0 and 1; all killed; node 1's record
/// file zeroed (whole, then only its newest slot); 1 and 2 restarted with 0 down. Node 1 used to
/// start empty and vote for 222. Now it refuses, naming file and slot, so 222 cannot be chosen.
#[test]
fn a_zeroed_record_file_stops_the_node_and_no_second_value_is_chosen() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = create(tmp.path(), merged(3));
    c.common_args = args(&["--retry-ms", "50"]);
    c.start(1, &[]).unwrap();
    c.start(0, &[]).unwrap();
    let o = run(&propose_args(&c, 111, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 111\n", "{}", stderr(&o));
    assert!(wait_until(WAIT, || storage(&c, 1)
        .is_some_and(|s| s.accepted.map(|(_, v)| v) == Some(111))));
    c.kill(0);
    c.kill(1);
    let path = c.data_dir(1).join(STORAGE_FILE);
    let good = fs::read(&path).unwrap();

    // The whole file zeroed, same length.
    fs::write(&path, vec![0u8; good.len()]).unwrap();
    assert_eq!(
        run_node(&c, 1, &[]),
        (
            Some(1),
            String::new(),
            refused(&path, &format!("slot 0 (at byte 0): {ZEROED}"))
        )
    );

    // Only the newest slot zeroed: it held the vote, the other slot only the promise.
    let newest = check_file(&good).unwrap().latest_slot;
    let half = good.len() / 2;
    let mut rolled_back = good.clone();
    rolled_back[newest * half..(newest + 1) * half].fill(0);
    fs::write(&path, &rolled_back).unwrap();
    assert_eq!(
        run_node(&c, 1, &[]),
        (
            Some(1),
            String::new(),
            refused(
                &path,
                &format!("slot {newest} (at byte {}): {ZEROED}", newest * half)
            )
        )
    );

    // With node 1 refusing, node 2 alone cannot get 222 chosen.
    c.start(2, &[]).unwrap();
    let o = run(&propose_args(
        &c,
        222,
        &["--first", "2", "--timeout-ms", "1500", "--no-confirm"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).starts_with("error: no answer within 1500 ms"));

    // The intact file back: node 1 remembers its vote, and 111 stays the only value.
    fs::write(&path, &good).unwrap();
    c.start(1, &[]).unwrap();
    let o = run(&propose_args(&c, 222, &["--first", "2"]));
    assert_eq!(stdout(&o), "decided 111\n", "{}", stderr(&o));
    let l = run(&learn_args(&c, &["--verbose"]));
    assert_eq!(
        stdout(&l),
        format!(
            "  {} did not answer\n  {} learned 111\n  {} learned 111\nlearned 111\n",
            c.addr(0),
            c.addr(1),
            c.addr(2)
        )
    );
}

/// Issue 10, repro 2: a restart with a mistyped or wiped data directory used to create an empty
/// one and start an acceptor that forgot its promises. Now only `--init` creates storage, and it
/// refuses a directory that holds one.
#[test]
fn a_missing_or_wiped_data_directory_is_refused_and_only_init_creates_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let c = create(tmp.path(), merged(3));
    let hint = "refusing to start an acceptor with no memory: a member's storage is created only \
                by initialisation, `paxos node --init` with the same flags, and only for a member \
                that never ran: a member whose disk was lost must not rejoin under its old \
                identity (README, \"Failure model and operator rules\")";
    let mut a = c.node_args(1, &[]);
    let at = a.iter().position(|x| x == "--data-dir").unwrap() + 1;
    let typo = tmp.path().join("node1");
    a[at] = typo.display().to_string();
    let o = run(&a);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot start: data directory {} does not exist; {hint}\n",
            typo.display()
        )
    );
    assert!(!typo.exists(), "a plain start creates nothing");

    // A wiped directory (empty, or with the files gone).
    fs::create_dir(&typo).unwrap();
    let o = run(&a);
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot start: data directory {} is not initialised (it has no \
             paxos.member); {hint}\n",
            typo.display()
        )
    );

    // `--init` creates it (and exits); a second `--init` refuses it; a start runs it.
    let mut init = a.clone();
    init.push("--init".into());
    let o = run(&init);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "paxos node 1 initialised {} (cluster id {:#018x}, incarnation {}); start it with \
             the same flags, without --init\n",
            typo.display(),
            c.membership.cluster_id(),
            c.membership.incarnation.unwrap()
        )
    );
    let o = run(&init);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot initialise {}: it is already initialised (it has \
             paxos.member); a member that has run must never be initialised again (its \
             promises would be forgotten)\n",
            typo.display()
        )
    );
    // Initialising needs the cluster's incarnation: --peers alone does not name one.
    let o = run(&args(&[
        "node",
        "--init",
        "--id",
        "0",
        "--peers",
        &c.peers(),
        "--insecure",
        "--data-dir",
        &tmp.path().join("fresh").display().to_string(),
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot initialise: the cluster's incarnation is needed (a cluster file with an \
         `incarnation` line, as `paxos new-cluster` writes, or --incarnation HEX); every member \
         of one cluster is initialised with the same one\n"
    );
}

/// Issue 10, repro 3: five addresses, file x `node A, node B, node C, learner D, learner E`
/// and file y `learner A, learner B, node C, node D, node E` used to give the same cluster id,
/// and A and C shared proposer index 0. Now the id covers the ordered roles, a data directory
/// records the member list it was initialised for, and an explicit `--cluster-id` is recorded.
#[test]
fn the_identity_covers_the_ordered_roles_and_an_explicit_cluster_id() {
    use Role::*;
    let tmp = tempfile::tempdir().unwrap();
    let x = members(&[Node, Node, Node, Learner, Learner]);
    let roles_y = [Learner, Learner, Node, Node, Node];
    let y = Membership {
        members: x
            .members
            .iter()
            .zip(roles_y)
            .map(|(m, role)| Member { role, addr: m.addr })
            .collect(),
        incarnation: None,
    };
    assert_ne!(x.cluster_id(), y.cluster_id());
    let mut cx = create(&tmp.path().join("x"), x.clone());
    cx.common_args = args(&["--retry-ms", "50", "--unchecked-layout"]);
    cx.start_all().unwrap();
    let o = run(&propose_args(&cx, 1, &[]));
    assert_eq!(stdout(&o), "decided 1\n", "{}", stderr(&o));

    // A client of y, with x's incarnation and keys, is not heard by x's nodes.
    let y_file = tmp.path().join("y.txt");
    let y_with_inc = Membership {
        incarnation: cx.membership.incarnation,
        ..y.clone()
    };
    fs::write(&y_file, y_with_inc.to_file_text()).unwrap();
    let mut py = propose_args(&cx, 2, &["--first", "1", "--timeout-ms", "500"]);
    let at = py.iter().position(|a| a == "--cluster").unwrap() + 1;
    py[at] = y_file.display().to_string();
    let o = run(&py);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    // Node C (index 2) started with y's list on its x directory is refused.
    cx.kill(2);
    let mut ny = cx.node_args(2, &[]);
    let at = ny.iter().position(|a| a == "--cluster").unwrap() + 1;
    ny[at] = y_file.display().to_string();
    let o = run(&ny);
    assert_eq!(o.status.code(), Some(1));
    // The layout (3 nodes, 2 learners) is not one a pinned model checks: the node was started
    // with --unchecked-layout and says so first.
    let err = stderr(&o);
    let (warning, err) = err.split_once('\n').unwrap();
    assert!(
        warning.ends_with(
            "UNCHECKED LAYOUT: no pinned model configuration explored this member layout \
             layout=3 nodes, 2 learners"
        ),
        "{warning}"
    );
    assert_eq!(
        err,
        format!(
            "error: cannot start: data directory does not belong to this node ({}): it was \
             initialised for another member list: member 0 is 'node {}' there and 'learner {}' \
             here (the list's order and roles are part of a cluster's identity); its promises \
             are not this node's\n",
            cx.data_dir(2).join("paxos.member").display(),
            x.members[0].addr,
            x.members[0].addr
        )
    );
    // x's nodes dropped y's client datagrams as another cluster's.
    cx.stop_all(WAIT);
    let wrong: u64 = [0, 1, 3, 4]
        .iter()
        .map(|&i| final_counters(&cx, i).wrong_cluster)
        .sum();
    assert!(wrong >= 1, "{wrong}");

    // An explicit cluster id given at initialisation is recorded and required at every start.
    let mut c = create(&tmp.path().join("explicit"), merged(3));
    let dir = c.data_dir(0);
    fs::remove_dir_all(&dir).unwrap();
    let (code, _, err) = run_node(&c, 0, &["--init", "--cluster-id", "0x10"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        run_node(&c, 0, &[]).2,
        format!(
            "error: cannot start: data directory does not belong to this node ({}): it was \
             initialised with cluster id 0x0000000000000010, this start has {:#018x} (an \
             explicit --cluster-id given at initialisation must be given at every start); its \
             promises are not this node's\n",
            dir.join("paxos.member").display(),
            c.membership.cluster_id()
        )
    );
    c.start(0, &args(&["--cluster-id", "0x10"])).unwrap();
}

/// Issue 10, repro 4: without a key anyone sending from a member's address was that member:
/// `Chosen(1.2, 666)` from node 2's port made `paxos learn` print 666, and `Prepare(4294967295.2)`
/// was durably promised and could never be out-bid. Now nodes refuse to run without keys (unless
/// `--insecure`), a client's key cannot make a member's datagram, and a round at the top of its
/// range is dropped and counted.
#[test]
fn forged_members_and_out_of_range_ballots_are_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = create(tmp.path(), merged(3));
    c.common_args = args(&["--retry-ms", "50"]);

    // No key, no --insecure: usage error.
    let mut keyless = c.node_args(0, &[]);
    let k = keyless.iter().position(|a| a == "--key-file").unwrap();
    keyless.drain(k..k + 2);
    let o = run(&keyless);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with(
        "error: no --key-file: datagrams are authenticated by default; give the key file that \
         `paxos new-cluster` (or `paxos cluster`) wrote, member.key for a node and client.key for \
         a client, or --insecure to run without authentication"
    ));

    c.start(1, &[]).unwrap();
    c.start(0, &[]).unwrap();
    // Node 2 is down; a process binds its port and speaks as member 2.
    let id = c.membership.cluster_id();
    let inc = c.membership.incarnation.unwrap();
    let keys = member_keys(&c);
    let as_client = Codec::client(id, inc, Some(keys.client.clone()));
    let as_member = Codec::member(id, inc, Some(keys));
    let s = UdpSocket::bind(c.addr(2)).unwrap();
    for to in [c.addr(0), c.addr(1)] {
        // What a client could forge: the client key on a member's message.
        s.send_to(
            &as_client.encode(Sender::Member(2), &Msg::Chosen(Ballot::new(1, 2), 666)),
            to,
        )
        .unwrap();
        // What only a member could send, out of range: no ballot could ever out-bid it.
        s.send_to(
            &as_member.encode(Sender::Member(2), &Msg::Prepare(Ballot::new(u32::MAX, 2))),
            to,
        )
        .unwrap();
    }
    drop(s);
    let l = run(&learn_args(&c, &["--timeout-ms", "2000"]));
    assert_eq!(
        stdout(&l),
        "no value is known yet (2 of 3 learners answered)\n",
        "{}",
        stderr(&l)
    );
    for i in [0, 1] {
        let st = storage(&c, i).unwrap_or_default();
        assert!(
            st.promised.is_none_or(|b| b.round < u32::MAX),
            "node {i} promised {st:?}"
        );
    }
    // The cluster still decides, at ordinary ballots.
    let o = run(&propose_args(&c, 7, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 7\n", "{}", stderr(&o));
    c.stop_all(WAIT);
    for i in [0, 1] {
        let n = final_counters(&c, i);
        assert_eq!((n.unauthenticated, n.out_of_range), (1, 1), "node {i}");
    }

    // `--insecure` runs, and says so on every counters line.
    let tmp2 = tempfile::tempdir().unwrap();
    let mut open = create(tmp2.path(), merged(3));
    open.insecure = true;
    open.common_args = args(&["--stats-interval-ms", "50"]);
    open.start(0, &[]).unwrap();
    assert!(wait_until(WAIT, || open.log(0).contains(
        "INSECURE (no keys): any process that can send from a member's address is that member; \
         counters received="
    )));
}

/// Issue 10, repro 5: a `Chosen(1.0, 111)` of one life of a cluster, replayed after its data
/// directories were initialised again with the same addresses and keys, used to teach learners
/// 111 while the client printed `decided 222`. Now every datagram carries the incarnation.
#[test]
fn a_replay_from_an_earlier_incarnation_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let m = merged(3);
    let old_dir = tmp.path().join("life1");
    let mut old = cluster(&old_dir, m.clone(), &["--retry-ms", "50"]);
    let o = run(&propose_args(&old, 111, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 111\n", "{}", stderr(&o));
    old.stop_all(WAIT);
    let old_inc = old.membership.incarnation.unwrap();
    // What node 0 sent in that life, recorded.
    let recorded = Codec::member(m.cluster_id(), old_inc, Some(member_keys(&old)))
        .encode(Sender::Member(0), &Msg::Chosen(Ballot::new(1, 0), 111));

    // A new life: same addresses, and the old keys copied over the new ones.
    let new_dir = tmp.path().join("life2");
    let mut new = create(&new_dir, m.clone());
    for f in ["member.key", "client.key"] {
        fs::copy(old_dir.join(f), new_dir.join(f)).unwrap();
    }
    assert_ne!(new.membership.incarnation.unwrap(), old_inc);
    new.common_args = args(&["--retry-ms", "50"]);
    new.start(2, &[]).unwrap();
    new.start(1, &[]).unwrap();
    // Node 0 is down; its address replays the recorded datagram.
    let s = UdpSocket::bind(new.addr(0)).unwrap();
    for to in [new.addr(1), new.addr(2)] {
        s.send_to(&recorded, to).unwrap();
    }
    drop(s);
    let o = run(&propose_args(&new, 222, &["--first", "1"]));
    assert_eq!(stdout(&o), "decided 222\n", "{}", stderr(&o));
    new.start(0, &[]).unwrap();
    let l = run(&learn_args(&new, &["--verbose"]));
    assert_eq!(
        stdout(&l),
        format!(
            "  {} learned 222\n  {} learned 222\n  {} learned 222\nlearned 222\n",
            new.addr(0),
            new.addr(1),
            new.addr(2)
        ),
        "{}",
        stderr(&l)
    );
    new.stop_all(WAIT);
    assert_eq!(final_counters(&new, 1).wrong_incarnation, 1);
    assert_eq!(final_counters(&new, 2).wrong_incarnation, 1);
}

/// Issue 10, item 6: a learner that missed `Chosen` (node 2 down while 5 was chosen) used to
/// answer "nothing" for ever; `paxos learn` returned at the first learner that knew. Now a
/// query makes a decided proposer announce the decision again, and `paxos learn` asks every
/// learner until all know.
#[test]
fn a_learner_that_missed_the_decision_catches_up_and_learn_asks_every_learner() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = create(tmp.path(), merged(3));
    c.common_args = args(&["--retry-ms", "50"]);
    c.start(1, &[]).unwrap();
    c.start(0, &[]).unwrap();
    let o = run(&propose_args(&c, 5, &["--first", "0"]));
    assert_eq!(stdout(&o), "decided 5\n", "{}", stderr(&o));
    c.start(2, &[]).unwrap();
    assert_eq!(storage(&c, 2), None, "node 2 knows nothing yet");
    let l = run(&learn_args(&c, &["--verbose"]));
    assert_eq!(
        stdout(&l),
        format!(
            "  {} learned 5\n  {} learned 5\n  {} learned 5\nlearned 5\n",
            c.addr(0),
            c.addr(1),
            c.addr(2)
        ),
        "{}",
        stderr(&l)
    );
    assert_eq!(
        storage(&c, 2),
        Some(Storage {
            learned: Some(5),
            ..Storage::default()
        })
    );
}

/// `paxos learn` reports learners that disagree as the safety violation it is (exit 1), and
/// `paxos propose` says when fewer than a majority of learners confirmed its decision.
#[test]
fn learners_that_disagree_are_reported_and_propose_confirms_with_a_majority() {
    use Role::*;
    let tmp = tempfile::tempdir().unwrap();
    // Fake learners: three sockets that answer every Query, two of them differently.
    let m = merged(3);
    let fake = create(&tmp.path().join("fake"), m.clone());
    let id = m.cluster_id();
    let inc = fake.membership.incarnation.unwrap();
    let codec = Codec::member(id, inc, Some(member_keys(&fake)));
    let answers = [Some(1), Some(2), None];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let servers: Vec<_> = (0..3)
        .map(|i| {
            let s = UdpSocket::bind(fake.addr(i)).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let codec = codec.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok((n, src)) = s.recv_from(&mut buf) {
                        if let Ok((Sender::Client, Msg::Query)) = codec.decode::<Msg>(&buf[..n]) {
                            let reply = codec.encode_to(
                                Sender::Member(i as u16),
                                false,
                                &Msg::Learned(answers[i]),
                            );
                            let _ = s.send_to(&reply, src);
                        }
                    }
                }
            })
        })
        .collect();
    let l = run(&learn_args(&fake, &["--timeout-ms", "3000"]));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in servers {
        s.join().unwrap();
    }
    assert_eq!(l.status.code(), Some(1));
    assert_eq!(
        stderr(&l),
        format!(
            "error: SAFETY VIOLATION: learners disagree: {} says 1, {} says 2\n",
            fake.addr(0),
            fake.addr(1)
        )
    );

    // Separate learners: with two of three down, a decision is confirmed by one only.
    let sep = members(&[
        Proposer, Acceptor, Acceptor, Acceptor, Learner, Learner, Learner,
    ]);
    let mut c = create(&tmp.path().join("sep"), sep);
    c.common_args = args(&["--retry-ms", "50", "--unchecked-layout"]);
    for i in (0..5).rev() {
        c.start(i, &[]).unwrap();
    }
    // The one learner that runs learns the decision within a few milliseconds; the wait is
    // generous so that a loaded machine still gets its answer in (the two others never answer).
    let o = run(&propose_args(&c, 9, &["--confirm-ms", "3000"]));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "decided 9\n");
    assert_eq!(
        stderr(&o),
        "note: only 1 of 3 learners confirmed the decision within 3000 ms (a majority is 2); the \
         others may learn it later\n"
    );
    c.start(5, &[]).unwrap();
    let o = run(&propose_args(&c, 9, &["--confirm-ms", "5000"]));
    assert_eq!(
        (stdout(&o), stderr(&o)),
        ("decided 9\n".into(), String::new())
    );
}

/// `paxos status` shows every node's counters, including the drops by reason, and fails when
/// a node does not answer.
#[test]
fn status_shows_each_nodes_counters() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cluster(tmp.path(), merged(3), &["--retry-ms", "50"]);
    let o = run(&propose_args(&c, 4, &[]));
    assert_eq!(stdout(&o), "decided 4\n", "{}", stderr(&o));
    let junk = UdpSocket::bind("127.0.0.1:0").unwrap();
    junk.send_to(b"not paxos", c.addr(1)).unwrap();
    let mut status = vec!["status".to_string(), "--json".into()];
    status.extend(c.member_flags());
    assert!(wait_until(WAIT, || {
        let o = run(&status);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        o.status.code() == Some(0)
            && v["nodes"][1]["stats"]["counters"]["malformed"] == 1
            && v["nodes"][1]["stats"]["counters"]["saves"].as_u64() >= Some(1)
    }));
    let o = run(&status);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for i in 0..3 {
        let st = &v["nodes"][i]["stats"];
        assert_eq!(st["member"], i);
        assert_eq!(
            st["incarnation"],
            c.membership.incarnation.unwrap().to_string()
        );
        assert_eq!(st["authenticated"], true);
        assert!(st["save_us"]["max"].as_u64() >= st["save_us"]["p50"].as_u64());
    }
    c.kill(2);
    let mut text = vec!["status".to_string(), "--timeout-ms".into(), "300".into()];
    text.extend(c.member_flags());
    let o = run(&text);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{}: no answer within 300 ms", c.addr(2))),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}: member 0, incarnation ", c.addr(0))),
        "{out}"
    );
}

/// `paxos cluster` killed with SIGKILL leaves no node behind: the kernel stops its children.
#[test]
fn a_killed_paxos_cluster_leaves_no_orphan_nodes() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cl");
    let mut guard = spawn_paxos_cluster(&dir);
    let out = guard.0.as_mut().unwrap().stdout.take().unwrap();
    let mut pids = Vec::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if let Some(rest) = line.trim_start().strip_prefix("node ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            pids.push(words[3].parse::<i32>().unwrap());
        }
        if line == "Press Ctrl-C to stop the cluster." {
            break;
        }
    }
    assert_eq!(pids.len(), 3);
    let alive = |pid: i32| {
        // A zombie is dead too: it only waits for its (new) parent to reap it.
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| !r.trim().starts_with('Z'))
        })
    };
    assert!(pids.iter().all(|&p| alive(p)));
    let pid = guard.0.as_ref().unwrap().id();
    paxos::runtime::cluster::signal(pid, libc::SIGKILL);
    let _ = guard.wait();
    assert!(
        wait_until(WAIT, || pids.iter().all(|&p| !alive(p))),
        "orphans: {pids:?}"
    );
    // Started again on the same directory, it is the same cluster with the same records.
    let c = LocalCluster::open(&exe(), &dir).unwrap();
    assert_eq!(c.membership.members.len(), 3);
    assert!(c.membership.incarnation.is_some());
}

/// Datagrams the kernel drops because a node's receive buffer is full are counted
/// (`SO_RXQ_OVFL`) and shown by `paxos status`.
#[test]
fn receive_buffer_overflows_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cluster(tmp.path(), merged(3), &["--retry-ms", "50"]);
    let pid = c.pid(1).unwrap();
    paxos::runtime::cluster::signal(pid, libc::SIGSTOP);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Far more than a default receive buffer holds while the node is stopped.
    for _ in 0..20_000 {
        let _ = s.send_to(&[0x55; 200], c.addr(1));
    }
    paxos::runtime::cluster::signal(pid, libc::SIGCONT);
    let mut status = vec!["status".to_string(), "--json".into()];
    status.extend(c.member_flags());
    let mut last = serde_json::Value::Null;
    assert!(
        wait_until(WAIT, || {
            let o = run(&status);
            last = serde_json::from_str(&stdout(&o)).unwrap_or_default();
            let n = &last["nodes"][1]["stats"]["counters"];
            n["rx_overflow"].as_u64() > Some(0) && n["malformed"].as_u64() > Some(0)
        }),
        "{last}"
    );
    let n = &last["nodes"][1]["stats"]["counters"];
    // Every datagram sent was either read (and dropped as malformed) or dropped by the kernel.
    let seen = n["rx_overflow"].as_u64().unwrap() + n["malformed"].as_u64().unwrap();
    assert!(seen <= 20_000, "{n}");
    assert_eq!(last["nodes"][0]["stats"]["counters"]["rx_overflow"], 0);
}
