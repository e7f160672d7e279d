//! Reading memory a system call points at, through the caller's own page
//! tables (never by touching the user address directly): an address that
//! is not mapped readable for user mode is a `BadUserPointer` error, never a
//! kernel fault.

use abi::error::SysError;
use abi::layout::is_user_range;
use cpu::paging::{ADDR_MASK, PAGE_SIZE, PAGE_SIZE_BIT, PRESENT, USER, table_index};

use crate::arch::objects::KernelMemory;

/// The physical address behind user address `virt` in the address space
/// rooted at `pml4`, if mapped present and user-accessible at every level.
fn translate(mem: &mut KernelMemory, pml4: u64, virt: u64) -> Option<u64> {
    let mut table = pml4;
    for level in (1..=4u32).rev() {
        let entry = mem.table(table)[table_index(virt, level)];
        if entry & (PRESENT | USER) != PRESENT | USER {
            return None;
        }
        // MAP never installs large pages in user address spaces.
        if entry & PAGE_SIZE_BIT != 0 {
            return None;
        }
        if level == 1 {
            return Some((entry & ADDR_MASK) + (virt & (PAGE_SIZE - 1)));
        }
        table = entry & ADDR_MASK;
    }
    None
}

/// Copies `out.len()` bytes from user address `addr`.
pub fn read(mem: &mut KernelMemory, pml4: u64, addr: u64, out: &mut [u8]) -> Result<(), SysError> {
    if !is_user_range(addr, out.len() as u64) {
        return Err(SysError::BadUserPointer);
    }
    let mut done = 0;
    while done < out.len() {
        let virt = addr + done as u64;
        let phys = translate(mem, pml4, virt).ok_or(SysError::BadUserPointer)?;
        let in_page = (PAGE_SIZE - (virt % PAGE_SIZE)) as usize;
        let n = in_page.min(out.len() - done);
        mem.read_bytes(phys, &mut out[done..done + n]);
        done += n;
    }
    Ok(())
}
