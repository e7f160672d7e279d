//! A TPC-H-style database workload small enough to run on a research OS.
//!
//! The crate owns three things:
//!
//! * the data: a deterministic in-memory generator of the TPC-H `lineitem`
//!   table ([`lineitems_of_order`], [`Table::generate`]) whose columns follow
//!   the value rules of the TPC-H specification (section 4.2.3), seeded per
//!   order so that any slice of the orders ([`partition`]) can be generated
//!   on its own and gives exactly the rows the whole table has there;
//! * the queries: TPC-H Q1 ([`q1`]) and Q6 ([`q6`]) over one slice, with
//!   exact integer arithmetic, whose partial answers merge ([`Q1::merge`],
//!   [`Q6::merge`]) into the answer over the whole table;
//! * the wire form: partial answers as `u64` words ([`Q1::to_words`],
//!   [`Q1::from_words`] and the same for [`Q6`]) for sending between
//!   programs.
//!
//! It does not reproduce `dbgen`'s random streams, only the distributions.
//! Money is kept in integer cents and fractions in hundredths throughout;
//! nothing uses floating point.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod date;
mod fixed;
mod generator;
mod q1;
mod q6;
mod rng;
mod scale;
mod table;
mod wire;

#[cfg(test)]
mod tests;

pub use date::{CURRENT_DATE, Date, END_DATE, START_DATE};
pub use generator::{Lineitem, lineitems_of_order, orderdate, part_supplier, retail_price};
pub use q1::{Q1, Q1_SHIPDATE_LIMIT, Q1Group, q1};
pub use q6::{Q6, q6};
pub use scale::{Scale, partition};
pub use table::Table;
