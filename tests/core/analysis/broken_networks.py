"""Broken networks, each with one problem that has a one-click fix, and the label of that fix.

Shared by the core tests of the fixes and the window's tests of the fix buttons.
"""

from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec

HEAD = (("Flatten", {}), ("Linear", {"out_features": 64}), ("ReLU", {}))


def net(*layers, shape=(1, 28, 28), loss="CrossEntropyLoss", dataset="mnist") -> NetworkSpec:
    blocks = [LayerSpec(t, dict(p)) for t, p in layers]
    return NetworkSpec(blocks, shape, training=TrainingConfig(loss=loss, dataset=dataset))


def mlp(*tail, **kwargs) -> NetworkSpec:
    return net(*HEAD, *tail, **kwargs)


CONV = ("Conv2d", {"out_channels": 4, "kernel_size": 3})
SCORES = ("Linear", {"out_features": 10})
BROKEN = {
    "wrong in_features": (net(("Flatten", {}), ("Linear", {"in_features": 100})), "set in_features to 784"),
    "wrong in_channels": (
        net(("Conv2d", {"in_channels": 3, "out_channels": 4}), ("ReLU", {}), ("Flatten", {}), SCORES),
        "set in_channels to 1",
    ),
    "wrong num_features": (
        net(CONV, ("BatchNorm2d", {"num_features": 16}), ("ReLU", {}), ("Flatten", {}), SCORES),
        "set num_features to 4",
    ),
    "wrong normalized_shape": (
        mlp(("LayerNorm", {"normalized_shape": [32]}), SCORES),
        "set normalized_shape to [64]",
    ),
    "Linear on an image": (net(CONV, ("ReLU", {}), SCORES), "insert a Flatten before this Linear"),
    "Linear on an image, in_features set": (
        net(CONV, ("ReLU", {}), ("Linear", {"in_features": 400, "out_features": 10})),
        "insert a Flatten before this Linear",
    ),
    "Softmax before CrossEntropyLoss": (mlp(SCORES, ("Softmax", {})), "remove this Softmax"),
    "LogSoftmax before CrossEntropyLoss": (
        mlp(SCORES, ("LogSoftmax", {})),
        "use NLLLoss, which expects this LogSoftmax",
    ),
    "Softmax before NLLLoss": (
        mlp(SCORES, ("Softmax", {}), loss="NLLLoss"),
        "replace this Softmax with a LogSoftmax",
    ),
    "ReLU before NLLLoss": (mlp(SCORES, ("ReLU", {}), loss="NLLLoss"), "replace this ReLU with a LogSoftmax"),
    "ReLU before CrossEntropyLoss": (mlp(SCORES, ("ReLU", {})), "remove this ReLU"),
    "Dropout last": (mlp(SCORES, ("Dropout", {})), "remove this Dropout"),
    "BatchNorm last": (mlp(SCORES, ("BatchNorm1d", {})), "remove this BatchNorm1d"),
    "two Linear layers in a row": (
        net(("Flatten", {}), ("Linear", {"out_features": 64}), SCORES),
        "insert a ReLU before this Linear",
    ),
    "too many outputs": (mlp(("Linear", {"out_features": 12})), "set out_features to 10"),
    "outputs set before a Softmax": (
        mlp(("Linear", {"out_features": 12}), ("LogSoftmax", {}), loss="NLLLoss"),
        "set out_features of block 4 to 10",
    ),
    "an image out": (net(CONV), "end with a Flatten and a Linear with 10 outputs"),
    "input of another dataset": (mlp(SCORES, shape=(3, 32, 32)), "set the input shape to 1×28×28"),
    "regression loss on classes": (mlp(SCORES, loss="MSELoss"), "use CrossEntropyLoss"),
    "BCE on ten classes": (mlp(SCORES, loss="BCEWithLogitsLoss"), "use CrossEntropyLoss"),
    "class loss on regression": (
        net(("Linear", {"out_features": 1}), shape=(2,), dataset="linear_regression"),
        "use MSELoss",
    ),
}
