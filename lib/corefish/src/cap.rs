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

    /// Deletes all its copies and descendants.
    pub fn revoke(self) -> Result<(), SysError> {
        invoke(self.cptr, op::REVOKE, [0; 4]).map(|_| ())
    }
}
