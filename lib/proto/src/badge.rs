//! Badges: what a service knows of whoever sent it a message.
//!
//! A service's endpoint reaches others only as badged copies: its
//! spawner (init, or a monitor for the programs it starts) mints one copy
//! per holder, and the kernel stamps every message with the badge of the
//! copy it came through. A badged copy cannot be badged again, so the
//! badge is the sender's authority: a service decides what to do for a
//! message by its badge and by nothing the message says. The unbadged
//! endpoint stays with the service's spawner.
//!
//! A badge word holds a class in its top byte and an id below it:
//!
//! | badge | held by | may |
//! |---|---|---|
//! | [`Badge::Program`] | a program init started (init's id for it) | the requests of every program |
//! | [`Badge::Shell`] | the shell (init's id for it) | that, and command init, listen to the console |
//! | [`Badge::Hosted`] | a program a monitor started (that monitor's id for it) | the requests of every program |
//! | [`Badge::Exit`] | only a dispatcher's exit endpoint, which only the kernel sends through | tell the spawner that program `id` ended |
//! | [`Badge::BootDriver`] | the boot driver's endpoint to the hub | the hub's boot-driver requests |
//! | [`Badge::Unbadged`] | the spawner itself (init) | everything the service offers its owner |

/// Bits of a badge word below the class.
const ID_BITS: u32 = 56;
/// Largest id a badge carries.
pub const MAX_ID: u64 = (1 << ID_BITS) - 1;

const PROGRAM: u64 = 1;
const SHELL: u64 = 2;
const HOSTED: u64 = 3;
const EXIT: u64 = 4;
const BOOT_DRIVER: u64 = 5;

/// Who sent a message, by the badge of the endpoint it came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Badge {
    /// An unbadged endpoint: the service's spawner.
    Unbadged,
    /// A program init started, with this id.
    Program(u64),
    /// The shell, which init started with this id.
    Shell(u64),
    /// A program a monitor started, with this id (of that monitor's).
    Hosted(u64),
    /// The kernel, telling a spawner that its program `id` ended.
    Exit(u64),
    /// The boot driver.
    BootDriver,
}

impl Badge {
    /// The badge word, or `None` for an id over [`MAX_ID`] (a spawner
    /// never numbers that far).
    pub fn to_word(self) -> Option<u64> {
        let (class, id) = match self {
            Self::Unbadged => return Some(0),
            Self::Program(id) => (PROGRAM, id),
            Self::Shell(id) => (SHELL, id),
            Self::Hosted(id) => (HOSTED, id),
            Self::Exit(id) => (EXIT, id),
            Self::BootDriver => (BOOT_DRIVER, 0),
        };
        (id <= MAX_ID).then_some(class << ID_BITS | id)
    }

    /// The badge a message came with; `None` for a word no spawner mints.
    pub fn from_word(word: u64) -> Option<Self> {
        let id = word & MAX_ID;
        Some(match word >> ID_BITS {
            0 if word == 0 => Self::Unbadged,
            PROGRAM => Self::Program(id),
            SHELL => Self::Shell(id),
            HOSTED => Self::Hosted(id),
            EXIT => Self::Exit(id),
            BOOT_DRIVER if id == 0 => Self::BootDriver,
            _ => return None,
        })
    }

    /// Whether the sender is a program (rather than the kernel, the boot
    /// driver or the spawner): the requests every program may make are
    /// for these, kept apart by the whole badge (init's program 5 and a
    /// monitor's program 5 are two programs).
    pub fn is_program(self) -> bool {
        matches!(self, Self::Program(_) | Self::Shell(_) | Self::Hosted(_))
    }
}
