//! Partitioning: `partition` tiles the orders, and generating, querying
//! and merging the partitions gives exactly the whole table's answers.

use proptest::prelude::*;
use std::vec::Vec;

use crate::{Q1, Q6, Scale, Table, partition, q1, q6};

/// Checks that the ranges of workers `0..count` tile `0..orders`, in
/// order, with sizes differing by at most one.
fn assert_tiles(scale: Scale, count: u32) {
    let mut next = 0;
    let (mut smallest, mut largest) = (u64::MAX, 0);
    for index in 0..count {
        let r = partition(scale, index, count);
        assert_eq!(r.start, next, "worker {index} of {count}");
        assert!(r.start <= r.end);
        smallest = smallest.min(r.end - r.start);
        largest = largest.max(r.end - r.start);
        next = r.end;
    }
    assert_eq!(next, scale.orders());
    assert!(largest - smallest <= 1);
}

#[test]
fn partitions_tile_the_orders() {
    for milli in [0, 1, 2, 5, 10, 1000, 100_000, u32::MAX] {
        for count in [1, 2, 3, 7, 8, 64, 1000] {
            assert_tiles(Scale { milli }, count);
        }
    }
}

#[test]
fn bad_partitions_are_empty() {
    let scale = Scale { milli: 10 };
    assert!(partition(scale, 0, 0).is_empty());
    assert!(partition(scale, 4, 4).is_empty());
    assert!(partition(scale, u32::MAX, 3).is_empty());
    assert_eq!(partition(scale, 0, 1), 0..15_000);
}

#[test]
fn scale_sizes() {
    let sf1 = Scale { milli: 1000 };
    assert_eq!(
        (sf1.orders(), sf1.parts(), sf1.suppliers()),
        (1_500_000, 200_000, 10_000)
    );
    let tiny = Scale { milli: 0 };
    assert_eq!((tiny.orders(), tiny.parts(), tiny.suppliers()), (1, 1, 4));
    let one = Scale { milli: 1 };
    assert_eq!(
        (one.orders(), one.parts(), one.suppliers()),
        (1500, 200, 10)
    );
    let huge = Scale { milli: u32::MAX };
    assert_eq!(huge.parts(), u32::MAX);
    assert_eq!(huge.orders(), 1500 * u64::from(u32::MAX));
}

#[test]
fn generating_cuts_ranges_to_the_table() {
    let scale = Scale { milli: 1 };
    let whole = Table::generate(scale, 0..scale.orders());
    assert_eq!(Table::generate(scale, 0..u64::MAX), whole);
    assert_eq!(whole.orders(), 0..1500);
    let beyond = Table::generate(scale, 2000..3000);
    assert!(beyond.is_empty());
    assert_eq!(beyond.len(), 0);
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = Table::generate(scale, 10..5);
    assert!(backwards.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn merged_partitions_give_the_whole_answer(milli in 1u32..=5, count in 1u32..=8) {
        let scale = Scale { milli };
        let whole = Table::generate(scale, 0..scale.orders());
        let (want1, want6) = (q1(&whole), q6(&whole));
        let mut parts1 = Vec::new();
        let mut parts6 = Vec::new();
        let mut rows = 0;
        for index in 0..count {
            let table = Table::generate(scale, partition(scale, index, count));
            rows += table.len();
            parts1.push(q1(&table));
            parts6.push(q6(&table));
        }
        prop_assert_eq!(rows, whole.len());
        let (mut got1, mut got6) = (Q1::default(), Q6::default());
        for (a, b) in parts1.iter().zip(&parts6) {
            got1.merge(a);
            got6.merge(b);
        }
        prop_assert_eq!(&got1, &want1);
        prop_assert_eq!(got6, want6);
        prop_assert_eq!(got1.digest(), want1.digest());
        prop_assert_eq!(got6.digest(), want6.digest());
        // In the other order, starting from the last partition's answer.
        let mut back1 = parts1[parts1.len() - 1].clone();
        let mut back6 = parts6[parts6.len() - 1];
        for (a, b) in parts1.iter().zip(&parts6).rev().skip(1) {
            back1.merge(a);
            back6.merge(b);
        }
        prop_assert_eq!(&back1, &want1);
        prop_assert_eq!(back6, want6);
    }

    #[test]
    fn any_worker_count_tiles(milli in 0u32..=2_000_000, count in 1u32..=10_000) {
        assert_tiles(Scale { milli }, count);
    }
}

#[test]
fn digests_tell_answers_apart() {
    let scale = Scale { milli: 2 };
    let a = Table::generate(scale, 0..1000);
    let b = Table::generate(scale, 1000..scale.orders());
    assert_ne!(q1(&a).digest(), q1(&b).digest());
    assert_ne!(q6(&a).digest(), q6(&b).digest());
    assert_ne!(Q1::default().digest(), q1(&a).digest());
}
