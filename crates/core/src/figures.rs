//! Every figure of an output given by its figures, declared once: its name in the core and
//! in the catalog's files, the command line's flag (and the older spellings it still takes),
//! its unit, its plausible range, how the plugin's parameter shows it, what it means, and how
//! to read and write it in `OutputFigures`. The command line's flags and `key=value` figures,
//! the catalog's checks, the plugin's slot parameters and the editor's rows are all made from
//! [`OUTPUT_FIGURES`], so that a new figure is one more row here.

use crate::physics::output::OutputFigures;
use crate::plausible::{self, Quantity};

/// One figure of an output.
#[derive(Debug, Clone, Copy)]
pub struct FigureDef {
    /// Its name in the core, in the catalog's TOML and in JSON ("r_out_ohm").
    pub key: &'static str,
    /// The command line's flag, without its dashes ("r-out-ohm"); also the `key=value` key.
    pub flag: &'static str,
    /// Older flags and keys that still work ("zout").
    pub aliases: &'static [&'static str],
    /// Its plausible range and unit.
    pub quantity: Quantity,
    /// How its unit may be typed, the first as the command line names it.
    pub units: &'static [&'static str],
    /// The plugin parameter's name after the slot's letter ("output impedance").
    pub param: &'static str,
    /// The parameter's unit as shown after its value (" Ω").
    pub param_unit: &'static str,
    /// The parameter's default: what a new slot starts with.
    pub param_default: f64,
    /// The parameter slider's skew (a logarithmic feel for figures spanning decades).
    pub param_skew: f64,
    /// The value's name in the command line's help ("OHM").
    pub value_name: &'static str,
    /// What it is, in a line: a flag's help.
    pub help: &'static str,
    /// What it means to a producer: the editor's tooltip.
    pub tip: &'static str,
    /// Its value in `OutputFigures` (`None`: not given).
    pub get: fn(&OutputFigures) -> Option<f64>,
    /// Sets it in `OutputFigures` (weighting flags aside, which the caller decides).
    pub set: fn(&mut OutputFigures, f64),
}

