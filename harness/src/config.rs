//! The QEMU command line for a Corefish machine.

use std::path::PathBuf;
use std::process::Command;

use crate::Images;

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-x86_64";

/// How QEMU executes guest code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Accel {
    /// Software emulation, one host thread per core: the platform Corefish
    /// is developed and measured on.
    #[default]
    Tcg,
    /// Hardware virtualisation (where it works; not on these machines).
    Kvm,
}

impl Accel {
    /// The name used on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tcg => "tcg",
            Self::Kvm => "kvm",
        }
    }
}

impl std::str::FromStr for Accel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tcg" => Ok(Self::Tcg),
            "kvm" => Ok(Self::Kvm),
            other => Err(format!("unknown accelerator `{other}` (tcg|kvm)")),
        }
    }
}

/// OVMF's code (UEFI firmware for QEMU; Debian's `ovmf` package).
pub const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// OVMF's variable store template (used as a throw-away copy).
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/// How the machine boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boot {
    /// QEMU loads the loader itself (`-kernel`, PVH) with the boot
    /// archive (`-initrd`) and the command line (`-append`): the default.
    Pvh,
    /// The firmware boots this ISO from a CD (GRUB, multiboot2) as on a
    /// real machine: the command line is the menu entry's (`cmdline` is
    /// not used, so neither is the tests' `fatal=exit`), there is no
    /// network device (so the firmware tries no network boot) and no
    /// `isa-debug-exit` (a boot that fails halts, showing why).
    Iso {
        /// The ISO file.
        image: PathBuf,
        /// Which firmware.
        firmware: Firmware,
    },
}

/// The machine's firmware when it boots an ISO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// SeaBIOS, QEMU's default.
    Bios,
    /// OVMF (its variable store a throw-away snapshot).
    Uefi,
}

/// Everything that decides how a Corefish machine is started.
#[derive(Debug, Clone)]
pub struct QemuConfig {
    /// The PVH loader (`-kernel`).
    pub loader: PathBuf,
    /// The boot archive (`-initrd`).
    pub archive: PathBuf,
    /// Number of cores.
    pub cores: u32,
    /// Memory in MiB.
    pub mem_mib: u32,
    /// `-mem-prealloc`: the host backs all of the guest's RAM before the
    /// guest starts. Without it the host allocates and zeroes a page the
    /// first time the guest writes it, a cost real RAM does not have and
    /// which lands on whatever guest operation first touches the page (a
    /// new OSNode's memory, say); the benchmark sets it for every machine,
    /// Corefish's and the Linux peer's alike.
    pub prealloc: bool,
    /// Accelerator.
    pub accel: Accel,
    /// `-icount shift=N`: a virtual clock of 2^N ns per instruction,
    /// deterministic and independent of the host's load.
    pub icount: Option<u32>,
    /// Start a gdb stub on port 1234 and wait for the debugger.
    pub debug: bool,
    /// Kernel command line.
    pub cmdline: String,
    /// Extra QEMU arguments.
    pub extra: Vec<String>,
    /// The watchdog [`Machine::start`](crate::Machine::start) arms, if any.
    pub watchdog: Option<crate::Watchdog>,
    /// How it boots.
    pub boot: Boot,
}

impl QemuConfig {
    /// The QEMU binary this configuration runs.
    pub const QEMU_BINARY: &'static str = QEMU;

    /// The defaults of `cargo xtask run`: 4 cores, 512 MiB, TCG.
    pub fn new(images: &Images) -> Self {
        Self {
            loader: images.loader(),
            archive: images.archive(),
            cores: 4,
            mem_mib: 512,
            prealloc: false,
            accel: Accel::Tcg,
            icount: None,
            debug: false,
            cmdline: String::new(),
            extra: Vec::new(),
            watchdog: None,
            boot: Boot::Pvh,
        }
    }

    /// Appends words to the kernel command line.
    pub fn append(mut self, words: &str) -> Self {
        if !self.cmdline.is_empty() {
            self.cmdline.push(' ');
        }
        self.cmdline.push_str(words);
        self
    }

