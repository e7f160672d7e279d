//! Cooperative user-level threads inside one dispatcher: the kernel
//! schedules dispatchers, and a program multiplexes its own threads on top
//! (Barrelfish's user-level threads).
//!
//! * [`spawn`] starts a thread (its own 64 KiB stack on the heap) that
//!   runs a closure and finishes when the closure returns; [`join`] waits
//!   for one; [`current`] names the running one. The thread `main` runs on
//!   is [`ThreadId::MAIN`]; when `main` returns the program ends, with
//!   whatever threads are left.
//! * [`yield_now`] passes the processor to the next thread in round-robin
//!   order; nothing is preemptive, so a thread runs until it yields, waits
//!   or finishes.
//! * [`block_until`], [`wait_for`] and [`recv`] wait for an event: the
//!   thread yields while its condition is false, and when every thread is
//!   waiting and each has found its condition false since the last
//!   wake-up, the dispatcher sleeps in the WAIT system call until a message
//!   arrives (messages are what wake a dispatcher). [`lmp::recv`] and
//!   [`lmp::call`] still block the whole dispatcher; threads use [`recv`].
//!
//! The thread table and run queue live in one lock, never held across a
//! switch. A switch saves the callee-saved registers, the MXCSR and the x87
//! control word on the old thread's stack and its stack pointer in its
//! record, then takes those of the next thread (everything else is
//! caller-saved under the SysV ABI, so a call to the switch routine
//! already preserves it). Threads belong to the dispatcher that started
//! them. This module holds all of the runtime's threading `unsafe` code.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use spin::Mutex;

use crate::{lmp, sys};

/// Bytes of a spawned thread's stack.
pub const STACK_SIZE: usize = 64 * 1024;
/// MXCSR of a new thread: all SSE exceptions masked, round to nearest.
const MXCSR_DEFAULT: u64 = 0x1f80;
/// x87 control word of a new thread: all exceptions masked, 64-bit
/// precision, round to nearest.
const FCW_DEFAULT: u64 = 0x037f;
/// 16-byte chunks of a new thread's first context.
const FRAME_CHUNKS: usize = 5;
const _: () = assert!(STACK_SIZE / size_of::<Chunk>() > FRAME_CHUNKS);
const _: () = assert!(STACK_SIZE.is_multiple_of(size_of::<Chunk>()));

/// Names a thread of this dispatcher. Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(u64);

impl ThreadId {
    /// The thread the program's `main` runs on.
    pub const MAIN: Self = Self(0);

    /// The id as a number (0 for the main thread, then 1, 2, ... in order
    /// of spawning).
    pub const fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread {}", self.0)
    }
}

/// Why [`join`] refused to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinError {
    /// No thread with this id was ever spawned.
    Unknown,
    /// A thread cannot wait for itself.
    Current,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unknown => "no such thread",
            Self::Current => "a thread cannot join itself",
        })
    }
}

/// Counters of the scheduler since the program started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Context switches between threads.
    pub switches: u64,
    /// WAIT system calls made because every thread was waiting.
    pub waits: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Can run (running, or ready to).
    Runnable,
    /// Inside [`wait_for`], its condition false the last time it looked.
    Waiting,
    /// Its function returned; the record is freed by the next thread to run.
    Finished,
}

/// 16 bytes of stack, so that a stack of them is 16-byte aligned.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Chunk([u64; 2]);

/// One thread's record. It is boxed, so the address of `sp` stays the same
/// while the table changes.
struct Thread {
    id: ThreadId,
    state: State,
    /// The stack pointer saved by [`switch`] while the thread is not running.
    sp: u64,
    /// Its stack (`None` for the main thread, which runs on the program's
    /// stack); only kept alive here.
    _stack: Option<Box<[Chunk]>>,
    /// What it runs, until it starts.
    entry: Option<Box<dyn FnOnce() + Send>>,
}

struct Scheduler {
    /// Every thread not yet reaped, in round-robin order. Boxed: `switch`
    /// writes a record's `sp` after the lock is released, so records must
    /// not move when the table grows or shrinks.
    #[allow(clippy::vec_box)]
    threads: Vec<Box<Thread>>,
    current: ThreadId,
    next_id: u64,
    /// Conditions found false in a row while no thread was runnable.
    idle_checks: usize,
    stats: Stats,
}

static SCHEDULER: Mutex<Scheduler> = Mutex::new(Scheduler {
    threads: Vec::new(),
    current: ThreadId::MAIN,
    next_id: 1,
    idle_checks: 0,
    stats: Stats {
        switches: 0,
        waits: 0,
    },
});

