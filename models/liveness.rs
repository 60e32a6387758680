//! A sound liveness checker for "on every path, eventually P" over any [`stateright::Model`].
//!
//! # Why not `Expectation::Eventually`?
//!
//! stateright 0.31 checks `Property::eventually` by carrying one "not yet satisfied" bit per
//! property along each search path and reporting a counterexample only when a path reaches a
//! *terminal* state with the bit still set. Those bits are attached to the search job, not to the
//! state, and a state that was already generated is never expanded again. Two consequences:
//!
//! * **Cycles.** Re-entering an already generated state is not treated as terminal, so an infinite
//!   path that loops among non-P states forever is never reported.
//! * **Joins.** When two paths meet in one state, only the first arrival is expanded, with *its*
//!   bits. If the first arrival had already passed through P, the second arrival's suffix, which
//!   may never see P, is silently considered satisfied.
//!
//! stateright's own test `fixme_can_miss_counterexample_when_revisiting_a_state` (in
//! `src/checker.rs`) documents both. For a protocol model, whose state graph is full of joins and
//! often of cycles (retries, timers), its verdict for eventually-properties therefore means
//! nothing. This module replaces it.
//!
//! # Algorithm
//!
//! 1. **Explore** ([`explore_in`], [`explore_in_with`]): search from [`Model::init_states`].
//!    Each distinct state gets a dense `u32` index in BFS discovery order; the state itself is
//!    *not* kept once it has been expanded. Per state we keep only its 64-bit fingerprint (a
//!    [`Hash`] of the state fed into a fixed-key hasher, so it is stable within a build), its
//!    BFS parent (index plus action index, enough to rebuild a path by replaying the model from
//!    an initial state), one bit for the goal predicate P and one "frontier" bit. Successor
//!    lists are stored compressed (CSR: one `u32` offset per state and one `u32` target per
//!    transition), about 30 bytes per state plus 4 per transition in all. A state for which
//!    [`Model::within_boundary`] is false is recorded but not expanded: it is a *frontier*
//!    state. As with stateright, distinct states with equal fingerprints would be merged (the
//!    probability is negligible at 64 bits, but not zero). The search order ([`Search`]) is
//!    either breadth-first, whose queue of full states can dwarf the graph for protocol models,
//!    or depth-first (the default) followed by a renumbering into BFS order on the integer
//!    graph; both yield the identical graph.
//! 2. **Restrict to "bad" states.** A violating path must avoid P from its very first state, so
//!    the analysis ([`StateGraph::check_eventually`]) runs a second BFS over the subgraph of non-P
//!    states, starting from the non-P initial states. Call the result the bad region.
//! 3. **Deadlock.** A state in the bad region that was expanded and has no successor ends a
//!    maximal finite path on which P never holds: a [`Verdict::Deadlock`]. The restricted BFS gives
//!    a shortest such path.
//! 4. **Livelock.** Otherwise, the strongly connected components of the bad region are computed
//!    (Pearce's space-efficient variant of Tarjan's algorithm, iterative, so it copes with graphs
//!    of millions of states and very deep DFS trees). A component with more than one state, or a
//!    single state with a self-loop, contains a cycle that can be followed forever without P: a
//!    [`Verdict::Livelock`] given as a lasso, a shortest stem to the component state closest to an
//!    initial state, then a shortest cycle through that state.
//! 5. **Frontier.** Frontier states of the bad region that do not satisfy P are where a violating
//!    path *might* continue beyond the explored bound. If there are none and no counterexample was
//!    found, the property [`Verdict::Holds`]. If there are some, the verdict is
//!    [`Verdict::HoldsUpToBound`]: every path that stays within the boundary reaches P, but paths
//!    that leave it through those frontier states were not followed, so a counterexample may exist
//!    beyond the bound. Counterexamples are reported regardless of the frontier: a deadlock or a
//!    cycle inside the explored region is a genuine behaviour of the model.
//!
//! Paths are *maximal*: infinite, or ending in a state without successors. There is no fairness:
//! any infinite path counts, including one that takes the same self-loop forever while other
//! actions are enabled. Scheduling assumptions must be built into the model, for example with
//! [`FairTimeouts`].
//!
//! # The no-failure, timeouts-after-deliveries assumption ([`FairTimeouts`])
//!
//! A consensus protocol cannot guarantee progress in a fully asynchronous system with failures,
//! and in stateright's actor model a timer may fire at any moment, even while the messages that
//! would make it unnecessary are in flight. So liveness is checked under an explicit assumption,
//! modelling the system after the global stabilisation time of partial synchrony:
//!
//! * **No failures.** No message is lost and no actor crashes. This is configured on the inner
//!   [`ActorModel`](stateright::actor::ActorModel) (`LossyNetwork::No`, `max_crashes(0)`); the
//!   wrapper also removes every [`ActorModelAction::Drop`] and [`ActorModelAction::Crash`] action
//!   to make it certain.
//! * **Timeouts are longer than message delays.** A timer fires only when no message delivery is
//!   possible: in a state where at least one [`ActorModelAction::Deliver`] action is *enabled*
//!   (listed by the inner model and producing a transition, i.e. `next_state` returns `Some`),
//!   every [`ActorModelAction::Timeout`] action is withheld. A listed delivery that produces no
//!   transition (stateright drops deliveries that change nothing on unordered networks) does not
//!   count, otherwise a duplicating network, which keeps delivered messages forever, would
//!   block every timer forever.
//!
//! Nothing else is constrained: deliveries happen in any order, and random choices
//! ([`ActorModelAction::SelectRandom`]) and recoveries stay enabled as in the inner model.
//!
//! Use a non-duplicating network for liveness. On stateright's duplicating network every
//! message stays deliverable forever, and a redelivery counts as a transition whenever the
//! recipient reacts to it (for example by answering again). Timers are then held back for as
//! long as such redeliveries remain, and endless redelivery is itself a cycle, i.e. a livelock
//! in the absence of fairness.

use std::collections::VecDeque;
use std::fmt::{self, Debug};
use std::hash::{Hash, Hasher};
use std::time::Instant;

use stateright::actor::ActorModelAction;
use stateright::{Model, Path, Property};

// ---------------------------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------------------------

const MUL_A: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL_B: u64 = 0xd6e8_feb8_6659_fd93;
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// Multiplies two 64-bit words into 128 bits and folds the halves together with XOR.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let wide = (a as u128) * (b as u128);
    (wide as u64) ^ ((wide >> 64) as u64)
}

