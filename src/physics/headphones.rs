//! The built-in headphone models.
//!
//! These are circuit models whose element values are ESTIMATES chosen to reproduce the
//! published features named in each entry's `source` (nominal impedance, resonance, rise);
//! they are not yet least-squares fits to a measured curve. The catalog issue replaces them
//! with fitted, sourced entries.

use super::impedance::Load;
use super::output::sens_db_spl_per_v_from_mw;

/// A built-in headphone.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadphoneModel {
    /// Short display name.
    pub name: &'static str,
    /// Kind of transducer, in words.
    pub kind: &'static str,
    /// Nominal impedance in ohms, as the maker states it.
    pub nominal_ohm: f64,
    /// Where the shape comes from and how the element values were estimated.
    pub source: &'static str,
    /// Sensitivity, dB SPL for 1 V RMS at 1 kHz.
    pub sens_db_spl_per_v: f64,
    /// Where the sensitivity comes from.
    pub sens_source: &'static str,
    /// The electrical equivalent circuit.
    pub load: Load,
}

/// Every built-in headphone, in the order of the plugin's headphone parameter.
pub fn builtin() -> Vec<HeadphoneModel> {
    vec![
        HeadphoneModel {
            name: "300 ohm dynamic (HD600-like)",
            kind: "open-back dynamic",
            nominal_ohm: 300.0,
            source: "estimated: 300 Ω nominal, bass resonance near twice nominal around 100 Hz \
                     (shared/reference/devices.md, HD600 row); gentle inductive rise assumed",
            sens_db_spl_per_v: 97.0,
            sens_source: "97 dB SPL/V (devices.md, HD600 row, label S)",
            load: Load::dynamic_driver(255.0, 0.25e-3, 0.6e-3, 300.0, 300.0, 95.0, 1.3),
        },
        HeadphoneModel {
            name: "38 ohm closed dynamic (M50x-like)",
            kind: "closed-back dynamic",
            nominal_ohm: 38.0,
            source: "estimated: 38 Ω nominal (devices.md, ATH-M50x row); resonance and \
                     inductive rise assumed typical of 40–50 mm closed-back drivers",
            sens_db_spl_per_v: sens_db_spl_per_v_from_mw(99.0, 38.0),
            sens_source: "99 dB SPL/mW at 38 Ω (devices.md, ATH-M50x row, label S)",
            load: Load::dynamic_driver(34.0, 0.08e-3, 0.12e-3, 40.0, 22.0, 60.0, 1.8),
        },
        HeadphoneModel {
            name: "37 ohm planar (Sundara-like)",
            kind: "planar magnetic",
            nominal_ohm: 37.0,
            source: "estimated: 37 Ω nominal (devices.md, Sundara row); planar: nearly \
                     resistive, a few µH of trace inductance assumed",
            sens_db_spl_per_v: sens_db_spl_per_v_from_mw(94.0, 37.0),
            sens_source: "94 dB SPL/mW at 37 Ω (devices.md, Sundara row, label S)",
            load: Load::Series(vec![Load::R(37.0), Load::L(4e-6)]),
        },
        HeadphoneModel {
            name: "Single-BA IEM (SE310-like)",
            kind: "single balanced armature IEM",
            nominal_ohm: 28.0,
            source: "estimated: about 24 Ω in the bass, 28 Ω at 1 kHz, rising over the top \
                     two octaves (devices.md, Shure SE310 row, Stereophile measurement)",
            sens_db_spl_per_v: sens_db_spl_per_v_from_mw(98.0, 45.0),
            sens_source: "estimated: the SE310's sensitivity was not found; the single-armature \
                          Etymotic ER4XR's 98 dB SPL/mW at 45 Ω (devices.md, label S) stands in",
            load: Load::Series(vec![
                Load::R(23.5),
                Load::Parallel(vec![Load::L(1.2e-3), Load::R(60.0)]),
                Load::Parallel(vec![Load::R(6.0), Load::L(2.0e-3), Load::C(1.8e-6)]),
            ]),
        },
        HeadphoneModel {
            name: "Multi-BA IEM with crossover",
            kind: "multi balanced armature IEM, passive crossover",
            nominal_ohm: 13.0,
            source: "estimated: a two-way BA with a series-capacitor tweeter branch, swinging \
                     from about 8 to 40 Ω as multi-armature IEMs do (devices.md, headphones \
                     section); values assumed",
            sens_db_spl_per_v: sens_db_spl_per_v_from_mw(110.0, 13.0),
            sens_source: "estimated: 110 dB SPL/mW at 13 Ω, assumed typical of multi-armature \
                          IEMs; no sourced figure yet",
            load: Load::Parallel(vec![
                Load::Series(vec![
                    Load::R(11.0),
                    Load::Parallel(vec![Load::L(2.2e-3), Load::R(90.0)]),
                    Load::Parallel(vec![Load::R(8.0), Load::L(3.0e-3), Load::C(2.0e-6)]),
                ]),
                Load::Series(vec![
                    Load::C(2.2e-6),
                    Load::R(14.0),
                    Load::Parallel(vec![Load::L(0.3e-3), Load::R(120.0)]),
                ]),
            ]),
        },
    ]
}
