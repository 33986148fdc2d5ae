"""The ``dredfast`` command line tool."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from . import __version__
from ._isa import ISA_NAMES
from .dred import DredDecoder, MAX_MS
from .packets import iter_packets, packet_info

FRAME_MS = 20  # packet spacing the container assumes for the timeline column
#: inspect gives up after this many invalid packets in a row: the input is not a .pkts
#: file (e.g. /dev/zero reads as endless empty records and would never end).
MAX_INVALID_IN_A_ROW = 1000


def _inspect(args: argparse.Namespace) -> int:
    dec = DredDecoder(args.weights, isa=args.isa)
    out = sys.stdout
    n = with_dred = bad = bad_run = 0
    latents_total = 0
    try:
        f = open(args.packets, "rb")
    except OSError as e:
        print(f"dredfast inspect: {e}", file=sys.stderr)
        return 2
    with f:
        if not args.json:
            out.write(f"{args.packets}  (decoder: {dec.isa}, max {args.max_ms} ms)\n")
            out.write(" pkt  bytes fr |  v q0 dQ qmax offset extra | lat | covers (ms before packet end)\n")
        try:
            for i, pkt in enumerate(_packet_source(args.packets, f)):
                n += 1
                row = {"packet": i, "bytes": len(pkt)}
                try:
                    info = packet_info(pkt)
                    dred = dec.parse(pkt, args.max_ms)
                except ValueError as e:
                    bad += 1
                    bad_run += 1
                    if bad_run >= MAX_INVALID_IN_A_ROW:
                        raise ValueError(f"{bad_run} invalid packets in a row: not a .pkts file") from None
                    row["error"] = str(e)
                    out.write(json.dumps(row) + "\n" if args.json else f"{i:4d} {len(pkt):6d}    | invalid: {e}\n")
                    continue
                bad_run = 0
                row["frames"] = info["nb_frames"]
                if dred is None:
                    row["dred"] = None
                    if args.json:
                        out.write(json.dumps(row) + "\n")
                    elif not args.only_dred:
                        out.write(f"{i:4d} {len(pkt):6d} {info['nb_frames']:2d} | no DRED\n")
                    continue
                with_dred += 1
                latents_total += dred.num_latents
                span = dred.samples(16000) / 16.0
                end = dred.end_samples(16000) / 16.0
                h = dred.header
                row["dred"] = {k: h[k] for k in ("version", "q0", "dq", "qmax", "dred_offset", "extra_val", "offset_sym",
                                                 "nb_latents", "ext_frame", "ext_len", "ext_data_pos")}
                row["dred"]["covers_ms"] = [end, span]
                if args.latents:
                    row["dred"]["state_q"] = dred.state_q.tolist()
                    row["dred"]["latents_q"] = dred.latents_q.tolist()
                if args.json:
                    out.write(json.dumps(row) + "\n")
                    continue
                out.write(f"{i:4d} {len(pkt):6d} {info['nb_frames']:2d} | {dred.version:2d} {dred.q0:2d} {dred.dq:2d} {dred.qmax:4d} "
                          f"{dred.offset:6d} {dred.extra_offset:5d} | {dred.num_latents:3d} | "
                          f"{end:6.1f} .. {span:6.1f}  ({dred.num_latents * 40} ms of features, "
                          f"{h['ext_len']} bytes)\n")
                if args.latents:
                    out.write(f"       state_q  {' '.join(map(str, dred.state_q.tolist()))}\n")
                    for j, lat in enumerate(dred.latents_q.tolist()):
                        out.write(f"       latent{j:2d} q{int(dred.qlevels[j]):2d}  {' '.join(map(str, lat))}\n")
        except ValueError as e:
            print(f"dredfast inspect: {args.packets}: {e}", file=sys.stderr)
            return 2
    if not args.json:
        out.write(f"{n} packets ({n * FRAME_MS / 1000:.2f} s at {FRAME_MS} ms), {with_dred} with DRED "
                  f"({100 * with_dred / max(n, 1):.1f} %), {latents_total} latents, {bad} invalid\n")
    return 0


def _packet_source(path: str, f):
    """Packets of an open packet file: Ogg Opus (``.opus``, by its magic) or ``.pkts``."""
    from .ogg import read_opus_stream
    if f.peek(4)[:4] == b"OggS" if hasattr(f, "peek") else False:
        return iter(read_opus_stream(f).packets)
    return iter_packets(f)


class _Progress:
    """A one-line progress bar on stderr for long jobs (silent when not a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total, self.label = max(total, 1), label
        self.enabled = enabled and sys.stderr.isatty()
        self.last = -1

    def update(self, done: int) -> None:
        pct = int(100 * done / self.total)
        if self.enabled and pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25s}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _read_speech(path: str, command: str):
    """Speech for the encoder / analysis from any audio file libsndfile reads, or None
    after printing one line saying why not."""
    from .audiofile import read_audio

    try:
        pcm, fs = read_audio(path)
    except ValueError as e:
        print(f"dredfast {command}: {e}", file=sys.stderr)
        return None
    return _to_encoder_input(pcm, fs)


