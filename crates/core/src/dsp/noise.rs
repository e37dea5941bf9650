//! The output's hiss, generated in real time from `physics::output::NoiseSpec`.
//!
//! White noise of one-sided density `N0²` has variance `N0²·fs/2`, so the in-band level does
//! not depend on the sample rate. Each 1/f Lorentzian `w_k/(1 + (f/f_k)²)` is an independent
//! white stream through a one-pole lowpass whose low-frequency density is `w_k·N0²`: the same
//! model `physics` integrates for the predicted noise floor.

use crate::physics::output::{MAX_FLICKER_TERMS, NoiseSpec};
use std::f64::consts::PI;

/// A small, fast generator (xorshift64*), good enough for audio noise and fully repeatable
/// from its seed.
#[derive(Debug, Clone, Copy)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced, as xorshift cannot leave it).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Uniform on [−√3, √3): zero mean, unit variance.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        // Through i64: a signed conversion is one instruction, an unsigned one is not.
        let bits = (self.next_u64() >> 11) as i64;
        (bits as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 3f64.sqrt()
    }

    /// The next 64 random bits (xorshift64*).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// One noise source's coefficients at a sample rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseCoefs {
    /// Standard deviation of the white part per sample, volts.
    pub white_sigma: f64,
    /// Lorentzians in use.
    pub n_terms: usize,
    /// Per term: (pole `a`, input gain) of `u[n] = a·u[n−1] + gain·w[n]`.
    pub terms: [(f64, f64); MAX_FLICKER_TERMS],
}

impl NoiseCoefs {
    /// Silence.
    pub const SILENT: NoiseCoefs = NoiseCoefs {
        white_sigma: 0.0,
        n_terms: 0,
        terms: [(0.0, 0.0); MAX_FLICKER_TERMS],
    };

    /// Coefficients realising `spec` at `sample_rate_hz`, scaled by `scale` (volts to the
    /// engine's normalised units).
    pub fn new(spec: &NoiseSpec, sample_rate_hz: f64, scale: f64) -> Self {
        let n0_sq = spec.white_density_v2_per_hz() * scale * scale;
        if n0_sq <= 0.0 {
            return Self::SILENT;
        }
        let (lorentz, n) = spec.flicker_terms();
        let mut terms = [(0.0, 0.0); MAX_FLICKER_TERMS];
        for (t, &(fk, wk)) in terms.iter_mut().zip(&lorentz[..n]) {
            let a = (-2.0 * PI * fk / sample_rate_hz).exp();
            // DC density of the one-pole output: gain²/(1−a)²·2/fs, set to w_k·N0².
            *t = (a, (1.0 - a) * (wk * n0_sq * sample_rate_hz / 2.0).sqrt());
        }
        NoiseCoefs {
            white_sigma: (n0_sq * sample_rate_hz / 2.0).sqrt(),
            n_terms: n,
            terms,
        }
    }
}

impl NoiseCoefs {
    /// One source whose output has the power of `self` plus `other` scaled by `other_gain`
    /// (independent sources add in power), when their 1/f terms share their poles (one
    /// corner for both, as the plugin's parameters have it); `None` otherwise. Half the work
    /// of running the two.
    pub fn combined(&self, other: &NoiseCoefs, other_gain: f64) -> Option<NoiseCoefs> {
        let hyp = |a: f64, b: f64| (a * a + (b * other_gain).powi(2)).sqrt();
        if self.white_sigma == 0.0 {
            let mut c = *other;
            c.white_sigma *= other_gain;
            for t in c.terms[..c.n_terms].iter_mut() {
                t.1 *= other_gain;
            }
            return Some(c);
        }
        if other.white_sigma == 0.0 {
            return Some(*self);
        }
        if self.n_terms != other.n_terms
            || self.terms[..self.n_terms]
                .iter()
                .zip(&other.terms[..other.n_terms])
                .any(|(a, b)| a.0 != b.0)
        {
            return None;
        }
        let mut c = *self;
        c.white_sigma = hyp(self.white_sigma, other.white_sigma);
        for (t, o) in c.terms[..c.n_terms].iter_mut().zip(&other.terms) {
            t.1 = hyp(t.1, o.1);
        }
        Some(c)
    }
}

/// One channel's noise generator.
#[derive(Debug, Clone, Copy)]
pub struct NoiseState {
    rng: Rng,
    lorentz: [f64; MAX_FLICKER_TERMS],
}

