//! `cargo xtask bench` (group `jitter`): Barrelfish/DC's real-time figure.
//! The `jitter` program times a count-down from 1,000 100,000 times on
//! core 1 of a 2-core machine, three ways: under `cpudriver-rt` (`corectrl
//! rt`: no interrupts, no timer, nothing else on the core), under the
//! standard kernel alone on the core (its timer on), and under the standard
//! kernel with a busy program sharing the core; each under plain TCG and
//! under TCG with `-icount shift=0` (a clock that counts instructions, so
//! only real disturbances show).

use harness::{Images, Machine, QemuConfig};
use jitterstats::Summary;

use jitterstats::Histogram;
use plotters::prelude::*;

use crate::bench::{BenchOptions, STEP};
use crate::report::{Figure, Report};

/// Runs the jitter benchmark and prints one line per run.
pub fn jitter(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<(), String> {
    let samples = if options.quick { 10_000 } else { 100_000 };
    for icount in [false, true] {
        let clock = if icount { "tcg -icount shift=0" } else { "tcg" };
        let mut config = QemuConfig::new(images).append("fatal=exit");
        config.cores = 2;
        config.mem_mib = 512;
        config.accel = options.accel;
        config.icount = icount.then_some(0);
        let name = if icount {
            "bench_jitter_icount"
        } else {
            "bench_jitter"
        };
        let mut m = Machine::start(&config, name).map_err(|e| format!("{e}"))?;
        let fail = |e: harness::HarnessError| format!("{e}");
        m.expect("Corefish shell; type `help`.", STEP)
            .map_err(fail)?;
        let key = if icount { "icount" } else { "tcg" };
        m.send(&format!("corectrl rt 1 jitter {samples}\r"))
            .map_err(fail)?;
        let rt = result(&mut m)?;
        add(
            report,
            &format!("jitter.rt.{key}"),
            &format!("Corefish cpudriver-rt ({clock})"),
            rt,
        );
        m.send(&format!("run --core 1 jitter {samples}\r"))
            .map_err(fail)?;
        let alone = result(&mut m)?;
        add(
            report,
            &format!("jitter.standard.{key}"),
            &format!("Corefish cpudriver, alone on the core ({clock})"),
            alone,
        );
        m.send("run --core 1 busy 3600\r").map_err(fail)?;
        m.expect("started busy on core 1", STEP).map_err(fail)?;
        m.send(&format!("run --core 1 jitter {samples}\r"))
            .map_err(fail)?;
        let shared = result(&mut m)?;
        add(
            report,
            &format!("jitter.shared.{key}"),
            &format!("Corefish cpudriver, with `busy` on the core ({clock})"),
            shared,
        );
    }
    Ok(())
}

/// The next jitter histogram and summary on the console.
fn result(m: &mut Machine) -> Result<(Histogram, Summary), String> {
    let line = m
        .expect("jitter: on core 1: histogram", STEP)
        .map_err(|e| format!("{e}"))?;
    let histogram = Histogram::parse(&line).ok_or_else(|| format!("cannot read `{line}`"))?;
    let line = m
        .expect("jitter: on core 1: ", STEP)
        .map_err(|e| format!("{e}"))?;
    let summary = Summary::parse(&line).ok_or_else(|| format!("cannot read `{line}`"))?;
    Ok((histogram, summary))
}

/// Adds a run's summary and histogram to the report.
pub fn add(report: &mut Report, key: &str, what: &str, (histogram, summary): (Histogram, Summary)) {
    report.add(key, "Jitter", what, Figure::Jitter(summary));
    report.add(
        &format!("{key}.histogram"),
        "Jitter histograms (samples by cycles above the minimum)",
        what,
        Figure::Histogram(histogram),
    );
}

/// Draws the jitter histograms of the report (one group of bars per
/// decade, one bar per run; counts on a log scale) to `path`.
pub fn plot(report: &Report, path: &std::path::Path, footer_text: &str) -> Result<(), String> {
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
    crate::update_bench::register_font()?;
    let err = |e: DrawingAreaErrorKind<_>| format!("plot: {e}");
    let root = BitMapBackend::new(path, (1200, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    footer(&root, footer_text).map_err(err)?;
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
        .build_cartesian_2d(0.0..groups * width, (0.8..top).log_scale())
        .map_err(err)?;
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
        .draw()
        .map_err(err)?;
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
            )
            .map_err(err)?
            .label(*what)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Writes `text` (where the figures come from) at the bottom left of a plot.
pub fn footer<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (_, height) = root.dim_in_pixel();
    root.draw(&Text::new(
        text.to_owned(),
        (5, height as i32 - 14),
        ("sans-serif", 11).into_font().color(&BLACK.mix(0.6)),
    ))
}
