//! Capability invocations: `syscall(INVOKE, cptr, op_word, a0, a1, a2, a3)`.
//!
//! The operation word holds the operation number in bits 0-15; for
//! [`SEND`] bit 16 says a capability travels with the message and bits
//! 32-63 hold its address. Destination slots are packed
//! [`SlotRef`](crate::cspace::SlotRef)s.
//!
//! | op | on | arguments | results |
//! |---|---|---|---|
//! | [`IDENTIFY`] | any | | `rdi` = type \| rights << 8 \| flags << 16 \| extra << 32, `rsi` = base, `rdx` = size, `r10` = word |
//! | [`COPY`] | any | a0 = destination | |
//! | [`MINT`] | any | a0 = destination, a1 = rights mask, a2 = badge | |
//! | [`DELETE`] | any | | |
//! | [`REVOKE`] | any (an original) | | |
//! | [`PREPARE_REVOKE`] | any (an original) | | anchors marked |
//! | [`IDENTIFY_IN`] | L1 CNode | a0 = capability address in that CSpace | as IDENTIFY |
//! | [`MINT_IN`] | L1 or L2 CNode | a0 = slot index, a1 = source, a2 = rights mask, a3 = badge | |
//! | [`RETYPE`] | PhysAddr, RAM, Frame, DevFrame, IO | a0 = type \| count << 16, a1 = offset, a2 = object size, a3 = first destination (count consecutive slots) | |
//! | [`MAP`] | VNode | a0 = child cptr \| flags << 32, a1 = entry \| count << 16, a2 = offset in child, a3 = destination of the mapping record | |
//! | [`DISPATCHER_SETUP`] | Dispatcher | a0 = CSpace root cptr \| VSpace root cptr << 32, a1 = frame cptr, a2 = name (8 ASCII bytes, little-endian) | |
//! | [`DISPATCHER_RUN`] | Dispatcher | | |
//! | [`DISPATCHER_SET_EXIT_ENDPOINT`] | Dispatcher | a0 = endpoint cptr | |
//! | [`DISPATCHER_CREATE_ENDPOINT`] | Dispatcher | a0 = endpoint index, a1 = destination | |
//! | [`DISPATCHER_STATUS`] | Dispatcher | | `rdi` = state, `rsi` = id, `rdx` = exit code |
//! | [`SEND`] | EndPoint | a0..a3 = payload | |
//! | [`IO_IN`] | IO | a0 = port, a1 = width (1, 2, 4) | `rdi` = value |
//! | [`IO_OUT`] | IO | a0 = port, a1 = width, a2 = value | |
//! | [`IO_CONSOLE_WRITE`] | I/O ports (COM1) | a0 = address, a1 = length | |
//! | [`IRQ_ALLOC_DEST`] | IRQ table | a0 = destination | |
//! | [`IRQ_GET_SOURCE`] | IRQ table | a0 = GSI, a1 = destination | |
//! | [`IRQ_CONNECT`] | IRQ destination | a0 = endpoint cptr | |
//! | [`IRQ_ROUTE`] | IRQ source | a0 = IRQ destination cptr | |
//! | [`IRQ_ACK`] | IRQ source | | |
//! | [`KERNEL_INFO`] | Kernel | | clock rates, physical top, RSDP, system page, cores |
//! | [`KERNEL_CORE`] | Kernel | a0 = core index | APIC id, usable, is this core |
//! | [`KERNEL_MEMORY_REGION`] | Kernel | a0 = index | base, size, kind |
//! | [`KERNEL_VERSION`] | Kernel | | image name and version, 32 bytes |
//! | [`KERNEL_OSNODE`] | Kernel | | OSNode id, core id, APIC id |
//! | [`KERNEL_CAP_IMPORT`] | Kernel | a0 = destination, a1 = type \| rights << 8 (\| [`IMPORT_ADOPT`]: RAM becomes this OSNode's), a2 = base, a3 = size | |
//! | [`KERNEL_CAP_EXPORT`] | Kernel | a0 = capability address, a1 = 1 (mark) or 0 (clear) | |
//! | [`KERNEL_KCB_ATTACH`] | Kernel | a0 = KCB capability, a1 = OSNode id | |
//! | [`KERNEL_KCB_DETACH`] | Kernel | a0 = OSNode id | |
//! | [`KERNEL_REPLACE`] | Kernel | a0 = boot parameters (physical), a1 = entry, a2 = starting tables (0: none) | (under the new kernel) |
//! | [`KERNEL_DISPATCHER_SYSTEM`] | Kernel | a0 = dispatcher cptr | |
//! | [`IPI_INIT`] | IPI | a0 = APIC id, a1 = real-mode entry (bootstrap core) | |
//! | [`IPI_STARTUP`] | IPI | a0 = APIC id, a1 = vector | |
//! | [`IPI_NOTIFY`] | IPI | a0 = OSNode id | |
//! | [`IPI_STOP`] | IPI | a0 = APIC id | |
//! | [`IPI_HANDOVER`] | IPI | a0 = APIC id, a1 = STARTUP vector | (after the move) |
//! | [`IPI_FAULT`] | IPI | a0 = APIC id, a1 = 0 (fault), 1 (hang) or 2 (fault mid-change) | |
//! | [`IPI_NMI`] | IPI | a0 = APIC id | |

