//! Dispatchers with hostile frames. A victim (`fuzz victim SEED`, started
//! by the fuzzer) writes random words all over its own dispatcher frame
//! (save areas, upcall entries and stack, the disabled flag, ring counters,
//! receive slots) and then makes the kernel use it: it resumes, yields,
//! waits, faults or exits, while the fuzzer sends it messages with
//! capabilities. The kernel must check everything it reads there: the
//! victim may die, nothing else may.

use alloc::string::String;
use corefish::abi::dispatcher::DispatcherFrame;
use corefish::abi::layout::DISPATCHER_BASE;
use corefish::abi::syscall;
use corefish::lmp;
use corefish::proto::kernel::Exit;
use corefish::spawn::{self, Spec};
use corefish::{modules, sys};

use crate::rng::Rng;
use crate::sandbox::Sandbox;

/// The ring the fuzzer hears its victims' ends on.
const EXIT_RING: usize = 6;
/// How long a victim may take before the fuzzer ends it.
const VICTIM_NS: u64 = 200_000_000;

/// The victim's part (does not return).
pub fn victim(seed: u64) -> ! {
    let mut rng = Rng::new(seed);
    let words = size_of::<DispatcherFrame>() / 8;
    for _ in 0..1 + rng.below(64) {
        let at = DISPATCHER_BASE + rng.below(words as u64) * 8;
        // SAFETY: `at` is an 8-byte aligned word inside this dispatcher's
        // own frame, mapped writable at DISPATCHER_BASE for its whole life;
        // wrecking it is the point (only this dispatcher relies on it).
        unsafe { (at as *mut u64).write_volatile(rng.next()) };
    }
    loop {
        match rng.below(6) {
            0 => {
                let _ = sys::call(syscall::RESUME, [0; 6]);
            }
            1 => sys::yield_now(),
            2 => {
                let _ = sys::wait_rings(sys::time_ns() + 100_000, rng.next());
            }
            3 => {
                let address = rng.below(0x1000);
                // The kernel delivers the fault through the wrecked upcall
                // entries and stack, or ends this dispatcher.
                // SAFETY: a load from page 0, which no program maps: it
                // faults and never completes, so nothing is ever read.
                unsafe {
                    core::arch::asm!("mov {tmp}, qword ptr [{a}]", a = in(reg) address, tmp = out(reg) _, options(nostack));
                }
            }
            4 => sys::exit(rng.below(256)),
            _ => {
                let _ = lmp::try_recv(rng.below(8) as usize);
            }
        }
    }
}

/// How the victims ended.
#[derive(Default)]
pub struct Victims {
    /// Started.
    pub started: u64,
    /// Ended by their own EXIT.
    pub exited: u64,
    /// Killed by the kernel after a fault.
    pub faulted: u64,
    /// Still running after their time, ended by the fuzzer.
    pub ended: u64,
}

impl Victims {
    /// Starts a victim with a seed from `rng`, sends it messages (with
    /// capabilities of the sandbox) while it wrecks its frame, waits for
    /// its end, and frees it. `Err` when it cannot be started at all.
    pub fn run_one(&mut self, rng: &mut Rng, sandbox: &Sandbox) -> Result<(), String> {
        let image = modules::get("fuzz").ok_or("no `fuzz` in the boot archive")?;
        let me =
            lmp::endpoint_to_self(EXIT_RING).map_err(|e| alloc::format!("no endpoint: {e}"))?;
        let args = alloc::format!("victim {}", rng.next());
        let spec = Spec {
            name: "victim",
            image,
            args: &args,
            ram_bytes: 256 << 10,
            caps: &[],
            exit_endpoint: Some(me.cptr()),
            from: None,
        };
        let child =
            spawn::spawn(&spec).map_err(|e| alloc::format!("cannot start a victim: {e}"))?;
        let _ = me.delete();
        corefish::slots::free(me.cptr());
        self.started += 1;
        let to = child.endpoint();
        for _ in 0..rng.below(8) {
            let cap = rng.chance(50).then(|| sandbox.slot(rng.below(32) as u32));
            let _ = lmp::try_send(to, [rng.next(), rng.next(), 0, 0], cap);
        }
        let deadline = sys::time_ns() + VICTIM_NS;
        let mut outcome = None;
        while outcome.is_none() {
            let Some((_, m)) = lmp::recv_any(&[EXIT_RING], deadline) else {
                break;
            };
            outcome = match Exit::from_words(m.words) {
                Ok(exit) => Some(exit.kind),
                // A notice missed: the state tells.
                Err(_) => None,
            };
        }
        let state = child.dispatcher().status().map(|s| s.state).ok();
        match (outcome, state) {
            (Some(corefish::proto::kernel::ExitKind::Exited), _)
            | (_, Some(corefish::abi::invoke::state::EXITED)) => self.exited += 1,
            (Some(_), _) | (_, Some(corefish::abi::invoke::state::FAULTED)) => self.faulted += 1,
            _ => self.ended += 1,
        }
        child
            .kill()
            .map_err(|e| alloc::format!("cannot free a victim: {e}"))?;
        Ok(())
    }
}
