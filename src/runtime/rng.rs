//! A tiny seeded pseudo-random generator (SplitMix64).
//!
//! The runtime needs randomness in two places, neither of them cryptographic: the moment a timer
//! fires inside its range (the jitter that breaks the symmetry between duelling proposers) and
//! the fault-injection layer's coin flips. Both must be reproducible from a seed when a test asks
//! for it, so the generator is a plain, well-known 64-bit mixer rather than an OS source.

use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: a 64-bit state advanced by a constant and scrambled on output.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed (same seed, same sequence).
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from the clock and the process id (different in every process).
    pub fn from_entropy() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut r = Rng(nanos ^ (u64::from(std::process::id()) << 32));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p` (0 never, 1 always).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p
    }
}

/// `n` bytes from the operating system's cryptographic random source (`/dev/urandom`), for
/// what must not be guessable or repeat: cluster keys and incarnation ids.
pub fn os_random_bytes(n: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_floats_in_unit_interval() {
        let mut a = Rng::seeded(7);
        let mut b = Rng::seeded(7);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        // SplitMix64's published first output for seed 0.
        assert_eq!(Rng::seeded(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut r = Rng::seeded(1);
        assert!((0..1000)
            .map(|_| r.next_f64())
            .all(|f| (0.0..1.0).contains(&f)));
        assert!(!r.chance(0.0));
        assert!(r.chance(1.0));
    }
}
