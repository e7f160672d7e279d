//! The CPU driver's entry point.
//!
//! A starter jumps here in long mode with interrupts off and `rdi` holding
//! the direct-map address of the boot parameters (contract in
//! `bootproto::params`). The entry switches to this image's boot stack and
//! calls [`crate::kernel_main`]; nothing else happens in assembly.

use crate::arch::stack::{BOOT_STACK, STACK_SIZE};

/// The image's entry point (named in `link.ld`).
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.entry")]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        // The preamble boot drivers check (`bootproto::starter::check_entry`).
        "jmp 3f",
        ".ascii \"CFCPUDRV\"",
        ".long {version}",
        ".short {kcb_oldest}",
        ".short {kcb_newest}",
        "3: cli",
        "cld",
        "lea rsp, [rip + {stack} + {size}]",
        "xor ebp, ebp",
        // rdi (the boot parameters) passes through untouched.
        "call {main}",
        "2: cli",
        "hlt",
        "jmp 2b",
        stack = sym BOOT_STACK,
        size = const STACK_SIZE,
        main = sym crate::kernel_main,
        version = const bootproto::params::BOOT_PARAMS_VERSION,
        kcb_oldest = const osnode::kcb::OLDEST_CONVERTIBLE,
        kcb_newest = const osnode::kcb::KCB_VERSION,
    )
}

/// The starter's boot-parameter page.
fn params_page(ptr: *const bootproto::params::BootParams) -> &'static mut [u8] {
    // SAFETY: the entry contract makes `ptr` the direct-map address of a
    // boot-parameter page (PARAMS_PAGE bytes) that the starter gave this
    // kernel; it is read at entry and written only for acknowledgements.
    unsafe { core::slice::from_raw_parts_mut(ptr as *mut u8, bootproto::params::PARAMS_PAGE) }
}

/// The boot-parameter page this kernel was started with (for later acks).
static PARAMS_PAGE: core::sync::atomic::AtomicPtr<bootproto::params::BootParams> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// Remembers where the boot parameters are, for [`ack_stopped`].
pub fn remember_params(ptr: *const bootproto::params::BootParams) {
    PARAMS_PAGE.store(ptr.cast_mut(), core::sync::atomic::Ordering::Relaxed);
}

/// Counts an IPI received, in the boot-parameter page's counters (for the
/// boot driver that started this kernel; the first core's kernel has none).
pub fn count_ipi() {
    let ptr = PARAMS_PAGE.load(core::sync::atomic::Ordering::Relaxed);
    if ptr.is_null() {
        return;
    }
    let at = bootproto::params::COUNTERS_OFFSET + bootproto::params::COUNTER_IPIS * 8;
    let word = ptr.cast::<u8>().wrapping_add(at).cast::<u64>();
    // SAFETY: `word` is 8-aligned inside this kernel's page-aligned boot-parameter page (entry
    // contract); the starter only reads it atomically, and no reference to it is alive.
    let counter = unsafe { core::sync::atomic::AtomicU64::from_ptr(word) };
    counter.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// Jumps to another CPU driver's entry point with its boot parameters (the
/// entry contract: long mode, interrupts off, `rdi` = the parameters'
/// direct-map address); used to replace this core's kernel in place.
pub fn enter_kernel(entry: u64, params: u64) -> ! {
    // Interrupts are off and this kernel's page tables map the whole direct map, where the image
    // lies; nothing of this kernel is used afterwards.
    // SAFETY: KERNEL_REPLACE checked `entry` (a CPU driver preamble inside the image its valid
    // parameters `params` name, in one region of memory) before calling this.
    unsafe {
        core::arch::asm!(
            "cli",
            "jmp {entry}",
            entry = in(reg) entry,
            in("rdi") params,
            options(noreturn)
        )
    }
}

/// Reports in the boot-parameter page that the real-time kernel's program
/// ended with `code`.
pub fn ack_finished(code: u64) {
    let ptr = PARAMS_PAGE.load(core::sync::atomic::Ordering::Relaxed);
    if ptr.is_null() {
        return;
    }
    let mut ack = bootproto::params::BootAck::decode(params_page(ptr));
    ack.stage = bootproto::params::ACK_FINISHED;
    ack.tsc_stopped = cpu::instr::rdtsc();
    ack.exit_code = code;
    write_ack(ptr, &ack);
}

/// Reports in the boot-parameter page that this kernel stopped.
pub fn ack_stopped() {
    let ptr = PARAMS_PAGE.load(core::sync::atomic::Ordering::Relaxed);
    if ptr.is_null() {
        return;
    }
    let mut ack = bootproto::params::BootAck::decode(params_page(ptr));
    ack.stage = bootproto::params::ACK_STOPPED;
    ack.tsc_stopped = cpu::instr::rdtsc();
    write_ack(ptr, &ack);
}

/// Reads the boot parameters out of the starter's page.
pub fn read_boot_params(
    ptr: *const bootproto::params::BootParams,
) -> bootproto::params::BootParams {
    bootproto::params::BootParams::decode(params_page(ptr))
}

/// Reports progress to the starter in the boot-parameter page: everything
/// but the stage word first, then the stage with a Release store, so that a
/// starter that sees the stage (with an Acquire load) sees the rest.
pub fn write_ack(ptr: *const bootproto::params::BootParams, ack: &bootproto::params::BootAck) {
    let page = params_page(ptr);
    let mut rest = *ack;
    rest.stage = 0;
    rest.encode(page);
    let stage = &mut page[bootproto::params::ACK_OFFSET..bootproto::params::ACK_OFFSET + 8];
    // SAFETY: ACK_OFFSET is a multiple of 8 in a page-aligned page, so the
    // pointer is aligned for a u64; the bytes are this page's and the starter
    // only reads them atomically.
    let word = unsafe { core::sync::atomic::AtomicU64::from_ptr(stage.as_mut_ptr().cast::<u64>()) };
    word.store(ack.stage, core::sync::atomic::Ordering::Release);
}
