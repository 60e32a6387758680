//! The mechanics every protocol's actor model shares, behind one trait: which actors may
//! crash, which explicit drops are redundant, how a delivery the recipient ignores consumes
//! its message, which messages are dead and may be pruned, how the network is canonicalised,
//! and how actors and actions are named in traces.
//!
//! A protocol's model (`models/single/` today) implements the few *policy* methods: its
//! actors, their names, which actors may crash, which messages may be pruned and when. The
//! *mechanics* are provided methods written once here, so the checks that rely on them (the
//! dead-message premise test, `tests/dead_messages.rs`, runs over any [`ActorHarness`]) are
//! written once too.

use stateright::actor::{is_no_op, Actor, ActorModelAction, ActorModelState, Envelope, Id};
use stateright::actor::{Network, Out};
use stateright::Path;
use std::borrow::Cow;
use std::fmt::{Debug, Display};
use std::hash::Hash;

/// A state of the actor model of harness `H`.
pub type HarnessState<H> =
    ActorModelState<<H as ActorHarness>::Actor, <H as ActorHarness>::History>;
/// An action of the actor model of harness `H`.
pub type HarnessAction<H> = ActorModelAction<
    <<H as ActorHarness>::Actor as Actor>::Msg,
    <<H as ActorHarness>::Actor as Actor>::Timer,
    <<H as ActorHarness>::Actor as Actor>::Random,
>;

/// What an actor model provides so that the shared mechanics run over it.
pub trait ActorHarness {
    /// The protocol's one actor type.
    type Actor: Actor;
    /// The model's ghost history.
    type History: Clone + Debug + Hash;

    /// The actors, by index.
    fn actors(&self) -> &[Self::Actor];
    /// An actor's short name in traces (`P0`, `A1`, `C0`).
    fn actor_name(&self, id: Id) -> String;
    /// Whether actor `id` may crash (clients, the outside world, do not).
    fn may_crash(&self, id: Id) -> bool;
    /// Whether a delivery the recipient ignores takes the message out of the network (as on
    /// a real network; stateright offers no such step by itself).
    fn consumes_ignored(&self) -> bool;
    /// Whether the model removes dead messages (see [`ActorHarness::prune_dead_messages`]);
    /// only sound where a dead message cannot revive, which `tests/dead_messages.rs` checks
    /// on every edge of each model that prunes.
    fn prunes_dead_messages(&self) -> bool;
    /// Whether `msg` is a protocol message that pruning may remove. A message a client sends
    /// must not be: an ignored request may be answered later.
    fn is_prunable(msg: &<Self::Actor as Actor>::Msg) -> bool;

    /// Whether delivering `env` in `s` would change nothing: the recipient's state stays the
    /// same and it sends nothing, sets no timer and saves nothing. stateright offers no such
    /// delivery as a step at all.
    fn is_no_op_delivery(
        &self,
        s: &HarnessState<Self>,
        env: &Envelope<&<Self::Actor as Actor>::Msg>,
    ) -> bool
    where
        <Self::Actor as Actor>::Msg: Clone,
    {
        let i = usize::from(env.dst);
        if i >= s.actor_states.len() || s.crashed[i] {
            return false;
        }
        let mut state = Cow::Borrowed(&*s.actor_states[i]);
        let mut out = Out::new();
        self.actors()[i].on_msg(env.dst, &mut state, env.src, env.msg.clone(), &mut out);
        is_no_op(&state, &out)
    }

    /// Removes every prunable message whose delivery is a no-op.
    ///
    /// With `last`, the state `s` was reached from (itself pruned), only the messages whose
    /// delivery may have become a no-op are tried: those not in `last`'s network, and those
    /// to an actor whose state or crash status changed. A delivery's effect depends only on
    /// the message and the recipient's state, so every other message is as live as it was in
    /// `last`. (`tests/dead_messages.rs` checks, on every edge of the pruned Multi-Paxos
    /// models it explores, that pruning the result again from scratch removes nothing more.)
    fn prune_dead_messages(&self, last: Option<&HarnessState<Self>>, s: &mut HarnessState<Self>)
    where
        <Self::Actor as Actor>::Msg: Clone + Eq + Hash,
        <Self::Actor as Actor>::State: PartialEq,
    {
        let unchanged = |e: &Envelope<&<Self::Actor as Actor>::Msg>| {
            let Some(last) = last else {
                return false;
            };
            let i = usize::from(e.dst);
            let same_dst = i < s.actor_states.len()
                && s.crashed[i] == last.crashed[i]
                && (std::sync::Arc::ptr_eq(&s.actor_states[i], &last.actor_states[i])
                    || s.actor_states[i] == last.actor_states[i]);
            same_dst && contains(&last.network, e)
        };
        let dead: Vec<Envelope<<Self::Actor as Actor>::Msg>> = s
            .network
            .iter_deliverable()
            .filter(|e| Self::is_prunable(e.msg) && !unchanged(e) && self.is_no_op_delivery(s, e))
            .map(|e| e.to_cloned_msg())
            .collect();
        match &mut s.network {
            Network::UnorderedNonDuplicating(multiset) => {
                for e in &dead {
                    multiset.remove(e);
                }
            }
            Network::UnorderedDuplicating(set, _) => {
                for e in &dead {
                    set.remove(e);
                }
            }
            Network::Ordered(_) => {}
        }
    }

