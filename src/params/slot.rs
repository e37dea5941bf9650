//! A slot's parameters: its custom output's figures (`SlotParams`, with their plain values
//! `SlotValues`) and the chain its output may feed (`ChainParams`).
//!
//! A slot is nested twice in `LoadlineParams` (A and B); keeping it apart from the tree that
//! holds it keeps the figures, their conversion to an output stage and the matching of a
//! catalog entry's figures in one place.

use super::choices::{GainChoice, JackChoice};
use super::text::{SAVED_DEVICE, parse_choice_from, parse_param, physical, switch};
use loadline_core::catalog::{self, AmpGain, OwnAmp, SourceJack};
use loadline_core::choices::{AmpChoice, ChainChoice, Device};
use loadline_core::figures::output_figure;
use loadline_core::physics::output::{OutputFigures, OutputStage};
use loadline_core::plausible;
use loadline_core::scenario::{Listeners, amp_from_param, amp_to_param, amps};
use nice_plug::prelude::*;
use std::sync::Arc;

/// A custom output's figures: what a slot uses when its choice is "Custom".
#[derive(Params)]
pub struct SlotParams {
    /// The output's resistance, ohms.
    #[id = "zout"]
    pub r_out_ohm: FloatParam,
    /// Whether a series coupling capacitor is in the output.
    #[id = "capon"]
    pub cap_on: BoolParam,
    /// The coupling capacitor's value, µF.
    #[id = "capuf"]
    pub coupling_cap_uf: FloatParam,
    /// The EMF a full-scale sample gives at maximum volume, no load, dBu (RMS of a full-scale
    /// sine).
    #[id = "fsdbu"]
    pub full_scale_dbu: FloatParam,
    /// The rail limit of the EMF, volts peak.
    #[id = "rail"]
    pub rail_v_peak: FloatParam,
    /// The current limit, milliamps peak.
    #[id = "imax"]
    pub i_max_ma_peak: FloatParam,
    /// Supply sag, ohms: the rails fall by this times the load's peak current (0 = a stiff
    /// supply).
    #[id = "sag"]
    pub r_sag_ohm: FloatParam,
    /// Dynamic range (noise before the volume control), dB below a full-scale sine.
    #[id = "dr"]
    pub dynamic_range_db: FloatParam,
    /// Whether the dynamic range figure is A-weighted.
    #[id = "dra"]
    pub dynamic_range_a_weighted: BoolParam,
    /// Noise after the volume control, dBV.
    #[id = "nfloor"]
    pub noise_floor_dbv: FloatParam,
    /// Whether the noise floor figure is A-weighted.
    #[id = "nfa"]
    pub noise_floor_a_weighted: BoolParam,
    /// Corner below which 1/f noise rises above the white floor, Hz (0 = white only).
    #[id = "flicker"]
    pub flicker_corner_hz: FloatParam,
}

/// A slot's chain: the amplifier its catalog output feeds, from which of its outputs, at
/// which source volume. With no amplifier the slot's output drives the headphone itself.
#[derive(Params)]
pub struct ChainParams {
    /// The amplifier (`scenario::amp_from_param`): 0 = none, `Listeners::SAVED` the one saved
    /// with the project (`SavedDevices::amps`).
    #[id = "into"]
    pub amp: IntParam,
    /// Which of the source's outputs feeds it.
    #[id = "jack"]
    pub jack: EnumParam<JackChoice>,
    /// The source's own volume (its headphone output's), dB (0 = maximum).
    #[id = "srcvol"]
    pub source_volume_db: FloatParam,
    /// The amplifier's gain switch.
    #[id = "ampgain"]
    pub gain: EnumParam<GainChoice>,
}

/// The name of "no amplifier".
pub const NO_AMP: &str = "No amplifier";

