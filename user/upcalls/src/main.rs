//! `upcalls`: handles its own faults through upcalls. A page-fault handler
//! maps a fresh frame where the program touched unmapped memory, then the
//! interrupted write is retried; a trap handler skips a `ud2` by advancing
//! the saved instruction pointer. Prints `upcalls: ok: ...` or
//! `upcalls: FAILED: ...`.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use corefish::abi::dispatcher::Registers;
use corefish::abi::layout::HEAP_BASE;
use corefish::{ObjType, println, ram, upcall, vspace};

corefish::entry!(main);

/// An address nothing maps until the page-fault handler does.
const LAZY: u64 = HEAP_BASE + (6 << 30);
static PAGE_FAULTS: AtomicU64 = AtomicU64::new(0);
static TRAPS: AtomicU64 = AtomicU64::new(0);

fn on_page_fault(address: u64, _error: u64) -> bool {
    PAGE_FAULTS.fetch_add(1, Ordering::Relaxed);
    if address & !0xfff != LAZY {
        return false;
    }
    let Ok(frame) = ram::alloc(ObjType::Frame, 4096) else {
        return false;
    };
    // The mapping stays for the program's life.
    vspace::map_at(LAZY, frame, 4096, corefish::abi::invoke::MAP_WRITE)
        .map(core::mem::forget)
        .is_ok()
}

fn on_trap(vector: u64, _error: u64, regs: &mut Registers) -> bool {
    TRAPS.fetch_add(1, Ordering::Relaxed);
    // #UD from `ud2`: skip its two bytes.
    if vector != 6 {
        return false;
    }
    regs.rip += 2;
    true
}

fn main() -> i32 {
    upcall::set_handlers(Some(on_page_fault), Some(on_trap));
    let p = LAZY as *mut u64;
    // SAFETY: LAZY is unmapped: the write faults, the handler maps a fresh
    // frame there and the write is retried; nothing else uses that page.
    let value = unsafe {
        p.write_volatile(0x0ddc_0ffe);
        p.read_volatile()
    };
    // SAFETY: `ud2` raises #UD; the trap handler skips it.
    unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    let (faults, traps) = (
        PAGE_FAULTS.load(Ordering::Relaxed),
        TRAPS.load(Ordering::Relaxed),
    );
    if value == 0x0ddc_0ffe && faults == 1 && traps == 1 {
        println!(
            "upcalls: ok: a page fault at {LAZY:#x} was handled by mapping a frame, and a trap by skipping `ud2`"
        );
        0
    } else {
        println!("upcalls: FAILED: value {value:#x}, {faults} page faults, {traps} traps");
        1
    }
}
