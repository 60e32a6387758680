//! Symmetry reduction over acceptors (`paxos check --symmetry`).
//!
//! # What is reduced
//!
//! With separate roles (`--merge none`, the `roles` and `faults` configurations and every
//! seeded bug built on them) the acceptors are interchangeable. Every acceptor runs the same
//! [`Acceptor`](crate::single::Acceptor) value; none holds the id of another; proposers and
//! learners hold the acceptor list only to send to all of it and to turn an acceptor's id into
//! a bit of an [`AcceptorSet`], which they only insert into, test and count against a quorum
//! size; the client never names an acceptor; and no seeded bug singles one out (each bug
//! switches the same mistake on in every acceptor, proposer or learner, or changes the quorum
//! size, which only counts). Crashes are symmetric too: the crash rule of the model names a
//! kind of actor, never an index. So for every permutation `π` of acceptor indices, relabelling
//! a state by `π` (see [`permute`]) maps the initial state to itself and every step `s -> t` to
//! a step `π(s) -> π(t)`: it is an automorphism of the state graph.
//!
//! Every property of `models/single/properties.rs` is invariant under it: "chosen" counts the votes per
//! `(ballot, value)` of the ghost history, whatever acceptor cast them; `durability` compares
//! each live acceptor's promise with the ghost maximum *of the same acceptor* (both move
//! together under `π`); `second-proposer-completes` reads votes' ballots and values, not their
//! acceptor; the others do not mention acceptors at all. The bound `--max-ballots` counts
//! ballots. A reachable state then violates a property iff every state of its orbit does, and
//! exploring one state per orbit (stateright's `symmetry_fn`, DFS only) gives the same verdicts
//! as exploring them all. `tests/symmetry.rs` checks these premises on every state of `roles`:
//! the permutation commutes with the step relation, the properties and the boundary, and
//! [`canonicalize`] is a function of the orbit.
//!
//! A relabelling has to rewrite every place an acceptor's identity appears: the acceptors'
//! states, storages, crash flags, timers and random choices (moved to their new index); the
//! source and destination of every message in the network; the proposers' promise and vote
//! sets and the learners' vote sets (bits by position in the acceptor list); and the ghost
//! history's votes, promises, highest promise per acceptor and learned value per actor.
//! Messages carry ballots and values only, never an id.
//!
//! # The canonical representative
//!
//! [`canonicalize`] returns the least relabelling of a state in a fixed total order, so two
//! states get the same representative exactly when they are in one orbit. The order compares
//! first each acceptor's *local key* in acceptor order (its state, crash flag, storage, timers,
//! the messages to and from it with their other end, its ghost votes, promises and highest
//! promise, and which proposer and learner sets contain it: all of it labelling-independent),
//! then the whole relabelled state (a key that determines the state completely). The least
//! first component is the local keys sorted, so only the permutations that sort them are
//! candidates. Sorting alone would not be a canonical form if two acceptors could have equal
//! local keys and still be told apart by the rest of the state: the order of the tie would be
//! left to the input. With separate roles that cannot happen: the local key is *complete*
//! (nothing else in the state mentions an acceptor; no message goes from one acceptor to
//! another), so two acceptors with equal keys are exchanged by a relabelling that fixes the
//! state, and every candidate gives the same state. When a key is not complete (an
//! acceptor-to-acceptor message, which separate roles never send) every ordering of the tied
//! acceptors is relabelled and the least whole state taken. [`canonicalize_by_full_comparison`]
//! is the literal definition (all `n!` relabellings, least key); `tests/symmetry.rs` checks on
//! every state of `roles` that both agree, that the result is its own representative and in
//! the orbit, and that every state of an orbit gets the same one.
//!
//! Cost: one relabelling per generated state, plus the tie candidates in the incomplete case
//! (at most `n!`, so this is meant for a handful of acceptors).
//!
//! # Where it is refused
//!
//! * `--merge all`: each node is proposer, acceptor and learner, so permuting acceptors
//!   permutes proposers, and ballots `(round, proposer)` break ties by proposer index: node 2's
//!   ballot `1.2` beats node 0's `1.0`, relabelled it would lose. Clients also start at proposer
//!   `i`. No permutation of nodes other than the identity maps the model onto itself.
//! * `--merge acceptor-learner`: each node is also a learner, and client `i` queries learner
//!   `i` first (then the next, round robin), so permuting nodes changes whom a client asks.
//!
//! Proposers and clients are not permuted in any configuration (see `models/single/config.rs`,
//! "Symmetry: acceptors only, and only with separate roles").

