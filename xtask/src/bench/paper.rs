//! The paper's table (Barrelfish/DC and Linux 3.13 booting and removing a
//! core, on real hardware) with a run's figures beside it, and its copy in
//! the README.
//!
//! The README's copy is made from the kept baseline run
//! (`docs/bench-baseline/results.jsonl`) by `cargo xtask bench report
//! docs/bench-baseline --readme`, between two marker lines; `cargo xtask
//! test` checks that it is still what that file gives, so no figure in it is
//! ever typed by hand or left behind by a new baseline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::report::{Report, Spread};

/// The line before the README's copy.
const BEGIN: &str = "<!-- paper table: made by `cargo xtask bench report docs/bench-baseline --readme`; not edited by hand -->";
/// The line after it.
const END: &str = "<!-- end of the paper table -->";

/// One line of the table: the paper's figures (ms) and the rows of ours.
struct Line {
    what: &'static str,
    paper_dc: Option<f64>,
    ours: &'static str,
    paper_linux: Option<f64>,
    linux: Option<&'static str>,
}

/// The paper gives one Barrelfish/DC figure per operation (its point is
/// that they do not depend on load); its ratios under load use it.
const LINES: [Line; 7] = [
    Line {
        what: "boot a core, others idle",
        paper_dc: Some(7.5),
        ours: "boot.idle",
        paper_linux: Some(14.0),
        linux: Some("linux.online.idle"),
    },
    Line {
        what: "boot a core, others loaded",
        paper_dc: Some(7.5),
        ours: "boot.loaded",
        paper_linux: Some(20.0),
        linux: Some("linux.online.loaded"),
    },
    Line {
        what: "remove a core, others idle",
        paper_dc: Some(0.0008),
        ours: "stop.idle",
        paper_linux: Some(46.0),
        linux: Some("linux.offline.idle"),
    },
    Line {
        what: "remove a core, others loaded",
        paper_dc: Some(0.0008),
        ours: "stop.loaded",
        paper_linux: Some(2542.0),
        linux: Some("linux.offline.loaded"),
    },
    Line {
        what: "bring up the 63 other cores of a 64-core machine, one after another",
        paper_dc: None,
        ours: "scaling.all.corefish.64",
        paper_linux: None,
        linux: Some("scaling.all.linux.64"),
    },
    Line {
        what: "remove a core running a program (its kernel interrupted), others idle",
        paper_dc: None,
        ours: "stop.idle.busy",
        paper_linux: None,
        linux: None,
    },
    Line {
        what: "remove a core running a program: on the core itself (stop interrupt to halt)",
        paper_dc: None,
        ours: "stop.idle.busy.kernel",
        paper_linux: None,
        linux: None,
    },
];

/// A median with its spread, or `not measured`.
fn cell(spread: Option<Spread>) -> String {
    spread.map_or(String::from("not measured"), |s| s.ms_text())
}

/// `a / b` (three decimals, or in scientific notation below 0.01), or `-`.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a / b >= 0.01 => format!("{:.3}", a / b),
        (Some(a), Some(b)) if b > 0.0 => format!("{:.1e}", a / b),
        _ => String::from("-"),
    }
}

/// The paper's table with `report`'s figures (Markdown).
pub fn table(report: &Report) -> String {
    let mut t = String::from(
        "Medians [min, max] in ms. The paper's figures are from real hardware (Barrelfish/DC and \
         Linux 3.13), ours from one run in the emulator, Corefish and Linux in the same QEMU \
         machine with the same load.\n\n\
         | operation | Barrelfish/DC (paper) | Corefish | Linux 3.13 (paper) | Linux (same emulator) | Corefish / Linux | paper: DC / Linux |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let paper = |v: Option<f64>| v.map_or(String::from("-"), |v| v.to_string());
    for line in &LINES {
        let ours = report.spread_ms(line.ours);
        let linux = line.linux.and_then(|k| report.spread_ms(k));
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} |",
            line.what,
            paper(line.paper_dc),
            cell(ours),
            paper(line.paper_linux),
            line.linux.map_or(String::from("-"), |_| cell(linux)),
            ratio(ours.map(|s| s.median), linux.map(|s| s.median)),
            ratio(line.paper_dc, line.paper_linux),
        );
    }
    t
}

fn readme() -> PathBuf {
    harness::workspace_root().join("README.md")
}

/// The README's text with the part between the markers replaced by `table`.
fn with_table(text: &str, table: &str) -> Result<String> {
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("README.md has no paper-table markers ({BEGIN} ... {END})");
    };
    if end < begin {
        bail!("README.md's paper-table markers are out of order");
    }
    Ok(format!(
        "{}{BEGIN}\n\n{table}\n{}",
        &text[..begin],
        &text[end..]
    ))
}

/// Writes `table` (made from the run in `from`) into the README.
pub fn write_readme(table: &str, from: &Path) -> Result<()> {
    let path = readme();
    let text = std::fs::read_to_string(&path).context("README.md")?;
    std::fs::write(&path, with_table(&text, table)?).context("README.md")?;
    println!(
        "bench: the README's paper table now shows {}",
        from.display()
    );
    Ok(())
}

/// Fails unless the README's paper table is what the kept baseline run
/// gives.
pub fn check_readme() -> Result<()> {
    let baseline = harness::workspace_root().join("docs/bench-baseline/results.jsonl");
    let records = super::results::load(&baseline)?;
    let report = Report {
        rows: super::results::rows(&records),
        ..Report::default()
    };
    let text = std::fs::read_to_string(readme()).context("README.md")?;
    if with_table(&text, &table(&report))? != text {
        bail!(
            "README.md's paper table is not what docs/bench-baseline gives: run `cargo xtask bench report docs/bench-baseline --readme`"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_goes_between_the_markers_and_nowhere_else() {
        let text = format!("intro\n{BEGIN}\nold\n{END}\nrest\n");
        let new = with_table(&text, "| t |\n").expect("markers");
        assert_eq!(new, format!("intro\n{BEGIN}\n\n| t |\n\n{END}\nrest\n"));
        assert_eq!(with_table(&new, "| t |\n").expect("markers"), new);
        assert!(with_table("no markers", "x").is_err());
    }

    #[test]
    fn missing_rows_say_so_and_ratios_need_both() {
        let t = table(&Report::default());
        assert!(
            t.contains(
                "| boot a core, others idle | 7.5 | not measured | 14 | not measured | - | 0.536 |"
            ),
            "{t}"
        );
        assert_eq!(ratio(Some(1.0), Some(4.0)), "0.250");
        assert_eq!(ratio(None, Some(4.0)), "-");
        assert_eq!(ratio(Some(0.0008), Some(46.0)), "1.7e-5");
    }
}
