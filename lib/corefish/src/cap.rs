//! Typed capability handles (rust-sel4's idea): a [`Cap<K>`] is a capability
//! address known to hold a capability of kind `K`, so only that kind's
//! invocations can be called on it.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use abi::invoke as op;
use caps::{ObjType, Rights};
use core::marker::PhantomData;

use crate::sys::{Values, invoke};

/// What IDENTIFY reports about a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// Its type (None for a type this runtime does not know).
    pub ty: Option<ObjType>,
    /// Its rights.
    pub rights: Rights,
    /// `caps::FLAG_FOREIGN`, `caps::FLAG_EXPORTED`.
    pub flags: u8,
    /// Type-specific small field.
    pub extra: u32,
    /// Base (physical address, first port, vector...).
    pub base: u64,
    /// Size (bytes, ports...).
    pub size: u64,
    /// Type-specific word (badge...).
    pub word: u64,
}

impl Identity {
    /// Decodes IDENTIFY's results.
    pub fn from_values(v: Values) -> Self {
        Self {
            ty: ObjType::from_raw(v[0] as u8),
            rights: Rights::from_bits_truncate((v[0] >> 8) as u8),
            flags: (v[0] >> 16) as u8,
            extra: (v[0] >> 32) as u32,
            base: v[1],
            size: v[2],
            word: v[3],
        }
    }
}

/// Kinds of capabilities (marker types).
pub mod kind {
    /// Any capability.
    pub enum Any {}
    /// RAM.
    pub enum Ram {}
    /// A frame.
    pub enum Frame {}
    /// An L1 (root) CNode.
    pub enum L1CNode {}
    /// An L2 CNode.
    pub enum L2CNode {}
    /// A page table of any level.
    pub enum VNode {}
    /// A dispatcher.
    pub enum Dispatcher {}
    /// An LMP endpoint.
    pub enum EndPoint {}
    /// I/O ports.
    pub enum Io {}
    /// The IRQ table.
    pub enum IrqTable {}
    /// An interrupt vector of this OSNode.
    pub enum IrqDest {}
    /// An interrupt line.
    pub enum IrqSrc {}
}

/// A capability address holding a capability of kind `K`.
#[derive(Debug)]
pub struct Cap<K> {
    cptr: CPtr,
    kind: PhantomData<K>,
}

impl<K> Clone for Cap<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Cap<K> {}

impl<K> Cap<K> {
    /// The capability at `cptr` (the caller asserts its kind).
    pub const fn at(cptr: CPtr) -> Self {
        Self {
            cptr,
            kind: PhantomData,
        }
    }

    /// Its address.
    pub const fn cptr(self) -> CPtr {
        self.cptr
    }

    /// Views it as another kind (the kernel still checks every invocation).
    pub const fn cast<L>(self) -> Cap<L> {
        Cap::at(self.cptr)
    }

    /// Describes it.
    pub fn identify(self) -> Result<Identity, SysError> {
        invoke(self.cptr, op::IDENTIFY, [0; 4]).map(Identity::from_values)
    }

    /// Copies it into the empty slot `dest`.
    pub fn copy_to(self, dest: CPtr) -> Result<Cap<K>, SysError> {
        invoke(self.cptr, op::COPY, [SlotRef::Slot(dest).pack(), 0, 0, 0])?;
        Ok(Cap::at(dest))
    }

    /// Copies it into the empty slot `dest` with at most `rights` and, for
    /// endpoints, a badge.
    pub fn mint_to(self, dest: CPtr, rights: Rights, badge: u64) -> Result<Cap<K>, SysError> {
        invoke(
            self.cptr,
            op::MINT,
            [
                SlotRef::Slot(dest).pack(),
                u64::from(rights.bits()),
                badge,
                0,
            ],
        )?;
        Ok(Cap::at(dest))
    }

    /// Deletes it.
    pub fn delete(self) -> Result<(), SysError> {
        invoke(self.cptr, op::DELETE, [0; 4]).map(|_| ())
    }

