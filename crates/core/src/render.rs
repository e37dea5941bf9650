//! Offline rendering through the plugin's own chain: the same designer and real-time engine,
//! driven from memory instead of a host, with the latency removed so that the output lines
//! up with the input sample for sample.

use crate::designer::{DesignRequest, design_for};
use crate::dsp::design::DesignMode;
use crate::dsp::engine::{Engine, MAX_CHANNELS, StageSettings};
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::OutputStage;
use crate::scenario::Level;

/// Everything a render depends on.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    /// The output.
    pub stage: OutputStage,
    /// The headphone.
    pub headphone: HeadphoneModel,
    /// Accuracy / latency mode (the latency is removed either way).
    pub mode: DesignMode,
    /// Remove the divider's broadband level loss (normalised at 1 kHz).
    pub level_match: bool,
    /// The listening level.
    pub level: Level,
    /// Whether the output's limits (full scale, rails, current) act.
    pub limits: bool,
    /// Whether the output's noise is added.
    pub noise: bool,
}

/// What a render did besides the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderInfo {
    /// The volume used, dB (derived with a target SPL).
    pub volume_db: f64,
    /// With a target SPL: whether the output reaches it.
    pub target_reachable: Option<bool>,
    /// The chain's latency that was removed, samples.
    pub latency_samples: usize,
    /// Samples (per channel, summed over channels) in which a limit acted.
    pub clipped_samples: u64,
    /// Samples rendered (frames times channels): what `clipped_samples` is out of.
    pub samples: u64,
    /// The filter design's worst magnitude error against the physics, dB.
    pub design_error_db: f64,
}

/// Frames per engine call.
const BLOCK: usize = 512;

/// A render in progress, fed block by block so that a file of any length renders in memory
/// that does not grow with it: each channel group's engine, one block being gathered, and how
/// much of the chain's delay is still to be dropped from the front of the output. The engines
/// always run whole blocks of `BLOCK` frames (but the last), whatever the sizes pushed, so the
/// output does not depend on how the input was read.
pub struct Renderer {
    /// One engine per group of up to `MAX_CHANNELS` channels.
    engines: Vec<Engine>,
    /// One block's buffer per channel.
    buffers: Vec<Vec<f32>>,
    /// Frames gathered in the buffers so far.
    filled: usize,
    /// Output samples (per channel) still to drop: the chain's delay.
    delay_left: usize,
    /// What the render did so far.
    info: RenderInfo,
}

impl Renderer {
    /// A render of `channels` channels at `sample_rate_hz`: designs the filter (off any
    /// real-time thread, as the plugin's designer does) and sets up the engines.
    pub fn new(channels: usize, sample_rate_hz: f64, settings: &RenderSettings) -> Self {
        let req = DesignRequest {
            sample_rate_hz,
            stage: settings.stage,
            mode: settings.mode,
            level_match: settings.level_match,
            level: settings.level,
        };
        let result = design_for(&req, &settings.headphone);
        let volume_db = req.level.volume_db(result.target_volume.map(|(v, _)| v));
        let stage =
            StageSettings::for_stage(&settings.stage, volume_db, settings.limits, settings.noise);
        let engines: Vec<Engine> = (0..channels.div_ceil(MAX_CHANNELS))
            .map(|g| {
                let group = MAX_CHANNELS.min(channels - g * MAX_CHANNELS);
                let mut engine = Engine::new(group, result.design);
                engine.set_noise(result.noise);
                engine.set_stage(stage);
                engine.reset();
                engine
            })
            .collect();
        let latency = engines.first().map_or(0, Engine::latency_samples);
        Renderer {
            engines,
            buffers: vec![vec![0.0; BLOCK]; channels],
            filled: 0,
            delay_left: latency,
            info: RenderInfo {
                volume_db,
                target_reachable: result.target_volume.map(|(_, ok)| ok),
                latency_samples: latency,
                clipped_samples: 0,
                samples: 0,
                design_error_db: result.design.check_err_db,
            },
        }
    }