#: The rate the encoder, the analysis and the receiver work at today.
ENCODER_RATE = 16000


def _to_encoder_input(pcm, fs: int):
    """(frames, channels) audio at ``fs`` -> what the encoder takes: 16 kHz mono today
    (channels averaged, soxr resampling).  The one place to change when the encoder
    takes 8-48 kHz mono/stereo natively (pass ``pcm, fs`` through instead)."""
    from .audiofile import resample, to_mono

    return resample(to_mono(pcm), fs, ENCODER_RATE)


def _analyze(args: argparse.Namespace) -> int:
    import numpy as np

    from .analysis import Analyzer

    pcm = _read_speech(args.input, "analyze")
    if pcm is None:
        return 2
    an = Analyzer(weights=args.weights, isa=args.isa)
    step = 16000 * 10  # 10 s per step, for the progress bar
    bar = _Progress(len(pcm), "analyze", len(pcm) > 6 * step)
    feats = []
    for i in range(0, len(pcm), step):
        feats.append(an.process(pcm[i:i + step]))
        bar.update(min(i + step, len(pcm)))
    bar.close()
    out = np.concatenate(feats) if feats else np.zeros((0, 20), np.float32)
    np.save(args.output, out)
    print(f"{args.output}: {out.shape[0]} frames x 20 features ({len(pcm) / 16000:.2f} s)")
    return 0


def _synth(args: argparse.Namespace) -> int:
    import numpy as np

    from .audio import write_wav
    from .vocoder import Vocoder

    try:
        feats = np.load(args.features, allow_pickle=False)
    except (OSError, ValueError) as e:
        print(f"dredfast synth: cannot read {args.features}: {e}", file=sys.stderr)
        return 2
    if feats.ndim != 2 or feats.shape[1] < 20:
        print(f"dredfast synth: {args.features}: expected an (n, 20) feature array, got {feats.shape}",
              file=sys.stderr)
        return 2
    try:
        voc = Vocoder(args.vocoder, seed=args.seed, weights=args.weights, isa=args.isa)
    except ValueError as e:
        print(f"dredfast synth: {e}", file=sys.stderr)
        return 2
    # LPCNet also reads FreeDV's own 38/55-column features; anything else is
    # taken as the 20 Opus features followed by extra columns.
    if not (args.vocoder == "lpcnet" and feats.shape[1] in (38, 55)):
        feats = feats[:, :20]
    chunk = 100  # 1 s per step, for the progress bar
    bar = _Progress(len(feats), "synth", len(feats) > 10 * chunk)
    out = []
    for i in range(0, len(feats), chunk):
        try:
            out.append(voc.synthesize(feats[i:i + chunk]))
        except ValueError as e:
            print(f"dredfast synth: {e}", file=sys.stderr)
            return 2
        bar.update(min(i + chunk, len(feats)))
    bar.close()
    pcm = np.concatenate(out) if out else np.zeros(0, np.float32)
    write_wav(args.output, pcm, 16000)
    print(f"{args.output}: {len(pcm) / 16000:.2f} s from {len(feats)} feature frames ({args.vocoder})")
    return 0


def _encode_input(path: str):
    """(pcm, rate) for the encoder: the file's own rate and channels when Opus codes them
    (8/12/16/24/48 kHz, mono or stereo), else resampled to 48 kHz and/or mixed to mono;
    None after one line saying why the file cannot be read."""
    from .audiofile import read_audio, resample, to_mono

    try:
        pcm, fs = read_audio(path)
    except ValueError as e:
        print(f"dredfast encode: {e}", file=sys.stderr)
        return None
    if pcm.ndim == 2 and pcm.shape[1] == 1:
        pcm = pcm[:, 0]
    elif pcm.ndim == 2 and pcm.shape[1] > 2:
        pcm = to_mono(pcm)
    if fs not in (8000, 12000, 16000, 24000, 48000):
        pcm, fs = resample(pcm, fs, 48000), 48000
    return pcm, fs


