//! The migration of states saved by older versions.
//!
//! It runs once, on a saved state, before any parameter exists; kept apart, it reads as the
//! record of what changed in the stored ids between versions.

use loadline_core::scenario::OutputChoice;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// Brings a state saved by an older version up to this one (nice-plug calls it before
/// loading): 0.1.x stored the headphone as one of five named models and had a single output,
/// which becomes slot A's custom figures.
pub fn migrate_state(state: &mut PluginState) {
    let params = &mut state.params;
    if let Some(ParamValue::String(id)) = params.get("hp") {
        // The five models of 0.1.x are the catalog's first five headphones, in order.
        let index = ["dyn300", "dyn38", "planar37", "ba1", "bamulti"]
            .iter()
            .position(|k| k == id)
            .unwrap_or(0);
        params.insert("hp".into(), ParamValue::I32(index as i32));
    }
    if state.version.starts_with("0.1.") && !params.contains_key("outa") {
        params.insert(
            "outa".into(),
            ParamValue::I32(OutputChoice::Custom.to_param()),
        );
        params.insert("heard".into(), ParamValue::String("a".into()));
    }
}
