//! The benchmark report: every figure `cargo xtask bench` measures, printed
//! as it comes (`bench: ...` lines), appended to the run's results file
//! ([`super::results`]) and written as `report.md` tables, with the machine
//! it was measured on (QEMU version, accelerator, host CPU and cores) and
//! the paper's figures beside ours.

use std::fmt::Write as _;

use jitterstats::{BUCKETS, Histogram, Summary};
use serde::{Deserialize, Serialize};

/// Median, minimum and maximum (`samples` is sorted in place).
fn spread(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    (median, samples[0], samples[n - 1])
}

/// A set of samples in milliseconds, as median [min, max].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Median.
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// How many.
    pub n: usize,
}

/// Milliseconds as the report writes them: three decimals, or three
/// significant digits below 0.01 ms (a stop that takes an idle core is
/// well under a microsecond).
pub fn ms_text(ms: f64) -> String {
    if ms > 0.0 && ms < 0.01 {
        let decimals = (2 - ms.log10().floor() as i32).clamp(3, 9) as usize;
        format!("{ms:.decimals$}")
    } else {
        format!("{ms:.3}")
    }
}

impl Spread {
    /// `median [min, max]` in milliseconds ([`ms_text`]).
    pub fn ms_text(&self) -> String {
        format!(
            "{} [{}, {}]",
            ms_text(self.median),
            ms_text(self.min),
            ms_text(self.max)
        )
    }

    /// The spread of `samples` (`None` if there are none).
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut v = samples.to_vec();
        let (median, min, max) = spread(&mut v);
        (!v.is_empty()).then_some(Self {
            median,
            min,
            max,
            n: v.len(),
        })
    }
}

/// How the results file writes a jitter summary (`jitterstats` is
/// `no_std` and knows nothing of serde).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Summary")]
struct SummaryDef {
    samples: u64,
    min: u64,
    median: u64,
    p99: u64,
    p999: u64,
    max: u64,
    outside: u64,
}

/// How the results file writes a jitter histogram.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Histogram")]
struct HistogramDef {
    counts: [u64; 5],
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Milliseconds.
    Ms(Spread),
    /// Nanoseconds (median, 10th and 90th percentile, samples).
    Ns {
        /// Median.
        median: f64,
        /// 10th percentile.
        p10: f64,
        /// 90th percentile.
        p90: f64,
        /// Samples.
        n: u64,
    },
    /// A count (e.g. cores involved), as the smallest and largest seen.
    Count {
        /// Smallest.
        min: u64,
        /// Largest.
        max: u64,
        /// Observations.
        n: usize,
    },
    /// Jitter samples (cycles).
    Jitter(#[serde(with = "SummaryDef")] Summary),
    /// Jitter samples by decade above the minimum.
    Histogram(#[serde(with = "HistogramDef")] Histogram),
    /// Events per second (median [min, max] of the samples).
    Rate(Spread),
    /// Not measured: its guest failed twice, for this reason.
    Failed(String),
}

impl Figure {
    /// Whether every number in it is a number.
    fn is_complete(&self) -> bool {
        match self {
            Self::Ms(s) | Self::Rate(s) => {
                s.n > 0 && [s.median, s.min, s.max].iter().all(|x| x.is_finite())
            }
            Self::Ns {
                median,
                p10,
                p90,
                n,
            } => *n > 0 && [median, p10, p90].iter().all(|x| x.is_finite()),
            Self::Count { n, .. } => *n > 0,
            Self::Jitter(s) => s.samples > 0,
            Self::Histogram(h) => h.counts.iter().sum::<u64>() > 0,
            Self::Failed(_) => false,
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Ms(s) => format!("median {} ms over {}", s.ms_text(), s.n),
            Self::Ns {
                median,
                p10,
                p90,
                n,
            } => {
                format!("median {median:.0} ns (10% {p10:.0}, 90% {p90:.0}) over {n}")
            }
            Self::Count { min, max, n } if min == max => format!("{min} in all {n}"),
            Self::Count { min, max, n } => format!("{min} to {max} over {n}"),
            Self::Jitter(s) => format!("{s}"),
            Self::Histogram(h) => format!("{h}"),
            Self::Rate(s) => format!(
                "median {:.1} [{:.1}, {:.1}] per s over {}",
                s.median, s.min, s.max, s.n
            ),
            Self::Failed(why) => format!("FAILED: {why}"),
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// A stable key, for the comparison table (`boot.idle`, ...).
    pub key: String,
    /// The section it belongs to.
    pub section: String,
    /// What was measured.
    pub what: String,
    /// The figure.
    pub figure: Figure,
    /// Its samples, as measured, where it has them (milliseconds).
    pub samples: Vec<f64>,
}

/// Where a report's rows go as they are measured: the run's results file,
/// for a group's attempt.
#[derive(Debug, Clone)]
pub struct Sink {
    /// The file.
    pub file: super::results::ResultsFile,
    /// The group measuring.
    pub group: &'static str,
    /// Its attempt.
    pub attempt: u32,
}

/// The report being made.
#[derive(Default)]
pub struct Report {
    /// Where and how it was measured.
    pub machine: Vec<String>,
    /// The figures, in order.
    pub rows: Vec<Row>,
    /// Where each row is appended as it comes, if anywhere.
    pub sink: Option<Sink>,
}

impl Report {
    /// Adds (and prints) a figure.
    pub fn add(&mut self, key: &str, section: &str, what: &str, figure: Figure) {
        self.push(key, section, what, figure, Vec::new());
    }

    fn push(&mut self, key: &str, section: &str, what: &str, figure: Figure, samples: Vec<f64>) {
        println!("bench: {what}: {}", figure.text());
        let row = Row {
            key: key.into(),
            section: section.into(),
            what: what.into(),
            figure,
            samples,
        };
        if let Some(sink) = &self.sink
            && let Err(e) = sink.file.append(sink.group, sink.attempt, &row)
        {
            println!("bench: cannot keep a result: {e:#}");
        }
        self.rows.push(row);
    }

    /// Adds milliseconds, if there are any.
    pub fn ms(&mut self, key: &str, section: &str, what: &str, samples: &[f64]) {
        if let Some(s) = Spread::of(samples) {
            self.push(key, section, what, Figure::Ms(s), samples.to_vec());
        }
    }

    /// Adds a rate (per second), if there are samples.
    pub fn rate(&mut self, key: &str, section: &str, what: &str, samples: &[f64]) {
        if let Some(s) = Spread::of(samples) {
            self.push(key, section, what, Figure::Rate(s), samples.to_vec());
        }
    }

    /// Adds a jitter run: its summary and its histogram.
    pub fn jitter(&mut self, key: &str, what: &str, (histogram, summary): (Histogram, Summary)) {
        self.add(key, "Jitter", what, Figure::Jitter(summary));
        self.add(
            &format!("{key}.histogram"),
            "Jitter histograms (samples by cycles above the minimum)",
            what,
            Figure::Histogram(histogram),
        );
    }

    /// Records that `what` (a group, or a part of one such as
    /// `scaling.linux.32`) could not be measured, and why.
    pub fn fail(&mut self, what: &str, why: &str) {
        let label = if what.contains('.') {
            format!("`{what}`")
        } else {
            format!("group `{what}`")
        };
        self.add(
            &format!("{what}.failed"),
            "Failures",
            &label,
            Figure::Failed(why.into()),
        );
    }

    /// The rows that record a failure.
    pub fn failures(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| matches!(r.figure, Figure::Failed(_)))
            .collect()
    }

    /// The spread in ms of the row `key`.
    pub fn spread_ms(&self, key: &str) -> Option<Spread> {
        self.rows
            .iter()
            .find(|r| r.key == key)
            .and_then(|r| match r.figure {
                Figure::Ms(s) => Some(s),
                _ => None,
            })
    }

    /// Rows whose figures are not all numbers (a smoke test fails on any).
    pub fn incomplete(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| !r.figure.is_complete())
            .collect()
    }

    /// The keys of `expected` that have no row.
    pub fn missing<'k>(&self, expected: &[&'k str]) -> Vec<&'k str> {
        expected
            .iter()
            .copied()
            .filter(|k| !self.rows.iter().any(|r| r.key == *k))
            .collect()
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut md = String::from("# Corefish benchmark report\n\n");
        for line in &self.machine {
            let _ = writeln!(md, "- {line}");
        }
        let _ = writeln!(md, "\n## Compared with the paper\n");
        md.push_str(&super::paper::table(self));
        let mut sections: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !sections.contains(&r.section.as_str()) {
                sections.push(&r.section);
            }
        }
        for section in sections {
            let _ = writeln!(md, "\n## {section}\n");
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.section == section).collect();
            md.push_str(&table(&rows));
        }
        md
    }
}

