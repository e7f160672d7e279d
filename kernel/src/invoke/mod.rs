//! Capability invocations: `INVOKE(cptr, op, a0..a3)` (operations and
//! argument packing: `abi::invoke`). The capability is looked up in the
//! caller's CSpace, the operation checked against its type and rights, and
//! every argument validated before anything changes.

mod caps_ops;
mod devices;
mod dispatcher;
mod ipi;
mod kernel;
mod vnode;

use abi::cspace::CPtr;
use abi::dispatcher::Registers;
use abi::error::SysError;
use abi::invoke::{self as op, op_of};
use caps::{Capability, ObjType};
use osnode::PAddr;
use osnode::dcb::DCB_MAGIC;

use crate::arch::objects::KernelMemory;
use crate::cspace::{self, Resolved};
use crate::dispatch::{self, Current, finish_syscall};
use crate::{lmp, node};

/// Everything an invocation handler needs.
pub struct Invocation<'m> {
    /// Object memory.
    pub mem: &'m mut KernelMemory,
    /// The caller's KCB.
    pub kcb: PAddr,
    /// The caller's dispatcher.
    pub dcb: PAddr,
    /// The caller's CSpace root.
    pub root: Capability,
    /// The invoked capability.
    pub target: Resolved,
    /// The operation word.
    pub op_word: u64,
    /// The four arguments.
    pub args: [u64; 4],
}

/// What an invocation returns in `rdi..r9`.
pub type Results = [u64; 6];

/// Runs the invocation in `regs` for `current` and continues.
pub fn invoke(mem: &mut KernelMemory, current: Current, regs: &Registers) -> ! {
    let result = run(mem, current, regs);
    // The caller may have ended its own dispatcher (deleting its last
    // capability): then it does not continue.
    if mem.dcb(current.dcb).magic != DCB_MAGIC || node::current().is_none() {
        dispatch::schedule(mem);
    }
    finish_syscall(mem, current, result)
}

