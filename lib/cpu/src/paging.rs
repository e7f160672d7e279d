//! x86_64 four-level page tables: entry format, mapping and translation.
//!
//! The code is independent of how page-table memory is reached: a
//! [`TableMemory`] gives access to a table by physical address and provides
//! fresh zeroed tables. The CPU driver implements it over its direct map;
//! host tests implement it over a hash map of boxed tables.

/// Size of a base page.
pub const PAGE_SIZE: u64 = 4096;
/// Size of a large (2 MiB) page, mapped by a page-directory entry.
pub const LARGE_PAGE_SIZE: u64 = 2 << 20;
/// Size of a huge (1 GiB) page, mapped by a PDPT entry.
pub const HUGE_PAGE_SIZE: u64 = 1 << 30;

/// Entry bit: the entry is valid.
pub const PRESENT: u64 = 1 << 0;
/// Entry bit: writes allowed.
pub const WRITABLE: u64 = 1 << 1;
/// Entry bit: ring 3 may access.
pub const USER: u64 = 1 << 2;
/// Entry bit: write-through caching.
pub const WRITE_THROUGH: u64 = 1 << 3;
/// Entry bit: caching disabled.
pub const CACHE_DISABLE: u64 = 1 << 4;
/// Entry bit (PD/PDPT entries): the entry maps a large/huge page.
pub const PAGE_SIZE_BIT: u64 = 1 << 7;
/// Entry bit: the translation survives CR3 reloads.
pub const GLOBAL: u64 = 1 << 8;
/// Entry bit: instruction fetches fault (needs EFER.NXE).
pub const NO_EXECUTE: u64 = 1 << 63;
/// The physical-address bits of an entry.
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Access to page-table memory by physical address.
pub trait TableMemory {
    /// Provides a zeroed, 4 KiB-aligned table and returns its physical
    /// address, or `None` when out of memory.
    fn alloc_table(&mut self) -> Option<u64>;
    /// The table at physical address `phys` (previously returned by
    /// `alloc_table` or the root given to [`map`]).
    fn table(&mut self, phys: u64) -> &mut [u64; 512];
}

/// Why a mapping request was refused. Nothing is changed when an error is
/// returned before the first entry is written; `OutOfMemory` and
/// `AlreadyMapped` may leave earlier pages of the range mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// `virt`, `phys` or `size` is not a multiple of the page size, or the
    /// page size is not 4 KiB, 2 MiB or 1 GiB.
    Misaligned,
    /// The virtual range is not canonical or wraps around.
    NonCanonical,
    /// A page of the range is already mapped (or covered by a larger page).
    AlreadyMapped {
        /// The first virtual address found mapped.
        virt: u64,
    },
    /// [`TableMemory::alloc_table`] had no memory for an intermediate table.
    OutOfMemory,
}

/// Index of `virt` in the table at `level` (4 = PML4 ... 1 = page table).
pub const fn table_index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Whether `virt` is a canonical 48-bit address.
pub const fn is_canonical(virt: u64) -> bool {
    let high = virt >> 47;
    high == 0 || high == 0x1_ffff
}

fn leaf_level(page_size: u64) -> Option<u32> {
    match page_size {
        PAGE_SIZE => Some(1),
        LARGE_PAGE_SIZE => Some(2),
        HUGE_PAGE_SIZE => Some(3),
        _ => None,
    }
}

/// Maps `[virt, virt + size)` to `[phys, phys + size)` with pages of
/// `page_size` and entry bits `flags` (PRESENT is added; PAGE_SIZE_BIT is
/// added for large and huge pages). Intermediate tables are created
/// present, writable and user-accessible so that the leaf's bits decide.
pub fn map(
    mem: &mut impl TableMemory,
    pml4: u64,
    virt: u64,
    phys: u64,
    size: u64,
    page_size: u64,
    flags: u64,
) -> Result<(), MapError> {
    let leaf = leaf_level(page_size).ok_or(MapError::Misaligned)?;
    if !virt.is_multiple_of(page_size)
        || !phys.is_multiple_of(page_size)
        || !size.is_multiple_of(page_size)
    {
        return Err(MapError::Misaligned);
    }
    if size == 0 {
        return Ok(());
    }
    let last = virt.checked_add(size - 1).ok_or(MapError::NonCanonical)?;
    if !is_canonical(virt) || !is_canonical(last) || (virt >> 47) != (last >> 47) {
        return Err(MapError::NonCanonical);
    }
    if phys
        .checked_add(size - 1)
        .is_none_or(|end| end & !ADDR_MASK & !0xfff != 0)
    {
        return Err(MapError::Misaligned);
    }
    let leaf_bits = flags | PRESENT | if leaf > 1 { PAGE_SIZE_BIT } else { 0 };
    // One walk per leaf table, then every entry of the range in it.
    let mut offset = 0;
    while offset < size {
        let at = virt + offset;
        let table = leaf_table(mem, pml4, at, leaf)?;
        let first = table_index(at, leaf);
        let count = (512 - first).min(((size - offset) / page_size) as usize);
        let entries = mem.table(table);
        for i in 0..count {
            let slot = &mut entries[first + i];
            let page = offset + i as u64 * page_size;
            if *slot & PRESENT != 0 {
                return Err(MapError::AlreadyMapped { virt: virt + page });
            }
            *slot = (phys + page) | leaf_bits;
        }
        offset += count as u64 * page_size;
    }
    Ok(())
}

