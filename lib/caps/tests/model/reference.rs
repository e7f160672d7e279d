//! The reference model: capabilities in slots, each naming an object in an
//! explicit derivation forest. Copies share an object; a retyped or derived
//! object records its parent object. Every operation states its checks
//! in the documented order, from the forest alone (no ranges decide
//! ancestry here, unlike the real MDB).

use caps::{CapError, Capability, ObjType};

/// Test slots in the CSpace.
pub const SLOTS: usize = 32;

/// An object: what its capabilities name.
#[derive(Clone, Debug)]
pub struct Obj {
    pub ty: ObjType,
    pub base: u64,
    pub size: u64,
    /// L1 slot count, endpoint index or mapping entry count.
    pub extra: u32,
    /// A mapping's page-table entry (part of its identity); else 0.
    pub word: u64,
    pub parent: Option<usize>,
}

/// A capability in a slot.
#[derive(Clone, Debug, PartialEq)]
pub struct MCap {
    pub obj: usize,
    pub rights: u8,
    pub badge: u64,
    /// Made by copy or mint: it cannot revoke.
    pub copy: bool,
}

/// What a delete reports: the capability, last copy, had descendants.
pub type MDeleted = (Capability, bool, bool);

#[derive(Clone, Debug)]
pub struct Model {
    pub objs: Vec<Obj>,
    pub slots: Vec<Option<MCap>>,
}

/// Which targets the model allows for each source type.
pub fn legal_targets(from: ObjType) -> &'static [ObjType] {
    use ObjType::*;
    match from {
        PhysAddr => &[PhysAddr, DevFrame],
        Ram => &[
            Ram,
            Frame,
            L1CNode,
            L2CNode,
            VNodePml4,
            VNodePdpt,
            VNodePd,
            VNodePt,
            Dispatcher,
            KernelControlBlock,
        ],
        Frame => &[Frame],
        DevFrame => &[DevFrame],
        Io => &[Io],
        _ => &[],
    }
}

pub fn is_vnode(t: ObjType) -> bool {
    use ObjType::*;
    matches!(t, VNodePml4 | VNodePdpt | VNodePd | VNodePt)
}

pub fn is_leaf(t: ObjType) -> bool {
    matches!(t, ObjType::EndPoint | ObjType::Mapping)
}

/// Kernel objects: fixed size (or slot count), naturally aligned.
pub fn is_kernel_object(t: ObjType) -> bool {
    use ObjType::*;
    is_vnode(t) || matches!(t, L1CNode | L2CNode | Dispatcher | KernelControlBlock)
}

/// Whether `base`/`size` are physical addresses.
pub fn is_physical(t: ObjType) -> bool {
    (1..=14).contains(&(t as u8))
}

impl Model {
    pub fn new(roots: &[(usize, ObjType, u64, u64)]) -> Self {
        let mut m = Model {
            objs: Vec::new(),
            slots: vec![None; SLOTS],
        };
        for &(slot, ty, base, size) in roots {
            m.add(slot, ty, base, size, 0, 0, None, 15, 0);
        }
        m
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        slot: usize,
        ty: ObjType,
        base: u64,
        size: u64,
        extra: u32,
        word: u64,
        parent: Option<usize>,
        rights: u8,
        badge: u64,
    ) {
        let obj = self.objs.len();
        self.objs.push(Obj {
            ty,
            base,
            size,
            extra,
            word,
            parent,
        });
        self.slots[slot] = Some(MCap {
            obj,
            rights,
            badge,
            copy: false,
        });
    }

    /// The capability the real system must hold in `slot`.
    pub fn cap(&self, slot: usize) -> Option<Capability> {
        let c = self.slots[slot].as_ref()?;
        let o = &self.objs[c.obj];
        let word = match o.ty {
            ObjType::EndPoint => c.badge,
            ObjType::Mapping => o.word,
            _ => 0,
        };
        Some(Capability {
            raw_type: o.ty as u8,
            rights: c.rights,
            flags: if c.copy { caps::FLAG_COPY } else { 0 },
            reserved: 0,
            extra: o.extra,
            base: o.base,
            size: o.size,
            word,
        })
    }

