//! The resources an OSNode's first program gets: init the machine's (the
//! Kernel, IRQ table, I/O ports and IPI capabilities, the boot archive
//! read-only, the system page, every free RAM region, the device memory);
//! a monitor its OSNode's (the Kernel, IRQ table and IPI capabilities, the
//! archive, its channel to the first OSNode and the rest of its core's
//! RAM). A program the boot driver named instead of the monitor (the one
//! program of a real-time core) gets no kernel authority.

use abi::cspace::{L2_SLOTS, init};
use bootproto::params::BootParams;
use caps::{ObjType, Rights};
use frames::{FRAME_SIZE, PhysRange};

use super::builder::{Builder, slot};
use super::{BootstrapError, Role};
use crate::memory;

/// The boot archive, read-only (and executable: a program's code is mapped
/// from it), in the first program's resources CNode at `res_base`; returns
/// the range the capability covers (the archive, out to whole pages).
pub fn grant_archive(
    b: &mut Builder<'_>,
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    res_base: u64,
) -> Result<PhysRange, BootstrapError> {
    let range = PhysRange::new(params.archive_phys, archive.total_len() as u64)
        .align_out(FRAME_SIZE)
        .unwrap_or(PhysRange::new(params.archive_phys, FRAME_SIZE));
    b.frame_cap(
        range,
        Rights::READ | Rights::EXECUTE,
        slot(res_base, init::ARCHIVE.l2()),
        res_base,
        "boot archive",
    )?;
    Ok(range)
}

/// Gives the first program the rest of its resources ([`grant_archive`]
/// gave the archive). Init: Kernel, IRQ table, I/O ports, IPI, the system
/// page, every free RAM region and the device memory. A monitor: Kernel,
/// IRQ table, IPI, its channel to the first OSNode and the rest of its
/// core's RAM.
pub fn grant_resources(
    b: &mut Builder<'_>,
    params: &BootParams,
    role: Role,
    res_base: u64,
    ram_base: u64,
    device_base: u64,
) -> Result<(), BootstrapError> {
    // The kernel's authority goes to init and to the monitor the kernel
    // starts when the boot driver names no program, never to a program the
    // boot driver named (the one program of a real-time core), whatever its
    // name.
    let trusted = match role {
        Role::First { .. } => true,
        Role::Monitor => params.program().is_ok_and(|p| p.trim().is_empty()),
    };
    if trusted {
        b.root_cap(
            ObjType::Kernel,
            0,
            1,
            slot(res_base, init::KERNEL.l2()),
            "Kernel capability",
        )?;
        b.root_cap(
            ObjType::IrqTable,
            0,
            256,
            slot(res_base, init::IRQ_TABLE.l2()),
            "IRQ table",
        )?;
    }
    if let Role::First { .. } = role {
        b.root_cap(
            ObjType::Io,
            0,
            0x1_0000,
            slot(res_base, init::IO.l2()),
            "I/O ports",
        )?;
    }
    if trusted {
        b.root_cap(
            ObjType::Ipi,
            0,
            1,
            slot(res_base, init::IPI.l2()),
            "IPI capability",
        )?;
    }

    // Per role, the system page or the channel (the archive is there already).
    match role {
        Role::First { system_phys } if system_phys != 0 => {
            let page = PhysRange::new(system_phys, FRAME_SIZE);
            b.frame_cap(
                page,
                Rights::ALL,
                slot(res_base, init::SYSTEM_PAGE.l2()),
                res_base,
                "system page",
            )?;
        }
        Role::Monitor if params.channel_phys != 0 => {
            let channel = PhysRange::new(params.channel_phys, params.channel_size.max(FRAME_SIZE));
            b.frame_cap(
                channel,
                Rights::ALL,
                slot(res_base, init::CHANNEL.l2()),
                res_base,
                "channel",
            )?;
        }
        _ => {}
    }

    let mut index = 0;
    for range in memory::take_all_free() {
        if index == L2_SLOTS {
            log::warn!("more than {L2_SLOTS} free RAM regions; {range:?} stays unused");
            continue;
        }
        b.root_cap(
            ObjType::Ram,
            range.base,
            range.size,
            slot(ram_base, index),
            "RAM",
        )?;
        index += 1;
    }
    if let Role::Monitor = role {
        b.commit();
        return Ok(());
    }
    let mut index = 0;
    for range in crate::platform::device_ranges(&params.memory_map()) {
        if index < L2_SLOTS {
            b.root_cap(
                ObjType::PhysAddr,
                range.base,
                range.size,
                slot(device_base, index),
                "device memory",
            )?;
            index += 1;
        }
    }
    b.commit();
    Ok(())
}
