//! Inputs for the host fuzzer: valid seeds, mutated a few places at a time.
//!
//! A mutation changes a working copy of a seed in place and remembers what
//! it overwrote, so the next case starts from the seed again without
//! copying it whole (the seeds are kernel and program images of hundreds
//! of KiB, and a run makes a million cases per target). Mutations: a bit
//! flipped, a byte set, an "interesting" 16/32/64-bit value (0, all ones,
//! powers of two near the edges, the seed's own length) written at a random
//! offset, a range zeroed, a range copied from elsewhere in the input, and
//! the input cut short. Most mutations land in the first 4 KiB, where the
//! headers and tables that parsers read first live.

use rand::RngExt;
use rand::rngs::SmallRng;

/// Values a parser's arithmetic is likely to trip on.
const INTERESTING: [u64; 12] = [
    0,
    1,
    0x7f,
    0xff,
    0x1000,
    0x7fff_ffff,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX - 0xfff,
    u64::MAX,
];

/// A seed and a working copy of it that mutations change and undo.
pub struct Mutator {
    seed: Vec<u8>,
    work: Vec<u8>,
    /// What each mutation overwrote: (offset, old byte), newest last.
    undo: Vec<(usize, u8)>,
    /// How much of the working copy this case uses.
    len: usize,
}

impl Mutator {
    /// Mutates copies of `seed`.
    pub fn new(seed: Vec<u8>) -> Self {
        let work = seed.clone();
        let len = seed.len();
        Self {
            seed,
            work,
            undo: Vec::new(),
            len,
        }
    }

    /// The next input: the seed with 1 to 8 mutations.
    pub fn next(&mut self, rng: &mut SmallRng) -> &[u8] {
        self.reset();
        for _ in 0..rng.random_range(1..=8) {
            self.mutate(rng);
        }
        &self.work[..self.len]
    }

    /// Back to the seed.
    fn reset(&mut self) {
        while let Some((at, old)) = self.undo.pop() {
            self.work[at] = old;
        }
        self.len = self.seed.len();
    }

    fn set(&mut self, at: usize, value: u8) {
        if at < self.work.len() && self.work[at] != value {
            self.undo.push((at, self.work[at]));
            self.work[at] = value;
        }
    }

    /// An offset, most often in the first 4 KiB.
    fn offset(&self, rng: &mut SmallRng) -> usize {
        let len = self.len.max(1);
        if rng.random_bool(0.75) {
            rng.random_range(0..len.min(4096))
        } else {
            rng.random_range(0..len)
        }
    }

    fn mutate(&mut self, rng: &mut SmallRng) {
        if self.len == 0 {
            return;
        }
        match rng.random_range(0..7) {
            0 => {
                let at = self.offset(rng);
                let bit = 1u8 << rng.random_range(0..8);
                self.set(at, self.work[at] ^ bit);
            }
            1 => {
                let at = self.offset(rng);
                self.set(at, rng.random());
            }
            2 | 3 => {
                let mut value = INTERESTING[rng.random_range(0..INTERESTING.len())];
                if rng.random_bool(0.2) {
                    value = self.seed.len() as u64 + rng.random_range(0..16);
                }
                let width = [2usize, 4, 8][rng.random_range(0..3)];
                let at = self.offset(rng) & !(width - 1);
                for (i, b) in value.to_le_bytes()[..width].iter().enumerate() {
                    self.set(at + i, *b);
                }
            }
            4 => {
                let at = self.offset(rng);
                for i in 0..rng.random_range(1..64) {
                    self.set(at + i, 0);
                }
            }
            5 => {
                let (from, to) = (self.offset(rng), self.offset(rng));
                for i in 0..rng.random_range(1..32) {
                    if from + i < self.len {
                        self.set(to + i, self.work[from + i]);
                    }
                }
            }
            _ => self.len = rng.random_range(0..=self.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_case_starts_from_the_seed() {
        let seed: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut m = Mutator::new(seed.clone());
        let mut rng = SmallRng::seed_from_u64(7);
        let mut changed = 0;
        for _ in 0..1000 {
            let input = m.next(&mut rng).to_vec();
            assert!(input.len() <= seed.len());
            changed += usize::from(input != seed[..input.len()] || input.len() < seed.len());
            m.reset();
            assert_eq!(m.work, seed);
        }
        assert!(
            changed > 900,
            "only {changed} of 1000 inputs differ from the seed"
        );
    }
}
