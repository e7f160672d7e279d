//! Tests of the boot-parameter page: validation, the writable-part copy,
//! the encoding and the fixed format.

extern crate std;
use super::*;

fn sample() -> BootParams {
    let mut p = BootParams::new();
    p.kernel_phys = 0x20_0000;
    p.kernel_size = 0x10_0000;
    p.phys_top = 0x2000_0000;
    p.set_kernel_name("cpudriver").unwrap();
    p.set_cmdline("fatal=exit").unwrap();
    p.set_program("jitter 1000").unwrap();
    p
}

#[test]
fn valid_params_pass() {
    let p = sample();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(p.kernel_name(), Ok("cpudriver"));
    assert_eq!(p.cmdline().unwrap().get("fatal"), Some("exit"));
}

#[test]
fn each_defect_is_named() {
    let mut p = sample();
    p.magic ^= 1;
    assert_eq!(p.validate(), Err(ParamsError::BadMagic));
    let mut p = sample();
    p.version = BOOT_PARAMS_VERSION - 1;
    assert_eq!(
        p.validate(),
        Err(ParamsError::BadVersion {
            found: BOOT_PARAMS_VERSION - 1
        })
    );
    let mut p = sample();
    p.size -= 8;
    assert_eq!(p.validate(), Err(ParamsError::BadSize));
    let mut p = sample();
    p.cmdline = [b'a'; CMDLINE_CAPACITY];
    assert_eq!(p.validate(), Err(ParamsError::BadText));
    let mut p = sample();
    p.kernel_name[0] = 0xff;
    assert_eq!(p.validate(), Err(ParamsError::BadText));
    let mut p = sample();
    p.kernel_phys = u64::MAX - 4;
    assert_eq!(p.validate(), Err(ParamsError::BadImageRange));
    let mut p = sample();
    p.kernel_size = 0;
    assert_eq!(p.validate(), Err(ParamsError::BadImageRange));
    for (offset, phys) in [
        (0x8_0000, 0x20_1000),  // the copy overlaps the image
        (0x8_0001, 0x40_0000),  // the offset is not page-aligned
        (0x8_0000, 0x40_0800),  // nor the copy
        (0x10_0000, 0x40_0000), // nothing writable left
        (0x20_0000, 0x40_0000), // beyond the image
        (0, 0x40_0000),         // a copy of nothing
        (0x8_0000, 0),          // a copy at 0
        (!0xfff, 0x40_0000),    // an offset that overflows
    ] {
        let mut p = sample();
        (p.data_offset, p.data_phys) = (offset, phys);
        assert_eq!(
            p.validate(),
            Err(ParamsError::BadDataRange),
            "{offset:#x} {phys:#x}"
        );
    }
}

#[test]
fn a_moved_writable_part_is_found() {
    let mut p = sample();
    assert_eq!(p.data_range(), Ok(None));
    (p.data_offset, p.data_phys) = (0x8_0000, 0x40_0000);
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(
        p.data_range(),
        Ok(Some((
            crate::PhysRange::new(0x28_0000, 0x8_0000),
            0x40_0000
        )))
    );
}

#[test]
fn encoding_round_trips() {
    let mut p = sample();
    p.core_id = 3;
    p.apic_id = 7;
    p.flags = FIRST_CORE;
    p.kcb_phys = 0x1234_0000;
    p.osnode_id = 9;
    p.channel_size = 8192;
    let mut map = MemoryMap::new();
    map.set(
        crate::PhysRange::new(0x100_000, 0x200_000),
        crate::memmap::MemoryKind::Ram,
    )
    .unwrap();
    map.set(
        crate::PhysRange::new(0x400_000, 0x1000),
        crate::memmap::MemoryKind::KernelImage,
    )
    .unwrap();
    p.set_memory_map(&map);
    let mut page = [0xaau8; PARAMS_PAGE];
    p.encode(&mut page);
    let q = BootParams::decode(&page);
    assert_eq!(q.validate(), Ok(()));
    assert_eq!(
        (
            q.core_id,
            q.apic_id,
            q.flags,
            q.kcb_phys,
            q.osnode_id,
            q.channel_size
        ),
        (3, 7, FIRST_CORE, 0x1234_0000, 9, 8192)
    );
    assert_eq!(q.memory_map().regions(), map.regions());
    assert_eq!(q.cmdline().unwrap().as_str(), "fatal=exit");
    assert_eq!(q.program(), Ok("jitter 1000"));
    // The ack area is separate and untouched by the parameters.
    assert!(page[ACK_OFFSET..].iter().all(|&b| b == 0xaa));
    let ack = BootAck {
        stage: ACK_RUNNING,
        tsc_entered: 5,
        tsc_initialised: 6,
        tsc_running: 7,
        tsc_stopped: 8,
        tsc_stop_entered: 7,
        exit_code: 3,
        kcb_layout: 2,
        version: *b"cpudriver 0.1.0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        fault: FaultReport {
            vector: 14,
            error_code: 2,
            rip: 0xffff_8000_0010_0000,
            address: 0xdead_b000,
            flags: FAULT_OSNODES_INTACT,
        },
    };
    ack.encode(&mut page);
    assert_eq!(BootAck::decode(&page), ack);
    assert_eq!(BootAck::decode(&page).version_text(), "cpudriver 0.1.0");
    assert_eq!(BootParams::decode(&page).kcb_phys, 0x1234_0000);
}

