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
}

impl Platform {
    /// A platform with no cores yet.
    pub fn new(local_apic_phys: u64) -> Self {
        Self {
            local_apic_phys,
            cores: ArrayVec::new(),
            ioapics: ArrayVec::new(),
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

    /// The IOAPICs.
    pub fn ioapics(&self) -> &[IoApicInfo] {
        &self.ioapics
    }
}