use super::single::{History, Merge, SingleConfig, SingleModelState};
use crate::ballot::Ballot;
use crate::single::{AcceptorSet, Msg, Phase, SingleState, Storage, Timer, Value};
use stateright::actor::{ActorModelState, Envelope, Id, Network};
use std::cmp::Ordering;
use std::sync::Arc;

/// Whether symmetry reduction over acceptors is sound for `cfg`; the reason when it is not.
pub fn applies(cfg: &SingleConfig) -> Result<(), String> {
    match cfg.merge {
        Merge::None => Ok(()),
        Merge::All => Err(
            "--symmetry: with --merge all every node is a proposer as well as an acceptor, so \
             permuting acceptors permutes proposers, and ballots (round, proposer) break ties \
             by proposer index: no permutation of nodes maps the model onto itself. Symmetry \
             over acceptors applies to separate roles (--merge none, e.g. --config roles or \
             faults)"
                .into(),
        ),
        Merge::AcceptorLearner => Err(
            "--symmetry: with --merge acceptor-learner every node is also a learner, and client \
             i asks learner i first, so permuting nodes changes whom a client asks. Symmetry \
             over acceptors applies to separate roles (--merge none, e.g. --config roles or \
             faults)"
                .into(),
        ),
    }
}

/// Actor indices of the acceptors, in acceptor-index order: the actors whose state is a
/// separate acceptor's. (A plain `fn` cannot capture the model's layout, so it is read off the
/// state; with separate roles these are exactly `Layout::acceptors`.)
pub fn acceptor_actors(s: &SingleModelState) -> Vec<usize> {
    s.actor_states
        .iter()
        .enumerate()
        .filter(|(_, st)| matches!(***st, SingleState::Acceptor(_)))
        .map(|(i, _)| i)
        .collect()
}

fn has_merged_nodes(s: &SingleModelState) -> bool {
    s.actor_states
        .iter()
        .any(|st| matches!(**st, SingleState::Node(_)))
}

/// The state relabelled by `perm`: acceptor `a` (by acceptor index) becomes acceptor
/// `perm[a]`. `perm` must be a permutation of `0..acceptor_actors(s).len()`.
pub fn permute(s: &SingleModelState, perm: &[usize]) -> SingleModelState {
    let acc = acceptor_actors(s);
    assert_eq!(perm.len(), acc.len(), "one entry per acceptor");
    relabel(s, &acc, perm)
}

/// [`permute`] with the acceptor actors already known.
fn relabel(s: &SingleModelState, acc: &[usize], perm: &[usize]) -> SingleModelState {
    // Actor index map: acceptor actor acc[a] moves to acc[perm[a]]; every other actor stays.
    let mut to: Vec<usize> = (0..s.actor_states.len()).collect();
    for (a, &i) in acc.iter().enumerate() {
        to[i] = acc[perm[a]];
    }
    let id = |x: Id| -> Id {
        let i = usize::from(x);
        Id::from(to.get(i).copied().unwrap_or(i))
    };
    let set = |x: AcceptorSet| permute_set(x, perm);
    // Every field, named, so a new one cannot be forgotten here.
    let ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history,
        actor_storages,
    } = s;
    let actor_states = reindex(actor_states, &to)
        .into_iter()
        .map(|st| match rewrite_state(&st, &set, &id) {
            Some(new) => Arc::new(new),
            None => st,
        })
        .collect();
    ActorModelState {
        actor_states,
        network: relabel_network(network, &id),
        timers_set: reindex(timers_set, &to),
        random_choices: reindex(random_choices, &to),
        crashed: reindex(crashed, &to),
        history: relabel_history(history, perm, &to),
        actor_storages: reindex(actor_storages, &to),
    }
}

