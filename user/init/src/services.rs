//! Starting the system's services with exactly the capabilities each needs:
//! the memory server gets the machine's RAM, the serial driver COM1's ports
//! and interrupt, the hub monitor the Kernel and IPI capabilities, the
//! boot driver the Kernel and IPI capabilities, the first MiB, the system
//! page and the one endpoint to the hub badged as the boot driver's, the
//! shell endpoints to init and the serial driver badged as the shell's.
//! Programs started as services cannot be killed.

use corefish::abi::cspace::{CPtr, SlotRef, init, root, task};
use corefish::cap::{Cap, kind};
use corefish::proto::badge::Badge;
use corefish::proto::procmgr::{Reply, Request};
use corefish::{ObjType, Rights, SysError, println, slots};

use crate::archive::Modules;
use crate::procs::{Gift, Procs, Role};

/// First task slot of the memory server's RAM (as `memserv` expects).
const MEMSERV_RAM: u32 = 32;
/// Most RAM regions handed to the memory server.
const MEMSERV_REGIONS: u32 = 64;
/// How long the boot driver may take to boot the startup configuration's
/// cores before init gives up on it.
const STARTUP_PATIENCE_NS: u64 = 300_000_000_000;

/// Starts the memory server, the serial driver, the hub monitor, the boot
/// driver and the shell.
pub fn start(procs: &mut Procs, modules: &Modules) -> Result<(), SysError> {
    start_memserv(procs, modules)?;
    start_serial(procs, modules)?;
    if let Err(e) = start_corectrl(procs, modules) {
        println!("init: cannot start the boot driver: {e}; this OSNode stays alone");
    }
    let started = procs.start(modules, "shell", "", Role::Shell, &[]);
    if let Err(e) = started {
        println!("init: {e}");
    }
    Ok(())
}

fn start_memserv(procs: &mut Procs, modules: &Modules) -> Result<(), SysError> {
    let mut gifts: alloc::vec::Vec<Gift> = alloc::vec::Vec::new();
    for i in 0..256 {
        let ram = CPtr::new(init::RAM_CNODE, i);
        if Cap::<kind::Ram>::at(ram).identify().is_ok() && (gifts.len() as u32) < MEMSERV_REGIONS {
            gifts.push((
                CPtr::new(root::TASK, MEMSERV_RAM + gifts.len() as u32),
                ram,
                Rights::ALL,
                0,
            ));
        }
    }
    let id = procs
        .start(modules, "memserv", "", Role::Service, &gifts)
        .map_err(|e| {
            println!("init: {e}");
            SysError::DispatcherNotReady
        })?;
    // The RAM is the memory server's now.
    for &(_, ram, _, _) in &gifts {
        let _ = Cap::<kind::Ram>::at(ram).delete();
    }
    let server = procs
        .get(id)
        .map(|p| p.child.endpoint())
        .ok_or(SysError::DispatcherNotReady)?;
    server.copy_to(task::MEMORY_ENDPOINT)?;
    Ok(())
}

