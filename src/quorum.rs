//! What every Paxos variant shares about acceptors, written once: majorities, sets of
//! acceptors, and the acceptor's promise rule.
//!
//! "Paxos Made Simple", section 2.2: an acceptor promises a ballot `b` in phase 1 only if it has
//! promised nothing as high (`b` strictly above its promise), and votes in phase 2 for `b` only if
//! it has not promised a higher ballot (`b` at or above its promise). Any two majorities of the
//! acceptors intersect, which is what makes a chosen value visible to every later phase 1.
//! Single-decree Paxos applies the rules to its one decision; Multi-Paxos applies them once per
//! replica for all slots (one promise covers every slot), and per slot for votes.

use crate::ballot::Ballot;
use itertools::Itertools;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Size of a majority of `n` acceptors.
pub const fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// Phase 1b: whether an acceptor that promised `promised` may promise `b` (strictly higher).
pub fn may_promise(promised: Option<Ballot>, b: Ballot) -> bool {
    promised.is_none_or(|p| b > p)
}

/// Phase 2b: whether an acceptor that promised `promised` may vote in ballot `b` (no higher
/// ballot promised).
pub fn may_accept(promised: Option<Ballot>, b: Ballot) -> bool {
    promised.is_none_or(|p| b >= p)
}

/// A set of acceptors, as a bitmask over their index in the configuration's acceptor list.
/// Small and canonical: it keeps the checked state compact.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AcceptorSet(pub u64);

impl AcceptorSet {
    /// Adds acceptor `index`; returns whether it was new.
    pub fn insert(&mut self, index: usize) -> bool {
        let bit = 1u64 << index;
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }
    /// Number of acceptors in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Whether acceptor `index` is in the set.
    pub fn contains(self, index: usize) -> bool {
        self.0 & (1u64 << index) != 0
    }
}

impl fmt::Debug for AcceptorSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = (0..64).filter(|i| self.contains(*i));
        write!(
            f,
            "{{{}}}",
            members.format_with(",", |i, g| g(&format_args!("A{i}")))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities_and_the_promise_rule() {
        assert_eq!(majority(3), 2);
        assert_eq!(majority(4), 3);
        assert_eq!(majority(5), 3);
        let b = |r| Ballot::new(r, 0);
        assert!(may_promise(None, b(1)));
        assert!(!may_promise(Some(b(1)), b(1)));
        assert!(may_promise(Some(b(1)), b(2)));
        assert!(may_accept(Some(b(1)), b(1)));
        assert!(!may_accept(Some(b(2)), b(1)));
    }

    #[test]
    fn acceptor_set_counts_members() {
        let mut s = AcceptorSet::default();
        assert!(s.insert(2));
        assert!(!s.insert(2));
        assert!(s.insert(0));
        assert_eq!(s.len(), 2);
        assert_eq!(format!("{s:?}"), "{A0,A2}");
    }
}