    pub fn live(&self) -> impl Iterator<Item = (usize, &MCap)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(s, c)| c.as_ref().map(|c| (s, c)))
    }

    pub fn live_slots(&self) -> Vec<usize> {
        self.live().map(|(s, _)| s).collect()
    }

    pub fn empty_slots(&self) -> Vec<usize> {
        (0..SLOTS).filter(|&s| self.slots[s].is_none()).collect()
    }

    /// Whether object `obj` was derived (transitively) from object `anc`.
    pub fn below(&self, anc: usize, obj: usize) -> bool {
        let mut p = self.objs[obj].parent;
        while let Some(x) = p {
            if x == anc {
                return true;
            }
            p = self.objs[x].parent;
        }
        false
    }

    pub fn copies(&self, slot: usize) -> Vec<usize> {
        let Some(c) = &self.slots[slot] else {
            return Vec::new();
        };
        self.live()
            .filter(|&(s, d)| s != slot && d.obj == c.obj)
            .map(|(s, _)| s)
            .collect()
    }

    pub fn descendants(&self, slot: usize) -> Vec<usize> {
        let Some(c) = &self.slots[slot] else {
            return Vec::new();
        };
        self.live()
            .filter(|(_, d)| self.below(c.obj, d.obj))
            .map(|(s, _)| s)
            .collect()
    }

    /// Whether a live object derived from `anc` (and passing `pred`)
    /// overlaps `[start, end)`.
    fn live_below_overlapping(
        &self,
        anc: usize,
        start: u64,
        end: u64,
        pred: impl Fn(&Obj) -> bool,
    ) -> bool {
        self.live().any(|(_, c)| {
            let o = &self.objs[c.obj];
            self.below(anc, c.obj) && o.base < end && start < o.base + o.size && pred(o)
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn retype(
        &mut self,
        src: usize,
        ty: ObjType,
        offset: u64,
        objsize: u64,
        count: u64,
        dests: &[usize],
    ) -> Result<(), CapError> {
        use CapError::*;
        use ObjType::*;
        let sc = self.slots[src].clone().ok_or(SlotEmpty)?;
        let so = self.objs[sc.obj].clone();
        if !legal_targets(so.ty).contains(&ty) {
            return Err(IllegalRetype);
        }
        if sc.rights & 2 == 0 {
            return Err(InsufficientRights);
        }
        if count == 0 || count > 4096 || dests.len() as u64 != count {
            return Err(BadCount);
        }
        if (1..dests.len()).any(|i| dests[..i].contains(&dests[i])) {
            return Err(BadArgument);
        }
        if dests.iter().any(|&d| self.slots[d].is_some()) {
            return Err(SlotOccupied);
        }
        let slots = objsize / 64;
        let size_ok = match ty {
            L1CNode => {
                objsize.is_multiple_of(64)
                    && slots.is_power_of_two()
                    && (16..=65536).contains(&slots)
            }
            L2CNode | KernelControlBlock => objsize == 16384,
            Dispatcher => objsize == 1024,
            t if is_vnode(t) => objsize == caps::VNODE_SIZE,
            _ => objsize > 0,
        };
        if !size_ok || ty == so.ty && objsize >= so.size {
            return Err(BadSize);
        }
        let start = u128::from(so.base) + u128::from(offset);
        let aligned = if is_kernel_object(ty) {
            start.is_multiple_of(u128::from(objsize))
        } else if is_physical(ty) {
            offset.is_multiple_of(4096) && objsize.is_multiple_of(4096)
        } else {
            true
        };
        if !aligned {
            return Err(Misaligned);
        }
        let len = u128::from(count) * u128::from(objsize);
        if u128::from(offset) + len > u128::from(so.size) {
            return Err(OutOfBounds);
        }
        let (start, end) = (start as u64, (start + len) as u64);
        if self.live_below_overlapping(sc.obj, start, end, |_| true) {
            return Err(Overlap);
        }
        let extra = if ty == L1CNode { slots as u32 } else { 0 };
        for (i, &d) in dests.iter().enumerate() {
            let base = start + i as u64 * objsize;
            // Rights never grow: the new objects have the source's.
            self.add(
                d,
                ty,
                base,
                objsize,
                extra,
                0,
                Some(sc.obj),
                sc.rights & 15,
                0,
            );
        }
        Ok(())
    }

    pub fn mint(&mut self, src: usize, dest: usize, mask: u8, badge: u64) -> Result<(), CapError> {
        let sc = self.slots[src].clone().ok_or(CapError::SlotEmpty)?;
        let ty = self.objs[sc.obj].ty;
        if ty == ObjType::Mapping {
            return Err(CapError::NotCopyable);
        }
        if badge != 0 && (ty != ObjType::EndPoint || sc.badge != 0) {
            return Err(CapError::BadArgument);
        }
        if self.slots[dest].is_some() {
            return Err(CapError::SlotOccupied);
        }
        let badge = if badge != 0 { badge } else { sc.badge };
        self.slots[dest] = Some(MCap {
            obj: sc.obj,
            rights: sc.rights & mask & 15,
            badge,
            copy: true,
        });
        Ok(())
    }

    pub fn derive(
        &mut self,
        parent: usize,
        child: &Capability,
        dest: usize,
    ) -> Result<(), CapError> {
        use ObjType::*;
        let pc = self.slots[parent].clone().ok_or(CapError::SlotEmpty)?;
        let po = self.objs[pc.obj].clone();
        let ct = child.obj_type();
        let of_frame = ct == Mapping && matches!(po.ty, Frame | DevFrame);
        let pair = match ct {
            EndPoint => po.ty == Dispatcher,
            Mapping => of_frame || is_vnode(po.ty),
            _ => false,
        };
        let whole = child.base == po.base && child.size == po.size;
        let inside =
            child.size > 0 && child.base >= po.base && child.base + child.size <= po.base + po.size;
        if !pair || !(whole || of_frame && inside) {
            return Err(CapError::NotDerivable);
        }
        if of_frame && (!child.base.is_multiple_of(4096) || !child.size.is_multiple_of(4096)) {
            return Err(CapError::Misaligned);
        }
        if self.slots[dest].is_some() {
            return Err(CapError::SlotOccupied);
        }
        let disc = |ty: ObjType, extra: u32, word: u64| {
            if ty == EndPoint {
                u64::from(extra)
            } else {
                word
            }
        };
        let child_disc = disc(ct, child.extra, child.word);
        let exists = self.live().any(|(_, c)| {
            let o = &self.objs[c.obj];
            (o.ty, o.base, o.size, disc(o.ty, o.extra, o.word))
                == (ct, child.base, child.size, child_disc)
        });
        if exists {
            return Err(CapError::NotDerivable);
        }
        let (start, end) = (child.base, child.base + child.size);
        if of_frame && self.live_below_overlapping(pc.obj, start, end, |o| !is_leaf(o.ty)) {
            return Err(CapError::Overlap);
        }
        let (word, badge) = if ct == Mapping {
            (child.word, 0)
        } else {
            (0, child.word)
        };
        let rights = child.rights & pc.rights & 15;
        self.add(
            dest,
            ct,
            child.base,
            child.size,
            child.extra,
            word,
            Some(pc.obj),
            rights,
            badge,
        );
        Ok(())
    }

    pub fn delete(&mut self, slot: usize) -> Result<MDeleted, CapError> {
        let cap = self.cap(slot).ok_or(CapError::SlotEmpty)?;
        let last_copy = self.copies(slot).is_empty();
        let had_descendants = !self.descendants(slot).is_empty();
        self.slots[slot] = None;
        Ok((cap, last_copy, had_descendants))
    }

    /// What revoke must delete: every copy and descendant (only an
    /// original revokes).
    pub fn revoke_set(&self, slot: usize) -> Result<Vec<usize>, CapError> {
        match &self.slots[slot] {
            None => return Err(CapError::SlotEmpty),
            Some(c) if c.copy => return Err(CapError::NotOriginal),
            Some(_) => {}
        }
        let mut set = self.copies(slot);
        set.extend(self.descendants(slot));
        set.sort();
        Ok(set)
    }
}
