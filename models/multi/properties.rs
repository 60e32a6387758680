//! The properties of the Multi-Paxos model: the whole checked claim, in one table
//! (`MultiModel::all_properties`).
//!
//! "Chosen" is computed per slot from *every vote ever cast* (the ghost history observes each
//! acceptor's votes after every step): an entry is chosen at a slot when a majority of the
//! replicas voted for it there in one ballot.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `agreement` | always | at every slot, at most one entry is ever chosen |
//! | `validity` | always | every command in a chosen entry was sent by a client (no-ops aside) |
//! | `applied-is-chosen` | always | every entry a live replica applied is the chosen entry of its slot |
//! | `replicas-agree` | always | no two replicas ever applied different entries at the same slot (crashed or not: from the ghost record of what each applied) |
//! | `stability` | always | a replica never applies, at a slot, another entry than it applied there before, across crash and recovery |
//! | `exactly-once` | always | every live replica's store and session table are those of applying its applied log with each (client, sequence number) once |
//! | `linearizable` | always | the clients' history is linearizable for a key-value map (stateright's `LinearizabilityTester` with [`KvSpec`]) |
//! | `client-answered` | sometimes | some client got an answer |
//! | `every-client-done` | sometimes | every client got an answer to every operation |
//! | `leader-change-completes` | sometimes | an entry voted for under one replica's ballot is chosen under another's (only with election timers) |
//! | `retry-answered-from-table` | sometimes | a replica answered a retried request from its session table (only with client retries) |
//! | `caught-up-after-crash` | sometimes | a replica that recovered applied again every slot decided before it recovered (only with crashes) |

use super::*;

impl MultiModel {
    /// Every property of the model: the whole checked claim, one table. Longer than 70 lines
    /// for a reason: the property table is kept in one place so the claim reads top to bottom.
    pub(super) fn all_properties() -> Vec<Property<MultiModel>> {
        vec![
            Property::always("agreement", |m: &MultiModel, s: &MultiModelState| {
                s.history
                    .chosen(m.cfg.replicas)
                    .iter()
                    .map(|(slot, _, e)| (slot, e))
                    .dedup()
                    .map(|(slot, _)| slot)
                    .all_unique()
            }),
            Property::always("validity", |m: &MultiModel, s: &MultiModelState| {
                s.history
                    .chosen(m.cfg.replicas)
                    .iter()
                    .all(|(_, _, e)| e.cmds().iter().all(|c| s.history.requested.contains(c)))
            }),
            Property::always(
                "applied-is-chosen",
                |m: &MultiModel, s: &MultiModelState| {
                    let chosen = s.history.chosen(m.cfg.replicas);
                    m.live_replicas(s).all(|(_, r)| {
                        (0..r.learner.applied).all(|slot| {
                            r.learner.log.get(&slot).is_some_and(|e| {
                                chosen.iter().any(|(cs, _, ce)| *cs == slot && ce == e)
                            })
                        })
                    })
                },
            ),
            Property::always("replicas-agree", |_: &MultiModel, s: &MultiModelState| {
                !s.history.diverged
            }),
            Property::always("stability", |_: &MultiModel, s: &MultiModelState| {
                !s.history.unstable
            }),
            Property::always("exactly-once", |m: &MultiModel, s: &MultiModelState| {
                m.live_replicas(s).all(|(_, r)| {
                    let l = &r.learner;
                    l.kv == crate::multi::Kv::replay(l.log.range(..l.applied).map(|(_, e)| e))
                })
            }),
            Property::always("linearizable", |_: &MultiModel, s: &MultiModelState| {
                !s.history.nonlinearizable
            }),
            Property::sometimes("client-answered", |m: &MultiModel, s: &MultiModelState| {
                m.clients(s).any(|(_, c)| c.done > 0)
            }),
            Property::sometimes(
                "every-client-done",
                |m: &MultiModel, s: &MultiModelState| {
                    m.clients(s)
                        .all(|(i, c)| c.done as usize == m.cfg.ops[i].len())
                },
            ),
            Property::sometimes(
                "leader-change-completes",
                |m: &MultiModel, s: &MultiModelState| {
                    s.history.chosen(m.cfg.replicas).iter().any(|(slot, b, e)| {
                        s.history.votes.iter().any(|(vs, vb, ve, _)| {
                            vs == slot && ve == e && vb.proposer != b.proposer && vb < b
                        })
                    })
                },
            ),
            Property::sometimes(
                "retry-answered-from-table",
                |_: &MultiModel, s: &MultiModelState| s.history.answered_from_table,
            ),
            Property::sometimes(
                "caught-up-after-crash",
                |_: &MultiModel, s: &MultiModelState| s.history.caught_up,
            ),
        ]
    }

    /// The clients' states, with their index.
    pub fn clients<'a>(
        &'a self,
        s: &'a MultiModelState,
    ) -> impl Iterator<Item = (usize, &'a crate::multi::ClientState)> + 'a {
        (self.cfg.replicas..s.actor_states.len()).filter_map(move |i| {
            s.actor_states[i]
                .client()
                .map(|c| (i - self.cfg.replicas, c))
        })
    }
}
