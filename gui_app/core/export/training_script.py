"""A standalone training script for a project, and the ``torchrun`` launcher for it.

The script is the Python export plus a training loop that follows the project's settings. It
runs unchanged as one process or under ``torchrun`` (DistributedDataParallel, a
DistributedSampler, gloo on CPUs and NCCL on GPUs), reads the MNIST or Fashion-MNIST IDX files
itself, prints the same JSON metric lines as ``netbuilder train`` and writes checkpoints that
:func:`gui_app.core.training.trained_model.load_trained_model` opens.

The code between the two ``runtime`` markers below is copied verbatim into every script, so it
uses only the standard library and torch; keeping it here means it is linted and tested as
ordinary code.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import gzip
import inspect
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from gui_app import __version__
from gui_app.core.analysis.compiler import compile_network
from gui_app.core.export.output_files import ExportError, write_export
from gui_app.core.export.python_source import model_definition_source, python_literal
from gui_app.core.project.spec import NetworkSpec

_SCRIPT_DATASETS = ("mnist", "fashion_mnist")


def training_script_source(spec: NetworkSpec) -> str:
    """The script's text; :class:`ExportError` if the project cannot train from a script."""
    config = spec.training
    if config.dataset not in _SCRIPT_DATASETS:
        raise ExportError(f"the training script reads MNIST or Fashion-MNIST; this project trains on {config.dataset}")
    model_imports, definitions = model_definition_source(spec)
    shape = tuple(spec.input_shape)
    if math.prod(shape) != 28 * 28 and shape != (3, 28, 28):
        raise ExportError(f"the training script feeds 28×28 images; the network's input is {list(shape)}")
    output = compile_network(spec).output_shape
    if output != (10,):
        raise ExportError(f"the training script needs 10 outputs (one per class); the network gives {output}")
    third_party = [
        line for line in model_imports if line.startswith(("import torch", "from torch import", "from torchvision"))
    ]
    imports = [
        *_STDLIB_IMPORTS,
        "",
        "import torch",
        "import torch.distributed as dist",
        next(line for line in third_party if line.startswith("from torch import")),
        "from torch.nn.parallel import DistributedDataParallel",
        "from torch.utils.data.distributed import DistributedSampler",
        *[line for line in third_party if line.startswith("from torchvision")],
    ]
    settings = "\n".join(f"    {python_literal(k)}: {python_literal(v)}," for k, v in config.to_dict().items())
    script = Path(f"train_{_slug(spec.name)}.py").name
    needs = "torch and torchvision" if any("torchvision" in line for line in third_party) else "torch"
    parts = [
        _DOC.format(version=__version__, script=script, needs=needs)
        + "\n\n"
        + "\n".join(imports)
        + "\n\n"
        + definitions,
        "#: The project this script was exported from; every checkpoint stores it.\n"
        f"SPEC_JSON = {_multiline_literal(spec.to_json())}\n\n"
        "#: The project's training settings: edit them here or override some on the command line.\n"
        f"TRAINING = {{\n{settings}\n}}",
        _runtime_source(),
        'if __name__ == "__main__":\n    sys.exit(main(sys.argv[1:], build_model, TRAINING, SPEC_JSON, INPUT_SHAPE))',
    ]
    return "\n\n\n".join(parts) + "\n"


def export_training_script(spec: NetworkSpec, path: str | os.PathLike[str]) -> None:
    """Write :func:`training_script_source` to ``path``."""
    write_export(path, training_script_source(spec))


