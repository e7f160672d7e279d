//! Object types, their sizes, and what each capability field means for them.
//!
//! | type | `base`, `size` | `extra` | `word` |
//! |---|---|---|---|
//! | memory types (`PhysAddr` … `KernelControlBlock`) | physical range | L1CNode: slot count; else 0 | 0 |
//! | `EndPoint` | range of its Dispatcher | endpoint index | badge |
//! | `Mapping` | mapped range of the mapped object | number of entries | page-table page \| first entry index |
//! | non-memory types (`IrqTable` … `Id`) | range in the type's own number space | 0 | 0 |
//!
//! Memory types, `EndPoint` and `Mapping` share one address space (the
//! physical one); every non-memory type has its own. Only `PhysAddr`, `Ram`
//! and non-memory types exist as roots; everything else is made by retype or
//! derived by the kernel.

/// Size of a page, the granule of memory retypes.
pub const PAGE_SIZE: u64 = 4096;
/// Slots in an L2 CNode.
pub const L2_SLOTS: u64 = 256;
/// Bytes of an L2 CNode.
pub const L2CNODE_SIZE: u64 = L2_SLOTS * crate::CTE_SIZE;
/// Bytes of a VNode object: the 4 KiB page table the MMU walks, then 4 KiB
/// the kernel keeps beside it (one back-reference per entry to the Mapping
/// capability that installed it).
pub const VNODE_SIZE: u64 = 2 * PAGE_SIZE;
/// Bytes of a Dispatcher object.
pub const DISPATCHER_SIZE: u64 = 1024;
/// Bytes of a Kernel Control Block object.
pub const KCB_SIZE: u64 = 16384;
/// Fewest slots of an L1 CNode.
pub const MIN_L1_SLOTS: u64 = 16;
/// Most slots of an L1 CNode.
pub const MAX_L1_SLOTS: u64 = 65536;
/// Most objects one retype may create.
pub const MAX_RETYPE_COUNT: u64 = 4096;

/// The type of the object a capability names. The discriminant is the value
/// stored in [`crate::Capability::raw_type`].
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjType {
    /// No capability (an empty slot).
    Null = 0,
    /// Physical address space, possibly device memory; retypes into RAM or
    /// device frames.
    PhysAddr = 1,
    /// Untyped RAM; retypes into kernel objects and frames.
    Ram = 2,
    /// Mappable RAM.
    Frame = 3,
    /// Mappable device memory.
    DevFrame = 4,
    /// First-level CNode of a CSpace (resizable slot count).
    L1CNode = 5,
    /// Second-level CNode ([`L2_SLOTS`] slots).
    L2CNode = 6,
    /// x86_64 PML4 page table.
    VNodePml4 = 7,
    /// x86_64 page-directory-pointer table.
    VNodePdpt = 8,
    /// x86_64 page directory.
    VNodePd = 9,
    /// x86_64 page table.
    VNodePt = 10,
    /// A dispatcher (the kernel's view of a user-level scheduler).
    Dispatcher = 11,
    /// An endpoint of a dispatcher, for messages and notifications.
    EndPoint = 12,
    /// An OSNode's Kernel Control Block.
    KernelControlBlock = 13,
    /// A record that (part of) an object is installed in a page table.
    Mapping = 14,
    /// The right to allocate interrupt vectors.
    IrqTable = 15,
    /// Interrupt vectors of a core.
    IrqDest = 16,
    /// Interrupt sources (global system interrupts).
    IrqSrc = 17,
    /// I/O ports.
    Io = 18,
    /// The kernel's own interface (monitor only).
    Kernel = 19,
    /// The right to send inter-processor interrupts.
    Ipi = 20,
    /// Unique identifiers.
    Id = 21,
}

impl ObjType {
    /// The type stored as `raw`, or `None` if no type has that number.
    pub const fn from_raw(raw: u8) -> Option<Self> {
        use ObjType::*;
        Some(match raw {
            0 => Null,
            1 => PhysAddr,
            2 => Ram,
            3 => Frame,
            4 => DevFrame,
            5 => L1CNode,
            6 => L2CNode,
            7 => VNodePml4,
            8 => VNodePdpt,
            9 => VNodePd,
            10 => VNodePt,
            11 => Dispatcher,
            12 => EndPoint,
            13 => KernelControlBlock,
            14 => Mapping,
            15 => IrqTable,
            16 => IrqDest,
            17 => IrqSrc,
            18 => Io,
            19 => Kernel,
            20 => Ipi,
            21 => Id,
            _ => return None,
        })
    }

    /// Whether `base`/`size` are physical addresses (memory types and the
    /// records derived from them, `EndPoint` and `Mapping`).
    pub const fn is_physical(self) -> bool {
        (self as u8) >= ObjType::PhysAddr as u8 && (self as u8) <= ObjType::Mapping as u8
    }

    /// Whether this is a page-table type.
    pub const fn is_vnode(self) -> bool {
        matches!(
            self,
            Self::VNodePml4 | Self::VNodePdpt | Self::VNodePd | Self::VNodePt
        )
    }

