//! Partial synchrony for the leader alone: which timers may fire when, in the `leader-progress`
//! claim (`models/claims.rs`).
//!
//! stateright lets a set timer fire at any moment. Progress in Paxos needs two things of
//! timing, and no more: one proposer, the leader, is the only one that starts ballots on its
//! own, and its timeout is longer than a round trip, so that it does not abandon or repeat a
//! phase whose answers are still on their way. [`LeaderSynchrony`] states exactly that:
//!
//! * **Only the leader's timers fire** (the first proposer). Another proposer still acts on
//!   the messages it gets (a client may ask it, and it then runs a ballot that may pre-empt the
//!   leader) but never times out, so it runs at most one ballot of its own accord. This is
//!   what a leader election provides once it has settled.
//! * **The leader's timer fires only when none of its current ballot's messages is in flight**:
//!   no `Prepare`/`Accept` of that ballot from the leader, and no `Promise`/`Accepted`/`Nack`
//!   for it to the leader, is in flight (see below). Its timeout exceeds a round trip. Nothing is said about the rest of the system: other messages may be in flight.
//! * **A client's timer fires only when none of its own messages is in flight** (its request,
//!   or an answer to it): it may time out while the leader works on its request, and it then
//!   asks the next proposer.
//!
//! Loss, duplication and crashes are the inner model's (this wrapper removes none of them);
//! the fairness that rules out losing the same message forever, and crashing forever, is the
//! checker's ([`fairness`](super::fairness)). Unlike
//! [`FairTimeouts`](super::liveness::FairTimeouts) ("no failure": timers only when the whole
//! system is quiet), this is no leader-election oracle: while anything of the leader's ballot
//! is in flight its timer waits, but everything else, including other proposers and lost
//! messages, proceeds.
//!
//! "In flight" means "in the network" on a non-duplicating network (with
//! [`SingleConfig::consume_ignored`], a message the recipient ignores leaves the network when
//! it arrives, as on a real network, and a message to a crashed actor stays until it is
//! dropped). On stateright's duplicating network a delivered message stays deliverable
//! forever, so there it means "its delivery is possible and changes the state".

use stateright::actor::{ActorModelAction, Id, Network};
use stateright::Model;

use super::single::{SingleAction, SingleConfig, SingleModelState};

/// An actor model of single-decree Paxos with the timing assumptions of the module docs.
#[derive(Clone)]
pub struct LeaderSynchrony<M> {
    inner: M,
    leader: Id,
    proposers: Vec<Id>,
    clients: Vec<Id>,
}

impl<M> LeaderSynchrony<M> {
    /// Wraps `inner`, a model of `cfg` (which must have separate proposers).
    pub fn new(inner: M, cfg: &SingleConfig) -> Self {
        let layout = cfg.layout();
        LeaderSynchrony {
            inner,
            leader: layout.proposers[0],
            proposers: layout.proposers.clone(),
            clients: layout.clients.clone(),
        }
    }

    /// The wrapped model.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M> LeaderSynchrony<M>
where
    M: Model<State = SingleModelState, Action = SingleAction>,
{
    /// Whether the message of `action` (a delivery) is in flight in `state`: on a
    /// non-duplicating network, whether it is in the network (its delivery is listed); on a
    /// duplicating one, whether its delivery is possible and changes the state.
    fn effective(&self, state: &SingleModelState, action: &SingleAction) -> bool {
        !matches!(state.network, Network::UnorderedDuplicating(..))
            || self
                .inner
                .next_state(state, action.clone())
                .is_some_and(|next| next != *state)
    }

    /// Whether some delivery among `actions` matching `belongs` is possible and changes `state`.
    fn in_flight(
        &self,
        state: &SingleModelState,
        actions: &[SingleAction],
        belongs: impl Fn(Id, Id, &crate::single::Msg) -> bool,
    ) -> bool {
        actions.iter().any(|a| match a {
            ActorModelAction::Deliver { src, dst, msg } => {
                belongs(*src, *dst, msg) && self.effective(state, a)
            }
            _ => false,
        })
    }

    /// Whether the leader's timer may fire: none of its current ballot's messages in flight.
    fn leader_may_fire(&self, state: &SingleModelState, actions: &[SingleAction]) -> bool {
        let i = usize::from(self.leader);
        let ballot = state.actor_states[i]
            .proposer()
            .and_then(|p| match p.phase {
                crate::single::Phase::Preparing { ballot, .. }
                | crate::single::Phase::Prepared { ballot, .. }
                | crate::single::Phase::Accepting { ballot, .. } => Some(ballot),
                _ => None,
            });
        let Some(ballot) = ballot else {
            return true;
        };
        let leader = self.leader;
        !self.in_flight(state, actions, |src, dst, msg| {
            (src == leader || dst == leader) && msg.ballot() == Some(ballot)
        })
    }
}

impl<M> Model for LeaderSynchrony<M>
where
    M: Model<State = SingleModelState, Action = SingleAction>,
{
    type State = SingleModelState;
    type Action = SingleAction;

    fn init_states(&self) -> Vec<SingleModelState> {
        self.inner.init_states()
    }

    fn actions(&self, state: &SingleModelState, actions: &mut Vec<SingleAction>) {
        let start = actions.len();
        self.inner.actions(state, actions);
        let own: Vec<SingleAction> = actions[start..].to_vec();
        let mut leader = None;
        let mut position = 0;
        actions.retain(|a| {
            position += 1;
            if position <= start {
                return true;
            }
            let ActorModelAction::Timeout(id, _) = a else {
                return true;
            };
            if *id == self.leader {
                *leader.get_or_insert_with(|| self.leader_may_fire(state, &own))
            } else if self.proposers.contains(id) {
                false
            } else if self.clients.contains(id) {
                let me = *id;
                !self.in_flight(state, &own, |src, dst, _| src == me || dst == me)
            } else {
                true
            }
        });
    }

    fn next_state(
        &self,
        last: &SingleModelState,
        action: SingleAction,
    ) -> Option<SingleModelState> {
        self.inner.next_state(last, action)
    }

    fn format_action(&self, action: &SingleAction) -> String {
        self.inner.format_action(action)
    }

    fn within_boundary(&self, state: &SingleModelState) -> bool {
        self.inner.within_boundary(state)
    }
}