/// Describe a capability.
pub const IDENTIFY: u64 = 1;
/// Copy a capability into an empty slot.
pub const COPY: u64 = 2;
/// Copy with fewer rights and/or a badge (endpoints).
pub const MINT: u64 = 3;
/// Delete this capability.
pub const DELETE: u64 = 4;
/// Delete every copy and descendant of this capability, keeping it (an
/// original only: a copy cannot revoke).
pub const REVOKE: u64 = 5;
/// Before a revoke that would delete anchors of copies on other OSNodes
/// (`REVOKE` failed with `RemoteCopies`): mark those anchors as asked to
/// go, which is what lets their monitor revoke the copies elsewhere; the
/// number marked comes back in `rdi` (an original only).
pub const PREPARE_REVOKE: u64 = 8;
/// Describe the capability at an address of the CSpace this L1 CNode roots
/// (a0 = capability address); results as for [`IDENTIFY`].
pub const IDENTIFY_IN: u64 = 6;
/// Copy a capability of the caller's CSpace into a slot of the invoked
/// CNode (a0 = slot index, a1 = source cptr, a2 = rights mask, a3 = badge):
/// how a spawner fills a new program's CNodes.
pub const MINT_IN: u64 = 7;
/// Create objects from memory (or sub-ranges of I/O ports).
pub const RETYPE: u64 = 16;
/// Install a frame, device frame or lower-level page table in a page table.
pub const MAP: u64 = 32;
/// Give a dispatcher its CSpace, VSpace and frame.
pub const DISPATCHER_SETUP: u64 = 48;
/// Make a set-up dispatcher runnable.
pub const DISPATCHER_RUN: u64 = 49;
/// Name the endpoint told when the dispatcher exits or is killed.
pub const DISPATCHER_SET_EXIT_ENDPOINT: u64 = 50;
/// Create an endpoint capability for one of the dispatcher's rings.
pub const DISPATCHER_CREATE_ENDPOINT: u64 = 51;
/// State, id and exit code of a dispatcher.
pub const DISPATCHER_STATUS: u64 = 52;
/// Send a message (and optionally a capability) to the endpoint's dispatcher.
pub const SEND: u64 = 64;
/// Read an I/O port.
pub const IO_IN: u64 = 80;
/// Write an I/O port.
pub const IO_OUT: u64 = 81;
/// Write the `a1` bytes (at most `syscall::MAX_PRINT`) at address `a0` of
/// the caller to the serial console as they are, in one piece between the
/// kernels' console lines (I/O capability with the write right covering
/// the console's ports, COM1 0x3f8-0x3ff).
pub const IO_CONSOLE_WRITE: u64 = 82;
/// Allocate a free interrupt vector of this OSNode as an IRQ-destination capability.
pub const IRQ_ALLOC_DEST: u64 = 96;
/// Make an IRQ-source capability for a global system interrupt (IOAPIC line).
pub const IRQ_GET_SOURCE: u64 = 97;
/// Deliver the destination's interrupts as messages to an endpoint.
pub const IRQ_CONNECT: u64 = 100;
/// Route the source's line to the destination's vector on the current core.
pub const IRQ_ROUTE: u64 = 104;
/// Acknowledge an interrupt of the source's line: a level-triggered line is
/// masked from delivery until then.
pub const IRQ_ACK: u64 = 105;

