//! Compact containers for the spec ports' states: a sequence of at most `N` small items stored
//! inline ([`Bounded`]), a set kept as a sorted vector ([`SortedSet`]) and a byte packing of
//! a state for its fingerprint ([`Pack`], [`hash_packed`]).
//!
//! They change how a state is stored, never what it is: a [`Bounded`] compares, orders and
//! hashes exactly as the slice it holds, and a [`SortedSet`] iterates in the order of the
//! `BTreeSet` it replaces, so a model's actions come out in the same order and its state
//! graph is the same. What they save is allocation: a state of the MultiPaxos-SMR port is a
//! handful of flat copies instead of a tree of small heap nodes, so cloning a state for each
//! successor and hashing it for the checker's visited set costs a memcpy and one hash of a
//! byte string.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

/// A sequence of at most `N` items, stored inline.
#[derive(Clone, Copy)]
pub struct Bounded<T: Copy + Default, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy + Default, const N: usize> Bounded<T, N> {
    /// The empty sequence.
    pub fn new() -> Self {
        assert!(N <= usize::from(u8::MAX), "at most 255 items");
        Bounded {
            len: 0,
            items: [T::default(); N],
        }
    }

    /// Appends `x`; panics when the sequence is full (a bound the caller's constants keep).
    pub fn push(&mut self, x: T) {
        let n = usize::from(self.len);
        assert!(n < N, "a Bounded sequence holds at most {N} items");
        self.items[n] = x;
        self.len += 1;
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `n` items.
    pub fn truncate(&mut self, n: usize) {
        if n < usize::from(self.len) {
            self.len = n as u8;
        }
    }

    /// Keeps the items for which `keep` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut out = Self::new();
        for x in self.iter() {
            if keep(x) {
                out.push(*x);
            }
        }
        *self = out;
    }
}

impl<T: Copy + Default, const N: usize> Default for Bounded<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for Bounded<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for Bounded<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default, const N: usize> From<&[T]> for Bounded<T, N> {
    fn from(xs: &[T]) -> Self {
        let mut b = Self::new();
        for x in xs {
            b.push(*x);
        }
        b
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for Bounded<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Self {
        let mut b = Self::new();
        for x in it {
            b.push(x);
        }
        b
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for Bounded<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for Bounded<T, N> {}

impl<T: Copy + Default + PartialOrd, const N: usize> PartialOrd for Bounded<T, N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: Copy + Default + Ord, const N: usize> Ord for Bounded<T, N> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: Copy + Default + Hash, const N: usize> Hash for Bounded<T, N> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for Bounded<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A set kept as a sorted vector without duplicates: iteration in ascending order, as a
/// `BTreeSet`'s, in one allocation.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct SortedSet<T: Ord>(Vec<T>);

impl<T: Ord> SortedSet<T> {
    /// The empty set.
    pub fn new() -> Self {
        SortedSet(Vec::new())
    }

    /// Adds `x`; returns whether it was new.
    pub fn insert(&mut self, x: T) -> bool {
        match self.0.binary_search(&x) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, x);
                true
            }
        }
    }

    /// Removes `x`; returns whether it was there.
    pub fn remove(&mut self, x: &T) -> bool {
        match self.0.binary_search(x) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `x` is in the set.
    pub fn contains(&self, x: &T) -> bool {
        self.0.binary_search(x).is_ok()
    }

    /// The members in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, it: I) {
        for x in it {
            self.insert(x);
        }
    }
}

impl<'a, T: Ord> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Ord + fmt::Debug> fmt::Debug for SortedSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.iter()).finish()
    }
}

/// A value written as bytes, injectively: two values of one type pack to the same bytes only
/// when they are equal (every variable-length part is preceded by its length).
pub trait Pack {
    /// Appends this value's bytes to `out`.
    fn pack(&self, out: &mut Vec<u8>);
}

impl Pack for u8 {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Pack for bool {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Pack for Option<u8> {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(x) => out.extend_from_slice(&[1, *x]),
        }
    }
}

impl<T: Pack> Pack for [T] {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for x in self {
            x.pack(out);
        }
    }
}

impl<T: Pack + Ord> Pack for SortedSet<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out)
    }
}

impl<T: Pack + Copy + Default, const N: usize> Pack for Bounded<T, N> {
    fn pack(&self, out: &mut Vec<u8>) {
        (**self).pack(out)
    }
}

thread_local! {
    static PACKED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Feeds `h` the packed bytes of `x` in one write (a buffer per thread, reused). Use it as a
/// type's `Hash`, with an `Eq` that is structural: equal values pack equally, so the two agree.
pub fn hash_packed<P: Pack + ?Sized, H: Hasher>(x: &P, h: &mut H) {
    PACKED.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        x.pack(&mut b);
        h.write(&b);
    })
}
