//! Plausible ranges for a headphone's estimated figures, and the models that span them.
//!
//! As for the outputs (see `range`), an estimate's range is the catalog's own spread, so that
//! it never claims more certainty than the sourced headphones beside it show:
//!
//! - an estimated **sensitivity** is compared as an efficiency (dB SPL for 1 mW at the nominal
//!   impedance, which takes the impedance versions of one model alike) and runs from the lowest
//!   to the highest of the estimate and every stated or measured sensitivity of its class
//!   (over-ear dynamics, planar magnetics, in-ears and earbuds); a class with fewer than two
//!   sourced sensitivities says too little, and every sourced headphone bounds it instead;
//! - an estimated **bass peak** (its height as a ratio to |Z| at 1 kHz) runs from no peak at
//!   all (the flattest a driver's impedance can be) to the highest of the estimate and every
//!   sourced peak's ratio;
//! - an estimated **|Z| at 10 kHz** (as a ratio to |Z| at 1 kHz) runs from flat to the estimate
//!   and the sourced ratios, whichever way they lie;
//! - an estimated **DC resistance** (as a ratio to |Z| at 1 kHz) runs from the lowest to the
//!   highest of the estimate and the sourced ratios.
//!
//! The figures that depend on them are then computed with the models at the ranges' ends
//! ([`headphones_across`]): each sensitivity end with the flattest and with the most
//! resonant curve (every level rises with the sensitivity, and the tonal change with the
//! curve's swing).

use super::range::hull;
use super::{Basis, Figure, HeadphoneEntry, headphones};
use crate::physics::headphones::HeadphoneModel;
use std::sync::OnceLock;

/// The ranges of a headphone's estimated deciding figures, each `[lowest, highest]`: `None`
/// where a figure is not estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadphoneEstimateRange {
    /// The sensitivity, dB SPL for 1 V RMS.
    pub sens_db_spl_per_v: Option<[f64; 2]>,
    /// The bass peak's height over |Z| at 1 kHz (1 = no peak).
    pub bass_peak_ratio: Option<[f64; 2]>,
    /// |Z| at 10 kHz over |Z| at 1 kHz.
    pub treble_ratio: Option<[f64; 2]>,
    /// The DC resistance over |Z| at 1 kHz.
    pub rdc_ratio: Option<[f64; 2]>,
}

impl HeadphoneEstimateRange {
    /// Nothing ranged.
    const NONE: Self = HeadphoneEstimateRange {
        sens_db_spl_per_v: None,
        bass_peak_ratio: None,
        treble_ratio: None,
        rdc_ratio: None,
    };
}

/// The classes whose sensitivities bound each other's estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    OverEarDynamic,
    Planar,
    InEar,
}

/// The class of a headphone of `kind` (the catalog's words for it).
fn class(kind: &str) -> Class {
    if kind.contains("planar") {
        Class::Planar
    } else if kind.contains("IEM") || kind.contains("earbud") {
        Class::InEar
    } else {
        Class::OverEarDynamic
    }
}

/// Sensitivity as an efficiency: dB SPL for 1 mW at the nominal impedance.
fn efficiency_db_spl_per_mw(e: &HeadphoneEntry) -> f64 {
    e.sens_db_spl_per_v() - 10.0 * (1000.0 / e.nominal_ohm.value).log10()
}

/// Whether `f` is stated or measured.
fn sourced(f: &Figure) -> bool {
    f.basis != Basis::Estimated
}

/// The ranges of catalog headphone `k`'s estimated deciding figures, or `None` when none is
/// estimated.
///
/// ```
/// # use loadline_core::catalog::{find_headphone, headphone_estimate_range};
/// // The HD 600's bass peak is published; its 10 kHz point is a class estimate, ranged from
/// // flat to it.
/// let hd600 = headphone_estimate_range(find_headphone("hd 600").unwrap()).unwrap();
/// assert_eq!(hd600.bass_peak_ratio, None);
/// let [flat, estimate] = hd600.treble_ratio.unwrap();
/// assert_eq!(flat, 1.0);
/// assert!((estimate - 330.0 / 300.0).abs() < 1e-12);
/// ```
pub fn headphone_estimate_range(k: usize) -> Option<HeadphoneEstimateRange> {
    headphones().get(k).and_then(|e| range_among(e, Some(k)))
}

/// The ranges of a user's headphone `entry` (every catalog headphone bounds them), or `None`.
pub fn entry_headphone_range(entry: &HeadphoneEntry) -> Option<HeadphoneEstimateRange> {
    range_among(entry, None)
}