/// What the kernel knows of the machine (Kernel capability): results
/// `rdi` = TSC Hz, `rsi` = APIC timer Hz, `rdx` = physical top, `r10` = RSDP,
/// `r8` = system page, `r9` = number of usable cores.
pub const KERNEL_INFO: u64 = 112;
/// Core `a0` of the machine (Kernel capability): results `rdi` = APIC id,
/// `rsi` = 1 if usable, `rdx` = 1 if it is the caller's core.
pub const KERNEL_CORE: u64 = 113;
/// Region `a0` of the memory map this kernel booted with (Kernel
/// capability): results `rdi` = base, `rsi` = size, `rdx` = kind
/// (`bootproto::memmap::MemoryKind`); `BadArgument` past the last region.
pub const KERNEL_MEMORY_REGION: u64 = 114;
/// This kernel's image name and version (Kernel capability): 32 bytes of
/// NUL-padded UTF-8 in the first four results, then the time slice (ns)
/// it gives the caller's OSNode's dispatchers.
pub const KERNEL_VERSION: u64 = 115;
/// Who the caller is (Kernel capability): results `rdi` = OSNode id, `rsi`
/// = core id, `rdx` = APIC id of the core running it, `r10` = the physical
/// address of its KCB, `r8` = its KCB's layout, `r9` = the KCB layouts this
/// kernel runs (oldest << 32 | newest).
pub const KERNEL_OSNODE: u64 = 116;
/// A monitor makes this OSNode's copy of another OSNode's capability
/// (Kernel capability): a foreign RAM, Frame or DevFrame capability of type
/// `a1 & 0xff` with rights `a1 >> 8` for `[a2, a2 + a3)` in destination
/// `a0` (a packed `SlotRef`). The range must be memory of this machine and
/// overlap no capability of this OSNode.
pub const KERNEL_CAP_IMPORT: u64 = 117;
/// [`KERNEL_CAP_IMPORT`]'s bit for RAM handed over: the import is an
/// original of this OSNode's (it may be retyped), not a foreign copy; the
/// range must be memory the kernel's boot map says is assigned elsewhere.
pub const IMPORT_ADOPT: u64 = 1 << 16;
/// A monitor marks (`a1 = 1`) the capability at `a0` as the anchor of
/// copies on other OSNodes, or clears the mark (`a1 = 0`) once they are
/// gone (Kernel capability). A marked capability cannot be deleted, alone
/// or by a revoke (`RemoteCopies`).
pub const KERNEL_CAP_EXPORT: u64 = 118;
/// Park a stopped OSNode on this core (Kernel capability): the KCB that
/// the capability at `a0` names, whose OSNode id must be `a1`, joins this
/// core's ring of KCBs. It must be a started, stopped KCB of an OSNode
/// not running here, and the OSNode table must already name this core for
/// it (the boot driver writes it).
pub const KERNEL_KCB_ATTACH: u64 = 119;
/// Take OSNode `a0` (parked here, not the caller's) off this core's ring
/// (Kernel capability); its KCB stays intact, stopped.
pub const KERNEL_KCB_DETACH: u64 = 124;
/// Replace this core's kernel in place (Kernel capability), for a boot
/// driver that updates the kernel of its own core: `a0` is the physical
/// address of the boot-parameter page of a loaded CPU driver (naming this
/// core and the caller's KCB), `a1` that driver's entry point (its
/// direct-map address, inside the image the parameters name), `a2` the page
/// tables it starts on when it runs an image's shared text (its parameters
/// then name its copy of the writable part; 0 for a whole image of its own
/// right after its parameter page). The caller's invocation completes and
/// it continues under the new kernel; the KCB is stopped as by IPI_STOP and
/// the old kernel switches to those tables, if any, and jumps to the new
/// one.
/// Refused (`BadArgument`) if the parameters or the entry are not a CPU
/// driver's for this core and KCB, or (`InvalidOperation`) if other OSNodes
/// are parked on this core.
pub const KERNEL_REPLACE: u64 = 126;
/// Make the dispatcher whose capability is at `a0` a system service
/// (Kernel capability): from its next time in the run queue on, it runs
/// ahead of every ordinary dispatcher of its OSNode, and a message that
/// wakes it preempts an ordinary sender. For the boot driver, the memory
/// server, the serial driver, the monitors and init; `WrongType` for
/// another capability, `InsufficientRights` without the right to write it,
/// `BadArgument` for a dispatcher of another OSNode or not set up.
pub const KERNEL_DISPATCHER_SYSTEM: u64 = 127;
/// Send INIT to the core with APIC id `a0` (IPI capability). Any core but
/// the bootstrap core then waits for STARTUP; the bootstrap core goes
/// through the firmware's warm-reset path to the real-mode physical address
/// `a1` (required for it, in `0x1000..0xa0000`; 0 = none for the others).
pub const IPI_INIT: u64 = 120;
/// Send STARTUP with vector `a1` (the trampoline's page number below 1 MiB)
/// to the core with APIC id `a0` (IPI capability).
pub const IPI_STARTUP: u64 = 121;
/// Notify OSNode `a0` (IPI capability): its dispatchers that WAIT with
/// `dispatcher::NOTIFY_BIT` in their mask wake up (an IPI if it runs on
/// another core). `DispatcherNotReady` if the OSNode runs nowhere.
pub const IPI_NOTIFY: u64 = 122;
/// Ask the core with APIC id `a0` (not the caller's) to stop (IPI
/// capability): its kernel saves its OSNode's running dispatcher, marks the
/// KCB stopped, reports `ACK_STOPPED` in its boot-parameter page and halts,
/// on the page tables it interrupted (its own on the bootstrap core): the
/// caller sends the core INIT (`IPI_INIT`, a1 = 0) once it has seen the
/// acknowledgement, before the OSNode runs anywhere else.
pub const IPI_STOP: u64 = 123;
/// Hand this core's OSNode(s) over to the core with APIC id `a0` (IPI
/// capability), for a boot driver that moves its own OSNode: the caller's
/// invocation completes (it continues wherever its OSNode runs next), the
/// KCBs are stopped as by IPI_STOP, then this kernel sends INIT and STARTUP
/// with vector `a1` (the prepared trampoline) to that core and halts.
pub const IPI_HANDOVER: u64 = 125;
/// Make the kernel of the core with APIC id `a0` (not the caller's) take a
/// page fault in ring 0 as it handles the request (`a1` = 0), where it can
/// leave its OSNodes intact, stop answering there (`a1` = 1: halted with
/// interrupts off), or fault where its objects may be half changed (`a1` =
/// 2) (IPI capability): what the boot driver's `corectrl fault` does to
/// test the recovery of a core whose kernel failed.
pub const IPI_FAULT: u64 = 126;
/// Send a non-maskable interrupt to the core with APIC id `a0` (not the
/// caller's) (IPI capability): a kernel whose starter wrote `NMI_STOP` in
/// its boot-parameter page stops as after a fatal fault.
pub const IPI_NMI: u64 = 127;

