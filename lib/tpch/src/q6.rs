//! TPC-H Q6, the forecasting revenue change query (specification 2.4.6,
//! validation parameters DATE = 1994-01-01, DISCOUNT = 0.06, QUANTITY =
//! 24): its answer ([`Q6`]), computing it over a [`Table`] ([`q6`]),
//! merging partial answers, a digest and the answer's text form.

use core::fmt;
use core::ops::Range;

use crate::date::Date;
use crate::fixed::{div_round, write_hundredths};
use crate::rng::mix;
use crate::table::Table;

/// Q6 counts lines shipped in 1994.
const SHIPPED: Range<Date> = Date::from_ymd(1994, 1, 1)..Date::from_ymd(1995, 1, 1);
/// ... with a discount of 0.06 ± 0.01 (hundredths, inclusive) ...
const DISCOUNTS: core::ops::RangeInclusive<u8> = 5..=7;
/// ... and a quantity below 24.
const QUANTITY_BELOW: u8 = 24;

/// Q6's answer (or a partial answer over some of the lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Q6 {
    /// sum(L_EXTENDEDPRICE × L_DISCOUNT) over the qualifying lines, in
    /// hundredths of a cent.
    pub revenue: u128,
    /// The qualifying lines.
    pub rows: u64,
}

/// Computes Q6 over the lines of `table`.
pub fn q6(table: &Table) -> Q6 {
    let mut answer = Q6::default();
    let rows = table
        .shipdate()
        .iter()
        .zip(table.discount())
        .zip(table.quantity())
        .zip(table.extendedprice());
    for (((ship, disc), &qty), &price) in rows {
        if SHIPPED.contains(ship) && DISCOUNTS.contains(disc) && qty < QUANTITY_BELOW {
            answer.revenue += u128::from(price * u64::from(*disc));
            answer.rows += 1;
        }
    }
    answer
}

impl Q6 {
    /// Adds the partial answer `other` (over other lines) to this one
    /// (wrapping, which no real data set comes near).
    pub fn merge(&mut self, other: &Q6) {
        self.revenue = self.revenue.wrapping_add(other.revenue);
        self.rows = self.rows.wrapping_add(other.rows);
    }

    /// A 64-bit hash of the answer (its [`to_words`](Q6::to_words) form).
    pub fn digest(&self) -> u64 {
        self.to_words()
            .iter()
            .fold(0x5136_6469_6765_7374, |h, &w| mix(h ^ w))
    }
}

impl fmt::Display for Q6 {
    /// The revenue in currency units with two decimals, rounded to the
    /// nearest cent, halves up (`12345` hundredths of a cent → `1.23`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hundredths(f, div_round(self.revenue, 100))
    }
}
