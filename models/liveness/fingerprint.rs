//! State fingerprints: a stable 64-bit hash of a state (the same in every run and on every
//! machine, unlike `std`'s randomly seeded hasher), and the table that maps fingerprints to
//! state indices while the graph is explored.

use std::hash::{Hash, Hasher};

use super::graph::NONE;

// ---------------------------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------------------------

const MUL_A: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL_B: u64 = 0xd6e8_feb8_6659_fd93;
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// Multiplies two 64-bit words into 128 bits and folds the halves together with XOR.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let wide = (a as u128) * (b as u128);
    (wide as u64) ^ ((wide >> 64) as u64)
}

/// A fast, fixed-key (hence stable within a build) hasher used for state fingerprints.
///
/// Every word written is mixed into the running value with a folded 64x64->128-bit multiply,
/// and the result goes through one more round in [`Hasher::finish`].
struct StableHasher {
    acc: u64,
}

impl StableHasher {
    #[inline(always)]
    fn new() -> Self {
        StableHasher { acc: SEED }
    }

    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.acc = fold_mul(self.acc ^ word, MUL_A);
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length goes into the otherwise unused top byte, so that trailing zero bytes matter.
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.mix(i as u64);
        self.mix((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.acc ^ MUL_B, MUL_A ^ MUL_B)
    }
}

/// The 64-bit fingerprint of a value, as used by [`StateGraph`](super::StateGraph) to identify states.
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = StableHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Open-addressing set of state indices keyed by their fingerprints, which live in a separate
/// per-state array (so a slot is only 4 bytes). Linear probing, load factor at most 3/4.
pub(super) struct FingerprintTable {
    slots: Vec<u32>,
    shift: u32,
    len: usize,
}

impl FingerprintTable {
    const INITIAL_BITS: u32 = 10;

    pub(super) fn new() -> Self {
        FingerprintTable {
            slots: vec![NONE; 1 << Self::INITIAL_BITS],
            shift: 64 - Self::INITIAL_BITS,
            len: 0,
        }
    }

    #[inline]
    pub(super) fn home(&self, fp: u64) -> usize {
        (fp.wrapping_mul(MUL_A) >> self.shift) as usize
    }

    /// Returns the index stored for `fp`, if any.
    pub(super) fn get(&self, fp: u64, fps: &[u64]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut pos = self.home(fp);
        loop {
            let slot = self.slots[pos];
            if slot == NONE {
                return None;
            }
            if fps[slot as usize] == fp {
                return Some(slot);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Returns the index stored for `fp`, or stores `new_index` (whose fingerprint the caller
    /// must then append to `fps`) and returns `None`.
    pub(super) fn get_or_insert(&mut self, fp: u64, fps: &[u64], new_index: u32) -> Option<u32> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(fps);
        }
        let mask = self.slots.len() - 1;
        let mut pos = self.home(fp);
        loop {
            let slot = self.slots[pos];
            if slot == NONE {
                self.slots[pos] = new_index;
                self.len += 1;
                return None;
            }
            if fps[slot as usize] == fp {
                return Some(slot);
            }
            pos = (pos + 1) & mask;
        }
    }

    pub(super) fn grow(&mut self, fps: &[u64]) {
        let doubled = vec![NONE; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|&s| s != NONE) {
            let mut pos = self.home(fps[slot as usize]);
            while self.slots[pos] != NONE {
                pos = (pos + 1) & mask;
            }
            self.slots[pos] = slot;
        }
    }

    /// Replaces every stored index `i` by `new_of[i]` (fingerprints, hence slots, unchanged).
    pub(super) fn remap(&mut self, new_of: &[u32]) {
        for slot in self.slots.iter_mut().filter(|s| **s != NONE) {
            *slot = new_of[*slot as usize];
        }
    }

    pub(super) fn bytes(&self) -> usize {
        self.slots.capacity() * 4
    }
}
