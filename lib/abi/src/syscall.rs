//! System calls.
//!
//! # Register convention (`syscall` instruction)
//! * in: `rax` = syscall number, arguments in `rdi, rsi, rdx, r10, r8, r9`;
//! * out: `rax` = [`SysError`](crate::error::SysError) code (0 = success),
//!   results in `rdi, rsi, rdx, r10, r8, r9`; `rcx` and `r11` are clobbered
//!   (by the instruction), every other register is preserved.

/// Invoke a capability: `rdi` = capability address, `rsi` = operation word
/// (see [`crate::invoke`]), `rdx, r10, r8, r9` = four arguments.
pub const INVOKE: u64 = 0;
/// Give up the rest of the time slice.
pub const YIELD: u64 = 1;
/// Block until a message arrives on one of the rings in the bit mask `rsi`
/// (0: any ring) of the caller's dispatcher frame, or `rdi` (absolute
/// deadline in nanoseconds of the system clock; 0 = no deadline) passes.
/// Returns at once if such a message is already waiting. Result `rdi` = 1
/// if woken by the deadline, 0 otherwise.
pub const WAIT: u64 = 2;
/// Print `rsi` bytes at user address `rdi` on the kernel console
/// (at most [`MAX_PRINT`] bytes: a line). The console is every program's
/// for its diagnostics (as seL4's debug calls are), without a capability;
/// what bounds its use is the call: one line at a time, charged to the
/// caller's time slice, so that the console lock, which every core's
/// kernel takes with interrupts off, is held for one short line only.
pub const DEBUG_PRINT: u64 = 3;
/// The system clock: nanoseconds since machine reset, in `rdi`; valid on
/// every core.
pub const TIME: u64 = 4;
/// End the calling dispatcher with exit code `rdi`. Its exit endpoint, if
/// any, receives an [`EXIT_MESSAGE`](crate::dispatcher::EXIT_MESSAGE).
pub const EXIT: u64 = 5;

/// From an upcall handler (upcalls disabled): clear the disabled flag and
/// continue the enabled save area, i.e. where the dispatcher was when the
/// upcall was made (possibly changed by the handler). Does not return.
pub const RESUME: u64 = 6;
/// Check the caller's OSNode's mapping database (only on a kernel booted
/// with the command-line flag `checks`; `InvalidSyscall` otherwise):
/// `rdi` = 0 and `rsi` = its number of capabilities if it holds together,
/// or `rdi` = 1 + the kind of the first broken invariant and `rsi` = the
/// CTE where it was found.
pub const DEBUG_CHECK: u64 = 7;

/// Largest `DEBUG_PRINT` (and `IO_CONSOLE_WRITE`): a line of the runtime's
/// `println!`.
pub const MAX_PRINT: u64 = 256;
