//! A simulated sense-resistor jig, for the tests of the headphone impedance measurement: the
//! interface's output drives a sense resistor in series with a headphone to ground; line input
//! 1 (recorded left) reads the resistor's output side, line input 2 (recorded right) its
//! headphone side. The model is written from the circuit, not from any analysis, so that an
//! analysis tested against it is tested against physics.
//!
//! The circuit, node by node: the output's EMF behind its resistance drives node 1; input 1's
//! impedance loads node 1; the sense resistor joins node 1 to node 2; input 2's impedance loads
//! node 2; the headphone's equivalent circuit (a chain of [`Element`]s in series) runs from
//! node 2 to ground. It is simulated in the time domain, at [`SimJig::oversampling`] times the
//! recording's rate, by nodal analysis with every inductor and capacitor replaced by its
//! trapezoidal companion (the bilinear transform, which never goes unstable whatever the
//! element values). The played samples become the EMF through a band-limited interpolation,
//! as a converter's anti-imaging filter makes them; the node voltages are read back at the
//! recording's rate. Then, per input: its gain (input 2's may differ from input 1's), its own
//! white noise, the converter's full scale and its clipping at ±1.0, stored as `f32`, behind
//! the inputs' latency.
//!
//! The trapezoidal rule reads the circuit's response at a slightly higher frequency than the
//! one simulated: `(2/T)·tan(ωT/2)` for `ω`, at the simulation's step `T`. At 32 times 48 kHz
//! that is 0.055 % high at 20 kHz (a hundredth of a degree of a headphone's phase there) and
//! less below, as the square of the frequency: far inside what the tests resolve.

use crate::interface::white_sigma;
use loadline_core::dsp::noise::Rng;
use num_complex::Complex64;
use std::f64::consts::PI;

/// One part of a headphone's equivalent circuit; the parts of a [`SimHeadphone`] are in
/// series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element {
    /// A resistance, ohms: the voice coil's DC resistance.
    R(f64),
    /// An inductance, henries: the voice coil's.
    L(f64),
    /// An inductance in parallel with a resistance: the eddy-current losses that make a voice
    /// coil's impedance rise more slowly than an inductor's (a "semi-inductance").
    LossyL {
        /// The inductance, henries.
        l_h: f64,
        /// The resistance across it, ohms.
        r_ohm: f64,
    },
    /// A resistance, an inductance and a capacitance in parallel: a driver's motional
    /// impedance, which peaks at its mechanical resonance.
    Motional {
        /// The resistance: the peak's height above the rest of the circuit, ohms.
        r_ohm: f64,
        /// The inductance, henries.
        l_h: f64,
        /// The capacitance, farads.
        c_f: f64,
    },
}

impl Element {
    /// Its impedance at `freq_hz`, exactly.
    pub fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, 2.0 * PI * freq_hz);
        match *self {
            Element::R(r) => Complex64::from(r),
            Element::L(l) => s * l,
            Element::LossyL { l_h, r_ohm } => 1.0 / (1.0 / (s * l_h) + 1.0 / r_ohm),
            Element::Motional { r_ohm, l_h, c_f } => {
                1.0 / (1.0 / r_ohm + 1.0 / (s * l_h) + s * c_f)
            }
        }
    }
}

/// A headphone driver's equivalent circuit: its elements in series, from the jig's node 2 to
/// ground.
#[derive(Debug, Clone, PartialEq)]
pub struct SimHeadphone {
    /// The elements, in series.
    pub elements: Vec<Element>,
}

impl SimHeadphone {
    /// A dynamic driver: `re_ohm` and `le_h` in series with a motional branch whose resonance
    /// at `f0_hz` adds `peak_ohm` to the impedance there, with quality factor `q` (the
    /// branch's own: `R·√(C/L)`).
    pub fn dynamic(re_ohm: f64, le_h: f64, f0_hz: f64, peak_ohm: f64, q: f64) -> Self {
        let w0 = 2.0 * PI * f0_hz;
        SimHeadphone {
            elements: vec![
                Element::R(re_ohm),
                Element::L(le_h),
                Element::Motional {
                    r_ohm: peak_ohm,
                    l_h: peak_ohm / (q * w0),
                    c_f: q / (w0 * peak_ohm),
                },
            ],
        }
    }

    /// A driver without a resonance in the audio band (a planar magnetic's flat curve):
    /// `re_ohm` and `le_h` in series.
    pub fn flat(re_ohm: f64, le_h: f64) -> Self {
        SimHeadphone {
            elements: vec![Element::R(re_ohm), Element::L(le_h)],
        }
    }

