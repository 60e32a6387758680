//! Tests of the generic liveness checker (`paxos::models::liveness`) on tiny hand-written models,
//! including the shapes (a cycle, a join) on which stateright's own `Expectation::Eventually`
//! misses a counterexample.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Duration;

use paxos::models::liveness::{
    check_eventually, check_eventually_in, explore, explore_in, explore_in_with, explore_with,
    for_each_edge, FairTimeouts, IndexVerdict, Search, Verdict,
};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, Envelope, Id, LossyNetwork, Network, Out,
};
use stateright::{Checker, Model, Property};

// ---------------------------------------------------------------------------------------------
// A model given by an explicit edge list over small numbered states
// ---------------------------------------------------------------------------------------------

/// States are `u8`s; the action `Go(t)` moves to state `t`. The goal ("eventually odd") is the
/// single stateright property, so the same model can be handed to stateright's checker.
#[derive(Clone, Debug)]
struct Digraph {
    init: Vec<u8>,
    edges: Vec<(u8, u8)>,
    /// States greater than this are outside the boundary.
    max_inside: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Go(u8);

impl Digraph {
    fn new(init: &[u8], edges: &[(u8, u8)]) -> Self {
        Digraph {
            init: init.to_vec(),
            edges: edges.to_vec(),
            max_inside: u8::MAX,
        }
    }

    fn bounded(mut self, max_inside: u8) -> Self {
        self.max_inside = max_inside;
        self
    }
}

fn is_odd(_: &Digraph, s: &u8) -> bool {
    s % 2 == 1
}

impl Model for Digraph {
    type State = u8;
    type Action = Go;

    fn init_states(&self) -> Vec<u8> {
        self.init.clone()
    }

    fn actions(&self, state: &u8, actions: &mut Vec<Go>) {
        actions.extend(
            self.edges
                .iter()
                .filter(|(from, _)| from == state)
                .map(|&(_, to)| Go(to)),
        );
    }

    fn next_state(&self, _: &u8, action: Go) -> Option<u8> {
        Some(action.0)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("odd", is_odd)]
    }

    fn within_boundary(&self, state: &u8) -> bool {
        *state <= self.max_inside
    }
}

/// Builds the expected `(state, action)` list of a path through `states`.
fn walk(states: &[u8]) -> Vec<(u8, Option<Go>)> {
    states
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, states.get(i + 1).map(|&t| Go(t))))
        .collect()
}

fn stateright_bfs_discovery(model: &Digraph) -> Option<Vec<u8>> {
    model
        .clone()
        .checker()
        .spawn_bfs()
        .join()
        .discovery("odd")
        .map(|path| path.into_states())
}

fn stateright_dfs_discovery(model: &Digraph) -> Option<Vec<u8>> {
    model
        .clone()
        .checker()
        .spawn_dfs()
        .join()
        .discovery("odd")
        .map(|path| path.into_states())
}

// ---------------------------------------------------------------------------------------------
// 1. A cycle that stateright's eventually misses
// ---------------------------------------------------------------------------------------------

#[test]
fn cycle_missed_by_stateright_is_a_livelock() {
    // 0 -> 1 (odd, terminal); 0 -> 2 -> 4 -> 2 -> ... never odd.
    let model = Digraph::new(&[0], &[(0, 1), (0, 2), (2, 4), (4, 2)]);

    // stateright: the only terminal state (1) satisfies the goal, and re-entering 2 is not
    // treated as the end of a path, so it reports nothing.
    assert_eq!(stateright_bfs_discovery(&model), None);
    assert_eq!(stateright_dfs_discovery(&model), None);

    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 4);
    assert_eq!(report.edges, 4);
    assert_eq!(report.max_depth, 2);
    assert_eq!(report.frontier, 0);
    assert_eq!(report.goal_states, 1);
    assert_eq!(
        report.verdict,
        Verdict::Livelock {
            stem: walk(&[0, 2]),
            cycle: walk(&[2, 4, 2]),
        }
    );
}

#[test]
fn self_loop_is_a_livelock() {
    let model = Digraph::new(&[0], &[(0, 0), (0, 1)]);
    assert_eq!(stateright_bfs_discovery(&model), None);
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 2);
    assert_eq!(report.edges, 2);
    assert_eq!(
        report.verdict,
        Verdict::Livelock {
            stem: walk(&[0]),
            cycle: walk(&[0, 0]),
        }
    );
}

