//! Kernel blocks kept for the next start of the same image.
//!
//! When a core boots again, the block of the kernel it ran before (its
//! parameter page and its copy of the image's writable part on shared text,
//! `crate::text`) is no longer used. Rather than give it back, the boot
//! driver keeps the last one of each image, and the next start of that
//! image reloads it in place (`text::load`): the block is already relocated for
//! where it lies, so only the parameter page and the pages the old kernel
//! wrote (its data) are written again. The text stays as it
//! was, and with it the emulator's translation of it (every fresh copy of a
//! kernel otherwise runs cold code, and writing over memory that held
//! translated code costs the emulator more still); on hardware, the copy is
//! saved. At most [`KEPT`] blocks are kept, one per image: a few MiB at
//! most, held by the boot driver, and given back when a start finds no
//! memory for a fresh block.

use alloc::vec::Vec;

use crate::image::Loaded;

/// Most blocks kept.
const KEPT: usize = 4;

/// The kept blocks, most recent last.
#[derive(Default)]
pub struct ImagePool {
    kept: Vec<Loaded>,
}

impl ImagePool {
    /// Keeps `block` (no core may run its kernel any more), in place of an
    /// older one of the same image; the oldest goes back when too many
    /// are kept.
    pub fn keep(&mut self, block: Loaded) {
        let same = |b: &Loaded| b.name == block.name;
        if let Some(i) = self.kept.iter().position(same) {
            self.kept.remove(i).free();
        }
        if self.kept.len() >= KEPT {
            self.kept.remove(0).free();
        }
        self.kept.push(block);
    }

    /// Gives every kept block back (memory is short).
    pub fn release(&mut self) -> bool {
        let any = !self.kept.is_empty();
        for block in self.kept.drain(..) {
            block.free();
        }
        any
    }

    /// The kept block of image `name`, if there is one.
    pub fn take(&mut self, name: &str) -> Option<Loaded> {
        let i = self.kept.iter().position(|b| b.name == name)?;
        Some(self.kept.remove(i))
    }
}
