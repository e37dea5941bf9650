//! An output's stage from its published figures: full scale, current limit, rails, supply sag
//! and noise.

use super::{Figure, OutputEntry, OutputKind};
use crate::physics::impedance::Impedance;
use crate::physics::output::{NoiseSpec, OutputFigures, OutputStage};
use crate::physics::source::TheveninSource;
use crate::physics::supply::SupplyShare;
use crate::units::{db_to_gain, dbv_to_vrms, vrms_to_dbu};
use std::f64::consts::SQRT_2;

impl OutputEntry {
    /// The output stage these figures describe. The highest EMF any maximum-output figure
    /// needs (`V·(R_L + Z_out)/R_L` at 1 kHz) is the full scale; a figure that needs less
    /// EMF than that was current-limited (`V/R_L`, peak). The current limit is the geometric
    /// mean of the lowest and highest such currents, which splits the worst error in dB
    /// between them (they agree when the output really has one current limit).
    ///
    /// An entry with a supply sag is instead limited by sagging rails: each figure needs a
    /// rail of `V·(|R_L + Z_out| + R_sag)/R_L`, and the rail (and full scale) is the geometric
    /// mean of the lowest and highest of these, again splitting the worst error in dB.
    /// A distribution amplifier's rails (`rail_v_peak`) sag with its shared supply
    /// (`distribution.supply_sag_ohm`) instead. Without noise figures the output is silent.
    ///
    /// An entry that gives its full scale (`full_scale_dbu`) is the stage of those figures
    /// as they are ([`OutputEntry::model_figures`]).
    pub fn stage(&self) -> OutputStage {
        if self.kind == OutputKind::Reference {
            return OutputStage::IDEAL;
        }
        if let Some(figures) = self.given_figures() {
            return figures.stage();
        }
        self.stage_from_maxima()
    }

    /// The lowest and highest rail, volts peak, that the maximum outputs need with a supply
    /// sag of `r_sag_ohm`: each needs `V·(|R_L + Z_out| + R_sag)/R_L` (at 1 kHz). One sagging
    /// rail meets them all within half their spread in dB.
    pub(super) fn rails_needed(&self, r_sag_ohm: f64) -> [f64; 2] {
        let z_out = self.source().z_out();
        self.max_output
            .iter()
            .filter_map(|m| {
                let z_total = (z_out.z_ohm(1000.0) + m.load_ohm).norm();
                Some(m.load_vrms()? * SQRT_2 * (z_total + r_sag_ohm) / m.load_ohm)
            })
            .fold([f64::INFINITY, 0.0f64], |[lo, hi], v| {
                [lo.min(v), hi.max(v)]
            })
    }

    /// The Thévenin source its output impedance and coupling capacitor make.
    fn source(&self) -> TheveninSource {
        TheveninSource {
            r_out_ohm: self.r_out_ohm.value,
            coupling_cap_f: self.coupling_cap_uf.as_ref().map(|c| c.value * 1e-6),
        }
    }

    /// [`OutputEntry::stage`] of an entry that gives maximum outputs.
    fn stage_from_maxima(&self) -> OutputStage {
        let source = self.source();
        let z_out = source.z_out();
        let r_sag_ohm = self.r_sag_ohm.as_ref().map_or(0.0, |f| f.value);
        let (v_fs_peak, rail_v_peak, i_max_peak) = if r_sag_ohm > 0.0 {
            let [lo, hi] = self.rails_needed(r_sag_ohm);
            let rail = (lo * hi).sqrt();
            (rail, rail, f64::INFINITY)
        } else {
            let rail = self.rail_v_peak.as_ref().map_or(f64::INFINITY, |r| r.value);
            let (fs, i_max) = self.full_scale_and_current_limit(&z_out);
            (fs, rail, i_max)
        };
        // A distribution amplifier's rails sag with its shared supply (the maximum outputs,
        // one output's figures, fix the full scale and the current limit as for any output).
        let r_sag_ohm = self.supply_sag_ohm().unwrap_or(r_sag_ohm);
        OutputStage {
            v_fs_peak,
            source,
            rail_v_peak,
            i_max_peak,
            r_sag_ohm,
            noise_pre: self
                .dynamic_range_db
                .as_ref()
                .map_or(NoiseSpec::SILENT, |dr| {
                    OutputStage::noise_from_dynamic_range(
                        v_fs_peak,
                        dr.value,
                        self.dynamic_range_a_weighted,
                        self.flicker_hz(),
                    )
                }),
            noise_post: self
                .noise_floor_dbv
                .as_ref()
                .map_or(NoiseSpec::SILENT, |n| NoiseSpec {
                    level_vrms: dbv_to_vrms(n.value),
                    a_weighted: self.noise_a_weighted,
                    flicker_corner_hz: self.flicker_hz(),
                }),
            source_clip_fs: 1.0,
            supply: SupplyShare::NONE,
        }
    }

