//! An independent reference: Q1 and Q6 computed straight from the rows of
//! `lineitems_of_order` with a `BTreeMap` and `i128` arithmetic (no
//! `Table`, no `q1`/`q6`), compared with the crate's answers.

use std::collections::BTreeMap;
use std::vec::Vec;

use crate::{Date, Lineitem, Q1, Q1Group, Q6, Scale, Table, lineitems_of_order, q1, q6};

/// Every line of the database at `scale`.
fn all_lines(scale: Scale) -> Vec<Lineitem> {
    (0..scale.orders())
        .flat_map(|o| lineitems_of_order(scale, o))
        .collect()
}

/// Q1 the slow, obvious way.
fn reference_q1(lines: &[Lineitem]) -> Q1 {
    // 1998-12-01 is day 10561; DELTA 90 days.
    let limit = Date(10_561 - 90);
    let mut sums: BTreeMap<(u8, u8), [i128; 6]> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.shipdate <= limit) {
        let price = i128::from(l.extendedprice);
        let one_minus_disc = 100 - i128::from(l.discount);
        let one_plus_tax = 100 + i128::from(l.tax);
        let s = sums.entry((l.returnflag, l.linestatus)).or_default();
        s[0] += i128::from(l.quantity);
        s[1] += price;
        s[2] += price * one_minus_disc;
        s[3] += price * one_minus_disc * one_plus_tax;
        s[4] += i128::from(l.discount);
        s[5] += 1;
    }
    Q1 {
        groups: sums
            .into_iter()
            .map(|((returnflag, linestatus), s)| Q1Group {
                returnflag,
                linestatus,
                sum_qty: s[0] as u64,
                sum_base_price: s[1] as u64,
                sum_disc_price: s[2] as u128,
                sum_charge: s[3] as u128,
                sum_disc: s[4] as u64,
                count: s[5] as u64,
            })
            .collect(),
    }
}

/// Q6 the slow, obvious way.
fn reference_q6(lines: &[Lineitem]) -> Q6 {
    // 1994-01-01 is day 8766, 1995-01-01 day 9131.
    let (from, to) = (Date(8766), Date(9131));
    let mut revenue: i128 = 0;
    let mut rows = 0;
    for l in lines {
        let in_year = l.shipdate >= from && l.shipdate < to;
        let discount_ok = (5..=7).contains(&l.discount);
        if in_year && discount_ok && l.quantity < 24 {
            revenue += i128::from(l.extendedprice) * i128::from(l.discount);
            rows += 1;
        }
    }
    Q6 {
        revenue: revenue as u128,
        rows,
    }
}

fn check(milli: u32) {
    let scale = Scale { milli };
    let lines = all_lines(scale);
    let table = Table::generate(scale, 0..scale.orders());
    assert_eq!(table.len(), lines.len());
    let (want1, got1) = (reference_q1(&lines), q1(&table));
    assert_eq!(got1, want1);
    // All four groups a real data set has are there.
    let keys: Vec<(u8, u8)> = got1
        .groups
        .iter()
        .map(|g| (g.returnflag, g.linestatus))
        .collect();
    assert_eq!(
        keys,
        [(b'A', b'F'), (b'N', b'F'), (b'N', b'O'), (b'R', b'F')]
    );
    let (want6, got6) = (reference_q6(&lines), q6(&table));
    assert_eq!(got6, want6);
    assert!(got6.rows > 0);
}

#[test]
fn q1_and_q6_match_the_reference_at_scale_0_001() {
    check(1);
}

#[test]
fn q1_and_q6_match_the_reference_at_scale_0_005() {
    check(5);
}

#[test]
fn the_fixed_dates_are_the_reference_days() {
    assert_eq!(Date::from_ymd(1998, 12, 1), Date(10_561));
    assert_eq!(Date::from_ymd(1994, 1, 1), Date(8766));
    assert_eq!(Date::from_ymd(1995, 1, 1), Date(9131));
    assert_eq!(crate::Q1_SHIPDATE_LIMIT, Date(10_561 - 90));
}
