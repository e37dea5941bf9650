//! Framework-free physics of a headphone output driving a headphone, in f64.
//!
//! Nothing here knows about the plugin framework or the audio thread: the same code serves
//! the plugin, the tests and (later) the command line.

pub mod chain;
pub mod headphones;
pub mod impedance;
pub mod output;
pub mod poly;
pub mod source;
pub mod supply;

pub use impedance::{Impedance, Load};
pub use source::TheveninSource;