    /// An entry that gives `figures` as they are (the form a custom output is saved in), named
    /// `[maker, model, variant]`, each figure as `figure` makes it from its value. Absent
    /// limits stay absent; a zero supply sag and a zero 1/f corner are none.
    pub fn from_figures(
        [maker, model, variant]: [&str; 3],
        kind: OutputKind,
        figures: &OutputFigures,
        figure: impl Fn(f64) -> Figure,
    ) -> Self {
        let positive = |v: Option<f64>| v.filter(|&v| v > 0.0).map(&figure);
        OutputEntry {
            coupling_cap_uf: figures.coupling_cap_uf.map(&figure),
            // Without a full scale, the figures' stage has the ideal output's.
            full_scale_dbu: Some(figure(
                figures
                    .full_scale_dbu
                    .unwrap_or_else(|| vrms_to_dbu(OutputStage::IDEAL.v_fs_peak / SQRT_2)),
            )),
            i_max_ma_peak: figures.i_max_ma_peak.map(&figure),
            rail_v_peak: figures.rail_v_peak.map(&figure),
            r_sag_ohm: positive(figures.r_sag_ohm),
            dynamic_range_db: figures.dynamic_range_db.map(|(dr, _)| figure(dr)),
            dynamic_range_a_weighted: figures.dynamic_range_db.is_some_and(|(_, a)| a),
            noise_floor_dbv: figures.noise_floor_dbv.map(|(n, _)| figure(n)),
            noise_a_weighted: figures.noise_floor_dbv.is_some_and(|(_, a)| a),
            flicker_corner_hz: positive(Some(figures.flicker_corner_hz)),
            ..OutputEntry::new([maker, model, variant], kind, figure(figures.r_out_ohm))
        }
    }

    /// The 1/f corner, Hz (0: white noise).
    pub(super) fn flicker_hz(&self) -> f64 {
        self.flicker_corner_hz.as_ref().map_or(0.0, |f| f.value)
    }

    /// The figures the output model takes (full scale, output impedance, limits, noise),
    /// whichever form the entry gives them in: as given, or as its maximum outputs fix them
    /// (`stage`). Their stage is the entry's; the reference gives an ideal output's.
    pub fn model_figures(&self) -> OutputFigures {
        if let Some(figures) = self.given_figures() {
            return figures;
        }
        let stage = self.stage();
        let finite = |v: f64| v.is_finite().then_some(v);
        OutputFigures {
            full_scale_dbu: (self.kind != OutputKind::Reference)
                .then(|| vrms_to_dbu(stage.v_fs_peak / SQRT_2)),
            rail_v_peak: finite(stage.rail_v_peak),
            i_max_ma_peak: finite(stage.i_max_peak).map(|a| a * 1e3),
            ..self.noise_and_source_figures()
        }
    }

    /// The figures as given, when the entry gives its full scale.
    fn given_figures(&self) -> Option<OutputFigures> {
        let value = |f: &Option<super::Figure>| f.as_ref().map(|f| f.value);
        Some(OutputFigures {
            full_scale_dbu: Some(self.full_scale_dbu.as_ref()?.value),
            rail_v_peak: value(&self.rail_v_peak),
            i_max_ma_peak: value(&self.i_max_ma_peak),
            ..self.noise_and_source_figures()
        })
    }

    /// A distribution amplifier's shared supply's sag, which each of its outputs' rails follow.
    fn supply_sag_ohm(&self) -> Option<f64> {
        self.distribution.as_ref().map(|d| d.supply_sag_ohm.value)
    }

    /// The output impedance, the supply sag and the noise, which every form gives as they are
    /// (no full scale and no limits).
    fn noise_and_source_figures(&self) -> OutputFigures {
        let value = |f: &Option<super::Figure>| f.as_ref().map(|f| f.value);
        OutputFigures {
            full_scale_dbu: None,
            r_out_ohm: self.r_out_ohm.value,
            coupling_cap_uf: value(&self.coupling_cap_uf),
            rail_v_peak: None,
            i_max_ma_peak: None,
            r_sag_ohm: (self.supply_sag_ohm())
                .or(value(&self.r_sag_ohm))
                .filter(|&r| r > 0.0),
            dynamic_range_db: value(&self.dynamic_range_db)
                .map(|dr| (dr, self.dynamic_range_a_weighted)),
            noise_floor_dbv: value(&self.noise_floor_dbv).map(|n| (n, self.noise_a_weighted)),
            flicker_corner_hz: self.flicker_hz(),
        }
    }

