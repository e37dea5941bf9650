//! One pass of a measurement played and recorded by the plugin itself: the editor makes a
//! [`Take`] (the signal and room for the recording, allocated on its thread) and hands it to
//! the audio thread through a wait-free ring; the audio thread plays the signal on the output
//! (the signal alone, so that nothing of the input feeds back), records the input in place,
//! and hands the take back when it is whole. The audio thread never allocates or frees: every
//! buffer comes and goes in its box.

use super::recording::Recording;
use super::signal::signal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How long a take records past the signal's end, seconds: the round trip through the
/// interface (its output and input latencies and the host's buffers) must fit in it.
pub const TAKE_TAIL_S: f64 = 2.0;

/// One pass: the signal to play and the recording of the input while it plays.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    /// The sample rate both are at, Hz.
    pub rate_hz: f64,
    /// The signal (left: the measurement; right: the pilot).
    pub signal: Vec<[f32; 2]>,
    /// The input as recorded, frame by frame from the first sample played.
    pub recorded: Vec<[f32; 2]>,
    /// The frames played and recorded so far.
    pub pos: usize,
}

impl Take {
    /// A take of the signal at `rate_hz`, with room for its recording.
    pub fn new(rate_hz: f64) -> Box<Self> {
        let (frames, _) = signal(rate_hz);
        let len = frames.len() + (TAKE_TAIL_S * rate_hz) as usize;
        Box::new(Take {
            rate_hz,
            signal: frames,
            recorded: vec![[0.0; 2]; len],
            pos: 0,
        })
    }

    /// Whether the whole recording is in.
    pub fn is_whole(&self) -> bool {
        self.pos >= self.recorded.len()
    }

    /// Records `channels` (the input, in place) and writes the signal over them, for as many
    /// frames as the take still needs; returns the frames taken. A mono bus records its one
    /// channel as both inputs and plays the measurement's channel. Allocation-free.
    pub fn play_and_record(&mut self, channels: &mut [&mut [f32]]) -> usize {
        let frames = channels.first().map_or(0, |c| c.len());
        let n = frames.min(self.recorded.len() - self.pos);
        for i in 0..n {
            let left = channels.first().map_or(0.0, |c| c[i]);
            let right = channels.get(1).map_or(left, |c| c[i]);
            self.recorded[self.pos] = [left, right];
            let played = self.signal.get(self.pos).copied().unwrap_or([0.0; 2]);
            for (k, c) in channels.iter_mut().enumerate() {
                c[i] = played[k.min(1)];
            }
            self.pos += 1;
        }
        n
    }

    /// The recording, named `name` for messages.
    pub fn recording(&self, name: &str) -> Recording {
        Recording {
            name: name.into(),
            rate_hz: self.rate_hz,
            left: self.recorded.iter().map(|f| f64::from(f[0])).collect(),
            right: self.recorded.iter().map(|f| f64::from(f[1])).collect(),
        }
    }
}

/// What the editor's and the audio thread's sides share: how far the take has come, and a
/// request to stop it.
#[derive(Debug, Default)]
struct Shared {
    pos: AtomicUsize,
    len: AtomicUsize,
    cancel: AtomicBool,
}

/// The editor's side: starts takes and receives them whole (or cancelled).
pub struct TakeControl {
    to_audio: rtrb::Producer<Box<Take>>,
    from_audio: rtrb::Consumer<Box<Take>>,
    shared: Arc<Shared>,
    running: bool,
}

/// The audio thread's side: plays and records the take it was given.
pub struct TakePlayer {
    from_control: rtrb::Consumer<Box<Take>>,
    to_control: rtrb::Producer<Box<Take>>,
    shared: Arc<Shared>,
    current: Option<Box<Take>>,
}

/// A connected pair of sides.
pub fn take_channel() -> (TakeControl, TakePlayer) {
    let (to_audio, from_control) = rtrb::RingBuffer::new(2);
    let (to_control, from_audio) = rtrb::RingBuffer::new(2);
    let shared = Arc::new(Shared::default());
    (
        TakeControl {
            to_audio,
            from_audio,
            shared: shared.clone(),
            running: false,
        },
        TakePlayer {
            from_control,
            to_control,
            shared,
            current: None,
        },
    )
}

