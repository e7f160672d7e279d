//! Shared test helpers: a fake physical memory of CTEs, and a capability
//! system (memory plus MDB root) with snapshot-based failure checks.

#![allow(dead_code)] // each test file uses a subset
#![allow(clippy::unwrap_used)]

use caps::{CTE_SIZE, CapError, Capability, Cte, CteAddr, CteMemory, ObjType, mdb, ops};
use std::collections::BTreeMap;

/// Where the test CSpace's slots live (an address no object uses).
pub const SLOT_BASE: u64 = 0x7000_0000;

/// The address of test slot `i`.
pub fn slot(i: usize) -> CteAddr {
    SLOT_BASE + i as u64 * CTE_SIZE
}

/// Physical memory holding CTEs: every address not in the map reads as an
/// empty CTE, and writing an empty CTE forgets the address, so two memories
/// are equal exactly when they hold the same non-empty CTEs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeMem {
    ctes: BTreeMap<u64, Cte>,
}

impl CteMemory for FakeMem {
    fn read(&self, at: CteAddr) -> Cte {
        assert!(
            at != 0 && at.is_multiple_of(CTE_SIZE),
            "read of bad CTE address {at:#x}"
        );
        self.ctes.get(&at).copied().unwrap_or_default()
    }

    fn write(&mut self, at: CteAddr, cte: &Cte) {
        assert!(
            at != 0 && at.is_multiple_of(CTE_SIZE),
            "write of bad CTE address {at:#x}"
        );
        if *cte == Cte::NULL {
            self.ctes.remove(&at);
        } else {
            self.ctes.insert(at, *cte);
        }
    }
}

/// A capability system: its memory and its MDB root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sys {
    pub mem: FakeMem,
    pub root: CteAddr,
}

impl Sys {
    /// A system with root caps: slot 0 Ram `[1 MiB, 2 MiB)`, slot 1 PhysAddr
    /// `[1 GiB, +1 MiB)`, slot 2 Io ports `[0x60, 0xa0)`, slot 3 Kernel.
    pub fn with_roots() -> Self {
        let mut sys = Sys::default();
        sys.create(ObjType::Ram, 0x10_0000, 0x10_0000, 0).unwrap();
        sys.create(ObjType::PhysAddr, 0x4000_0000, 0x10_0000, 1)
            .unwrap();
        sys.create(ObjType::Io, 0x60, 0x40, 2).unwrap();
        sys.create(ObjType::Kernel, 0, 1, 3).unwrap();
        sys
    }

    /// Creates a root cap in test slot `dest`.
    pub fn create(
        &mut self,
        ty: ObjType,
        base: u64,
        size: u64,
        dest: usize,
    ) -> Result<(), CapError> {
        ops::create(&mut self.mem, &mut self.root, ty, base, size, slot(dest))
    }

    /// Retypes test slot `src` into test slots `dest`.
    pub fn retype(
        &mut self,
        src: usize,
        ty: ObjType,
        offset: u64,
        objsize: u64,
        dest: &[usize],
    ) -> Result<(), CapError> {
        let dest: Vec<CteAddr> = dest.iter().map(|&d| slot(d)).collect();
        let count = dest.len() as u64;
        ops::retype(
            &mut self.mem,
            &mut self.root,
            slot(src),
            ty,
            offset,
            objsize,
            count,
            &dest,
        )
    }

    /// The capability in test slot `i` (panics if empty).
    pub fn cap(&self, i: usize) -> Capability {
        ops::identify(&self.mem, slot(i)).unwrap()
    }

    /// Every non-empty slot and its capability.
    pub fn live(&self) -> BTreeMap<CteAddr, Capability> {
        self.mem
            .ctes
            .iter()
            .filter(|(_, cte)| !cte.cap.is_null())
            .map(|(&at, cte)| (at, cte.cap))
            .collect()
    }

    /// Checks the MDB and that it holds exactly the live caps.
    pub fn check(&self) {
        let count = mdb::check_invariants(&self.mem, self.root).unwrap();
        assert_eq!(count, self.live().len() as u64, "MDB and live caps differ");
        for &at in self.live().keys() {
            assert!(
                mdb::contains(&self.mem, self.root, at),
                "{at:#x} not in the MDB"
            );
        }
    }

    /// Runs `op`, which must fail, and checks that it changed nothing.
    pub fn fails<T: std::fmt::Debug>(
        &mut self,
        op: impl FnOnce(&mut FakeMem, &mut CteAddr) -> Result<T, CapError>,
    ) -> CapError {
        let before = self.clone();
        let err = op(&mut self.mem, &mut self.root).expect_err("operation should fail");
        assert_eq!(*self, before, "a failed operation ({err}) changed state");
        err
    }
}
