//! Command-line options of `cargo xtask`.

use harness::Accel;

/// Help text.
pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build              build the loader, every CPU driver image and the boot archive
  run [options]      build, then boot Corefish in QEMU on this terminal (Ctrl-A X quits)
  test [FILTER]      lints, host tests of every library crate, then the QEMU integration tests
  lint               cargo fmt --check and clippy (-D warnings) on every crate, images included
  bench update [--accel A]
                     kernel updates of cores 1-3 under a TPC-H workload: throughput plot
                     (target/bench/update.png) and downtimes
  bench [--accel A] [--only boot|ump|switch|jitter|linux]
                     core boot latency by phase, stop, update, park, unpark (20 each, others
                     idle and busy), UMP latency, KCB switch cost, jitter (RT and standard
                     kernel, TCG and -icount), the Linux peer (Debian's kernel: CPU hotplug,
                     jitter)

run options:
  --cores N          number of cores (default 4)
  --mem MiB          memory in MiB (default 512)
  --accel tcg|kvm    QEMU accelerator (default tcg)
  --icount[=SHIFT]   deterministic virtual clock, 2^SHIFT ns per instruction (default shift 3)
  --debug            start a gdb stub on localhost:1234 and wait for gdb
  --append WORDS     add words to the kernel command line (e.g. \"log=debug\")
";

/// Options of `cargo xtask run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub cores: u32,
    pub mem_mib: u32,
    pub accel: Accel,
    pub icount: Option<u32>,
    pub debug: bool,
    pub append: String,
}

/// Default `-icount` shift: 8 ns per instruction.
const DEFAULT_ICOUNT_SHIFT: u32 = 3;

impl RunOptions {
    /// Parses `run`'s arguments.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self {
            cores: 4,
            mem_mib: 512,
            accel: Accel::Tcg,
            icount: None,
            debug: false,
            append: String::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match arg.as_str() {
                "--cores" => o.cores = number(&value("--cores")?, "--cores", 1, 255)?,
                "--mem" => o.mem_mib = number(&value("--mem")?, "--mem", 64, 1 << 20)?,
                "--accel" => o.accel = value("--accel")?.parse()?,
                "--icount" => o.icount = Some(DEFAULT_ICOUNT_SHIFT),
                "--debug" => o.debug = true,
                "--append" => {
                    let words = value("--append")?;
                    if !o.append.is_empty() {
                        o.append.push(' ');
                    }
                    o.append.push_str(&words);
                }
                other => match other.strip_prefix("--icount=") {
                    Some(shift) => o.icount = Some(number(shift, "--icount", 0, 10)?),
                    None => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
                },
            }
        }
        Ok(o)
    }
}

fn number(text: &str, name: &str, min: u32, max: u32) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name} takes a number from {min} to {max}, not `{text}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RunOptions, String> {
        RunOptions::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_every_option() {
        let d = parse(&[]).unwrap();
        assert_eq!(
            (d.cores, d.mem_mib, d.accel, d.icount, d.debug),
            (4, 512, Accel::Tcg, None, false)
        );
        let o = parse(&[
            "--cores",
            "16",
            "--mem",
            "1024",
            "--accel",
            "kvm",
            "--icount=5",
            "--debug",
            "--append",
            "a=1",
            "--append",
            "b",
        ])
        .unwrap();
        assert_eq!(
            (o.cores, o.mem_mib, o.accel, o.icount, o.debug),
            (16, 1024, Accel::Kvm, Some(5), true)
        );
        assert_eq!(o.append, "a=1 b");
        assert_eq!(
            parse(&["--icount"]).unwrap().icount,
            Some(DEFAULT_ICOUNT_SHIFT)
        );
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(parse(&["--cores"]).unwrap_err().contains("needs a value"));
        assert!(
            parse(&["--cores", "0"])
                .unwrap_err()
                .contains("from 1 to 255")
        );
        assert!(parse(&["--cores", "x"]).is_err());
        assert!(
            parse(&["--accel", "hvf"])
                .unwrap_err()
                .contains("unknown accelerator")
        );
        assert!(
            parse(&["--frobnicate"])
                .unwrap_err()
                .contains("unknown option")
        );
    }
}
