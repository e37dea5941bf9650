//! What Loadline's tests share, and nothing the products ship: a CLAP host on `clack-host` that
//! loads the bundled plugin as a DAW does, and measurements of what the engine rendered.

#[cfg(feature = "host")]
pub mod clap_host;
pub mod interface;
pub mod measure;