/// A fast, fixed-key (hence stable within a build) hasher used for state fingerprints.
///
/// Every word written is mixed into the running value with a folded 64x64->128-bit multiply,
/// and the result goes through one more round in [`Hasher::finish`].
struct StableHasher {
    acc: u64,
}

impl StableHasher {
    #[inline(always)]
    fn new() -> Self {
        StableHasher { acc: SEED }
    }

    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.acc = fold_mul(self.acc ^ word, MUL_A);
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length goes into the otherwise unused top byte, so that trailing zero bytes matter.
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.mix(i as u64);
        self.mix((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.acc ^ MUL_B, MUL_A ^ MUL_B)
    }
}

/// The 64-bit fingerprint of a value, as used by [`StateGraph`] to identify states.
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = StableHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

// ---------------------------------------------------------------------------------------------
// Small containers
// ---------------------------------------------------------------------------------------------

const NONE: u32 = u32::MAX;

/// The path from a root to `end` along `parent` links (`NONE` at a root), root first.
fn chain(parent: &[u32], end: u32) -> Vec<u32> {
    let mut path = vec![end];
    let mut cur = end;
    while parent[cur as usize] != NONE {
        cur = parent[cur as usize];
        path.push(cur);
    }
    path.reverse();
    path
}

/// A growable vector of bits.
#[derive(Clone, Default, PartialEq, Eq)]
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn zeros(len: usize) -> Self {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    fn clear(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
    }

    fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// Open-addressing set of state indices keyed by their fingerprints, which live in a separate
/// per-state array (so a slot is only 4 bytes). Linear probing, load factor at most 3/4.
struct FingerprintTable {
    slots: Vec<u32>,
    shift: u32,
    len: usize,
}

impl FingerprintTable {
    const INITIAL_BITS: u32 = 10;

    fn new() -> Self {
        FingerprintTable {
            slots: vec![NONE; 1 << Self::INITIAL_BITS],
            shift: 64 - Self::INITIAL_BITS,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, fp: u64) -> usize {
        (fp.wrapping_mul(MUL_A) >> self.shift) as usize
    }

    /// Returns the index stored for `fp`, if any.
    fn get(&self, fp: u64, fps: &[u64]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut pos = self.home(fp);
        loop {
            let slot = self.slots[pos];
            if slot == NONE {
                return None;
            }
            if fps[slot as usize] == fp {
                return Some(slot);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Returns the index stored for `fp`, or stores `new_index` (whose fingerprint the caller
    /// must then append to `fps`) and returns `None`.
    fn get_or_insert(&mut self, fp: u64, fps: &[u64], new_index: u32) -> Option<u32> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(fps);
        }
        let mask = self.slots.len() - 1;
        let mut pos = self.home(fp);
        loop {
            let slot = self.slots[pos];
            if slot == NONE {
                self.slots[pos] = new_index;
                self.len += 1;
                return None;
            }
            if fps[slot as usize] == fp {
                return Some(slot);
            }
            pos = (pos + 1) & mask;
        }
    }

    fn grow(&mut self, fps: &[u64]) {
        let doubled = vec![NONE; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|&s| s != NONE) {
            let mut pos = self.home(fps[slot as usize]);
            while self.slots[pos] != NONE {
                pos = (pos + 1) & mask;
            }
            self.slots[pos] = slot;
        }
    }

    /// Replaces every stored index `i` by `new_of[i]` (fingerprints, hence slots, unchanged).
    fn remap(&mut self, new_of: &[u32]) {
        for slot in self.slots.iter_mut().filter(|s| **s != NONE) {
            *slot = new_of[*slot as usize];
        }
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * 4
    }
}

// ---------------------------------------------------------------------------------------------
// The state graph
// ---------------------------------------------------------------------------------------------

/// The reachable state graph of a model, without the states themselves.
///
/// States are numbered `0..len()` in BFS discovery order, so BFS depth never decreases with the
/// index, whichever [`Search`] order built it. Frontier states (outside
/// [`Model::within_boundary`]) are numbered too but have no successors recorded. Every state
/// carries one label bit, computed when it was discovered.
pub struct StateGraph {
    fps: Vec<u64>,
    table: FingerprintTable,
    parent: Vec<u32>,
    parent_action: Vec<u32>,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    label: Bits,
    frontier: Bits,
    init: Vec<u32>,
    level_starts: Vec<u32>,
}

/// How the exploration turns an action into a successor; lets [`explore`] move the action into
/// `next_state` while [`explore_with`] clones it for the edge callback.
trait Step<M: Model> {
    fn step(&mut self, model: &M, state: &M::State, action: M::Action) -> Option<M::State>;
}

struct PlainStep;

impl<M: Model> Step<M> for PlainStep {
    #[inline]
    fn step(&mut self, model: &M, state: &M::State, action: M::Action) -> Option<M::State> {
        model.next_state(state, action)
    }
}

struct VisitStep<F>(F);

impl<M, F> Step<M> for VisitStep<F>
where
    M: Model,
    M::Action: Clone,
    F: FnMut(&M::State, &M::Action, &M::State),
{
    #[inline]
    fn step(&mut self, model: &M, state: &M::State, action: M::Action) -> Option<M::State> {
        let next = model.next_state(state, action.clone());
        if let Some(next) = &next {
            (self.0)(state, &action, next);
        }
        next
    }
}

fn to_u32(n: usize, what: &str) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|&v| v != NONE)
        .unwrap_or_else(|| panic!("liveness: too many {what} for 32-bit indices ({n})"))
}

/// The order in which the exploration expands states. Both orders produce the same
/// [`StateGraph`] (same numbering, parents, depths, successor lists): only the order of the
/// `on_edge` callbacks, the time and the peak memory differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Search {
    /// Breadth-first. The queue holds every discovered state not yet expanded, i.e. up to two
    /// full BFS levels of states: for protocol models with wide levels and large states this
    /// queue, not the graph, dominates memory.
    Bfs,
    /// Depth-first, then renumbered into BFS order on the integer graph. The stack holds only
    /// the unexpanded successors of the states along the current path, so memory is dominated
    /// by the graph itself; the price is 12 more bytes per state and 4 per transition during
    /// exploration, and a renumbering pass (integers only) at the end.
    #[default]
    Dfs,
}

/// Explores the reachable state graph of `model` breadth-first, labelling each state with
/// `label`.
pub fn explore<M>(model: &M, label: impl FnMut(&M::State) -> bool) -> StateGraph
where
    M: Model,
    M::State: Hash,
{
    explore_in(model, Search::Bfs, label)
}

/// Explores the reachable state graph of `model` in the given order (see [`Search`]),
/// labelling each state with `label`.
pub fn explore_in<M>(model: &M, search: Search, label: impl FnMut(&M::State) -> bool) -> StateGraph
where
    M: Model,
    M::State: Hash,
{
    match search {
        Search::Bfs => explore_bfs(model, label, PlainStep),
        Search::Dfs => explore_dfs(model, label, PlainStep),
    }
}

/// Like [`explore`] (breadth-first), and also calls `on_edge(source, action, target)` once for
/// every transition of the reachable graph (every action of an expanded state for which
/// `next_state` returns `Some`), including transitions into states seen before and into
/// frontier states, in BFS order. Frontier states are not expanded, so no transition leaves
/// them.
pub fn explore_with<M>(
    model: &M,
    label: impl FnMut(&M::State) -> bool,
    on_edge: impl FnMut(&M::State, &M::Action, &M::State),
) -> StateGraph
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
{
    explore_in_with(model, Search::Bfs, label, on_edge)
}

/// [`explore_with`] in the given order: every transition is passed to `on_edge` exactly once,
/// in the order the search expands states.
pub fn explore_in_with<M>(
    model: &M,
    search: Search,
    label: impl FnMut(&M::State) -> bool,
    on_edge: impl FnMut(&M::State, &M::Action, &M::State),
) -> StateGraph
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
{
    match search {
        Search::Bfs => explore_bfs(model, label, VisitStep(on_edge)),
        Search::Dfs => explore_dfs(model, label, VisitStep(on_edge)),
    }
}

/// Calls `f(source, action, target)` once for every transition of the reachable graph (see
/// [`explore_with`]), exploring depth-first to keep memory low (so in no particular order), and
/// returns the graph (all labels false).
pub fn for_each_edge<M>(model: &M, f: impl FnMut(&M::State, &M::Action, &M::State)) -> StateGraph
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
{
    explore_in_with(model, Search::Dfs, |_| false, f)
}

fn explore_bfs<M, S>(model: &M, mut label: impl FnMut(&M::State) -> bool, mut step: S) -> StateGraph
where
    M: Model,
    M::State: Hash,
    S: Step<M>,
{
    let mut g = StateGraph {
        fps: Vec::new(),
        table: FingerprintTable::new(),
        parent: Vec::new(),
        parent_action: Vec::new(),
        offsets: Vec::new(),
        targets: Vec::new(),
        label: Bits::default(),
        frontier: Bits::default(),
        init: Vec::new(),
        level_starts: Vec::new(),
    };
    let mut queue: VecDeque<(u32, M::State)> = VecDeque::new();

    for (k, state) in model.init_states().into_iter().enumerate() {
        let fp = fingerprint(&state);
        let index = to_u32(g.fps.len(), "states");
        if g.table.get_or_insert(fp, &g.fps, index).is_some() {
            continue; // duplicate initial state
        }
        g.fps.push(fp);
        g.parent.push(NONE);
        g.parent_action.push(to_u32(k, "initial states"));
        g.label.push(label(&state));
        let inside = model.within_boundary(&state);
        g.frontier.push(!inside);
        g.init.push(index);
        if inside {
            queue.push_back((index, state));
        }
    }
    if !g.fps.is_empty() {
        g.level_starts.push(0);
    }

    let mut depth = 0usize;
    let mut actions = Vec::new();
    while let Some((source, state)) = queue.pop_front() {
        while depth + 1 < g.level_starts.len() && source >= g.level_starts[depth + 1] {
            depth += 1;
        }
        let edge_start = to_u32(g.targets.len(), "transitions");
        while g.offsets.len() <= source as usize {
            g.offsets.push(edge_start);
        }
        model.actions(&state, &mut actions);
        for (k, action) in actions.drain(..).enumerate() {
            let Some(next) = step.step(model, &state, action) else {
                continue;
            };
            let fp = fingerprint(&next);
            let fresh = to_u32(g.fps.len(), "states");
            let target = match g.table.get_or_insert(fp, &g.fps, fresh) {
                Some(seen) => seen,
                None => {
                    g.fps.push(fp);
                    g.parent.push(source);
                    g.parent_action.push(to_u32(k, "actions"));
                    g.label.push(label(&next));
                    let inside = model.within_boundary(&next);
                    g.frontier.push(!inside);
                    if g.level_starts.len() == depth + 1 {
                        g.level_starts.push(fresh);
                    }
                    if inside {
                        queue.push_back((fresh, next));
                    }
                    fresh
                }
            };
            g.targets.push(target);
        }
    }
    let end = to_u32(g.targets.len(), "transitions");
    while g.offsets.len() <= g.fps.len() {
        g.offsets.push(end);
    }

    g.shrink();
    g
}

fn explore_dfs<M, S>(model: &M, mut label: impl FnMut(&M::State) -> bool, mut step: S) -> StateGraph
where
    M: Model,
    M::State: Hash,
    S: Step<M>,
{
    // Indices here are in discovery order; `span[i]` is the range of state i's transitions in
    // `targets` (empty until expanded), `edge_action` the action index of each transition.
    let mut d = DfsGraph::default();
    let mut table = FingerprintTable::new();
    let mut stack: Vec<(u32, M::State)> = Vec::new();

    for (k, state) in model.init_states().into_iter().enumerate() {
        let fp = fingerprint(&state);
        let index = to_u32(d.fps.len(), "states");
        if table.get_or_insert(fp, &d.fps, index).is_some() {
            continue;
        }
        d.fps.push(fp);
        d.span.push((0, 0));
        d.label.push(label(&state));
        let inside = model.within_boundary(&state);
        d.frontier.push(!inside);
        d.init.push((index, to_u32(k, "initial states")));
        if inside {
            stack.push((index, state));
        }
    }
    stack.reverse(); // expand the first initial state first

    let mut actions = Vec::new();
    while let Some((source, state)) = stack.pop() {
        let start = to_u32(d.targets.len(), "transitions");
        model.actions(&state, &mut actions);
        for (k, action) in actions.drain(..).enumerate() {
            let Some(next) = step.step(model, &state, action) else {
                continue;
            };
            let fp = fingerprint(&next);
            let fresh = to_u32(d.fps.len(), "states");
            let target = match table.get_or_insert(fp, &d.fps, fresh) {
                Some(seen) => seen,
                None => {
                    d.fps.push(fp);
                    d.span.push((0, 0));
                    d.label.push(label(&next));
                    let inside = model.within_boundary(&next);
                    d.frontier.push(!inside);
                    if inside {
                        stack.push((fresh, next));
                    }
                    fresh
                }
            };
            d.targets.push(target);
            d.edge_action.push(to_u32(k, "actions"));
        }
        d.span[source as usize] = (start, to_u32(d.targets.len(), "transitions"));
    }
    d.into_bfs_order(table)
}

/// The graph as discovered by the depth-first search, before renumbering.
#[derive(Default)]
struct DfsGraph {
    fps: Vec<u64>,
    span: Vec<(u32, u32)>,
    targets: Vec<u32>,
    edge_action: Vec<u32>,
    label: Bits,
    frontier: Bits,
    /// (index, position in `init_states()`) of each distinct initial state.
    init: Vec<(u32, u32)>,
}

impl DfsGraph {
    /// Renumbers the states in the order a breadth-first exploration would have discovered
    /// them (a BFS over the recorded transitions, in action order), which yields exactly the
    /// graph [`Search::Bfs`] builds.
    fn into_bfs_order(self, mut table: FingerprintTable) -> StateGraph {
        let DfsGraph {
            fps,
            span,
            targets,
            edge_action,
            label,
            frontier,
            init,
        } = self;
        let n = fps.len();
        let mut new_of = vec![NONE; n];
        let mut order: Vec<u32> = Vec::with_capacity(n); // old index of each new index
        let mut parent = vec![NONE; n];
        let mut parent_action = vec![0u32; n];
        let mut level_starts = Vec::new();
        for (j, &(old, k)) in init.iter().enumerate() {
            new_of[old as usize] = j as u32;
            order.push(old);
            parent_action[j] = k;
        }
        if n > 0 {
            level_starts.push(0);
        }
        // BFS over the recorded transitions; since states are visited in their new order, their
        // renumbered successor lists can be appended as we go.
        let mut offsets = Vec::with_capacity(n + 1);
        let mut new_targets = Vec::with_capacity(targets.len());
        let mut depth = 0usize;
        let mut head = 0usize;
        while head < order.len() {
            let u = order[head] as usize;
            let u_new = head as u32;
            head += 1;
            while depth + 1 < level_starts.len() && u_new >= level_starts[depth + 1] {
                depth += 1;
            }
            offsets.push(new_targets.len() as u32);
            let (start, end) = span[u];
            for pos in start as usize..end as usize {
                let v = targets[pos] as usize;
                if new_of[v] == NONE {
                    let v_new = order.len() as u32;
                    new_of[v] = v_new;
                    order.push(v as u32);
                    parent[v_new as usize] = u_new;
                    parent_action[v_new as usize] = edge_action[pos];
                    if level_starts.len() == depth + 1 {
                        level_starts.push(v_new);
                    }
                }
                new_targets.push(new_of[v]);
            }
        }
        offsets.push(new_targets.len() as u32);
        assert_eq!(
            order.len(),
            n,
            "liveness: a discovered state is unreachable"
        );
        drop(edge_action);
        drop(targets);
        drop(span);

        let mut new_label = Bits::default();
        let mut new_frontier = Bits::default();
        for &u in &order {
            new_label.push(label.get(u as usize));
            new_frontier.push(frontier.get(u as usize));
        }
        let new_fps: Vec<u64> = order.iter().map(|&u| fps[u as usize]).collect();
        drop(fps);
        table.remap(&new_of);

        let mut g = StateGraph {
            fps: new_fps,
            table,
            parent,
            parent_action,
            offsets,
            targets: new_targets,
            label: new_label,
            frontier: new_frontier,
            init: (0..init.len() as u32).collect(),
            level_starts,
        };
        g.shrink();
        g
    }
}

impl PartialEq for StateGraph {
    /// Same states (by fingerprint) with the same numbering, transitions, labels, frontier,
    /// initial states, parents and depths. (The fingerprint table's layout is not compared.)
    fn eq(&self, other: &Self) -> bool {
        self.fps == other.fps
            && self.parent == other.parent
            && self.parent_action == other.parent_action
            && self.offsets == other.offsets
            && self.targets == other.targets
            && self.label == other.label
            && self.frontier == other.frontier
            && self.init == other.init
            && self.level_starts == other.level_starts
    }
}

impl Eq for StateGraph {}

impl Debug for StateGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateGraph")
            .field("states", &self.len())
            .field("edges", &self.edge_count())
            .field("max_depth", &self.max_depth())
            .field("frontier", &self.frontier_count())
            .field("labelled", &self.label_count())
            .finish()
    }
}

