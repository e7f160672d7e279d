//! `init`: the first program of the first OSNode. The CPU driver starts it
//! with capabilities to all free RAM, the boot archive and the devices; it
//! starts everything else.

#![no_std]
#![no_main]

use corefish::abi::cspace::{init, task};
use corefish::abi::dispatcher::EXIT_MESSAGE;
use corefish::cap::{Cap, kind};
use corefish::{lmp, println, spawn, vspace};

corefish::entry!(main);

fn main() -> i32 {
    println!("init: hello from user space");
    let archive_cap = Cap::<kind::Frame>::at(init::ARCHIVE);
    let size = match archive_cap.identify() {
        Ok(id) => id.size,
        Err(e) => {
            println!("init: no boot archive: {e}");
            return 1;
        }
    };
    let mapping = match vspace::map(init::ARCHIVE, size, 0) {
        Ok(m) => m,
        Err(e) => {
            println!("init: cannot map the boot archive: {e}");
            return 1;
        }
    };
    let archive = match bootarchive::Archive::parse(mapping.bytes()) {
        Ok(a) => a,
        Err(e) => {
            println!("init: bad boot archive: {e}");
            return 1;
        }
    };
    println!("init: boot archive has {} modules", archive.len());
    let Some(hello) = archive.get("hello") else {
        println!("init: no hello module");
        return 1;
    };
    let me = match lmp::endpoint_to_self(lmp::INBOX) {
        Ok(ep) => ep,
        Err(e) => {
            println!("init: no endpoint: {e}");
            return 1;
        }
    };
    let spec = spawn::Spec {
        name: "hello",
        image: hello.data,
        args: "from init",
        ram_bytes: 1 << 20,
        caps: &[],
        exit_endpoint: Some(me.cptr()),
    };
    match spawn::spawn(&spec) {
        Ok(child) => {
            println!("init: spawned hello as dispatcher {}", child.id);
            let message = lmp::recv(lmp::INBOX);
            if message.words[0] == EXIT_MESSAGE {
                println!(
                    "init: dispatcher {} ended (kind {}) with code {}",
                    message.words[2], message.words[1], message.words[3]
                );
            }
            match child.kill() {
                Ok(()) => println!("init: cleaned up hello"),
                Err(e) => println!("init: cleanup failed: {e}"),
            }
        }
        Err(e) => println!("init: spawn failed: {e}"),
    }
    let _ = task::SELF_ENDPOINT;
    0
}
