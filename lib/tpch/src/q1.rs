//! TPC-H Q1, the pricing summary report (specification 2.4.1, DELTA = 90):
//! its answer ([`Q1`], one [`Q1Group`] per return flag and line status),
//! computing it over a [`Table`] ([`q1`]), merging partial answers, their
//! digest and their answer-file text form.

use alloc::vec::Vec;
use core::fmt;

use crate::date::Date;
use crate::fixed::{div_round, write_hundredths};
use crate::rng::mix;
use crate::table::Table;

/// Q1 counts lines shipped on or before this day: 1998-12-01 − 90 days
/// (1998-09-02).
pub const Q1_SHIPDATE_LIMIT: Date = Date::from_ymd(1998, 12, 1).minus(90);

/// The return flags, in answer order.
const FLAGS: [u8; 3] = [b'A', b'N', b'R'];
/// The line statuses, in answer order.
const STATUSES: [u8; 2] = [b'F', b'O'];
/// Possible groups: every return flag with every line status.
pub(crate) const MAX_GROUPS: usize = FLAGS.len() * STATUSES.len();

/// The position of group (`returnflag`, `linestatus`) in answer order, if
/// both are valid.
pub(crate) fn slot(returnflag: u8, linestatus: u8) -> Option<usize> {
    let f = FLAGS.iter().position(|&x| x == returnflag)?;
    let s = STATUSES.iter().position(|&x| x == linestatus)?;
    Some(f * STATUSES.len() + s)
}

/// One line of Q1's answer: the sums over the lines with one return flag
/// and line status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Q1Group {
    /// L_RETURNFLAG: `b'A'`, `b'N'` or `b'R'`.
    pub returnflag: u8,
    /// L_LINESTATUS: `b'F'` or `b'O'`.
    pub linestatus: u8,
    /// sum(L_QUANTITY).
    pub sum_qty: u64,
    /// sum(L_EXTENDEDPRICE), in cents.
    pub sum_base_price: u64,
    /// sum(L_EXTENDEDPRICE × (1 − L_DISCOUNT)), in hundredths of a cent.
    pub sum_disc_price: u128,
    /// sum(L_EXTENDEDPRICE × (1 − L_DISCOUNT) × (1 + L_TAX)), in
    /// ten-thousandths of a cent.
    pub sum_charge: u128,
    /// sum(L_DISCOUNT), in hundredths (the numerator of avg_disc).
    pub sum_disc: u64,
    /// count(*): lines in the group.
    pub count: u64,
}

impl Q1Group {
    /// An empty group for (`returnflag`, `linestatus`).
    fn empty(returnflag: u8, linestatus: u8) -> Q1Group {
        Q1Group {
            returnflag,
            linestatus,
            sum_qty: 0,
            sum_base_price: 0,
            sum_disc_price: 0,
            sum_charge: 0,
            sum_disc: 0,
            count: 0,
        }
    }

    /// The group's key, which orders the answer.
    fn key(&self) -> (u8, u8) {
        (self.returnflag, self.linestatus)
    }

    /// Adds `other`'s sums to this group's (wrapping, which no real data
    /// set comes near).
    fn add(&mut self, other: &Q1Group) {
        self.sum_qty = self.sum_qty.wrapping_add(other.sum_qty);
        self.sum_base_price = self.sum_base_price.wrapping_add(other.sum_base_price);
        self.sum_disc_price = self.sum_disc_price.wrapping_add(other.sum_disc_price);
        self.sum_charge = self.sum_charge.wrapping_add(other.sum_charge);
        self.sum_disc = self.sum_disc.wrapping_add(other.sum_disc);
        self.count = self.count.wrapping_add(other.count);
    }
}