def _encode(args: argparse.Namespace) -> int:
    import numpy as np

    got = _encode_input(args.input)
    if got is None:
        return 2
    pcm, fs = got
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    try:
        from .encoder import Encoder
        enc = Encoder(sample_rate=fs, channels=channels, bitrate=args.bitrate, lbrr=args.lbrr,
                      packet_loss_pct=args.loss_pct, dred_ms=args.dred_ms, dred_bitrate=args.dred_bitrate,
                      libopus=args.libopus, application=args.application, bandwidth=args.bandwidth,
                      mode=args.mode, complexity=args.complexity, weights=args.weights, isa=args.isa)
    except (OSError, ValueError, ImportError) as e:
        print(f"dredfast encode: {args.input} ({fs} Hz, {channels} channel(s)): {e}", file=sys.stderr)
        return 2
    frame = enc.frame_samples
    n = -(-len(pcm) // frame) + 1  # one extra packet so the decoder's delayed output covers the end
    x = np.zeros((n * frame,) + pcm.shape[1:], np.float32)
    x[:len(pcm)] = pcm
    bar = _Progress(n, "encode", n > 500)
    packets = []
    for i in range(n):
        packets.append(enc.encode(x[i * frame:(i + 1) * frame]))
        if i % 50 == 0 or i == n - 1:
            bar.update(i + 1)
    bar.close()
    _write_packet_file(args.output, packets, len(pcm), enc)
    total = sum(len(p) for p in packets)
    b = enc.dred_budget
    print(f"{args.output}: {n} packets, {fs} Hz, {channels} channel(s), {total * 8 / (n * 0.02) / 1000:.1f} kb/s "
          f"in all (primary {enc.primary_bitrate / 1000:g} kb/s{' + LBRR' if args.lbrr else ''}; DRED up to "
          f"{b.max_chunks * 40} ms per packet, q0 {b.q0} dQ {b.dq})")
    return 0


def _write_packet_file(path: str, packets, n_samples: int, enc) -> None:
    """``.opus`` / ``.ogg`` (by extension): an Ogg Opus file trimmed to the input's length,
    pre-skip = the encoder's look-ahead; anything else: the ``.pkts`` container."""
    import os

    from .packets import write_packets
    if os.path.splitext(path)[1].lower() in (".opus", ".ogg", ".oga"):
        from .ogg import write_opus
        scale = 48000 // enc.sample_rate
        # pre-skip: the primary encoder's look-ahead (libopus: 6.5 ms, 104 samples at 16 kHz).
        write_opus(path, packets, length=n_samples * scale, pre_skip=enc._opus.lookahead * scale,
                   input_sample_rate=enc.sample_rate, channels=enc.channels, vendor=f"dredfast {__version__}")
    else:
        write_packets(path, packets)


def _read_packet_file(path: str):
    """Packets of a ``.opus`` (Ogg Opus) or ``.pkts`` file."""
    with open(path, "rb") as f:
        return list(_packet_source(path, f))


def _loss_pattern(args, n: int):
    """The per-packet loss (True = lost) for ``simulate``: the trace file, repeated with a
    notice when it is shorter than the signal; else made here (``--loss``, ``--burst``,
    ``--loss-model``)."""
    from .traces import load_trace, trace_for

    if args.trace:
        lost = load_trace(args.trace)
        if len(lost) < n:
            print(f"dredfast: note: the trace has {len(lost)} packets, {n} are needed: repeating it",
                  file=sys.stderr)
            lost = trace_for(lost, n)
        return lost[:n]
    from .lossmodels import gilbert_elliott, lossgen
    if args.loss_model == "lossgen":
        return lossgen(n, args.loss / 100, seed=args.seed)
    return gilbert_elliott(n, args.loss / 100, args.burst, seed=args.seed)


def _simulate_common(args, speech, packets, title: str) -> int:
    from .audio import write_wav
    from .simulate import plot, simulate, write_report

    n = len(packets) if packets is not None else -(-len(speech) // 320) + 1
    try:
        lost = _loss_pattern(args, n)
    except (OSError, ValueError) as e:
        print(f"dredfast: cannot read trace {args.trace}: {e}" if args.trace else f"dredfast: {e}", file=sys.stderr)
        return 2
    want_metrics = not args.no_metrics
    if want_metrics:
        import importlib.util
        missing = [m for m in ("pesq", "pystoi", "speechmos", "onnxruntime") if importlib.util.find_spec(m) is None]
        if missing:
            print(f"dredfast: no scores ({', '.join(missing)} missing: pip install 'dredfast[metrics]')",
                  file=sys.stderr)
            want_metrics = False
    bar = _Progress(n, "simulate", n > 250)
    try:
        res = simulate(speech, lost[:n], packets=packets, bitrate=args.bitrate, lbrr=args.lbrr,
                       dred_ms=args.dred_ms, dred_bitrate=args.dred_bitrate, packet_loss_pct=args.loss_pct,
                       vocoder=args.vocoder, jitter_ms=args.jitter_ms, libopus=args.libopus,
                       weights=args.weights, isa=args.isa, metrics=want_metrics, history=args.history,
                       plc_lookahead=args.plc_lookahead,
                       progress=lambda i, total: bar.update(i) if i % 25 == 0 or i == total else None)
    except (OSError, ValueError, ImportError) as e:
        bar.close()
        print(f"dredfast: {e}", file=sys.stderr)
        return 2
    bar.close()
    write_wav(args.output, res.output)
    rep = res.report()
    c = rep["filled_by"]
    print(f"{args.output}: {rep['duration_s']:.2f} s, {rep['lost_packets']}/{rep['packets']} packets lost "
          f"({100 * rep['loss_rate']:.1f} %, {rep['bursts']} bursts, longest {rep['max_burst'] * 20} ms), "
          f"{rep['bitrate_bps'] / 1000:.1f} kb/s")
    print(f"  filled by LBRR {c['lbrr']}, DRED {c['dred']}, PLC {c['plc']}; bad packets {c['bad']}")
    if res.metrics:
        m = res.metrics
        print(f"  PESQ-WB {m['pesq_wb']:.2f}  STOI {m['stoi']:.3f}  PLCMOS {m['plcmos']:.2f}")
    if args.report:
        write_report(res, args.report)
        print(f"  report: {args.report}")
    if args.plot:
        try:
            plot(res, speech, args.plot, title=title)
            print(f"  plot: {args.plot}")
        except ImportError as e:
            print(f"  no plot: {e}", file=sys.stderr)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    speech = _read_speech(args.input, "simulate")
    if speech is None:
        return 2
    packets = None
    if args.packets:
        try:
            packets = _read_packet_file(args.packets)
        except (OSError, ValueError) as e:
            print(f"dredfast simulate: cannot read {args.packets}: {e}", file=sys.stderr)
            return 2
    loss = (f"trace {args.trace}" if args.trace else
            f"{args.loss:g} % {args.loss_model} loss" + (f", bursts of {args.burst:g}" if args.loss_model == "ge" else ""))
    return _simulate_common(args, speech, packets, f"{args.input}, {loss}")


def _demo(args: argparse.Namespace) -> int:
    import os
    from importlib import resources

    from .audio import read_wav

    out_dir = args.out_dir
    os.makedirs(out_dir, exist_ok=True)
    data = resources.files("dredfast.data")
    with resources.as_file(data.joinpath(DEMO_SPEECH)) as wav, resources.as_file(data.joinpath(DEMO_TRACE)) as tr:
        speech, _ = read_wav(wav)
        args.trace = str(tr)
        args.input = os.path.join(out_dir, "sent.wav")
        from .audio import write_wav
        write_wav(args.input, speech)
        print(f"dredfast demo: {DEMO_SPEECH} ({len(speech) / 16000:.1f} s of speech, {DEMO_CREDIT}), "
              f"bursty loss trace {DEMO_TRACE}, 24 kb/s Opus + LBRR + 1 s of DRED at {(args.dred_bitrate or 0) // 1000} "
              f"kb/s, {args.vocoder}, receiver look-ahead {args.jitter_ms} ms")
        args.output = os.path.join(out_dir, "received.wav")
        args.report = os.path.join(out_dir, "report.json")
        args.plot = os.path.join(out_dir, "plot.png")
        rc = _simulate_common(args, speech, None, f"dredfast demo: {DEMO_SPEECH}")
    if rc == 0:
        print(f"outputs in {os.path.abspath(out_dir)}: sent.wav, received.wav, report.json, plot.png")
    return rc


#: The demo's speech (packaged, see dredfast/data/README.md for origin and licence) and trace.
DEMO_SPEECH = "demo_speech.wav"
DEMO_TRACE = "demo_trace.txt"
DEMO_CREDIT = "CMU ARCTIC slt, free licence"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dredfast", description="Opus DRED tools (dredfast %s)" % __version__)
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="print the DRED carried by each packet of a .pkts file")
    ins.add_argument("packets", help="Ogg Opus file (.opus) or packet container (.pkts: uint32-LE length + packet)")
    ins.add_argument("--max-ms", type=int, default=1000, help="redundancy to decode per packet (default 1000)")
    ins.add_argument("--latents", action="store_true", help="also print the quantised state and latents")
    ins.add_argument("--only-dred", action="store_true", help="skip packets without DRED")
    ins.add_argument("--json", action="store_true", help="one JSON object per packet")
    ins.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged Opus 1.6.1)")
    ins.add_argument("--isa", default=None, choices=list(ISA_NAMES), help="kernel path")
    ins.set_defaults(func=_inspect)
    ana = sub.add_parser("analyze", help="compute the 20 features per 10 ms of a 16 kHz WAV file")
    ana.add_argument("input", help="16 kHz 16-bit WAV (stereo is mixed down)")
    ana.add_argument("-o", "--output", required=True, help="output .npy (frames x 20, float32)")
    ana.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    ana.add_argument("--isa", default=None, choices=list(ISA_NAMES), help="kernel path")
    ana.set_defaults(func=_analyze)
    syn = sub.add_parser("synth", help="synthesise speech from a feature file (.npy, n x 20)")
    syn.add_argument("features", help=".npy array of 10 ms feature frames (n x 20; extra columns ignored)")
    syn.add_argument("-o", "--output", required=True, help="output WAV (16 kHz, 16-bit)")
    syn.add_argument("--vocoder", default="fargan", choices=["fargan", "lpcnet"],
                     help="vocoder (default fargan); lpcnet = FreeDV LPCNet 191005, which also reads "
                          "FreeDV's (n, 38) / (n, 55) features")
    syn.add_argument("--seed", type=int, default=0, help="LPCNet's sampling seed (default 0)")
    syn.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    syn.add_argument("--isa", default=None, choices=list(ISA_NAMES), help="kernel path")
    syn.set_defaults(func=_synth)

    enc = sub.add_parser("encode", help="encode audio to Opus with DRED (.opus, or .pkts)")
    enc.add_argument("input", help="audio file (WAV, FLAC, Ogg, MP3, ...; coded at its own rate and channels "
                                   "when Opus has them, else resampled to 48 kHz)")
    enc.add_argument("-o", "--output", required=True, help="output: .opus (Ogg Opus) or .pkts (packet container)")
    _sender_options(enc, dred_bitrate=DEFAULT_DRED_BITRATE)
    enc.add_argument("--application", default="voip", choices=["voip", "audio", "restricted_lowdelay"],
                     help="Opus application (default voip)")
    enc.add_argument("--bandwidth", default=None,
                     choices=["narrowband", "mediumband", "wideband", "superwideband", "fullband"],
                     help="force the coded bandwidth (default: libopus decides)")
    enc.add_argument("--mode", default=None, choices=["silk", "hybrid", "celt"],
                     help="force the coding mode (default: libopus decides)")
    enc.add_argument("--complexity", type=int, default=9, help="encoder complexity 0-10 (default 9)")
    enc.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    enc.add_argument("--isa", default=None, choices=list(ISA_NAMES), help="kernel path")
    enc.set_defaults(func=_encode)

    sim = sub.add_parser("simulate", help="run the receiver over a packet-loss trace and score the result")
    sim.add_argument("input", help="clean speech (any audio file): sent, and the reference for the scores")
    _loss_options(sim)
    sim.add_argument("--packets", default=None, help="use these packets (.opus or .pkts) instead of encoding the input")
    sim.add_argument("-o", "--output", required=True, help="recovered speech (WAV)")
    sim.add_argument("--report", default=None, help="write a JSON report")
    sim.add_argument("--plot", default=None, help="write a PNG: waveforms, spectrogram, lost packets by fill")
    _receiver_options(sim)
    _sender_options(sim, dred_bitrate=DEFAULT_DRED_BITRATE)
    sim.set_defaults(func=_simulate)

    demo = sub.add_parser("demo", help="end-to-end demo on packaged speech with a bursty loss trace")
    demo.add_argument("--out-dir", default="dredfast-demo", help="folder for the outputs (default dredfast-demo)")
    # opus_demo style: a lost frame is filled once the next packet has arrived, however
    # long the gap (what libopus's reference figures measure).
    _receiver_options(demo, jitter_ms=1000)
    _sender_options(demo, dred_bitrate=DEFAULT_DRED_BITRATE)
    demo.set_defaults(func=_demo)
    from .evaluate.cli import add_parsers  # evaluate, recover (corpus scale, on Dask)
    add_parsers(sub)
    return p


