//! `loadline response`: the headphone's impedance and each output's tonal deviation, as CSV,
//! PNG or the curve as a `.zma` file.

use crate::args::{HeadphoneArgs, OutputArgs, output_from_text};
use crate::io::{refuse_overwriting, write_file};
use anyhow::{anyhow, bail};
use clap::Args;
use loadline_core::import::to_zma;
use loadline_core::physics::impedance::MeasuredCurve;
use loadline_core::physics::output::OutputStage;
use loadline_core::report::{ResponsePoint, response};
use loadline_core::units::fmt_hz;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The arguments of `loadline response`.
#[derive(Args)]
pub(crate) struct ResponseArgs {
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    /// A second output to draw beside the first (a catalog name or key=value figures).
    #[arg(long, value_name = "OUTPUT")]
    pub(crate) compare: Option<String>,
    #[command(flatten)]
    pub(crate) headphone: HeadphoneArgs,
    /// Write the curves as CSV.
    #[arg(long, value_name = "FILE")]
    pub(crate) csv: Option<PathBuf>,
    /// Draw the curves as a PNG.
    #[arg(long, value_name = "FILE")]
    pub(crate) png: Option<PathBuf>,
    /// Write the headphone's impedance curve as a .zma file (REW / DATS style).
    #[arg(long, value_name = "FILE")]
    pub(crate) zma: Option<PathBuf>,
    /// Points per curve, log-spaced over 20 Hz–20 kHz.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub(crate) points: u32,
}

impl ResponseArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let ResponseArgs {
            output,
            compare,
            headphone,
            csv,
            png,
            zma,
            points,
        } = self;
        if csv.is_none() && png.is_none() && zma.is_none() {
            bail!("nothing to write: give --csv FILE, --png FILE or --zma FILE (- for stdout)");
        }
        // Every file named is checked before anything is computed or written.
        if let Some(input) = &headphone.headphone_file {
            for target in [&csv, &png, &zma].into_iter().flatten() {
                refuse_overwriting(target, input)?;
            }
        }
        if let Some(path) = &png
            && !path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            bail!("--png {}: a PNG file's name ends in .png", path.display());
        }
        let hp = headphone.resolve(None)?.seen_by(usize::MAX);
        if let Some(path) = &zma {
            let curve = MeasuredCurve::sampled_from(&hp.load, 5.0, 40_000.0, 400);
            write_file(path, to_zma(&curve, &hp.name).as_bytes())?;
        }
        if csv.is_none() && png.is_none() {
            return Ok(());
        }
        let mut outs = vec![output.resolve()?];
        if let Some(c) = &compare {
            outs.push(output_from_text(c)?.analysed()?);
        }
        let stages: Vec<OutputStage> = outs.iter().map(|o| o.stage).collect();
        let pts = response(&stages, &hp.load, points as usize);
        let names: Vec<&str> = outs.iter().map(|o| o.name.as_str()).collect();
        if let Some(path) = &csv {
            write_file(path, response_csv(&pts, &names).as_bytes())?;
        }
        if let Some(path) = &png {
            draw_png(path, &pts, &names, &hp.name)?;
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            eprintln!("{}: {bytes} bytes", path.display());
        }
        Ok(())
    }
}

/// The response as CSV: frequency, |Z|, phase, then per output the deviation and the level.
pub(crate) fn response_csv(pts: &[ResponsePoint], names: &[&str]) -> String {
    let mut s = String::from("freq_hz,z_mag_ohm,z_phase_deg");
    for (i, _) in names.iter().enumerate() {
        let _ = write!(s, ",deviation_db_{i},level_db_{i}");
    }
    s.push('\n');
    for (i, n) in names.iter().enumerate() {
        let _ = writeln!(s, "# output {i}: {}", n.replace('\n', " "));
    }
    for p in pts {
        let _ = write!(
            s,
            "{:.6},{:.6},{:.4}",
            p.freq_hz, p.z_mag_ohm, p.z_phase_deg
        );
        for (d, l) in p.deviation_db.iter().zip(&p.level_db) {
            let _ = write!(s, ",{d:.5},{l:.5}");
        }
        s.push('\n');
    }
    s
}

/// Draws |Z| and the deviations as a PNG (two panels, log frequency).
pub(crate) fn draw_png(
    path: &Path,
    pts: &[ResponsePoint],
    names: &[&str],
    hp: &str,
) -> anyhow::Result<()> {
    use plotters::prelude::*;
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| anyhow!("the embedded font did not load"))?;
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    let root = BitMapBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(340);
    let (f_lo, f_hi) = (pts[0].freq_hz, pts[pts.len() - 1].freq_hz);
    let z_max = pts.iter().map(|p| p.z_mag_ohm).fold(0.0, f64::max) * 1.1;
    let mut z_chart = ChartBuilder::on(&top)
        .caption(format!("{hp}: impedance"), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d((f_lo..f_hi).log_scale(), 0.0..z_max)
        .map_err(|e| err(&e))?;
    z_chart
        .configure_mesh()
        .x_desc("frequency")
        .x_label_formatter(&|f| fmt_hz(*f))
        .y_desc("|Z| (Ω)")
        .draw()
        .map_err(|e| err(&e))?;
    z_chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.freq_hz, p.z_mag_ohm)),
            BLACK.stroke_width(2),
        ))
        .map_err(|e| err(&e))?;
    let devs = pts.iter().flat_map(|p| p.deviation_db.iter().copied());
    let (lo, hi) = devs.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.1).max(0.25);
    let mut d_chart = ChartBuilder::on(&bottom)
        .caption("tonal deviation (relative to 1 kHz)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d((f_lo..f_hi).log_scale(), (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    d_chart
        .configure_mesh()
        .x_desc("frequency")
        .x_label_formatter(&|f| fmt_hz(*f))
        .y_desc("dB")
        .draw()
        .map_err(|e| err(&e))?;
    for (i, name) in names.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        d_chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.freq_hz, p.deviation_db[i])),
                colour.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    d_chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
