//! The real-time engine: allocation-free and lock-free in `process()`.

pub mod design;
pub mod engine;
mod halfband;
pub mod noise;
pub mod oversample;
pub mod test_signal;
