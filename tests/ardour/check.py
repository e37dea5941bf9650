#!/usr/bin/env python3
"""Checks what tests/ardour/run.sh got out of headless Ardour (standard library only).

Reads the "LL key value" lines the Lua driver printed, the three captures (reference.wav: the
generator alone; loadline.wav: through the plugin; reopened.wav: through the plugin after the
session was saved and reopened) and the physics from the `loadline` CLI, then checks:
  * the reference carries the generator's tones at their nominal level (the chain is unity);
  * through the plugin, each tone's level change matches `loadline response` within TOL dB;
  * both channels are identical;
  * every parameter set by name reads back as set, and unchanged after reopening;
  * the reopened session renders the same levels (within 0.005 dB) and the same latency.
Exits 1 with the failures listed, 0 when all pass.
"""

import argparse
import cmath
import csv
import math
import pathlib
import struct
import subprocess
import sys
import tempfile

# Must match tones.lua.
FREQS = [100.0, 1000.0, 10000.0]
TONE_DBFS = -12.0


def read_wav(path):
    """Returns (rate, channels) for a PCM (16/24/32-bit) or IEEE-float (32/64-bit) WAV."""
    data = pathlib.Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, frames = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, nch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the tag
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, nch, rate, bits)
        elif cid == b"data":
            frames = body
        pos += 8 + size + (size & 1)
    if fmt is None or frames is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, nch, rate, bits = fmt
    width = bits // 8
    n = len(frames) // width
    if tag == 3 and bits == 32:
        vals = struct.unpack(f"<{n}f", frames[:n * 4])
    elif tag == 3 and bits == 64:
        vals = struct.unpack(f"<{n}d", frames[:n * 8])
    elif tag == 1 and bits in (16, 32):
        code = "h" if bits == 16 else "i"
        scale = float(1 << (bits - 1))
        vals = [v / scale for v in struct.unpack(f"<{n}{code}", frames[:n * width])]
    elif tag == 1 and bits == 24:
        vals = [int.from_bytes(frames[i:i + 3], "little", signed=True) / 8388608.0
                for i in range(0, n * 3, 3)]
    else:
        raise ValueError(f"{path}: unsupported WAV format tag {tag}, {bits} bits")
    return rate, [list(vals[c::nch]) for c in range(nch)]


def tone_amplitude(x, rate, freq, start, length):
    """Peak amplitude of the sine at `freq` over x[start:start+length] (a whole number of
    periods for integer frequencies and a one-second window, so the DFT is exact)."""
    w = 2 * math.pi * freq / rate
    acc = 0j
    for k in range(length):
        acc += x[start + k] * cmath.exp(-1j * w * k)
    return 2 * abs(acc) / length


def levels_db(channels, rate, start, length):
    return [[20 * math.log10(tone_amplitude(ch, rate, f, start, length)) for f in FREQS]
            for ch in channels]


def expected_levels(cli, zout, headphone, points=20001):
    """The physics: `loadline response` level_db_0 at each tone (log-frequency interpolation
    on a dense grid)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "response.csv"
        subprocess.run([cli, "response", "--zout", str(zout), "--headphone", headphone,
                        "--csv", str(out), "--points", str(points)], check=True, timeout=120)
        rows = [r for r in csv.reader(out.read_text().splitlines())
                if r and not r[0].startswith("#")]
    header, rows = rows[0], rows[1:]
    fi, li = header.index("freq_hz"), header.index("level_db_0")
    grid = [(math.log(float(r[fi])), float(r[li])) for r in rows]
    result = []
    for f in FREQS:
        lf = math.log(f)
        for (a, la), (b, lb) in zip(grid, grid[1:]):
            if a <= lf <= b:
                result.append(la + (lb - la) * (lf - a) / (b - a))
                break
        else:
            raise ValueError(f"{f} Hz is outside the CLI's grid")
    return result


def parse_log(path):
    values = {}
    for line in pathlib.Path(path).read_text(errors="replace").splitlines():
        if line.startswith("LL "):
            key, _, rest = line[3:].partition(" ")
            values.setdefault(key, []).append(rest)
    return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True, help="the ardour7-lua output of both runs")
    ap.add_argument("--captures", required=True, help="directory of the captured WAVs")
    ap.add_argument("--cli", required=True, help="the loadline CLI binary")
    ap.add_argument("--zout", type=float, required=True)
    ap.add_argument("--headphone", required=True, help="headphone name as the CLI knows it")
    ap.add_argument("--param", action="append", default=[],
                    help="NAME=VALUE as requested (spaces in NAME as given to the Lua script)")
    ap.add_argument("--tol-db", type=float, default=0.05)
    args = ap.parse_args()

    failures = []

    def check(ok, what):
        print(("PASS " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    log = parse_log(args.log)
    captures = pathlib.Path(args.captures)
    for err in log.get("error", []):
        check(False, f"Ardour driver error: {err}")

    # Parameters: as set, and as read after reopening.
    for spec in args.param:
        name, want = spec.split("=", 1)
        key = name.replace(" ", "_")
        want = float(want)
        got = log.get("set", [])
        set_v = next((float(v.split(" ", 1)[1]) for v in got if v.split(" ", 1)[0] == key), None)
        re_v = next((float(v.split(" ", 1)[1]) for v in log.get("reopened", [])
                     if v.split(" ", 1)[0] == key), None)
        tol = max(1e-3, 1e-4 * abs(want))  # the host stores a normalised f32
        check(set_v is not None and abs(set_v - want) <= tol,
              f"'{name}' set to {want:g}: host reads {set_v}")
        check(re_v is not None and set_v is not None and abs(re_v - set_v) <= 1e-5,
              f"'{name}' after reopening: {re_v} (saved {set_v})")
    lat = log.get("latency", [])
    check(len(lat) == 2 and lat[0] == lat[1], f"latency before/after reopening: {lat}")

    rate, ref = read_wav(captures / "reference.wav")
    start, length = rate, rate  # analyse the second second: settled, whole periods
    ref_db = levels_db(ref, rate, start, length)
    print("reference levels dBFS  " + "  ".join(
        f"{f:g} Hz: {l:+.4f}" for f, l in zip(FREQS, ref_db[0])))
    for f, l in zip(FREQS, ref_db[0]):
        check(abs(l - TONE_DBFS) <= 0.01, f"reference {f:g} Hz at {l:.4f} dBFS (want {TONE_DBFS})")

    want = expected_levels(args.cli, args.zout, args.headphone)
    results = {}
    for label in ("loadline", "reopened"):
        r2, ch = read_wav(captures / f"{label}.wav")
        check(r2 == rate, f"{label}.wav at {r2} Hz")
        check(len(ch) == 2 and ch[0] == ch[1], f"{label}.wav: two identical channels")
        got = levels_db(ch, rate, start, length)
        results[label] = [g - r for g, r in zip(got[0], ref_db[0])]
        for f, g, w in zip(FREQS, results[label], want):
            check(abs(g - w) <= args.tol_db,
                  f"{label}: {f:g} Hz level change {g:+.4f} dB, physics {w:+.4f} dB, "
                  f"diff {g - w:+.4f} dB (tol {args.tol_db})")
    for f, a, b in zip(FREQS, results["loadline"], results["reopened"]):
        check(abs(a - b) <= 0.005, f"reopened renders {f:g} Hz as before: {b:+.4f} vs {a:+.4f} dB")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all Ardour checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