    /// The arguments after the QEMU binary's name. `serial` is the
    /// `-serial` backend (`stdio` for tests, `mon:stdio` interactively).
    pub fn args(&self, serial: &str) -> Vec<String> {
        let mut args: Vec<String> = ["-M", "q35", "-cpu", "max", "-display", "none", "-no-reboot"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend([
            "-smp".into(),
            self.cores.to_string(),
            "-m".into(),
            format!("{}M", self.mem_mib),
        ]);
        if self.prealloc {
            args.push("-mem-prealloc".into());
        }
        args.extend(["-accel".into(), self.accel.name().into()]);
        if let Some(shift) = self.icount {
            args.extend(["-icount".into(), format!("shift={shift},sleep=off")]);
        }
        args.extend(["-serial".into(), serial.into()]);
        if serial == "stdio" {
            args.extend(["-monitor".into(), "none".into()]);
        }
        if self.debug {
            args.extend(["-s".into(), "-S".into()]);
        }
        match &self.boot {
            Boot::Pvh => {
                args.extend([
                    "-device".into(),
                    "isa-debug-exit,iobase=0xf4,iosize=0x04".into(),
                ]);
                args.extend(["-kernel".into(), self.loader.display().to_string()]);
                args.extend(["-initrd".into(), self.archive.display().to_string()]);
                if !self.cmdline.is_empty() {
                    args.extend(["-append".into(), self.cmdline.clone()]);
                }
            }
            Boot::Iso { image, firmware } => {
                if *firmware == Firmware::Uefi {
                    args.extend([
                        "-drive".into(),
                        format!("if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}"),
                        "-drive".into(),
                        format!("if=pflash,format=raw,unit=1,snapshot=on,file={OVMF_VARS}"),
                    ]);
                }
                args.extend(["-cdrom".into(), image.display().to_string()]);
                args.extend(["-nic".into(), "none".into()]);
            }
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// The QEMU command for this machine.
    pub fn command(&self, serial: &str) -> Command {
        let mut command = Command::new(QEMU);
        command.args(self.args(serial));
        command
    }

    /// The command line as one shell-quoted string, for reports.
    pub fn command_line(&self, serial: &str) -> String {
        let mut line = String::from(QEMU);
        for arg in self.args(serial) {
            line.push(' ');
            if arg
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\'')
            {
                line.push_str(&format!("'{}'", arg.replace('\'', r"'\''")));
            } else {
                line.push_str(&arg);
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_has_every_setting() {
        let images = Images::in_dir("/images");
        let mut config = QemuConfig::new(&images)
            .append("fatal=exit")
            .append("log=debug");
        config.cores = 16;
        config.mem_mib = 1024;
        config.icount = Some(3);
        let args = config.args("stdio");
        let pair = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| args[i + 1].as_str())
        };
        assert_eq!(pair("-M"), Some("q35"));
        assert_eq!(pair("-smp"), Some("16"));
        assert_eq!(pair("-m"), Some("1024M"));
        assert_eq!(pair("-accel"), Some("tcg"));
        assert_eq!(pair("-icount"), Some("shift=3,sleep=off"));
        assert_eq!(pair("-kernel"), Some("/images/loader.elf"));
        assert_eq!(pair("-initrd"), Some("/images/boot.img"));
        assert_eq!(pair("-append"), Some("fatal=exit log=debug"));
        assert_eq!(pair("-monitor"), Some("none"));
        assert!(
            config
                .command_line("stdio")
                .contains("-append 'fatal=exit log=debug'")
        );
        assert!(!args.contains(&"-S".to_string()));
        assert_eq!(pair("-cdrom"), None);
        let mut iso = config.clone();
        iso.boot = Boot::Iso {
            image: "/images/corefish.iso".into(),
            firmware: Firmware::Uefi,
        };
        let args = iso.args("stdio");
        let has = |flag: &str, value: &str| args.windows(2).any(|w| w[0] == flag && w[1] == value);
        assert!(has("-cdrom", "/images/corefish.iso"));
        assert!(has("-nic", "none"));
        assert!(args.iter().any(|a| a.contains(OVMF_CODE)));
        assert!(!args.iter().any(|a| a == "-kernel" || a == "-append"));
        assert!(!args.iter().any(|a| a.starts_with("isa-debug-exit")));
        assert!(!args.contains(&"-mem-prealloc".to_string()));
        config.prealloc = true;
        assert!(config.args("stdio").contains(&"-mem-prealloc".to_string()));
    }
}
