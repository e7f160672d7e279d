//! QEMU's human monitor on a Unix socket, for what the serial console
//! cannot show: the screen (`screendump`).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::HarnessError;

/// A monitor socket for one machine.
#[derive(Debug, Clone)]
pub struct Monitor {
    socket: PathBuf,
}

impl Monitor {
    /// A monitor at `socket` (a stale file there is removed).
    pub fn at(socket: impl Into<PathBuf>) -> Self {
        let socket = socket.into();
        let _ = std::fs::remove_file(&socket);
        Self { socket }
    }

    /// The QEMU arguments that open it (QEMU listens; nobody must connect
    /// before the machine runs).
    pub fn args(&self) -> Vec<String> {
        vec![
            "-chardev".into(),
            format!(
                "socket,id=monitor,path={},server=on,wait=off",
                self.socket.display()
            ),
            "-mon".into(),
            "chardev=monitor,mode=readline".into(),
        ]
    }

    /// Runs one monitor command and returns what the monitor answered up
    /// to its next prompt.
    pub fn command(&self, line: &str, timeout: Duration) -> Result<String, HarnessError> {
        let mut stream = UnixStream::connect(&self.socket).map_err(HarnessError::Io)?;
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(HarnessError::Io)?;
        let mut answer = Vec::new();
        let deadline = Instant::now() + timeout;
        let mut sent = false;
        let mut buffer = [0u8; 4096];
        while Instant::now() < deadline {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(HarnessError::Io(e)),
            }
            let text = String::from_utf8_lossy(&answer);
            let prompts = text.matches("(qemu) ").count();
            if !sent && prompts >= 1 {
                stream
                    .write_all(format!("{line}\n").as_bytes())
                    .map_err(HarnessError::Io)?;
                sent = true;
            } else if sent && prompts >= 2 {
                return Ok(text.into_owned());
            }
        }
        Err(HarnessError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the monitor did not answer `{line}`"),
        )))
    }

    /// Types `text` on the machine's PS/2 keyboard (`sendkey`, one key at
    /// a time; `\r` is Enter). Only characters a US keyboard types without
    /// Alt are accepted.
    pub fn type_keys(&self, text: &str, timeout: Duration) -> Result<(), HarnessError> {
        for c in text.chars() {
            let key = qemu_key(c).ok_or_else(|| {
                HarnessError::Io(std::io::Error::other(format!("no key types {c:?}")))
            })?;
            self.command(&format!("sendkey {key}"), timeout)?;
        }
        Ok(())
    }

    /// The screen as a binary PPM (`P6`), written by QEMU to `file`.
    pub fn screendump(&self, file: &Path, timeout: Duration) -> Result<Vec<u8>, HarnessError> {
        let _ = std::fs::remove_file(file);
        self.command(&format!("screendump {}", file.display()), timeout)?;
        std::fs::read(file).map_err(HarnessError::Io)
    }
}

/// QEMU's name for the key (with Shift) that types `c`.
fn qemu_key(c: char) -> Option<String> {
    const NAMED: &[(char, &str)] = &[
        (' ', "spc"),
        ('\r', "ret"),
        ('-', "minus"),
        ('=', "equal"),
        ('.', "dot"),
        (',', "comma"),
        ('/', "slash"),
        (';', "semicolon"),
        ('_', "shift-minus"),
    ];
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        return Some(c.to_string());
    }
    if c.is_ascii_uppercase() {
        return Some(format!("shift-{}", c.to_ascii_lowercase()));
    }
    NAMED
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, name)| (*name).to_string())
}
