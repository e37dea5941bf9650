"""The editor under Xvfb, driven like a user with xdotool (scripts/gui_test.sh sets up the X
server, the window manager and the XSETTINGS owner, and runs this with pytest).

- The standalone (dummy audio backend) is put into three states by clicking and typing; each
  is screenshotted into target/gui/ (xwd | xwdtopnm | pnmtopng) and checked for what must be
  on it: text, both deviation curves in A's and B's colours, the heard switch, the verdict's
  colour, the clip light.
- pedalboard opens the VST3 editor with show_editor(); it must render, and clicking "B" must
  reach the host's parameters.

Coordinates are the editor's own layout (egui lays out deterministically at a given size and
font); they are taken relative to the editor's window, wherever the window manager puts it.
"""

import contextlib
import os
import pathlib
import subprocess
import threading
import time

import numpy as np
import pedalboard
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "gui"
# Built by scripts/gui_test.sh with the README's own command (a release build).
STANDALONE = ROOT / "target" / "release" / "loadline-standalone"
BUNDLE = ROOT / "target" / "bundled" / "Loadline.vst3"

# The editor's colours (src/editor.rs).
COLOUR_A = (80, 160, 255)
COLOUR_B = (255, 150, 60)
COLOUR_WARN = (255, 90, 80)
COLOUR_OK = (150, 210, 120)
# A verdict the estimates' ranges leave open (enough at the estimates, short across them).
COLOUR_MAYBE = (230, 200, 60)

# Widget centres in the editor at its default size (1100 x 800 logical pixels). The top bar
# and the info lines have fixed heights, so these move only where a custom output's figures
# appear or go, or where a picked name takes another number of lines (the positions below say
# which layout they are for). A picker's search field ends its heading's line.
HEARD = {"A": (126, 18), "B": (187, 18), "Ideal": (267, 18)}
CLIP = (478, 18)
HEADPHONE_SEARCH = (337, 90)
PHASE = (415, 96)
# With the headphone's name on two lines (the HD 600, DT 990 600, LCD-X and Andromeda all take
# two, with their marks):
OUTPUT_A_SEARCH = (337, 200)
# With output A custom (its figures shown), B's search on its heading's line:
B_SEARCH_A_CUSTOM = (337, 490)
# With output A custom and B from the catalog on one line (the Scarlett 2i2 4th gen):
DAMPING_FACTOR_A = (142, 246)
TARGET_SPL_A_CUSTOM = (200, 607)
LIMITS_A_CUSTOM = (100, 677)
TEST_SIGNAL_A_CUSTOM = (99, 721)
# With output A custom and its save form open (B's layout below it moves; nothing above):
SAVE_AS_YOURS_A = (135, 200)
SAVE_FORM_MAKER = (220, 481)
SAVE_FORM_MODEL = (220, 503)
SAVE_FORM_SAVE = (74, 636)
# With both outputs from the catalog, A's name on one line (the HM-4, the Topping L30) and B's
# on two (the Dell netbook's jack):
B_SEARCH_BOTH_CATALOG = (337, 296)
VOLUME_BOTH_CATALOG = (123, 427)
# With A from the catalog on one line and B custom: B's coupling capacitor switch.
B_CAPACITOR = (135, 408)


def xdo(*args):
    return subprocess.run(["xdotool", *map(str, args)], check=True, capture_output=True,
                          text=True).stdout.strip()


def find_window(name="Loadline", timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name],
                           capture_output=True, text=True)
        ids = [w for w in r.stdout.split() if w]
        for w in ids:
            geometry = xdo("getwindowgeometry", w)
            if "1100x800" in geometry:
                return w
        time.sleep(0.2)
    raise AssertionError(f"no 1100x800 window named {name!r} within {timeout} s")


def click(win, xy, double=False):
    xdo("mousemove", "--window", win, *xy)
    time.sleep(0.15)
    xdo("click", "--repeat", 2 if double else 1, "1")
    time.sleep(0.35)


def type_and_enter(win, xy, text):
    click(win, xy)
    xdo("type", "--delay", 30, text)
    time.sleep(0.2)
    xdo("key", "Return")
    time.sleep(0.6)


def park_pointer(win, xy):
    # Over a plot, so the screenshot also shows a hover read-out.
    xdo("mousemove", "--window", win, *xy)
    time.sleep(0.8)


def ppm_to_array(ppm):
    # Binary PPM: "P6 <w> <h> <max>\n" then RGB bytes.
    parts = ppm.split(maxsplit=4)
    assert parts[0] == b"P6", parts[0]
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: w * h * 3], dtype=np.uint8).reshape(h, w, 3)


