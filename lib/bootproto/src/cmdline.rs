//! The kernel command line: space-separated words, each `key=value` or a
//! bare `key` (a flag). Later words override earlier ones with the same key,
//! so a harness can append settings to a default line.
//!
//! Keys the first stage and CPU drivers understand (docs/reference.md,
//! "Kernel command line", lists them with their defaults):
//! * `kernel=<module>`: boot-archive module the loader starts (`cpudriver`);
//! * `fatal=halt|exit`: what a fatal kernel error does after its report;
//! * `selftest=<name>`: run one built-in fault test after boot;
//! * `log=off|error|warn|info|debug|trace`: log level;
//! * `checks`: offer the `DEBUG_CHECK` system call.

/// A parsed view of a command line.
#[derive(Debug, Clone, Copy)]
pub struct Cmdline<'a> {
    text: &'a str,
}

impl<'a> Cmdline<'a> {
    /// Views `text` as a command line.
    pub const fn new(text: &'a str) -> Self {
        Self { text }
    }

    /// The whole line.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The words as `(key, value)`; a flag has the value `""`.
    pub fn words(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.text
            .split_ascii_whitespace()
            .map(|word| word.split_once('=').unwrap_or((word, "")))
    }

    /// The value of the last word with this key.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.words()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .last()
    }

    /// Whether the key is present (as a flag or with any value).
    pub fn has(&self, key: &str) -> bool {
        self.words().any(|(k, _)| k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_and_overrides() {
        let c = Cmdline::new("  kernel=cpudriver fatal=halt  verbose fatal=exit empty= ");
        assert_eq!(c.get("kernel"), Some("cpudriver"));
        assert_eq!(c.get("fatal"), Some("exit"));
        assert_eq!(c.get("verbose"), Some(""));
        assert_eq!(c.get("empty"), Some(""));
        assert_eq!(c.get("missing"), None);
        assert!(c.has("verbose"));
        assert!(!c.has("kern"));
        assert_eq!(c.words().count(), 5);
    }

    #[test]
    fn value_may_contain_equals() {
        assert_eq!(Cmdline::new("a=b=c").get("a"), Some("b=c"));
    }
}
