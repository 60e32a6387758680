//! The sequential specification the clients' history is checked against: a key-value map,
//! written here independently of the replicas' state machine (`src/multi/kv.rs`), so that the
//! linearizability check does not judge the implementation by itself.

use crate::multi::{Op, Ret, Text};
use stateright::semantics::SequentialSpec;
use std::collections::BTreeMap;

/// A key-value map as a sequential object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvSpec(pub BTreeMap<Text, Text>);

impl SequentialSpec for KvSpec {
    type Op = Op;
    type Ret = Ret;

    fn invoke(&mut self, op: &Op) -> Ret {
        let map = &mut self.0;
        match op {
            Op::Put(k, v) => {
                map.insert(k.clone(), v.clone());
                Ret::Ok
            }
            Op::Get(k) => Ret::Value(map.get(k).cloned()),
            Op::Delete(k) => {
                if map.remove(k).is_some() {
                    Ret::Ok
                } else {
                    Ret::NotFound
                }
            }
            Op::Cas(k, old, new) => {
                let cur = map.get(k).cloned();
                if cur.as_ref() == Some(old) {
                    map.insert(k.clone(), new.clone());
                    Ret::Ok
                } else {
                    Ret::CasMismatch(cur)
                }
            }
        }
    }
}
