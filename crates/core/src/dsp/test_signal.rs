//! The built-in test signal: pink noise at the reference level, −18 dBFS RMS (0 dBFS RMS being
//! a full-scale sine's), the level the target SPL refers to. It lets a producer hear and meter
//! an output at the level they set without playing anything.

use super::noise::Rng;
use crate::physics::output::REFERENCE_DBFS_RMS;
use crate::units::db_to_gain;

/// Paul Kellet's "refined" pink filter (public domain, musicdsp.org): seven one-pole sections
/// whose sum falls at 3 dB per octave within ±0.05 dB from 9 Hz to Nyquist at 44.1 kHz.
const POLES: [f64; 6] = [0.99886, 0.99332, 0.96900, 0.86650, 0.55000, -0.7616];
const INPUTS: [f64; 6] = [
    0.0555179, 0.0750759, 0.1538520, 0.3104856, 0.5329522, -0.0168980,
];
const DIRECT: f64 = 0.5362;
const LAST_INPUT: f64 = 0.115926;

/// The reference level's RMS, full-scale units.
pub fn reference_rms() -> f64 {
    db_to_gain(REFERENCE_DBFS_RMS) * std::f64::consts::FRAC_1_SQRT_2
}

/// A pink noise generator at the reference level (allocation-free; repeatable from its seed).
#[derive(Debug, Clone)]
pub struct PinkNoise {
    rng: Rng,
    state: [f64; 6],
    last_white: f64,
    gain: f64,
}

impl PinkNoise {
    /// A generator seeded with `seed`, scaled so that its RMS is the reference level (the
    /// filter's energy is summed over its impulse response once, here).
    pub fn new(seed: u64) -> Self {
        let mut probe = PinkNoise {
            rng: Rng::new(1),
            state: [0.0; 6],
            last_white: 0.0,
            gain: 1.0,
        };
        // The slowest pole decays to 1e-9 of its energy within 10^4 samples.
        let mut energy = 0.0;
        for k in 0..20_000 {
            let y = probe.filter(if k == 0 { 1.0 } else { 0.0 });
            energy += y * y;
        }
        PinkNoise {
            rng: Rng::new(seed),
            state: [0.0; 6],
            last_white: 0.0,
            gain: reference_rms() / energy.sqrt(),
        }
    }

    fn filter(&mut self, white: f64) -> f64 {
        let mut sum = DIRECT * white + LAST_INPUT * self.last_white;
        for ((s, p), b) in self.state.iter_mut().zip(POLES).zip(INPUTS) {
            *s = p * *s + b * white;
            sum += *s;
        }
        self.last_white = white;
        sum
    }

    /// The next sample, full-scale units.
    #[inline]
    pub fn next_sample(&mut self) -> f32 {
        let white = self.rng.unit();
        (self.filter(white) * self.gain) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::gain_to_db;

    #[test]
    fn pink_noise_sits_at_the_reference_level_and_falls_3_db_per_octave() {
        let mut g = PinkNoise::new(7);
        let x: Vec<f64> = (0..1 << 20).map(|_| g.next_sample() as f64).collect();
        let rms = (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt();
        let db = gain_to_db(rms / reference_rms());
        assert!(db.abs() < 0.1, "{db} dB from the reference");
        // Equal power per octave: 250–500 Hz against 2–4 kHz (Welch PSD integrated).
        let (bin_hz, psd) = loadline_testkit::measure::welch_psd(&x, 44_100.0, 8192);
        let band = |lo: f64, hi: f64| -> f64 {
            psd.iter()
                .enumerate()
                .filter(|(k, _)| (lo..hi).contains(&(*k as f64 * bin_hz)))
                .map(|(_, p)| p)
                .sum()
        };
        let ratio_db = 10.0 * (band(250.0, 500.0) / band(2000.0, 4000.0)).log10();
        assert!(ratio_db.abs() < 0.5, "{ratio_db} dB between octaves");
    }
}
