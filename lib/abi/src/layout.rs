//! The user half of every address space.
//!
//! | address | what |
//! |---|---|
//! | `0` .. `PROGRAM_BASE` | unmapped (null pointers fault) |
//! | `PROGRAM_BASE` | the program image (static PIE, relocated here) |
//! | `DISPATCHER_BASE` | the dispatcher frame |
//! | `ARGS_BASE` | the arguments page |
//! | `STACK_TOP - STACK_SIZE` .. `STACK_TOP` | the main stack |
//! | `HEAP_BASE` .. | heap and other mappings made by the program |

/// Where program images are loaded.
pub const PROGRAM_BASE: u64 = 0x40_0000;
/// Largest program image.
pub const PROGRAM_MAX: u64 = 0x1000_0000;
/// The dispatcher frame's address.
pub const DISPATCHER_BASE: u64 = 0x2000_0000;
/// The arguments page.
pub const ARGS_BASE: u64 = 0x2010_0000;
/// Top of the main stack.
pub const STACK_TOP: u64 = 0x3000_0000;
/// Size of the main stack.
pub const STACK_SIZE: u64 = 256 * 1024;
/// Start of the heap region (the second top-level entry: a program builds
/// its own page tables there, from its top-level table alone).
pub const HEAP_BASE: u64 = 0x0000_0080_0000_0000;
/// One past the highest user address.
pub const USER_TOP: u64 = 0x0000_8000_0000_0000;

/// Whether `[addr, addr + len)` lies in the user half.
pub const fn is_user_range(addr: u64, len: u64) -> bool {
    match addr.checked_add(len) {
        Some(end) => end <= USER_TOP,
        None => false,
    }
}
