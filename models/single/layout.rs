//! Where each actor sits: actor indices by kind, and the short names (`P0`, `A1`, `C0`) traces
//! and the explorer show.

use super::*;

/// What kind of actor sits at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Separate proposer.
    Proposer,
    /// Separate acceptor.
    Acceptor,
    /// Separate learner.
    Learner,
    /// Merged node.
    Node,
    /// Client.
    Client,
}

/// Actor ids by role.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Kind of each actor, by index.
    pub kinds: Vec<Kind>,
    /// Actors running a proposer, in proposer-index order.
    pub proposers: Vec<Id>,
    /// Actors running an acceptor, in acceptor-index order.
    pub acceptors: Vec<Id>,
    /// Actors running a learner.
    pub learners: Vec<Id>,
    /// Clients.
    pub clients: Vec<Id>,
}

impl Layout {
    /// Index of `id` among the proposers.
    pub fn proposer_index(&self, id: Id) -> usize {
        self.proposers.iter().position(|p| *p == id).unwrap_or(0)
    }
    /// Index of `id` among the acceptors.
    pub fn acceptor_index(&self, id: Id) -> Option<usize> {
        self.acceptors.iter().position(|p| *p == id)
    }
    /// Short name of an actor: `P0`, `A1`, `L0`, `N2`, `C1`.
    pub fn name(&self, id: Id) -> String {
        let i = usize::from(id);
        let Some(kind) = self.kinds.get(i) else {
            return format!("?{i}");
        };
        let (prefix, list) = match kind {
            Kind::Proposer => ("P", &self.proposers),
            Kind::Acceptor | Kind::Node => {
                (if *kind == Kind::Node { "N" } else { "A" }, &self.acceptors)
            }
            Kind::Learner => ("L", &self.learners),
            Kind::Client => ("C", &self.clients),
        };
        let n = list.iter().position(|x| *x == id).unwrap_or(0);
        format!("{prefix}{n}")
    }
}