def screenshot(name, win):
    """The whole screen (xwd -root) as target/gui/NAME-screen.png and the editor's window
    (xwd -id) as target/gui/NAME.png; returns the window as an RGB array."""
    OUT.mkdir(parents=True, exist_ok=True)
    for target, suffix in ((["-root"], "-screen"), (["-id", win], "")):
        ppm = subprocess.run(["xwd", "-silent", *target], check=True, capture_output=True).stdout
        ppm = subprocess.run(["xwdtopnm"], input=ppm, check=True, capture_output=True).stdout
        png = subprocess.run(["pnmtopng"], input=ppm, check=True, capture_output=True).stdout
        (OUT / f"{name}{suffix}.png").write_bytes(png)
    img = ppm_to_array(ppm)
    assert img.shape[:2] == (800, 1100), img.shape
    return img


def count(img, colour, box=None, tol=24):
    """Pixels within `tol` of `colour`, in box (x0, y0, x1, y1) of the window."""
    if box:
        img = img[box[1]:box[3], box[0]:box[2]]
    d = np.abs(img.astype(int) - np.array(colour)).max(axis=2)
    return int((d <= tol).sum())


def check_rendered(img, name, curve_b=True):
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert colours > 200, f"{name}: only {colours} colours: blank?"
    # Both deviation curves in the lower plot, the impedance curve above it.
    # Below the legend (its colour dots would count), the curves: the one not heard is drawn
    # thin, so 150 pixels of its exact colour; a missing curve leaves none.
    plot = (400, 440, 1100, 680)
    assert count(img, COLOUR_A, plot) > 150, f"{name}: no curve of A"
    if curve_b:
        assert count(img, COLOUR_B, plot) > 150, f"{name}: no curve of B"
    assert count(img, (220, 220, 220), (400, 100, 1100, 360), tol=40) > 150, f"{name}: no |Z| curve"


def heard_filled(img, which):
    x, y = HEARD[which]
    colour = {"A": COLOUR_A, "B": COLOUR_B, "Ideal": COLOUR_OK}[which]
    return count(img, colour, (x - 20, y - 12, x + 20, y + 12)) > 300