/// Every figure of an output given by its figures, in the order the command line, the
/// plugin's slot and the editor list them.
pub const OUTPUT_FIGURES: [FigureDef; 8] = [
    FigureDef {
        key: "r_out_ohm",
        flag: "r-out-ohm",
        aliases: &["zout"],
        quantity: plausible::R_OUT_OHM,
        units: &["ohm", "ohms", "Ω", "r"],
        param: "output impedance",
        param_unit: " Ω",
        param_default: 10.0,
        param_skew: -2.0,
        value_name: "OHM",
        help: "output impedance (\"47\", \"47 ohm\")",
        tip: "The output's own resistance: it forms a divider with the headphone, so wherever the headphone's impedance changes with frequency, the level changes with it.",
        get: |f| Some(f.r_out_ohm),
        set: |f, v| f.r_out_ohm = v,
    },
    FigureDef {
        key: "coupling_cap_uf",
        flag: "coupling-cap-uf",
        aliases: &["coupling-uf"],
        quantity: plausible::COUPLING_CAP_UF,
        units: &["uf", "µf", "μf"],
        param: "coupling capacitor value",
        param_unit: " µF",
        param_default: 220.0,
        param_skew: -2.0,
        value_name: "UF",
        help: "a series coupling capacitor, as on many phones and laptops: it costs bass on low-impedance loads (\"220\", \"220 uF\")",
        tip: "A series capacitor, as on many phones and laptops: it costs bass on low-impedance loads.",
        get: |f| f.coupling_cap_uf,
        set: |f, v| f.coupling_cap_uf = Some(v),
    },
    FigureDef {
        key: "full_scale_dbu",
        flag: "full-scale-dbu",
        aliases: &["max-dbu"],
        quantity: plausible::FULL_SCALE_DBU,
        units: &["dbu"],
        param: "full-scale level",
        param_unit: " dBu",
        param_default: 10.0,
        param_skew: 0.0,
        value_name: "DBU",
        help: "maximum level: the EMF of a full-scale sine at full volume (\"10 dBu\")",
        tip: "The EMF a full-scale sine gives at full volume, in dBu: 0 dBu is 0.775 V RMS, so an output rated +10 dBu swings 2.45 V RMS.",
        get: |f| f.full_scale_dbu,
        set: |f, v| f.full_scale_dbu = Some(v),
    },
    FigureDef {
        key: "rail_v_peak",
        flag: "rail-v-peak",
        aliases: &["rail-v"],
        quantity: plausible::RAIL_V_PEAK,
        units: &["v", "vpk"],
        param: "rail limit",
        param_unit: " V",
        param_default: 15.0,
        param_skew: -2.0,
        value_name: "V",
        help: "voltage rails: the highest EMF the output stage can swing, V peak",
        tip: "The highest voltage the output stage can swing.",
        get: |f| f.rail_v_peak,
        set: |f, v| f.rail_v_peak = Some(v),
    },
    FigureDef {
        key: "i_max_ma_peak",
        flag: "i-max-ma-peak",
        aliases: &["imax-ma"],
        quantity: plausible::I_MAX_MA_PEAK,
        units: &["ma"],
        param: "current limit",
        param_unit: " mA",
        param_default: 500.0,
        param_skew: -2.5,
        value_name: "MA",
        help: "current limit: the most current the output stage can deliver, mA peak",
        tip: "The most current the output stage can deliver.",
        get: |f| f.i_max_ma_peak,
        set: |f, v| f.i_max_ma_peak = Some(v),
    },
    FigureDef {
        key: "r_sag_ohm",
        flag: "r-sag-ohm",
        aliases: &["sag-ohm"],
        quantity: plausible::R_SAG_OHM,
        units: &["ohm", "ohms", "Ω", "r"],
        param: "supply sag",
        param_unit: " Ω",
        param_default: 0.0,
        param_skew: -1.5,
        value_name: "OHM",
        help: "supply sag, ohms: the rails fall by this times the load's peak current",
        tip: "How much the output's rails fall as the headphone draws current, as a small amp's wall-adapter supply does: a heavy, low-impedance load then clips sooner than a light one, and a short burst gets through before the supply droops. 0 Ω is a stiff supply; it acts only where the rails, not the full scale, set the limit.",
        get: |f| f.r_sag_ohm,
        set: |f, v| f.r_sag_ohm = Some(v),
    },
    FigureDef {
        key: "dynamic_range_db",
        flag: "dynamic-range-db",
        aliases: &[],
        quantity: plausible::DYNAMIC_RANGE_DB,
        units: &["db"],
        param: "dynamic range",
        param_unit: " dB",
        param_default: 115.0,
        param_skew: 0.0,
        value_name: "DB",
        help: "dynamic range: the noise before the volume control, dB(A) below a full-scale sine",
        tip: "Noise before the volume control, below a full-scale sine: it falls with the volume.",
        get: |f| f.dynamic_range_db.map(|(v, _)| v),
        set: |f, v| f.dynamic_range_db = Some((v, true)),
    },
    FigureDef {
        key: "noise_floor_dbv",
        flag: "noise-floor-dbv",
        aliases: &["noise-dbv", "noise_dbv"],
        quantity: plausible::NOISE_DBV,
        units: &["dbv"],
        param: "noise floor",
        param_unit: " dBV",
        param_default: -110.0,
        param_skew: 0.0,
        value_name: "DBV",
        help: "noise floor after the volume control, dBV(A)",
        tip: "Noise after the volume control: it stays whatever the volume.",
        get: |f| f.noise_floor_dbv.map(|(v, _)| v),
        set: |f, v| f.noise_floor_dbv = Some((v, true)),
    },
];

/// The figure a key, flag or older spelling names ("r_out_ohm", "r-out-ohm", "zout").
pub fn output_figure(name: &str) -> Option<&'static FigureDef> {
    OUTPUT_FIGURES
        .iter()
        .find(|d| d.key == name || d.flag == name || d.aliases.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_named_once_and_reads_back_what_it_sets() {
        let mut names = std::collections::HashSet::new();
        for d in &OUTPUT_FIGURES {
            for n in std::iter::once(d.key)
                .chain([d.flag])
                .chain(d.aliases.iter().copied())
            {
                assert!(names.insert(n) || n == d.key.replace('_', "-"), "{n} twice");
                assert_eq!(output_figure(n).map(|f| f.key), Some(d.key));
            }
            let mut f = OutputFigures::default();
            let v = d.quantity.min + 0.25 * (d.quantity.max - d.quantity.min);
            (d.set)(&mut f, v);
            assert_eq!((d.get)(&f), Some(v), "{}", d.key);
            assert!(d.quantity.contains(d.param_default), "{}", d.key);
        }
        assert!(output_figure("nothing").is_none());
    }
}
