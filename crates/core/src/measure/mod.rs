//! Measuring a producer's own headphone output with their interface: a signal to play
//! ([`signal`]), the recordings checked and aligned ([`recording`]), and the figures they
//! support with how sure each is ([`output`]), as text and as an entry of the user's catalog.

pub mod fit;
pub mod headphone;
pub mod output;
pub mod recording;
pub mod signal;
pub mod take;

use crate::catalog::{Basis, Figure, OutputEntry, OutputKind};
use crate::units::{fmt_hz, fmt_sig};
use output::{Calibration, OutputMeasurement, Ranged};

/// The source every measured figure names.
pub const SOURCE: &str = "own measurement";

/// A figure and its range as the catalog prints them: "2.31 Ω (2.27–2.35)".
fn ranged_text(r: &Ranged, unit: &str) -> String {
    format!(
        "{} {unit} ({}–{})",
        fmt_sig(r.value),
        fmt_sig(r.range[0]),
        fmt_sig(r.range[1])
    )
}

impl OutputMeasurement {
    /// What the setup was, in words, for the entry's note and the text.
    pub fn setup_text(&self) -> String {
        let s = &self.setup;
        let input = match s.input_ohm {
            Some(z) => format!("input {} Ω", fmt_sig(z)),
            None => format!(
                "input impedance not given (taken as {}–{} Ω)",
                fmt_sig(self.input_ohm[0]),
                fmt_sig(self.input_ohm[1])
            ),
        };
        let calibration = match s.calibration {
            Calibration::InputFullScaleDbu(d) => format!("input full scale {} dBu", fmt_sig(d)),
            Calibration::PilotVolts(v) => format!("pilot {} V RMS by meter", fmt_sig(v)),
        };
        format!(
            "loopback: {} Ω ±{} % load, {input}, {calibration}",
            fmt_sig(s.load_ohm),
            fmt_sig(s.load_tolerance * 100.0)
        )
    }

    /// The figures as a producer reads them, each with its range.
    pub fn text(&self) -> String {
        let mut lines = vec![format!("  setup       {}", self.setup_text())];
        let mut line = |label: &str, text: String| lines.push(format!("  {label:<11} {text}"));
        line("impedance", ranged_text(&self.r_out_ohm, "Ω"));
        line(
            "capacitor",
            self.coupling_cap_uf.as_ref().map_or_else(
                || "none found (the bass gives the same impedance as the treble)".into(),
                |c| format!("{} in series", ranged_text(c, "µF")),
            ),
        );
        line(
            "full scale",
            format!(
                "{} peak EMF at 0 dBFS, {} (at the volume of the recordings)",
                ranged_text(&self.full_scale_v_peak, "V"),
                ranged_text(&self.full_scale_dbu, "dBu")
            ),
        );
        line(
            "rails",
            self.rail_v_peak.as_ref().map_or_else(
                || "not reached: the open output stays clean to 0 dBFS".into(),
                |r| {
                    format!(
                        "{} peak EMF (clips open from {} dBFS at 1 kHz)",
                        ranged_text(r, "V"),
                        self.clips.open_1k_dbfs.map_or("?".into(), fmt_sig)
                    )
                },
            ),
        );
        line(
            "current",
            self.i_max_ma_peak.as_ref().map_or_else(
                || format!("no limit reached into {} Ω", fmt_sig(self.setup.load_ohm)),
                |i| {
                    format!(
                        "limit {} peak (clips loaded from {} dBFS at 1 kHz)",
                        ranged_text(i, "mA"),
                        self.clips.loaded_1k_dbfs.map_or("?".into(), fmt_sig)
                    )
                },
            ),
        );
        if self.noise.upper_bound {
            line(
                "noise",
                format!(
                    "at most {} dBV, {} dBV(A): the input's own floor is in it (record it alone and give --input-floor to take it out)",
                    fmt_sig(self.noise.dbv.range[1]),
                    fmt_sig(self.noise.dbv_a.range[1])
                ),
            );
            line(
                "dyn. range",
                format!("at least {} dB(A)", fmt_sig(self.dynamic_range_db.range[0])),
            );
        } else {
            line(
                "noise",
                format!(
                    "{}, {}",
                    ranged_text(&self.noise.dbv, "dBV"),
                    ranged_text(&self.noise.dbv_a, "dBV(A)")
                ),
            );
            line("dyn. range", ranged_text(&self.dynamic_range_db, "dB(A)"));
        }
        line(
            "pilot",
            format!(
                "{:+.3} dB between the passes (corrected for)",
                self.pilot_drift_db
            ),
        );
        lines.push("  frequency   impedance".into());
        for row in &self.rows {
            lines.push(format!(
                "  {:>9}   {}",
                fmt_hz(row.freq_hz),
                ranged_text(&row.z_out_ohm, "Ω")
            ));
        }
        lines.join("\n")
    }

