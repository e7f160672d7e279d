//! Two runs side by side (`--compare OLD_RESULTS`): for every row both
//! have, the old and the new median with their spread, new/old, and
//! whether the difference is larger than the noise.
//!
//! The test is Mann-Whitney U, two-sided, at the 5 % level, on the rows'
//! samples: exact (the distribution of U counted for the two sample sizes)
//! when no sample value repeats, else the normal approximation with the
//! tie and continuity corrections. It assumes nothing about the shape of
//! the distributions, which for emulated timings are skewed and have
//! outliers. With 3 samples a side (`--quick`) the smallest two-sided p
//! is 0.1: such runs cannot show a difference, and say so. Rows without
//! samples (nanosecond percentiles, counts, jitter) are compared by their
//! medians only.

use std::fmt::Write as _;

use super::report::{Figure, Row};

/// Below this p-value the difference is larger than the noise.
pub const ALPHA: f64 = 0.05;

/// The comparison of `old` and `new` as a Markdown table, with a line on
/// the rows only one run has.
pub fn table(old: &[Row], new: &[Row]) -> String {
    let mut t = String::from(
        "At 5 %, about one row in twenty is flagged by chance alone: read a lone flag on a noisy row with care.\n\n\
         | row | old median [min, max] | new median [min, max] | new/old | verdict (Mann-Whitney U, 5 %) |\n|---|---|---|---|---|\n",
    );
    for n in new {
        let Some(o) = old.iter().find(|o| o.key == n.key) else {
            continue;
        };
        let (Some(om), Some(nm)) = (median_of(o), median_of(n)) else {
            continue;
        };
        let ratio = if om == 0.0 { f64::NAN } else { nm / om };
        let _ = writeln!(
            t,
            "| {} ({}) | {} | {} | {ratio:.3} | {} |",
            n.what,
            n.key,
            spread_text(o),
            spread_text(n),
            verdict(o, n)
        );
    }
    let only = |a: &[Row], b: &[Row]| -> Vec<String> {
        a.iter()
            .filter(|r| median_of(r).is_some() && !b.iter().any(|x| x.key == r.key))
            .map(|r| r.key.clone())
            .collect()
    };
    for (which, keys) in [("old", only(old, new)), ("new", only(new, old))] {
        if !keys.is_empty() {
            let _ = writeln!(t, "\nOnly in the {which} run: {}", keys.join(", "));
        }
    }
    t
}

/// A row's median (in its own unit), if it has one.
fn median_of(row: &Row) -> Option<f64> {
    match &row.figure {
        Figure::Ms(s) | Figure::Rate(s) => Some(s.median),
        Figure::Ns { median, .. } => Some(*median),
        Figure::Count { min, max, .. } => Some((*min + *max) as f64 / 2.0),
        Figure::Jitter(s) => Some(s.median as f64),
        Figure::Histogram(_) | Figure::Failed(_) => None,
    }
}

fn spread_text(row: &Row) -> String {
    match &row.figure {
        Figure::Ms(s) => format!("{} ms", s.ms_text()),
        Figure::Rate(s) => format!("{:.1} [{:.1}, {:.1}] per s", s.median, s.min, s.max),
        Figure::Ns {
            median, p10, p90, ..
        } => format!("{median:.0} ns (10% {p10:.0}, 90% {p90:.0})"),
        Figure::Count { min, max, .. } => format!("{min} to {max}"),
        Figure::Jitter(s) => format!("{} [{}, {}] cycles", s.median, s.min, s.max),
        Figure::Histogram(_) | Figure::Failed(_) => String::from("-"),
    }
}

/// Whether the rows differ by more than the noise.
fn verdict(old: &Row, new: &Row) -> String {
    if old.samples.len() < 2 || new.samples.len() < 2 {
        return String::from("medians only (no samples to test)");
    }
    let p = mann_whitney(&old.samples, &new.samples);
    let smallest = smallest_p(old.samples.len(), new.samples.len());
    // Sizes whose exact test cannot reach the level say so, whatever the
    // approximation for tied values would claim.
    if smallest >= ALPHA {
        return format!("too few samples to tell (p = {p:.2}; at best {smallest:.2})");
    }
    if p < ALPHA {
        // The test compares whole samples: equal medians may still differ.
        let way = match median_of(new).partial_cmp(&median_of(old)) {
            Some(std::cmp::Ordering::Greater) => "larger",
            Some(std::cmp::Ordering::Less) => "smaller",
            _ => "differs",
        };
        format!("**{way}** (p = {p:.4})")
    } else {
        format!("within the noise (p = {p:.2})")
    }
}

/// The two-sided p-value of the Mann-Whitney U test of `a` against `b`.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> f64 {
    let (m, n) = (a.len(), b.len());
    if m == 0 || n == 0 {
        return 1.0;
    }
    // Ranks of the pooled samples, ties sharing their mean rank.
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut ties = false;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < pooled.len() {
        let mut j = i;
        while j + 1 < pooled.len() && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let count = (j - i + 1) as f64;
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * pooled[i..=j].iter().filter(|p| p.1).count() as f64;
        if count > 1.0 {
            ties = true;
            tie_term += count * count * count - count;
        }
        i = j + 1;
    }
    let u = rank_sum_a - (m * (m + 1)) as f64 / 2.0;
    let u = u.min((m * n) as f64 - u);
    if !ties && m + n <= 40 {
        return exact_two_sided(m, n, u.round() as usize);
    }
    let (mf, nf) = (m as f64, n as f64);
    let total = mf + nf;
    let variance = mf * nf / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((mf * nf / 2.0 - u) - 0.5).max(0.0) / variance.sqrt();
    (2.0 * normal_upper_tail(z)).min(1.0)
}

