//! Shared kernel text: every core that runs an image runs the same copy of
//! its code.
//!
//! The first start of an image loads it once into a *home* block, relocated
//! for the home's direct-map address, and keeps it. Each core that starts
//! that image gets a block of its own with its boot-parameter page, a copy
//! of the image's writable part (data and bss, taken from the home, which
//! no kernel ever writes) and the page tables it starts with: the low 4 GiB
//! at identity and in the direct map, where the home's writable part shows
//! the core's copy instead (`cpu::direct`). The kernel then builds its own
//! tables the same way (`BootParams::data_range`). So the code of an image
//! lies at one physical and one virtual address on every core: the
//! emulator translates it once for the machine instead of once per start,
//! and on hardware, the caches hold one copy. Kernels still share nothing
//! writable (docs/design.md, *Shared kernel text*).
//!
//! A core's own block is kept for the next start of its image
//! (`crate::pool`) and only its data pages that changed are written again.
//! A home stays while any kernel runs it; homes no kernel runs go back
//! when memory is short. The in-place update of the boot driver's own core
//! (KERNEL_REPLACE) starts the new kernel the same way: the old kernel
//! switches to the new one's starting tables as it jumps to it.

use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;

use bootproto::layout::DIRECT_MAP_BASE;
use cpu::direct::{Moved, map_direct};
use cpu::paging::{LARGE_PAGE_SIZE, MapError, TableMemory, WRITABLE, map};
use elfload::ElfImage;

use crate::error::BootError;
use crate::image::{self, LOW_LIMIT, Loaded};

const PAGE: u64 = 4096;
/// Page tables a start needs besides one per 2 MiB the writable part
/// touches: a PML4, and a PDPT and four page directories for each of the
/// identity and the direct map of the low 4 GiB.
const FIXED_TABLES: u64 = 11;

/// One image loaded for every core that runs it.
pub struct Home {
    /// The image, loaded and relocated at the block's direct-map address
    /// (the block's parameter page is unused).
    pub block: Loaded,
    /// Offset in the image of its writable part.
    pub data_offset: u64,
}

impl Home {
    fn data_size(&self) -> u64 {
        self.block.image_size - self.data_offset
    }

    /// The writable part as loaded: what every kernel starts with.
    fn template(&self) -> &[u8] {
        let start = (PAGE + self.data_offset) as usize;
        &self.block.mapping.bytes()[start..start + self.data_size() as usize]
    }
}

/// The homes of the images started so far.
#[derive(Default)]
pub struct Homes {
    homes: Vec<Rc<Home>>,
}

impl Homes {
    /// The home of image `name` (`file`), loaded if it has none yet.
    fn get(&mut self, name: &str, file: &[u8]) -> Result<Rc<Home>, BootError> {
        if let Some(home) = self.homes.iter().find(|h| h.block.name == name) {
            return Ok(home.clone());
        }
        let (elf, _) = image::check(name, file)?;
        let block = image::load(name, file)?;
        let Some(data_offset) = writable_offset(&elf).filter(|&o| o < block.image_size) else {
            block.free();
            return Err(BootError::BadImage(
                name.into(),
                "its writable part is not one run of pages at its end".into(),
            ));
        };
        let home = Rc::new(Home { block, data_offset });
        self.homes.push(home.clone());
        Ok(home)
    }

    /// Gives back the homes no kernel runs; whether there were any.
    pub fn release_unused(&mut self) -> bool {
        let (unused, used): (Vec<_>, Vec<_>) =
            self.homes.drain(..).partition(|h| Rc::strong_count(h) == 1);
        self.homes = used;
        let any = !unused.is_empty();
        for home in unused {
            if let Ok(home) = Rc::try_unwrap(home) {
                home.block.free();
            }
        }
        any
    }
}

/// The page where the image's writable part begins, if every writable
/// segment lies after every other one (as the CPU driver's `link.ld`
/// places them).
fn writable_offset(elf: &ElfImage<'_>) -> Option<u64> {
    let first = elf
        .segments()
        .filter(|s| s.writable)
        .map(|s| s.vaddr)
        .min()?;
    let others_end = elf
        .segments()
        .filter(|s| !s.writable)
        .map(|s| s.vaddr + s.memsz)
        .max()
        .unwrap_or(0);
    let offset = first & !(PAGE - 1);
    (offset > 0 && offset >= others_end).then_some(offset)
}

