//! One running QEMU machine with its serial console on pipes.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{ExitCode, HarnessError, QemuConfig, Watchdog};

mod expect;

/// Serial lines shown when an expectation fails.
const TAIL_LINES: usize = 50;

/// How QEMU ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// The process exit status (`None` if killed by a signal).
    pub code: Option<i32>,
}

impl ExitStatus {
    /// The `isa-debug-exit` code the guest wrote, if it ended that way.
    pub fn debug_exit(&self) -> Option<ExitCode> {
        self.code.and_then(ExitCode::from_qemu_status)
    }
}

struct Console {
    lines: Vec<String>,
    partial: Vec<u8>,
    closed: bool,
    /// When the guest last printed anything (or started).
    last_output: Instant,
}

impl Default for Console {
    fn default() -> Self {
        Self {
            lines: Vec::new(),
            partial: Vec::new(),
            closed: false,
            last_output: Instant::now(),
        }
    }
}

type Shared = Arc<(Mutex<Console>, Condvar)>;

/// A running QEMU. Dropping it kills QEMU.
pub struct Machine {
    child: Child,
    stdin: Option<ChildStdin>,
    console: Shared,
    reader: Option<JoinHandle<()>>,
    command: String,
    log: PathBuf,
    /// Lines before this index have been consumed by `expect`.
    cursor: usize,
    /// Gives up on a hung guest, if armed.
    watchdog: Option<Watchdog>,
}

impl Machine {
    /// Starts QEMU with `config`, logging the serial console to
    /// `target/qemu-logs/<name>.log`.
    pub fn start(config: &QemuConfig, name: &str) -> Result<Self, HarnessError> {
        let mut machine = Self::spawn(config.command("stdio"), config.command_line("stdio"), name)?;
        machine.watchdog = config.watchdog;
        Ok(machine)
    }

    /// Starts any program as a machine whose stdin/stdout are its console
    /// (`command_line` is what reports show). `start` uses this for QEMU.
    pub fn spawn(
        mut command: Command,
        command_line: String,
        name: &str,
    ) -> Result<Self, HarnessError> {
        let log_dir = crate::workspace_root().join("target").join("qemu-logs");
        let log = log_dir.join(format!("{name}.log"));
        let spawn_error = |error| HarnessError::Spawn {
            command: command_line.clone(),
            error,
        };
        std::fs::create_dir_all(&log_dir).map_err(spawn_error)?;
        let file = File::create(&log).map_err(spawn_error)?;

        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that dropping the machine also
            // kills anything it started.
            .process_group(0);
        // SAFETY: the closure runs in the forked child before exec and only
        // calls prctl, which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // The child dies with the thread that started it, even if the
                // test process is killed without running destructors.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(spawn_error)?;
        let stdin = child.stdin.take();
        let console: Shared = Arc::default();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let reader = {
            let console = Arc::clone(&console);
            std::thread::spawn(move || read_console(stdout, stderr, file, &console))
        };
        Ok(Self {
            child,
            stdin,
            console,
            reader: Some(reader),
            command: command_line,
            log,
            cursor: 0,
            watchdog: None,
        })
    }

    /// Arms `watchdog`: from now on every `expect` fails as soon as the guest
    /// has been silent for its time or prints one of its fatal lines.
    pub fn watch(&mut self, watchdog: Watchdog) {
        self.watchdog = Some(watchdog);
    }

    /// Types `text` into the serial console.
    pub fn send(&mut self, text: &str) -> Result<(), HarnessError> {
        self.send_bytes(text.as_bytes())
    }

    /// Types `bytes`, text or not, into the serial console.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), HarnessError> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| HarnessError::Io(std::io::ErrorKind::BrokenPipe.into()))?;
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .map_err(HarnessError::Io)
    }

    /// Waits for QEMU to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.finish_reader();
                    return Ok(ExitStatus {
                        code: status.code(),
                    });
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    return Err(
                        self.unmet("QEMU to exit", format!("still running after {timeout:?}"))
                    );
                }
                Err(e) => return Err(HarnessError::Io(e)),
            }
        }
    }

    /// All serial lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lock().lines.clone()
    }

    /// The QEMU command line.
    pub fn command_line(&self) -> &str {
        &self.command
    }

    fn lock(&self) -> MutexGuard<'_, Console> {
        self.console.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the process group this machine created;
            // it has no memory-safety preconditions.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader thread ends by itself when the console pipes close;
        // it is not joined here, so a stray process holding them open can
        // never hang a test.
    }
}

