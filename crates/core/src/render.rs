//! Offline rendering through the plugin's own chain: the same designer and real-time engine,
//! driven from memory instead of a host, with the latency removed so that the output lines
//! up with the input sample for sample.

use crate::dsp::design::DesignMode;
use crate::dsp::designer::{DesignRequest, design_for};
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
    /// The filter design's worst magnitude error against the physics, dB.
    pub design_error_db: f64,
}

/// Frames per engine call.
const BLOCK: usize = 512;

/// Renders `input` (one `Vec` per channel, equal lengths) at `sample_rate_hz`. `progress` is
/// called with the fraction done, now and then.
pub fn render(
    input: &[Vec<f32>],
    sample_rate_hz: f64,
    settings: &RenderSettings,
    progress: &mut dyn FnMut(f64),
) -> (Vec<Vec<f32>>, RenderInfo) {
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
    let frames = input.first().map_or(0, Vec::len);
    let mut output: Vec<Vec<f32>> = input.to_vec();
    let mut info = RenderInfo {
        volume_db,
        target_reachable: result.target_volume.map(|(_, ok)| ok),
        latency_samples: 0,
        clipped_samples: 0,
        design_error_db: result.design.check_err_db,
    };
    let groups = output.len().div_ceil(MAX_CHANNELS).max(1);
    for (g, chans) in output.chunks_mut(MAX_CHANNELS).enumerate() {
        let mut engine = Engine::new(chans.len(), result.design);
        engine.set_noise(result.noise);
        engine.set_stage(stage);
        engine.reset();
        let latency = engine.latency_samples();
        info.latency_samples = latency;
        // Input, then `latency` samples of silence to flush the tail; the first `latency`
        // output samples are the chain's delay and are dropped.
        let total = frames + latency;
        let mut bufs: Vec<Vec<f32>> = vec![vec![0.0; BLOCK]; chans.len()];
        let mut pos = 0;
        while pos < total {
            let n = BLOCK.min(total - pos);
            for (b, c) in bufs.iter_mut().zip(chans.iter()) {
                for (i, s) in b[..n].iter_mut().enumerate() {
                    *s = c.get(pos + i).copied().unwrap_or(0.0);
                }
            }
            let mut slices: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..n]).collect();
            engine.process(&mut slices);
            for (b, c) in bufs.iter().zip(chans.iter_mut()) {
                for (i, s) in b[..n].iter().enumerate() {
                    if let Some(out) = (pos + i).checked_sub(latency) {
                        c[out] = *s;
                    }
                }
            }
            pos += n;
            progress((g as f64 + pos as f64 / total.max(1) as f64) / groups as f64);
        }
        info.clipped_samples += engine.take_clipped_samples();
    }
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
