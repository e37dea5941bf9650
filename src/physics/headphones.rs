//! A headphone as the physics and the designer see it: its circuit model and sensitivity.
//! The models come from the catalog (`crate::catalog`), which fits them to published figures.

use super::impedance::Load;

/// A headphone.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadphoneModel {
    /// Short display name.
    pub name: String,
    /// Kind of transducer, in words.
    pub kind: String,
    /// Nominal impedance in ohms, as the maker states it.
    pub nominal_ohm: f64,
    /// Where the shape comes from and how the element values were estimated.
    pub source: String,
    /// Sensitivity, dB SPL for 1 V RMS at 1 kHz.
    pub sens_db_spl_per_v: f64,
    /// Where the sensitivity comes from.
    pub sens_source: String,
    /// The electrical equivalent circuit.
    pub load: Load,
}
