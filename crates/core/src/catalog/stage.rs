//! An output's stage from its published figures: full scale, current limit, rails, supply sag
//! and noise.

use super::{OutputEntry, OutputKind};
use crate::physics::impedance::Impedance;
use crate::physics::output::{NoiseSpec, OutputStage};
use crate::physics::source::TheveninSource;
use crate::units::{db_to_gain, dbv_to_vrms};
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
    /// Without noise figures the output is silent.
    pub fn stage(&self) -> OutputStage {
        if self.kind == OutputKind::Reference {
            return OutputStage::IDEAL;
        }
        let source = TheveninSource {
            r_out_ohm: self.r_out_ohm.value,
            coupling_cap_f: self.coupling_cap_uf.as_ref().map(|c| c.value * 1e-6),
        };
        let z_out = source.z_out();
        let r_sag_ohm = self.r_sag_ohm.as_ref().map_or(0.0, |f| f.value);
        let (v_fs_peak, rail_v_peak, i_max_peak) = if r_sag_ohm > 0.0 {
            let (lo, hi) = self
                .max_output
                .iter()
                .filter_map(|m| {
                    let z_total = (z_out.z_ohm(1000.0) + m.load_ohm).norm();
                    Some(m.load_vrms()? * SQRT_2 * (z_total + r_sag_ohm) / m.load_ohm)
                })
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let rail = (lo * hi).sqrt();
            (rail, rail, f64::INFINITY)
        } else {
            let rail = self.rail_v_peak.as_ref().map_or(f64::INFINITY, |r| r.value);
            let (fs, i_max) = self.full_scale_and_current_limit(&z_out);
            (fs, rail, i_max)
        };
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
                        0.0,
                    )
                }),
            noise_post: self
                .noise_dbv
                .as_ref()
                .map_or(NoiseSpec::SILENT, |n| NoiseSpec {
                    level_vrms: dbv_to_vrms(n.value),
                    a_weighted: self.noise_a_weighted,
                    flicker_corner_hz: 0.0,
                }),
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
