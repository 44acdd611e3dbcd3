//! The bench's global allocator: the product's own (mimalloc), counted, so suites run as
//! the binary does and can report the memory a structure holds.

use cap::Cap;
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: Cap<MiMalloc> = Cap::new(MiMalloc, usize::MAX);

/// Bytes currently allocated on the heap by this process.
pub(crate) fn live_bytes() -> usize {
    GLOBAL.allocated()
}
