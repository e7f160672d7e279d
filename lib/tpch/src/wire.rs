//! The wire form of partial answers: [`Q1`] and [`Q6`] as `u64` words, for
//! sending between programs, and the strict check that reads them back.
//!
//! Q1: `[Q1_MAGIC, n, group 1, ..., group n]` with `n` ≤ 6 and each group
//! nine words: `returnflag | linestatus << 8`, sum_qty, sum_base_price,
//! sum_disc_price (low word, high word), sum_charge (low, high), sum_disc,
//! count. Q6: `[Q6_MAGIC, revenue low word, revenue high word, rows]`.

use alloc::vec::Vec;

use crate::q1::{MAX_GROUPS, Q1, Q1Group, slot};
use crate::q6::Q6;

/// First word of a Q1 answer ("TPCH" "Q1" and format version 1).
const Q1_MAGIC: u64 = 0x5450_4348_5131_0001;
/// First word of a Q6 answer ("TPCH" "Q6" and format version 1).
const Q6_MAGIC: u64 = 0x5450_4348_5136_0001;
/// Words before the first Q1 group.
const Q1_HEADER: usize = 2;
/// Words per Q1 group.
const Q1_GROUP: usize = 9;
/// Words of a Q6 answer.
const Q6_WORDS: usize = 4;

/// The low and high words of `v`.
fn split(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

/// The number whose low and high words are `lo` and `hi`.
fn join(lo: u64, hi: u64) -> u128 {
    u128::from(lo) | u128::from(hi) << 64
}

impl Q1 {
    /// The answer as words (see the module's format).
    pub fn to_words(&self) -> Vec<u64> {
        let mut words = Vec::with_capacity(Q1_HEADER + Q1_GROUP * self.groups.len());
        words.push(Q1_MAGIC);
        words.push(self.groups.len() as u64);
        for g in &self.groups {
            words.push(u64::from(g.returnflag) | u64::from(g.linestatus) << 8);
            words.push(g.sum_qty);
            words.push(g.sum_base_price);
            words.extend(split(g.sum_disc_price));
            words.extend(split(g.sum_charge));
            words.push(g.sum_disc);
            words.push(g.count);
        }
        words
    }

    /// Reads back [`to_words`](Q1::to_words)' form. `None` unless `words`
    /// is exactly one: the right magic word, at most six groups, the
    /// length those imply, valid flags and statuses in strictly ascending
    /// order, and no group with a count of 0.
    pub fn from_words(words: &[u64]) -> Option<Q1> {
        let (&[magic, n], body) = words.split_first_chunk::<Q1_HEADER>()?;
        if magic != Q1_MAGIC || n > MAX_GROUPS as u64 {
            return None;
        }
        if body.len() != n as usize * Q1_GROUP {
            return None;
        }
        let mut groups: Vec<Q1Group> = Vec::with_capacity(n as usize);
        let mut last = None;
        for chunk in body.chunks_exact(Q1_GROUP) {
            let &[key, qty, base, dp_lo, dp_hi, ch_lo, ch_hi, disc, count] = chunk else {
                return None;
            };
            if key > 0xffff || count == 0 {
                return None;
            }
            let (returnflag, linestatus) = (key as u8, (key >> 8) as u8);
            let position = slot(returnflag, linestatus)?;
            if last.is_some_and(|l| position <= l) {
                return None;
            }
            last = Some(position);
            groups.push(Q1Group {
                returnflag,
                linestatus,
                sum_qty: qty,
                sum_base_price: base,
                sum_disc_price: join(dp_lo, dp_hi),
                sum_charge: join(ch_lo, ch_hi),
                sum_disc: disc,
                count,
            });
        }
        Some(Q1 { groups })
    }
}

impl Q6 {
    /// The answer as words (see the module's format).
    pub fn to_words(&self) -> Vec<u64> {
        let [lo, hi] = split(self.revenue);
        alloc::vec![Q6_MAGIC, lo, hi, self.rows]
    }

    /// Reads back [`to_words`](Q6::to_words)' form. `None` unless `words`
    /// is exactly four words starting with the right magic word, and a
    /// revenue with no rows is 0.
    pub fn from_words(words: &[u64]) -> Option<Q6> {
        let &[magic, lo, hi, rows] = words.first_chunk::<Q6_WORDS>()?;
        if words.len() != Q6_WORDS || magic != Q6_MAGIC {
            return None;
        }
        let revenue = join(lo, hi);
        if rows == 0 && revenue != 0 {
            return None;
        }
        Some(Q6 { revenue, rows })
    }
}
