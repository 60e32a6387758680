//! Fair cycles: deciding "eventually" under fairness assumptions on an actor model's graph.
//!
//! The plain liveness checker ([`liveness`](super::liveness)) counts every cycle of non-goal
//! states as a livelock: it assumes nothing about the scheduler, so a network that loses the
//! same retransmitted message forever, or a delivery that is possible forever but never
//! happens, is a counterexample. Progress claims for Paxos are made under the assumptions of a
//! real network instead ("a message sent again and again eventually arrives"), so this module
//! decides whether a cycle is **fair**: whether an infinite run that goes round it forever
//! respects these conditions (for a cycle, "infinitely often" means "somewhere on the cycle"):
//!
//! 1. **Finitely many crashes and recoveries.** No `Crash` or `Recover` step is on a fair cycle.
//!    With at most `k` actors crashed at once (the model's bound), an actor may still stay
//!    crashed forever; crashes stop eventually, they are not bounded in number.
//! 2. **Fair loss.** A message (sender, recipient and content) that is sent on the cycle is also
//!    delivered on it, unless its delivery is impossible or changes nothing in some state of the
//!    cycle (its recipient is crashed there, for good, by condition 1, or has no use for it: a
//!    delivery that changes nothing can always be taken, as a stutter). "Sent" is read from
//!    the network: the step adds a copy of the message (on stateright's duplicating network,
//!    the message was not in flight before the step).
//! 3. **No message is in flight forever.** A message in flight in every state of the cycle is
//!    delivered or dropped on it. (A lossy network may lose it, but then it drops it; it does
//!    not keep it in flight forever, which would block a timer that waits for it.) On a
//!    non-duplicating network "in flight" means "in the network"; on stateright's duplicating
//!    network, which keeps every delivered message, it means "its delivery is possible and
//!    changes the state".
//! 4. **Weakly fair timers.** A timer that may fire and would change the state in every state of
//!    the cycle fires on it. Which timers may fire when is the model's business (for example
//!    [`LeaderSynchrony`](super::synchrony::LeaderSynchrony)).
//!
//! Nothing else is assumed: random choices, and the order of everything, are free.
//!
//! # Algorithm
//!
//! Conditions 1 and 2 are Streett conditions ("if the cycle takes edges of set `A`, it takes an
//! edge of set `B`"), 3 and 4 are weak fairness. The classic decomposition decides them on a
//! strongly connected component `C` (a finite graph has a fair cycle exactly when some
//! component has one):
//!
//! * if a weak condition fails on `C` (some message or timer is enabled in every state of `C`
//!   and never taken in `C`), it fails on every cycle inside `C` as well (a smaller cycle has
//!   fewer states and fewer edges), so `C` has no fair cycle;
//! * if a Streett condition fails on `C` (crash or recovery edges in `C`; a message sent in `C`
//!   and never delivered), no fair cycle uses those edges: remove them, split what is left into
//!   components again and decide each;
//! * otherwise the cycle that walks every edge of `C` is fair, and a shorter witness is built:
//!   from `C`'s state closest to an initial state, through one state or edge per obligation
//!   (the delivery of each sent message, a state where each enabled message or timer is not
//!   enabled or the step that takes it), and back.
//!
//! Only the components of the bad region (non-goal states) are examined, one at a time: each
//! is re-materialised from the model (one replayed path to its first state, then a search that
//! stays inside it), labelled, decided and dropped, so memory is bounded by the largest
//! component, not the graph.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Instant;

use stateright::actor::{Actor, ActorModelAction, ActorModelState, Envelope, Network};
use stateright::Model;

use super::liveness::{explore_in, report, LivenessReport, Search, StateGraph};

/// What a step of a component does, for the fairness conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Delivers message number `.0`.
    Deliver(u32),
    /// Drops (loses) message number `.0`.
    Drop(u32),
    /// Fires timer number `.0`.
    Timeout(u32),
    /// A crash or a recovery: only finitely many happen.
    Finite,
    /// Anything else (a random choice).
    Other,
}

/// A materialised strongly connected component: its states as local numbers, its internal
/// edges with their labels, and per state what is enabled.
struct Component {
    /// Local number -> graph index.
    global: Vec<u32>,
    /// Internal edges (both ends in the component), grouped by source: `off[u]..off[u + 1]`.
    off: Vec<u32>,
    from: Vec<u32>,
    to: Vec<u32>,
    kind: Vec<Kind>,
    /// Messages each internal edge sends: `sends[send_off[e]..send_off[e + 1]]`.
    send_off: Vec<u32>,
    sends: Vec<u32>,
    /// Per state: messages in flight (condition 3 of the module docs; sorted).
    eff: Vec<Vec<u32>>,
    /// Per state: timers that may fire and change the state (sorted).
    timers: Vec<Vec<u32>>,
    /// Per state: messages in flight whose delivery is impossible or changes nothing (sorted).
    noop: Vec<Vec<u32>>,
}

