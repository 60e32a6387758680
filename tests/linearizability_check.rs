//! The recorded-history linearizability checker (`models/multi/linearizability.rs`): exact
//! verdicts on hand-made histories, linearizable and not, and agreement with a brute-force
//! search over every order on random small histories.

use paxos::models::multi::linearizability::{check_history, key_of, Operation, Verdict};
use paxos::models::multi::KvSpec;
use paxos::multi::{Op, Ret, Text};
use proptest::prelude::*;
use stateright::semantics::SequentialSpec;

fn t(s: &str) -> Text {
    s.into()
}

fn op(client: u64, op: Op, call: u64, ret: Option<(u64, Ret)>) -> Operation {
    Operation {
        client,
        op,
        call,
        ret,
    }
}

fn put(k: &str, v: &str) -> Op {
    Op::Put(t(k), t(v))
}

fn get(k: &str) -> Op {
    Op::Get(t(k))
}

fn val(v: Option<&str>) -> Ret {
    Ret::Value(v.map(t))
}

const STEPS: u64 = 1_000_000;

#[test]
fn a_read_after_a_completed_write_must_see_it() {
    let w = op(0, put("k", "1"), 0, Some((10, Ret::Ok)));
    let stale = op(1, get("k"), 20, Some((30, val(None))));
    assert_eq!(
        check_history(&[w.clone(), stale], STEPS),
        Verdict::NotLinearizable {
            key: t("k"),
            longest_prefix: 1,
            answered: 2,
            stuck_at: "C1 get k -> none [20..30]".into(),
        }
    );
    let fresh = op(1, get("k"), 20, Some((30, val(Some("1")))));
    assert_eq!(check_history(&[w, fresh], STEPS), Verdict::Linearizable);
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [None, Some("1")] {
        let h = [
            op(0, put("k", "1"), 0, Some((20, Ret::Ok))),
            op(1, get("k"), 10, Some((30, val(seen)))),
        ];
        assert_eq!(check_history(&h, STEPS), Verdict::Linearizable, "{seen:?}");
    }
    // But not a value nobody wrote.
    let h = [
        op(0, put("k", "1"), 0, Some((20, Ret::Ok))),
        op(1, get("k"), 10, Some((30, val(Some("2"))))),
    ];
    assert!(matches!(
        check_history(&h, STEPS),
        Verdict::NotLinearizable { .. }
    ));
}

#[test]
fn an_unanswered_write_may_or_may_not_have_taken_effect() {
    let pending = op(0, put("k", "1"), 0, None);
    for seen in [None, Some("1")] {
        let h = [pending.clone(), op(1, get("k"), 50, Some((60, val(seen))))];
        assert_eq!(check_history(&h, STEPS), Verdict::Linearizable, "{seen:?}");
    }
    // Once seen, it stays: a later read of the old value is not linearizable.
    let h = [
        pending,
        op(1, get("k"), 50, Some((60, val(Some("1"))))),
        op(1, get("k"), 70, Some((80, val(None)))),
    ];
    assert!(matches!(
        check_history(&h, STEPS),
        Verdict::NotLinearizable {
            longest_prefix: 2,
            ..
        }
    ));
}

#[test]
fn two_concurrent_cas_from_one_value_cannot_both_succeed() {
    let cas = |c, new: &str| op(c, Op::Cas(t("k"), t("0"), t(new)), 10, Some((20, Ret::Ok)));
    let base = op(9, put("k", "0"), 0, Some((5, Ret::Ok)));
    let h = [base.clone(), cas(1, "a"), cas(2, "b")];
    assert!(matches!(
        check_history(&h, STEPS),
        Verdict::NotLinearizable { .. }
    ));
    let lost = op(
        2,
        Op::Cas(t("k"), t("0"), t("b")),
        10,
        Some((20, Ret::CasMismatch(Some(t("a"))))),
    );
    assert_eq!(
        check_history(&[base, cas(1, "a"), lost], STEPS),
        Verdict::Linearizable
    );
}

#[test]
fn keys_are_checked_apart_and_the_bad_one_is_named() {
    let h = [
        op(0, put("a", "1"), 0, Some((10, Ret::Ok))),
        op(1, get("a"), 20, Some((30, val(Some("1"))))),
        op(0, Op::Delete(t("b")), 0, Some((10, Ret::NotFound))),
        op(1, put("b", "2"), 20, Some((30, Ret::Ok))),
        op(2, Op::Delete(t("b")), 40, Some((50, Ret::NotFound))),
    ];
    let Verdict::NotLinearizable { key, stuck_at, .. } = check_history(&h, STEPS) else {
        panic!("linearizable");
    };
    assert_eq!(key, t("b"));
    assert_eq!(stuck_at, "C2 delete b -> not found [40..50]");
}

#[test]
fn a_search_over_its_budget_says_unknown() {
    // Twelve concurrent writes of distinct values and a read of a value none wrote: the search
    // must try many orders before it can refuse.
    let mut h: Vec<Operation> = (0..12)
        .map(|c| op(c, put("k", &c.to_string()), 0, Some((100, Ret::Ok))))
        .collect();
    h.push(op(99, get("k"), 200, Some((210, val(Some("x"))))));
    assert_eq!(
        check_history(&h, 50),
        Verdict::Unknown {
            key: t("k"),
            steps: 51
        }
    );
    assert!(matches!(
        check_history(&h, STEPS),
        Verdict::NotLinearizable { .. }
    ));
}