/// Copies QEMU's stdout (the serial console) and stderr into the log and
/// the line buffer until both close.
fn read_console(
    stdout: Option<impl Read>,
    stderr: Option<impl Read + Send + 'static>,
    mut file: File,
    console: &Shared,
) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let err_thread = stderr.map(|mut stderr| {
        let errors = Arc::clone(&errors);
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            *errors.lock().unwrap_or_else(|p| p.into_inner()) = buf;
        })
    });
    if let Some(mut stdout) = stdout {
        let mut buf = [0u8; 4096];
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let _ = file.write_all(&buf[..n]);
            let _ = file.flush();
            push_bytes(console, &buf[..n]);
        }
    }
    if let Some(thread) = err_thread {
        let _ = thread.join();
    }
    let stderr_bytes = std::mem::take(&mut *errors.lock().unwrap_or_else(|p| p.into_inner()));
    let (lock, ready) = &**console;
    let mut c = lock.lock().unwrap_or_else(|p| p.into_inner());
    if !c.partial.is_empty() {
        let last = std::mem::take(&mut c.partial);
        c.lines.push(String::from_utf8_lossy(&last).into_owned());
    }
    for line in String::from_utf8_lossy(&stderr_bytes).lines() {
        let _ = writeln!(file, "[qemu stderr] {line}");
        c.lines.push(format!("[qemu stderr] {line}"));
    }
    c.closed = true;
    ready.notify_all();
}

fn push_bytes(console: &Shared, bytes: &[u8]) {
    let (lock, ready) = &**console;
    let mut c = lock.lock().unwrap_or_else(|p| p.into_inner());
    c.last_output = Instant::now();
    for &b in bytes {
        match b {
            b'\n' => {
                let line = std::mem::take(&mut c.partial);
                c.lines.push(String::from_utf8_lossy(&line).into_owned());
            }
            b'\r' => {}
            _ => c.partial.push(b),
        }
    }
    ready.notify_all();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A machine that runs `script` in `sh` (for the harness's own tests).
    pub(crate) fn shell(script: &str, name: &str) -> Machine {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Machine::spawn(command, format!("sh -c '{script}'"), name).expect("sh starts")
    }

    #[test]
    fn typed_text_comes_back_in_order() {
        let mut m = shell("cat", "harness_echo");
        m.send("first line\nsecond").unwrap();
        m.send(" line\n").unwrap();
        assert_eq!(
            m.expect("first", Duration::from_secs(10)).unwrap(),
            "first line"
        );
        assert_eq!(
            m.expect("line", Duration::from_secs(10)).unwrap(),
            "second line"
        );
        // Consumed lines are not matched again.
        assert!(m.expect("first", Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_miss_reports_the_tail_and_command_line() {
        let mut m = shell(
            "for i in $(seq 1 80); do echo line $i; done; sleep 30",
            "harness_miss",
        );
        let err = m
            .expect("never printed", Duration::from_millis(500))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not seen within"), "{err}");
        assert!(err.contains("last 50 serial lines"), "{err}");
        assert!(
            err.contains("line 80") && err.contains("line 31") && !err.contains("line 30\n"),
            "{err}"
        );
        assert!(err.contains("sh -c"), "{err}");
    }

    #[test]
    fn early_exit_and_exit_codes_are_reported() {
        let mut m = shell("echo bye; exit 35", "harness_exit");
        let err = m
            .expect("never printed", Duration::from_secs(10))
            .unwrap_err()
            .to_string();
        assert!(err.contains("exited first"), "{err}");
        assert_eq!(
            m.wait_exit(Duration::from_secs(10)).unwrap().debug_exit(),
            Some(ExitCode::Failure)
        );
    }

    #[test]
    fn dropping_kills_the_process() {
        let m = shell("sleep 600", "harness_kill");
        let pid = m.child.id();
        drop(m);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} still exists"
        );
    }

    #[test]
    fn dropping_kills_what_the_process_started() {
        let mut m = shell("sleep 600 & echo forked $!; wait", "harness_kill_group");
        let line = m.expect("forked", Duration::from_secs(10)).unwrap();
        let pid: u32 = line.trim_start_matches("forked ").parse().unwrap();
        drop(m);
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        });
        assert!(gone, "grandchild {pid} survived the machine");
    }
}
