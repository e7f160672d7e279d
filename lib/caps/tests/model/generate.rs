//! Random operations for the model test: what to do, with slots and
//! arguments chosen relative to the state at the time of the step (so a
//! sequence stays meaningful as the system changes).

use crate::reference::{Model, SLOTS, is_kernel_object, legal_targets};
use caps::{Capability, ObjType};
use proptest::prelude::*;

/// Every type, for illegal retype targets.
pub const ALL_TYPES: [ObjType; 22] = {
    let mut all = [ObjType::Null; 22];
    let mut i = 0;
    while i < 22 {
        all[i] = match ObjType::from_raw(i as u8) {
            Some(t) => t,
            None => ObjType::Null,
        };
        i += 1;
    }
    all
};

/// A slot chosen relative to the state when the step runs.
#[derive(Clone, Debug)]
pub enum Sel {
    Any(usize),
    /// A live slot; for retype and derive, one of a type the operation
    /// suits if there is one.
    Live(usize),
    Empty(usize),
}

/// A retype target.
#[derive(Clone, Copy, Debug)]
pub enum TySel {
    /// One the source allows (the interesting ones more often).
    Favoured(usize),
    /// Any type at all.
    Any(usize),
    /// This one (the source is chosen among those that allow it).
    Exactly(ObjType),
}

#[derive(Clone, Debug)]
pub enum Op {
    Retype {
        src: Sel,
        ty: TySel,
        /// `(natural, index)`: an offset in units the type needs, or raw.
        offset: (bool, usize),
        /// `(natural, index)`: the type's size, or one from a table.
        size: (bool, usize),
        dests: Vec<Sel>,
        count_delta: i64,
    },
    Copy {
        src: Sel,
        dest: Sel,
    },
    Mint {
        src: Sel,
        dest: Sel,
        mask: u8,
        badge: u64,
    },
    DeriveEndPoint {
        parent: Sel,
        index: u32,
        badge: u64,
        shifted: bool,
        dest: Sel,
    },
    DeriveMapping {
        parent: Sel,
        page: u64,
        pages: u64,
        entry: u64,
        skewed: bool,
        rights: u8,
        dest: Sel,
    },
    Delete(Sel),
    Revoke(Sel),
    RevokeStep(Sel),
}

pub fn src() -> impl Strategy<Value = Sel> {
    prop_oneof![1 => any::<usize>().prop_map(Sel::Any), 6 => any::<usize>().prop_map(Sel::Live)]
}

pub fn dest() -> impl Strategy<Value = Sel> {
    prop_oneof![1 => any::<usize>().prop_map(Sel::Any), 6 => any::<usize>().prop_map(Sel::Empty)]
}

pub fn flag(true_weight: u32) -> impl Strategy<Value = bool> {
    prop_oneof![true_weight => Just(true), 10 - true_weight => Just(false)]
}

pub fn retype(ty: impl Strategy<Value = TySel>) -> impl Strategy<Value = Op> {
    let count_delta = prop_oneof![10 => Just(0i64), 1 => Just(-1i64), 1 => Just(1i64)];
    let shape = ((flag(7), any::<usize>()), (flag(7), any::<usize>()));
    let dests = proptest::collection::vec(dest(), 1..4);
    (src(), ty, shape, dests, count_delta).prop_map(
        |(src, ty, (offset, size), dests, count_delta)| Op::Retype {
            src,
            ty,
            offset,
            size,
            dests,
            count_delta,
        },
    )
}

pub fn badge() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 1 => 1..4u64]
}

pub fn derive_endpoint() -> impl Strategy<Value = Op> {
    (src(), 0..3u32, badge(), flag(1), dest()).prop_map(|(parent, index, badge, shifted, dest)| {
        Op::DeriveEndPoint {
            parent,
            index,
            badge,
            shifted,
            dest,
        }
    })
}

pub fn derive_mapping() -> impl Strategy<Value = Op> {
    let page = prop_oneof![1 => Just(0u64), 2 => any::<u64>()];
    let pages = prop_oneof![3 => Just(1u64), 1 => 0..4u64];
    (src(), page, pages, 0..3u64, flag(1), any::<u8>(), dest()).prop_map(
        |(parent, page, pages, entry, skewed, rights, dest)| Op::DeriveMapping {
            parent,
            page,
            pages,
            entry,
            skewed,
            rights,
            dest,
        },
    )
}