/// The ranges of `entry`'s estimates, bounded by the catalog's headphones but `own`.
fn range_among(entry: &HeadphoneEntry, own: Option<usize>) -> Option<HeadphoneEstimateRange> {
    let peers = || {
        headphones()
            .iter()
            .enumerate()
            .filter(move |(j, _)| Some(*j) != own)
            .map(|(_, e)| e)
    };
    let sens_db_spl_per_v = (!sourced_sensitivity(entry)).then(|| {
        let pool = |same_class: bool| -> Vec<f64> {
            peers()
                .filter(|e| sourced_sensitivity(e))
                .filter(|e| !same_class || class(&e.kind) == class(&entry.kind))
                .map(efficiency_db_spl_per_mw)
                .collect()
        };
        let mut values = pool(true);
        if values.len() < 2 {
            values = pool(false);
        }
        let to_per_v = entry.sens_db_spl_per_v() - efficiency_db_spl_per_mw(entry);
        hull(efficiency_db_spl_per_mw(entry), values.into_iter()).map(|v| v + to_per_v)
    });
    let p = &entry.points;
    let ratio = |z: f64, e: &HeadphoneEntry| z / e.points.z_1k_ohm.value;
    let bass_peak_ratio = match (&p.f_res_hz, &p.z_res_ohm) {
        (Some(f), Some(z)) if !sourced(f) || !sourced(z) => {
            let published = peers().filter_map(|e| {
                let z = e.points.z_res_ohm.as_ref().filter(|z| sourced(z))?;
                Some(ratio(z.value, e))
            });
            Some(hull(
                1.0,
                std::iter::once(ratio(z.value, entry)).chain(published),
            ))
        }
        _ => None,
    };
    let treble_ratio = (!sourced(&p.z_10k_ohm)).then(|| {
        let published = peers()
            .filter(|e| sourced(&e.points.z_10k_ohm))
            .map(|e| ratio(e.points.z_10k_ohm.value, e));
        hull(
            1.0,
            std::iter::once(ratio(p.z_10k_ohm.value, entry)).chain(published),
        )
    });
    let rdc_ratio = (!sourced(&p.rdc_ohm)).then(|| {
        let published = peers()
            .filter(|e| sourced(&e.points.rdc_ohm) && sourced(&e.points.z_1k_ohm))
            .map(|e| ratio(e.points.rdc_ohm.value, e));
        hull(ratio(p.rdc_ohm.value, entry), published)
    });
    let range = HeadphoneEstimateRange {
        sens_db_spl_per_v,
        bass_peak_ratio,
        treble_ratio,
        rdc_ratio,
    };
    (range != HeadphoneEstimateRange::NONE).then_some(range)
}

/// Whether `e`'s sensitivity is sourced: the figure itself and, when it is per milliwatt, the
/// impedance it is referred to.
fn sourced_sensitivity(e: &HeadphoneEntry) -> bool {
    use super::SensitivityUnit::PerMilliwatt;
    e.sensitivity.basis != Basis::Estimated
        && (e.sensitivity.unit != PerMilliwatt || sourced(&e.nominal_ohm))
}

/// The models that span catalog headphone `k`'s ranges (empty when nothing is estimated):
/// fitted once, on first use.
pub fn headphones_across(k: usize) -> &'static [HeadphoneModel] {
    static ACROSS: OnceLock<Vec<Vec<HeadphoneModel>>> = OnceLock::new();
    ACROSS
        .get_or_init(|| {
            (0..headphones().len())
                .map(|k| match headphone_estimate_range(k) {
                    Some(range) => models_spanning(&headphones()[k], &range),
                    None => Vec::new(),
                })
                .collect()
        })
        .get(k)
        .map_or(&[], Vec::as_slice)
}

/// The models that span a user's headphone `entry`'s ranges (empty when nothing is estimated).
pub fn entry_headphones_across(entry: &HeadphoneEntry) -> Vec<HeadphoneModel> {
    entry_headphone_range(entry).map_or_else(Vec::new, |r| models_spanning(entry, &r))
}

/// `entry`'s models at the ends of `range`: the flattest and the most resonant curve (one
/// model when the curve is not ranged), each at both ends of the sensitivity's range.
fn models_spanning(entry: &HeadphoneEntry, range: &HeadphoneEstimateRange) -> Vec<HeadphoneModel> {
    let curve_ranged = range.bass_peak_ratio.is_some()
        || range.treble_ratio.is_some()
        || range.rdc_ratio.is_some();
    let curves: Vec<HeadphoneModel> = if curve_ranged {
        [0, 1].map(|end| curve_at(entry, range, end).model()).into()
    } else {
        vec![entry.model()]
    };
    let sens = range
        .sens_db_spl_per_v
        .map_or_else(|| vec![entry.sens_db_spl_per_v()], |s| s.to_vec());
    curves
        .iter()
        .flat_map(|m| {
            sens.iter().map(|&sens_db_spl_per_v| HeadphoneModel {
                sens_db_spl_per_v,
                ..m.clone()
            })
        })
        .collect()
}