impl ChainParams {
    /// Slot `letter`'s chain ("A", "B"): no amplifier, the headphone output at maximum.
    pub fn new(letter: &str) -> Self {
        // The saved amplifier first, at `Listeners::SAVED`, so that the catalog's growing
        // never moves it.
        let names: Vec<String> = [SAVED_DEVICE.to_string(), NO_AMP.to_string()]
            .into_iter()
            .chain(amps().iter().map(|&k| catalog::outputs()[k].name()))
            .collect();
        let shown = names.clone();
        ChainParams {
            amp: IntParam::new(
                format!("{letter} into amplifier"),
                0,
                IntRange::Linear {
                    min: Listeners::SAVED,
                    max: amps().len() as i32,
                },
            )
            .with_value_to_string(Arc::new(move |v| {
                let k = match v {
                    Listeners::SAVED => Listeners::SAVED,
                    v => amp_to_param(amp_from_param(v)),
                };
                shown[(k - Listeners::SAVED) as usize].clone()
            }))
            .with_string_to_value(Arc::new(move |s| {
                parse_choice_from(s, &names, Listeners::SAVED)
            })),
            jack: EnumParam::new(format!("{letter} source jack"), JackChoice::HeadphoneOut),
            gain: EnumParam::new(format!("{letter} amplifier gain"), GainChoice::High),
            source_volume_db: physical(
                &format!("{letter} source volume"),
                0.0,
                plausible::SOURCE_VOLUME_DB.range_f32(),
                0.0,
                " dB",
                &["db"],
            ),
        }
    }

    /// The amplifier these parameters say the slot's output feeds (`None`: no amplifier, or
    /// the saved one when none is saved, `saved`). A line output has no volume, so the source
    /// volume is then 0 dB. Allocation-free.
    pub fn choice(&self, saved: Option<OwnAmp>) -> Option<ChainChoice> {
        let amp = match self.amp.value() {
            Listeners::SAVED => AmpChoice::Figures(saved?),
            v => AmpChoice::Device(Device::Catalog(amp_from_param(v)?)),
        };
        let jack = SourceJack::from(self.jack.value());
        let source_volume_db = match jack {
            SourceJack::HeadphoneOut => self.source_volume_db.value() as f64,
            SourceJack::LineOut => 0.0,
        };
        Some(ChainChoice {
            jack,
            source_volume_db,
            amp,
            gain: AmpGain::from(self.gain.value()),
        })
    }
}

/// Slot `letter`'s parameter for the figure `key`, as `figures::OUTPUT_FIGURES` declares it:
/// its name, default, range, skew, unit and the units its text entry reads.
fn figure_param(letter: &str, key: &str) -> FloatParam {
    let d = output_figure(key).expect("every slot figure is declared");
    physical(
        &format!("{letter} {}", d.param),
        d.param_default as f32,
        d.quantity.range_f32(),
        d.param_skew as f32,
        d.param_unit,
        d.units,
    )
}

impl SlotParams {
    /// The parameter of the figure `key` (`figures::OUTPUT_FIGURES`' key).
    pub fn param(&self, key: &str) -> Option<&FloatParam> {
        Some(match key {
            "r_out_ohm" => &self.r_out_ohm,
            "coupling_cap_uf" => &self.coupling_cap_uf,
            "full_scale_dbu" => &self.full_scale_dbu,
            "rail_v_peak" => &self.rail_v_peak,
            "i_max_ma_peak" => &self.i_max_ma_peak,
            "r_sag_ohm" => &self.r_sag_ohm,
            "dynamic_range_db" => &self.dynamic_range_db,
            "noise_floor_dbv" => &self.noise_floor_dbv,
            _ => return None,
        })
    }

    /// Slot `letter`'s custom figures ("A", "B"), named after it.
    pub fn new(letter: &str) -> Self {
        let n = |what: &str| format!("{letter} {what}");
        SlotParams {
            r_out_ohm: figure_param(letter, "r_out_ohm"),
            cap_on: switch(&n("coupling capacitor"), false),
            // A capacitor may also be typed in millifarads.
            coupling_cap_uf: figure_param(letter, "coupling_cap_uf").with_string_to_value(
                Arc::new(|s| {
                    let units = output_figure("coupling_cap_uf").expect("declared").units;
                    parse_param(s, units, 1.0).or_else(|| parse_param(s, &["mf"], 1000.0))
                }),
            ),
            full_scale_dbu: figure_param(letter, "full_scale_dbu"),
            rail_v_peak: figure_param(letter, "rail_v_peak"),
            i_max_ma_peak: figure_param(letter, "i_max_ma_peak"),
            r_sag_ohm: figure_param(letter, "r_sag_ohm"),
            dynamic_range_db: figure_param(letter, "dynamic_range_db"),
            dynamic_range_a_weighted: switch(&n("dynamic range A-weighted"), true),
            noise_floor_dbv: figure_param(letter, "noise_floor_dbv"),
            noise_floor_a_weighted: switch(&n("noise floor A-weighted"), true),
            flicker_corner_hz: physical(
                &n("1/f corner"),
                0.0,
                plausible::FLICKER_CORNER_HZ.range_f32(),
                -1.5,
                " Hz",
                &["hz"],
            ),
        }
    }

