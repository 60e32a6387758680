//! The edge walk: every transition of a model's reachable graph handed to a check, which may
//! stop the walk at the first edge it refuses; then, from the parent pointers of a
//! breadth-first walk, a shortest path to that edge.
//!
//! Both refinement checks use it (`specs/refinement.rs`: the actors refine the spec;
//! `specs/voting_refinement.rs`: the spec refines Voting). They share its pattern: a
//! depth-first walk first (little memory: a set of fingerprints), and only when it finds a
//! refused edge a breadth-first walk with parents, whose first refused edge has a shortest
//! path. Each state carries a *payload* computed once (the mapped abstract state), so the check
//! maps each state once, not once per edge.
//!
//! Why not the liveness graph ([`crate::models::liveness::StateGraph`])? It keeps the whole
//! graph (successor lists, labels, BFS numbering) because deciding "eventually" needs cycles;
//! a refinement check needs only "seen" and, for its trace, parents. Keeping a graph would
//! cost about 4 bytes per transition and 20 per state more (an estimate from the graph's
//! layout: on the spec at `max_ballot = 3`, 23.3 million transitions and 8.2 million states,
//! some 250 MB) for nothing. Both walks use the same fingerprints and the same [`Search`].

use super::liveness::fingerprint;
use super::search::Search;
use stateright::Model;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// What a walk asks of its check.
pub trait EdgeCheck<M: Model> {
    /// Carried with each pending state; computed once per state.
    type Payload;
    /// Why an edge is refused.
    type Refusal;

    /// The payload of an initial state.
    fn initial(&mut self, state: &M::State) -> Self::Payload;

    /// Checks the edge `source --action--> target`. `Ok(Some(p))`: the target's payload is
    /// `p`; `Ok(None)`: it is the source's (cloned only if the target is new); `Err`: the edge
    /// is refused and the walk stops.
    fn edge(
        &mut self,
        source: &M::State,
        payload: &Self::Payload,
        action: &M::Action,
        target: &M::State,
    ) -> Result<Option<Self::Payload>, Self::Refusal>;
}

/// Fingerprints are already uniformly distributed: hash them as they are.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by fingerprints.
pub type FpMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;
/// A set of fingerprints.
pub type FpSet = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

/// Marks an initial state in [`Walked::parents`].
pub const ROOT: u64 = u64::MAX;

/// A refused edge.
pub struct Refused<M: Model, R> {
    /// The source state's fingerprint.
    pub source: u64,
    /// The action.
    pub action: M::Action,
    /// Why.
    pub refusal: R,
}

/// What a walk saw.
pub struct Walked<M: Model, R> {
    /// Distinct states inside the boundary.
    pub states: usize,
    /// Distinct states outside it (recorded, not expanded).
    pub beyond_boundary: usize,
    /// Transitions handed to the check.
    pub edges: usize,
    /// With parents: each state's parent fingerprint and the index of the action from it
    /// (an initial state: [`ROOT`] and its index in `init_states()`).
    pub parents: Option<FpMap<(u64, u32)>>,
    /// The first refused edge.
    pub refused: Option<Refused<M, R>>,
}

/// The states seen so far, with parents or without.
enum Seen {
    Set(FpSet),
    Parents(FpMap<(u64, u32)>),
}

impl Seen {
    /// Records `fp` (with its parent link); whether it is new.
    fn insert(&mut self, fp: u64, parent: (u64, u32)) -> bool {
        match self {
            Seen::Set(s) => s.insert(fp),
            Seen::Parents(m) => match m.entry(fp) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(parent);
                    true
                }
            },
        }
    }
}

