//! `holder`: the child of `confine`. It maps the frame it was given,
//! reports what it reads there, then keeps reading it until that faults
//! (when `confine` revokes the frame).

#![no_std]
#![no_main]

use corefish::abi::cspace::{CPtr, root};
use corefish::cap::{Cap, kind};
use corefish::{lmp, println, sys, vspace};

corefish::entry!(main);

const FRAME_SLOT: u32 = 40;
const REPORT_SLOT: u32 = 41;
const READY: u64 = 0xc0f1;

fn main() -> i32 {
    let mapping = match vspace::map(CPtr::new(root::TASK, FRAME_SLOT), 4096, 0) {
        Ok(m) => m,
        Err(e) => {
            println!("holder: cannot map the frame: {e}");
            return 1;
        }
    };
    let read = |m: &vspace::Mapping| {
        let p = m.vaddr as *const u64;
        // SAFETY: the frame is mapped at `vaddr` until confine revokes it;
        // after that this read faults, which is what this program is for.
        unsafe { p.read_volatile() }
    };
    let report = Cap::<kind::EndPoint>::at(CPtr::new(root::TASK, REPORT_SLOT));
    if lmp::send(report, [READY, read(&mapping), 0, 0], None).is_err() {
        return 2;
    }
    let mut reads = 0u64;
    loop {
        sys::sleep_until(sys::time_ns() + 1_000_000);
        reads = reads.wrapping_add(read(&mapping) & 1);
        if reads == u64::MAX {
            println!("holder: {reads}");
        }
    }
}