    /// The figures the slot holds.
    pub fn figures(&self) -> OutputFigures {
        let v = self.values();
        OutputFigures {
            full_scale_dbu: Some(v.full_scale_dbu as f64),
            r_out_ohm: v.r_out_ohm as f64,
            coupling_cap_uf: v.coupling_cap_uf.map(f64::from),
            rail_v_peak: Some(v.rail_v_peak as f64),
            i_max_ma_peak: Some(v.i_max_ma_peak as f64),
            r_sag_ohm: Some(v.r_sag_ohm as f64),
            dynamic_range_db: Some((v.dynamic_range_db.0 as f64, v.dynamic_range_db.1)),
            noise_floor_dbv: Some((v.noise_floor_dbv.0 as f64, v.noise_floor_dbv.1)),
            flicker_corner_hz: v.flicker_corner_hz as f64,
        }
    }

    /// The output stage these figures describe.
    pub fn stage(&self) -> OutputStage {
        self.figures().stage()
    }

    /// The parameters' values now.
    pub fn values(&self) -> SlotValues {
        SlotValues {
            r_out_ohm: self.r_out_ohm.value(),
            coupling_cap_uf: self.cap_on.value().then(|| self.coupling_cap_uf.value()),
            full_scale_dbu: self.full_scale_dbu.value(),
            rail_v_peak: self.rail_v_peak.value(),
            i_max_ma_peak: self.i_max_ma_peak.value(),
            r_sag_ohm: self.r_sag_ohm.value(),
            dynamic_range_db: (
                self.dynamic_range_db.value(),
                self.dynamic_range_a_weighted.value(),
            ),
            noise_floor_dbv: (
                self.noise_floor_dbv.value(),
                self.noise_floor_a_weighted.value(),
            ),
            flicker_corner_hz: self.flicker_corner_hz.value(),
        }
    }

    /// The values that make the slot hold `figures` as nearly as its ranges allow, and what
    /// differs, in words: a figure beyond its parameter's range is held at the range's end,
    /// and an absent limit or noise, which a slot cannot switch off, is the end that acts
    /// least (the highest rail, full scale and current, the widest dynamic range, the lowest
    /// noise floor).
    pub fn values_for(&self, figures: &OutputFigures) -> (SlotValues, Vec<String>) {
        let mut differs = Vec::new();
        let mut held = |p: &FloatParam, value: Option<f64>, least: Least| {
            let ends = [p.range().unnormalize(0.0), p.range().unnormalize(1.0)];
            let what = p.name().split_once(' ').map_or(p.name(), |(_, w)| w);
            let (v, why) = match value {
                None => (ends[least as usize], "none given"),
                Some(v) => (
                    (v as f32).clamp(ends[0], ends[1]),
                    "beyond the slot's range",
                ),
            };
            if value.is_none_or(|given| given as f32 != v) {
                let shown = p.normalized_value_to_string(p.preview_normalized(v), true);
                differs.push(format!("{what}: {why}, held at {shown}"));
            }
            v
        };
        let f = figures;
        let values = SlotValues {
            r_out_ohm: held(&self.r_out_ohm, Some(f.r_out_ohm), Least::Low),
            coupling_cap_uf: f
                .coupling_cap_uf
                .map(|c| held(&self.coupling_cap_uf, Some(c), Least::High)),
            full_scale_dbu: held(&self.full_scale_dbu, f.full_scale_dbu, Least::High),
            rail_v_peak: held(&self.rail_v_peak, f.rail_v_peak, Least::High),
            i_max_ma_peak: held(&self.i_max_ma_peak, f.i_max_ma_peak, Least::High),
            r_sag_ohm: held(
                &self.r_sag_ohm,
                Some(f.r_sag_ohm.unwrap_or(0.0)),
                Least::Low,
            ),
            dynamic_range_db: (
                held(
                    &self.dynamic_range_db,
                    f.dynamic_range_db.map(|d| d.0),
                    Least::High,
                ),
                f.dynamic_range_db.is_some_and(|d| d.1),
            ),
            noise_floor_dbv: (
                held(
                    &self.noise_floor_dbv,
                    f.noise_floor_dbv.map(|n| n.0),
                    Least::Low,
                ),
                f.noise_floor_dbv.is_some_and(|n| n.1),
            ),
            flicker_corner_hz: held(
                &self.flicker_corner_hz,
                Some(f.flicker_corner_hz),
                Least::Low,
            ),
        };
        (values, differs)
    }

