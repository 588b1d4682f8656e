"""Layer health on the canvas: a real probe's figures colour each block's badge, the tooltip says
which rule a block breaks and what to try, and an edit of the network takes the stale figures away."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from gui_app.core.project.blocks import TOP
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.health import RULES_BY_NAME, HealthProbe
from gui_app.core.training.trainer import Trainer
from gui_app.ui.canvas import NetworkCanvas
from gui_app.ui.canvas.container_items import ContainerItem
from gui_app.ui.canvas.health import BADGE_HEIGHT, HealthBadge
from gui_app.ui.canvas.items import BLOCK_WIDTH
from gui_app.ui.document.document import Document
from gui_app.ui.theme import health_colour
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


class DeadReLU(Callback):
    """Sets the first Linear's bias to -100, so the ReLU after it never lets anything through."""

    def on_fit_start(self, trainer):
        with torch.no_grad():
            trainer.model[1].bias.fill_(-100.0)


class Events(Callback):
    def __init__(self) -> None:
        self.events = []

    def on_health(self, trainer, event):
        self.events.append(event)


def _probed(spec: NetworkSpec, *callbacks: Callback) -> list:
    """The health events of a real run of ``spec`` (8 steps), probed every 2 steps."""
    events = Events()
    probe = HealthProbe(every=2, probe_size=32, max_share=None)
    Trainer(spec, config(), [*callbacks, probe, events], dataset=mnist_slice(256, 100)).fit()
    return events.events


def _canvas(qtbot, spec: NetworkSpec) -> NetworkCanvas:
    view = NetworkCanvas(Document(spec))
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture(scope="module")
def dead_relu_events():
    """A real run of the 4-block MLP with a dead ReLU."""
    return _probed(mlp_spec(hidden=32), DeadReLU())


@pytest.fixture
def canvas(qtbot) -> NetworkCanvas:
    return _canvas(qtbot, mlp_spec(hidden=32))


def _badge(view: NetworkCanvas, index: int) -> HealthBadge:
    return view.network_scene.health_badges[view.document.spec.layers[index].uid]


def _dot_colour(view: NetworkCanvas, badge: HealthBadge) -> QColor:
    """The colour the scene paints at the centre of the badge's dot."""
    centre = badge.mapToScene(QPointF(10, BADGE_HEIGHT / 2))
    image = QImage(9, 9, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    view.network_scene.render(painter, QRectF(0, 0, 9, 9), QRectF(centre.x() - 4.5, centre.y() - 4.5, 9, 9))
    painter.end()
    return image.pixelColor(4, 4)


def test_a_probe_colours_each_block_and_the_tooltip_names_the_rule_it_breaks(canvas, dead_relu_events):
    scene = canvas.network_scene
    for event in dead_relu_events:
        scene.show_health(event)
    dark = scene.colours.background.lightness() < 128
    relu, flatten = _badge(canvas, 2), _badge(canvas, 0)
    assert relu.verdict == "broken" and flatten.verdict == "healthy"
    assert _dot_colour(canvas, relu) == health_colour("broken", dark)
    assert _dot_colour(canvas, flatten) == health_colour("healthy", dark)
    tip = relu.toolTip()
    assert "block 3 (ReLU): broken" in tip and "dead units: 100%" in tip
    assert "all dead" in tip and RULES_BY_NAME["all_dead"].explanation in tip and "LeakyReLU" in tip
    assert "dead units over the run" in tip
    linear_tip = _badge(canvas, 1).toolTip()
    assert "vanishing gradient" in linear_tip and "gradient norm: 0" in linear_tip
    assert "none of the health rules" in flatten.toolTip()
    # one point per probe: the strip follows the run
    assert list(relu.history) == [1.0] * len(dead_relu_events)


def test_an_edit_of_the_network_clears_the_health_and_new_settings_do_not(canvas, dead_relu_events):
    scene, doc = canvas.network_scene, canvas.document
    scene.show_health(dead_relu_events[-1])
    assert len(scene.health_badges) == 4
    doc.set_training(doc.spec.training.replace(epochs=3))
    assert len(scene.health_badges) == 4  # the settings of the next run change nothing measured
    doc.set_param(doc.spec.layers[1].uid, "out_features", 48)
    assert scene.health_badges == {}
    assert not [item for item in scene.items() if isinstance(item, HealthBadge)]


def test_figures_of_another_network_are_not_shown(canvas, dead_relu_events):
    doc = canvas.document
    doc.remove_layers([doc.spec.layers[0].uid])  # Linear is now block 1, where the probe had Flatten
    canvas.network_scene.show_health(dead_relu_events[-1])
    assert canvas.network_scene.health_badges == {}


def _residual_mlp() -> NetworkSpec:
    body = [LayerSpec("Linear", {"out_features": 32}), LayerSpec("ReLU")]
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 32}),
        LayerSpec("Residual", lanes=[body, []]),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), "Residual MLP", config())


def test_a_container_badge_sits_beside_its_frame_and_follows_a_collapse(qtbot) -> None:
    spec = _residual_mlp()
    last = _probed(spec)[-1]
    view = _canvas(qtbot, spec)  # held: the scene lives as long as its view
    scene = view.network_scene
    residual = spec.layers[2].uid
    scene.show_health(last)
    badge = scene.health_badges[residual]

    def beside(item_width: float) -> bool:
        item = scene.items_by_uid[residual]
        right = item.mapToScene(QPointF(item_width, 0)).x()
        return badge.parentItem() is item and badge.scene() is scene and badge.sceneBoundingRect().left() >= right

    frame = scene.items_by_uid[residual]
    assert isinstance(frame, ContainerItem) and frame.width > BLOCK_WIDTH
    assert beside(frame.width)  # not on the frame's own header, where a block's badge would be
    assert scene.sceneRect().contains(badge.sceneBoundingRect())  # the view can scroll to it
    scene.set_collapsed([residual], True)
    assert scene.health_badges[residual] is badge and beside(BLOCK_WIDTH)
    scene.set_collapsed([residual], False)
    assert beside(scene.items_by_uid[residual].width)
    scene.show_health(last)  # the next probe adds to the same badge, still on show
    assert badge.isVisible() and len(badge.history) == 2


def test_a_health_badge_sits_right_of_a_fix_badge_inside_the_scene(qtbot) -> None:
    # a Softmax before CrossEntropyLoss trains (with a warning) and shows a Fix badge
    spec = mlp_spec(hidden=32)
    spec.insert_block(TOP, len(spec.layers), LayerSpec("Softmax", {"dim": 1}))
    last = _probed(spec)[-1]
    view = _canvas(qtbot, spec)  # held: the scene lives as long as its view
    scene = view.network_scene
    softmax = scene.items_by_uid[spec.layers[-1].uid]
    assert softmax.fix_badge.isVisible()
    scene.show_health(last)
    badge = scene.health_badges[spec.layers[-1].uid]
    assert badge.sceneBoundingRect().left() >= softmax.fix_badge.sceneBoundingRect().right()
    assert scene.sceneRect().contains(badge.sceneBoundingRect())  # the view can scroll to it