impl StateGraph {
    fn shrink(&mut self) {
        self.fps.shrink_to_fit();
        self.parent.shrink_to_fit();
        self.parent_action.shrink_to_fit();
        self.offsets.shrink_to_fit();
        self.targets.shrink_to_fit();
        self.label.words.shrink_to_fit();
        self.frontier.words.shrink_to_fit();
        self.init.shrink_to_fit();
        self.level_starts.shrink_to_fit();
    }

    /// Number of distinct states discovered, frontier states included.
    pub fn len(&self) -> usize {
        self.fps.len()
    }

    /// True if the model has no initial state.
    pub fn is_empty(&self) -> bool {
        self.fps.is_empty()
    }

    /// Number of transitions recorded (one per enabled action of each expanded state).
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// Successor indices of state `i`, one per transition, in action order (duplicates
    /// possible when two actions lead to the same state). Empty for frontier states.
    pub fn successors(&self, i: usize) -> &[u32] {
        &self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Indices of the distinct initial states, in [`Model::init_states`] order.
    pub fn init_indices(&self) -> &[u32] {
        &self.init
    }

    /// The label bit of state `i` (the goal predicate for [`check_eventually`]).
    pub fn label(&self, i: usize) -> bool {
        self.label.get(i)
    }

    /// Number of states whose label bit is set.
    pub fn label_count(&self) -> usize {
        self.label.count_ones()
    }

    /// True if state `i` is outside the boundary (discovered but not expanded).
    pub fn is_frontier(&self, i: usize) -> bool {
        self.frontier.get(i)
    }

    /// Number of frontier states.
    pub fn frontier_count(&self) -> usize {
        self.frontier.count_ones()
    }

    /// True if state `i` was expanded and has no successor.
    pub fn is_terminal(&self, i: usize) -> bool {
        !self.is_frontier(i) && self.offsets[i] == self.offsets[i + 1]
    }

    /// BFS depth of state `i` (number of transitions on a shortest path from an initial state).
    pub fn depth(&self, i: usize) -> usize {
        self.level_starts
            .partition_point(|&start| start as usize <= i)
            - 1
    }

    /// Largest BFS depth of any state (in transitions; stateright's `max_depth` counts states,
    /// i.e. reports one more).
    pub fn max_depth(&self) -> usize {
        self.level_starts.len().saturating_sub(1)
    }

    /// The BFS parent of state `i`, or `None` for an initial state.
    pub fn parent(&self, i: usize) -> Option<usize> {
        let p = self.parent[i];
        (p != NONE).then_some(p as usize)
    }

    /// The fingerprint of state `i`.
    pub fn fingerprint(&self, i: usize) -> u64 {
        self.fps[i]
    }

    /// The index of `state`, if it was discovered.
    pub fn index_of<S: Hash>(&self, state: &S) -> Option<usize> {
        self.table
            .get(fingerprint(state), &self.fps)
            .map(|i| i as usize)
    }

    /// State indices of a shortest path from an initial state to `i` (both included).
    pub fn state_indices_to(&self, i: usize) -> Vec<u32> {
        let mut path = vec![i as u32];
        let mut cur = i;
        while let Some(p) = self.parent(cur) {
            path.push(p as u32);
            cur = p;
        }
        path.reverse();
        path
    }

    /// A shortest path to state `i` in stateright's action-index encoding: the index of the
    /// initial state in [`Model::init_states`], then for each step the index of the action in
    /// the list returned by [`Model::actions`].
    pub fn path_to(&self, i: usize) -> Vec<usize> {
        self.state_indices_to(i)
            .into_iter()
            .map(|s| self.parent_action[s as usize] as usize)
            .collect()
    }

    /// Rebuilds the states and actions of the BFS path to state `i` by replaying the stored
    /// action indices (see [`StateGraph::path_to`]). The last pair has no action.
    pub fn rebuild_path_to<M>(&self, model: &M, i: usize) -> Vec<(M::State, Option<M::Action>)>
    where
        M: Model,
        M::State: Hash,
        M::Action: Clone,
    {
        let encoded = self.path_to(i);
        let mut state = model.init_states().swap_remove(encoded[0]);
        let mut out = Vec::with_capacity(encoded.len());
        let mut actions = Vec::new();
        for &k in &encoded[1..] {
            actions.clear();
            model.actions(&state, &mut actions);
            let action = actions.swap_remove(k);
            let next = model
                .next_state(&state, action.clone())
                .expect("liveness: replayed action is no longer enabled (nondeterministic model?)");
            out.push((state, Some(action)));
            state = next;
        }
        assert_eq!(
            fingerprint(&state),
            self.fps[i],
            "liveness: replay reached a different state (nondeterministic model?)"
        );
        out.push((state, None));
        out
    }

    /// Turns a verdict over state indices into one over states and actions of `model` (the
    /// model the graph was explored from), replaying its paths with [`StateGraph::replay`].
    pub fn replay_verdict<M>(
        &self,
        model: &M,
        verdict: IndexVerdict,
    ) -> Verdict<M::State, M::Action>
    where
        M: Model,
        M::State: Hash + Clone,
        M::Action: Clone,
    {
        match verdict {
            IndexVerdict::Holds => Verdict::Holds,
            IndexVerdict::HoldsUpToBound { frontier } => Verdict::HoldsUpToBound { frontier },
            IndexVerdict::Deadlock { path } => Verdict::Deadlock {
                path: self.replay(model, None, &path),
            },
            IndexVerdict::Livelock { stem, cycle } => {
                let stem = self.replay(model, None, &stem);
                let entry = stem.last().expect("non-empty stem").0.clone();
                let cycle = self.replay(model, Some(entry), &cycle);
                Verdict::Livelock { stem, cycle }
            }
        }
    }

    /// Rebuilds the states and actions along a sequence of state indices in which each state is
    /// a successor of the previous one; the first must be an initial state unless `start` is
    /// given (the actual state whose index is `indices[0]`). For each step, the first action
    /// (in [`Model::actions`] order) leading to a state with the right fingerprint is used.
    /// The last pair has no action.
    pub fn replay<M>(
        &self,
        model: &M,
        start: Option<M::State>,
        indices: &[u32],
    ) -> Vec<(M::State, Option<M::Action>)>
    where
        M: Model,
        M::State: Hash,
        M::Action: Clone,
    {
        let Some((&first, rest)) = indices.split_first() else {
            return Vec::new();
        };
        let mut state = match start {
            Some(state) => state,
            None => model
                .init_states()
                .into_iter()
                .find(|s| fingerprint(s) == self.fps[first as usize])
                .expect("liveness: no initial state matches the path"),
        };
        assert_eq!(fingerprint(&state), self.fps[first as usize]);
        let mut out = Vec::with_capacity(indices.len());
        let mut actions = Vec::new();
        for &target in rest {
            let want = self.fps[target as usize];
            actions.clear();
            model.actions(&state, &mut actions);
            let (action, next) = actions
                .drain(..)
                .find_map(|a| {
                    let next = model.next_state(&state, a.clone())?;
                    (fingerprint(&next) == want).then_some((a, next))
                })
                .expect("liveness: no action reproduces a recorded transition (nondeterministic model?)");
            out.push((state, Some(action)));
            state = next;
        }
        out.push((state, None));
        out
    }

    /// Approximate heap memory held by the graph, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.fps.capacity() * 8
            + self.table.bytes()
            + self.parent.capacity() * 4
            + self.parent_action.capacity() * 4
            + self.offsets.capacity() * 4
            + self.targets.capacity() * 4
            + self.label.bytes()
            + self.frontier.bytes()
            + self.init.capacity() * 4
            + self.level_starts.capacity() * 4
    }

