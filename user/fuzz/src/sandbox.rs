//! The sandbox the invocations aim at: an L2 CNode of the fuzzer's CSpace
//! full of assorted capabilities, made from two pools of RAM the fuzzer
//! keeps outside it. One pool holds every right; the other is a copy
//! minted without the rights to execute and to grant, so that no capability
//! made of it may ever have them ([`Sandbox::rights_hold`]: rights never
//! grow). Refilling revokes the pools' originals: everything made of them,
//! wherever the fuzzing put it (a CNode holding a copy of itself
//! included), goes.
//! The fuzzer's own CSpace stays out of reach, so that it survives to
//! report.

use corefish::abi::cspace::{CPtr, SlotRef, root, task};
use corefish::cap::{Cap, kind};
use corefish::{ObjType, Rights, SysError, lmp, ram, slots, vspace};

/// The ring the sandbox's endpoint delivers to.
pub const SANDBOX_RING: u64 = 5;
/// Bytes of each pool.
const POOL: u64 = 1 << 20;
/// Slots of the sandbox CNode.
pub const SLOTS: u32 = 256;
/// The rights the restricted pool lacks.
const WITHHELD: Rights = Rights::EXECUTE.union(Rights::GRANT);

/// The sandbox and its pools.
pub struct Sandbox {
    /// Root slot of the sandbox CNode.
    pub root: u32,
    pool: CPtr,
    /// The original of the restricted pool's memory (kept out of the
    /// sandbox: it revokes what was made of the restricted pool).
    whole: CPtr,
    /// A copy of `whole` without the withheld rights: what the sandbox's
    /// restricted objects are made of.
    restricted_pool: CPtr,
    restricted: (u64, u64),
}

impl Sandbox {
    /// A new L2 CNode in a free root slot, and the pools.
    pub fn make() -> Result<Self, SysError> {
        let me = Cap::<kind::L1CNode>::at(task::ROOT_CNODE);
        let slots_there = corefish::cap::root_slots()?;
        let root = (root::FIRST_FREE..slots_there)
            .find(|&r| me.identify_in(CPtr::new(r, 0)) == Err(SysError::NotACNode))
            .ok_or(SysError::SlotOutOfRange)?;
        ram::alloc_into(
            ObjType::L2CNode,
            corefish::caps::L2CNODE_SIZE,
            SlotRef::Root(root),
        )?;
        let pool = ram::alloc_ram(POOL)?;
        let whole = ram::alloc_ram(POOL)?;
        let id = Cap::<kind::Ram>::at(whole).identify()?;
        let sandbox = Self {
            root,
            pool,
            whole,
            restricted_pool: slots::alloc()?,
            restricted: (id.base, id.size),
        };
        sandbox.fill()?;
        Ok(sandbox)
    }

    /// The sandbox's slot `i`.
    pub fn slot(&self, i: u32) -> CPtr {
        CPtr::new(self.root, i % SLOTS)
    }

    /// (Re)fills the sandbox: everything made from the pools before is
    /// revoked, then assorted objects are made from them again, and an
    /// endpoint to a ring nothing else uses is put in.
    pub fn fill(&self) -> Result<(), SysError> {
        let objects: [(ObjType, u64); 10] = [
            (ObjType::Ram, 256 * 1024),
            (ObjType::Ram, 64 * 1024),
            (ObjType::Frame, 16 * 1024),
            (ObjType::L2CNode, corefish::caps::L2CNODE_SIZE),
            (ObjType::VNodePt, corefish::caps::VNODE_SIZE),
            (ObjType::VNodePd, corefish::caps::VNODE_SIZE),
            (ObjType::Frame, 8192),
            (ObjType::VNodePml4, corefish::caps::VNODE_SIZE),
            (ObjType::Dispatcher, corefish::caps::DISPATCHER_SIZE),
            (ObjType::L1CNode, 16 * corefish::caps::CTE_SIZE),
        ];
        // Only an original revokes: the restricted pool is a copy of
        // `whole`, made again.
        Cap::<kind::Ram>::at(self.pool).revoke()?;
        Cap::<kind::Ram>::at(self.whole).revoke()?;
        Cap::<kind::Ram>::at(self.whole).mint_to(
            self.restricted_pool,
            Rights::ALL.difference(WITHHELD),
            0,
        )?;
        for (pool, first) in [(self.pool, 0), (self.restricted_pool, 16)] {
            let pool_cap = Cap::<kind::Ram>::at(pool);
            // Kernel objects are aligned to their size in memory, not in
            // the pool.
            let base = pool_cap.identify()?.base;
            let mut used: u64 = 0;
            for (i, (ty, size)) in objects.into_iter().enumerate() {
                let slot = self.slot(first + i as u32);
                // Whatever the fuzzing put in the slot goes first.
                let _ = Cap::<kind::Any>::at(slot).delete();
                let align = if ty.is_kernel_object() { size } else { 4096 };
                let offset = (base + used).next_multiple_of(align) - base;
                pool_cap.retype(ty, offset, size, 1, SlotRef::Slot(slot))?;
                used = offset + size;
            }
        }
        let endpoint = self.slot(10);
        let _ = Cap::<kind::Any>::at(endpoint).delete();
        Cap::<kind::Dispatcher>::at(task::DISPATCHER).create_endpoint(SANDBOX_RING, endpoint)?;
        Ok(())
    }

