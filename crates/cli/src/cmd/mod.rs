//! The subcommands, one module each.

pub(crate) mod list;
pub(crate) mod measure;
pub(crate) mod rank;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod response;
pub(crate) mod setup;
