//! A run's results file, `target/bench/<run>/results.jsonl`: one JSON
//! object per measured row, appended the moment it is measured, each with
//! the run, the commit, the host, QEMU's version and the options, and all
//! its samples where it has them. The report and the plots are made from
//! this file (after every group, and by `cargo xtask bench report DIR`),
//! so a run cut short leaves a report of all it measured, and two runs can
//! be compared sample by sample (`--compare`).
//!
//! A group measured twice (its first attempt failed) has records of both
//! attempts; the report keeps the last attempt's.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::report::Row;

/// The file's name in a run's folder.
pub const FILE: &str = "results.jsonl";

/// Where and how a run measured: the same in every record of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The run's name (its folder).
    pub run: String,
    /// The commit measured (`git describe --always --dirty`).
    pub commit: String,
    /// Host CPU model.
    pub host_cpu: String,
    /// Host cores.
    pub host_cores: usize,
    /// `qemu-system-x86_64 --version`'s first line.
    pub qemu: String,
    /// The accelerator.
    pub accel: String,
    /// The options, as typed.
    pub options: String,
}

/// One measured row, with where and how it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Where and how.
    #[serde(flatten)]
    pub meta: Meta,
    /// Its group.
    pub group: String,
    /// The group's attempt (2 when the first failed).
    pub attempt: u32,
    /// The row: key, section, what, figure, samples.
    #[serde(flatten)]
    pub row: Row,
}

/// A run's results file, open for appending.
#[derive(Debug, Clone)]
pub struct ResultsFile {
    path: PathBuf,
    meta: Meta,
}

impl ResultsFile {
    /// The results file in `dir` (created, with the folder, if new).
    pub fn create(dir: &Path, meta: Meta) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let path = dir.join(FILE);
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| path.display().to_string())?;
        Ok(Self { path, meta })
    }

    /// Appends `row`, measured in attempt `attempt` of `group`.
    pub fn append(&self, group: &str, attempt: u32, row: &Row) -> Result<()> {
        let record = Record {
            meta: self.meta.clone(),
            group: group.into(),
            attempt,
            row: row.clone(),
        };
        let mut line = serde_json::to_string(&record)?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .with_context(|| self.path.display().to_string())?;
        file.write_all(line.as_bytes())
            .with_context(|| self.path.display().to_string())
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The records of the results file at `path` (a file, or a run's folder).
pub fn load(path: &Path) -> Result<Vec<Record>> {
    let file = if path.is_dir() {
        path.join(FILE)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", file.display(), i + 1))
        })
        .collect()
}

/// The rows of `records` as the report shows them: for each group, the
/// last attempt's, in the order measured.
pub fn rows(records: &[Record]) -> Vec<Row> {
    let last = |group: &str| {
        records
            .iter()
            .filter(|r| r.group == group)
            .map(|r| r.attempt)
            .max()
            .unwrap_or(0)
    };
    records
        .iter()
        .filter(|r| r.attempt == last(&r.group))
        .map(|r| r.row.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::{Figure, Report};

    fn meta() -> Meta {
        Meta {
            run: "r1".into(),
            commit: "abc1234".into(),
            host_cpu: "a CPU".into(),
            host_cores: 2,
            qemu: "QEMU 7.2".into(),
            accel: "tcg".into(),
            options: "--quick".into(),
        }
    }

    #[test]
    fn rows_survive_the_file_and_the_last_attempt_counts() {
        let dir = std::env::temp_dir().join(format!("corefish-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = ResultsFile::create(&dir, meta()).unwrap();
        let mut first = Report::default();
        first.ms("boot.idle", "Cores", "boot", &[3.0, 1.0, 2.0]);
        let mut second = Report::default();
        second.ms("boot.idle", "Cores", "boot", &[5.0, 4.0, 6.0]);
        second.add(
            "switch.count",
            "Switch",
            "cores",
            Figure::Count {
                min: 2,
                max: 2,
                n: 4,
            },
        );
        second.fail("jitter", "no progress for 120 s after \"x\"");
        for row in &first.rows {
            file.append("boot", 1, row).unwrap();
        }
        for row in &second.rows {
            file.append("boot", 2, row).unwrap();
        }
        let records = load(&dir).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].meta, meta());
        let rows = rows(&records);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["boot.idle", "switch.count", "jitter.failed"]);
        assert_eq!(rows[0].samples, [5.0, 4.0, 6.0]);
        assert_eq!(rows[0].figure, second.rows[0].figure);
        assert_eq!(rows[2].figure, second.rows[2].figure);
        // A damaged line is an error that names it.
        std::fs::write(dir.join(FILE), "{\"run\":1}\n").unwrap();
        let err = format!("{:#}", load(&dir).unwrap_err());
        assert!(err.contains("line 1"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
