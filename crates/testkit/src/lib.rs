//! What Loadline's tests share, and nothing the products ship: a CLAP host on `clack-host` that
//! loads the bundled plugin as a DAW does, measurements of what the engine rendered, and a
//! simulated interface (`interface`) with the loopback recordings of one (`loopback`) for the
//! measurement of a producer's own output.

#[cfg(feature = "host")]
pub mod clap_host;
pub mod interface;
pub mod jig;
pub mod loopback;
pub mod measure;
