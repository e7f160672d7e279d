//! Lines that other writers put into a shell answer wherever they land.
//! The serial driver and the kernels write the UART separately, so a
//! kernel's report line (written when its core idles) or a program's line
//! can appear in the middle of a line of `corectrl`'s answer. Checks that
//! read answers whole take them out first ([`without_interleaved`]).

/// Where a line of the soak's programs begins (their output may land in
/// the middle of a line of the boot driver's, as the kernels' may).
pub const PROGRAM_LINES: [&str; 2] = ["tpch: ", "umpmesh: "];

/// `text` without the lines that other writers put into it wherever they
/// land: the kernels' report lines (`[ SECONDS cN] LEVEL ...`) and the soak
/// programs' ([`PROGRAM_LINES`]), each up to and with its line end.
pub fn without_interleaved(text: &str) -> String {
    without(text, &PROGRAM_LINES)
}

/// `text` without the kernels' report lines only (to read the programs'
/// lines whole).
pub fn without_reports(text: &str) -> String {
    without(text, &[])
}

/// `text` without the kernels' report lines and the lines that begin with
/// one of `programs`.
fn without(text: &str, programs: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = rest
            .char_indices()
            .find(|&(at, c)| {
                let candidate = &rest[at..];
                (c == '[' && is_report(candidate))
                    || programs.iter().any(|p| candidate.starts_with(p))
            })
            .map(|(at, _)| at);
        let Some(at) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        rest = rest[at..]
            .find('\n')
            .map_or("", |end| &rest[at + end + 1..]);
    }
}

/// Whether `text` begins with a kernel report line's stamp (`[ 1.234567 c3] `).
fn is_report(text: &str) -> bool {
    let Some(end) = text.find("] ") else {
        return false;
    };
    let mut parts = text[1..end].split_whitespace();
    let time = parts.next().unwrap_or("");
    let core = parts.next().unwrap_or("");
    parts.next().is_none()
        && time.contains('.')
        && time.chars().all(|c| c.is_ascii_digit() || c == '.')
        && core.len() > 1
        && core.starts_with('c')
        && core[1..].chars().all(|c| c.is_ascii_digit())
}
