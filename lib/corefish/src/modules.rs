//! The boot archive's program images, for programs that start others: the
//! read-only archive capability (task slot `BOOT_ARCHIVE`) is mapped on
//! first use and stays mapped.

use abi::cspace::task;
use spin::Once;

use crate::cap::{Cap, kind};
use crate::vspace::{self, Mapping};

static ARCHIVE: Once<Option<Mapping>> = Once::new();

fn mapping() -> Option<&'static Mapping> {
    ARCHIVE
        .call_once(|| {
            let size = Cap::<kind::Frame>::at(task::BOOT_ARCHIVE)
                .identify()
                .ok()?
                .size;
            vspace::map(task::BOOT_ARCHIVE, size, 0).ok()
        })
        .as_ref()
}

/// The image of the boot-archive module `name`, if this program holds the
/// archive and it has that module.
pub fn get(name: &str) -> Option<&'static [u8]> {
    let archive = bootarchive::Archive::parse(mapping()?.bytes()).ok()?;
    archive.get(name).map(|m| m.data)
}
