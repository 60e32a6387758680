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
//! 1. **Explore** ([`explore_in`], [`explore_in_with`]): search from [`Model::init_states`](stateright::Model::init_states).
//!    Each distinct state gets a dense `u32` index in BFS discovery order; the state itself is
//!    *not* kept once it has been expanded. Per state we keep only its 64-bit fingerprint (a
//!    [`Hash`] of the state fed into a fixed-key hasher, so it is stable within a build), its
//!    BFS parent (index plus action index, enough to rebuild a path by replaying the model from
//!    an initial state), one bit for the goal predicate P and one "frontier" bit. Successor
//!    lists are stored compressed (CSR: one `u32` offset per state and one `u32` target per
//!    transition), about 30 bytes per state plus 4 per transition in all. A state for which
//!    [`Model::within_boundary`](stateright::Model::within_boundary) is false is recorded but not expanded: it is a *frontier*
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
//! # The parts
//!
//! * [`fingerprint`](mod@fingerprint): a stable 64-bit state fingerprint and the open-addressing table of
//!   state indices keyed by it.
//! * [`graph`]: the explorer: the reachable [`StateGraph`] (BFS or DFS, one label bit per
//!   state, frontier states), paths and replays.
//! * [`eventually`]: the decision procedure on the graph (goal-free cycles and dead ends,
//!   optionally fair cycles only) and the model-level [`check_eventually`] with its report.
//! * [`fair_timeouts`]: the no-failure, timeouts-after-deliveries assumption.

pub mod eventually;
pub mod fair_timeouts;
pub mod fingerprint;
pub mod graph;

pub use eventually::*;
pub use fair_timeouts::FairTimeouts;
pub use fingerprint::fingerprint;
pub use graph::*;