def torchrun_command(
    script_path: str | os.PathLike[str], nproc: int, args: Sequence[str] = (), *, standalone: bool = True
) -> list[str]:
    """The ``python -m torch.distributed.run`` command that runs a script on ``nproc`` processes.

    ``standalone`` (one machine) starts a private rendezvous on the loopback address, so nothing
    depends on the host name resolving.
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"the number of processes must be a positive integer, not {nproc!r}")
    command = [sys.executable, "-m", "torch.distributed.run"]
    if standalone:
        command += ["--standalone", "--local-addr", "127.0.0.1"]
    return [*command, "--nproc-per-node", str(nproc), str(script_path), *args]


def launch_torchrun(
    script_path: str | os.PathLike[str],
    nproc: int,
    args: Sequence[str] = (),
    *,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> int:
    """Run a training script on ``nproc`` local processes and return torchrun's exit status.

    The processes inherit stdout and stderr, so rank 0's JSON metric lines reach the caller's
    output. Each process gets an equal share of the CPU threads; gloo talks over loopback.
    """
    command = torchrun_command(script_path, nproc, args)
    environment = {**os.environ, **(env or {})}
    if sys.platform.startswith("linux"):
        environment.setdefault("GLOO_SOCKET_IFNAME", "lo")
    environment.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    return subprocess.run(command, env=environment, timeout=timeout, check=False).returncode


def _multiline_literal(text: str) -> str:
    """``text`` as one parenthesised literal per line, so it reads as the text it holds."""
    lines = [python_literal(line) for line in text.splitlines(keepends=True)] or [python_literal(text)]
    return "(\n" + "".join(f"    {line}\n" for line in lines) + ")"


def _slug(name: str) -> str:
    """A file name for the usage examples: ASCII letters, digits and _ only (it goes into the docstring)."""
    text = "".join(c.lower() if c.isascii() and c.isalnum() else "_" for c in name).strip("_")
    return "_".join(part for part in text.split("_") if part)[:40] or "network"


def _runtime_source() -> str:
    source = inspect.getsource(sys.modules[__name__])
    start = source.index(f"\n{_START_MARKER}\n") + len(_START_MARKER) + 2
    return source[start : source.index(f"\n{_END_MARKER}\n")].strip()


_START_MARKER = "# --- runtime: copied into every training script ---"
_END_MARKER = "# --- end of runtime ---"
_STDLIB_IMPORTS = (
    "import argparse",
    "import datetime",
    "import gc",
    "import gzip",
    "import json",
    "import math",
    "import os",
    "import sys",
    "import time",
    "from collections.abc import Callable",
    "from pathlib import Path",
    "from typing import Any, NamedTuple",
)
#: No text from the project goes in here: the name is in SPEC_JSON and the NAME literal.
_DOC = '''r"""Train a network on its own: a training script exported by NetBuilder {version}.

It needs only {needs} and the dataset's four IDX files
(uncompressed or .gz) in DATA or DATA/MNIST/raw (DATA/FashionMNIST/raw for Fashion-MNIST).

One process (a GPU if there is one, else the CPU):
    python {script} --data-dir DATA --out model.pt
Four processes on one machine (one per GPU, or CPU processes with gloo):
    torchrun --standalone --nproc-per-node 4 {script} \\
        --data-dir DATA --out model.pt
Two machines with 8 GPUs each (run on both; HOST is the first machine):
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 \\
        --rdzv-id run1 {script} --data-dir DATA --out model.pt

--batch-size is the global batch, split evenly across the processes, so a run on N processes
takes the same steps as one process. Rank 0 prints one JSON line of metrics per epoch and
writes the checkpoint, which NetBuilder opens (File > Open model, or netbuilder predict).
"""'''


# --- runtime: copied into every training script ---
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATASET_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
#: Mean and std of each dataset's training images scaled to [0, 1].
DATASET_STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion_mnist": ((0.2860,), (0.3530,))}
#: Losses that take class indices; the others get one-hot targets.
INDEX_LOSSES = ("CrossEntropyLoss", "NLLLoss")


class ScriptError(Exception):
    """A problem the user can fix (missing data, bad option); printed as one line."""


def parse_args(argv: list[str], training: dict[str, Any]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the network (one process or under torchrun).")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="folder with the IDX files")
    parser.add_argument("--epochs", type=int, default=training["epochs"])
    parser.add_argument("--batch-size", type=int, default=training["batch_size"], help="global batch (all processes)")
    parser.add_argument("--lr", type=float, default=training["lr"])
    parser.add_argument("--seed", type=int, default=training["seed"])
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    parser.add_argument("--out", type=Path, default=Path("model.pt"), help="checkpoint written by rank 0")
    # Not "--log": torchrun's own parser would take that for an abbreviation of its --log-dir.
    parser.add_argument("--metrics-log", type=Path, help="also append the JSON metric lines to this file")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--timeout-min", type=float, default=30.0, help="collective operation timeout")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.max_steps < 0 or args.lr <= 0:
        parser.error("--epochs, --batch-size and --lr must be positive, --max-steps at least 0")
    return args


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file of unsigned bytes (MNIST's format), plain or gzipped, as a uint8 tensor."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ScriptError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(data) - offset != math.prod(dims):
        raise ScriptError(f"{path}: truncated (expected {math.prod(dims)} values)")
    return torch.frombuffer(bytearray(data[offset:]), dtype=torch.uint8).reshape(dims)


def find_idx(data_dir: Path, dataset: str, name: str) -> Path:
    folders = [data_dir, data_dir / DATASET_FOLDERS[dataset] / "raw", data_dir / "raw"]
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise ScriptError(
        f"{name} not found: put the IDX files (plain or .gz) in {data_dir} "
        f"or {data_dir / DATASET_FOLDERS[dataset] / 'raw'}"
    )


def load_split(
    data_dir: Path, dataset: str, split: str, input_shape: tuple[int, ...], stats: tuple[Any, Any]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images scaled, normalised and shaped as the network's input; labels as int64."""
    images_name, labels_name = IDX_NAMES[split]
    images = read_idx(find_idx(data_dir, dataset, images_name))
    labels = read_idx(find_idx(data_dir, dataset, labels_name)).long()
    if images.dim() != 3 or len(images) != len(labels):
        raise ScriptError(f"{images_name} and {labels_name} do not match")
    x = (images.float() / 255 - stats[0][0]) / stats[1][0]
    if math.prod(input_shape) == images[0].numel():
        return x.reshape(len(x), *input_shape), labels
    # A 3-channel network (ResNet-18) sees the grey image in all three channels.
    return x.unsqueeze(1).expand(-1, input_shape[0], -1, -1).contiguous(), labels


