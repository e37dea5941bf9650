//! Loadline's core: what a headphone output does to a pair of headphones, without a plugin
//! framework or a GUI.
//!
//! `physics` is the exact model in f64, `dsp` the real-time engine built from it (allocation-
//! and lock-free in `Engine::process`), `catalog` the devices with the basis and source of
//! every figure, `import` measured impedance curves, `listeners` several headphones on one jack, `report` the figures a producer reads,
//! `render` offline renders through the engine, `scenario` what a parameter value stands for,
//! `choices` what the user chose and the one function that resolves it into a scenario,
//! `setups` named setups (the factory's and the user's, as TOML files) that fill the choices,
//! `analysis` what a resolved scenario gives (computed once, on a thread of its own),
//! `plausible` the range of every quantity, `units` the conversions and the text of every
//! quantity, `files` writing a file whole or not at all, and `wav` WAV files read and written a
//! block at a time.

pub mod analysis;
pub mod catalog;
pub mod choices;
pub mod cores;
pub mod designer;
pub mod dsp;
pub mod figures;
pub mod files;
pub mod import;
pub mod listeners;
pub mod measure;
pub mod physics;
pub mod plausible;
pub mod render;
pub mod report;
pub mod scenario;
pub mod setups;
pub mod units;
pub mod wav;
