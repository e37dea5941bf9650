//! The live meters: the audio thread publishes each block's peaks and sums into atomics, the
//! editor takes them (swapping in zeros) once per frame. No locks, no allocation; neither side
//! ever waits for the other.

use atomic_float::AtomicF64;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What the audio thread measured since the editor last looked.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeterReading {
    /// Largest EMF the output was asked for, volts peak.
    pub emf_peak_v: f64,
    /// Largest load voltage, volts peak.
    pub load_peak_v: f64,
    /// Largest load current, amperes peak.
    pub current_peak_a: f64,
    /// Sum of the squared load voltage over `samples`, V².
    pub load_sum_sq_v2: f64,
    /// Samples (per channel, summed over channels) in `load_sum_sq_v2`.
    pub samples: u64,
    /// Samples in which a limit acted.
    pub clipped: u64,
}

/// The shared meter state.
#[derive(Debug, Default)]
pub struct Meters {
    shown: AtomicBool,
    emf_peak_v: AtomicF64,
    load_peak_v: AtomicF64,
    current_peak_a: AtomicF64,
    load_sum_sq_v2: AtomicF64,
    samples: AtomicU64,
    clipped: AtomicU64,
}

impl Meters {
    /// Whether an editor shows the meters (the audio thread measures only then).
    pub fn shown(&self) -> bool {
        self.shown.load(Ordering::Relaxed)
    }

    /// Called by the editor when it opens and closes.
    pub fn set_shown(&self, shown: bool) {
        self.shown.store(shown, Ordering::Relaxed);
    }

    /// Adds a block's measurements (audio thread: wait-free atomics).
    pub fn publish(&self, r: &MeterReading) {
        self.emf_peak_v.fetch_max(r.emf_peak_v, Ordering::Relaxed);
        self.load_peak_v.fetch_max(r.load_peak_v, Ordering::Relaxed);
        self.current_peak_a
            .fetch_max(r.current_peak_a, Ordering::Relaxed);
        self.load_sum_sq_v2
            .fetch_add(r.load_sum_sq_v2, Ordering::Relaxed);
        self.samples.fetch_add(r.samples, Ordering::Relaxed);
        self.clipped.fetch_add(r.clipped, Ordering::Relaxed);
    }

    /// Everything since the last call, and starts afresh (editor thread).
    pub fn take(&self) -> MeterReading {
        MeterReading {
            emf_peak_v: self.emf_peak_v.swap(0.0, Ordering::Relaxed),
            load_peak_v: self.load_peak_v.swap(0.0, Ordering::Relaxed),
            current_peak_a: self.current_peak_a.swap(0.0, Ordering::Relaxed),
            load_sum_sq_v2: self.load_sum_sq_v2.swap(0.0, Ordering::Relaxed),
            samples: self.samples.swap(0, Ordering::Relaxed),
            clipped: self.clipped.swap(0, Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_keeps_peaks_and_sums_and_taking_clears() {
        let m = Meters::default();
        m.publish(&MeterReading {
            emf_peak_v: 1.0,
            load_peak_v: 0.5,
            current_peak_a: 0.01,
            load_sum_sq_v2: 2.0,
            samples: 10,
            clipped: 1,
        });
        m.publish(&MeterReading {
            emf_peak_v: 0.5,
            load_peak_v: 0.7,
            current_peak_a: 0.005,
            load_sum_sq_v2: 1.0,
            samples: 5,
            clipped: 0,
        });
        let r = m.take();
        assert_eq!(
            r,
            MeterReading {
                emf_peak_v: 1.0,
                load_peak_v: 0.7,
                current_peak_a: 0.01,
                load_sum_sq_v2: 3.0,
                samples: 15,
                clipped: 1,
            }
        );
        assert_eq!(m.take(), MeterReading::default());
    }
}
