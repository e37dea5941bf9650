//! A headphone as the physics and the designer see it: its impedance and sensitivity. The
//! catalog's models are circuits fitted to published figures (`crate::catalog`); an imported
//! measurement is a curve (`crate::import`).

use super::impedance::{Impedance, Load, MeasuredCurve};
use super::poly::Poly;
use num_complex::Complex64;

/// A headphone's impedance: a circuit model or a measured curve.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadphoneLoad {
    /// An equivalent circuit (the catalog's fitted models).
    Circuit(Load),
    /// A measured curve (an imported REW / ARTA / DATS / CSV file).
    Measured(MeasuredCurve),
}

impl Impedance for HeadphoneLoad {
    fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        match self {
            HeadphoneLoad::Circuit(l) => l.z_ohm(freq_hz),
            HeadphoneLoad::Measured(c) => c.z_ohm(freq_hz),
        }
    }

    fn rational(&self) -> Option<(Poly, Poly)> {
        match self {
            HeadphoneLoad::Circuit(l) => l.rational(),
            HeadphoneLoad::Measured(c) => c.rational(),
        }
    }
}

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
    /// The impedance.
    pub load: HeadphoneLoad,
}