def setup_distributed(device_name: str, timeout_min: float) -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins the process group when torchrun started us."""
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    if device_name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ScriptError("--device cuda, but no CUDA GPU is available")
        if local_rank >= torch.cuda.device_count():
            raise ScriptError(
                f"process {local_rank} has no GPU of its own ({torch.cuda.device_count()} on this machine): "
                "start at most one process per GPU, or pass --device cpu"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device(device_name)
    if "RANK" in os.environ:
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_min))
    return rank, world, device


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum ``values`` over all processes (a no-op in a single process)."""
    # NCCL reduces CUDA tensors; gloo and a single process use the CPU (MPS has no float64).
    tensor = torch.tensor(values, dtype=torch.float64, device=device if device.type == "cuda" else "cpu")
    if dist.is_initialized():
        dist.all_reduce(tensor)
    return tensor.tolist()


def make_optimizer(cfg: dict[str, Any], params: Any, lr: float) -> torch.optim.Optimizer:
    name, wd, momentum = cfg["optimizer"], cfg["weight_decay"], cfg["momentum"]
    if name == "SGD":
        nesterov = cfg["nesterov"] and momentum > 0
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=wd)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=wd)
    return getattr(torch.optim, name)(params, lr=lr, weight_decay=wd)


def make_scheduler(cfg: dict[str, Any], optimizer: Any, lr: float, epochs: int, steps: int) -> Any:
    """The project's learning-rate schedule (None for "none"); OneCycleLR steps per batch."""
    sched = torch.optim.lr_scheduler
    name = cfg["scheduler"]
    if name == "StepLR":
        return sched.StepLR(optimizer, step_size=cfg["step_size"], gamma=cfg["gamma"])
    if name == "CosineAnnealingLR":
        return sched.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "OneCycleLR":
        return sched.OneCycleLR(optimizer, max_lr=lr, total_steps=max(1, epochs * steps))
    if name == "ReduceLROnPlateau":
        factor = cfg["gamma"] if 0 < cfg["gamma"] < 1 else 0.1
        return sched.ReduceLROnPlateau(optimizer, factor=factor, patience=cfg["step_size"])
    return None


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_of: Callable,
    rank: int,
    world: int,
    batch: int,
    device: torch.device,
) -> tuple[float, float]:
    """Mean loss and accuracy over (x, y); each process takes every world-th sample."""
    model.eval()
    loss_sum = correct = 0.0
    indices = torch.arange(rank, len(x), world)
    with torch.no_grad():
        for chunk in indices.to(x.device).split(batch):
            xb, yb = x[chunk], y[chunk]
            out = model(xb)
            loss_sum += float(loss_of(out, yb)) * len(chunk)
            correct += float((out.argmax(1) == yb).sum())
    loss_sum, correct, count = all_sum([loss_sum, correct, float(len(indices))], device)
    model.train()
    return loss_sum / max(count, 1.0), correct / max(count, 1.0)


