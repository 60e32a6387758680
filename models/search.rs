//! The one search order every explorer of the project takes: the liveness graph
//! ([`crate::models::liveness`]), the safety runs on stateright's checker ([`crate::models::run`])
//! and the refinement checks (`specs/refinement.rs`).

/// The order in which an exploration expands states.
///
/// * In the liveness graph both orders produce the same `StateGraph` (same numbering,
///   parents, depths, successor lists): only the order of the edge callbacks, the time and the
///   peak memory differ.
/// * On stateright's checker (`paxos check`), depth-first is the order that applies a
///   symmetry reduction (stateright 0.31 applies none to breadth-first), and breadth-first
///   finds shortest counterexamples.
/// * In a refinement check, depth-first keeps memory low and breadth-first gives a shortest
///   trace to the first violating step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Search {
    /// Breadth-first. The queue holds every discovered state not yet expanded, i.e. up to two
    /// full BFS levels of states: for protocol models with wide levels and large states this
    /// queue, not the graph, dominates memory.
    Bfs,
    /// Depth-first (in the liveness graph, then renumbered into BFS order on the integer
    /// graph). The stack holds only the unexpanded successors of the states along the current
    /// path, so memory is dominated by what is kept per state; in the liveness graph the price
    /// is 12 more bytes per state and 4 per transition during exploration, and a renumbering
    /// pass (integers only) at the end.
    #[default]
    Dfs,
}

crate::names::names!(Search {
    Bfs => "bfs",
    Dfs => "dfs",
});