/// Walks every edge of `model`'s reachable graph in `search` order (recording parents when
/// `parents`), handing each to `check`, until the check refuses one. Longer than 70 lines for
/// a reason: one search loop, whose seen set, queue and counts the seeding shares.
pub fn walk<M, C>(model: &M, search: Search, parents: bool, check: &mut C) -> Walked<M, C::Refusal>
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
    C: EdgeCheck<M>,
    C::Payload: Clone,
{
    let mut seen = match parents {
        true => Seen::Parents(FpMap::default()),
        false => Seen::Set(FpSet::default()),
    };
    let mut out = Walked {
        states: 0,
        beyond_boundary: 0,
        edges: 0,
        parents: None,
        refused: None,
    };
    let mut pending: VecDeque<(u64, M::State, C::Payload)> = VecDeque::new();
    for (k, s) in model.init_states().into_iter().enumerate() {
        let fp = fingerprint(&s);
        if !seen.insert(fp, (ROOT, k as u32)) {
            continue;
        }
        if model.within_boundary(&s) {
            out.states += 1;
            let p = check.initial(&s);
            pending.push_back((fp, s, p));
        } else {
            out.beyond_boundary += 1;
        }
    }
    let mut actions = Vec::new();
    'walk: loop {
        let next = match search {
            Search::Dfs => pending.pop_back(),
            Search::Bfs => pending.pop_front(),
        };
        let Some((fp, state, payload)) = next else {
            break;
        };
        model.actions(&state, &mut actions);
        for (k, action) in actions.drain(..).enumerate() {
            let Some(t) = model.next_state(&state, action.clone()) else {
                continue;
            };
            out.edges += 1;
            let t_payload = match check.edge(&state, &payload, &action, &t) {
                Ok(p) => p,
                Err(refusal) => {
                    out.refused = Some(Refused {
                        source: fp,
                        action,
                        refusal,
                    });
                    break 'walk;
                }
            };
            let t_fp = fingerprint(&t);
            if !seen.insert(t_fp, (fp, k as u32)) {
                continue;
            }
            if model.within_boundary(&t) {
                out.states += 1;
                let t_payload = t_payload.unwrap_or_else(|| payload.clone());
                pending.push_back((t_fp, t, t_payload));
            } else {
                out.beyond_boundary += 1;
            }
        }
    }
    if let Seen::Parents(m) = seen {
        out.parents = Some(m);
    }
    out
}

/// The actions from an initial state to the state with fingerprint `fp`, replayed from
/// `parents`; `None` if `fp` has no parent entry.
pub fn path_to<M>(model: &M, parents: &FpMap<(u64, u32)>, fp: u64) -> Option<Vec<M::Action>>
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
{
    let mut indices = Vec::new();
    let mut cur = fp;
    loop {
        let &(parent, k) = parents.get(&cur)?;
        indices.push(k as usize);
        if parent == ROOT {
            break;
        }
        cur = parent;
    }
    indices.reverse();
    let mut state = model.init_states().swap_remove(indices[0]);
    let mut path = Vec::with_capacity(indices.len() - 1);
    let mut actions = Vec::new();
    for &k in &indices[1..] {
        actions.clear();
        model.actions(&state, &mut actions);
        let action = actions.swap_remove(k);
        state = model
            .next_state(&state, action.clone())
            .expect("a replayed action is enabled (the model is deterministic)");
        path.push(action);
    }
    debug_assert_eq!(fingerprint(&state), fp);
    Some(path)
}

/// The numbered trace to a refused edge, its last line the edge itself, and that edge's
/// description: the steps from an initial state to `refused.source` replayed from the
/// breadth-first walk's parents, each written by `describe`.
pub fn refused_trace<M, R>(
    model: &M,
    pass: &Walked<M, R>,
    refused: &Refused<M, R>,
    describe: impl Fn(&M::Action) -> String,
) -> (Vec<String>, String)
where
    M: Model,
    M::State: Hash,
    M::Action: Clone,
{
    let parents = pass
        .parents
        .as_ref()
        .expect("a breadth-first walk keeps parents");
    let path = path_to(model, parents, refused.source).expect("the source was walked");
    let mut trace: Vec<String> = path
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{}. {}", i + 1, describe(a)))
        .collect();
    let edge = describe(&refused.action);
    trace.push(format!("{}. {edge}", trace.len() + 1));
    (trace, edge)
}
