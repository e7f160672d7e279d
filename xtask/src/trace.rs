//! `cargo xtask trace LOG [--out FILE]`: the timeline lines of the last
//! `corectrl trace N dump` of each core in a serial log
//! (`ktrace::text::Line`, whatever prefixes the log puts before them) as a
//! Chrome trace-event file
//! (`ktrace::chrome`), for Perfetto or chrome://tracing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ktrace::text::Line;

/// The lines of the last dump of each core (a log may hold several; each
/// dump's lines are in time order from 0, so a fall in time starts one).
fn last_dumps(lines: impl Iterator<Item = Line>) -> Vec<Line> {
    let mut dumps: std::collections::BTreeMap<u32, Vec<Line>> = Default::default();
    for line in lines {
        let dump = dumps.entry(line.core).or_default();
        // Times only grow within a dump: a fall starts the next one.
        if dump
            .last()
            .is_some_and(|last| line.start_ns < last.start_ns)
        {
            dump.clear();
        }
        dump.push(line);
    }
    dumps.into_values().flatten().collect()
}

/// Converts `log` and writes the file (`out`, or the log's path with
/// `.json`); says how many events of which cores it wrote.
pub fn convert(log: &Path, out: Option<&Path>) -> Result<()> {
    let text = std::fs::read(log).with_context(|| format!("cannot read {}", log.display()))?;
    let text = String::from_utf8_lossy(&text);
    let lines = last_dumps(text.lines().filter_map(Line::parse));
    if lines.is_empty() {
        bail!(
            "{} holds no trace lines (`trace N @... us ...`, from `corectrl trace N dump`)",
            log.display()
        );
    }
    let out: PathBuf = out.map_or_else(|| log.with_extension("json"), Path::to_path_buf);
    std::fs::write(&out, ktrace::chrome::to_json(&lines))
        .with_context(|| format!("cannot write {}", out.display()))?;
    let mut cores: Vec<u32> = lines.iter().map(|l| l.core).collect();
    cores.sort_unstable();
    cores.dedup();
    println!(
        "xtask: {} events of core(s) {cores:?} written to {} (open it in https://ui.perfetto.dev or chrome://tracing)",
        lines.len(),
        out.display()
    );
    Ok(())
}
