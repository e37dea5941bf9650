//! Where each figure of a catalog entry comes from, and what it decides in a report.

use super::{AmpInputFigures, Basis, Figure, HeadphoneEntry, LineOut, OutputEntry, OutputKind};
use serde::{Deserialize, Serialize};

/// Where one figure of a device comes from, as a producer reads it: what the figure is, its
/// value, how it is known, its source and its note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The figure, in words ("output impedance", "maximum output into 32 Ω").
    pub figure: String,
    /// Its value with its unit, as the catalog states it ("42.4 Ω", "1.2 V RMS").
    pub value: String,
    /// What it decides, in words (see [`Decides`]).
    pub decides: Decides,
    /// How it is known.
    pub basis: Basis,
    /// Where it comes from.
    pub source: String,
    /// How it was derived, or context.
    pub note: String,
    /// Whether the source says how sure the figure is (a measurement's range): what depends
    /// on it is reported across that range.
    #[serde(skip)]
    pub ranged: bool,
}

/// What a figure decides in a report: the figures a producer's question turns on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decides {
    /// The output impedance: the tonal change and the damping.
    OutputImpedance,
    /// How loud the output gets before it clips (its maximum outputs, rails, supply).
    MaximumLevel,
    /// The noise floor.
    Noise,
    /// The headphone's sensitivity: every SPL.
    Sensitivity,
    /// The headphone's impedance curve: the tonal change.
    ImpedanceCurve,
}

impl Decides {
    /// In words, as reports list what is estimated.
    pub fn name(self) -> &'static str {
        match self {
            Self::OutputImpedance => "output impedance",
            Self::MaximumLevel => "maximum level",
            Self::Noise => "noise",
            Self::Sensitivity => "headphone sensitivity",
            Self::ImpedanceCurve => "headphone impedance curve",
        }
    }
}

/// `decides` in words, in order: "output impedance, maximum level" (empty for none).
pub fn decides_text(decides: &[Decides]) -> String {
    let names: Vec<&str> = decides.iter().map(|d| d.name()).collect();
    names.join(", ")
}