impl TakeControl {
    /// Starts `take` (refused, and given back, while another runs).
    pub fn start(&mut self, take: Box<Take>) -> Result<(), Box<Take>> {
        if self.running {
            return Err(take);
        }
        self.shared.cancel.store(false, Ordering::Release);
        self.shared.pos.store(0, Ordering::Release);
        self.shared
            .len
            .store(take.recorded.len(), Ordering::Release);
        self.to_audio
            .push(take)
            .map_err(|rtrb::PushError::Full(t)| t)?;
        self.running = true;
        Ok(())
    }

    /// Asks the audio thread to stop the take; it comes back through [`Self::finished`].
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Release);
    }

    /// Whether a take is out with the audio thread.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// How far the running take has come, 0 to 1.
    pub fn progress(&self) -> f32 {
        let len = self.shared.len.load(Ordering::Acquire).max(1);
        self.shared.pos.load(Ordering::Acquire) as f32 / len as f32
    }

    /// The take back from the audio thread, whole or cancelled, once it is.
    pub fn finished(&mut self) -> Option<Box<Take>> {
        let take = self.from_audio.pop().ok()?;
        self.running = false;
        Some(take)
    }
}

impl TakePlayer {
    /// Plays and records the current take over `channels` (the input in place), and returns
    /// whether it did: then the block is the signal alone and nothing else should process it.
    /// A take that is whole or cancelled goes back to the editor's side. Wait-free and
    /// allocation-free.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) -> bool {
        if self.current.is_none() {
            self.current = self.from_control.pop().ok();
        }
        let Some(take) = self.current.as_mut() else {
            return false;
        };
        if !self.shared.cancel.load(Ordering::Acquire) {
            let n = take.play_and_record(channels);
            // Whatever the take did not need of the block is silence.
            for c in channels.iter_mut() {
                c[n..].fill(0.0);
            }
            self.shared.pos.store(take.pos, Ordering::Release);
        } else {
            for c in channels.iter_mut() {
                c.fill(0.0);
            }
        }
        if (take.is_whole() || self.shared.cancel.load(Ordering::Acquire))
            && let Some(done) = self.current.take()
            && let Err(rtrb::PushError::Full(back)) = self.to_control.push(done)
        {
            // The editor's side has not taken the last one yet: hold this one until it has.
            self.current = Some(back);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_take_plays_the_signal_records_the_input_and_comes_back_whole() {
        let (mut control, mut player) = take_channel();
        let rate = 48_000.0;
        control.start(Take::new(rate)).unwrap();
        assert!(
            control.start(Take::new(rate)).is_err(),
            "one take at a time"
        );
        let mut n = 0usize;
        let mut played = Vec::new();
        while control.is_running() {
            let mut l: Vec<f32> = (0..512).map(|i| (n + i) as f32).collect();
            let mut r = l.clone();
            assert!(player.process(&mut [&mut l, &mut r]));
            played.extend(l.iter().copied());
            n += 512;
            if let Some(take) = control.finished() {
                assert!(take.is_whole());
                assert_eq!(take.recorded[1000], [1000.0, 1000.0]);
                let (signal, _) = signal(rate);
                assert_eq!(
                    played[..signal.len()],
                    signal.iter().map(|f| f[0]).collect::<Vec<_>>()[..]
                );
                assert!(played[signal.len()..].iter().all(|&v| v == 0.0));
                return;
            }
        }
        panic!("the take never came back");
    }

    #[test]
    fn a_cancelled_take_comes_back_and_the_block_is_silent() {
        let (mut control, mut player) = take_channel();
        control.start(Take::new(48_000.0)).unwrap();
        let mut l = vec![0.5f32; 256];
        assert!(player.process(&mut [&mut l]));
        control.cancel();
        let mut l = vec![0.5f32; 256];
        assert!(player.process(&mut [&mut l]));
        assert!(l.iter().all(|&v| v == 0.0));
        let take = control.finished().expect("back");
        assert_eq!(take.pos, 256);
        let mut l = vec![0.5f32; 256];
        assert!(!player.process(&mut [&mut l]), "nothing to play");
        assert_eq!(l[0], 0.5);
    }
}
