//! The explorer: the reachable state graph of a model, without the states themselves.
//!
//! Exploration records, per state, its fingerprint, its BFS parent and the action from it,
//! its successors (compressed rows), one label bit and whether it is outside the boundary
//! (frontier). States are rebuilt on demand by replaying actions from an initial state, so the
//! graph costs a few words per state however large the states are.

use std::collections::VecDeque;
use std::fmt::{self, Debug};
use std::hash::Hash;

use stateright::Model;

use super::eventually::{IndexVerdict, Verdict};
use super::fingerprint::{fingerprint, FingerprintTable};
// ---------------------------------------------------------------------------------------------
// Small containers
// ---------------------------------------------------------------------------------------------

pub(super) const NONE: u32 = u32::MAX;

/// The path from a root to `end` along `parent` links (`NONE` at a root), root first.
pub(super) fn chain(parent: &[u32], end: u32) -> Vec<u32> {
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
pub(super) struct Bits {
    pub(super) words: Vec<u64>,
    pub(super) len: usize,
}

impl Bits {
    pub(super) fn zeros(len: usize) -> Self {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(super) fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> bool {
        (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    #[inline]
    pub(super) fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    pub(super) fn clear(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
    }

    pub(super) fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub(super) fn bytes(&self) -> usize {
        self.words.capacity() * 8
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
    pub(super) fps: Vec<u64>,
    pub(super) table: FingerprintTable,
    pub(super) parent: Vec<u32>,
    pub(super) parent_action: Vec<u32>,
    pub(super) offsets: Vec<u32>,
    pub(super) targets: Vec<u32>,
    pub(super) label: Bits,
    pub(super) frontier: Bits,
    pub(super) init: Vec<u32>,
    pub(super) level_starts: Vec<u32>,
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

pub use crate::models::search::Search;

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

/// Breadth-first exploration into a [`StateGraph`]. Longer than 70 lines for a reason: it is
/// the checker's inner loop (fingerprint, look-up, label, successors), kept in one function so
/// that its buffers are reused across states.
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
    /// graph [`Search::Bfs`] builds. Longer than 70 lines for a reason: one pass over
    /// millions of states that renumbers five arrays together; kept as one loop so that no
    /// intermediate copy of them is made.
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

    /// The label bit of state `i` (the goal predicate for [`check_eventually`](super::check_eventually)).
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
}
