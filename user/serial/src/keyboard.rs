//! The PC keyboard, where the machine has a keyboard controller (i8042,
//! ports 0x60 and 0x64, ISA interrupt 1): what is typed on it joins what
//! comes from COM1, so a machine without a serial port can be used from
//! its keyboard and screen. Scancodes become terminal bytes in `keymap`.
//!
//! At start the driver turns the controller's keyboard interrupt and
//! scancode translation on, the mouse port off (its bytes would stand in
//! the keyboard's way), and asks the keyboard to scan (firmware, UEFI's in
//! particular, may leave these otherwise); the keyboard is disabled while
//! the controller's configuration is read and written, so no key press is
//! taken for it. No controller (the status port reads all ones) means no
//! keyboard; every wait for the controller and every burst of reading is
//! bounded, so a broken one cannot hang the driver. The status port's
//! capability also carries the controller's commands (a machine reset
//! among them); only this driver holds it.

use corefish::cap::{Cap, kind};
use keymap::Keyboard;

use crate::input::Input;

const DATA: u16 = 0x60;
const STATUS: u16 = 0x64;
const COMMAND: u16 = 0x64;
/// Status: a byte waits in the output buffer.
const OUTPUT_FULL: u64 = 1 << 0;
/// Status: the controller has not taken the last byte written.
const INPUT_FULL: u64 = 1 << 1;
/// Status: the waiting byte is from the mouse (the auxiliary port).
const FROM_MOUSE: u64 = 1 << 5;
const READ_CONFIG: u64 = 0x20;
const WRITE_CONFIG: u64 = 0x60;
const DISABLE_KEYBOARD: u64 = 0xad;
const ENABLE_KEYBOARD: u64 = 0xae;
const DISABLE_MOUSE: u64 = 0xa7;
/// Configuration: keyboard interrupt on.
const CONFIG_INTERRUPT: u64 = 1 << 0;
/// Configuration: mouse interrupt on.
const CONFIG_MOUSE_INTERRUPT: u64 = 1 << 1;
/// Configuration: keyboard clock off.
const CONFIG_CLOCK_OFF: u64 = 1 << 4;
/// Configuration: mouse clock off.
const CONFIG_MOUSE_CLOCK_OFF: u64 = 1 << 5;
/// Configuration: translation to scan code set 1.
const CONFIG_TRANSLATE: u64 = 1 << 6;
/// Keyboard command: start scanning.
const ENABLE_SCANNING: u64 = 0xf4;
/// Most status reads in one wait for the controller.
const PATIENCE: u32 = 100_000;
/// Most bytes taken from the controller in one `read` (a stuck status
/// port cannot keep the driver here).
const BURST: usize = 64;

/// The keyboard controller, through one I/O capability per port.
pub struct Ps2 {
    data: Cap<kind::Io>,
    status: Cap<kind::Io>,
    keys: Keyboard,
}

impl Ps2 {
    /// Takes the controller, if there is one, and sets it up.
    pub fn start(data: Cap<kind::Io>, status: Cap<kind::Io>) -> Option<Self> {
        let first = status.read(STATUS, 1).ok()?;
        if first == 0xff {
            return None;
        }
        let ps2 = Self {
            data,
            status,
            keys: Keyboard::new(),
        };
        let _ = ps2.command(DISABLE_KEYBOARD);
        let _ = ps2.command(DISABLE_MOUSE);
        ps2.drain();
        if let Some(config) = ps2.command(READ_CONFIG).and_then(|()| ps2.answer()) {
            let config = (config | CONFIG_INTERRUPT | CONFIG_TRANSLATE | CONFIG_MOUSE_CLOCK_OFF)
                & !(CONFIG_CLOCK_OFF | CONFIG_MOUSE_INTERRUPT);
            let _ = ps2.command(WRITE_CONFIG).and_then(|()| ps2.send(config));
        }
        let _ = ps2.command(ENABLE_KEYBOARD);
        let _ = ps2.send(ENABLE_SCANNING);
        let _ = ps2.answer(); // the keyboard's acknowledgement (0xfa)
        Some(ps2)
    }

    fn status(&self) -> u64 {
        self.status.read(STATUS, 1).unwrap_or(0)
    }

    /// Waits until the controller takes a byte, then writes it to `port`.
    fn write(&self, port: u16, value: u64) -> Option<()> {
        (0..PATIENCE).find(|_| self.status() & INPUT_FULL == 0)?;
        let cap = if port == DATA { self.data } else { self.status };
        cap.write(port, 1, value).ok()
    }

    fn command(&self, value: u64) -> Option<()> {
        self.write(COMMAND, value)
    }

    fn send(&self, value: u64) -> Option<()> {
        self.write(DATA, value)
    }

    /// The controller's next byte, waiting for it a bounded time.
    fn answer(&self) -> Option<u64> {
        (0..PATIENCE).find(|_| self.status() & OUTPUT_FULL != 0)?;
        self.data.read(DATA, 1).ok()
    }

    /// Throws away whatever waits (keys pressed before the driver ran).
    fn drain(&self) {
        for _ in 0..64 {
            if self.status() & OUTPUT_FULL == 0 {
                return;
            }
            let _ = self.data.read(DATA, 1);
        }
    }

    /// Reads the bytes waiting (a burst at most), as long as `input` has
    /// room (otherwise the input is marked held back, so the driver comes
    /// back for them); what a key types joins the input.
    pub fn read(&mut self, input: &mut Input) {
        for _ in 0..BURST {
            if !input.has_room() {
                input.hold_back();
                return;
            }
            let status = self.status();
            if status & OUTPUT_FULL == 0 {
                return;
            }
            let Ok(code) = self.data.read(DATA, 1) else {
                return;
            };
            if status & FROM_MOUSE == 0
                && let Some(byte) = self.keys.feed(code as u8)
            {
                input.push(byte);
            }
        }
    }
}