    /// This driver with a lossy inductance in series as well.
    pub fn with_lossy_inductance(mut self, l_h: f64, r_ohm: f64) -> Self {
        self.elements.push(Element::LossyL { l_h, r_ohm });
        self
    }

    /// Its impedance at `freq_hz`, exactly: what a measurement should find.
    pub fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        self.elements.iter().map(|e| e.z_ohm(freq_hz)).sum()
    }
}

/// What is connected where, in one recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wiring<'a> {
    /// The jig as it should be: the headphone across node 2, input 2 on node 2.
    Headphone(&'a SimHeadphone),
    /// Nothing across node 2: the headphone is not plugged in.
    Open,
    /// Node 2 shorted to ground (by [`SHORT_OHM`]): a shorted cable or a probe slipped.
    Shorted,
    /// A calibration: the headphone in place, but input 2 moved to node 1 beside input 1, so
    /// that both inputs record one voltage.
    Calibration(&'a SimHeadphone),
}

/// The resistance of a short, ohms.
pub const SHORT_OHM: f64 = 0.01;

/// The jig and the interface around it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimJig {
    /// The EMF peak, volts, of a 0 dBFS sample at the volume of the recording.
    pub full_scale_v_peak: f64,
    /// The output's source resistance, ohms (positive).
    pub r_out_ohm: f64,
    /// The sense resistor's true value, ohms (the analysis is given its marking).
    pub sense_ohm: f64,
    /// The volts peak that record as 1.0 on input 1.
    pub input_full_scale_v_peak: f64,
    /// Each input's impedance, ohms (finite and positive).
    pub input_ohm: f64,
    /// Each input's own noise, volts RMS over 20 Hz–20 kHz, white and independent per input.
    pub input_noise_vrms: f64,
    /// Input 2's gain over input 1's, dB: two gain knobs never match exactly.
    pub input2_gain_db: f64,
    /// Samples of noise before the played signal's first sample arrives.
    pub latency_samples: usize,
    /// Samples of noise after the played signal's last sample.
    pub tail_samples: usize,
    /// How many steps of the circuit per recorded sample.
    pub oversampling: usize,
}

impl SimJig {
    /// A jig of `sense_ohm` on an interface with a 1 Ω output giving 2 V peak at full scale,
    /// inputs of 10 kΩ recording 4 V peak as full scale with their floor 112 dB below it and
    /// matched gains, a latency of 517 samples and half a second of tail.
    pub fn new(sense_ohm: f64) -> Self {
        let input_full_scale_v_peak = 4.0;
        SimJig {
            full_scale_v_peak: 2.0,
            r_out_ohm: 1.0,
            sense_ohm,
            input_full_scale_v_peak,
            input_ohm: 10_000.0,
            input_noise_vrms: input_full_scale_v_peak / 2f64.sqrt() * 10f64.powf(-112.0 / 20.0),
            input2_gain_db: 0.0,
            latency_samples: 517,
            tail_samples: 24_000,
            oversampling: 32,
        }
    }

    /// Input 2's voltage over input 1's at `freq_hz`, exactly, as the circuit gives it with
    /// `wiring` (input 2's gain apart).
    pub fn analytic_ratio(&self, wiring: Wiring, freq_hz: f64) -> Complex64 {
        let zin = Complex64::from(self.input_ohm);
        let parallel = |a: Complex64, b: Complex64| a * b / (a + b);
        let node2 = match wiring {
            Wiring::Headphone(h) => parallel(h.z_ohm(freq_hz), zin),
            Wiring::Open => zin,
            Wiring::Shorted => parallel(Complex64::from(SHORT_OHM), zin),
            Wiring::Calibration(_) => return Complex64::from(1.0),
        };
        node2 / (node2 + self.sense_ohm)
    }
}

