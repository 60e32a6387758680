//! The properties of the single-decree model: the whole checked claim, in one table
//! (`SingleModel::all_properties`).
//!
//! "Chosen" is Lamport's definition, computed from *every vote ever cast* (recorded in the
//! ghost history whenever an acceptor's vote changes or it sends `Accepted`; a vote inside a
//! merged node never crosses the network, so messages alone would miss it), never from what
//! actors currently remember: `v` is chosen at ballot `b` when a majority of acceptors voted
//! `(b, v)`.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `agreement` | always | at most one value is ever chosen |
//! | `validity` | always | only a value some client proposed is chosen |
//! | `learner-agreement` | always | every value a live learner learned is chosen (so, with `agreement`, no two live learners differ) |
//! | `learners-agree` | always | no two learners ever learned different values (from the ghost `learned`: each learner's first value, crashed or not) |
//! | `stability` | always | a learner's value, once learned, never changes or disappears, across crash and recovery |
//! | `durability` | always | a live acceptor's promise is at least every ballot it ever promised or voted in |
//! | `round-durability` | always | a live proposer's round is at least the round of every `Prepare` it ever sent (so a restarted proposer never reuses a ballot; not judged with `shared-ballots`, where a ballot does not name its proposer) |
//! | `ballot-safety` | always | once `v` is chosen at `b`, every `Accept` at a higher ballot carries `v` |
//! | `linearizable` | always | the clients' history is linearizable for a write-once register |
//! | `value-chosen` | sometimes | some value gets chosen |
//! | `learner-learns` | sometimes | some live learner has learned a value (so `learner-agreement` and `stability` are not vacuous) |
//! | `client-answered` | sometimes | some client got a `Decided` answer (so `linearizable` is not vacuous) |
//! | `chosen-after-recovery` | sometimes | a value is chosen after an acceptor crashed and recovered (only with crashes) |
//! | `second-proposer-completes` | sometimes | a proposer gets chosen a value first voted for under another proposer's ballot (only with 2+ proposers) |
//!
//! Linearizability is checked exactly but compactly. For a consensus object (write-once
//! register) a history is linearizable iff every completed operation returned the same value `v`
//! and some `Propose(v)` was invoked before the first response: the winning proposal is
//! linearized first, every other operation after it.

use super::*;

impl SingleModel {
    /// Live acceptors' states, with their acceptor index.
    pub(super) fn live_acceptors<'a>(
        &'a self,
        s: &'a SingleModelState,
    ) -> impl Iterator<Item = (usize, &'a crate::single::AcceptorState)> + 'a {
        self.layout
            .acceptors
            .iter()
            .enumerate()
            .filter(|(_, id)| !s.crashed[usize::from(**id)])
            .filter_map(|(a, id)| {
                s.actor_states[usize::from(*id)]
                    .acceptor()
                    .map(|st| (a, st))
            })
    }

    /// Every property of the model: the whole checked claim. Longer than 70 lines for a
    /// reason: it is the property table, kept in one place so the claim reads top to bottom.
    pub(super) fn all_properties() -> Vec<Property<SingleModel>> {
        vec![
            Property::always("agreement", |m: &SingleModel, s: &SingleModelState| {
                s.history
                    .chosen(m.cfg.acceptors)
                    .iter()
                    .map(|c| c.1)
                    .collect::<BTreeSet<_>>()
                    .len()
                    <= 1
            }),
            Property::always("validity", |m: &SingleModel, s: &SingleModelState| {
                s.history
                    .chosen(m.cfg.acceptors)
                    .iter()
                    .all(|(_, v)| s.history.invoked.contains(v))
            }),
            Property::always(
                "learner-agreement",
                |m: &SingleModel, s: &SingleModelState| {
                    let chosen: BTreeSet<Value> = s
                        .history
                        .chosen(m.cfg.acceptors)
                        .iter()
                        .map(|c| c.1)
                        .collect();
                    s.actor_states.iter().enumerate().all(|(i, st)| {
                        s.crashed[i]
                            || st
                                .learner()
                                .and_then(|l| l.learned)
                                .is_none_or(|v| chosen.contains(&v))
                    })
                },
            ),
            Property::always("learners-agree", |_: &SingleModel, s: &SingleModelState| {
                // From the ghost `learned`: every learner's first learned value, crashed or not.
                s.history
                    .learned
                    .iter()
                    .flatten()
                    .collect::<BTreeSet<_>>()
                    .len()
                    <= 1
            }),
            Property::always("stability", |_: &SingleModel, s: &SingleModelState| {
                !s.history.unstable
            }),
            Property::always("durability", |m: &SingleModel, s: &SingleModelState| {
                m.live_acceptors(s)
                    .all(|(a, st)| st.promised >= s.history.max_promised[a])
            }),
            Property::always(
                "round-durability",
                |m: &SingleModel, s: &SingleModelState| {
                    // With shared ballots a `Prepare` does not name its proposer.
                    m.cfg.bug == Bug::SharedBallots
                        || m.layout.proposers.iter().all(|id| {
                            let i = usize::from(*id);
                            let p = m.layout.proposer_index(*id) as u32;
                            s.crashed[i]
                                || s.actor_states[i].proposer().is_none_or(|st| {
                                    s.history
                                        .prepares
                                        .iter()
                                        .filter(|b| b.proposer == p)
                                        .all(|b| b.round <= st.round)
                                })
                        })
                },
            ),
            Property::always("ballot-safety", |m: &SingleModel, s: &SingleModelState| {
                s.history.chosen(m.cfg.acceptors).iter().all(|(b, v)| {
                    s.history
                        .proposals
                        .iter()
                        .all(|(b2, v2)| b2 <= b || v2 == v)
                })
            }),
            Property::always("linearizable", |_: &SingleModel, s: &SingleModelState| {
                !s.history.nonlinearizable
            }),
            Property::sometimes("value-chosen", |m: &SingleModel, s: &SingleModelState| {
                !s.history.chosen(m.cfg.acceptors).is_empty()
            }),
            Property::sometimes("learner-learns", |_: &SingleModel, s: &SingleModelState| {
                s.actor_states.iter().enumerate().any(|(i, st)| {
                    !s.crashed[i] && st.learner().is_some_and(|l| l.learned.is_some())
                })
            }),
            Property::sometimes(
                "client-answered",
                |_: &SingleModel, s: &SingleModelState| {
                    // A client leaves `Proposing` only on a `Decided` answer.
                    s.actor_states.iter().any(|st| {
                        st.client()
                            .is_some_and(|c| !matches!(c.phase, ClientPhase::Proposing))
                    })
                },
            ),
            Property::sometimes(
                "chosen-after-recovery",
                |m: &SingleModel, s: &SingleModelState| {
                    s.history.recovered_before_choice
                        && !s.history.chosen(m.cfg.acceptors).is_empty()
                },
            ),
            Property::sometimes(
                "second-proposer-completes",
                |m: &SingleModel, s: &SingleModelState| {
                    s.history.chosen(m.cfg.acceptors).iter().any(|(b, v)| {
                        !s.history
                            .chosen(m.cfg.acceptors)
                            .iter()
                            .any(|(b1, _)| b1 < b)
                            && s.history
                                .votes
                                .iter()
                                .any(|(b1, v1, _)| v1 == v && b1 < b && b1.proposer != b.proposer)
                    })
                },
            ),
        ]
    }

    /// Names of the properties this configuration checks.
    pub fn property_names(&self) -> Vec<&'static str> {
        self.properties().iter().map(|p| p.name).collect()
    }
}
