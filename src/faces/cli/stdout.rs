//! The CLI's standard output: writes return their errors instead of panicking, so a reader that
//! stops early (`steward issues | head`) ends the command quietly, as Unix tools do.

use std::fmt;
use std::io::{self, Write};

/// Writes `args` to stdout.
pub fn write(args: fmt::Arguments) -> io::Result<()> {
    io::stdout().lock().write_fmt(args)
}

/// Writes `args` and a newline to stdout.
pub fn write_line(args: fmt::Arguments) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Flushes what is still buffered (a last line without a newline).
pub fn flush() -> io::Result<()> {
    io::stdout().lock().flush()
}

/// Whether `err` is stdout's reader having gone away (`EPIPE`): not a failure of the command.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