/// What the two inputs record when the interface plays the left channel of `played` (frames,
/// 1.0 = 0 dBFS peak) at `rate_hz` into the jig wired as `wiring`; `seed` seeds the inputs'
/// noise (give each recording its own). The recording is `latency_samples + played.len() +
/// tail_samples` frames long; the circuit starts at rest.
///
/// # Panics
/// If a resistance, the inputs' impedance or the rate is not positive.
pub fn record_jig(
    played: &[[f32; 2]],
    rate_hz: f64,
    jig: &SimJig,
    wiring: Wiring,
    seed: u64,
) -> Vec<[f32; 2]> {
    assert!(rate_hz > 0.0 && jig.oversampling > 0, "a positive rate");
    assert!(
        jig.r_out_ohm > 0.0 && jig.sense_ohm > 0.0 && jig.input_ohm > 0.0,
        "positive resistances"
    );
    let m = jig.oversampling;
    let step_s = 1.0 / (rate_hz * m as f64);
    let mut circuit = Circuit::new(jig, wiring, step_s);
    let frames = jig.latency_samples + played.len() + jig.tail_samples;
    let digital = |n: isize| -> f64 {
        usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(jig.latency_samples))
            .and_then(|i| played.get(i))
            .map_or(0.0, |f| f64::from(f[0]))
    };
    let interpolator = Interpolator::new(m);
    let sigma = white_sigma(jig.input_noise_vrms, rate_hz);
    let mut noise = [Rng::new(seed ^ 0x5EED_0001), Rng::new(seed ^ 0x5EED_0002)];
    let gain2 = 10f64.powf(jig.input2_gain_db / 20.0);
    let convert = |v: f64| (v / jig.input_full_scale_v_peak).clamp(-1.0, 1.0) as f32;
    let mut out = Vec::with_capacity(frames);
    let k = interpolator.half_width as isize;
    for n in 0..frames {
        let n = n as isize;
        // The played samples the interpolation reaches at this sample, oldest first.
        let near: Vec<f64> = (n - k + 1..n + k).map(digital).collect();
        let mut read = (0.0, 0.0);
        for p in 0..m {
            let emf = jig.full_scale_v_peak * interpolator.at(p, &near);
            circuit.step(emf);
            if p == 0 {
                read = circuit.inputs();
            }
        }
        // Noise from a uniform generator of unit variance: the analysis reads it through long
        // spectra, which make any white noise Gaussian.
        out.push([
            convert(read.0 + sigma * noise[0].unit()),
            convert(gain2 * read.1 + sigma * noise[1].unit()),
        ]);
    }
    out
}

/// A band-limited interpolation by `m`: each sub-sample a windowed-sinc (Kaiser) weighting of
/// the played samples around it, cut off at 0.47 of the played rate so that the images above
/// half of it are gone (100 dB down from 0.53 of the rate).
struct Interpolator {
    /// The played samples it reaches either side.
    half_width: usize,
    /// The weights of each sub-sample, over the `2·half_width − 1` samples nearest it.
    phases: Vec<Vec<f64>>,
}

impl Interpolator {
    fn new(m: usize) -> Self {
        let half_width = 32usize;
        let cutoff = 0.94;
        let beta = 10.0;
        let k = half_width as f64;
        let phases = (0..m)
            .map(|p| {
                // The weight of the played sample `j` before this sub-sample's time
                // (j counted from −(half_width − 1)): at a distance of j + p/m samples.
                let mut w: Vec<f64> = (0..2 * half_width - 1)
                    .map(|i| {
                        let j = i as f64 - (k - 1.0);
                        let x = -j + p as f64 / m as f64;
                        let u = x / k;
                        if u.abs() >= 1.0 {
                            return 0.0;
                        }
                        let sinc = if x == 0.0 {
                            1.0
                        } else {
                            (PI * cutoff * x).sin() / (PI * cutoff * x)
                        };
                        cutoff * sinc * bessel_i0(beta * (1.0 - u * u).sqrt()) / bessel_i0(beta)
                    })
                    .collect();
                // Each sub-sample passes DC unchanged, so no image of it is left at the
                // played rate.
                let sum: f64 = w.iter().sum();
                w.iter_mut().for_each(|v| *v /= sum);
                w
            })
            .collect();
        Interpolator { half_width, phases }
    }

    /// Sub-sample `p` between the sample `near` is centred on and the next.
    fn at(&self, p: usize, near: &[f64]) -> f64 {
        self.phases[p].iter().zip(near).map(|(w, x)| w * x).sum()
    }
}

/// The modified Bessel function of the first kind, order zero (its series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..60 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    sum
}

/// What a branch of the circuit is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Conductance,
    Inductor,
    Capacitor,
}

/// A two-terminal branch from node `a` to node `b` (`None`: ground), with its trapezoidal
/// companion: the current `g·v + history`, `v` the voltage from `a` to `b`.
#[derive(Debug, Clone, Copy)]
struct Branch {
    a: Option<usize>,
    b: Option<usize>,
    kind: Kind,
    g: f64,
    history: f64,
}

/// The jig's circuit at one step size: its nodes' conductance matrix inverted once, and the
/// reactive branches' histories.
struct Circuit {
    branches: Vec<Branch>,
    inverse: Vec<Vec<f64>>,
    v: Vec<f64>,
    /// The currents into the nodes at a step (kept between steps to spare allocations).
    j: Vec<f64>,
    /// The output's conductance, through which its EMF drives node 1.
    g_out: f64,
    /// The node input 2 reads.
    input2: usize,
}