/// A section's rows as a Markdown table: jitter summaries and histograms
/// get their columns, any other figure its text.
fn table(rows: &[&Row]) -> String {
    let mut md = String::new();
    if rows.iter().all(|r| matches!(r.figure, Figure::Jitter(_))) {
        md.push_str("| run | samples | min | median | p99 | p99.9 | max | outside [min, min+1000] |\n|---|---|---|---|---|---|---|---|\n");
        for r in rows {
            if let Figure::Jitter(s) = &r.figure {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.what, s.samples, s.min, s.median, s.p99, s.p999, s.max, s.outside
                );
            }
        }
    } else if rows
        .iter()
        .all(|r| matches!(r.figure, Figure::Histogram(_)))
    {
        let _ = writeln!(
            md,
            "| run | <= {} above min | <= {} | <= {} | <= {} | more |\n|---|---|---|---|---|---|",
            BUCKETS[0], BUCKETS[1], BUCKETS[2], BUCKETS[3]
        );
        for r in rows {
            if let Figure::Histogram(h) = &r.figure {
                let c = h.counts;
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.what, c[0], c[1], c[2], c[3], c[4]
                );
            }
        }
    } else {
        md.push_str("| what | figure |\n|---|---|\n");
        for r in rows {
            let _ = writeln!(md, "| {} | {} |", r.what, r.figure.text());
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_median_min_max() {
        assert_eq!(spread(&mut [3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&mut [4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
        assert!(spread(&mut []).0.is_nan());
    }

    #[test]
    fn rows_make_tables_and_incomplete_rows_are_found() {
        let mut r = Report::default();
        r.machine.push("QEMU 7.2, tcg".into());
        r.ms("boot.idle", "Cores", "boot, idle", &[3.0, 1.0, 2.0]);
        r.ms("nothing", "Cores", "never measured", &[]);
        r.add(
            "stop.idle",
            "Cores",
            "stop",
            Figure::Ms(Spread {
                median: f64::NAN,
                min: 1.0,
                max: 1.0,
                n: 1,
            }),
        );
        let md = r.markdown();
        assert!(
            md.contains(
                "| boot a core, others idle | 7.5 | 2.000 [1.000, 3.000] | 14 | not measured | - | 0.536 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| boot, idle | median 2.000 [1.000, 3.000] ms over 3 |"),
            "{md}"
        );
        assert!(!md.contains("never measured"));
        let bad: Vec<&str> = r.incomplete().iter().map(|r| r.key.as_str()).collect();
        assert_eq!(bad, ["stop.idle"]);
    }
}
