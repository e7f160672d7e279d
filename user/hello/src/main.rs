//! `hello`: prints its arguments and its dispatcher id, and exits with the
//! number of arguments.

#![no_std]
#![no_main]

use corefish::println;

corefish::entry!(main);

fn main() -> i32 {
    let args = corefish::args();
    println!(
        "hello: dispatcher {} on core {}, args `{args}`",
        corefish::dispatcher_id(),
        corefish::core_id()
    );
    args.split_whitespace().count() as i32
}