    /// Renders `input` (one slice per channel, equal lengths), handing each finished stretch
    /// of output to `emit` (one slice per channel): the output lines up with the input, so
    /// over the whole render, [`Renderer::finish`] included, `emit` receives exactly as many
    /// frames as were pushed.
    pub fn push(&mut self, input: &[&[f32]], emit: &mut dyn FnMut(&[&[f32]])) {
        let frames = input.first().map_or(0, |c| c.len());
        self.info.samples += (frames * input.len()) as u64;
        let mut taken = 0;
        while taken < frames {
            let n = (BLOCK - self.filled).min(frames - taken);
            for (buffer, channel) in self.buffers.iter_mut().zip(input) {
                buffer[self.filled..self.filled + n].copy_from_slice(&channel[taken..taken + n]);
            }
            self.filled += n;
            taken += n;
            if self.filled == BLOCK {
                self.run(emit);
            }
        }
    }

    /// Flushes the chain's delay (as many frames of silence as its latency) and returns what
    /// the render did.
    pub fn finish(mut self, emit: &mut dyn FnMut(&[&[f32]])) -> RenderInfo {
        if self.filled > 0 {
            self.run(emit);
        }
        // The clamps count at the EMF, ahead of the output: what they count while the delay
        // is flushed lies past the input's end, in no sample of the file written.
        for engine in &mut self.engines {
            self.info.clipped_samples += engine.take_clipped_samples();
        }
        let silence = vec![0.0f32; self.info.latency_samples];
        let tail: Vec<&[f32]> = self.buffers.iter().map(|_| silence.as_slice()).collect();
        let samples = self.info.samples;
        self.push(&tail, emit);
        self.info.samples = samples;
        if self.filled > 0 {
            self.run(emit);
        }
        for engine in &mut self.engines {
            engine.take_clipped_samples();
        }
        self.info
    }

    /// Runs the gathered frames through the engines and emits what is past the chain's delay.
    fn run(&mut self, emit: &mut dyn FnMut(&[&[f32]])) {
        let n = std::mem::take(&mut self.filled);
        for (engine, group) in self
            .engines
            .iter_mut()
            .zip(self.buffers.chunks_mut(MAX_CHANNELS))
        {
            let mut slices: Vec<&mut [f32]> = group.iter_mut().map(|b| &mut b[..n]).collect();
            engine.process(&mut slices);
        }
        let dropped = self.delay_left.min(n);
        self.delay_left -= dropped;
        if dropped < n {
            let out: Vec<&[f32]> = self.buffers.iter().map(|b| &b[dropped..n]).collect();
            emit(&out);
        }
    }
}

