//! The port of `MultiPaxos.tla` (tlaplus/Examples, `specifications/MultiPaxos-SMR`)
//! reproduces TLC's state counts, and its invariants hold.
//!
//! TLC 2.18 on this machine (`-workers 2`), `MultiPaxos_MC_small.cfg` (Replicas = {s1, s2,
//! s3}, Writes = {w1}, Reads = {r1}, MaxBallot = 2) without its SYMMETRY line: 2,062,561
//! distinct states, 4,415,485 generated, depth 28.

use paxos::specs::compact::{Bounded, Pack, SortedSet};
use paxos::specs::multipaxos_smr::{MultiPaxosSmr, SmrConfig, SmrState};
use stateright::{Checker, Model};
use std::collections::{BTreeSet, HashMap};

#[test]
fn the_small_configuration_has_tlcs_distinct_state_count() {
    let m = MultiPaxosSmr::new(SmrConfig::SMALL);
    let c = m.checker().threads(2).spawn_dfs().join();
    eprintln!(
        "states {} unique {} depth {}",
        c.state_count(),
        c.unique_state_count(),
        c.max_depth()
    );
    c.assert_properties();
    assert_eq!(c.unique_state_count(), 2_062_561);
    assert_eq!(c.max_depth(), 28);
    // States stateright generated, duplicates included; TLC counts "generated" its own way
    // (4,415,485), so only the distinct count and the depth are compared with TLC.
    assert_eq!(c.state_count(), 4_229_635);
}

/// The linearizability invariant has teeth: a terminated history in which a read missed a write
/// acknowledged before the read was requested is refused; one where the read could be ordered
/// first (the two overlap) or saw the write is accepted.
#[test]
fn linearizability_refuses_a_stale_read_after_an_acknowledged_write() {
    use paxos::specs::multipaxos_smr::Event::{Ack, Req};
    let m = MultiPaxosSmr::new(SmrConfig::SMALL);
    let mut s = m.init_states().remove(0);
    s.pending.clear();
    let (w, r) = (0, 1);
    s.observed = (&[Req(w), Ack(Some(w), None), Req(r), Ack(Some(r), None)][..]).into();
    assert!(m.terminated(&s));
    assert!(!m.linearizable(&s), "the read must see the write");
    s.observed = (&[Req(w), Ack(Some(w), None), Req(r), Ack(Some(r), Some(w))][..]).into();
    assert!(m.linearizable(&s));
    s.observed = (&[Req(w), Req(r), Ack(Some(r), None), Ack(Some(w), None)][..]).into();
    assert!(m.linearizable(&s), "overlapping: the read may come first");
    // A write whose result is not the value before it in any order.
    s.observed = (&[Req(w), Ack(Some(w), Some(w)), Req(r), Ack(Some(r), Some(w))][..]).into();
    assert!(!m.linearizable(&s));
    // Not terminated: nothing to check yet.
    s.observed.truncate(3);
    assert!(!m.terminated(&s));
    assert!(m.linearizable(&s));
}

/// The port hashes a state as its packed bytes (`specs/compact.rs`), so a packing that sent two
/// states to the same bytes would merge them and shrink the count. Over every reachable state
/// of two smaller instances, equal bytes mean equal states: 3 replicas, 1 write, no read
/// (15,709 states, one slot) and 2 replicas, 1 write, 1 read (1,163 states, two slots, reads),
/// MaxBallot 2, as many states as stateright counts.
#[test]
fn the_packing_of_a_state_is_injective_on_a_reachable_graph() {
    for (replicas, writes, reads, count) in [(3, 1, 0, 15_709), (2, 1, 1, 1_163)] {
        let m = MultiPaxosSmr::new(SmrConfig {
            replicas,
            writes,
            reads,
            max_ballot: 2,
        });
        let mut seen: HashMap<Vec<u8>, SmrState> = HashMap::new();
        let mut frontier = m.init_states();
        let mut actions = Vec::new();
        while let Some(s) = frontier.pop() {
            let mut bytes = Vec::new();
            s.pack(&mut bytes);
            if let Some(earlier) = seen.get(&bytes) {
                assert_eq!(earlier, &s, "two states pack to the same bytes");
                continue;
            }
            seen.insert(bytes, s.clone());
            actions.clear();
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                frontier.extend(m.next_state(&s, a));
            }
        }
        let checked = m.checker().spawn_bfs().join();
        assert_eq!(seen.len(), checked.unique_state_count());
        assert_eq!(seen.len(), count);
    }
}

#[test]
fn bounded_and_sorted_set_behave_as_slice_and_btree_set() {
    let mut b: Bounded<u8, 4> = (&[3, 1, 2][..]).into();
    assert_eq!(&b[..], &[3, 1, 2]);
    b.retain(|x| *x != 1);
    assert_eq!(&b[..], &[3, 2]);
    b.push(7);
    b.truncate(2);
    assert_eq!(b, (&[3, 2][..]).into());
    assert!(b < (&[3, 2, 0][..]).into(), "ordered as the slice");
    let mut full = b;
    full.push(1);
    full.push(1);
    assert!(std::panic::catch_unwind(move || full.push(1)).is_err());
    let xs = [5u8, 1, 4, 1, 9, 2, 6];
    let mut set = SortedSet::new();
    let mut tree = BTreeSet::new();
    for x in xs {
        assert_eq!(set.insert(x), tree.insert(x));
    }
    assert!(set.remove(&4) && tree.remove(&4) && !set.remove(&4));
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        tree.iter().collect::<Vec<_>>()
    );
    assert!(set.contains(&9) && !set.contains(&4));
}

#[test]
fn wrong_smr_and_bench_flags_get_usage_errors() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["spec", "multipaxos-smr", "--replicas", "65"],
            "error: multipaxos-smr: Replicas: at most 64 replicas",
        ),
        (
            &["spec", "multipaxos-smr", "--writes", "9", "--reads", "8"],
            "error: multipaxos-smr: at most 16 commands (Writes and Reads together)",
        ),
        (
            &[
                "bench",
                "spec",
                "--spec",
                "multipaxos-smr",
                "--max-ballot",
                "3",
            ],
            "error: --max-ballot is the Paxos spec's; the SMR port runs MultiPaxos_MC_small.cfg",
        ),
        (
            &["bench", "spec", "--spec", "nope"],
            "invalid value 'nope' for '--spec <SPEC>'",
        ),
    ];
    for (args, msg) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_paxos"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}
