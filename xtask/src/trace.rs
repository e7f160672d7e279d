//! `cargo xtask trace LOG [--out FILE]`: the timeline lines of a
//! `corectrl trace N dump` in a serial log (`ktrace::text::Line`, whatever
//! prefixes the log puts before them) as a Chrome trace-event file
//! (`ktrace::chrome`), for Perfetto or chrome://tracing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ktrace::text::Line;

/// Converts `log` and writes the file (`out`, or the log's path with
/// `.json`); says how many events of which cores it wrote.
pub fn convert(log: &Path, out: Option<&Path>) -> Result<()> {
    let text = std::fs::read(log).with_context(|| format!("cannot read {}", log.display()))?;
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<Line> = text.lines().filter_map(Line::parse).collect();
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
