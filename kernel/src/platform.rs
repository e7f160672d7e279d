//! What the machine has, as the firmware describes it: cores (by APIC id)
//! and IOAPICs. Filled from ACPI by [`crate::arch::acpi`]; read-only after
//! boot.
//!
//! Corefish's logical core ids are the positions of the *enabled* cores in
//! MADT order: core 0 is the first, which on PCs is the boot core.

use arrayvec::ArrayVec;

/// Most cores Corefish handles (xAPIC ids are 8 bits).
pub const MAX_CORES: usize = 256;
/// Most IOAPICs Corefish handles.
pub const MAX_IOAPICS: usize = 8;
/// Most interrupt source overrides recorded.
pub const MAX_OVERRIDES: usize = 16;

static PLATFORM: spin::Once<Platform> = spin::Once::new();

/// Records the platform (once, at boot).
pub fn set(platform: Platform) -> &'static Platform {
    PLATFORM.call_once(|| platform)
}

/// The platform, once recorded.
pub fn get() -> Option<&'static Platform> {
    PLATFORM.get()
}

/// Device-memory ranges of the low 4 GiB that init may map: the first MiB
/// (firmware areas, and where the trampoline for other cores goes), and
/// every hole above it that is not memory, except the interrupt controllers
/// and HPET (0xfec00000-0xfeffffff), which only kernels program.
pub fn device_ranges<const N: usize>(
    map: &bootproto::memmap::MemoryMap<N>,
) -> ArrayVec<frames::PhysRange, 32> {
    use frames::PhysRange;
    const KERNEL_ONLY: PhysRange = PhysRange::new(0xfec0_0000, 0x40_0000);
    const LOW_MIB: u64 = 0x10_0000;
    const LOW_4G: u64 = 4 << 30;
    let mut out = ArrayVec::new();
    let _ = out.try_push(PhysRange::new(0, LOW_MIB));
    let mut add_hole = |hole: PhysRange| {
        for piece in [
            PhysRange::from_bounds(hole.base, hole.end().min(KERNEL_ONLY.base)),
            PhysRange::from_bounds(hole.base.max(KERNEL_ONLY.end()), hole.end()),
        ] {
            if let Some(aligned) = piece.align_in(4096) {
                let _ = out.try_push(aligned);
            }
        }
    };
    let mut cursor = LOW_MIB;
    for region in map
        .regions()
        .iter()
        .filter(|r| r.kind().is_memory())
        .map(|r| r.range())
    {
        if region.end() <= cursor {
            continue;
        }
        if region.base > cursor {
            add_hole(PhysRange::from_bounds(cursor, region.base.min(LOW_4G)));
        }
        cursor = cursor.max(region.end());
        if cursor >= LOW_4G {
            break;
        }
    }
    if cursor < LOW_4G {
        add_hole(PhysRange::from_bounds(cursor, LOW_4G));
    }
    out
}

/// An ISA interrupt that the firmware says arrives on another line or with
/// another mode than the ISA default (edge-triggered, active high).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override {
    /// The ISA IRQ.
    pub isa_irq: u8,
    /// The global system interrupt it arrives on.
    pub gsi: u32,
    /// Level-triggered.
    pub level: bool,
    /// Active low.
    pub active_low: bool,
}

/// One processor entry of the MADT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Core {
    /// Local APIC id (the address for IPIs).
    pub apic_id: u32,
    /// ACPI processor UID.
    pub acpi_id: u32,
    /// Whether the firmware reports it usable now.
    pub enabled: bool,
}

/// One IOAPIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoApicInfo {
    /// Its APIC id.
    pub id: u8,
    /// Physical base of its registers.
    pub phys: u64,
    /// First global system interrupt it serves.
    pub gsi_base: u32,
}

/// Why the platform could not be described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformError {
    /// No valid RSDP/RSDT/XSDT was found.
    NoAcpi,
    /// The ACPI tables have no MADT.
    NoMadt,
    /// More cores than [`MAX_CORES`].
    TooManyCores,
    /// More IOAPICs than [`MAX_IOAPICS`].
    TooManyIoApics,
    /// Two enabled cores report the same APIC id.
    DuplicateApicId(u32),
}

impl core::fmt::Display for PlatformError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoAcpi => f.write_str("no ACPI tables found"),
            Self::NoMadt => f.write_str("ACPI tables have no MADT"),
            Self::TooManyCores => write!(f, "more than {MAX_CORES} cores"),
            Self::TooManyIoApics => write!(f, "more than {MAX_IOAPICS} IOAPICs"),
            Self::DuplicateApicId(id) => write!(f, "two cores with APIC id {id}"),
        }
    }
}

/// The machine's cores and interrupt controllers.
#[derive(Debug, Clone)]
pub struct Platform {
    /// Physical base of the local APICs' registers.
    pub local_apic_phys: u64,
    cores: ArrayVec<Core, MAX_CORES>,
    ioapics: ArrayVec<IoApicInfo, MAX_IOAPICS>,
    overrides: ArrayVec<Override, MAX_OVERRIDES>,
}

impl Platform {
    /// A platform with no cores yet.
    pub fn new(local_apic_phys: u64) -> Self {
        Self {
            local_apic_phys,
            cores: ArrayVec::new(),
            ioapics: ArrayVec::new(),
            overrides: ArrayVec::new(),
        }
    }

    /// Records a core.
    pub fn add_core(&mut self, core: Core) -> Result<(), PlatformError> {
        if core.enabled && self.enabled_cores().any(|c| c.apic_id == core.apic_id) {
            return Err(PlatformError::DuplicateApicId(core.apic_id));
        }
        self.cores
            .try_push(core)
            .map_err(|_| PlatformError::TooManyCores)
    }

    /// Records an IOAPIC.
    pub fn add_ioapic(&mut self, ioapic: IoApicInfo) -> Result<(), PlatformError> {
        self.ioapics
            .try_push(ioapic)
            .map_err(|_| PlatformError::TooManyIoApics)
    }

    /// The usable cores; the index is the logical core id.
    pub fn enabled_cores(&self) -> impl Iterator<Item = &Core> {
        self.cores.iter().filter(|c| c.enabled)
    }

    /// Number of MADT processor entries that are not enabled (hot-plug slots).
    pub fn disabled_cores(&self) -> usize {
        self.cores.iter().filter(|c| !c.enabled).count()
    }

    /// Records an interrupt source override (extra ones are ignored: the
    /// defaults then apply).
    pub fn add_override(&mut self, o: Override) {
        let _ = self.overrides.try_push(o);
    }

    /// Trigger mode and polarity of `gsi`: `(level, active_low)`. ISA lines
    /// (below 16) default to edge/high, others (PCI) to level/low, unless an
    /// override says otherwise.
    pub fn line_mode(&self, gsi: u32) -> (bool, bool) {
        match self.overrides.iter().find(|o| o.gsi == gsi) {
            Some(o) => (o.level, o.active_low),
            None if gsi < 16 => (false, false),
            None => (true, true),
        }
    }

    /// The IOAPICs.
    pub fn ioapics(&self) -> &[IoApicInfo] {
        &self.ioapics
    }
}
