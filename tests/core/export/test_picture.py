"""The SVG picture of a design: well-formed for any name, every block drawn, errors in red."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gui_app.core.export.picture import network_svg
from gui_app.core.project.presets import PRESET_ORDER, load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec

SVG = "{http://www.w3.org/2000/svg}"
NAMES = [
    "</title><script>alert(1)</script>",
    "&amp; &lt; \" ' ]]> <!-- -->",
    "bell\x07 escape\x1b[2J nul\x00 lone \ud800 end",
    "x" * 5000,
]


@pytest.mark.parametrize("name", NAMES)
def test_any_name_gives_a_well_formed_svg_with_the_name_as_text(name):
    spec = load_preset("mnist_cnn_small")
    spec.name = name
    text = network_svg(spec)
    root = ET.fromstring(text.encode("utf-8"))  # XML 1.0 refuses control characters: none may be left
    assert root.tag == f"{SVG}svg"
    assert root.findall(f".//{SVG}script") == []
    title = root.find(f"{SVG}title").text
    assert "<" not in name or "<" in title  # markup in a name stays text
    assert len(title) <= 200


@pytest.mark.parametrize("key", PRESET_ORDER)
def test_every_block_of_every_preset_is_drawn_with_its_shape(key):
    spec = load_preset(key)
    root = ET.fromstring(network_svg(spec))
    blocks = root.findall(f".//{SVG}g[@class='block']")
    assert [b.get("data-type") for b in blocks] == [layer.type for layer in spec.layers]
    assert all("→ " in "".join(t.text or "" for t in b.iter(f"{SVG}text")) for b in blocks)


def test_a_block_with_an_error_is_drawn_red_with_its_message():
    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 4}), LayerSpec("Conv2d")], (8,), "broken")
    root = ET.fromstring(network_svg(spec))
    broken = root.findall(f".//{SVG}g[@class='block']")[1]
    assert broken.find(f"{SVG}rect").get("stroke") == "#D7263D"
    texts = [t.text for t in broken.iter(f"{SVG}text")]
    assert any(t and t.startswith("expects a (channels × height × width) input") for t in texts)
    outputs = [t.text for t in root.iter(f"{SVG}text")]
    assert "— (the network has errors)" in outputs