#: DRED's own bitrate by default (encode, simulate, demo): 16 kb/s on top of --bitrate
#: carries the full second of redundancy (about 37 kb/s in all with 24 kb/s + LBRR).
#: libopus's own budget gives DRED nothing at 24 kb/s with LBRR on (--dred-bitrate auto).
DEFAULT_DRED_BITRATE = 16000


def _dred_bitrate(value: str) -> Optional[int]:
    if value.lower() in ("auto", "libopus"):
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected b/s or 'auto', got {value!r}") from None


def _loss_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trace", default=None,
                   help="loss trace: one line per 20 ms packet, 1 = received, 0 = lost (repeated if short); "
                        "default: loss made here from --loss / --burst / --loss-model")
    p.add_argument("--loss", type=float, default=20, help="simulated loss in %% without --trace (default 20)")
    p.add_argument("--burst", type=float, default=8,
                   help="mean loss burst in packets for --loss-model ge (default 8)")
    p.add_argument("--loss-model", default="ge", choices=["ge", "lossgen"],
                   help="ge: Gilbert-Elliott (default); lossgen: libopus 1.6.1's neural loss generator")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulated loss (default 1)")


def _sender_options(p: argparse.ArgumentParser, dred_bitrate: Optional[int] = None) -> None:
    p.add_argument("--bitrate", type=int, default=24000, help="Opus bitrate in b/s (default 24000)")
    p.add_argument("--lbrr", action=argparse.BooleanOptionalAction, default=True,
                   help="in-band FEC (LBRR) in the primary stream (default on)")
    p.add_argument("--expected-loss", "--loss-pct", dest="loss_pct", type=int, default=20,
                   help="packet loss in %% the encoder is told to expect (tunes LBRR and libopus's DRED "
                        "budget; does not drop anything; default 20)")
    p.add_argument("--dred-ms", type=int, default=1000, help="DRED redundancy to carry (default 1000)")
    p.add_argument("--dred-bitrate", type=_dred_bitrate, default=dred_bitrate,
                   help="DRED's own bitrate on top of --bitrate, or 'auto': libopus 1.6.1's budget, which "
                        "takes DRED's share out of --bitrate (none at 24 kb/s with LBRR)" +
                        ("" if dred_bitrate is None else f" (default {dred_bitrate})"))
    p.add_argument("--libopus", default=None, help="path to the system libopus (default: found automatically)")


