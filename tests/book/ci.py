"""How a test reacts to a missing system tool: skip locally, fail on CI.

``.ci/run`` installs every system package the tests need and sets ``CI=true``;
there a missing tool is a defect of the set-up, so the test fails instead of
skipping. On a reader's machine the test skips and says what to install.
"""

from __future__ import annotations

import os

import pytest

ON_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail with it when ``CI=true``."""
    if ON_CI:
        pytest.fail(reason + " (CI=true: not skipped)")
    pytest.skip(reason)
