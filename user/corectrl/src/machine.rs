//! What the boot driver learns from its kernel through the Kernel
//! capability: clock rates, the system page, the cores, the memory map the
//! first kernel booted with, and the kernel's version.

use alloc::string::String;
use alloc::vec::Vec;
use bootproto::PhysRange;
use bootproto::memmap::{MemoryKind, MemoryMap};
use bootproto::params::MEMORY_MAP_CAPACITY;
use corefish::CPtr;
use corefish::abi::error::SysError;
use corefish::abi::invoke as op;
use corefish::sys::invoke;

/// One core of the machine.
#[derive(Debug, Clone, Copy)]
pub struct CoreInfo {
    /// Its local APIC id.
    pub apic: u32,
    /// Whether the boot driver itself runs on it.
    pub is_mine: bool,
}

/// The facts.
pub struct Machine {
    /// TSC ticks per second.
    pub tsc_hz: u64,
    /// APIC timer ticks per second.
    pub apic_timer_hz: u64,
    /// One past the highest physical address of memory.
    pub phys_top: u64,
    /// The RSDP.
    pub rsdp: u64,
    /// The system page.
    pub system_phys: u64,
    /// The usable cores, by Corefish core id.
    pub cores: Vec<CoreInfo>,
    /// The memory map the first kernel booted with.
    pub boot_map: MemoryMap<MEMORY_MAP_CAPACITY>,
    /// The running kernel's name and version.
    pub version: String,
    /// The physical address of the first OSNode's KCB (the boot driver's).
    pub first_kcb: u64,
    /// That KCB's layout.
    pub first_kcb_layout: u32,
    /// The KCB layouts the first kernel runs.
    pub first_kernel: bootproto::starter::CpuDriverInfo,
}

/// Asks the kernel behind the Kernel capability `kernel`.
pub fn query(kernel: CPtr) -> Result<Machine, SysError> {
    let info = invoke(kernel, op::KERNEL_INFO, [0; 4])?;
    let me = invoke(kernel, op::KERNEL_OSNODE, [0; 4])?;
    let mut cores = Vec::new();
    for index in 0..info[5] {
        let core = invoke(kernel, op::KERNEL_CORE, [index, 0, 0, 0])?;
        cores.push(CoreInfo {
            apic: core[0] as u32,
            is_mine: core[2] == 1,
        });
    }
    let mut boot_map = MemoryMap::new();
    for index in 0..MEMORY_MAP_CAPACITY as u64 {
        match invoke(kernel, op::KERNEL_MEMORY_REGION, [index, 0, 0, 0]) {
            Ok(r) => boot_map
                .set(
                    PhysRange::new(r[0], r[1]),
                    MemoryKind::from_raw(r[2] as u32),
                )
                .map_err(|_| SysError::BadCount)?,
            Err(SysError::BadArgument) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(Machine {
        tsc_hz: info[0],
        apic_timer_hz: info[1],
        phys_top: info[2],
        rsdp: info[3],
        system_phys: info[4],
        cores,
        boot_map,
        version: version(kernel)?,
        first_kcb: me[3],
        first_kcb_layout: me[4] as u32,
        first_kernel: bootproto::starter::CpuDriverInfo {
            kcb_oldest: (me[5] >> 32) as u32,
            kcb_newest: me[5] as u32,
        },
    })
}

/// The running kernel's name and version.
pub fn version(kernel: CPtr) -> Result<String, SysError> {
    let words = invoke(kernel, op::KERNEL_VERSION, [0; 4])?;
    let mut bytes = Vec::new();
    for word in &words[..4] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    Ok(text(&bytes))
}

/// NUL-padded UTF-8 as a string.
pub fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
