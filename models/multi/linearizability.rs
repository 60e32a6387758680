//! A linearizability checker for recorded key-value histories: the operations real clients
//! issued against a running cluster, each with the times it was called and answered.
//!
//! The model checks linearizability with stateright's `LinearizabilityTester` as it explores;
//! a real run instead produces one long history after the fact, with operations that never got
//! an answer (a client gave up, its replica was killed). This module decides such a history:
//!
//! * **Per key** (P-compositionality, Herlihy and Wing's locality): every operation of the
//!   key-value map touches one key, and a history is linearizable exactly when each key's
//!   sub-history is, so each key is searched on its own, which keeps the search small.
//! * **Wing and Gong's search, with Lowe's memo** (the WGL algorithm): walk the history's call
//!   and return events in time order; at a call, try to linearize that operation now (apply it
//!   to the sequential map, [`KvSpec`], and require its recorded result), remove its events, and
//!   restart from the first remaining event; on reaching a return whose operation is not yet
//!   linearized, undo the last choice. A set of (linearized operations, map state) already
//!   explored is never explored again.
//! * **Pending operations** (called, never answered) may have taken effect at any moment after
//!   their call, or never: their result is not checked and they need not be linearized.
//!
//! Times are whatever one clock gives (nanoseconds of one `Instant`, in the tests): an operation
//! `a` precedes `b` when `a` was answered before `b` was called. Equal times are not ordered.

use super::kv_spec::KvSpec;
use crate::multi::{Op, Ret, Text};
use stateright::semantics::SequentialSpec;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// One operation of a recorded history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Who issued it (only for reports).
    pub client: u64,
    /// The operation.
    pub op: Op,
    /// When it was called.
    pub call: u64,
    /// When it was answered, and with what; `None`: never answered (pending).
    pub ret: Option<(u64, Ret)>,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ret {
            Some((t, r)) => write!(
                f,
                "C{} {} -> {r} [{}..{t}]",
                self.client, self.op, self.call
            ),
            None => write!(
                f,
                "C{} {} -> (no answer) [{}..]",
                self.client, self.op, self.call
            ),
        }
    }
}

/// The key an operation touches.
pub fn key_of(op: &Op) -> &Text {
    match op {
        Op::Put(k, _) | Op::Get(k) | Op::Delete(k) | Op::Cas(k, _, _) => k,
    }
}

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every key's operations have a linear order that explains every answer.
    Linearizable,
    /// Some key's do not.
    NotLinearizable {
        /// The key.
        key: Text,
        /// The most operations of that key the search could order (answered ones and pending
        /// ones it chose to include).
        longest_prefix: usize,
        /// That key's answered operations.
        answered: usize,
        /// An answered operation no extension of that longest prefix can place, as printed.
        stuck_at: String,
    },
    /// An operation answered before it was called: the recording is wrong, not the cluster.
    Malformed {
        /// The operation, as printed.
        op: String,
    },
    /// The search gave up after `steps` steps on `key` (the history is too concurrent).
    Unknown {
        /// The key.
        key: Text,
        /// The search steps taken.
        steps: u64,
    },
}

/// One event of a key's sub-history in time order.
#[derive(Clone, Copy, Debug)]
struct Event {
    /// The operation's index in the key's list.
    op: usize,
    /// A call (else a return).
    call: bool,
}

/// Checks `history`, key by key, giving up on a key after `max_steps` search steps.
pub fn check_history(history: &[Operation], max_steps: u64) -> Verdict {
    if let Some(o) = history
        .iter()
        .find(|o| o.ret.as_ref().is_some_and(|(t, _)| *t < o.call))
    {
        return Verdict::Malformed { op: o.to_string() };
    }
    let mut by_key: BTreeMap<&Text, Vec<&Operation>> = BTreeMap::new();
    for o in history {
        by_key.entry(key_of(&o.op)).or_default().push(o);
    }
    for (key, ops) in by_key {
        match check_key(&ops, max_steps) {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable {
                longest_prefix,
                answered,
                stuck_at,
                ..
            } => {
                return Verdict::NotLinearizable {
                    key: key.clone(),
                    longest_prefix,
                    answered,
                    stuck_at,
                }
            }
            Verdict::Unknown { steps, .. } => {
                return Verdict::Unknown {
                    key: key.clone(),
                    steps,
                }
            }
            Verdict::Malformed { op } => return Verdict::Malformed { op },
        }
    }
    Verdict::Linearizable
}

