//! The ghost history: what was sent, promised, voted and answered, recorded by the model from
//! each step's messages for the properties to read. Actors never read it.

use super::*;

/// A recorded `Promise`: `(acceptor index, ballot, reported vote)`.
pub type Promise1b = (u8, Ballot, Option<(Ballot, Value)>);

/// Ghost history: what happened, for the properties. Never read by actors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct History {
    /// Every vote cast: `(ballot, value, acceptor index)`, observed in acceptor states after
    /// every step and in every `Accepted` sent (2b).
    pub votes: BTreeSet<(Ballot, Value, u8)>,
    /// Every `(ballot, value)` proposed in phase 2 (2a): observed in proposer states and in
    /// every `Accept` sent.
    pub proposals: BTreeSet<(Ballot, Value)>,
    /// Every `Prepare` ballot sent (1a).
    pub prepares: BTreeSet<Ballot>,
    /// Every `Promise` sent (1b), `(acceptor index, ballot, reported vote)`, when recorded.
    pub promises: BTreeSet<Promise1b>,
    /// Highest ballot each acceptor (by index) ever promised or voted in (observed in its
    /// state and in the `Promise` / `Accepted` it sent).
    pub max_promised: Vec<Option<Ballot>>,
    /// Values clients asked to propose (invocations).
    pub invoked: BTreeSet<Value>,
    /// The value of the first response any client received.
    pub first_response: Option<Value>,
    /// Set when the client history stopped being linearizable.
    pub nonlinearizable: bool,
    /// First value each actor (by index) learned, when it runs a learner.
    pub learned: Vec<Option<Value>>,
    /// Set when a learner's value changed or disappeared.
    pub unstable: bool,
    /// Set when an acceptor recovered from a crash while nothing was chosen yet.
    pub recovered_before_choice: bool,
}

impl History {
    /// Values chosen at some ballot, from every vote ever cast: `(ballot, value)` pairs with a
    /// majority of acceptors (a true majority, whatever quorum a bugged model uses).
    pub fn chosen(&self, acceptors: usize) -> Vec<(Ballot, Value)> {
        let mut count: BTreeMap<(Ballot, Value), usize> = BTreeMap::new();
        for (b, v, _) in &self.votes {
            *count.entry((*b, *v)).or_default() += 1;
        }
        let q = quorum(acceptors, Bug::None);
        count
            .into_iter()
            .filter(|(_, n)| *n >= q)
            .map(|(k, _)| k)
            .collect()
    }

    pub(super) fn record_out(
        cfg: &SingleConfig,
        h: &History,
        env: Envelope<&Msg>,
    ) -> Option<History> {
        let lay_acceptor = |id: Id| -> Option<u8> {
            // Acceptors are the contiguous block after the separate proposers.
            let first = match cfg.merge {
                Merge::All => 0,
                _ => cfg.proposers,
            };
            let i = usize::from(id);
            (i >= first && i < first + cfg.acceptors).then(|| (i - first) as u8)
        };
        let mut h2 = None::<History>;
        fn h2m<'a>(h2: &'a mut Option<History>, h: &History) -> &'a mut History {
            h2.get_or_insert_with(|| h.clone())
        }
        match *env.msg {
            Msg::Propose(v) if !h.invoked.contains(&v) => {
                h2m(&mut h2, h).invoked.insert(v);
            }
            Msg::Accept(b, v) if !h.proposals.contains(&(b, v)) => {
                h2m(&mut h2, h).proposals.insert((b, v));
            }
            Msg::Accepted(b, v) => {
                let a = lay_acceptor(env.src)?;
                if !h.votes.contains(&(b, v, a)) {
                    h2m(&mut h2, h).votes.insert((b, v, a));
                }
                if h.max_promised[a as usize] < Some(b) {
                    h2m(&mut h2, h).max_promised[a as usize] = Some(b);
                }
            }
            Msg::Promise(b, vote) => {
                let a = lay_acceptor(env.src)?;
                if h.max_promised[a as usize] < Some(b) {
                    h2m(&mut h2, h).max_promised[a as usize] = Some(b);
                }
                if cfg.record_phase1 && !h.promises.contains(&(a, b, vote)) {
                    h2m(&mut h2, h).promises.insert((a, b, vote));
                }
            }
            Msg::Prepare(b) if !h.prepares.contains(&b) => {
                h2m(&mut h2, h).prepares.insert(b);
            }
            _ => {}
        }
        h2
    }

    pub(super) fn record_in(
        _cfg: &SingleConfig,
        h: &History,
        env: Envelope<&Msg>,
    ) -> Option<History> {
        // Only deliveries the client acted on reach here (stateright skips no-op deliveries),
        // so these are exactly the responses of the client's operations.
        let v = match *env.msg {
            Msg::Decided(v) | Msg::Learned(Some(v)) => v,
            _ => return None,
        };
        match h.first_response {
            None => {
                let mut h2 = h.clone();
                h2.first_response = Some(v);
                if !h.invoked.contains(&v) {
                    h2.nonlinearizable = true;
                }
                Some(h2)
            }
            Some(f) if f != v && !h.nonlinearizable => {
                let mut h2 = h.clone();
                h2.nonlinearizable = true;
                Some(h2)
            }
            _ => None,
        }
    }
}
