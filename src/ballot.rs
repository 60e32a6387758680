//! Ballot numbers.
//!
//! Paxos needs proposal numbers that are totally ordered and that no two proposers share
//! ("Paxos Made Simple", section 2.2: "different proposers choose their numbers from disjoint
//! sets"). A [`Ballot`] is the pair `(round, proposer)` compared lexicographically: rounds order
//! attempts in time, and the proposer's index in the cluster configuration breaks ties, so two
//! proposers never produce the same ballot. A proposer that wants to out-bid a ballot it has seen
//! picks `round + 1` with its own index.
//!
//! Ballots are printed as `round.proposer`, e.g. `2.1` is round 2 of proposer 1.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A totally ordered `(round, proposer)` pair; derived ordering compares `round` first.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ballot {
    /// Attempt number; a retry uses a round higher than any it has seen.
    pub round: u32,
    /// Index of the proposer in the configuration; unique per proposer.
    pub proposer: u32,
}

impl Ballot {
    /// The highest round a ballot may have. A proposer never starts a round above it (it stops
    /// retrying instead of wrapping around to round 0, which would reuse ballots), and a
    /// message carrying a higher round is outside the protocol's range and dropped: accepting
    /// a promise for round `u32::MAX` would leave no ballot that can out-bid it.
    pub const MAX_ROUND: u32 = u32::MAX - 1;

    /// Whether the round is at most [`Ballot::MAX_ROUND`].
    pub const fn in_range(self) -> bool {
        self.round <= Self::MAX_ROUND
    }

    /// The ballot `round.proposer`.
    pub const fn new(round: u32, proposer: u32) -> Self {
        Ballot { round, proposer }
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

impl fmt::Debug for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<R> stateright::Rewrite<R> for Ballot {
    fn rewrite<S>(&self, _plan: &stateright::RewritePlan<R, S>) -> Self {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_order_first_then_proposer_breaks_ties() {
        assert!(Ballot::new(1, 2) < Ballot::new(2, 0));
        assert!(Ballot::new(2, 0) < Ballot::new(2, 1));
        assert_eq!(Ballot::new(3, 1).to_string(), "3.1");
        assert_eq!(format!("{:?}", Ballot::new(0, 4)), "0.4");
    }
}