/// `entry` with its estimated curve figures at the flattest (`end` 0) or the most resonant
/// (1) ends of their ranges: a bass peak at its low end is no peak at all, and the DC
/// resistance is then at the end nearest |Z| at 1 kHz.
fn curve_at(entry: &HeadphoneEntry, range: &HeadphoneEstimateRange, end: usize) -> HeadphoneEntry {
    let mut e = entry.clone();
    let z_1k = e.points.z_1k_ohm.value;
    if let Some(bass) = range.bass_peak_ratio {
        if bass[end] <= 1.0 {
            e.points.f_res_hz = None;
            e.points.z_res_ohm = None;
            e.points.q = None;
        } else if let Some(z) = e.points.z_res_ohm.as_mut() {
            z.value = bass[end] * z_1k;
        }
    }
    if let Some(treble) = range.treble_ratio {
        e.points.z_10k_ohm.value = treble[end] * z_1k;
    }
    if let Some([lo, hi]) = range.rdc_ratio {
        let nearest_first = if (1.0 - lo).abs() <= (1.0 - hi).abs() {
            [lo, hi]
        } else {
            [hi, lo]
        };
        e.points.rdc_ohm.value = nearest_first[end] * z_1k;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::find_headphone;

    /// Every range holds its estimate, and every sourced peer's figure of its pool: the rule,
    /// checked from the other side.
    #[test]
    fn ranges_hold_the_estimate_and_the_sourced_peers() {
        for (k, e) in headphones().iter().enumerate() {
            let Some(range) = headphone_estimate_range(k) else {
                continue;
            };
            let holds = |[lo, hi]: [f64; 2], v: f64| lo - 1e-9 <= v && v <= hi + 1e-9;
            if let Some(s) = range.sens_db_spl_per_v {
                assert!(holds(s, e.sens_db_spl_per_v()), "{}", e.name());
                assert!(s[1] > s[0], "{}: a range that says something", e.name());
            }
            if let Some(b) = range.bass_peak_ratio {
                assert_eq!(b[0], 1.0, "{}", e.name());
                let own = e.points.z_res_ohm.as_ref().unwrap().value / e.points.z_1k_ohm.value;
                assert!(holds(b, own), "{}", e.name());
            }
            if let Some(t) = range.treble_ratio {
                assert!(holds(t, 1.0), "{}", e.name());
            }
            if let Some(r) = range.rdc_ratio {
                let own = e.points.rdc_ohm.value / e.points.z_1k_ohm.value;
                assert!(holds(r, own), "{}", e.name());
                for p in headphones().iter().filter(|p| {
                    sourced(&p.points.rdc_ohm)
                        && sourced(&p.points.z_1k_ohm)
                        && p.name() != e.name()
                }) {
                    let theirs = p.points.rdc_ohm.value / p.points.z_1k_ohm.value;
                    assert!(holds(r, theirs), "{}: {}", e.name(), p.name());
                }
            }
        }
    }

    /// The in-ears have a single sourced sensitivity (the hf5's): too few to bound a class,
    /// so every sourced headphone bounds the SE215's estimate.
    #[test]
    fn a_class_with_one_sourced_sensitivity_is_bounded_by_all() {
        let se215 = headphone_estimate_range(find_headphone("se215").unwrap()).unwrap();
        let s = se215.sens_db_spl_per_v.unwrap();
        let sourced: Vec<&HeadphoneEntry> = headphones()
            .iter()
            .filter(|e| sourced_sensitivity(e))
            .collect();
        let in_ears = sourced
            .iter()
            .filter(|e| class(&e.kind) == Class::InEar)
            .count();
        assert!(in_ears < 2, "the test needs a class with fewer than two");
        let e = &headphones()[find_headphone("se215").unwrap()];
        let shift = e.sens_db_spl_per_v() - efficiency_db_spl_per_mw(e);
        let lowest = sourced
            .iter()
            .map(|p| efficiency_db_spl_per_mw(p))
            .fold(f64::INFINITY, f64::min);
        assert!((s[0] - (lowest.min(efficiency_db_spl_per_mw(e)) + shift)).abs() < 1e-9);
    }

    /// The models across a range are the entry's at its ends: the sensitivities at both
    /// ends, and the flattest curve without a peak.
    #[test]
    fn the_models_are_at_the_ends() {
        let k = find_headphone("dt 770 250").unwrap();
        let range = headphone_estimate_range(k).unwrap();
        let models = headphones_across(k);
        assert_eq!(models.len(), 4);
        let s = range.sens_db_spl_per_v.unwrap();
        assert_eq!(models[0].sens_db_spl_per_v, s[0]);
        assert_eq!(models[1].sens_db_spl_per_v, s[1]);
        use crate::physics::Impedance;
        let flat = &models[0].load;
        let peaked = &models[2].load;
        assert!(peaked.z_ohm(60.0).norm() > 1.3 * flat.z_ohm(60.0).norm());
        assert!(headphones_across(find_headphone("hd 600").unwrap()).len() == 2);
    }
}