    /// Without a supply sag: the full-scale EMF and the current limit (`INFINITY` = none) that
    /// the maximum outputs fix (see `stage`), volts and amps peak.
    fn full_scale_and_current_limit(&self, z_out: &dyn Impedance) -> (f64, f64) {
        let emf_and_current: Vec<(f64, f64)> = self
            .max_output
            .iter()
            .filter_map(|m| {
                let v_peak = m.load_vrms()? * SQRT_2;
                let z_total = (z_out.z_ohm(1000.0) + m.load_ohm).norm();
                Some((v_peak * z_total / m.load_ohm, v_peak / m.load_ohm))
            })
            .collect();
        let v_fs_peak = emf_and_current
            .iter()
            .map(|(e, _)| *e)
            .fold(f64::NAN, f64::max);
        let v_fs_peak = if v_fs_peak.is_finite() {
            v_fs_peak
        } else {
            1.0
        };
        // A figure 0.05 dB or more below the full-scale EMF was held back by the current.
        let limited: Vec<f64> = emf_and_current
            .iter()
            .filter(|(e, _)| *e < v_fs_peak * db_to_gain(-0.05))
            .map(|(_, i)| *i)
            .collect();
        let i_max_peak = if limited.is_empty() {
            f64::INFINITY
        } else {
            let lo = limited.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = limited.iter().copied().fold(0.0, f64::max);
            (lo * hi).sqrt()
        };
        (v_fs_peak, i_max_peak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Basis, Figure, outputs};

    /// Whether two values agree to a part in 10⁹ (both infinite counts as equal).
    fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    /// Whether two stages are the same output, to rounding.
    fn same_stage(a: &OutputStage, b: &OutputStage) -> bool {
        let noise = |x: &NoiseSpec, y: &NoiseSpec| {
            close(x.level_vrms, y.level_vrms)
                && x.a_weighted == y.a_weighted
                && x.flicker_corner_hz == y.flicker_corner_hz
        };
        close(a.v_fs_peak, b.v_fs_peak)
            && a.source == b.source
            && close(a.rail_v_peak, b.rail_v_peak)
            && close(a.i_max_peak, b.i_max_peak)
            && close(a.r_sag_ohm, b.r_sag_ohm)
            && noise(&a.noise_pre, &b.noise_pre)
            && noise(&a.noise_post, &b.noise_post)
    }

    #[test]
    fn every_entrys_model_figures_are_its_stage() {
        for e in outputs() {
            let from_figures = e.model_figures().stage();
            assert!(same_stage(&from_figures, &e.stage()), "{}", e.name());
        }
    }

    #[test]
    fn an_entry_that_gives_its_full_scale_is_that_output() {
        let figure = |value: f64| Figure {
            value,
            basis: Basis::Measured,
            source: "own measurement".into(),
            note: String::new(),
            range: None,
        };
        // A built-in entry rewritten in the direct form: its own model figures as given.
        let built_in = outputs().iter().find(|e| e.r_sag_ohm.is_some()).unwrap();
        let given = built_in.model_figures();
        let direct = OutputEntry {
            max_output: Vec::new(),
            full_scale_dbu: given.full_scale_dbu.map(figure),
            rail_v_peak: given.rail_v_peak.map(figure),
            i_max_ma_peak: given.i_max_ma_peak.map(figure),
            ..built_in.clone()
        };
        assert!(same_stage(&direct.stage(), &built_in.stage()));
        assert_eq!(direct.model_figures(), given);
        assert!(direct.levels_sourced());
    }

    #[test]
    fn every_entry_saved_from_its_figures_is_that_output() {
        let figure = |value: f64| Figure {
            value,
            basis: Basis::Measured,
            source: "own measurement".into(),
            note: String::new(),
            range: None,
        };
        for e in outputs().iter().filter(|e| e.kind != OutputKind::Reference) {
            let names = [e.maker.as_str(), &e.model, &e.variant];
            let saved = OutputEntry::from_figures(names, e.kind, &e.model_figures(), figure);
            assert!(same_stage(&saved.stage(), &e.stage()), "{}", e.name());
            assert_eq!(saved.name(), e.name());
            assert!(
                crate::catalog::validate::output_problems(
                    &saved,
                    crate::catalog::validate::Sources::Named
                )
                .is_empty(),
                "{}",
                e.name()
            );
        }
    }
}