/// Brute force: some order of every answered operation and some subset of the pending ones,
/// respecting real time, explains every answer.
fn brute_force(h: &[Operation]) -> bool {
    fn go(h: &[Operation], used: &mut Vec<bool>, state: &KvSpec) -> bool {
        if h.iter()
            .zip(used.iter())
            .all(|(o, u)| *u || o.ret.is_none())
        {
            return true;
        }
        for i in 0..h.len() {
            if used[i] {
                continue;
            }
            // Every unused answered op answered before i was called must come first.
            let blocked = (0..h.len()).any(|j| {
                j != i && !used[j] && h[j].ret.as_ref().is_some_and(|(t, _)| *t < h[i].call)
            });
            if blocked {
                continue;
            }
            let mut s = state.clone();
            let got = s.invoke(&h[i].op);
            if h[i].ret.as_ref().is_some_and(|(_, r)| *r != got) {
                continue;
            }
            used[i] = true;
            if go(h, used, &s) {
                return true;
            }
            used[i] = false;
        }
        false
    }
    let mut by_key: std::collections::BTreeMap<Text, Vec<Operation>> = Default::default();
    for o in h {
        by_key
            .entry(key_of(&o.op).clone())
            .or_default()
            .push(o.clone());
    }
    by_key
        .values()
        .all(|ops| go(ops, &mut vec![false; ops.len()], &KvSpec::default()))
}

fn arb_op() -> impl Strategy<Value = Op> {
    let k = prop_oneof![Just("a"), Just("b")];
    let v = prop_oneof![Just("1"), Just("2")];
    prop_oneof![
        (k.clone(), v.clone()).prop_map(|(k, v)| put(k, v)),
        k.clone().prop_map(get),
        k.clone().prop_map(|k| Op::Delete(t(k))),
        (k, v.clone(), v).prop_map(|(k, o, n)| Op::Cas(t(k), t(o), t(n))),
    ]
}

fn arb_ret() -> impl Strategy<Value = Ret> {
    let v = prop_oneof![Just(None), Just(Some("1")), Just(Some("2"))];
    prop_oneof![
        Just(Ret::Ok),
        v.clone().prop_map(val),
        Just(Ret::NotFound),
        v.prop_map(|v| Ret::CasMismatch(v.map(t))),
    ]
}

/// Random histories of up to 8 operations, mostly on one key, with random overlapping
/// intervals, some unanswered. Answers come from running the operations one at a time in call
/// order (so most are plausible and the search has to work), and about one in five is then
/// replaced by a random answer.
fn arb_history() -> impl Strategy<Value = Vec<Operation>> {
    let key = prop::bool::weighted(0.8).prop_map(|a| if a { "a" } else { "b" });
    let v = prop_oneof![Just("1"), Just("2")];
    let one_op = prop_oneof![
        (key.clone(), v.clone()).prop_map(|(k, v)| put(k, v)),
        key.clone().prop_map(get),
        key.clone().prop_map(|k| Op::Delete(t(k))),
        (key, v.clone(), v).prop_map(|(k, o, n)| Op::Cas(t(k), t(o), t(n))),
    ];
    prop::collection::vec(
        (
            one_op,
            0u64..20,
            0u64..12,
            prop::option::weighted(0.2, arb_ret()),
            prop::bool::weighted(0.15),
        ),
        0..9,
    )
    .prop_map(|mut ops| {
        ops.sort_by_key(|o| o.1);
        let mut s = KvSpec::default();
        ops.into_iter()
            .enumerate()
            .map(|(c, (o, call, len, wrong, pending))| {
                let r = s.invoke(&o);
                let r = wrong.unwrap_or(r);
                op(c as u64, o, call, (!pending).then_some((call + len, r)))
            })
            .collect()
    })
}

#[test]
fn an_answer_before_its_call_is_a_malformed_history() {
    let h = [op(3, get("k"), 20, Some((10, val(None))))];
    assert_eq!(
        check_history(&h, STEPS),
        Verdict::Malformed {
            op: "C3 get k -> none [20..10]".into()
        }
    );
}

/// Histories that are linearizable by construction: operations applied to a map one at a
/// time in a random order, each at a time inside its random interval.
fn arb_linearizable() -> impl Strategy<Value = Vec<Operation>> {
    prop::collection::vec((arb_op(), 0u64..5, 0u64..5), 0..8).prop_map(|ops| {
        let mut s = KvSpec::default();
        ops.into_iter()
            .enumerate()
            .map(|(c, (o, before, after))| {
                // Linearization point 20 * (c + 1); the interval covers it.
                let at = 20 * c as u64 + 20;
                let r = s.invoke(&o);
                op(c as u64, o, at - before * 3, Some((at + after * 3, r)))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_brute_force(h in arb_history()) {
        let wgl = check_history(&h, STEPS);
        prop_assert!(!matches!(wgl, Verdict::Unknown { .. }), "gave up: {:?}", h);
        prop_assert_eq!(wgl == Verdict::Linearizable, brute_force(&h), "{:?}", h);
    }

    #[test]
    fn a_history_linearizable_by_construction_is_accepted(h in arb_linearizable()) {
        prop_assert_eq!(check_history(&h, STEPS), Verdict::Linearizable);
    }
}

/// The random histories exercise both verdicts: of 2,000 drawn with a fixed seed, the
/// brute-force search finds this many linearizable (the rest are not).
#[test]
fn the_random_histories_hit_both_verdicts() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_history();
    let yes = (0..2000)
        .filter(|_| brute_force(&strategy.new_tree(&mut runner).unwrap().current()))
        .count();
    assert_eq!(yes, 1_171);
}