/// Any operation.
pub fn op() -> impl Strategy<Value = Op> {
    let ty = prop_oneof![
        8 => any::<usize>().prop_map(TySel::Favoured),
        2 => any::<usize>().prop_map(TySel::Any),
    ];
    prop_oneof![
        8 => retype(ty),
        2 => (src(), dest()).prop_map(|(src, dest)| Op::Copy { src, dest }),
        2 => (src(), dest(), any::<u8>(), badge())
            .prop_map(|(src, dest, mask, badge)| Op::Mint { src, dest, mask, badge }),
        2 => derive_endpoint(),
        2 => derive_mapping(),
        2 => src().prop_map(Op::Delete),
        1 => src().prop_map(Op::Revoke),
        1 => src().prop_map(Op::RevokeStep),
    ]
}

/// Operations on frames only: nested frames and their mappings.
pub fn frame_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => retype(Just(TySel::Exactly(ObjType::Frame))),
        4 => derive_mapping(),
        1 => (src(), dest()).prop_map(|(src, dest)| Op::Copy { src, dest }),
        1 => src().prop_map(Op::Delete),
        1 => src().prop_map(Op::Revoke),
        1 => src().prop_map(Op::RevokeStep),
    ]
}

pub fn resolve(model: &Model, sel: &Sel) -> usize {
    resolve_for(model, sel, |_| true)
}

/// Like [`resolve`], preferring live slots whose type passes `suits`.
pub fn resolve_for(model: &Model, sel: &Sel, suits: impl Fn(ObjType) -> bool) -> usize {
    let pick = |list: Vec<usize>, k: usize| {
        if list.is_empty() {
            k % SLOTS
        } else {
            list[k % list.len()]
        }
    };
    match *sel {
        Sel::Any(k) => k % SLOTS,
        Sel::Live(k) => {
            let live = model.live_slots();
            let suited: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&s| model.cap(s).is_some_and(|c| suits(c.obj_type())))
                .collect();
            pick(if suited.is_empty() { live } else { suited }, k)
        }
        Sel::Empty(k) => pick(model.empty_slots(), k),
    }
}

/// Legal targets of `from`, repeated to make the interesting ones
/// (those that can be mapped or have endpoints) more frequent.
pub fn favoured_targets(from: ObjType) -> Vec<ObjType> {
    let mut list = legal_targets(from).to_vec();
    if from == ObjType::Ram {
        list.extend([
            ObjType::Frame,
            ObjType::Dispatcher,
            ObjType::Dispatcher,
            ObjType::VNodePt,
        ]);
    }
    list
}

/// The retype arguments an `Op::Retype` stands for in the current state.
pub fn retype_args(
    src: &Capability,
    ty: TySel,
    offset: (bool, usize),
    size: (bool, usize),
) -> (ObjType, u64, u64) {
    let src_ty = src.obj_type();
    let favoured = favoured_targets(src_ty);
    let ty = match ty {
        TySel::Favoured(k) if !favoured.is_empty() => favoured[k % favoured.len()],
        TySel::Favoured(k) | TySel::Any(k) => ALL_TYPES[k % ALL_TYPES.len()],
        TySel::Exactly(t) => t,
    };
    let io = src_ty == ObjType::Io;
    let objsize = if size.0 {
        let k = size.1;
        match ty {
            ObjType::L1CNode => [1024, 4096][k % 2],
            t if t.fixed_size().is_some() => t.fixed_size().unwrap_or(0),
            _ if io => [1, 4, 8][k % 3],
            // A half, quarter or eighth of the source, in whole pages.
            _ => (src.size >> (1 + k % 3)) / 4096 * 4096,
        }
    } else if io {
        [0, 1, 2, 3, 16, 64][size.1 % 6]
    } else {
        [0, 1024, 2048, 4096, 6000, 8192, 16384, 65536, 1 << 62][size.1 % 9]
    };
    let k = offset.1 as u64;
    let offset = if offset.0 {
        // Somewhere inside the source, in steps the type allows.
        let step = match ty {
            _ if io => 1,
            t if is_kernel_object(t) => objsize.max(4096),
            _ => 4096,
        };
        k % (src.size / step).max(1) * step
    } else if io {
        k % 70
    } else {
        k % 64 * 1024
    };
    (ty, offset, objsize)
}
