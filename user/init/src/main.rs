//! `init`: the first program of the first OSNode. The CPU driver starts it
//! with capabilities to all free RAM, the boot archive and the devices. It
//! starts the services (the memory server, the serial driver, the shell)
//! and then serves as the process manager: it spawns programs from the
//! boot archive, tracks them, and answers the shell's commands.

#![no_std]
#![no_main]

extern crate alloc;

mod archive;
mod commands;
mod procs;
mod services;

use corefish::{lmp, println};

corefish::entry!(main);

fn main() -> i32 {
    println!("init: hello from user space");
    let archive = match archive::Modules::map() {
        Ok(a) => a,
        Err(e) => {
            println!("init: cannot read the boot archive: {e}");
            return 1;
        }
    };
    let mut procs = match procs::Procs::new() {
        Ok(p) => p,
        Err(e) => {
            println!("init: cannot make its endpoint: {e}");
            return 1;
        }
    };
    if let Err(e) = services::start(&mut procs, &archive) {
        println!("init: cannot start the services: {e}");
    }
    loop {
        let message = lmp::recv(lmp::INBOX);
        procs.handle(message, &archive);
    }
}
