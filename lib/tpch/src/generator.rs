//! The `lineitem` generator: [`Lineitem`] (one row) and
//! [`lineitems_of_order`], which makes the rows of one order from that
//! order's own random stream following the column rules of TPC-H section
//! 4.2.3, plus the part price and part-supplier formulas those rules use.

use crate::date::{CURRENT_DATE, Date, END_DATE, START_DATE};
use crate::rng::Rng;
use crate::scale::Scale;

/// The last possible order date: ENDDATE − 151 days (1998-08-02).
const LAST_ORDER_DATE: Date = END_DATE.minus(151);

/// One row of the `lineitem` table. Money is in cents, discount and tax
/// in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lineitem {
    /// L_ORDERKEY: the 0-based order index + 1 (dense, not the
    /// specification's sparse keys).
    pub orderkey: u64,
    /// L_PARTKEY: uniform in `1..=scale.parts()`.
    pub partkey: u32,
    /// L_SUPPKEY: one of the part's four suppliers ([`part_supplier`]).
    pub suppkey: u32,
    /// L_LINENUMBER: 1..=7, counting the order's lines.
    pub linenumber: u8,
    /// L_QUANTITY: uniform in 1..=50.
    pub quantity: u8,
    /// L_EXTENDEDPRICE in cents: quantity × the part's retail price
    /// ([`retail_price`]).
    pub extendedprice: u64,
    /// L_DISCOUNT in hundredths: uniform in 0..=10.
    pub discount: u8,
    /// L_TAX in hundredths: uniform in 0..=8.
    pub tax: u8,
    /// L_RETURNFLAG: `b'R'` or `b'A'` (evenly) if received by CURRENTDATE,
    /// else `b'N'`.
    pub returnflag: u8,
    /// L_LINESTATUS: `b'O'` if shipped after CURRENTDATE, else `b'F'`.
    pub linestatus: u8,
    /// L_SHIPDATE: the order date + 1..=121 days.
    pub shipdate: Date,
    /// L_COMMITDATE: the order date + 30..=90 days.
    pub commitdate: Date,
    /// L_RECEIPTDATE: the ship date + 1..=30 days.
    pub receiptdate: Date,
}

/// P_RETAILPRICE of part `partkey`, in cents:
/// 90000 + ((partkey / 10) mod 20001) + 100 × (partkey mod 1000).
pub fn retail_price(partkey: u32) -> u64 {
    let p = u64::from(partkey);
    90_000 + (p / 10) % 20_001 + 100 * (p % 1000)
}

/// PS_SUPPKEY of the `i`-th (0..=3) supplier of part `partkey`:
/// (partkey + i × (S/4 + (partkey − 1)/S)) mod S + 1, S = `scale.suppliers()`.
pub fn part_supplier(scale: Scale, partkey: u32, i: u32) -> u32 {
    let s = u64::from(scale.suppliers());
    let p = u64::from(partkey);
    let step = s / 4 + p.saturating_sub(1) / s;
    ((p + u64::from(i) * step) % s + 1) as u32
}

/// Draws an order's line count and order date: the first two numbers of
/// its stream.
fn order_head(rng: &mut Rng) -> (u8, Date) {
    let lines = rng.between(1, 7) as u8;
    let offset = rng.between(0, u64::from(LAST_ORDER_DATE.0 - START_DATE.0)) as u32;
    (lines, START_DATE.plus(offset))
}

/// O_ORDERDATE of order `order` (0-based index): uniform in
/// [STARTDATE, ENDDATE − 151 days]. The date does not depend on `scale`;
/// it is taken for symmetry with [`lineitems_of_order`].
pub fn orderdate(scale: Scale, order: u64) -> Date {
    let _ = scale;
    order_head(&mut Rng::for_order(order)).1
}

/// The lines of one order, drawn lazily from its stream.
struct OrderLines {
    scale: Scale,
    rng: Rng,
    orderkey: u64,
    orderdate: Date,
    lines: u8,
    done: u8,
}

impl Iterator for OrderLines {
    type Item = Lineitem;

    fn next(&mut self) -> Option<Lineitem> {
        if self.done == self.lines {
            return None;
        }
        self.done += 1;
        let rng = &mut self.rng;
        let partkey = rng.between(1, u64::from(self.scale.parts())) as u32;
        let supplier = rng.between(0, 3) as u32;
        let quantity = rng.between(1, 50) as u8;
        let discount = rng.between(0, 10) as u8;
        let tax = rng.between(0, 8) as u8;
        let shipdate = self.orderdate.plus(rng.between(1, 121) as u32);
        let commitdate = self.orderdate.plus(rng.between(30, 90) as u32);
        let receiptdate = shipdate.plus(rng.between(1, 30) as u32);
        let returned = rng.between(0, 1) == 0;
        let returnflag = match (receiptdate <= CURRENT_DATE, returned) {
            (true, true) => b'R',
            (true, false) => b'A',
            (false, _) => b'N',
        };
        Some(Lineitem {
            orderkey: self.orderkey,
            partkey,
            suppkey: part_supplier(self.scale, partkey, supplier),
            linenumber: self.done,
            quantity,
            extendedprice: u64::from(quantity) * retail_price(partkey),
            discount,
            tax,
            returnflag,
            linestatus: if shipdate > CURRENT_DATE { b'O' } else { b'F' },
            shipdate,
            commitdate,
            receiptdate,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::from(self.lines - self.done);
        (left, Some(left))
    }
}

/// The 1..=7 lines of order `order` (0-based index; its L_ORDERKEY is
/// `order + 1`), the same whichever slice of the table it is generated in.
/// Orders past `scale.orders()` are generated just the same; the table
/// ([`crate::Table::generate`]) never asks for them.
pub fn lineitems_of_order(scale: Scale, order: u64) -> impl Iterator<Item = Lineitem> {
    let mut rng = Rng::for_order(order);
    let (lines, orderdate) = order_head(&mut rng);
    OrderLines {
        scale,
        rng,
        orderkey: order.saturating_add(1),
        orderdate,
        lines,
        done: 0,
    }
}
