//! The frame allocator against a reference model: a set of free frame
//! numbers. Random sequences of operations must give the same answers and
//! leave the same free memory; nothing is ever handed out twice.

use frames::{FRAME_SIZE, FrameAllocator, FrameError, PhysRange};
use proptest::prelude::*;
use std::collections::BTreeSet;

const N: usize = 8;
const UNIVERSE: u64 = 128; // frames

#[derive(Debug, Clone)]
enum Op {
    AddRegion {
        frame: u64,
        count: u64,
    },
    Alloc {
        count: u64,
        align_log2: u32,
        limit: Option<u64>,
    },
    FreeBlock {
        index: usize,
    },
    Free {
        frame: u64,
        count: u64,
    },
    Reserve {
        frame: u64,
        count: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..UNIVERSE, 1..32u64).prop_map(|(frame, count)| Op::AddRegion { frame, count }),
        4 => (1..12u64, 0..4u32, proptest::option::of(1..UNIVERSE + 4))
            .prop_map(|(count, align_log2, limit)| Op::Alloc { count, align_log2, limit }),
        3 => any::<usize>().prop_map(|index| Op::FreeBlock { index }),
        1 => (0..UNIVERSE, 1..8u64).prop_map(|(frame, count)| Op::Free { frame, count }),
        1 => (0..UNIVERSE, 1..8u64).prop_map(|(frame, count)| Op::Reserve { frame, count }),
    ]
}

fn range(frame: u64, count: u64) -> PhysRange {
    PhysRange::new(frame * FRAME_SIZE, count * FRAME_SIZE)
}

fn frames_of(r: PhysRange) -> impl Iterator<Item = u64> {
    r.base / FRAME_SIZE..r.end() / FRAME_SIZE
}

/// Number of maximal runs in a set of frame numbers.
fn runs(set: &BTreeSet<u64>) -> usize {
    set.iter()
        .filter(|&&f| f == 0 || !set.contains(&(f - 1)))
        .count()
}

#[derive(Default)]
struct Model {
    managed: BTreeSet<u64>,
    free: BTreeSet<u64>,
}

impl Model {
    fn as_ranges(&self) -> Vec<PhysRange> {
        let mut out: Vec<PhysRange> = Vec::new();
        for &f in &self.free {
            match out.last_mut() {
                Some(last) if last.end() == f * FRAME_SIZE => last.size += FRAME_SIZE,
                _ => out.push(range(f, 1)),
            }
        }
        out
    }

    /// Applies a change to both sets if the result still fits `N` ranges.
    fn commit(&mut self, managed: BTreeSet<u64>, free: BTreeSet<u64>) -> Result<(), FrameError> {
        if runs(&managed) > N || runs(&free) > N {
            return Err(FrameError::TooFragmented);
        }
        self.managed = managed;
        self.free = free;
        Ok(())
    }

    fn add_region(&mut self, r: PhysRange) -> Result<(), FrameError> {
        if frames_of(r).any(|f| self.managed.contains(&f)) {
            return Err(FrameError::AlreadyManaged);
        }
        let (mut managed, mut free) = (self.managed.clone(), self.free.clone());
        managed.extend(frames_of(r));
        free.extend(frames_of(r));
        self.commit(managed, free)
    }

    fn alloc(&mut self, count: u64, align: u64, limit: u64) -> Result<u64, FrameError> {
        let align_frames = align / FRAME_SIZE;
        let fits = |b: u64| {
            (b..b + count).all(|f| self.free.contains(&f)) && (b + count) * FRAME_SIZE <= limit
        };
        let base = (0..UNIVERSE + 64)
            .step_by(align_frames as usize)
            .find(|&b| fits(b))
            .ok_or(FrameError::OutOfMemory)?;
        let mut free = self.free.clone();
        for f in base..base + count {
            free.remove(&f);
        }
        self.commit(self.managed.clone(), free)?;
        Ok(base * FRAME_SIZE)
    }

    fn free(&mut self, r: PhysRange) -> Result<(), FrameError> {
        if !frames_of(r).all(|f| self.managed.contains(&f)) {
            return Err(FrameError::NotManaged);
        }
        if frames_of(r).any(|f| self.free.contains(&f)) {
            return Err(FrameError::AlreadyFree);
        }
        let mut free = self.free.clone();
        free.extend(frames_of(r));
        self.commit(self.managed.clone(), free)
    }