/// A fair cycle inside the component of `graph` whose states are `members` (see the module
/// docs), as graph indices (`first == last`), or `None` when every cycle there is unfair.
/// `model` must be the model `graph` was explored from.
pub fn fair_cycle<M, A, H>(model: &M, graph: &StateGraph, members: &[u32]) -> Option<Vec<u32>>
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor,
    H: Clone + Debug + Hash + Eq,
    ActorModelState<A, H>: Hash + Clone,
{
    let c = Component::build(model, graph, members);
    let cycle = c.find_fair_cycle()?;
    Some(cycle.into_iter().map(|l| c.global[l as usize]).collect())
}

/// "On every fair maximal path, eventually `goal`" on an actor model: the liveness checker with
/// [`fair_cycle`] deciding which cycles count (see the module docs).
pub fn check_fair_eventually_in<M, A, H>(
    model: &M,
    search: Search,
    goal: impl FnMut(&M::State) -> bool,
) -> LivenessReport<M>
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor,
    H: Clone + Debug + Hash + Eq,
    ActorModelState<A, H>: Hash + Clone + Debug,
    M::Action: Debug,
{
    let started = Instant::now();
    let graph = explore_in(model, search, goal);
    let verdict = graph.check_eventually_fair(&mut |g, members| fair_cycle(model, g, members));
    report(model, &graph, verdict, started)
}

/// Numbers things in the order they are first seen.
struct Interner<K> {
    ids: HashMap<K, u32>,
}

impl<K: Hash + Eq> Interner<K> {
    fn new() -> Self {
        Interner {
            ids: HashMap::new(),
        }
    }

    fn id(&mut self, k: K) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(k).or_insert(next)
    }
}

/// How many copies of each message the network holds.
fn count_messages<Msg: Hash + Eq>(network: &Network<Msg>) -> HashMap<Envelope<&Msg>, usize> {
    let mut counts = HashMap::new();
    for env in network.iter_all() {
        *counts.entry(env).or_insert(0) += 1;
    }
    counts
}

/// The fairness kind of action `a`, with its message or timer interned.
fn classify<A: Actor>(
    a: &ActorModelAction<A::Msg, A::Timer, A::Random>,
    msgs: &mut Interner<Envelope<A::Msg>>,
    timer_ids: &mut Interner<(usize, A::Timer)>,
) -> Kind {
    match a {
        ActorModelAction::Deliver { src, dst, msg } => Kind::Deliver(msgs.id(Envelope {
            src: *src,
            dst: *dst,
            msg: msg.clone(),
        })),
        ActorModelAction::Drop(env) => Kind::Drop(msgs.id(env.clone())),
        ActorModelAction::Timeout(id, t) => {
            Kind::Timeout(timer_ids.id((usize::from(*id), t.clone())))
        }
        ActorModelAction::Crash(_) | ActorModelAction::Recover(_) => Kind::Finite,
        _ => Kind::Other,
    }
}

/// One thing a fair cycle must pass through: a local state or an edge.
enum Obligation {
    State(u32),
    Edge(usize),
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}

impl Component {
    /// An empty component whose first state is the graph's state `entry`.
    fn starting_at(entry: u32) -> Component {
        Component {
            global: vec![entry],
            off: vec![0],
            from: Vec::new(),
            to: Vec::new(),
            kind: Vec::new(),
            send_off: vec![0],
            sends: Vec::new(),
            eff: Vec::new(),
            timers: Vec::new(),
            noop: Vec::new(),
        }
    }

