//! Report lines written and read through one template each, so that the
//! boot driver's output and the benchmark's parser cannot drift apart: a
//! template is literal text with `{}` where a value goes; [`render`] fills
//! it in order, [`fields`] finds the values in a line again.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{Display, Write};

/// `template` with its `{}` replaced by `values`, in order.
pub fn render(template: &str, values: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut parts = template.split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some()
            && let Some(value) = values.next()
        {
            let _ = write!(out, "{value}");
        }
    }
    out
}

/// The values of a line rendered from `template`, wherever it starts in
/// `line` after a word boundary (a line may carry a prefix, such as the
/// boot driver's name); `None` if the line does not have the template's
/// shape.
pub fn fields<'l>(template: &str, line: &'l str) -> Option<Vec<&'l str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let (first, rest) = parts.split_first()?;
    let line = line.trim_end();
    line.match_indices(first)
        .filter(|&(at, _)| {
            !line[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        })
        .find_map(|(at, _)| match_from(rest, &line[at + first.len()..]))
}

/// Matches the literal parts `rest` (each preceded by a value) in `text`.
fn match_from<'l>(rest: &[&str], mut text: &'l str) -> Option<Vec<&'l str>> {
    let mut values = Vec::new();
    for (i, literal) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let end = if last {
            text.strip_suffix(literal)?.len()
        } else {
            text.find(literal)?
        };
        values.push(&text[..end]);
        text = &text[end + literal.len()..];
    }
    Some(values)
}

/// Below this many nanoseconds, [`ms`] writes them all.
pub const FINE_BELOW_NS: u64 = 10_000;

/// Nanoseconds as milliseconds with three decimals (`12.345`), or six
/// below [`FINE_BELOW_NS`] (`0.000312`: a stop that takes an idle core is
/// well under a microsecond).
pub fn ms(ns: u64) -> String {
    if ns != 0 && ns < FINE_BELOW_NS {
        alloc::format!("0.{ns:06}")
    } else {
        alloc::format!("{}.{:03}", ns / 1_000_000, ns / 1000 % 1000)
    }
}

/// What [`ms`] keeps of `ns`: every nanosecond below [`FINE_BELOW_NS`],
/// else the microseconds.
pub fn shown_ns(ns: u64) -> u64 {
    if ns < FINE_BELOW_NS {
        ns
    } else {
        ns / 1000 * 1000
    }
}

/// Milliseconds with up to six decimals back to nanoseconds (what [`ms`]
/// wrote: [`shown_ns`]).
pub fn parse_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.len() > 6 || !(fraction.is_empty() || digits(fraction)) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let mut nanos: u64 = 0;
    for i in 0..6 {
        let digit = fraction
            .as_bytes()
            .get(i)
            .map_or(0, |b| u64::from(b - b'0'));
        nanos = nanos * 10 + digit;
    }
    whole.checked_mul(1_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_from_a_prefixed_line() {
        let t = "core {} booted: {}, in {} ms";
        let line = render(t, &[&3, &"cpudriver 0.1.0", &ms(1_234_567)]);
        assert_eq!(line, "core 3 booted: cpudriver 0.1.0, in 1.234 ms");
        let prefixed = alloc::format!("corectrl: {line}");
        assert_eq!(
            fields(t, &prefixed),
            Some(alloc::vec!["3", "cpudriver 0.1.0", "1.234"])
        );
        assert_eq!(fields(t, "core 3 stopped: x"), None);
        assert_eq!(fields(t, "core 3 booted: k, in 1 ms and more"), None);
        // Not inside a word, and no panic on any character.
        assert_eq!(fields(t, "score 3 booted: k, in 1 ms"), None);
        assert_eq!(fields(t, "core 3 booted: k, in 1 mséé"), None);
        assert_eq!(fields("x {}é", "x 1é"), Some(alloc::vec!["1"]));
    }

    #[test]
    fn milliseconds_round_trip_to_the_microsecond() {
        for ns in [
            0,
            312,
            999,
            1000,
            9_999,
            10_000,
            10_999,
            1_234_567,
            987_654_321_000,
        ] {
            assert_eq!(parse_ms(&ms(ns)), Some(shown_ns(ns)));
        }
        assert_eq!(ms(312), "0.000312");
        assert_eq!(ms(0), "0.000");
        assert_eq!(ms(10_999), "0.010");
        assert_eq!(parse_ms("12"), Some(12_000_000));
        assert_eq!(parse_ms("1.5"), Some(1_500_000));
        assert_eq!(parse_ms("x"), None);
        assert_eq!(parse_ms("1.2345"), Some(1_234_500));
        assert_eq!(parse_ms("1.2345678"), None);
        assert_eq!(parse_ms("+1"), None);
        assert_eq!(parse_ms("1."), None);
        assert_eq!(parse_ms(".5"), None);
    }
}
