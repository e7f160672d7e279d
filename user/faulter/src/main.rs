//! `faulter KIND`: commits the fault named by its argument, so tests can
//! check that the kernel kills it with a clear report and the rest of the
//! system carries on. Kinds: `pagefault` (read an unmapped address),
//! `write-code` (write to its own read-only code), `divide` (divide by
//! zero), `privileged` (execute `hlt`), `kernel` (read kernel memory), `io`
//! (touch COM1's ports without an I/O capability), `invalid` (`ud2`).

#![no_std]
#![no_main]

use core::arch::asm;
use corefish::println;

corefish::entry!(main);

fn main() -> i32 {
    let kind = corefish::args().trim();
    println!("faulter: about to commit `{kind}`");
    // SAFETY: not sound by design: each arm faults, and the kernel kills
    // this program before anything else happens.
    unsafe {
        match kind {
            "pagefault" => {
                let v = (0x1000 as *const u64).read_volatile();
                println!("faulter: read {v}");
            }
            "write-code" => {
                let code = main as *const () as *mut u8;
                code.write_volatile(0xcc);
            }
            "divide" => {
                asm!("xor edx, edx", "xor ecx, ecx", "mov eax, 1", "div ecx", out("eax") _, out("edx") _, out("ecx") _)
            }
            "privileged" => asm!("hlt"),
            "kernel" => {
                let v = (0xffff_8000_0010_0000u64 as *const u64).read_volatile();
                println!("faulter: read kernel memory {v}");
            }
            "io" => asm!("in al, dx", in("dx") 0x3f8u16, out("al") _),
            "invalid" => asm!("ud2"),
            other => {
                println!("faulter: unknown kind `{other}`");
                return 2;
            }
        }
    }
    println!("faulter: survived `{kind}`: this must not happen");
    1
}