def save_checkpoint(
    path: Path, model: nn.Module, optimizer: Any, spec_json: str, stats: tuple[Any, Any], metrics: dict[str, float]
) -> None:
    """The NetBuilder model format (plain tensors and Python), written atomically."""
    payload = {
        "format": "netbuilder-model",
        "torch_version": str(torch.__version__),
        "spec_json": spec_json,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "normalization": {"mean": [float(m) for m in stats[0]], "std": [float(s) for s in stats[1]]},
        "metrics": {k: float(v) for k, v in metrics.items()},
        "optimizer": optimizer.state_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp")
    torch.save(payload, staged)
    os.replace(staged, path)


def note(rank: int, text: str) -> None:
    """A progress line on stderr, from the first process only (the others would repeat it)."""
    if rank == 0:
        print(text, file=sys.stderr, flush=True)


def local_batch_size(batch_size: int, world: int, rank: int) -> int:
    """Each process's share of the global batch; a remainder is dropped, and the user told."""
    local_batch = batch_size // world
    if local_batch < 1:
        raise ScriptError(f"--batch-size {batch_size} is smaller than the {world} processes")
    if batch_size % world:
        note(rank, f"note: --batch-size {batch_size} is not a multiple of {world}; using {local_batch * world}")
    return local_batch


def load_data(
    args: argparse.Namespace, cfg: dict[str, Any], input_shape: tuple[int, ...], device: torch.device
) -> tuple[tuple[Any, Any], list[torch.Tensor]]:
    """The normalisation (mean, std) and ``[train_x, train_y, val_x, val_y]`` on ``device``."""
    dataset = cfg["dataset"]
    stats = {"zero_one": ((0.0,), (1.0,)), "minus_one_one": ((0.5,), (0.5,))}.get(
        cfg["normalization"], DATASET_STATS[dataset]
    )
    train_x, train_y = load_split(args.data_dir, dataset, "train", input_shape, stats)
    if cfg["val_split"] > 0:
        n_val = max(1, round(len(train_x) * cfg["val_split"]))
        order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(args.seed))
        val_x, val_y = train_x[order[:n_val]], train_y[order[:n_val]]
        train_x, train_y = train_x[order[n_val:]], train_y[order[n_val:]]
    else:
        val_x, val_y = load_split(args.data_dir, dataset, "test", input_shape, stats)
    # MNIST fits on any GPU: keep it there and gather batches by index, with no copies per step.
    return stats, [t.to(device) for t in (train_x, train_y, val_x, val_y)]


def make_loss(cfg: dict[str, Any]) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The project's loss on class labels (one-hot targets for the losses that want them)."""
    loss_fn = getattr(nn, cfg["loss"])()

    def loss_of(out: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if cfg["loss"] in INDEX_LOSSES:
            return loss_fn(out, labels)
        return loss_fn(out, nn.functional.one_hot(labels, out.shape[1]).to(out.dtype))

    return loss_of


class Run(NamedTuple):
    """What one process trains with, set up once before the first epoch."""

    model: nn.Module
    net: nn.Module
    loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    sampler: DistributedSampler
    optimizer: Any
    scheduler: Any
    amp: Any
    scaler: Any
    local_batch: int
    device: torch.device


def set_up_run(
    args: argparse.Namespace,
    build_model: Callable[[], nn.Module],
    cfg: dict[str, Any],
    samples: int,
    rank: int,
    world: int,
    local_batch: int,
    device: torch.device,
) -> Run:
    """The model (wrapped in DDP under torchrun), the sampler, optimiser, scheduler and AMP."""
    torch.manual_seed(args.seed)
    model = build_model().to(device)
    torch.manual_seed(args.seed + 1000 * rank)  # each process draws its own dropout masks
    net: nn.Module = model
    if dist.is_initialized():
        net = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    loss_of = make_loss(cfg)
    # The sampler shuffles by (seed, epoch) alone, so N processes together see exactly the
    # global batches one process would: step k covers positions k*B .. (k+1)*B of one permutation.
    sampler = DistributedSampler(
        range(samples), num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True
    )
    steps_per_epoch = math.ceil(len(sampler) / local_batch)
    optimizer = make_optimizer(cfg, net.parameters(), args.lr)
    scheduler = make_scheduler(cfg, optimizer, args.lr, args.epochs, steps_per_epoch)
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg["mixed_precision"])
    amp = amp if device.type == "cuda" else None
    scaler = torch.amp.GradScaler(device.type, enabled=amp == torch.float16)
    return Run(model, net, loss_of, sampler, optimizer, scheduler, amp, scaler, local_batch, device)


