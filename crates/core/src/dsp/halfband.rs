//! Linear-phase halfband resampling by powers of 2: Kaiser-windowed halfband lowpasses, an
//! interpolating and a decimating stage built on each, and cascades of them. General
//! resampling machinery with no knowledge of what the upsampled signal is used for.

use crate::units::gain_to_db;
use std::f64::consts::PI;

/// A halfband lowpass `h[k]`, `k = −m..m` with `m` odd: `h[0] = ½`, `h[k] = 0` for even
/// `k ≠ 0`; stored as `odd[q] = h[m − 2q]`, `q = 0..(m+1)/2`.
#[derive(Debug, Clone)]
pub(super) struct Halfband {
    /// Half the length less one: the taps run `−m..m`.
    pub(super) m: usize,
    /// The odd taps, `odd[q] = h[m − 2q]`.
    odd: Vec<f64>,
}

/// Zeroth-order modified Bessel function of the first kind (series; converges fast for the
/// Kaiser window's arguments).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..200 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

impl Halfband {
    /// A Kaiser-windowed halfband whose transition band spans `transition` (as a fraction of
    /// its own sample rate) with at least `attenuation_db` in the stopband. Kaiser's formula
    /// gives the starting length; short filters fall a little short of it, so the length
    /// grows until the response, checked on a dense grid, meets the stopband.
    pub(super) fn kaiser(transition: f64, attenuation_db: f64) -> Halfband {
        let d_omega = 2.0 * PI * transition;
        let m_min = ((attenuation_db - 8.0) / (4.57 * d_omega)).ceil() as usize;
        let beta = 0.1102 * (attenuation_db - 8.7);
        let stop = 0.25 + transition / 2.0;
        let mut m = m_min.max(1) | 1;
        loop {
            let hb = Halfband::with_length(m, beta);
            let worst = (0..=2000)
                .map(|i| hb.response(stop + (0.5 - stop) * i as f64 / 2000.0).abs())
                .fold(0.0, f64::max);
            if gain_to_db(worst) <= -attenuation_db || m > 4096 {
                return hb;
            }
            m += 2;
        }
    }

    fn with_length(m: usize, beta: f64) -> Halfband {
        let i0_beta = bessel_i0(beta);
        let mut odd: Vec<f64> = (0..m.div_ceil(2))
            .map(|q| {
                let k = (m - 2 * q) as f64;
                let sinc = (PI * k / 2.0).sin() / (PI * k / 2.0);
                let r = k / m as f64;
                0.5 * sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta
            })
            .collect();
        // Unit DC gain with the centre tap kept at exactly ½, so that a constant is
        // interpolated exactly.
        let sum: f64 = odd.iter().sum::<f64>() * 2.0;
        for c in odd.iter_mut() {
            *c *= 0.5 / sum;
        }
        Halfband { m, odd }
    }

    /// The (real) frequency response at `f`, a fraction of the filter's rate.
    pub(super) fn response(&self, f: f64) -> f64 {
        let w = 2.0 * PI * f;
        0.5 + self
            .odd
            .iter()
            .enumerate()
            .map(|(q, c)| 2.0 * c * (w * (self.m - 2 * q) as f64).cos())
            .sum::<f64>()
    }
}

/// `out[i] = Σ_q odd[q]·(buf[i + m − q] + buf[i + q])` for every `i` in `out`: the halfband's
/// odd taps over a buffer holding `m` samples of history before the block. Eight outputs at a
/// time with their sums in registers, so that the loop vectorises across them.
#[inline(always)]
fn symmetric_fir_body(odd: &[f64], buf: &[f64], m: usize, out: &mut [f64]) {
    const LANES: usize = 8;
    let n = out.len();
    let mut i = 0;
    while i + LANES <= n {
        // Tap q reads the block's window at q (older) and at m − q (newer): windows of the
        // window, so that the loop has no bounds checks left.
        let window = &buf[i..i + m + LANES];
        let older = window.windows(LANES);
        let newer = window.windows(LANES).rev();
        let mut acc = [0.0; LANES];
        for ((c, older), newer) in odd.iter().zip(older).zip(newer) {
            for j in 0..LANES {
                acc[j] += c * (newer[j] + older[j]);
            }
        }
        out[i..i + LANES].copy_from_slice(&acc);
        i += LANES;
    }
    for (k, o) in out.iter_mut().enumerate().skip(i) {
        *o = odd
            .iter()
            .enumerate()
            .map(|(q, c)| c * (buf[k + m - q] + buf[k + q]))
            .sum();
    }
}