/// The events of `ops` in time order: calls at their time, returns at theirs, a call before a
/// return at the same time (equal times are concurrent).
fn events(ops: &[&Operation]) -> Vec<Event> {
    let mut ev: Vec<(u64, bool, usize)> = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        ev.push((o.call, true, i));
        if let Some((t, _)) = &o.ret {
            ev.push((*t, false, i));
        }
    }
    // Calls sort before returns at equal times: `!call` is false for a call.
    ev.sort_by_key(|&(t, call, i)| (t, !call, i));
    ev.into_iter()
        .map(|(_, call, op)| Event { op, call })
        .collect()
}

/// The search on one key's operations (see the module docs). Longer than 70 lines for a
/// reason: one backtracking loop over a doubly linked event list, whose links, stack, memo and
/// bookkeeping are shared by every branch.
fn check_key(ops: &[&Operation], max_steps: u64) -> Verdict {
    let ev = events(ops);
    let n = ev.len();
    // A doubly linked list over `ev`: a head sentinel at index n, the end marked by n + 1.
    let end = n + 1;
    let mut next: Vec<usize> = (1..=n).map(|i| if i == n { end } else { i }).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| if i == 0 { n } else { i - 1 }).collect();
    next.push(if n == 0 { end } else { 0 });
    prev.push(end);
    let ret_of: Vec<Option<usize>> = {
        let mut r = vec![None; ops.len()];
        for (i, e) in ev.iter().enumerate() {
            if !e.call {
                r[e.op] = Some(i);
            }
        }
        r
    };
    let answered = ops.iter().filter(|o| o.ret.is_some()).count();
    let words = ops.len().div_ceil(64);
    let mut done = vec![0u64; words];
    let mut memo: HashSet<(Vec<u64>, KvSpec)> = HashSet::new();
    let mut state = KvSpec::default();
    let mut stack: Vec<(usize, KvSpec)> = Vec::new();
    let mut answered_left = answered;
    let (mut best, mut stuck) = (0, None);
    let mut steps = 0u64;
    let mut e = next[n];
    loop {
        if answered_left == 0 {
            return Verdict::Linearizable;
        }
        steps += 1;
        if steps > max_steps {
            return Verdict::Unknown {
                key: Text::from(""),
                steps,
            };
        }
        if e != end && ev[e].call {
            let i = ev[e].op;
            let mut s = state.clone();
            let got = s.invoke(&ops[i].op);
            let fits = ops[i].ret.as_ref().is_none_or(|(_, r)| *r == got);
            let mut key = done.clone();
            key[i / 64] |= 1 << (i % 64);
            if fits && memo.insert((key.clone(), s.clone())) {
                stack.push((e, std::mem::replace(&mut state, s)));
                done = key;
                if ops[i].ret.is_some() {
                    answered_left -= 1;
                }
                // Lift the call and its return out of the list.
                for x in std::iter::once(e).chain(ret_of[i]) {
                    next[prev[x]] = next[x];
                    if next[x] != end {
                        prev[next[x]] = prev[x];
                    }
                }
                if stack.len() > best {
                    best = stack.len();
                    stuck = None;
                }
                e = next[n];
            } else {
                e = next[e];
            }
            continue;
        }
        // A return whose operation is not linearized yet, or the end: undo the last choice.
        if stuck.is_none() && stack.len() == best {
            stuck = (e != end).then(|| ops[ev[e].op].to_string());
        }
        let Some((c, s)) = stack.pop() else {
            return Verdict::NotLinearizable {
                key: Text::from(""),
                longest_prefix: best,
                answered,
                stuck_at: stuck.unwrap_or_default(),
            };
        };
        let i = ev[c].op;
        state = s;
        done[i / 64] &= !(1 << (i % 64));
        if ops[i].ret.is_some() {
            answered_left += 1;
        }
        // Put the return back, then the call (the reverse of lifting).
        for x in ret_of[i].into_iter().chain(std::iter::once(c)) {
            next[prev[x]] = x;
            if next[x] != end {
                prev[next[x]] = x;
            }
        }
        e = next[c];
    }
}