impl NoiseState {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        NoiseState {
            rng: Rng::new(seed),
            lorentz: [0.0; MAX_FLICKER_TERMS],
        }
    }

    /// Adds the next `out.len()` samples of the source described by `c` to `out`, compiled
    /// for AVX2 where the CPU has it (the arithmetic is the same).
    pub fn add_to(&mut self, c: &NoiseCoefs, out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.add_to_avx2(c, out) };
            return;
        }
        self.add_to_body(c, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn add_to_avx2(&mut self, c: &NoiseCoefs, out: &mut [f64]) {
        self.add_to_body(c, out);
    }

    #[inline(always)]
    fn add_to_body(&mut self, c: &NoiseCoefs, out: &mut [f64]) {
        if c.white_sigma == 0.0 {
            // A silent source still adds its zeros: `-0.0 + 0.0` is `+0.0`, as it always was.
            for v in out.iter_mut() {
                *v += 0.0;
            }
            return;
        }
        // The terms are run in lanes of a fixed count (the ones past `n_terms` on zero
        // coefficients, adding exact zeros), so that their states stay in registers.
        match c.n_terms.saturating_sub(2).div_ceil(4) {
            0 => self.add_lanes::<2>(c, out),
            1 => self.add_lanes::<6>(c, out),
            2 => self.add_lanes::<10>(c, out),
            3 => self.add_lanes::<14>(c, out),
            _ => self.add_lanes::<18>(c, out),
        }
    }

    /// [`NoiseState::add_to`] with `L` lanes of 1/f terms (`2 + 4k`: the first draw of a
    /// sample serves two, each further draw four).
    #[inline(always)]
    fn add_lanes<const L: usize>(&mut self, c: &NoiseCoefs, out: &mut [f64]) {
        let n = c.n_terms;
        let (mut u, mut a, mut g) = ([0.0; L], [0.0; L], [0.0; L]);
        for t in 0..n {
            u[t] = self.lorentz[t];
            (a[t], g[t]) = c.terms[t];
        }
        for v in out.iter_mut() {
            // One draw gives the white part 32 bits and two 1/f terms 16 bits each; the 1/f
            // terms are lowpass-filtered, so 16-bit uniform inputs are plenty (their
            // quantisation lies 96 dB below each term), and further draws serve four terms
            // each.
            let bits = self.rng.next_u64();
            let white = (bits & 0xFFFF_FFFF) as i64 as f64;
            let mut y = c.white_sigma * ((white + 0.5) / 2_147_483_648.0 - 1.0) * 3f64.sqrt();
            let mut r = [0u16; L];
            r[0] = (bits >> 32) as u16;
            r[1] = (bits >> 48) as u16;
            for d in 0..(L - 2) / 4 {
                let bits = self.rng.next_u64();
                for q in 0..4 {
                    r[2 + 4 * d + q] = (bits >> (16 * q)) as u16;
                }
            }
            for t in 0..L {
                let unit = ((r[t] as i32 as f64 + 0.5) / 32_768.0 - 1.0) * 3f64.sqrt();
                u[t] = a[t] * u[t] + g[t] * unit;
                y += u[t];
            }
            *v += y;
        }
        self.lorentz[..n].copy_from_slice(&u[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_has_unit_variance_and_zero_mean() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let v = r.unit();
            s += v;
            s2 += v * v;
        }
        assert!((s / n as f64).abs() < 0.01);
        assert!((s2 / n as f64 - 1.0).abs() < 0.01);
    }

    #[test]
    fn white_variance_follows_the_sample_rate() {
        let spec = NoiseSpec {
            level_vrms: 1e-5,
            a_weighted: false,
            flicker_corner_hz: 0.0,
        };
        let c48 = NoiseCoefs::new(&spec, 48_000.0, 1.0);
        let c96 = NoiseCoefs::new(&spec, 96_000.0, 1.0);
        // Same in-band level: twice the bandwidth carries twice the power.
        assert!((c96.white_sigma / c48.white_sigma - 2f64.sqrt()).abs() < 1e-12);
        // 20 Hz–20 kHz of a 24 kHz-wide white spectrum holds 19980/24000 of its power.
        let inband = c48.white_sigma * (19_980.0 / 24_000.0f64).sqrt();
        assert!((inband / 1e-5 - 1.0).abs() < 1e-3, "{inband}");
    }
}
