//! What the editor's *Measure* panel and the audio thread share: the editor's side of the
//! take channel (the audio thread holds the other) and the sample rate the plugin runs at,
//! which the signal is made for.

use loadline_core::measure::take::{TakeControl, TakePlayer, take_channel};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// The editor's end of a measurement.
pub struct MeasureLink {
    /// Starts takes and receives them back (locked by the editor only).
    pub control: Mutex<TakeControl>,
    /// The sample rate of the last activation, Hz (0 before one).
    rate_hz: AtomicU32,
}

impl MeasureLink {
    /// A link and the audio thread's player at its other end.
    pub fn new() -> (Self, TakePlayer) {
        let (control, player) = take_channel();
        (
            MeasureLink {
                control: Mutex::new(control),
                rate_hz: AtomicU32::new(0),
            },
            player,
        )
    }

    /// Records the rate the plugin was activated at.
    pub fn set_rate_hz(&self, rate_hz: f64) {
        self.rate_hz
            .store(rate_hz.round() as u32, Ordering::Release);
    }

    /// The rate the plugin runs at, Hz (`None` before it was activated).
    pub fn rate_hz(&self) -> Option<f64> {
        match self.rate_hz.load(Ordering::Acquire) {
            0 => None,
            r => Some(f64::from(r)),
        }
    }
}