/// The hub monitor, then the boot driver with an endpoint to it.
fn start_corectrl(procs: &mut Procs, modules: &Modules) -> Result<(), SysError> {
    let started = |r: Result<u64, alloc::string::String>| {
        r.map_err(|e| {
            println!("init: {e}");
            SysError::DispatcherNotReady
        })
    };
    let hub = started(procs.start(
        modules,
        "monitor",
        "hub",
        Role::Monitor,
        &[
            (CPtr::new(root::TASK, 32), init::KERNEL, Rights::ALL, 0),
            (CPtr::new(root::TASK, 33), init::IPI, Rights::ALL, 0),
        ],
    ))?;
    let hub_endpoint = procs
        .get(hub)
        .map(|p| p.child.endpoint())
        .ok_or(SysError::DispatcherNotReady)?;
    // Init's own requests to the monitors, and its children's, go to the hub.
    hub_endpoint.copy_to(task::MONITOR_ENDPOINT)?;
    let slot = |i| CPtr::new(root::TASK, i);
    // The hub obeys this badge, and only this one, in its boot-driver
    // requests.
    let boot_driver = Badge::BootDriver.to_word().unwrap_or(0);
    let gifts = [
        (slot(32), init::KERNEL, Rights::ALL, 0),
        (slot(33), init::IPI, Rights::ALL, 0),
        (slot(34), CPtr::new(init::DEVICE_CNODE, 0), Rights::ALL, 0),
        (slot(35), init::SYSTEM_PAGE, Rights::ALL, 0),
        (slot(36), hub_endpoint.cptr(), Rights::ALL, boot_driver),
    ];
    let id = started(procs.start(modules, "corectrl", "", Role::Service, &gifts))?;
    let endpoint = procs
        .get(id)
        .map(|p| p.child.endpoint())
        .ok_or(SysError::DispatcherNotReady)?;
    let (page, mapping) = corefish::vspace::map_writable(4096)?;
    corefish::lmp::send(endpoint, Request::Connect.to_words(), Some(page))?;
    procs.corectrl = Some((endpoint, mapping));
    // The cores of the startup configuration come up before the shell. The
    // boot driver reads the request only when they have (128 cores take
    // seconds under emulation), so the wait is bounded by time alone.
    let deadline = corefish::sys::time_ns() + STARTUP_PATIENCE_NS;
    let ready = corefish::lmp::call_within(endpoint, Request::Ready.to_words(), deadline).and_then(
        |ready| match Reply::from_words(ready.words) {
            Ok(Reply::Ready(result)) => result,
            _ => Err(SysError::InvalidOperation),
        },
    );
    if let Err(e) = ready {
        // It runs (and answers commands once it is done): only the wait
        // for its startup configuration is given up.
        println!("init: the boot driver has not finished its startup configuration: {e}");
    }
    Ok(())
}

/// The PC keyboard controller's capabilities for the serial driver: its
/// two ports apart (not 0x61-0x63 between them, the speaker and NMI
/// controls), ISA interrupt 1 and a vector; slots given back on failure.
fn keyboard_caps() -> Result<[CPtr; 4], SysError> {
    let slots = [
        slots::alloc()?,
        slots::alloc()?,
        slots::alloc()?,
        slots::alloc()?,
    ];
    let [data, status, line, vector] = slots;
    let made = Cap::<kind::Ram>::at(init::IO)
        .retype(ObjType::Io, 0x60, 1, 1, SlotRef::Slot(data))
        .and_then(|()| {
            Cap::<kind::Ram>::at(init::IO).retype(ObjType::Io, 0x64, 1, 1, SlotRef::Slot(status))
        })
        .and_then(|()| Cap::<kind::IrqTable>::at(init::IRQ_TABLE).get_source(1, line))
        .and_then(|()| Cap::<kind::IrqTable>::at(init::IRQ_TABLE).alloc_dest(vector));
    if let Err(e) = made {
        for slot in slots {
            let _ = Cap::<kind::Any>::at(slot).delete();
            slots::free(slot);
        }
        return Err(e);
    }
    Ok(slots)
}

fn start_serial(procs: &mut Procs, modules: &Modules) -> Result<(), SysError> {
    let ports = slots::alloc()?;
    Cap::<kind::Ram>::at(init::IO).retype(ObjType::Io, 0x3f8, 8, 1, SlotRef::Slot(ports))?;
    let line = slots::alloc()?;
    Cap::<kind::IrqTable>::at(init::IRQ_TABLE).get_source(4, line)?;
    let vector = slots::alloc()?;
    Cap::<kind::IrqTable>::at(init::IRQ_TABLE).alloc_dest(vector)?;
    let mut gifts = alloc::vec![
        (CPtr::new(root::TASK, 32), ports, Rights::ALL, 0),
        (CPtr::new(root::TASK, 33), line, Rights::ALL, 0),
        (CPtr::new(root::TASK, 34), vector, Rights::ALL, 0),
    ];
    // The keyboard is a bonus: without its capabilities the driver serves
    // COM1 alone.
    match keyboard_caps() {
        Ok(caps) => {
            for (slot, cap) in (35..).zip(caps) {
                gifts.push((CPtr::new(root::TASK, slot), cap, Rights::ALL, 0));
            }
        }
        Err(e) => println!("init: no keyboard for the serial driver: {e}"),
    }
    let id = procs
        .start(modules, "serial", "", Role::Service, &gifts)
        .map_err(|e| {
            println!("init: {e}");
            SysError::DispatcherNotReady
        })?;
    let driver = procs
        .get(id)
        .map(|p| p.child.endpoint())
        .ok_or(SysError::DispatcherNotReady)?;
    driver.copy_to(task::SERIAL_ENDPOINT)?;
    Ok(())
}
