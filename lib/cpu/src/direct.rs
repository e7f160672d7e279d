//! The direct map of physical memory with one range moved: every page of
//! `[0, top)` at `base + phys`, in pages as large as allowed, except that
//! the pages of [`Moved::from`] show the memory at [`Moved::to`] instead.
//!
//! This is how kernels of one image share their text (see
//! `docs/design.md`, *Shared kernel text*): the image is loaded once, at
//! one physical address, and every core that runs it maps it at the same
//! direct-map address, so the code and its translations are the same; the
//! image's writable part is moved, in each core's tables, to that core's
//! own copy. The boot driver builds a starting core's first tables with
//! [`map_direct`], and the kernel builds its own the same way.

use crate::paging::{LARGE_PAGE_SIZE, MapError, PAGE_SIZE, TableMemory, map};

/// A page-aligned physical range whose direct-map addresses show other
/// memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// First byte of the range (page-aligned).
    pub from: u64,
    /// Bytes (a multiple of the page size).
    pub size: u64,
    /// Where the memory shown there is (page-aligned).
    pub to: u64,
}

impl Moved {
    /// Where the direct-map page of `phys` points.
    pub fn target(&self, phys: u64) -> u64 {
        if phys >= self.from && phys - self.from < self.size {
            self.to + (phys - self.from)
        } else {
            phys
        }
    }

    fn overlaps(&self, start: u64, len: u64) -> bool {
        start < self.from + self.size && self.from < start + len
    }
}

/// Maps `[0, top)` at `base` with pages of `chunk` (2 MiB or 1 GiB; `top`
/// a multiple of it), where `flags(chunk_start)` gives each chunk's entry
/// bits, and the pages of `moved` (if any) pointing at its `to`: the
/// chunks around it are split into 2 MiB and then 4 KiB pages.
pub fn map_direct(
    mem: &mut impl TableMemory,
    pml4: u64,
    base: u64,
    top: u64,
    chunk: u64,
    moved: Option<Moved>,
    flags: impl Fn(u64) -> u64,
) -> Result<(), MapError> {
    if let Some(m) = moved
        && (!m.from.is_multiple_of(PAGE_SIZE)
            || !m.size.is_multiple_of(PAGE_SIZE)
            || !m.to.is_multiple_of(PAGE_SIZE)
            || m.from.checked_add(m.size).is_none_or(|end| end > top))
    {
        return Err(MapError::Misaligned);
    }
    if !top.is_multiple_of(chunk) {
        return Err(MapError::Misaligned);
    }
    let mut start = 0;
    while start < top {
        span(mem, pml4, base, start, chunk, moved, flags(start))?;
        start += chunk;
    }
    Ok(())
}

