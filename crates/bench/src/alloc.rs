//! A counting global allocator, so suites can report the memory a structure holds.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated on the heap by this process.
pub(crate) fn live_bytes() -> usize {
    let s = GLOBAL.stats();
    let grown = s.bytes_allocated as i128 + s.bytes_reallocated as i128;
    usize::try_from(grown - s.bytes_deallocated as i128).unwrap_or(0)
}
