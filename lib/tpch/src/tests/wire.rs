//! The wire form: answers survive the round trip, and anything else,
//! truncated, altered or random, is refused without a panic.

use proptest::prelude::*;
use std::vec::Vec;

use crate::{Q1, Q1Group, Q6, Scale, Table, q1, q6};

fn sample() -> (Q1, Q6) {
    let scale = Scale { milli: 1 };
    let table = Table::generate(scale, 0..scale.orders());
    (q1(&table), q6(&table))
}

#[test]
fn real_answers_round_trip() {
    let (a1, a6) = sample();
    assert_eq!(a1.to_words().len(), 2 + 9 * 4);
    assert_eq!(Q1::from_words(&a1.to_words()), Some(a1.clone()));
    assert_eq!(Q6::from_words(&a6.to_words()), Some(a6));
    assert_eq!(
        Q1::from_words(&Q1::default().to_words()),
        Some(Q1::default())
    );
    assert_eq!(
        Q6::from_words(&Q6::default().to_words()),
        Some(Q6::default())
    );
}

#[test]
fn malformed_words_are_refused() {
    let (a1, a6) = sample();
    let w1 = a1.to_words();
    let w6 = a6.to_words();
    // Every truncation, and one word too many.
    for n in 0..w1.len() {
        assert_eq!(Q1::from_words(&w1[..n]), None, "Q1 cut to {n}");
    }
    for n in 0..w6.len() {
        assert_eq!(Q6::from_words(&w6[..n]), None, "Q6 cut to {n}");
    }
    let mut long = w1.clone();
    long.push(0);
    assert_eq!(Q1::from_words(&long), None);
    let mut long = w6.clone();
    long.push(0);
    assert_eq!(Q6::from_words(&long), None);
    // Each other's words.
    assert_eq!(Q1::from_words(&w6), None);
    assert_eq!(Q6::from_words(&w1), None);
    // Bad flag, bad status, junk in the key's upper bits.
    for key in [
        u64::from(b'X') | u64::from(b'F') << 8,
        u64::from(b'A') | u64::from(b'Z') << 8,
    ] {
        let mut bad = w1.clone();
        bad[2] = key;
        assert_eq!(Q1::from_words(&bad), None);
    }
    let mut bad = w1.clone();
    bad[2] |= 1 << 16;
    assert_eq!(Q1::from_words(&bad), None);
    // A count of 0, groups out of order, a repeated group.
    let mut bad = w1.clone();
    bad[2 + 8] = 0;
    assert_eq!(Q1::from_words(&bad), None);
    let mut bad = w1.clone();
    bad.swap(2, 2 + 9);
    assert_eq!(Q1::from_words(&bad), None);
    let mut bad = w1.clone();
    bad[2 + 9] = bad[2];
    assert_eq!(Q1::from_words(&bad), None);
    // More than six groups, with the words to match.
    let mut seven = alloc_q1_words(7);
    assert_eq!(Q1::from_words(&seven), None);
    seven[1] = u64::MAX;
    assert_eq!(Q1::from_words(&seven), None);
    // All six groups are fine.
    assert!(Q1::from_words(&alloc_q1_words(6)).is_some());
    // A revenue without rows.
    assert_eq!(
        Q6::from_words(
            &Q6 {
                revenue: 5,
                rows: 0
            }
            .to_words()
        ),
        None
    );
}

/// Words for `n` groups, taking the six valid keys in order and then
/// repeating the last.
fn alloc_q1_words(n: usize) -> Vec<u64> {
    let keys = [
        (b'A', b'F'),
        (b'A', b'O'),
        (b'N', b'F'),
        (b'N', b'O'),
        (b'R', b'F'),
        (b'R', b'O'),
    ];
    let groups: Vec<Q1Group> = (0..n)
        .map(|i| {
            let (returnflag, linestatus) = keys[i.min(5)];
            group(returnflag, linestatus, i as u64 + 1)
        })
        .collect();
    let mut words = Q1 {
        groups: groups[..n.min(6)].to_vec(),
    }
    .to_words();
    words[1] = n as u64;
    for g in &groups[n.min(6)..] {
        words.extend(
            Q1 {
                groups: std::vec![*g],
            }
            .to_words()[2..]
                .iter()
                .copied(),
        );
    }
    words
}

fn group(returnflag: u8, linestatus: u8, seed: u64) -> Q1Group {
    Q1Group {
        returnflag,
        linestatus,
        sum_qty: seed,
        sum_base_price: seed * 3,
        sum_disc_price: u128::from(seed) << 70,
        sum_charge: u128::MAX - u128::from(seed),
        sum_disc: seed * 7,
        count: seed,
    }
}

/// Any Q1 answer: a subset of the six groups with arbitrary sums.
fn any_q1() -> impl Strategy<Value = Q1> {
    proptest::collection::vec(
        (
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
            any::<u128>(),
            any::<u128>(),
            any::<u64>(),
            1u64..,
        ),
        6,
    )
    .prop_map(|slots| {
        let keys = [
            (b'A', b'F'),
            (b'A', b'O'),
            (b'N', b'F'),
            (b'N', b'O'),
            (b'R', b'F'),
            (b'R', b'O'),
        ];
        let groups = slots
            .into_iter()
            .zip(keys)
            .filter(|(s, _)| s.0)
            .map(|(s, (returnflag, linestatus))| Q1Group {
                returnflag,
                linestatus,
                sum_qty: s.1,
                sum_base_price: s.2,
                sum_disc_price: s.3,
                sum_charge: s.4,
                sum_disc: s.5,
                count: s.6,
            })
            .collect();
        Q1 { groups }
    })
}

proptest! {
    #[test]
    fn any_answer_round_trips(a1 in any_q1(), revenue in any::<u128>(), rows in 1u64..) {
        prop_assert_eq!(Q1::from_words(&a1.to_words()), Some(a1));
        let a6 = Q6 { revenue, rows };
        prop_assert_eq!(Q6::from_words(&a6.to_words()), Some(a6));
    }

    /// Random words: refused, or else exactly an answer's words.
    #[test]
    fn random_words_never_panic(words in proptest::collection::vec(any::<u64>(), 0..70)) {
        if let Some(a) = Q1::from_words(&words) {
            prop_assert_eq!(a.to_words(), words.clone());
        }
        if let Some(a) = Q6::from_words(&words) {
            prop_assert_eq!(a.to_words(), words);
        }
    }

    /// Real answers with one word changed and cut anywhere: refused, or
    /// else exactly an answer's words.
    #[test]
    fn altered_answers_never_panic(
        a1 in any_q1(),
        at in any::<prop::sample::Index>(),
        value in prop_oneof![any::<u64>(), 0u64..8, Just(0x4641), Just(0x4f52)],
        cut in any::<prop::sample::Index>(),
    ) {
        let mut words = a1.to_words();
        let i = at.index(words.len());
        words[i] = value;
        let keep = cut.index(words.len() + 1);
        words.truncate(keep);
        if let Some(a) = Q1::from_words(&words) {
            prop_assert_eq!(a.to_words(), words.clone());
        }
        let mut w6 = Q6 { revenue: u128::from(value) << 3, rows: value }.to_words();
        w6[at.index(4)] = value;
        w6.truncate(cut.index(5));
        if let Some(a) = Q6::from_words(&w6) {
            prop_assert_eq!(a.to_words(), w6);
        }
    }
}
