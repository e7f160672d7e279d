//! `shell`: the interactive console. It reads lines typed on the serial
//! line (through the serial driver), hands each command to init's process
//! manager, and prints the answer. The commands themselves (`help`, `ps`,
//! `run`, `kill`, `mem`, `caps`) are init's: the shell is only the
//! terminal.

#![no_std]
#![no_main]

use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::{procmgr, serial};
use corefish::{lmp, println, vspace};

corefish::entry!(main);

/// Ring typed input arrives on.
const INPUT_RING: usize = 2;
/// Longest command line.
const LINE_MAX: usize = 256;
const PROMPT: &[u8] = b"corefish> ";

/// Output through the serial driver, 24 bytes per message.
struct Console(Cap<kind::EndPoint>);

impl Console {
    fn write(&self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = bytes.len().min(24);
            let [a, b, c] = serial::pack(&bytes[..n]);
            let _ = lmp::send(self.0, [serial::WRITE | ((n as u64) << 16), a, b, c], None);
            bytes = &bytes[n..];
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
    let connected = lmp::send(init, [procmgr::CONNECT, 0, 0, 0], Some(page))
        .and_then(|()| lmp::endpoint_to_self(INPUT_RING))
        .and_then(|input| lmp::send(console.0, [serial::LISTEN, 0, 0, 0], Some(input.cptr())));
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
        if message.words[0] & 0xffff != serial::INPUT {
            continue;
        }
        let mut typed = [0u8; 24];
        let n = serial::unpack(
            &message.words[1..],
            (message.words[0] >> 16) as usize,
            &mut typed,
        );
        for &byte in &typed[..n] {
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
    match lmp::call(init, [procmgr::COMMAND, n as u64, 0, 0]) {
        Ok(reply) if reply.words[0] == procmgr::REPLY => {
            let answer = (reply.words[2] as usize).min(shared.len());
            console.write(&shared[..answer]);
        }
        Ok(_) => console.write(b"shell: unexpected answer from init\n"),
        Err(e) => {
            let mut text = [0u8; 64];
            let msg = e.describe().as_bytes();
            let m = msg.len().min(40);
            text[..13].copy_from_slice(b"shell: init: ");
            text[13..13 + m].copy_from_slice(&msg[..m]);
            text[13 + m] = b'\n';
            console.write(&text[..14 + m]);
        }
    }
}