    /// Deletes all its copies and descendants on this OSNode (it must be
    /// an original: a copy cannot revoke, `NotOriginal`). Refused with
    /// `RemoteCopies`, changing nothing, when some of them have copies on
    /// other OSNodes: [`crate::monitor::revoke`] has those revoked first.
    pub fn revoke(self) -> Result<(), SysError> {
        invoke(self.cptr, op::REVOKE, [0; 4]).map(|_| ())
    }

    /// Marks the anchors of copies on other OSNodes that a revoke of this
    /// original would delete as asked to go, so that their monitor revokes
    /// those copies; returns how many.
    pub fn prepare_revoke(self) -> Result<u64, SysError> {
        invoke(self.cptr, op::PREPARE_REVOKE, [0; 4]).map(|v| v[0])
    }
}

/// Slots in this program's root CNode.
pub fn root_slots() -> Result<u32, SysError> {
    Cap::<kind::L1CNode>::at(abi::cspace::task::ROOT_CNODE)
        .identify()
        .map(|id| id.extra)
}

impl Cap<kind::Ram> {
    /// Retypes `count` objects of `ty` and `objsize` bytes at `offset` into
    /// consecutive slots from `first`.
    pub fn retype(
        self,
        ty: ObjType,
        offset: u64,
        objsize: u64,
        count: u64,
        first: SlotRef,
    ) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::RETYPE,
            [ty as u64 | (count << 16), offset, objsize, first.pack()],
        )
        .map(|_| ())
    }
}

impl Cap<kind::L1CNode> {
    /// Describes the capability at `cptr` in the CSpace this CNode roots.
    pub fn identify_in(self, cptr: CPtr) -> Result<Identity, SysError> {
        invoke(self.cptr, op::IDENTIFY_IN, [u64::from(cptr.0), 0, 0, 0]).map(Identity::from_values)
    }

    /// Copies `source` (in this program's CSpace) into slot `index` of this
    /// CNode, with at most `rights` (and a badge, for endpoints).
    pub fn mint_in(
        self,
        index: u32,
        source: CPtr,
        rights: Rights,
        badge: u64,
    ) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::MINT_IN,
            [
                u64::from(index),
                u64::from(source.0),
                u64::from(rights.bits()),
                badge,
            ],
        )
        .map(|_| ())
    }
}

impl Cap<kind::L2CNode> {
    /// Copies `source` into slot `index` of this CNode, with at most `rights`.
    pub fn mint_in(
        self,
        index: u32,
        source: CPtr,
        rights: Rights,
        badge: u64,
    ) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::MINT_IN,
            [
                u64::from(index),
                u64::from(source.0),
                u64::from(rights.bits()),
                badge,
            ],
        )
        .map(|_| ())
    }
}

impl Cap<kind::VNode> {
    /// Installs `count` entries of `child` (a frame from page `offset_pages`,
    /// or a lower-level page table) from entry `index`, recording the
    /// mapping in the empty slot `record`.
    pub fn map(
        self,
        child: CPtr,
        index: u64,
        count: u64,
        offset_pages: u64,
        flags: u64,
        record: CPtr,
    ) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::MAP,
            [
                u64::from(child.0) | (flags << 32),
                index | (count << 16),
                offset_pages,
                SlotRef::Slot(record).pack(),
            ],
        )
        .map(|_| ())
    }
}

/// What DISPATCHER_STATUS reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatcherStatus {
    /// `abi::invoke::state`.
    pub state: u64,
    /// Id within the OSNode.
    pub id: u64,
    /// Exit code or exception vector.
    pub exit_code: u64,
    /// CPU time used, in nanoseconds.
    pub runtime_ns: u64,
    /// Times dispatched.
    pub dispatches: u64,
}