/// The table at level `leaf` that maps `virt`, with the tables above it
/// created as needed.
fn leaf_table(
    mem: &mut impl TableMemory,
    pml4: u64,
    virt: u64,
    leaf: u32,
) -> Result<u64, MapError> {
    let mut table = pml4;
    for level in (leaf + 1..=4).rev() {
        let index = table_index(virt, level);
        let entry = mem.table(table)[index];
        table = if entry & PRESENT == 0 {
            let next = mem.alloc_table().ok_or(MapError::OutOfMemory)?;
            mem.table(table)[index] = next | PRESENT | WRITABLE | USER;
            next
        } else if entry & PAGE_SIZE_BIT != 0 {
            return Err(MapError::AlreadyMapped { virt });
        } else {
            entry & ADDR_MASK
        };
    }
    Ok(table)
}

/// Translates `virt` through the tables rooted at `pml4`: the physical
/// address and the leaf entry's bits, or `None` when unmapped.
pub fn translate(mem: &mut impl TableMemory, pml4: u64, virt: u64) -> Option<(u64, u64)> {
    translate_through(mem, pml4, virt, |_| true)
}

/// [`translate`], reading only tables whose physical address `readable`
/// accepts (`None` at the first it refuses): for tables someone else
/// built, which may point anywhere.
pub fn translate_through(
    mem: &mut impl TableMemory,
    pml4: u64,
    virt: u64,
    readable: impl Fn(u64) -> bool,
) -> Option<(u64, u64)> {
    let mut table = pml4;
    for level in (1..=4).rev() {
        if !readable(table) {
            return None;
        }
        let entry = mem.table(table)[table_index(virt, level)];
        if entry & PRESENT == 0 {
            return None;
        }
        let is_leaf = level == 1 || (level <= 3 && entry & PAGE_SIZE_BIT != 0);
        if is_leaf {
            let page_size = 1u64 << (12 + 9 * (level - 1));
            let frame = entry & ADDR_MASK & !(page_size - 1);
            return Some((frame + (virt & (page_size - 1)), entry & !ADDR_MASK));
        }
        table = entry & ADDR_MASK;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::boxed::Box;
    use std::collections::HashMap;

    /// Page-table memory as a hash map from fake physical addresses.
    pub(crate) struct FakeMemory {
        pub(crate) tables: HashMap<u64, Box<[u64; 512]>>,
        next: u64,
        limit: usize,
    }

    impl FakeMemory {
        pub(crate) fn new(limit: usize) -> (Self, u64) {
            let mut mem = Self {
                tables: HashMap::new(),
                next: 0x1000_0000,
                limit,
            };
            let root = mem.alloc_table().expect("root");
            (mem, root)
        }
    }

    impl TableMemory for FakeMemory {
        fn alloc_table(&mut self) -> Option<u64> {
            if self.tables.len() >= self.limit {
                return None;
            }
            let phys = self.next;
            self.next += PAGE_SIZE;
            self.tables.insert(phys, Box::new([0; 512]));
            Some(phys)
        }
        fn table(&mut self, phys: u64) -> &mut [u64; 512] {
            self.tables.get_mut(&phys).expect("table exists")
        }
    }

    const HIGH: u64 = 0xffff_8000_0000_0000;

    #[test]
    fn maps_each_page_size() {
        let (mut mem, root) = FakeMemory::new(64);
        map(
            &mut mem,
            root,
            HIGH,
            0,
            2 * HUGE_PAGE_SIZE,
            HUGE_PAGE_SIZE,
            WRITABLE,
        )
        .unwrap();
        map(
            &mut mem,
            root,
            0x40_0000,
            0x20_0000,
            LARGE_PAGE_SIZE,
            LARGE_PAGE_SIZE,
            0,
        )
        .unwrap();
        map(
            &mut mem, root, 0x1000, 0xabc_d000, PAGE_SIZE, PAGE_SIZE, USER,
        )
        .unwrap();

        assert_eq!(
            translate(&mut mem, root, HIGH + 0x4000_1234),
            Some((0x4000_1234, PRESENT | WRITABLE | PAGE_SIZE_BIT))
        );
        assert_eq!(
            translate(&mut mem, root, 0x40_0123).map(|t| t.0),
            Some(0x20_0123)
        );
        assert_eq!(
            translate(&mut mem, root, 0x1fff),
            Some((0xabc_dfff, PRESENT | USER))
        );
        assert_eq!(translate(&mut mem, root, 0x2000), None);
        assert_eq!(translate(&mut mem, root, HIGH + 2 * HUGE_PAGE_SIZE), None);
        // A walk reads only the tables it is allowed to: the root, or the
        // page table under the 4 KiB page, refused.
        assert_eq!(
            translate_through(&mut mem, root, 0x1fff, |t| t != root),
            None
        );
        let leaf_table = {
            let seen = std::cell::RefCell::new(std::vec::Vec::new());
            translate_through(&mut mem, root, 0x1fff, |t| {
                seen.borrow_mut().push(t);
                true
            });
            seen.borrow()[3]
        };
        assert_eq!(
            translate_through(&mut mem, root, 0x1fff, |t| t != leaf_table),
            None
        );
        assert_eq!(
            translate_through(&mut mem, root, 0x40_0123, |t| t != leaf_table).map(|t| t.0),
            Some(0x20_0123)
        );
    }

    #[test]
    fn refuses_bad_requests() {
        let (mut mem, root) = FakeMemory::new(64);
        assert_eq!(
            map(&mut mem, root, 0x1001, 0, PAGE_SIZE, PAGE_SIZE, 0),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map(&mut mem, root, 0, 0, PAGE_SIZE, 8192, 0),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map(
                &mut mem,
                root,
                0,
                0x1000,
                LARGE_PAGE_SIZE,
                LARGE_PAGE_SIZE,
                0
            ),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map(
                &mut mem,
                root,
                0x0000_8000_0000_0000,
                0,
                PAGE_SIZE,
                PAGE_SIZE,
                0
            ),
            Err(MapError::NonCanonical)
        );
        assert_eq!(
            map(
                &mut mem,
                root,
                0x0000_7fff_ffff_f000,
                0,
                2 * PAGE_SIZE,
                PAGE_SIZE,
                0
            ),
            Err(MapError::NonCanonical)
        );
        assert_eq!(
            map(&mut mem, root, 0, 1 << 52, PAGE_SIZE, PAGE_SIZE, 0),
            Err(MapError::Misaligned)
        );
        // Nothing was created by the refused calls.
        assert_eq!(mem.tables.len(), 1);

        map(&mut mem, root, 0, 0, LARGE_PAGE_SIZE, LARGE_PAGE_SIZE, 0).unwrap();
        assert_eq!(
            map(&mut mem, root, 0x1000, 0, PAGE_SIZE, PAGE_SIZE, 0),
            Err(MapError::AlreadyMapped { virt: 0x1000 })
        );
        assert_eq!(
            map(&mut mem, root, 0, 0, LARGE_PAGE_SIZE, LARGE_PAGE_SIZE, 0),
            Err(MapError::AlreadyMapped { virt: 0 })
        );
    }

    #[test]
    fn reports_out_of_memory() {
        let (mut mem, root) = FakeMemory::new(2);
        assert_eq!(
            map(&mut mem, root, 0, 0, PAGE_SIZE, PAGE_SIZE, 0),
            Err(MapError::OutOfMemory)
        );
    }

    proptest! {
        /// Disjoint 4 KiB and 2 MiB mappings translate exactly as requested,
        /// and everything else stays unmapped.
        #[test]
        fn translation_matches_model(requests in proptest::collection::vec((0u64..512, 0u64..4096, any::<bool>()), 1..24)) {
            let (mut mem, root) = FakeMemory::new(10_000);
            let mut model: std::vec::Vec<(u64, u64, u64)> = std::vec::Vec::new(); // virt, size, phys
            for (slot, frame, large) in requests {
                let size = if large { LARGE_PAGE_SIZE } else { PAGE_SIZE };
                let virt = HIGH + slot * LARGE_PAGE_SIZE + if large { 0 } else { (frame % 512) * PAGE_SIZE };
                let phys = frame * size;
                let overlaps = model.iter().any(|&(v, s, _)| virt < v + s && v < virt + size);
                let result = map(&mut mem, root, virt, phys, size, size, WRITABLE);
                if overlaps {
                    let refused = matches!(result, Err(MapError::AlreadyMapped { .. }));
                    prop_assert!(refused);
                } else {
                    prop_assert_eq!(result, Ok(()));
                    model.push((virt, size, phys));
                }
            }
            for &(virt, size, phys) in &model {
                for probe in [0, size / 2, size - 1] {
                    prop_assert_eq!(translate(&mut mem, root, virt + probe).map(|t| t.0), Some(phys + probe));
                }
            }
            for slot in 0..512 {
                let virt = HIGH + slot * LARGE_PAGE_SIZE + 0x1234;
                let mapped = model.iter().any(|&(v, s, _)| virt >= v && virt < v + s);
                prop_assert_eq!(translate(&mut mem, root, virt).is_some(), mapped);
            }
        }
    }
}
