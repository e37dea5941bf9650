//! Helpers shared by the integration tests.
pub mod clap_host;
