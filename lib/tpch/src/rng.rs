//! The generator's pseudo-random numbers: a SplitMix64 stream per order,
//! seeded from nothing but the order's index, so that every order's lines
//! come out the same whichever slice of the table it is generated in.

/// The SplitMix64 increment (2^64 divided by the golden ratio, odd).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fixed salt that keeps order 0's stream away from the all-zero state.
const SALT: u64 = 0x5450_4348_2d6c_696e; // "TPCH-lin"

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

/// SplitMix64's output function: a bijective scrambling of one word
/// (also the digests' mixing step).
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream of order `order` (0-based index).
    pub(crate) const fn for_order(order: u64) -> Rng {
        Rng {
            state: mix(order ^ SALT),
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `lo..=hi` (`lo` if `hi < lo`), by scaling the next word
    /// (its bias, below `(hi - lo + 1) / 2^64`, is immaterial here).
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        let span = u128::from(hi.saturating_sub(lo)) + 1;
        lo + ((u128::from(self.next_u64()) * span) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_repeat_and_differ() {
        let mut a = Rng::for_order(7);
        let mut b = Rng::for_order(7);
        let mut c = Rng::for_order(8);
        for _ in 0..100 {
            let x = a.next_u64();
            assert_eq!(x, b.next_u64());
            assert_ne!(x, c.next_u64());
        }
    }

    #[test]
    fn between_stays_in_range_and_reaches_both_ends() {
        let mut rng = Rng::for_order(0);
        let mut seen = [false; 7];
        for _ in 0..10_000 {
            let v = rng.between(1, 7);
            assert!((1..=7).contains(&v));
            seen[(v - 1) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(rng.between(5, 5), 5);
        assert_eq!(rng.between(5, 3), 5);
        // The widest range does not overflow.
        let _ = rng.between(0, u64::MAX);
    }
}
