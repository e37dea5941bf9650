//! Loadline as a standalone application: the plugin and its editor on JACK, ALSA or a dummy
//! backend (`--backend dummy` needs no sound card). `--help` lists the options.

fn main() {
    nice_plug::prelude::nice_export_standalone::<loadline::Loadline>();
}