fn run(mem: &mut KernelMemory, current: Current, regs: &Registers) -> Result<Results, SysError> {
    let kcb = node::current().ok_or(SysError::DispatcherNotReady)?;
    let root = cspace::root_of(mem, current.dcb);
    let target = cspace::cap(mem, &root, CPtr(regs.rdi as u32))?;
    let mut inv = Invocation {
        mem,
        kcb,
        dcb: current.dcb,
        root,
        target,
        op_word: regs.rsi,
        args: [regs.rdx, regs.r10, regs.r8, regs.r9],
    };
    let ty = inv.target.ty();
    crate::trace::invoked(ty as u8);
    let op = op_of(regs.rsi);
    // Changing a dispatcher takes the write right; reading its state, read.
    if ty == ObjType::Dispatcher && (op::DISPATCHER_SETUP..=op::DISPATCHER_STATUS).contains(&op) {
        let needed = if op == op::DISPATCHER_STATUS {
            caps::Rights::READ
        } else {
            caps::Rights::WRITE
        };
        if !inv.target.cap.rights().contains(needed) {
            return Err(SysError::InsufficientRights);
        }
    }
    match op {
        op::IDENTIFY => Ok(caps_ops::describe(&inv.target.cap)),
        op::COPY => caps_ops::copy(&mut inv),
        op::MINT => caps_ops::mint(&mut inv),
        op::DELETE => caps_ops::delete(&mut inv),
        op::REVOKE => caps_ops::revoke(&mut inv),
        op::PREPARE_REVOKE => caps_ops::prepare_revoke(&mut inv),
        op::IDENTIFY_IN if ty == ObjType::L1CNode => caps_ops::identify_in(&mut inv),
        op::MINT_IN if matches!(ty, ObjType::L1CNode | ObjType::L2CNode) => {
            caps_ops::mint_in(&mut inv)
        }
        op::RETYPE => caps_ops::retype(&mut inv),
        op::MAP if ty.is_vnode() => vnode::map(&mut inv),
        op::DISPATCHER_SETUP if ty == ObjType::Dispatcher => dispatcher::setup(&mut inv),
        op::DISPATCHER_RUN if ty == ObjType::Dispatcher => dispatcher::run(&mut inv),
        op::DISPATCHER_SET_EXIT_ENDPOINT if ty == ObjType::Dispatcher => {
            dispatcher::set_exit_endpoint(&mut inv)
        }
        op::DISPATCHER_CREATE_ENDPOINT if ty == ObjType::Dispatcher => {
            dispatcher::create_endpoint(&mut inv)
        }
        op::DISPATCHER_STATUS if ty == ObjType::Dispatcher => dispatcher::status(&mut inv),
        op::SEND if ty == ObjType::EndPoint => send(&mut inv),
        op::IO_IN if ty == ObjType::Io => devices::io_in(&mut inv),
        op::IO_OUT if ty == ObjType::Io => devices::io_out(&mut inv),
        op::IO_CONSOLE_WRITE if ty == ObjType::Io => devices::io_console_write(&mut inv),
        op::IRQ_ALLOC_DEST if ty == ObjType::IrqTable => devices::irq_alloc_dest(&mut inv),
        op::IRQ_GET_SOURCE if ty == ObjType::IrqTable => devices::irq_get_source(&mut inv),
        op::IRQ_CONNECT if ty == ObjType::IrqDest => devices::irq_connect(&mut inv),
        op::IRQ_ROUTE if ty == ObjType::IrqSrc => devices::irq_route(&mut inv),
        op::IRQ_ACK if ty == ObjType::IrqSrc => devices::irq_ack(&mut inv),
        op::KERNEL_INFO if ty == ObjType::Kernel => kernel::info(&mut inv),
        op::KERNEL_CORE if ty == ObjType::Kernel => kernel::core(&mut inv),
        op::KERNEL_MEMORY_REGION if ty == ObjType::Kernel => kernel::memory_region(&mut inv),
        op::KERNEL_VERSION if ty == ObjType::Kernel => kernel::version(&mut inv),
        op::KERNEL_OSNODE if ty == ObjType::Kernel => kernel::osnode(&mut inv),
        op::KERNEL_CAP_IMPORT if ty == ObjType::Kernel => kernel::cap_import(&mut inv),
        op::KERNEL_CAP_EXPORT if ty == ObjType::Kernel => kernel::cap_export(&mut inv),
        op::KERNEL_KCB_ATTACH if ty == ObjType::Kernel => kernel::kcb_attach(&mut inv),
        op::KERNEL_KCB_DETACH if ty == ObjType::Kernel => kernel::kcb_detach(&mut inv),
        op::KERNEL_REPLACE if ty == ObjType::Kernel => kernel::replace(&mut inv, current),
        op::KERNEL_DISPATCHER_SYSTEM if ty == ObjType::Kernel => {
            kernel::dispatcher_system(&mut inv)
        }
        op::IPI_INIT if ty == ObjType::Ipi => ipi::ipi_init(&mut inv),
        op::IPI_STARTUP if ty == ObjType::Ipi => ipi::ipi_startup(&mut inv),
        op::IPI_NOTIFY if ty == ObjType::Ipi => ipi::ipi_notify(&mut inv),
        op::IPI_STOP if ty == ObjType::Ipi => ipi::ipi_stop(&mut inv),
        op::IPI_HANDOVER if ty == ObjType::Ipi => ipi::ipi_handover(&mut inv, current),
        op::IPI_FAULT if ty == ObjType::Ipi => ipi::ipi_fault(&mut inv),
        op::IPI_NMI if ty == ObjType::Ipi => ipi::ipi_nmi(&mut inv),
        _ => Err(SysError::InvalidOperation),
    }
}

/// SEND: four words and optionally a capability to the endpoint's dispatcher.
fn send(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(caps::Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let transfer = if inv.op_word & op::SEND_WITH_CAP != 0 {
        // Passing capabilities on needs the right to grant (seL4's rule).
        if !inv.target.cap.rights().contains(caps::Rights::GRANT) {
            return Err(SysError::InsufficientRights);
        }
        let cap = cspace::cap(inv.mem, &inv.root, CPtr((inv.op_word >> 32) as u32))?;
        Some(cap.at)
    } else {
        None
    };
    if lmp::send(inv.mem, &inv.target.cap, inv.args, transfer)? {
        dispatch::woken_by_send(inv.mem, inv.target.cap.base);
    }
    Ok([0; 6])
}