    /// Whether this is a kernel-derived record ([`ObjType::EndPoint`],
    /// [`ObjType::Mapping`]): it never has descendants of its own.
    pub const fn is_leaf(self) -> bool {
        matches!(self, Self::EndPoint | Self::Mapping)
    }

    /// The address space of `base`/`size`: 0 for physical types, the type
    /// number for every other type.
    pub const fn domain(self) -> u8 {
        if self.is_physical() { 0 } else { self as u8 }
    }

    /// Position among caps of the same range: untyped before typed before
    /// derived records, so that ancestors sort before descendants.
    pub const fn rank(self) -> u8 {
        match self {
            Self::PhysAddr => 0,
            Self::Ram => 1,
            Self::EndPoint | Self::Mapping => 3,
            t if t.is_physical() => 2,
            _ => 0,
        }
    }

    /// The size every object of this type has, if it is fixed by the type
    /// ([`ObjType::L1CNode`] is not: it has a slot count).
    pub const fn fixed_size(self) -> Option<u64> {
        match self {
            Self::L2CNode => Some(L2CNODE_SIZE),
            Self::VNodePml4 | Self::VNodePdpt | Self::VNodePd | Self::VNodePt => Some(VNODE_SIZE),
            Self::Dispatcher => Some(DISPATCHER_SIZE),
            Self::KernelControlBlock => Some(KCB_SIZE),
            _ => None,
        }
    }

    /// Whether objects of this type have a size fixed by the type (or slot
    /// count) and must be naturally aligned: CNodes, VNodes, Dispatchers,
    /// KCBs.
    pub const fn is_kernel_object(self) -> bool {
        matches!(self, Self::L1CNode) || self.fixed_size().is_some()
    }

    /// Whether a capability of this type may exist without a parent (made
    /// by the kernel at boot from the platform's description).
    pub const fn is_root_type(self) -> bool {
        matches!(self, Self::PhysAddr | Self::Ram)
            || !self.is_physical() && !matches!(self, Self::Null)
    }

    /// Whether a `self` capability may be retyped into `to` objects.
    ///
    /// Physical addresses become device frames only, never RAM: RAM (memory
    /// kernel objects can be made of) exists only as the root capabilities
    /// the kernel creates for real memory at boot. Otherwise a device hole
    /// or ROM could be turned into a CNode full of forged capabilities.
    pub const fn can_retype_to(self, to: ObjType) -> bool {
        use ObjType::*;
        match self {
            PhysAddr => matches!(to, PhysAddr | DevFrame),
            Ram => {
                matches!(
                    to,
                    Ram | Frame | L1CNode | L2CNode | Dispatcher | KernelControlBlock
                ) || to.is_vnode()
            }
            Frame => matches!(to, Frame),
            DevFrame => matches!(to, DevFrame),
            Io => matches!(to, Io),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip() {
        for raw in 0..=u8::MAX {
            match ObjType::from_raw(raw) {
                Some(t) => assert_eq!(t as u8, raw),
                None => assert!(raw > ObjType::Id as u8),
            }
        }
    }

    #[test]
    fn domains_and_ranks() {
        assert_eq!(ObjType::Frame.domain(), 0);
        assert_eq!(ObjType::Mapping.domain(), 0);
        assert_eq!(ObjType::Io.domain(), ObjType::Io as u8);
        assert_eq!(ObjType::PhysAddr.rank(), 0);
        assert_eq!(ObjType::Ram.rank(), 1);
        assert_eq!(ObjType::KernelControlBlock.rank(), 2);
        assert_eq!(ObjType::EndPoint.rank(), 3);
        assert_eq!(ObjType::Ipi.rank(), 0);
    }

    #[test]
    fn sizes() {
        assert_eq!(L2CNODE_SIZE, 16 * 1024);
        assert_eq!(ObjType::VNodePt.fixed_size(), Some(8192));
        assert_eq!(ObjType::L1CNode.fixed_size(), None);
        assert!(ObjType::L1CNode.is_kernel_object());
        assert!(!ObjType::Frame.is_kernel_object());
    }

    #[test]
    fn retype_table() {
        assert!(ObjType::PhysAddr.can_retype_to(ObjType::DevFrame));
        assert!(!ObjType::PhysAddr.can_retype_to(ObjType::Frame));
        assert!(ObjType::Ram.can_retype_to(ObjType::VNodePd));
        assert!(!ObjType::Ram.can_retype_to(ObjType::DevFrame));
        assert!(!ObjType::Frame.can_retype_to(ObjType::Ram));
        assert!(!ObjType::Dispatcher.can_retype_to(ObjType::EndPoint));
        assert!(ObjType::Io.can_retype_to(ObjType::Io));
        assert!(!ObjType::Kernel.can_retype_to(ObjType::Kernel));
    }

    #[test]
    fn roots() {
        assert!(ObjType::Ram.is_root_type());
        assert!(ObjType::Io.is_root_type());
        assert!(!ObjType::Frame.is_root_type());
        assert!(!ObjType::Null.is_root_type());
        assert!(!ObjType::Mapping.is_root_type());
    }
}