/// The acceptor set `x` with acceptor `a` renamed `perm[a]`.
fn permute_set(x: AcceptorSet, perm: &[usize]) -> AcceptorSet {
    let mut out = AcceptorSet::default();
    for (a, &p) in perm.iter().enumerate() {
        if x.contains(a) {
            out.insert(p);
        }
    }
    // Bits beyond the acceptor list (none in a reachable state) stay where they are.
    let known = if perm.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << perm.len()) - 1
    };
    AcceptorSet(out.0 | (x.0 & !known))
}

/// `v` with the entry at index `i` moved to `to[i]`.
fn reindex<T: Clone>(v: &[T], to: &[usize]) -> Vec<T> {
    let mut out = v.to_vec();
    for (i, x) in v.iter().enumerate() {
        out[to[i]] = x.clone();
    }
    out
}

/// The network with every envelope's source and destination renamed by `id`.
fn relabel_network(network: &Network<Msg>, id: &impl Fn(Id) -> Id) -> Network<Msg> {
    let env = |e: &Envelope<Msg>| Envelope {
        src: id(e.src),
        dst: id(e.dst),
        msg: e.msg,
    };
    match network {
        Network::UnorderedDuplicating(set, last) => {
            Network::new_unordered_duplicating_with_last_msg(
                set.iter().map(env),
                last.as_ref().map(env),
            )
        }
        Network::UnorderedNonDuplicating(multiset) => Network::new_unordered_nonduplicating(
            multiset
                .iter()
                .flat_map(|(e, n)| std::iter::repeat_n(env(e), *n)),
        ),
        Network::Ordered(flows) => Network::Ordered(
            flows
                .iter()
                .map(|((src, dst), q)| ((id(*src), id(*dst)), q.clone()))
                .collect(),
        ),
    }
}

/// The ghost history with acceptor indices renamed by `perm` and per-actor entries moved by
/// `to`.
fn relabel_history(history: &History, perm: &[usize], to: &[usize]) -> History {
    // Every field, named, so a new one cannot be forgotten here.
    let History {
        votes,
        proposals,
        prepares,
        promises,
        max_promised,
        invoked,
        first_response,
        nonlinearizable,
        learned,
        unstable,
        recovered_before_choice,
    } = history;
    let acceptor = |a: u8| -> u8 { perm.get(a as usize).map_or(a, |p| *p as u8) };
    let mut new_max = max_promised.clone();
    for (a, b) in max_promised.iter().enumerate() {
        if let Some(p) = perm.get(a) {
            new_max[*p] = *b;
        }
    }
    History {
        votes: votes
            .iter()
            .map(|(b, v, a)| (*b, *v, acceptor(*a)))
            .collect(),
        proposals: proposals.clone(),
        prepares: prepares.clone(),
        promises: promises
            .iter()
            .map(|(a, b, vote)| (acceptor(*a), *b, *vote))
            .collect(),
        max_promised: new_max,
        invoked: invoked.clone(),
        first_response: *first_response,
        nonlinearizable: *nonlinearizable,
        learned: reindex(learned, to),
        unstable: *unstable,
        recovered_before_choice: *recovered_before_choice,
    }
}

/// An actor's state with acceptor sets and ids relabelled; `None` when nothing in it names an
/// acceptor (acceptors and clients hold no acceptor identity in their state).
fn rewrite_state(
    st: &SingleState,
    set: &dyn Fn(AcceptorSet) -> AcceptorSet,
    id: &dyn Fn(Id) -> Id,
) -> Option<SingleState> {
    match st {
        SingleState::Proposer(p) => {
            let mut p = p.clone();
            match &mut p.phase {
                Phase::Preparing { promises, .. } => *promises = set(*promises),
                Phase::Accepting { accepted, .. } => *accepted = set(*accepted),
                Phase::Idle | Phase::Prepared { .. } | Phase::Decided(_) => {}
            }
            // Waiting clients are clients, but map them like every id, to be safe.
            p.clients = p.clients.iter().map(|c| id(*c)).collect();
            Some(SingleState::Proposer(p))
        }
        SingleState::Learner(l) => {
            let mut l = l.clone();
            for (_, _, s) in &mut l.votes {
                *s = set(*s);
            }
            Some(SingleState::Learner(l))
        }
        SingleState::Acceptor(_) | SingleState::Client(_) => None,
        // Refused configurations; `canonicalize` never relabels a state with nodes.
        SingleState::Node(_) => None,
    }
}

