//! Columnar storage: [`Table`], the `lineitem` rows of a range of orders
//! kept as one vector per column that the queries read.

use alloc::vec::Vec;
use core::ops::Range;

use crate::date::Date;
use crate::generator::{Lineitem, lineitems_of_order};
use crate::scale::Scale;

/// The lines of a range of orders, column by column (row `i` of the slice
/// is the `i`-th line generated, orders and line numbers ascending). Only
/// the columns Q1 and Q6 read are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    orders: Range<u64>,
    quantity: Vec<u8>,
    extendedprice: Vec<u64>,
    discount: Vec<u8>,
    tax: Vec<u8>,
    returnflag: Vec<u8>,
    linestatus: Vec<u8>,
    shipdate: Vec<Date>,
}

/// Mean lines per order (1..=7 evenly), for sizing the columns up front.
const MEAN_LINES: u64 = 4;

impl Table {
    /// Generates the lines of the orders in `orders` (0-based indices, cut
    /// down to `0..scale.orders()`).
    pub fn generate(scale: Scale, orders: Range<u64>) -> Table {
        let end = orders.end.min(scale.orders());
        let start = orders.start.min(end);
        let expected = usize::try_from((end - start).saturating_mul(MEAN_LINES)).unwrap_or(0);
        let mut table = Table {
            orders: start..end,
            quantity: Vec::with_capacity(expected),
            extendedprice: Vec::with_capacity(expected),
            discount: Vec::with_capacity(expected),
            tax: Vec::with_capacity(expected),
            returnflag: Vec::with_capacity(expected),
            linestatus: Vec::with_capacity(expected),
            shipdate: Vec::with_capacity(expected),
        };
        for order in start..end {
            for line in lineitems_of_order(scale, order) {
                table.push(&line);
            }
        }
        table
    }

    /// Appends one row.
    fn push(&mut self, line: &Lineitem) {
        self.quantity.push(line.quantity);
        self.extendedprice.push(line.extendedprice);
        self.discount.push(line.discount);
        self.tax.push(line.tax);
        self.returnflag.push(line.returnflag);
        self.linestatus.push(line.linestatus);
        self.shipdate.push(line.shipdate);
    }

    /// Rows (lines).
    pub fn len(&self) -> usize {
        self.quantity.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.quantity.is_empty()
    }

    /// The orders (0-based indices) whose lines these are.
    pub fn orders(&self) -> Range<u64> {
        self.orders.clone()
    }

    /// L_QUANTITY of every row.
    pub fn quantity(&self) -> &[u8] {
        &self.quantity
    }

    /// L_EXTENDEDPRICE of every row, in cents.
    pub fn extendedprice(&self) -> &[u64] {
        &self.extendedprice
    }

    /// L_DISCOUNT of every row, in hundredths.
    pub fn discount(&self) -> &[u8] {
        &self.discount
    }

    /// L_TAX of every row, in hundredths.
    pub fn tax(&self) -> &[u8] {
        &self.tax
    }

    /// L_RETURNFLAG of every row.
    pub fn returnflag(&self) -> &[u8] {
        &self.returnflag
    }

    /// L_LINESTATUS of every row.
    pub fn linestatus(&self) -> &[u8] {
        &self.linestatus
    }

    /// L_SHIPDATE of every row.
    pub fn shipdate(&self) -> &[Date] {
        &self.shipdate
    }
}
