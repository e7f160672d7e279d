//! The heap: a first-fit allocator over memory mapped at
//! `abi::layout::HEAP_BASE`, grown by mapping more frames when it runs out.
//!
//! An allocation that cannot be met returns null, so `try_reserve` and the
//! like give the program an error it can handle; the size is kept
//! ([`failed_allocation`]) for the panic that Rust's default handler
//! raises otherwise, which then ends the program as out of memory.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::layout::HEAP_BASE;
use caps::ObjType;
use linked_list_allocator::Heap;
use spin::Mutex;

/// Smallest growth step.
const GROWTH: u64 = 256 * 1024;

/// Bytes of the last allocation that failed, until one succeeds again.
static FAILED: AtomicU64 = AtomicU64::new(0);

/// The size of the allocation that just failed, if the last one did.
pub fn failed_allocation() -> Option<u64> {
    Some(FAILED.load(Ordering::Relaxed)).filter(|&b| b != 0)
}

struct Growing {
    heap: Heap,
    end: u64,
}

struct Allocator(Mutex<Growing>);

#[global_allocator]
static ALLOCATOR: Allocator = Allocator(Mutex::new(Growing {
    heap: Heap::empty(),
    end: HEAP_BASE,
}));

impl Growing {
    /// Maps at least `bytes` more at the heap's end.
    fn grow(&mut self, bytes: u64) -> bool {
        let bytes = bytes.max(GROWTH).next_multiple_of(GROWTH);
        let Ok(frame) = crate::ram::alloc(ObjType::Frame, bytes) else {
            return false;
        };
        if crate::vspace::map_at(self.end, frame, bytes, abi::invoke::MAP_WRITE).is_err() {
            return false;
        }
        if self.end == HEAP_BASE {
            // SAFETY: `[HEAP_BASE, HEAP_BASE + bytes)` was just mapped
            // writable and is used by nothing else; the mapping is never
            // removed.
            unsafe { self.heap.init(HEAP_BASE as *mut u8, bytes as usize) };
        } else {
            // SAFETY: the new memory was mapped right after the heap's end
            // and is used by nothing else.
            unsafe { self.heap.extend(bytes as usize) };
        }
        self.end += bytes;
        true
    }
}

// SAFETY: every method hands out memory from the linked-list heap under
// its lock, which only returns blocks of the requested layout.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut g = self.0.lock();
        loop {
            if let Ok(block) = g.heap.allocate_first_fit(layout) {
                if FAILED.load(Ordering::Relaxed) != 0 {
                    FAILED.store(0, Ordering::Relaxed);
                }
                return block.as_ptr();
            }
            if !g.grow((layout.size() + layout.align()) as u64) {
                FAILED.store(layout.size().max(1) as u64, Ordering::Relaxed);
                return core::ptr::null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(block) = NonNull::new(ptr) {
            // SAFETY: the caller passes a block `alloc` returned with `layout`.
            unsafe { self.0.lock().heap.deallocate(block, layout) };
        }
    }
}