/// What a waiting thread does after its condition was false.
enum Next {
    Yield,
    Sleep,
}

impl Scheduler {
    /// Makes sure the main thread has a record (it is made on first use).
    fn ensure_main(&mut self) {
        if self.threads.is_empty() {
            self.threads.push(Box::new(Thread {
                id: ThreadId::MAIN,
                state: State::Runnable,
                sp: 0,
                _stack: None,
                entry: None,
            }));
        }
    }

    fn index(&self, id: ThreadId) -> Option<usize> {
        self.threads.iter().position(|t| t.id == id)
    }

    fn set_state(&mut self, state: State) {
        if let Some(i) = self.index(self.current) {
            self.threads[i].state = state;
        }
    }

    /// Makes the next unfinished thread after the current one current, and
    /// returns what [`switch`] needs to go there: where to save the current
    /// stack pointer, and the next thread's. `None` if there is no other
    /// thread to run.
    fn prepare_switch(&mut self) -> Option<(*mut u64, u64)> {
        let from = self.index(self.current)?;
        let n = self.threads.len();
        let to = (1..n)
            .map(|k| (from + k) % n)
            .find(|&i| self.threads[i].state != State::Finished)?;
        self.current = self.threads[to].id;
        self.stats.switches += 1;
        let next_sp = self.threads[to].sp;
        Some((&raw mut self.threads[from].sp, next_sp))
    }

    /// Records that the current thread's condition was false.
    fn condition_false(&mut self) -> Next {
        self.ensure_main();
        self.set_state(State::Waiting);
        let current = self.current;
        if self
            .threads
            .iter()
            .any(|t| t.id != current && t.state == State::Runnable)
        {
            return Next::Yield;
        }
        // Every thread waits: once each has looked since the last wake-up,
        // only a message can change anything.
        self.idle_checks += 1;
        let live = self
            .threads
            .iter()
            .filter(|t| t.state != State::Finished)
            .count();
        if self.idle_checks >= live {
            self.idle_checks = 0;
            self.stats.waits += 1;
            Next::Sleep
        } else {
            Next::Yield
        }
    }

    /// Whether thread `id` has finished.
    fn finished(&self, id: ThreadId) -> bool {
        id.0 < self.next_id
            && self
                .index(id)
                .is_none_or(|i| self.threads[i].state == State::Finished)
    }

    /// Takes one finished thread other than the current one off the table.
    fn take_finished(&mut self) -> Option<Box<Thread>> {
        let current = self.current;
        let i = self
            .threads
            .iter()
            .position(|t| t.id != current && t.state == State::Finished)?;
        Some(self.threads.remove(i))
    }
}

