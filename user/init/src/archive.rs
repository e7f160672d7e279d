//! The boot archive, mapped read-only into init's address space, and the
//! program images in it.

use corefish::abi::cspace::init;
use corefish::cap::{Cap, kind};
use corefish::vspace::{self, Mapping};
use corefish::{SysError, println};

/// The mapped archive.
pub struct Modules {
    mapping: Mapping,
}

impl Modules {
    /// Maps the archive init received.
    pub fn map() -> Result<Self, SysError> {
        let size = Cap::<kind::Frame>::at(init::ARCHIVE).identify()?.size;
        let mapping = vspace::map(init::ARCHIVE, size, 0)?;
        let modules = Self { mapping };
        match bootarchive::Archive::parse(modules.mapping.bytes()) {
            Ok(a) => println!("init: boot archive has {} modules", a.len()),
            Err(e) => {
                println!("init: bad boot archive: {e}");
                return Err(SysError::BadArgument);
            }
        }
        Ok(modules)
    }

    /// The image of module `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        bootarchive::Archive::parse(self.mapping.bytes())
            .ok()?
            .get(name)
            .map(|m| m.data)
    }

    /// The module names, for `help`.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        bootarchive::Archive::parse(self.mapping.bytes())
            .ok()
            .into_iter()
            .flat_map(|a| {
                let names: alloc::vec::Vec<&str> = a.modules().map(|m| m.name).collect();
                names.into_iter()
            })
    }
}