def train_epoch(
    run: Run, epoch: int, step: int, max_steps: int, train_x: torch.Tensor, train_y: torch.Tensor
) -> tuple[list[float], int]:
    """One epoch from global step ``step``: (loss sum, correct, samples) summed over every process,
    and the step it ended at."""
    device = run.device
    run.sampler.set_epoch(epoch - 1)
    order = torch.tensor(list(run.sampler), dtype=torch.long, device=device)
    # Sums stay on the device during the epoch: reading them every step would stall a GPU.
    sums = torch.zeros(3, dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)
    for chunk in order.split(run.local_batch):
        if max_steps and step >= max_steps:
            break
        xb, yb = train_x[chunk], train_y[chunk]
        run.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=run.amp, enabled=run.amp is not None):
            out = run.net(xb)
            loss = run.loss_of(out, yb)
        run.scaler.scale(loss).backward()
        run.scaler.step(run.optimizer)
        run.scaler.update()
        # OneCycleLR: a step past its last one would extrapolate the curve upwards again.
        scheduler = run.scheduler
        if (
            isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR)
            and scheduler.last_epoch + 1 < scheduler.total_steps
        ):
            scheduler.step()
        sums[0] += loss.detach() * len(chunk)
        sums[1] += (out.argmax(1) == yb).sum()
        sums[2] += len(chunk)
        step += 1
    return all_sum(sums.tolist(), device), step


def step_after_epoch(scheduler: Any, val_loss: float) -> None:
    """The per-epoch schedulers step here (OneCycleLR steps per batch instead)."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    elif scheduler is not None and not isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
        scheduler.step()


def publish(args: argparse.Namespace, run: Run, metrics: dict[str, float], spec_json: str, stats: Any) -> None:
    """The first process's epoch output: the JSON line, the metrics log and the checkpoint."""
    line = json.dumps(metrics)
    print(line, flush=True)
    if args.metrics_log:
        with args.metrics_log.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
    save_checkpoint(args.out, run.model, run.optimizer, spec_json, stats, metrics)


def train(
    args: argparse.Namespace,
    build_model: Callable[[], nn.Module],
    cfg: dict[str, Any],
    spec_json: str,
    input_shape: tuple[int, ...],
    rank: int,
    world: int,
    device: torch.device,
) -> None:
    local_batch = local_batch_size(args.batch_size, world, rank)
    stats, (train_x, train_y, val_x, val_y) = load_data(args, cfg, input_shape, device)
    run = set_up_run(args, build_model, cfg, len(train_x), rank, world, local_batch, device)
    note(
        rank,
        f"training on {world} process(es), {device.type}, global batch {local_batch * world}, "
        f"{len(train_x)} training and {len(val_x)} validation samples",
    )
    step, best, stale = 0, math.inf, 0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        (loss_sum, correct, seen), step = train_epoch(run, epoch, step, args.max_steps, train_x, train_y)
        busy = time.perf_counter() - start
        val_loss, val_acc = evaluate(run.model, val_x, val_y, run.loss_of, rank, world, local_batch, device)
        step_after_epoch(run.scheduler, val_loss)
        # As ``netbuilder train``: lr is the rate the next epoch starts with, seconds include
        # validation, samples_per_s counts training time only.
        metrics = {
            "epoch": epoch,
            "train_loss": loss_sum / max(seen, 1.0),
            "train_accuracy": correct / max(seen, 1.0),
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "lr": float(run.optimizer.param_groups[0]["lr"]),
            "seconds": time.perf_counter() - start,
            "samples_per_s": seen / max(busy, 1e-9),
        }
        if rank == 0:
            publish(args, run, metrics, spec_json, stats)
        stale = 0 if val_loss < best else stale + 1
        best = min(best, val_loss)
        patience = cfg["early_stopping_patience"]
        if (args.max_steps and step >= args.max_steps) or (patience and stale >= patience):
            break
    note(rank, f"checkpoint written to {args.out}")


def main(
    argv: list[str],
    build_model: Callable[[], nn.Module],
    training: dict[str, Any],
    spec_json: str,
    input_shape: tuple[int, ...],
) -> int:
    args = parse_args(argv, training)
    try:
        rank, world, device = setup_distributed(args.device, args.timeout_min)
        try:
            train(args, build_model, training, spec_json, tuple(input_shape), rank, world, device)
            # DDP's reducer sits in reference cycles: free it now, while the process group lives.
            # Left to the interpreter's exit, gloo's threads could outlive it and abort the rank
            # ("terminate called without an active exception", pytorch/pytorch#179291).
            gc.collect()
            if dist.is_initialized():
                dist.barrier()
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()
    except (ScriptError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


# --- end of runtime ---