def _receiver_options(p: argparse.ArgumentParser, jitter_ms: int = 60) -> None:
    p.add_argument("--vocoder", default="fargan", choices=["fargan", "lpcnet"], help="concealment vocoder")
    p.add_argument("--jitter-ms", type=int, default=jitter_ms,
                   help=f"jitter buffer: how far ahead the receiver may look for the DRED / LBRR of a lost "
                        f"packet, and for the packet after a gap (default {jitter_ms} ms)")
    p.add_argument("--history", default="shadow", choices=["shadow", "stock"],
                   help="how the system decoder follows a concealment: re-encoded concealed audio "
                        "(default) or its own PLC")
    p.add_argument("--plc-lookahead", type=int, default=None, metavar="SLOTS",
                   help="look-ahead concealment: steer the PLC to the packet after a gap if it is at most "
                        "this many slots ahead (default 50; 0 = extrapolate only, as libopus)")
    p.add_argument("--no-metrics", action="store_true", help="skip PESQ-WB / STOI / PLCMOS")
    p.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    p.add_argument("--isa", default=None, choices=list(ISA_NAMES), help="kernel path")


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "max_ms") and not 0 <= args.max_ms <= 100 * MAX_MS:
        print("dredfast: --max-ms must be between 0 and %d" % (100 * MAX_MS), file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except (OSError, ValueError, TypeError, EOFError) as e:
        # Bad input files and paths (unwritable -o, a float or 0-channel WAV, a
        # bool .npy, a blob that is not one) end with one line, not a traceback.
        print(f"dredfast {args.command}: {str(e) or type(e).__name__}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