    /// A shortest path of non-label states from a non-label initial state to a frontier state
    /// (breadth-first over the graph restricted to non-label states), as state indices: for
    /// [`IndexVerdict::HoldsUpToBound`], a run that reaches the bound without the goal.
    pub fn goal_free_path_to_frontier(&self) -> Option<Vec<u32>> {
        let n = self.len();
        let mut parent = vec![NONE; n];
        let mut seen = Bits::zeros(n);
        let mut queue = std::collections::VecDeque::new();
        for &i in self.init_indices() {
            if !self.label(i as usize) && !seen.get(i as usize) {
                seen.set(i as usize);
                queue.push_back(i);
            }
        }
        while let Some(u) = queue.pop_front() {
            if self.is_frontier(u as usize) {
                return Some(chain(&parent, u));
            }
            for &v in self.successors(u as usize) {
                if !self.label(v as usize) && !seen.get(v as usize) {
                    seen.set(v as usize);
                    parent[v as usize] = u;
                    queue.push_back(v);
                }
            }
        }
        None
    }

    /// Decides "on every maximal path, eventually label" on the index level (see the module
    /// documentation for the algorithm).
    pub fn check_eventually(&self) -> IndexVerdict {
        self.decide(None)
    }

    /// [`StateGraph::check_eventually`] under fairness: a cyclic component of the bad region is a
    /// livelock only if `fair_cycle` finds a fair cycle in it. `fair_cycle` gets the graph and
    /// the component's states (in BFS order of the restricted search, so the first is the one
    /// closest to an initial state) and returns a cycle of state indices inside the component
    /// (`cycle.first() == cycle.last()`), or `None` when every cycle there is unfair. Components
    /// are offered in that BFS order; the first fair cycle is reported with a shortest stem.
    /// See [`fairness`](super::fairness).
    pub fn check_eventually_fair(&self, fair_cycle: &mut FairCycle<'_>) -> IndexVerdict {
        self.decide(Some(fair_cycle))
    }