/// Renders `input` (one `Vec` per channel, equal lengths) at `sample_rate_hz`, in memory.
/// `progress` is called with the fraction done, now and then.
pub fn render(
    input: &[Vec<f32>],
    sample_rate_hz: f64,
    settings: &RenderSettings,
    progress: &mut dyn FnMut(f64),
) -> (Vec<Vec<f32>>, RenderInfo) {
    let frames = input.first().map_or(0, Vec::len);
    let mut renderer = Renderer::new(input.len(), sample_rate_hz, settings);
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(frames); input.len()];
    let mut emit = |block: &[&[f32]]| {
        for (out, b) in output.iter_mut().zip(block) {
            out.extend_from_slice(b);
        }
    };
    for start in (0..frames).step_by(BLOCK * 16) {
        let end = frames.min(start + BLOCK * 16);
        let slices: Vec<&[f32]> = input.iter().map(|c| &c[start..end]).collect();
        renderer.push(&slices, &mut emit);
        progress(end as f64 / frames as f64);
    }
    let info = renderer.finish(&mut emit);
    (output, info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::headphone_models;

    #[test]
    fn an_ideal_output_renders_the_input_back_aligned() {
        let input: Vec<Vec<f32>> = (0..3)
            .map(|c| {
                (0..5000)
                    .map(|i| ((i * (c + 3)) as f32 * 0.01).sin() * 0.5)
                    .collect()
            })
            .collect();
        let settings = RenderSettings {
            stage: OutputStage::IDEAL,
            headphone: headphone_models()[0].clone(),
            mode: DesignMode::Exact,
            level_match: false,
            level: Level::VolumeDb(0.0),
            limits: true,
            noise: false,
        };
        let mut calls = 0;
        let (out, info) = render(&input, 48_000.0, &settings, &mut |_| calls += 1);
        assert!(info.latency_samples > 0 && calls > 0);
        for (a, b) in input.iter().zip(&out) {
            let worst = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-4, "{worst}");
        }
    }

    #[test]
    fn a_render_fed_in_blocks_of_any_size_is_the_render_of_the_whole() {
        // Nine channels (two engine groups), limits and noise on, pushed in uneven blocks:
        // the same samples, sample for sample, and the same number of frames out as in.
        let input: Vec<Vec<f32>> = (0..9)
            .map(|c| {
                (0..7000)
                    .map(|i| ((i * (c + 2)) as f32 * 0.013).sin() * 0.95)
                    .collect()
            })
            .collect();
        let settings = RenderSettings {
            stage: OutputStage {
                v_fs_peak: 2.0,
                rail_v_peak: 1.5,
                ..OutputStage::IDEAL
            },
            headphone: headphone_models()[2].clone(),
            mode: DesignMode::ZeroLatency,
            level_match: false,
            level: Level::VolumeDb(0.0),
            limits: true,
            noise: true,
        };
        let (whole, whole_info) = render(&input, 48_000.0, &settings, &mut |_| {});
        let mut renderer = Renderer::new(input.len(), 48_000.0, &settings);
        let mut streamed: Vec<Vec<f32>> = vec![Vec::new(); input.len()];
        let mut emit = |block: &[&[f32]]| {
            for (out, b) in streamed.iter_mut().zip(block) {
                out.extend_from_slice(b);
            }
        };
        let mut start = 0;
        for size in [1, 700, 3, 2048, 511, 4000].iter().cycle() {
            let end = (start + size).min(7000);
            let slices: Vec<&[f32]> = input.iter().map(|c| &c[start..end]).collect();
            renderer.push(&slices, &mut emit);
            start = end;
            if start == 7000 {
                break;
            }
        }
        let info = renderer.finish(&mut emit);
        assert_eq!(info, whole_info);
        assert!(info.clipped_samples > 0);
        assert_eq!(streamed, whole);
        assert!(streamed.iter().all(|c| c.len() == 7000));
    }

    #[test]
    fn the_volume_moves_the_clip_point_not_the_level() {
        // The output keeps the input's level (as the plugin does: the listener's own monitor
        // sets the loudness); the volume decides where the rails sit against the signal.
        let input = vec![(0..8000).map(|i| (i as f32 * 0.05).sin() * 0.9).collect()];
        let mut settings = RenderSettings {
            stage: OutputStage {
                v_fs_peak: 2.0,
                rail_v_peak: 1.0,
                ..OutputStage::IDEAL
            },
            headphone: headphone_models()[0].clone(),
            mode: DesignMode::Exact,
            level_match: false,
            level: Level::VolumeDb(0.0),
            limits: true,
            noise: false,
        };
        let (loud, info_loud) = render(&input, 44_100.0, &settings, &mut |_| {});
        settings.level = Level::VolumeDb(-20.0);
        let (quiet, info_quiet) = render(&input, 44_100.0, &settings, &mut |_| {});
        assert!(info_loud.clipped_samples > 1000 && info_quiet.clipped_samples == 0);
        let peak = |x: &[f32]| x[2000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // 0.9 of a 2 V full scale is 1.8 V: the 1 V rails cut it to 1 V, 0.5 of full scale,
        // plus the overshoot of a band-limited clip (Gibbs: under 9 %).
        let clipped = peak(&loud[0]);
        assert!((0.5..0.545).contains(&clipped), "{clipped}");
        assert!((peak(&quiet[0]) - 0.9).abs() < 0.01, "{}", peak(&quiet[0]));
    }
}
