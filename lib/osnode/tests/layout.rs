//! Layout checks of the kernel objects: they fit their capability objects,
//! the fields a future kernel must read first stay where they are, and a
//! KCB that is not one (or of a newer or unknown layout) is refused while
//! an older layout is converted.

use std::mem::{offset_of, size_of};

use osnode::dcb::{DCB_MAGIC, Dcb, Resume};
use osnode::kcb::{FIRST_IRQ_VECTOR, IRQ_VECTORS, KCB_MAGIC, KCB_VERSION, Kcb, KcbError};

#[test]
fn objects_fit_their_capability_types() {
    assert!(
        size_of::<Kcb>() as u64 <= caps::KCB_SIZE,
        "KCB is {} bytes",
        size_of::<Kcb>()
    );
    assert!(
        size_of::<Dcb>() as u64 <= caps::DISPATCHER_SIZE,
        "DCB is {} bytes",
        size_of::<Dcb>()
    );
    assert!(align_of::<Kcb>() <= 8 && align_of::<Dcb>() <= 8);
}

#[test]
fn version_fields_stay_at_the_front() {
    // Any kernel, of any version, reads these two first to decide whether
    // it can run a KCB, so they must never move.
    assert_eq!(offset_of!(Kcb, magic), 0);
    assert_eq!(offset_of!(Kcb, version), 8);
    // And these, to tell a fresh KCB from one that ran, and whose it is.
    assert_eq!(offset_of!(Kcb, flags), 12);
    assert_eq!(offset_of!(Kcb, id), 16);
    assert_eq!(offset_of!(Dcb, magic), 0);
}

#[test]
fn fresh_objects_are_valid_and_self_linked() {
    let kcb = Kcb::new(7, 0x40_0000);
    assert_eq!(kcb.validate(), Ok(()));
    assert_eq!(
        (kcb.magic, kcb.version, kcb.id),
        (KCB_MAGIC, KCB_VERSION, 7)
    );
    assert_eq!((kcb.ring_next, kcb.ring_prev), (0x40_0000, 0x40_0000));
    assert_eq!(kcb.mdb_root, 0);
    let dcb = Dcb::new(3, 0x40_0000);
    assert_eq!((dcb.magic, dcb.id, dcb.kcb), (DCB_MAGIC, 3, 0x40_0000));
    assert_eq!(dcb.resume_mode(), Resume::Run);
}

#[test]
fn foreign_newer_or_unknown_kcbs_are_refused_unchanged() {
    let mut kcb = Kcb::new(1, 0x1000);
    kcb.magic = 0;
    assert_eq!(kcb.validate(), Err(KcbError::BadMagic));
    let before = format!("{kcb:?}");
    assert_eq!(kcb.adopt(), Err(KcbError::BadMagic));
    assert_eq!(format!("{kcb:?}"), before);
    for found in [KCB_VERSION + 1, u32::MAX, 0] {
        let mut kcb = Kcb::new(1, 0x1000);
        kcb.version = found;
        kcb.dispatch_count = 99;
        let before = format!("{kcb:?}");
        let error = if found == 0 {
            KcbError::OlderVersion { found }
        } else {
            KcbError::NewerVersion { found }
        };
        assert_eq!(kcb.validate(), Err(error));
        assert_eq!(kcb.adopt(), Err(error), "version {found}");
        assert_eq!(format!("{kcb:?}"), before, "version {found} was changed");
    }
    assert_eq!(
        KcbError::NewerVersion { found: 3 }.to_string(),
        format!(
            "KCB layout version 3 is newer than this kernel's ({KCB_VERSION}); refusing to run it"
        )
    );
}

#[cfg(not(feature = "layout1"))]
#[test]
fn own_layout_is_adopted_as_it_is() {
    let mut kcb = Kcb::new(4, 0x2000);
    kcb.resumes = 5;
    assert_eq!(kcb.adopt(), Ok(None));
    assert_eq!((kcb.version, kcb.resumes), (KCB_VERSION, 5));
}

#[cfg(not(feature = "layout1"))]
#[test]
fn layout_1_converts_to_2_keeping_every_field_of_layout_1() {
    // What a layout-1 kernel leaves: its fields set, `resumes` (which it
    // does not know) holding whatever the memory held.
    let mut old = Kcb::new(6, 0x3000);
    old.version = 1;
    old.flags = 3;
    old.mdb_root = 0x5000;
    old.current = 0x6000;
    old.quantum_ns = 5_000_000;
    old.next_dispatcher_id = 9;
    old.pending = [1, 2, 3, 4];
    old.last_core = 2;
    old.last_apic = 2;
    old.dispatch_count = 1234;
    old.resumes = 0xdead_beef;
    let mut kcb = old;
    assert_eq!(kcb.adopt(), Ok(Some(1)));
    assert_eq!((kcb.version, kcb.resumes), (2, 0));
    // Everything else is as it was.
    let mut expected = old;
    expected.version = 2;
    expected.resumes = 0;
    assert_eq!(format!("{kcb:?}"), format!("{expected:?}"));
    kcb.note_resumed();
    assert_eq!(kcb.resumes(), Some(1));
    assert_eq!(kcb.adopt(), Ok(None));
}

#[test]
fn irq_routes_cover_exactly_the_routable_vectors() {
    let mut kcb = Kcb::new(1, 0x1000);
    assert!(kcb.irq_route(FIRST_IRQ_VECTOR - 1).is_none());
    assert!(kcb.irq_route(FIRST_IRQ_VECTOR).is_some());
    assert!(
        kcb.irq_route(FIRST_IRQ_VECTOR + IRQ_VECTORS as u8 - 1)
            .is_some()
    );
    assert!(
        kcb.irq_route(FIRST_IRQ_VECTOR + IRQ_VECTORS as u8)
            .is_none()
    );
}