    fn reserve(&mut self, r: PhysRange) -> Result<(), FrameError> {
        if !frames_of(r).all(|f| self.free.contains(&f)) {
            return Err(if frames_of(r).all(|f| self.managed.contains(&f)) {
                FrameError::NotFree
            } else {
                FrameError::NotManaged
            });
        }
        let mut free = self.free.clone();
        for f in frames_of(r) {
            free.remove(&f);
        }
        self.commit(self.managed.clone(), free)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn allocator_matches_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut alloc = FrameAllocator::<N>::new();
        let mut model = Model::default();
        let mut blocks: Vec<PhysRange> = Vec::new();
        for op in ops {
            match op {
                Op::AddRegion { frame, count } => {
                    prop_assert_eq!(alloc.add_region(range(frame, count)), model.add_region(range(frame, count)));
                }
                Op::Alloc { count, align_log2, limit } => {
                    let align = FRAME_SIZE << align_log2;
                    let limit = limit.map_or(u64::MAX, |l| l * FRAME_SIZE);
                    let got = alloc.alloc_below(count * FRAME_SIZE, align, limit);
                    prop_assert_eq!(got, model.alloc(count, align, limit));
                    if let Ok(base) = got {
                        prop_assert_eq!(base % align, 0);
                        let block = PhysRange::new(base, count * FRAME_SIZE);
                        prop_assert!(blocks.iter().all(|b| !b.overlaps(block)), "handed out twice: {:?}", block);
                        blocks.push(block);
                    }
                }
                Op::FreeBlock { index } => {
                    if blocks.is_empty() { continue; }
                    let block = blocks.swap_remove(index % blocks.len());
                    let got = alloc.free(block);
                    prop_assert_eq!(got, model.free(block));
                    if got.is_ok() {
                        // A second free of the same block is always refused.
                        prop_assert_eq!(alloc.free(block), Err(FrameError::AlreadyFree));
                    } else {
                        blocks.push(block);
                    }
                }
                Op::Free { frame, count } => {
                    let r = range(frame, count);
                    let got = alloc.free(r);
                    prop_assert_eq!(got, model.free(r));
                    if got.is_ok() {
                        blocks.retain(|b| !b.overlaps(r));
                    }
                }
                Op::Reserve { frame, count } => {
                    let r = range(frame, count);
                    prop_assert_eq!(alloc.reserve(r), model.reserve(r));
                }
            }
            prop_assert_eq!(alloc.free_ranges().collect::<Vec<_>>(), model.as_ranges());
            prop_assert_eq!(alloc.free_bytes(), model.free.len() as u64 * FRAME_SIZE);
            prop_assert_eq!(alloc.managed_bytes(), model.managed.len() as u64 * FRAME_SIZE);
        }
    }
}

#[test]
fn rejects_malformed_requests() {
    let mut alloc = FrameAllocator::<4>::new();
    assert_eq!(
        alloc.add_region(PhysRange::new(0x1000, 0)),
        Err(FrameError::ZeroSize)
    );
    assert_eq!(
        alloc.add_region(PhysRange::new(0x1001, 0x1000)),
        Err(FrameError::Misaligned)
    );
    assert_eq!(
        alloc.add_region(PhysRange::new(0xffff_ffff_ffff_f000, 0x2000)),
        Err(FrameError::Overflow)
    );
    alloc
        .add_region(PhysRange::new(0x10_0000, 0x10_0000))
        .unwrap();
    assert_eq!(
        alloc.add_region(PhysRange::new(0x18_0000, 0x10_0000)),
        Err(FrameError::AlreadyManaged)
    );
    assert_eq!(alloc.alloc(0, FRAME_SIZE), Err(FrameError::ZeroSize));
    assert_eq!(alloc.alloc(0x800, FRAME_SIZE), Err(FrameError::Misaligned));
    assert_eq!(alloc.alloc(0x1000, 0x3000), Err(FrameError::Misaligned));
    assert_eq!(alloc.alloc(0x1000, 0x800), Err(FrameError::Misaligned));
    assert_eq!(
        alloc.alloc(0x20_0000, FRAME_SIZE),
        Err(FrameError::OutOfMemory)
    );
    assert_eq!(
        alloc.alloc_below(0x1000, FRAME_SIZE, 0x10_0000),
        Err(FrameError::OutOfMemory)
    );
    assert_eq!(
        alloc.free(PhysRange::new(0x30_0000, 0x1000)),
        Err(FrameError::NotManaged)
    );
    assert_eq!(
        alloc.free(PhysRange::new(0x10_0000, 0x1000)),
        Err(FrameError::AlreadyFree)
    );
    assert_eq!(alloc.free_bytes(), 0x10_0000);
}

#[test]
fn alignment_and_limit_are_honoured() {
    let mut alloc = FrameAllocator::<8>::new();
    alloc.add_region(PhysRange::new(0x1000, 0x40_0000)).unwrap();
    assert_eq!(alloc.alloc(0x1000, 0x20_0000), Ok(0x20_0000));
    assert_eq!(alloc.alloc(0x2000, FRAME_SIZE), Ok(0x1000));
    assert_eq!(alloc.alloc_below(0x1000, FRAME_SIZE, 0x4000), Ok(0x3000));
    assert_eq!(
        alloc.alloc_below(0x1000, FRAME_SIZE, 0x4000),
        Err(FrameError::OutOfMemory)
    );
    alloc.free(PhysRange::new(0x1000, 0x2000)).unwrap();
    assert_eq!(alloc.alloc(0x3000, FRAME_SIZE), Ok(0x4000));
}
