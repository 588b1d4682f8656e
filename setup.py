"""Ship the repository's ``resources/`` folder inside the wheel as ``gui_app/resources``.

The metadata lives in pyproject.toml; only this mapping needs code, because ``resources/`` sits
beside ``gui_app/`` (where a source checkout and the PyInstaller spec expect it) rather than in it.
``gui_app.core.resources.resources_dir()`` looks in both places.
"""

from setuptools import find_namespace_packages, find_packages, setup

# The glob below copies every file under resources/. Its folders are listed as packages too, only
# so that setuptools does not warn that they look like packages missing from the configuration.
RESOURCE_FOLDERS = [f"gui_app.resources.{name}" for name in find_namespace_packages(where="resources")]

setup(
    packages=[*find_packages(include=["gui_app", "gui_app.*"]), "gui_app.resources", *RESOURCE_FOLDERS],
    package_dir={"gui_app.resources": "resources"},
    package_data={"gui_app.resources": ["**/*"]},
)
