//! System calls (numbers and registers: `abi::syscall`).

use abi::cspace::CPtr;
use abi::error::SysError;
use abi::syscall;
use core::arch::asm;

/// Results of a successful call (`rdi, rsi, rdx, r10, r8, r9`).
pub type Values = [u64; 6];

/// Makes system call `number` with up to six arguments.
pub fn call(number: u64, args: [u64; 6]) -> Result<Values, SysError> {
    let status: u64;
    let mut out = args;
    // SAFETY: `syscall` only clobbers rcx and r11 (declared) and the
    // registers the ABI uses for results (all declared as outputs); the
    // kernel validates every argument.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") out[0],
            inlateout("rsi") out[1],
            inlateout("rdx") out[2],
            inlateout("r10") out[3],
            inlateout("r8") out[4],
            inlateout("r9") out[5],
            out("rcx") _,
            out("r11") _,
            options(nostack)
        );
    }
    SysError::from_code(status).map(|()| out)
}

/// Invokes the capability at `cptr` with operation word `op` and four
/// arguments.
pub fn invoke(cptr: CPtr, op: u64, args: [u64; 4]) -> Result<Values, SysError> {
    call(
        syscall::INVOKE,
        [u64::from(cptr.0), op, args[0], args[1], args[2], args[3]],
    )
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    let _ = call(syscall::YIELD, [0; 6]);
}

/// Blocks until a message arrives on any ring or `deadline_ns` (0: none)
/// passes; returns whether the deadline passed.
pub fn wait(deadline_ns: u64) -> bool {
    wait_rings(deadline_ns, 0)
}

/// Blocks until a message arrives on one of the rings in the bit mask
/// `rings` (0: any) or `deadline_ns` (0: none) passes; returns whether the
/// deadline passed.
pub fn wait_rings(deadline_ns: u64, rings: u64) -> bool {
    call(syscall::WAIT, [deadline_ns, rings, 0, 0, 0, 0]).is_ok_and(|v| v[0] == 1)
}

/// Writes text to the kernel console.
pub fn debug_print(text: &[u8]) -> Result<(), SysError> {
    for chunk in text.chunks(syscall::MAX_PRINT as usize) {
        call(
            syscall::DEBUG_PRINT,
            [chunk.as_ptr() as u64, chunk.len() as u64, 0, 0, 0, 0],
        )?;
    }
    Ok(())
}

/// Nanoseconds since machine reset (valid on every core).
pub fn time_ns() -> u64 {
    call(syscall::TIME, [0; 6]).map_or(0, |v| v[0])
}

/// Sleeps until `deadline_ns` (messages that arrive meanwhile stay queued).
pub fn sleep_until(deadline_ns: u64) {
    while time_ns() < deadline_ns {
        wait(deadline_ns);
    }
}

/// From an upcall handler: continues where the dispatcher was when the
/// upcall was made (the enabled save area).
pub fn resume() -> ! {
    loop {
        let _ = call(syscall::RESUME, [0; 6]);
    }
}

/// Ends this dispatcher with `code`.
pub fn exit(code: u64) -> ! {
    loop {
        let _ = call(syscall::EXIT, [code, 0, 0, 0, 0, 0]);
    }
}

/// The time-stamp counter (the same clock on every core; `rdtsc` is allowed
/// in user mode).
pub fn tsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter; the kernel leaves CR4.TSD
    // clear so that it works in ring 3.
    unsafe { core::arch::x86_64::_rdtsc() }
}