impl Cap<kind::Dispatcher> {
    /// Gives the dispatcher its CSpace root, VSpace root, frame and name.
    pub fn setup(
        self,
        cspace: CPtr,
        vspace: CPtr,
        frame: CPtr,
        name: &str,
    ) -> Result<(), SysError> {
        let mut packed = [0u8; 8];
        for (d, s) in packed.iter_mut().zip(name.bytes()) {
            *d = s;
        }
        invoke(
            self.cptr,
            op::DISPATCHER_SETUP,
            [
                u64::from(cspace.0) | (u64::from(vspace.0) << 32),
                u64::from(frame.0),
                u64::from_le_bytes(packed),
                0,
            ],
        )
        .map(|_| ())
    }

    /// Starts it.
    pub fn run(self) -> Result<(), SysError> {
        invoke(self.cptr, op::DISPATCHER_RUN, [0; 4]).map(|_| ())
    }

    /// Names the endpoint that hears of its end.
    pub fn set_exit_endpoint(self, endpoint: CPtr) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::DISPATCHER_SET_EXIT_ENDPOINT,
            [u64::from(endpoint.0), 0, 0, 0],
        )
        .map(|_| ())
    }

    /// Makes an endpoint to its ring `ring` in the empty slot `dest`.
    pub fn create_endpoint(self, ring: u64, dest: CPtr) -> Result<Cap<kind::EndPoint>, SysError> {
        invoke(
            self.cptr,
            op::DISPATCHER_CREATE_ENDPOINT,
            [ring, SlotRef::Slot(dest).pack(), 0, 0],
        )?;
        Ok(Cap::at(dest))
    }

    /// Its state.
    pub fn status(self) -> Result<DispatcherStatus, SysError> {
        let v = invoke(self.cptr, op::DISPATCHER_STATUS, [0; 4])?;
        Ok(DispatcherStatus {
            state: v[0],
            id: v[1],
            exit_code: v[2],
            runtime_ns: v[3],
            dispatches: v[4],
        })
    }
}

impl Cap<kind::Io> {
    /// Reads `width` bytes from `port`.
    pub fn read(self, port: u16, width: u64) -> Result<u64, SysError> {
        invoke(self.cptr, op::IO_IN, [u64::from(port), width, 0, 0]).map(|v| v[0])
    }

    /// Writes `width` bytes of `value` to `port`.
    pub fn write(self, port: u16, width: u64, value: u64) -> Result<(), SysError> {
        invoke(self.cptr, op::IO_OUT, [u64::from(port), width, value, 0]).map(|_| ())
    }
}

impl Cap<kind::IrqTable> {
    /// A free interrupt vector of this OSNode, into `dest`; returns the vector.
    pub fn alloc_dest(self, dest: CPtr) -> Result<u64, SysError> {
        invoke(
            self.cptr,
            op::IRQ_ALLOC_DEST,
            [SlotRef::Slot(dest).pack(), 0, 0, 0],
        )
        .map(|v| v[0])
    }

    /// The interrupt line `gsi`, into `dest`.
    pub fn get_source(self, gsi: u64, dest: CPtr) -> Result<(), SysError> {
        invoke(
            self.cptr,
            op::IRQ_GET_SOURCE,
            [gsi, SlotRef::Slot(dest).pack(), 0, 0],
        )
        .map(|_| ())
    }
}

impl Cap<kind::IrqDest> {
    /// Delivers this vector's interrupts as messages to `endpoint`.
    pub fn connect(self, endpoint: CPtr) -> Result<(), SysError> {
        invoke(self.cptr, op::IRQ_CONNECT, [u64::from(endpoint.0), 0, 0, 0]).map(|_| ())
    }
}

impl Cap<kind::IrqSrc> {
    /// Routes this line to the vector of `dest` on the current core.
    pub fn route(self, dest: CPtr) -> Result<(), SysError> {
        invoke(self.cptr, op::IRQ_ROUTE, [u64::from(dest.0), 0, 0, 0]).map(|_| ())
    }
}
