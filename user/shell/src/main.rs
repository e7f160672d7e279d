//! `shell`: the interactive console. It reads lines typed on the serial
//! line (through the serial driver), hands each command to init's process
//! manager, and prints the answer. The commands themselves (`help`, `ps`,
//! `run`, `kill`, `mem`, `caps`) are init's: the shell is only the
//! terminal.

#![no_std]
#![no_main]

extern crate alloc;

use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::procmgr::{self, Answer};
use corefish::proto::serial::{Message, Text};
use corefish::{lmp, println, vspace};

corefish::entry!(main);

/// Ring typed input arrives on.
const INPUT_RING: usize = 2;
/// Longest command line.
const LINE_MAX: usize = 256;
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
    let mut line = [0u8; LINE_MAX];
    let mut len = 0;
    loop {
        let message = lmp::recv(INPUT_RING);
        let Ok(Message::Input(typed)) = Message::from_words(message.words) else {
            continue;
        };
        for &byte in typed.as_bytes() {
            match byte {
                b'\r' | b'\n' => {
                    console.write(b"\n");
                    if len > 0 {
                        run_command(&console, init, shared.bytes_mut(), &line[..len]);
                    }
                    len = 0;
                    console.write(PROMPT);
                }
                0x08 | 0x7f if len > 0 => {
                    len -= 1;
                    console.write(b"\x08 \x08");
                }
                0x20..=0x7e if len < LINE_MAX => {
                    line[len] = byte;
                    len += 1;
                    console.write(&[byte]);
                }
                _ => {}
            }
        }
    }
}

/// Sends one command line to init and prints the answer.
fn run_command(console: &Console, init: Cap<kind::EndPoint>, shared: &mut [u8], line: &[u8]) {
    let n = line.len().min(shared.len());
    shared[..n].copy_from_slice(&line[..n]);
    let request = procmgr::Request::Command { len: n as u64 };
    let reply = lmp::call(init, request.to_words()).map(|r| procmgr::Reply::from_words(r.words));
    match reply {
        Ok(Ok(procmgr::Reply::Command(Ok(Answer { len, .. })))) => {
            console.write(&shared[..(len as usize).min(shared.len())]);
        }
        Ok(Ok(procmgr::Reply::Command(Err(e)))) => say(console, "shell: init: ", e.describe()),
        Ok(_) => console.write(b"shell: unexpected answer from init\n"),
        Err(e) => say(console, "shell: init: ", e.describe()),
    }
}

/// Writes `prefix`, `what` and a new line.
fn say(console: &Console, prefix: &str, what: &str) {
    console.write(alloc::format!("{prefix}{what}\n").as_bytes());
}