    /// Re-explores the cyclic component `members` of `graph` from its first state, recording
    /// per local state the messages whose delivery is effective, the timers whose firing is,
    /// and per edge its kind and the messages it sends (what fairness needs).
    ///
    /// Longer than 70 lines for a reason: it is one breadth-first search whose per-state and
    /// per-edge bookkeeping shares the interners, the local numbering and the queue.
    fn build<M, A, H>(model: &M, graph: &StateGraph, members: &[u32]) -> Component
    where
        M: Model<
            State = ActorModelState<A, H>,
            Action = ActorModelAction<A::Msg, A::Timer, A::Random>,
        >,
        A: Actor,
        H: Clone + Debug + Hash + Eq,
        ActorModelState<A, H>: Hash + Clone,
    {
        let inside: HashSet<u32> = members.iter().copied().collect();
        let entry = members[0];
        let start = graph
            .rebuild_path_to(model, entry as usize)
            .pop()
            .expect("a path ends in its state")
            .0;
        let mut msgs = Interner::<Envelope<A::Msg>>::new();
        let mut timer_ids = Interner::<(usize, A::Timer)>::new();
        let mut local: HashMap<u32, u32> = HashMap::from([(entry, 0)]);
        let mut c = Component::starting_at(entry);
        let mut queue = VecDeque::from([start]);
        let mut actions = Vec::new();
        // Local numbers are handed out in discovery order and the queue is first in, first
        // out, so states are expanded in local-number order.
        while let Some(s) = queue.pop_front() {
            let u = c.eff.len() as u32;
            let gi = c.global[u as usize];
            let before = count_messages(&s.network);
            let (mut eff, mut timers, mut noop) = (Vec::new(), Vec::new(), Vec::new());
            let duplicating = matches!(s.network, Network::UnorderedDuplicating(..));
            if !duplicating {
                for env in s.network.iter_deliverable() {
                    eff.push(msgs.id(env.to_cloned_msg()));
                }
            }
            actions.clear();
            model.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let kind = classify::<A>(&a, &mut msgs, &mut timer_ids);
                let Some(t) = model.next_state(&s, a) else {
                    if let Kind::Deliver(m) = kind {
                        noop.push(m);
                    }
                    continue;
                };
                let ti = graph
                    .index_of(&t)
                    .expect("fairness: a successor the exploration did not record")
                    as u32;
                match kind {
                    Kind::Deliver(m) if ti == gi => noop.push(m),
                    Kind::Deliver(m) if duplicating => eff.push(m),
                    Kind::Timeout(k) if ti != gi => timers.push(k),
                    _ => {}
                }
                if !inside.contains(&ti) {
                    continue;
                }
                let v = match local.get(&ti) {
                    Some(&v) => v,
                    None => {
                        let v = c.global.len() as u32;
                        c.global.push(ti);
                        local.insert(ti, v);
                        queue.push_back(t.clone());
                        v
                    }
                };
                for (env, n) in count_messages(&t.network) {
                    if n > before.get(&env).copied().unwrap_or(0) {
                        c.sends.push(msgs.id(env.to_cloned_msg()));
                    }
                }
                c.send_off.push(c.sends.len() as u32);
                c.from.push(u);
                c.to.push(v);
                c.kind.push(kind);
            }
            c.off.push(c.to.len() as u32);
            c.eff.push(sorted(eff));
            c.timers.push(sorted(timers));
            c.noop.push(sorted(noop));
        }
        assert_eq!(
            c.global.len(),
            members.len(),
            "fairness: the component re-explored from its first state differs from the graph's"
        );
        c
    }

    fn len(&self) -> usize {
        self.global.len()
    }

    fn out(&self, u: u32) -> std::ops::Range<usize> {
        self.off[u as usize] as usize..self.off[u as usize + 1] as usize
    }

    fn sent(&self, e: usize) -> &[u32] {
        &self.sends[self.send_off[e] as usize..self.send_off[e + 1] as usize]
    }

    /// Strongly connected components of the subgraph of `nodes` (marked `mark[u] == tag`)
    /// using only edges not `removed` (iterative Tarjan).
    fn components(&self, nodes: &[u32], removed: &[bool], mark: &[u32], tag: u32) -> Vec<Vec<u32>> {
        const UNSEEN: u32 = u32::MAX;
        let mut index = HashMap::<u32, (u32, u32)>::new(); // node -> (index, lowlink)
        let mut on_stack = HashSet::<u32>::new();
        let mut stack = Vec::new();
        let mut out = Vec::new();
        let mut next = 0u32;
        for &root in nodes {
            if index.contains_key(&root) {
                continue;
            }
            let mut call: Vec<(u32, usize)> = vec![(root, self.out(root).start)];
            index.insert(root, (next, next));
            next += 1;
            stack.push(root);
            on_stack.insert(root);
            while let Some(&(v, mut pos)) = call.last() {
                let end = self.out(v).end;
                let mut descend = UNSEEN;
                while pos < end {
                    let e = pos;
                    pos += 1;
                    let w = self.to[e];
                    if removed[e] || mark[w as usize] != tag {
                        continue;
                    }
                    match index.get(&w) {
                        None => {
                            descend = w;
                            break;
                        }
                        Some(&(wi, _)) if on_stack.contains(&w) => {
                            let low = &mut index.get_mut(&v).expect("visited").1;
                            *low = (*low).min(wi);
                        }
                        Some(_) => {}
                    }
                }
                call.last_mut().expect("on the call stack").1 = pos;
                if descend != UNSEEN {
                    index.insert(descend, (next, next));
                    next += 1;
                    stack.push(descend);
                    on_stack.insert(descend);
                    call.push((descend, self.out(descend).start));
                    continue;
                }
                call.pop();
                let (vi, vlow) = index[&v];
                if let Some(&(p, _)) = call.last() {
                    let plow = &mut index.get_mut(&p).expect("visited").1;
                    *plow = (*plow).min(vlow);
                }
                if vi == vlow {
                    let mut scc = Vec::new();
                    loop {
                        let w = stack.pop().expect("on the stack");
                        on_stack.remove(&w);
                        scc.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.push(scc);
                }
            }
        }
        out
    }

    /// The Streett decomposition of the module docs; a fair cycle as local numbers.
    fn find_fair_cycle(&self) -> Option<Vec<u32>> {
        let n = self.len();
        let mut removed = vec![false; self.to.len()];
        let mut mark = vec![0u32; n];
        let mut tag = 0u32;
        let mut work: Vec<Vec<u32>> = vec![(0..n as u32).collect()];
        while let Some(nodes) = work.pop() {
            tag += 1;
            for &u in &nodes {
                mark[u as usize] = tag;
            }
            let sccs = self.components(&nodes, &removed, &mark, tag);
            for scc in sccs {
                tag += 1;
                for &u in &scc {
                    mark[u as usize] = tag;
                }
                let edges: Vec<usize> = scc
                    .iter()
                    .flat_map(|&u| self.out(u))
                    .filter(|&e| !removed[e] && mark[self.to[e] as usize] == tag)
                    .collect();
                if edges.is_empty() {
                    continue; // a single state without a self-loop: no cycle
                }
                let facts = Facts::of(self, &scc, &edges);
                if facts.weakly_unfair {
                    continue;
                }
                let cut: Vec<usize> = edges
                    .iter()
                    .copied()
                    .filter(|&e| {
                        self.kind[e] == Kind::Finite
                            || self.sent(e).iter().any(|m| !facts.received(*m))
                    })
                    .collect();
                if cut.is_empty() {
                    return Some(self.witness(&scc, &edges, &removed, &mark, tag, &facts));
                }
                for e in cut {
                    removed[e] = true;
                }
                work.push(scc);
            }
        }
        None
    }

    /// A cycle from the component's state closest to an initial state through one state or
    /// edge per obligation and back (see the module docs).
    fn witness(
        &self,
        scc: &[u32],
        edges: &[usize],
        removed: &[bool],
        mark: &[u32],
        tag: u32,
        facts: &Facts,
    ) -> Vec<u32> {
        let goals = self.obligations(scc, edges, facts);
        let start = *scc
            .iter()
            .min_by_key(|&&u| self.global[u as usize])
            .expect("non-empty component");
        let mut walk = vec![start];
        let mut at = start;
        for g in goals {
            // An obligation the walk has met already needs no detour.
            let met = match g {
                Obligation::State(u) => walk.contains(&u),
                Obligation::Edge(e) => walk
                    .windows(2)
                    .any(|w| w[0] == self.from[e] && w[1] == self.to[e]),
            };
            if met {
                continue;
            }
            match g {
                Obligation::State(u) => {
                    walk.extend(self.path(at, u, removed, mark, tag));
                    at = u;
                }
                Obligation::Edge(e) => {
                    walk.extend(self.path(at, self.from[e], removed, mark, tag));
                    walk.push(self.to[e]);
                    at = self.to[e];
                }
            }
        }
        if walk.len() == 1 {
            // No obligation: any cycle through `start`; take its first internal edge.
            let e = self
                .out(start)
                .find(|&e| !removed[e] && mark[self.to[e] as usize] == tag)
                .expect("a cyclic component has an edge out of each state");
            walk.push(self.to[e]);
            at = self.to[e];
        }
        walk.extend(self.path(at, start, removed, mark, tag));
        walk
    }

    /// What a fair cycle through the component must contain: for each message sent in it, a
    /// delivery (or a state where delivering it changes nothing); for each message effective
    /// somewhere, a delivery or drop (or a state where it is not effective); for each timer
    /// effective somewhere, a firing (or a state where it is not).
    fn obligations(&self, scc: &[u32], edges: &[usize], facts: &Facts) -> Vec<Obligation> {
        let mut goals = Vec::new();
        let find_edge = |f: &dyn Fn(Kind) -> bool| edges.iter().copied().find(|&e| f(self.kind[e]));
        for &m in &facts.sent {
            if let Some(e) = find_edge(&|k| k == Kind::Deliver(m)) {
                goals.push(Obligation::Edge(e));
            } else if let Some(&u) = scc.iter().find(|&&u| self.noop[u as usize].contains(&m)) {
                goals.push(Obligation::State(u));
            }
        }
        for &m in &facts.eff_some {
            if let Some(e) = find_edge(&|k| k == Kind::Deliver(m) || k == Kind::Drop(m)) {
                goals.push(Obligation::Edge(e));
            } else if let Some(&u) = scc
                .iter()
                .find(|&&u| self.eff[u as usize].binary_search(&m).is_err())
            {
                goals.push(Obligation::State(u));
            }
        }
        for &t in &facts.timers_some {
            if let Some(e) = find_edge(&|k| k == Kind::Timeout(t)) {
                goals.push(Obligation::Edge(e));
            } else if let Some(&u) = scc
                .iter()
                .find(|&&u| self.timers[u as usize].binary_search(&t).is_err())
            {
                goals.push(Obligation::State(u));
            }
        }
        goals
    }

    /// A shortest path from `a` to `b` inside the marked component, without `a` itself.
    fn path(&self, a: u32, b: u32, removed: &[bool], mark: &[u32], tag: u32) -> Vec<u32> {
        if a == b {
            return Vec::new();
        }
        let mut parent = HashMap::from([(a, a)]);
        let mut queue = VecDeque::from([a]);
        while let Some(u) = queue.pop_front() {
            for e in self.out(u) {
                let v = self.to[e];
                if removed[e] || mark[v as usize] != tag || parent.contains_key(&v) {
                    continue;
                }
                parent.insert(v, u);
                if v == b {
                    let mut path = vec![b];
                    let mut x = b;
                    while parent[&x] != a {
                        x = parent[&x];
                        path.push(x);
                    }
                    path.reverse();
                    return path;
                }
                queue.push_back(v);
            }
        }
        unreachable!("fairness: a strongly connected component is not connected")
    }
}

