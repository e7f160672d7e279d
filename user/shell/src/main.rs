//! `shell`: the interactive console. It reads lines typed on the serial
//! line (through the serial driver), hands each command to init's process
//! manager, and prints the answer. The commands themselves (`help`, `ps`,
//! `run`, `kill`, `mem`, `caps`) are init's: the shell is only the
//! terminal. Its endpoints to init and to the serial driver are badged as
//! the shell's, which is what lets it command init and listen to the
//! console. A line takes printable characters only (anything else typed is
//! ignored) and at most [`LINE_MAX`] of them: a longer one is refused whole
//! with `line too long`, whatever its length.

#![no_std]
#![no_main]

extern crate alloc;

use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::procmgr;
use corefish::proto::serial::{Message, Text};
use corefish::{lmp, println, vspace};

corefish::entry!(main);

/// Ring typed input arrives on.
const INPUT_RING: usize = 2;
/// Longest command line; a longer one is refused whole.
const LINE_MAX: usize = 1024;
const PROMPT: &[u8] = b"corefish> ";

/// Output through the serial driver, a message per piece of text.
struct Console(Cap<kind::EndPoint>);

impl Console {
    fn write(&self, bytes: &[u8]) {
        for text in Text::split(bytes) {
            let _ = lmp::send(self.0, Message::Write(text).to_words(), None);
        }
    }
}

/// The line being typed.
struct Line {
    bytes: [u8; LINE_MAX],
    len: usize,
    /// More was typed than fits: the line is refused at its end.
    too_long: bool,
}

/// What a typed byte did to the line.
enum Typed {
    /// Echo these bytes.
    Echo(&'static [u8]),
    /// Echo the byte itself.
    EchoByte,
    /// The line ended.
    End,
    /// Nothing (a control character, or a byte that is not text).
    Nothing,
}

impl Line {
    fn take(&mut self, byte: u8) -> Typed {
        match byte {
            b'\r' | b'\n' => Typed::End,
            0x08 | 0x7f if self.len > 0 && !self.too_long => {
                self.len -= 1;
                Typed::Echo(b"\x08 \x08")
            }
            0x20..=0x7e if self.too_long => Typed::Nothing,
            0x20..=0x7e if self.len == LINE_MAX => {
                self.too_long = true;
                Typed::Nothing
            }
            0x20..=0x7e => {
                self.bytes[self.len] = byte;
                self.len += 1;
                Typed::EchoByte
            }
            _ => Typed::Nothing,
        }
    }
}

fn main() -> i32 {
    let console = Console(Cap::at(task::SERIAL_ENDPOINT));
    let init = Cap::<kind::EndPoint>::at(task::PARENT_ENDPOINT);
    let Ok((page, mut shared)) = vspace::map_writable(4096) else {
        println!("shell: no memory for the shared page");
        return 1;
    };
    let connected = lmp::send(init, procmgr::Request::Connect.to_words(), Some(page))
        .and_then(|()| lmp::endpoint_to_self(INPUT_RING))
        .and_then(|input| lmp::send(console.0, Message::Listen.to_words(), Some(input.cptr())));
    if let Err(e) = connected {
        println!("shell: cannot reach init or the serial driver: {e}");
        return 1;
    }
    console.write(b"Corefish shell; type `help`.\n");
    console.write(PROMPT);
    let mut line = Line {
        bytes: [0; LINE_MAX],
        len: 0,
        too_long: false,
    };
    loop {
        let message = lmp::recv(INPUT_RING);
        let typed = match Message::from_words(message.words) {
            Ok(Message::Input(typed)) => typed,
            Ok(Message::Listening(Err(e))) => {
                say(&console, "shell: the serial driver: ", e.describe());
                continue;
            }
            _ => continue,
        };
        // What this piece echoes goes out at once.
        let mut echo = alloc::vec::Vec::new();
        for &byte in typed.as_bytes() {
            match line.take(byte) {
                Typed::Echo(bytes) => echo.extend_from_slice(bytes),
                Typed::EchoByte => echo.push(byte),
                Typed::Nothing => {}
                Typed::End => {
                    echo.push(b'\n');
                    console.write(&echo);
                    echo.clear();
                    if line.too_long {
                        let why = alloc::format!("at most {LINE_MAX} characters; ignored");
                        say(&console, "shell: line too long: ", &why);
                    } else if line.len > 0 {
                        run_command(&console, init, shared.bytes_mut(), &line.bytes[..line.len]);
                    }
                    line.len = 0;
                    line.too_long = false;
                    console.write(PROMPT);
                }
            }
        }
        console.write(&echo);
    }
}

/// Sends one command line to init and prints the answer, every piece of
/// it as it comes.
fn run_command(console: &Console, init: Cap<kind::EndPoint>, shared: &mut [u8], line: &[u8]) {
    let ran = corefish::commands::run(init, shared, line, |piece| console.write(piece));
    if let Err(e) = ran {
        say(console, "shell: init: ", e.describe());
    }
}

/// Writes `prefix`, `what` and a new line.
fn say(console: &Console, prefix: &str, what: &str) {
    console.write(alloc::format!("{prefix}{what}\n").as_bytes());
}
