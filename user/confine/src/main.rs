//! `confine`: checks that capabilities confine a program, and prints one
//! `confine: ok: ...` line per check, then `confine: all checks passed`
//! (or `confine: FAILED: ...`):
//!
//! * it cannot map what it does not hold: an empty slot, a capability that
//!   is not a frame, a read-only frame writable, anything into the kernel
//!   half of its address space;
//! * a revoked capability stops working at once in every holder: a child
//!   (`holder`) maps a copy of a frame and keeps reading it; revoking the
//!   frame unmaps it there, the child's next read faults, and the child's
//!   copy is gone.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use corefish::abi::cspace::{CPtr, root, task};
use corefish::abi::invoke::{MAP_WRITE, state};
use corefish::abi::syscall;
use corefish::cap::{Cap, kind};
use corefish::proto::kernel::{Exit, ExitKind};
use corefish::spawn::{Spec, spawn};
use corefish::{ObjType, Rights, SysError, lmp, modules, println, ram, slots, sys, vspace};

corefish::entry!(main);

/// Task slot of the frame given to the holder.
pub const FRAME_SLOT: u32 = 40;
/// Task slot of the holder's endpoint to confine.
pub const REPORT_SLOT: u32 = 41;
/// `[READY, value, 0, 0]`: the holder mapped the frame and read `value`.
pub const READY: u64 = 0xc0f1;
/// What confine writes into the frame.
pub const MAGIC: u64 = 0x1234_5678_9abc_def0;

/// One check: what it shows, or why it failed.
type Check = fn() -> Result<String, String>;

fn main() -> i32 {
    let checks: [(&str, Check); 2] = [("mapping", mapping), ("revoke", revoke)];
    for (name, check) in checks {
        match check() {
            Ok(what) => println!("confine: ok: {what}"),
            Err(why) => {
                println!("confine: FAILED: {name}: {why}");
                return 1;
            }
        }
    }
    println!("confine: all checks passed");
    0
}

fn expect(what: &str, got: Result<(), SysError>, want: SysError) -> Result<(), String> {
    match got {
        Err(e) if e == want => Ok(()),
        other => Err(format!("{what}: got {other:?}, expected {want:?}")),
    }
}

fn mapping() -> Result<String, String> {
    let e = |e: SysError| format!("{e}");
    let pt = ram::alloc(ObjType::VNodePt, corefish::caps::VNODE_SIZE).map_err(e)?;
    let table = Cap::<kind::VNode>::at(pt);
    let record = slots::alloc().map_err(e)?;
    let empty = slots::alloc().map_err(e)?;
    expect(
        "mapping an empty slot",
        table.map(empty, 0, 1, 0, 0, record),
        SysError::SlotEmpty,
    )?;
    expect(
        "mapping through a missing CNode",
        table.map(CPtr::new(200, 3), 0, 1, 0, 0, record),
        SysError::NotACNode,
    )?;
    expect(
        "mapping an endpoint",
        table.map(task::SELF_ENDPOINT, 0, 1, 0, 0, record),
        SysError::WrongType,
    )?;
    let frame = ram::alloc(ObjType::Frame, 4096).map_err(e)?;
    let read_only = slots::alloc().map_err(e)?;
    Cap::<kind::Frame>::at(frame)
        .mint_to(read_only, Rights::READ, 0)
        .map_err(e)?;
    expect(
        "mapping a read-only frame writable",
        table.map(read_only, 0, 1, 0, MAP_WRITE, record),
        SysError::InsufficientRights,
    )?;
    table
        .map(read_only, 0, 1, 0, 0, record)
        .map_err(|e| format!("mapping it read-only: {e}"))?;
    let pdpt = ram::alloc(ObjType::VNodePdpt, corefish::caps::VNODE_SIZE).map_err(e)?;
    let record2 = slots::alloc().map_err(e)?;
    expect(
        "mapping into the kernel half",
        Cap::<kind::VNode>::at(task::VSPACE_ROOT).map(pdpt, 256, 1, 0, 0, record2),
        SysError::BadArgument,
    )?;
    // System-call arguments that point where the caller cannot read.
    let print =
        |addr: u64, len: u64| sys::call(syscall::DEBUG_PRINT, [addr, len, 0, 0, 0, 0]).map(|_| ());
    expect(
        "printing from an unmapped address",
        print(0xdead_0000, 8),
        SysError::BadUserPointer,
    )?;
    expect(
        "printing from kernel memory",
        print(0xffff_8000_0010_0000, 8),
        SysError::BadUserPointer,
    )?;
    expect(
        "printing across the end of user space",
        print(0x0000_7fff_ffff_fffc, 8),
        SysError::BadUserPointer,
    )?;
    expect(
        "printing too much",
        print(0x40_0000, syscall::MAX_PRINT + 1),
        SysError::BadArgument,
    )?;
    expect(
        "an unknown system call",
        sys::call(99, [0; 6]).map(|_| ()),
        SysError::InvalidSyscall,
    )?;
    Ok(String::from(
        "cannot map an empty slot, a missing CNode's slot, an endpoint, a read-only frame writable, or into the kernel half; \
         bad user pointers and unknown system calls are refused",
    ))
}

fn revoke() -> Result<String, String> {
    let e = |e: SysError| format!("{e}");
    let image = modules::get("holder").ok_or("no holder image")?;
    let (frame, mut mine) = vspace::map_writable(4096).map_err(e)?;
    mine.bytes_mut()[..8].copy_from_slice(&MAGIC.to_le_bytes());
    let me = lmp::endpoint_to_self(lmp::INBOX).map_err(e)?;
    let gifts = [
        (
            CPtr::new(root::TASK, FRAME_SLOT),
            frame,
            Rights::READ.union(Rights::WRITE),
            0,
        ),
        (
            CPtr::new(root::TASK, REPORT_SLOT),
            me.cptr(),
            Rights::ALL,
            0,
        ),
    ];
    let spec = Spec {
        name: "holder",
        image,
        args: "",
        ram_bytes: 1 << 20,
        caps: &gifts,
        exit_endpoint: Some(me.cptr()),
        from: None,
    };
    let child = spawn(&spec).map_err(|e| format!("spawn: {e}"))?;
    let ready = lmp::recv(lmp::INBOX);
    if ready.words != [READY, MAGIC, 0, 0] {
        return Err(format!("holder did not read the frame: {:?}", ready.words));
    }
    // Everything derived from the frame goes: the holder's copy and both mappings.
    Cap::<kind::Frame>::at(frame)
        .revoke()
        .map_err(|e| format!("revoke: {e}"))?;
    drop(mine);
    let ended = lmp::recv(lmp::INBOX);
    let page_fault = Exit::from_words(ended.words)
        .is_ok_and(|exit| exit.kind == ExitKind::Faulted && exit.code == 14);
    if !page_fault {
        return Err(format!(
            "holder did not fault on its next read: {:?}",
            ended.words
        ));
    }
    let status = child.dispatcher().status().map_err(e)?;
    if status.state != state::FAULTED {
        return Err(format!("holder's state is {}", status.state));
    }
    let its_copy = child
        .root_cnode()
        .identify_in(CPtr::new(root::TASK, FRAME_SLOT));
    if its_copy != Err(SysError::SlotEmpty) {
        return Err(format!(
            "the holder's copy survived the revoke: {its_copy:?}"
        ));
    }
    child.kill().map_err(e)?;
    Ok(String::from(
        "revoking a frame unmapped it in the holder at once (its next read faulted) and deleted the holder's copy",
    ))
}
