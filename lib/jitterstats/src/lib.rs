//! The jitter benchmark's arithmetic (Barrelfish/DC's real-time use case):
//! a program times, with the time-stamp counter, a fixed piece of work (a
//! counter counted down from 1,000 with a store each step) many times; on
//! a core nothing interrupts, every sample costs about the same. This
//! crate summarises the samples ([`Summary::of`], [`Histogram::of`]) and
//! gives each summary one line of text that the program prints and the
//! tests and `cargo xtask bench` read back ([`Summary::parse`],
//! [`Histogram::parse`]).

#![no_std]
#![forbid(unsafe_code)]

use core::fmt;

/// How far above the minimum a sample may lie and still count as
/// undisturbed (cycles).
pub const WINDOW: u64 = 1000;

/// The summary of a set of samples (cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Number of samples.
    pub samples: u64,
    /// Smallest.
    pub min: u64,
    /// Median (the lower one for an even count).
    pub median: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Samples outside `[min, min + WINDOW]`.
    pub outside: u64,
}

impl Summary {
    /// Summarises `samples` (sorted in place); `None` if there are none.
    /// Percentiles are nearest-rank: the smallest sample with at least
    /// that share of all samples at or below it.
    pub fn of(samples: &mut [u64]) -> Option<Self> {
        samples.sort_unstable();
        let n = samples.len();
        let (&min, &max) = (samples.first()?, samples.last()?);
        let rank = |per_mille: usize| samples[(n * per_mille).div_ceil(1000).max(1) - 1];
        let limit = min.saturating_add(WINDOW);
        Some(Self {
            samples: n as u64,
            min,
            median: samples[(n - 1) / 2],
            p99: rank(990),
            p999: rank(999),
            max,
            outside: samples.iter().filter(|&&s| s > limit).count() as u64,
        })
    }

    /// Reads back the text [`Display`](fmt::Display) writes (anywhere in
    /// `line`).
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.split_once("samples: ")?.1;
        let samples = line
            .split_once(" samples: ")?
            .0
            .rsplit(' ')
            .next()?
            .parse()
            .ok()?;
        let value = |label: &str| -> Option<u64> {
            rest.split_once(label)?
                .1
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        };
        Some(Self {
            samples,
            min: value("min ")?,
            median: value("median ")?,
            p99: value("p99 ")?,
            p999: value("p99.9 ")?,
            max: value("max ")?,
            outside: value("; ")?,
        })
    }
}

impl fmt::Display for Summary {
    /// `N samples: min A median B p99 C p99.9 D max E cycles; F outside
    /// [min, min+1000]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} samples: min {} median {} p99 {} p99.9 {} max {} cycles; {} outside [min, min+{WINDOW}]",
            self.samples, self.min, self.median, self.p99, self.p999, self.max, self.outside
        )
    }
}

/// Upper bounds (cycles above the minimum) of the histogram's buckets; the
/// last bucket holds everything above the last bound.
pub const BUCKETS: [u64; 4] = [WINDOW, 10_000, 100_000, 1_000_000];

/// How many samples lie how far above the minimum, by decade: within
/// [`WINDOW`], up to 10^4, 10^5, 10^6 cycles above, and beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Histogram {
    /// Samples per bucket.
    pub counts: [u64; 5],
}

impl Histogram {
    /// The histogram of `samples`.
    pub fn of(samples: &[u64]) -> Self {
        let min = samples.iter().copied().min().unwrap_or(0);
        let mut counts = [0; 5];
        for &s in samples {
            let above = s - min;
            let bucket = BUCKETS.iter().position(|&b| above <= b).unwrap_or(4);
            counts[bucket] += 1;
        }
        Self { counts }
    }

    /// Reads back the text [`Display`](fmt::Display) writes (anywhere in
    /// `line`).
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.split_once("histogram above min: ")?.1;
        let mut counts = [0; 5];
        let mut fields = rest.split(", ");
        for count in &mut counts {
            *count = fields.next()?.rsplit(' ').next()?.trim().parse().ok()?;
        }
        Some(Self { counts })
    }
}

