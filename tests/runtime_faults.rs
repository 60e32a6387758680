//! Twenty fresh 3-node clusters on a deliberately bad network (10% loss, 5% duplication, 20%
//! of the copies delayed up to 10 ms, which reorders them), injected on every sender, nodes and
//! clients alike. In each, two clients propose different values concurrently; each cluster must
//! decide exactly one value, and every client (and the learner it asks) must see it.

mod runtime_support;

use paxos::runtime::event_loop::Counters;
use runtime_support::*;
use std::time::Duration;

const CLUSTERS: u64 = 20;

fn faults(seed: u64) -> String {
    format!("drop=0.1,dup=0.05,delay=0.2,delay-ms=10,seed={seed}")
}

/// Runs cluster `k`; returns the nodes' summed fault counters (dropped, duplicated, delayed).
fn one_cluster(k: u64) -> (u64, u64, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = create(tmp.path(), merged(3));
    c.common_args = args(&["--retry-ms", "20"]);
    for i in 0..3 {
        let f = faults(k * 10 + i as u64);
        c.start(i, &args(&["--inject-faults", &f])).unwrap();
    }
    let (va, vb) = (100 + 2 * k, 101 + 2 * k);
    let client = |v: u64, first: &str, seed: u64| {
        let f = faults(seed);
        spawn(&propose_args(
            &c,
            v,
            &[
                "--first",
                first,
                "--retry-ms",
                "40",
                "--timeout-ms",
                "20000",
                "--inject-faults",
                &f,
            ],
        ))
    };
    let a = client(va, "0", k * 10 + 7);
    let b = client(vb, "1", k * 10 + 8);
    let (a, b) = (a.wait(), b.wait());
    assert_eq!(a.status.code(), Some(0), "cluster {k}: {}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "cluster {k}: {}", stderr(&b));
    let chosen = stdout(&a);
    assert_eq!(stdout(&b), chosen, "cluster {k}");
    let v: u64 = chosen
        .strip_prefix("decided ")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("cluster {k}: {chosen}"));
    assert!(v == va || v == vb, "cluster {k} chose {v}");
    // Each client's learner confirmed the value (otherwise propose prints a note or fails).
    assert!(!stderr(&a).contains("note:"), "cluster {k}: {}", stderr(&a));
    assert!(!stderr(&b).contains("note:"), "cluster {k}: {}", stderr(&b));

    c.stop_all(Duration::from_secs(5));
    // Exactly one value: a majority voted v at the ballot that chose it, and every later vote
    // of theirs is v too, so at least two of the three last votes are v; no learner knows
    // anything else.
    let records: Vec<_> = (0..3).map(|i| storage(&c, i).unwrap_or_default()).collect();
    let votes_for_v = records
        .iter()
        .filter(|r| r.accepted.map(|(_, x)| x) == Some(v))
        .count();
    assert!(votes_for_v >= 2, "cluster {k}: {records:?}");
    for r in &records {
        assert!(
            r.learned.is_none() || r.learned == Some(v),
            "cluster {k}: {records:?}"
        );
    }
    let mut faults = (0, 0, 0);
    for i in 0..3 {
        let log = c.log(i);
        let line = log
            .lines()
            .find(|l| l.contains("stopped; counters"))
            .unwrap();
        let n = Counters::parse(line).unwrap();
        faults.0 += n.fault_dropped;
        faults.1 += n.fault_duplicated;
        faults.2 += n.fault_delayed;
    }
    faults
}

#[test]
fn twenty_lossy_clusters_each_decide_exactly_one_value_every_client_sees() {
    // Two clusters at a time: 2 cores, and most of the time is spent waiting on timers. The
    // scope joins both before a failure propagates, so every guard kills its processes.
    let mut total = (0, 0, 0);
    for p in 0..CLUSTERS / 2 {
        std::thread::scope(|s| {
            let other = s.spawn(|| one_cluster(2 * p + 1));
            let mine = one_cluster(2 * p);
            let theirs = other.join().expect("cluster thread");
            total.0 += mine.0 + theirs.0;
            total.1 += mine.1 + theirs.1;
            total.2 += mine.2 + theirs.2;
        });
    }
    // The network really was bad: the nodes dropped, duplicated and delayed messages.
    println!("nodes' injected faults (dropped, duplicated, delayed): {total:?}");
    assert!(total.0 > 0 && total.1 > 0 && total.2 > 0, "{total:?}");
}