    fn decide(&self, fair_cycle: Option<&mut FairCycle<'_>>) -> IndexVerdict {
        let n = self.len();
        // Restricted BFS over non-label states from non-label initial states.
        let mut bad = Bits::zeros(n);
        let mut rparent = vec![NONE; n];
        let mut order: Vec<u32> = Vec::new();
        for &i in &self.init {
            if !self.label(i as usize) && !bad.get(i as usize) {
                bad.set(i as usize);
                order.push(i);
            }
        }
        let mut frontier = 0usize;
        let mut deadlock: Option<u32> = None;
        let mut head = 0;
        while head < order.len() {
            let u = order[head] as usize;
            head += 1;
            if self.is_frontier(u) {
                frontier += 1;
                continue;
            }
            let succ = self.successors(u);
            if succ.is_empty() && deadlock.is_none() {
                deadlock = Some(u as u32);
            }
            for &v in succ {
                if !self.label(v as usize) && !bad.get(v as usize) {
                    bad.set(v as usize);
                    rparent[v as usize] = u as u32;
                    order.push(v);
                }
            }
        }
        if let Some(end) = deadlock {
            return IndexVerdict::Deadlock {
                path: chain(&rparent, end),
            };
        }

        let (comp, cyclic) = self.cyclic_components(&bad, &order);
        if let Some(fair_cycle) = fair_cycle {
            let mut members: std::collections::HashMap<u32, Vec<u32>> = Default::default();
            let mut comps = Vec::new();
            for &u in &order {
                let c = comp[u as usize];
                if cyclic.get(c as usize) {
                    members
                        .entry(c)
                        .or_insert_with(|| {
                            comps.push(c);
                            Vec::new()
                        })
                        .push(u);
                }
            }
            for c in comps {
                if let Some(cycle) = fair_cycle(self, &members[&c]) {
                    assert!(
                        cycle.len() >= 2 && cycle.first() == cycle.last(),
                        "liveness: a fair cycle must return to its first state"
                    );
                    let stem = chain(&rparent, cycle[0]);
                    return IndexVerdict::Livelock { stem, cycle };
                }
            }
            return if frontier == 0 {
                IndexVerdict::Holds
            } else {
                IndexVerdict::HoldsUpToBound { frontier }
            };
        }
        if let Some(&entry) = order
            .iter()
            .find(|&&u| cyclic.get(comp[u as usize] as usize))
        {
            let stem = chain(&rparent, entry);
            // Shortest cycle through `entry` inside its component (BFS, reusing `rparent`).
            let c = comp[entry as usize];
            let mut seen = Bits::zeros(n);
            let mut queue = VecDeque::from([entry]);
            seen.set(entry as usize);
            rparent[entry as usize] = NONE;
            while let Some(u) = queue.pop_front() {
                for &v in self.successors(u as usize) {
                    if v == entry {
                        let mut cycle = chain(&rparent, u);
                        cycle.push(entry);
                        return IndexVerdict::Livelock { stem, cycle };
                    }
                    if comp[v as usize] == c && !seen.get(v as usize) {
                        seen.set(v as usize);
                        rparent[v as usize] = u;
                        queue.push_back(v);
                    }
                }
            }
            unreachable!("liveness: a cyclic component without a cycle");
        }

        if frontier == 0 {
            IndexVerdict::Holds
        } else {
            IndexVerdict::HoldsUpToBound { frontier }
        }
    }

