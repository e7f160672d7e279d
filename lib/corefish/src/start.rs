//! Program start and end: the entry point the spawner (or the kernel, for
//! init) starts at, and the panic handler.

use crate::{println, sys};

unsafe extern "Rust" {
    /// The program's main, defined by [`crate::entry!`].
    fn corefish_main() -> i32;
}

/// The entry point: aligns the stack and calls [`start`].
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "and rsp, -16",
        "xor ebp, ebp",
        "call {start}",
        "ud2",
        start = sym start,
    )
}

extern "C" fn start() -> ! {
    // The program's own RAM, if its spawner gave it some.
    let _ = crate::ram::add(abi::cspace::task::INITIAL_RAM);
    crate::lmp::init();
    // SAFETY: `corefish_main` is defined by the program through `entry!`
    // with this exact signature.
    let code = unsafe { corefish_main() };
    sys::exit(code as u64)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("panic: {info}");
    sys::exit(101)
}
