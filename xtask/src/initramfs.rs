//! A writer of Linux initramfs archives (cpio "newc" format, uncompressed:
//! the kernel unpacks it into its root file system at boot). Used for the
//! Linux peer (`crate::bench::peer`).
//!
//! Each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit
//! hexadecimal fields: inode, mode, uid, gid, link count, mtime, file size,
//! device major/minor, rdev major/minor, name size including its NUL,
//! checksum 0), the name and its NUL padded to a multiple of 4 bytes, then
//! the data padded to a multiple of 4; the archive ends with an entry named
//! `TRAILER!!!`.

/// File-type bits of a mode.
const DIRECTORY: u32 = 0o040_000;
const REGULAR: u32 = 0o100_000;

/// An archive being written.
#[derive(Default)]
pub struct Cpio {
    out: Vec<u8>,
    inode: u32,
}

impl Cpio {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// A directory (`path` without a leading slash, e.g. `bin`).
    pub fn dir(&mut self, path: &str, permissions: u32) {
        self.entry(path, DIRECTORY | permissions, 2, b"");
    }

    /// A regular file.
    pub fn file(&mut self, path: &str, permissions: u32, data: &[u8]) {
        self.entry(path, REGULAR | permissions, 1, data);
    }

    /// The archive, with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.inode = 0;
        self.entry("TRAILER!!!", 0, 1, b"");
        self.out
    }

    fn entry(&mut self, name: &str, mode: u32, links: u32, data: &[u8]) {
        self.inode += 1;
        let fields = [
            self.inode,
            mode,
            0,
            0,
            links,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        self.out.extend_from_slice(b"070701");
        for field in fields {
            self.out
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader written from the format's description, for the test.
    fn entries(archive: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut at = 0;
        let mut found = Vec::new();
        loop {
            assert_eq!(&archive[at..at + 6], b"070701", "magic at {at}");
            let field = |i: usize| {
                let text = std::str::from_utf8(&archive[at + 6 + i * 8..at + 14 + i * 8]).unwrap();
                u32::from_str_radix(text, 16).unwrap()
            };
            let (mode, size, name_size) = (field(1), field(6) as usize, field(11) as usize);
            let name_start = at + 110;
            let name = std::str::from_utf8(&archive[name_start..name_start + name_size - 1])
                .unwrap()
                .to_owned();
            assert_eq!(archive[name_start + name_size - 1], 0);
            let data_start = (name_start + name_size).next_multiple_of(4);
            let data = archive[data_start..data_start + size].to_vec();
            at = (data_start + size).next_multiple_of(4);
            if name == "TRAILER!!!" {
                assert_eq!(at, archive.len(), "bytes after the trailer");
                return found;
            }
            found.push((name, mode, data));
        }
    }

    #[test]
    fn entries_read_back_aligned_and_typed() {
        let mut cpio = Cpio::new();
        cpio.dir("bin", 0o755);
        cpio.file("init", 0o755, b"#!/bin/busybox sh\n");
        cpio.file("bin/abc", 0o644, b"abc");
        let archive = cpio.finish();
        assert_eq!(archive.len() % 4, 0);
        let found = entries(&archive);
        let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["bin", "init", "bin/abc"]);
        assert_eq!(found[0].1, 0o040_755);
        assert_eq!(
            found[1],
            ("init".into(), 0o100_755, b"#!/bin/busybox sh\n".to_vec())
        );
        assert_eq!(found[2].2, b"abc");
    }

    #[test]
    fn every_name_and_data_length_keeps_alignment() {
        for n in 1..9 {
            for len in 0..9 {
                let mut cpio = Cpio::new();
                let name = "x".repeat(n);
                cpio.file(&name, 0o600, &vec![7; len]);
                let found = entries(&cpio.finish());
                assert_eq!(found, [(name, 0o100_600, vec![7; len])]);
            }
        }
    }
}