    /// Strongly connected components of the subgraph induced by `region` (whose members are
    /// listed in `members`), by Pearce's space-efficient iterative variant of Tarjan's algorithm.
    /// Returns a component id per state (only meaningful inside the region; ids are in
    /// `1..=len()`) and the set of ids of components containing a cycle.
    fn cyclic_components(&self, region: &Bits, members: &[u32]) -> (Vec<u32>, Bits) {
        let n = self.len();
        // rindex: 0 = unvisited; while active, a DFS number (at most the number of active
        // states); once assigned, a component id, counted down from n (always above any
        // active DFS number, so the comparisons below never pull a finished state in).
        let mut rindex = vec![0u32; n];
        let mut root = Bits::zeros(n);
        let mut cyclic = Bits::zeros(n + 1);
        let mut next_index: u32 = 1;
        let mut next_comp: u32 = n as u32;
        let mut call: Vec<(u32, u32)> = Vec::new(); // (state, next edge position)
        let mut pending: Vec<u32> = Vec::new(); // visited, not yet assigned, not a root

        for &s in members {
            if rindex[s as usize] != 0 {
                continue;
            }
            rindex[s as usize] = next_index;
            next_index += 1;
            root.set(s as usize);
            call.push((s, self.offsets[s as usize]));
            while let Some(top) = call.last_mut() {
                let v = top.0 as usize;
                let end = self.offsets[v + 1];
                let mut descend = None;
                while top.1 < end {
                    let w = self.targets[top.1 as usize] as usize;
                    top.1 += 1;
                    if !region.get(w) {
                        continue;
                    }
                    if rindex[w] == 0 {
                        descend = Some(w);
                        break;
                    }
                    if rindex[w] < rindex[v] {
                        rindex[v] = rindex[w];
                        root.clear(v);
                    }
                }
                if let Some(w) = descend {
                    rindex[w] = next_index;
                    next_index += 1;
                    root.set(w);
                    call.push((w as u32, self.offsets[w]));
                    continue;
                }
                call.pop();
                if root.get(v) {
                    next_index -= 1;
                    let mut size = 1usize;
                    while let Some(&w) = pending.last() {
                        if rindex[v] > rindex[w as usize] {
                            break;
                        }
                        pending.pop();
                        rindex[w as usize] = next_comp;
                        next_index -= 1;
                        size += 1;
                    }
                    rindex[v] = next_comp;
                    if size > 1 || self.successors(v).contains(&(v as u32)) {
                        cyclic.set(next_comp as usize);
                    }
                    next_comp -= 1;
                } else {
                    pending.push(v as u32);
                }
                if let Some(&(p, _)) = call.last() {
                    let p = p as usize;
                    if rindex[v] < rindex[p] {
                        rindex[p] = rindex[v];
                        root.clear(p);
                    }
                }
            }
        }
        (rindex, cyclic)
    }
}

