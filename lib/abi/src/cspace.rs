//! Capability addresses and the well-known slots of a CSpace.
//!
//! A CSpace has two levels: a root L1 CNode whose slots hold L2 CNodes of
//! 256 slots each. A capability address (`CPtr`) is `l1_index << 8 |
//! l2_index`. A [`SlotRef`] names a destination slot for operations that
//! create capabilities: a capability address, or a slot of the root CNode.

/// Slots per L2 CNode.
pub const L2_SLOTS: u32 = 256;

/// A capability address in the caller's CSpace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CPtr(pub u32);

impl CPtr {
    /// The address of slot `l2` of the L2 CNode in root slot `l1`.
    pub const fn new(l1: u32, l2: u32) -> Self {
        Self((l1 << 8) | (l2 & 0xff))
    }

    /// The root-CNode index.
    pub const fn l1(self) -> u32 {
        self.0 >> 8
    }

    /// The index in the L2 CNode.
    pub const fn l2(self) -> u32 {
        self.0 & 0xff
    }
}

/// A destination slot for operations that create capabilities: a slot
/// named by its capability address, or a slot of the root CNode itself
/// (where L2 CNodes are installed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRef {
    /// The slot at this capability address.
    Slot(CPtr),
    /// Slot `index` of the root CNode.
    Root(u32),
}

/// Packing flag of [`SlotRef::Root`].
const ROOT_FLAG: u64 = 1 << 32;

impl SlotRef {
    /// Packs the reference into one argument word.
    pub const fn pack(self) -> u64 {
        match self {
            Self::Slot(cptr) => cptr.0 as u64,
            Self::Root(index) => ROOT_FLAG | index as u64,
        }
    }

    /// Unpacks an argument word (bits above 32 other than the flag are ignored).
    pub const fn unpack(word: u64) -> Self {
        if word & ROOT_FLAG != 0 {
            Self::Root(word as u32)
        } else {
            Self::Slot(CPtr(word as u32))
        }
    }

    /// The `n`-th slot after this one (same CNode), if it exists.
    pub const fn offset(self, n: u32) -> Option<Self> {
        match self {
            Self::Slot(cptr) => {
                if cptr.l2() + n < L2_SLOTS {
                    Some(Self::Slot(CPtr(cptr.0 + n)))
                } else {
                    None
                }
            }
            Self::Root(index) => match index.checked_add(n) {
                Some(i) => Some(Self::Root(i)),
                None => None,
            },
        }
    }
}

/// Root-CNode slots every program's CSpace has (each holds an L2 CNode).
pub mod root {
    /// The task CNode: the program's own well-known capabilities.
    pub const TASK: u32 = 0;
    /// Capabilities received over LMP land here by default.
    pub const RECEIVE: u32 = 1;
    /// Slots the program manages itself (its slot allocator starts here).
    pub const FIRST_FREE: u32 = 2;
}

/// Slots of the task CNode (root slot [`root::TASK`]).
pub mod task {
    use super::CPtr;

