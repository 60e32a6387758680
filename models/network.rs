//! The network semantics a model explores, for every protocol's model: stateright's three
//! networks by name.

use serde::Serialize;
use stateright::actor::Network;

/// The network semantics explored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// FIFO per directed pair of actors.
    Ordered,
    /// Any order, each message delivered at most once.
    UnorderedNonduplicating,
    /// Any order, any message may be delivered again.
    UnorderedDuplicating,
}

crate::names::names!(NetworkKind {
    Ordered => "ordered",
    UnorderedNonduplicating => "unordered_nonduplicating",
    UnorderedDuplicating => "unordered_duplicating",
});

impl NetworkKind {
    /// stateright's empty network of this kind.
    pub fn network<M: Clone + Eq + std::hash::Hash>(self) -> Network<M> {
        match self {
            NetworkKind::Ordered => Network::new_ordered([]),
            NetworkKind::UnorderedNonduplicating => Network::new_unordered_nonduplicating([]),
            NetworkKind::UnorderedDuplicating => Network::new_unordered_duplicating([]),
        }
    }
}
