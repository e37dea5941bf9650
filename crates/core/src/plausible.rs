//! The plausible range of every quantity a producer types, a catalog states or a parameter
//! holds, declared once: the command line's flags, the plugin's parameters, the user catalog's
//! checks and the built-in catalog's all read these, so that a figure one of them accepts is
//! one every other accepts too.
//!
//! The ranges are wider than any device in the catalog and narrower than what the model could
//! compute without overflowing or rounding away: a figure outside them is a typing slip or a
//! wrong unit, never a device, and refusing it keeps every answer finite and physical.

use std::fmt;

/// A quantity and the values of it Loadline accepts, both ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// What it is, as a producer reads it ("output impedance").
    pub what: &'static str,
    /// Its unit as written after a number ("Ω"); empty for a plain number.
    pub unit: &'static str,
    /// The smallest value accepted.
    pub min: f64,
    /// The largest value accepted.
    pub max: f64,
}

/// A value outside its quantity's range, for a message that names the range.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfRange {
    /// The value given.
    pub value: f64,
    /// The quantity it was given for.
    pub quantity: Quantity,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = &self.quantity;
        write!(
            f,
            "{} {}{} is outside the plausible {}",
            q.what,
            number_text(self.value),
            unit_suffix(q.unit),
            q.range_text()
        )
    }
}

impl std::error::Error for OutOfRange {}

impl Quantity {
    /// Whether `value` is finite and within the range.
    pub fn contains(&self, value: f64) -> bool {
        value.is_finite() && value >= self.min && value <= self.max
    }

    /// `value`, if the range holds it.
    pub fn check(&self, value: f64) -> Result<f64, OutOfRange> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(OutOfRange {
                value,
                quantity: *self,
            })
        }
    }

    /// The range as a producer reads it: "0 to 1000 Ω", "-80 to 0 dB".
    pub fn range_text(&self) -> String {
        format!(
            "{} to {}{}",
            number_text(self.min),
            number_text(self.max),
            unit_suffix(self.unit)
        )
    }

    /// The range in a parameter's single precision.
    pub fn range_f32(&self) -> (f32, f32) {
        (self.min as f32, self.max as f32)
    }
}

/// A unit as written after a number: a space before it, none for a plain number.
fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// A number as typed, without needless digits: "1000", "0.1", "1e+308".
fn number_text(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-4..1e7).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The output impedance of a headphone output or a line output.
pub const R_OUT_OHM: Quantity = Quantity {
    what: "output impedance",
    unit: "Ω",
    min: 0.0,
    max: 1000.0,
};

/// The series coupling capacitor of an output.
pub const COUPLING_CAP_UF: Quantity = Quantity {
    what: "coupling capacitor",
    unit: "µF",
    min: 1.0,
    max: 10_000.0,
};

/// The full scale of an output: the EMF of a full-scale sine at full volume.
pub const FULL_SCALE_DBU: Quantity = Quantity {
    what: "full-scale level",
    unit: "dBu",
    min: -20.0,
    max: 40.0,
};

/// The rails an output's EMF clips at, volts peak.
pub const RAIL_V_PEAK: Quantity = Quantity {
    what: "rail limit",
    unit: "V peak",
    min: 0.1,
    max: 100.0,
};

/// The current an output can deliver, milliamperes peak.
pub const I_MAX_MA_PEAK: Quantity = Quantity {
    what: "current limit",
    unit: "mA peak",
    min: 1.0,
    max: 10_000.0,
};

/// The resistance the rails sag by per ampere of load current.
pub const R_SAG_OHM: Quantity = Quantity {
    what: "supply sag",
    unit: "Ω",
    min: 0.0,
    max: 100.0,
};

/// An output's dynamic range below a full-scale sine.
pub const DYNAMIC_RANGE_DB: Quantity = Quantity {
    what: "dynamic range",
    unit: "dB",
    min: 60.0,
    max: 140.0,
};

/// An output's noise floor after its volume control.
pub const NOISE_DBV: Quantity = Quantity {
    what: "noise floor",
    unit: "dBV",
    min: -150.0,
    max: -60.0,
};

/// Where an output's 1/f noise rises above its white noise (0: none).
pub const FLICKER_CORNER_HZ: Quantity = Quantity {
    what: "1/f noise corner",
    unit: "Hz",
    min: 0.0,
    max: 2000.0,
};

/// An amplifier's input impedance.
pub const AMP_INPUT_OHM: Quantity = Quantity {
    what: "amplifier input impedance",
    unit: "Ω",
    min: 100.0,
    max: 10_000_000.0,
};

/// An amplifier's voltage gain.
pub const AMP_GAIN_DB: Quantity = Quantity {
    what: "amplifier gain",
    unit: "dB",
    min: -20.0,
    max: 40.0,
};

/// The number of outputs of a distribution amplifier.
pub const DISTRIBUTION_OUTPUTS: Quantity = Quantity {
    what: "number of outputs",
    unit: "",
    min: 2.0,
    max: 64.0,
};

/// A headphone's impedance at any frequency: its nominal figure, its key points, a measured
/// curve's points, and the load a maximum output is stated into.
pub const HEADPHONE_OHM: Quantity = Quantity {
    what: "headphone impedance",
    unit: "Ω",
    min: 1.0,
    max: 10_000.0,
};

