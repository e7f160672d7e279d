//! A PS/2 keyboard's scancodes to the bytes a serial terminal sends.
//!
//! The serial driver reads the PC keyboard controller (i8042) beside COM1,
//! so a machine without a serial port can be typed on. The controller
//! translates the keyboard's codes to scan code set 1: one byte per key
//! press (its *make* code), the same with bit 7 set when the key is let go
//! (*break*), some keys prefixed by `0xe0`, and Pause by `0xe1` and five
//! more bytes. [`Keyboard`] follows the modifiers (Shift, Ctrl, Caps Lock)
//! and turns each press into the byte a terminal would send, US layout:
//! Enter is `\r`, Backspace `0x7f`, Ctrl with a letter its control
//! character (Ctrl-C is 3), Escape `0x1b`. Keys with no such byte (arrows,
//! function keys, Alt) type nothing, and so do the keypad's digits, `+`,
//! `-` and `.` (Num Lock is not followed); its `*`, `/` and Enter type. No crate serves this without an
//! allocator and with set 1 as the controller translates it, so the table
//! is here.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

/// Make codes `0x00..0x3a`: what each key types, without and with Shift
/// (0: nothing, or a modifier handled apart).
const KEYS: [(u8, u8); 0x3a] = {
    let mut keys = [(0u8, 0u8); 0x3a];
    keys[0x01] = (0x1b, 0x1b);
    let digits = *b"1234567890-=";
    let shifted = *b"!@#$%^&*()_+";
    let mut i = 0;
    while i < digits.len() {
        keys[0x02 + i] = (digits[i], shifted[i]);
        i += 1;
    }
    keys[0x0e] = (0x7f, 0x7f);
    keys[0x0f] = (b'\t', b'\t');
    let rows: [(usize, &[u8], &[u8]); 3] = [
        (0x10, b"qwertyuiop[]", b"QWERTYUIOP{}"),
        (0x1e, b"asdfghjkl;'`", b"ASDFGHJKL:\"~"),
        (0x2b, b"\\zxcvbnm,./", b"|ZXCVBNM<>?"),
    ];
    let mut r = 0;
    while r < rows.len() {
        let (first, plain, shift) = rows[r];
        let mut i = 0;
        while i < plain.len() {
            keys[first + i] = (plain[i], shift[i]);
            i += 1;
        }
        r += 1;
    }
    keys[0x1c] = (b'\r', b'\r');
    keys[0x37] = (b'*', b'*');
    keys[0x39] = (b' ', b' ');
    keys
};

const LEFT_SHIFT: u8 = 0x2a;
const RIGHT_SHIFT: u8 = 0x36;
const CTRL: u8 = 0x1d;
const CAPS_LOCK: u8 = 0x3a;
const RELEASED: u8 = 0x80;
const EXTENDED: u8 = 0xe0;
const PAUSE: u8 = 0xe1;
/// Bytes that follow Pause's `0xe1`.
const PAUSE_TAIL: u8 = 5;

/// The keyboard's modifiers and the prefix being read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Keyboard {
    shift: u8,
    ctrl: bool,
    caps: bool,
    extended: bool,
    skip: u8,
}

impl Keyboard {
    /// No key held, Caps Lock off.
    pub const fn new() -> Self {
        Self {
            shift: 0,
            ctrl: false,
            caps: false,
            extended: false,
            skip: 0,
        }
    }

    /// Takes one byte from the controller; returns what the key types.
    pub fn feed(&mut self, code: u8) -> Option<u8> {
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        match code {
            EXTENDED => {
                self.extended = true;
                return None;
            }
            PAUSE => {
                self.skip = PAUSE_TAIL;
                return None;
            }
            _ => {}
        }
        let extended = core::mem::take(&mut self.extended);
        let (key, pressed) = (code & !RELEASED, code & RELEASED == 0);
        match (extended, key) {
            // Right Ctrl is `e0 1d`; the keypad's Enter and `/` type.
            (_, CTRL) => self.ctrl = pressed,
            (true, 0x1c) if pressed => return Some(b'\r'),
            (true, 0x35) if pressed => return Some(b'/'),
            // `e0 2a` and `e0 36` are the fake Shifts some keys send.
            (true, _) => {}
            (false, LEFT_SHIFT) => self.set_shift(0, pressed),
            (false, RIGHT_SHIFT) => self.set_shift(1, pressed),
            (false, CAPS_LOCK) if pressed => self.caps = !self.caps,
            (false, _) if pressed => return self.typed(key),
            (false, _) => {}
        }
        None
    }

    fn set_shift(&mut self, which: u8, pressed: bool) {
        if pressed {
            self.shift |= 1 << which;
        } else {
            self.shift &= !(1 << which);
        }
    }

    /// What pressing the key with make code `key` types now.
    fn typed(&self, key: u8) -> Option<u8> {
        let &(plain, shifted) = KEYS.get(usize::from(key))?;
        let byte = if plain.is_ascii_lowercase() && self.caps {
            if self.shift != 0 { plain } else { shifted }
        } else if self.shift != 0 {
            shifted
        } else {
            plain
        };
        match byte {
            0 => None,
            b if self.ctrl && b.is_ascii_alphabetic() => Some(b.to_ascii_lowercase() & 0x1f),
            b => Some(b),
        }
    }
}

#[cfg(test)]
mod tests;
