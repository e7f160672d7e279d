//! The legacy 8259 PIC pair: remapped away from the exception vectors and
//! fully masked. Corefish uses the local APICs and IOAPIC instead; the
//! remap matters only because a masked PIC can still raise its spurious
//! IRQ 7/15, which must not land on an exception vector.

use cpu::port::outb;

use super::vectors::LEGACY_PIC_FIRST;

const PIC1_CMD: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_CMD: u16 = 0xa0;
const PIC2_DATA: u16 = 0xa1;

/// Remaps both PICs to `LEGACY_PIC_FIRST..` and masks every line.
pub fn disable() {
    // SAFETY: the boot core owns the legacy PIC; this is the standard
    // initialisation sequence (ICW1-ICW4) followed by a full mask.
    unsafe {
        outb(PIC1_CMD, 0x11); // ICW1: edge, cascade, ICW4 follows
        outb(PIC2_CMD, 0x11);
        outb(PIC1_DATA, LEGACY_PIC_FIRST as u8); // ICW2: vector base
        outb(PIC2_DATA, LEGACY_PIC_FIRST as u8 + 8);
        outb(PIC1_DATA, 0x04); // ICW3: slave on IRQ 2
        outb(PIC2_DATA, 0x02);
        outb(PIC1_DATA, 0x01); // ICW4: 8086 mode
        outb(PIC2_DATA, 0x01);
        outb(PIC1_DATA, 0xff); // mask everything
        outb(PIC2_DATA, 0xff);
    }
}
