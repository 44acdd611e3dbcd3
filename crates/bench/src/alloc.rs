//! A counting global allocator, so suites can report the memory a structure holds.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated on the heap by this process. A reallocation's growth is
/// already in `bytes_allocated` and its shrinking in `bytes_deallocated`
/// (`bytes_reallocated` is the same change again, net), so the live total is their
/// difference.
pub(crate) fn live_bytes() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated)
}