/// The acceptor sets an actor's state holds, in a fixed order.
fn sets_of(st: &SingleState) -> Vec<AcceptorSet> {
    match st {
        SingleState::Proposer(p) => match p.phase {
            Phase::Preparing { promises, .. } => vec![promises],
            Phase::Accepting { accepted, .. } => vec![accepted],
            _ => Vec::new(),
        },
        SingleState::Learner(l) => l.votes.iter().map(|(_, _, s)| *s).collect(),
        _ => Vec::new(),
    }
}

/// A message to or from an acceptor, seen from it: direction (0 in, 1 out), the other end
/// (`None` when that is an acceptor too, whose label is not invariant), the position in its
/// flow (ordered network; 0 otherwise), the message and its multiplicity (0 marks the
/// duplicating network's last delivered message).
type Seen = (u8, Option<Id>, u32, Msg, usize);

/// Everything about one acceptor, in terms that do not depend on how acceptors are labelled.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct LocalKey<'a> {
    state: &'a SingleState,
    crashed: bool,
    storage: &'a Option<Storage>,
    timers: Vec<Timer>,
    random: Vec<&'a String>,
    learned: Option<Value>,
    messages: Vec<Seen>,
    votes: Vec<(Ballot, Value)>,
    max_promised: Option<Ballot>,
    promises: Vec<(Ballot, Option<(Ballot, Value)>)>,
    /// For every set held by a non-acceptor actor (in actor order), whether it contains this
    /// acceptor.
    member_of: Vec<bool>,
}

/// The local keys of the acceptors, and whether they are *complete*: whether the key of each
/// acceptor determines everything in the state that relates to it. They are unless a message
/// goes from an acceptor to an acceptor (never with separate roles), whose other end the key
/// cannot name.
fn local_keys<'a>(s: &'a SingleModelState, acc: &[usize]) -> (Vec<LocalKey<'a>>, bool) {
    let mut index: Vec<Option<usize>> = vec![None; s.actor_states.len()];
    for (a, &i) in acc.iter().enumerate() {
        index[i] = Some(a);
    }
    let index_of = |x: Id| index.get(usize::from(x)).copied().flatten();
    let mut keys: Vec<LocalKey> = acc.iter().map(|&i| own_key(s, i)).collect();
    let mut complete = true;
    let mut see = |src: Id, dst: Id, pos: u32, msg: Msg, n: usize| {
        let (from, to) = (index_of(src), index_of(dst));
        if from.is_some() && to.is_some() {
            complete = false;
        }
        if let Some(a) = to {
            let other = from.is_none().then_some(src);
            keys[a].messages.push((0, other, pos, msg, n));
        }
        if let Some(a) = from {
            let other = to.is_none().then_some(dst);
            keys[a].messages.push((1, other, pos, msg, n));
        }
    };
    for_each_message(&s.network, &mut see);
    add_history(&mut keys, &s.history);
    for (i, st) in s.actor_states.iter().enumerate() {
        if index[i].is_some() {
            continue;
        }
        for set in sets_of(st) {
            for (a, k) in keys.iter_mut().enumerate() {
                k.member_of.push(set.contains(a));
            }
        }
    }
    for k in &mut keys {
        k.messages.sort_unstable();
    }
    (keys, complete)
}

/// What acceptor actor `i` holds itself (its messages, votes and memberships come later).
fn own_key(s: &SingleModelState, i: usize) -> LocalKey<'_> {
    let mut timers: Vec<Timer> = s.timers_set[i].iter().copied().collect();
    timers.sort();
    let mut random: Vec<&String> = s.random_choices[i].map.keys().collect();
    random.sort();
    LocalKey {
        state: &s.actor_states[i],
        crashed: s.crashed[i],
        storage: &s.actor_storages[i],
        timers,
        random,
        learned: s.history.learned.get(i).copied().flatten(),
        messages: Vec::new(),
        votes: Vec::new(),
        max_promised: None,
        promises: Vec::new(),
        member_of: Vec::new(),
    }
}

