//! The stacks of this CPU driver instance: per-boot scratch in the image's
//! own zeroed data (each core runs its own copy of the image, so each core
//! has its own stacks without any allocation).

/// Bytes in each stack.
pub const STACK_SIZE: usize = 64 * 1024;

/// A stack, aligned for the ABI.
#[repr(C, align(16))]
pub struct Stack(pub [u8; STACK_SIZE]);

/// The stack the kernel runs on (its top is loaded by the entry point).
pub static mut BOOT_STACK: Stack = Stack([0; STACK_SIZE]);

/// Interrupt-stack-table stacks, for exceptions that may arrive with a
/// broken stack: NMI, double fault, machine check.
pub static mut IST_STACKS: [Stack; 3] = [const { Stack([0; STACK_SIZE]) }; 3];

/// The address range of the boot stack, for backtraces.
pub fn boot_stack_range() -> (u64, u64) {
    let base = (&raw const BOOT_STACK) as u64;
    (base, base + STACK_SIZE as u64)
}