/// What a component's states and edges do, for the fairness conditions.
struct Facts {
    /// Messages sent by some edge.
    sent: Vec<u32>,
    /// Messages delivered by some edge, or whose delivery changes nothing in some state.
    received: HashSet<u32>,
    /// Messages effectively deliverable in some state.
    eff_some: Vec<u32>,
    /// Timers that may fire in some state.
    timers_some: Vec<u32>,
    /// Some message or timer is enabled in every state and never taken (condition 3 or 4).
    weakly_unfair: bool,
}

impl Facts {
    fn of(c: &Component, scc: &[u32], edges: &[usize]) -> Facts {
        let mut sent = HashSet::new();
        let mut received = HashSet::new();
        let mut taken = HashSet::new();
        let mut fired = HashSet::new();
        for &e in edges {
            sent.extend(c.sent(e).iter().copied());
            match c.kind[e] {
                Kind::Deliver(m) => {
                    received.insert(m);
                    taken.insert(m);
                }
                Kind::Drop(m) => {
                    taken.insert(m);
                }
                Kind::Timeout(t) => {
                    fired.insert(t);
                }
                _ => {}
            }
        }
        for &u in scc {
            received.extend(c.noop[u as usize].iter().copied());
        }
        let eff_every = in_every(&c.eff, scc);
        let timers_every = in_every(&c.timers, scc);
        let weakly_unfair = eff_every.iter().any(|m| !taken.contains(m))
            || timers_every.iter().any(|t| !fired.contains(t));
        Facts {
            sent: sorted(sent.into_iter().collect()),
            received,
            eff_some: in_some(&c.eff, scc),
            timers_some: in_some(&c.timers, scc),
            weakly_unfair,
        }
    }

    fn received(&self, m: u32) -> bool {
        self.received.contains(&m)
    }
}

/// The items of the sorted sets `sets[u]` that are in every `u` of `scc`.
fn in_every(sets: &[Vec<u32>], scc: &[u32]) -> Vec<u32> {
    let mut all = sets[scc[0] as usize].clone();
    for &u in &scc[1..] {
        let s = &sets[u as usize];
        all.retain(|x| s.binary_search(x).is_ok());
    }
    all
}

/// The items of the sets `sets[u]` that are in some `u` of `scc`, sorted.
fn in_some(sets: &[Vec<u32>], scc: &[u32]) -> Vec<u32> {
    sorted(
        scc.iter()
            .flat_map(|&u| sets[u as usize].iter().copied())
            .collect(),
    )
}