/// A headphone's mechanical resonance.
pub const RESONANCE_HZ: Quantity = Quantity {
    what: "resonance frequency",
    unit: "Hz",
    min: 5.0,
    max: 20_000.0,
};

/// The quality factor of a headphone's resonance.
pub const RESONANCE_Q: Quantity = Quantity {
    what: "resonance Q",
    unit: "",
    min: 0.2,
    max: 20.0,
};

/// A headphone's sensitivity, dB SPL per volt or per milliwatt.
pub const SENSITIVITY_DB: Quantity = Quantity {
    what: "sensitivity",
    unit: "dB",
    min: 70.0,
    max: 140.0,
};

/// A stated maximum output's voltage, volts RMS.
pub const MAX_OUTPUT_VRMS: Quantity = Quantity {
    what: "maximum output voltage",
    unit: "V RMS",
    min: 0.001,
    max: 70.0,
};

/// The volume control of the output heard (0 dB: full volume).
pub const VOLUME_DB: Quantity = Quantity {
    what: "volume",
    unit: "dB",
    min: -80.0,
    max: 0.0,
};

/// The volume of a chain's source, feeding the amplifier.
pub const SOURCE_VOLUME_DB: Quantity = Quantity {
    what: "source volume",
    unit: "dB",
    min: -60.0,
    max: 0.0,
};

/// Another listener's volume on an output of their own, relative to the heard one's.
pub const OTHER_VOLUME_DB: Quantity = Quantity {
    what: "other listener's volume",
    unit: "dB",
    min: -40.0,
    max: 20.0,
};

/// The level the reference (pink noise at −18 dBFS RMS) is to reach.
pub const TARGET_SPL_DB: Quantity = Quantity {
    what: "target level",
    unit: "dB SPL",
    min: 50.0,
    max: 130.0,
};

/// The sample rate of audio rendered (the range the engine is designed and tested for).
pub const SAMPLE_RATE_HZ: Quantity = Quantity {
    what: "sample rate",
    unit: "Hz",
    min: 8_000.0,
    max: 768_000.0,
};

/// The resistor across the output in a loopback measurement.
pub const MEASURE_LOAD_OHM: Quantity = Quantity {
    what: "measuring load",
    unit: "Ω",
    min: 1.0,
    max: 1000.0,
};

/// How far the measuring resistor may be from its marked value.
pub const LOAD_TOLERANCE_PCT: Quantity = Quantity {
    what: "load tolerance",
    unit: "%",
    min: 0.0,
    max: 20.0,
};

/// A recording input's impedance (a line input's, from its manual).
pub const LINE_INPUT_OHM: Quantity = Quantity {
    what: "input impedance",
    unit: "Ω",
    min: 1000.0,
    max: 1e7,
};

/// The level a recording input reads as 0 dBFS (a sine's RMS), from its manual.
pub const INPUT_FULL_SCALE_DBU: Quantity = Quantity {
    what: "input full scale",
    unit: "dBu",
    min: -40.0,
    max: 40.0,
};

/// The pilot tone's voltage read with a meter at the output.
pub const PILOT_VRMS: Quantity = Quantity {
    what: "pilot voltage",
    unit: "V RMS",
    min: 0.0001,
    max: 30.0,
};

/// Every quantity, in the order `docs/cli.md` lists them.
pub const ALL: [Quantity; 27] = [
    R_OUT_OHM,
    COUPLING_CAP_UF,
    FULL_SCALE_DBU,
    RAIL_V_PEAK,
    I_MAX_MA_PEAK,
    R_SAG_OHM,
    DYNAMIC_RANGE_DB,
    NOISE_DBV,
    FLICKER_CORNER_HZ,
    AMP_INPUT_OHM,
    AMP_GAIN_DB,
    DISTRIBUTION_OUTPUTS,
    MAX_OUTPUT_VRMS,
    HEADPHONE_OHM,
    RESONANCE_HZ,
    RESONANCE_Q,
    SENSITIVITY_DB,
    VOLUME_DB,
    SOURCE_VOLUME_DB,
    OTHER_VOLUME_DB,
    TARGET_SPL_DB,
    SAMPLE_RATE_HZ,
    MEASURE_LOAD_OHM,
    LOAD_TOLERANCE_PCT,
    LINE_INPUT_OHM,
    INPUT_FULL_SCALE_DBU,
    PILOT_VRMS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_finite_and_outside_values_and_names_the_range() {
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.1,
            1000.5,
            1e308,
        ] {
            assert!(R_OUT_OHM.check(v).is_err(), "{v}");
        }
        for v in [0.0, 47.0, 1000.0] {
            assert_eq!(R_OUT_OHM.check(v), Ok(v));
        }
        let e = R_OUT_OHM.check(1e308).unwrap_err().to_string();
        assert_eq!(
            e,
            "output impedance 1e308 Ω is outside the plausible 0 to 1000 Ω"
        );
        assert_eq!(VOLUME_DB.range_text(), "-80 to 0 dB");
    }

    #[test]
    fn the_documentation_states_every_range() {
        let doc = include_str!("../../../docs/cli.md");
        for q in ALL {
            let row = format!("| {} | {} |", q.what, q.range_text());
            assert!(doc.contains(&row), "docs/cli.md lacks the row {row:?}");
        }
    }
}
