//! End-to-end tests: the real `langnghe` binary on a temporary data directory, fed by a
//! feed server on 127.0.0.1, checked over HTTP and through its command line.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod browser;
mod claims_cli;
mod cli;
mod crash;
mod delivery_e2e;
mod demo_command;
mod demo_rumours;
mod demo_stories;
mod hostile;
mod many_processes;
mod report_browser;
mod report_cli;
mod rules_live;
mod search_demo;
mod serve;
mod sources_cli;
mod support;
mod workflow_browser;
