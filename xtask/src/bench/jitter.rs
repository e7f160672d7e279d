//! `cargo xtask bench` (group `jitter`): Barrelfish/DC's real-time figure.
//! The `jitter` program times a count-down from 1,000 100,000 times on
//! core 1 of a 2-core machine, three ways: under `cpudriver-rt` (`corectrl
//! rt`: no interrupts, no timer, nothing else on the core), under the
//! standard kernel alone on the core (its timer on), and under the standard
//! kernel with a busy program sharing the core; each under plain TCG and
//! under TCG with `-icount shift=0` (a clock that counts instructions, so
//! only real disturbances show). Also draws every jitter histogram of the
//! report (the Linux peer's too) to `jitter.png`.

use std::path::Path;

use anyhow::{Context, Result};
use harness::{Images, Machine};
use jitterstats::{Histogram, Summary};
use plotters::prelude::*;

use super::machine::{STEP, command, config, start};
use super::options::BenchOptions;
use super::plot::{canvas, legend};
use super::report::{Figure, Report};

/// Runs the jitter benchmark and prints one line per run.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("jitter (TCG, then -icount)");
    let samples = options.jitter_samples();
    for icount in [false, true] {
        let (clock, key, name) = if icount {
            ("tcg -icount shift=0", "icount", "bench_jitter_icount")
        } else {
            ("tcg", "tcg", "bench_jitter")
        };
        let mut config = config(images, options, 2);
        config.mem_mib = 512;
        config.icount = icount.then_some(0);
        let mut m = start(&config, name, STEP)?;
        m.send(&format!("corectrl rt 1 jitter {samples}\r"))?;
        report.jitter(
            &format!("jitter.rt.{key}"),
            &format!("Corefish cpudriver-rt ({clock})"),
            result(&mut m)?,
        );
        m.send(&format!("run --core 1 jitter {samples}\r"))?;
        report.jitter(
            &format!("jitter.standard.{key}"),
            &format!("Corefish cpudriver, alone on the core ({clock})"),
            result(&mut m)?,
        );
        command(&mut m, "run --core 1 busy 3600", "started busy on core 1")?;
        m.send(&format!("run --core 1 jitter {samples}\r"))?;
        report.jitter(
            &format!("jitter.shared.{key}"),
            &format!("Corefish cpudriver, with `busy` on the core ({clock})"),
            result(&mut m)?,
        );
    }
    Ok(())
}

/// The next jitter histogram and summary on the console.
fn result(m: &mut Machine) -> Result<(Histogram, Summary)> {
    let line = m.expect("jitter: on core 1: histogram", STEP)?;
    let histogram = Histogram::parse(&line).with_context(|| format!("cannot read `{line}`"))?;
    let line = m.expect("jitter: on core 1: ", STEP)?;
    let summary = Summary::parse(&line).with_context(|| format!("cannot read `{line}`"))?;
    Ok((histogram, summary))
}

/// Draws the jitter histograms of the report (one group of bars per
/// decade, one bar per run; counts on a log scale) to `path`.
pub fn plot(report: &Report, path: &Path, footer: &str) -> Result<()> {
    let runs: Vec<(&str, Histogram)> = report
        .rows
        .iter()
        .filter_map(|r| match &r.figure {
            Figure::Histogram(h) => Some((r.what.as_str(), *h)),
            _ => None,
        })
        .collect();
    if runs.is_empty() {
        return Ok(());
    }
    let root = canvas(path, (1200, 600), footer)?;
    let groups = 5.0;
    let width = runs.len() as f64 + 1.0;
    let top = runs.iter().flat_map(|(_, h)| h.counts).max().unwrap_or(1) as f64 * 3.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Jitter: samples by cycles above the minimum (1,000 stores each)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..groups * width, (0.8..top).log_scale())?;
    let labels = ["<= 1e3", "<= 1e4", "<= 1e5", "<= 1e6", "more"];
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(5)
        .x_label_formatter(&|x| {
            let g = (*x / width).floor() as usize;
            labels.get(g).map_or(String::new(), |l| (*l).to_owned())
        })
        .x_desc("cycles above the minimum")
        .y_desc("samples (log scale)")
        .draw()?;
    for (i, (what, h)) in runs.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(
                h.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(g, &c)| {
                        let x = g as f64 * width + i as f64 + 0.5;
                        Rectangle::new([(x, 0.8), (x + 0.9, c as f64)], color.filled())
                    }),
            )?
            .label(*what)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    legend(&mut chart)?;
    root.present()?;
    Ok(())
}