impl fmt::Display for Q1Group {
    /// `F|S|sum_qty|sum_base_price|sum_disc_price|sum_charge|avg_qty|avg_price|avg_disc|count_order`,
    /// as in the TPC-H answer files: every number but the count with two
    /// decimals; sum_qty and sum_base_price are exact, the other sums and
    /// the averages are rounded to the nearest hundredth, halves up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = u128::from(self.count);
        write!(
            f,
            "{}|{}|",
            char::from(self.returnflag),
            char::from(self.linestatus)
        )?;
        write_hundredths(f, u128::from(self.sum_qty) * 100)?;
        f.write_str("|")?;
        write_hundredths(f, u128::from(self.sum_base_price))?;
        f.write_str("|")?;
        write_hundredths(f, div_round(self.sum_disc_price, 100))?;
        f.write_str("|")?;
        write_hundredths(f, div_round(self.sum_charge, 10_000))?;
        f.write_str("|")?;
        write_hundredths(f, div_round(u128::from(self.sum_qty) * 100, count))?;
        f.write_str("|")?;
        write_hundredths(f, div_round(u128::from(self.sum_base_price), count))?;
        f.write_str("|")?;
        write_hundredths(f, div_round(u128::from(self.sum_disc), count))?;
        write!(f, "|{}", self.count)
    }
}

/// Q1's answer (or a partial answer over some of the lines): the groups
/// with at least one line, ordered by return flag, then line status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Q1 {
    /// The groups, in answer order, each with `count > 0`.
    pub groups: Vec<Q1Group>,
}

/// Computes Q1 over the lines of `table`.
pub fn q1(table: &Table) -> Q1 {
    let mut sums = [(0u64, 0u64, 0u128, 0u128, 0u64, 0u64); MAX_GROUPS];
    let rows = table
        .shipdate()
        .iter()
        .zip(table.returnflag())
        .zip(table.linestatus())
        .zip(table.quantity())
        .zip(table.extendedprice())
        .zip(table.discount())
        .zip(table.tax());
    for ((((((&ship, &flag), &status), &qty), &price), &disc), &tax) in rows {
        if ship > Q1_SHIPDATE_LIMIT {
            continue;
        }
        let Some(i) = slot(flag, status) else {
            continue;
        };
        // Below 2^64: price < 2^24 cents, (100 − disc) ≤ 100, (100 + tax) < 2^8.
        let disc_price = price * (100 - u64::from(disc.min(100)));
        let charge = disc_price * (100 + u64::from(tax));
        let s = &mut sums[i];
        s.0 += u64::from(qty);
        s.1 += price;
        s.2 += u128::from(disc_price);
        s.3 += u128::from(charge);
        s.4 += u64::from(disc);
        s.5 += 1;
    }
    let groups = (0..MAX_GROUPS)
        .filter(|&i| sums[i].5 > 0)
        .map(|i| {
            let s = sums[i];
            Q1Group {
                returnflag: FLAGS[i / STATUSES.len()],
                linestatus: STATUSES[i % STATUSES.len()],
                sum_qty: s.0,
                sum_base_price: s.1,
                sum_disc_price: s.2,
                sum_charge: s.3,
                sum_disc: s.4,
                count: s.5,
            }
        })
        .collect();
    Q1 { groups }
}

impl Q1 {
    /// Adds the partial answer `other` (over other lines) to this one: the
    /// result is Q1 over both sets of lines.
    pub fn merge(&mut self, other: &Q1) {
        for group in &other.groups {
            match self.groups.binary_search_by_key(&group.key(), Q1Group::key) {
                Ok(i) => self.groups[i].add(group),
                Err(i) => {
                    let mut fresh = Q1Group::empty(group.returnflag, group.linestatus);
                    fresh.add(group);
                    self.groups.insert(i, fresh);
                }
            }
        }
        self.groups.retain(|g| g.count > 0);
    }

    /// A 64-bit hash of the answer (its [`to_words`](Q1::to_words) form):
    /// equal answers have equal digests however the lines were split into
    /// partitions.
    pub fn digest(&self) -> u64 {
        self.to_words()
            .iter()
            .fold(0x5131_6469_6765_7374, |h, &w| mix(h ^ w))
    }
}

impl fmt::Display for Q1 {
    /// One line per group (see [`Q1Group`]'s text form), each ending in a
    /// newline; nothing for an empty answer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for group in &self.groups {
            writeln!(f, "{group}")?;
        }
        Ok(())
    }
}