impl Circuit {
    fn new(jig: &SimJig, wiring: Wiring, step_s: f64) -> Self {
        let mut branches = Vec::new();
        let mut nodes = 2;
        let mut add = |a: Option<usize>, b: Option<usize>, kind: Kind, value: f64| {
            let g = match kind {
                Kind::Conductance => 1.0 / value,
                Kind::Inductor => step_s / (2.0 * value),
                Kind::Capacitor => 2.0 * value / step_s,
            };
            branches.push(Branch {
                a,
                b,
                kind,
                g,
                history: 0.0,
            });
        };
        add(Some(0), None, Kind::Conductance, jig.r_out_ohm);
        add(Some(0), None, Kind::Conductance, jig.input_ohm);
        add(Some(0), Some(1), Kind::Conductance, jig.sense_ohm);
        let input2 = if matches!(wiring, Wiring::Calibration(_)) {
            0
        } else {
            1
        };
        add(Some(input2), None, Kind::Conductance, jig.input_ohm);
        let elements = match wiring {
            Wiring::Headphone(h) | Wiring::Calibration(h) => h.elements.clone(),
            Wiring::Open => Vec::new(),
            Wiring::Shorted => vec![Element::R(SHORT_OHM)],
        };
        let mut at = 1;
        for (i, e) in elements.iter().enumerate() {
            let next = if i + 1 == elements.len() {
                None
            } else {
                nodes += 1;
                Some(nodes - 1)
            };
            let a = Some(at);
            match *e {
                Element::R(r) => add(a, next, Kind::Conductance, r),
                Element::L(l) => add(a, next, Kind::Inductor, l),
                Element::LossyL { l_h, r_ohm } => {
                    add(a, next, Kind::Inductor, l_h);
                    add(a, next, Kind::Conductance, r_ohm);
                }
                Element::Motional { r_ohm, l_h, c_f } => {
                    add(a, next, Kind::Conductance, r_ohm);
                    add(a, next, Kind::Inductor, l_h);
                    add(a, next, Kind::Capacitor, c_f);
                }
            }
            if let Some(n) = next {
                at = n;
            }
        }
        let mut matrix = vec![vec![0.0; nodes]; nodes];
        for b in &branches {
            for (p, q) in [(b.a, b.b), (b.b, b.a)] {
                if let Some(p) = p {
                    matrix[p][p] += b.g;
                    if let Some(q) = q {
                        matrix[p][q] -= b.g;
                    }
                }
            }
        }
        Circuit {
            branches,
            inverse: invert(matrix),
            v: vec![0.0; nodes],
            j: vec![0.0; nodes],
            g_out: 1.0 / jig.r_out_ohm,
            input2,
        }
    }

    /// One step with the output's EMF at `emf` volts.
    fn step(&mut self, emf: f64) {
        let j = &mut self.j;
        j.iter_mut().for_each(|x| *x = 0.0);
        j[0] = emf * self.g_out;
        for b in &self.branches {
            if let Some(a) = b.a {
                j[a] -= b.history;
            }
            if let Some(q) = b.b {
                j[q] += b.history;
            }
        }
        for (v, row) in self.v.iter_mut().zip(&self.inverse) {
            *v = row.iter().zip(j.iter()).map(|(m, x)| m * x).sum();
        }
        let volts = |node: Option<usize>| node.map_or(0.0, |k| self.v[k]);
        for b in &mut self.branches {
            let v = volts(b.a) - volts(b.b);
            let i = b.g * v + b.history;
            b.history = match b.kind {
                Kind::Conductance => 0.0,
                // i[n+1] = i[n] + T/(2L)·(v[n+1] + v[n])
                Kind::Inductor => i + b.g * v,
                // i[n+1] = 2C/T·(v[n+1] − v[n]) − i[n]
                Kind::Capacitor => -b.g * v - i,
            };
        }
    }

    /// The voltages inputs 1 and 2 read now.
    fn inputs(&self) -> (f64, f64) {
        (self.v[0], self.v[self.input2])
    }
}

/// The inverse of a small, well-conditioned matrix (Gauss–Jordan with partial pivoting).
fn invert(mut a: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|k| f64::from(u8::from(i == k))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .expect("a row");
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let d = a[col][col];
        assert!(d != 0.0, "the circuit's nodes are all connected");
        for k in 0..n {
            a[col][k] /= d;
            inv[col][k] /= d;
        }
        for row in 0..n {
            if row != col {
                let f = a[row][col];
                if f != 0.0 {
                    for k in 0..n {
                        a[row][k] -= f * a[col][k];
                        inv[row][k] -= f * inv[col][k];
                    }
                }
            }
        }
    }
    inv
}
