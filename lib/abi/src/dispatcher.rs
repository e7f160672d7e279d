//! The dispatcher frame: memory shared by one dispatcher and the kernel.
//!
//! A dispatcher is the kernel-scheduled entity of a program (Barrelfish's
//! model). Its frame holds everything the kernel saves about it, so that
//! the state lives in capability memory and not in any kernel:
//!
//! * three register save areas, each with the FPU/SSE state (the kernel
//!   saves FPU state eagerly on every entry from user space):
//!   - *enabled*: where the program was when the kernel took the core while
//!     upcalls were enabled; the program resumes it from its `run` upcall;
//!   - *disabled*: where it was while upcalls were disabled (the `disabled`
//!     flag set, or the instruction pointer inside `[crit_pc_low,
//!     crit_pc_high)`); the kernel resumes it directly;
//!   - *trap*: where a fault hit while upcalls were disabled (the kernel
//!     then kills the dispatcher and reports this area);
//! * the upcall entry points (`run`, `page fault`, `trap`) and the stack
//!   they run on;
//! * the LMP endpoint rings the kernel delivers messages into.
//!
//! The kernel treats everything here as untrusted: indices are masked,
//! addresses checked, flags sanitised before use.

/// `Dispatcher frame` magic, set by whoever builds the frame.
pub const FRAME_MAGIC: u64 = u64::from_le_bytes(*b"CFDISP01");
/// Bytes of a dispatcher frame.
pub const FRAME_SIZE: u64 = 8192;
/// Endpoint rings per dispatcher.
pub const ENDPOINTS: usize = 8;
/// In WAIT's ring mask: also wake on a notification (IPI_NOTIFY) from
/// another OSNode, for a UMP receiver that blocks. A notification that came
/// while the dispatcher was not waiting for one is remembered: its next
/// such WAIT returns at once.
pub const NOTIFY_BIT: u64 = 1 << 63;
/// Messages per endpoint ring (a power of two).
pub const RING_SLOTS: usize = 8;
/// Payload words per message.
pub const MESSAGE_WORDS: usize = 4;

/// General registers of a save area.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Registers {
    /// `rax`.
    pub rax: u64,
    /// `rbx`.
    pub rbx: u64,
    /// `rcx`.
    pub rcx: u64,
    /// `rdx`.
    pub rdx: u64,
    /// `rsi`.
    pub rsi: u64,
    /// `rdi`.
    pub rdi: u64,
    /// `rbp`.
    pub rbp: u64,
    /// `rsp`.
    pub rsp: u64,
    /// `r8`.
    pub r8: u64,
    /// `r9`.
    pub r9: u64,
    /// `r10`.
    pub r10: u64,
    /// `r11`.
    pub r11: u64,
    /// `r12`.
    pub r12: u64,
    /// `r13`.
    pub r13: u64,
    /// `r14`.
    pub r14: u64,
    /// `r15`.
    pub r15: u64,
    /// Instruction pointer.
    pub rip: u64,
    /// Flags.
    pub rflags: u64,
    /// `fs` base (thread-local storage of the user-level thread).
    pub fs_base: u64,
    /// Padding to 16 bytes.
    pub reserved: u64,
}

/// The `fxsave` image of the x87/SSE state.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
pub struct FpuState(pub [u8; 512]);

impl Default for FpuState {
    fn default() -> Self {
        let mut image = [0u8; 512];
        // FCW: all x87 exceptions masked; MXCSR: all SSE exceptions masked.
        image[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        image[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        Self(image)
    }
}

/// One register save area.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct SaveArea {
    /// General registers.
    pub regs: Registers,
    /// FPU/SSE state.
    pub fpu: FpuState,
}

/// One LMP message as delivered into a ring.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Message {
    /// The sender's endpoint badge.
    pub badge: u64,
    /// Payload.
    pub words: [u64; MESSAGE_WORDS],
    /// [`MESSAGE_HAS_CAP`] if a capability was stored into the ring's
    /// receive slot.
    pub flags: u64,
    /// Reserved.
    pub reserved: [u64; 2],
}

/// [`Message::flags`]: a capability arrived with this message.
pub const MESSAGE_HAS_CAP: u64 = 1;

