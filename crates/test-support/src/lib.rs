//! Scaffolding shared by the tests and benchmarks of the workspace and by nothing else:
//! [`Site`], a web site on 127.0.0.1 that a test fills with pages, changes while it runs and
//! asks what was requested; [`shared_data`], through which tests and benchmarks find the
//! data sets in `../shared/data` (skipping, with one line said, when they are absent); and
//! [`smtp`], a real SMTP server for the e-mail tests, skipped the same way when it is not
//! installed.

pub mod data;
pub mod site;
pub mod smtp;

pub use data::{DATA_VAR, data_dir, shared_data};
pub use site::{Handler, Page, Reply, Request, Site, Step};