    /// Keeps the actions the model takes from stateright's list: no crash of an actor that
    /// may not crash; no explicit drop on a duplicating network (a message there may already
    /// go undelivered forever, so a drop adds no behaviour of the actors); and, when ignored
    /// deliveries consume, deliveries before drops (the two can lead to the same state, and
    /// traces, which take the first action that reproduces a step, then say "delivered"
    /// rather than "lost").
    fn filter_actions(&self, state: &HarnessState<Self>, actions: &mut Vec<HarnessAction<Self>>) {
        let duplicating = matches!(state.network, Network::UnorderedDuplicating(..));
        actions.retain(|a| match a {
            ActorModelAction::Crash(id) => self.may_crash(*id),
            ActorModelAction::Drop(_) => !duplicating,
            _ => true,
        });
        if self.consumes_ignored() {
            actions.sort_by_key(|a| matches!(a, ActorModelAction::Drop(_)));
        }
    }

    /// With [`ActorHarness::consumes_ignored`], the step in which a message reaches an up
    /// recipient that ignores it: the message leaves the network, nothing else changes
    /// (non-duplicating network only).
    fn consume_ignored(
        &self,
        last: &HarnessState<Self>,
        action: &HarnessAction<Self>,
    ) -> Option<HarnessState<Self>>
    where
        HarnessState<Self>: Clone,
        <Self::Actor as Actor>::Msg: Clone + Eq + Hash,
    {
        let ActorModelAction::Deliver { src, dst, msg } = action else {
            return None;
        };
        if !self.consumes_ignored() || last.crashed.get(usize::from(*dst)).is_none_or(|c| *c) {
            return None;
        }
        let mut next = last.clone();
        let Network::UnorderedNonDuplicating(multiset) = &mut next.network else {
            return None;
        };
        let env = Envelope {
            src: *src,
            dst: *dst,
            msg: msg.clone(),
        };
        match multiset.get(&env).copied() {
            Some(1) => {
                multiset.remove(&env);
            }
            Some(n) if n > 1 => {
                multiset.insert(env, n - 1);
            }
            _ => return None,
        }
        Some(next)
    }

    /// stateright's duplicating network remembers the last delivered message only to tell
    /// states apart in its explorer; it never affects behaviour. Forgets it.
    fn canonicalize_network(&self, s: &mut HarnessState<Self>) {
        if let Network::UnorderedDuplicating(_, last_msg) = &mut s.network {
            *last_msg = None;
        }
    }

    /// Names an action the way traces print it: `P0 -> A1 Prepare(1.0)`.
    fn describe(&self, action: &HarnessAction<Self>) -> String
    where
        <Self::Actor as Actor>::Msg: Display,
        <Self::Actor as Actor>::Timer: Debug,
    {
        let n = |id: &Id| self.actor_name(*id);
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!("{} -> {} {msg}", n(src), n(dst))
            }
            ActorModelAction::Drop(env) => {
                format!("drop {} -> {} {}", n(&env.src), n(&env.dst), env.msg)
            }
            ActorModelAction::Timeout(id, t) => format!("{} timeout {t:?}", n(id)),
            ActorModelAction::Crash(id) => format!("{} crashes", n(id)),
            ActorModelAction::Recover(id) => format!("{} recovers", n(id)),
            ActorModelAction::SelectRandom { actor, .. } => format!("{} random", n(actor)),
        }
    }

    /// Formats a path as numbered lines, `1. C0 -> P0 Propose(1)`.
    fn format_trace(&self, path: &Path<HarnessState<Self>, HarnessAction<Self>>) -> Vec<String>
    where
        <Self::Actor as Actor>::Msg: Display,
        <Self::Actor as Actor>::Timer: Debug,
        Path<HarnessState<Self>, HarnessAction<Self>>: Clone,
    {
        path.clone()
            .into_actions()
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{}. {}", i + 1, self.describe(a)))
            .collect()
    }
}

/// Whether `network` holds `env` (at least once). An ordered network never has messages
/// pruned, so it answers `false`.
fn contains<M: Clone + Eq + Hash>(network: &Network<M>, env: &Envelope<&M>) -> bool {
    match network {
        Network::UnorderedNonDuplicating(multiset) => multiset.contains_key(&env.to_cloned_msg()),
        Network::UnorderedDuplicating(set, _) => set.contains(&env.to_cloned_msg()),
        Network::Ordered(_) => false,
    }
}
