//! Layout checks of the kernel objects: they fit their capability objects,
//! the fields a future kernel must read first stay where they are, and a
//! KCB that is not one (or of another version) is refused.

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
fn foreign_or_other_version_kcbs_are_refused() {
    let mut kcb = Kcb::new(1, 0x1000);
    kcb.magic = 0;
    assert_eq!(kcb.validate(), Err(KcbError::BadMagic));
    let mut kcb = Kcb::new(1, 0x1000);
    kcb.version = KCB_VERSION + 1;
    assert_eq!(
        kcb.validate(),
        Err(KcbError::UnsupportedVersion {
            found: KCB_VERSION + 1
        })
    );
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
