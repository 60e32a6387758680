//! Mechanics every protocol's actor shares, written once: running a role on its part of a
//! composite state (an enum variant, a struct field) so that an untouched part is never
//! cloned, and putting the durable record before a step's messages (*save before send*).
//!
//! stateright hands a step its state as a `Cow`: a role that ignores a message leaves it
//! borrowed, which tells the checker the step changed nothing without comparing states. A
//! composite actor keeps that property by projecting the `Cow` onto the part a role owns and
//! writing the part back only when the role made it owned.

use stateright::actor::{Actor, Out};
use std::borrow::Cow;

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