/// Saves the running thread's context on its stack and its stack pointer
/// at `*save`, then resumes the context whose stack pointer is `next`.
/// It returns when some thread switches back to the saved context.
///
/// The context, from the saved stack pointer up: MXCSR (4 bytes), x87
/// control word (2), padding to 16, r15, r14, r13, r12, rbx, rbp, and the
/// address to return to.
///
/// # Safety
///
/// `save` must be valid for a write; `next` must be a stack pointer saved
/// by this routine (or a frame built like one, see [`spawn`]) on a stack
/// that is still allocated, whose context nothing else resumes; the
/// scheduler lock must not be held.
#[unsafe(naked)]
unsafe extern "C" fn switch(save: *mut u64, next: u64) {
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 16",
        "stmxcsr dword ptr [rsp]",
        "fnstcw word ptr [rsp + 4]",
        "mov [rdi], rsp",
        "mov rsp, rsi",
        "ldmxcsr dword ptr [rsp]",
        "fldcw word ptr [rsp + 4]",
        "add rsp, 16",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Switches to the next thread, if there is one, and returns when this one
/// runs again.
fn reschedule() {
    let target = {
        let mut s = SCHEDULER.lock();
        s.ensure_main();
        s.prepare_switch()
    };
    if let Some((save, next)) = target {
        // `next` was saved by `switch` when that thread last left, or built by `spawn`, on its
        // stack, which lives as long as its record; only this dispatcher runs these threads.
        // SAFETY: `save` is the live record of this thread (freed only after another resumed);
        // `next` is a context of an unfinished thread on its live stack; the lock is released.
        unsafe { switch(save, next) };
        reap();
    }
}

/// Frees the records and stacks of finished threads (never the running
/// one, whose stack is in use).
fn reap() {
    loop {
        // Dropped outside the lock.
        let Some(dead) = SCHEDULER.lock().take_finished() else {
            return;
        };
        drop(dead);
    }
}

/// Where a spawned thread starts (its first switch returns here, with the
/// stack aligned as after a call).
extern "C" fn thread_start() -> ! {
    reap();
    let entry = {
        let mut s = SCHEDULER.lock();
        let current = s.current;
        s.index(current).and_then(|i| s.threads[i].entry.take())
    };
    if let Some(f) = entry {
        f();
    }
    finish()
}

/// Ends the current (spawned) thread.
fn finish() -> ! {
    let target = {
        let mut s = SCHEDULER.lock();
        s.set_state(State::Finished);
        s.prepare_switch()
    };
    if let Some((save, next)) = target {
        // Nothing switches back to a finished thread.
        // SAFETY: as in `reschedule`: `save` is this thread's live record (reaped only after the
        // next thread resumed), `next` a context of an unfinished thread on its live stack.
        unsafe { switch(save, next) };
    }
    // Unreachable: the main thread never finishes, so there was another
    // thread, and nothing resumes this one.
    sys::exit(102)
}

/// Starts a thread that runs `f` and finishes when it returns; it first
/// runs when the current thread yields or waits.
pub fn spawn(f: impl FnOnce() + Send + 'static) -> ThreadId {
    let entry: Box<dyn FnOnce() + Send> = Box::new(f);
    let mut stack = vec![Chunk([0; 2]); STACK_SIZE / size_of::<Chunk>()].into_boxed_slice();
    let top = stack.as_ptr() as u64 + size_of_val(&*stack) as u64;
    // The first context (see `switch`), at the top of the stack: the
    // control words, zeroed callee-saved registers (rbp = 0 ends
    // backtraces), `thread_start` to return to, then a null return address
    // for `thread_start`, which it never uses.
    let frame = [
        Chunk([MXCSR_DEFAULT | FCW_DEFAULT << 32, 0]),
        Chunk([0, 0]),
        Chunk([0, 0]),
        Chunk([0, 0]),
        Chunk([thread_start as *const () as usize as u64, 0]),
    ];
    let base = stack.len() - FRAME_CHUNKS;
    stack[base..].copy_from_slice(&frame);
    let sp = top - size_of_val(&frame) as u64;
    let mut s = SCHEDULER.lock();
    s.ensure_main();
    let id = ThreadId(s.next_id);
    s.next_id += 1;
    s.idle_checks = 0;
    s.threads.push(Box::new(Thread {
        id,
        state: State::Runnable,
        sp,
        _stack: Some(stack),
        entry: Some(entry),
    }));
    id
}

/// The running thread.
pub fn current() -> ThreadId {
    SCHEDULER.lock().current
}

/// Passes the processor to the next thread in round-robin order (waiting
/// threads included, which check their condition); returns at once if
/// there is no other thread.
pub fn yield_now() {
    reschedule();
}

/// Waits until `poll` returns a value, and returns it: while it returns
/// `None` the thread yields to the others, and when all threads wait the
/// dispatcher sleeps until a message arrives. `poll` runs on this thread,
/// without any lock held.
///
/// WAIT returns at once while any ring holds a message, so a message no
/// thread takes turns that sleep into polling. There is no deadline.
pub fn wait_for<T>(mut poll: impl FnMut() -> Option<T>) -> T {
    loop {
        if let Some(value) = poll() {
            let mut s = SCHEDULER.lock();
            s.set_state(State::Runnable);
            s.idle_checks = 0;
            return value;
        }
        let next = SCHEDULER.lock().condition_false();
        match next {
            Next::Yield => reschedule(),
            Next::Sleep => {
                sys::wait(0);
            }
        }
    }
}

/// Waits until `condition` holds (see [`wait_for`]).
pub fn block_until(mut condition: impl FnMut() -> bool) {
    wait_for(|| condition().then_some(()));
}

/// Waits until thread `id` has finished (at once if it already has).
pub fn join(id: ThreadId) -> Result<(), JoinError> {
    {
        let s = SCHEDULER.lock();
        if id.0 >= s.next_id {
            return Err(JoinError::Unknown);
        }
        if id == s.current {
            return Err(JoinError::Current);
        }
    }
    block_until(|| SCHEDULER.lock().finished(id));
    Ok(())
}

/// Waits for the next message of LMP ring `ring`, letting the other
/// threads run meanwhile (the thread-aware form of [`lmp::recv`]).
pub fn recv(ring: usize) -> lmp::Message {
    let _ = lmp::arm(ring);
    wait_for(|| lmp::try_recv(ring))
}

/// The scheduler's counters.
pub fn stats() -> Stats {
    SCHEDULER.lock().stats
}
