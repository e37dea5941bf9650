#!/usr/bin/env python3
"""Writes assets/test-signal.wav, the short signal the README's demo renders: 2 s at 48 kHz,
16-bit stereo. Left: a logarithmic sine sweep 20 Hz - 20 kHz at -6 dBFS peak. Right: pink
noise at -18 dBFS RMS (Loadline's reference level), seeded, so the file is reproducible."""
import math, random, struct, wave, pathlib

RATE, SECONDS = 48_000, 2.0
n = int(RATE * SECONDS)
f0, f1 = 20.0, 20_000.0
k = math.log(f1 / f0)
sweep = [0.5 * math.sin(2 * math.pi * f0 * SECONDS / k * (math.exp(k * i / n) - 1)) for i in range(n)]
fade = int(0.01 * RATE)
for i in range(fade):
    g = i / fade
    sweep[i] *= g
    sweep[n - 1 - i] *= g
# Pink noise: Paul Kellet's economy filter on seeded white noise.
rng = random.Random(1)
b0 = b1 = b2 = 0.0
pink = []
for _ in range(n):
    w = rng.uniform(-1, 1)
    b0 = 0.99765 * b0 + w * 0.0990460
    b1 = 0.96300 * b1 + w * 0.2965164
    b2 = 0.57000 * b2 + w * 1.0526913
    pink.append(b0 + b1 + b2 + w * 0.1848)
rms = math.sqrt(sum(v * v for v in pink) / n)
# -18 dBFS RMS, where 0 dBFS RMS is a full-scale sine's RMS (AES17).
target = 10 ** (-18 / 20) / math.sqrt(2)
pink = [v * target / rms for v in pink]
out = pathlib.Path(__file__).resolve().parent.parent / "assets" / "test-signal.wav"
with wave.open(str(out), "wb") as w:
    w.setnchannels(2)
    w.setsampwidth(2)
    w.setframerate(RATE)
    w.writeframes(b"".join(struct.pack("<hh", round(l * 32767), round(r * 32767)) for l, r in zip(sweep, pink)))
print(out)