/// The smallest two-sided p-value sizes `m` and `n` can give.
fn smallest_p(m: usize, n: usize) -> f64 {
    if m + n > 40 {
        return 0.0;
    }
    exact_two_sided(m, n, 0)
}

/// P(U <= u) * 2 for sample sizes `m` and `n` under the null hypothesis,
/// from the number of arrangements giving each U.
fn exact_two_sided(m: usize, n: usize, u: usize) -> f64 {
    let counts = u_counts(m, n);
    let total: f64 = counts.iter().sum();
    let below: f64 = counts.iter().take(u + 1).sum();
    (2.0 * below / total).min(1.0)
}

/// How many arrangements of `m` and `n` samples give each U (0..=m*n):
/// f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u).
fn u_counts(m: usize, n: usize) -> Vec<f64> {
    // table[i][j] = counts for sizes (i, j).
    let mut table: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n + 1]; m + 1];
    for i in 0..=m {
        for j in 0..=n {
            table[i][j] = if i == 0 || j == 0 {
                vec![1.0]
            } else {
                let mut c = vec![0.0; i * j + 1];
                for (u, slot) in c.iter_mut().enumerate() {
                    let from_a = if u >= j {
                        table[i - 1][j].get(u - j).copied().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let from_b = table[i][j - 1].get(u).copied().unwrap_or(0.0);
                    *slot = from_a + from_b;
                }
                c
            };
        }
    }
    std::mem::take(&mut table[m][n])
}

/// P(Z > z) for a standard normal Z (Abramowitz and Stegun 26.2.17, error
/// below 7.5e-8).
fn normal_upper_tail(z: f64) -> f64 {
    if z < 0.0 {
        return 1.0 - normal_upper_tail(-z);
    }
    let t = 1.0 / (1.0 + 0.231_641_9 * z);
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::Report;

    #[test]
    fn exact_p_values_match_the_tables() {
        // Fully separated 5 and 5: 2 / C(10, 5) = 2 / 252.
        let p = mann_whitney(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert!((p - 2.0 / 252.0).abs() < 1e-12, "{p}");
        // 3 and 3 can never reach 5 %.
        assert!((smallest_p(3, 3) - 0.1).abs() < 1e-12);
        // Interleaved samples: no difference.
        let p = mann_whitney(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0, 8.0]);
        assert!(p > 0.5, "{p}");
        // The arrangements of 2 and 2 by U: 1, 1, 2, 1, 1.
        assert_eq!(u_counts(2, 2), [1.0, 1.0, 2.0, 1.0, 1.0]);
    }

    #[test]
    fn ties_use_the_normal_approximation() {
        let same = [5.0; 20];
        assert!((mann_whitney(&same, &same) - 1.0).abs() < 1e-9);
        let a: Vec<f64> = (0..20).map(|i| f64::from(i % 5)).collect();
        let b: Vec<f64> = (0..20).map(|i| f64::from(i % 5) + 10.0).collect();
        assert!(mann_whitney(&a, &b) < 1e-6);
        assert!((normal_upper_tail(1.959_964) - 0.025).abs() < 1e-6);
    }

    #[test]
    fn the_table_has_every_shared_row_and_a_verdict() {
        let mut old = Report::default();
        old.ms(
            "boot.idle",
            "Cores",
            "boot",
            &[10.0, 11.0, 12.0, 10.5, 11.5, 10.2, 11.8, 10.9],
        );
        old.ms("stop.idle", "Cores", "stop", &[1.0, 2.0, 3.0]);
        old.ms("gone", "Cores", "gone", &[1.0]);
        let mut new = Report::default();
        new.ms(
            "boot.idle",
            "Cores",
            "boot",
            &[5.0, 5.5, 6.0, 5.2, 5.8, 5.1, 5.9, 5.4],
        );
        new.ms("stop.idle", "Cores", "stop", &[1.1, 2.1, 2.9]);
        let t = table(&old.rows, &new.rows);
        let boot = t.lines().find(|l| l.contains("(boot.idle)")).unwrap();
        assert!(
            boot.contains("| 0.4") && boot.contains("**smaller** (p = 0.0002)"),
            "{boot}"
        );
        let stop = t.lines().find(|l| l.contains("(stop.idle)")).unwrap();
        assert!(stop.contains("too few samples to tell"), "{stop}");
        // Tied values of 3 a side cannot show a difference either.
        let mut a = Report::default();
        a.ms("x", "S", "tied", &[1.0, 1.0, 1.0]);
        let mut b = Report::default();
        b.ms("x", "S", "tied", &[2.0, 2.0, 2.0]);
        let tied = table(&a.rows, &b.rows);
        assert!(tied.contains("too few samples to tell"), "{tied}");
        assert!(t.contains("Only in the old run: gone"), "{t}");
    }
}
