//! A headphone as the physics and the designer see it: its impedance and sensitivity. The
//! catalog's models are circuits fitted to published figures (`crate::catalog`); an imported
//! measurement is a curve (`crate::import`).

use super::impedance::{Impedance, ImpedancePoint, Load, MeasuredCurve};
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

impl HeadphoneLoad {
    /// The load of several headphones on one jack: their impedances in parallel. Circuits
    /// stay a circuit, so that the filter design keeps the exact poles; with a measured curve
    /// among them the result is a curve, the parallel impedance sampled at every frequency
    /// any of the curves was measured at.
    pub fn in_parallel(loads: &[&HeadphoneLoad]) -> HeadphoneLoad {
        if let [only] = loads {
            return (*only).clone();
        }
        let circuits: Option<Vec<Load>> = loads
            .iter()
            .map(|l| match l {
                HeadphoneLoad::Circuit(c) => Some(c.clone()),
                HeadphoneLoad::Measured(_) => None,
            })
            .collect();
        if let Some(parts) = circuits {
            return HeadphoneLoad::Circuit(Load::Parallel(parts));
        }
        let mut freqs: Vec<f64> = loads
            .iter()
            .filter_map(|l| match l {
                HeadphoneLoad::Measured(c) => Some(c.points().iter().map(|p| p.freq_hz)),
                HeadphoneLoad::Circuit(_) => None,
            })
            .flatten()
            .collect();
        freqs.sort_by(f64::total_cmp);
        freqs.dedup();
        let points = freqs
            .into_iter()
            .map(|freq_hz| {
                let z = 1.0
                    / loads
                        .iter()
                        .map(|l| 1.0 / l.z_ohm(freq_hz))
                        .sum::<Complex64>();
                ImpedancePoint {
                    freq_hz,
                    mag_ohm: z.norm(),
                    phase_deg: z.arg().to_degrees(),
                }
            })
            .collect();
        HeadphoneLoad::Measured(
            MeasuredCurve::new(points).expect("passive impedances in parallel are a valid curve"),
        )
    }
}

impl HeadphoneModel {
    /// This headphone, named with `others` beside it on outputs of their own (a distribution
    /// amplifier's): its load is its own.
    pub fn beside(&self, others: &[HeadphoneModel]) -> HeadphoneModel {
        if others.is_empty() {
            return self.clone();
        }
        let names: Vec<&str> = others.iter().map(|o| o.name.as_str()).collect();
        HeadphoneModel {
            name: format!(
                "{} (with {} on outputs of their own)",
                self.name,
                names.join(", ")
            ),
            ..self.clone()
        }
    }

    /// This headphone heard with `others` on the same jack (a splitter, or two jacks on one
    /// driver): its own name and sensitivity, the jack's load. Alone, it is itself.
    pub fn sharing(&self, others: &[HeadphoneModel]) -> HeadphoneModel {
        if others.is_empty() {
            return self.clone();
        }
        let loads: Vec<&HeadphoneLoad> = std::iter::once(&self.load)
            .chain(others.iter().map(|o| &o.load))
            .collect();
        let names: Vec<&str> = others.iter().map(|o| o.name.as_str()).collect();
        HeadphoneModel {
            name: format!("{} (with {} on the jack)", self.name, names.join(", ")),
            load: HeadphoneLoad::in_parallel(&loads),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, load: HeadphoneLoad) -> HeadphoneModel {
        HeadphoneModel {
            name: name.into(),
            kind: "test".into(),
            nominal_ohm: load.z_ohm(1000.0).norm(),
            source: "test".into(),
            sens_db_spl_per_v: 100.0,
            sens_source: "test".into(),
            load,
        }
    }

    /// Two headphones on one jack are their impedances in parallel: 300 Ω with 32 Ω is
    /// 28.9 Ω, and three 96 Ω loads are 32 Ω; a circuit stays a circuit.
    #[test]
    fn a_shared_jack_is_the_parallel_impedance() {
        let hd = model("300", HeadphoneLoad::Circuit(Load::R(300.0)));
        let dt = model("32", HeadphoneLoad::Circuit(Load::R(32.0)));
        let shared = hd.sharing(std::slice::from_ref(&dt));
        assert!((shared.load.z_ohm(1000.0).re - 300.0 * 32.0 / 332.0).abs() < 1e-12);
        assert!(shared.load.rational().is_some());
        assert_eq!(shared.sens_db_spl_per_v, hd.sens_db_spl_per_v);
        assert_eq!(shared.name, "300 (with 32 on the jack)");
        let r96 = model("96", HeadphoneLoad::Circuit(Load::R(96.0)));
        let three = r96.sharing(&[r96.clone(), r96.clone()]);
        assert!((three.load.z_ohm(50.0).re - 32.0).abs() < 1e-12);
        assert_eq!(hd.sharing(&[]), hd);
    }

    /// With a measured curve on the jack, the load is a curve at the curve's own frequencies,
    /// the exact parallel impedance there (magnitude and phase).
    #[test]
    fn a_measured_curve_on_the_jack_gives_a_curve() {
        let coil = Load::Series(vec![Load::R(30.0), Load::L(1e-3)]);
        let curve = MeasuredCurve::sampled_from(&coil, 10.0, 30_000.0, 50);
        let measured = model("curve", HeadphoneLoad::Measured(curve.clone()));
        let other = model("60", HeadphoneLoad::Circuit(Load::R(60.0)));
        let shared = measured.sharing(std::slice::from_ref(&other));
        let HeadphoneLoad::Measured(got) = &shared.load else {
            panic!("a measured curve on the jack gives a curve");
        };
        assert_eq!(got.points().len(), curve.points().len());
        for p in curve.points() {
            let want = 1.0 / (1.0 / curve.z_ohm(p.freq_hz) + 1.0 / 60.0);
            let z = shared.load.z_ohm(p.freq_hz);
            assert!(
                (z - want).norm() < 1e-9 * want.norm(),
                "{}: {z} vs {want}",
                p.freq_hz
            );
        }
    }
}
