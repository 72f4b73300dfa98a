# Jupyter server configuration of the book, read when JUPYTER_CONFIG_PATH includes this
# folder (`make lab`, and Binder through `start`): jupytext's contents manager with the
# book's maths macros for jupyterlab-myst (scripts/lab_contents.py).
# ruff: noqa: F821  (`c` is the config object traitlets defines when it reads this file)
import pathlib
import sys

_scripts = str(pathlib.Path(__file__).resolve().parents[1] / "scripts")
if _scripts not in sys.path:
    sys.path.insert(0, _scripts)

c.ServerApp.contents_manager_class = "lab_contents.BookContentsManager"
# Saving a chapter keeps its header as it is: no jupytext version stamped into it.
c.BookContentsManager.notebook_metadata_filter = (
    "-jupytext.text_representation.jupytext_version"
)
