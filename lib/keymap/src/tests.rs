//! The keyboard against a model typist: for every printable character, the
//! key presses a US keyboard needs for it type it back.

extern crate std;

use std::vec::Vec;

use proptest::prelude::*;

use super::*;

/// The make code and Shift for a character, from the table itself.
fn key_for(c: u8) -> (u8, bool) {
    for (code, &(plain, shifted)) in KEYS.iter().enumerate() {
        if plain == c {
            return (code as u8, false);
        }
        if shifted == c {
            return (code as u8, true);
        }
    }
    panic!("no key types {c:#x}");
}

/// The scancodes of typing `text` (Shift pressed and let go around each
/// character that needs it).
fn strokes(text: &[u8]) -> Vec<u8> {
    let mut codes = Vec::new();
    for &c in text {
        let (code, shift) = key_for(c);
        if shift {
            codes.push(LEFT_SHIFT);
        }
        codes.extend([code, code | RELEASED]);
        if shift {
            codes.push(LEFT_SHIFT | RELEASED);
        }
    }
    codes
}

fn typed(keyboard: &mut Keyboard, codes: &[u8]) -> Vec<u8> {
    codes.iter().filter_map(|&c| keyboard.feed(c)).collect()
}

#[test]
fn keys_type_what_set_1_says() {
    // Make codes from the scan code set 1 table, written out here rather
    // than taken from `KEYS`: one key from each part of the table.
    let known: [(u8, u8, u8); 16] = [
        (0x01, 0x1b, 0x1b),
        (0x02, b'1', b'!'),
        (0x0b, b'0', b')'),
        (0x0d, b'=', b'+'),
        (0x0e, 0x7f, 0x7f),
        (0x0f, b'\t', b'\t'),
        (0x10, b'q', b'Q'),
        (0x1b, b']', b'}'),
        (0x1c, b'\r', b'\r'),
        (0x1e, b'a', b'A'),
        (0x28, b'\'', b'"'),
        (0x29, b'`', b'~'),
        (0x2b, b'\\', b'|'),
        (0x2c, b'z', b'Z'),
        (0x35, b'/', b'?'),
        (0x39, b' ', b' '),
    ];
    for (code, plain, shifted) in known {
        let mut k = Keyboard::new();
        assert_eq!(k.feed(code), Some(plain), "make code {code:#x}");
        assert_eq!(
            typed(&mut k, &[LEFT_SHIFT, code]),
            [shifted],
            "shifted {code:#x}"
        );
    }
}

#[test]
fn a_command_line_types_as_on_a_terminal() {
    let mut k = Keyboard::new();
    assert_eq!(
        typed(&mut k, &strokes(b"run --core 2 hello A_b\r")),
        b"run --core 2 hello A_b\r"
    );
}

#[test]
fn control_caps_lock_and_extended_keys() {
    let mut k = Keyboard::new();
    // Ctrl-C, with the right Ctrl (e0 1d ... e0 9d).
    assert_eq!(
        typed(
            &mut k,
            &[EXTENDED, CTRL, 0x2e, 0xae, EXTENDED, CTRL | RELEASED]
        ),
        [3]
    );
    // Caps Lock: letters shift, digits do not; Shift undoes it for letters.
    assert_eq!(
        typed(&mut k, &[CAPS_LOCK, CAPS_LOCK | RELEASED, 0x1e, 0x02]),
        b"A1"
    );
    assert_eq!(
        typed(&mut k, &[LEFT_SHIFT, 0x1e, 0x02, LEFT_SHIFT | RELEASED]),
        b"a!"
    );
    // Arrows (e0 48), the fake Shift (e0 2a) and Pause type nothing, and
    // leave no modifier behind.
    let pause = [PAUSE, 0x1d, 0x45, PAUSE, 0x9d, 0xc5];
    assert_eq!(typed(&mut k, &[EXTENDED, 0x48, EXTENDED, LEFT_SHIFT]), b"");
    assert_eq!(typed(&mut k, &pause), b"");
    assert_eq!(
        typed(&mut k, &[CAPS_LOCK, 0x1e, 0x1c, EXTENDED, 0x1c, 0x0e]),
        b"a\r\r\x7f"
    );
}

proptest! {
    #[test]
    fn every_printable_text_types_back(text in "[ -~\t]{0,64}") {
        let mut k = Keyboard::new();
        prop_assert_eq!(typed(&mut k, &strokes(text.as_bytes())), text.as_bytes());
    }

    #[test]
    fn any_bytes_type_only_terminal_bytes(codes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut k = Keyboard::new();
        for b in typed(&mut k, &codes) {
            prop_assert!(b.is_ascii() && b != 0);
        }
    }
}
