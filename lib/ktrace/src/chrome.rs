//! Timeline lines as a Chrome trace-event file (the JSON object format that
//! Perfetto and `chrome://tracing` open): a span is a complete event
//! (`"ph": "X"`, with its duration), an instant an instant event
//! (`"ph": "i"`, thread-scoped); the core is the thread, times are µs.
//! Written by hand: the format is four fields per event, and this crate
//! is `no_std`.

use alloc::string::String;
use core::fmt::Write;

use crate::text::Line;

/// `text` with JSON's special characters escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// µs with three decimals, as JSON numbers.
fn us(ns: u64) -> String {
    alloc::format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// The trace-event file of `lines`.
pub fn to_json<'a>(lines: impl IntoIterator<Item = &'a Line>) -> String {
    let mut out = String::from("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let name = escaped(&line.what);
        let _ = write!(
            out,
            "\n{{\"name\":\"{name}\",\"cat\":\"{}\",\"pid\":1,\"tid\":{},\"ts\":{}",
            line.kind.name(),
            line.core,
            us(line.start_ns)
        );
        if line.kind.is_span() {
            let _ = write!(out, ",\"ph\":\"X\",\"dur\":{}}}", us(line.dur_ns));
        } else {
            out.push_str(",\"ph\":\"i\",\"s\":\"t\"}");
        }
    }
    out.push_str("\n]}\n");
    out
}
