//! The `umpbench` program as the UMP and KCB switch benchmarks use it: its
//! servers, a client run whose two result lines (one-way, round trip) are read back,
//! and the figures in those lines (`... median N ns (10% A, 90% B) over C
//! messages`).

use anyhow::{Context, Result};
use harness::Machine;

use super::machine::{Load, STEP, command};
use super::report::{Figure, Report};

/// Starts `umpbench serve ARGS` on `core` and waits for it to be up.
pub fn serve(m: &mut Machine, core: u32, args: &str) -> Result<()> {
    command(
        m,
        &format!("run --core {core} umpbench serve {args}"),
        &format!("started umpbench on core {core}"),
    )?;
    Ok(())
}

/// Types `command` (a `umpbench client` run whose server is already up)
/// and returns the texts of its two results: one-way, round trip.
pub fn client(m: &mut Machine, command: &str) -> Result<[String; 2]> {
    m.send(&format!("{command}\r"))?;
    let mut texts = [String::new(), String::new()];
    for _ in 0..2 {
        let line = m.expect_line("a umpbench result", STEP, |l| l.contains("umpbench: "))?;
        let text = line
            .split_once("umpbench: ")
            .map_or(line.clone(), |(_, t)| t.to_owned());
        let slot = usize::from(text.starts_with("round trip"));
        texts[slot] = text;
    }
    Ok(texts)
}

/// Adds a row to `section` for each `(key, what, text)`: the figure of the
/// result `text`, as `KEY.idle` or `KEY.loaded`, described as `WHAT, LOAD`.
pub fn add(
    report: &mut Report,
    section: &'static str,
    load: &Load,
    rows: [(&str, &str, &str); 2],
) -> Result<()> {
    for (key, what, text) in rows {
        let figure = ns_figure(text).with_context(|| format!("cannot read `{text}`"))?;
        report.add(
            &format!("{key}.{}", load.key),
            section,
            &format!("{what}, {}", load.words),
            figure,
        );
    }
    Ok(())
}

/// The figure of a `... median N ns (10% A, 90% B) over C messages` text.
fn ns_figure(text: &str) -> Option<Figure> {
    let median = median_ns(text)?;
    let p10 = text
        .split_once("(10% ")?
        .1
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()?;
    let p90 = text
        .split_once("90% ")?
        .1
        .split(')')
        .next()?
        .trim()
        .parse()
        .ok()?;
    let n = text
        .split_once(" over ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(Figure::Ns {
        median,
        p10,
        p90,
        n,
    })
}

/// The median in ns of a `umpbench: ... median N ns ...` line.
pub fn median_ns(line: &str) -> Option<f64> {
    line.split_once("median ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umpbench_medians_parse() {
        let line =
            "one-way to core 1 (yielding): median 5123 ns (10% 4000, 90% 7000) over 2000 messages";
        assert_eq!(median_ns(line), Some(5123.0));
        assert_eq!(median_ns("umpbench: failed: bad argument"), None);
        assert_eq!(
            ns_figure(line),
            Some(Figure::Ns {
                median: 5123.0,
                p10: 4000.0,
                p90: 7000.0,
                n: 2000
            })
        );
    }
}
