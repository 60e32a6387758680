//! The no-failure, timeouts-after-deliveries assumption ([`FairTimeouts`]).
//!
//! A consensus protocol cannot guarantee progress in a fully asynchronous system with failures,
//! and in stateright's actor model a timer may fire at any moment, even while the messages that
//! would make it unnecessary are in flight. So liveness is checked under an explicit assumption,
//! modelling the system after the global stabilisation time of partial synchrony:
//!
//! * **No failures.** No message is lost and no actor crashes. This is configured on the inner
//!   [`ActorModel`](stateright::actor::ActorModel) (`LossyNetwork::No`, `max_crashes(0)`); the
//!   wrapper also removes every [`ActorModelAction::Drop`] and [`ActorModelAction::Crash`] action
//!   to make it certain.
//! * **Timeouts are longer than message delays.** A timer fires only when no message delivery is
//!   possible: in a state where at least one [`ActorModelAction::Deliver`] action is *enabled*
//!   (listed by the inner model and producing a transition, i.e. `next_state` returns `Some`),
//!   every [`ActorModelAction::Timeout`] action is withheld. A listed delivery that produces no
//!   transition (stateright drops deliveries that change nothing on unordered networks) does not
//!   count, otherwise a duplicating network, which keeps delivered messages forever, would
//!   block every timer forever.
//!
//! Nothing else is constrained: deliveries happen in any order, and random choices
//! ([`ActorModelAction::SelectRandom`]) and recoveries stay enabled as in the inner model.
//!
//! Use a non-duplicating network for liveness. On stateright's duplicating network every
//! message stays deliverable forever, and a redelivery counts as a transition whenever the
//! recipient reacts to it (for example by answering again). Timers are then held back for as
//! long as such redeliveries remain, and endless redelivery is itself a cycle, i.e. a livelock
//! in the absence of fairness.

use std::fmt::Debug;

use stateright::actor::ActorModelAction;
use stateright::{Model, Path, Property};

// ---------------------------------------------------------------------------------------------
// Timeouts only when no delivery is possible, and no failures
// ---------------------------------------------------------------------------------------------

/// Wraps an actor model (any [`Model`] whose actions are [`ActorModelAction`]s, typically a
/// [`stateright::actor::ActorModel`]) so that no message is lost, no actor crashes, and timers
/// fire only when no delivery is enabled. See the module documentation for the exact
/// assumption.
///
/// States, actions, formatting, SVG rendering and the boundary are the inner model's. The
/// filtering happens in [`Model::actions`]; [`Model::next_state`] refuses only `Drop` and
/// `Crash`. [`Model::properties`] is empty, since a property's condition is a plain function of
/// the inner model type; evaluate the inner model's properties through [`FairTimeouts::inner`].
#[derive(Clone, Debug)]
pub struct FairTimeouts<M> {
    inner: M,
}

impl<M> FairTimeouts<M> {
    pub fn new(inner: M) -> Self {
        FairTimeouts { inner }
    }

    pub fn inner(&self) -> &M {
        &self.inner
    }

    pub fn into_inner(self) -> M {
        self.inner
    }
}

impl<M, Msg, Timer, Random> FairTimeouts<M>
where
    M: Model<Action = ActorModelAction<Msg, Timer, Random>>,
    Msg: Clone,
    Timer: Clone,
    Random: Clone,
{
    /// True if some delivery action of the inner model produces a transition from `state`.
    pub fn delivery_enabled(&self, state: &M::State) -> bool {
        let mut actions = Vec::new();
        self.inner.actions(state, &mut actions);
        self.any_delivery_enabled(state, &actions)
    }

    fn any_delivery_enabled(&self, state: &M::State, actions: &[M::Action]) -> bool {
        actions.iter().any(|a| {
            matches!(a, ActorModelAction::Deliver { .. })
                && self.inner.next_state(state, a.clone()).is_some()
        })
    }
}

impl<M, Msg, Timer, Random> Model for FairTimeouts<M>
where
    M: Model<Action = ActorModelAction<Msg, Timer, Random>>,
    M::State: Clone + PartialEq,
    Msg: Clone + PartialEq,
    Timer: Clone + PartialEq,
    Random: Clone + PartialEq,
{
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        // Only the actions appended here are filtered; anything already in `actions` stays.
        let start = actions.len();
        self.inner.actions(state, actions);
        let mut position = 0;
        actions.retain(|a| {
            position += 1;
            position <= start
                || !matches!(a, ActorModelAction::Drop(_) | ActorModelAction::Crash(_))
        });
        let own = &actions[start..];
        if own
            .iter()
            .any(|a| matches!(a, ActorModelAction::Timeout(..)))
            && self.any_delivery_enabled(state, own)
        {
            let mut position = 0;
            actions.retain(|a| {
                position += 1;
                position <= start || !matches!(a, ActorModelAction::Timeout(..))
            });
        }
    }

    fn next_state(&self, last_state: &Self::State, action: Self::Action) -> Option<Self::State> {
        match action {
            ActorModelAction::Drop(_) | ActorModelAction::Crash(_) => None,
            action => self.inner.next_state(last_state, action),
        }
    }

    fn format_action(&self, action: &Self::Action) -> String
    where
        Self::Action: Debug,
    {
        self.inner.format_action(action)
    }

    fn format_step(&self, last_state: &Self::State, action: Self::Action) -> Option<String>
    where
        Self::State: Debug,
    {
        self.inner.format_step(last_state, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        let mut steps = path.into_vec().into_iter();
        let (init, first) = steps.next()?;
        let actions: Vec<Self::Action> = first
            .into_iter()
            .chain(steps.filter_map(|(_, a)| a))
            .collect();
        let inner_path = Path::from_actions(&self.inner, init, &actions)?;
        self.inner.as_svg(inner_path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Vec::new()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.inner.within_boundary(state)
    }
}