#[test]
fn the_page_format_is_fixed() {
    use core::mem::offset_of;
    // Changing any of these changes the page: bump BOOT_PARAMS_VERSION.
    assert_eq!(offset_of!(BootParams, version), 8);
    assert_eq!(offset_of!(BootParams, core_id), 16);
    assert_eq!(offset_of!(BootParams, kernel_phys), 24);
    assert_eq!(offset_of!(BootParams, kcb_phys), 120);
    assert_eq!(offset_of!(BootParams, channel_size), 152);
    assert_eq!(offset_of!(BootParams, data_offset), 160);
    assert_eq!(offset_of!(BootParams, data_phys), 168);
    assert_eq!(offset_of!(BootParams, fallback_params), 176);
    assert_eq!(offset_of!(BootParams, fallback_tables), 192);
    assert_eq!(offset_of!(BootParams, trace_phys), 200);
    assert_eq!(offset_of!(BootParams, screen_phys), 216);
    assert_eq!(offset_of!(BootParams, kernel_name), 224);
    assert_eq!(offset_of!(BootParams, program), 512);
    assert_eq!(offset_of!(BootParams, memory_map_len), 640);
    assert_eq!(offset_of!(BootParams, memory_regions), 648);
    assert_eq!(size_of::<BootParams>(), 648 + 24 * MEMORY_MAP_CAPACITY);
    assert_eq!(offset_of!(BootAck, tsc_stop_entered), 40);
    assert_eq!(offset_of!(BootAck, version), 64);
    assert_eq!(offset_of!(BootAck, fault), 96);
    assert_eq!(size_of::<BootAck>(), 136);
}

#[test]
fn a_decoded_map_is_sorted_and_disjoint() {
    let mut p = sample();
    let mut page = [0u8; PARAMS_PAGE];
    p.encode(&mut page);
    // Two overlapping regions, out of order, as a foreign writer might.
    let regions = offset_of_regions();
    let len = core::mem::offset_of!(BootParams, memory_map_len);
    page[len..len + 4].copy_from_slice(&2u32.to_le_bytes());
    for (i, (base, size, kind)) in [(0x3000u64, 0x2000u64, 1u32), (0x1000, 0x3000, 2)]
        .into_iter()
        .enumerate()
    {
        let at = regions + i * 24;
        page[at..at + 8].copy_from_slice(&base.to_le_bytes());
        page[at + 8..at + 16].copy_from_slice(&size.to_le_bytes());
        page[at + 16..at + 20].copy_from_slice(&kind.to_le_bytes());
    }
    p = BootParams::decode(&page);
    let map = p.memory_map();
    let ranges: std::vec::Vec<_> = map.regions().iter().map(|r| (r.base, r.size)).collect();
    assert_eq!(ranges, [(0x1000, 0x3000), (0x4000, 0x1000)]);
}

fn offset_of_regions() -> usize {
    core::mem::offset_of!(BootParams, memory_regions)
}

#[test]
fn garbage_decodes_but_does_not_validate() {
    let page = [0x5au8; PARAMS_PAGE];
    assert!(BootParams::decode(&page).validate().is_err());
    assert!(BootParams::decode(&[]).validate().is_err());
}

#[test]
fn setters_refuse_oversized_text() {
    let mut p = sample();
    let long = "x".repeat(CMDLINE_CAPACITY);
    assert_eq!(p.set_cmdline(&long), Err(ParamsError::TooLong));
    assert_eq!(p.set_kernel_name("a\0b"), Err(ParamsError::TooLong));
    assert_eq!(p.cmdline().unwrap().as_str(), "fatal=exit");
    let long = "y".repeat(PROGRAM_CAPACITY);
    assert_eq!(p.set_program(&long), Err(ParamsError::TooLong));
    assert_eq!(p.program(), Ok("jitter 1000"));
}