    /// The task CNode itself.
    pub const TASK_CNODE: CPtr = CPtr::new(super::root::TASK, 0);
    /// The root (L1) CNode of this CSpace.
    pub const ROOT_CNODE: CPtr = CPtr::new(super::root::TASK, 1);
    /// The program's dispatcher.
    pub const DISPATCHER: CPtr = CPtr::new(super::root::TASK, 2);
    /// The dispatcher frame.
    pub const DISPATCHER_FRAME: CPtr = CPtr::new(super::root::TASK, 3);
    /// The top-level page table of the program's address space.
    pub const VSPACE_ROOT: CPtr = CPtr::new(super::root::TASK, 4);
    /// The receive CNode (root slot [`super::root::RECEIVE`]).
    pub const RECEIVE_CNODE: CPtr = CPtr::new(super::root::TASK, 5);
    /// An endpoint to the program's parent (its spawner), if any.
    pub const PARENT_ENDPOINT: CPtr = CPtr::new(super::root::TASK, 6);
    /// The program's own endpoint 0 (give copies to those who should reach it).
    pub const SELF_ENDPOINT: CPtr = CPtr::new(super::root::TASK, 7);
    /// An endpoint to the memory server, if any.
    pub const MEMORY_ENDPOINT: CPtr = CPtr::new(super::root::TASK, 8);
    /// An endpoint to the serial driver, if any.
    pub const SERIAL_ENDPOINT: CPtr = CPtr::new(super::root::TASK, 9);
    /// Initial RAM for the program's own heap and page tables.
    pub const INITIAL_RAM: CPtr = CPtr::new(super::root::TASK, 10);
    /// The arguments frame (command line), mapped at `layout::ARGS_BASE`.
    pub const ARGS_FRAME: CPtr = CPtr::new(super::root::TASK, 11);
    /// The boot archive, read-only (programs that start others read their
    /// images from it).
    pub const BOOT_ARCHIVE: CPtr = CPtr::new(super::root::TASK, 12);
    /// An endpoint to the monitor of the program's OSNode, if any (names,
    /// channels and capabilities across OSNodes; `corefish::monitor`).
    pub const MONITOR_ENDPOINT: CPtr = CPtr::new(super::root::TASK, 13);
    /// First task-CNode slot with no fixed meaning: slots from here to
    /// [`FIRST_GIFT`] are the program's own (its slot allocator starts here).
    pub const FIRST_FREE: u32 = 16;
    /// First task-CNode slot for capabilities a spawner gives a program
    /// beyond the well-known ones (each program documents its own); the
    /// slot allocator never hands these out.
    pub const FIRST_GIFT: u32 = 32;
}

/// Slots only the first program of an OSNode (init on the first core, the
/// monitor on the others) receives from the CPU driver, in root slot
/// [`INIT_RESOURCES`].
pub const INIT_RESOURCES: u32 = 3;

/// What the CPU driver puts in init's resource CNodes.
pub mod init {
    use super::CPtr;

    /// The Kernel capability.
    pub const KERNEL: CPtr = CPtr::new(super::INIT_RESOURCES, 0);
    /// The IRQ table of this OSNode.
    pub const IRQ_TABLE: CPtr = CPtr::new(super::INIT_RESOURCES, 1);
    /// All I/O ports.
    pub const IO: CPtr = CPtr::new(super::INIT_RESOURCES, 2);
    /// The IPI capability.
    pub const IPI: CPtr = CPtr::new(super::INIT_RESOURCES, 3);
    /// The KCB of init's OSNode.
    pub const KCB: CPtr = CPtr::new(super::INIT_RESOURCES, 4);
    /// The boot archive as read-only frames (whole archive).
    pub const ARCHIVE: CPtr = CPtr::new(super::INIT_RESOURCES, 5);
    /// The system page (first OSNode only), for the boot driver.
    pub const SYSTEM_PAGE: CPtr = CPtr::new(super::INIT_RESOURCES, 6);
    /// A monitor's channel frame to the first OSNode (monitors only).
    pub const CHANNEL: CPtr = CPtr::new(super::INIT_RESOURCES, 7);
    /// Root slot of the L2 CNode holding one RAM capability per free RAM
    /// region (up to 256), in address order, then empty slots.
    pub const RAM_CNODE: u32 = 4;
    /// Root slot of the L2 CNode holding PhysAddr capabilities for the
    /// device-register regions (the low 4 GiB that is not memory).
    pub const DEVICE_CNODE: u32 = 5;
    /// Root slot of the L2 CNode holding init's page tables, image and stack
    /// frames and their mapping records (slots 0-6: PDPT, PD, image PT,
    /// frame PT, stack PT, image frame, stack frame).
    pub const PAGE_CNODE: u32 = 6;
    /// First root slot init may use for its own L2 CNodes.
    pub const FIRST_FREE_ROOT: u32 = 7;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_refs_pack_and_step() {
        for r in [
            SlotRef::Slot(CPtr::new(3, 7)),
            SlotRef::Root(5),
            SlotRef::Slot(CPtr(0)),
        ] {
            assert_eq!(SlotRef::unpack(r.pack()), r);
        }
        assert_eq!(
            SlotRef::Slot(CPtr::new(3, 250)).offset(5),
            Some(SlotRef::Slot(CPtr::new(3, 255)))
        );
        assert_eq!(SlotRef::Slot(CPtr::new(3, 250)).offset(6), None);
        assert_eq!(SlotRef::Root(2).offset(3), Some(SlotRef::Root(5)));
    }
}
