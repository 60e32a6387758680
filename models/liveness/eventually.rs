//! "Eventually", decided on the state graph: on every maximal path the label (the goal) holds
//! at some state. A violation is a goal-free dead end (deadlock) or a goal-free cycle
//! (livelock; with a fairness decision procedure, only a fair such cycle), or, when the
//! exploration was bounded, a goal-free path into the frontier (holds only up to the bound).

use std::collections::VecDeque;
use std::fmt::{self, Debug};
use std::hash::Hash;
use std::time::Instant;

use stateright::Model;

use super::graph::*;

/// The goal-free part of the graph reachable from goal-free initial states.
struct Region {
    /// Its states.
    bad: Bits,
    /// BFS parents (`NONE` at an initial state).
    rparent: Vec<u32>,
    /// Its states in BFS order.
    order: Vec<u32>,
    /// How many of them are frontier states.
    frontier: usize,
    /// The first dead end found, if any.
    deadlock: Option<u32>,
}

impl StateGraph {
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
    /// See [`fairness`](crate::models::fairness).
    pub fn check_eventually_fair(&self, fair_cycle: &mut FairCycle<'_>) -> IndexVerdict {
        self.decide(Some(fair_cycle))
    }

    /// The decision itself (see the module docs of [`super`]): a goal-free dead end first,
    /// then a goal-free cycle (a fair one only, with `fair_cycle`), each with a shortest stem;
    /// otherwise it holds, up to the bound when a goal-free path reaches the frontier.
    fn decide(&self, fair_cycle: Option<&mut FairCycle<'_>>) -> IndexVerdict {
        let mut r = self.goal_free_region();
        if let Some(end) = r.deadlock {
            return IndexVerdict::Deadlock {
                path: chain(&r.rparent, end),
            };
        }
        let holds = if r.frontier == 0 {
            IndexVerdict::Holds
        } else {
            IndexVerdict::HoldsUpToBound {
                frontier: r.frontier,
            }
        };
        let (comp, cyclic) = self.cyclic_components(&r.bad, &r.order);
        if let Some(fair_cycle) = fair_cycle {
            return self
                .fair_livelock(&r, &comp, &cyclic, fair_cycle)
                .unwrap_or(holds);
        }
        let Some(&entry) = r
            .order
            .iter()
            .find(|&&u| cyclic.get(comp[u as usize] as usize))
        else {
            return holds;
        };
        let stem = chain(&r.rparent, entry);
        let cycle = self.shortest_cycle(entry, &comp, &mut r.rparent);
        IndexVerdict::Livelock { stem, cycle }
    }

    /// Breadth-first search over goal-free states from goal-free initial states: the region,
    /// its BFS order and parents, its frontier states, and its first dead end.
    fn goal_free_region(&self) -> Region {
        let n = self.len();
        let mut r = Region {
            bad: Bits::zeros(n),
            rparent: vec![NONE; n],
            order: Vec::new(),
            frontier: 0,
            deadlock: None,
        };
        for &i in &self.init {
            if !self.label(i as usize) && !r.bad.get(i as usize) {
                r.bad.set(i as usize);
                r.order.push(i);
            }
        }
        let mut head = 0;
        while head < r.order.len() {
            let u = r.order[head] as usize;
            head += 1;
            if self.is_frontier(u) {
                r.frontier += 1;
                continue;
            }
            let succ = self.successors(u);
            if succ.is_empty() && r.deadlock.is_none() {
                r.deadlock = Some(u as u32);
            }
            for &v in succ {
                if !self.label(v as usize) && !r.bad.get(v as usize) {
                    r.bad.set(v as usize);
                    r.rparent[v as usize] = u as u32;
                    r.order.push(v);
                }
            }
        }
        r
    }

    /// The first cyclic component (in BFS order of its first state) in which `fair_cycle`
    /// finds a fair cycle, as a livelock with a shortest stem.
    fn fair_livelock(
        &self,
        r: &Region,
        comp: &[u32],
        cyclic: &Bits,
        fair_cycle: &mut FairCycle<'_>,
    ) -> Option<IndexVerdict> {
        let mut members: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        let mut comps = Vec::new();
        for &u in &r.order {
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
                let stem = chain(&r.rparent, cycle[0]);
                return Some(IndexVerdict::Livelock { stem, cycle });
            }
        }
        None
    }

    /// A shortest cycle through `entry` inside its component (BFS, reusing `rparent`).
    fn shortest_cycle(&self, entry: u32, comp: &[u32], rparent: &mut [u32]) -> Vec<u32> {
        let c = comp[entry as usize];
        let mut seen = Bits::zeros(self.len());
        let mut queue = VecDeque::from([entry]);
        seen.set(entry as usize);
        rparent[entry as usize] = NONE;
        while let Some(u) = queue.pop_front() {
            for &v in self.successors(u as usize) {
                if v == entry {
                    let mut cycle = chain(rparent, u);
                    cycle.push(entry);
                    return cycle;
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

    /// Strongly connected components of the subgraph induced by `region` (whose members are
    /// listed in `members`), by Pearce's space-efficient iterative variant of Tarjan's algorithm.
    /// Returns a component id per state (only meaningful inside the region; ids are in
    /// `1..=len()`) and the set of ids of components containing a cycle. Longer than 70 lines
    /// for a reason: it is one iterative algorithm whose explicit stack replaces recursion.
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
/// on the order). The signature of `goal` matches [`Property::condition`](stateright::Property), so an existing
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
