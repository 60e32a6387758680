//! The replicated state machine: a key-value map with `put`, `get`, `delete` and `cas`, and
//! the session table that makes a retried command take effect exactly once.
//!
//! Every replica applies the decided log, slot after slot, in order, to its own [`Kv`]; since
//! the log is the same everywhere, so are the maps. A client tags each command with (client
//! id, sequence number) and sends the next only after the previous was answered, so the table
//! keeps one entry per client: the last sequence number applied and its result. A command at
//! or below that number is a retry of a command already applied (a client that timed out and
//! asked again, a new leader that re-proposed it): it is not applied again, and its answer,
//! when it is the last one, comes from the table.

use super::msg::{Bug, Cmd, Entry, Op, Ret, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state machine: the map and the session table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Kv {
    /// The key-value map.
    pub map: BTreeMap<Text, Text>,
    /// Per client: the last sequence number applied and its result.
    pub sessions: BTreeMap<u64, (u32, Ret)>,
}

/// What applying a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The command took effect now, with this result.
    Executed(Ret),
    /// The command was applied before; this is the result it had, when it was the client's
    /// last command (an older one's result is no longer kept, and no client waits for it).
    Duplicate(Option<Ret>),
}

impl Kv {
    /// The operation alone, on the map: the sequential semantics of the store.
    pub fn execute(&mut self, op: &Op) -> Ret {
        match op {
            Op::Put(k, v) => {
                self.map.insert(k.clone(), v.clone());
                Ret::Ok
            }
            Op::Get(k) => Ret::Value(self.map.get(k).cloned()),
            Op::Delete(k) => match self.map.remove(k) {
                Some(_) => Ret::Ok,
                None => Ret::NotFound,
            },
            Op::Cas(k, old, new) => match self.map.get(k) {
                Some(cur) if cur == old => {
                    self.map.insert(k.clone(), new.clone());
                    Ret::Ok
                }
                cur => Ret::CasMismatch(cur.cloned()),
            },
        }
    }

    /// Applies a command once: a retry of an applied command is recognised by the session
    /// table and not executed again (unless the seeded bug [`Bug::NoDedup`] is on).
    pub fn apply(&mut self, cmd: &Cmd, bug: Bug) -> Applied {
        if let Some(answer) = self.answered(cmd) {
            if bug != Bug::NoDedup {
                return Applied::Duplicate(answer);
            }
        }
        let ret = self.execute(&cmd.op);
        self.sessions.insert(cmd.client, (cmd.seq, ret.clone()));
        Applied::Executed(ret)
    }

    /// Applies every command of a decided entry, in order; the results of those executed now.
    pub fn apply_entry(&mut self, entry: &Entry, bug: Bug) -> Vec<(u64, u32, Applied)> {
        entry
            .cmds()
            .iter()
            .map(|c| (c.client, c.seq, self.apply(c, bug)))
            .collect()
    }

    /// When `cmd` was applied already: `Some(result)` if it is the client's last applied
    /// command (its result is kept), `Some(None)` if it is older. `None`: not applied yet.
    pub fn answered(&self, cmd: &Cmd) -> Option<Option<Ret>> {
        match self.sessions.get(&cmd.client) {
            Some((seq, ret)) if *seq == cmd.seq => Some(Some(ret.clone())),
            Some((seq, _)) if *seq > cmd.seq => Some(None),
            _ => None,
        }
    }

    /// The state after applying `entries` in order to an empty store, each (client, sequence
    /// number) at most once: what every replica's state must equal after applying them.
    pub fn replay<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Kv {
        let mut kv = Kv::default();
        for e in entries {
            kv.apply_entry(e, Bug::None);
        }
        kv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        s.into()
    }

    fn cmd(client: u64, seq: u32, op: Op) -> Cmd {
        Cmd { client, seq, op }
    }

    #[test]
    fn operations_follow_the_sequential_semantics() {
        let mut kv = Kv::default();
        assert_eq!(kv.execute(&Op::Get(t("k"))), Ret::Value(None));
        assert_eq!(kv.execute(&Op::Delete(t("k"))), Ret::NotFound);
        assert_eq!(kv.execute(&Op::Put(t("k"), t("1"))), Ret::Ok);
        assert_eq!(
            kv.execute(&Op::Cas(t("k"), t("2"), t("3"))),
            Ret::CasMismatch(Some(t("1")))
        );
        assert_eq!(kv.execute(&Op::Cas(t("k"), t("1"), t("3"))), Ret::Ok);
        assert_eq!(kv.execute(&Op::Get(t("k"))), Ret::Value(Some(t("3"))));
        assert_eq!(kv.execute(&Op::Delete(t("k"))), Ret::Ok);
        assert_eq!(
            kv.execute(&Op::Cas(t("k"), t("3"), t("4"))),
            Ret::CasMismatch(None)
        );
    }

    #[test]
    fn a_retried_command_takes_effect_once_unless_bugged() {
        let put1 = cmd(1, 1, Op::Put(t("k"), t("1")));
        let put2 = cmd(2, 1, Op::Put(t("k"), t("2")));
        let mut kv = Kv::default();
        assert_eq!(kv.apply(&put1, Bug::None), Applied::Executed(Ret::Ok));
        assert_eq!(kv.apply(&put2, Bug::None), Applied::Executed(Ret::Ok));
        assert_eq!(
            kv.apply(&put1, Bug::None),
            Applied::Duplicate(Some(Ret::Ok))
        );
        assert_eq!(kv.map.get("k"), Some(&t("2")));
        assert_eq!(
            kv,
            Kv::replay(&[Entry::batch(vec![put1.clone(), put2.clone(), put1.clone()])])
        );
        // An older command than the client's last: applied, its result no longer kept.
        let mut kv2 = kv.clone();
        kv2.apply(&cmd(1, 2, Op::Get(t("k"))), Bug::None);
        assert_eq!(kv2.apply(&put1, Bug::None), Applied::Duplicate(None));
        // Without the table, the retry overwrites the other client's write.
        assert_eq!(kv.apply(&put1, Bug::NoDedup), Applied::Executed(Ret::Ok));
        assert_eq!(kv.map.get("k"), Some(&t("1")));
    }
}
