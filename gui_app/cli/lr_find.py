"""``netbuilder lr-find FILE``: the learning-rate finder (Training ▸ Find Learning Rate) without a window.

Prints the suggested rate and why on stdout (``--json``: the result and the whole curve), a
progress bar on stderr on a terminal. ``--can-learn`` also trains one batch for 100 steps at the
project's rate (Training ▸ Can This Network Learn?). Exit 0 with a suggestion (and, with
``--can-learn``, a network that learnt its batch, if slowly), 1 when there is none, the check says
No, or the run could not start (no data, a network that does not fit it), 2 for a bad option or
an unreadable project file, 130 when stopped by Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gui_app.cli import HELP
from gui_app.cli.data import ProgressBar
from gui_app.cli.train import StopOnSignals, add_settings_options, at_least_one, data_note, run_settings
from gui_app.core.text.printable import printable
from gui_app.core.training.callbacks import Callback


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lr-find",
        help=HELP["lr-find"],
        description=(
            "Train the project's network for about 100 batches while the learning rate grows from --start-lr "
            "to --end-lr, and suggest a rate: a tenth of the one where the smoothed loss was lowest. "
            "Nothing is saved; the project's settings are the run's, options override them."
        ),
    )
    add_settings_options(parser, schedule=False)
    parser.add_argument("--start-lr", type=float, default=1e-7, metavar="LR", help="first rate (default 1e-7)")
    parser.add_argument("--end-lr", type=float, default=10.0, metavar="LR", help="last rate (default 10)")
    parser.add_argument("--steps", type=int, default=100, metavar="N", help="batches in the sweep (default 100)")
    parser.add_argument(
        "--can-learn",
        action="store_true",
        help="also train one batch for 100 steps at the project's rate: can this network learn at all?",
    )
    parser.add_argument("--json", action="store_true", help="print the result and the curve as JSON")
    parser.add_argument("--threads", type=at_least_one, metavar="N", help="CPU threads for torch (default: torch's)")
    parser.add_argument("--no-download", action="store_true", help="never download datasets")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class SweepPrinter(Callback):
    """A one-line progress bar on a terminal while the data downloads and the sweep runs."""

    def __init__(self, stream: Any, quiet: bool) -> None:
        self.stream = stream
        self.active = not quiet and stream.isatty()
        self.download_bar = ProgressBar(stream, quiet)

    def on_download(self, trainer: Any, progress: Any) -> None:
        self.download_bar.update(progress)

    def step(self, step: Any) -> None:
        self.download_bar.finish()
        if not self.active:
            return
        done = step.step / max(step.steps, 1)
        self.stream.write(
            f"\rlr-find [{'#' * int(done * 30):<30}] {step.step}/{step.steps} lr {step.point.lr:.2e} "
            f"loss {step.point.loss:.4g}  "
        )
        self.stream.flush()

    def finish(self) -> None:
        self.download_bar.finish()
        if self.active:
            self.stream.write("\n")
            self.stream.flush()


class Probes:
    """What Ctrl+C and SIGTERM stop: every probe started so far (the sweep, then the check)."""

    def __init__(self) -> None:
        self.started: list[Any] = []

    def stop(self) -> None:
        for probe in self.started:
            probe.stop()


def run(args: argparse.Namespace) -> int:
    import torch

    from gui_app.core.layers.catalogue import ParamError
    from gui_app.core.project.spec import ProjectFileError
    from gui_app.core.training.lr_finder import LRFinderSettings
    from gui_app.core.training.optimisation import ConfigError
    from gui_app.core.training.trained_model import ModelFileError

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        settings = LRFinderSettings(args.start_lr, args.end_lr, args.steps)
        spec, config, _resume = run_settings(args)
    except (ProjectFileError, ModelFileError, ParamError, ConfigError, OSError) as exc:
        print(f"netbuilder lr-find: {printable(str(exc))}", file=sys.stderr)
        return 2
    return find(spec, config, settings, args)


def find(spec: Any, config: Any, settings: Any, args: argparse.Namespace) -> int:
    """Sweep (and with ``--can-learn`` check one batch), print the outcome; the exit status."""
    from gui_app.core.training.lr_finder import LRFinder
    from gui_app.core.training.probing import ProbeError, ProbeStoppedError
    from gui_app.core.training.sanity import LearnCheck, Verdict

    printer = SweepPrinter(sys.stderr, args.quiet)
    finder = LRFinder(spec, config, settings=settings, download=not args.no_download, callbacks=[printer])
    probes, learn, result = Probes(), None, None
    probes.started.append(finder)
    with StopOnSignals(probes) as signals:
        try:
            result = finder.run(printer.step)
            if args.can_learn and not finder.stopped:
                probes.started.append(LearnCheck(spec, config, dataset=finder.trainer.dataset))
                learn = probes.started[-1].run()
        except ProbeStoppedError:  # a signal while the data downloaded
            pass
        except ProbeError as exc:
            printer.finish()
            print(f"netbuilder lr-find: {printable(str(exc))}", file=sys.stderr)
            return 1
        printer.finish()
    dataset = finder.trainer.dataset
    if dataset is not None and dataset.note:  # never a silent switch to other data
        print(data_note(dataset), file=sys.stderr)
    if signals.received or result is None:
        print(f"netbuilder lr-find: {signals.received or 'a stop'} received: stopped", file=sys.stderr)
        return 130
    report(result, learn, config, args.json)
    learns = learn is None or learn.verdict in (Verdict.LEARNED, Verdict.SLOW)  # "No" is the failed answer
    return 0 if result.suggested_lr is not None and learns else 1


def report(result: Any, learn: Any, config: Any, as_json: bool) -> None:
    """The outcome on stdout: three lines (four with the one-batch check), or one JSON object."""
    if as_json:
        data = {"project_lr": config.lr, **result.to_dict()}
        if learn is not None:
            data["can_learn"] = learn.to_dict()
        print(json.dumps(data))
        return
    points = result.points
    if result.suggested_lr is not None:
        print(f"suggested learning rate: {result.suggested_lr:g} (the project's: {config.lr:g})")
        print(f"  why: {result.note}")
    else:
        print(f"no suggested learning rate: {result.note}")
    if points:
        ended = {"diverged": "; stopped when the loss diverged", "stopped": "; stopped"}.get(str(result.ended), "")
        print(f"  sweep: {len(points)} steps from {points[0].lr:.2g} to {points[-1].lr:.2g}{ended}")
    if learn is not None:
        print(f"can this network learn? {learn.describe()}")
