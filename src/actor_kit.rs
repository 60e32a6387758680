//! Mechanics every protocol's actor shares, written once: running a role on its part of a
//! composite state (an enum variant, a struct field) so that an untouched part is never
//! cloned, and putting the durable record before a step's messages (*save before send*).
//!
//! stateright hands a step its state as a `Cow`: a role that ignores a message leaves it
//! borrowed, which tells the checker the step changed nothing without comparing states. A
//! composite actor keeps that property by projecting the `Cow` onto the part a role owns and
//! writing the part back only when the role made it owned.
//!
//! A process that runs several roles delivers the messages a role sends to its own process
//! within the same step ([`settle`]), the way a function call would: written once for every
//! protocol's merged node.

use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::VecDeque;

/// One role of a protocol's actor `A` (a proposer, an acceptor, a learner, a leader): what a
/// process that runs several roles composes. A role owns a part of the process's state and a
/// part of its durable record; the actor saves the record before the step's messages.
pub trait Role<A: Actor> {
    /// The role's state.
    type State: Clone;
    /// State after (re)start from the last saved record.
    fn restore(&self, storage: &Option<A::Storage>) -> Self::State;
    /// (Re)start: the restored state plus whatever the role does on its own at start.
    fn start(&self, storage: &Option<A::Storage>, o: &mut Out<A>) -> Self::State {
        let _ = o;
        self.restore(storage)
    }
    /// Writes the role's durable part of `state` into `storage`.
    fn durable(&self, state: &Self::State, storage: &mut A::Storage);
    /// Handles a message (ignoring those not meant for this role).
    fn on_msg(&self, state: &mut Cow<Self::State>, src: Id, msg: &A::Msg, o: &mut Out<A>);
    /// Handles a timer.
    fn on_timeout(&self, state: &mut Cow<Self::State>, timer: A::Timer, o: &mut Out<A>) {
        let _ = (state, timer, o);
    }
}

/// Runs `f` on the part of `state` that `get` finds (nothing happens when it finds none), and
/// writes the part back with `put` only if `f` changed it.
///
/// For an enum of role states, `get` matches the variant and `put` replaces the whole state
/// with a new variant (no clone of the old one); for a struct of optional role states, `put`
/// sets the field of the (then cloned) struct.
pub fn project<S: Clone, P: Clone>(
    state: &mut Cow<S>,
    get: impl FnOnce(&S) -> Option<&P>,
    put: impl FnOnce(&mut Cow<S>, P),
    f: impl FnOnce(&mut Cow<P>),
) {
    let Some(part) = get(state) else {
        return;
    };
    let mut part = Cow::Borrowed(part);
    f(&mut part);
    if let Cow::Owned(new) = part {
        put(state, new);
    }
}

/// Puts `Save(record)` before every command already in `o`: the runtime persists a step's
/// record before any of its messages leaves, so the record must come first.
pub fn save_first<A: Actor>(record: A::Storage, o: &mut Out<A>) {
    let mut saved = Out::new();
    saved.save(record);
    saved.append(o);
    *o = saved;
}

/// Routes one step's output of a process `id` that runs several roles: a message to itself is
/// handed back to `dispatch` (every role of the process, within the same step, in order, until
/// none is left) unless `loopback` is set, in which case it goes through the network like any
/// other; everything else goes to the actor's output `o`.
pub fn settle<A: Actor>(
    id: Id,
    loopback: bool,
    step: Out<A>,
    o: &mut Out<A>,
    mut dispatch: impl FnMut(Id, &A::Msg, &mut Out<A>),
) {
    let mut local = VecDeque::new();
    route(id, loopback, step, &mut local, o);
    while let Some(msg) = local.pop_front() {
        let mut step = Out::new();
        dispatch(id, &msg, &mut step);
        route(id, loopback, step, &mut local, o);
    }
}

/// Sends to self go to the local queue (unless `loopback`); everything else to `o`.
fn route<A: Actor>(
    id: Id,
    loopback: bool,
    step: Out<A>,
    local: &mut VecDeque<A::Msg>,
    o: &mut Out<A>,
) {
    for c in step {
        match c {
            Command::Send(dst, m) if dst == id && !loopback => local.push_back(m),
            Command::Send(dst, m) => o.send(dst, m),
            Command::SetTimer(t, r) => o.set_timer(t, r),
            Command::CancelTimer(t) => o.cancel_timer(t),
            Command::Save(s) => o.save(s),
            Command::ChooseRandom(k, v) => {
                if v.is_empty() {
                    o.remove_random(k)
                } else {
                    o.choose_random(k, v)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    enum Two {
        A(u32),
        B(u32),
    }

    fn a(s: &Two) -> Option<&u32> {
        match s {
            Two::A(x) => Some(x),
            Two::B(_) => None,
        }
    }

    #[test]
    fn an_untouched_part_stays_borrowed_and_a_changed_one_is_written_back() {
        let s = Two::A(1);
        let mut st = Cow::Borrowed(&s);
        project(&mut st, a, |s, n| *s = Cow::Owned(Two::A(n)), |_| {});
        assert!(matches!(st, Cow::Borrowed(_)));
        project(
            &mut st,
            a,
            |s, n| *s = Cow::Owned(Two::A(n)),
            |p| *p.to_mut() += 1,
        );
        assert_eq!(*st, Two::A(2));
        // A part that is not there: `f` does not run.
        let b = Two::B(5);
        let mut st = Cow::Borrowed(&b);
        project(
            &mut st,
            a,
            |_, _| panic!("no part to put"),
            |_| panic!("no part"),
        );
        assert!(matches!(st, Cow::Borrowed(_)));
    }
}
