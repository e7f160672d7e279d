//! Commands over a shared page (`proto::procmgr`), both sides: a server
//! hands an answer of any length out in page-sized pieces ([`Pieces`]); a
//! client runs a command and takes every piece ([`run`]).

use abi::error::SysError;
use alloc::vec::Vec;
use proto::procmgr::{Answer, Reply, Request};

use crate::cap::{Cap, kind};
use crate::lmp;

/// An answer on its way out, a page at a time.
#[derive(Debug, Default)]
pub struct Pieces {
    text: Vec<u8>,
    sent: usize,
    failed: bool,
    child: u64,
}

impl Pieces {
    /// The answer `text` (`failed`: the command ran but failed; `child`:
    /// the program a `run` started).
    pub fn new(text: &[u8], failed: bool, child: u64) -> Self {
        Self {
            text: text.into(),
            sent: 0,
            failed,
            child,
        }
    }

    /// Writes the next piece to `page` and says so (an empty piece once
    /// everything went).
    pub fn next(&mut self, page: &mut [u8]) -> Answer {
        let rest = &self.text[self.sent..];
        let n = rest.len().min(page.len()).min(u32::MAX as usize);
        page[..n].copy_from_slice(&rest[..n]);
        self.sent += n;
        let left = self.text.len() - self.sent;
        Answer {
            failed: self.failed,
            len: n as u32,
            rest: u32::try_from(left).unwrap_or(u32::MAX),
            child: self.child,
        }
    }
}

/// Has `server` run the command `line` (written to the shared `page`);
/// hands every piece of the answer to `piece`, in order; returns the
/// answer's status (its `len` the last piece's). A line longer than the
/// page is refused (`BadSize`), never cut.
pub fn run(
    server: Cap<kind::EndPoint>,
    page: &mut [u8],
    line: &[u8],
    mut piece: impl FnMut(&[u8]),
) -> Result<Answer, SysError> {
    let command = page.get_mut(..line.len()).ok_or(SysError::BadSize)?;
    command.copy_from_slice(line);
    let mut request = Request::Command {
        len: line.len() as u64,
    };
    loop {
        let reply = lmp::call(server, request.to_words())?;
        let answer = match Reply::from_words(reply.words) {
            Ok(Reply::Command(result)) => result?,
            _ => return Err(SysError::InvalidOperation),
        };
        let len = (answer.len as usize).min(page.len());
        piece(&page[..len]);
        // A piece that brings nothing while more is promised ends it too.
        if answer.rest == 0 || len == 0 {
            return Ok(answer);
        }
        request = Request::More;
    }
}