/// A block for a kernel of image `name` on its shared text: `old` (a kept
/// block) with its writable part made new, if it belongs to the same home,
/// else a fresh one.
pub fn load(
    homes: &mut Homes,
    old: Option<Loaded>,
    name: &str,
    file: &[u8],
) -> Result<Loaded, BootError> {
    let home = match homes.get(name, file) {
        Ok(home) => home,
        Err(e) => {
            if let Some(old) = old {
                old.free();
            }
            return Err(e);
        }
    };
    match old {
        Some(mut block) if block.text.as_ref().is_some_and(|h| Rc::ptr_eq(h, &home)) => {
            refill(&mut block, &home);
            Ok(block)
        }
        Some(block) => {
            block.free();
            fresh(home)
        }
        None => fresh(home),
    }
}

/// A new block for a kernel on `home`'s text.
fn fresh(home: Rc<Home>) -> Result<Loaded, BootError> {
    let data = home.data_size();
    let window = home.block.image_phys() + home.data_offset;
    let first_chunk = window / LARGE_PAGE_SIZE;
    let last_chunk = (window + data - 1) / LARGE_PAGE_SIZE;
    let table_pages = FIXED_TABLES + last_chunk - first_chunk + 1;
    let size = PAGE + data + table_pages * PAGE;
    let mut block = image::block(&home.block.name, size, home.block.info)?;
    block.image_size = home.block.image_size;
    block.entry = home.block.entry;
    let data_phys = block.phys + PAGE;
    block.tables_phys = data_phys + data;
    let moved = Moved {
        from: window,
        size: data,
        to: data_phys,
    };
    let pages = match tables(moved, block.tables_phys, table_pages) {
        Ok(pages) => pages,
        Err(e) => {
            block.free();
            return Err(BootError::BadImage(
                home.block.name.clone(),
                alloc::format!("no starting page tables: {e:?}"),
            ));
        }
    };
    let bytes = block.mapping.bytes_mut();
    let (data_bytes, table_bytes) = bytes[PAGE as usize..].split_at_mut(data as usize);
    data_bytes.copy_from_slice(home.template());
    for (word, bytes) in pages.iter().flatten().zip(table_bytes.chunks_exact_mut(8)) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    block.text = Some(home);
    Ok(block)
}

/// Makes a kept block's parameter page and writable part as new, writing
/// only the pages that differ.
fn refill(block: &mut Loaded, home: &Home) {
    let template = home.template();
    let bytes = block.mapping.bytes_mut();
    bytes[..PAGE as usize].fill(0);
    let data = &mut bytes[PAGE as usize..PAGE as usize + template.len()];
    for (mine, first) in data
        .chunks_mut(PAGE as usize)
        .zip(template.chunks(PAGE as usize))
    {
        if mine != first {
            mine.copy_from_slice(first);
        }
    }
}

/// Page-table pages at consecutive physical addresses from `base`.
struct Pages {
    base: u64,
    pages: Vec<[u64; 512]>,
    limit: usize,
}

impl TableMemory for Pages {
    fn alloc_table(&mut self) -> Option<u64> {
        if self.pages.len() >= self.limit {
            return None;
        }
        self.pages.push([0; 512]);
        Some(self.base + (self.pages.len() as u64 - 1) * PAGE)
    }

    fn table(&mut self, phys: u64) -> &mut [u64; 512] {
        &mut self.pages[((phys - self.base) / PAGE) as usize]
    }
}

/// The tables a core on shared text starts with, to lie at `base`: the low
/// 4 GiB at identity and in the direct map, `moved` shown in the latter.
fn tables(moved: Moved, base: u64, count: u64) -> Result<Vec<[u64; 512]>, MapError> {
    let mut mem = Pages {
        base,
        pages: vec![],
        limit: count as usize,
    };
    let pml4 = mem.alloc_table().ok_or(MapError::OutOfMemory)?;
    map(&mut mem, pml4, 0, 0, LOW_LIMIT, LARGE_PAGE_SIZE, WRITABLE)?;
    map_direct(
        &mut mem,
        pml4,
        DIRECT_MAP_BASE,
        LOW_LIMIT,
        LARGE_PAGE_SIZE,
        Some(moved),
        |_| WRITABLE,
    )?;
    Ok(mem.pages)
}