@contextlib.contextmanager
def running_standalone(user_catalog=""):
    """The standalone's window, with a user catalog of the test's own holding `user_catalog`
    (the layout and the entries offered must not depend on the machine's)."""
    assert STANDALONE.exists(), f"{STANDALONE} missing: cargo build --release --features standalone"
    user_dir = OUT / "user-catalog"
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "catalog.toml").write_text(user_catalog)
    env = dict(os.environ, LIBGL_ALWAYS_SOFTWARE="1", LOADLINE_CONFIG_DIR=str(user_dir))
    proc = subprocess.Popen([str(STANDALONE), "--backend", "dummy", "--period-size", "256"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        win = find_window()
        time.sleep(1.0)
        yield win
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def standalone():
    with running_standalone() as win:
        yield win


# An interface of the user's, as `loadline user add-output` or the editor writes it.
ACME_BOX = """[[output]]
maker = "Acme"
model = "Box 2"
kind = "audio-interface"
r_out_ohm = { value = 4.7, basis = "measured", source = "own measurement" }
full_scale_dbu = { value = 13.0, basis = "measured", source = "own measurement" }
rail_v_peak = { value = 5.0, basis = "measured", source = "own measurement" }
i_max_ma_peak = { value = 90.0, basis = "measured", source = "own measurement" }
noise_dbv = { value = -104.0, basis = "measured", source = "own measurement" }
noise_a_weighted = true
"""


def test_standalone_with_your_devices():
    # The user's interface picked as B by typing its name; then A's custom figures saved as
    # theirs through the form: the file on disk gains the entry, and A is shown by its name.
    with running_standalone(ACME_BOX) as win:
        type_and_enter(win, B_SEARCH_A_CUSTOM, "acme")
        click(win, HEARD["B"])
        park_pointer(win, (700, 600))
        img = screenshot("5-your-interface-as-b", win)
        # Heard, B's curve is drawn bold (A's, thin, hides behind it where they meet).
        assert heard_filled(img, "B")
        assert count(img, COLOUR_B, (400, 440, 1100, 680)) > 150, "no curve of B"
        # B is custom now, holding the entry's figures: its Delete button sits on its heading.
        click(win, SAVE_AS_YOURS_A)
        click(win, SAVE_FORM_MAKER)
        xdo("type", "--delay", 30, "Mine")
        click(win, SAVE_FORM_MODEL)
        xdo("type", "--delay", 30, "Desk amp")
        click(win, SAVE_FORM_SAVE)
        time.sleep(1.0)
        img = screenshot("6-custom-a-saved-as-yours", win)
        assert count(img, COLOUR_B, (400, 440, 1100, 680)) > 150, "no curve of B"
        text = (OUT / "user-catalog" / "catalog.toml").read_text()
        assert text.startswith(ACME_BOX), text
        assert 'maker = "Mine"' in text and 'model = "Desk amp"' in text, text
        assert "[output.full_scale_dbu]\nvalue = 10.0\n" in text, text


def test_standalone_editor_in_three_states(standalone):
    win = standalone
    # Opens on the HD 600, custom A (heard) and Scarlett 2i2 4th gen as B.
    img = screenshot("0-default", win)
    check_rendered(img, "default")
    assert heard_filled(img, "A") and not heard_filled(img, "B")
    # Resting on "damping factor" shows its one-sentence explanation over the panel below.
    park_pointer(win, DAMPING_FACTOR_A)
    time.sleep(1.0)
    tip = screenshot("0-tooltip-damping-factor", win)
    _, y = DAMPING_FACTOR_A
    below = (slice(y + 11, y + 53), slice(100, 580))
    changed = np.abs(tip[below].astype(int) - img[below]).mean()
    assert changed > 10, f"no tooltip drawn (mean change {changed:.1f})"

    # 1. A 600 Ω headphone on a laptop jack (B), heard, at the 85 dB SPL target, with the
    #    reference pink noise playing through the limits: the volume runs out. The level is
    #    set first, while B's name takes one line (the Dell's takes two, and moves it down).
    click(win, TARGET_SPL_A_CUSTOM)
    click(win, LIMITS_A_CUSTOM)
    click(win, TEST_SIGNAL_A_CUSTOM)
    type_and_enter(win, HEADPHONE_SEARCH, "dt 990 600")
    type_and_enter(win, B_SEARCH_A_CUSTOM, "dell")
    click(win, HEARD["B"])
    park_pointer(win, (582, 480))  # on B's curve at its peak: the hover read-out
    img = screenshot("1-dt990-600-on-a-laptop-jack", win)
    check_rendered(img, "laptop jack")
    assert heard_filled(img, "B") and not heard_filled(img, "A"), "clicking B did not switch"
    assert count(img, COLOUR_WARN, (0, 35, 1100, 70)) > 300, "the verdict is not a warning"

    # 2. A planar on a multi-channel headphone amp (A), heard at full volume: its current
    #    limit clips the pink noise's peaks and the clip light holds.
    type_and_enter(win, HEADPHONE_SEARCH, "lcd-x")
    type_and_enter(win, OUTPUT_A_SEARCH, "hm-4")
    click(win, HEARD["A"])
    click(win, VOLUME_BOTH_CATALOG)
    park_pointer(win, (700, 600))
    time.sleep(2.0)
    # The current meter is past its limit, drawn in the warning colour, while the noise's
    # peaks clip. They clip often but at random, and the meter holds a peak for 1.5 s before
    # it falls: up to ten screenshots half a second apart, until one shows it red.
    for _ in range(10):
        img = screenshot("2-planar-on-a-distribution-amp-clipping", win)
        current_red = count(img, COLOUR_WARN, (460, 750, 800, 770)) > 1000
        if current_red:
            break
        time.sleep(0.5)
    assert current_red, "current meter never red in 5 s of clipping"
    # A planar's impedance is flat: every output's deviation is ~0 dB and A, drawn bold,
    # covers B's curve but for its top octave.
    check_rendered(img, "clipping", curve_b=False)
    assert heard_filled(img, "A")
    x, y = CLIP
    assert count(img, COLOUR_WARN, (x - 25, y - 10, x + 25, y + 10)) > 200, "no clip light"

    # 3. An IEM with a crossover (Andromeda) on a custom output B with a coupling capacitor,
    #    against a dedicated amp as A; B heard, phase shown.
    type_and_enter(win, HEADPHONE_SEARCH, "andromeda")
    type_and_enter(win, OUTPUT_A_SEARCH, "topping l30")
    type_and_enter(win, B_SEARCH_BOTH_CATALOG, "custom")
    click(win, B_CAPACITOR)
    click(win, HEARD["B"])
    click(win, PHASE)
    park_pointer(win, (900, 620))
    img = screenshot("3-iem-with-a-coupling-capacitor", win)
    check_rendered(img, "coupling capacitor")
    assert heard_filled(img, "B")
    # Phase shown: the plot row splits in two, so |Z| and phase curves sit either side.
    assert count(img, (220, 220, 220), (400, 100, 750, 360), tol=40) > 150
    assert count(img, (160, 160, 160), (760, 100, 1100, 360), tol=40) > 150


def switch_cycle(win, read_host=None):
    """Clicks B, Ideal, A in turn; after each click the editor must redraw with that button
    filled (and only it), and the host, when `read_host` gives its value, must have it."""
    for choice in ["B", "Ideal", "A"]:
        click(win, HEARD[choice])
        time.sleep(0.6)
        img = screenshot(f"switch-{choice}", win)
        drawn = [k for k in HEARD if heard_filled(img, k)]
        assert drawn == [choice], f"clicked {choice}, the editor shows {drawn} filled"
        if read_host is not None:
            assert read_host() == choice, f"clicked {choice}, the host has {read_host()}"


def test_standalone_redraws_every_switch(standalone):
    img = screenshot("switch-start", standalone)
    assert [k for k in HEARD if heard_filled(img, k)] == ["A"]
    switch_cycle(standalone)


def test_vst3_editor_in_pedalboard_redraws_every_switch():
    # pedalboard does not call process() while its editor is open: each switch must be
    # drawn all the same (nice-plug's VST3 wrapper once waited for process() to apply an
    # edit made in the editor; patches/README.md).
    plugin = pedalboard.load_plugin(str(BUNDLE))
    assert plugin.heard == "A"
    done = threading.Event()
    errors = []

    def drive():
        try:
            win = find_window()
            time.sleep(1.5)
            img = screenshot("4-vst3-editor-in-pedalboard", win)
            check_rendered(img, "pedalboard")
            assert heard_filled(img, "A")
            switch_cycle(win, lambda: plugin.heard)
        except Exception as e:  # reported after the editor closes
            errors.append(e)
        finally:
            done.set()

    t = threading.Thread(target=drive)
    t.start()
    plugin.show_editor(done)
    t.join()
    assert not errors, errors
    assert plugin.heard == "A"


# The left column scrolled to its end, where "Also on this jack", "Into an amplifier" and
# "Measure your output" are.
LEFT_COLUMN = (380, 300)
JACK_HEADER_AT_END = (60, 667)
LISTENER_2_SEARCH_AT_END = (337, 529)
CHAIN_HEADER_AT_END = (60, 699)
MEASURE_HEADER_AT_END = (60, 731)
# With "Measure your output" open and the column scrolled to its end: its first button, and
# where its message shows (the last lines of the column).
RECORD_OPEN_AT_END = (85, 708)
MEASURE_MESSAGE_AT_END = (0, 640, 398, 745)
# With a listener on the jack and the section open, at the column's end: "On their own outputs".
OWN_OUTPUTS_AT_END = (160, 508)
# The deviation plot above +0.4 dB: a parallel load's bass bump and treble rise reach it.
DEVIATION_ABOVE_0_4_DB = (430, 410, 1090, 490)
# With "Into an amplifier" open and the column scrolled to its end: B's amplifier search.
B_INTO_SEARCH_AT_END = (337, 676)
# The verdict's two lines under the top bar.
VERDICT = (0, 35, 1100, 75)


def scroll_left_column_to_end(win):
    xdo("mousemove", "--window", win, *LEFT_COLUMN)
    xdo("click", "--repeat", 150, "--delay", 5, "5")
    time.sleep(0.5)


def type_into_section_at_end(win, header, search, text):
    """With the left column scrolled to its end: opens the section whose header is at
    `header`, types `text` into the search at `search` (Enter picks), and leaves the column
    at its end again with the pointer over a plot, ready for a screenshot."""
    scroll_left_column_to_end(win)
    click(win, header)
    scroll_left_column_to_end(win)
    type_and_enter(win, search, text)
    time.sleep(1.5)
    scroll_left_column_to_end(win)
    park_pointer(win, (700, 200))


def test_standalone_with_a_second_pair_on_the_jack():
    # The DT 770 Pro 32 Ω put on the jack beside the HD 600 by typing its name: the jack's
    # impedance falls from about 300 Ω to 29 Ω, so A's 10 Ω, which drives the HD 600 alone to
    # the target (a green verdict), now leaves it short (a red one).
    with running_standalone() as win:
        scroll_left_column_to_end(win)
        park_pointer(win, (700, 200))
        alone = screenshot("7-one-pair-on-the-jack", win)
        assert count(alone, COLOUR_WARN, VERDICT) < 10, "A short with the HD 600 alone"
        assert count(alone, COLOUR_OK, VERDICT) > 200, "no verdict"
        type_into_section_at_end(win, JACK_HEADER_AT_END, LISTENER_2_SEARCH_AT_END, "dt770 32")
        shared = screenshot("7-two-pairs-on-the-jack", win)
        assert count(shared, COLOUR_WARN, VERDICT) > 200, "A not short with two pairs"
        assert count(shared, COLOUR_OK, VERDICT) < 10, "still the verdict of one pair"


def test_standalone_with_b_fed_into_an_amplifier():
    # B, an iPhone 6s, on the DT 990 600 Ω falls short of 85 dB SPL (a red verdict); fed into
    # the Schiit Magni 2 (typed into B's amplifier picker) it reaches it at the estimates, and
    # may fall short across their ranges ("up to 4.4 dB short": an amber verdict, not a green
    # one), and the section says which stage clips first.
    with running_standalone() as win:
        type_and_enter(win, B_SEARCH_A_CUSTOM, "iphone 6s")
        type_and_enter(win, HEADPHONE_SEARCH, "dt990 600")
        click(win, HEARD["B"])
        time.sleep(1.5)
        park_pointer(win, (700, 200))
        alone = screenshot("8-b-alone", win)
        assert count(alone, COLOUR_WARN, VERDICT) > 200, "the iPhone alone is not short"
        assert count(alone, COLOUR_OK, VERDICT) < 10, "a green verdict for the iPhone alone"
        type_into_section_at_end(win, CHAIN_HEADER_AT_END, B_INTO_SEARCH_AT_END, "magni")
        chained = screenshot("8-chain", win)
        assert count(chained, COLOUR_WARN, VERDICT) < 10, "still short through the Magni 2"
        assert count(chained, COLOUR_OK, VERDICT) < 10, "an open verdict shown as enough"
        assert count(chained, COLOUR_MAYBE, VERDICT) > 200, "no amber verdict"
        # B's curve is drawn (thick, heard); A's, nearly flat too, hides behind it.
        assert len(np.unique(chained.reshape(-1, 3), axis=0)) > 200, "blank?"
        assert count(chained, COLOUR_B, (400, 440, 1100, 680)) > 500, "no curve of B"


def test_standalone_with_others_on_their_own_outputs():
    # B, the Behringer HA8000, on the HD 600 with the DT 770 Pro 32 Ω typed in beside it: on the
    # same jack their parallel load lifts B's deviation curve (bass bump, treble rise) above
    # +0.4 dB; clicked onto outputs of their own, the HD 600 is heard through its own output
    # again (its curve stays within 0.15 dB), the section is retitled and lists each listener.
    with running_standalone() as win:
        type_and_enter(win, B_SEARCH_A_CUSTOM, "ha8000")
        click(win, HEARD["B"])
        time.sleep(1.0)
        type_into_section_at_end(win, JACK_HEADER_AT_END, LISTENER_2_SEARCH_AT_END, "dt770 32")
        jack = screenshot("9-on-the-same-jack", win)
        assert count(jack, COLOUR_B, DEVIATION_ABOVE_0_4_DB) > 100, "no parallel load's curve"
        click(win, OWN_OUTPUTS_AT_END)
        time.sleep(1.5)
        scroll_left_column_to_end(win)
        park_pointer(win, (700, 200))
        own = screenshot("9-own-outputs", win)
        assert count(own, COLOUR_B, DEVIATION_ABOVE_0_4_DB) < 20, "still the jack's curve"
        assert count(own, COLOUR_B, (400, 440, 1100, 680)) > 500, "no curve of B"
        assert count(own, COLOUR_OK, VERDICT) > 200, "no verdict"


def test_standalone_measures_through_its_own_process():
    # The Measure panel in the standalone: its open pass played by the plugin's own process()
    # (the signal alone out, the input recorded) for the signal's 31.7 s; the dummy backend's
    # input is silence, so the check, on a thread of its own, names the silent channel in the
    # panel, in the warning colour.
    with running_standalone() as win:
        scroll_left_column_to_end(win)
        click(win, MEASURE_HEADER_AT_END)
        time.sleep(0.5)
        scroll_left_column_to_end(win)
        park_pointer(win, (700, 200))
        screenshot("10-measure-panel", win)
        click(win, RECORD_OPEN_AT_END)
        time.sleep(2.0)
        scroll_left_column_to_end(win)
        park_pointer(win, (700, 200))
        playing = screenshot("10-measure-playing", win)
        assert count(playing, COLOUR_WARN, MEASURE_MESSAGE_AT_END) < 10, "a problem already"
        time.sleep(36.0)
        scroll_left_column_to_end(win)
        park_pointer(win, (700, 200))
        checked = screenshot("10-measure-silent-input", win)
        assert count(checked, COLOUR_WARN, MEASURE_MESSAGE_AT_END) > 100, "no silent channel named"