/// A decision procedure for fair cycles (see [`StateGraph::check_eventually_fair`]): the graph
/// and a cyclic component's states in, a fair cycle of state indices out.
pub type FairCycle<'a> = dyn FnMut(&StateGraph, &[u32]) -> Option<Vec<u32>> + 'a;

/// The outcome of [`StateGraph::check_eventually`], with states as graph indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexVerdict {
    /// Every maximal path reaches the label, and no non-label path reaches the frontier.
    Holds,
    /// No counterexample within the boundary, but `frontier` non-label frontier states are
    /// reachable through non-label states.
    HoldsUpToBound { frontier: usize },
    /// A path of non-label states from an initial state to a state without successors.
    Deadlock { path: Vec<u32> },
    /// A path of non-label states from an initial state to `cycle[0]`, and a cycle of non-label
    /// states from `cycle[0]` back to it (`cycle.last() == cycle.first()`).
    Livelock { stem: Vec<u32>, cycle: Vec<u32> },
}

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/// The verdict of [`check_eventually`]. Paths are lists of `(state, action taken from it)`; the
/// last pair of each list has no action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<S, A> {
    /// On every maximal path, the goal eventually holds.
    Holds,
    /// Every path that stays within the boundary reaches the goal, but `frontier` states outside
    /// the boundary, where the goal does not hold, are reachable without passing the goal: paths
    /// continuing from them were not explored.
    HoldsUpToBound { frontier: usize },
    /// From an initial state to a state without successors, the goal holding nowhere.
    Deadlock { path: Vec<(S, Option<A>)> },
    /// From an initial state, the goal holding nowhere, to the first state of a cycle along
    /// which the goal never holds either. `stem` ends at the cycle's first state; `cycle` starts
    /// there and returns to it.
    Livelock {
        stem: Vec<(S, Option<A>)>,
        cycle: Vec<(S, Option<A>)>,
    },
}

impl<S, A> Verdict<S, A> {
    /// True for [`Verdict::Deadlock`] and [`Verdict::Livelock`].
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::Deadlock { .. } | Verdict::Livelock { .. })
    }

    /// A short name of the variant.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsUpToBound { .. } => "holds up to the bound",
            Verdict::Deadlock { .. } => "violated (deadlock)",
            Verdict::Livelock { .. } => "violated (livelock)",
        }
    }
}

/// A path as `(state, action taken from it)` pairs; the last pair has no action.
pub type StatePath<S, A> = Vec<(S, Option<A>)>;

/// The result of [`check_eventually`].
pub struct LivenessReport<M: Model> {
    /// Distinct states discovered, frontier states included (stateright's unique state count
    /// excludes states outside the boundary: it equals `unique_states - frontier`).
    pub unique_states: usize,
    /// Transitions of the explored graph.
    pub edges: usize,
    /// Largest BFS depth, in transitions.
    pub max_depth: usize,
    /// Frontier states discovered (outside the boundary, not expanded), whether or not they
    /// matter for the verdict; [`Verdict::HoldsUpToBound`] counts only those that do.
    pub frontier: usize,
    /// States where the goal holds.
    pub goal_states: usize,
    pub verdict: Verdict<M::State, M::Action>,
    /// For [`Verdict::HoldsUpToBound`]: a shortest path from an initial state into the
    /// frontier along which the goal never holds (see
    /// [`StateGraph::goal_free_path_to_frontier`]), the run that only the bound cut off.
    pub bound_path: Option<StatePath<M::State, M::Action>>,
    /// Wall-clock time of exploration and analysis.
    pub seconds: f64,
    /// Heap memory of the final graph divided by `unique_states`. Not included: the search's
    /// queue or stack of states, the depth-first search's temporary 12 bytes per state and 4
    /// per transition, and the analysis' temporary arrays (about 13 bytes per state).
    pub bytes_per_state: f64,
}

impl<M: Model> Debug for LivenessReport<M>
where
    M::State: Debug,
    M::Action: Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LivenessReport")
            .field("unique_states", &self.unique_states)
            .field("edges", &self.edges)
            .field("max_depth", &self.max_depth)
            .field("frontier", &self.frontier)
            .field("goal_states", &self.goal_states)
            .field("verdict", &self.verdict)
            .field("bound_path", &self.bound_path)
            .field("seconds", &self.seconds)
            .field("bytes_per_state", &self.bytes_per_state)
            .finish()
    }
}

impl<M: Model> LivenessReport<M> {
    /// A one-line summary (no paths).
    pub fn summary(&self) -> String {
        let detail = match &self.verdict {
            Verdict::HoldsUpToBound { frontier } => {
                format!(" ({frontier} relevant frontier states)")
            }
            Verdict::Deadlock { path } => format!(" (path of {} states)", path.len()),
            Verdict::Livelock { stem, cycle } => format!(
                " (stem of {} states, cycle of {} transitions)",
                stem.len(),
                cycle.len() - 1
            ),
            Verdict::Holds => String::new(),
        };
        format!(
            "{}{}: {} states, {} edges, max depth {}, {} frontier, {:.2}s, {:.1} B/state",
            self.verdict.name(),
            detail,
            self.unique_states,
            self.edges,
            self.max_depth,
            self.frontier,
            self.seconds,
            self.bytes_per_state
        )
    }
}