    /// Whether the slot holds `figures` as [`Self::values_for`] sets them. A value set
    /// through a host travels as a normalised `f32` and comes back within a few parts in 10⁷;
    /// a part in 10⁴ is far below anything audible and far above that rounding.
    pub fn holds(&self, figures: &OutputFigures) -> bool {
        let (want, _) = self.values_for(figures);
        want.close_to(&self.values())
    }

    /// Sets the slot to `v`: every figure through `float`, every switch through `switch` (in
    /// the editor, a host gesture each).
    pub fn assign(
        &self,
        v: &SlotValues,
        mut float: impl FnMut(&FloatParam, f32),
        mut switch: impl FnMut(&BoolParam, bool),
    ) {
        float(&self.r_out_ohm, v.r_out_ohm);
        switch(&self.cap_on, v.coupling_cap_uf.is_some());
        if let Some(c) = v.coupling_cap_uf {
            float(&self.coupling_cap_uf, c);
        }
        float(&self.full_scale_dbu, v.full_scale_dbu);
        float(&self.rail_v_peak, v.rail_v_peak);
        float(&self.i_max_ma_peak, v.i_max_ma_peak);
        float(&self.r_sag_ohm, v.r_sag_ohm);
        float(&self.dynamic_range_db, v.dynamic_range_db.0);
        switch(&self.dynamic_range_a_weighted, v.dynamic_range_db.1);
        float(&self.noise_floor_dbv, v.noise_floor_dbv.0);
        switch(&self.noise_floor_a_weighted, v.noise_floor_dbv.1);
        float(&self.flicker_corner_hz, v.flicker_corner_hz);
    }
}

/// Which end of a parameter's range acts least, for a figure that is not given.
#[derive(Clone, Copy)]
enum Least {
    Low = 0,
    High = 1,
}

/// The plain values of a slot's custom figures, in their parameters' units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotValues {
    /// Output impedance, ohms.
    pub r_out_ohm: f32,
    /// The coupling capacitor, µF, when it is in the circuit.
    pub coupling_cap_uf: Option<f32>,
    /// Full-scale level, dBu.
    pub full_scale_dbu: f32,
    /// Rail limit, V peak.
    pub rail_v_peak: f32,
    /// Current limit, mA peak.
    pub i_max_ma_peak: f32,
    /// Supply sag, ohms.
    pub r_sag_ohm: f32,
    /// Dynamic range, dB, and whether A-weighted.
    pub dynamic_range_db: (f32, bool),
    /// Noise floor, dBV, and whether A-weighted.
    pub noise_floor_dbv: (f32, bool),
    /// 1/f corner, Hz.
    pub flicker_corner_hz: f32,
}

impl SlotValues {
    /// Whether every value agrees with `other`'s to a part in 10⁴ (see [`SlotParams::holds`]).
    fn close_to(&self, other: &SlotValues) -> bool {
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0);
        let caps = match (self.coupling_cap_uf, other.coupling_cap_uf) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        caps && close(self.r_out_ohm, other.r_out_ohm)
            && close(self.full_scale_dbu, other.full_scale_dbu)
            && close(self.rail_v_peak, other.rail_v_peak)
            && close(self.i_max_ma_peak, other.i_max_ma_peak)
            && close(self.r_sag_ohm, other.r_sag_ohm)
            && close(self.dynamic_range_db.0, other.dynamic_range_db.0)
            && self.dynamic_range_db.1 == other.dynamic_range_db.1
            && close(self.noise_floor_dbv.0, other.noise_floor_dbv.0)
            && self.noise_floor_dbv.1 == other.noise_floor_dbv.1
            && close(self.flicker_corner_hz, other.flicker_corner_hz)
    }
}