/// Calls `see(src, dst, position, msg, count)` for every message in flight: position is the
/// place in an ordered flow (0 otherwise), count the multiplicity (0 for a duplicating
/// network's last message, which is kept apart).
fn for_each_message(network: &Network<Msg>, see: &mut impl FnMut(Id, Id, u32, Msg, usize)) {
    match network {
        Network::UnorderedDuplicating(set, last) => {
            for e in set.iter() {
                see(e.src, e.dst, 0, e.msg, 1);
            }
            if let Some(e) = last {
                see(e.src, e.dst, 0, e.msg, 0);
            }
        }
        Network::UnorderedNonDuplicating(multiset) => {
            for (e, n) in multiset.iter() {
                see(e.src, e.dst, 0, e.msg, *n);
            }
        }
        Network::Ordered(flows) => {
            for ((src, dst), q) in flows {
                for (pos, msg) in q.iter().enumerate() {
                    see(*src, *dst, pos as u32, *msg, 1);
                }
            }
        }
    }
}

/// Each acceptor's votes, promises and highest promise from the ghost history.
fn add_history(keys: &mut [LocalKey<'_>], h: &History) {
    for (b, v, a) in &h.votes {
        if let Some(k) = keys.get_mut(*a as usize) {
            k.votes.push((*b, *v));
        }
    }
    for (a, b, vote) in &h.promises {
        if let Some(k) = keys.get_mut(*a as usize) {
            k.promises.push((*b, *vote));
        }
    }
    for (a, k) in keys.iter_mut().enumerate() {
        k.max_promised = h.max_promised.get(a).copied().flatten();
    }
}

/// The network's contents in a canonical order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum NetKey {
    Duplicating(Vec<Envelope<Msg>>, Option<Envelope<Msg>>),
    NonDuplicating(Vec<(Envelope<Msg>, usize)>),
    Ordered(Vec<((Id, Id), Vec<Msg>)>),
}

/// The network's contents in a canonical order.
fn net_key(network: &Network<Msg>) -> NetKey {
    match network {
        Network::UnorderedDuplicating(set, last) => {
            let mut v: Vec<Envelope<Msg>> = set.iter().copied().collect();
            v.sort();
            NetKey::Duplicating(v, *last)
        }
        Network::UnorderedNonDuplicating(multiset) => {
            let mut v: Vec<(Envelope<Msg>, usize)> =
                multiset.iter().map(|(e, n)| (*e, *n)).collect();
            v.sort();
            NetKey::NonDuplicating(v)
        }
        Network::Ordered(flows) => NetKey::Ordered(
            flows
                .iter()
                .map(|(k, q)| (*k, q.iter().copied().collect()))
                .collect(),
        ),
    }
}

/// A total order on states: this key determines the state completely.
fn compare_states(x: &SingleModelState, y: &SingleModelState) -> Ordering {
    full_key(x).cmp(&full_key(y))
}

#[allow(clippy::type_complexity)]
fn full_key(
    s: &SingleModelState,
) -> (
    Vec<&SingleState>,
    &Vec<bool>,
    &Vec<Option<Storage>>,
    Vec<Vec<Timer>>,
    Vec<Vec<String>>,
    NetKey,
    impl Ord + '_,
) {
    let ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history,
        actor_storages,
    } = s;
    let timers = timers_set
        .iter()
        .map(|t| {
            let mut v: Vec<Timer> = t.iter().copied().collect();
            v.sort();
            v
        })
        .collect();
    // `Random` is `()` here, so the keys are the whole content.
    let random = random_choices
        .iter()
        .map(|r| {
            let mut v: Vec<String> = r.map.keys().cloned().collect();
            v.sort();
            v
        })
        .collect();
    let net = net_key(network);
    let History {
        votes,
        proposals,
        prepares,
        promises,
        max_promised,
        invoked,
        first_response,
        nonlinearizable,
        learned,
        unstable,
        recovered_before_choice,
    } = history;
    let history = (
        votes,
        proposals,
        prepares,
        promises,
        max_promised,
        invoked,
        first_response,
        nonlinearizable,
        learned,
        unstable,
        recovered_before_choice,
    );
    (
        actor_states.iter().map(|a| &**a).collect(),
        crashed,
        actor_storages,
        timers,
        random,
        net,
        history,
    )
}