    /// Where in this program's CSpace capabilities to the pools' memory
    /// are, outside the sandbox (for a failure's report).
    pub fn strays(&self) -> alloc::vec::Vec<(CPtr, corefish::cap::Identity)> {
        let me = Cap::<kind::L1CNode>::at(task::ROOT_CNODE);
        let pools: alloc::vec::Vec<(u64, u64)> = [self.pool, self.whole]
            .iter()
            .filter_map(|&p| Cap::<kind::Ram>::at(p).identify().ok())
            .map(|id| (id.base, id.size))
            .collect();
        let mut found = alloc::vec::Vec::new();
        for l1 in 0..256 {
            if l1 == self.root || me.identify_in(CPtr::new(l1, 0)) == Err(SysError::NotACNode) {
                continue;
            }
            for l2 in 0..256 {
                let at = CPtr::new(l1, l2);
                if at == self.pool || at == self.whole || at == self.restricted_pool {
                    continue;
                }
                if let Ok(id) = me.identify_in(at)
                    && pools.iter().any(|&(b, s)| id.base >= b && id.base < b + s)
                {
                    found.push((at, id));
                }
            }
        }
        found
    }

    /// Whether rights never grew: no capability in the sandbox that names
    /// memory of the restricted pool may execute or grant.
    pub fn rights_hold(&self) -> Result<(), (u32, Rights)> {
        let (base, size) = self.restricted;
        for i in 0..SLOTS {
            let Ok(id) = Cap::<kind::Any>::at(self.slot(i)).identify() else {
                continue;
            };
            let inside = id.base >= base && id.base < base + size;
            let physical = id.ty.is_some_and(|t| t.is_physical());
            if inside && physical && id.rights.intersects(WITHHELD) {
                return Err((i, id.rights));
            }
        }
        Ok(())
    }

    /// After the storm: the usual operations still work.
    pub fn health_check(&self) -> Result<(), &'static str> {
        for pool in [self.pool, self.whole] {
            Cap::<kind::Ram>::at(pool)
                .revoke()
                .map_err(|_| "cannot revoke the sandbox's RAM")?;
        }
        for i in 0..SLOTS {
            let _ = Cap::<kind::Any>::at(self.slot(i)).delete();
        }
        let (_, mut mapping) =
            vspace::map_writable(8192).map_err(|_| "cannot retype and map a frame")?;
        mapping.bytes_mut()[4096..4104].copy_from_slice(&0x5a5a_u64.to_le_bytes());
        if mapping.bytes()[4096..4104] != 0x5a5a_u64.to_le_bytes() {
            return Err("the frame does not keep what was written");
        }
        while lmp::try_recv(lmp::INBOX).is_some() {}
        let me = Cap::<kind::EndPoint>::at(task::SELF_ENDPOINT);
        lmp::send(me, [1, 2, 3, 4], None).map_err(|_| "cannot send to itself")?;
        match lmp::try_recv(lmp::INBOX) {
            Some(m) if m.words == [1, 2, 3, 4] => Ok(()),
            _ => Err("the message to itself did not arrive"),
        }
    }
}