/// A ring of messages for one endpoint. The kernel writes messages at
/// `head` (it alone advances it); the program consumes at `tail`.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct EndpointRing {
    /// Next message the kernel writes (free-running counter).
    pub head: u32,
    /// Next message the program reads (free-running counter).
    pub tail: u32,
    /// Where a received capability goes: a packed
    /// [`SlotRef`](crate::cspace::SlotRef) with [`RECEIVE_SLOT_VALID`] set,
    /// or 0 for none. The kernel clears it after storing a capability.
    pub receive_slot: u64,
    /// The messages.
    pub messages: [Message; RING_SLOTS],
}

/// [`EndpointRing::receive_slot`]: the slot reference is set.
pub const RECEIVE_SLOT_VALID: u64 = 1 << 63;

/// The frame.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct DispatcherFrame {
    /// [`FRAME_MAGIC`].
    pub magic: u64,
    /// Non-zero while upcalls are disabled.
    pub disabled: u64,
    /// Entry of the `run` upcall (0: resume the enabled area directly).
    pub run_entry: u64,
    /// Entry of the page-fault upcall (0: a page fault kills the dispatcher).
    pub pagefault_entry: u64,
    /// Entry of the trap upcall (0: any other exception kills the dispatcher).
    pub trap_entry: u64,
    /// Stack pointer upcalls start with.
    pub upcall_stack_top: u64,
    /// Start of the code range treated as disabled.
    pub crit_pc_low: u64,
    /// End of the code range treated as disabled.
    pub crit_pc_high: u64,
    /// Kernel-written: this dispatcher's id.
    pub dispatcher_id: u64,
    /// Kernel-written: the core it last ran on.
    pub core_id: u64,
    /// Kernel-written: system clock (ns) when it was last dispatched.
    pub systime_ns: u64,
    /// Kernel-written: vector of the last fault given to an upcall.
    pub fault_vector: u64,
    /// Kernel-written: error code of that fault.
    pub fault_error: u64,
    /// Kernel-written: faulting address (page faults).
    pub fault_address: u64,
    /// Kernel-written: bit `r` is set when a notice the kernel sends (a
    /// child's end, an interrupt) did not fit in ring `r`, which was full.
    /// Nothing is lost: the receiver learns what it missed from the state
    /// of the objects (its children's status, its device) and clears the
    /// bit (atomically: the kernel may set another meanwhile).
    pub missed: u64,
    /// Reserved.
    pub reserved: u64,
    /// The enabled save area.
    pub enabled_area: SaveArea,
    /// The disabled save area.
    pub disabled_area: SaveArea,
    /// The trap save area.
    pub trap_area: SaveArea,
    /// The endpoint rings.
    pub endpoints: [EndpointRing; ENDPOINTS],
}

const _: () = assert!(size_of::<DispatcherFrame>() as u64 <= FRAME_SIZE);
const _: () = assert!(core::mem::offset_of!(DispatcherFrame, enabled_area).is_multiple_of(16));
const _: () = assert!(size_of::<SaveArea>().is_multiple_of(16));

/// Upcall arguments: `rdi` = reason, `rsi`/`rdx` = details.
pub mod upcall {
    /// The dispatcher is being run (first time, or after preemption).
    pub const RUN: u64 = 0;
    /// Page fault: `rsi` = address, `rdx` = error code.
    pub const PAGE_FAULT: u64 = 1;
    /// Other exception: `rsi` = vector, `rdx` = error code.
    pub const TRAP: u64 = 2;
}

/// First payload word of the message a dispatcher's exit endpoint receives.
pub const EXIT_MESSAGE: u64 = 0xe417;
/// Second word of an exit message: the dispatcher ended itself (third word:
/// its id, fourth: exit code).
pub const EXIT_KIND_EXITED: u64 = 0;
/// Second word of an exit message: the kernel killed it after a fault
/// (third word: its id, fourth: the exception vector).
pub const EXIT_KIND_FAULTED: u64 = 1;
/// First payload word of an interrupt notification (second word: vector).
pub const IRQ_MESSAGE: u64 = 0x1119;
