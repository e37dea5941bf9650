//! A minimal CLAP host on `clack-host`, enough to load the bundled Loadline like a DAW does:
//! list and set parameters, pick a port layout and render mode, activate, process, save and
//! load state, list the presets its preset-discovery factory offers and load them.

#![allow(dead_code)]

use clack_extensions::audio_ports_config::PluginAudioPortsConfig;
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::preset_discovery::HostPresetLoadImpl;
use clack_extensions::preset_discovery::prelude::*;
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Where `cargo xtask bundle loadline --release` puts the CLAP bundle, unless
/// `LOADLINE_CLAP` names another (the allocation check uses a debug bundle).
pub fn bundle_path() -> PathBuf {
    if let Ok(p) = std::env::var("LOADLINE_CLAP") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bundled/Loadline.clap");
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask bundle loadline --release` first (the README's test \
         command does)",
        p.display()
    );
    p
}

/// What the plugin asked of the host, and when it told the host its latency changed.
#[derive(Debug, Default)]
pub struct HostFlags {
    /// The plugin asked for a restart (deactivate, activate) since the flag was last taken.
    restart_requested: AtomicBool,
    /// The plugin asked for `on_main_thread` since the flag was last taken.
    callback_requested: AtomicBool,
    /// The host is inside `clap_plugin::activate`.
    activating: AtomicBool,
    /// Calls of `clap_host_latency::changed` from inside `activate` (allowed).
    latency_changed_in_activate: AtomicU32,
    /// Calls of `clap_host_latency::changed` anywhere else (a CLAP rule broken).
    latency_changed_elsewhere: AtomicU32,
    /// Calls of `clap_host_preset_load::loaded`.
    pub presets_loaded: AtomicU32,
    /// What `clap_host_preset_load::on_error` said, in order.
    pub preset_errors: Mutex<Vec<String>>,
}

impl HostFlags {
    /// Calls of `clap_host_latency::changed`: (inside `activate`, elsewhere).
    pub fn latency_changed_calls(&self) -> (u32, u32) {
        (
            self.latency_changed_in_activate.load(Ordering::SeqCst),
            self.latency_changed_elsewhere.load(Ordering::SeqCst),
        )
    }
}

struct Shared {
    flags: Arc<HostFlags>,
}
impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {
        self.flags.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.flags.callback_requested.store(true, Ordering::SeqCst);
    }
}

struct MainThread {
    flags: Arc<HostFlags>,
}
impl MainThreadHandler<'_> for MainThread {}
impl HostLatencyImpl for MainThread {
    fn changed(&self) {
        let counter = if self.flags.activating.load(Ordering::SeqCst) {
            &self.flags.latency_changed_in_activate
        } else {
            &self.flags.latency_changed_elsewhere
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostPresetLoadImpl for MainThread {
    fn on_error(&self, _: Location, _: Option<&CStr>, _: i32, message: Option<&CStr>) {
        let message = message.map_or(String::new(), |m| m.to_string_lossy().into());
        self.flags.preset_errors.lock().unwrap().push(message);
    }
    fn loaded(&self, _: Location, _: Option<&CStr>) {
        self.flags.presets_loaded.fetch_add(1, Ordering::SeqCst);
    }
}

struct Host;
impl HostHandlers for Host {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostLatency>();
        builder.register::<HostPresetLoad>();
    }
}

/// One parameter as the host sees it.
#[derive(Debug, Clone)]
pub struct ParamDesc {
    /// CLAP parameter id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Plain minimum.
    pub min: f64,
    /// Plain maximum.
    pub max: f64,
    /// Plain default.
    pub default: f64,
}

/// What the plugin's descriptor tells a host before it is instantiated.
#[derive(Debug, Clone)]
pub struct Descriptor {
    /// Vendor.
    pub vendor: String,
    /// Web site (empty for none).
    pub url: String,
    /// Support address (empty for none).
    pub support_url: String,
    /// Version.
    pub version: String,
    /// CLAP features, in order.
    pub features: Vec<String>,
}

/// A place the plugin's preset provider declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLocation {
    /// Its name.
    pub name: String,
    /// Its flags (factory, user…), as CLAP's bits.
    pub flags: u32,
    /// The file or folder, or `None` for presets inside the plugin.
    pub path: Option<CString>,
}

/// One preset the provider listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedPreset {
    /// The location it was found at: the plugin (`None`) or a file.
    pub file: Option<CString>,
    /// Its name.
    pub name: String,
    /// Its load key, when its location holds several.
    pub load_key: Option<CString>,
    /// Its description.
    pub description: String,
    /// The plugin ids it loads into (`abi:id`).
    pub plugin_ids: Vec<String>,
}

/// What the provider declared, and what it listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// The locations declared.
    pub locations: Vec<ListedLocation>,
    /// The file extensions declared.
    pub extensions: Vec<String>,
    /// The presets listed, location by location.
    pub presets: Vec<ListedPreset>,
    /// What the provider reported as errors while listing.
    pub errors: Vec<String>,
}

impl IndexerImpl for Listing {
    fn declare_filetype(&mut self, file_type: FileType) -> Result<(), HostError> {
        self.extensions.push(
            file_type
                .file_extension
                .map_or(String::new(), |e| e.to_string_lossy().into()),
        );
        Ok(())
    }
    fn declare_location(&mut self, location: LocationInfo) -> Result<(), HostError> {
        self.locations.push(ListedLocation {
            name: location.name.to_string_lossy().into(),
            flags: location.flags.bits(),
            path: match location.location {
                Location::Plugin => None,
                Location::File { path } => Some(path.into()),
            },
        });
        Ok(())
    }
    fn declare_soundpack(&mut self, _: Soundpack) -> Result<(), HostError> {
        Ok(())
    }
}

/// Collects the presets of one location.
struct Receiver<'a> {
    file: Option<CString>,
    listing: &'a mut Listing,
}

impl MetadataReceiverImpl for Receiver<'_> {
    fn on_error(&mut self, _: i32, message: Option<&CStr>) {
        let message = message.map_or(String::new(), |m| m.to_string_lossy().into());
        self.listing.errors.push(message);
    }
    fn begin_preset(
        &mut self,
        name: Option<&CStr>,
        load_key: Option<&CStr>,
    ) -> Result<(), HostError> {
        self.listing.presets.push(ListedPreset {
            file: self.file.clone(),
            name: name.map_or(String::new(), |n| n.to_string_lossy().into()),
            load_key: load_key.map(CString::from),
            ..ListedPreset::default()
        });
        Ok(())
    }
    fn add_plugin_id(&mut self, id: UniversalPluginId<'_>) {
        if let Some(p) = self.listing.presets.last_mut() {
            p.plugin_ids.push(format!(
                "{}:{}",
                id.abi.to_string_lossy(),
                id.id.to_string_lossy()
            ));
        }
    }
    fn set_soundpack_id(&mut self, _: &CStr) {}
    fn set_flags(&mut self, _: Flags) {}
    fn add_creator(&mut self, _: &CStr) {}
    fn set_description(&mut self, description: &CStr) {
        if let Some(p) = self.listing.presets.last_mut() {
            p.description = description.to_string_lossy().into();
        }
    }
    fn set_timestamps(&mut self, _: Option<Timestamp>, _: Option<Timestamp>) {}
    fn add_feature(&mut self, _: &CStr) {}
    fn add_extra_info(&mut self, _: &CStr, _: &CStr) {}
}

fn host_info() -> HostInfo {
    HostInfo::new(
        "loadline-tests",
        "Loadline",
        "https://example.invalid",
        "1.0",
    )
    .unwrap()
}

/// A loaded plugin instance.
pub struct LoadedPlugin {
    // Field order matters: the instance must drop before the entry (library) it came from.
    instance: PluginInstance<Host>,
    entry: PluginEntry,
    /// Parameters by name.
    pub params: BTreeMap<String, ParamDesc>,
    /// What the plugin asked of the host.
    pub flags: Arc<HostFlags>,
    /// The plugin's descriptor.
    pub descriptor: Descriptor,
}

impl LoadedPlugin {
    /// Loads the bundle and instantiates Loadline.
    pub fn load() -> Self {
        let path = bundle_path();
        // SAFETY: loading a plugin library runs its code; it is our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.expect("loading the CLAP bundle");
        let factory = entry.get_plugin_factory().expect("plugin factory");
        let desc = factory
            .plugin_descriptors()
            .next()
            .expect("one plugin in the bundle");
        let text =
            |c: Option<&std::ffi::CStr>| c.map_or(String::new(), |c| c.to_string_lossy().into());
        let descriptor = Descriptor {
            vendor: text(desc.vendor()),
            url: text(desc.url()),
            support_url: text(desc.support_url()),
            version: text(desc.version()),
            features: desc
                .features()
                .map(|f| f.to_string_lossy().into())
                .collect(),
        };
        let id = CString::from(desc.id().expect("plugin id"));
        assert_eq!(id.to_str().unwrap(), "com.loadline.loadline");
        let host_info = host_info();
        let flags = Arc::new(HostFlags::default());
        let mut instance = PluginInstance::<Host>::new(
            |_| Shared {
                flags: flags.clone(),
            },
            |shared| MainThread {
                flags: shared.flags.clone(),
            },
            &entry,
            &id,
            &host_info,
        )
        .expect("instance");
        let mut params = BTreeMap::new();
        {
            let handle = instance.plugin_handle();
            let ext: PluginParams = handle.get_extension().expect("params extension");
            let mut buf = ParamInfoBuffer::new();
            for i in 0..ext.count(&handle) {
                let info = ext.get_info(&handle, i, &mut buf).expect("param info");
                let name = String::from_utf8_lossy(info.name)
                    .trim_end_matches('\0')
                    .to_string();
                params.insert(
                    name.clone(),
                    ParamDesc {
                        id: info.id.get(),
                        name,
                        min: info.min_value,
                        max: info.max_value,
                        default: info.default_value,
                    },
                );
            }
        }
        LoadedPlugin {
            instance,
            entry,
            params,
            flags,
            descriptor,
        }
    }

    /// The id of the parameter called `name`.
    pub fn id(&self, name: &str) -> u32 {
        self.params
            .get(name)
            .unwrap_or_else(|| panic!("no parameter {name:?}"))
            .id
    }

    /// The plugin's text for `value` of parameter `name`.
    pub fn value_to_text(&mut self, name: &str, value: f64) -> String {
        let id = self.id(name);
        let handle = self.instance.plugin_handle();
        let ext: PluginParams = handle.get_extension().unwrap();
        let mut buf = [0u8; 256];
        let out = ext
            .value_to_text(&handle, ClapId::new(id), value, &mut buf)
            .expect("value_to_text");
        String::from_utf8_lossy(out)
            .trim_end_matches('\0')
            .to_string()
    }

    /// The plugin's parse of `text` for parameter `name`.
    pub fn text_to_value(&mut self, name: &str, text: &str) -> Option<f64> {
        let id = self.id(name);
        let handle = self.instance.plugin_handle();
        let ext: PluginParams = handle.get_extension().unwrap();
        let c = CString::new(text).unwrap();
        ext.text_to_value(&handle, ClapId::new(id), &c)
    }

    /// The current value of parameter `name` as the plugin shows it.
    pub fn current_text(&mut self, name: &str) -> String {
        let v = self.get_value(name);
        self.value_to_text(name, v)
    }

    /// The current plain value of parameter `name`.
    pub fn get_value(&mut self, name: &str) -> f64 {
        let id = self.id(name);
        let handle = self.instance.plugin_handle();
        let ext: PluginParams = handle.get_extension().unwrap();
        ext.get_value(&handle, ClapId::new(id)).expect("get_value")
    }

    /// Sets parameters `(id, plain value)` through `clap_plugin_params::flush`, as a host does
    /// while the plugin is not active.
    pub fn flush(&mut self, changes: &[(u32, f64)]) {
        let ext: PluginParams = self
            .instance
            .plugin_handle()
            .get_extension()
            .expect("params extension");
        let mut handle = self
            .instance
            .inactive_plugin_handle()
            .expect("flush() is for an inactive plugin");
        let events = param_events(changes);
        let mut out_events = EventBuffer::new();
        ext.flush(&mut handle, &events.as_input(), &mut out_events.as_output());
    }

    /// Lists the presets the bundle's preset-discovery factory offers, as a host's indexer
    /// does: every provider's declared locations, the plugin's and each file in a declared
    /// folder with a declared extension. `None` when the bundle has no such factory.
    pub fn list_presets(&self) -> Option<Listing> {
        let factory: PresetDiscoveryFactory = self.entry.get_factory()?;
        let mut all = Listing::default();
        for descriptor in factory.provider_descriptors() {
            let id = descriptor.id().expect("a provider id");
            let mut provider =
                Provider::instantiate(Listing::default(), &self.entry, id, &host_info())
                    .expect("the provider starts");
            let declared = std::mem::take(provider.indexer_mut());
            let mut listing = Listing {
                locations: declared.locations.clone(),
                extensions: declared.extensions.clone(),
                ..Listing::default()
            };
            for location in &declared.locations {
                let files = match &location.path {
                    None => vec![None],
                    Some(path) => files_in(path, &declared.extensions),
                };
                for file in files {
                    let at = match &file {
                        None => Location::Plugin,
                        Some(path) => Location::File { path },
                    };
                    let mut receiver = Receiver {
                        file: file.clone(),
                        listing: &mut listing,
                    };
                    provider.get_metadata(at, &mut receiver);
                }
            }
            all.locations.extend(listing.locations);
            all.extensions.extend(listing.extensions);
            all.presets.extend(listing.presets);
            all.errors.extend(listing.errors);
        }
        Some(all)
    }

    /// Loads `preset` through the plugin's preset-load extension; false when the plugin says
    /// it could not.
    pub fn load_preset(&mut self, preset: &ListedPreset) -> bool {
        let handle = self.instance.plugin_handle();
        let ext: PluginPresetLoad = handle.get_extension().expect("preset-load extension");
        let at = match &preset.file {
            None => Location::Plugin,
            Some(path) => Location::File { path },
        };
        let loaded = ext
            .load_from_location(&handle, at, preset.load_key.as_deref())
            .is_ok();
        self.pump_main_thread();
        loaded
    }

    /// Runs the plugin's main-thread callback if it asked for one, as a host's event loop does.
    pub fn pump_main_thread(&mut self) {
        if self.flags.callback_requested.swap(false, Ordering::SeqCst) {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Selects the audio-ports configuration with `channels` channels (1 or 2).
    pub fn select_channels(&mut self, channels: u32) {
        let handle = self.instance.plugin_handle();
        let ext: PluginAudioPortsConfig = handle.get_extension().expect("audio-ports-config");
        // nice-plug numbers its configurations in AUDIO_IO_LAYOUTS order: stereo, mono.
        let id = if channels == 2 { 0 } else { 1 };
        ext.select(&self.instance.plugin_handle(), ClapId::new(id))
            .expect("select layout");
    }

    /// Sets the render mode (offline renders wait for new filter designs).
    pub fn set_offline(&mut self, offline: bool) {
        let handle = self.instance.plugin_handle();
        let ext: PluginRender = handle.get_extension().expect("render extension");
        let mode = if offline {
            RenderMode::Offline
        } else {
            RenderMode::Realtime
        };
        ext.set(&handle, mode).expect("render mode");
    }

    /// The latency the plugin reports, samples.
    pub fn latency(&mut self) -> u32 {
        let handle = self.instance.plugin_handle();
        let ext: PluginLatency = handle.get_extension().expect("latency extension");
        ext.get(&handle)
    }

    /// Saves the plugin state.
    pub fn save_state(&mut self) -> Vec<u8> {
        save_state(&mut self.instance)
    }

    /// Loads a plugin state; false when the plugin refuses it.
    pub fn load_state(&mut self, bytes: &[u8]) -> bool {
        let handle = self.instance.plugin_handle();
        let ext: PluginState = handle.get_extension().expect("state extension");
        ext.load(&handle, &mut &bytes[..]).is_ok()
    }

    /// Activates at `sample_rate` and hands back a processor for `channels` channels.
    pub fn activate(&mut self, sample_rate: f64, max_block: u32, channels: usize) -> Processor<'_> {
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block,
        };
        let started = start(&mut self.instance, &self.flags, config);
        Processor {
            owner: &mut self.instance,
            flags: self.flags.clone(),
            config,
            processor: Some(started),
            channels,
            max_block: max_block as usize,
            in_ports: AudioPorts::with_capacity(channels, 1),
            out_ports: AudioPorts::with_capacity(channels, 1),
            ins: vec![vec![0.0; max_block as usize]; channels],
            outs: vec![vec![0.0; max_block as usize]; channels],
        }
    }
}

/// Activates `instance` with `config` (telling the latency extension that the host is inside
/// `activate`) and starts processing.
fn start(
    instance: &mut PluginInstance<Host>,
    flags: &HostFlags,
    config: PluginAudioConfiguration,
) -> StartedPluginAudioProcessor<Host> {
    flags.activating.store(true, Ordering::SeqCst);
    let stopped = instance.activate(|_, _| (), config);
    flags.activating.store(false, Ordering::SeqCst);
    stopped
        .expect("activate")
        .start_processing()
        .expect("start processing")
}

/// Parameter value events `(id, plain value)` at the first sample.
fn param_events(changes: &[(u32, f64)]) -> EventBuffer {
    let mut events = EventBuffer::new();
    for &(id, v) in changes {
        events.push(&ParamValueEvent::new(
            0,
            ClapId::new(id),
            Pckn::match_all(),
            v,
        ));
    }
    events
}

/// An activated, processing plugin. Deactivates on drop.
pub struct Processor<'a> {
    owner: &'a mut PluginInstance<Host>,
    flags: Arc<HostFlags>,
    config: PluginAudioConfiguration,
    processor: Option<StartedPluginAudioProcessor<Host>>,
    channels: usize,
    max_block: usize,
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    ins: Vec<Vec<f32>>,
    outs: Vec<Vec<f32>>,
}

impl Processor<'_> {
    /// Processes one block (at most `max_block` frames) of `input[ch][..]`, applying the
    /// parameter changes `(id, plain value)` at its first sample; returns the output.
    pub fn block(&mut self, input: &[&[f32]], changes: &[(u32, f64)]) -> Vec<Vec<f32>> {
        let n = input[0].len();
        assert!(n <= self.max_block && input.len() == self.channels);
        for (buf, samples) in self.ins.iter_mut().zip(input) {
            buf[..n].copy_from_slice(samples);
        }
        let events = param_events(changes);
        let mut out_events = EventBuffer::new();
        let ins = &mut self.ins;
        let outs = &mut self.outs;
        let input_audio = self.in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                ins.iter_mut().map(|b| InputChannel::variable(&mut b[..n])),
            ),
        }]);
        let mut output_audio = self.out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(outs.iter_mut().map(|b| &mut b[..n])),
        }]);
        self.processor
            .as_mut()
            .unwrap()
            .process(
                &input_audio,
                &mut output_audio,
                &events.as_input(),
                &mut out_events.as_output(),
                None,
                None,
            )
            .expect("process");
        self.outs.iter().map(|b| b[..n].to_vec()).collect()
    }

    /// Renders a whole signal in blocks of `block` frames, parameter changes at the start.
    pub fn render(
        &mut self,
        input: &[Vec<f32>],
        block: usize,
        changes: &[(u32, f64)],
    ) -> Vec<Vec<f32>> {
        let len = input[0].len();
        let mut out = vec![Vec::with_capacity(len); self.channels];
        let mut pos = 0;
        while pos < len {
            let end = (pos + block).min(len);
            let slices: Vec<&[f32]> = input.iter().map(|c| &c[pos..end]).collect();
            let y = self.block(&slices, if pos == 0 { changes } else { &[] });
            for (o, b) in out.iter_mut().zip(y) {
                o.extend_from_slice(&b);
            }
            pos = end;
        }
        out
    }

    /// Asks the plugin to clear its state, as a host does on transport jumps.
    pub fn reset(&mut self) {
        self.processor.as_mut().unwrap().reset();
    }

    /// Whether the plugin asked for a restart since the last call (and forgets the request).
    pub fn restart_requested(&self) -> bool {
        self.flags.restart_requested.swap(false, Ordering::SeqCst)
    }

    /// Runs the plugin's main-thread callback if it asked for one.
    pub fn pump_main_thread(&mut self) {
        if self.flags.callback_requested.swap(false, Ordering::SeqCst) {
            self.owner.call_on_main_thread_callback();
        }
    }

    /// Restarts the plugin as a host does when asked to: stops processing, deactivates,
    /// activates again with the same configuration and starts processing.
    pub fn restart(&mut self) {
        let stopped = self.processor.take().unwrap().stop_processing();
        self.owner.deactivate(stopped);
        self.processor = Some(start(self.owner, &self.flags, self.config));
    }

    /// The latency the plugin reports now, samples.
    pub fn latency(&mut self) -> u32 {
        let handle = self.owner.plugin_handle();
        let ext: PluginLatency = handle.get_extension().expect("latency extension");
        ext.get(&handle)
    }

    /// Saves the plugin state while it is active, as a host saving a project during playback.
    pub fn save_state(&mut self) -> Vec<u8> {
        save_state(self.owner)
    }
}

/// The state `instance` saves now, active or not.
fn save_state(instance: &mut PluginInstance<Host>) -> Vec<u8> {
    let handle = instance.plugin_handle();
    let ext: PluginState = handle.get_extension().expect("state extension");
    let mut out = Vec::new();
    ext.save(&handle, &mut out).expect("save state");
    out
}

impl Drop for Processor<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.processor.take() {
            let stopped = p.stop_processing();
            self.owner.deactivate(stopped);
        }
    }
}

/// The state stream nice-plug's CLAP wrapper reads: the JSON's length (u64, little-endian),
/// then the JSON.
pub fn framed_state(json: &[u8]) -> Vec<u8> {
    let mut v = (json.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(json);
    v
}

/// The JSON of a state stream from [`LoadedPlugin::save_state`].
pub fn state_json(stream: &[u8]) -> String {
    String::from_utf8_lossy(&stream[8..]).to_string()
}

/// The files directly in folder `dir` whose extension is one of `extensions` (all of them when
/// none is declared), sorted.
fn files_in(dir: &CStr, extensions: &[String]) -> Vec<Option<CString>> {
    let dir = PathBuf::from(dir.to_string_lossy().into_owned());
    if dir.is_file() {
        return vec![Some(
            CString::new(dir.to_string_lossy().into_owned()).unwrap(),
        )];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        extensions.is_empty()
            || p.extension()
                .is_some_and(|x| extensions.iter().any(|e| x == e.as_str()))
    });
    files.sort();
    (files.into_iter())
        .map(|p| Some(CString::new(p.to_string_lossy().into_owned()).unwrap()))
        .collect()
}
