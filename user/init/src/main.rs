//! `init`: the first program of the first OSNode. The CPU driver starts it
//! with capabilities to all free RAM, the boot archive and the devices; it
//! starts everything else.

#![no_std]
#![no_main]

use corefish::abi::cspace::{init, task};
use corefish::cap::{Cap, kind};
use corefish::println;

corefish::entry!(main);

fn main() -> i32 {
    println!("init: hello from user space");
    let me = Cap::<kind::Dispatcher>::at(task::DISPATCHER);
    match me.identify() {
        Ok(id) => println!("init: my dispatcher: {:?} at {:#x}", id.ty, id.base),
        Err(e) => println!("init: identify failed: {e}"),
    }
    let ram = Cap::<kind::Ram>::at(corefish::CPtr::new(init::RAM_CNODE, 0));
    match ram.identify() {
        Ok(id) => println!(
            "init: first RAM region {:#x} + {} KiB",
            id.base,
            id.size >> 10
        ),
        Err(e) => println!("init: no RAM: {e}"),
    }
    0
}