/// Checks that on every maximal path of `model` the goal eventually holds (see the module
/// documentation), exploring in the default order ([`Search::Dfs`]; the result does not depend
/// on the order). The signature of `goal` matches [`Property::condition`], so an existing
/// eventually-property can be checked with `check_eventually(&model, property.condition)`.
pub fn check_eventually<M>(model: &M, goal: fn(&M, &M::State) -> bool) -> LivenessReport<M>
where
    M: Model,
    M::State: Hash + Clone + Debug,
    M::Action: Clone + Debug,
{
    check_eventually_in(model, Search::default(), |s| goal(model, s))
}

/// [`check_eventually`] with any closure as the goal.
pub fn check_eventually_by<M>(model: &M, goal: impl FnMut(&M::State) -> bool) -> LivenessReport<M>
where
    M: Model,
    M::State: Hash + Clone + Debug,
    M::Action: Clone + Debug,
{
    check_eventually_in(model, Search::default(), goal)
}

/// [`check_eventually_by`] with an explicit exploration order.
pub fn check_eventually_in<M>(
    model: &M,
    search: Search,
    goal: impl FnMut(&M::State) -> bool,
) -> LivenessReport<M>
where
    M: Model,
    M::State: Hash + Clone + Debug,
    M::Action: Clone + Debug,
{
    let started = Instant::now();
    let graph = explore_in(model, search, goal);
    let index_verdict = graph.check_eventually();
    report(model, &graph, index_verdict, started)
}

/// The report of a verdict decided on `graph` (explored from `model`), timed from `started`.
pub fn report<M>(
    model: &M,
    graph: &StateGraph,
    index_verdict: IndexVerdict,
    started: Instant,
) -> LivenessReport<M>
where
    M: Model,
    M::State: Hash + Clone + Debug,
    M::Action: Clone + Debug,
{
    let bound_path = match index_verdict {
        IndexVerdict::HoldsUpToBound { .. } => graph
            .goal_free_path_to_frontier()
            .map(|path| graph.replay(model, None, &path)),
        _ => None,
    };
    let verdict = graph.replay_verdict(model, index_verdict);
    let unique_states = graph.len();
    LivenessReport {
        unique_states,
        edges: graph.edge_count(),
        max_depth: graph.max_depth(),
        frontier: graph.frontier_count(),
        goal_states: graph.label_count(),
        verdict,
        bound_path,
        seconds: started.elapsed().as_secs_f64(),
        bytes_per_state: graph.memory_bytes() as f64 / unique_states.max(1) as f64,
    }
}

// ---------------------------------------------------------------------------------------------
// Timeouts only when no delivery is possible, and no failures
// ---------------------------------------------------------------------------------------------

/// Wraps an actor model (any [`Model`] whose actions are [`ActorModelAction`]s, typically a
/// [`stateright::actor::ActorModel`]) so that no message is lost, no actor crashes, and timers
/// fire only when no delivery is enabled. See the module documentation for the exact
/// assumption.
///
/// States, actions, formatting, SVG rendering and the boundary are the inner model's. The
/// filtering happens in [`Model::actions`]; [`Model::next_state`] refuses only `Drop` and
/// `Crash`. [`Model::properties`] is empty, since a property's condition is a plain function of
/// the inner model type; evaluate the inner model's properties through [`FairTimeouts::inner`].
#[derive(Clone, Debug)]
pub struct FairTimeouts<M> {
    inner: M,
}

impl<M> FairTimeouts<M> {
    pub fn new(inner: M) -> Self {
        FairTimeouts { inner }
    }

    pub fn inner(&self) -> &M {
        &self.inner
    }

    pub fn into_inner(self) -> M {
        self.inner
    }
}

impl<M, Msg, Timer, Random> FairTimeouts<M>
where
    M: Model<Action = ActorModelAction<Msg, Timer, Random>>,
    Msg: Clone,
    Timer: Clone,
    Random: Clone,
{
    /// True if some delivery action of the inner model produces a transition from `state`.
    pub fn delivery_enabled(&self, state: &M::State) -> bool {
        let mut actions = Vec::new();
        self.inner.actions(state, &mut actions);
        self.any_delivery_enabled(state, &actions)
    }

    fn any_delivery_enabled(&self, state: &M::State, actions: &[M::Action]) -> bool {
        actions.iter().any(|a| {
            matches!(a, ActorModelAction::Deliver { .. })
                && self.inner.next_state(state, a.clone()).is_some()
        })
    }
}

impl<M, Msg, Timer, Random> Model for FairTimeouts<M>
where
    M: Model<Action = ActorModelAction<Msg, Timer, Random>>,
    M::State: Clone + PartialEq,
    Msg: Clone + PartialEq,
    Timer: Clone + PartialEq,
    Random: Clone + PartialEq,
{
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        // Only the actions appended here are filtered; anything already in `actions` stays.
        let start = actions.len();
        self.inner.actions(state, actions);
        let mut position = 0;
        actions.retain(|a| {
            position += 1;
            position <= start
                || !matches!(a, ActorModelAction::Drop(_) | ActorModelAction::Crash(_))
        });
        let own = &actions[start..];
        if own
            .iter()
            .any(|a| matches!(a, ActorModelAction::Timeout(..)))
            && self.any_delivery_enabled(state, own)
        {
            let mut position = 0;
            actions.retain(|a| {
                position += 1;
                position <= start || !matches!(a, ActorModelAction::Timeout(..))
            });
        }
    }

    fn next_state(&self, last_state: &Self::State, action: Self::Action) -> Option<Self::State> {
        match action {
            ActorModelAction::Drop(_) | ActorModelAction::Crash(_) => None,
            action => self.inner.next_state(last_state, action),
        }
    }

    fn format_action(&self, action: &Self::Action) -> String
    where
        Self::Action: Debug,
    {
        self.inner.format_action(action)
    }

    fn format_step(&self, last_state: &Self::State, action: Self::Action) -> Option<String>
    where
        Self::State: Debug,
    {
        self.inner.format_step(last_state, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        let mut steps = path.into_vec().into_iter();
        let (init, first) = steps.next()?;
        let actions: Vec<Self::Action> = first
            .into_iter()
            .chain(steps.filter_map(|(_, a)| a))
            .collect();
        let inner_path = Path::from_actions(&self.inner, init, &actions)?;
        self.inner.as_svg(inner_path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Vec::new()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.inner.within_boundary(state)
    }
}
