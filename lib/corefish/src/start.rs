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

/// A panic ends the program: one that comes from an allocation the heap
/// could not meet (Rust's default handler panics then) as out of memory,
/// named with the program, its core and the size; any other with
/// [`proto::ending::PANIC_CODE`].
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if let Some(bytes) = crate::heap::failed_allocation().filter(|_| allocation_failed(info)) {
        println!(
            "{} on core {}: out of memory ({} could not be had)",
            crate::name(),
            crate::core_id(),
            proto::ending::Size(bytes)
        );
        sys::exit(proto::ending::out_of_memory_code(bytes))
    }
    println!("panic: {info}");
    sys::exit(proto::ending::PANIC_CODE)
}

/// Whether `info` is the panic of Rust's default allocation-error handler
/// (`memory allocation of N bytes failed`), not another panic that came
/// after a failure the program handled.
fn allocation_failed(info: &core::panic::PanicInfo<'_>) -> bool {
    use core::fmt::Write;
    let mut text = arrayvec::ArrayString::<32>::new();
    // A message longer than the buffer is cut: its start is what counts.
    let _ = write!(text, "{}", info.message());
    text.starts_with("memory allocation of")
}