/// Every ordering of `items`.
fn orderings(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (k, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(k);
        for mut tail in orderings(&rest) {
            tail.insert(0, *first);
            out.push(tail);
        }
    }
    out
}

/// The representative of `s`'s orbit under permutations of acceptors: its least relabelling
/// in the order described in the module docs. States of merged-node configurations (refused by
/// [`applies`]) are returned unchanged, which reduces nothing.
pub fn canonicalize(s: &SingleModelState) -> SingleModelState {
    let acc = acceptor_actors(s);
    if acc.len() < 2 || has_merged_nodes(s) {
        return s.clone();
    }
    let (keys, complete) = local_keys(s, &acc);
    let mut order: Vec<usize> = (0..acc.len()).collect();
    order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    let to_perm = |order: &[usize]| -> Vec<usize> {
        let mut perm = vec![0; order.len()];
        for (pos, &a) in order.iter().enumerate() {
            perm[a] = pos;
        }
        perm
    };
    let tied = order.windows(2).any(|w| keys[w[0]] == keys[w[1]]);
    if !tied || complete {
        // Without ties the sorting permutation is the only candidate. With complete keys, two
        // acceptors with equal keys are indistinguishable in the whole state (same local
        // part, same messages with the same non-acceptor ends, same ghost entries, same
        // membership in every set): exchanging them fixes the state, so every candidate
        // relabels to the same state and the first will do.
        if order.iter().enumerate().all(|(pos, a)| pos == *a) {
            return s.clone();
        }
        return relabel(s, &acc, &to_perm(&order));
    }
    // Runs of equal local keys: within a run every ordering is a candidate.
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for &a in &order {
        match runs.last_mut() {
            Some(run) if keys[run[0]] == keys[a] => run.push(a),
            _ => runs.push(vec![a]),
        }
    }
    // Candidate orders (new position -> old acceptor index): the product of the runs' orderings.
    let mut candidates: Vec<Vec<usize>> = vec![Vec::new()];
    for run in &runs {
        let options = orderings(run);
        candidates = candidates
            .iter()
            .flat_map(|prefix| {
                options.iter().map(move |o| {
                    let mut c = prefix.clone();
                    c.extend_from_slice(o);
                    c
                })
            })
            .collect();
    }
    candidates
        .iter()
        .map(|c| relabel(s, &acc, &to_perm(c)))
        .min_by(compare_states)
        .expect("at least one candidate")
}

/// [`canonicalize`] without the shortcut for complete keys: every candidate of a tie is
/// relabelled and the least whole state taken. The same function; the tests compare them.
pub fn canonicalize_by_full_comparison(s: &SingleModelState) -> SingleModelState {
    let acc = acceptor_actors(s);
    if acc.len() < 2 || has_merged_nodes(s) {
        return s.clone();
    }
    let (keys, _) = local_keys(s, &acc);
    let mut best: Option<(Vec<usize>, SingleModelState)> = None;
    for order in orderings(&(0..acc.len()).collect::<Vec<_>>()) {
        let mut perm = vec![0; order.len()];
        for (pos, &a) in order.iter().enumerate() {
            perm[a] = pos;
        }
        let t = relabel(s, &acc, &perm);
        let first: Vec<usize> = order.clone();
        let better = match &best {
            None => true,
            Some((b, bs)) => {
                let ka = first.iter().map(|a| &keys[*a]);
                let kb = b.iter().map(|a| &keys[*a]);
                match ka.cmp(kb) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => compare_states(&t, bs) == Ordering::Less,
                }
            }
        };
        if better {
            best = Some((first, t));
        }
    }
    best.expect("at least one ordering").1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orderings_are_all_permutations() {
        assert_eq!(orderings(&[]), vec![Vec::<usize>::new()]);
        assert_eq!(orderings(&[4]), vec![vec![4]]);
        let all = orderings(&[0, 1, 2]);
        assert_eq!(all.len(), 6);
        let distinct: std::collections::BTreeSet<_> = all.into_iter().collect();
        assert_eq!(distinct.len(), 6);
    }
}