    /// The measurement as an output of the user's catalog, `maker` `model`, measured on
    /// `date`: every figure measured, with its range and the setup in its note. The noise
    /// goes in as the floor after the volume control (what was measured, at the volume of the
    /// recordings); an upper bound says so.
    pub fn to_entry(&self, maker: &str, model: &str, kind: OutputKind, date: &str) -> OutputEntry {
        let note = format!("{}; {date}", self.setup_text());
        let figure = |r: &Ranged| Figure {
            value: r.value,
            basis: Basis::Measured,
            source: SOURCE.into(),
            note: note.clone(),
            range: Some(r.range),
        };
        let noise = Figure {
            note: if self.noise.upper_bound {
                format!("{note}; an upper bound: the input's own floor is in it")
            } else {
                note.clone()
            },
            ..figure(&self.noise.dbv_a)
        };
        OutputEntry {
            coupling_cap_uf: self.coupling_cap_uf.as_ref().map(figure),
            full_scale_dbu: Some(figure(&self.full_scale_dbu)),
            i_max_ma_peak: self.i_max_ma_peak.as_ref().map(figure),
            rail_v_peak: self.rail_v_peak.as_ref().map(figure),
            noise_floor_dbv: Some(noise),
            noise_a_weighted: true,
            ..OutputEntry::new([maker, model, ""], kind, figure(&self.r_out_ohm))
        }
    }
}

/// A measurement as `loadline measure output --json` prints it: each figure flat, with its
/// range beside it (`null` where the recordings show none).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutputJson {
    /// The output resistance, ohms.
    pub r_out_ohm: f64,
    /// Its range, `[low, high]`.
    pub r_out_ohm_range: [f64; 2],
    /// The series coupling capacitor, µF (`null`: none found).
    pub coupling_cap_uf: Option<f64>,
    /// Its range.
    pub coupling_cap_uf_range: Option<[f64; 2]>,
    /// The EMF of a 0 dBFS sine at the volume of the recordings, volts peak.
    pub full_scale_v_peak: f64,
    /// Its range.
    pub full_scale_v_peak_range: [f64; 2],
    /// The same, dBu.
    pub full_scale_dbu: f64,
    /// The rails, EMF volts peak (`null`: not reached).
    pub rail_v_peak: Option<f64>,
    /// Their range.
    pub rail_v_peak_range: Option<[f64; 2]>,
    /// The current limit, mA peak (`null`: not reached).
    pub i_max_ma_peak: Option<f64>,
    /// Its range.
    pub i_max_ma_peak_range: Option<[f64; 2]>,
    /// The noise floor over 20 Hz–20 kHz, dBV.
    pub noise_dbv: f64,
    /// Its range.
    pub noise_dbv_range: [f64; 2],
    /// The noise floor A-weighted, dBV(A).
    pub noise_dbv_a: f64,
    /// Its range.
    pub noise_dbv_a_range: [f64; 2],
    /// Whether the noise figures are upper bounds (the input's own floor is in them).
    pub noise_is_upper_bound: bool,
    /// The dynamic range, dB(A) below a full-scale sine.
    pub dynamic_range_db: f64,
    /// Its range.
    pub dynamic_range_db_range: [f64; 2],
    /// Where the staircases first clipped, dBFS.
    pub clips: output::ClipOnsets,
    /// The pilot's drift between the passes, dB.
    pub pilot_drift_db: f64,
    /// The input impedance used, ohms (given, or the range assumed).
    pub input_ohm: [f64; 2],
    /// The setup in words.
    pub setup: String,
    /// The output impedance at each stepped sine.
    pub rows: Vec<output::FrequencyRow>,
}

impl From<&OutputMeasurement> for OutputJson {
    fn from(m: &OutputMeasurement) -> Self {
        OutputJson {
            r_out_ohm: m.r_out_ohm.value,
            r_out_ohm_range: m.r_out_ohm.range,
            coupling_cap_uf: m.coupling_cap_uf.map(|c| c.value),
            coupling_cap_uf_range: m.coupling_cap_uf.map(|c| c.range),
            full_scale_v_peak: m.full_scale_v_peak.value,
            full_scale_v_peak_range: m.full_scale_v_peak.range,
            full_scale_dbu: m.full_scale_dbu.value,
            rail_v_peak: m.rail_v_peak.map(|r| r.value),
            rail_v_peak_range: m.rail_v_peak.map(|r| r.range),
            i_max_ma_peak: m.i_max_ma_peak.map(|r| r.value),
            i_max_ma_peak_range: m.i_max_ma_peak.map(|r| r.range),
            noise_dbv: m.noise.dbv.value,
            noise_dbv_range: m.noise.dbv.range,
            noise_dbv_a: m.noise.dbv_a.value,
            noise_dbv_a_range: m.noise.dbv_a.range,
            noise_is_upper_bound: m.noise.upper_bound,
            dynamic_range_db: m.dynamic_range_db.value,
            dynamic_range_db_range: m.dynamic_range_db.range,
            clips: m.clips,
            pilot_drift_db: m.pilot_drift_db,
            input_ohm: m.input_ohm,
            setup: m.setup_text(),
            rows: m.rows.clone(),
        }
    }
}