/// [`symmetric_fir_body`], compiled for AVX2 where the CPU has it (twice the lanes of the
/// SSE2 baseline) and for the baseline elsewhere.
#[inline]
fn symmetric_fir(odd: &[f64], buf: &[f64], m: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { symmetric_fir_avx2(odd, buf, m, out) };
        return;
    }
    symmetric_fir_body(odd, buf, m, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn symmetric_fir_avx2(odd: &[f64], buf: &[f64], m: usize, out: &mut [f64]) {
    symmetric_fir_body(odd, buf, m, out);
}

/// Interpolation by 2: zero-stuffing and the halfband (gain 2), a block at a time. The
/// buffer holds the last `m` inputs, oldest first, then the block.
#[derive(Debug, Clone)]
pub(super) struct UpStage {
    hb: Halfband,
    buf: Vec<f64>,
    acc: Vec<f64>,
}

impl UpStage {
    pub(super) fn new(hb: Halfband, max_in: usize) -> Self {
        let buf = vec![0.0; hb.m + max_in];
        UpStage {
            hb,
            buf,
            acc: vec![0.0; max_in],
        }
    }

    /// Interpolates `input`, writing `2·input.len()` samples to `out`.
    #[inline]
    pub(super) fn process(&mut self, input: &[f64], out: &mut [f64]) {
        let (m, n) = (self.hb.m, input.len());
        self.buf[m..m + n].copy_from_slice(input);
        let acc = &mut self.acc[..n];
        symmetric_fir(&self.hb.odd, &self.buf, m, acc);
        let buf = &self.buf;
        let centre = &buf[m.div_ceil(2)..m.div_ceil(2) + n];
        for ((pair, a), c) in out.chunks_exact_mut(2).zip(acc.iter()).zip(centre) {
            pair[0] = 2.0 * a;
            pair[1] = *c;
        }
        self.buf.copy_within(n..n + m, 0);
    }

    /// Clears the history.
    pub(super) fn clear(&mut self) {
        self.buf.fill(0.0);
    }
}

/// Decimation by 2 through the halfband, a block of pairs at a time: `even` holds the last
/// `m` second-of-pair samples then the block's, `odd` the last `(m−1)/2` first-of-pair ones.
#[derive(Debug, Clone)]
pub(super) struct DownStage {
    hb: Halfband,
    even: Vec<f64>,
    odd: Vec<f64>,
}

impl DownStage {
    pub(super) fn new(hb: Halfband, max_out: usize) -> Self {
        let even = vec![0.0; hb.m + max_out];
        let odd = vec![0.0; hb.m.div_ceil(2) + max_out];
        DownStage { hb, even, odd }
    }

    /// Decimates `input` (pairs), writing `input.len()/2` samples to `out`.
    #[inline]
    pub(super) fn process(&mut self, input: &[f64], out: &mut [f64]) {
        let (m, n) = (self.hb.m, input.len() / 2);
        let oh = (m - 1) / 2;
        for (i, pair) in input.chunks_exact(2).enumerate() {
            self.odd[oh + i] = pair[0];
            self.even[m + i] = pair[1];
        }
        let out = &mut out[..n];
        symmetric_fir(&self.hb.odd, &self.even, m, out);
        for (o, c) in out.iter_mut().zip(&self.odd[..n]) {
            *o += 0.5 * c;
        }
        self.even.copy_within(n..n + m, 0);
        self.odd.copy_within(n..n + oh, 0);
    }

    /// Clears the history.
    pub(super) fn clear(&mut self) {
        self.even.fill(0.0);
        self.odd.fill(0.0);
    }
}

/// `x` through the interpolating cascade `up` into `out` (`2^up.len()·x.len()` samples), with
/// `a` and `b` as scratch (each at least `out.len() / 2` long).
pub(super) fn interpolate(
    up: &mut [UpStage],
    a: &mut Vec<f64>,
    b: &mut Vec<f64>,
    x: &[f64],
    out: &mut [f64],
) {
    let mut n = x.len();
    a[..n].copy_from_slice(x);
    let last = up.len() - 1;
    for (s, stage) in up.iter_mut().enumerate() {
        if s == last {
            stage.process(&a[..n], &mut out[..2 * n]);
        } else {
            stage.process(&a[..n], &mut b[..2 * n]);
            std::mem::swap(a, b);
        }
        n *= 2;
    }
}

/// The samples in `top` (overwritten) through the decimating cascade `down`, with `tmp` as
/// scratch; all `top.len() / 2^down.len()` outputs are left at the front of `top`, and the
/// first is returned.
pub(super) fn decimate(down: &mut [DownStage], tmp: &mut [f64], top: &mut [f64]) -> f64 {
    let mut n = top.len();
    for stage in down.iter_mut() {
        stage.process(&top[..n], &mut tmp[..n / 2]);
        n /= 2;
        top[..n].copy_from_slice(&tmp[..n]);
    }
    top[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::db_to_gain;

    #[test]
    fn halfbands_meet_their_stopband() {
        for attenuation_db in [40.0, 70.0, 100.0] {
            for transition in [0.05, 0.1, 0.27, 0.44] {
                let hb = Halfband::kaiser(transition, attenuation_db);
                let stop = 0.25 + transition / 2.0;
                let worst = (0..=1000)
                    .map(|i| stop + (0.5 - stop) * i as f64 / 1000.0)
                    .map(|f| hb.response(f).abs())
                    .fold(0.0, f64::max);
                assert!(
                    gain_to_db(worst) <= -attenuation_db,
                    "transition {transition}: stopband {:.1} dB",
                    gain_to_db(worst)
                );
                // A Kaiser design's passband ripple is about its stopband's.
                let pass = 0.25 - transition / 2.0;
                let ripple = (0..=1000)
                    .map(|i| pass * i as f64 / 1000.0)
                    .map(|f| (hb.response(f) - 1.0).abs())
                    .fold(0.0, f64::max);
                assert!(
                    ripple <= db_to_gain(-attenuation_db),
                    "transition {transition}, {attenuation_db} dB: ripple {ripple}"
                );
            }
        }
    }

    /// A constant comes through an interpolating and a decimating cascade unchanged once
    /// their histories have filled: unit gain at DC, as the clamps' idle proofs assume.
    #[test]
    fn a_constant_passes_both_cascades() {
        let bands = [Halfband::kaiser(0.2, 70.0), Halfband::kaiser(0.35, 50.0)];
        let mut up: Vec<UpStage> = bands
            .iter()
            .enumerate()
            .map(|(s, b)| UpStage::new(b.clone(), 64 << s))
            .collect();
        let mut down: Vec<DownStage> = bands
            .iter()
            .enumerate()
            .rev()
            .map(|(s, b)| DownStage::new(b.clone(), 64 << s))
            .collect();
        let (mut a, mut b) = (vec![0.0; 256], vec![0.0; 256]);
        let mut top = vec![0.0; 256];
        let mut tmp = vec![0.0; 256];
        for block in 0..8 {
            interpolate(&mut up, &mut a, &mut b, &[0.7; 64], &mut top);
            if block > 2 {
                assert!(top.iter().all(|v| (v - 0.7).abs() < 1e-12), "up: {top:?}");
            }
            decimate(&mut down, &mut tmp, &mut top);
            if block > 4 {
                assert!(top[..64].iter().all(|v| (v - 0.7).abs() < 1e-12), "down");
            }
        }
    }
}