#[test]
fn livelock_stem_leads_to_the_nearest_cycle_state() {
    // A longer cycle 2 -> 4 -> 6 -> 8 -> 2 entered at 6 (from 0 via 10), and at 2 only later.
    let model = Digraph::new(
        &[0],
        &[
            (0, 10),
            (10, 6),
            (10, 12),
            (12, 2),
            (2, 4),
            (4, 6),
            (6, 8),
            (8, 2),
        ],
    );
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 7);
    assert_eq!(
        report.verdict,
        Verdict::Livelock {
            stem: walk(&[0, 10, 6]),
            cycle: walk(&[6, 8, 2, 4, 6]),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 2. A join that stateright's eventually misses
// ---------------------------------------------------------------------------------------------

#[test]
fn join_missed_by_stateright_is_a_deadlock() {
    // 0 -> 1 (odd) -> 4 -> 6 (terminal), and 0 -> 2 -> 4: the path 0, 2, 4, 6 never sees an
    // odd state. stateright expands 4 only once, on arrival from 1, with the goal already met.
    let model = Digraph::new(&[0], &[(0, 1), (0, 2), (1, 4), (2, 4), (4, 6)]);
    assert_eq!(stateright_bfs_discovery(&model), None);

    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 5);
    assert_eq!(report.edges, 5);
    assert_eq!(report.max_depth, 3);
    assert_eq!(report.frontier, 0);
    assert_eq!(
        report.verdict,
        Verdict::Deadlock {
            path: walk(&[0, 2, 4, 6]),
        }
    );

    // The exploration's own BFS tree reaches 6 through the goal state 1; the counterexample was
    // found in the goal-free subgraph instead.
    let graph = explore(&model, |s| s % 2 == 1);
    let six = graph.index_of(&6u8).unwrap();
    assert_eq!(graph.state_indices_to(six), vec![0, 1, 3, 4]);
    assert_eq!(graph.path_to(six), vec![0, 0, 0, 0]);
    assert_eq!(graph.rebuild_path_to(&model, six), walk(&[0, 1, 4, 6]));
    assert_eq!(
        graph.check_eventually(),
        IndexVerdict::Deadlock {
            path: vec![0, 2, 3, 4]
        }
    );
}

#[test]
fn join_of_two_initial_states_is_a_deadlock() {
    // The second shape of stateright's fixme test: init 1 (odd) and init 0 meet in 4.
    let model = Digraph::new(&[0, 1], &[(0, 2), (2, 4), (1, 4), (4, 6)]);
    assert_eq!(stateright_bfs_discovery(&model), None);
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 5);
    assert_eq!(
        report.verdict,
        Verdict::Deadlock {
            path: walk(&[0, 2, 4, 6]),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Properties that hold, with and without a boundary
// ---------------------------------------------------------------------------------------------

#[test]
fn holds_on_cycles_through_the_goal() {
    // Every cycle passes through 3; the other branch ends in 5.
    let model = Digraph::new(&[0], &[(0, 2), (2, 3), (3, 0), (0, 5)]);
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 4);
    assert_eq!(report.edges, 4);
    assert_eq!(report.max_depth, 2);
    assert_eq!(report.frontier, 0);
    assert_eq!(report.verdict, Verdict::Holds);
    assert!(report.bytes_per_state > 0.0);
}

#[test]
fn holds_when_an_initial_state_is_the_goal() {
    let model = Digraph::new(&[1], &[(1, 2), (2, 2)]);
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.unique_states, 2);
    assert_eq!(report.verdict, Verdict::Holds);
}

#[test]
fn boundary_gives_holds_up_to_bound() {
    // 0 -> 2 -> 4, 2 -> 7, 4 -> 6, 4 -> 8, then 6 -> 10 and 8 -> 10 beyond the boundary (4).
    // Frontier states: 7 (odd: the goal holds there, irrelevant), 6 and 8 (relevant).
    let edges = [(0, 2), (2, 4), (2, 7), (4, 6), (4, 8), (6, 10), (8, 10)];
    let bounded = Digraph::new(&[0], &edges).bounded(4);
    let report = check_eventually(&bounded, is_odd);
    assert_eq!(report.unique_states, 6);
    assert_eq!(report.edges, 5);
    assert_eq!(report.max_depth, 3);
    assert_eq!(report.frontier, 3);
    assert_eq!(report.verdict, Verdict::HoldsUpToBound { frontier: 2 });
    // The run the bound cut off: it avoids the frontier state 7, where the goal holds.
    assert_eq!(report.bound_path, Some(walk(&[0, 2, 4, 6])));

    // Without the boundary, the path continues into the terminal state 10.
    let unbounded = Digraph::new(&[0], &edges);
    let report = check_eventually(&unbounded, is_odd);
    assert_eq!(report.unique_states, 7);
    assert_eq!(report.frontier, 0);
    assert_eq!(
        report.verdict,
        Verdict::Deadlock {
            path: walk(&[0, 2, 4, 6, 10]),
        }
    );
    assert_eq!(report.bound_path, None);
}

#[test]
fn counterexample_inside_the_boundary_beats_the_frontier() {
    // 0 -> 2 (terminal) and 0 -> 9 beyond the boundary: the deadlock is real.
    let model = Digraph::new(&[0], &[(0, 9), (0, 2)]).bounded(4);
    let report = check_eventually(&model, is_odd);
    assert_eq!(report.frontier, 1);
    assert_eq!(
        report.verdict,
        Verdict::Deadlock {
            path: walk(&[0, 2]),
        }
    );
}

#[test]
fn initial_state_outside_the_boundary_is_frontier() {
    let model = Digraph::new(&[8, 0], &[(0, 1), (8, 0)]).bounded(4);
    let graph = explore(&model, |s| s % 2 == 1);
    assert_eq!(graph.len(), 3);
    assert_eq!(graph.init_indices(), &[0, 1]);
    assert!(graph.is_frontier(0));
    assert!(graph.successors(0).is_empty());
    assert!(!graph.is_terminal(0));
    assert_eq!(
        graph.check_eventually(),
        IndexVerdict::HoldsUpToBound { frontier: 1 }
    );
}

// ---------------------------------------------------------------------------------------------
// The graph and the edge visitor
// ---------------------------------------------------------------------------------------------

#[test]
fn graph_accessors() {
    let model = Digraph::new(&[0], &[(0, 1), (0, 2), (2, 4), (4, 2), (2, 2)]);
    let graph = explore(&model, |s| s % 2 == 1);
    // Indices in BFS order: 0 -> #0, 1 -> #1, 2 -> #2, 4 -> #3.
    assert_eq!(graph.len(), 4);
    assert_eq!(graph.edge_count(), 5);
    assert_eq!(graph.successors(0), &[1, 2]);
    assert_eq!(graph.successors(1), &[] as &[u32]);
    assert_eq!(graph.successors(2), &[3, 2]);
    assert_eq!(graph.successors(3), &[2]);
    assert_eq!(
        (0..4).map(|i| graph.depth(i)).collect::<Vec<_>>(),
        vec![0, 1, 1, 2]
    );
    assert_eq!(graph.max_depth(), 2);
    assert_eq!(
        (0..4).map(|i| graph.label(i)).collect::<Vec<_>>(),
        vec![false, true, false, false]
    );
    assert_eq!(
        (0..4).map(|i| graph.is_terminal(i)).collect::<Vec<_>>(),
        vec![false, true, false, false]
    );
    assert_eq!(graph.parent(0), None);
    assert_eq!(graph.parent(3), Some(2));
    assert_eq!(graph.path_to(3), vec![0, 1, 0]);
    assert_eq!(graph.rebuild_path_to(&model, 3), walk(&[0, 2, 4]));
    assert_eq!(
        graph.replay(&model, None, &[0, 2, 2, 3]),
        walk(&[0, 2, 2, 4])
    );
    assert_eq!(graph.index_of(&7u8), None);
    assert_eq!(graph.frontier_count(), 0);
    assert_eq!(graph.label_count(), 1);
}

#[test]
fn edge_visitor_sees_every_transition_once() {
    // Includes a transition into an already seen state (4 -> 2), a self-loop, and two actions
    // into the same state (duplicate edge 2 -> 4), and one into the frontier (4 -> 9).
    let model = Digraph::new(
        &[0],
        &[(0, 1), (0, 2), (2, 4), (2, 4), (4, 2), (4, 4), (4, 9)],
    )
    .bounded(8);
    let mut seen = Vec::new();
    let graph = explore_with(&model, |_| false, |s, a, t| seen.push((*s, a.0, *t)));
    assert_eq!(
        seen,
        vec![
            (0, 1, 1),
            (0, 2, 2),
            (2, 4, 4),
            (2, 4, 4),
            (4, 2, 2),
            (4, 4, 4),
            (4, 9, 9)
        ]
    );
    assert_eq!(graph.edge_count(), 7);
    assert_eq!(graph.frontier_count(), 1);

    let mut count = 0;
    let graph = for_each_edge(&model, |_, _, _| count += 1);
    assert_eq!(count, 7);
    assert_eq!(graph.len(), 5);

    // Depth-first: the same transitions (here in the same order too), and the same graph.
    let mut dfs_seen = Vec::new();
    let dfs_graph = explore_in_with(
        &model,
        Search::Dfs,
        |_| false,
        |s, a, t| dfs_seen.push((*s, a.0, *t)),
    );
    assert_eq!(dfs_seen, seen);
    assert_eq!(dfs_graph, explore(&model, |_| false));
}

// ---------------------------------------------------------------------------------------------
// Randomised cross-check against a brute-force decision procedure
// ---------------------------------------------------------------------------------------------

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Shortest distances from the non-goal initial states within the non-goal subgraph.
fn bad_distances(model: &Digraph) -> Vec<Option<usize>> {
    let mut dist = vec![None; 256];
    let mut queue = VecDeque::new();
    for &i in &model.init {
        if i % 2 == 0 && dist[i as usize].is_none() {
            dist[i as usize] = Some(0);
            queue.push_back(i);
        }
    }
    while let Some(u) = queue.pop_front() {
        if !model.within_boundary(&u) {
            continue;
        }
        for &(a, b) in &model.edges {
            if a == u && b % 2 == 0 && dist[b as usize].is_none() {
                dist[b as usize] = Some(dist[u as usize].unwrap() + 1);
                queue.push_back(b);
            }
        }
    }
    dist
}

fn is_bad_path(model: &Digraph, path: &[(u8, Option<Go>)]) -> bool {
    path.iter().all(|(s, _)| s % 2 == 0)
        && path.windows(2).all(|w| {
            let (s, a) = (&w[0].0, w[0].1.as_ref().unwrap());
            a.0 == w[1].0 && model.within_boundary(s) && model.edges.contains(&(*s, a.0))
        })
        && path.last().unwrap().1.is_none()
}

#[test]
fn random_graphs_agree_with_brute_force() {
    let mut rng = Lcg(7);
    let mut kinds = [0usize; 4];
    for round in 0..400 {
        let nodes = 2 + rng.next(14) as u8;
        let edge_count = rng.next(2 * nodes as u64 + 1);
        let edges: Vec<(u8, u8)> = (0..edge_count)
            .map(|_| (rng.next(nodes as u64) as u8, rng.next(nodes as u64) as u8))
            .collect();
        let init: Vec<u8> = (0..1 + rng.next(2))
            .map(|_| rng.next(nodes as u64) as u8)
            .collect();
        let mut model = Digraph::new(&init, &edges);
        if round % 3 == 0 {
            model = model.bounded(nodes / 2);
        }
        let dist = bad_distances(&model);
        let bad: Vec<u8> = (0..nodes).filter(|&s| dist[s as usize].is_some()).collect();
        let succ = |s: u8| -> Vec<u8> {
            if !model.within_boundary(&s) {
                return Vec::new();
            }
            edges.iter().filter(|e| e.0 == s).map(|e| e.1).collect()
        };
        let terminals: Vec<u8> = bad
            .iter()
            .copied()
            .filter(|&s| model.within_boundary(&s) && succ(s).is_empty())
            .collect();
        // s lies on a bad cycle iff s reaches itself through bad states.
        let on_cycle = |s: u8| -> bool {
            let mut seen = [false; 256];
            let mut stack: Vec<u8> = succ(s).into_iter().filter(|t| t % 2 == 0).collect();
            while let Some(u) = stack.pop() {
                if u == s {
                    return true;
                }
                if !seen[u as usize] {
                    seen[u as usize] = true;
                    stack.extend(succ(u).into_iter().filter(|t| t % 2 == 0));
                }
            }
            false
        };
        let cyclic: Vec<u8> = bad.iter().copied().filter(|&s| on_cycle(s)).collect();
        let frontier = bad.iter().filter(|&&s| !model.within_boundary(&s)).count();

        let report = check_eventually(&model, is_odd);
        assert_eq!(
            explore_in(&model, Search::Bfs, |s| s % 2 == 1),
            explore_in(&model, Search::Dfs, |s| s % 2 == 1),
            "round {round}: {model:?}"
        );
        assert_eq!(
            check_eventually_in(&model, Search::Bfs, |s| s % 2 == 1).verdict,
            report.verdict
        );
        match &report.verdict {
            Verdict::Deadlock { path } => {
                kinds[0] += 1;
                let best = terminals.iter().map(|&t| dist[t as usize].unwrap()).min();
                assert_eq!(Some(path.len() - 1), best, "round {round}: {model:?}");
                assert!(is_bad_path(&model, path), "round {round}");
                assert!(init.contains(&path[0].0));
                assert!(terminals.contains(&path.last().unwrap().0));
            }
            Verdict::Livelock { stem, cycle } => {
                kinds[1] += 1;
                assert!(terminals.is_empty(), "round {round}: {model:?}");
                let best = cyclic.iter().map(|&t| dist[t as usize].unwrap()).min();
                assert_eq!(Some(stem.len() - 1), best, "round {round}: {model:?}");
                assert!(is_bad_path(&model, stem) && is_bad_path(&model, cycle));
                assert!(init.contains(&stem[0].0));
                assert_eq!(stem.last().unwrap().0, cycle[0].0);
                assert_eq!(cycle.last().unwrap().0, cycle[0].0);
                assert!(cycle.len() >= 2);
            }
            Verdict::HoldsUpToBound { frontier: f } => {
                kinds[2] += 1;
                assert!(terminals.is_empty() && cyclic.is_empty(), "round {round}");
                assert_eq!(*f, frontier);
                assert!(frontier > 0);
            }
            Verdict::Holds => {
                kinds[3] += 1;
                assert!(terminals.is_empty() && cyclic.is_empty(), "round {round}");
                assert_eq!(frontier, 0);
            }
        }
    }
    // Every outcome was exercised.
    assert!(kinds.iter().all(|&k| k > 10), "{kinds:?}");
}

// ---------------------------------------------------------------------------------------------
// Larger models (memory per state)
// ---------------------------------------------------------------------------------------------

/// Three counters; `Inc(i)` increments counter `i`, either saturating at `max` (no action then)
/// or wrapping around modulo `max + 1`.
struct Counters {
    max: u8,
    wrap: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Inc(usize);

impl Model for Counters {
    type State = [u8; 3];
    type Action = Inc;

    fn init_states(&self) -> Vec<[u8; 3]> {
        vec![[0, 0, 0]]
    }

    fn actions(&self, state: &[u8; 3], actions: &mut Vec<Inc>) {
        for (i, &c) in state.iter().enumerate() {
            if self.wrap || c < self.max {
                actions.push(Inc(i));
            }
        }
    }

    fn next_state(&self, state: &[u8; 3], action: Inc) -> Option<[u8; 3]> {
        let mut next = *state;
        next[action.0] = if next[action.0] == self.max {
            0
        } else {
            next[action.0] + 1
        };
        Some(next)
    }
}

#[test]
fn million_state_cube_holds() {
    let model = Counters {
        max: 99,
        wrap: false,
    };
    let report = check_eventually(&model, |_, s| *s == [99, 99, 99]);
    println!("cube: {}", report.summary());
    assert_eq!(report.unique_states, 1_000_000);
    assert_eq!(report.edges, 3 * 99 * 100 * 100);
    assert_eq!(report.max_depth, 297);
    assert_eq!(report.verdict, Verdict::Holds);
    assert!(report.bytes_per_state < 64.0, "{}", report.bytes_per_state);

    let bfs = check_eventually_in(&model, Search::Bfs, |s| *s == [99, 99, 99]);
    println!("cube (BFS): {}", bfs.summary());
    assert_eq!(bfs.verdict, Verdict::Holds);
    let goal = |s: &[u8; 3]| *s == [99, 99, 99];
    assert_eq!(
        explore_in(&model, Search::Bfs, goal),
        explore_in(&model, Search::Dfs, goal)
    );
}

#[test]
fn torus_livelock_with_shortest_cycle() {
    let model = Counters {
        max: 63,
        wrap: true,
    };
    let report = check_eventually(&model, |_, s| *s == [63, 62, 61]);
    println!("torus: {}", report.summary());
    assert_eq!(report.unique_states, 64 * 64 * 64);
    assert_eq!(report.edges, 3 * 64 * 64 * 64);
    assert_eq!(report.max_depth, 3 * 63);
    let Verdict::Livelock { stem, cycle } = report.verdict else {
        panic!("expected a livelock");
    };
    assert_eq!(stem, vec![([0, 0, 0], None)]);
    assert_eq!(cycle.len(), 65);
    assert!(cycle[..64].iter().all(|(_, a)| *a == Some(Inc(0))));
    assert_eq!(cycle[0].0, [0, 0, 0]);
    assert_eq!(cycle[64], ([0, 0, 0], None));

    let bfs = check_eventually_in(&model, Search::Bfs, |s| *s == [63, 62, 61]);
    assert_eq!(bfs.verdict, Verdict::Livelock { stem, cycle });
}

// ---------------------------------------------------------------------------------------------
// 4. FairTimeouts on a tiny actor model
// ---------------------------------------------------------------------------------------------

/// Actor 0 sends one `Ping` to actor 1 and sets a `Tick` timer; its state becomes 1 when the
/// timer fires. Actor 1's state becomes 1 when it receives the ping (a repeated ping is a no-op).
#[derive(Clone)]
enum Node {
    Pinger,
    Ponger,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Ping;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Tick;

impl Actor for Node {
    type Msg = Ping;
    type Timer = Tick;
    type State = u8;
    type Random = ();
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> u8 {
        if let Node::Pinger = self {
            o.send(Id::from(1), Ping);
            o.set_timer(Tick, Duration::from_secs(1)..Duration::from_secs(2));
        }
        0
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<u8>, _src: Id, _msg: Ping, _o: &mut Out<Self>) {
        if let Node::Ponger = self {
            if **state == 0 {
                *state.to_mut() = 1;
            }
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<u8>, _timer: &Tick, _o: &mut Out<Self>) {
        if let Node::Pinger = self {
            *state.to_mut() = 1;
        }
    }
}

type PingModel = ActorModel<Node, (), ()>;
type PingAction = ActorModelAction<Ping, Tick, ()>;

fn ping_model(network: Network<Ping>, lossy: LossyNetwork, max_crashes: usize) -> PingModel {
    ActorModel::new((), ())
        .actor(Node::Pinger)
        .actor(Node::Ponger)
        .init_network(network)
        .lossy_network(lossy)
        .max_crashes(max_crashes)
}

fn actions_of<M: Model>(model: &M, state: &M::State) -> Vec<M::Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
}

fn deliver_ping() -> PingAction {
    ActorModelAction::Deliver {
        src: Id::from(0),
        dst: Id::from(1),
        msg: Ping,
    }
}

fn tick() -> PingAction {
    ActorModelAction::Timeout(Id::from(0), Tick)
}

fn both_done(_: &PingModel, s: &<PingModel as Model>::State) -> bool {
    *s.actor_states[0] == 1 && *s.actor_states[1] == 1
}

fn pinged(_: &PingModel, s: &<PingModel as Model>::State) -> bool {
    *s.actor_states[1] == 1
}

#[test]
fn fair_timeouts_withholds_timeout_while_a_delivery_is_enabled() {
    let inner = ping_model(
        Network::new_unordered_nonduplicating([]),
        LossyNetwork::Yes,
        1,
    );
    let fair = FairTimeouts::new(inner.clone());
    let init = inner.init_states().remove(0);
    assert_eq!(fair.init_states(), vec![init.clone()]);

    assert_eq!(
        actions_of(&inner, &init),
        vec![
            ActorModelAction::Drop(Envelope {
                src: Id::from(0),
                dst: Id::from(1),
                msg: Ping,
            }),
            deliver_ping(),
            tick(),
            ActorModelAction::Crash(Id::from(0)),
            ActorModelAction::Crash(Id::from(1)),
        ]
    );
    assert_eq!(actions_of(&fair, &init), vec![deliver_ping()]);
    assert!(fair.delivery_enabled(&init));

    // Once the ping is delivered, the timer may fire.
    let delivered = fair.next_state(&init, deliver_ping()).unwrap();
    assert_eq!(
        actions_of(&inner, &delivered),
        vec![
            tick(),
            ActorModelAction::Crash(Id::from(0)),
            ActorModelAction::Crash(Id::from(1)),
        ]
    );
    assert_eq!(actions_of(&fair, &delivered), vec![tick()]);
    assert!(!fair.delivery_enabled(&delivered));
    let done = fair.next_state(&delivered, tick()).unwrap();
    assert_eq!(actions_of(&fair, &done), Vec::<PingAction>::new());
    assert_eq!(
        actions_of(&inner, &done),
        vec![
            ActorModelAction::Crash(Id::from(0)),
            ActorModelAction::Crash(Id::from(1)),
        ]
    );
    assert_eq!(
        fair.next_state(&init, ActorModelAction::Crash(Id::from(0))),
        None
    );

    // The wrapped model has exactly one path: deliver, then time out.
    let report = check_eventually(&fair, |m, s| both_done(m.inner(), s));
    assert_eq!(report.unique_states, 3);
    assert_eq!(report.edges, 2);
    assert_eq!(report.verdict, Verdict::Holds);
    assert!(fair.properties().is_empty());
    assert_eq!(fair.format_action(&tick()), inner.format_action(&tick()));
}

#[test]
fn fair_timeouts_ignores_deliveries_that_change_nothing() {
    // On a duplicating network the ping stays deliverable forever, but delivering it again is
    // a no-op (no transition), so it must not hold back the timer.
    let inner = ping_model(Network::new_unordered_duplicating([]), LossyNetwork::No, 0);
    let fair = FairTimeouts::new(inner.clone());
    let init = fair.init_states().remove(0);
    assert_eq!(actions_of(&fair, &init), vec![deliver_ping()]);
    let delivered = fair.next_state(&init, deliver_ping()).unwrap();
    assert_eq!(actions_of(&inner, &delivered), vec![deliver_ping(), tick()]);
    assert_eq!(inner.next_state(&delivered, deliver_ping()), None);
    assert!(!fair.delivery_enabled(&delivered));
    // The listed (disabled) delivery stays; the timeout is no longer withheld.
    assert_eq!(actions_of(&fair, &delivered), vec![deliver_ping(), tick()]);
}

#[test]
fn without_fair_timeouts_the_ping_can_be_lost() {
    // Lossy network: drop the ping, then time out; nothing is left to do.
    let lossy = ping_model(
        Network::new_unordered_nonduplicating([]),
        LossyNetwork::Yes,
        0,
    );
    let report = check_eventually(&lossy, pinged);
    let Verdict::Deadlock { path } = &report.verdict else {
        panic!("expected a deadlock, got {report:?}");
    };
    let actions: Vec<_> = path.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(
        actions,
        vec![
            Some(ActorModelAction::Drop(Envelope {
                src: Id::from(0),
                dst: Id::from(1),
                msg: Ping,
            })),
            Some(tick()),
            None,
        ]
    );
    assert_eq!(*path[2].0.actor_states[0], 1);
    assert_eq!(*path[2].0.actor_states[1], 0);

    // Crashes and recoveries: the ponger can crash and recover forever. (A recovering pinger
    // sends another ping, so the network is unbounded: keep at most one message in flight.)
    let crashy = ping_model(
        Network::new_unordered_nonduplicating([]),
        LossyNetwork::No,
        1,
    )
    .within_boundary(|_, s| s.network.len() <= 1);
    let report = check_eventually(&crashy, pinged);
    let Verdict::Livelock { stem, cycle } = &report.verdict else {
        panic!("expected a livelock, got {report:?}");
    };
    assert_eq!(stem.len(), 1);
    assert_eq!(stem[0].0, crashy.init_states()[0]);
    let actions: Vec<_> = cycle.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(
        actions,
        vec![
            Some(ActorModelAction::Crash(Id::from(1))),
            Some(ActorModelAction::Recover(Id::from(1))),
            None,
        ]
    );

    assert_eq!(
        explore_in(&crashy, Search::Bfs, |s| *s.actor_states[1] == 1),
        explore_in(&crashy, Search::Dfs, |s| *s.actor_states[1] == 1)
    );

    // Both are excluded by the wrapper.
    assert_eq!(
        check_eventually(&FairTimeouts::new(crashy), |m, s| pinged(m.inner(), s)).verdict,
        Verdict::Holds
    );
}