/// What `provenance` decides from estimates alone, each once, in order.
pub fn estimated(provenance: &[Provenance]) -> Vec<Decides> {
    let mut v: Vec<Decides> = provenance
        .iter()
        .filter(|p| p.basis == Basis::Estimated)
        .map(|p| p.decides)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A value and its unit as the catalog's figures are shown: "42.4 Ω", "+11 dBu", "2".
fn with_unit(value: f64, unit: &str) -> String {
    let number = crate::units::fmt_sig(value);
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

impl Figure {
    fn provenance(&self, (figure, unit): (&str, &str), decides: Decides) -> Provenance {
        Provenance {
            figure: figure.into(),
            value: match self.range {
                Some([lo, hi]) => format!(
                    "{} ({}–{})",
                    with_unit(self.value, unit),
                    crate::units::fmt_sig(lo),
                    crate::units::fmt_sig(hi)
                ),
                None => with_unit(self.value, unit),
            },
            decides,
            basis: self.basis,
            source: self.source.clone(),
            note: self.note.clone(),
            ranged: self.range.is_some(),
        }
    }
}

impl LineOut {
    /// Where each of the line output's figures comes from, named as a chain's source's.
    pub fn provenance(&self) -> Vec<Provenance> {
        let mut v = vec![
            self.full_scale_dbu.provenance(
                ("line output's maximum level", "dBu"),
                Decides::MaximumLevel,
            ),
            self.r_out_ohm
                .provenance(("line output's impedance", "Ω"), Decides::MaximumLevel),
        ];
        v.extend(
            self.dynamic_range_db
                .as_ref()
                .map(|f| f.provenance(("line output's dynamic range", "dB"), Decides::Noise)),
        );
        v
    }
}

impl AmpInputFigures {
    /// Where the amplifier's input figures come from.
    pub fn provenance(&self) -> Vec<Provenance> {
        let mut v = vec![
            self.input_ohm
                .provenance(("amplifier's input impedance", "Ω"), Decides::MaximumLevel),
            self.gain_db
                .provenance(("amplifier's gain", "dB"), Decides::MaximumLevel),
        ];
        v.extend(
            self.low_gain_db
                .as_ref()
                .map(|f| f.provenance(("amplifier's low gain", "dB"), Decides::MaximumLevel)),
        );
        v
    }
}

impl OutputEntry {
    /// Where each of the entry's figures comes from (none for the ideal reference).
    pub fn provenance(&self) -> Vec<Provenance> {
        if self.kind == OutputKind::Reference {
            return Vec::new();
        }
        let mut v = vec![
            self.r_out_ohm
                .provenance(("output impedance", "Ω"), Decides::OutputImpedance),
        ];
        let optional = [
            (
                &self.coupling_cap_uf,
                ("coupling capacitor", "µF"),
                Decides::OutputImpedance,
            ),
            (
                &self.full_scale_dbu,
                ("full scale", "dBu"),
                Decides::MaximumLevel,
            ),
            (
                &self.i_max_ma_peak,
                ("current limit", "mA peak"),
                Decides::MaximumLevel,
            ),
            (
                &self.rail_v_peak,
                ("voltage rails", "V peak"),
                Decides::MaximumLevel,
            ),
            (&self.r_sag_ohm, ("supply sag", "Ω"), Decides::MaximumLevel),
            (
                &self.dynamic_range_db,
                ("dynamic range", "dB"),
                Decides::Noise,
            ),
            (
                &self.noise_floor_dbv,
                ("noise floor", "dBV"),
                Decides::Noise,
            ),
            (
                &self.flicker_corner_hz,
                ("1/f noise corner", "Hz"),
                Decides::Noise,
            ),
        ];
        v.extend(self.max_output.iter().map(|m| {
            Provenance {
                figure: format!(
                    "maximum output into {} Ω",
                    crate::units::fmt_sig(m.load_ohm)
                ),
                value: m
                    .load_vrms()
                    .map_or_else(|| "not given".into(), |v| with_unit(v, "V RMS")),
                decides: Decides::MaximumLevel,
                basis: m.basis,
                source: m.source.clone(),
                note: m.note.clone(),
                ranged: false,
            }
        }));
        v.extend(
            optional
                .into_iter()
                .filter_map(|(f, named, decides)| Some(f.as_ref()?.provenance(named, decides))),
        );
        if let Some(d) = &self.distribution {
            v.push(d.outputs.provenance(("outputs", ""), Decides::MaximumLevel));
            v.push(
                d.supply_sag_ohm
                    .provenance(("shared supply's sag", "Ω"), Decides::MaximumLevel),
            );
        }
        v
    }
}

impl HeadphoneEntry {
    /// Where each of the entry's figures comes from.
    pub fn provenance(&self) -> Vec<Provenance> {
        let s = &self.sensitivity;
        let mut v = vec![Provenance {
            figure: "sensitivity".into(),
            value: with_unit(
                s.value,
                match s.unit {
                    super::SensitivityUnit::PerVolt => "dB SPL/V",
                    super::SensitivityUnit::PerMilliwatt => "dB SPL/mW",
                },
            ),
            decides: Decides::Sensitivity,
            basis: s.basis,
            source: s.source.clone(),
            note: s.note.clone(),
            ranged: false,
        }];
        let p = &self.points;
        let curve = [
            (Some(&p.rdc_ohm), ("DC resistance", "Ω")),
            (p.f_res_hz.as_ref(), ("resonance frequency", "Hz")),
            (p.z_res_ohm.as_ref(), ("impedance at resonance", "Ω")),
            (p.q.as_ref(), ("resonance Q", "")),
            (Some(&p.z_1k_ohm), ("impedance at 1 kHz", "Ω")),
            (Some(&p.z_10k_ohm), ("impedance at 10 kHz", "Ω")),
        ];
        v.extend(
            curve
                .into_iter()
                .filter_map(|(f, named)| Some(f?.provenance(named, Decides::ImpedanceCurve))),
        );
        v
    }
}