/// Maps the page `[start, start + page)`: as one page if it holds no
/// moved page, else as smaller pages, in as few runs as possible (the
/// pages before and after the moved ones in one call each).
fn span(
    mem: &mut impl TableMemory,
    pml4: u64,
    base: u64,
    start: u64,
    page: u64,
    moved: Option<Moved>,
    flags: u64,
) -> Result<(), MapError> {
    let end = start + page;
    let m = match moved {
        Some(m) if m.overlaps(start, page) => m,
        _ => return map(mem, pml4, base + start, start, page, page, flags),
    };
    // The moved pages within this one.
    let (first, past) = (m.from.max(start), (m.from + m.size).min(end));
    if page <= LARGE_PAGE_SIZE {
        // 4 KiB pages: before, the moved run, after.
        let small = PAGE_SIZE;
        map(mem, pml4, base + start, start, first - start, small, flags)?;
        map(
            mem,
            pml4,
            base + first,
            m.target(first),
            past - first,
            small,
            flags,
        )?;
        return map(mem, pml4, base + past, past, end - past, small, flags);
    }
    // A huge page: 2 MiB pages before and after the ones that hold moved
    // pages, which are split further.
    let large = LARGE_PAGE_SIZE;
    let lo = first & !(large - 1);
    let hi = past.next_multiple_of(large);
    map(mem, pml4, base + start, start, lo - start, large, flags)?;
    let mut at = lo;
    while at < hi {
        span(mem, pml4, base, at, large, moved, flags)?;
        at += large;
    }
    map(mem, pml4, base + hi, hi, end - hi, large, flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::tests::FakeMemory;
    use crate::paging::{GLOBAL, HUGE_PAGE_SIZE, PRESENT, WRITABLE, translate};
    use proptest::prelude::*;

    const BASE: u64 = 0xffff_8000_0000_0000;
    const TOP: u64 = 4 << 30;

    proptest! {
        /// Every page of the map shows its own memory except the moved
        /// ones, which show theirs; nothing above the top is mapped, and
        /// the tables stay small.
        #[test]
        fn only_the_moved_pages_move(
            from_page in 0u64..(TOP / PAGE_SIZE - 600),
            pages in 1u64..520,
            to_page in 0u64..(TOP / PAGE_SIZE),
            huge: bool,
        ) {
            let chunk = if huge { HUGE_PAGE_SIZE } else { LARGE_PAGE_SIZE };
            let moved = Moved { from: from_page * PAGE_SIZE, size: pages * PAGE_SIZE, to: to_page * PAGE_SIZE };
            let (mut mem, root) = FakeMemory::new(64);
            map_direct(&mut mem, root, BASE, TOP, chunk, Some(moved), |_| WRITABLE | GLOBAL).expect("maps");
            let probes = [0, moved.from, moved.from + moved.size - 1, moved.from + moved.size,
                moved.from.saturating_sub(1), moved.from + moved.size / 2, TOP - 1,
                moved.from & !(LARGE_PAGE_SIZE - 1), (moved.from + moved.size) | (LARGE_PAGE_SIZE - 1)];
            for phys in probes.into_iter().filter(|&p| p < TOP) {
                let expected = moved.target(phys & !(PAGE_SIZE - 1)) + (phys & (PAGE_SIZE - 1));
                let (got, bits) = translate(&mut mem, root, BASE + phys).expect("mapped");
                prop_assert_eq!(got, expected, "phys {:#x}", phys);
                prop_assert!(bits & PRESENT != 0 && bits & WRITABLE != 0 && bits & GLOBAL != 0);
            }
            prop_assert_eq!(translate(&mut mem, root, BASE + TOP), None);
            // PML4, PDPT, up to four PDs and two page tables (a moved range
            // under 2 MiB touches at most two 2 MiB pages).
            prop_assert!(mem.tables.len() <= 8, "{} tables", mem.tables.len());
        }
    }

    #[test]
    fn without_a_move_it_is_the_plain_direct_map() {
        let (mut mem, root) = FakeMemory::new(8);
        map_direct(&mut mem, root, BASE, TOP, HUGE_PAGE_SIZE, None, |_| {
            WRITABLE
        })
        .expect("maps");
        assert_eq!(mem.tables.len(), 2);
        assert_eq!(
            translate(&mut mem, root, BASE + 0x1234_5678).map(|t| t.0),
            Some(0x1234_5678)
        );
    }

    #[test]
    fn refuses_a_move_that_is_not_page_aligned_or_beyond_the_top() {
        let (mut mem, root) = FakeMemory::new(8);
        for m in [
            Moved {
                from: 0x1001,
                size: PAGE_SIZE,
                to: 0,
            },
            Moved {
                from: 0x1000,
                size: 100,
                to: 0,
            },
            Moved {
                from: 0x1000,
                size: PAGE_SIZE,
                to: 0x10,
            },
            Moved {
                from: TOP,
                size: PAGE_SIZE,
                to: 0,
            },
        ] {
            assert_eq!(
                map_direct(&mut mem, root, BASE, TOP, LARGE_PAGE_SIZE, Some(m), |_| 0),
                Err(MapError::Misaligned)
            );
        }
        assert_eq!(mem.tables.len(), 1, "nothing was mapped");
    }
}
