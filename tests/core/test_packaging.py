"""The packaging files agree with each other and with the code: desktop entry, AppStream metainfo,
icons, pyproject metadata, the PyInstaller spec, and a wheel that carries resources/."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageChops, ImageStat

import gui_app
from gui_app.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons" / "app"
APP_ID = "io.github.netbuilder.NetBuilder"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
SPEC = PACKAGING / "netbuilder.spec"


def _load_make_icons() -> ModuleType:
    """packaging/ is no package; load its icon script by path (dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location("netbuilder_make_icons", PACKAGING / "make_icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_icons = _load_make_icons()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def desktop() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.fixture(scope="module")
def metainfo() -> ElementTree.Element:
    return ElementTree.parse(METAINFO).getroot()


def _spec_executable_names() -> list[str]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    return [
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "EXE"
        for kw in node.keywords
        if kw.arg == "name" and isinstance(kw.value, ast.Constant)
    ]


# Desktop entry ------------------------------------------------------------------------------------


def test_desktop_entry_has_the_required_fields(desktop: configparser.SectionProxy) -> None:
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "NetBuilder"
    assert desktop["Terminal"] == "false"
    assert desktop["Icon"] == APP_ID == DESKTOP.stem
    for key in ("Categories", "Keywords"):
        assert desktop[key].endswith(";"), f"{key} must end with ';'"
    assert "Science" in desktop["Categories"].split(";")
    # Field codes other than the one file the app opens would be passed through literally.
    assert re.findall(r"%\w", desktop["Exec"]) == ["%f"]


def test_desktop_entry_runs_the_executable_the_spec_builds(desktop: configparser.SectionProxy) -> None:
    assert desktop["Exec"].split()[0] in _spec_executable_names()
    assert desktop["TryExec"] == desktop["Exec"].split()[0]


# AppStream metainfo -------------------------------------------------------------------------------


def test_metainfo_names_this_app_and_its_desktop_entry(metainfo: ElementTree.Element) -> None:
    assert metainfo.tag == "component"
    assert metainfo.get("type") == "desktop-application"
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert metainfo.findtext("name") == "NetBuilder"
    summary = metainfo.findtext("summary") or ""
    assert summary and not summary.endswith("."), "AppStream summaries carry no final full stop"
    assert metainfo.findall("description/p"), "the description needs at least one paragraph"
    assert metainfo.findtext("metadata_license") == "CC0-1.0"


def test_metainfo_agrees_with_pyproject(metainfo: ElementTree.Element, pyproject: dict) -> None:
    project = pyproject["project"]
    assert metainfo.findtext("project_license") == project["license"]
    assert metainfo.findtext("url[@type='homepage']") == project["urls"]["Homepage"]
    assert metainfo.findtext("url[@type='bugtracker']") == project["urls"]["Issues"]


def test_metainfo_newest_release_is_the_app_version(metainfo: ElementTree.Element) -> None:
    releases = metainfo.findall("releases/release")
    assert releases, "no <release> entries"
    assert releases[0].get("version") == gui_app.__version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", releases[0].get("date") or "")


def test_metainfo_categories_match_the_desktop_entry(
    metainfo: ElementTree.Element, desktop: configparser.SectionProxy
) -> None:
    categories = [c.text for c in metainfo.findall("categories/category")]
    assert categories == [c for c in desktop["Categories"].split(";") if c]


# Icons --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", make_icons.PNG_SIZES)
def test_png_icon_exists_at_every_size(size: int) -> None:
    path = ICONS / f"netbuilder-{size}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        rgba = image.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] < 64, "the tile's rounded corners must be (nearly) transparent"
    assert rgba.getpixel((size // 2, size // 2))[3] > 250


def test_ico_and_icns_hold_every_size() -> None:
    with Image.open(ICONS / "netbuilder.ico") as ico:
        assert ico.format == "ICO"
        assert set(ico.info["sizes"]) == {(s, s) for s in make_icons.ICO_SIZES}
    with Image.open(ICONS / "netbuilder.icns") as icns:
        assert icns.format == "ICNS"
        assert {(w, h) for w, h, _ in icns.info["sizes"]} == {(s, s) for s in make_icons.ICNS_TYPES}


def test_svg_icon_is_what_the_drawing_script_writes() -> None:
    svg = ICONS / "netbuilder.svg"
    root = ElementTree.parse(svg).getroot()
    assert root.get("viewBox") == f"0 0 {make_icons.UNIT} {make_icons.UNIT}"
    assert svg.read_text(encoding="utf-8") == make_icons.svg_text()


@pytest.mark.parametrize("size", [16, 128])
def test_png_icons_match_the_drawing(size: int) -> None:
    with Image.open(ICONS / f"netbuilder-{size}.png") as shipped:
        diff = ImageChops.difference(shipped.convert("RGBA"), make_icons.render(size))
    assert max(ImageStat.Stat(diff).mean) < 3, "the committed PNGs are stale: run packaging/make_icons.py"


def test_icon_files_stay_small() -> None:
    for path in ICONS.iterdir():
        assert path.stat().st_size < 64_000, f"{path.name} is {path.stat().st_size:,} bytes"


def test_spec_icons_exist() -> None:
    names = set(re.findall(r"netbuilder(?:-\d+)?\.(?:ico|icns|png)", SPEC.read_text(encoding="utf-8")))
    assert names >= {"netbuilder.ico", "netbuilder.icns"}
    for name in names:
        assert (ICONS / name).is_file(), name


# pyproject and the wheel --------------------------------------------------------------------------


def test_pyproject_metadata_is_complete(pyproject: dict) -> None:
    project = pyproject["project"]
    for key in ("description", "readme", "requires-python", "license", "authors", "classifiers", "urls"):
        assert project.get(key), f"[project] {key} is missing"
    assert project["license"] == "MIT"
    for name in project["license-files"]:
        assert (ROOT / name).is_file()
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    # PEP 639: a licence expression and licence classifiers must not be used together.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert project["scripts"]["netbuilder"] == "gui_app.cli:main"
    assert project["gui-scripts"]["netbuilder-gui"] == "gui_app.cli:gui_main"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "gui_app.__version__"}
    assert any(dep.startswith("build") for dep in project["optional-dependencies"]["test"])


def test_version_option_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"NetBuilder {gui_app.__version__}"


@pytest.mark.slow
def test_wheel_carries_every_resource(tmp_path: Path) -> None:
    """Build the wheel from a copy of the sources and check resources/ landed in gui_app/resources."""
    if importlib.util.find_spec("build") is None:
        pytest.fail("the 'build' package is missing: pip install -e '.[test]'")
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("gui_app", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "LICENSE", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = out.glob("netbuilder-*.whl")
    assert wheel.name.startswith(f"netbuilder-{gui_app.__version__}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"netbuilder-{gui_app.__version__}.dist-info/METADATA").decode()
    expected = {
        "gui_app/resources/" + path.relative_to(ROOT / "resources").as_posix()
        for path in (ROOT / "resources").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected, "resources/ is empty"
    assert expected <= names, sorted(expected - names)[:5]
    assert "gui_app/cli/__init__.py" in names
    assert "License-Expression: MIT" in metadata


def test_resnet_without_torchvision_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desktop bundle leaves torchvision out: the ResNet-18 block must say so, not crash."""
    from gui_app.core.layers.resnet import NO_TORCHVISION, build_resnet18

    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(RuntimeError, match="needs torchvision") as raised:
        build_resnet18()
    assert str(raised.value) == NO_TORCHVISION