impl fmt::Display for Histogram {
    /// `histogram above min: <=1000 A, <=10000 B, <=100000 C, <=1000000 D,
    /// more E`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.counts;
        write!(
            f,
            "histogram above min: <={} {}, <={} {}, <={} {}, <={} {}, more {}",
            BUCKETS[0], c[0], BUCKETS[1], c[1], BUCKETS[2], c[2], BUCKETS[3], c[3], c[4]
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn a_small_set() {
        let mut v = [5000, 3000, 3100, 3050, 9000];
        let s = Summary::of(&mut v).unwrap();
        assert_eq!(
            s,
            Summary {
                samples: 5,
                min: 3000,
                median: 3100,
                p99: 9000,
                p999: 9000,
                max: 9000,
                outside: 2,
            }
        );
        assert_eq!(Summary::of(&mut []), None);
    }

    #[test]
    fn percentiles_of_a_thousand() {
        let mut v: Vec<u64> = (1..=1000).collect();
        let s = Summary::of(&mut v).unwrap();
        assert_eq!((s.median, s.p99, s.p999, s.max), (500, 990, 999, 1000));
        assert_eq!(s.outside, 0);
    }

    proptest! {
        #[test]
        fn matches_a_plain_model(mut v in proptest::collection::vec(0u64..1_000_000, 1..500)) {
            let s = Summary::of(&mut v.clone()).unwrap();
            v.sort();
            let n = v.len();
            prop_assert_eq!(s.min, v[0]);
            prop_assert_eq!(s.max, v[n - 1]);
            // At least half are at or below the median, and at least 99%
            // at or below p99; the values are samples.
            prop_assert!(v.iter().filter(|&&x| x <= s.median).count() * 2 >= n);
            prop_assert!(v.iter().filter(|&&x| x <= s.p99).count() * 100 >= n * 99);
            prop_assert!(v.iter().filter(|&&x| x <= s.p999).count() * 1000 >= n * 999);
            prop_assert!(v.contains(&s.median) && v.contains(&s.p99) && v.contains(&s.p999));
            prop_assert!(s.median <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max);
            let outside = v.iter().filter(|&&x| x > v[0] + WINDOW).count() as u64;
            prop_assert_eq!(s.outside, outside);
        }

        #[test]
        fn text_round_trips(mut v in proptest::collection::vec(0u64..u64::MAX / 2, 1..50)) {
            let s = Summary::of(&mut v).unwrap();
            let line = std::format!("jitter: on core 3 under cpudriver-rt: {s}");
            prop_assert_eq!(Summary::parse(&line), Some(s));
        }
    }

    #[test]
    fn histograms_count_by_decade_and_read_back() {
        let h = Histogram::of(&[5000, 5000, 6000, 6001, 15_001, 105_001, 1_005_001]);
        assert_eq!(h.counts, [3, 1, 1, 1, 1]);
        let line = std::format!("jitter: on core 1: {h}");
        assert_eq!(Histogram::parse(&line), Some(h));
        assert_eq!(Histogram::parse("jitter: histogram above min: 1, 2"), None);
        assert_eq!(Histogram::of(&[]).counts, [0; 5]);
    }

    proptest! {
        #[test]
        fn a_histogram_counts_every_sample_once(v in proptest::collection::vec(0u64..10_000_000, 1..300)) {
            let h = Histogram::of(&v);
            prop_assert_eq!(h.counts.iter().sum::<u64>(), v.len() as u64);
            let s = Summary::of(&mut v.clone()).unwrap();
            prop_assert_eq!(h.counts[1..].iter().sum::<u64>(), s.outside);
        }
    }

    #[test]
    fn garbage_does_not_parse() {
        assert_eq!(Summary::parse("jitter: failed"), None);
        assert_eq!(Summary::parse("x samples: min"), None);
    }
}