/// Operation-word flag: a capability travels with the message.
pub const SEND_WITH_CAP: u64 = 1 << 16;

/// Mapping flag: writable.
pub const MAP_WRITE: u64 = 1;
/// Mapping flag: executable.
pub const MAP_EXECUTE: u64 = 2;
/// Mapping flag: uncached (device registers).
pub const MAP_NOCACHE: u64 = 4;

/// The operation number of an operation word.
pub const fn op_of(word: u64) -> u64 {
    word & 0xffff
}

/// Builds the operation word of a SEND that carries the capability at `cap`.
pub const fn send_with_cap(cap: u32) -> u64 {
    SEND | SEND_WITH_CAP | ((cap as u64) << 32)
}

/// Dispatcher states reported by [`DISPATCHER_STATUS`].
pub mod state {
    /// Created, not yet set up.
    pub const NEW: u64 = 0;
    /// Set up, not yet running.
    pub const READY: u64 = 1;
    /// Runnable or running.
    pub const RUNNABLE: u64 = 2;
    /// Waiting for a message or a deadline.
    pub const BLOCKED: u64 = 3;
    /// Ended by the EXIT system call.
    pub const EXITED: u64 = 4;
    /// Killed by the kernel after a fault.
    pub const FAULTED: u64 = 5;
}
