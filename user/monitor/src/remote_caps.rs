//! Capabilities across OSNodes, as one monitor keeps track of them.
//!
//! * An *export* is a capability of this OSNode that has copies elsewhere:
//!   the monitor holds a copy marked exported (the anchor; the kernel
//!   refuses to delete it, alone or by a revoke) and the OSNodes that
//!   imported it. Revoking anything that contains it comes to the monitor
//!   first ([`crate::Monitor::revoke_exports`]): every importer revokes its
//!   copies, then the mark is cleared and the anchor deleted.
//! * An *import* is this OSNode's foreign copy of another OSNode's
//!   capability, made once per range with `KERNEL_CAP_IMPORT` (with every
//!   right: it never leaves the monitor); each receiver gets a copy minted
//!   with exactly the rights that were sent, so an import never yields more
//!   rights than were sent. Revoking it (when its owner says so) takes
//!   every copy and every mapping of it.
//!
//! Only memory travels: RAM, frames, device frames.

use alloc::vec::Vec;
use corefish::abi::invoke as op;
use corefish::cap::{Cap, Identity, kind};
use corefish::proto::intermon::CapDesc;
use corefish::sys::invoke;
use corefish::{CPtr, ObjType, SlotRef, SysError, slots};

/// A capability of this OSNode with copies elsewhere.
pub struct Export {
    /// The monitor's marked copy.
    pub anchor: CPtr,
    /// What it is.
    pub cap: Identity,
    /// The OSNodes holding copies.
    pub importers: Vec<u64>,
    /// The badge of the program that sent it (0: the monitor's own): when
    /// that program ends, the copies elsewhere go, so that whoever gave it
    /// the memory can take it back.
    pub sender: u64,
}

/// A foreign capability.
struct Import {
    anchor: CPtr,
    ty: u64,
    base: u64,
    size: u64,
}

/// One monitor's exports and imports.
#[derive(Default)]
pub struct RemoteCaps {
    /// Exports, in the order made.
    pub exports: Vec<Export>,
    imports: Vec<Import>,
}

/// A capability as it travels to another monitor.
pub fn describe(cap: &Identity) -> CapDesc {
    CapDesc {
        ty: cap.ty.map_or(0, |t| t as u8),
        rights: cap.rights.bits(),
        base: cap.base,
        size: cap.size,
    }
}

/// Whether a capability may go to another OSNode.
pub fn travels(cap: &Identity) -> Result<(), SysError> {
    if cap.flags & corefish::caps::FLAG_FOREIGN != 0 {
        return Err(SysError::ForeignCapability);
    }
    match cap.ty {
        Some(ObjType::Ram | ObjType::Frame | ObjType::DevFrame) => Ok(()),
        _ => Err(SysError::WrongType),
    }
}

impl RemoteCaps {
    /// Makes `anchor` (the monitor's copy of `cap`) the anchor of a copy on
    /// `importer`.
    pub fn export(
        &mut self,
        kernel: CPtr,
        anchor: CPtr,
        cap: Identity,
        importer: u64,
    ) -> Result<(), SysError> {
        invoke(
            kernel,
            op::KERNEL_CAP_EXPORT,
            [u64::from(anchor.0), 1, 0, 0],
        )?;
        self.exports.push(Export {
            anchor,
            cap,
            importers: alloc::vec![importer],
            sender: 0,
        });
        Ok(())
    }

    /// Clears and deletes export `i`'s anchor.
    pub fn drop_export(&mut self, kernel: CPtr, i: usize) {
        let anchor = self.forget_export(kernel, i);
        let _ = Cap::<kind::Any>::at(anchor).delete();
        slots::free(anchor);
    }

    /// Clears export `i`'s mark and forgets it; returns the anchor (the
    /// caller's now: RAM granted to another OSNode goes back to the memory
    /// server with it).
    pub fn forget_export(&mut self, kernel: CPtr, i: usize) -> CPtr {
        let e = self.exports.swap_remove(i);
        let _ = invoke(
            kernel,
            op::KERNEL_CAP_EXPORT,
            [u64::from(e.anchor.0), 0, 0, 0],
        );
        e.anchor
    }

    /// Whether another export than the one anchored at `anchor` sent the
    /// same capability (type and range) to `importer`, which then holds
    /// one import for both.
    pub fn shares_import(&self, anchor: CPtr, importer: u64) -> bool {
        let Some(this) = self.exports.iter().find(|e| e.anchor == anchor) else {
            return false;
        };
        let key = (this.cap.ty, this.cap.base, this.cap.size);
        self.exports.iter().any(|e| {
            e.anchor != anchor
                && (e.cap.ty, e.cap.base, e.cap.size) == key
                && e.importers.contains(&importer)
        })
    }

    /// The exports that lie inside `[base, base + size)`.
    pub fn exports_inside(&self, base: u64, size: u64) -> Vec<usize> {
        let end = base.saturating_add(size);
        (0..self.exports.len())
            .filter(|&i| {
                let c = &self.exports[i].cap;
                c.base < end && base < c.base.saturating_add(c.size)
            })
            .collect()
    }

    /// A copy of this OSNode's import of `desc` with exactly the rights it
    /// names, in a fresh slot (for a receiver).
    pub fn import_copy(&mut self, kernel: CPtr, desc: CapDesc) -> Result<CPtr, SysError> {
        let anchor = self.import(kernel, desc)?;
        let copy = slots::alloc()?;
        let rights = corefish::Rights::from_bits_truncate(desc.rights);
        if let Err(e) = Cap::<kind::Any>::at(anchor).mint_to(copy, rights, 0) {
            slots::free(copy);
            return Err(e);
        }
        Ok(copy)
    }

    /// This OSNode's copy of another OSNode's capability (made on first
    /// use, with every right; the monitor keeps it).
    pub fn import(&mut self, kernel: CPtr, desc: CapDesc) -> Result<CPtr, SysError> {
        let (ty, base, size) = (u64::from(desc.ty), desc.base, desc.size);
        if let Some(i) = self
            .imports
            .iter()
            .find(|i| (i.ty, i.base, i.size) == (ty, base, size))
        {
            return Ok(i.anchor);
        }
        let anchor = slots::alloc()?;
        if let Err(e) = invoke(
            kernel,
            op::KERNEL_CAP_IMPORT,
            [
                SlotRef::Slot(anchor).pack(),
                CapDesc {
                    rights: corefish::Rights::ALL.bits(),
                    ..desc
                }
                .type_and_rights(),
                base,
                size,
            ],
        ) {
            slots::free(anchor);
            return Err(e);
        }
        self.imports.push(Import {
            anchor,
            ty,
            base,
            size,
        });
        Ok(anchor)
    }

    /// Revokes and deletes the import of `desc` (its type and memory):
    /// every copy on this OSNode and every mapping of it goes.
    pub fn unimport(&mut self, desc: CapDesc) {
        let key = (u64::from(desc.ty), desc.base, desc.size);
        let Some(i) = self
            .imports
            .iter()
            .position(|i| (i.ty, i.base, i.size) == key)
        else {
            return;
        };
        let import = self.imports.swap_remove(i);
        // Not `Cap::revoke`: a foreign capability has no remote copies, and
        // that path would ask this very monitor.
        let _ = invoke(import.anchor, op::REVOKE, [0; 4]);
        let _ = Cap::<kind::Any>::at(import.anchor).delete();
        slots::free(import.anchor);
    }
}
